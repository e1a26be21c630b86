/*
 * rollout: firmware images and staged rollouts (rollout.h).
 */
#include "rollout.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include "db.h"

#include "clock.h"
#include "hex.h"
#include "hostport.h"
#include "inventory.h"

static const char *const rollout_dev_names[ROLLOUT_NSTATES] = {
	"not offered", "offered", "upgrading", "done", "failed",
};

/* Stored names of device states (no blanks). */
static const char *const rollout_dev_keys[ROLLOUT_NSTATES] = {
	"none", "offered", "upgrading", "done", "failed",
};

const char *
rollout_dev_name(enum rollout_dev s)
{
	return s < ROLLOUT_NSTATES ? rollout_dev_names[s] : "?";
}

static enum rollout_dev
rollout_dev_parse(const char *k)
{
	for (int i = 0; i < ROLLOUT_NSTATES; i++)
		if (k != NULL && strcmp(k, rollout_dev_keys[i]) == 0)
			return (enum rollout_dev)i;
	return ROLLOUT_NOT_OFFERED;
}

int
rollout_version_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > ROLLOUT_VERSION_MAX || v[0] == '.' || v[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '.' && v[i] != '-' && v[i] != '_')
			return 0;
	return 1;
}

/* ---- SQL helpers ------------------------------------------------------------------ */

static int
rollout_fail(struct db *db, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, db_errmsg(db));
	return -1;
}

/* Prepares sql; NULL with err on failure. */
static struct db_stmt *
rollout_prep(struct db *db, const char *sql, char *err, size_t errlen)
{
	struct db_stmt *st = NULL;

	if (db_prepare(db, sql, &st) != DB_OK) {
		rollout_fail(db, err, errlen, "rollout");
		db_finalize(st);
		return NULL;
	}
	return st;
}

/* Runs SQL without parameters or rows (transactions, fixed updates);
 * "BEGIN" is db_begin's (the write lock at once). */
static int
rollout_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	if ((strcmp(sql, "BEGIN") == 0 ? db_begin(db) : db_exec(db, sql)) != DB_OK) {
		snprintf(err, errlen, "rollout: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}

static const char *
rollout_col(struct db_stmt *st, int i)
{
	const unsigned char *t = db_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* ---- firmware ---------------------------------------------------------------------- */

int
rollout_firmware_add(struct inv *inv, const char *version, const char *path, uint64_t size,
		     const char *sha256, char *err, size_t errlen)
{
	struct db *db = inv_db(inv);
	struct db_stmt *st = rollout_prep(db,
		"INSERT INTO firmware (version, path, size, sha256, added_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (version) DO UPDATE SET"
		" path = excluded.path, size = excluded.size, sha256 = excluded.sha256,"
		" added_ms = excluded.added_ms", err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, version, -1, DB_STATIC);
	db_bind_text(st, 2, path, -1, DB_STATIC);
	db_bind_int64(st, 3, (int64_t)size);
	db_bind_text(st, 4, sha256, -1, DB_STATIC);
	db_bind_int64(st, 5, clock_wall_ms());
	rc = db_step(st);
	db_finalize(st);
	if (rc != DB_DONE)
		return rollout_fail(db, err, errlen, "firmware");
	return 0;
}

int
rollout_firmware_list(struct inv *inv,
		      void (*fn)(void *arg, const char *version, const char *path,
				 uint64_t size, const char *sha256, int64_t added_ms),
		      void *arg, char *err, size_t errlen)
{
	struct db *db = inv_db(inv);
	struct db_stmt *st = rollout_prep(db, "SELECT version, path, size, sha256, added_ms"
					" FROM firmware ORDER BY version", err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = db_step(st)) == DB_ROW)
		fn(arg, rollout_col(st, 0), rollout_col(st, 1),
		   (uint64_t)db_column_int64(st, 2), rollout_col(st, 3),
		   db_column_int64(st, 4));
	db_finalize(st);
	return rc == DB_DONE ? 0 : rollout_fail(db, err, errlen, "firmware");
}

/* ---- start, stop --------------------------------------------------------------------- */

static int
rollout_bump(struct db *db, char *err, size_t errlen)
{
	return rollout_exec(db, "UPDATE inventory_serial SET n = n + 1 WHERE id = 1", err,
			    errlen);
}

/* The active rollout's id (0: none), version, group, state. */
static int
rollout_active(struct db *db, int64_t *id, char *version, char *group, char *state,
	       char *err, size_t errlen)
{
	struct db_stmt *st = rollout_prep(db, "SELECT id, version, group_name, state FROM rollout"
					" WHERE state IN ('canary', 'widened', 'complete')"
					" ORDER BY id DESC LIMIT 1", err, errlen);
	int rc;

	*id = 0;
	if (st == NULL)
		return -1;
	rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_column_int64(st, 0);
		snprintf(version, ROLLOUT_VERSION_MAX + 1, "%s", rollout_col(st, 1));
		snprintf(group, 128, "%s", rollout_col(st, 2));
		snprintf(state, 16, "%s", rollout_col(st, 3));
	}
	db_finalize(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return rollout_fail(db, err, errlen, "rollout");
	return 0;
}

struct rollout_pick {
	char mac[13];
	char key[65];                    /* hex SHA-256("V:MAC"): the canary order */
};

static int
rollout_pick_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rollout_pick *)a)->key,
		      ((const struct rollout_pick *)b)->key);
}

