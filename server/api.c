/*
 * api: the JSON admin API. See api.h and docs/API.md.
 */
#define _GNU_SOURCE /* strndup */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
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
#include "http_int.h"
#include "inventory.h"
#include "log.h"
#include "metrics.h"
#include "reportd.h"
#include "serve.h"
#include "timeline.h"
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
static void
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
static void
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

static void
api_inv_error(struct api_res *r, struct inv *inv)
{
	api_error(r, inv_busy(inv) ? 503 : 500, "%s", inv_errmsg(inv));
}

static json_object *
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
static json_object *
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
static int
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

static int
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

/* ---- devices ------------------------------------------------------------------ */

static json_object *
api_device_obj(const struct inv_device *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "mac", api_str(d->mac));
	json_object_object_add(o, "product", api_str(d->product));
	json_object_object_add(o, "group", api_str(d->group));
	json_object_object_add(o, "serial", api_str(d->serial));
	json_object_object_add(o, "enabled", json_object_new_boolean(d->enabled));
	json_object_object_add(o, "notes", api_str(d->notes));
	json_object_object_add(o, "key_id", json_object_new_int64(d->key_id));
	json_object_object_add(o, "created_ms", json_object_new_int64(d->created_ms));
	json_object_object_add(o, "http_user", api_str(d->http_user));
	return o;
}

static void
api_device_row(void *arg, const struct inv_device *d)
{
	json_object_array_add(arg, api_device_obj(d));
}

static json_object *
api_vars_obj(const struct inv_vars *vs, int secrets)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < vs->n; i++)
		json_object_object_add(o, vs->v[i].name,
				       secrets || !inv_var_is_secret(&vs->v[i]) ?
				       api_str(vs->v[i].value) : NULL);
	return o;
}

/* The variables of a body ({"NAME": "value" or null}) set on scope/owner.
 * 0, or -1 answered. */
static int
api_set_vars(struct inv *inv, enum inv_scope scope, const char *owner, json_object *vars,
	     const char *what, struct api_res *r)
{
	if (!json_object_is_type(vars, json_type_object)) {
		api_error(r, 400, "%s: variables must be an object", what);
		return -1;
	}
	json_object_object_foreach(vars, name, val) {
		const char *why = "";

		if (strlen(name) > INV_NAME_MAX || !inv_var_name_ok(name, &why)) {
			api_error(r, 400, "%s: variable '%.40s': %s", what, name,
				  strlen(name) > INV_NAME_MAX ? "longer than 32 characters" : why);
			return -1;
		}
		if (val != NULL && (!json_object_is_type(val, json_type_string) ||
				    (size_t)json_object_get_string_len(val) > INV_VALUE_MAX)) {
			api_error(r, 400, "%s: variable %s: a string of at most %u bytes, or null",
				  what, name, INV_VALUE_MAX);
			return -1;
		}
		if (inv_var_set(inv, scope, owner, name,
				val != NULL ? json_object_get_string(val) : NULL) < 0) {
			api_inv_error(r, inv);
			return -1;
		}
	}
	return 0;
}

static void
api_device_write(struct inv *inv, const char *mac, int add, const char *body, size_t len,
		 struct api_res *r)
{
	static const char *const fields[] = { "mac", "product", "group", "serial", "notes",
		"enabled", "variables", NULL };
	const char *what = add ? "POST devices" : "PATCH device";
	json_object *o = api_body(body, len, fields, what, r), *vars = NULL;
	struct inv_device d;
	char macbuf[64];
	int got;

