/*
 * reportd: device reports received, stored and compared. See reportd.h.
 *
 * The tables (device_report, device_reported, inventory_change) are the
 * inventory's (inventory.c, schema 3); this module reaches them through a
 * SQLite connection of its own, because struct inv keeps its statements
 * private. Every statement is bound, never formatted.
 */
#define _GNU_SOURCE /* memmem */
#include "reportd.h"

#include "db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "inventory.h"
#include "prov/prov.h"
#include "render.h"

struct reportd {
	char *db;
	struct db *conn;                 /* opened on the first report */
};

/* ---- routes ------------------------------------------------------------------ */

/* The words of a route line after its pattern: calls fn on each. */
static int
reportd_words(const char *line, int (*fn)(void *arg, const char *w, size_t n), void *arg)
{
	const char *p = line;
	int first = 1, rc;

	for (;;) {
		size_t n;

		p += strspn(p, " \t");
		if (*p == '\0')
			return 0;
		n = strcspn(p, " \t");
		if (!first && (rc = fn(arg, p, n)) != 0)
			return rc;
		first = 0;
		p += n;
	}
}

static int
reportd_word_report(void *arg, const char *w, size_t n)
{
	(void)arg;
	return n == 6 && strncmp(w, "report", 6) == 0;
}

int
reportd_route_is(const char *line)
{
	return reportd_words(line, reportd_word_report, NULL) == 1;
}

struct reportd_chk {
	int need_cert;
	const char *bad;
	size_t badn;
};

static int
reportd_word_check(void *arg, const char *w, size_t n)
{
	struct reportd_chk *k = arg;

	if (n == 12 && strncmp(w, "require=cert", 12) == 0)
		k->need_cert = 1;
	else if (!(n == 6 && strncmp(w, "report", 6) == 0)) {
		k->bad = w;
		k->badn = n;
		return 1;
	}
	return 0;
}

/* The route's pattern into a struct route, for route_match. */
static int
reportd_route(const char *line, struct route *r, int *need_cert)
{
	struct reportd_chk k = { 0, NULL, 0 };
	const char *p = line + strspn(line, " \t");
	size_t n = strcspn(p, " \t");

	memset(r, 0, sizeof(*r));
	if (n == 0 || n >= sizeof(r->pattern) || reportd_words(line, reportd_word_check, &k) != 0)
		return -1;
	memcpy(r->pattern, p, n);
	*need_cert = k.need_cert;
	return 0;
}

int
reportd_route_check(const char *line, char *err, size_t errlen)
{
	struct reportd_chk k = { 0, NULL, 0 };
	const char *p = line + strspn(line, " \t");
	size_t n = strcspn(p, " \t");

	if (strlen(line) > ROUTE_TEXT_MAX) {
		snprintf(err, errlen, "route longer than %u bytes", ROUTE_TEXT_MAX);
		return -1;
	}
	if (n == 0 || n >= ROUTE_PATTERN_MAX) {
		snprintf(err, errlen, "route '%s': needs PATTERN report (pattern at most %u bytes)",
			 line, ROUTE_PATTERN_MAX - 1);
		return -1;
	}
	if (reportd_words(line, reportd_word_check, &k) != 0) {
		snprintf(err, errlen, "route '%s': unknown word '%.*s' for a report route"
			 " (report, require=cert)", line, (int)k.badn, k.bad);
		return -1;
	}
	if (memmem(p, n, "$MA", 3) == NULL && !k.need_cert) {
		snprintf(err, errlen, "route '%s': a pattern without $MA names the device by"
			 " its certificate: add require=cert", line);
		return -1;
	}
	return 0;
}

int
reportd_match(char *const *routes, unsigned n, const char *path, size_t len, char mac[13],
	      int *need_cert)
{
	for (unsigned i = 0; i < n; i++) {
		struct route r;
		unsigned kid;

		if (reportd_route(routes[i], &r, need_cert) == 0 &&
		    route_match(&r, path, len, mac, &kid))
			return 1;
	}
	mac[0] = '\0';
	return 0;
}

/* ---- decoding ---------------------------------------------------------------- */

struct reportd_cb {
	void (*fn)(void *arg, const char *name, const char *value);
	void *arg;
};

