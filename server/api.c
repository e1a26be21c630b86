/*
 * api: the JSON admin API. See api.h and docs/API.md.
 */
#define _GNU_SOURCE /* strndup */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include "db.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "activate.h"
#include "api_int.h"
#include "http_int.h"
#include "inventory.h"
#include "log.h"
#include "metrics.h"
#include "serve.h"
#include "web.h"

#define API_METRICS_MAX (1024u * 1024u) /* largest metrics text */

/* ---- the token ------------------------------------------------------------ */

int
api_token_load(const char *path, unsigned char digest[32], char *err, size_t errlen)
{
	char buf[API_TOKEN_MAX + 2];
	struct stat st;
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "admin-token-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
		fclose(f);
		snprintf(err, errlen, "admin-token-file %s: readable by others (mode %03o): chmod"
			 " 600 it", path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n < API_TOKEN_MIN || n > API_TOKEN_MAX) {
		OPENSSL_cleanse(buf, sizeof(buf));
		snprintf(err, errlen, "admin-token-file %s: the token (first line) must be %u to %u"
			 " characters", path, API_TOKEN_MIN, API_TOKEN_MAX);
		return -1;
	}
	SHA256((const unsigned char *)buf, n, digest);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int
api_authorized(const unsigned char digest[32], const char *authz, size_t len)
{
	unsigned char d[32];
	int ok;

	if (authz == NULL || len < 7 || strncasecmp(authz, "Bearer ", 7) != 0)
		return 0;
	authz += 7;
	len -= 7;
	while (len > 0 && *authz == ' ') {
		authz++;
		len--;
	}
	SHA256((const unsigned char *)authz, len, d);
	ok = CRYPTO_memcmp(d, digest, 32) == 0;
	OPENSSL_cleanse(d, sizeof(d));
	return ok;
}

int
api_basic_authorized(const unsigned char digest[32], const char *authz, size_t len)
{
	unsigned char dec[3 * (API_TOKEN_MAX + 128) / 4 + 4], d[32];
	const unsigned char *colon;
	int n, pad = 0, ok;

	if (authz == NULL || len < 6 || strncasecmp(authz, "Basic ", 6) != 0)
		return 0;
	authz += 6;
	len -= 6;
	if (len == 0 || len % 4 != 0 || len > 4 * (API_TOKEN_MAX + 128) / 3)
		return 0;
	n = EVP_DecodeBlock(dec, (const unsigned char *)authz, (int)len);
	if (n < 0)
		return 0;
	while (pad < 2 && authz[len - 1 - (size_t)pad] == '=')
		pad++;
	n -= pad;
	colon = memchr(dec, ':', (size_t)n);
	if (colon == NULL)
		return 0;
	SHA256(colon + 1, (size_t)(dec + n - colon - 1), d);
	ok = CRYPTO_memcmp(d, digest, 32) == 0;
	OPENSSL_cleanse(dec, sizeof(dec));
	OPENSSL_cleanse(d, sizeof(d));
	return ok;
}

/* ---- answers ---------------------------------------------------------------- */

void
api_res_fini(struct api_res *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Takes obj's JSON text as the answer (and frees obj). */
void
api_json(struct api_res *r, int status, json_object *obj)
{
	const char *t = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = t != NULL ? strlen(t) : 0;

	free(r->body);
	r->body = malloc(n + 2);
	if (r->body == NULL) {
		r->status = 500;
		r->len = 0;
	} else {
		memcpy(r->body, t, n);
		r->body[n] = '\n';
		r->body[n + 1] = '\0';
		r->len = n + 1;
		r->status = status;
	}
	r->ctype = "application/json";
	json_object_put(obj);
}

__attribute__((format(printf, 3, 4)))
void
api_error(struct api_res *r, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_object *o = json_object_new_object();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	api_json(r, status, o);
}

void
api_inv_error(struct api_res *r, struct inv *inv)
{
	api_error(r, inv_busy(inv) ? 503 : 500, "%s", inv_errmsg(inv));
}

json_object *
api_str(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

/* ---- the query string ------------------------------------------------------- */

static int
api_unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
api_form_get(const char *query, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&'), *eq;
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p), o = 0;

		eq = memchr(p, '=', len);
		if (eq != NULL && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
			for (const char *s = eq + 1; s < p + len; s++) {
				int c = (unsigned char)*s;

				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					int hi, lo;

					if (s + 2 >= p + len)
						return -1;
					hi = api_unhex((unsigned char)s[1]);
					lo = api_unhex((unsigned char)s[2]);
					if (hi < 0 || lo < 0)
						return -1;
					c = hi * 16 + lo;
					s += 2;
				}
				if (c == 0 || o + 1 >= cap)
					return -1;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return 1;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

/* ---- request bodies ----------------------------------------------------------- */

/* The body as a JSON object whose fields are all in allowed (NULL-ended).
 * NULL with the answer made. */
json_object *
api_body(const char *body, size_t len, const char *const *allowed, const char *what,
	 struct api_res *r)
{
	json_tokener *tok = json_tokener_new_ex(API_JSON_DEPTH);
	json_object *o = NULL;
	enum json_tokener_error e;

	if (tok == NULL) {
		api_error(r, 500, "out of memory");
		return NULL;
	}
	if (len > API_BODY_MAX) {
		json_tokener_free(tok);
		api_error(r, 413, "%s: body over %u bytes", what, API_BODY_MAX);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, body, (int)len);
	e = json_tokener_get_error(tok);
	if (o == NULL || e != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		if (e == json_tokener_continue)
			api_error(r, 400, "%s: the JSON body ends early", what);
		else if (e != json_tokener_success)
			api_error(r, 400, "%s: bad JSON at byte %zu: %s", what,
				  json_tokener_get_parse_end(tok), json_tokener_error_desc(e));
		else
			api_error(r, 400, "%s: bytes after the JSON value (byte %zu)", what,
				  json_tokener_get_parse_end(tok));
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		api_error(r, 400, "%s: the body must be a JSON object", what);
		return NULL;
	}
	json_object_object_foreach(o, key, val) {
		size_t i;

		(void)val;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			api_error(r, 400, "%s: unknown field '%.64s'", what, key);
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* A string field: 1 taken into out (cap), 0 absent, -1 bad (answered). */
int
api_get_str(json_object *o, const char *name, char *out, size_t cap, const char *what,
	    struct api_res *r)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		api_error(r, 400, "%s: %s must be a string", what, name);
		return -1;
	}
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) >= cap ||
	    strlen(s) != (size_t)json_object_get_string_len(v)) {
		api_error(r, 400, "%s: %s longer than %zu bytes or holding NUL", what, name, cap - 1);
		return -1;
	}
	for (const char *p = s; *p && cap <= INV_FIELD_MAX; p++)
		if ((unsigned char)*p < 0x20) {
			api_error(r, 400, "%s: %s: control character", what, name);
			return -1;
		}
	memcpy(out, s, strlen(s) + 1);
	return 1;
}

int
api_get_bool(json_object *o, const char *name, int *out, const char *what, struct api_res *r)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		api_error(r, 400, "%s: %s must be true or false", what, name);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 1;
}

/* ---- history and metrics --------------------------------------------------------- */

static void
api_history(struct inv *inv, const char *query, struct api_res *r)
{
	char macarg[64], mac[13], lim[16], *end;
	unsigned long limit = API_HISTORY_DEFAULT;
	struct db_stmt *st = NULL;
	json_object *a, *o;
	int q = api_form_get(query, "mac", macarg, sizeof(macarg)), step;

	if (q < 0 || (q == 1 && inv_mac_parse(macarg, mac) < 0)) {
		api_error(r, 400, "history: mac=MAC (12 hex digits)");
		return;
	}
	if (api_form_get(query, "limit", lim, sizeof(lim)) == 1) {
		limit = strtoul(lim, &end, 10);
		if (lim[0] < '0' || lim[0] > '9' || *end != '\0' || limit == 0 ||
		    limit > API_HISTORY_MAX) {
			api_error(r, 400, "history: limit is 1..%u", API_HISTORY_MAX);
			return;
		}
	}
	step = db_prepare(inv_db(inv), "SELECT time_ms, client, proto, method, path,"
				  " status, user_agent, mac FROM request WHERE CAST(?1 AS TEXT) IS NULL OR mac = ?1"
				  " ORDER BY time_ms DESC, id DESC LIMIT ?2", &st);
	if (step != DB_OK) {
		inv_sqlfail(inv, step);
		api_inv_error(r, inv);
		return;
	}
	if (q == 1)
		db_bind_text(st, 1, mac, -1, DB_STATIC);
	db_bind_int64(st, 2, (int64_t)limit);
	a = json_object_new_array();
	while ((step = db_step(st)) == DB_ROW) {
		static const char *const cols[] = { "time_ms", "client", "proto", "method", "path",
			"status", "user_agent", "mac" };

		o = json_object_new_object();
		for (int i = 0; i < 8; i++) {
			json_object *v = NULL;

			if (db_column_type(st, i) == DB_INTEGER)
				v = json_object_new_int64(db_column_int64(st, i));
			else if (db_column_type(st, i) != DB_NULL)
				v = api_str((const char *)db_column_text(st, i));
			json_object_object_add(o, cols[i], v);
		}
		json_object_array_add(a, o);
	}
	db_finalize(st);
	if (step != DB_DONE) {
		json_object_put(a);
		inv_sqlfail(inv, step);
		api_inv_error(r, inv);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "requests", a);
	api_json(r, 200, o);
}

static void
api_metrics(const struct metrics *m, struct api_res *r)
{
	size_t cap = 16384, n;

	if (m == NULL) {
		api_error(r, 404, "no metrics");
		return;
	}
	for (;;) {
		char *buf = malloc(cap);

		if (buf == NULL) {
			api_error(r, 500, "out of memory");
			return;
		}
		n = metrics_render(m, buf, cap);
		if (n < cap) {
			free(r->body);
			r->body = buf;
			r->len = n;
			r->status = 200;
			r->ctype = "text/plain; version=0.0.4";
			return;
		}
		free(buf);
		if (cap >= API_METRICS_MAX) {
			api_error(r, 500, "metrics do not fit");
			return;
		}
		cap *= 4;
	}
}

/* ---- dispatch ------------------------------------------------------------------ */

void
api_handle(struct inv *inv, const char *db, const struct metrics *m, const char *method,
	   const char *path, const char *query, const char *body, size_t len, struct api_res *r)
{
	static const struct {
		const char *name;
		int kind;
	} coll[] = { { "devices", 0 }, { "variables", 1 }, { "templates", 2 }, { "codes", 3 },
		     { "history", 4 }, { "metrics", 5 } };
	const char *rest;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	memset(r, 0, sizeof(*r));
	if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0) {
		api_error(r, 404, "no such path (the API is under " API_PREFIX ")");
		return;
	}
	path += strlen(API_PREFIX);
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (size_t i = 0; i < sizeof(coll) / sizeof(coll[0]); i++) {
		size_t n = strlen(coll[i].name);

		if (strncmp(path, coll[i].name, n) != 0 || (path[n] != '\0' && path[n] != '/'))
			continue;
		rest = path[n] == '/' ? path + n + 1 : path + n;
		if (inv == NULL && coll[i].kind != 5) {
			api_error(r, 503, "the inventory is not open");
			return;
		}
		switch (coll[i].kind) {
		case 0: api_devices(inv, db, method, rest, query, body, len, r); return;
		case 1: api_variables(inv, method, rest, query, body, len, r); return;
		case 2: api_templates(inv, method, rest, body, len, r); return;
		case 3: api_codes(inv, method, rest, body, len, r); return;
		default:
			if (!get || rest[0] != '\0') {
				r->allow = "GET";
				api_error(r, rest[0] != '\0' ? 404 : 405, "%s: GET", coll[i].name);
			} else if (coll[i].kind == 4) {
				api_history(inv, query, r);
			} else {
				api_metrics(m, r);
			}
			return;
		}
	}
	api_error(r, 404, "no such path");
}

