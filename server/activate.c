/*
 * activate: activation codes and their redemption. See activate.h.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include "activate.h"

#include <ctype.h>
#include "db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ca.h"
#include "clock.h"
#include "guard.h"
#include "hex.h"
#include "http_int.h"
#include "log.h"
#include "loop.h"
#include "serve.h"

/* Luhn: the check digit that makes digits[0..n) followed by it valid. */
static int
act_luhn_digit(const char *digits, size_t n)
{
	unsigned sum = 0;

	/* From the right, the digit next to the check digit is doubled. */
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(digits[n - 1 - i] - '0');

		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (int)((10 - sum % 10) % 10);
}

int
act_code_norm(const char *s, char digits[ACT_DIGITS + 1])
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '-')
			continue;
		if (!isdigit((unsigned char)*s) || n >= ACT_DIGITS)
			return -1;
		digits[n++] = *s;
	}
	digits[n] = '\0';
	if (n != ACT_DIGITS || act_luhn_digit(digits, ACT_DIGITS - 1) != digits[ACT_DIGITS - 1] - '0')
		return -1;
	return 0;
}

/* HMAC-SHA256 of the digits under the server's activation secret, as 64
 * hex digits. */
static int
act_hash(struct inv *inv, const char *digits, char hex[65])
{
	unsigned char key[INV_KEY_BYTES], mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	int rc = -1;

	if (inv_secret(inv, ACT_SECRET, key) < 0)
		return -1;
	if (HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)digits, strlen(digits),
		 mac, &mlen) != NULL && mlen == 32) {
		hex_encode(mac, 32, hex);
		rc = 0;
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

static int
act_prepare(struct inv *inv, const char *sql, struct db_stmt **st)
{
	int rc = db_prepare(inv_db(inv), sql, st);

	return rc == DB_OK ? 0 : inv_sqlfail(inv, rc);
}

static void
act_bind_opt(struct db_stmt *st, int i, const char *s)
{
	if (s != NULL && s[0] != '\0')
		db_bind_text(st, i, s, -1, DB_TRANSIENT);
	else
		db_bind_null(st, i);
}

int64_t
act_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
act_expiry(const char *s, int64_t now_ms)
{
	char *end;
	unsigned long long n;
	struct tm tm;

	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (end == NULL || *end != '\0')
			return -1;
		int64_t t = (int64_t)timegm(&tm) * 1000 + 86400000; /* through that day */

		if (t <= now_ms || t - now_ms > (int64_t)ACT_EXPIRES_MAX_DAYS * 86400000)
			return -1;
		return t;
	}
	if (s[0] < '0' || s[0] > '9')
		return -1;
	n = strtoull(s, &end, 10);
	if (n == 0 || n > (unsigned long long)ACT_EXPIRES_MAX_DAYS * 24 * 60)
		return -1;
	if (*end == '\0' || strcmp(end, "d") == 0)
		n *= 86400000ull;
	else if (strcmp(end, "h") == 0)
		n *= 3600000ull;
	else if (strcmp(end, "m") == 0)
		n *= 60000ull;
	else
		return -1;
	if (n > (unsigned long long)ACT_EXPIRES_MAX_DAYS * 86400000ull)
		return -1;
	return now_ms + (int64_t)n;
}