	if (o == NULL)
		return;
	memset(&d, 0, sizeof(d));
	if (add) {
		if (api_get_str(o, "mac", macbuf, sizeof(macbuf), what, r) <= 0) {
			if (r->status == 0)
				api_error(r, 400, "%s: mac is required", what);
			goto out;
		}
		mac = macbuf;
	} else if (json_object_object_get_ex(o, "mac", NULL)) {
		api_error(r, 400, "%s: mac is the path's, not a field", what);
		goto out;
	}
	if (inv_mac_parse(mac, d.mac) < 0) {
		api_error(r, 400, "%s: '%.40s' is not a MAC (12 hex digits)", what, mac);
		goto out;
	}
	if (inv_begin(inv) < 0) {
		api_inv_error(r, inv);
		goto out;
	}
	if (add) {
		d.enabled = 1;
	} else if ((got = inv_device_get(inv, d.mac, &d)) <= 0) {
		if (got < 0)
			api_inv_error(r, inv);
		else
			api_error(r, 404, "%s: not in the inventory", d.mac);
		goto fail;
	}
	if (api_get_str(o, "product", d.product, sizeof(d.product), what, r) < 0 ||
	    api_get_str(o, "group", d.group, sizeof(d.group), what, r) < 0 ||
	    api_get_str(o, "serial", d.serial, sizeof(d.serial), what, r) < 0 ||
	    api_get_str(o, "notes", d.notes, sizeof(d.notes), what, r) < 0 ||
	    api_get_bool(o, "enabled", &d.enabled, what, r) < 0)
		goto fail;
	if ((add ? inv_device_add(inv, &d) : inv_device_update(inv, &d)) < 0) {
		if (add && !inv_busy(inv))
			api_error(r, 409, "%s", inv_errmsg(inv));
		else
			api_inv_error(r, inv);
		goto fail;
	}
	if (json_object_object_get_ex(o, "variables", &vars) &&
	    api_set_vars(inv, INV_DEVICE, d.mac, vars, what, r) < 0)
		goto fail;
	if (inv_commit(inv) < 0) {
		api_inv_error(r, inv);
		goto fail;
	}
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	api_json(r, add ? 201 : 200, api_device_obj(&d));
	goto out;
fail:
	inv_rollback(inv);
out:
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	json_object_put(o);
}

static void
api_device_get(struct inv *inv, const char *macarg, int secrets, struct api_res *r)
{
	struct inv_device d;
	struct inv_vars vs = { NULL, 0 };
	struct inv_seen seen;
	char mac[13];
	json_object *o, *s;
	int got;

	if (inv_mac_parse(macarg, mac) < 0) {
		api_error(r, 400, "'%.40s' is not a MAC (12 hex digits)", macarg);
		return;
	}
	got = inv_device_get(inv, mac, &d);
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	if (got == 0) {
		api_error(r, 404, "%s: not in the inventory", mac);
		return;
	}
	if (got < 0 || inv_vars_get(inv, INV_DEVICE, mac, &vs) < 0 ||
	    inv_device_seen(inv, mac, &seen) < 0) {
		inv_vars_free(&vs);
		api_inv_error(r, inv);
		return;
	}
	o = api_device_obj(&d);
	json_object_object_add(o, "variables", api_vars_obj(&vs, secrets));
	s = json_object_new_object();
	json_object_object_add(s, "last_ms", json_object_new_int64(seen.last_ms));
	json_object_object_add(s, "last_status", json_object_new_int(seen.last_status));
	json_object_object_add(s, "user_agent", api_str(seen.user_agent));
	json_object_object_add(s, "result_ms", json_object_new_int64(seen.result_ms));
	json_object_object_add(s, "last_result", api_str(seen.last_result));
	json_object_object_add(o, "seen", s);
	inv_vars_free(&vs);
	api_json(r, 200, o);
}

/* ---- a device's timeline and drift (timeline.h, as prov device timeline|drift) -- */

/* Takes the text of out (a JSON value) as the answer, wrapped in
 * {"NAME":VALUE} when name is not NULL. */
static void
api_raw(struct api_res *r, const char *name, struct buf *out)
{
	struct buf b;

	buf_init(&b, API_TIMELINE_MAX + 64);
	if ((name != NULL ? buf_addf(&b, "{\"%s\":%s}\n", name, buf_str(out))
			  : buf_addf(&b, "%s\n", buf_str(out))) != PROV_OK ||
	    (r->body = buf_take(&b)) == NULL) {
		buf_free(&b);
		api_error(r, 500, "out of memory");
		return;
	}
	r->len = strlen(r->body);
	r->status = 200;
	r->ctype = "application/json";
}