/* ---- on the admin listener ----------------------------------------------------- */

/* An answer before the body is read (msg: a JSON text). */
static int
api_http_error(struct http_conn *c, int status, const char *msg)
{
	return http_conn_reply(c, status, "application/json", NULL, msg, strlen(msg));
}

int
api_http_start(struct http_conn *c)
{
	struct srv *srv = c->h->srv;
	const struct http_parse *p = &c->p;
	uint64_t cl = p->hp.content_length;
	int body = c->method == HTTP_POST || c->method == HTTP_PUT || c->method == HTTP_PATCH;
	char path[ROOT_PATH_MAX + 1];
	long n = http_url_path(p->url, p->url_len, path, sizeof(path));
	int web = n > 0 && strncmp(path, WEB_PREFIX, strlen(WEB_PREFIX)) == 0;
	size_t cap = web ? WEB_FORM_MAX : API_BODY_MAX;

	if (n > 0 && (strcmp(path, "/") == 0 || strcmp(path, "/ui") == 0))
		return http_conn_reply(c, 303, NULL, "Location: /ui/\r\n", NULL, 0);
	if (web && (!p->field_seen[HTTP_F_AUTHORIZATION] || p->field_trunc[HTTP_F_AUTHORIZATION] ||
		    !api_basic_authorized(srv->admin_token, p->field[HTTP_F_AUTHORIZATION],
					  p->field_len[HTTP_F_AUTHORIZATION]))) {
		static const char msg[] = "401: the admin token is the password (any user name)\n";

		log_msg(LOG_NOTICE, "api: %s: web page without a valid token", c->client);
		return http_conn_reply(c, 401, "text/plain",
				       "WWW-Authenticate: Basic realm=\"prov admin\", charset=\"UTF-8\"\r\n",
				       msg, sizeof(msg) - 1);
	}
	if (!web && (!p->field_seen[HTTP_F_AUTHORIZATION] || p->field_trunc[HTTP_F_AUTHORIZATION] ||
		     !api_authorized(srv->admin_token, p->field[HTTP_F_AUTHORIZATION],
				     p->field_len[HTTP_F_AUTHORIZATION]))) {
		static const char msg[] = "{\"error\":\"authentication required: Authorization:"
			" Bearer TOKEN (--admin-token-file)\"}\n";

		log_msg(LOG_NOTICE, "api: %s: %s without a valid token", c->client,
			http_method_str((enum http_method)c->method));
		return http_conn_reply(c, 401, "application/json",
				       "WWW-Authenticate: Bearer realm=\"prov\"\r\n", msg,
				       sizeof(msg) - 1);
	}
	if (!body)
		return 0; /* any body is read and dropped */
	if (p->hp.flags & F_CHUNKED)
		return api_http_error(c, 400, "{\"error\":\"a chunked body: send a Content-Length\"}\n");
	if (cl == (uint64_t)-1)
		cl = 0; /* no Content-Length, not chunked: no body */
	if (cl > cap) {
		char msg[64];

		snprintf(msg, sizeof(msg), "{\"error\":\"request body over %zu bytes\"}\n", cap);
		return api_http_error(c, 413, msg);
	}
	c->act_body = malloc((size_t)cl + 1);
	if (c->act_body == NULL)
		return http_conn_error(c, 500, "out of memory", NULL);
	c->act_len = 0;
	c->act_cap = (size_t)cl;
	c->act_over = 0;
	c->act_cert = 0;
	if (p->field_seen[HTTP_F_EXPECT] && strcasecmp(p->field[HTTP_F_EXPECT], "100-continue") == 0)
		return http_conn_reply(c, 100, NULL, NULL, NULL, 0);
	return 0;
}

