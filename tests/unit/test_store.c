/*
 * Unit tests of store: the history queue, its writer thread, the SQLite
 * schema and the query side. server.md S-DEV-3, S-DEV-4.
 */
#define _GNU_SOURCE /* sigtimedwait */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "store.h"

#define T0 1795845909000LL /* 2026-11-28T06:05:09Z, in ms */

struct tmp {
	char dir[64];
	char path[96];
	char url[128];
};

static void
tmp_init(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/h.db", t->dir);
	snprintf(t->url, sizeof(t->url), "sqlite:%s", t->path);
}

static void
tmp_fini(struct tmp *t)
{
	char p[160];
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffix[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

/* What a query returned, copied out of the callbacks. */
#define ROWS_MAX 20000
struct rows {
	unsigned n;
	int64_t time_ms[ROWS_MAX];
	int status[ROWS_MAX];
	uint64_t bytes[ROWS_MAX];
	char *path[ROWS_MAX];       /* request path, or syslog text */
	char *client[ROWS_MAX];     /* client, or syslog source */
	char *mac[ROWS_MAX];
	int facility[ROWS_MAX], severity[ROWS_MAX];
	char *extra[ROWS_MAX];      /* user_agent, or syslog ident */
};

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void
rows_req(void *arg, const struct store_req *r)
{
	struct rows *w = arg;

	assert_true(w->n < ROWS_MAX);
	w->time_ms[w->n] = r->time_ms;
	w->status[w->n] = r->status;
	w->bytes[w->n] = r->bytes;
	w->path[w->n] = dup_or_null(r->path);
	w->client[w->n] = dup_or_null(r->client);
	w->mac[w->n] = dup_or_null(r->mac);
	w->extra[w->n] = dup_or_null(r->user_agent);
	w->n++;
}

static void
rows_sys(void *arg, const struct store_syslog *r)
{
	struct rows *w = arg;

	assert_true(w->n < ROWS_MAX);
	w->time_ms[w->n] = r->time_ms;
	w->facility[w->n] = r->facility;
	w->severity[w->n] = r->severity;
	w->path[w->n] = dup_or_null(r->text);
	w->client[w->n] = dup_or_null(r->source);
	w->mac[w->n] = dup_or_null(r->mac);
	w->extra[w->n] = dup_or_null(r->ident);
	w->n++;
}

static void
count_req(void *arg, const struct store_req *r)
{
	(void)r;
	(*(unsigned *)arg)++;
}

static struct rows *
rows_new(void)
{
	struct rows *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	return w;
}

static void
rows_free(struct rows *w)
{
	for (unsigned i = 0; i < w->n; i++) {
		free(w->path[i]);
		free(w->client[i]);
		free(w->mac[i]);
		free(w->extra[i]);
	}
	free(w);
}

static void
query_req(const char *url, const struct store_filter *f, struct rows *w)
{
	char err[256];

	if (store_query_requests(url, f, rows_req, w, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
}

static void
query_sys(const char *url, const struct store_filter *f, struct rows *w)
{
	char err[256];

	if (store_query_syslog(url, f, rows_sys, w, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
}

static struct store *
open_store(const char *url, struct metrics *m)
{
	struct store *s = NULL;
	char err[256];

	if (store_open(&s, url, m, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	return s;
}

/* Request i of a synthetic series: device i % 10, client i % 3. */
static void
put_req(struct store *s, unsigned i, int64_t t)
{
	char path[64], mac[13], client[32];
	struct store_req r = { 0 };

	snprintf(mac, sizeof(mac), "0011223344%02u", i % 10);
	snprintf(path, sizeof(path), "/%s.xml?n=%u", mac, i);
	snprintf(client, sizeof(client), "10.0.0.%u:%u", i % 3 + 1, 1024 + i);
	r.time_ms = t;
	r.client = client;
	r.proto = i % 2 ? "http" : "tftp";
	r.method = i % 2 ? "GET" : "RRQ";
	r.path = path;
	r.user_agent = "Cisco-CP8841-3PCC/11.3.7 (001122334400)";
	r.mac = mac;
	r.status = 200 + (int)(i % 5);
	r.bytes = i;
	r.duration_us = i * 3;
	store_request(s, &r);
}

static void
s_dev_3_ten_thousand_through_the_queue(void **state)
{
	struct metrics m = { 0 };
	struct tmp t;
	struct store *s;
	struct rows *w = rows_new();
	struct store_filter f = { 0 };

	(void)state;
	tmp_init(&t);
	s = open_store(t.url, &m);
	for (unsigned i = 0; i < 10000; i++)
		put_req(s, i, T0 + i);
	store_close(s);
	assert_int_equal(atomic_load(&m.store_dropped), 0);

	f.limit = 10000;
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 10000);
	for (unsigned i = 0; i < w->n; i++) {
		char want[64];

		assert_int_equal(w->time_ms[i], T0 + i);
		assert_int_equal(w->status[i], 200 + (int)(i % 5));
		assert_int_equal(w->bytes[i], i);
		snprintf(want, sizeof(want), "/0011223344%02u.xml?n=%u", i % 10, i);
		assert_string_equal(w->path[i], want);
	}
	rows_free(w);

	/* Default limit: the last 100, oldest first. */
	w = rows_new();
	f.limit = 0;
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 100);
	assert_int_equal(w->time_ms[0], T0 + 9900);
	assert_int_equal(w->time_ms[99], T0 + 9999);
	rows_free(w);
	tmp_fini(&t);
}

static void
s_dev_3_filters_limit_order(void **state)
{
	struct tmp t;
	struct store *s;
	struct rows *w;
	struct store_filter f = { 0 };

	(void)state;
	tmp_init(&t);
	s = open_store(t.url, NULL);
	/* Inserted out of time order: queries sort by time. */
	for (unsigned i = 0; i < 300; i++)
		put_req(s, i, T0 + (i % 2 ? 1000 + i : i));
	store_close(s);

	w = rows_new();
	f.mac = "001122334407";
	f.limit = 1000;
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 30);
	for (unsigned i = 0; i < w->n; i++) {
		assert_string_equal(w->mac[i], "001122334407");
		if (i > 0)
			assert_true(w->time_ms[i] > w->time_ms[i - 1]);
	}
	rows_free(w);

	w = rows_new();
	f.mac = NULL;
	f.client = "10.0.0.2:";
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 100);
	for (unsigned i = 0; i < w->n; i++)
		assert_memory_equal(w->client[i], "10.0.0.2:", 9);
	rows_free(w);

	/* since: inclusive; the odd ones are all at T0 + 1001 or later. */
	w = rows_new();
	f.client = NULL;
	f.since_ms = T0 + 1001;
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 150);
	assert_int_equal(w->time_ms[0], T0 + 1001);
	rows_free(w);

	/* All three, and a limit: the last 5 of the matches, oldest first. */
	w = rows_new();
	f.mac = "001122334403";
	f.client = "10.0.0.";
	f.since_ms = T0 + 1001;
	f.limit = 5;
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 5);
	/* matches: odd i with i % 10 == 3, at T0 + 1000 + i; the last is 293 */
	assert_int_equal(w->time_ms[4], T0 + 1000 + 293);
	assert_int_equal(w->time_ms[0], T0 + 1000 + 253);
	rows_free(w);

	/* No match. */
	w = rows_new();
	f.mac = "ffffffffffff";
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 0);
	rows_free(w);
	tmp_fini(&t);
}

static void
s_dev_3_syslog_rows(void **state)
{
	struct tmp t;
	struct store *s;
	struct rows *w = rows_new();
	struct store_filter f = { 0 };
	struct store_syslog y = { 0 };

	(void)state;
	tmp_init(&t);
	s = open_store(t.url, NULL);
	y.time_ms = T0;
	y.source = "127.0.0.1:514";
	y.facility = 16;
	y.severity = 6;
	y.hostname = "phone1";
	y.ident = "prov";
	y.mac = "001122334455";
	y.text = "Requesting resync";
	store_syslog(s, &y);
	y.time_ms = T0 + 1;
	y.source = "[::1]:40000";
	y.facility = y.severity = -1;
	y.hostname = y.ident = y.mac = NULL;
	y.text = "no pri";
	store_syslog(s, &y);
	store_close(s);

	query_sys(t.url, &f, w);
	assert_int_equal(w->n, 2);
	assert_string_equal(w->client[0], "127.0.0.1:514");
	assert_int_equal(w->facility[0], 16);
	assert_int_equal(w->severity[0], 6);
	assert_string_equal(w->extra[0], "prov");
	assert_string_equal(w->mac[0], "001122334455");
	assert_string_equal(w->path[0], "Requesting resync");
	assert_int_equal(w->facility[1], -1);
	assert_int_equal(w->severity[1], -1);
	assert_null(w->mac[1]);
	assert_null(w->extra[1]);
	rows_free(w);

	w = rows_new();
	f.client = "[::1]";
	query_sys(t.url, &f, w);
	assert_int_equal(w->n, 1);
	assert_string_equal(w->path[0], "no pri");
	rows_free(w);

	/* The request table is there and empty. */
	w = rows_new();
	f.client = NULL;
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 0);
	rows_free(w);
	tmp_fini(&t);
}