int
act_code_new(struct inv *inv, const char *group, const char *product, int64_t expires_ms,
	     char digits[ACT_DIGITS + 1], unsigned *id)
{
	char hex[65];
	struct db_stmt *st = NULL;
	int rc = -1, step;

	/* Uniform digits: bytes 250..255 would favour 0..5, so are redrawn. */
	for (size_t n = 0; n < ACT_DIGITS - 1;) {
		unsigned char b[32];

		if (RAND_bytes(b, sizeof(b)) != 1) {
			inv_sqlfail(inv, DB_ERROR);
			return -1;
		}
		for (size_t i = 0; i < sizeof(b) && n < ACT_DIGITS - 1; i++)
			if (b[i] < 250)
				digits[n++] = (char)('0' + b[i] % 10);
		OPENSSL_cleanse(b, sizeof(b));
	}
	digits[ACT_DIGITS - 1] = (char)('0' + act_luhn_digit(digits, ACT_DIGITS - 1));
	digits[ACT_DIGITS] = '\0';
	if (act_hash(inv, digits, hex) < 0)
		return -1;
	if (act_prepare(inv, "INSERT INTO activation_code (id, hash, tail, group_name, product,"
			" created_ms, expires_ms)"
			" SELECT COALESCE(MAX(id), 0) + 1, ?1, ?2, ?3, ?4, ?5, ?6 FROM activation_code"
			" RETURNING id", &st) < 0)
		return -1;
	db_bind_text(st, 1, hex, 64, DB_STATIC);
	db_bind_text(st, 2, digits + ACT_DIGITS - 4, 4, DB_STATIC);
	act_bind_opt(st, 3, group);
	act_bind_opt(st, 4, product);
	db_bind_int64(st, 5, act_now());
	db_bind_int64(st, 6, expires_ms);
	step = db_step(st);
	if (step == DB_ROW) {
		*id = (unsigned)db_column_int64(st, 0);
		rc = 0;
	} else {
		inv_sqlfail(inv, step);
	}
	db_finalize(st);
	return rc;
}

static void
act_col(struct db_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *t = db_column_text(st, i);

	snprintf(dst, cap, "%s", t != NULL ? (const char *)t : "");
}

int
act_code_list(struct inv *inv, void (*fn)(void *arg, const struct act_code *c), void *arg)
{
	struct db_stmt *st = NULL;
	int step;

	if (act_prepare(inv, "SELECT id, tail, group_name, product, created_ms, expires_ms,"
			" used_ms, used_by, revoked FROM activation_code ORDER BY id", &st) < 0)
		return -1;
	while ((step = db_step(st)) == DB_ROW) {
		struct act_code c;

		memset(&c, 0, sizeof(c));
		c.id = (unsigned)db_column_int64(st, 0);
		act_col(st, 1, c.tail, sizeof(c.tail));
		act_col(st, 2, c.group, sizeof(c.group));
		act_col(st, 3, c.product, sizeof(c.product));
		c.created_ms = db_column_int64(st, 4);
		c.expires_ms = db_column_int64(st, 5);
		c.used_ms = db_column_int64(st, 6);
		act_col(st, 7, c.used_by, sizeof(c.used_by));
		c.revoked = db_column_int(st, 8) != 0;
		fn(arg, &c);
	}
	db_finalize(st);
	return step == DB_DONE ? 0 : inv_sqlfail(inv, step);
}

int
act_code_revoke(struct inv *inv, const char *what)
{
	char digits[ACT_DIGITS + 1], hex[65];
	struct db_stmt *st = NULL;
	int step, rc;
	size_t n = strspn(what, "0123456789");

	if (n == 0 || what[n] != '\0' || (n >= ACT_DIGITS && act_code_norm(what, digits) < 0)) {
		inv_sqlfail(inv, DB_MISMATCH);
		return -1;
	}
	if (n >= ACT_DIGITS) {
		rc = act_hash(inv, digits, hex);
		OPENSSL_cleanse(digits, sizeof(digits));
		if (rc < 0)
			return -1;
		rc = act_prepare(inv, "UPDATE activation_code SET revoked = 1"
				 " WHERE hash = ?1 AND used_ms IS NULL AND revoked = 0", &st);
		if (rc == 0)
			db_bind_text(st, 1, hex, 64, DB_STATIC);
	} else {
		rc = act_prepare(inv, "UPDATE activation_code SET revoked = 1"
				 " WHERE id = ?1 AND used_ms IS NULL AND revoked = 0", &st);
		if (rc == 0)
			db_bind_int64(st, 1, strtoll(what, NULL, 10));
	}
	if (rc < 0)
		return -1;
	step = db_step(st);
	db_finalize(st);
	if (step != DB_DONE)
		return inv_sqlfail(inv, step);
	return db_changes(inv_db(inv)) > 0;
}

enum act_result
act_redeem(struct inv *inv, const char *digits, const struct act_identity *id, int64_t now_ms,
	   struct inv_device *d)
{
	char hex[65], norm[ACT_DIGITS + 1];
	struct db_stmt *st = NULL;
	enum act_result res = ACT_FAIL;
	int step, found;