int64_t
rollout_start(struct inv *inv, const char *version, const char *group, unsigned canary_pct,
	      unsigned halt_pct, char *err, size_t errlen)
{
	struct db *db = inv_db(inv);
	struct db_stmt *st = NULL;
	struct rollout_pick *pk = NULL;
	size_t n = 0, cap = 0, ncanary;
	char av[ROLLOUT_VERSION_MAX + 1], ag[128], as[16];
	int64_t id = -1, aid, now = clock_wall_ms();
	int rc, began = 0;

	if (rollout_exec(db, "BEGIN", err, errlen) < 0)
		return -1;
	began = 1;
	if (rollout_active(db, &aid, av, ag, as, err, errlen) < 0)
		goto out;
	if (aid != 0 && strcmp(as, "complete") != 0) {
		snprintf(err, errlen, "rollout %lld of %s to group %s is %s: stop it first",
			 (long long)aid, av, ag, as);
		goto out;
	}
	if ((st = rollout_prep(db, "SELECT 1 FROM firmware WHERE version = ?1", err,
			       errlen)) == NULL)
		goto out;
	db_bind_text(st, 1, version, -1, DB_STATIC);
	rc = db_step(st);
	db_finalize(st);
	st = NULL;
	if (rc != DB_ROW) {
		if (rc == DB_DONE)
			snprintf(err, errlen, "no firmware %s (add it with 'prov firmware add')",
				 version);
		else
			rollout_fail(db, err, errlen, "firmware");
		goto out;
	}
	if ((st = rollout_prep(db, "SELECT mac FROM device WHERE group_name = ?1 AND enabled <> 0"
			       " ORDER BY mac", err, errlen)) == NULL)
		goto out;
	db_bind_text(st, 1, group, -1, DB_STATIC);
	while ((rc = db_step(st)) == DB_ROW) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned mdl = 0;
		char in[ROLLOUT_VERSION_MAX + 16];

		if (n == cap) {
			struct rollout_pick *np;

			cap = cap == 0 ? 64 : cap * 2;
			if (cap > ROLLOUT_DEVICES_MAX ||
			    (np = realloc(pk, cap * sizeof(*pk))) == NULL) {
				snprintf(err, errlen, "group %s: more than %u devices", group,
					 ROLLOUT_DEVICES_MAX);
				goto out;
			}
			pk = np;
		}
		snprintf(pk[n].mac, sizeof(pk[n].mac), "%s", rollout_col(st, 0));
		snprintf(in, sizeof(in), "%s:%s", version, pk[n].mac);
		if (EVP_Digest(in, strlen(in), md, &mdl, EVP_sha256(), NULL) != 1) {
			snprintf(err, errlen, "sha256 failed");
			goto out;
		}
		hex_encode(md, 32, pk[n].key);
		n++;
	}
	db_finalize(st);
	st = NULL;
	if (rc != DB_DONE) {
		rollout_fail(db, err, errlen, "devices");
		goto out;
	}
	if (n == 0) {
		snprintf(err, errlen, "group %s has no enabled device", group);
		goto out;
	}
	qsort(pk, n, sizeof(*pk), rollout_pick_cmp);
	ncanary = (n * canary_pct + 99) / 100; /* at least one when canary_pct > 0 */
	if (ncanary > n)
		ncanary = n;
	if ((st = rollout_prep(db, "INSERT INTO rollout (version, group_name, canary_pct,"
			       " halt_pct, state, why, started_ms, changed_ms)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id", err,
			       errlen)) == NULL)
		goto out;
	db_bind_text(st, 1, version, -1, DB_STATIC);
	db_bind_text(st, 2, group, -1, DB_STATIC);
	db_bind_int(st, 3, (int)canary_pct);
	db_bind_int(st, 4, (int)halt_pct);
	/* No canary (0%), or a canary of the whole group: widened from the
	 * start. */
	db_bind_text(st, 5, ncanary > 0 && ncanary < n ? "canary" : "widened", -1,
			  DB_STATIC);
	db_bind_text(st, 6, "started", -1, DB_STATIC);
	db_bind_int64(st, 7, now);
	rc = db_step(st);
	if (rc == DB_ROW) {
		id = db_column_int64(st, 0);
		rc = db_step(st);
	}
	db_finalize(st);
	st = NULL;
	if (rc != DB_DONE || id <= 0) {
		rollout_fail(db, err, errlen, "rollout");
		goto out;
	}
	if (aid != 0) {
		/* The complete one before it gives way. */
		char q[128];

		snprintf(q, sizeof(q), "UPDATE rollout SET state = 'stopped', why = 'replaced'"
			 " WHERE id = %lld", (long long)aid);
		if (rollout_exec(db, q, err, errlen) < 0)
			goto fail;
	}
	if ((st = rollout_prep(db, "INSERT INTO rollout_device (rollout_id, mac, canary, state,"
			       " offered_ms, changed_ms) VALUES (?1, ?2, ?3, 'none', NULL, ?4)",
			       err, errlen)) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		db_reset(st);
		db_bind_int64(st, 1, id);
		db_bind_text(st, 2, pk[i].mac, -1, DB_STATIC);
		db_bind_int(st, 3, i < ncanary);
		db_bind_int64(st, 4, now);
		if (db_step(st) != DB_DONE) {
			rollout_fail(db, err, errlen, "rollout");
			goto fail;
		}
	}
	db_finalize(st);
	st = NULL;
	if (rollout_bump(db, err, errlen) < 0 || rollout_exec(db, "COMMIT", err, errlen) < 0)
		goto fail;
	began = 0;
	goto out;
