/*
 * Unit tests of the shared event loop (common/loop.c): timer order with
 * its tie-break, cancellation, fds, signals, and stopping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "clock.h"

struct rec {
	struct loop *l;
	char order[32];
	size_t n;
	uint64_t victim;
};

static void
mark(struct rec *r, char c)
{
	if (r->n + 1 < sizeof(r->order))
		r->order[r->n++] = c;
	r->order[r->n] = '\0';
}

static void t_a(void *arg) { mark(arg, 'a'); }
static void t_b(void *arg) { mark(arg, 'b'); }
static void t_c(void *arg) { mark(arg, 'c'); }
static void t_stop(void *arg) { struct rec *r = arg; mark(r, '.'); loop_stop(r->l); }
static void t_cancel(void *arg) { struct rec *r = arg; mark(r, 'x'); loop_timer_del(r->l, r->victim); }

/* Earliest first; the same instant in the order added. */
static void
loop_timers_fire_in_order(void **state)
{
	struct rec r = { loop_new(), "", 0, 0 };
	int64_t now = clock_mono_ms();

	(void)state;
	assert_non_null(r.l);
	loop_timer_add(r.l, now + 30, t_c, &r);
	loop_timer_add(r.l, now + 10, t_a, &r);
	loop_timer_add(r.l, now + 20, t_b, &r);
	loop_timer_add(r.l, now + 20, t_c, &r);
	loop_timer_add(r.l, now + 10, t_b, &r);
	loop_timer_add(r.l, now + 40, t_stop, &r);
	assert_int_equal(loop_run(r.l), 0);
	assert_string_equal(r.order, "abbcc.");
	assert_true(clock_mono_ms() - now >= 40);
	loop_free(r.l);
}

static void
loop_timer_cancel(void **state)
{
	struct rec r = { loop_new(), "", 0, 0 };
	int64_t now = clock_mono_ms();

	(void)state;
	loop_timer_add(r.l, now + 5, t_cancel, &r);
	r.victim = loop_timer_add(r.l, now + 10, t_a, &r);
	loop_timer_del(r.l, loop_timer_add(r.l, now + 1, t_b, &r));
	loop_timer_add(r.l, now + 20, t_stop, &r);
	loop_timer_del(r.l, 999999); /* unknown: no-op */
	assert_int_equal(loop_run(r.l), 0);
	assert_string_equal(r.order, "x.");
	loop_free(r.l);
}

struct pipe_rec {
	struct loop *l;
	int reads;
	char got[8];
};

static void
on_read(void *arg, int fd, unsigned events)
{
	struct pipe_rec *p = arg;
	ssize_t n;

	assert_true(events & LOOP_IN);
	n = read(fd, p->got, sizeof(p->got) - 1);
	p->got[n > 0 ? n : 0] = '\0';
	p->reads++;
	loop_fd(p->l, fd, 0, NULL, NULL);
	loop_stop(p->l);
}

static void
write_later(void *arg)
{
	int *fd = arg;

	assert_int_equal(write(*fd, "hi", 2), 2);
}

static void
loop_fd_readiness(void **state)
{
	struct pipe_rec p = { loop_new(), 0, "" };
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(loop_fd(p.l, fds[0], LOOP_IN, on_read, &p), 0);
	loop_timer_add(p.l, clock_mono_ms() + 5, write_later, &fds[1]);
	assert_int_equal(loop_run(p.l), 0);
	assert_int_equal(p.reads, 1);
	assert_string_equal(p.got, "hi");
	close(fds[0]);
	close(fds[1]);
	loop_free(p.l);
}

static void
on_signal(void *arg, int signo)
{
	struct rec *r = arg;

	assert_int_equal(signo, SIGUSR1);
	mark(r, 's');
	loop_stop(r->l);
}

static void
raise_later(void *arg)
{
	(void)arg;
	kill(getpid(), SIGUSR1);
}

static void
loop_signal_as_fd(void **state)
{
	struct rec r = { loop_new(), "", 0, 0 };

	(void)state;
	assert_int_equal(loop_signal(r.l, SIGUSR1, on_signal, &r), 0);
	loop_timer_add(r.l, clock_mono_ms() + 5, raise_later, NULL);
	assert_int_equal(loop_run(r.l), 0);
	assert_string_equal(r.order, "s");
	loop_free(r.l);
}

/* Many timers added and deleted at random (as a server keeps one per
 * connection): the survivors fire exactly once each, in (time, added)
 * order; deleted ones and stale ids never fire. */
#define STRESS_N 20000

struct stress {
	struct loop *l;
	int64_t at[STRESS_N];
	uint64_t id[STRESS_N];
	int live[STRESS_N], fired[STRESS_N];
	int last, order_ok;
	int64_t last_at;
};

static struct stress *stress_ctx;

static void
stress_fire(void *arg)
{
	struct stress *s = stress_ctx;
	int k = (int)(intptr_t)arg;

	s->fired[k]++;
	if (s->at[k] < s->last_at || (s->at[k] == s->last_at && k < s->last))
		s->order_ok = 0;
	s->last_at = s->at[k];
	s->last = k;
}

static void
stress_stop(void *arg)
{
	loop_stop(arg);
}

static void
loop_timer_stress(void **state)
{
	struct stress *s = calloc(1, sizeof(*s));
	int64_t base = clock_mono_ms() - 100000;
	unsigned seed = 12345;
	int k;

	(void)state;
	stress_ctx = s;
	s->l = loop_new();
	s->order_ok = 1;
	s->last = -1;
	s->last_at = INT64_MIN;
	for (k = 0; k < STRESS_N; k++) {
		seed = seed * 1103515245u + 12345u;
		s->at[k] = base + (seed >> 16) % 5000; /* many equal times */
		s->id[k] = loop_timer_add(s->l, s->at[k], stress_fire, (void *)(intptr_t)k);
		assert_true(s->id[k] != 0);
		s->live[k] = 1;
		if (k > 0 && (seed >> 8) % 3 == 0) {
			int v = (int)((seed >> 4) % (unsigned)k);

			loop_timer_del(s->l, s->id[v]);
			loop_timer_del(s->l, s->id[v]); /* twice: a no-op */
			s->live[v] = 0;
		}
	}
	loop_timer_add(s->l, base + 5001, stress_stop, s->l);
	assert_int_equal(loop_run(s->l), 0);
	for (k = 0; k < STRESS_N; k++)
		assert_int_equal(s->fired[k], s->live[k]);
	assert_true(s->order_ok);
	/* Ids of fired timers are stale now, even when slots are reused. */
	loop_timer_add(s->l, base, stress_fire, (void *)(intptr_t)0);
	for (k = 0; k < STRESS_N; k++)
		loop_timer_del(s->l, s->id[k]);
	loop_timer_add(s->l, base + 1, stress_stop, s->l);
	assert_int_equal(loop_run(s->l), 0);
	assert_int_equal(s->fired[0], s->live[0] + 1);
	loop_free(s->l);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loop_timers_fire_in_order),
		cmocka_unit_test(loop_timer_cancel),
		cmocka_unit_test(loop_fd_readiness),
		cmocka_unit_test(loop_signal_as_fd),
		cmocka_unit_test(loop_timer_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
