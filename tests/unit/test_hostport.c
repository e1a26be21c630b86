/*
 * Unit tests of common/hostport: HOST:PORT syntax, the per-address key
 * and the one text form of a peer's address (logs, history).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "hostport.h"

static void
split_forms(void **state)
{
	char host[64];
	const char *port;

	(void)state;
	assert_int_equal(hostport_split("10.0.0.1:514", host, sizeof(host), &port), 0);
	assert_string_equal(host, "10.0.0.1");
	assert_string_equal(port, "514");
	assert_int_equal(hostport_split("[::1]:69", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "69");
	assert_int_equal(hostport_split("syslog.example", host, sizeof(host), &port), 0);
	assert_null(port);
	assert_int_equal(hostport_split("[::1", host, sizeof(host), &port), -1);
	assert_int_equal(hostport_split("[::1]x", host, sizeof(host), &port), -1);
}

static void
format_families(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	unsigned char k4[16], k6[16];
	char out[64];

	(void)state;
	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(514);
	inet_pton(AF_INET, "192.0.2.7", &s4->sin_addr);
	hostport_format(&ss, out, sizeof(out));
	assert_string_equal(out, "192.0.2.7:514");
	hostport_addr_key((struct sockaddr *)&ss, k4);

	/* The same client on a dual-stack socket: one spelling, one key. */
	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(514);
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6->sin6_addr);
	hostport_format(&ss, out, sizeof(out));
	assert_string_equal(out, "192.0.2.7:514");
	hostport_addr_key((struct sockaddr *)&ss, k6);
	assert_memory_equal(k4, k6, 16);

	inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr);
	s6->sin6_port = htons(69);
	hostport_format(&ss, out, sizeof(out));
	assert_string_equal(out, "[2001:db8::1]:69");

	ss.ss_family = AF_UNIX;
	hostport_format(&ss, out, sizeof(out));
	assert_string_equal(out, "?");
	/* Truncated, never overrun. */
	s4->sin_family = AF_INET;
	hostport_format(&ss, out, 5);
	assert_int_equal(strlen(out), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_forms),
		cmocka_unit_test(format_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
