/*
 * metrics: counters shared by all workers, rendered as Prometheus text
 * (metrics.h, S-OPS-3).
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#include "buf.h"

static const uint64_t lat_bounds[METRICS_LAT_BUCKETS] = METRICS_LAT_BOUNDS_US;
static const char *const proto_names[METRICS_PROTOS] = { "tftp", "http", "https" };

struct metrics *
metrics_new(void)
{
	struct metrics *m;

	/* MAP_SHARED | MAP_ANONYMOUS pages are zero-filled and stay shared
	 * with every child forked after this point. */
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	atomic_store(&m->start_time, (int64_t)time(NULL));
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m != NULL)
		munmap(m, sizeof(*m));
}

void
metrics_request(struct metrics *m, enum metrics_proto p, int status, uint64_t us)
{
	int cls = status / 100 - 1;
	unsigned b;

	if (m == NULL || (unsigned)p >= METRICS_PROTOS)
		return;
	if (cls < 0 || cls > 4)
		cls = 4;
	METRIC_ADD(m->requests[p][cls], 1);
	for (b = 0; b < METRICS_LAT_BUCKETS && us > lat_bounds[b]; b++)
		;
	METRIC_ADD(m->latency[p][b], 1);
	METRIC_ADD(m->latency_sum_us[p], us);
	METRIC_ADD(m->latency_count[p], 1);
}

/* The page being rendered: a fixed-mode buf over the caller's storage. */
struct out {
	struct buf b;
	int full;      /* something did not fit: render nothing */
};

__attribute__((format(printf, 2, 3)))
static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->full)
		return;
	va_start(ap, fmt);
	if (buf_vaddf(&o->b, fmt, ap) != PROV_OK)
		o->full = 1;
	va_end(ap);
}

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))
#define LOADS(x) ((long long)atomic_load_explicit(&(x), memory_order_relaxed))

static void
per_proto(struct out *o, const char *name, const char *help, const char *type,
	  const _Atomic uint64_t *v)
{
	int p;

	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (p = 0; p < METRICS_PROTOS; p++)
		put(o, "%s{proto=\"%s\"} %llu\n", name, proto_names[p], LOAD(v[p]));
}

static void
single(struct out *o, const char *name, const char *help, unsigned long long v)
{
	put(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, v);
}

