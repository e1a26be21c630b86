/*
 * Unit tests of lib/sched.c: the resync schedule (device.md D-SCH-2..9).
 *
 * A simulated host drives the schedule as the engine would: a fake clock
 * jumps to sched_due() (or to the next explicit request, or the next change
 * of line activity), calls sched_poll(), and a scripted server answers each
 * resync at once. Every resync and skip is logged with its time since boot
 * and its reason, so a week of schedule runs in a few milliseconds and the
 * tests assert exact sequences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sched.h"

#define DAY 86400
#define WEEK (7 * DAY)
#define BOOT_DAY 1704067200             /* 2024-01-01 00:00:00 local */
#define BOOT_SOD (10 * 3600 + 17 * 60 + 23) /* boot at 10:17:23 */
#define SIM_EVENTS 8192                 /* log of one simulation */
#define SIM_STEPS 200000                /* a runaway simulation fails */
#define SIM_SPANS 4                     /* busy-line and false-trigger spans */

struct sim_ev {
	int64_t ms;                /* since boot */
	char kind;                 /* 'R' automatic run, 'X' explicit, 'K' skipped */
	enum sched_reason reason;  /* of the run or skipped resync */
	int ok;                    /* the server's answer ('R', 'X') */
};

struct sim {
	struct sched s;
	struct sched_conf c;
	struct sched_now now;
	int64_t boot_ms, boot_wall;
	uint64_t rng;              /* xorshift64* state, unless fixed */
	int fixed;
	uint64_t fixed_value;      /* the random number, when fixed */
	const char *script;        /* answer to resync n: script[min(n, len-1)],
				    * 'S' or 'F'; NULL: all succeed */
	unsigned resyncs;
	int64_t explicit_s[8];     /* explicit resyncs, s since boot, ascending */
	unsigned n_explicit, explicit_next;
	int64_t busy[SIM_SPANS][2];/* lines busy during [from, to), s since boot */
	unsigned n_busy;
	int64_t trig_false[SIM_SPANS][2]; /* triggers false during [from, to) */
	unsigned n_trig_false;
	int no_triggers;           /* pass NULL for triggers_ok */
	unsigned trig_calls, waits;
	struct sim_ev ev[SIM_EVENTS];
	unsigned n;
};

static struct sim sim_store;

static struct delay_list
list(const char *text)
{
	struct delay_list l;
	struct diag d;

	diag_init(&d);
	assert_int_equal(delay_parse(text, strlen(text), &l, &d), PROV_OK);
	return l;
}

static struct sim *
sim_new(void)
{
	struct sim *m = &sim_store;

	memset(m, 0, sizeof(*m));
	m->boot_ms = 7777;
	m->boot_wall = BOOT_DAY + BOOT_SOD;
	m->rng = 0x9e3779b97f4a7c15ull;
	m->c.provision_enable = 1;
	m->c.resync_on_reset = 1;
	m->c.random_delay = 0;
	m->c.daily_random = 600;
	m->c.periodic = list("3600");
	m->c.retry = list("60,120,240,480,960,1920,3840,7680,15360,30720,61440,86400");
	m->c.forced_delay = 14400;
	return m;
}

static uint64_t
sim_rand(struct sim *m)
{
	if (m->fixed)
		return m->fixed_value;
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return m->rng * 2685821657736338717ull;
}

static void
sim_fix_random(struct sim *m, uint64_t v)
{
	m->fixed = 1;
	m->fixed_value = v;
}

static void
sim_time(struct sim *m, int64_t ms)
{
	m->now.mono_ms = ms;
	m->now.wall_s = m->boot_wall + (ms - m->boot_ms) / 1000;
}

static int64_t
sim_since_boot(const struct sim *m)
{
	return m->now.mono_ms - m->boot_ms;
}

static void
sim_boot(struct sim *m)
{
	sim_time(m, m->boot_ms);
	sched_boot(&m->s, &m->c, &m->now, sim_rand(m));
}

static int
sim_in(int64_t spans[][2], unsigned n, int64_t ms)
{
	for (unsigned i = 0; i < n; i++)
		if (spans[i][0] * 1000 <= ms && ms < spans[i][1] * 1000)
			return 1;
	return 0;
}

static int
sim_triggers(void *arg)
{
	struct sim *m = arg;

	m->trig_calls++;
	return !sim_in(m->trig_false, m->n_trig_false, sim_since_boot(m));
}

