/*
 * device: struct prov_device: identity, life cycle (memory-only or backed
 * by a state directory), reading values, unknown names, status. Changes go
 * through change.c, macro variables through vars.c, certificates through
 * cert.c. See device.h.
 */
#include "device.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "buf.h"
#include "fsutil.h"
#include "param.h"
#include "state.h"

#define DEVICE_DEFAULT_PRODUCT "CP-8841-3PCC"
#define DEVICE_DEFAULT_HWVER "1"
#define DEVICE_VENDOR "Cisco"      /* $VERSION vendor, as servers expect (D-RUL-7) */

static const char *const id_keys[] = {
	"id.mac", "id.serial", "id.product", "id.psn", "id.swver", "id.hwver", NULL
};

static unsigned str_hash(const char *s);
static enum prov_err unknown_reserve(struct prov_device *dev, size_t n);

/* ---- errors ------------------------------------------------------------ */

enum prov_err
device_fail(struct prov_device *dev, struct diag *d, const char *name)
{
	dev->err = *d;
	diag_format(d, name, dev->errmsg, sizeof(dev->errmsg));
	return d->code;
}

enum prov_err
device_failf(struct prov_device *dev, enum prov_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->errmsg, sizeof(dev->errmsg), fmt, ap);
	va_end(ap);
	diag_set(&dev->err, code, 0, 0, "%s", dev->errmsg);
	return code;
}

const char *
prov_device_errmsg(const struct prov_device *dev)
{
	return dev != NULL ? dev->errmsg : "no device";
}

/* ---- identity ---------------------------------------------------------- */

static int
id_string_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DEVICE_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return 0;
	return 1;
}

/* 12 hex digits, optionally grouped with ':', '-' or '.'. */
static int
mac_parse(const char *s, char ma[13])
{
	size_t k = 0;

	for (; *s; s++) {
		if (isxdigit((unsigned char)*s)) {
			if (k == 12)
				return 0;
			ma[k++] = (char)tolower((unsigned char)*s);
		} else if (*s != ':' && *s != '-' && *s != '.') {
			return 0;
		}
	}
	ma[k] = '\0';
	return k == 12;
}

void
device_version_short(const char *swver, char *out, size_t outlen)
{
	const char *s = swver;
	size_t k = 0;
	int fields = 0;

	if (isalpha((unsigned char)*s) && strchr(s, '.') != NULL)
		s = strchr(s, '.') + 1;
	while (*s && fields < 4) {
		size_t digits = 0;

		while (isdigit((unsigned char)s[digits]))
			digits++;
		if (digits == 0 || k + digits + 2 >= outlen)
			break;
		if (fields > 0)
			out[k++] = '.';
		memcpy(out + k, s, digits);
		k += digits;
		fields++;
		s += digits;
		if (*s != '-' && *s != '.')
			break;
		s++;
	}
	out[k] = '\0';
	if (k == 0)
		snprintf(out, outlen, "%s", swver);
}

