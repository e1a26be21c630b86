/*
 * store: the server's history (S-DEV-3, S-DEV-4): every request answered
 * and every syslog message received, in SQLite (the embedded default; WAL,
 * synchronous=NORMAL). PostgreSQL comes with the scale-out issue behind the
 * same functions.
 *
 * Writing never stalls serving: store_request and store_syslog copy the
 * record into a bounded in-memory queue and return at once; one writer
 * thread per store drains the queue in batches (one transaction per batch,
 * at most STORE_BATCH_MS after the first record). When the queue is full
 * the record is dropped and counted (metrics store_dropped): history is
 * best-effort under overload, serving is not.
 *
 * Threads: store_request/store_syslog may be called from the (one) serving
 * thread; the writer thread is private. Open after fork(), never before.
 */
#ifndef PROV_SERVER_STORE_H
#define PROV_SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_QUEUE_MAX 65536u  /* records waiting for the writer */
#define STORE_BATCH_MAX 4096u   /* records per transaction */
#define STORE_BATCH_MS 200      /* longest a record waits before its commit */
#define STORE_FIELD_MAX 512u    /* longest path / User-Agent / subject kept */
#define STORE_MSG_MAX 2048u     /* longest syslog message kept */
#define STORE_QUEUE_BYTES_MAX (64u * 1024u * 1024u) /* memory held by queued records */
#define STORE_BUSY_MS 5000       /* busy_timeout: wait for another writer's lock */
#define STORE_BUSY_RETRIES 3     /* further attempts at a batch still BUSY */
#define STORE_RETRY_PAUSE_MS 100 /* pause between those attempts */
#define STORE_OUTAGE_MS 8000     /* PostgreSQL unreachable: keep a batch this long */
#define STORE_OPEN_RETRIES 50    /* store_open's setup meeting an immediate BUSY */
#define STORE_OPEN_PAUSE_MS 20   /* pause between those attempts */
#define STORE_QUERY_MAX 1000000u /* most rows one query returns */
#define STORE_QUERY_DEFAULT 100u /* rows returned when the filter says 0 */
#define STORE_TRIM_ROWS 100      /* oldest rows deleted per step over the size cap */
#define STORE_TRIM_STEPS 256     /* steps after one batch: the writer moves on */
#define STORE_LOOKUP_BUSY_MS 50  /* attribution lookup: longest wait for a lock */
#define STORE_LOOKUP_RETRY_MS 5000 /* no database or inventory yet: ask again after */

struct metrics;
struct store;

/* One answered request. Strings are copied (truncated to STORE_FIELD_MAX);
 * NULL means none. */
struct store_req {
	int64_t time_ms;        /* wall clock, unix ms, when the request arrived */
	const char *client;     /* "ADDR" or "[ADDR6]", with ":PORT" */
	const char *proto;      /* "tftp", "http", "https" */
	const char *method;     /* "GET", "HEAD", "PUT", "POST", "RRQ", "WRQ" */
	const char *path;       /* as requested, control characters escaped */
	const char *user_agent;
	const char *mac;        /* 12 lower-case hex digits when the request names
				   a device (file name, client cert, User-Agent) */
	const char *subject;    /* verified client certificate subject */
	int status;             /* HTTP status; TFTP: 200, or 400 + error code */
	uint64_t bytes;         /* body/payload bytes sent (or received: uploads) */
	uint32_t duration_us;
};

/* One syslog message. */
struct store_syslog {
	int64_t time_ms;        /* when received */
	const char *source;     /* "ADDR:PORT" */
	int facility, severity; /* from the PRI, -1 when absent */
	const char *hostname;   /* as in the message, or NULL */
	const char *ident;      /* APP-NAME / TAG, or NULL */
	const char *mac;        /* the device it is attributed to, or NULL: a
				   device of the inventory that the identifier
				   or text names, else the inventory device
				   whose newest request came from the source
				   address (syslogd.c, syslogd_attribute); a
				   12-hex run that is not a device never is.
				   Without an inventory, the MAC it names. */
	const char *text;       /* the message, control characters escaped */
};