/* The first edge of line activity strictly after now (absolute ms). */
static int64_t
sim_next_edge(const struct sim *m)
{
	int64_t best = SCHED_NEVER, t;

	for (unsigned i = 0; i < m->n_busy; i++)
		for (unsigned j = 0; j < 2; j++) {
			t = m->boot_ms + m->busy[i][j] * 1000;
			if (t > m->now.mono_ms && t < best)
				best = t;
		}
	return best;
}

static int
sim_answer(struct sim *m)
{
	size_t len;
	unsigned i = m->resyncs++;

	if (m->script == NULL)
		return 1;
	len = strlen(m->script);
	return m->script[i < len ? i : len - 1] == 'S';
}

static void
sim_log(struct sim *m, char kind, enum sched_reason reason, int ok)
{
	assert_true(m->n < SIM_EVENTS);
	m->ev[m->n++] = (struct sim_ev){ sim_since_boot(m), kind, reason, ok };
}

/* Runs the host until end_s seconds after boot, events at end_s included. */
static void
sim_run(struct sim *m, int64_t end_s)
{
	int64_t end = m->boot_ms + end_s * 1000, t, x;
	enum sched_reason reason, was;
	int is_explicit, ok;

	for (unsigned step = 0; step < SIM_STEPS; step++) {
		t = sched_due(&m->s, &m->c);
		is_explicit = 0;
		if (m->explicit_next < m->n_explicit) {
			x = m->boot_ms + m->explicit_s[m->explicit_next] * 1000;
			if (x <= t) {
				t = x;
				is_explicit = 1;
			}
		}
		x = sim_next_edge(m);
		if (x < t) {
			t = x;
			is_explicit = 0;
		}
		if (t > end) {
			sim_time(m, end);
			return;
		}
		if (t < m->now.mono_ms)
			t = m->now.mono_ms;
		sim_time(m, t);
		if (is_explicit) {
			m->explicit_next++;
			ok = sim_answer(m);
			sim_log(m, 'X', SCHED_EXPLICIT, ok);
			sched_done(&m->s, &m->c, &m->now, ok, sim_rand(m));
			continue;
		}
		was = m->s.reason;
		reason = (enum sched_reason)99;
		switch (sched_poll(&m->s, &m->c, &m->now,
				   sim_in(m->busy, m->n_busy, sim_since_boot(m)),
				   m->no_triggers ? NULL : sim_triggers, m,
				   sim_rand(m), &reason)) {
		case SCHED_RUN:
			assert_int_equal(reason, was);
			assert_int_equal(sched_due(&m->s, &m->c), SCHED_NEVER);
			ok = sim_answer(m);
			sim_log(m, 'R', reason, ok);
			sched_done(&m->s, &m->c, &m->now, ok, sim_rand(m));
			break;
		case SCHED_SKIPPED:
			sim_log(m, 'K', was, 0);
			break;
		case SCHED_WAIT:
			m->waits++;
			break;
		case SCHED_IDLE:
			break;
		}
	}
	fail_msg("simulation ran away");
}

static void
sim_dump(const struct sim *m)
{
	for (unsigned i = 0; i < m->n; i++)
		print_error("  %u: %lld s %c reason %d ok %d\n", i,
			    (long long)(m->ev[i].ms / 1000), m->ev[i].kind,
			    (int)m->ev[i].reason, m->ev[i].ok);
}

static void
expect_ev(const struct sim *m, unsigned i, int64_t secs, char kind,
	  enum sched_reason reason)
{
	if (i < m->n && m->ev[i].ms == secs * 1000 && m->ev[i].kind == kind &&
	    m->ev[i].reason == reason)
		return;
	print_error("event %u: expected %lld s %c reason %d\n", i,
		    (long long)secs, kind, (int)reason);
	sim_dump(m);
	fail();
}

static void
expect_count(const struct sim *m, unsigned n)
{
	if (m->n == n)
		return;
	print_error("expected %u events, got %u\n", n, m->n);
	sim_dump(m);
	fail();
}

