/*
 * db_pg: the PostgreSQL side of db.h, through libpq.
 *
 * Statements: the text is rewritten once (?N and :name to $N); a
 * persistent statement is prepared on the server under a name of its own
 * the first time it runs on a connection, anything else runs as one
 * PQexecParams. Parameters go as text, results come back as text; the
 * column readers in db.c convert.
 *
 * Failures: SQLSTATE classes map to SQLite's codes (23: CONSTRAINT; 40,
 * 55P03, 57014, connection loss: BUSY, which callers answer as 503). A
 * connection found broken is re-established before the next statement
 * (at most once per DB_RECONNECT_MS); a statement that ran outside a
 * transaction and failed because the connection broke is run once more
 * on the new connection (a server restart drops idle connections, and the
 * first statement after it should not fail for that).
 */
#include "db.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

static void
db_pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* What every (re)connection sets: bounds, and read-only when asked. */
static int
db_pg_session(struct db *db)
{
	char sql[256];
	PGresult *r;
	int ok;

	snprintf(sql, sizeof(sql), "SET statement_timeout = %d; SET lock_timeout = %d;"
		 " SET client_min_messages = warning;%s", DB_STATEMENT_TIMEOUT_MS,
		 db->busy_ms > 0 ? db->busy_ms : DB_STATEMENT_TIMEOUT_MS,
		 (db->flags & DB_OPEN_READONLY) ? " SET default_transaction_read_only = on;" : "");
	r = PQexec(db->pg, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		db_fail(db, DB_BUSY, "%s: %s", db->url, PQerrorMessage(db->pg));
	PQclear(r);
	return ok ? DB_OK : DB_BUSY;
}

/* libpq's message s on one line into out: its line breaks (and the tab
 * after them) become one space, the last one goes. */
static void
db_pg_line(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < cap; s++) {
		if (*s == '\n' || *s == '\t') {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
			continue;
		}
		out[o++] = *s;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static const char *
db_pg_msg(struct db *db)
{
	static __thread char m[400];

	db_pg_line(PQerrorMessage(db->pg), m, sizeof(m));
	return m;
}

int
db_pg_open(struct db *db, const char *url)
{
	char ct[16], ut[16];
	const char *keys[] = { "connect_timeout", "keepalives", "keepalives_idle",
			       "keepalives_interval", "keepalives_count", "tcp_user_timeout",
			       "application_name", "dbname", NULL };
	const char *vals[] = { ct, "1", "10", "5", "3", ut, "prov", url, NULL };

	if (pgfn_load() < 0)
		return db_fail(db, DB_CANTOPEN, "%s: %s", db->url, pgfn_error());
	snprintf(ct, sizeof(ct), "%d", DB_CONNECT_TIMEOUT_S);
	snprintf(ut, sizeof(ut), "%d", DB_USER_TIMEOUT_MS);
	/* Keywords before dbname: what the URL itself says wins. */
	db->pg = PQconnectdbParams(keys, vals, 1);
	if (db->pg == NULL)
		return db_fail(db, DB_NOMEM, "out of memory");
	PQsetNoticeProcessor(db->pg, db_pg_quiet, NULL);
	if (PQstatus(db->pg) != CONNECTION_OK) {
		db->last_try_ms = clock_mono_ms();
		return db_fail(db, DB_CANTOPEN, "%s: %s", db->url, db_pg_msg(db));
	}
	db->gen = 1;
	return db_pg_session(db);
}

void
db_pg_close(struct db *db)
{
	PQfinish(db->pg);
}

/* The connection, re-established when it broke. */
static int
db_pg_ready(struct db *db)
{
	int64_t now;

	if (PQstatus(db->pg) == CONNECTION_OK)
		return DB_OK;
	/* at once when the connection just broke; after a failed attempt,
	 * not again for DB_RECONNECT_MS */
	now = clock_mono_ms();
	if (db->last_try_ms != 0 && now - db->last_try_ms < DB_RECONNECT_MS)
		return db_fail(db, DB_BUSY, "%s: database unavailable: %s", db->url,
			       db_pg_msg(db));
	PQreset(db->pg);
	if (PQstatus(db->pg) != CONNECTION_OK) {
		db->last_try_ms = now;
		return db_fail(db, DB_BUSY, "%s: database unavailable: %s", db->url,
			       db_pg_msg(db));
	}
	db->last_try_ms = 0;
	db->gen++;
	return db_pg_session(db);
}

/* The code for a failed result (and db's message). */
static int
db_pg_error(struct db *db, PGresult *r)
{
	const char *s = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *m = r != NULL ? PQresultErrorMessage(r) : "";
	char msg[400];
	int rc = DB_ERROR;

	if (PQstatus(db->pg) != CONNECTION_OK)
		rc = DB_BUSY;
	else if (s == NULL)
		rc = DB_ERROR;
	else if (strncmp(s, "23", 2) == 0)
		rc = DB_CONSTRAINT;
	else if (strncmp(s, "40", 2) == 0 || strncmp(s, "08", 2) == 0 ||
		 strncmp(s, "57P", 3) == 0 || strcmp(s, "55P03") == 0 ||
		 strcmp(s, "57014") == 0 || strcmp(s, "53300") == 0)
		rc = DB_BUSY;
	else if (strcmp(s, "25006") == 0)
		rc = DB_READONLY;
	db_pg_line(m[0] != '\0' ? m : PQerrorMessage(db->pg), msg, sizeof(msg));
	if (strncmp(msg, "ERROR:  ", 8) == 0)
		memmove(msg, msg + 8, strlen(msg + 8) + 1);
	if (rc == DB_BUSY && PQstatus(db->pg) != CONNECTION_OK)
		return db_fail(db, rc, "%s: database unavailable: %s", db->url, msg);
	return db_fail(db, rc, "%s", msg);
}

/* Whether a statement that just failed runs once more: the first try,
 * made outside a transaction, on a connection that broke under it and is
 * back (the file's head comment). */
static int
db_pg_again(struct db *db, int attempt, int idle)
{
	return attempt == 0 && idle && PQstatus(db->pg) != CONNECTION_OK &&
	       db_pg_ready(db) == DB_OK;
}

int
db_pg_exec(struct db *db, const char *sql)
{
	PGresult *r;
	int rc, idle;

	if ((rc = db_pg_ready(db)) != DB_OK)
		return rc;
	for (int attempt = 0;; attempt++) {
		idle = PQtransactionStatus(db->pg) == PQTRANS_IDLE;
		r = PQexec(db->pg, sql);
		if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) {
			db->changes = strtoll(PQcmdTuples(r), NULL, 10);
			PQclear(r);
			return DB_OK;
		}
		rc = db_pg_error(db, r);
		PQclear(r);
		if (!db_pg_again(db, attempt, idle))
			return rc;
	}
}

int
db_pg_busy_timeout(struct db *db, int ms)
{
	char sql[64];

	db->busy_ms = ms;
	snprintf(sql, sizeof(sql), "SET lock_timeout = %d", ms > 0 ? ms : 0);
	return db_pg_exec(db, sql);
}

int
db_pg_autocommit(struct db *db)
{
	return PQtransactionStatus(db->pg) == PQTRANS_IDLE;
}

/* ---- statements ---------------------------------------------------------------- */

/* sql with ?N, ? and :name as $N. Quoted text and PostgreSQL's :: casts
 * are left alone. */
int
db_pg_prepare(struct db_stmt *st, const char *sql)
{
	size_t len = strlen(sql), o = 0;
	char quote = 0, *out;
	int next = 0;

	if (len > DB_SQL_MAX)
		return db_fail(st->db, DB_ERROR, "statement longer than %u bytes", DB_SQL_MAX);
	if ((out = st->sql = malloc(len * 2 + 1)) == NULL)
		return db_fail(st->db, DB_NOMEM, "out of memory");
	for (size_t i = 0; i < len;) {
		char c = sql[i];
		int n = 0;

		if (quote != 0 || c == '\'' || c == '"') {
			if (quote == 0)
				quote = c;
			else if (c == quote)
				quote = 0;
			out[o++] = sql[i++];
			continue;
		}
		if (c == ':' && sql[i + 1] == ':') {
			out[o++] = sql[i++];
			out[o++] = sql[i++];
			continue;
		}
		if (c == '?') {
			i++;
			while (sql[i] >= '0' && sql[i] <= '9')
				n = n * 10 + (sql[i++] - '0');
			if (n == 0)
				n = next + 1;
		} else if (c == ':' && (sql[i + 1] == '_' || (sql[i + 1] >= 'a' && sql[i + 1] <= 'z') ||
					(sql[i + 1] >= 'A' && sql[i + 1] <= 'Z'))) {
			size_t e = i + 1;
			int k;

			while (sql[e] == '_' || (sql[e] >= 'a' && sql[e] <= 'z') ||
			       (sql[e] >= 'A' && sql[e] <= 'Z') || (sql[e] >= '0' && sql[e] <= '9'))
				e++;
			for (k = 0; k < st->nparams; k++)
				if (st->names[k] != NULL && strlen(st->names[k]) == e - i &&
				    strncmp(st->names[k], sql + i, e - i) == 0)
					break;
			n = k < st->nparams ? k + 1 : st->nparams + 1;
			if (n > DB_PARAMS_MAX)
				return db_fail(st->db, DB_RANGE, "more than %d parameters",
					       DB_PARAMS_MAX);
			if (st->names[n - 1] == NULL &&
			    (st->names[n - 1] = strndup(sql + i, e - i)) == NULL)
				return db_fail(st->db, DB_NOMEM, "out of memory");
			i = e;
		} else {
			out[o++] = sql[i++];
			continue;
		}
		if (n > DB_PARAMS_MAX)
			return db_fail(st->db, DB_RANGE, "more than %d parameters", DB_PARAMS_MAX);
		next = n > next ? n : next;
		st->nparams = n > st->nparams ? n : st->nparams;
		st->used |= 1u << (n - 1);
		o += (size_t)sprintf(out + o, "$%d", n);
	}
	out[o] = '\0';
	/* PostgreSQL infers each parameter's type from where it is used;
	 * one never used (SQLite allows that) is declared text. */
	for (int i = 0; i < st->nparams; i++)
		st->types[i] = (st->used & (1u << i)) ? 0 : 25;
	return DB_OK;
}

/* Runs st once: prepares it on this connection first when persistent. */
static PGresult *
db_pg_run(struct db_stmt *st)
{
	struct db *db = st->db;
	PGresult *r;

	if (!st->persistent)
		return PQexecParams(db->pg, st->sql, st->nparams, st->types, st->vals, NULL, NULL, 0);
	if (st->gen != db->gen) {
		snprintf(st->name, sizeof(st->name), "p%u", ++db->next_name);
		r = PQprepare(db->pg, st->name, st->sql, st->nparams, st->types);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			return r;
		PQclear(r);
		st->gen = db->gen;
	}
	return PQexecPrepared(db->pg, st->name, st->nparams, st->vals, NULL, NULL, 0);
}

int
db_pg_step(struct db_stmt *st)
{
	struct db *db = st->db;
	int rc, idle;

	if (st->done)
		db_pg_reset(st);
	if (st->res == NULL) {
		for (int attempt = 0;; attempt++) {
			if ((rc = db_pg_ready(db)) != DB_OK)
				return rc;
			idle = PQtransactionStatus(db->pg) == PQTRANS_IDLE;
			st->res = db_pg_run(st);
			switch (PQresultStatus(st->res)) {
			case PGRES_TUPLES_OK:
				st->nrows = PQntuples(st->res);
				db->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
				break;
			case PGRES_COMMAND_OK:
				st->nrows = 0;
				db->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
				break;
			default:
				rc = db_pg_error(db, st->res);
				PQclear(st->res);
				st->res = NULL;
				if (db_pg_again(db, attempt, idle))
					continue;
				return rc;
			}
			break;
		}
		st->row = 0;
	}
	if (st->row < st->nrows) {
		st->row++;
		return DB_ROW;
	}
	st->done = 1;
	return DB_DONE;
}

void
db_pg_reset(struct db_stmt *st)
{
	if (st->res != NULL)
		PQclear(st->res);
	st->res = NULL;
	st->row = st->nrows = 0;
	st->done = 0;
}

void
db_pg_finalize(struct db_stmt *st)
{
	char sql[32];
	PGresult *r;

	db_pg_reset(st);
	if (st->persistent && st->gen == st->db->gen && PQstatus(st->db->pg) == CONNECTION_OK &&
	    PQtransactionStatus(st->db->pg) == PQTRANS_IDLE) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		r = PQexec(st->db->pg, sql);
		PQclear(r);
	}
	for (int i = 0; i < DB_PARAMS_MAX; i++) {
		free(st->owned[i]);
		free(st->names[i]);
	}
	free(st->sql);
}
