/*
 * api_inv: the JSON admin API's inventory resources (devices with their
 * timeline and drift, variables, templates, activation codes), on the
 * answers and body helpers of api.c (api_int.h). See api.h and
 * docs/API.md.
 */
#define _GNU_SOURCE /* strndup */
#include "api_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "activate.h"
#include "buf.h"
#include "inventory.h"
#include "reportd.h"
#include "timeline.h"

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

void
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

void
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

void
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

void
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