/* Opens (creating the schema if needed) the database at url: "sqlite:PATH",
 * a bare PATH or "postgresql://..." (db.h). An existing PostgreSQL schema
 * older than this prov's is upgraded only with STORE_MIGRATE (`prov db
 * migrate`), else it is an error saying so. m may be NULL (no drop
 * counting). Returns 0, or -1 with a reason in err. Starts the writer
 * thread. */
extern const int store_schema_version; /* the version this prov's history has */
#define STORE_MIGRATE 1
#define STORE_PG_LOCK "1886548342" /* the advisory lock of schema changes (inventory's too) */
int store_open(struct store **out, const char *url, struct metrics *m,
	       char *err, size_t errlen) __attribute__((warn_unused_result));
int store_open_how(struct store **out, const char *url, struct metrics *m, int how,
		   char *err, size_t errlen) __attribute__((warn_unused_result));

/* Queue one record; never blocks, never fails loudly (drops and counts).
 * s may be NULL (no history kept: unit tests of the serving modules). */
void store_request(struct store *s, const struct store_req *r);
void store_syslog(struct store *s, const struct store_syslog *r);

/* Retention, applied by the writer after every batch it commits: rows
 * (requests and syslog) older than max_age_ms (wall clock) are deleted,
 * then the oldest rows while the database's pages in use exceed max_bytes
 * (deleted space is reused, so the file stops growing near max_bytes).
 * 0 means no limit, the default. Deleted rows are counted in the metrics
 * (history_expired, history_trimmed). NULL-safe; callable any time (a
 * reload changes the limits). */
void store_retention(struct store *s, int64_t max_age_ms, uint64_t max_bytes);

/* Commits everything queued and stops the writer. NULL-safe. */
void store_close(struct store *s);

/* Returns once every record queued before the call is written (or dropped
 * by a failed commit): for tests, and before answering "what happened".
 * NULL-safe. */
void store_flush(struct store *s);

/* Query side, for `prov log` (reads with its own connection; may run while
 * a server writes). A filter field NULL/0 means no filter. Rows are printed
 * by the callback in time order, oldest first, limited to the last limit. */
struct store_filter {
	const char *mac;
	const char *client;     /* address prefix */
	int64_t since_ms;
	unsigned limit;         /* 0 = 100 */
};
int store_query_requests(const char *url, const struct store_filter *f,
			 void (*row)(void *arg, const struct store_req *r), void *arg,
			 char *err, size_t errlen) __attribute__((warn_unused_result));
int store_query_syslog(const char *url, const struct store_filter *f,
		       void (*row)(void *arg, const struct store_syslog *r), void *arg,
		       char *err, size_t errlen) __attribute__((warn_unused_result));


/* Attribution lookups for the syslog collector, on a read connection of
 * their own (opened on first use; the serving thread calls them, so each
 * waits at most STORE_LOOKUP_BUSY_MS for a lock). What they decide is
 * stored as struct store_syslog's mac, the syslog table's mac column:
 * readers (prov device timeline, the rollout's upgrade results) filter
 * on it with store_query_syslog. NULL when out of memory. */
struct store_lookup;
struct store_lookup *store_lookup_new(const char *url);
void store_lookup_free(struct store_lookup *l);
/* 1 when mac (12 lower-case hex digits) is a device of the inventory, 0
 * when not, -1 when there is no inventory (no device table) or the
 * database failed. */
int store_lookup_device(struct store_lookup *l, const char *mac);
/* The inventory device whose newest request came from addr (the client
 * text without its port: "ADDR", "[ADDR6]"): 1 with mac, 0 none, -1 as
 * above. */
int store_lookup_addr(struct store_lookup *l, const char *addr, char mac[13]);

#endif
