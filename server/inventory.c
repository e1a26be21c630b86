/*
 * inventory: devices, variables, keys and templates in SQLite. See
 * inventory.h.
 *
 * The schema is versioned in schema_version (component 'inventory'), apart
 * from the history's PRAGMA user_version, so the two evolve on their own;
 * inv_migrations[i] takes the inventory from version i to i + 1 and is
 * never edited once released.
 */
#define _GNU_SOURCE /* strcasestr */
#include "inventory.h"

#include <fcntl.h>
#include "db.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <prov/prov.h>

#include "hex.h"
#include "inventory_int.h"
#include "store.h"

/* PostgreSQL's spelling of migration 3 -> 4's change-log triggers: one
 * function, told by its arguments which columns of the row to log. */
#define INV_PG_LOG_FN \
	"CREATE FUNCTION inventory_log() RETURNS trigger LANGUAGE plpgsql AS $f$" \
	" DECLARE j jsonb; BEGIN" \
	" IF TG_OP = 'DELETE' THEN j := to_jsonb(OLD); ELSE j := to_jsonb(NEW); END IF;" \
	" INSERT INTO inventory_change (time_ms, kind, scope, owner, name, action) VALUES (" \
	" (extract(epoch FROM clock_timestamp()) * 1000)::bigint, TG_ARGV[0]," \
	" j->>TG_ARGV[1], j->>TG_ARGV[2], j->>TG_ARGV[3], TG_ARGV[4]);" \
	" RETURN NULL; END $f$;"
#define INV_PG_LOG(tbl, ev, kind, scope, owner, name, action) \
	"CREATE TRIGGER " tbl "_" action " AFTER " ev " ON " tbl " FOR EACH ROW" \
	" EXECUTE FUNCTION inventory_log('" kind "', '" scope "', '" owner "', '" name "'," \
	" '" action "');"

/* Each migration in the SQL both speak (db_exec_schema maps the types),
 * and where PostgreSQL needs other text, that text. */
