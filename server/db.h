/*
 * db: the server's storage layer: one API over SQLite (the embedded
 * default) and PostgreSQL (libpq; server.md S-SCL-1), so that the
 * inventory, the history and the modules keeping tables beside them run
 * the same statements on both.
 *
 * The API is SQLite's shape (prepare, bind, step, column, finalize), so a
 * statement reads the same on either. Statements are written once in the
 * SQL both speak: numbered parameters (?1, ?2, or :name), ON CONFLICT
 * upserts, RETURNING, COALESCE. On PostgreSQL the text is rewritten at
 * prepare time: ?N and :name become $N, and nothing else changes.
 * Schema text (migrations) goes through db_exec_schema, which on
 * PostgreSQL also maps the few types SQLite spells differently: INTEGER
 * is 64-bit (BIGINT), INTEGER PRIMARY KEY is an identity column, CHAR(n)
 * is VARCHAR(n) (PostgreSQL pads CHAR with spaces), BLOB is BYTEA.
 *
 * PostgreSQL is a network peer, so every wait is bounded: connecting
 * (DB_CONNECT_TIMEOUT_S), each statement (DB_STATEMENT_TIMEOUT_MS, or the
 * busy timeout for lock waits), a dead peer (TCP keepalives and
 * tcp_user_timeout). A connection that breaks answers DB_BUSY with
 * "database unavailable" at once, and is re-established by the next use
 * at most once per DB_RECONNECT_MS, so a server keeps answering (503 for
 * what needs the database) and recovers by itself when the database is
 * back. Statements prepared before a reconnection are prepared again.
 *
 * Threads: one struct db per thread, as with SQLite.
 */
#ifndef PROV_SERVER_DB_H
#define PROV_SERVER_DB_H

#include <stddef.h>
#include <stdint.h>

#define DB_CONNECT_TIMEOUT_S 5          /* PostgreSQL: connecting, per address */
#define DB_STATEMENT_TIMEOUT_MS 30000   /* PostgreSQL: longest statement */
#define DB_USER_TIMEOUT_MS 10000        /* PostgreSQL: unacknowledged data (dead peer) */
#define DB_RECONNECT_MS 1000            /* PostgreSQL: at most one reconnect per this */
#define DB_PARAMS_MAX 32                /* parameters of one statement */
#define DB_SQL_MAX (64u * 1024u)        /* text of one statement */

/* Result codes: SQLite's numbers, so an SQLite result passes through. */
#define DB_OK 0
#define DB_ERROR 1
#define DB_BUSY 5           /* locked, timed out, or the database is unavailable */
#define DB_LOCKED 6
#define DB_NOMEM 7
#define DB_READONLY 8
#define DB_IOERR 10
#define DB_CORRUPT 11
#define DB_CANTOPEN 14
#define DB_PROTOCOL 15
#define DB_CONSTRAINT 19
#define DB_MISMATCH 20
#define DB_RANGE 25
#define DB_NOTADB 26
#define DB_ROW 100
#define DB_DONE 101

/* Column types (db_column_type). */
#define DB_INTEGER 1
#define DB_FLOAT 2
#define DB_TEXT 3
#define DB_BLOB 4
#define DB_NULL 5

/* db_bind_text: whether the text outlives the statement's next step
 * (STATIC: the caller keeps it; TRANSIENT: copied). */
#define DB_STATIC 0
#define DB_TRANSIENT 1

/* db_open flags. */
#define DB_OPEN_READONLY 1  /* SQLite: read-only; PostgreSQL: read-only transactions */
#define DB_OPEN_CREATE 2    /* SQLite: create the file when missing */
#define DB_OPEN_RETRY 4     /* PostgreSQL: unreachable is not final (see db_open) */

enum db_kind { DB_SQLITE, DB_PG };

struct db;
struct db_stmt;