fail:
	id = -1;
out:
	db_finalize(st);
	if (began)
		db_exec(db, "ROLLBACK");
	free(pk);
	return id;
}

int
rollout_stop(struct inv *inv, char *err, size_t errlen)
{
	struct db *db = inv_db(inv);
	char av[ROLLOUT_VERSION_MAX + 1], ag[128], as[16], q[160];
	int64_t id;

	if (rollout_active(db, &id, av, ag, as, err, errlen) < 0)
		return -1;
	if (id == 0)
		return 0;
	snprintf(q, sizeof(q), "UPDATE rollout SET state = 'stopped', why = 'stopped by the"
		 " operator', changed_ms = %lld WHERE id = %lld", (long long)clock_wall_ms(),
		 (long long)id);
	if (rollout_exec(db, q, err, errlen) < 0 || rollout_bump(db, err, errlen) < 0)
		return -1;
	return 1;
}

/* ---- attribution and evaluation -------------------------------------------------- */

/* Whether text names mac: 12 hex digits, or six pairs joined by ':' or
 * '-', either case, not inside a longer hex run. */
static int
rollout_names(const char *text, const char *mac)
{
	for (const char *p = text; *p != '\0'; p++) {
		size_t i = 0, k = 0;
		char sep = 0;

		if (p > text && isxdigit((unsigned char)p[-1]))
			continue;
		while (i < 12 && p[k] != '\0') {
			if (tolower((unsigned char)p[k]) != mac[i])
				break;
			i++;
			k++;
			if (i % 2 == 0 && i < 12 && (p[k] == ':' || p[k] == '-')) {
				if (sep == 0 && i == 2)
					sep = p[k];
				if (p[k] != sep)
					break;
				k++;
			} else if (i % 2 == 0 && i < 12 && sep != 0) {
				break;
			}
		}
		if (i == 12 && !isxdigit((unsigned char)p[k]))
			return 1;
	}
	return 0;
}