/* Strings are stored as given (bound, never spliced into SQL), NULL stays
 * NULL, and long ones are cut at the cap without splitting an escape. */
static void
s_dev_3_strings_round_trip(void **state)
{
	static const char nasty[] = "/a'b\"c'); DROP TABLE request; --\\x0a\x01\x7f\xff";
	char longpath[STORE_FIELD_MAX + 100], esc[STORE_FIELD_MAX + 100];
	struct tmp t;
	struct store *s;
	struct rows *w = rows_new();
	struct store_filter f = { 0 };
	struct store_req r = { 0 };

	(void)state;
	tmp_init(&t);
	s = open_store(t.url, NULL);
	r.time_ms = T0;
	r.path = nasty;
	r.user_agent = "ua \"quoted\"\t\r\n";
	r.status = 404;
	store_request(s, &r);

	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	r.time_ms = T0 + 1;
	r.path = longpath;
	r.user_agent = NULL;
	store_request(s, &r);

	/* An escape "\x0a" straddling the cap is dropped whole. */
	memset(esc, 'e', sizeof(esc) - 1);
	esc[sizeof(esc) - 1] = '\0';
	memcpy(esc + STORE_FIELD_MAX - 2, "\\x0a", 4);
	r.time_ms = T0 + 2;
	r.path = esc;
	store_request(s, &r);
	store_flush(s);

	/* Visible to a reader while the store is still open. */
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 3);
	assert_string_equal(w->path[0], nasty);
	assert_string_equal(w->extra[0], "ua \"quoted\"\t\r\n");
	assert_null(w->client[0]);
	assert_null(w->mac[0]);
	assert_int_equal(strlen(w->path[1]), STORE_FIELD_MAX);
	assert_null(w->extra[1]);
	assert_int_equal(strlen(w->path[2]), STORE_FIELD_MAX - 2);
	assert_null(strchr(w->path[2], '\\'));
	rows_free(w);
	store_close(s);
	tmp_fini(&t);
}