static long
reportd_profile(const void *plain, size_t len, struct reportd_cb *cb, char *why,
		size_t whylen)
{
	struct prov_profile *p = NULL;
	char msg[256];
	size_t n;

	if (prov_profile_parse("report", plain, len, REPORTD_PLAIN_MAX, &p, msg,
			       sizeof(msg)) != PROV_OK) {
		snprintf(why, whylen, "not a flat profile: %s", msg);
		return -1;
	}
	n = prov_profile_count(p);
	for (size_t i = 0; i < n; i++) {
		const char *name, *value;

		if (prov_profile_entry(p, i, &name, &value, NULL) == PROV_OK && cb->fn != NULL)
			cb->fn(cb->arg, name, value);
	}
	prov_profile_free(p);
	return (long)n;
}

static void
reportd_layers(unsigned l, char out[32])
{
	snprintf(out, 32, "%s%s%s%s%s", l & PROV_LAYER_AES128GCM ? "aes128gcm" : "",
		 (l & PROV_LAYER_AES128GCM) && (l & (PROV_LAYER_AES | PROV_LAYER_GZIP)) ? "+" : "",
		 l & PROV_LAYER_AES ? "aes" : "",
		 (l & PROV_LAYER_AES) && (l & PROV_LAYER_GZIP) ? "+" : "",
		 l & PROV_LAYER_GZIP ? "gzip" : "");
}

/* Decodes body: aes128gcm with each key when asked for, else prov_unpack
 * (openssl-enc, gzip, or plain) with each key; plain text that is not a
 * profile may still be an unlabelled aes128gcm stream. *out fresh. */
static int
reportd_decode(const void *body, size_t len, int gcm, const char *const *keys, void **out,
	       size_t *outlen, unsigned *layers, char *why, size_t whylen)
{
	char msg[256] = "";
	enum prov_err rc = PROV_E_NOKEY;

	*out = NULL;
	*layers = 0;
	if (gcm) {
		for (size_t k = 0; keys[k] != NULL; k++) {
			rc = prov_unpack_aes128gcm(body, len, keys[k], NULL, REPORTD_PLAIN_MAX, out,
						   outlen, layers, msg, sizeof(msg));
			if (rc != PROV_E_DECRYPT)
				break;
		}
	} else {
		rc = prov_unpack(body, len, keys[0], REPORTD_PLAIN_MAX, out, outlen, layers, msg,
				 sizeof(msg));
		for (size_t k = 1; rc == PROV_E_DECRYPT && keys[0] != NULL && keys[k] != NULL; k++)
			rc = prov_unpack(body, len, keys[k], REPORTD_PLAIN_MAX, out, outlen, layers,
					 msg, sizeof(msg));
	}
	if (rc == PROV_OK)
		return 0;
	snprintf(why, whylen, "cannot decode: %s", msg[0] ? msg : prov_strerror(rc));
	return -1;
}

long
reportd_parse(const void *body, size_t len, int gcm, const char *const *keys,
	      void (*fn)(void *arg, const char *name, const char *value), void *arg,
	      char layers[32], char *why, size_t whylen)
{
	static const char *const none[] = { NULL };
	struct reportd_cb cb = { fn, arg };
	void *plain = NULL;
	size_t plen = 0;
	unsigned l = 0;
	long n;

	layers[0] = '\0';
	if (keys == NULL)
		keys = none;
	if (len > REPORTD_BODY_MAX) {
		snprintf(why, whylen, "report larger than %u bytes", REPORTD_BODY_MAX);
		return -1;
	}
	if (reportd_decode(body, len, gcm, keys, &plain, &plen, &l, why, whylen) < 0)
		return -1;
	reportd_layers(l, layers);
	n = reportd_profile(plain, plen, &cb, why, whylen);
	/* No magic and no header: an aes128gcm stream reads as plain bytes
	 * that are no profile; its authentication tag tells it apart. */
	if (n < 0 && !gcm && l == 0 && keys[0] != NULL) {
		void *p2 = NULL;
		size_t l2 = 0;
		char w2[64];

		if (reportd_decode(body, len, 1, keys, &p2, &l2, &l, w2, sizeof(w2)) == 0) {
			OPENSSL_cleanse(plain, plen);
			free(plain);
			plain = p2;
			plen = l2;
			reportd_layers(l, layers);
			n = reportd_profile(plain, plen, &cb, why, whylen);
		}
	}
	OPENSSL_cleanse(plain, plen);
	free(plain);
	return n;
}