static void
api_feedback(struct inv *inv, const char *db, const char *mac, const char *what,
	     const char *query, struct api_res *r)
{
	char arg[API_QUERY_MAX + 1], why[512];
	struct inv_device d;
	struct buf out;
	int got = inv_device_get(inv, mac, &d);

	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	if (got < 0) {
		api_inv_error(r, inv);
		return;
	}
	if (got == 0) {
		api_error(r, 404, "%s: not in the inventory", mac);
		return;
	}
	if (db == NULL) {
		api_error(r, 503, "%s: no history database", what);
		return;
	}
	buf_init(&out, API_TIMELINE_MAX);
	if (strcmp(what, "drift") == 0) {
		char tmpl[INV_FIELD_MAX];
		long n;
		int q = api_form_get(query, "template", tmpl, sizeof(tmpl));

		if (q < 0 || (q == 1 && (tmpl[0] == '\0' || strchr(tmpl, '/') != NULL))) {
			api_error(r, 400, "drift: template is a template's name (at most %u bytes,"
				  " without '/')", INV_FIELD_MAX - 1);
		} else if ((n = timeline_drift_json(inv, db, mac, q == 1 ? tmpl : NULL, &out, why,
						    sizeof(why))) < 0) {
			/* No report yet is the device's drift not found; no
			 * template or a profile that does not render is the
			 * inventory's state, not the request's. */
			api_error(r, n == REPORTD_DRIFT_NO_REPORT ? 404 :
				     n == REPORTD_DRIFT_NO_TEMPLATE ? 409 : 500, "drift: %s", why);
		} else {
			api_raw(r, NULL, &out);
		}
	} else {
		int64_t since = 0;
		unsigned long limit = API_TIMELINE_DEFAULT;
		char *end;
		int q = api_form_get(query, "since", arg, sizeof(arg));

		if (q < 0 || (q == 1 && (since = timeline_parse_since(arg, (int64_t)time(NULL) *
								      1000)) < 0)) {
			api_error(r, 400, "timeline: since is an age (90s, 15m, 2h, 7d), a UTC date"
				  " and time (2026-11-28, 2026-11-28T06:05:09Z) or @UNIXSECONDS");
			goto out;
		}
		q = api_form_get(query, "limit", arg, sizeof(arg));
		if (q == 1) {
			limit = strtoul(arg, &end, 10);
			if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || limit == 0 ||
			    limit > API_HISTORY_MAX)
				q = -1;
		}
		if (q < 0) {
			api_error(r, 400, "timeline: limit is 1..%u", API_HISTORY_MAX);
			goto out;
		}
		if (timeline_write(inv, db, mac, since, (unsigned)limit, TIMELINE_JSON_ARRAY, &out,
				   why, sizeof(why)) < 0)
			api_error(r, 500, "timeline: %s", why);
		else
			api_raw(r, "events", &out);
	}
out:
	buf_free(&out);
}

static void
api_devices(struct inv *inv, const char *db, const char *method, const char *rest,
	    const char *query, const char *body, size_t len, struct api_res *r)
{
	char group[INV_FIELD_MAX], flag[8];
	int q;

	if (rest[0] == '\0') {
		if (strcmp(method, "POST") == 0) {
			api_device_write(inv, NULL, 1, body, len, r);
		} else if (strcmp(method, "GET") == 0) {
			json_object *a = json_object_new_array(), *o;

			q = api_form_get(query, "group", group, sizeof(group));
			if (q < 0) {
				json_object_put(a);
				api_error(r, 400, "group: malformed or too long");
				return;
			}
			if (inv_device_list(inv, q == 1 ? group : NULL, api_device_row, a) < 0) {
				json_object_put(a);
				api_inv_error(r, inv);
				return;
			}
			o = json_object_new_object();
			json_object_object_add(o, "devices", a);
			api_json(r, 200, o);
		} else {
			r->allow = "GET, POST";
			api_error(r, 405, "devices: GET or POST");
		}
		return;
	}
	if (strchr(rest, '/') != NULL) {
		const char *sub = strchr(rest, '/') + 1;
		size_t mlen = (size_t)(sub - rest - 1);
		char macarg[64], mac[13];

		snprintf(macarg, sizeof(macarg), "%.*s", (int)(mlen < 63 ? mlen : 63), rest);
		if (strcmp(sub, "timeline") != 0 && strcmp(sub, "drift") != 0) {
			api_error(r, 404, "no such path");
		} else if (strcmp(method, "GET") != 0) {
			r->allow = "GET";
			api_error(r, 405, "%s: GET", sub);
		} else if (mlen >= sizeof(macarg) || inv_mac_parse(macarg, mac) < 0) {
			api_error(r, 400, "'%.40s' is not a MAC (12 hex digits)", macarg);
		} else {
			api_feedback(inv, db, mac, sub, query, r);
		}
		return;
	}
	if (strcmp(method, "GET") == 0) {
		q = api_form_get(query, "show_secrets", flag, sizeof(flag));
		api_device_get(inv, rest, q == 1 && strcmp(flag, "1") == 0, r);
	} else if (strcmp(method, "PATCH") == 0) {
		api_device_write(inv, rest, 0, body, len, r);
	} else if (strcmp(method, "DELETE") == 0) {
		char mac[13];
		int rm;

		if (inv_mac_parse(rest, mac) < 0) {
			api_error(r, 400, "'%.40s' is not a MAC (12 hex digits)", rest);
		} else if ((rm = inv_device_rm(inv, mac)) < 0) {
			api_inv_error(r, inv);
		} else if (rm == 0) {
			api_error(r, 404, "%s: not in the inventory", mac);
		} else {
			r->status = 204;
		}
	} else {
		r->allow = "GET, PATCH, DELETE";
		api_error(r, 405, "device: GET, PATCH or DELETE");
	}
}