static const struct { const char *sql, *pg; } inv_migrations[] = {
	/* 0 -> 1: the inventory */
	{ "CREATE TABLE device_group (name VARCHAR(128) PRIMARY KEY, notes TEXT);"
	"CREATE TABLE device ("
	" mac CHAR(12) PRIMARY KEY, serial VARCHAR(128), product VARCHAR(128),"
	" group_name VARCHAR(128), enabled INTEGER NOT NULL, notes TEXT,"
	" created_ms BIGINT NOT NULL);"
	"CREATE INDEX device_by_group ON device (group_name);"
	"CREATE TABLE device_key ("
	" mac CHAR(12) NOT NULL, key_id INTEGER NOT NULL, secret CHAR(64) NOT NULL,"
	" created_ms BIGINT NOT NULL, PRIMARY KEY (mac, key_id));"
	"CREATE TABLE variable ("
	" scope VARCHAR(8) NOT NULL, owner VARCHAR(128) NOT NULL, name VARCHAR(32) NOT NULL,"
	" value TEXT NOT NULL, PRIMARY KEY (scope, owner, name));"
	"CREATE TABLE template ("
	" name VARCHAR(128) PRIMARY KEY, body TEXT NOT NULL, updated_ms BIGINT NOT NULL);", NULL },
	/* 1 -> 2: a change counter, so a server can keep what it rendered
	 * until the inventory changes */
	{ "CREATE TABLE inventory_serial (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);"
	"INSERT INTO inventory_serial (id, n) VALUES (1, 0);", NULL },
	/* 2 -> 3: per-device HTTP Digest credentials, variables marked
	 * secret, and the server's own secrets (the Digest nonce key, shared
	 * by every worker reading this database) */
	{ "ALTER TABLE device ADD COLUMN http_user VARCHAR(128);"
	"ALTER TABLE device ADD COLUMN http_password VARCHAR(128);"
	"ALTER TABLE variable ADD COLUMN secret INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE server_secret (name VARCHAR(32) PRIMARY KEY, secret CHAR(64) NOT NULL);", NULL },
	/* 3 -> 4: device reports (server/report.c: one row per report, the
	 * last report's parameters; value NULL for one the device keeps to
	 * itself, a secret), and the inventory's change log (the timeline),
	 * written by triggers so that every writer logs, and never a value.
	 * PostgreSQL's triggers are its own (INV_PG_LOG). */
	{
#define INV_M4_TABLES \
	"CREATE TABLE device_report (" \
	" mac CHAR(12) NOT NULL, time_ms BIGINT NOT NULL, client VARCHAR(64)," \
	" proto VARCHAR(8), bytes BIGINT NOT NULL, params INTEGER NOT NULL," \
	" layers VARCHAR(32), template VARCHAR(256), servip VARCHAR(64), port VARCHAR(8));" \
	"CREATE INDEX device_report_by_mac ON device_report (mac, time_ms);" \
	"CREATE TABLE device_reported (" \
	" mac CHAR(12) NOT NULL, name VARCHAR(128) NOT NULL, value TEXT," \
	" PRIMARY KEY (mac, name));" \
	"CREATE TABLE inventory_change (" \
	" time_ms BIGINT NOT NULL, kind VARCHAR(16) NOT NULL, scope VARCHAR(8)," \
	" owner VARCHAR(128), name VARCHAR(128), action VARCHAR(8) NOT NULL);" \
	"CREATE INDEX inventory_change_by_time ON inventory_change (time_ms);"
	INV_M4_TABLES
#define INV_NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
#define INV_LOG(tbl, ev, kind, scope, owner, name, action) \
	"CREATE TRIGGER " tbl "_" action " AFTER " ev " ON " tbl " BEGIN" \
	" INSERT INTO inventory_change (time_ms, kind, scope, owner, name, action)" \
	" VALUES (" INV_NOW_MS ", '" kind "', " scope ", " owner ", " name ", '" action "');" \
	" END;"
	INV_LOG("device", "INSERT", "device", "NULL", "NEW.mac", "NULL", "add")
	INV_LOG("device", "UPDATE", "device", "NULL", "NEW.mac", "NULL", "set")
	INV_LOG("device", "DELETE", "device", "NULL", "OLD.mac", "NULL", "rm")
	INV_LOG("variable", "INSERT", "var", "NEW.scope", "NEW.owner", "NEW.name", "add")
	INV_LOG("variable", "UPDATE", "var", "NEW.scope", "NEW.owner", "NEW.name", "set")
	INV_LOG("variable", "DELETE", "var", "OLD.scope", "OLD.owner", "OLD.name", "rm")
	INV_LOG("template", "INSERT", "template", "NULL", "NULL", "NEW.name", "add")
	INV_LOG("template", "UPDATE", "template", "NULL", "NULL", "NEW.name", "set")
	INV_LOG("template", "DELETE", "template", "NULL", "NULL", "OLD.name", "rm")
	INV_LOG("device_key", "INSERT", "key", "NULL", "NEW.mac",
		"CAST(NEW.key_id AS TEXT)", "add"),
	INV_M4_TABLES
	INV_PG_LOG_FN
	INV_PG_LOG("device", "INSERT", "device", "", "mac", "", "add")
	INV_PG_LOG("device", "UPDATE", "device", "", "mac", "", "set")
	INV_PG_LOG("device", "DELETE", "device", "", "mac", "", "rm")
	INV_PG_LOG("variable", "INSERT", "var", "scope", "owner", "name", "add")
	INV_PG_LOG("variable", "UPDATE", "var", "scope", "owner", "name", "set")
	INV_PG_LOG("variable", "DELETE", "var", "scope", "owner", "name", "rm")
	INV_PG_LOG("template", "INSERT", "template", "", "", "name", "add")
	INV_PG_LOG("template", "UPDATE", "template", "", "", "name", "set")
	INV_PG_LOG("template", "DELETE", "template", "", "", "name", "rm")
	INV_PG_LOG("device_key", "INSERT", "key", "", "mac", "key_id", "add") },
#undef INV_M4_TABLES
#undef INV_LOG
#undef INV_NOW_MS
	/* 4 -> 5: firmware images and staged rollouts (server/rollout.c), and
	 * the NOTIFY pushes sent (server/notify.c) */
	{ "CREATE TABLE firmware ("
	" version VARCHAR(64) PRIMARY KEY, path TEXT NOT NULL, size BIGINT NOT NULL,"
	" sha256 CHAR(64) NOT NULL, added_ms BIGINT NOT NULL);"
	"CREATE TABLE rollout ("
	" id INTEGER PRIMARY KEY, version VARCHAR(64) NOT NULL, group_name VARCHAR(128) NOT NULL,"
	" canary_pct INTEGER NOT NULL, halt_pct INTEGER NOT NULL, state VARCHAR(16) NOT NULL,"
	" why TEXT NOT NULL, started_ms BIGINT NOT NULL, changed_ms BIGINT NOT NULL);"
	"CREATE TABLE rollout_device ("
	" rollout_id INTEGER NOT NULL, mac CHAR(12) NOT NULL, canary INTEGER NOT NULL,"
	" state VARCHAR(16) NOT NULL, offered_ms BIGINT, changed_ms BIGINT NOT NULL,"
	" PRIMARY KEY (rollout_id, mac));"
	"CREATE TABLE push ("
	" id INTEGER PRIMARY KEY, time_ms BIGINT NOT NULL, mac CHAR(12) NOT NULL,"
	" event VARCHAR(16) NOT NULL, dest VARCHAR(64) NOT NULL, result VARCHAR(16) NOT NULL,"
	" detail TEXT NOT NULL);"
	"CREATE INDEX push_by_mac ON push (mac, time_ms);", NULL },
	/* 5 -> 6: activation codes (server/activate.c): the code only as its
	 * keyed hash, the last 4 digits to tell codes apart in a list; */
	{ "CREATE TABLE activation_code ("
	" id INTEGER PRIMARY KEY, hash CHAR(64) NOT NULL UNIQUE, tail CHAR(4) NOT NULL,"
	" group_name VARCHAR(128), product VARCHAR(128), created_ms BIGINT NOT NULL,"
	" expires_ms BIGINT NOT NULL, used_ms BIGINT, used_by CHAR(12),"
	" revoked INTEGER NOT NULL DEFAULT 0);"
	/* ... and the device certificates the server's CA issued (ca.c) */
	"CREATE TABLE device_cert ("
	" serial CHAR(32) PRIMARY KEY, mac CHAR(12) NOT NULL, how VARCHAR(8) NOT NULL,"
	" not_after_ms BIGINT NOT NULL, created_ms BIGINT NOT NULL, revoked_ms BIGINT);"
	"CREATE INDEX device_cert_by_mac ON device_cert (mac);", NULL },
};
#define INV_SCHEMA_VERSION ((int)(sizeof(inv_migrations) / sizeof(inv_migrations[0])))
const int inv_schema_version = INV_SCHEMA_VERSION;

