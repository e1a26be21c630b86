/*
 * fleet: `prov fleet`, many simulated phones in one process (fleet.c), and
 * what it measures of them (fleet_stats.c): attempts, outcomes by $ERR,
 * latency percentiles and a timeline of resyncs/s and p99 latency, printed
 * as a summary and written as JSON and an SVG chart (--report).
 *
 * Single-threaded, like the loop that drives it. server.md S-SCL-3;
 * spec/interfaces.md `prov fleet`.
 */
#ifndef PROV_CLI_FLEET_H
#define PROV_CLI_FLEET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FLEET_COUNT_MAX 1000000u        /* most phones one fleet simulates */
#define FLEET_CONCURRENCY_DEFAULT 256u  /* resyncs in flight without --concurrency */
#define FLEET_CONCURRENCY_MAX 100000u   /* most resyncs in flight */
#define FLEET_DURATION_MAX (30L * 86400L) /* longest --duration, seconds */
#define FLEET_LONG_RETRY_S 10           /* a failed resync whose next attempt is
					 * further away than this sent its phone
					 * into a long retry: Resync_Error_Retry_Delay
					 * waits 60 s, then 120 s, ... by default,
					 * a retransmission seconds */
#define FLEET_DRAIN_MS 30000            /* after --duration, resyncs in flight
					 * get this long to end; the rest are
					 * cancelled (and counted) */
#define FLEET_BOOT_JITTER_MS 1000        /* --boot-storm: phones finish booting
					 * this far apart at most */
#define FLEET_SETS_MAX 64               /* --set options */
#define FLEET_ERRS_MAX 32               /* distinct $ERR kept; more count as "other" */
#define FLEET_ERR_LEN 96                /* longest $ERR kept, NUL included */
#define FLEET_HIST_BUCKETS 320          /* log-linear latency buckets: 8 per
					 * power of two of microseconds */
#define FLEET_SLOTS 256                 /* timeline intervals; when full,
					 * neighbours merge and the width doubles */
#define FLEET_SLOT_US 1000000           /* first width of an interval: 1 s */
#define FLEET_NET_TRANSFERS 256        /* transfers in flight per libcurl multi
					 * handle (fleet.c, struct fleet_net) */
#define FLEET_FDS_SPARE 64              /* fds kept for everything but transfers */

struct fleet_slot {
	uint64_t done;                      /* resyncs that ended in it */
	uint64_t ok;
	uint64_t lat[FLEET_HIST_BUCKETS];
};

struct fleet_stats {
	int64_t t0_us;                      /* monotonic start */
	int64_t end_us;                     /* monotonic end (0: running) */
	uint64_t attempts, ok, failed, cancelled;
	uint64_t long_retries;              /* failed resyncs followed by a long retry */
	uint64_t provisioned;               /* phones with a successful resync */
	int64_t last_provisioned_us;        /* when the last of them got there (since t0) */
	uint64_t lat[FLEET_HIST_BUCKETS];
	int64_t lat_max_us;
	struct {
		char err[FLEET_ERR_LEN];
		uint64_t n;
	} errs[FLEET_ERRS_MAX];
	size_t nerrs;
	uint64_t errs_other;
	struct fleet_slot *slots;           /* FLEET_SLOTS of them */
	size_t nslots;                      /* used */
	int64_t width_us;                   /* of one slot */
};

/* Caller storage; 0 or -1 (out of memory). */
int fleet_stats_init(struct fleet_stats *st, int64_t t0_us);
void fleet_stats_fini(struct fleet_stats *st);

/* One resync ended at now_us after lat_us: err is its $ERR ("" or NULL
 * on success). */
void fleet_stats_add(struct fleet_stats *st, int64_t now_us, int ok, const char *err,
		     int64_t lat_us);

/* The latency (us) under which a fraction q (0..1) of the counted
 * resyncs ended: the upper bound of its bucket (at most 12.5 % high). */
int64_t fleet_hist_pct(const uint64_t *h, double q);

/* What the run was, for the summary and the report. */
struct fleet_info {
	unsigned long count;
	const char *rule;
	int storm;
	unsigned long concurrency;
	double cpu_s;                       /* user + system of the run (not the set-up) */
	long rss_peak_kb;                   /* VmHWM */
	long rss_kb;                        /* VmRSS at the end, all phones held */
	double load1;                       /* load average when it ended */
};

void fleet_summary(FILE *out, const struct fleet_stats *st, const struct fleet_info *in);
/* Writes PATH (JSON) and the chart beside it (PATH without ".json", plus
 * ".svg"). 0, or -1 after printing why. */
int fleet_report(const char *path, const struct fleet_stats *st, const struct fleet_info *in);

/* The bucket of a latency, and the largest latency in a bucket. */
size_t fleet_hist_bucket(int64_t us);
int64_t fleet_hist_upper(size_t bucket);

#endif