	if (act_code_norm(digits, norm) < 0)
		return ACT_REFUSED;
	step = act_hash(inv, norm, hex);
	OPENSSL_cleanse(norm, sizeof(norm));
	if (step < 0)
		return inv_busy(inv) ? ACT_BUSY : ACT_FAIL;
	if (inv_begin(inv) < 0)
		return inv_busy(inv) ? ACT_BUSY : ACT_FAIL;
	/* The one statement that decides: of concurrent attempts, one
	 * changes the row, the others find it used. */
	if (act_prepare(inv, "UPDATE activation_code SET used_ms = ?2, used_by = ?3"
			" WHERE hash = ?1 AND used_ms IS NULL AND revoked = 0 AND expires_ms > ?2"
			" RETURNING hash, group_name, product", &st) < 0)
		goto fail;
	db_bind_text(st, 1, hex, 64, DB_STATIC);
	db_bind_int64(st, 2, now_ms);
	db_bind_text(st, 3, id->mac, -1, DB_STATIC);
	step = db_step(st);
	if (step != DB_ROW && step != DB_DONE) {
		inv_sqlfail(inv, step);
		goto fail;
	}
	if (step == DB_DONE || db_column_bytes(st, 0) != 64 ||
	    CRYPTO_memcmp(db_column_text(st, 0), hex, 64) != 0) {
		res = ACT_REFUSED;
		goto fail;
	}
	found = inv_device_get(inv, id->mac, d);
	if (found < 0)
		goto fail;
	if (found == 0) {
		memset(d, 0, sizeof(*d));
		memcpy(d->mac, id->mac, sizeof(d->mac));
		snprintf(d->serial, sizeof(d->serial), "%s", id->serial);
		snprintf(d->product, sizeof(d->product), "%s", id->product);
		d->enabled = 1;
	}
	/* The code's group and product are the operator's word. */
	if (db_column_type(st, 1) != DB_NULL)
		act_col(st, 1, d->group, sizeof(d->group));
	if (db_column_type(st, 2) != DB_NULL)
		act_col(st, 2, d->product, sizeof(d->product));
	db_finalize(st);
	st = NULL;
	if ((found == 0 ? inv_device_add(inv, d) : inv_device_update(inv, d) == 1 ? 0 : -1) < 0)
		goto fail;
	if (inv_commit(inv) < 0)
		goto fail;
	OPENSSL_cleanse(d->http_password, sizeof(d->http_password));
	return ACT_OK;
fail:
	db_finalize(st);
	inv_rollback(inv);
	OPENSSL_cleanse(d->http_password, sizeof(d->http_password));
	if (res == ACT_FAIL && inv_busy(inv))
		res = ACT_BUSY;
	return res;
}

/* ---- the request body ------------------------------------------------------ */

static int
act_unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes one form value (len bytes) into dst (cap bytes, NUL included).
 * 0, or -1 with *why. */
static int
act_form_value(const char *s, size_t len, char *dst, size_t cap, const char **why)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= len) {
				*why = "truncated %-escape";
				return -1;
			}
			hi = act_unhex((unsigned char)s[i + 1]);
			lo = act_unhex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0) {
				*why = "bad %-escape";
				return -1;
			}
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "control character in a value";
			return -1;
		}
		if (n + 1 >= cap) {
			*why = "value too long";
			return -1;
		}
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return 0;
}