long
rollout_attribute(const char *col, const char *text, const char *source,
		  char (*macs)[13], char (*addrs)[64], size_t n)
{
	char host[64];
	const char *port;
	long hit = -1;

	if (col != NULL && col[0] != '\0') {
		for (size_t i = 0; i < n; i++)
			if (strcmp(col, macs[i]) == 0)
				return (long)i;
		return -1; /* the collector named another device */
	}
	for (size_t i = 0; i < n && text != NULL; i++)
		if (rollout_names(text, macs[i]))
			return (long)i;
	if (source == NULL || hostport_split(source, host, sizeof(host), &port) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (addrs[i][0] == '\0' || strcmp(addrs[i], host) != 0)
			continue;
		if (hit >= 0)
			return -1; /* two devices behind that address: nobody's */
		hit = (long)i;
	}
	return hit;
}

/* The form of version in the phone's User-Agent ($VERSION): the first
 * run of digits and '-' after the first '.', dashes as dots
 * ("sip88xx.12-0-1MPP-1" -> "12.0.1"); the version itself when it has no
 * such run. */
static void
rollout_ua_form(const char *v, char *out, size_t cap)
{
	const char *p = strchr(v, '.');
	size_t k = 0;

	if (p != NULL && isdigit((unsigned char)p[1])) {
		for (p++; (isdigit((unsigned char)*p) || *p == '-') && k + 1 < cap; p++)
			out[k++] = *p == '-' ? '.' : *p;
		while (k > 0 && out[k - 1] == '.')
			k--;
		out[k] = '\0';
		if (strchr(out, '.') != NULL)
			return;
	}
	snprintf(out, cap, "%s", v);
}

struct rollout_row {
	char mac[13];
	int canary;
	int64_t offered;                 /* 0: not offered */
	enum rollout_dev st, was;
	int64_t last;                    /* time of the event that set st */
	int newly;                       /* offered_ms found by rollout_event */
	int decided;                     /* a (newer) event has set st */
};

/* Applies one event to a device; events come newest first. The newest
 * event decides, except that a success anywhere makes the device done. An
 * event from a device that may be offered V (a canary device, or any once
 * widened) but whose offer was not recorded (the write met a busy
 * database, and the cached rendering was served since) is the proof of the
 * offer: the earliest such event is taken as its time. */
static void
rollout_event(struct rollout_row *r, enum rollout_dev st, int64_t t, int widened)
{
	if ((r->offered == 0 || r->newly) && (r->canary || widened)) {
		if (r->offered == 0 || t < r->offered)
			r->offered = t;
		r->newly = 1;
	}
	if (r->offered == 0 || t < r->offered || r->st == ROLLOUT_DONE)
		return;
	if (st == ROLLOUT_DONE || !r->decided) {
		r->st = st;
		r->last = t;
		r->decided = 1;
	}
}

/* Whether the history's tables are there: store.c makes them when a
 * server first opens the database, so an inventory the CLI alone has used
 * has none (and no history to read). */
static int
rollout_has_history(struct db *db)
{
	return db_has_column(db, "request", NULL) == 1 && db_has_column(db, "syslog", NULL) == 1;
}

int
rollout_history(struct inv *inv)
{
	return rollout_has_history(inv_db(inv));
}

/* The rollout's device rows, with the host of each one's last request. */
static int
rollout_rows(struct db *db, int64_t id, struct rollout_row **rows, char (**addrs)[64],
	     size_t *n, char *err, size_t errlen)
{
	struct db_stmt *st = rollout_prep(db, rollout_has_history(db) ?
		"SELECT d.mac, d.canary, d.offered_ms, d.state,"
		" (SELECT client FROM request WHERE request.mac = d.mac"
		"  ORDER BY time_ms DESC LIMIT 1)"
		" FROM rollout_device d WHERE d.rollout_id = ?1 ORDER BY d.mac" :
		"SELECT mac, canary, offered_ms, state, NULL FROM rollout_device"
		" WHERE rollout_id = ?1 ORDER BY mac", err, errlen);
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*addrs = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct rollout_row *r;
		const char *port;

		if (*n == cap) {
			void *a, *b;

			cap = cap == 0 ? 64 : cap * 2;
			a = realloc(*rows, cap * sizeof(**rows));
			if (a != NULL)
				*rows = a;
			b = realloc(*addrs, cap * sizeof(**addrs));
			if (b != NULL)
				*addrs = b;
			if (a == NULL || b == NULL || cap > 2 * ROLLOUT_DEVICES_MAX) {
				snprintf(err, errlen, "rollout: out of memory");
				db_finalize(st);
				return -1;
			}
		}
		r = &(*rows)[*n];
		memset(r, 0, sizeof(*r));
		snprintf(r->mac, sizeof(r->mac), "%s", rollout_col(st, 0));
		r->canary = db_column_int(st, 1);
		r->offered = db_column_int64(st, 2);
		r->st = r->was = rollout_dev_parse(rollout_col(st, 3));
		if (hostport_split(rollout_col(st, 4), (*addrs)[*n], 64, &port) < 0)
			(*addrs)[*n][0] = '\0';
		(*n)++;
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : rollout_fail(db, err, errlen, "rollout");
}