/* ---- the database -------------------------------------------------------------- */

static const char *
reportd_path(const char *url)
{
	const char *path = db_url_path(url);

	return path != NULL ? path : url;
}

static int
reportd_open(const char *url, int rw, unsigned busy_ms, struct db **db, char *why, size_t whylen)
{
	*db = NULL;
	if (db_open(db, url, rw ? 0 : DB_OPEN_READONLY, why, whylen) != DB_OK)
		return -1;
	db_busy_timeout(*db, (int)busy_ms);
	return 0;
}

static int
reportd_dbfail(struct db *db, const char *url, char *why, size_t whylen)
{
	int code = db_errcode(db) & 0xff;

	snprintf(why, whylen, "%s: %s", reportd_path(url), db_errmsg(db));
	return code == DB_BUSY || code == DB_LOCKED ? -2 : -1;
}

struct reportd *
reportd_new(const char *db)
{
	struct reportd *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->db = strdup(db != NULL ? db : "")) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

int
reportd_connect(struct reportd *r, char *err, size_t errlen)
{
	if (r->conn == NULL && reportd_open(r->db, 1, REPORTD_BUSY_MS, &r->conn, err, errlen) < 0)
		return -1;
	/* A first read opens the WAL files too. */
	if (db_exec(r->conn, "SELECT count(*) FROM device_report") !=
	    DB_OK) {
		reportd_dbfail(r->conn, r->db, err, errlen);
		return -1;
	}
	return 0;
}

void
reportd_free(struct reportd *r)
{
	if (r == NULL)
		return;
	db_close(r->conn);
	free(r->db);
	free(r);
}

/* The template route the device last fetched its profile through: the
 * newest successful GET or RRQ in the history whose path one of the
 * template routes matches (committed by the store's writer by the time
 * the device reports what it applied). "" when none, or when only one
 * template route exists, that one. */
static void
reportd_template(struct db *db, const char *mac, char *const *routes, unsigned n,
		 char out[256])
{
	static const char sql[] = "SELECT path FROM request WHERE mac = ?1 AND status = 200"
		" AND method IN ('GET', 'RRQ') ORDER BY time_ms DESC LIMIT 32";
	struct db_stmt *st = NULL;
	unsigned ntpl = 0, last = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		struct route r;
		char err[8];

		if (route_parse(routes[i], &r, err, sizeof(err)) == 0) {
			ntpl++;
			last = i;
		}
	}
	if (ntpl == 0)
		return;
	if (db_prepare(db, sql, &st) == DB_OK) {
		db_bind_text(st, 1, mac, -1, DB_STATIC);
		while (out[0] == '\0' && db_step(st) == DB_ROW) {
			const char *path = (const char *)db_column_text(st, 0);

			for (unsigned i = 0; path != NULL && i < n && out[0] == '\0'; i++) {
				struct route r;
				char err[8], m[13];
				unsigned kid;

				if (route_parse(routes[i], &r, err, sizeof(err)) == 0 &&
				    route_match(&r, path, strlen(path), m, &kid) &&
				    (m[0] == '\0' || strcmp(m, mac) == 0))
					snprintf(out, 256, "%s", r.tmpl);
			}
		}
	}
	db_finalize(st);
	if (out[0] == '\0' && ntpl == 1) {
		struct route r;
		char err[8];

		if (route_parse(routes[last], &r, err, sizeof(err)) == 0)
			snprintf(out, 256, "%s", r.tmpl);
	}
}

struct reportd_store {
	struct db_stmt *ins;
	const char *mac;
	int rc;
};

static void
reportd_store_param(void *arg, const char *name, const char *value)
{
	struct reportd_store *s = arg;

	if (s->rc != DB_DONE)
		return;
	db_bind_text(s->ins, 1, s->mac, -1, DB_STATIC);
	db_bind_text(s->ins, 2, name, -1, DB_STATIC);
	if (value != NULL)
		db_bind_text(s->ins, 3, value, -1, DB_STATIC);
	else
		db_bind_null(s->ins, 3);
	s->rc = db_step(s->ins);
	db_reset(s->ins);
	db_clear_bindings(s->ins);
}