/* Two workers (processes) writing one file at once: nothing lost. */
static void
s_dev_4_two_processes_one_file(void **state)
{
	struct tmp t;
	struct rows *w = rows_new();
	struct store_filter f = { 0 };
	pid_t pid[2];

	(void)state;
	tmp_init(&t);
	for (int k = 0; k < 2; k++) {
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0) {
			struct metrics m = { 0 };
			struct store *s = NULL;
			char err[256];

			if (store_open(&s, t.url, &m, err, sizeof(err)) != 0) {
				fprintf(stderr, "child: %s\n", err);
				_exit(1);
			}
			for (unsigned i = 0; i < 5000; i++) {
				put_req(s, i, T0 + i);
				/* Several commits interleaved with the other process. */
				if (i % 1000 == 999)
					store_flush(s);
			}
			store_close(s);
			_exit(atomic_load(&m.store_dropped) == 0 ? 0 : 2);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;

		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	f.limit = 20000;
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 10000);
	/* Each time appears twice, once per process. */
	for (unsigned i = 0; i < w->n; i++)
		assert_int_equal(w->time_ms[i], T0 + i / 2);
	rows_free(w);
	tmp_fini(&t);
}

/* A full queue drops and counts, and never blocks the caller. The writer
 * is held off by another connection's write lock: it takes at most one
 * batch before waiting on that lock, so queueing STORE_QUEUE_MAX +
 * STORE_BATCH_MAX + 100 records while the lock is held must drop some. */
