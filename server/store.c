/*
 * store: the server's history in SQLite. See store.h.
 *
 * Write side: records are copied into one allocation each and chained on
 * a FIFO list (bounded by count and by bytes) under a mutex; the writer
 * thread sleeps on a condition variable, gathers up to STORE_BATCH_MAX
 * records or waits STORE_BATCH_MS after the first one, and writes the
 * batch in one BEGIN IMMEDIATE ... COMMIT transaction through statements
 * prepared once. Several processes may write one file: WAL lets readers
 * run beside the one writer, and busy_timeout queues the writers; a batch
 * that still meets DB_BUSY is retried a few times and then dropped.
 *
 * Read side: store_query.c, a separate read-only connection per query,
 * so `prov log` never creates a database and never blocks a running server.
 */
#include "store.h"
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include "db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "clock.h"

enum store_kind { STORE_KIND_REQ, STORE_KIND_SYSLOG };

/* One queued record: the struct and, after it, the strings it points to. */
struct store_rec {
	struct store_rec *next;
	size_t size;             /* bytes charged against STORE_QUEUE_BYTES_MAX */
	int64_t queued_ms;       /* monotonic, for the STORE_BATCH_MS deadline */
	enum store_kind kind;
	union {
		struct store_req req;
		struct store_syslog sys;
	} u;
	char strings[];
};

struct store {
	struct db *db;             /* the writer's connection: writer thread only
				    once store_open returns */
	struct db_stmt *ins_req, *ins_sys;
	/* retention, per table (request, syslog): rows older than, the oldest
	 * rows, the oldest time; and the bytes in use */
	struct db_stmt *expire[2], *trim[2], *oldest[2], *used;
	struct metrics *m;
	char *path;

	pthread_t thread;
	pthread_mutex_t mu;      /* guards everything below */
	pthread_cond_t wake;     /* writer: records queued, stop, flush */
	pthread_cond_t done_cv;  /* store_flush: a batch is finished */
	struct store_rec *head, *tail;
	unsigned n;              /* records queued */
	size_t bytes;            /* their sizes */
	uint64_t accepted;       /* records ever queued */
	uint64_t done;           /* records ever taken and finished (written or dropped) */
	uint64_t flush_to;       /* store_flush wants done >= this */
	int64_t keep_ms;         /* store_retention: age limit, 0 = none */
	uint64_t keep_bytes;     /* store_retention: size limit, 0 = none */
	int stop;
};

/*
 * The schema, by version (PRAGMA user_version). store_migrations[i] takes a
 * database from version i to i + 1; a new table or column is a new entry,
 * never an edit of an old one, so every database reaches the same schema.
 */
static const char *const store_migrations[] = {
	/* 0 -> 1: request and syslog history */
	"CREATE TABLE IF NOT EXISTS request ("
	" id INTEGER PRIMARY KEY,"
	" time_ms INTEGER NOT NULL,"
	" client TEXT, proto TEXT, method TEXT, path TEXT, user_agent TEXT,"
	" mac TEXT, subject TEXT,"
	" status INTEGER NOT NULL, bytes INTEGER NOT NULL, duration_us INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS request_mac_time ON request (mac, time_ms);"
	"CREATE INDEX IF NOT EXISTS request_time ON request (time_ms);"
	"CREATE TABLE IF NOT EXISTS syslog ("
	" id INTEGER PRIMARY KEY,"
	" time_ms INTEGER NOT NULL,"
	" source TEXT, facility INTEGER, severity INTEGER,"
	" hostname TEXT, ident TEXT, mac TEXT, text TEXT);"
	"CREATE INDEX IF NOT EXISTS syslog_mac_time ON syslog (mac, time_ms);"
	"CREATE INDEX IF NOT EXISTS syslog_time ON syslog (time_ms);",
	/* 1 -> 2: a device's last known address (syslog attribution,
	 * store_lookup_addr) */
	"CREATE INDEX IF NOT EXISTS request_client_time ON request (client, time_ms);",
};
#define STORE_SCHEMA_VERSION ((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))
const int store_schema_version = STORE_SCHEMA_VERSION;

static const char store_ins_req_sql[] =
	"INSERT INTO request (time_ms, client, proto, method, path, user_agent, mac,"
	" subject, status, bytes, duration_us) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)";