/* Replaces the device's reported parameters and logs the report, in one
 * transaction: the body is parsed a second time inside it (parsing is
 * cheap beside a commit, and keeps no copy of the parameters). */
static enum reportd_status
reportd_store(struct reportd *r, const struct reportd_in *in, const char *mac,
	      const char *const *keys, char *const *routes, unsigned n, char *why,
	      size_t whylen)
{
	static const char ins_sql[] = "INSERT INTO device_reported (mac, name, value)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (mac, name) DO UPDATE SET value = excluded.value";
	static const char log_sql[] = "INSERT INTO device_report (mac, time_ms, client, proto,"
		" bytes, params, layers, template, servip, port)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
	struct reportd_store s = { NULL, mac, DB_DONE };
	struct db_stmt *del = NULL, *log = NULL;
	enum reportd_status st = REPORTD_OK;
	char layers[32], tmpl[256];
	long np;
	int rc;

	if (r->conn == NULL &&
	    reportd_open(r->db, 1, REPORTD_BUSY_MS, &r->conn, why, whylen) < 0)
		return REPORTD_BUSY;
	reportd_template(r->conn, mac, routes, n, tmpl);
	rc = db_begin(r->conn);
	if (rc == DB_OK)
		rc = db_prepare(r->conn, "DELETE FROM device_reported WHERE mac = ?1", &del);
	if (rc == DB_OK)
		rc = db_prepare(r->conn, ins_sql, &s.ins);
	if (rc == DB_OK)
		rc = db_prepare(r->conn, log_sql, &log);
	if (rc == DB_OK) {
		db_bind_text(del, 1, mac, -1, DB_STATIC);
		rc = db_step(del) == DB_DONE ? DB_OK : DB_ERROR;
	}
	if (rc != DB_OK)
		goto dbfail;
	np = reportd_parse(in->body, in->len, in->gcm, keys, reportd_store_param, &s, layers,
			   why, whylen);
	if (np < 0) {
		db_exec(r->conn, "ROLLBACK");
		st = REPORTD_BAD;
		goto out;
	}
	if (s.rc != DB_DONE)
		goto dbfail;
	db_bind_text(log, 1, mac, -1, DB_STATIC);
	db_bind_int64(log, 2, in->time_ms);
	db_bind_text(log, 3, in->client, -1, DB_STATIC);
	db_bind_text(log, 4, in->proto, -1, DB_STATIC);
	db_bind_int64(log, 5, (int64_t)in->len);
	db_bind_int64(log, 6, np);
	db_bind_text(log, 7, layers, -1, DB_STATIC);
	if (tmpl[0] != '\0')
		db_bind_text(log, 8, tmpl, -1, DB_STATIC);
	if (in->servip != NULL)
		db_bind_text(log, 9, in->servip, -1, DB_STATIC);
	if (in->port != NULL)
		db_bind_text(log, 10, in->port, -1, DB_STATIC);
	if (db_step(log) != DB_DONE ||
	    db_exec(r->conn, "COMMIT") != DB_OK)
		goto dbfail;
	snprintf(why, whylen, "%ld parameter%s%s%s", np, np == 1 ? "" : "s", layers[0] ? ", " : "",
		 layers);
	goto out;
dbfail:
	st = reportd_dbfail(r->conn, r->db, why, whylen) == -2 ? REPORTD_BUSY : REPORTD_FAIL;
	if (!db_get_autocommit(r->conn))
		db_exec(r->conn, "ROLLBACK");
out:
	db_finalize(del);
	db_finalize(s.ins);
	db_finalize(log);
	return st;
}