/* Device states from the history since the rollout started. */
static int
rollout_observe(struct db *db, int64_t id, const char *version, int64_t since, int widened,
		struct rollout_row *rows, char (*addrs)[64], size_t n, char *err, size_t errlen)
{
	char (*macs)[13] = NULL;
	char ua[ROLLOUT_VERSION_MAX + 2], like[ROLLOUT_VERSION_MAX + 8];
	struct db_stmt *st;
	unsigned seen = 0;
	int rc;

	if (!rollout_has_history(db))
		return 0;
	if ((macs = malloc((n > 0 ? n : 1) * sizeof(*macs))) == NULL) {
		snprintf(err, errlen, "rollout: out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(macs[i], rows[i].mac, 13);
	/* The phone's Log_Upgrade_* messages. */
	/* Newest first: past ROLLOUT_HISTORY_MAX messages, the oldest are the
	 * ones not read, which newer ones supersede. */
	st = rollout_prep(db, "SELECT time_ms, mac, text, source FROM syslog"
			  " WHERE time_ms >= ?1 AND LOWER(text) LIKE '%upgrade%'"
			  " ORDER BY time_ms DESC, id DESC LIMIT ?2", err, errlen);
	if (st == NULL)
		goto fail;
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, ROLLOUT_HISTORY_MAX);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *text = rollout_col(st, 2);
		char low[512];
		size_t k;
		long i;
		enum rollout_dev ev;

		for (k = 0; text[k] != '\0' && k + 1 < sizeof(low); k++)
			low[k] = (char)tolower((unsigned char)text[k]);
		low[k] = '\0';
		if (strstr(low, "successful upgrade") != NULL)
			ev = ROLLOUT_DONE;
		else if (strstr(low, "upgrade failed") != NULL)
			ev = ROLLOUT_FAILED;
		else if (strstr(low, "requesting upgrade") != NULL)
			ev = ROLLOUT_UPGRADING;
		else
			continue;
		i = rollout_attribute(rollout_col(st, 1), text, rollout_col(st, 3), macs, addrs,
				      n);
		if (i >= 0)
			rollout_event(&rows[i], ev, db_column_int64(st, 0), widened);
		seen++;
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		rollout_fail(db, err, errlen, "syslog");
		goto fail;
	}
	/* The version in a later User-Agent. */
	rollout_ua_form(version, ua, sizeof(ua));
	snprintf(like, sizeof(like), "%%%s%%", ua);
	/* Per device not yet done, through the (mac, time_ms) index: the
	 * newest request since the rollout started that carries V. */
	st = rollout_prep(db, "SELECT (SELECT MAX(r.time_ms) FROM request r WHERE r.mac = d.mac"
			  "  AND r.time_ms >= ?1 AND r.user_agent LIKE ?2), d.mac"
			  " FROM rollout_device d WHERE d.rollout_id = ?3 AND d.state != 'done'",
			  err, errlen);
	if (st == NULL)
		goto fail;
	db_bind_int64(st, 1, since);
	db_bind_text(st, 2, like, -1, DB_STATIC);
	db_bind_int64(st, 3, id);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *mac = rollout_col(st, 1);