int
api_http_done(struct http_conn *c)
{
	struct srv *srv = c->h->srv;
	char path[ROOT_PATH_MAX + 1], extra[64] = "";
	const char *q = memchr(c->p.url, '?', c->p.url_len);
	char *query = NULL;
	struct api_res r;
	long n = http_url_path(c->p.url, c->p.url_len, path, sizeof(path));
	int rc;

	if (n < 0) {
		activate_http_free(c);
		return http_conn_error(c, n == -414 ? 414 : 400, "malformed path", NULL);
	}
	if (q != NULL) {
		const char *end = memchr(q, '#', c->p.url_len - (size_t)(q - c->p.url));

		query = strndup(q + 1, end != NULL ? (size_t)(end - q - 1) :
				c->p.url_len - (size_t)(q - c->p.url) - 1);
		if (query == NULL) {
			activate_http_free(c);
			return http_conn_error(c, 500, "out of memory", NULL);
		}
	}
	if (strncmp(path, WEB_PREFIX, strlen(WEB_PREFIX)) == 0) {
		struct web_res wr;
		char hdr[512];

		if (c->act_body != NULL)
			c->act_body[c->act_len] = '\0'; /* room for it: cap + 1 */
		web_handle(srv->inv, srv->cfg->db, srv->admin_token, http_method_str((enum http_method)c->method),
			   path, query, c->act_body, &wr);
		free(query);
		activate_http_free(c);
		snprintf(hdr, sizeof(hdr), "%sCache-Control: no-store\r\n"
			 "Content-Security-Policy: default-src 'self'; style-src 'self'"
			 " 'unsafe-inline'; frame-ancestors 'none'\r\nX-Frame-Options: DENY\r\n"
			 "Referrer-Policy: no-referrer\r\n", wr.extra);
		if (log_enabled(LOG_INFO))
			log_msg(LOG_INFO, "api: %s %s %s -> %d", c->client,
				http_method_str((enum http_method)c->method), path, wr.status);
		rc = http_conn_reply(c, wr.status, wr.status == 303 ? NULL : wr.ctype, hdr,
				     wr.body, wr.status == 303 ? 0 : wr.len);
		free(wr.body);
		return rc;
	}
	api_handle(srv->inv, srv->cfg->db, srv->metrics, http_method_str((enum http_method)c->method), path,
		   query, c->act_body != NULL ? c->act_body : "", c->act_len, &r);
	free(query);
	activate_http_free(c);
	if (r.allow != NULL)
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", r.allow);
	if (r.status >= 500 || log_enabled(LOG_INFO))
		log_msg(r.status >= 500 ? LOG_WARNING : LOG_INFO, "api: %s %s %s -> %d", c->client,
			http_method_str((enum http_method)c->method), path, r.status);
	rc = http_conn_reply(c, r.status, r.status == 204 ? NULL : r.ctype, extra,
			     r.status == 204 ? NULL : r.body, r.status == 204 ? 0 : r.len);
	api_res_fini(&r);
	return rc;
}
