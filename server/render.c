/*
 * render: routes, variable resolution and packing of per-device profiles.
 * See render.h. The macro language is libprov's (prov_macro_expand): one
 * expander for the phone and the server, so a template reads as a rule.
 */
#define _GNU_SOURCE /* memfd_create */
#include "render.h"
#include "render_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <prov/prov.h>

#include "digest.h"
#include "inventory.h"
#include "log.h"
#include "rollout.h"

/* ---- routes --------------------------------------------------------------------- */

int
route_parse(const char *text, struct route *r, char *err, size_t errlen)
{
	char buf[ROUTE_TEXT_MAX + 1], *save = NULL, *tok;
	int n = 0;

	memset(r, 0, sizeof(*r));
	if (strlen(text) > ROUTE_TEXT_MAX) {
		snprintf(err, errlen, "route longer than %u bytes", ROUTE_TEXT_MAX);
		return -1;
	}
	strcpy(buf, text);
	for (tok = strtok_r(buf, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (n++ == 0) {
			if (strlen(tok) >= sizeof(r->pattern)) {
				snprintf(err, errlen, "route pattern longer than %u bytes",
					 ROUTE_PATTERN_MAX - 1);
				return -1;
			}
			strcpy(r->pattern, tok);
		} else if (strncmp(tok, "template=", 9) == 0 && tok[9] != '\0' &&
			   strlen(tok + 9) < sizeof(r->tmpl)) {
			strcpy(r->tmpl, tok + 9);
		} else if (strcmp(tok, "gzip") == 0) {
			r->flags |= ROUTE_GZIP;
		} else if (strcmp(tok, "encrypt=openssl") == 0) {
			r->flags |= ROUTE_ENC_OPENSSL;
		} else if (strcmp(tok, "encrypt=aes128gcm") == 0) {
			r->flags |= ROUTE_ENC_GCM;
		} else if (strcmp(tok, "require=cert") == 0) {
			r->flags |= ROUTE_REQUIRE_CERT;
		} else if (strcmp(tok, "auth=digest") == 0) {
			r->flags |= ROUTE_AUTH_DIGEST;
		} else {
			snprintf(err, errlen, "route '%s': unknown word '%s' (template=NAME, gzip,"
				 " encrypt=openssl|aes128gcm, require=cert, auth=digest)", text, tok);
			return -1;
		}
	}
	if (n == 0 || r->tmpl[0] == '\0') {
		snprintf(err, errlen, "route '%s': needs PATTERN template=NAME", text);
		return -1;
	}
	if ((r->flags & ROUTE_ENC_OPENSSL) && (r->flags & ROUTE_ENC_GCM)) {
		snprintf(err, errlen, "route '%s': one encrypt= only", text);
		return -1;
	}
	if (strstr(r->pattern, "$MA") == NULL && !(r->flags & ROUTE_REQUIRE_CERT)) {
		snprintf(err, errlen, "route '%s': a pattern without $MA names the device by"
			 " its certificate: add require=cert", text);
		return -1;
	}
	return 0;
}

static int
render_ishex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int
route_match(const struct route *r, const char *path, size_t len, char mac[13],
	    unsigned *key_id)
{
	const char *p = r->pattern;
	size_t i = 0;

	mac[0] = '\0';
	*key_id = 0;
	while (*p == '/')
		p++;
	while (i < len && path[i] == '/')
		i++;
	while (*p != '\0') {
		if (strncmp(p, "$KEY_ID", 7) == 0) {
			unsigned long v = 0;
			size_t start = i;

			while (i < len && path[i] >= '0' && path[i] <= '9' &&
			       i - start < ROUTE_KEY_ID_DIGITS)
				v = v * 10 + (unsigned long)(path[i++] - '0');
			if (i == start || v == 0)
				return 0;
			*key_id = (unsigned)v;
			p += 7;
		} else if (strncmp(p, "$MA", 3) == 0) {
			if (len - i < 12)
				return 0;
			for (size_t k = 0; k < 12; k++) {
				char c = path[i + k];

				if (!render_ishex(c))
					return 0;
				mac[k] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
			}
			mac[12] = '\0';
			i += 12;
			p += 3;
		} else {
			if (i >= len || path[i] != *p)
				return 0;
			i++;
			p++;
		}
	}
	return i == len;
}

/* ---- variables -------------------------------------------------------------------- */

/* Everything one render looks names up in. */
struct render_vars {
	const struct inv_vars *scope[4]; /* INV_DEVICE, INV_GROUP, INV_PRODUCT, INV_GLOBAL */
	struct inv_vars own[4];        /* those read for this render alone */
	const struct inv_device *d;
	const struct render_env *env;
	char mau[13], macc[18], psn[16], key[INV_KEY_HEX + 1], key_id[16];
	char upgrade_rule[ROLLOUT_RULE_MAX];  /* $UPGRADE_RULE: rollout.c's offer */
	int placeholders;              /* lint: every name given is known */
	void (*unknown)(void *arg, const char *name, size_t n);
	void *arg;
};

static const char *
render_lookup(void *arg, const char *name, size_t n, size_t *vlen)
{
	struct render_vars *rv = arg;
	const struct inv_device *d = rv->d;
	const struct { const char *name; const char *value; } ident[] = {
		{ "MA", d->mac }, { "MAU", rv->mau }, { "MAC", rv->macc }, { "SN", d->serial },
		{ "PN", d->product }, { "PSN", rv->psn }, { "KEY", rv->key },
		{ "KEY_ID", rv->key_id }, { "SERVIP", rv->env->servip },
		{ "PORT", rv->env->port }, { "SCHEME", rv->env->scheme },
		{ "HTTP_USER", d->http_user[0] != '\0' ? d->http_user : NULL },
		{ "HTTP_PASSWORD", d->http_password[0] != '\0' ? d->http_password : NULL },
		{ "UPGRADE_RULE", rv->upgrade_rule },
	};
	const char *v;

	for (int s = 0; s < 4; s++)
		if (rv->scope[s] != NULL && (v = inv_vars_find(rv->scope[s], name, n)) != NULL) {
			*vlen = strlen(v);
			return v;
		}
	for (size_t i = 0; i < sizeof(ident) / sizeof(ident[0]); i++)
		if (strlen(ident[i].name) == n && memcmp(ident[i].name, name, n) == 0 &&
		    ident[i].value != NULL) {
			*vlen = strlen(ident[i].value);
			return ident[i].value;
		}
	if (rv->unknown != NULL)
		rv->unknown(rv->arg, name, n);
	return NULL;
}

static void
render_vars_free(struct render_vars *rv)
{
	for (int s = 0; s < 4; s++)
		inv_vars_free(&rv->own[s]);
	OPENSSL_cleanse(rv->key, sizeof(rv->key));
}

/* ---- what renders share, per inventory serial ---------------------------------- */

/* The variables of a group, a product and the global scope, and the
 * templates, are the same for every device rendered under one inventory
 * serial: a worker keeps them, tagged with the serial they were read
 * under (read after it, so never older than it; the serial only grows),
 * so that rendering one more device reads only the device's own rows. A
 * direct-mapped table each; a collision reads again. Values may be
 * secrets: wiped when replaced (inv_vars_free). */
struct render_scope_slot {
	int64_t serial;                /* -1: empty */
	enum inv_scope scope;
	char owner[INV_FIELD_MAX];
	struct inv_vars vs;
	size_t bytes;                  /* of vs's values, counted in render_shared_bytes */
};

struct render_tpl_slot {
	int64_t serial;                /* -1: empty */
	char name[INV_FIELD_MAX];
	char *body;
	size_t len;
};

static struct render_scope_slot *render_scopes;
static struct render_tpl_slot *render_tpls;
static size_t render_shared_bytes;     /* held by both, at most RENDER_SHARED_BYTES_MAX */
static char *render_tpl_spare;         /* a template too large to keep, until the next */

static uint32_t
render_hash(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int
render_shared_init(void)
{
	if (render_scopes == NULL) {
		if ((render_scopes = calloc(RENDER_SCOPE_SLOTS, sizeof(*render_scopes))) == NULL)
			return -1;
		for (size_t i = 0; i < RENDER_SCOPE_SLOTS; i++)
			render_scopes[i].serial = -1;
	}
	if (render_tpls == NULL) {
		if ((render_tpls = calloc(RENDER_TPL_SLOTS, sizeof(*render_tpls))) == NULL)
			return -1;
		for (size_t i = 0; i < RENDER_TPL_SLOTS; i++)
			render_tpls[i].serial = -1;
	}
	return 0;
}

/* The variables of (scope, owner) under serial, read when not kept:
 * borrowed until the next call. NULL on a database failure, and when
 * the slot is one of held[0..nheld) (the same render's other scopes,
 * which it must not replace): the caller then reads them itself. */
static const struct inv_vars *
render_scope_get(struct inv *inv, int64_t serial, enum inv_scope scope, const char *owner,
		 const struct inv_vars *const *held, int nheld)
{
	struct render_scope_slot *sl;

	if (strlen(owner) >= INV_FIELD_MAX || render_shared_init() < 0)
		return NULL;
	sl = &render_scopes[render_hash(2166136261u ^ (uint32_t)scope, owner) %
			    RENDER_SCOPE_SLOTS];
	if (sl->serial == serial && sl->scope == scope && strcmp(sl->owner, owner) == 0)
		return &sl->vs;
	for (int i = 0; i < nheld; i++)
		if (held[i] == &sl->vs)
			return NULL;
	inv_vars_free(&sl->vs);
	render_shared_bytes -= sl->bytes;
	sl->bytes = 0;
	sl->serial = -1;
	if (inv_vars_get(inv, scope, owner, &sl->vs) < 0)
		return NULL;
	for (size_t i = 0; i < sl->vs.n; i++)
		sl->bytes += sizeof(sl->vs.v[i]) + strlen(sl->vs.v[i].value) + 1;
	if (render_shared_bytes + sl->bytes > RENDER_SHARED_BYTES_MAX) {
		/* Too much kept: this render reads its own copy. */
		inv_vars_free(&sl->vs);
		sl->bytes = 0;
		return NULL;
	}
	render_shared_bytes += sl->bytes;
	sl->serial = serial;
	sl->scope = scope;
	strcpy(sl->owner, owner);
	return &sl->vs;
}

/* Template name under serial: 1 with *body borrowed until the next call,
 * 0 none, -1 database failure. */
static int
render_tpl_get(struct inv *inv, int64_t serial, const char *name, const char **body,
	       size_t *len)
{
	struct render_tpl_slot *sl;
	char *b;
	size_t n;
	int r;

	if (strlen(name) >= INV_FIELD_MAX || render_shared_init() < 0)
		return -1;
	sl = &render_tpls[render_hash(2166136261u, name) % RENDER_TPL_SLOTS];
	if (sl->serial == serial && strcmp(sl->name, name) == 0) {
		*body = sl->body;
		*len = sl->len;
		return sl->body != NULL;
	}
	r = inv_template_get(inv, name, &b, &n);
	if (r < 0)
		return -1;
	free(sl->body);
	render_shared_bytes -= sl->body != NULL ? sl->len : 0;
	sl->body = NULL;
	sl->serial = -1;
	if (b != NULL && render_shared_bytes + n > RENDER_SHARED_BYTES_MAX) {
		/* Too much kept: not this one. Its body lives until the next call. */
		free(render_tpl_spare);
		render_tpl_spare = b;
	} else {
		render_shared_bytes += b != NULL ? n : 0;
		sl->body = b;          /* NULL: known to be missing */
		sl->len = n;
		sl->serial = serial;
		strcpy(sl->name, name);
	}
	*body = b;
	*len = n;
	return r;
}

/* Loads the four scopes and the identity of d; with serial >= 0 the
 * group, product and global ones come from (and go to) the worker's
 * tables. curkey (may be NULL or ""), numbered curid: d's current key
 * when already read. Returns 0 or -1. */
static int
render_vars_load(struct inv *inv, int64_t serial, const struct inv_device *d,
		 const struct render_env *env, const char *curkey, unsigned curid,
		 struct render_vars *rv)
{
	const enum inv_scope order[4] = { INV_DEVICE, INV_GROUP, INV_PRODUCT, INV_GLOBAL };
	const char *owner[4] = { d->mac, d->group, d->product, "" };
	unsigned id = 0;
	const char *p;
	size_t k = 0;

	memset(rv, 0, sizeof(*rv));
	rv->d = d;
	rv->env = env;
	for (int s = 0; s < 4; s++) {
		if (owner[s][0] == '\0' && order[s] != INV_GLOBAL)
			continue;
		if (serial >= 0 && order[s] != INV_DEVICE)
			rv->scope[s] = render_scope_get(inv, serial, order[s], owner[s],
							 rv->scope, s);
		if (rv->scope[s] == NULL &&
		    inv_vars_get(inv, order[s], owner[s], &rv->own[s]) == 0)
			rv->scope[s] = &rv->own[s];
		if (rv->scope[s] == NULL) {
			render_vars_free(rv);
			return -1;
		}
	}
	for (int i = 0; i < 12; i++) {
		char c = d->mac[i];

		rv->mau[i] = (char)(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
		rv->macc[k++] = c;
		if (i % 2 == 1 && i < 11)
			rv->macc[k++] = ':';
	}
	/* The product short number: the first run of digits ("CP-8841-3PCC"). */
	p = strpbrk(d->product, "0123456789");
	for (k = 0; p != NULL && k + 1 < sizeof(rv->psn) && *p >= '0' && *p <= '9'; p++)
		rv->psn[k++] = *p;
	if (curkey != NULL && curkey[0] != '\0') {
		memcpy(rv->key, curkey, sizeof(rv->key));
		id = curid;
	} else if (inv_key_get(inv, d->mac, &id, rv->key) < 0) {
		render_vars_free(rv);
		return -1;
	}
	if (id != 0)
		snprintf(rv->key_id, sizeof(rv->key_id), "%u", id);
	if (rollout_rule(inv, d, env->scheme, env->servip, env->port, rv->upgrade_rule,
			 sizeof(rv->upgrade_rule)) < 0) {
		render_vars_free(rv);
		return -1;
	}
	return 0;
}

/* ---- rendering -------------------------------------------------------------------- */

enum render_status
render_dbfail(struct inv *inv, char *why, size_t whylen)
{
	snprintf(why, whylen, "inventory: %s", inv_errmsg(inv));
	return inv_busy(inv) ? RENDER_BUSY : RENDER_FAIL;
}

/* Expands text against rv into *out. */
static enum render_status
render_expand(struct render_vars *rv, const char *text, size_t len, unsigned flags,
	      char **out, size_t *outlen, char *why, size_t whylen)
{
	char msg[256];
	enum prov_err rc = prov_macro_expand(text, len, RENDER_OUT_MAX,
					     flags | PROV_MACRO_USCORE, render_lookup, rv,
					     out, outlen, msg, sizeof(msg));

	if (rc == PROV_OK)
		return RENDER_OK;
	snprintf(why, whylen, "%s", msg);
	return RENDER_FAIL;
}

/* render_device with the worker's tables under serial (-1: none), for
 * the device dev when already read (NULL: read it here), and its current
 * key curkey numbered curid when read (NULL or "": read it here). */
static enum render_status
render_device_at(struct inv *inv, int64_t serial, const struct inv_device *dev,
		 const char *curkey, unsigned curid, const char *mac, const char *tmpl,
		 const struct render_env *env, char **out, size_t *len, char *why, size_t whylen)
{
	struct inv_device d;
	struct render_vars rv;
	char *name = NULL, *owned = NULL;
	const char *body = NULL;
	size_t nlen, blen = 0;
	enum render_status st;
	int r;

	*out = NULL;
	*len = 0;
	if (dev != NULL) {
		d = *dev;
		r = 1;
	} else {
		r = inv_device_get(inv, mac, &d);
	}
	if (r < 0)
		return render_dbfail(inv, why, whylen);
	if (r == 0 || !d.enabled) {
		OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
		snprintf(why, whylen, "%s: %s", mac, r == 0 ? "not in the inventory" : "disabled");
		return RENDER_MISS;
	}
	if (render_vars_load(inv, serial, &d, env, curkey, curid, &rv) < 0) {
		OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
		return render_dbfail(inv, why, whylen);
	}
	st = render_expand(&rv, tmpl, strlen(tmpl), 0, &name, &nlen, why, whylen);
	if (st != RENDER_OK)
		goto out;
	if (serial >= 0) {
		r = render_tpl_get(inv, serial, name, &body, &blen);
	} else {
		r = inv_template_get(inv, name, &owned, &blen);
		body = owned;
	}
	if (r <= 0) {
		if (r < 0)
			st = render_dbfail(inv, why, whylen);
		else {
			snprintf(why, whylen, "%s: no template '%s'", mac, name);
			st = RENDER_MISS;
		}
		goto out;
	}
	st = render_expand(&rv, body, blen, PROV_MACRO_XML, out, len, why, whylen);
out:
	free(name);
	free(owned);
	render_vars_free(&rv);
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	return st;
}

enum render_status
render_device(struct inv *inv, const char *mac, const char *tmpl,
	      const struct render_env *env, char **out, size_t *len, char *why, size_t whylen)
{
	return render_device_at(inv, -1, NULL, NULL, 0, mac, tmpl, env, out, len, why, whylen);
}

/* Packs the rendered text as the route says, with the key the path names. */
static enum render_status
render_pack(struct inv *inv, const struct route *r, unsigned key_id, struct render_res *res)
{
	char key[INV_KEY_HEX + 1] = "", msg[256];
	unsigned id = key_id;
	void *packed = NULL;
	size_t plen = 0;
	enum prov_err rc;
	int k;

	if (r->flags & (ROUTE_ENC_OPENSSL | ROUTE_ENC_GCM)) {
		k = inv_key_get(inv, res->mac, &id, key);
		if (k < 0)
			return render_dbfail(inv, res->why, sizeof(res->why));
		if (k == 0) {
			snprintf(res->why, sizeof(res->why), "%s: no key %u", res->mac, key_id);
			return RENDER_MISS;
		}
	} else if (key_id != 0) {
		/* The path names a key, the route encrypts nothing: the key
		 * number must still be one the device holds. */
		k = inv_key_get(inv, res->mac, &id, key);
		OPENSSL_cleanse(key, sizeof(key));
		key[0] = '\0';
		if (k <= 0)
			return k < 0 ? render_dbfail(inv, res->why, sizeof(res->why)) : RENDER_MISS;
	}
	if (r->flags & ROUTE_ENC_GCM) {
		/* D-ENC-6: the device's key (its hex text, what a template hands
		 * the phone as IKM_HTTP_Encrypt_Content) is the input keying
		 * material; the header's key id is the key's number, so a phone
		 * and an operator can tell which key a response needs. */
		char keyid[16];

		snprintf(keyid, sizeof(keyid), "%u", id);
		rc = prov_pack_aes128gcm(res->body, res->len,
					 (r->flags & ROUTE_GZIP) ? PROV_PACK_GZIP : 0, key, keyid,
					 0, &packed, &plen, msg, sizeof(msg));
	} else if ((r->flags & (ROUTE_GZIP | ROUTE_ENC_OPENSSL)) != 0) {
		rc = prov_pack(res->body, res->len, (r->flags & ROUTE_GZIP) ? PROV_PACK_GZIP : 0,
			       key[0] != '\0' ? key : NULL, &packed, &plen, msg, sizeof(msg));
	} else {
		rc = PROV_OK;
	}
	if ((r->flags & (ROUTE_GZIP | ROUTE_ENC_OPENSSL | ROUTE_ENC_GCM)) != 0) {
		OPENSSL_cleanse(key, sizeof(key));
		OPENSSL_cleanse(res->body, res->len);
		free(res->body);
		res->body = packed;
		res->len = plen;
		if (rc != PROV_OK) {
			res->body = NULL;
			res->len = 0;
			snprintf(res->why, sizeof(res->why), "pack: %s", msg);
			return RENDER_FAIL;
		}
	}
	/* The device fetched with key n: the keys before n are done with. */
	if (key_id > 1 && inv_key_retire(inv, res->mac, key_id) < 0)
		snprintf(res->why, sizeof(res->why), "retiring old keys: %s", inv_errmsg(inv));
	return RENDER_OK;
}

/* The reads every request on a route does (render_path): the device the
 * path or the certificate names and the key the path names (the current
 * one when none), whether or not a check will refuse it first. A device
 * unknown or disabled, or a key number it does not hold, is a miss here.
 * *d gets the device, and curkey (numbered *curid) the current key when
 * the path names none, else ""; the caller wipes both. */
static enum render_status
render_gate(struct inv *inv, const struct render_env *env, unsigned key_id,
	    struct render_res *res, struct inv_device *d, char curkey[INV_KEY_HEX + 1],
	    unsigned *curid, int64_t *serial)
{
	const char *mac = res->mac[0] != '\0' ? res->mac :
		env->cert_mac != NULL ? env->cert_mac : "";
	char key[INV_KEY_HEX + 1] = "";
	unsigned id = key_id;
	int dr, kr;

	dr = inv_gate(inv, mac, &id, d, key, serial);
	kr = dr < 0 ? -1 : (dr & 2) != 0;
	dr = dr < 0 ? -1 : (dr & 1) != 0;
	curkey[0] = '\0';
	if (kr == 1 && key_id == 0) {
		/* the current key: the render's $KEY */
		memcpy(curkey, key, INV_KEY_HEX + 1);
		*curid = id;
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (dr < 0 || kr < 0)
		return render_dbfail(inv, res->why, sizeof(res->why));
	if (dr == 0 || !d->enabled) {
		snprintf(res->why, sizeof(res->why), "%s: %s", mac[0] != '\0' ? mac : "(no MAC)",
			 dr == 0 ? "not in the inventory" : "disabled");
		return RENDER_MISS;
	}
	if (kr == 0) {
		snprintf(res->why, sizeof(res->why), "%s: no key %u", mac, key_id);
		return RENDER_MISS;
	}
	return RENDER_OK;
}

void
render_miss_pad(struct inv *inv)
{
	struct render_res res;
	struct render_env env = { NULL, NULL, NULL, NULL, NULL };
	struct inv_device d;
	char key[INV_KEY_HEX + 1];
	unsigned id = 0;
	int64_t serial;

	if (inv == NULL)
		return;
	memset(&res, 0, sizeof(res));
	memset(&d, 0, sizeof(d));
	(void)render_gate(inv, &env, 0, &res, &d, key, &id, &serial);
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	OPENSSL_cleanse(key, sizeof(key));
}

/* The index of the first route matching path, or -1; r, mac and key_id
 * (may be NULL) get what it matched. */
static int
route_find(char *const *routes, unsigned n, const char *path, size_t len, struct route *r,
	   char mac[13], unsigned *key_id)
{
	char err[ROUTE_TEXT_MAX + 128];

	for (unsigned i = 0; i < n; i++)
		if (route_parse(routes[i], r, err, sizeof(err)) == 0 &&
		    route_match(r, path, len, mac, key_id))
			return (int)i;
	return -1;
}

static int
route_first(char *const *routes, unsigned n, const char *path, size_t len)
{
	struct route r;
	char mac[13];
	unsigned key_id;

	return route_find(routes, n, path, len, &r, mac, &key_id);
}

/* ---- the cache ------------------------------------------------------------------ */

struct render_slot {
	int64_t serial;                /* of the inventory it was rendered from */
	unsigned route, key_id;
	char mac[13];
	char env[96];                  /* scheme, address, port */
	char *body;                    /* NULL: empty slot */
	size_t len;
	unsigned flags;
};

/* The worker's cache: one per process, like http_date_now's (one worker,
 * one thread). */
static struct render_slot *render_cache;
static size_t render_cache_bytes;      /* bodies held, at most RENDER_CACHE_BYTES_MAX */

static struct render_slot *
render_slot(unsigned route, const char *mac, unsigned key_id, const char *envkey)
{
	uint32_t h = 2166136261u;

	if (render_cache == NULL &&
	    (render_cache = calloc(RENDER_CACHE_SLOTS, sizeof(*render_cache))) == NULL)
		return NULL;
	for (const char *p = mac; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (const char *p = envkey; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ route) * 16777619u;
	h = (h ^ key_id) * 16777619u;
	return &render_cache[h % RENDER_CACHE_SLOTS];
}

static int
render_slot_is(const struct render_slot *s, int64_t serial, unsigned route, const char *mac,
	       unsigned key_id, const char *envkey)
{
	return s->body != NULL && s->serial == serial && s->route == route &&
		s->key_id == key_id && strcmp(s->mac, mac) == 0 && strcmp(s->env, envkey) == 0;
}

static void
render_slot_put(struct render_slot *s, int64_t serial, unsigned route, const char *mac,
		unsigned key_id, const char *envkey, const struct render_res *res)
{
	char *copy;

	if (s == NULL || res->len > RENDER_CACHE_BODY_MAX ||
	    render_cache_bytes - (s->body != NULL ? s->len : 0) + res->len > RENDER_CACHE_BYTES_MAX ||
	    (copy = malloc(res->len + 1)) == NULL)
		return;
	memcpy(copy, res->body, res->len);
	if (s->body != NULL) {
		OPENSSL_cleanse(s->body, s->len);
		free(s->body);
		render_cache_bytes -= s->len;
	}
	render_cache_bytes += res->len;
	s->body = copy;
	s->len = res->len;
	s->serial = serial;
	s->route = route;
	s->key_id = key_id;
	s->flags = res->flags;
	snprintf(s->mac, sizeof(s->mac), "%s", mac);
	snprintf(s->env, sizeof(s->env), "%s", envkey);
}

static enum render_status render_path_device(struct inv *inv, const struct route *rp,
					     unsigned idx, unsigned key_id, int64_t serial,
					     const struct inv_device *dev, const char *curkey,
					     unsigned curid, const struct render_env *env,
					     struct render_res *res);

enum render_status
render_path(struct inv *inv, char *const *routes, unsigned n, const char *path, size_t len,
	    const struct render_env *env, struct render_res *res)
{
	struct route r;
	struct inv_device dev;
	char curkey[INV_KEY_HEX + 1] = "";
	unsigned key_id = 0, idx, curid = 0;
	int64_t serial = -1;
	int found;
	enum render_status st;

	memset(res, 0, sizeof(*res));
	if ((found = route_find(routes, n, path, len, &r, res->mac, &key_id)) < 0)
		return RENDER_NONE;
	idx = (unsigned)found;
	res->flags = r.flags;
	/* Credentials first: nothing about the device is told before. */
	if ((r.flags & ROUTE_AUTH_DIGEST) && (st = render_auth_check(inv, env, res)) != RENDER_OK)
		return st;
	rollout_tick_maybe(inv); /* before the serial: a widened rollout renders anew */
	/* S-SEC-2, timing: every request on a route reads the device and the
	 * key its path names before any check decides, so no kind of miss
	 * answers sooner than another (bench/enum_timing.sh). The same
	 * statement reads the serial: every row read after it is at least
	 * that new, so what is cached under it is never older than it says;
	 * one round trip, not two (PostgreSQL, bench/scale_pg.sh). */
	memset(&dev, 0, sizeof(dev));
	st = render_gate(inv, env, key_id, res, &dev, curkey, &curid, &serial);
	if (st == RENDER_OK)
		st = render_path_device(inv, &r, idx, key_id, serial, &dev, curkey, curid, env,
					res);
	OPENSSL_cleanse(dev.http_password, sizeof(dev.http_password));
	OPENSSL_cleanse(curkey, sizeof(curkey));
	return st;
}

/* render_path once the device passed the gate. */
static enum render_status
render_path_device(struct inv *inv, const struct route *rp, unsigned idx, unsigned key_id,
		   int64_t serial, const struct inv_device *dev, const char *curkey,
		   unsigned curid, const struct render_env *env, struct render_res *res)
{
	const struct route r = *rp;
	struct render_slot *slot;
	char envkey[96];
	int64_t serial2 = -1;
	enum render_status st;

	if (res->mac[0] == '\0') {
		if (env->cert_mac == NULL || env->cert_mac[0] == '\0') {
			snprintf(res->why, sizeof(res->why), "no client certificate naming a MAC");
			return RENDER_MISS;
		}
		memcpy(res->mac, env->cert_mac, sizeof(res->mac));
	}
	/* S-SEC-1: with a certificate, only the certificate's own profile. */
	if ((r.flags & ROUTE_REQUIRE_CERT) && (env->cert_mac == NULL || env->cert_mac[0] == '\0')) {
		snprintf(res->why, sizeof(res->why), "%s: route needs a client certificate",
			 res->mac);
		return RENDER_MISS;
	}
	if (env->cert_mac != NULL && env->cert_mac[0] != '\0' &&
	    strcmp(env->cert_mac, res->mac) != 0) {
		snprintf(res->why, sizeof(res->why), "%s: the certificate names %s", res->mac,
			 env->cert_mac);
		return RENDER_MISS;
	}
	if ((r.flags & ROUTE_ENC_GCM) && env->scheme != NULL && strcmp(env->scheme, "tftp") == 0) {
		/* aes128gcm is an HTTP content coding: TFTP has no header to
		 * name it, so such a route is not served there. */
		snprintf(res->why, sizeof(res->why), "%s: aes128gcm route over TFTP", res->mac);
		return RENDER_MISS;
	}
	snprintf(envkey, sizeof(envkey), "%s %s %s", env->scheme ? env->scheme : "",
		 env->servip ? env->servip : "", env->port ? env->port : "");
	slot = render_slot(idx, res->mac, key_id, envkey);
	if (slot != NULL && render_slot_is(slot, serial, idx, res->mac, key_id, envkey)) {
		if ((res->body = malloc(slot->len + 1)) == NULL) {
			snprintf(res->why, sizeof(res->why), "out of memory");
			return RENDER_FAIL;
		}
		memcpy(res->body, slot->body, slot->len);
		res->len = slot->len;
		return RENDER_OK;
	}
	st = render_device_at(inv, serial, dev, curkey, curid, res->mac, r.tmpl, env,
			      &res->body, &res->len, res->why, sizeof(res->why));
	if (st == RENDER_OK)
		st = render_pack(inv, &r, key_id, res);
	/* Kept under the serial read before rendering, and only when nothing
	 * changed meanwhile (a CLI write, or this very fetch retiring old
	 * keys): a body is never tagged newer than what it was made from. */
	if (st == RENDER_OK && inv_serial(inv, &serial2) == 0 && serial2 == serial)
		render_slot_put(slot, serial, idx, res->mac, key_id, envkey, res);
	if (st != RENDER_OK) {
		free(res->body);
		res->body = NULL;
		res->len = 0;
	}
	return st;
}

enum render_status
render_request(struct inv **inv, const char *db, char *const *routes, unsigned n,
	       const char *path, size_t len, const char *scheme,
	       const struct sockaddr_storage *local, const char *cert_mac,
	       const struct render_auth *auth, const char *client, struct render_res *res)
{
	char ip[INET6_ADDRSTRLEN] = "", port[8] = "";
	struct render_env env = { ip, port, scheme, cert_mac, auth };
	enum render_status st;
	char err[400];

	if (local->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)local;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(port, sizeof(port), "%u", ntohs(s6->sin6_port));
	} else if (local->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)local;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(port, sizeof(port), "%u", ntohs(s4->sin_port));
	}
	if (port[0] == '0' && port[1] == '\0')
		env.port = NULL; /* not known: $PORT stays as written */
	if (*inv == NULL) {
		memset(res, 0, sizeof(*res));
		if (route_first(routes, n, path, len) < 0)
			return RENDER_NONE;
		if (inv_open(inv, db, 1, err, sizeof(err)) != 0) {
			snprintf(res->why, sizeof(res->why), "inventory: %s", err);
			log_msg(LOG_WARNING, "%s: %s: server busy: %s", scheme, client, res->why);
			return RENDER_BUSY;
		}
		log_msg(LOG_NOTICE, "inventory %s: open", db);
	}
	st = render_path(*inv, routes, n, path, len, &env, res);
	switch (st) {
	case RENDER_BUSY:
		log_msg(LOG_WARNING, "%s: %s: %s: server busy: %s", scheme, client, res->mac,
			res->why);
		break;
	case RENDER_FAIL:
		log_msg(LOG_ERR, "%s: %s: %s: render failed: %s", scheme, client, res->mac,
			res->why);
		break;
	case RENDER_MISS:
	case RENDER_AUTH:
		if (log_enabled(LOG_DEBUG))
			log_msg(LOG_DEBUG, "%s: %s: not served: %s", scheme, client, res->why);
		break;
	case RENDER_OK:
		if (res->why[0] != '\0')
			log_msg(LOG_WARNING, "%s: %s: %s: %s", scheme, client, res->mac, res->why);
		break;
	case RENDER_NONE:
		break;
	}
	return st;
}

int
render_fd(struct inv **inv, const char *db, char *const *routes, unsigned n,
	  const char *path, size_t len, const char *scheme,
	  const struct sockaddr_storage *local, const char *client)
{
	struct render_res res;
	enum render_status st;
	size_t off = 0;
	int fd;

	if (n == 0)
		return -ENOSYS;
	st = render_request(inv, db, routes, n, path, len, scheme, local, NULL, NULL, client,
			    &res);
	if (st != RENDER_OK)
		return st == RENDER_NONE ? -ENOSYS : st == RENDER_MISS || st == RENDER_AUTH ? -ENOENT :
			st == RENDER_BUSY ? -EBUSY : -EIO;
	fd = memfd_create("prov-render", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	while (fd >= 0 && off < res.len) {
		ssize_t w = write(fd, res.body + off, res.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			fd = -1;
			break;
		}
		off += (size_t)w;
	}
	OPENSSL_cleanse(res.body, res.len);
	free(res.body);
	if (fd < 0)
		return -EIO;
	/* Nobody changes it while it is sent. */
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return fd;
}