enum reportd_status
reportd_take(struct reportd *r, struct inv **inv, char *const *routes, unsigned n,
	     const struct reportd_in *in, char mac[13], char *why, size_t whylen)
{
	char k1[INV_KEY_HEX + 1] = "", k2[INV_KEY_HEX + 1] = "", err[256];
	const char *keys[3] = { NULL, NULL, NULL };
	struct inv_device d;
	enum reportd_status st;
	unsigned id = 0;
	int got;

	mac[0] = '\0';
	if (in->path_mac != NULL && in->path_mac[0] != '\0') {
		memcpy(mac, in->path_mac, 13);
		if (in->cert_mac != NULL && in->cert_mac[0] != '\0' &&
		    strcmp(in->cert_mac, mac) != 0) {
			snprintf(why, whylen, "report names %s, the certificate %s", mac,
				 in->cert_mac);
			return REPORTD_REFUSED;
		}
	} else if (in->cert_mac != NULL && in->cert_mac[0] != '\0') {
		memcpy(mac, in->cert_mac, 13);
	} else {
		snprintf(why, whylen, "no MAC in the path and no client certificate");
		return REPORTD_REFUSED;
	}
	if (in->need_cert && (in->cert_mac == NULL || in->cert_mac[0] == '\0')) {
		snprintf(why, whylen, "route requires a client certificate");
		return REPORTD_REFUSED;
	}
	if (*inv == NULL && inv_open(inv, r->db, 1, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "inventory: %s", err);
		return REPORTD_BUSY;
	}
	got = inv_device_get(*inv, mac, &d);
	if (got < 0) {
		snprintf(why, whylen, "%s", inv_errmsg(*inv));
		return inv_busy(*inv) ? REPORTD_BUSY : REPORTD_FAIL;
	}
	if (got == 0 || !d.enabled) {
		snprintf(why, whylen, "%s: %s device", mac, got == 0 ? "unknown" : "disabled");
		return REPORTD_MISS;
	}
	/* The current key, then the one before it (a rotation the device has
	 * not fetched yet). */
	if (inv_key_get(*inv, mac, &id, k1) == 1) {
		keys[0] = k1;
		if (id > 1) {
			unsigned prev = id - 1;

			if (inv_key_get(*inv, mac, &prev, k2) == 1)
				keys[1] = k2;
		}
	}
	st = reportd_store(r, in, mac, keys, routes, n, why, whylen);
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	return st;
}

/* ---- the CLI's side ------------------------------------------------------------ */

static void
reportd_col(struct db_stmt *st, int i, char *out, size_t cap)
{
	const char *v = (const char *)db_column_text(st, i);

	snprintf(out, cap, "%s", v != NULL ? v : "");
}

static void
reportd_row_last(struct db_stmt *st, struct reportd_last *l)
{
	memset(l, 0, sizeof(*l));
	l->time_ms = db_column_int64(st, 0);
	reportd_col(st, 1, l->client, sizeof(l->client));
	reportd_col(st, 2, l->proto, sizeof(l->proto));
	l->params = (long)db_column_int64(st, 3);
	reportd_col(st, 4, l->layers, sizeof(l->layers));
	reportd_col(st, 5, l->tmpl, sizeof(l->tmpl));
	reportd_col(st, 6, l->servip, sizeof(l->servip));
	reportd_col(st, 7, l->port, sizeof(l->port));
}

#define REPORTD_COLS "time_ms, client, proto, params, layers, template, servip, port"

int
reportd_history(const char *db, const char *mac, int64_t since_ms,
		void (*fn)(void *arg, const struct reportd_last *r), void *arg, char *why,
		size_t whylen)
{
	struct db *c = NULL;
	struct db_stmt *st = NULL;
	int rc;

	if (reportd_open(db, 0, INV_BUSY_MS, &c, why, whylen) < 0)
		return -1;
	rc = db_prepare(c, "SELECT " REPORTD_COLS " FROM device_report WHERE mac = ?1"
				" AND time_ms >= ?2 ORDER BY time_ms", &st);
	if (rc == DB_OK) {
		db_bind_text(st, 1, mac, -1, DB_STATIC);
		db_bind_int64(st, 2, since_ms);
		while ((rc = db_step(st)) == DB_ROW) {
			struct reportd_last l;

			reportd_row_last(st, &l);
			fn(arg, &l);
		}
		rc = rc == DB_DONE ? DB_OK : rc;
	}
	if (rc != DB_OK)
		reportd_dbfail(c, db, why, whylen);
	db_finalize(st);
	db_close(c);
	return rc == DB_OK ? 0 : -1;
}