static const char *const inv_scope_names[] = { "global", "product", "group", "device" };

static const char *const inv_sql[Q_COUNT] = {
	[Q_DEV_GET] = "SELECT d.mac, d.serial, d.product, d.group_name, d.enabled, d.notes,"
		" d.created_ms, (SELECT MAX(k.key_id) FROM device_key k WHERE k.mac = d.mac),"
		" d.http_user, d.http_password"
		" FROM device d WHERE d.mac = ?1",
	[Q_DEV_ADD] = "INSERT INTO device (mac, serial, product, group_name, enabled, notes,"
		" created_ms, http_user, http_password)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_DEV_UPD] = "UPDATE device SET serial = ?2, product = ?3, group_name = ?4,"
		" enabled = ?5, notes = ?6, http_user = ?8, http_password = ?9 WHERE mac = ?1",
	[Q_DEV_RM] = "DELETE FROM device WHERE mac = ?1",
	[Q_DEV_LIST] = "SELECT d.mac, d.serial, d.product, d.group_name, d.enabled, d.notes,"
		" d.created_ms, (SELECT MAX(k.key_id) FROM device_key k WHERE k.mac = d.mac),"
		" d.http_user, d.http_password"
		" FROM device d ORDER BY d.mac",
	[Q_DEV_LIST_GROUP] = "SELECT d.mac, d.serial, d.product, d.group_name, d.enabled,"
		" d.notes, d.created_ms,"
		" (SELECT MAX(k.key_id) FROM device_key k WHERE k.mac = d.mac),"
		" d.http_user, d.http_password"
		" FROM device d WHERE d.group_name = ?1 ORDER BY d.mac",
	[Q_GROUP_ADD] = "INSERT INTO device_group (name) VALUES (?1) ON CONFLICT DO NOTHING",
	[Q_KEY_GET] = "SELECT key_id, secret FROM device_key WHERE mac = ?1 AND key_id = ?2",
	[Q_KEY_CUR] = "SELECT key_id, secret FROM device_key WHERE mac = ?1"
		" ORDER BY key_id DESC LIMIT 1",
	[Q_KEY_ADD] = "INSERT INTO device_key (mac, key_id, secret, created_ms)"
		" VALUES (?1, ?2, ?3, ?4)",
	[Q_KEY_RETIRE] = "DELETE FROM device_key WHERE mac = ?1 AND key_id < ?2",
	[Q_KEY_RM] = "DELETE FROM device_key WHERE mac = ?1",
	/* Once secret, a variable stays secret until it is unset. */
	[Q_VAR_SET] = "INSERT INTO variable (scope, owner, name, value, secret)"
		" VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (scope, owner, name) DO UPDATE SET value = excluded.value,"
		" secret = CASE WHEN excluded.secret <> 0 THEN 1 ELSE variable.secret END",
	[Q_VAR_UNSET] = "DELETE FROM variable WHERE scope = ?1 AND owner = ?2 AND name = ?3",
	[Q_VAR_LIST] = "SELECT name, value, secret FROM variable WHERE scope = ?1 AND owner = ?2"
		" ORDER BY name",
	[Q_VAR_RM_DEV] = "DELETE FROM variable WHERE scope = 'device' AND owner = ?1",
	[Q_TPL_PUT] = "INSERT INTO template (name, body, updated_ms) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (name) DO UPDATE SET body = excluded.body,"
		" updated_ms = excluded.updated_ms",
	[Q_TPL_GET] = "SELECT body FROM template WHERE name = ?1",
	[Q_TPL_RM] = "DELETE FROM template WHERE name = ?1",
	[Q_TPL_LIST] = "SELECT name, LENGTH(body), updated_ms FROM template ORDER BY name",
	[Q_SEEN] = "SELECT time_ms, status, user_agent FROM request WHERE mac = ?1"
		" ORDER BY time_ms DESC LIMIT 1",
	/* The phone's "Successful resync ..." / "Resync failed: ..." (its
	 * Log_Resync_* messages), not its "Requesting resync ...". */
	[Q_RESULT] = "SELECT time_ms, text FROM syslog WHERE mac = ?1"
		" AND LOWER(text) LIKE '%resync%' AND LOWER(text) NOT LIKE '%requesting%'"
		" ORDER BY time_ms DESC LIMIT 1",
	[Q_VAR_KNOWN] = "SELECT 1 FROM variable WHERE name = ?1 LIMIT 1",
	[Q_SERIAL] = "SELECT n FROM inventory_serial WHERE id = 1",
	[Q_SERIAL_BUMP] = "UPDATE inventory_serial SET n = n + 1 WHERE id = 1",
	/* One row whether or not the device or the key exists (NULLs then),
	 * so every answer costs the same (inv_gate). */
	[Q_GATE] = "SELECT d.mac, d.serial, d.product, d.group_name, d.enabled, d.notes,"
		" d.created_ms, (SELECT MAX(k2.key_id) FROM device_key k2 WHERE k2.mac = w.m),"
		" d.http_user, d.http_password, k.key_id, k.secret,"
		" (SELECT n FROM inventory_serial WHERE id = 1)"
		" FROM (SELECT CAST(?1 AS VARCHAR(12)) AS m) w LEFT JOIN device d ON d.mac = w.m"
		" LEFT JOIN device_key k ON k.mac = w.m AND k.key_id = CASE WHEN ?2 = 0 THEN"
		" (SELECT MAX(k3.key_id) FROM device_key k3 WHERE k3.mac = w.m) ELSE ?2 END",
	[Q_SECRET_GET] = "SELECT secret FROM server_secret WHERE name = ?1",
	[Q_SECRET_ADD] = "INSERT INTO server_secret (name, secret) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO NOTHING",
};