static const char store_ins_sys_sql[] =
	"INSERT INTO syslog (time_ms, source, facility, severity, hostname, ident, mac,"
	" text) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)";

/* Retention (store_retain); ?1 is a time or a row count. */
static const char *const store_retain_sql[4][2] = {
	{ "DELETE FROM request WHERE time_ms < ?1", "DELETE FROM syslog WHERE time_ms < ?1" },
	{ "DELETE FROM request WHERE id IN (SELECT id FROM request ORDER BY time_ms LIMIT ?1)",
	  "DELETE FROM syslog WHERE id IN (SELECT id FROM syslog ORDER BY time_ms LIMIT ?1)" },
	{ "SELECT min(time_ms) FROM request", "SELECT min(time_ms) FROM syslog" },
	{ "SELECT (p.page_count - f.freelist_count) * s.page_size FROM pragma_page_count() p,"
	  " pragma_freelist_count() f, pragma_page_size() s", NULL },
};

/* The file of an SQLite URL, or the PostgreSQL URL without its password
 * (for messages); NULL for what is not a database URL. */
const char *
store_url_path(const char *url)
{
	static __thread char safe[512];

	if (db_url_is_pg(url)) {
		db_url_safe(url, safe, sizeof(safe));
		return safe;
	}
	return db_url_path(url);
}

int
store_url_err(const char *url, char *err, size_t errlen)
{
	snprintf(err, errlen, "'%s': not a database URL (sqlite:PATH or postgresql://...)",
		 url ? url : "");
	return -1;
}

/* ---- schema ---------------------------------------------------------------- */

/* Brings the schema to STORE_SCHEMA_VERSION in one transaction, so workers
 * opening at once (or a kill in the middle) never see half a schema.
 * Returns DB_OK, or an SQLite code with the reason in err. */
static int
store_migrate(struct db *db, const char *path, int how, char *err, size_t errlen)
{
	int version = 0, rc, pg = db_kind(db) == DB_PG;

	rc = db_begin(db);
	if (rc == DB_OK && pg)
		rc = db_exec(db, "SELECT pg_advisory_xact_lock(" STORE_PG_LOCK ")");
	if (rc != DB_OK)
		goto fail;
	if ((rc = db_schema_version(db, "history", &version)) != DB_OK)
		goto fail;
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: database schema %d is newer than this prov (%d)",
			 path, version, STORE_SCHEMA_VERSION);
		db_exec(db, "ROLLBACK");
		return DB_ERROR;
	}
	if (pg && version > 0 && version < STORE_SCHEMA_VERSION && !(how & STORE_MIGRATE)) {
		snprintf(err, errlen, "%s: history schema %d is older than this prov's (%d):"
			 " run 'prov db migrate --db URL'", path, version, STORE_SCHEMA_VERSION);
		db_exec(db, "ROLLBACK");
		return DB_ERROR;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		rc = db_exec_schema(db, store_migrations[version]);
		if (rc != DB_OK)
			goto fail;
	}
	if ((rc = db_schema_version_set(db, "history", STORE_SCHEMA_VERSION)) != DB_OK)
		goto fail;
	if ((rc = db_exec(db, "COMMIT")) != DB_OK)
		goto fail;
	return DB_OK;
fail:
	snprintf(err, errlen, "%s: schema: %s", path, db_errmsg(db));
	if (!db_get_autocommit(db))
		db_exec(db, "ROLLBACK");
	return rc;
}

/* WAL, synchronous=NORMAL and the schema. Several workers opening a new
 * file at once race to convert it to WAL, and SQLite answers some of those
 * races with DB_BUSY at once rather than through the busy handler: the
 * whole setup is retried then. */
static int
store_setup(struct db *db, const char *path, int how, char *err, size_t errlen)
{
	int rc = DB_OK;

	for (int attempt = 0; attempt < STORE_OPEN_RETRIES; attempt++) {
		if (attempt > 0) {
			struct timespec pause = { 0, STORE_OPEN_PAUSE_MS * 1000000L };

			nanosleep(&pause, NULL);
		}
		/* WAL: readers (prov log, other workers) never block the writer;
		 * with synchronous=NORMAL a power loss may lose the last commits
		 * but never leaves a mixed or corrupt database (R-CRASH). */
		rc = db_kind(db) == DB_PG ? DB_OK : db_exec(db, "PRAGMA journal_mode=WAL");
		if (rc == DB_OK && db_kind(db) != DB_PG)
			rc = db_exec(db, "PRAGMA synchronous=NORMAL");
		if (rc != DB_OK)
			snprintf(err, errlen, "%s: %s", path, db_errmsg(db));
		else
			rc = store_migrate(db, path, how, err, errlen);
		if (rc != DB_BUSY && rc != DB_LOCKED)
			break;
	}
	return rc == DB_OK ? 0 : -1;
}