static void
s_dev_3_full_queue_drops_counted(void **state)
{
	const unsigned total = STORE_QUEUE_MAX + STORE_BATCH_MAX + 100;
	struct metrics m = { 0 };
	struct tmp t;
	struct store *s;
	struct store_filter f = { 0 };
	sqlite3 *lock = NULL;
	uint64_t dropped;
	unsigned n = 0;
	char err[256];

	(void)state;
	tmp_init(&t);
	s = open_store(t.url, &m);
	assert_int_equal(sqlite3_open(t.path, &lock), SQLITE_OK);
	assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (unsigned i = 0; i < total; i++)
		put_req(s, i, T0 + i);
	dropped = atomic_load(&m.store_dropped);
	assert_true(dropped >= 100);
	assert_int_equal(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(lock);
	store_close(s);
	/* Nothing else lost: every record not counted as dropped is there. */
	assert_int_equal(atomic_load(&m.store_dropped), dropped);
	f.limit = total;
	if (store_query_requests(t.url, &f, count_req, &n, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
	assert_int_equal(n, total - dropped);
	tmp_fini(&t);
}

/* The queue is bounded by bytes too: records with every string at its
 * longest fill the byte cap long before STORE_QUEUE_MAX records. */
static void
s_dev_3_byte_cap_drops_counted(void **state)
{
	const unsigned total = 30000; /* < STORE_QUEUE_MAX - STORE_BATCH_MAX */
	char big[STORE_FIELD_MAX + 1];
	struct metrics m = { 0 };
	struct tmp t;
	struct store *s;
	struct store_req r = { 0 };
	struct store_filter f = { 0 };
	sqlite3 *lock = NULL;
	uint64_t dropped;
	unsigned n = 0;
	char err[256];

	(void)state;
	assert_true(total < STORE_QUEUE_MAX - STORE_BATCH_MAX);
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r.client = r.proto = r.method = r.path = r.user_agent = r.mac = r.subject = big;
	tmp_init(&t);
	s = open_store(t.url, &m);
	assert_int_equal(sqlite3_open(t.path, &lock), SQLITE_OK);
	assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (unsigned i = 0; i < total; i++) {
		r.time_ms = T0 + i;
		store_request(s, &r);
	}
	dropped = atomic_load(&m.store_dropped);
	assert_true(dropped > 0);
	assert_int_equal(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(lock);
	store_close(s);
	f.limit = total;
	if (store_query_requests(t.url, &f, count_req, &n, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
	assert_int_equal(n, total - dropped);
	tmp_fini(&t);
}

/* The writer thread blocks every signal: a worker takes SIGTERM through
 * its loop's signalfd, which only works when no thread would take it
 * itself (SIGUSR1's default action would end this test). */
static void
s_dev_3_writer_takes_no_signals(void **state)
{
	struct timespec zero = { 0, 0 };
	struct tmp t;
	struct store *s;
	sigset_t usr1, old;

	(void)state;
	tmp_init(&t);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	/* Blocked after the writer started, as a worker's loop does. */
	s = open_store(t.url, NULL);
	assert_int_equal(sigprocmask(SIG_BLOCK, &usr1, &old), 0);
	put_req(s, 1, T0);
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	store_flush(s);
	assert_int_equal(sigtimedwait(&usr1, NULL, &zero), SIGUSR1);
	store_close(s);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	tmp_fini(&t);
}

/* R-CRASH: a writer killed (-9) in the middle of its stream leaves a
 * database that opens, passes integrity_check, and holds every row
 * committed before the kill (and the rows of whole batches after it). */
static void
r_crash_kill_9_while_writing(void **state)
{
	struct tmp t;
	struct store *s;
	struct store_filter f = { .limit = 1000000 };
	sqlite3 *db;
	sqlite3_stmt *st;
	unsigned n = 0;
	char err[256], c;
	int fds[2], status;
	pid_t pid;

	(void)state;
	tmp_init(&t);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (store_open(&s, t.url, NULL, err, sizeof(err)) != 0)
			_exit(1);
		for (unsigned i = 0; i < 1000; i++)
			put_req(s, i, T0 + i);
		store_flush(s);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		/* Keep writing until killed. */
		for (unsigned i = 1000;; i++) {
			put_req(s, i, T0 + i);
			if (i % 64 == 0)
				store_flush(s);
		}
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));

	/* A new writer recovers the WAL; then the rows are all there. */
	s = open_store(t.url, NULL);
	store_close(s);
	if (store_query_requests(t.url, &f, count_req, &n, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
	assert_true(n >= 1000);
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	/* No gaps: rows are whole batches in order, so times are 0..n-1. */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT min(time_ms), max(time_ms), count(*)"
					    " FROM request", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), T0);
	assert_int_equal(sqlite3_column_int64(st, 1), T0 + n - 1);
	assert_int_equal(sqlite3_column_int64(st, 2), n);
	sqlite3_finalize(st);
	sqlite3_close(db);
	tmp_fini(&t);
}

static void
s_dev_3_null_store_is_a_no_op(void **state)
{
	struct store_req r = { .time_ms = T0, .path = "/x", .status = 200 };
	struct store_syslog y = { .time_ms = T0, .text = "x", .facility = -1, .severity = -1 };

	(void)state;
	store_request(NULL, &r);
	store_syslog(NULL, &y);
	store_flush(NULL);
	store_close(NULL);
}

static void
s_dev_4_open_errors(void **state)
{
	struct tmp t;
	struct store *s = NULL;
	struct rows *w = rows_new();
	char err[256], sql[64];
	sqlite3 *db;
	FILE *fp;

	(void)state;
	tmp_init(&t);
	/* The query side never creates a database. */
	assert_int_equal(store_query_requests(t.url, NULL, rows_req, w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(access(t.path, F_OK), -1);
	/* A PostgreSQL server that is not there (port 1 of loopback: closed),
	 * its password never in the message; malformed URLs. */
	assert_int_equal(store_open(&s, "postgresql://prov:hush@127.0.0.1:1/prov", NULL, err,
				    sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, "postgresql://prov@127.0.0.1:1/prov: "));
	assert_non_null(strstr(err, "refused"));
	assert_null(strstr(err, "hush"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(store_open(&s, "sqlite:", NULL, err, sizeof(err)), -1);
	assert_int_equal(store_open(&s, "", NULL, err, sizeof(err)), -1);
	/* A directory that does not exist. */
	assert_int_equal(store_open(&s, "sqlite:/nonexistent/dir/h.db", NULL, err,
				    sizeof(err)), -1);
	/* Not a database. */
	fp = fopen(t.path, "w");
	assert_non_null(fp);
	fputs("this is not an SQLite database, only text long enough to look like a header\n",
	      fp);
	fclose(fp);
	assert_int_equal(store_open(&s, t.path, NULL, err, sizeof(err)), -1);
	assert_int_equal(store_query_syslog(t.url, NULL, rows_sys, w, err, sizeof(err)), -1);
	unlink(t.path);
	/* An SQLite database that is not prov's. */
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE x (y)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_query_requests(t.url, NULL, rows_req, w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a prov database"));
	/* A newer schema than this build knows: refused, not "migrated". */
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = 999");
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&s, t.url, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(store_query_requests(t.url, NULL, rows_req, w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(w->n, 0);
	rows_free(w);
	tmp_fini(&t);
}

/* Reopening keeps the rows and the schema version; the bare PATH form
 * names the same database as sqlite:PATH. */
static void
s_dev_4_reopen(void **state)
{
	struct tmp t;
	struct store *s;
	struct rows *w = rows_new();
	struct stat sb;
	sqlite3 *db;
	sqlite3_stmt *st;

	(void)state;
	tmp_init(&t);
	s = open_store(t.url, NULL);
	put_req(s, 1, T0);
	store_close(s);
	s = open_store(t.path, NULL);
	put_req(s, 2, T0 + 1);
	store_close(s);
	query_req(t.path, NULL, w);
	assert_int_equal(w->n, 2);
	rows_free(w);
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2); /* request_client_time */
	sqlite3_finalize(st);
	/* Created private: it will hold device keys too. */
	assert_int_equal(stat(t.path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	tmp_fini(&t);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
put_sys(struct store *s, unsigned i, int64_t t, size_t textlen)
{
	char text[4096];
	struct store_syslog y = { 0 };

	assert_true(textlen < sizeof(text));
	memset(text, 'a' + (char)(i % 26), textlen);
	text[textlen] = '\0';
	y.time_ms = t;
	y.source = "10.0.0.9:514";
	y.facility = 1;
	y.severity = 5;
	y.text = text;
	store_syslog(s, &y);
}

static int64_t
db_used_bytes(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (p.page_count - f.freelist_count) *"
		" s.page_size FROM pragma_page_count() p, pragma_freelist_count() f,"
		" pragma_page_size() s", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Retention by age: rows older than the limit go (both tables), newer
 * ones stay, and the deletions are counted. No limit: nothing goes. */
static void
s_dev_3_retention_by_age(void **state)
{
	struct metrics m = { 0 };
	struct tmp t;
	struct store *s;
	struct rows *w;
	struct store_filter f = { .limit = 1000 };
	int64_t now = wall_ms(), day = 86400000;

	(void)state;
	tmp_init(&t);
	s = open_store(t.url, &m);
	for (unsigned i = 0; i < 100; i++) {
		put_req(s, i, now - (i % 2 ? 10 : 40) * day);
		put_sys(s, i, now - (i % 2 ? 10 : 40) * day, 40);
	}
	store_flush(s);
	assert_int_equal(atomic_load(&m.history_expired), 0);
	store_retention(s, 30 * day, 0);
	put_req(s, 1000, now);
	store_flush(s);
	assert_int_equal(atomic_load(&m.history_expired), 100);
	store_close(s);
	w = rows_new();
	query_req(t.url, &f, w);
	assert_int_equal(w->n, 51);
	for (unsigned i = 0; i < w->n; i++)
		assert_true(w->time_ms[i] >= now - 10 * day);
	rows_free(w);
	w = rows_new();
	query_sys(t.url, &f, w);
	assert_int_equal(w->n, 50);
	rows_free(w);
	tmp_fini(&t);
}

/* Retention by size: 20,000 syslog messages of 2 KB would make about
 * 40 MB; with a 2 MB cap the pages in use stay under 2 MB, the newest
 * rows are kept, the oldest are gone, and the trimming is counted. */
static void
s_dev_3_retention_by_size(void **state)
{
	struct metrics m = { 0 };
	struct tmp t;
	struct store *s;
	struct rows *w;
	struct store_filter f = { .limit = 20000 };
	int64_t now = wall_ms();
	uint64_t cap = 2u * 1024u * 1024u;
	unsigned total = 20000;
	struct stat st;

	(void)state;
	tmp_init(&t);
	s = open_store(t.url, &m);
	store_retention(s, 0, cap);
	for (unsigned i = 0; i < total; i++) {
		put_sys(s, i, now - (int64_t)(total - i), 2000);
		if (i % 1000 == 999)
			store_flush(s); /* no drops from a full queue */
	}
	store_close(s);
	assert_int_equal(atomic_load(&m.store_dropped), 0);
	assert_true(atomic_load(&m.history_trimmed) > 0);
	assert_true(db_used_bytes(t.path) <= (int64_t)cap);
	assert_int_equal(stat(t.path, &st), 0);
	assert_true(st.st_size < (off_t)(4 * cap)); /* no further growth than a batch */
	w = rows_new();
	query_sys(t.url, &f, w);
	if (!(w->n > 0 && w->n < total))
		fail_msg("rows %u, trimmed %llu", w->n, (unsigned long long)atomic_load(&m.history_trimmed));
	assert_int_equal(w->n + atomic_load(&m.history_trimmed), total);
	assert_int_equal(w->time_ms[w->n - 1], now - 1);       /* the newest kept */
	assert_true(w->time_ms[0] > now - (int64_t)total);     /* the oldest gone */
	rows_free(w);
	tmp_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(s_dev_3_ten_thousand_through_the_queue),
		cmocka_unit_test(s_dev_3_filters_limit_order),
		cmocka_unit_test(s_dev_3_syslog_rows),
		cmocka_unit_test(s_dev_3_retention_by_age),
		cmocka_unit_test(s_dev_3_retention_by_size),
		cmocka_unit_test(s_dev_3_strings_round_trip),
		cmocka_unit_test(s_dev_4_two_processes_one_file),
		cmocka_unit_test(s_dev_3_full_queue_drops_counted),
		cmocka_unit_test(s_dev_3_byte_cap_drops_counted),
		cmocka_unit_test(s_dev_3_writer_takes_no_signals),
		cmocka_unit_test(r_crash_kill_9_while_writing),
		cmocka_unit_test(s_dev_3_null_store_is_a_no_op),
		cmocka_unit_test(s_dev_4_open_errors),
		cmocka_unit_test(s_dev_4_reopen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
