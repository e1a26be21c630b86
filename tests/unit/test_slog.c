/*
 * Unit tests of slog: RFC 3164 framing and UDP delivery to Syslog_Server
 * and Debug_Server. device.md D-LOG-1, D-LOG-2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slog.h"

/* 2026-11-28 06:05:09 (a local wall-clock reading). */
#define WALL 1795845909

static void
d_log_1_rfc3164_framing(void **state)
{
	char out[SLOG_MAX + 1];
	size_t n;

	(void)state;
	n = slog_format(out, sizeof(out), SLOG_NOTICE, WALL, NULL,
			"CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync tftp://192.0.2.200:69/basic.txt");
	assert_string_equal(out, "<133>Nov 28 06:05:09 CP-8841-3PCC 00:0e:08:ab:cd:ef -- "
			    "Requesting resync tftp://192.0.2.200:69/basic.txt");
	assert_int_equal(n, strlen(out));
	/* Syslog_Identifier puts the identity after the timestamp; days under
	 * 10 are space-padded. */
	slog_format(out, sizeof(out), SLOG_ERR, WALL - 27 * 86400, "000e08abcdef", "x");
	assert_string_equal(out, "<131>Nov  1 06:05:09 000e08abcdef x");
	slog_format(out, sizeof(out), SLOG_INFO, WALL, "", "y");
	assert_string_equal(out, "<134>Nov 28 06:05:09 y");
}