/* ---- variables -------------------------------------------------------------- */

static int
api_scope(const char *s, enum inv_scope *out)
{
	static const char *const names[] = { "global", "product", "group", "device" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum inv_scope)i;
			return 0;
		}
	return -1;
}

static void
api_variables(struct inv *inv, const char *method, const char *rest, const char *query,
	      const char *body, size_t len, struct api_res *r)
{
	static const char *const fields[] = { "scope", "owner", "name", "value", "secret", NULL };
	char scope_s[16] = "", owner[INV_FIELD_MAX] = "", name[INV_NAME_MAX + 2] = "";
	enum inv_scope scope;
	struct inv_vars vs = { NULL, 0 };
	json_object *o;
	const char *why = "";
	int secret = 0, rc;

	if (rest[0] != '\0') {
		api_error(r, 404, "no such path");
		return;
	}
	if (strcmp(method, "PUT") == 0) {
		char *value;

		o = api_body(body, len, fields, "PUT variables", r);
		if (o == NULL)
			return;
		value = malloc(INV_VALUE_MAX + 1);
		if (value == NULL) {
			json_object_put(o);
			api_error(r, 500, "out of memory");
			return;
		}
		if (api_get_str(o, "scope", scope_s, sizeof(scope_s), "PUT variables", r) < 0 ||
		    api_get_str(o, "owner", owner, sizeof(owner), "PUT variables", r) < 0 ||
		    api_get_str(o, "name", name, sizeof(name), "PUT variables", r) < 0 ||
		    (rc = api_get_str(o, "value", value, INV_VALUE_MAX + 1, "PUT variables", r)) < 0 ||
		    api_get_bool(o, "secret", &secret, "PUT variables", r) < 0) {
			free(value);
			json_object_put(o);
			return;
		}
		json_object_put(o);
		if (api_scope(scope_s, &scope) < 0 || scope == INV_DEVICE ||
		    (scope == INV_GLOBAL) != (owner[0] == '\0')) {
			api_error(r, 400, "PUT variables: scope is global (no owner), product or group"
				  " (with owner); device variables are the device's (PATCH)");
		} else if (!inv_var_name_ok(name, &why) || strlen(name) > INV_NAME_MAX) {
			api_error(r, 400, "PUT variables: name '%.40s': %s", name,
				  strlen(name) > INV_NAME_MAX ? "longer than 32 characters" : why);
		} else if (rc == 0) {
			api_error(r, 400, "PUT variables: value is required");
		} else if (inv_var_set_secret(inv, scope, owner, name, value, secret) < 0) {
			api_inv_error(r, inv);
		} else {
			r->status = 204;
		}
		OPENSSL_cleanse(value, INV_VALUE_MAX + 1);
		free(value);
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0) {
		r->allow = "GET, PUT, DELETE";
		api_error(r, 405, "variables: GET, PUT or DELETE");
		return;
	}
	if (api_form_get(query, "scope", scope_s, sizeof(scope_s)) != 1 ||
	    api_scope(scope_s, &scope) < 0 || scope == INV_DEVICE ||
	    api_form_get(query, "owner", owner, sizeof(owner)) < 0 ||
	    (scope == INV_GLOBAL) != (owner[0] == '\0')) {
		api_error(r, 400, "variables: scope=global, or scope=product|group&owner=NAME");
		return;
	}
	if (strcmp(method, "DELETE") == 0) {
		if (api_form_get(query, "name", name, sizeof(name)) != 1) {
			api_error(r, 400, "variables: DELETE needs name=NAME");
			return;
		}
		rc = inv_var_set(inv, scope, owner, name, NULL);
		if (rc < 0)
			api_inv_error(r, inv);
		else if (rc == 0)
			api_error(r, 404, "no variable %s", name);
		else
			r->status = 204;
		return;
	}
	if (inv_vars_get(inv, scope, owner, &vs) < 0) {
		api_inv_error(r, inv);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "variables", api_vars_obj(&vs, 0));
	inv_vars_free(&vs);
	api_json(r, 200, o);
}