static enum prov_err
identity_set(struct prov_device *dev, const char *mac, const char *serial,
	     const char *product, const char *psn, const char *swver,
	     const char *hwver, struct diag *d)
{
	char buf[DEVICE_ID_MAX + 16], vs[DEVICE_ID_MAX];

	if (mac == NULL || !mac_parse(mac, dev->ma))
		return diag_set(d, PROV_E_INVAL, 0, 0,
				"bad MAC address '%s' (want 12 hex digits)", mac ? mac : "");
	for (int i = 0; i < 12; i++) {
		dev->mau[i] = (char)toupper((unsigned char)dev->ma[i]);
		dev->macc[i / 2 * 3 + i % 2] = dev->ma[i];
		if (i % 2 == 1 && i < 11)
			dev->macc[i / 2 * 3 + 2] = ':';
	}
	dev->mau[12] = '\0';
	dev->macc[17] = '\0';

	if (product == NULL)
		product = DEVICE_DEFAULT_PRODUCT;
	if (!id_string_ok(product))
		return diag_set(d, PROV_E_INVAL, 0, 0, "bad product name '%s'", product);
	dev->product = strdup(product);

	if (psn == NULL) {
		const char *p = product;
		size_t n = 0;

		while (*p && !isdigit((unsigned char)*p))
			p++;
		while (isdigit((unsigned char)p[n]) && n < 8)
			n++;
		snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
		psn = n > 0 ? buf : product;
	}
	if (!id_string_ok(psn))
		return diag_set(d, PROV_E_INVAL, 0, 0, "bad product series number '%s'", psn);
	dev->psn = strdup(psn);
	dev->prod = param_product(psn);

	if (serial == NULL) {
		snprintf(buf, sizeof(buf), "PRV%s", dev->mau + 4);
		serial = buf;
	}
	if (!id_string_ok(serial))
		return diag_set(d, PROV_E_INVAL, 0, 0, "bad serial number '%s'", serial);
	dev->serial = strdup(serial);

	if (swver == NULL) {
		snprintf(buf, sizeof(buf), "sip%.2sxx.11-3-1MPP-123", dev->psn);
		swver = buf;
	}
	if (!id_string_ok(swver))
		return diag_set(d, PROV_E_INVAL, 0, 0, "bad software version '%s'", swver);
	dev->swver = strdup(swver);

	if (hwver == NULL)
		hwver = DEVICE_DEFAULT_HWVER;
	if (!id_string_ok(hwver))
		return diag_set(d, PROV_E_INVAL, 0, 0, "bad hardware version '%s'", hwver);
	dev->hwver = strdup(hwver);

	device_version_short(dev->swver, vs, sizeof(vs));
	snprintf(buf, sizeof(buf), "%s-%s/%s", DEVICE_VENDOR, dev->product, vs);
	dev->version = strdup(buf);
	if (!dev->product || !dev->psn || !dev->serial || !dev->swver ||
	    !dev->hwver || !dev->version)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
	return PROV_OK;
}

const char *
prov_device_identity(const struct prov_device *dev, const char *name)
{
	if (strcmp(name, "MA") == 0) return dev->ma;
	if (strcmp(name, "MAU") == 0) return dev->mau;
	if (strcmp(name, "MAC") == 0) return dev->macc;
	if (strcmp(name, "SN") == 0) return dev->serial;
	if (strcmp(name, "PN") == 0) return dev->product;
	if (strcmp(name, "PSN") == 0) return dev->psn;
	if (strcmp(name, "SWVER") == 0) return dev->swver;
	if (strcmp(name, "HWVER") == 0) return dev->hwver;
	if (strcmp(name, "VERSION") == 0) return dev->version;
	return NULL;
}

/* ---- life cycle ---------------------------------------------------------- */

static struct prov_device *
device_alloc(void)
{
	return calloc(1, sizeof(struct prov_device));
}

static void
kv_free(struct device_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
}

static void
values_clear(struct prov_device *dev)
{
	for (size_t i = 0; i < dev->pvcap; i++) {
		struct device_slot *sl = &dev->pv[i];

		if (sl->val != NULL && param_secret(sl->idx1 - 1))
			OPENSSL_cleanse(sl->val, strlen(sl->val));
		free(sl->val);
	}
	free(dev->pv);
	dev->pv = NULL;
	dev->pvcap = dev->pvused = 0;
}

static void
unknown_clear(struct prov_device *dev)
{
	for (size_t i = 0; i < dev->nunknown; i++)
		free(dev->unknown[i]);
	free(dev->unknown);
	free(dev->uslot);
	dev->unknown = NULL;
	dev->uslot = NULL;
	dev->nunknown = dev->ucap = 0;
}

void
prov_device_free(struct prov_device *dev)
{
	if (dev == NULL)
		return;
	state_close(dev->st);
	values_clear(dev);
	unknown_clear(dev);
	kv_free(dev->rt, dev->nrt);
	kv_free(dev->status, dev->nstatus);
	free(dev->status);
	free(dev->serial);
	free(dev->product);
	free(dev->psn);
	free(dev->swver);
	free(dev->hwver);
	free(dev->version);
	free(dev);
}

