/*
 * metrics: the server's counters (S-OPS-3), kept in one shared anonymous
 * mapping made before the workers fork, so every worker adds to the same
 * numbers and /metrics served by any worker shows the whole server.
 * Fields are C11 atomics updated with relaxed ordering; readers see each
 * counter exact, not a snapshot of all.
 *
 * Usage: atomic_fetch_add_explicit(&m->http_requests, 1, memory_order_relaxed)
 * or the METRIC_ADD shorthand below.
 */
#ifndef PROV_SERVER_METRICS_H
#define PROV_SERVER_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Latency histogram bucket upper bounds, in microseconds (Prometheus
 * le= labels in seconds); one more bucket counts +Inf. */
#define METRICS_LAT_BUCKETS 12
#define METRICS_LAT_BOUNDS_US { 100, 250, 500, 1000, 2500, 5000, 10000, \
	25000, 50000, 100000, 250000, 1000000 }

enum metrics_proto { METRICS_TFTP, METRICS_HTTP, METRICS_HTTPS, METRICS_PROTOS };

struct metrics {
	/* requests answered, by protocol and status class: [proto][0] = 1xx..
	 * [4] = 5xx (TFTP: success counts as 2xx, file not found as 4xx,
	 * any other error packet as 5xx) */
	_Atomic uint64_t requests[METRICS_PROTOS][5];
	_Atomic uint64_t bytes_sent[METRICS_PROTOS];
	_Atomic uint64_t bytes_received[METRICS_PROTOS];
	_Atomic int64_t active[METRICS_PROTOS];      /* connections / transfers now */
	_Atomic uint64_t overload[METRICS_PROTOS];   /* refused by a cap (503 / error pkt) */
	_Atomic uint64_t tftp_retransmits;           /* DATA packets sent again */
	_Atomic uint64_t tftp_timeouts;              /* transfers abandoned after retries */
	_Atomic uint64_t tls_handshakes;
	_Atomic uint64_t tls_resumed;
	_Atomic uint64_t tls_failures;
	_Atomic uint64_t syslog_messages;
	_Atomic uint64_t syslog_dropped;             /* malformed or over a cap */
	_Atomic uint64_t syslog_kernel_dropped;      /* lost in the kernel: receive buffer full */
	_Atomic uint64_t syslog_rate_limited;        /* received, not stored: source over its rate */
	_Atomic uint64_t history_expired;            /* rows deleted for their age */
	_Atomic uint64_t history_trimmed;            /* rows deleted to keep the size cap */
	_Atomic uint64_t store_dropped;              /* history records lost to a full queue */
	_Atomic uint64_t traversal_refused;          /* paths refused by the root */
	_Atomic uint64_t enum_blocked;               /* addresses put in cool-down (guard.h) */
	_Atomic uint64_t enum_refused;               /* requests refused in cool-down */
	_Atomic uint64_t reports_stored;             /* device reports stored (reportd.h) */
	_Atomic uint64_t reports_unknown;            /* reports for unknown or disabled devices */
	_Atomic uint64_t reports_refused;            /* another MAC than the certificate's */
	_Atomic uint64_t reports_bad;                /* too large, undecodable, ill-formed */
	_Atomic uint64_t latency[METRICS_PROTOS][METRICS_LAT_BUCKETS + 1];
	_Atomic uint64_t latency_sum_us[METRICS_PROTOS];
	_Atomic uint64_t latency_count[METRICS_PROTOS];
	_Atomic int64_t start_time;                  /* unix seconds, set by metrics_new */
};

#define METRIC_ADD(field, n) atomic_fetch_add_explicit(&(field), (n), memory_order_relaxed)

/* A zeroed shared mapping, or NULL with errno. Freed with metrics_free. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Records one answered request: its status class and its latency. status
 * is the HTTP status (TFTP: 200 success, 404 not found, 500 other). */
void metrics_request(struct metrics *m, enum metrics_proto p, int status, uint64_t us);

/* Writes the Prometheus text exposition format (version 0.0.4) into out.
 * Returns the length, or 0 when cap is too small. */
size_t metrics_render(const struct metrics *m, char *out, size_t cap);

#endif