/* ---- templates ----------------------------------------------------------------- */

static void
api_template_row(void *arg, const char *name, size_t len, int64_t updated_ms)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", api_str(name));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)len));
	json_object_object_add(o, "updated_ms", json_object_new_int64(updated_ms));
	json_object_array_add(arg, o);
}

static void
api_templates(struct inv *inv, const char *method, const char *rest, const char *body,
	      size_t len, struct api_res *r)
{
	static const char *const fields[] = { "body", NULL };
	json_object *o, *v;

	if (rest[0] == '\0') {
		json_object *a;

		if (strcmp(method, "GET") != 0) {
			r->allow = "GET";
			api_error(r, 405, "templates: GET");
			return;
		}
		a = json_object_new_array();
		if (inv_template_list(inv, api_template_row, a) < 0) {
			json_object_put(a);
			api_inv_error(r, inv);
			return;
		}
		o = json_object_new_object();
		json_object_object_add(o, "templates", a);
		api_json(r, 200, o);
		return;
	}
	if (strlen(rest) >= INV_FIELD_MAX || strchr(rest, '/') != NULL) {
		api_error(r, 400, "a template name is at most %u bytes, without '/'",
			  INV_FIELD_MAX - 1);
		return;
	}
	if (strcmp(method, "GET") == 0) {
		char *t = NULL;
		size_t n = 0;
		int got = inv_template_get(inv, rest, &t, &n);

		if (got < 0) {
			api_inv_error(r, inv);
		} else if (got == 0) {
			api_error(r, 404, "no template %s", rest);
		} else {
			o = json_object_new_object();
			json_object_object_add(o, "name", api_str(rest));
			json_object_object_add(o, "body", json_object_new_string_len(t, (int)n));
			api_json(r, 200, o);
		}
		free(t);
	} else if (strcmp(method, "PUT") == 0) {
		o = api_body(body, len, fields, "PUT template", r);
		if (o == NULL)
			return;
		if (!json_object_object_get_ex(o, "body", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    (size_t)json_object_get_string_len(v) > INV_TEMPLATE_MAX) {
			api_error(r, 400, "PUT template: body is required: a string of at most %u"
				  " bytes", INV_TEMPLATE_MAX);
		} else if (inv_template_put(inv, rest, json_object_get_string(v),
					    (size_t)json_object_get_string_len(v)) < 0) {
			api_inv_error(r, inv);
		} else {
			r->status = 204;
		}
		json_object_put(o);
	} else if (strcmp(method, "DELETE") == 0) {
		int rm = inv_template_rm(inv, rest);

		if (rm < 0)
			api_inv_error(r, inv);
		else if (rm == 0)
			api_error(r, 404, "no template %s", rest);
		else
			r->status = 204;
	} else {
		r->allow = "GET, PUT, DELETE";
		api_error(r, 405, "template: GET, PUT or DELETE");
	}
}

/* ---- activation codes --------------------------------------------------------- */

static void
api_code_row(void *arg, const struct act_code *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(c->id));
	json_object_object_add(o, "last4", api_str(c->tail));
	json_object_object_add(o, "group", api_str(c->group));
	json_object_object_add(o, "product", api_str(c->product));
	json_object_object_add(o, "created_ms", json_object_new_int64(c->created_ms));
	json_object_object_add(o, "expires_ms", json_object_new_int64(c->expires_ms));
	json_object_object_add(o, "used_ms", c->used_ms ? json_object_new_int64(c->used_ms) : NULL);
	json_object_object_add(o, "used_by", c->used_ms ? api_str(c->used_by) : NULL);
	json_object_object_add(o, "revoked", json_object_new_boolean(c->revoked));
	json_object_array_add(arg, o);
}

static void
api_codes(struct inv *inv, const char *method, const char *rest, const char *body, size_t len,
	  struct api_res *r)
{
	static const char *const fields[] = { "group", "product", "expires", "count", NULL };

