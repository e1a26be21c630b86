/*
 * state: SQLite persistence of one device (D-PER-1). See state.h.
 *
 * Why SQLite and not files: one transaction covers every parameter a
 * profile changes, the status written with it and the unknown names seen,
 * and SQLite's locking makes two processes on one directory safe. WAL with
 * synchronous=FULL makes every commit durable before it returns.
 */
#include "state.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "fsutil.h"

#define STATE_SCHEMA_VERSION "1"
#define STATE_DB "state.db"

enum stmt {
	S_BEGIN_R, S_BEGIN_W, S_COMMIT, S_ROLLBACK,
	S_PARAM_ALL, S_PARAM_PUT, S_PARAM_DEL,
	S_UNKNOWN_ALL, S_UNKNOWN_PUT,
	S_META_GET, S_META_PUT, S_STATUS_GET, S_STATUS_PUT,
	S_DATA_VERSION,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN_R] = "BEGIN DEFERRED",
	[S_BEGIN_W] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_PARAM_ALL] = "SELECT name, value, ua FROM param",
	[S_PARAM_PUT] = "INSERT INTO param(name, value, ua) VALUES(?1, ?2, ?3) "
			"ON CONFLICT(name) DO UPDATE SET value = ?2, ua = ?3",
	[S_PARAM_DEL] = "DELETE FROM param WHERE name = ?1",
	[S_UNKNOWN_ALL] = "SELECT name FROM unknown ORDER BY seq",
	[S_UNKNOWN_PUT] = "INSERT OR IGNORE INTO unknown(name) VALUES(?1)",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_PUT] = "INSERT INTO meta(key, value) VALUES(?1, ?2) "
		       "ON CONFLICT(key) DO UPDATE SET value = ?2",
	[S_STATUS_GET] = "SELECT value FROM status WHERE key = ?1",
	[S_STATUS_PUT] = "INSERT INTO status(key, value) VALUES(?1, ?2) "
			 "ON CONFLICT(key) DO UPDATE SET value = ?2",
	[S_DATA_VERSION] = "PRAGMA data_version",
};

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE param(name TEXT PRIMARY KEY, value TEXT, ua INTEGER);"
	"CREATE TABLE unknown(seq INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);"
	"CREATE TABLE status(key TEXT PRIMARY KEY, value TEXT NOT NULL);";

struct state {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	long long data_version;
	char dir[PATH_MAX];
};

static enum prov_err
db_err(struct state *st, struct diag *d, const char *what)
{
	int code = sqlite3_extended_errcode(st->db) & 0xff;
	enum prov_err e = PROV_E_IO;

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		e = PROV_E_BUSY;
	else if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
		e = PROV_E_CORRUPT;
	else if (code == SQLITE_NOMEM)
		e = PROV_E_NOMEM;
	return diag_set(d, e, 0, 0, "%s/%s: %s: %s", st->dir, STATE_DB, what,
			sqlite3_errmsg(st->db));
}

/* Runs a prepared statement that returns no rows. */
static enum prov_err
step_done(struct state *st, enum stmt s, struct diag *d)
{
	sqlite3_stmt *q = st->stmt[s];
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_err(st, d, stmt_sql[s]);
	return PROV_OK;
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

static enum prov_err
state_connect(const char *dir, int create, struct state **out, struct diag *d)
{
	char path[PATH_MAX];
	struct state *st;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int n;

	*out = NULL;
	n = snprintf(path, sizeof(path), "%s/%s", dir, STATE_DB);
	if (n < 0 || (size_t)n >= sizeof(path) || strlen(dir) >= PATH_MAX)
		return diag_set(d, PROV_E_INVAL, 0, 0, "%s: path too long", dir);
	if (!create && !fsutil_exists(path))
		return diag_set(d, PROV_E_NOTFOUND, 0, 0,
				"%s: no device here (create one with `prov phone init`)", dir);
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
	snprintf(st->dir, sizeof(st->dir), "%s", dir);
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		enum prov_err rc = st->db ? db_err(st, d, "open") :
			diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
		state_close(st);
		return rc;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BOUND_STATE_BUSY_MS);
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "PRAGMA foreign_keys=OFF; PRAGMA trusted_schema=OFF;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		enum prov_err rc = db_err(st, d, "configure");
		state_close(st);
		return rc;
	}
	*out = st;
	return PROV_OK;
}

