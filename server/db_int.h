/*
 * db internals: the connection and statement of both backends (db.c for
 * SQLite and what both share, db_pg.c for PostgreSQL).
 */
#ifndef PROV_SERVER_DB_INT_H
#define PROV_SERVER_DB_INT_H

#include <sqlite3.h>

#include "pgfn.h"

#define DB_SEEN_MAX 8 /* tables and columns db_has_column remembers finding */

#include "db.h"

struct db {
	enum db_kind kind;
	sqlite3 *lite;
	/* PostgreSQL */
	PGconn *pg;
	int flags;                 /* DB_OPEN_* */
	int busy_ms;               /* lock_timeout */
	unsigned gen;              /* bumped by each (re)connection */
	unsigned next_name;        /* persistent statement names */
	int64_t last_try_ms;       /* monotonic: the last failed connection attempt, 0 none */
	int64_t changes;
	int errcode;
	char seen[DB_SEEN_MAX][64]; /* "table.column" found by db_has_column */
	char url[512];             /* for messages: no password */
	char err[512];
};

struct db_stmt {
	struct db *db;
	sqlite3_stmt *lite;
	/* PostgreSQL */
	char *sql;                 /* with $N parameters */
	int nparams;
	int persistent;
	unsigned gen;              /* prepared on this connection generation; 0 none */
	char name[16];
	const char *vals[DB_PARAMS_MAX];
	char *owned[DB_PARAMS_MAX];   /* copies made for DB_TRANSIENT */
	char ints[DB_PARAMS_MAX][24];
	char *names[DB_PARAMS_MAX];   /* ":name" of parameter i + 1, or NULL */
	Oid types[DB_PARAMS_MAX];     /* 0: inferred; text for one the SQL never names */
	uint32_t used;                /* bit i: the SQL names parameter i + 1 */
	PGresult *res;
	int row, nrows;            /* the current row is row - 1 */
	int done;
};

/* Schema text in PostgreSQL's spelling (db.h); fresh, or NULL. */
char *db_pg_schema(const char *sql);
int db_pg_open(struct db *db, const char *url);
void db_pg_close(struct db *db);
int db_pg_exec(struct db *db, const char *sql);
int db_pg_prepare(struct db_stmt *st, const char *sql);
int db_pg_step(struct db_stmt *st);
void db_pg_reset(struct db_stmt *st);
void db_pg_finalize(struct db_stmt *st);
int db_pg_busy_timeout(struct db *db, int ms);
int db_pg_autocommit(struct db *db);
int db_fail(struct db *db, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