struct prov_device *
prov_device_new(const struct prov_identity *id, enum prov_err *err)
{
	struct prov_device *dev = device_alloc();
	struct diag d;
	enum prov_err rc;

	diag_init(&d);
	if (dev == NULL) {
		if (err)
			*err = PROV_E_NOMEM;
		return NULL;
	}
	rc = identity_set(dev, id->mac, id->serial, id->product, id->psn, id->swver,
			  id->hwver, &d);
	if (err)
		*err = rc;
	if (rc != PROV_OK) {
		prov_device_free(dev);
		return NULL;
	}
	return dev;
}

static void
msg_out(char *msg, size_t msglen, const struct diag *d)
{
	if (msg != NULL && msglen > 0)
		diag_format(d, NULL, msg, msglen);
}

enum prov_err
prov_device_create(const char *dir, const struct prov_identity *id,
		   struct prov_device **out, char *msg, size_t msglen)
{
	struct prov_device *dev = device_alloc();
	struct diag d;
	enum prov_err rc;
	const char *values[7];

	diag_init(&d);
	*out = NULL;
	if (dev == NULL) {
		rc = diag_set(&d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto fail;
	}
	rc = identity_set(dev, id->mac, id->serial, id->product, id->psn, id->swver,
			  id->hwver, &d);
	if (rc != PROV_OK)
		goto fail;
	values[0] = dev->ma;
	values[1] = dev->serial;
	values[2] = dev->product;
	values[3] = dev->psn;
	values[4] = dev->swver;
	values[5] = dev->hwver;
	values[6] = NULL;
	rc = state_create(dir, id_keys, values, &dev->st, &d);
	if (rc != PROV_OK)
		goto fail;
	*out = dev;
	return PROV_OK;
fail:
	msg_out(msg, msglen, &d);
	prov_device_free(dev);
	return rc;
}

static enum prov_err
load_param(void *arg, const char *name, const char *value, int ua)
{
	struct prov_device *dev = arg;
	long idx = param_find(name, strlen(name));
	char *v = NULL;

	if (idx < 0)
		return PROV_OK; /* a parameter this version no longer knows */
	if (device_reserve(dev, 1, 0) != PROV_OK)
		return PROV_E_NOMEM;
	if (value != NULL && (v = strdup(value)) == NULL)
		return PROV_E_NOMEM;
	device_put_val(dev, (size_t)idx, v);
	device_put_ua(dev, (size_t)idx, ua >= 0 && ua <= 2 ? ua : -1);
	return PROV_OK;
}

static enum prov_err
load_unknown(void *arg, const char *name)
{
	return device_unknown_add(arg, name) < 0 ? PROV_E_NOMEM : PROV_OK;
}

/* Loads parameters and unknown names from the state (inside a read
 * transaction, so the two are consistent). */
enum prov_err
device_load(struct prov_device *dev, struct diag *d)
{
	enum prov_err rc;

	values_clear(dev);
	unknown_clear(dev);
	state_mark(dev->st);
	rc = state_each_param(dev->st, load_param, dev, d);
	if (rc == PROV_OK)
		rc = state_each_unknown(dev->st, load_unknown, dev, d);
	if (rc != PROV_OK) {
		/* Half a load is no state: drop it and load again next time. */
		values_clear(dev);
		unknown_clear(dev);
		state_forget(dev->st);
	}
	return rc;
}

enum prov_err
device_refresh(struct prov_device *dev)
{
	struct diag d;
	enum prov_err rc;

	if (dev->st == NULL || !state_stale(dev->st))
		return PROV_OK;
	diag_init(&d);
	rc = state_begin(dev->st, 0, &d);
	if (rc == PROV_OK) {
		rc = device_load(dev, &d);
		state_rollback(dev->st);
	}
	if (rc != PROV_OK)
		return device_fail(dev, &d, NULL);
	return PROV_OK;
}

enum prov_err
prov_device_open(const char *dir, struct prov_device **out, char *msg, size_t msglen)
{
	struct prov_device *dev = device_alloc();
	struct diag d;
	enum prov_err rc;
	char *v[6] = { 0 };

	diag_init(&d);
	*out = NULL;
	if (dev == NULL) {
		rc = diag_set(&d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto fail;
	}
	rc = state_open(dir, &dev->st, &d);
	if (rc != PROV_OK)
		goto fail;
	rc = state_begin(dev->st, 0, &d);
	if (rc != PROV_OK)
		goto fail;
	for (int i = 0; rc == PROV_OK && i < 6; i++) {
		rc = state_get(dev->st, "meta", id_keys[i], &v[i], &d);
		if (rc == PROV_E_NOTFOUND)
			rc = diag_set(&d, PROV_E_CORRUPT, 0, 0, "%s: identity lacks %s",
				      dir, id_keys[i] + 3);
	}
	if (rc == PROV_OK)
		rc = identity_set(dev, v[0], v[1], v[2], v[3], v[4], v[5], &d);
	if (rc == PROV_OK)
		rc = device_load(dev, &d);
	state_rollback(dev->st);
	for (int i = 0; i < 6; i++)
		free(v[i]);
	if (rc != PROV_OK)
		goto fail;
	*out = dev;
	return PROV_OK;
fail:
	msg_out(msg, msglen, &d);
	prov_device_free(dev);
	return rc;
}

/* ---- values ---------------------------------------------------------------- */

/* The slot of instance idx, or NULL. */
static struct device_slot *
slot_get(const struct prov_device *dev, size_t idx)
{
	size_t mask = dev->pvcap - 1, h;

	if (dev->pvcap == 0)
		return NULL;
	h = (idx * 2654435761u) & mask;
	while (dev->pv[h].idx1 != 0) {
		if (dev->pv[h].idx1 == idx + 1)
			return &dev->pv[h];
		h = (h + 1) & mask;
	}
	return NULL;
}

enum prov_err
device_reserve(struct prov_device *dev, size_t n, size_t nunknown)
{
	size_t cap = dev->pvcap, want = dev->pvused + n;

	/* load factor at most one half */
	while (want > 0 && (cap < DEVICE_SLOTS_MIN || want > cap / 2))
		cap = cap ? cap * 2 : DEVICE_SLOTS_MIN;
	if (cap != dev->pvcap) {
		struct device_slot *pv = calloc(cap, sizeof(*pv));

		if (pv == NULL)
			return PROV_E_NOMEM;
		for (size_t i = 0; i < dev->pvcap; i++) {
			size_t h;

			if (dev->pv[i].idx1 == 0)
				continue;
			h = ((dev->pv[i].idx1 - 1) * 2654435761u) & (cap - 1);
			while (pv[h].idx1 != 0)
				h = (h + 1) & (cap - 1);
			pv[h] = dev->pv[i];
		}
		free(dev->pv);
		dev->pv = pv;
		dev->pvcap = cap;
	}
	return unknown_reserve(dev, nunknown);
}

/* The slot of instance idx, made if needed (room was reserved). */
static struct device_slot *
slot_make(struct prov_device *dev, size_t idx)
{
	struct device_slot *sl = slot_get(dev, idx);
	size_t h;

	if (sl != NULL)
		return sl;
	if (dev->pvcap == 0 || dev->pvused + 1 > dev->pvcap / 2)
		return NULL; /* not reserved: a bug, never a crash */
	h = (idx * 2654435761u) & (dev->pvcap - 1);
	while (dev->pv[h].idx1 != 0)
		h = (h + 1) & (dev->pvcap - 1);
	sl = &dev->pv[h];
	sl->idx1 = idx + 1;
	sl->ua = -1;
	sl->val = NULL;
	dev->pvused++;
	return sl;
}

void
device_put_val(struct prov_device *dev, size_t idx, char *val)
{
	struct device_slot *sl = slot_make(dev, idx);

	if (sl == NULL) {
		free(val);
		return;
	}
	if (sl->val != NULL && param_secret(idx))
		OPENSSL_cleanse(sl->val, strlen(sl->val));
	free(sl->val);
	sl->val = val;
}

void
device_put_ua(struct prov_device *dev, size_t idx, int ua)
{
	struct device_slot *sl;

	if (ua < 0 && slot_get(dev, idx) == NULL)
		return;
	sl = slot_make(dev, idx);
	if (sl != NULL)
		sl->ua = (signed char)ua;
}

const char *
device_val_set(const struct prov_device *dev, size_t idx)
{
	const struct device_slot *sl = slot_get(dev, idx);

	return sl != NULL ? sl->val : NULL;
}

int
device_ua_set(const struct prov_device *dev, size_t idx)
{
	const struct device_slot *sl = slot_get(dev, idx);

	return sl != NULL ? sl->ua : -1;
}

int
device_has(const struct prov_device *dev, size_t idx)
{
	return param_on_product(idx, dev->prod);
}

const char *
device_value(const struct prov_device *dev, size_t idx)
{
	const char *v = device_val_set(dev, idx);

	return v != NULL ? v : param_def(idx, NULL)->defval;
}

const char *
device_param(const struct prov_device *dev, const char *name)
{
	long idx = param_find(name, strlen(name));

	return idx < 0 ? "" : device_value(dev, (size_t)idx);
}

int
device_ua(const struct prov_device *dev, size_t idx)
{
	int ua = device_ua_set(dev, idx);

	return ua >= 0 ? ua : param_def(idx, NULL)->ua;
}

long
device_find(struct prov_device *dev, const char *name)
{
	long idx = param_find(name, strlen(name));

	if (idx >= 0 && !device_has(dev, (size_t)idx))
		idx = -1;
	if (idx < 0)
		device_failf(dev, PROV_E_UNKNOWN, "unknown parameter '%s'", name);
	return idx;
}

enum prov_err
prov_device_get(struct prov_device *dev, const char *name, unsigned flags, char **value)
{
	long idx;
	const char *v;
	enum prov_err rc;

	*value = NULL;
	rc = device_refresh(dev);
	if (rc != PROV_OK)
		return rc;
	idx = device_find(dev, name);
	if (idx < 0)
		return PROV_E_UNKNOWN;
	if ((flags & PROV_AS_USER) && device_ua(dev, (size_t)idx) == PROV_UA_NA)
		return device_failf(dev, PROV_E_DENIED, "%s: no user access", name);
	v = device_value(dev, (size_t)idx);
	if (param_secret((size_t)idx) && !(flags & PROV_SHOW_SECRETS) && v[0] != '\0')
		v = PARAM_MASK;
	*value = strdup(v);
	if (*value == NULL)
		return device_failf(dev, PROV_E_NOMEM, "%s", "out of memory");
	return PROV_OK;
}

enum prov_err
prov_device_get_ua(struct prov_device *dev, const char *name, enum prov_ua *ua)
{
	long idx;
	enum prov_err rc = device_refresh(dev);

	if (rc != PROV_OK)
		return rc;
	idx = device_find(dev, name);
	if (idx < 0)
		return PROV_E_UNKNOWN;
	*ua = (enum prov_ua)device_ua(dev, (size_t)idx);
	return PROV_OK;
}

/* ---- unknown names ---------------------------------------------------------- */

static unsigned
str_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* Grows the unknown-name list (and its hash set, rehashed) so that n more
 * names fit, up to BOUND_UNKNOWN. */
static enum prov_err
unknown_reserve(struct prov_device *dev, size_t n)
{
	size_t cap = dev->ucap, want = dev->nunknown + n;
	char **u;
	unsigned *us;

	if (want > BOUND_UNKNOWN)
		want = BOUND_UNKNOWN;
	while (cap < want)
		cap = cap ? cap * 2 : DEVICE_UNKNOWN_MIN;
	if (cap == dev->ucap)
		return PROV_OK;
	u = realloc(dev->unknown, cap * sizeof(*u));
	if (u == NULL)
		return PROV_E_NOMEM;
	dev->unknown = u;
	us = calloc(cap * 2, sizeof(*us));
	if (us == NULL)
		return PROV_E_NOMEM;
	for (size_t i = 0; i < dev->nunknown; i++) {
		unsigned h = str_hash(u[i]) & (unsigned)(cap * 2 - 1);

		while (us[h] != 0)
			h = (h + 1) & (unsigned)(cap * 2 - 1);
		us[h] = (unsigned)i + 1;
	}
	free(dev->uslot);
	dev->uslot = us;
	dev->ucap = cap;
	return PROV_OK;
}

int
device_unknown_take(struct prov_device *dev, char *name)
{
	unsigned mask, h;

	if (device_unknown_has(dev, name) || dev->nunknown == dev->ucap)
		return 0;
	mask = (unsigned)(dev->ucap * 2 - 1);
	h = str_hash(name) & mask;
	while (dev->uslot[h] != 0)
		h = (h + 1) & mask;
	dev->unknown[dev->nunknown] = name;
	dev->uslot[h] = (unsigned)++dev->nunknown;
	return 1;
}

int
device_unknown_add(struct prov_device *dev, const char *name)
{
	char *copy;

	if (device_unknown_has(dev, name))
		return 0;
	if (unknown_reserve(dev, 1) != PROV_OK)
		return -1;
	copy = strdup(name);
	if (copy == NULL)
		return -1;
	if (!device_unknown_take(dev, copy)) {
		free(copy);
		return 0;
	}
	return 1;
}

int
device_unknown_has(const struct prov_device *dev, const char *name)
{
	unsigned mask, h;

	if (dev->ucap == 0)
		return 0;
	mask = (unsigned)(dev->ucap * 2 - 1);
	h = str_hash(name) & mask;

	while (dev->uslot[h] != 0) {
		if (strcmp(dev->unknown[dev->uslot[h] - 1], name) == 0)
			return 1;
		h = (h + 1) & mask;
	}
	return 0;
}

size_t
prov_device_unknown_count(struct prov_device *dev)
{
	enum prov_err rc = device_refresh(dev);

	(void)rc; /* on failure the names loaded last are still meaningful */
	return dev->nunknown;
}

const char *
prov_device_unknown_name(struct prov_device *dev, size_t i)
{
	return i < dev->nunknown ? dev->unknown[i] : NULL;
}

/* ---- status -------------------------------------------------------------------------- */

enum prov_err
device_status_put(struct prov_device *dev, const char *key, const char *value)
{
	struct diag d;
	enum prov_err rc;

	diag_init(&d);
	if (dev->st != NULL) {
		rc = state_put(dev->st, "status", key, value, &d);
		if (rc != PROV_OK)
			return device_fail(dev, &d, NULL);
		return PROV_OK;
	}
	for (size_t i = 0; i < dev->nstatus; i++) {
		if (strcmp(dev->status[i].key, key) == 0) {
			char *v = strdup(value);

			if (v == NULL)
				return PROV_E_NOMEM;
			free(dev->status[i].value);
			dev->status[i].value = v;
			return PROV_OK;
		}
	}
	{
		struct device_kv *ns = realloc(dev->status, (dev->nstatus + 1) * sizeof(*ns));

		if (ns == NULL)
			return PROV_E_NOMEM;
		dev->status = ns;
		ns[dev->nstatus].key = strdup(key);
		ns[dev->nstatus].value = strdup(value);
		if (ns[dev->nstatus].key == NULL || ns[dev->nstatus].value == NULL) {
			free(ns[dev->nstatus].key);
			free(ns[dev->nstatus].value);
			return PROV_E_NOMEM;
		}
		dev->nstatus++;
	}
	return PROV_OK;
}

enum prov_err
device_status_put_many(struct prov_device *dev, const char *const *keys,
		       const char *const *values, size_t n)
{
	struct diag d;
	enum prov_err rc = PROV_OK;

	if (dev->st == NULL) {
		for (size_t i = 0; i < n && rc == PROV_OK; i++)
			rc = device_status_put(dev, keys[i], values[i]);
		return rc;
	}
	diag_init(&d);
	rc = state_begin(dev->st, 1, &d);
	for (size_t i = 0; i < n && rc == PROV_OK; i++)
		rc = state_put(dev->st, "status", keys[i], values[i], &d);
	if (rc == PROV_OK)
		rc = state_commit(dev->st, &d);
	else
		state_rollback(dev->st);
	if (rc != PROV_OK)
		return device_fail(dev, &d, NULL);
	return PROV_OK;
}

enum prov_err
prov_device_status_set(struct prov_device *dev, const char *key, const char *value)
{
	return device_status_put(dev, key, value);
}

enum prov_err
prov_device_status_get(struct prov_device *dev, const char *key, char **value)
{
	struct diag d;
	enum prov_err rc;

	*value = NULL;
	diag_init(&d);
	if (dev->st != NULL) {
		rc = state_get(dev->st, "status", key, value, &d);
		if (rc == PROV_E_NOTFOUND)
			return device_failf(dev, rc, "no status '%s'", key);
		if (rc != PROV_OK)
			return device_fail(dev, &d, NULL);
		return PROV_OK;
	}
	for (size_t i = 0; i < dev->nstatus; i++) {
		if (strcmp(dev->status[i].key, key) == 0) {
			*value = strdup(dev->status[i].value);
			return *value ? PROV_OK : PROV_E_NOMEM;
		}
	}
	return device_failf(dev, PROV_E_NOTFOUND, "no status '%s'", key);
}


/* ---- reboot reasons (D-STA-1) ------------------------------------------------ */

#define DEVICE_REBOOT_KEY "reboot_reasons"

/* The list OLD (newest first, one per line) with "STAMP REASON" in front,
 * cut to PROV_REBOOT_REASONS lines; fresh, or NULL when out of memory. */
static char *
reboot_list(const char *old, const char *reason, int64_t when)
{
	char stamp[32], *out;
	const char *p = old;
	size_t keep = 0, n;
	time_t t = (time_t)when;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)when);
	for (n = 1; n < PROV_REBOOT_REASONS && *p != '\0'; n++) {
		const char *nl = strchr(p, '\n');

		p = nl != NULL ? nl + 1 : p + strlen(p);
	}
	keep = (size_t)(p - old);
	if (keep > 0 && old[keep - 1] == '\n')
		keep--;
	n = strlen(stamp) + 1 + strlen(reason) + 1 + keep + 1;
	out = malloc(n);
	if (out == NULL)
		return NULL;
	snprintf(out, n, "%s %s%s%.*s", stamp, reason, keep ? "\n" : "", (int)keep, old);
	return out;
}