/* 1 when url names a database this build speaks: "sqlite:PATH", a bare
 * PATH, or "postgresql://..." / "postgres://..." (a libpq URI). */
int db_url_ok(const char *url);
/* 1 when url names PostgreSQL. */
int db_url_is_pg(const char *url);
/* The file of an SQLite URL, NULL for PostgreSQL or no URL. */
const char *db_url_path(const char *url);
/* url for messages: a PostgreSQL URI without its password. */
void db_url_safe(const char *url, char *out, size_t cap);

/* Opens url. Returns DB_OK, or a code with the reason in err (which
 * names the database, never a password); *out is NULL on failure, except
 * with DB_OPEN_RETRY when PostgreSQL could not be reached: then DB_BUSY
 * with *out set, and each use tries to connect again (db.h above). */
int db_open(struct db **out, const char *url, int flags, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);

/* SQLite's busy timeout; PostgreSQL's lock_timeout (and statement
 * timeout at least DB_STATEMENT_TIMEOUT_MS). */
int db_busy_timeout(struct db *db, int ms);

/* Runs sql (one or more statements, no parameters). */
int db_exec(struct db *db, const char *sql);
/* db_exec of schema text, with PostgreSQL's spelling of its types. */
int db_exec_schema(struct db *db, const char *sql);
/* BEGIN: SQLite's BEGIN IMMEDIATE (the write lock at once), PostgreSQL's
 * BEGIN. */
int db_begin(struct db *db);

/* Prepares sql. persistent: kept for the connection's life and used many
 * times (PostgreSQL: a named server-side statement); else run as one
 * round trip each time. Returns DB_OK with *st set, or a code. */
int db_prepare(struct db *db, const char *sql, struct db_stmt **st);
int db_prepare_persistent(struct db *db, const char *sql, struct db_stmt **st);
int db_finalize(struct db_stmt *st);
int db_reset(struct db_stmt *st);
int db_clear_bindings(struct db_stmt *st);
/* The index of the named parameter (":name"), 0 when none. */
int db_bind_parameter_index(struct db_stmt *st, const char *name);

/* Parameters are numbered from 1. n < 0: s is NUL-terminated. */
int db_bind_text(struct db_stmt *st, int i, const char *s, int n, int life);
int db_bind_int64(struct db_stmt *st, int i, int64_t v);
int db_bind_int(struct db_stmt *st, int i, int v);
int db_bind_null(struct db_stmt *st, int i);

/* DB_ROW (a row is ready), DB_DONE, or an error code. */
int db_step(struct db_stmt *st);

/* Columns of the current row, numbered from 0. text: NULL for NULL,
 * valid until the next step, reset or finalize. */
int db_column_type(struct db_stmt *st, int i);
int64_t db_column_int64(struct db_stmt *st, int i);
int db_column_int(struct db_stmt *st, int i);
const unsigned char *db_column_text(struct db_stmt *st, int i);
int db_column_bytes(struct db_stmt *st, int i);

/* The last failure's message (borrowed until the next call on db). */
const char *db_errmsg(struct db *db);
const char *db_errstr(int rc);
int db_errcode(struct db *db);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t db_changes(struct db *db);
/* 1 when the last failure was PostgreSQL being unreachable (not a lock
 * or a timeout); always 0 on SQLite. */
int db_unavailable(struct db *db);
/* 1 outside a transaction. */
int db_get_autocommit(struct db *db);
/* 1 when table has column (column NULL: when the table exists), 0 not,
 * -1 on failure. */
int db_has_column(struct db *db, const char *table, const char *column);

/* The schema version of component ("inventory", "history"), from the
 * schema_version table (0 when absent). For SQLite's history, whose
 * version lived in PRAGMA user_version before, that is read too. */
int db_schema_version(struct db *db, const char *component, int *version);
int db_schema_version_set(struct db *db, const char *component, int version);

/* The database's size in bytes in use (history retention). */
int db_size(struct db *db, int64_t *bytes);

#endif