	if (rest[0] != '\0') {
		int rv;

		if (strcmp(method, "DELETE") != 0) {
			r->allow = "DELETE";
			api_error(r, 405, "code: DELETE (revoke)");
			return;
		}
		if (strspn(rest, "0123456789") != strlen(rest) || strlen(rest) > 9) {
			api_error(r, 400, "'%.40s' is not a code's ID", rest);
			return;
		}
		rv = act_code_revoke(inv, rest);
		if (rv < 0)
			api_inv_error(r, inv);
		else if (rv == 0)
			api_error(r, 404, "no unused code %s", rest);
		else
			r->status = 204;
		return;
	}
	if (strcmp(method, "GET") == 0) {
		json_object *a = json_object_new_array(), *o;

		if (act_code_list(inv, api_code_row, a) < 0) {
			json_object_put(a);
			api_inv_error(r, inv);
			return;
		}
		o = json_object_new_object();
		json_object_object_add(o, "codes", a);
		api_json(r, 200, o);
	} else if (strcmp(method, "POST") == 0) {
		json_object *o = api_body(body, len, fields, "POST codes", r), *v, *out, *a;
		char group[INV_FIELD_MAX] = "", product[INV_FIELD_MAX] = "", expires[32] = "7d";
		char digits[ACT_DIGITS + 1];
		int64_t count = 1, exp;
		unsigned id;

		if (o == NULL)
			return;
		if (api_get_str(o, "group", group, sizeof(group), "POST codes", r) < 0 ||
		    api_get_str(o, "product", product, sizeof(product), "POST codes", r) < 0 ||
		    api_get_str(o, "expires", expires, sizeof(expires), "POST codes", r) < 0) {
			json_object_put(o);
			return;
		}
		if (json_object_object_get_ex(o, "count", &v)) {
			count = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
			if (count < 1 || count > ACT_NEW_MAX) {
				json_object_put(o);
				api_error(r, 400, "POST codes: count is 1..%u", ACT_NEW_MAX);
				return;
			}
		}
		json_object_put(o);
		exp = act_expiry(expires, act_now());
		if (exp < 0) {
			api_error(r, 400, "POST codes: expires: N, Nd, Nh, Nm or YYYY-MM-DD, in the"
				  " future and at most %d days", ACT_EXPIRES_MAX_DAYS);
			return;
		}
		if (inv_begin(inv) < 0) {
			api_inv_error(r, inv);
			return;
		}
		a = json_object_new_array();
		for (int64_t i = 0; i < count; i++) {
			if (act_code_new(inv, group, product, exp, digits, &id) < 0) {
				inv_rollback(inv);
				json_object_put(a);
				api_inv_error(r, inv);
				return;
			}
			json_object_array_add(a, api_str(digits));
		}
		OPENSSL_cleanse(digits, sizeof(digits));
		if (inv_commit(inv) < 0) {
			json_object_put(a);
			api_inv_error(r, inv);
			return;
		}
		out = json_object_new_object();
		json_object_object_add(out, "codes", a);
		json_object_object_add(out, "expires_ms", json_object_new_int64(exp));
		api_json(r, 201, out);
	} else {
		r->allow = "GET, POST";
		api_error(r, 405, "codes: GET or POST");
	}
}

/* ---- history and metrics --------------------------------------------------------- */

static void
api_history(struct inv *inv, const char *query, struct api_res *r)
{
	char macarg[64], mac[13], lim[16], *end;
	unsigned long limit = API_HISTORY_DEFAULT;
	sqlite3_stmt *st = NULL;
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
	step = sqlite3_prepare_v2(inv_sqlite(inv), "SELECT time_ms, client, proto, method, path,"
				  " status, user_agent, mac FROM request WHERE ?1 IS NULL OR mac = ?1"
				  " ORDER BY time_ms DESC, id DESC LIMIT ?2", -1, &st, NULL);
	if (step != SQLITE_OK) {
		inv_sqlfail(inv, step);
		api_inv_error(r, inv);
		return;
	}
	if (q == 1)
		sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	a = json_object_new_array();
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		static const char *const cols[] = { "time_ms", "client", "proto", "method", "path",
			"status", "user_agent", "mac" };

		o = json_object_new_object();
		for (int i = 0; i < 8; i++) {
			json_object *v = NULL;

			if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
				v = json_object_new_int64(sqlite3_column_int64(st, i));
			else if (sqlite3_column_type(st, i) != SQLITE_NULL)
				v = api_str((const char *)sqlite3_column_text(st, i));
			json_object_object_add(o, cols[i], v);
		}
		json_object_array_add(a, o);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
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