size_t
metrics_render(const struct metrics *cm, char *buf, size_t cap)
{
	struct metrics *m = (struct metrics *)(uintptr_t)cm; /* atomics load from non-const */
	struct out o = { .full = 0 };
	static const char *const cls[5] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	int p, c, b;

	if (cap == 0)
		return 0;
	buf_init_fixed(&o.b, buf, cap);
	put(&o, "# HELP prov_requests_total Requests answered, by protocol and status class.\n"
		"# TYPE prov_requests_total counter\n");
	for (p = 0; p < METRICS_PROTOS; p++)
		for (c = 0; c < 5; c++)
			put(&o, "prov_requests_total{proto=\"%s\",class=\"%s\"} %llu\n",
			    proto_names[p], cls[c], LOAD(m->requests[p][c]));
	per_proto(&o, "prov_bytes_sent_total", "Payload bytes sent.", "counter", m->bytes_sent);
	per_proto(&o, "prov_bytes_received_total", "Payload bytes received (uploads).", "counter",
		  m->bytes_received);
	put(&o, "# HELP prov_active Connections or transfers in progress.\n"
		"# TYPE prov_active gauge\n");
	for (p = 0; p < METRICS_PROTOS; p++)
		put(&o, "prov_active{proto=\"%s\"} %lld\n", proto_names[p], LOADS(m->active[p]));
	per_proto(&o, "prov_overload_total", "Requests refused by a cap (503 or TFTP error).",
		  "counter", m->overload);
	single(&o, "prov_tftp_retransmits_total", "TFTP DATA packets sent again.",
	       LOAD(m->tftp_retransmits));
	single(&o, "prov_tftp_timeouts_total", "TFTP transfers abandoned after their retries.",
	       LOAD(m->tftp_timeouts));
	single(&o, "prov_tls_handshakes_total", "TLS handshakes completed.", LOAD(m->tls_handshakes));
	single(&o, "prov_tls_resumed_total", "TLS handshakes that resumed a session.",
	       LOAD(m->tls_resumed));
	single(&o, "prov_tls_failures_total", "TLS handshakes that failed.", LOAD(m->tls_failures));
	single(&o, "prov_syslog_messages_total", "Syslog messages received.",
	       LOAD(m->syslog_messages));
	single(&o, "prov_syslog_dropped_total", "Syslog datagrams dropped.", LOAD(m->syslog_dropped));
	single(&o, "prov_syslog_kernel_dropped_total",
	       "Syslog datagrams the kernel dropped (receive buffer full).",
	       LOAD(m->syslog_kernel_dropped));
	single(&o, "prov_syslog_rate_limited_total",
	       "Syslog messages not stored: their source was over its rate.",
	       LOAD(m->syslog_rate_limited));
	single(&o, "prov_history_expired_total", "History rows deleted for their age.",
	       LOAD(m->history_expired));
	single(&o, "prov_history_trimmed_total", "History rows deleted to keep the size cap.",
	       LOAD(m->history_trimmed));
	single(&o, "prov_store_dropped_total", "History records lost to a full queue.",
	       LOAD(m->store_dropped));
	single(&o, "prov_traversal_refused_total", "Request paths refused for leaving the root.",
	       LOAD(m->traversal_refused));
	single(&o, "prov_enum_blocked_total",
	       "Client addresses refused for a cool-down after too many misses.",
	       LOAD(m->enum_blocked));
	single(&o, "prov_enum_refused_total", "Requests refused during a miss cool-down.",
	       LOAD(m->enum_refused));
	single(&o, "prov_reports_stored_total", "Device reports stored.",
	       LOAD(m->reports_stored));
	single(&o, "prov_reports_unknown_total",
	       "Reports refused: unknown or disabled device.", LOAD(m->reports_unknown));
	single(&o, "prov_reports_refused_total",
	       "Reports refused: another MAC than the certificate's, or no certificate.",
	       LOAD(m->reports_refused));
	single(&o, "prov_reports_bad_total", "Reports refused: too large, undecodable, ill-formed.",
	       LOAD(m->reports_bad));
	put(&o, "# HELP prov_request_duration_seconds Time from request to last byte queued.\n"
		"# TYPE prov_request_duration_seconds histogram\n");
	for (p = 0; p < METRICS_PROTOS; p++) {
		unsigned long long cum = 0;

		for (b = 0; b < METRICS_LAT_BUCKETS; b++) {
			cum += LOAD(m->latency[p][b]);
			put(&o, "prov_request_duration_seconds_bucket{proto=\"%s\",le=\"%g\"} %llu\n",
			    proto_names[p], (double)lat_bounds[b] / 1e6, cum);
		}
		cum += LOAD(m->latency[p][METRICS_LAT_BUCKETS]);
		put(&o, "prov_request_duration_seconds_bucket{proto=\"%s\",le=\"+Inf\"} %llu\n",
		    proto_names[p], cum);
		put(&o, "prov_request_duration_seconds_sum{proto=\"%s\"} %.6f\n", proto_names[p],
		    (double)LOAD(m->latency_sum_us[p]) / 1e6);
		put(&o, "prov_request_duration_seconds_count{proto=\"%s\"} %llu\n", proto_names[p],
		    LOAD(m->latency_count[p]));
	}
	put(&o, "# HELP prov_start_time_seconds When the server started (unix time).\n"
		"# TYPE prov_start_time_seconds gauge\nprov_start_time_seconds %lld\n",
	    LOADS(m->start_time));
	return o.full ? 0 : o.b.len;
}