int
act_form_parse(const char *body, size_t len, char code[64], struct act_identity *id,
	       int *has_mac, const char **why)
{
	static const char *const names[] = { "code", "mac", "serial", "product" };
	char macbuf[64];
	unsigned seen = 0;
	size_t i = 0;

	memset(id, 0, sizeof(*id));
	code[0] = '\0';
	*has_mac = 0;
	if (len > ACT_BODY_MAX) {
		*why = "body too long";
		return -1;
	}
	while (i < len) {
		size_t end = i, eq;
		unsigned k;

		while (end < len && body[end] != '&')
			end++;
		for (eq = i; eq < end && body[eq] != '='; eq++)
			;
		if (eq == end) {
			*why = "a field without '='";
			return -1;
		}
		for (k = 0; k < 4; k++)
			if (strlen(names[k]) == eq - i && memcmp(body + i, names[k], eq - i) == 0)
				break;
		if (k == 4) {
			*why = "unknown field (expected code, mac, serial, product)";
			return -1;
		}
		if (seen & (1u << k)) {
			*why = "a field given twice";
			return -1;
		}
		seen |= 1u << k;
		if (act_form_value(body + eq + 1, end - eq - 1,
				   k == 0 ? code : k == 1 ? macbuf : k == 2 ? id->serial : id->product,
				   k == 0 ? 64 : k == 1 ? sizeof(macbuf) : INV_FIELD_MAX, why) < 0)
			return -1;
		if (k == 1) {
			if (inv_mac_parse(macbuf, id->mac) < 0) {
				*why = "mac is not a MAC";
				return -1;
			}
			*has_mac = 1;
		}
		i = end + 1;
	}
	if (!(seen & 1u)) {
		*why = "no code";
		return -1;
	}
	return 0;
}

/* ---- the exchange on the HTTPS listener ---------------------------------- */

void
activate_http_free(struct http_conn *c)
{
	if (c->act_body == NULL)
		return;
	OPENSSL_cleanse(c->act_body, c->act_cap);
	free(c->act_body);
	c->act_body = NULL;
	c->act_len = 0;
	c->act_over = 0;
}

int
activate_http_start(struct http_conn *c)
{
	struct srv *srv = c->h->srv;
	char path[ROOT_PATH_MAX + 1];
	long n;

	size_t cap = ACT_BODY_MAX;
	int cert = 0;

	if (srv->cfg->activation_rule == NULL && srv->ca == NULL)
		return 2;
	n = http_url_path(c->p.url, c->p.url_len, path, sizeof(path));
	if (n < 0)
		return 2;
	if (srv->ca != NULL && strcmp(path, CA_PATH) == 0) {
		cert = 1;
		cap = CA_CSR_MAX;
	} else if (srv->cfg->activation_rule == NULL || strcmp(path, ACT_PATH) != 0) {
		return 2;
	}
	if (c->ssl == NULL)
		return http_conn_error(c, 403, "activation and renewal are answered over HTTPS only",
				       NULL);
	/* Renewal: only a device whose current certificate verified. */
	if (cert && (!c->peer_ok || c->peer.mac[0] == '\0')) {
		log_msg(LOG_NOTICE, "device CA: %s: renewal without a device certificate: refused",
			c->client);
		return http_conn_error(c, 403, "renewal needs the device's current certificate",
				       NULL);
	}
	if (c->cl != NULL) {
		const struct config_limits *lim = http_conn_lim(c);
		struct guard_limits gl = { lim->enum_miss_burst, lim->enum_miss_rate,
					   lim->enum_cooldown_s };

		if (guard_blocked(srv->guard, c->cl->addr, loop_now(srv->loop), &gl))
			return http_conn_error(c, 429, "too many misses", NULL);
	}
	if (c->p.hp.content_length != (uint64_t)-1 && c->p.hp.content_length > cap)
		return http_conn_error(c, 413, "request body too long", NULL);
	c->act_body = malloc(cap);
	if (c->act_body == NULL)
		return http_conn_error(c, 500, "out of memory", NULL);
	c->act_len = 0;
	c->act_cap = cap;
	c->act_cert = cert;
	c->act_over = 0;
	if (c->p.field_seen[HTTP_F_EXPECT] &&
	    strcasecmp(c->p.field[HTTP_F_EXPECT], "100-continue") == 0)
		return http_conn_reply(c, 100, NULL, NULL, NULL, 0);
	return 0;
}