__attribute__((format(printf, 2, 3)))
int
inv_fail(struct inv *inv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(inv->err, sizeof(inv->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* An SQLite failure: the reason, and whether it is the database being
 * unavailable (busy, locked, unreadable) rather than a bad statement. */
int
inv_dbfail(struct inv *inv, int rc)
{
	int code = rc & 0xff;

	inv->busy = code == DB_BUSY || code == DB_LOCKED || code == DB_IOERR ||
		code == DB_CANTOPEN || code == DB_CORRUPT || code == DB_NOTADB ||
		code == DB_PROTOCOL || code == DB_READONLY;
	return inv_fail(inv, "%s: %s", inv->path, db_errmsg(inv->db));
}


struct db *
inv_db(struct inv *inv)
{
	return inv->db;
}

int
inv_sqlfail(struct inv *inv, int rc)
{
	return inv_dbfail(inv, rc);
}

const char *
inv_errmsg(const struct inv *inv)
{
	return inv->err;
}

int
inv_busy(const struct inv *inv)
{
	return inv->busy;
}

static int64_t
inv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int inv_migrate(struct inv *inv);

/* The statement q, prepared on first use, reset and unbound. */
struct db_stmt *
inv_stmt(struct inv *inv, enum inv_q q)
{
	int rc;

	inv->busy = 0;
	if (inv->stale) {
		if (inv_migrate(inv) < 0) {
			inv->busy = 1;
			return NULL;
		}
		inv->stale = 0;
	}
	if (inv->st[q] == NULL) {
		rc = db_prepare_persistent(inv->db, inv_sql[q], &inv->st[q]);
		if (rc != DB_OK) {
			inv_dbfail(inv, rc);
			return NULL;
		}
	}
	return inv->st[q];
}

void
inv_done(struct db_stmt *st)
{
	db_reset(st);
	db_clear_bindings(st);
}

static void
inv_bind(struct db_stmt *st, int i, const char *s)
{
	if (s != NULL && s[0] != '\0')
		db_bind_text(st, i, s, -1, DB_STATIC);
	else
		db_bind_null(st, i);
}

/* Runs a statement that writes and returns no rows; a change bumps the
 * inventory's serial in the same transaction (one of its own when the
 * caller has none), so a reader never sees a change without its bump.
 * Returns the rows changed, or -1. */
static int
inv_exec(struct inv *inv, struct db_stmt *st)
{
	int own = db_get_autocommit(inv->db), rc = DB_OK, n = 0;
	struct db_stmt *bump;

	if (own)
		rc = db_begin(inv->db);
	if (rc == DB_OK) {
		rc = db_step(st);
		rc = rc == DB_DONE ? DB_OK : rc;
	}
	inv_done(st);
	if (rc == DB_OK && (n = db_changes(inv->db)) > 0) {
		if ((bump = inv_stmt(inv, Q_SERIAL_BUMP)) == NULL)
			goto fail;
		rc = db_step(bump);
		rc = rc == DB_DONE ? DB_OK : rc;
		inv_done(bump);
	}
	if (rc == DB_OK && own)
		rc = db_exec(inv->db, "COMMIT");
	if (rc == DB_OK)
		return n;
	inv_dbfail(inv, rc);
fail:
	if (own)
		inv_rollback(inv);
	return -1;
}

int
inv_serial(struct inv *inv, int64_t *n)
{
	struct db_stmt *st = inv_stmt(inv, Q_SERIAL);
	int rc;

	if (st == NULL)
		return -1;
	rc = db_step(st);
	if (rc == DB_ROW)
		*n = db_column_int64(st, 0);
	inv_done(st);
	return rc == DB_ROW ? 0 : inv_dbfail(inv, rc == DB_DONE ? DB_CORRUPT : rc);
}

/* ---- schema ------------------------------------------------------------------ */

/* Brings the schema up to date in one transaction (DDL is transactional
 * on both), so a kill in the middle or two openers at once never leave
 * half a schema; on PostgreSQL an advisory lock orders concurrent
 * openers. An existing PostgreSQL schema is upgraded only when asked
 * (INV_OPEN_MIGRATE: `prov db migrate`): the N servers sharing it must
 * not each change it under the others; a new one is created. */
static int
inv_migrate(struct inv *inv)
{
	int version = 0, rc, pg = db_kind(inv->db) == DB_PG;

	rc = db_begin(inv->db);
	if (rc == DB_OK && pg)
		rc = db_exec(inv->db, "SELECT pg_advisory_xact_lock(" STORE_PG_LOCK ")");
	if (rc == DB_OK)
		rc = db_schema_version(inv->db, "inventory", &version);
	if (rc != DB_OK)
		goto fail;
	if (version > INV_SCHEMA_VERSION) {
		db_exec(inv->db, "ROLLBACK");
		return inv_fail(inv, "%s: inventory schema %d is newer than this prov (%d)",
				inv->path, version, INV_SCHEMA_VERSION);
	}
	if (version == INV_SCHEMA_VERSION)
		return db_exec(inv->db, "COMMIT") == DB_OK ? 0 :
			inv_dbfail(inv, DB_ERROR);
	if (pg && version > 0 && !(inv->how & INV_OPEN_MIGRATE)) {
		db_exec(inv->db, "ROLLBACK");
		return inv_fail(inv, "%s: inventory schema %d is older than this prov's (%d):"
				" run 'prov db migrate --db URL'", inv->path, version,
				INV_SCHEMA_VERSION);
	}
	for (; version < INV_SCHEMA_VERSION && rc == DB_OK; version++)
		rc = pg && inv_migrations[version].pg != NULL ?
			db_exec_schema(inv->db, inv_migrations[version].pg) :
			db_exec_schema(inv->db, inv_migrations[version].sql);
	if (rc == DB_OK)
		rc = db_schema_version_set(inv->db, "inventory", INV_SCHEMA_VERSION);
	if (rc == DB_OK)
		rc = db_exec(inv->db, "COMMIT");
	if (rc == DB_OK)
		return 0;
fail:
	inv_dbfail(inv, rc);
	if (!db_get_autocommit(inv->db))
		db_exec(inv->db, "ROLLBACK");
	return -1;
}

int
inv_open(struct inv **out, const char *url, int how, char *err, size_t errlen)
{
	const char *path = db_url_path(url);
	char name[512];
	struct inv *inv;
	int rc, fd, serve = how & INV_OPEN_SERVE;

	*out = NULL;
	if (!db_url_ok(url)) {
		snprintf(err, errlen, "'%s': not a database URL this build speaks"
			 " (sqlite:PATH or postgresql://...)", url != NULL ? url : "");
		return -1;
	}
	db_url_safe(url, name, sizeof(name));
	inv = calloc(1, sizeof(*inv));
	if (inv == NULL || (inv->path = strdup(path != NULL ? path : name)) == NULL) {
		free(inv);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	inv->how = how;
	/* Private from birth: the database holds device keys. */
	if (path != NULL && (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
				       O_NOFOLLOW, 0600)) >= 0)
		close(fd);
	rc = db_open(&inv->db, url, DB_OPEN_CREATE | (serve ? DB_OPEN_RETRY : 0), err, errlen);
	if (rc != DB_OK && inv->db == NULL) {
		inv_close(inv);
		return -1;
	}
	if (rc == DB_OK)
		rc = db_busy_timeout(inv->db, serve ? INV_SERVE_BUSY_MS : INV_BUSY_MS);
	/* The history's writer sets WAL too; whoever comes first does it. */
	if (rc == DB_OK && path != NULL &&
	    (db_exec(inv->db, "PRAGMA journal_mode=WAL") != DB_OK ||
	     db_exec(inv->db, "PRAGMA synchronous=NORMAL") != DB_OK)) {
		snprintf(err, errlen, "%s: %s", path, db_errmsg(inv->db));
		inv_close(inv);
		return -1;
	}
	if (rc != DB_OK || inv_migrate(inv) < 0) {
		if (rc == DB_OK)
			snprintf(err, errlen, "%s", inv->err);
		if (!serve) {
			inv_close(inv);
			return -1;
		}
		/* The server keeps the connection it opened before dropping
		 * root, and tries the schema again on each use. */
		inv->stale = 1;
		*out = inv;
		return 1;
	}
	*out = inv;
	return 0;
}

void
inv_close(struct inv *inv)
{
	if (inv == NULL)
		return;
	for (int q = 0; q < Q_COUNT; q++)
		db_finalize(inv->st[q]);
	db_close(inv->db);
	free(inv->path);
	free(inv);
}

int
inv_begin(struct inv *inv)
{
	int rc = db_begin(inv->db);

	return rc == DB_OK ? 0 : inv_dbfail(inv, rc);
}

int
inv_commit(struct inv *inv)
{
	int rc = db_exec(inv->db, "COMMIT");

	if (rc == DB_OK)
		return 0;
	inv_dbfail(inv, rc);
	inv_rollback(inv);
	return -1;
}

void
inv_rollback(struct inv *inv)
{
	if (!db_get_autocommit(inv->db))
		db_exec(inv->db, "ROLLBACK");
}

/* ---- names ------------------------------------------------------------------- */

int
inv_mac_parse(const char *s, char mac[13])
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		char c = *s;

		if (c == ':' || c == '-' || c == '.')
			continue;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return -1;
		if (n == 12)
			return -1;
		mac[n++] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
	}
	mac[n] = '\0';
	return n == 12 ? 0 : -1;
}

int
inv_var_name_ok(const char *s, const char **why)
{
	/* The device's own facts and keys, which no variable may stand in
	 * for (render.c). $PSN, $SERVIP, $PORT and $SCHEME may be set: the
	 * server's value is the fallback (device > group > product > global >
	 * identity > server). */
	static const char *const reserved[] = { "MA", "MAU", "MAC", "SN", "PN", "KEY", "KEY_ID",
						"HTTP_USER", "HTTP_PASSWORD" };
	size_t n = strlen(s);

	*why = NULL;
	if (n == 0 || n > INV_NAME_MAX)
		*why = "a variable name is 1 to 32 letters, digits and '_'";
	for (size_t i = 0; *why == NULL && i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			*why = "a variable name is 1 to 32 letters, digits and '_'";
	for (size_t i = 0; *why == NULL && i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(s, reserved[i]) == 0)
			*why = "the server gives this name itself (identity or key)";
	return *why == NULL;
}

/* ---- devices ------------------------------------------------------------------ */

void
inv_col(struct db_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = db_column_text(st, i);

	snprintf(out, cap, "%s", t != NULL ? (const char *)t : "");
}

void
inv_row_device(struct db_stmt *st, struct inv_device *d)
{
	memset(d, 0, sizeof(*d));
	inv_col(st, 0, d->mac, sizeof(d->mac));
	inv_col(st, 1, d->serial, sizeof(d->serial));
	inv_col(st, 2, d->product, sizeof(d->product));
	inv_col(st, 3, d->group, sizeof(d->group));
	d->enabled = db_column_int(st, 4);
	inv_col(st, 5, d->notes, sizeof(d->notes));
	d->created_ms = db_column_int64(st, 6);
	d->key_id = (unsigned)db_column_int(st, 7);
	inv_col(st, 8, d->http_user, sizeof(d->http_user));
	inv_col(st, 9, d->http_password, sizeof(d->http_password));
}

int
inv_device_get(struct inv *inv, const char *mac, struct inv_device *d)
{
	struct db_stmt *st = inv_stmt(inv, Q_DEV_GET);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, mac, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		inv_row_device(st, d);
	inv_done(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : inv_dbfail(inv, rc);
}

static int
inv_group_note(struct inv *inv, const char *group)
{
	struct db_stmt *st;

	if (group[0] == '\0')
		return 0;
	if ((st = inv_stmt(inv, Q_GROUP_ADD)) == NULL)
		return -1;
	db_bind_text(st, 1, group, -1, DB_STATIC);
	return inv_exec(inv, st) < 0 ? -1 : 0;
}

static void
inv_bind_device(struct db_stmt *st, const struct inv_device *d)
{
	db_bind_text(st, 1, d->mac, -1, DB_STATIC);
	inv_bind(st, 2, d->serial);
	inv_bind(st, 3, d->product);
	inv_bind(st, 4, d->group);
	db_bind_int(st, 5, d->enabled != 0);
	inv_bind(st, 6, d->notes);
	inv_bind(st, 8, d->http_user);
	inv_bind(st, 9, d->http_password);
}

/* A fresh key numbered id for mac. */
static int
inv_key_add(struct inv *inv, const char *mac, unsigned id)
{
	unsigned char raw[INV_KEY_BYTES];
	char hex[INV_KEY_HEX + 1];
	struct db_stmt *st = inv_stmt(inv, Q_KEY_ADD);
	int rc;

	if (st == NULL)
		return -1;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return inv_fail(inv, "no randomness for a device key");
	hex_encode(raw, sizeof(raw), hex);
	db_bind_text(st, 1, mac, -1, DB_STATIC);
	db_bind_int(st, 2, (int)id);
	db_bind_text(st, 3, hex, -1, DB_STATIC);
	db_bind_int64(st, 4, inv_now_ms());
	rc = inv_exec(inv, st);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc < 0 ? -1 : 0;
}

int
inv_device_add(struct inv *inv, struct inv_device *d)
{
	struct db_stmt *st = inv_stmt(inv, Q_DEV_ADD);
	int rc;

	if (st == NULL)
		return -1;
	d->created_ms = inv_now_ms();
	inv_bind_device(st, d);
	db_bind_int64(st, 7, d->created_ms);
	rc = db_step(st);
	inv_done(st);
	if ((rc & 0xff) == DB_CONSTRAINT)
		return inv_fail(inv, "%s: already in the inventory", d->mac);
	if (rc != DB_DONE)
		return inv_dbfail(inv, rc);
	if (inv_group_note(inv, d->group) < 0 || inv_key_add(inv, d->mac, 1) < 0)
		return -1;
	d->key_id = 1;
	return 0;
}

int
inv_device_update(struct inv *inv, const struct inv_device *d)
{
	struct db_stmt *st = inv_stmt(inv, Q_DEV_UPD);
	int n;

	if (st == NULL)
		return -1;
	inv_bind_device(st, d);
	n = inv_exec(inv, st);
	if (n <= 0)
		return n;
	return inv_group_note(inv, d->group) < 0 ? -1 : 1;
}

int
inv_device_rm(struct inv *inv, const char *mac)
{
	const enum inv_q qs[] = { Q_KEY_RM, Q_VAR_RM_DEV, Q_DEV_RM };
	int n = 0;

	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		struct db_stmt *st = inv_stmt(inv, qs[i]);

		if (st == NULL)
			return -1;
		db_bind_text(st, 1, mac, -1, DB_STATIC);
		if ((n = inv_exec(inv, st)) < 0)
			return -1;
	}
	return n > 0;
}

int
inv_device_list(struct inv *inv, const char *group,
		void (*fn)(void *arg, const struct inv_device *d), void *arg)
{
	struct db_stmt *st = inv_stmt(inv, group != NULL ? Q_DEV_LIST_GROUP : Q_DEV_LIST);
	struct inv_device d;
	int rc;

	if (st == NULL)
		return -1;
	if (group != NULL)
		db_bind_text(st, 1, group, -1, DB_STATIC);
	while ((rc = db_step(st)) == DB_ROW) {
		inv_row_device(st, &d);
		fn(arg, &d);
	}
	inv_done(st);
	return rc == DB_DONE ? 0 : inv_dbfail(inv, rc);
}

/* ---- variables ------------------------------------------------------------------ */

int
inv_var_set(struct inv *inv, enum inv_scope scope, const char *owner, const char *name,
	    const char *value)
{
	return inv_var_set_secret(inv, scope, owner, name, value, 0);
}

int
inv_var_set_secret(struct inv *inv, enum inv_scope scope, const char *owner,
		   const char *name, const char *value, int secret)
{
	struct db_stmt *st = inv_stmt(inv, value != NULL ? Q_VAR_SET : Q_VAR_UNSET);

	if (st == NULL)
		return -1;
	if (value != NULL && strlen(value) > INV_VALUE_MAX)
		return inv_fail(inv, "%s: value longer than %u bytes", name, INV_VALUE_MAX);
	db_bind_text(st, 1, inv_scope_names[scope], -1, DB_STATIC);
	db_bind_text(st, 2, owner, -1, DB_STATIC);
	db_bind_text(st, 3, name, -1, DB_STATIC);
	if (value != NULL) {
		db_bind_text(st, 4, value, -1, DB_STATIC);
		db_bind_int(st, 5, secret != 0);
	}
	return inv_exec(inv, st);
}

void
inv_vars_free(struct inv_vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		OPENSSL_cleanse(vs->v[i].value, strlen(vs->v[i].value));
		free(vs->v[i].value);
	}
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
}

int
inv_var_is_secret(const struct inv_var *v)
{
	static const char *const words[] = { "PASS", "PWD", "SECRET", "KEY" };

	if (v->secret || prov_param_is_secret(v->name))
		return 1;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(v->name, words[i]) != NULL)
			return 1;
	return 0;
}