static enum prov_err
state_prepare(struct state *st, struct diag *d)
{
	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK)
			return db_err(st, d, "prepare");
	}
	return PROV_OK;
}

enum prov_err
state_create(const char *dir, const char *const *keys, const char *const *values,
	     struct state **out, struct diag *d)
{
	struct state *st = NULL;
	enum prov_err rc;
	int exists;

	*out = NULL;
	rc = fsutil_mkdir(dir, d);
	if (rc != PROV_OK)
		return rc;
	rc = state_connect(dir, 1, &st, d);
	if (rc != PROV_OK)
		return rc;
	/* Two concurrent inits: the write lock decides; the loser sees meta. */
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(st, d, "begin");
		goto fail;
	}
	{
		sqlite3_stmt *q = NULL;

		if (sqlite3_prepare_v2(st->db,
				       "SELECT count(*) FROM sqlite_schema WHERE name = 'meta'",
				       -1, &q, NULL) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_ROW) {
			sqlite3_finalize(q);
			rc = db_err(st, d, "inspect");
			goto fail_tx;
		}
		exists = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	if (exists) {
		rc = diag_set(d, PROV_E_EXISTS, 0, 0, "%s: a device already exists here", dir);
		goto fail_tx;
	}
	if (sqlite3_exec(st->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(st, d, "create schema");
		goto fail_tx;
	}
	rc = state_prepare(st, d);
	if (rc != PROV_OK)
		goto fail_tx;
	rc = state_put(st, "meta", "schema", STATE_SCHEMA_VERSION, d);
	for (size_t i = 0; rc == PROV_OK && keys[i] != NULL; i++)
		rc = state_put(st, "meta", keys[i], values[i], d);
	if (rc != PROV_OK)
		goto fail_tx;
	rc = state_commit(st, d);
	if (rc != PROV_OK)
		goto fail_tx;
	state_mark(st);
	*out = st;
	return PROV_OK;
fail_tx:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	state_close(st);
	return rc;
}

enum prov_err
state_open(const char *dir, struct state **out, struct diag *d)
{
	struct state *st = NULL;
	enum prov_err rc;
	char *schema = NULL;

	*out = NULL;
	rc = state_connect(dir, 0, &st, d);
	if (rc != PROV_OK)
		return rc;
	rc = state_prepare(st, d);
	if (rc == PROV_OK) {
		rc = state_get(st, "meta", "schema", &schema, d);
		if (rc == PROV_E_NOTFOUND)
			rc = diag_set(d, PROV_E_CORRUPT, 0, 0, "%s/%s: no schema version",
				      dir, STATE_DB);
		else if (rc == PROV_OK && strcmp(schema, STATE_SCHEMA_VERSION) != 0)
			rc = diag_set(d, PROV_E_CORRUPT, 0, 0,
				      "%s/%s: schema version %s, this prov knows %s",
				      dir, STATE_DB, schema, STATE_SCHEMA_VERSION);
		free(schema);
	}
	if (rc != PROV_OK) {
		if (rc == PROV_E_IO && st->db != NULL &&
		    (sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_ERROR)
			rc = diag_set(d, PROV_E_CORRUPT, 0, 0, "%s/%s: not a prov state database",
				      dir, STATE_DB);
		state_close(st);
		return rc;
	}
	state_mark(st);
	*out = st;
	return PROV_OK;
}

const char *
state_dir(const struct state *st)
{
	return st->dir;
}

static long long
data_version(struct state *st)
{
	sqlite3_stmt *q = st->stmt[S_DATA_VERSION];
	long long v = -1;

	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return v;
}

int
state_stale(struct state *st)
{
	return data_version(st) != st->data_version;
}

void
state_mark(struct state *st)
{
	st->data_version = data_version(st);
}

void
state_forget(struct state *st)
{
	st->data_version = -2; /* data_version() never returns it */
}

enum prov_err
state_begin(struct state *st, int write, struct diag *d)
{
	return step_done(st, write ? S_BEGIN_W : S_BEGIN_R, d);
}

enum prov_err
state_commit(struct state *st, struct diag *d)
{
	enum prov_err rc = step_done(st, S_COMMIT, d);

	if (rc != PROV_OK)
		state_rollback(st);
	return rc;
}

void
state_rollback(struct state *st)
{
	if (!sqlite3_get_autocommit(st->db))
		(void)step_done(st, S_ROLLBACK, NULL);
}

enum prov_err
state_each_param(struct state *st,
		 enum prov_err (*fn)(void *, const char *, const char *, int),
		 void *arg, struct diag *d)
{
	sqlite3_stmt *q = st->stmt[S_PARAM_ALL];
	enum prov_err frc = PROV_OK;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		const char *value = (const char *)sqlite3_column_text(q, 1);
		int ua = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 2);

		if (name != NULL && (frc = fn(arg, name, value, ua)) != PROV_OK)
			break;
	}
	sqlite3_reset(q);
	if (frc != PROV_OK)
		return diag_set(d, frc, 0, 0, "reading parameters: %s", prov_strerror(frc));
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(st, d, "read parameters");
	return PROV_OK;
}