/* A renewal CSR from a device presenting its certificate (ca.h). */
static int
activate_http_renew(struct http_conn *c)
{
	struct srv *srv = c->h->srv;
	char why[256], *pem = NULL;
	size_t len = 0;
	int rc;

	rc = ca_sign_csr(srv->ca, srv->inv, c->peer.mac, c->peer.serial, c->peer.product,
			 c->act_body, c->act_len, srv->cfg->device_cert_days, &pem, &len, why,
			 sizeof(why));
	activate_http_free(c);
	if (rc == 1) {
		log_msg(LOG_NOTICE, "device CA: %s: %s: renewal refused: %s", c->client, c->peer.mac,
			why);
		return http_conn_error(c, 403, why, NULL);
	}
	if (rc < 0) {
		log_msg(LOG_ERR, "device CA: %s: %s: %s", c->client, c->peer.mac, why);
		return http_conn_error(c, inv_busy(srv->inv) ? 503 : 500, "renewal failed", NULL);
	}
	log_msg(LOG_NOTICE, "device CA: %s: %s: issued certificate %s", c->client, c->peer.mac,
		why);
	rc = http_conn_reply(c, 200, "application/x-pem-file", "Cache-Control: no-store\r\n",
			     pem, len);
	free(pem);
	return rc;
}

int
activate_http_done(struct http_conn *c)
{
	struct srv *srv = c->h->srv;
	struct act_identity id;
	struct inv_device d;
	char code[64];
	const char *why = NULL;
	int has_mac, rc;

	if (c->act_over) {
		activate_http_free(c);
		return http_conn_error(c, 413, "request body too long", NULL);
	}
	if (c->act_cert)
		return activate_http_renew(c);
	rc = act_form_parse(c->act_body, c->act_len, code, &id, &has_mac, &why);
	activate_http_free(c);
	if (rc < 0) {
		OPENSSL_cleanse(code, sizeof(code));
		log_msg(LOG_INFO, "activation: %s: bad request: %s", c->client, why);
		return http_conn_error(c, 400, why, NULL);
	}
	/* A device with a MIC is who its certificate says. */
	if (c->peer_ok && c->peer.mac[0] != '\0') {
		if (has_mac && strcmp(id.mac, c->peer.mac) != 0) {
			OPENSSL_cleanse(code, sizeof(code));
			log_msg(LOG_INFO, "activation: %s: mac %s is not the certificate's %s",
				c->client, id.mac, c->peer.mac);
			return http_conn_error(c, 400, "mac is not the client certificate's", NULL);
		}
		memcpy(id.mac, c->peer.mac, sizeof(id.mac));
		if (c->peer.serial[0] != '\0')
			snprintf(id.serial, sizeof(id.serial), "%s", c->peer.serial);
		if (c->peer.product[0] != '\0')
			snprintf(id.product, sizeof(id.product), "%s", c->peer.product);
	} else if (!has_mac) {
		OPENSSL_cleanse(code, sizeof(code));
		log_msg(LOG_INFO, "activation: %s: bad request: no mac and no client certificate",
			c->client);
		return http_conn_error(c, 400, "no mac and no client certificate", NULL);
	}
	switch (act_redeem(srv->inv, code, &id, clock_wall_ms(), &d)) {
	case ACT_OK:
		break;
	case ACT_REFUSED: {
		const struct config_limits *lim = http_conn_lim(c);
		struct guard_limits gl = { lim->enum_miss_burst, lim->enum_miss_rate,
					   lim->enum_cooldown_s };
		static const char refused[] = "invalid activation code\n";

		OPENSSL_cleanse(code, sizeof(code));
		log_msg(LOG_NOTICE, "activation: %s: %s: code refused", c->client, id.mac);
		if (c->cl != NULL)
			guard_miss(srv->guard, c->cl->addr, loop_now(srv->loop), &gl, c->client);
		return http_conn_reply(c, 403, "text/plain", "Cache-Control: no-store\r\n",
				       refused, sizeof(refused) - 1);
	}
	case ACT_BUSY:
		OPENSSL_cleanse(code, sizeof(code));
		return http_conn_error(c, 503, "server busy", "Retry-After: 5\r\n");
	case ACT_FAIL:
		OPENSSL_cleanse(code, sizeof(code));
		log_msg(LOG_ERR, "activation: %s: %s", c->client, inv_errmsg(srv->inv));
		return http_conn_error(c, 500, "activation failed", NULL);
	}
	OPENSSL_cleanse(code, sizeof(code));
	log_msg(LOG_NOTICE, "activation: %s: device %s enrolled (group '%s', product '%s')",
		c->client, d.mac, d.group, d.product);
	return http_conn_reply(c, 200, "text/plain", "Cache-Control: no-store\r\n",
			       srv->cfg->activation_rule, strlen(srv->cfg->activation_rule));
}