/* ---- the writer ------------------------------------------------------------- */

static void
store_bind_text(struct db_stmt *st, int i, const char *s)
{
	if (s != NULL)
		db_bind_text(st, i, s, -1, DB_STATIC);
	else
		db_bind_null(st, i);
}

static void
store_bind_int_or_null(struct db_stmt *st, int i, int v)
{
	if (v >= 0)
		db_bind_int(st, i, v);
	else
		db_bind_null(st, i);
}

static int
store_insert(struct store *s, const struct store_rec *r)
{
	struct db_stmt *st;
	int rc;

	if (r->kind == STORE_KIND_REQ) {
		const struct store_req *q = &r->u.req;

		st = s->ins_req;
		db_bind_int64(st, 1, q->time_ms);
		store_bind_text(st, 2, q->client);
		store_bind_text(st, 3, q->proto);
		store_bind_text(st, 4, q->method);
		store_bind_text(st, 5, q->path);
		store_bind_text(st, 6, q->user_agent);
		store_bind_text(st, 7, q->mac);
		store_bind_text(st, 8, q->subject);
		db_bind_int(st, 9, q->status);
		db_bind_int64(st, 10, q->bytes > INT64_MAX ? INT64_MAX : (int64_t)q->bytes);
		db_bind_int64(st, 11, q->duration_us);
	} else {
		const struct store_syslog *y = &r->u.sys;

		st = s->ins_sys;
		db_bind_int64(st, 1, y->time_ms);
		store_bind_text(st, 2, y->source);
		store_bind_int_or_null(st, 3, y->facility);
		store_bind_int_or_null(st, 4, y->severity);
		store_bind_text(st, 5, y->hostname);
		store_bind_text(st, 6, y->ident);
		store_bind_text(st, 7, y->mac);
		store_bind_text(st, 8, y->text);
	}
	rc = db_step(st);
	db_reset(st);
	db_clear_bindings(st);
	return rc == DB_DONE ? DB_OK : rc;
}

/* Writes one batch in one transaction. BUSY (another process held the lock
 * past busy_timeout) is retried; anything else, or BUSY every time, drops
 * the batch: history is best-effort, the writer must go on. A PostgreSQL
 * that cannot be reached (a restart, a failover) is waited for up to
 * STORE_OUTAGE_MS, once a second, while new records queue (within the
 * queue's bounds), so a short outage loses no history. */
static void
store_write_batch(struct store *s, struct store_rec *batch, unsigned count)
{
	int64_t outage_end = 0;
	char msg[256] = "";
	int rc = DB_OK;

	for (int attempt = 0; attempt <= STORE_BUSY_RETRIES; attempt++) {
		if (attempt > 0) {
			long ms = outage_end != 0 ? 1000 : STORE_RETRY_PAUSE_MS * attempt;
			struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };

			nanosleep(&pause, NULL);
		}
		rc = db_begin(s->db);
		for (const struct store_rec *r = batch; rc == DB_OK && r != NULL; r = r->next)
			rc = store_insert(s, r);
		if (rc == DB_OK)
			rc = db_exec(s->db, "COMMIT");
		if (rc == DB_OK)
			return;
		snprintf(msg, sizeof(msg), "%s", db_errmsg(s->db));
		if (!db_get_autocommit(s->db))
			db_exec(s->db, "ROLLBACK");
		if (rc != DB_BUSY && rc != DB_LOCKED)
			break;
		if (db_unavailable(s->db)) {
			if (outage_end == 0)
				outage_end = clock_mono_ms() + STORE_OUTAGE_MS;
			if (clock_mono_ms() < outage_end)
				attempt = 0; /* the next pause is a second */
		}
	}
	log_msg(LOG_ERR, "store: %s: %u history records dropped: %s", s->path, count, msg);
	if (s->m != NULL)
		METRIC_ADD(s->m->store_dropped, count);
}