const char *
inv_vars_find(const struct inv_vars *vs, const char *name, size_t n)
{
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i].name_len == n && memcmp(vs->v[i].name, name, n) == 0)
			return vs->v[i].value;
	return NULL;
}

int
inv_vars_get(struct inv *inv, enum inv_scope scope, const char *owner, struct inv_vars *out)
{
	struct db_stmt *st = inv_stmt(inv, Q_VAR_LIST);
	size_t cap = 0;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, inv_scope_names[scope], -1, DB_STATIC);
	db_bind_text(st, 2, owner, -1, DB_STATIC);
	while ((rc = db_step(st)) == DB_ROW) {
		const unsigned char *name = db_column_text(st, 0);
		const unsigned char *value = db_column_text(st, 1);

		if (out->n == INV_VARS_MAX)
			continue; /* set_var refuses more; a hand-edited table is cut */
		if (out->n == cap) {
			size_t ncap = cap != 0 ? cap * 2 : 16;
			struct inv_var *nv = realloc(out->v, ncap * sizeof(*nv));

			if (nv == NULL)
				break;
			out->v = nv;
			cap = ncap;
		}
		snprintf(out->v[out->n].name, sizeof(out->v[out->n].name), "%s",
			 name != NULL ? (const char *)name : "");
		out->v[out->n].name_len = strlen(out->v[out->n].name);
		out->v[out->n].secret = db_column_int(st, 2) != 0;
		out->v[out->n].value = strdup(value != NULL ? (const char *)value : "");
		if (out->v[out->n].value == NULL)
			break;
		out->n++;
	}
	inv_done(st);
	if (rc == DB_DONE)
		return 0;
	inv_vars_free(out);
	return rc == DB_ROW ? inv_fail(inv, "out of memory") : inv_dbfail(inv, rc);
}