		if (db_column_type(st, 0) == DB_NULL)
			continue;
		for (size_t i = 0; i < n; i++)
			if (strcmp(rows[i].mac, mac) == 0)
				rollout_event(&rows[i], ROLLOUT_DONE, db_column_int64(st, 0),
					      widened);
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		rollout_fail(db, err, errlen, "request");
		goto fail;
	}
	free(macs);
	return 0;
fail:
	free(macs);
	return -1;
}

int
rollout_tick(struct inv *inv, char *err, size_t errlen)
{
	struct db *db = inv_db(inv);
	struct db_stmt *st = NULL;
	struct rollout_row *rows = NULL;
	char (*addrs)[64] = NULL;
	char version[ROLLOUT_VERSION_MAX + 1] = "", group[128] = "", state[16] = "";
	char why[256] = "", next[16] = "";
	int64_t id = 0, started = 0, now = clock_wall_ms();
	unsigned halt = 0, canary = 0, cfail = 0, cfinal = 0, offered = 0, failed = 0, done = 0;
	size_t n = 0;
	int rc = -1, began = 0;

	if (rollout_exec(db, "BEGIN", err, errlen) < 0)
		return -1;
	began = 1;
	if ((st = rollout_prep(db, "SELECT id, version, group_name, halt_pct, state, started_ms"
			       " FROM rollout WHERE state IN ('canary', 'widened', 'complete')"
			       " ORDER BY id DESC LIMIT 1", err, errlen)) == NULL)
		goto out;
	if (db_step(st) == DB_ROW) {
		id = db_column_int64(st, 0);
		snprintf(version, sizeof(version), "%s", rollout_col(st, 1));
		snprintf(group, sizeof(group), "%s", rollout_col(st, 2));
		halt = (unsigned)db_column_int(st, 3);
		snprintf(state, sizeof(state), "%s", rollout_col(st, 4));
		started = db_column_int64(st, 5);
	}
	db_finalize(st);
	st = NULL;
	if (id == 0) {
		rc = 0;
		goto out;
	}
	if (strcmp(state, "widened") == 0 || strcmp(state, "complete") == 0) {
		/* Devices that joined the group since: theirs to be offered too. */
		if ((st = rollout_prep(db, "INSERT INTO rollout_device (rollout_id, mac, canary,"
				       " state, offered_ms, changed_ms) SELECT ?1, mac, 0, 'none',"
				       " NULL, ?2 FROM device WHERE group_name = ?3 AND enabled <> 0"
				       " ON CONFLICT (rollout_id, mac) DO NOTHING", err,
				       errlen)) == NULL)
			goto out;
		db_bind_int64(st, 1, id);
		db_bind_int64(st, 2, now);
		db_bind_text(st, 3, group, -1, DB_STATIC);
		if (db_step(st) != DB_DONE) {
			rollout_fail(db, err, errlen, "rollout");
			goto out;
		}
		db_finalize(st);
		st = NULL;
	}
	if (rollout_rows(db, id, &rows, &addrs, &n, err, errlen) < 0 ||
	    rollout_observe(db, id, version, started, strcmp(state, "canary") != 0, rows, addrs,
			    n, err, errlen) < 0)
		goto out;
	if ((st = rollout_prep(db, "UPDATE rollout_device SET state = ?1, changed_ms = ?2,"
			       " offered_ms = ?5 WHERE rollout_id = ?3 AND mac = ?4", err,
			       errlen)) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct rollout_row *r = &rows[i];
		int final = r->st == ROLLOUT_DONE || r->st == ROLLOUT_FAILED;

		offered += r->offered != 0;
		failed += r->st == ROLLOUT_FAILED;
		done += r->st == ROLLOUT_DONE;
		if (r->canary) {
			canary++;
			cfail += r->st == ROLLOUT_FAILED;
			cfinal += final;
		}
		if (r->st == r->was && !r->newly)
			continue;
		db_reset(st);
		db_bind_text(st, 1, rollout_dev_keys[r->st], -1, DB_STATIC);
		db_bind_int64(st, 2, r->last != 0 ? r->last : now);
		db_bind_int64(st, 3, id);
		db_bind_text(st, 4, r->mac, -1, DB_STATIC);
		db_bind_int64(st, 5, r->offered);
		if (db_step(st) != DB_DONE) {
			rollout_fail(db, err, errlen, "rollout");
			goto out;
		}
	}
	db_finalize(st);
	st = NULL;
	/* "passes F%": more than F in a hundred. */
	if (strcmp(state, "canary") == 0) {
		if (canary > 0 && (uint64_t)cfail * 100 > (uint64_t)halt * canary) {
			snprintf(next, sizeof(next), "halted");
			snprintf(why, sizeof(why), "%u of %u canary devices failed (over %u%%)",
				 cfail, canary, halt);
		} else if (canary > 0 && cfinal == canary) {
			snprintf(next, sizeof(next), "widened");
			snprintf(why, sizeof(why), "canary: %u of %u done", canary - cfail, canary);
		}
	} else if (strcmp(state, "widened") == 0) {
		if (offered > 0 && (uint64_t)failed * 100 > (uint64_t)halt * offered) {
			snprintf(next, sizeof(next), "halted");
			snprintf(why, sizeof(why), "%u of %u devices offered failed (over %u%%)",
				 failed, offered, halt);
		} else if (n > 0 && done == n) {
			snprintf(next, sizeof(next), "complete");
			snprintf(why, sizeof(why), "%u of %u done", done, (unsigned)n);
		}
	}
	if (next[0] != '\0') {
		if ((st = rollout_prep(db, "UPDATE rollout SET state = ?1, why = ?2,"
				       " changed_ms = ?3 WHERE id = ?4", err, errlen)) == NULL)
			goto out;
		db_bind_text(st, 1, next, -1, DB_STATIC);
		db_bind_text(st, 2, why, -1, DB_STATIC);
		db_bind_int64(st, 3, now);
		db_bind_int64(st, 4, id);
		if (db_step(st) != DB_DONE) {
			rollout_fail(db, err, errlen, "rollout");
			goto out;
		}
		db_finalize(st);
		st = NULL;
		if (rollout_bump(db, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	db_finalize(st);
	if (began) {
		if (rc == 0 && rollout_exec(db, "COMMIT", err, errlen) < 0)
			rc = -1;
		if (rc != 0)
			db_exec(db, "ROLLBACK");
	}
	free(rows);
	free(addrs);
	return rc;
}

void
rollout_tick_maybe(struct inv *inv)
{
	static int64_t last;
	struct db *db = inv_db(inv);
	struct db_stmt *st = NULL;
	int64_t now = clock_mono_ms();
	char err[256];
	int active;

	if (last != 0 && now - last < ROLLOUT_TICK_MS)
		return;
	last = now;
	/* Nothing to do, nothing locked: the common case is one read. */
	if (db_prepare(db, "SELECT 1 FROM rollout WHERE state IN ('canary', 'widened')"
			       " LIMIT 1", &st) != DB_OK) {
		db_finalize(st);
		return;
	}
	active = db_step(st) == DB_ROW;
	db_finalize(st);
	if (!active)
		return;
	/* Serving never waits for the write lock: a busy database leaves the
	 * evaluation to the next tick. */
	db_busy_timeout(db, 0);
	(void)rollout_tick(inv, err, sizeof(err));
	db_busy_timeout(db, INV_SERVE_BUSY_MS);
}

int
rollout_get(struct inv *inv, struct rollout_info *ri,
	    void (*fn)(void *arg, const char *mac, int canary, enum rollout_dev st),
	    void *arg, char *err, size_t errlen)
{
	struct db *db = inv_db(inv);
	struct db_stmt *st;
	int rc;

	memset(ri, 0, sizeof(*ri));
	st = rollout_prep(db, "SELECT id, version, group_name, canary_pct, halt_pct, state, why,"
			  " started_ms, changed_ms FROM rollout ORDER BY id DESC LIMIT 1",
			  err, errlen);
	if (st == NULL)
		return -1;
	rc = db_step(st);
	if (rc == DB_ROW) {
		ri->id = db_column_int64(st, 0);
		snprintf(ri->version, sizeof(ri->version), "%s", rollout_col(st, 1));
		snprintf(ri->group, sizeof(ri->group), "%s", rollout_col(st, 2));
		ri->canary_pct = (unsigned)db_column_int(st, 3);
		ri->halt_pct = (unsigned)db_column_int(st, 4);
		snprintf(ri->state, sizeof(ri->state), "%s", rollout_col(st, 5));
		snprintf(ri->why, sizeof(ri->why), "%s", rollout_col(st, 6));
		ri->started_ms = db_column_int64(st, 7);
		ri->changed_ms = db_column_int64(st, 8);
	}
	db_finalize(st);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW)
		return rollout_fail(db, err, errlen, "rollout");
	st = rollout_prep(db, "SELECT mac, canary, state FROM rollout_device WHERE rollout_id = ?1"
			  " ORDER BY mac", err, errlen);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, ri->id);
	while ((rc = db_step(st)) == DB_ROW) {
		enum rollout_dev s = rollout_dev_parse(rollout_col(st, 2));
		int canary = db_column_int(st, 1);

		ri->devices++;
		ri->canary += canary != 0;
		ri->count[s]++;
		if (fn != NULL)
			fn(arg, rollout_col(st, 0), canary, s);
	}
	db_finalize(st);
	return rc == DB_DONE ? 1 : rollout_fail(db, err, errlen, "rollout");
}

/* ---- the rendering's side ---------------------------------------------------------- */

int
rollout_rule(struct inv *inv, const struct inv_device *d, const char *scheme,
	     const char *servip, const char *port, char *out, size_t outsz)
{
	struct db *db = inv_db(inv);
	struct db_stmt *st;
	char version[ROLLOUT_VERSION_MAX + 1] = "", path[512] = "", state[16] = "";
	int64_t id = 0, offered = -1;
	int canary = -1, rc, w;

	out[0] = '\0';
	if (d->group[0] == '\0')
		return 0;
	if (db_prepare(db,
		"SELECT r.id, r.version, r.state, f.path, d.canary, d.offered_ms"
		" FROM rollout r JOIN firmware f ON f.version = r.version"
		" LEFT JOIN rollout_device d ON d.rollout_id = r.id AND d.mac = ?2"
		" WHERE r.group_name = ?1 AND r.state IN ('canary', 'widened', 'complete')"
		" ORDER BY r.id DESC LIMIT 1", &st) != DB_OK) {
		db_finalize(st);
		return -1;
	}
	db_bind_text(st, 1, d->group, -1, DB_STATIC);
	db_bind_text(st, 2, d->mac, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW) {
		id = db_column_int64(st, 0);
		snprintf(version, sizeof(version), "%s", rollout_col(st, 1));
		snprintf(state, sizeof(state), "%s", rollout_col(st, 2));
		snprintf(path, sizeof(path), "%s", rollout_col(st, 3));
		if (db_column_type(st, 4) != DB_NULL)
			canary = db_column_int(st, 4);
		if (db_column_type(st, 5) != DB_NULL)
			offered = db_column_int64(st, 5);
	}
	db_finalize(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? 0 : -1;
	if (strcmp(state, "canary") == 0 && canary != 1)
		return 0;
	if (scheme != NULL && strcmp(scheme, "tftp") == 0)
		w = snprintf(out, outsz, "tftp://%s/%s", servip != NULL ? servip : "$SERVIP",
			     path);
	else
		w = snprintf(out, outsz, "%s://%s:%s/%s", scheme != NULL ? scheme : "$SCHEME",
			     servip != NULL ? servip : "$SERVIP", port != NULL ? port : "$PORT",
			     path);
	if (w < 0 || (size_t)w >= outsz) {
		out[0] = '\0';
		return 0;
	}
	if (servip == NULL || offered > 0)
		return 0;
	/* A request gets the offer: recorded once (a newcomer gets its row). */
	if (db_prepare(db,
		"INSERT INTO rollout_device (rollout_id, mac, canary, state, offered_ms, changed_ms)"
		" VALUES (?1, ?2, 0, 'offered', ?3, ?3) ON CONFLICT (rollout_id, mac) DO UPDATE SET"
		" state = 'offered', offered_ms = excluded.offered_ms,"
		" changed_ms = excluded.changed_ms WHERE rollout_device.offered_ms IS NULL", &st) != DB_OK) {
		db_finalize(st);
		return 0; /* offered all the same: recorded on a later request */
	}
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, d->mac, -1, DB_STATIC);
	db_bind_int64(st, 3, clock_wall_ms());
	/* Never waits for the lock (this is a request being answered): when
	 * busy, the device's first upgrade message proves the offer instead
	 * (rollout_event). */
	db_busy_timeout(db, 0);
	(void)db_step(st);
	db_busy_timeout(db, INV_SERVE_BUSY_MS);
	db_finalize(st);
	return 0;
}