/* Runs one statement with ?1 = v (when bind); returns the rows changed, or
 * the first column of its row, or -1 on error. */
static int64_t
store_step(struct store *s, struct db_stmt *st, int bind, int64_t v, int changes)
{
	int64_t out = -1;
	int rc;

	if (bind)
		db_bind_int64(st, 1, v);
	rc = db_step(st);
	if (rc == DB_ROW)
		out = db_column_type(st, 0) == DB_NULL ? INT64_MAX : db_column_int64(st, 0);
	else if (rc == DB_DONE)
		out = changes ? db_changes(s->db) : 0;
	else
		log_msg(LOG_WARNING, "store: %s: retention: %s", s->path, db_errmsg(s->db));
	db_reset(st);
	return out;
}

/* Retention, after each batch: rows older than keep_ms go, then, while the
 * pages in use exceed keep_bytes, the oldest STORE_TRIM_ROWS of whichever
 * table holds the oldest row. Freed pages are reused by later inserts, so
 * the file stops growing near keep_bytes. Errors (logged) are retried
 * after the next batch; history is best-effort. */
static void
store_retain(struct store *s)
{
	int64_t keep_ms, n, now;
	uint64_t keep_bytes;
	struct timespec ts;

	pthread_mutex_lock(&s->mu);
	keep_ms = s->keep_ms;
	keep_bytes = s->keep_bytes;
	pthread_mutex_unlock(&s->mu);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (int k = 0; keep_ms > 0 && k < 2; k++) {
		n = store_step(s, s->expire[k], 1, now - keep_ms, 1);
		if (n > 0 && s->m != NULL)
			METRIC_ADD(s->m->history_expired, (uint64_t)n);
	}
	/* No size limit on PostgreSQL (s->used NULL): its database does not
	 * shrink when rows go (VACUUM reuses the space), so a size read would
	 * stay over the limit and trim the history away batch by batch. The
	 * age limit applies; space is the DBA's (docs/SIZING.md). */
	for (int step = 0; keep_bytes > 0 && s->used != NULL && step < STORE_TRIM_STEPS; step++) {
		int64_t used = store_step(s, s->used, 0, 0, 0);
		int64_t t0 = store_step(s, s->oldest[0], 0, 0, 0);
		int64_t t1 = store_step(s, s->oldest[1], 0, 0, 0);

		if (used < 0 || t0 < 0 || t1 < 0 || (uint64_t)used <= keep_bytes
		    || (t0 == INT64_MAX && t1 == INT64_MAX))
			break;
		n = store_step(s, s->trim[t1 < t0], 1, STORE_TRIM_ROWS, 1);
		if (n <= 0)
			break;
		if (s->m != NULL)
			METRIC_ADD(s->m->history_trimmed, (uint64_t)n);
	}
}

void
store_retention(struct store *s, int64_t max_age_ms, uint64_t max_bytes)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->keep_ms = max_age_ms > 0 ? max_age_ms : 0;
	s->keep_bytes = max_bytes;
	pthread_mutex_unlock(&s->mu);
}