static void
expect_explain(const struct sim *m, const char *want)
{
	char buf[128];

	sched_explain(&m->s, &m->now, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* Local time of day of event i, seconds. */
static int64_t
ev_sod(const struct sim *m, unsigned i)
{
	return (m->boot_wall + m->ev[i].ms / 1000) % DAY;
}

/* Days since the boot day of event i. */
static int64_t
ev_day(const struct sim *m, unsigned i)
{
	return (m->boot_wall + m->ev[i].ms / 1000) / DAY - m->boot_wall / DAY;
}

static void
test_d_sch_2_powerup_random_delay_bounds(void **state)
{
	struct sim *m = sim_new();
	unsigned hits[41] = { 0 };
	int64_t d;

	(void)state;
	m->c.random_delay = 2;                  /* 0..40 s */
	sim_fix_random(m, 0);
	sim_boot(m);
	assert_int_equal(sched_due(&m->s, &m->c), m->boot_ms);
	assert_int_equal(m->s.reason, SCHED_POWERUP);
	sim_fix_random(m, 40);
	sim_boot(m);
	assert_int_equal(sched_due(&m->s, &m->c), m->boot_ms + 40000);
	sim_fix_random(m, 41);
	sim_boot(m);
	assert_int_equal(sched_due(&m->s, &m->c), m->boot_ms);

	m->c.random_delay = 0;                  /* at once */
	sim_fix_random(m, 123456789);
	sim_boot(m);
	assert_int_equal(sched_due(&m->s, &m->c), m->boot_ms);

	m->c.random_delay = 65535;              /* the largest valid value */
	sim_fix_random(m, 65535u * 20);
	sim_boot(m);
	assert_int_equal(sched_due(&m->s, &m->c), m->boot_ms + 1310700000);
	sim_fix_random(m, UINT64_MAX);
	sim_boot(m);
	assert_true(sched_due(&m->s, &m->c) <= m->boot_ms + 1310700000);

	/* Uniform over 0..40 s in whole seconds: every value is drawn. */
	m->c.random_delay = 2;
	m->fixed = 0;
	for (unsigned i = 0; i < 4000; i++) {
		sim_boot(m);
		d = sched_due(&m->s, &m->c) - m->boot_ms;
		assert_true(d >= 0 && d <= 40000);
		assert_int_equal(d % 1000, 0);
		hits[d / 1000]++;
	}
	for (unsigned i = 0; i < 41; i++)
		assert_true(hits[i] > 40);
}

static void
test_d_sch_2_random_delay_first_attempt_only(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.random_delay = 2;
	sim_fix_random(m, 23);
	m->script = "FS";
	sim_boot(m);
	expect_explain(m, "power-up resync in 23 s");
	sim_time(m, m->boot_ms + 500);
	expect_explain(m, "power-up resync in 23 s");
	sim_time(m, m->boot_ms + 1000);
	expect_explain(m, "power-up resync in 22 s");
	sim_run(m, 23 + 60 + 3600);
	expect_count(m, 3);
	expect_ev(m, 0, 23, 'R', SCHED_POWERUP);
	expect_ev(m, 1, 83, 'R', SCHED_RETRY);
	expect_ev(m, 2, 83 + 3600, 'R', SCHED_PERIODIC);
}

static void
test_d_sch_2_resync_on_reset_no(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.resync_on_reset = 0;
	sim_boot(m);
	assert_int_equal(sched_due(&m->s, &m->c), SCHED_NEVER);
	expect_explain(m, "none scheduled");
	sim_run(m, WEEK);
	expect_count(m, 0);
	assert_int_equal(m->trig_calls, 0);
}

static void
test_d_sch_3_week_of_hourly_resyncs(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->no_triggers = 1;
	sim_boot(m);
	sim_run(m, WEEK);
	expect_count(m, 1 + 168);
	expect_ev(m, 0, 0, 'R', SCHED_POWERUP);
	for (unsigned i = 1; i <= 168; i++)
		expect_ev(m, i, 3600 * (int64_t)i, 'R', SCHED_PERIODIC);
	expect_explain(m, "periodic resync in 3600 s");
}

static void
test_d_sch_3_periodic_list_repeats_last(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.periodic = list("600 , 1200 , 300");
	sim_boot(m);
	sim_run(m, WEEK);
	/* 0, 600, 1800, then every 300 s up to 604800 inclusive. */
	expect_count(m, 2 + (WEEK - 1800) / 300 + 1);
	expect_ev(m, 0, 0, 'R', SCHED_POWERUP);
	expect_ev(m, 1, 600, 'R', SCHED_PERIODIC);
	expect_ev(m, 2, 1800, 'R', SCHED_PERIODIC);
	for (unsigned i = 3; i < m->n; i++)
		expect_ev(m, i, 1800 + 300 * (int64_t)(i - 2), 'R', SCHED_PERIODIC);
}

static void
test_d_sch_1_periodic_range_within_bounds(void **state)
{
	struct sim *m = sim_new();
	int64_t gap, lo = INT64_MAX, hi = 0;

	(void)state;
	m->c.periodic = list("2400+30");
	sim_boot(m);
	sim_run(m, WEEK);
	assert_true(m->n > WEEK / 2430);
	assert_true(m->n <= WEEK / 2400 + 1);
	for (unsigned i = 1; i < m->n; i++) {
		expect_ev(m, i, m->ev[i].ms / 1000, 'R', SCHED_PERIODIC);
		gap = m->ev[i].ms - m->ev[i - 1].ms;
		assert_int_equal(gap % 1000, 0);
		assert_true(gap >= 2400000 && gap <= 2430000);
		lo = gap < lo ? gap : lo;
		hi = gap > hi ? gap : hi;
	}
	assert_int_equal(lo, 2400000);
	assert_int_equal(hi, 2430000);
}

static void
test_d_sch_3_periodic_zero_disables(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.periodic = list("0");
	sim_boot(m);
	sim_run(m, WEEK);
	expect_count(m, 1);
	expect_ev(m, 0, 0, 'R', SCHED_POWERUP);
	assert_int_equal(sched_due(&m->s, &m->c), SCHED_NEVER);
	expect_explain(m, "none scheduled");

	m = sim_new();
	m->c.periodic = list("3600,0");         /* a 0 element stops */
	sim_boot(m);
	sim_run(m, WEEK);
	expect_count(m, 2);
	expect_ev(m, 1, 3600, 'R', SCHED_PERIODIC);
}

static void
test_d_sch_3_periodic_starts_after_first_success(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.resync_on_reset = 0;
	m->explicit_s[0] = 1000;
	m->explicit_s[1] = 5000;
	m->n_explicit = 2;
	sim_boot(m);
	sim_run(m, 999);
	expect_count(m, 0);
	sim_run(m, 8600);
	/* A successful explicit resync starts, then restarts, the timer. */
	expect_count(m, 4);
	expect_ev(m, 0, 1000, 'X', SCHED_EXPLICIT);
	expect_ev(m, 1, 4600, 'R', SCHED_PERIODIC);
	expect_ev(m, 2, 5000, 'X', SCHED_EXPLICIT);
	expect_ev(m, 3, 8600, 'R', SCHED_PERIODIC);

	/* A failed power-up with no retry: the timer never starts. */
	m = sim_new();
	m->c.retry = list("0");
	m->script = "F";
	sim_boot(m);
	sim_run(m, WEEK);
	expect_count(m, 1);
	expect_ev(m, 0, 0, 'R', SCHED_POWERUP);
	assert_int_equal(m->s.succeeded, 0);
}

static void
test_d_sch_5_retry_list_index_reset(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.retry = list("60,120,240");
	m->script = "FFFFSFFSS";
	sim_boot(m);
	sim_run(m, 60);
	expect_explain(m, "retry in 120 s (attempt 3)");
	sim_run(m, 11639);
	expect_count(m, 9);
	expect_ev(m, 0, 0, 'R', SCHED_POWERUP);
	expect_ev(m, 1, 60, 'R', SCHED_RETRY);
	expect_ev(m, 2, 180, 'R', SCHED_RETRY);
	expect_ev(m, 3, 420, 'R', SCHED_RETRY);
	expect_ev(m, 4, 660, 'R', SCHED_RETRY);      /* 240 repeats */
	expect_ev(m, 5, 4260, 'R', SCHED_PERIODIC);
	expect_ev(m, 6, 4320, 'R', SCHED_RETRY);     /* index reset: 60 */
	expect_ev(m, 7, 4440, 'R', SCHED_RETRY);
	expect_ev(m, 8, 8040, 'R', SCHED_PERIODIC);

	/* An explicit resync that fails is retried the same way. */
	m = sim_new();
	m->c.resync_on_reset = 0;
	m->c.retry = list("60,120");
	m->explicit_s[0] = 1000;
	m->n_explicit = 1;
	m->script = "FFS";
	sim_boot(m);
	sim_run(m, 1180 + 3600);
	expect_count(m, 4);
	expect_ev(m, 0, 1000, 'X', SCHED_EXPLICIT);
	expect_ev(m, 1, 1060, 'R', SCHED_RETRY);
	expect_ev(m, 2, 1180, 'R', SCHED_RETRY);
	expect_ev(m, 3, 1180 + 3600, 'R', SCHED_PERIODIC);
}

static void
test_d_sch_5_retry_zero_no_retry(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.retry = list("0");
	m->script = "F";
	sim_boot(m);
	sim_run(m, WEEK);
	expect_count(m, 1);
	expect_explain(m, "none scheduled");

	/* After a first success the periodic timer keeps running. */
	m = sim_new();
	m->c.retry = list("0");
	m->script = "SFFS";
	sim_boot(m);
	sim_run(m, 14400);
	expect_count(m, 5);
	expect_ev(m, 0, 0, 'R', SCHED_POWERUP);
	for (unsigned i = 1; i < 5; i++)
		expect_ev(m, i, 3600 * (int64_t)i, 'R', SCHED_PERIODIC);

	/* "60,0": one retry, then none until another event. */
	m = sim_new();
	m->c.retry = list("60,0");
	m->script = "F";
	sim_boot(m);
	sim_run(m, WEEK);
	expect_count(m, 2);
	expect_ev(m, 1, 60, 'R', SCHED_RETRY);
}

static void
test_d_sch_4_daily_replaces_periodic(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.periodic = list("600");            /* ignored */
	m->c.daily_valid = 1;
	m->c.daily_minutes = 3 * 60;            /* 0300 */
	m->c.daily_random = 600;                /* 0..11 min */
	sim_boot(m);
	sim_run(m, WEEK);
	expect_count(m, 1 + 7);
	expect_ev(m, 0, 0, 'R', SCHED_POWERUP);
	for (unsigned i = 1; i < m->n; i++) {
		expect_ev(m, i, m->ev[i].ms / 1000, 'R', SCHED_PERIODIC);
		assert_int_equal(ev_day(m, i), i);
		assert_true(ev_sod(m, i) >= 3 * 3600);
		assert_true(ev_sod(m, i) <= 3 * 3600 + 660);
	}

	/* The ends of the window. */
	m = sim_new();
	m->c.daily_valid = 1;
	m->c.daily_minutes = 3 * 60;
	sim_fix_random(m, 0);
	sim_boot(m);
	sim_run(m, 0);
	expect_explain(m, "daily resync at 03:00 (+ up to 11 min), in 60157 s");
	sim_run(m, WEEK);
	expect_count(m, 8);
	for (unsigned i = 1; i < m->n; i++)
		expect_ev(m, i, (int64_t)i * DAY + 3 * 3600 - BOOT_SOD, 'R',
			  SCHED_PERIODIC);

	m = sim_new();
	m->c.daily_valid = 1;
	m->c.daily_minutes = 3 * 60;
	sim_fix_random(m, 660);
	sim_boot(m);
	sim_run(m, WEEK);
	expect_count(m, 8);
	for (unsigned i = 1; i < m->n; i++)
		expect_ev(m, i, (int64_t)i * DAY + 3 * 3600 + 660 - BOOT_SOD,
			  'R', SCHED_PERIODIC);
}

static void
test_d_sch_4_daily_failure_retries_then_next_day(void **state)
{
	struct sim *m = sim_new();
	int64_t at3 = DAY + 3 * 3600 - BOOT_SOD;   /* day 1, 03:00 */

	(void)state;
	m->c.daily_valid = 1;
	m->c.daily_minutes = 3 * 60;
	m->c.retry = list("60,0");
	m->script = "SFFS";
	sim_fix_random(m, 0);
	sim_boot(m);
	sim_run(m, at3 + 2 * DAY);
	expect_count(m, 5);
	expect_ev(m, 0, 0, 'R', SCHED_POWERUP);
	expect_ev(m, 1, at3, 'R', SCHED_PERIODIC);
	expect_ev(m, 2, at3 + 60, 'R', SCHED_RETRY);
	expect_ev(m, 3, at3 + DAY, 'R', SCHED_PERIODIC);
	expect_ev(m, 4, at3 + 2 * DAY, 'R', SCHED_PERIODIC);
}

static void
test_d_sch_4_daily_2400(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.resync_on_reset = 0;               /* the daily time still runs */
	m->c.daily_valid = 1;
	m->c.daily_minutes = 1440;
	sim_fix_random(m, 0);
	sim_boot(m);
	expect_explain(m, "daily resync at 24:00 (+ up to 11 min), in 49357 s");
	sim_run(m, WEEK);
	expect_count(m, 7);
	for (unsigned i = 0; i < m->n; i++) {
		expect_ev(m, i, (int64_t)(i + 1) * DAY - BOOT_SOD, 'R',
			  SCHED_PERIODIC);
		assert_int_equal(ev_sod(m, i), 0);
	}

	/* Booting at midnight: the next occurrence is strictly later. */
	for (unsigned minutes = 0; minutes <= 1440; minutes += 1440) {
		m = sim_new();
		m->boot_wall = BOOT_DAY;
		m->c.resync_on_reset = 0;
		m->c.daily_valid = 1;
		m->c.daily_minutes = minutes;
		sim_fix_random(m, 0);
		sim_boot(m);
		assert_int_equal(sched_due(&m->s, &m->c),
				 m->boot_ms + DAY * 1000);
	}
}

static void
test_d_sch_4_daily_random_window(void **state)
{
	static const struct {
		unsigned random_delay;
		uint64_t window;
	} t[] = {
		{ 0, 600 }, { 599, 600 }, { 600, 660 }, { 630, 660 },
		{ 631, 720 }, { 3600, 3660 }, { 65535, 65580 },
	};
	struct sim *m;
	int64_t d = 0, lo = INT64_MAX, hi = 0;
	char want[80];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		m = sim_new();
		m->boot_wall = BOOT_DAY + 2 * 3600;     /* 02:00 */
		m->c.resync_on_reset = 0;
		m->c.daily_valid = 1;
		m->c.daily_minutes = 3 * 60;
		m->c.daily_random = t[i].random_delay;
		sim_fix_random(m, t[i].window);
		sim_boot(m);
		assert_int_equal(m->s.daily_window_s, t[i].window);
		assert_int_equal(sched_due(&m->s, &m->c),
				 m->boot_ms + (3600 + (int64_t)t[i].window) * 1000);
		sim_fix_random(m, t[i].window + 1);
		sim_boot(m);
		assert_int_equal(sched_due(&m->s, &m->c), m->boot_ms + 3600000);
	}
	expect_explain(m, "daily resync at 03:00 (+ up to 1093 min), in 3600 s");

	/* Under 600: a uniform 0..600 s, both ends drawn. */
	m = sim_new();
	m->boot_wall = BOOT_DAY + 2 * 3600;
	m->c.resync_on_reset = 0;
	m->c.daily_valid = 1;
	m->c.daily_minutes = 3 * 60;
	m->c.daily_random = 0;
	for (unsigned i = 0; i < 20000; i++) {
		sim_boot(m);
		d = sched_due(&m->s, &m->c) - m->boot_ms - 3600000;
		assert_true(d >= 0 && d <= 600000);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 600000);
	snprintf(want, sizeof(want),
		 "daily resync at 03:00 (+ up to 10 min), in %lld s",
		 (long long)(3600 + d / 1000));
	expect_explain(m, want);
}

static void
test_d_sch_6_trigger_false_skips_like_success(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.retry = list("60,120");
	m->trig_false[0][0] = 0;
	m->trig_false[0][1] = 7300;
	m->trig_false[1][0] = 9050;
	m->trig_false[1][1] = 9070;
	m->n_trig_false = 2;
	m->explicit_s[0] = 1800;                /* ignores triggers */
	m->n_explicit = 1;
	m->script = "SFFS";
	sim_boot(m);
	sim_run(m, 16320);
	expect_count(m, 8);
	expect_ev(m, 0, 0, 'K', SCHED_POWERUP);     /* next: periodic */
	expect_ev(m, 1, 1800, 'X', SCHED_EXPLICIT); /* restarts the timer */
	expect_ev(m, 2, 5400, 'K', SCHED_PERIODIC);
	expect_ev(m, 3, 9000, 'R', SCHED_PERIODIC);
	expect_ev(m, 4, 9060, 'K', SCHED_RETRY);    /* as a success: */
	expect_ev(m, 5, 12660, 'R', SCHED_PERIODIC);
	expect_ev(m, 6, 12720, 'R', SCHED_RETRY);   /* retry index reset */
	expect_ev(m, 7, 16320, 'R', SCHED_PERIODIC);
	/* Called only when an automatic resync was due. */
	assert_int_equal(m->trig_calls, 7);
}

static void
test_d_sch_7_forced_resync_delay(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.forced_delay = 120;
	m->busy[0][0] = 3590;                   /* idle before the deadline */
	m->busy[0][1] = 3650;
	m->busy[1][0] = 7200;                   /* busy past it */
	m->busy[1][1] = 7500;
	m->busy[2][0] = 10900;
	m->busy[2][1] = 11000;
	m->n_busy = 3;
	sim_boot(m);
	sim_run(m, 3620);
	expect_count(m, 1);
	assert_int_equal(m->s.waiting, 1);
	assert_int_equal(m->s.wait_since_ms, m->boot_ms + 3600000);
	assert_int_equal(sched_due(&m->s, &m->c), m->boot_ms + 3720000);
	expect_explain(m, "waiting for idle lines (forced in 100 s)");
	sim_run(m, 7370);
	expect_count(m, 3);
	expect_ev(m, 1, 3650, 'R', SCHED_PERIODIC);
	expect_ev(m, 2, 7370, 'R', SCHED_PERIODIC);
	assert_int_equal(m->s.waiting, 0);
	assert_int_equal(m->s.wait_since_ms, SCHED_NEVER);
	m->c.forced_delay = 0;                  /* no waiting at all */
	m->waits = 0;
	sim_run(m, 10970);
	expect_count(m, 4);
	expect_ev(m, 3, 10970, 'R', SCHED_PERIODIC);
	assert_int_equal(m->waits, 0);
}

static void
test_d_sch_8_provision_disabled_blocks(void **state)
{
	struct sim *m = sim_new();

	(void)state;
	m->c.provision_enable = 0;
	sim_boot(m);
	assert_int_equal(sched_due(&m->s, &m->c), SCHED_NEVER);
	expect_explain(m, "none: provisioning disabled");
	sim_run(m, WEEK);
	expect_count(m, 0);

	/* A daily time keeps coming due and is skipped. */
	m = sim_new();
	m->c.provision_enable = 0;
	m->c.daily_valid = 1;
	m->c.daily_minutes = 3 * 60;
	sim_fix_random(m, 0);
	sim_boot(m);
	sim_run(m, WEEK);
	expect_count(m, 7);
	for (unsigned i = 0; i < m->n; i++)
		expect_ev(m, i, (int64_t)(i + 1) * DAY + 3 * 3600 - BOOT_SOD,
			  'K', SCHED_PERIODIC);
	assert_int_equal(m->trig_calls, 0);

	/* Disabled while a retry is due: skipped without counting as a
	 * success (retry index kept, no success recorded); enabled again,
	 * the next planned resync runs. */
	m = sim_new();
	m->c.random_delay = 2;
	sim_fix_random(m, 30);
	m->c.retry = list("60");
	m->script = "FS";
	sim_boot(m);
	sim_run(m, 60);
	m->c.provision_enable = 0;
	sim_run(m, 4000);
	assert_int_equal(m->s.retry_i, 1);
	assert_int_equal(m->s.succeeded, 0);
	expect_explain(m, "none: provisioning disabled");
	m->c.provision_enable = 1;
	sim_run(m, 7290);
	expect_count(m, 4);
	expect_ev(m, 0, 30, 'R', SCHED_POWERUP);
	expect_ev(m, 1, 90, 'K', SCHED_RETRY);
	expect_ev(m, 2, 3690, 'K', SCHED_PERIODIC);
	expect_ev(m, 3, 7290, 'R', SCHED_PERIODIC);
	assert_int_equal(m->s.retry_i, 0);
	assert_int_equal(m->s.succeeded, 1);
}

static void
expect_same(const struct sched *a, const struct sched *b)
{
	assert_int_equal(a->due_ms, b->due_ms);
	assert_int_equal(a->reason, b->reason);
	assert_int_equal(a->waiting, b->waiting);
	assert_int_equal(a->wait_since_ms, b->wait_since_ms);
	assert_int_equal(a->forced_ms, b->forced_ms);
	assert_int_equal(a->periodic_i, b->periodic_i);
	assert_int_equal(a->retry_i, b->retry_i);
	assert_int_equal(a->succeeded, b->succeeded);
	assert_int_equal(a->running, b->running);
	assert_int_equal(a->daily, b->daily);
	assert_int_equal(a->daily_minutes, b->daily_minutes);
	assert_int_equal(a->daily_window_s, b->daily_window_s);
	assert_int_equal(a->disabled, b->disabled);
}

static void
test_d_sch_9_poll_idle_and_running(void **state)
{
	struct sim *m = sim_new();
	struct sched before;
	enum sched_reason reason = SCHED_EXPLICIT;

	(void)state;
	/* Zeroed storage with nothing due is idle, as before sched_boot. */
	memset(&m->s, 0, sizeof(m->s));
	m->s.due_ms = SCHED_NEVER;
	sim_time(m, m->boot_ms);
	assert_int_equal(sched_poll(&m->s, &m->c, &m->now, 1, NULL, NULL, 0,
				    &reason), SCHED_IDLE);
	assert_int_equal(sched_due(&m->s, &m->c), SCHED_NEVER);
	expect_explain(m, "none scheduled");

	m->c.random_delay = 3;
	sim_fix_random(m, 60);
	sim_boot(m);
	sim_time(m, m->boot_ms + 59999);
	before = m->s;
	assert_int_equal(sched_poll(&m->s, &m->c, &m->now, 1, NULL, NULL, 0,
				    &reason), SCHED_IDLE);
	expect_same(&before, &m->s);
	assert_int_equal(reason, SCHED_EXPLICIT);

	sim_time(m, m->boot_ms + 60000);
	assert_int_equal(sched_poll(&m->s, &m->c, &m->now, 0, NULL, NULL, 0,
				    NULL), SCHED_RUN);
	assert_int_equal(m->s.running, 1);
	assert_int_equal(sched_due(&m->s, &m->c), SCHED_NEVER);
	expect_explain(m, "resync running");
	assert_int_equal(sched_poll(&m->s, &m->c, &m->now, 0, NULL, NULL, 0,
				    &reason), SCHED_IDLE);
	sched_done(&m->s, &m->c, &m->now, 1, 0);
	assert_int_equal(m->s.running, 0);
	assert_int_equal(sched_due(&m->s, &m->c), m->now.mono_ms + 3600000);
}

static void
test_d_sch_9_no_overflow(void **state)
{
	struct sim *m = sim_new();
	char buf[8];

	(void)state;
	/* Deadlines past the end of time saturate at SCHED_NEVER. */
	m->c.periodic = list("31536000+31536000");
	m->c.random_delay = 0xffffffffu;
	m->c.daily_random = 0xffffffffu;
	m->c.forced_delay = 0xffffffffu;
	sim_fix_random(m, UINT64_MAX);
	m->boot_ms = INT64_MAX - 1000;
	sim_boot(m);
	assert_int_equal(sched_due(&m->s, &m->c), SCHED_NEVER);
	m->boot_ms = -INT64_MAX;
	sim_boot(m);
	assert_true(sched_due(&m->s, &m->c) > m->boot_ms);
	sim_time(m, m->boot_ms + 1000);
	sched_done(&m->s, &m->c, &m->now, 1, UINT64_MAX);
	assert_true(sched_due(&m->s, &m->c) > m->now.mono_ms);
	m->c.daily_valid = 1;
	m->c.daily_minutes = 0xffffffffu;       /* garbage: still one day ahead */
	sched_done(&m->s, &m->c, &m->now, 1, UINT64_MAX);
	assert_true(m->s.due_ms > m->now.mono_ms);

	/* Before the epoch: 1969-12-31 23:59:59 local, next midnight in 1 s. */
	m = sim_new();
	m->boot_wall = -1;
	m->c.resync_on_reset = 0;
	m->c.daily_valid = 1;
	m->c.daily_minutes = 0;
	sim_fix_random(m, 0);
	sim_boot(m);
	assert_int_equal(sched_due(&m->s, &m->c), m->boot_ms + 1000);

	/* Truncation. */
	sched_explain(&m->s, &m->now, buf, sizeof(buf));
	assert_string_equal(buf, "daily r");
	buf[0] = 'x';
	sched_explain(&m->s, &m->now, buf, 0);
	assert_int_equal(buf[0], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_d_sch_2_powerup_random_delay_bounds),
		cmocka_unit_test(test_d_sch_2_random_delay_first_attempt_only),
		cmocka_unit_test(test_d_sch_2_resync_on_reset_no),
		cmocka_unit_test(test_d_sch_3_week_of_hourly_resyncs),
		cmocka_unit_test(test_d_sch_3_periodic_list_repeats_last),
		cmocka_unit_test(test_d_sch_1_periodic_range_within_bounds),
		cmocka_unit_test(test_d_sch_3_periodic_zero_disables),
		cmocka_unit_test(test_d_sch_3_periodic_starts_after_first_success),
		cmocka_unit_test(test_d_sch_5_retry_list_index_reset),
		cmocka_unit_test(test_d_sch_5_retry_zero_no_retry),
		cmocka_unit_test(test_d_sch_4_daily_replaces_periodic),
		cmocka_unit_test(test_d_sch_4_daily_failure_retries_then_next_day),
		cmocka_unit_test(test_d_sch_4_daily_2400),
		cmocka_unit_test(test_d_sch_4_daily_random_window),
		cmocka_unit_test(test_d_sch_6_trigger_false_skips_like_success),
		cmocka_unit_test(test_d_sch_7_forced_resync_delay),
		cmocka_unit_test(test_d_sch_8_provision_disabled_blocks),
		cmocka_unit_test(test_d_sch_9_poll_idle_and_running),
		cmocka_unit_test(test_d_sch_9_no_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