int
inv_var_known(struct inv *inv, const char *name)
{
	struct db_stmt *st = inv_stmt(inv, Q_VAR_KNOWN);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name, -1, DB_STATIC);
	rc = db_step(st);
	inv_done(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : inv_dbfail(inv, rc);
}

/* ---- keys ------------------------------------------------------------------------ */

int
inv_key_get(struct inv *inv, const char *mac, unsigned *id, char hex[INV_KEY_HEX + 1])
{
	struct db_stmt *st = inv_stmt(inv, *id != 0 ? Q_KEY_GET : Q_KEY_CUR);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, mac, -1, DB_STATIC);
	if (*id != 0)
		db_bind_int(st, 2, (int)*id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*id = (unsigned)db_column_int(st, 0);
		inv_col(st, 1, hex, INV_KEY_HEX + 1);
	}
	inv_done(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : inv_dbfail(inv, rc);
}

int
inv_key_rotate(struct inv *inv, const char *mac, unsigned *id)
{
	char hex[INV_KEY_HEX + 1];
	unsigned cur = 0;
	int rc = inv_key_get(inv, mac, &cur, hex);

	OPENSSL_cleanse(hex, sizeof(hex));
	if (rc <= 0)
		return rc;
	if (inv_key_add(inv, mac, cur + 1) < 0)
		return -1;
	*id = cur + 1;
	return 1;
}