enum prov_err
prov_device_reboot_record(struct prov_device *dev, const char *reason, int64_t when)
{
	struct diag d;
	enum prov_err rc;
	char *old = NULL, *list = NULL;
	size_t len = reason != NULL ? strlen(reason) : 0;

	if (len == 0 || len > PROV_REBOOT_REASON_MAX)
		return device_failf(dev, PROV_E_INVAL, "reboot reason must be 1..%d bytes",
				    PROV_REBOOT_REASON_MAX);
	for (size_t i = 0; i < len; i++)
		if (reason[i] < 0x20 || reason[i] > 0x7e)
			return device_failf(dev, PROV_E_INVAL, "%s",
					    "reboot reason must be printable ASCII");
	if (dev->st == NULL) {
		rc = prov_device_status_get(dev, DEVICE_REBOOT_KEY, &old);
		if (rc != PROV_OK && rc != PROV_E_NOTFOUND)
			return rc;
		list = reboot_list(old != NULL ? old : "", reason, when);
		rc = list != NULL ? device_status_put(dev, DEVICE_REBOOT_KEY, list) : PROV_E_NOMEM;
		goto out;
	}
	diag_init(&d);
	rc = state_begin(dev->st, 1, &d);
	if (rc != PROV_OK)
		goto fail;
	rc = state_get(dev->st, "status", DEVICE_REBOOT_KEY, &old, &d);
	if (rc == PROV_E_NOTFOUND)
		rc = PROV_OK;
	if (rc == PROV_OK) {
		list = reboot_list(old != NULL ? old : "", reason, when);
		rc = list != NULL ? state_put(dev->st, "status", DEVICE_REBOOT_KEY, list, &d)
				  : diag_set(&d, PROV_E_NOMEM, 0, 0, "out of memory");
	}
	if (rc == PROV_OK)
		rc = state_commit(dev->st, &d);
	else
		state_rollback(dev->st);
fail:
	if (rc != PROV_OK)
		device_fail(dev, &d, NULL);
out:
	free(old);
	free(list);
	return rc;
}

const char *
prov_param_group(const char *name)
{
	long idx = name != NULL ? param_find(name, strlen(name)) : -1;

	return idx < 0 ? NULL : param_def((size_t)idx, NULL)->group;
}