int
reportd_changes(struct inv *inv, const char *db, const char *mac, int64_t since_ms,
		void (*fn)(void *arg, const struct reportd_change *c), void *arg, char *why,
		size_t whylen)
{
	static const char sql[] = "SELECT time_ms, kind, scope, owner, name, action"
		" FROM inventory_change WHERE time_ms >= ?1 AND ("
		" (kind IN ('device', 'key') AND owner = ?2)"
		" OR (kind = 'var' AND ((scope = 'device' AND owner = ?2)"
		"  OR (scope = 'group' AND owner = ?3) OR (scope = 'product' AND owner = ?4)"
		"  OR scope = 'global'))"
		" OR kind = 'template') ORDER BY time_ms";
	struct inv_device d;
	struct db *c = NULL;
	struct db_stmt *st = NULL;
	int rc;

	memset(&d, 0, sizeof(d));
	if (inv_device_get(inv, mac, &d) < 0) {
		snprintf(why, whylen, "%s", inv_errmsg(inv));
		return -1;
	}
	if (reportd_open(db, 0, INV_BUSY_MS, &c, why, whylen) < 0)
		return -1;
	rc = db_prepare(c, sql, &st);
	if (rc == DB_OK) {
		db_bind_int64(st, 1, since_ms);
		db_bind_text(st, 2, mac, -1, DB_STATIC);
		db_bind_text(st, 3, d.group, -1, DB_STATIC);
		db_bind_text(st, 4, d.product, -1, DB_STATIC);
		while ((rc = db_step(st)) == DB_ROW) {
			struct reportd_change ch;

			ch.time_ms = db_column_int64(st, 0);
			ch.kind = (const char *)db_column_text(st, 1);
			ch.scope = (const char *)db_column_text(st, 2);
			ch.owner = (const char *)db_column_text(st, 3);
			ch.name = (const char *)db_column_text(st, 4);
			ch.action = (const char *)db_column_text(st, 5);
			fn(arg, &ch);
		}
		rc = rc == DB_DONE ? DB_OK : rc;
	}
	if (rc != DB_OK)
		reportd_dbfail(c, db, why, whylen);
	db_finalize(st);
	db_close(c);
	return rc == DB_OK ? 0 : -1;
}

int
reportd_pushes(const char *db, const char *mac, int64_t since_ms,
	       void (*fn)(void *arg, const struct reportd_push *p), void *arg, char *why,
	       size_t whylen)
{
	static const char sql[] = "SELECT time_ms, event, dest, result, detail FROM push"
		" WHERE mac = ?1 AND time_ms >= ?2 ORDER BY time_ms, id";
	struct db *c = NULL;
	struct db_stmt *st = NULL;
	int rc;

	if (reportd_open(db, 0, INV_BUSY_MS, &c, why, whylen) < 0)
		return -1;
	rc = db_prepare(c, sql, &st);
	if (rc == DB_OK) {
		db_bind_text(st, 1, mac, -1, DB_STATIC);
		db_bind_int64(st, 2, since_ms);
		while ((rc = db_step(st)) == DB_ROW) {
			struct reportd_push p;

			p.time_ms = db_column_int64(st, 0);
			p.event = (const char *)db_column_text(st, 1);
			p.dest = (const char *)db_column_text(st, 2);
			p.result = (const char *)db_column_text(st, 3);
			p.detail = (const char *)db_column_text(st, 4);
			fn(arg, &p);
		}
		rc = rc == DB_DONE ? DB_OK : rc;
	}
	if (rc != DB_OK)
		reportd_dbfail(c, db, why, whylen);
	db_finalize(st);
	db_close(c);
	return rc == DB_OK ? 0 : -1;
}

/* A reported parameter, looked up by name. */
static const char *
reportd_reported(struct db_stmt *st, const char *mac, const char *name, int *found, char **buf)
{
	const char *v;

	db_bind_text(st, 1, mac, -1, DB_STATIC);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	*found = db_step(st) == DB_ROW;
	v = *found ? (const char *)db_column_text(st, 0) : NULL;
	*buf = v != NULL ? strdup(v) : NULL;
	db_reset(st);
	db_clear_bindings(st);
	return *buf;
}

