/*
 * Tests of the enumeration defence (server/guard.c; server.md S-SEC-2,
 * reliability.md R-ENUM) on the injected clock: the burst, the drain rate,
 * the cool-down and its end, IPv6 counted per /64 and IPv4 per address,
 * IPv4-mapped IPv6 as IPv4, the metrics, a full table, and "off".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "metrics.h"

static const struct guard_limits lim = { 10, 60, 30 }; /* 10 misses, 1/s, 30 s */

static void
addr6(const char *text, unsigned char out[16])
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	guard_key_sa(&ss, out);
}

static void
addr4(const char *text, unsigned char out[16])
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	guard_key_sa(&ss, out);
}

static void
misses(struct guard *g, const unsigned char a[16], unsigned n, int64_t now)
{
	for (unsigned i = 0; i < n; i++)
		guard_miss(g, a, now, &lim, "test");
}

static void
s_sec_2_burst_then_cooldown_then_free(void **state)
{
	struct metrics *m = metrics_new();
	struct guard *g = guard_new(m);
	unsigned char a[16];

	(void)state;
	addr4("192.0.2.7", a);
	misses(g, a, 10, 1000);
	assert_int_equal(guard_blocked(g, a, 1000, &lim), 0);   /* at the burst: not yet */
	misses(g, a, 1, 1000);
	assert_int_equal(guard_blocked(g, a, 1000, &lim), 1);   /* over it */
	assert_int_equal(guard_blocked(g, a, 30999, &lim), 1);  /* the whole cool-down */
	assert_int_equal(guard_blocked(g, a, 31000, &lim), 0);  /* and no longer */
	assert_int_equal(atomic_load(&m->enum_blocked), 1);
	assert_int_equal(atomic_load(&m->enum_refused), 2);
	guard_free(g);
	metrics_free(m);
}

static void
s_sec_2_the_bucket_drains(void **state)
{
	struct guard *g = guard_new(NULL);
	unsigned char a[16];

	(void)state;
	addr4("192.0.2.8", a);
	/* One miss a second forgiven: 10 at once, then one a second for a
	 * minute is never over the burst. */
	misses(g, a, 10, 0);
	for (int s = 1; s <= 60; s++)
		misses(g, a, 1, s * 1000);
	assert_int_equal(guard_blocked(g, a, 60000, &lim), 0);
	/* Two a second is. */
	for (int s = 61; s <= 80; s++)
		misses(g, a, 2, s * 1000);
	assert_int_equal(guard_blocked(g, a, 80000, &lim), 1);
	guard_free(g);
}

static void
s_sec_2_ipv6_per_64_ipv4_per_address(void **state)
{
	struct guard *g = guard_new(NULL);
	unsigned char a[16], b[16], c[16], d[16], e[16], f[16];

	(void)state;
	addr6("2001:db8:1:2::1", a);
	addr6("2001:db8:1:2:ffff::9", b);   /* same /64 */
	addr6("2001:db8:1:3::1", c);        /* another /64 */
	misses(g, a, 6, 0);
	misses(g, b, 5, 0);
	assert_int_equal(guard_blocked(g, a, 0, &lim), 1);
	assert_int_equal(guard_blocked(g, b, 0, &lim), 1);
	assert_int_equal(guard_blocked(g, c, 0, &lim), 0);
	addr4("198.51.100.1", d);
	addr4("198.51.100.2", e);
	addr6("::ffff:198.51.100.1", f);    /* IPv4-mapped: the IPv4 address */
	misses(g, d, 11, 0);
	assert_int_equal(guard_blocked(g, d, 0, &lim), 1);
	assert_int_equal(guard_blocked(g, f, 0, &lim), 1);
	assert_int_equal(guard_blocked(g, e, 0, &lim), 0);
	guard_free(g);
}

static void
s_sec_2_full_table_keeps_cooldowns(void **state)
{
	struct guard *g = guard_new(NULL);
	unsigned char a[16], x[16];

	(void)state;
	addr4("203.0.113.1", a);
	misses(g, a, 11, 0);
	/* Far more addresses than slots, one miss each: the walker in
	 * cool-down keeps its slot (a slot in cool-down is taken last). */
	for (unsigned i = 0; i < 4 * GUARD_SETS * GUARD_WAYS; i++) {
		memset(x, 0, sizeof(x));
		x[0] = 0x20;
		memcpy(x + 4, &i, sizeof(i));
		guard_miss(g, x, 1, &lim, "test");
	}
	assert_int_equal(guard_blocked(g, a, 2, &lim), 1);
	guard_free(g);
}

static void
s_sec_2_off(void **state)
{
	static const struct guard_limits off = { 0, 60, 30 };
	struct guard *g = guard_new(NULL);
	unsigned char a[16];

	(void)state;
	addr4("192.0.2.9", a);
	for (int i = 0; i < 1000; i++)
		guard_miss(g, a, 0, &off, "test");
	assert_int_equal(guard_blocked(g, a, 0, &off), 0);
	assert_int_equal(guard_blocked(NULL, a, 0, &lim), 0);
	guard_free(g);
}

/* The table is shared by the processes forked after guard_new (the
 * workers): misses counted in two children fill one bucket, so the burst
 * is per address across workers, and the parent sees the cool-down. */
static void
s_sec_2_one_table_for_all_workers(void **state)
{
	struct guard *g = guard_new(NULL);
	unsigned char a[16];
	pid_t pid[2];
	int st;

	(void)state;
	assert_non_null(g);
	addr4("192.0.2.77", a);
	for (int k = 0; k < 2; k++) {
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0) {
			/* 5 misses each, one after the other: 10 in all, the burst */
			for (int i = 0; i < 5; i++)
				guard_miss(g, a, 1000 + k, &lim, "test");
			_exit(guard_blocked(g, a, 1000 + k, &lim) ? 1 : 0);
		}
		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);     /* 10 misses: not yet */
	}
	assert_false(guard_blocked(g, a, 1002, &lim));
	guard_miss(g, a, 1002, &lim, "test");            /* the 11th, in a third process */
	assert_true(guard_blocked(g, a, 1003, &lim));
	guard_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(s_sec_2_burst_then_cooldown_then_free),
		cmocka_unit_test(s_sec_2_the_bucket_drains),
		cmocka_unit_test(s_sec_2_ipv6_per_64_ipv4_per_address),
		cmocka_unit_test(s_sec_2_full_table_keeps_cooldowns),
		cmocka_unit_test(s_sec_2_off),
		cmocka_unit_test(s_sec_2_one_table_for_all_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