int
inv_key_retire(struct inv *inv, const char *mac, unsigned id)
{
	struct db_stmt *st = inv_stmt(inv, Q_KEY_RETIRE);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, mac, -1, DB_STATIC);
	db_bind_int(st, 2, (int)id);
	return inv_exec(inv, st);
}

/* ---- templates --------------------------------------------------------------------- */

int
inv_template_put(struct inv *inv, const char *name, const char *body, size_t len)
{
	struct db_stmt *st = inv_stmt(inv, Q_TPL_PUT);

	if (st == NULL)
		return -1;
	if (len > INV_TEMPLATE_MAX)
		return inv_fail(inv, "template %s: larger than %u bytes", name, INV_TEMPLATE_MAX);
	db_bind_text(st, 1, name, -1, DB_STATIC);
	db_bind_text(st, 2, body, (int)len, DB_STATIC);
	db_bind_int64(st, 3, inv_now_ms());
	return inv_exec(inv, st);
}

int
inv_template_get(struct inv *inv, const char *name, char **body, size_t *len)
{
	struct db_stmt *st = inv_stmt(inv, Q_TPL_GET);
	int rc;

	*body = NULL;
	*len = 0;
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW) {
		const void *b = db_column_text(st, 0);
		size_t n = (size_t)db_column_bytes(st, 0);

		*body = malloc(n + 1);
		if (*body != NULL) {
			memcpy(*body, b != NULL ? b : "", n);
			(*body)[n] = '\0';
			*len = n;
		}
	}
	inv_done(st);
	if (rc == DB_ROW)
		return *body != NULL ? 1 : inv_fail(inv, "out of memory");
	return rc == DB_DONE ? 0 : inv_dbfail(inv, rc);
}

int
inv_template_rm(struct inv *inv, const char *name)
{
	struct db_stmt *st = inv_stmt(inv, Q_TPL_RM);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name, -1, DB_STATIC);
	return inv_exec(inv, st);
}

int
inv_template_list(struct inv *inv, void (*fn)(void *arg, const char *name, size_t len,
					      int64_t updated_ms), void *arg)
{
	struct db_stmt *st = inv_stmt(inv, Q_TPL_LIST);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = db_step(st)) == DB_ROW)
		fn(arg, (const char *)db_column_text(st, 0),
		   (size_t)db_column_int64(st, 1), db_column_int64(st, 2));
	inv_done(st);
	return rc == DB_DONE ? 0 : inv_dbfail(inv, rc);
}