long
reportd_drift(struct inv *inv, const char *db, const char *mac, const char *tmpl,
	      struct reportd_last *last,
	      void (*fn)(void *arg, const struct reportd_diff *d), void *arg, char *why,
	      size_t whylen)
{
	struct render_env env = { NULL, NULL, NULL, NULL, NULL };
	struct prov_profile *p = NULL;
	struct db *c = NULL;
	struct db_stmt *st = NULL, *get = NULL;
	char *out = NULL, msg[256];
	size_t len = 0;
	long ndiff = REPORTD_DRIFT_FAIL;
	enum render_status rs;
	int rc;

	memset(last, 0, sizeof(*last));
	/* The inventory's own connection: the same database, and a drift per
	 * device of a list must not cost a connection each (PostgreSQL). */
	c = inv_db(inv);
	rc = db_prepare(c, "SELECT " REPORTD_COLS " FROM device_report WHERE mac = ?1"
				" ORDER BY time_ms DESC LIMIT 1", &st);
	if (rc == DB_OK)
		rc = db_prepare(c, "SELECT value FROM device_reported WHERE mac = ?1"
					" AND name = ?2", &get);
	if (rc != DB_OK) {
		reportd_dbfail(c, db, why, whylen);
		goto out;
	}
	db_bind_text(st, 1, mac, -1, DB_STATIC);
	rc = db_step(st);
	if (rc != DB_ROW) {
		if (rc == DB_DONE) {
			snprintf(why, whylen, "%s: no report received", mac);
			ndiff = REPORTD_DRIFT_NO_REPORT;
		} else
			reportd_dbfail(c, db, why, whylen);
		goto out;
	}
	reportd_row_last(st, last);
	if (tmpl == NULL)
		tmpl = last->tmpl[0] != '\0' ? last->tmpl : NULL;
	if (tmpl == NULL) {
		snprintf(why, whylen, "%s: no template route known for the device's profile"
			 " (give one: --template NAME, or template=NAME in the API)", mac);
		ndiff = REPORTD_DRIFT_NO_TEMPLATE;
		goto out;
	}
	/* Rendered as the device saw it, as far as the report tells: the
	 * server address and port it reported to, its scheme. */
	env.servip = last->servip[0] ? last->servip : NULL;
	env.port = last->port[0] ? last->port : NULL;
	env.scheme = last->proto[0] ? last->proto : NULL;
	rs = render_device(inv, mac, tmpl, &env, &out, &len, why, whylen);
	if (rs != RENDER_OK) {
		if (rs != RENDER_BUSY && rs != RENDER_FAIL)
			ndiff = REPORTD_DRIFT_NO_TEMPLATE;
		goto out;
	}
	if (prov_profile_parse(tmpl, out, len, 0, &p, msg, sizeof(msg)) != PROV_OK) {
		snprintf(why, whylen, "rendered profile: %s", msg);
		ndiff = REPORTD_DRIFT_NO_TEMPLATE;
		goto out;
	}
	ndiff = 0;
	for (size_t i = 0; i < prov_profile_count(p); i++) {
		const char *name, *sv, *dv, *def;
		char *buf = NULL;
		int found, secret;
		struct reportd_diff df;

		if (prov_profile_entry(p, i, &name, &sv, NULL) != PROV_OK || sv == NULL)
			continue; /* a rendered element that keeps the value sets nothing */
		dv = reportd_reported(get, mac, name, &found, &buf);
		secret = prov_param_is_secret(name);
		if (found && dv == NULL)
			continue; /* kept back by the device (a secret): nothing to compare */
		if (!found && (def = prov_param_default(name)) != NULL)
			dv = def; /* a --delta report leaves defaults out */
		if (dv != NULL &&
		    strcmp(prov_param_canon(name, sv), prov_param_canon(name, dv)) == 0) {
			if (buf != NULL)
				OPENSSL_cleanse(buf, strlen(buf));
			free(buf);
			continue;
		}
		df.name = name;
		df.secret = secret;
		df.server = secret ? NULL : sv;
		df.device = secret ? NULL : dv;
		if (secret && dv == NULL)
			df.device = NULL;
		fn(arg, &df);
		ndiff++;
		if (buf != NULL)
			OPENSSL_cleanse(buf, strlen(buf));
		free(buf);
	}
out:
	prov_profile_free(p);
	if (out != NULL)
		OPENSSL_cleanse(out, len);
	free(out);
	db_finalize(st);
	db_finalize(get);
	return ndiff;
}
