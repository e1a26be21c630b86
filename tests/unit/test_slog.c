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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_log_1_rfc3164_framing),
		cmocka_unit_test(d_log_1_bounded_and_no_control_characters),
		cmocka_unit_test(d_log_1_delivery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