static void
d_log_1_bounded_and_no_control_characters(void **state)
{
	char out[SLOG_MAX + 1], big[3000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(slog_format(out, sizeof(out), SLOG_INFO, WALL, NULL, big), SLOG_MAX);
	slog_format(out, sizeof(out), SLOG_INFO, WALL, NULL, "line\nforged <13>x\r");
	assert_null(strchr(out, '\n'));
	assert_null(strchr(out, '\r'));
}

static int
udp_listener(unsigned short *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Receives one datagram (or "" after 2 s). */
static void
recv_one(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	buf[0] = '\0';
	if (poll(&p, 1, 2000) != 1)
		return;
	n = recv(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

static int
pending(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 50) == 1;
}

/* D-LOG-1: messages reach Syslog_Server and Debug_Server; debug-level ones
 * only the debug server; one copy when both name the same server. */
static void
d_log_1_delivery(void **state)
{
	struct slog *s = NULL;
	struct diag d;
	unsigned short p1, p2;
	int f1 = udp_listener(&p1), f2 = udp_listener(&p2);
	char spec1[64], spec2[64], got[SLOG_MAX + 1];

	(void)state;
	diag_init(&d);
	assert_int_equal(slog_new(&s), PROV_OK);
	snprintf(spec1, sizeof(spec1), "127.0.0.1:%u", p1);
	snprintf(spec2, sizeof(spec2), "localhost:%u", p2);
	assert_int_equal(slog_config(s, spec1, spec2, &d), PROV_OK);
	assert_int_equal(slog_send(s, SLOG_NOTICE, 0, WALL, NULL, "hello"), 2);
	recv_one(f1, got, sizeof(got));
	assert_string_equal(got, "<133>Nov 28 06:05:09 hello");
	recv_one(f2, got, sizeof(got));
	assert_string_equal(got, "<133>Nov 28 06:05:09 hello");
	assert_int_equal(slog_send(s, SLOG_DEBUG, 1, WALL, NULL, "detail"), 1);
	recv_one(f2, got, sizeof(got));
	assert_string_equal(got, "<135>Nov 28 06:05:09 detail");
	assert_false(pending(f1));
	assert_int_equal(slog_config(s, spec1, spec1, &d), PROV_OK);
	assert_int_equal(slog_send(s, SLOG_NOTICE, 0, WALL, NULL, "once"), 1);
	recv_one(f1, got, sizeof(got));
	assert_false(pending(f1));
	/* Empty: silent. */
	assert_int_equal(slog_config(s, "", "", &d), PROV_OK);
	assert_int_equal(slog_send(s, SLOG_NOTICE, 0, WALL, NULL, "none"), 0);
	/* An unresolvable name is reported, the other destination kept. */
	assert_int_equal(slog_config(s, spec1, "no-such-host.invalid", &d), PROV_E_INVAL);
	assert_non_null(strstr(d.msg, "no-such-host.invalid"));
	assert_int_equal(slog_send(s, SLOG_NOTICE, 0, WALL, NULL, "still"), 1);
	close(f1);
	close(f2);
	slog_free(s);
}

/* A UDP port on addr (AF_INET or AF_INET6 loopback) where nothing listens. */
static unsigned short
closed_port(int family)
{
	struct sockaddr_storage a;
	socklen_t al = sizeof(a);
	int fd = socket(family, SOCK_DGRAM, 0);
	unsigned short port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.ss_family = (sa_family_t)family;
	if (family == AF_INET6)
		((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
	else
		((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, family == AF_INET6 ?
			      sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	port = family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&a)->sin6_port)
				  : ntohs(((struct sockaddr_in *)&a)->sin_port);
	close(fd);
	return port;
}

static int
udp6_listener(unsigned short *port)
{
	struct sockaddr_in6 a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin6_port);
	return fd;
}

/* D-LOG-1 with a name of several addresses ("localhost" is ::1 then
 * 127.0.0.1 on a stock Debian): the first message already reaches the
 * address where the collector listens, whichever family comes first. */
static void
d_log_1_every_address_tried(void **state)
{
	struct slog *s = NULL;
	struct diag d;
	unsigned short p4, p6;
	int f4 = udp_listener(&p4), f6 = udp6_listener(&p6);
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct addrinfo ai4 = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM,
				.ai_addrlen = sizeof(a4), .ai_addr = (struct sockaddr *)&a4 };
	struct addrinfo ai6 = { .ai_family = AF_INET6, .ai_socktype = SOCK_DGRAM,
				.ai_addrlen = sizeof(a6), .ai_addr = (struct sockaddr *)&a6 };
	char got[SLOG_MAX + 1];

	(void)state;
	if (f6 < 0) {
		close(f4);
		skip();
	}
	diag_init(&d);
	assert_int_equal(slog_new(&s), PROV_OK);
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a6.sin6_addr = in6addr_loopback;
	/* ::1 first, nothing there: 127.0.0.1 gets the first message. */
	a6.sin6_port = htons(closed_port(AF_INET6));
	a4.sin_port = htons(p4);
	ai6.ai_next = &ai4;
	slog_set_addrs(s, 0, &ai6);
	assert_int_equal(slog_send(s, SLOG_NOTICE, 0, WALL, NULL, "to v4"), 1);
	recv_one(f4, got, sizeof(got));
	assert_string_equal(got, "<133>Nov 28 06:05:09 to v4");
	assert_int_equal(slog_send(s, SLOG_NOTICE, 0, WALL, NULL, "again"), 1);
	recv_one(f4, got, sizeof(got));
	assert_string_equal(got, "<133>Nov 28 06:05:09 again");
	/* 127.0.0.1 first, nothing there: ::1 gets it. */
	ai6.ai_next = NULL;
	a4.sin_port = htons(closed_port(AF_INET));
	a6.sin6_port = htons(p6);
	ai4.ai_next = &ai6;
	slog_set_addrs(s, 0, &ai4);
	assert_int_equal(slog_send(s, SLOG_NOTICE, 0, WALL, NULL, "to v6"), 1);
	recv_one(f6, got, sizeof(got));
	assert_string_equal(got, "<133>Nov 28 06:05:09 to v6");
	assert_false(pending(f4));
	assert_int_equal(slog_dropped(s), 0);
	/* "localhost" reaches a collector on ::1 too, when it names ::1. */
	{
		struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL, *r;
		int has6 = 0;
		char spec[64];

		if (getaddrinfo("localhost", NULL, &hints, &res) == 0) {
			for (r = res; r != NULL; r = r->ai_next)
				has6 |= r->ai_family == AF_INET6;
			freeaddrinfo(res);
		}
		snprintf(spec, sizeof(spec), "localhost:%u", p6);
		if (has6) {
			assert_int_equal(slog_config(s, spec, "", &d), PROV_OK);
			assert_int_equal(slog_send(s, SLOG_NOTICE, 0, WALL, NULL, "name"), 1);
			recv_one(f6, got, sizeof(got));
			assert_string_equal(got, "<133>Nov 28 06:05:09 name");
		}
	}
	close(f4);
	close(f6);
	slog_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_log_1_rfc3164_framing),
		cmocka_unit_test(d_log_1_bounded_and_no_control_characters),
		cmocka_unit_test(d_log_1_delivery),
		cmocka_unit_test(d_log_1_every_address_tried),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