static void *
store_writer(void *arg)
{
	struct store *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct store_rec *batch, *last, *r;
		unsigned count = 0;
		size_t bytes = 0;

		while (s->head == NULL && !s->stop)
			pthread_cond_wait(&s->wake, &s->mu);
		if (s->head == NULL)
			break; /* stopping, and nothing left */
		/* Gather: a fuller batch is a cheaper commit, but no record waits
		 * longer than STORE_BATCH_MS after it was queued. */
		while (!s->stop && s->flush_to <= s->done && s->n < STORE_BATCH_MAX) {
			int64_t due = s->head->queued_ms + STORE_BATCH_MS;
			struct timespec ts;

			if (clock_mono_ms() >= due)
				break;
			ts.tv_sec = due / 1000;
			ts.tv_nsec = (due % 1000) * 1000000L;
			if (pthread_cond_timedwait(&s->wake, &s->mu, &ts) == ETIMEDOUT)
				break;
		}
		batch = last = s->head;
		for (r = s->head; r != NULL && count < STORE_BATCH_MAX; r = r->next) {
			last = r;
			count++;
			bytes += r->size;
		}
		s->head = last->next;
		if (s->head == NULL)
			s->tail = NULL;
		last->next = NULL;
		s->n -= count;
		s->bytes -= bytes;
		pthread_mutex_unlock(&s->mu);

		store_write_batch(s, batch, count);
		store_retain(s);
		while (batch != NULL) {
			r = batch->next;
			free(batch);
			batch = r;
		}

		pthread_mutex_lock(&s->mu);
		s->done += count;
		pthread_cond_broadcast(&s->done_cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- open / close ------------------------------------------------------------ */

static void
store_finalize(struct store *s)
{
	db_finalize(s->ins_req);
	db_finalize(s->ins_sys);
	for (int k = 0; k < 2; k++) {
		db_finalize(s->expire[k]);
		db_finalize(s->trim[k]);
		db_finalize(s->oldest[k]);
	}
	db_finalize(s->used);
}

int
store_open(struct store **out, const char *url, struct metrics *m, char *err, size_t errlen)
{
	return store_open_how(out, url, m, 0, err, errlen);
}

int
store_open_how(struct store **out, const char *url, struct metrics *m, int how, char *err,
	       size_t errlen)
{
	const char *path = store_url_path(url), *file = db_url_path(url);
	struct store *s = NULL;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc, fd, locks = 0;

	*out = NULL;
	if (path == NULL)
		return store_url_err(url, err, errlen);
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	s->m = m;
	/* A new database is created private (0600): it will hold device keys
	 * as well as history. SQLite gives the -wal and -shm files the mode of
	 * the database file. */
	if (file != NULL && (fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
				       O_NOFOLLOW, 0600)) >= 0)
		close(fd);
	if (db_open(&s->db, url, DB_OPEN_CREATE, err, errlen) != DB_OK)
		goto fail;
	db_busy_timeout(s->db, STORE_BUSY_MS);
	if (store_setup(s->db, path, how, err, errlen) < 0)
		goto fail;
	if (db_prepare_persistent(s->db, store_ins_req_sql, &s->ins_req) != DB_OK ||
	    db_prepare_persistent(s->db, store_ins_sys_sql, &s->ins_sys) != DB_OK) {
		snprintf(err, errlen, "%s: %s", path, db_errmsg(s->db));
		goto fail;
	}
	for (int k = 0; k < 2; k++) {
		struct db_stmt **to[4] = { &s->expire[k], &s->trim[k], &s->oldest[k], &s->used };

		for (int q = 0; q < 4; q++) {
			const char *sql = store_retain_sql[q][k];

			/* the size in use: SQLite's only (store_retain) */
			if (q == 3 && db_kind(s->db) == DB_PG)
				sql = NULL;
			if (sql == NULL)
				continue;
			if (db_prepare_persistent(s->db, sql, to[q]) != DB_OK) {
				snprintf(err, errlen, "%s: %s", path, db_errmsg(s->db));
				goto fail;
			}
		}
	}

	if (pthread_mutex_init(&s->mu, NULL) != 0)
		goto fail_sys;
	locks++;
	if (pthread_condattr_init(&ca) != 0)
		goto fail_sys;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		goto fail_sys;
	locks++;
	if (pthread_cond_init(&s->done_cv, NULL) != 0)
		goto fail_sys;
	locks++;
	/* The writer takes no signals: the serving thread receives them through
	 * its loop's signalfd, which works only while every thread blocks them
	 * (a SIGTERM delivered to an unblocking thread would kill the process
	 * without draining). The new thread inherits this mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, store_writer, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		goto fail_sys;
	*out = s;
	return 0;
fail_sys:
	snprintf(err, errlen, "%s: cannot start the history writer", path);
fail:
	if (s != NULL) {
		if (locks > 2)
			pthread_cond_destroy(&s->done_cv);
		if (locks > 1)
			pthread_cond_destroy(&s->wake);
		if (locks > 0)
			pthread_mutex_destroy(&s->mu);
		store_finalize(s);
		db_close(s->db);
		free(s->path);
		free(s);
	}
	return -1;
}

void
store_flush(struct store *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->flush_to = s->accepted;
	pthread_cond_signal(&s->wake);
	while (s->done < s->flush_to)
		pthread_cond_wait(&s->done_cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	store_finalize(s);
	db_close(s->db);
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s);
}

/* ---- queueing ------------------------------------------------------------------ */

/* How much of s to keep within max bytes, not cutting an escape sequence
 * ("\xHH", serve_escape) in two. */
static size_t
store_cut(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1);

	if (len <= max)
		return len;
	len = max;
	for (size_t back = 1; back <= 3 && back <= len; back++)
		if (s[len - back] == '\\')
			return len - back;
	return len;
}

/* Sizes (phase 0) then copies (phase 1) the strings of a record. */
struct store_copy {
	char *p;
	size_t need;
	int phase;
};

static const char *
store_copy_str(struct store_copy *c, const char *s, size_t max)
{
	size_t len;
	char *dst;

	if (s == NULL)
		return NULL;
	len = store_cut(s, max);
	if (c->phase == 0) {
		c->need += len + 1;
		return NULL;
	}
	dst = c->p;
	memcpy(dst, s, len);
	dst[len] = '\0';
	c->p += len + 1;
	return dst;
}

static void
store_copy_req(struct store_copy *c, struct store_req *d, const struct store_req *r)
{
	*d = *r;
	d->client = store_copy_str(c, r->client, STORE_FIELD_MAX);
	d->proto = store_copy_str(c, r->proto, STORE_FIELD_MAX);
	d->method = store_copy_str(c, r->method, STORE_FIELD_MAX);
	d->path = store_copy_str(c, r->path, STORE_FIELD_MAX);
	d->user_agent = store_copy_str(c, r->user_agent, STORE_FIELD_MAX);
	d->mac = store_copy_str(c, r->mac, STORE_FIELD_MAX);
	d->subject = store_copy_str(c, r->subject, STORE_FIELD_MAX);
}

static void
store_copy_sys(struct store_copy *c, struct store_syslog *d, const struct store_syslog *r)
{
	*d = *r;
	d->source = store_copy_str(c, r->source, STORE_FIELD_MAX);
	d->hostname = store_copy_str(c, r->hostname, STORE_FIELD_MAX);
	d->ident = store_copy_str(c, r->ident, STORE_FIELD_MAX);
	d->mac = store_copy_str(c, r->mac, STORE_FIELD_MAX);
	d->text = store_copy_str(c, r->text, STORE_MSG_MAX);
}

static void
store_enqueue(struct store *s, enum store_kind kind, const void *rec)
{
	struct store_copy c = { NULL, 0, 0 };
	struct store_rec scratch, *r;
	size_t size;

	/* Phase 0 sizes the strings, phase 1 copies them after the struct. */
	if (kind == STORE_KIND_REQ)
		store_copy_req(&c, &scratch.u.req, rec);
	else
		store_copy_sys(&c, &scratch.u.sys, rec);
	size = sizeof(*r) + c.need;
	r = malloc(size);
	if (r == NULL)
		goto drop;
	c.p = r->strings;
	c.phase = 1;
	if (kind == STORE_KIND_REQ)
		store_copy_req(&c, &r->u.req, rec);
	else
		store_copy_sys(&c, &r->u.sys, rec);
	r->next = NULL;
	r->size = size;
	r->kind = kind;
	r->queued_ms = clock_mono_ms();

	pthread_mutex_lock(&s->mu);
	if (s->stop || s->n >= STORE_QUEUE_MAX || s->bytes + size > STORE_QUEUE_BYTES_MAX) {
		pthread_mutex_unlock(&s->mu);
		free(r);
		goto drop;
	}
	if (s->tail != NULL)
		s->tail->next = r;
	else
		s->head = r;
	s->tail = r;
	s->n++;
	s->bytes += size;
	s->accepted++;
	/* The writer needs waking when the queue was empty (it sleeps without
	 * a deadline) and when a batch just filled; otherwise it is already
	 * gathering against its deadline. */
	if (s->n == 1 || s->n == STORE_BATCH_MAX)
		pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->mu);
	return;
drop:
	if (s->m != NULL)
		METRIC_ADD(s->m->store_dropped, 1);
}

void
store_request(struct store *s, const struct store_req *r)
{
	if (s == NULL || r == NULL)
		return;
	store_enqueue(s, STORE_KIND_REQ, r);
}

void
store_syslog(struct store *s, const struct store_syslog *r)
{
	if (s == NULL || r == NULL)
		return;
	store_enqueue(s, STORE_KIND_SYSLOG, r);
}
