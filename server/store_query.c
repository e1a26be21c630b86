/*
 * store_query: the read side of the history (see store.c for the write
 * side, store.h for the API). Queries for `prov log` and the timeline open
 * a separate read-only connection each, so they never create a database
 * and never block a running server; the attribution lookups (syslogd.c)
 * keep one read-only connection per collector.
 */
#include "store.h"
#include "store_int.h"

#include <errno.h>
#include "db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- queries ------------------------------------------------------------------- */

/* Opens path read-only: a missing file is an error, never a new database. */
static int
store_open_ro(const char *url, struct db **db, char *err, size_t errlen)
{
	const char *path = db_url_path(url);
	char name[512];
	struct stat st;
	int rc, version = 0;

	*db = NULL;
	if (!db_url_ok(url))
		return store_url_err(url, err, errlen);
	db_url_safe(url, name, sizeof(name));
	if (path != NULL && stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (path != NULL && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (path == NULL)
		path = name;
	if (db_open(db, url, DB_OPEN_READONLY, err, errlen) != DB_OK)
		return -1;
	db_busy_timeout(*db, STORE_BUSY_MS);
	if ((rc = db_schema_version(*db, "history", &version)) != DB_OK)
		goto fail;
	if (version == 0) {
		snprintf(err, errlen, "%s: not a prov database", path);
		goto out_err;
	}
	if (version > store_schema_version) {
		snprintf(err, errlen, "%s: database schema %d is newer than this prov (%d)",
			 path, version, store_schema_version);
		goto out_err;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path,
		 *db ? db_errmsg(*db) : db_errstr(rc));
out_err:
	db_close(*db);
	*db = NULL;
	return -1;
}

/* Builds "SELECT COLS FROM (SELECT COLS FROM TABLE WHERE filters ORDER BY
 * time DESC LIMIT n) ORDER BY time": the last n rows, printed oldest first.
 * Only constant fragments go into the text; every value is bound. */
static int
store_prepare_query(struct db *db, const char *cols, const char *table, const char *client_col,
		    const struct store_filter *f, struct db_stmt **st)
{
	char sql[1024];
	unsigned limit = f && f->limit ? f->limit : STORE_QUERY_DEFAULT;
	int i;

	if (limit > STORE_QUERY_MAX)
		limit = STORE_QUERY_MAX;
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM (SELECT * FROM %s WHERE 1 = 1%s%s%s"
		 " ORDER BY time_ms DESC, id DESC LIMIT :limit) AS q ORDER BY time_ms, id",
		 cols, table,
		 f && f->mac ? " AND mac = :mac" : "",
		 f && f->client ? (strcmp(client_col, "client") == 0
				   ? " AND substr(client, 1, length(:client)) = :client"
				   : " AND substr(source, 1, length(:client)) = :client") : "",
		 f && f->since_ms ? " AND time_ms >= :since" : "");
	if (db_prepare(db, sql, st) != DB_OK)
		return -1;
	db_bind_int64(*st, db_bind_parameter_index(*st, ":limit"), limit);
	if ((i = db_bind_parameter_index(*st, ":mac")) > 0)
		db_bind_text(*st, i, f->mac, -1, DB_STATIC);
	if ((i = db_bind_parameter_index(*st, ":client")) > 0)
		db_bind_text(*st, i, f->client, -1, DB_STATIC);
	if ((i = db_bind_parameter_index(*st, ":since")) > 0)
		db_bind_int64(*st, i, f->since_ms);
	return 0;
}

static const char *
store_col_text(struct db_stmt *st, int i)
{
	return (const char *)db_column_text(st, i);
}

static int
store_col_int_or_neg(struct db_stmt *st, int i)
{
	return db_column_type(st, i) == DB_NULL ? -1 : db_column_int(st, i);
}

int
store_query_requests(const char *url, const struct store_filter *f,
		     void (*row)(void *arg, const struct store_req *r), void *arg,
		     char *err, size_t errlen)
{
	struct db *db = NULL;
	struct db_stmt *st = NULL;
	int rc, ret = -1;

	if (store_open_ro(url, &db, err, errlen) < 0)
		return -1;
	if (store_prepare_query(db, "time_ms, client, proto, method, path, user_agent, mac,"
				" subject, status, bytes, duration_us", "request", "client",
				f, &st) < 0)
		goto fail;
	while ((rc = db_step(st)) == DB_ROW) {
		struct store_req r;
		int64_t bytes = db_column_int64(st, 9);
		int64_t dur = db_column_int64(st, 10);

		r.time_ms = db_column_int64(st, 0);
		r.client = store_col_text(st, 1);
		r.proto = store_col_text(st, 2);
		r.method = store_col_text(st, 3);
		r.path = store_col_text(st, 4);
		r.user_agent = store_col_text(st, 5);
		r.mac = store_col_text(st, 6);
		r.subject = store_col_text(st, 7);
		r.status = db_column_int(st, 8);
		r.bytes = bytes < 0 ? 0 : (uint64_t)bytes;
		r.duration_us = dur < 0 ? 0 : dur > UINT32_MAX ? UINT32_MAX : (uint32_t)dur;
		row(arg, &r);
	}
	if (rc != DB_DONE)
		goto fail;
	ret = 0;
	goto out;
fail:
	snprintf(err, errlen, "%s: %s", store_url_path(url), db_errmsg(db));
out:
	db_finalize(st);
	db_close(db);
	return ret;
}

int
store_query_syslog(const char *url, const struct store_filter *f,
		   void (*row)(void *arg, const struct store_syslog *r), void *arg,
		   char *err, size_t errlen)
{
	struct db *db = NULL;
	struct db_stmt *st = NULL;
	int rc, ret = -1;

	if (store_open_ro(url, &db, err, errlen) < 0)
		return -1;
	if (store_prepare_query(db, "time_ms, source, facility, severity, hostname, ident,"
				" mac, text", "syslog", "source", f, &st) < 0)
		goto fail;
	while ((rc = db_step(st)) == DB_ROW) {
		struct store_syslog r;

		r.time_ms = db_column_int64(st, 0);
		r.source = store_col_text(st, 1);
		r.facility = store_col_int_or_neg(st, 2);
		r.severity = store_col_int_or_neg(st, 3);
		r.hostname = store_col_text(st, 4);
		r.ident = store_col_text(st, 5);
		r.mac = store_col_text(st, 6);
		r.text = store_col_text(st, 7);
		row(arg, &r);
	}
	if (rc != DB_DONE)
		goto fail;
	ret = 0;
	goto out;
fail:
	snprintf(err, errlen, "%s: %s", store_url_path(url), db_errmsg(db));
out:
	db_finalize(st);
	db_close(db);
	return ret;
}

/* ---- attribution lookups (syslogd.c) ------------------------------------------ */

struct store_lookup {
	char *url;
	struct db *db;
	struct db_stmt *dev, *addr;
	int64_t retry_at;        /* wall ms: after a failed open, wait before the next */
};

struct store_lookup *
store_lookup_new(const char *url)
{
	struct store_lookup *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->url = strdup(url != NULL ? url : "")) == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

void
store_lookup_free(struct store_lookup *l)
{
	if (l == NULL)
		return;
	db_finalize(l->dev);
	db_finalize(l->addr);
	db_close(l->db);
	free(l->url);
	free(l);
}

/* The connection and both statements; -1 while there is no inventory
 * (no device table yet: the statements do not prepare) or no database. */
static int
store_lookup_ready(struct store_lookup *l)
{
	struct timespec ts;
	char err[256];
	int64_t now;

	if (l->dev != NULL)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now < l->retry_at || !db_url_ok(l->url))
		return -1;
	if (l->db == NULL && db_open(&l->db, l->url, DB_OPEN_READONLY, err, sizeof(err)) != DB_OK) {
		db_close(l->db);
		l->db = NULL;
		l->retry_at = now + STORE_LOOKUP_RETRY_MS;
		return -1;
	}
	db_busy_timeout(l->db, STORE_LOOKUP_BUSY_MS);
	if (db_prepare_persistent(l->db, "SELECT 1 FROM device WHERE mac = ?1", &l->dev) != DB_OK ||
	    db_prepare_persistent(l->db, "SELECT r.mac FROM request r JOIN device d ON d.mac = r.mac"
			       " WHERE r.client >= ?1 AND r.client < ?2"
			       " ORDER BY r.time_ms DESC LIMIT 1", &l->addr) != DB_OK) {
		db_finalize(l->dev);
		l->dev = NULL;
		l->retry_at = now + STORE_LOOKUP_RETRY_MS;
		return -1;
	}
	return 0;
}

int
store_lookup_device(struct store_lookup *l, const char *mac)
{
	int rc;

	if (l == NULL || store_lookup_ready(l) < 0)
		return -1;
	db_bind_text(l->dev, 1, mac, -1, DB_STATIC);
	rc = db_step(l->dev);
	db_reset(l->dev);
	db_clear_bindings(l->dev);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int
store_lookup_addr(struct store_lookup *l, const char *addr, char mac[13])
{
	char lo[80], hi[80];
	const char *v;
	int rc, n;

	mac[0] = '\0';
	if (l == NULL || store_lookup_ready(l) < 0)
		return -1;
	/* Every "ADDR:PORT" of addr sorts between "ADDR:" and "ADDR;". */
	n = snprintf(lo, sizeof(lo), "%s:", addr);
	if (n <= 0 || (size_t)n >= sizeof(lo))
		return 0;
	memcpy(hi, lo, (size_t)n + 1);
	hi[n - 1] = ';';
	db_bind_text(l->addr, 1, lo, -1, DB_STATIC);
	db_bind_text(l->addr, 2, hi, -1, DB_STATIC);
	rc = db_step(l->addr);
	if (rc == DB_ROW && (v = (const char *)db_column_text(l->addr, 0)) != NULL &&
	    strlen(v) == 12)
		memcpy(mac, v, 13);
	db_reset(l->addr);
	db_clear_bindings(l->addr);
	return mac[0] != '\0' ? 1 : rc == DB_ROW || rc == DB_DONE ? 0 : -1;
}