enum prov_err
state_each_unknown(struct state *st, enum prov_err (*fn)(void *, const char *),
		   void *arg, struct diag *d)
{
	sqlite3_stmt *q = st->stmt[S_UNKNOWN_ALL];
	enum prov_err frc = PROV_OK;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);

		if (name != NULL && (frc = fn(arg, name)) != PROV_OK)
			break;
	}
	sqlite3_reset(q);
	if (frc != PROV_OK)
		return diag_set(d, frc, 0, 0, "reading unknown names: %s", prov_strerror(frc));
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(st, d, "read unknown names");
	return PROV_OK;
}

enum prov_err
state_put_param(struct state *st, const char *name, const char *value, int ua,
		struct diag *d)
{
	sqlite3_stmt *q;

	if (value == NULL && ua < 0) {
		q = st->stmt[S_PARAM_DEL];
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		return step_done(st, S_PARAM_DEL, d);
	}
	q = st->stmt[S_PARAM_PUT];
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (value != NULL)
		sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 2);
	if (ua >= 0)
		sqlite3_bind_int(q, 3, ua);
	else
		sqlite3_bind_null(q, 3);
	return step_done(st, S_PARAM_PUT, d);
}

enum prov_err
state_put_unknown(struct state *st, const char *name, struct diag *d)
{
	sqlite3_bind_text(st->stmt[S_UNKNOWN_PUT], 1, name, -1, SQLITE_STATIC);
	return step_done(st, S_UNKNOWN_PUT, d);
}

static int
kv_stmts(const char *table, enum stmt *get, enum stmt *put)
{
	if (strcmp(table, "meta") == 0) {
		*get = S_META_GET;
		*put = S_META_PUT;
		return 1;
	}
	if (strcmp(table, "status") == 0) {
		*get = S_STATUS_GET;
		*put = S_STATUS_PUT;
		return 1;
	}
	return 0;
}

enum prov_err
state_get(struct state *st, const char *table, const char *key, char **value,
	  struct diag *d)
{
	enum stmt get, put;
	sqlite3_stmt *q;
	int rc;

	*value = NULL;
	if (!kv_stmts(table, &get, &put))
		return diag_set(d, PROV_E_INVAL, 0, 0, "no table %s", table);
	q = st->stmt[get];
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(q, 0);

		*value = strdup(v ? v : "");
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc == SQLITE_DONE)
		return PROV_E_NOTFOUND;
	if (rc != SQLITE_ROW)
		return db_err(st, d, "read");
	if (*value == NULL)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
	return PROV_OK;
}

enum prov_err
state_put(struct state *st, const char *table, const char *key, const char *value,
	  struct diag *d)
{
	enum stmt get, put;
	sqlite3_stmt *q;

	if (!kv_stmts(table, &get, &put))
		return diag_set(d, PROV_E_INVAL, 0, 0, "no table %s", table);
	q = st->stmt[put];
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	return step_done(st, put, d);
}
