/*
 * device: struct prov_device and the public device API. See device.h.
 */
#include "device.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "cond.h"
#include "fsutil.h"
#include "param.h"
#include "profile.h"
#include "state.h"

#define DEVICE_DEFAULT_PRODUCT "CP-8841-3PCC"
#define DEVICE_DEFAULT_HWVER "1"
#define DEVICE_VENDOR "Cisco"      /* $VERSION vendor, as servers expect (D-RUL-7) */
#define DEVICE_ID_MAX 64            /* longest identity string */

/* Runtime macro variables the engine sets; empty until it does. */
static const char *const rt_names[] = {
	"IP", "EXTIP", "PRVST", "UPGST", "UPGERR", "PRVTMR", "UPGTMR", "REGTMR1",
	"REGTMR2", "UPGCOND", "SCHEME", "SERV", "SERVIP", "PORT", "PATH", "ERR",
	"EMS",
};

static const char *const id_keys[] = {
	"id.mac", "id.serial", "id.product", "id.psn", "id.swver", "id.hwver", NULL
};

/* ---- errors ------------------------------------------------------------ */

static enum prov_err
dev_fail(struct prov_device *dev, struct diag *d, const char *name)
{
	dev->err = *d;
	diag_format(d, name, dev->errmsg, sizeof(dev->errmsg));
	return d->code;
}

static enum prov_err __attribute__((format(printf, 3, 4)))
dev_failf(struct prov_device *dev, enum prov_err code, const char *fmt, ...)
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

/* "sip88xx.11-3-1MPP-123" -> "11.3.1": the leading numbers of the fields
 * after the model prefix, up to the first field that is not a plain
 * number (its leading number included). */
static void
version_short(const char *swver, char *out, size_t outlen)
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

	version_short(dev->swver, vs, sizeof(vs));
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
	struct prov_device *dev = calloc(1, sizeof(*dev));

	if (dev == NULL)
		return NULL;
	dev->nparam = param_count();
	dev->val = calloc(dev->nparam, sizeof(*dev->val));
	dev->ua = malloc(dev->nparam);
	dev->unknown = calloc(BOUND_UNKNOWN, sizeof(*dev->unknown));
	dev->uslot = calloc(BOUND_UNKNOWN * 2, sizeof(*dev->uslot));
	if (!dev->val || !dev->ua || !dev->unknown || !dev->uslot) {
		prov_device_free(dev);
		return NULL;
	}
	memset(dev->ua, -1, dev->nparam);
	return dev;
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
	for (size_t i = 0; i < dev->nparam; i++) {
		if (dev->val[i] != NULL && param_secret(i))
			OPENSSL_cleanse(dev->val[i], strlen(dev->val[i]));
		free(dev->val[i]);
		dev->val[i] = NULL;
	}
	memset(dev->ua, -1, dev->nparam);
}

static void
unknown_clear(struct prov_device *dev)
{
	for (size_t i = 0; i < dev->nunknown; i++)
		free(dev->unknown[i]);
	dev->nunknown = 0;
	memset(dev->uslot, 0, BOUND_UNKNOWN * 2 * sizeof(*dev->uslot));
}

void
prov_device_free(struct prov_device *dev)
{
	if (dev == NULL)
		return;
	state_close(dev->st);
	if (dev->val != NULL && dev->ua != NULL)
		values_clear(dev);
	if (dev->unknown != NULL && dev->uslot != NULL)
		unknown_clear(dev);
	free(dev->val);
	free(dev->ua);
	free(dev->unknown);
	free(dev->uslot);
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

static int
load_param(void *arg, const char *name, const char *value, int ua)
{
	struct prov_device *dev = arg;
	long idx = param_find(name, strlen(name));

	if (idx < 0)
		return 0; /* a parameter this version no longer knows */
	free(dev->val[idx]);
	dev->val[idx] = value ? strdup(value) : NULL;
	dev->ua[idx] = (signed char)(ua >= 0 && ua <= 2 ? ua : -1);
	return 0;
}

static int unknown_add(struct prov_device *dev, const char *name);

static int
load_unknown(void *arg, const char *name)
{
	return unknown_add(arg, name) < 0;
}

/* Loads parameters and unknown names from the state (inside a read
 * transaction, so the two are consistent). */
static enum prov_err
device_load(struct prov_device *dev, struct diag *d)
{
	enum prov_err rc;

	values_clear(dev);
	unknown_clear(dev);
	state_mark(dev->st);
	rc = state_each_param(dev->st, load_param, dev, d);
	if (rc == PROV_OK)
		rc = state_each_unknown(dev->st, load_unknown, dev, d);
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
		return dev_fail(dev, &d, NULL);
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

const char *
device_value(const struct prov_device *dev, size_t idx)
{
	if (dev->val[idx] != NULL)
		return dev->val[idx];
	return param_def(idx, NULL)->defval;
}

static int
device_ua(const struct prov_device *dev, size_t idx)
{
	return dev->ua[idx] >= 0 ? dev->ua[idx] : param_def(idx, NULL)->ua;
}

static long
find_param(struct prov_device *dev, const char *name)
{
	long idx = param_find(name, strlen(name));

	if (idx < 0)
		dev_failf(dev, PROV_E_UNKNOWN, "unknown parameter '%s'", name);
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
	idx = find_param(dev, name);
	if (idx < 0)
		return PROV_E_UNKNOWN;
	if ((flags & PROV_AS_USER) && device_ua(dev, (size_t)idx) == PROV_UA_NA)
		return dev_failf(dev, PROV_E_DENIED, "%s: no user access", name);
	v = device_value(dev, (size_t)idx);
	if (param_secret((size_t)idx) && !(flags & PROV_SHOW_SECRETS) && v[0] != '\0')
		v = PARAM_MASK;
	*value = strdup(v);
	if (*value == NULL)
		return dev_failf(dev, PROV_E_NOMEM, "%s", "out of memory");
	return PROV_OK;
}

enum prov_err
prov_device_get_ua(struct prov_device *dev, const char *name, enum prov_ua *ua)
{
	long idx;
	enum prov_err rc = device_refresh(dev);

	if (rc != PROV_OK)
		return rc;
	idx = find_param(dev, name);
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

/* Remembers name; returns 1 if added, 0 if known or full, -1 out of memory. */
static int
unknown_add(struct prov_device *dev, const char *name)
{
	unsigned mask = BOUND_UNKNOWN * 2 - 1;
	unsigned h = str_hash(name) & mask;

	while (dev->uslot[h] != 0) {
		if (strcmp(dev->unknown[dev->uslot[h] - 1], name) == 0)
			return 0;
		h = (h + 1) & mask;
	}
	if (dev->nunknown == BOUND_UNKNOWN)
		return 0;
	dev->unknown[dev->nunknown] = strdup(name);
	if (dev->unknown[dev->nunknown] == NULL)
		return -1;
	dev->uslot[h] = (unsigned)++dev->nunknown;
	return 1;
}

static int
unknown_has(const struct prov_device *dev, const char *name)
{
	unsigned mask = BOUND_UNKNOWN * 2 - 1;
	unsigned h = str_hash(name) & mask;

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

/* ---- committing changes ------------------------------------------------------ */

/* One parameter's new state, staged before it is written. */
struct pending {
	size_t idx;
	const char *val; /* new value (borrowed); NULL: value unchanged */
	int ua;          /* new access level; -1: unchanged */
};

/* Nonzero if p changes what the device shows: a value or an access level. */
static int
pending_changes(const struct prov_device *dev, const struct pending *p)
{
	if (p->val != NULL && strcmp(p->val, device_value(dev, p->idx)) != 0)
		return 1;
	return p->ua >= 0 && p->ua != device_ua(dev, p->idx);
}

/* Nonzero if p must be written: a change, or a value set explicitly to
 * what is still the factory default (it stays pinned if a later version
 * changes the default). */
static int
pending_writes(const struct prov_device *dev, const struct pending *p)
{
	return pending_changes(dev, p) || (p->val != NULL && dev->val[p->idx] == NULL);
}

/* Writes the pending changes and unknown names: to the state in one
 * transaction (the caller has begun it) and then to memory. On failure
 * nothing changes, in the state or in memory. */
static enum prov_err
device_commit(struct prov_device *dev, const struct pending *pend, size_t npend,
	      const char *const *unk, size_t nunk, size_t *changed, struct diag *d)
{
	char **copy = NULL;
	enum prov_err rc = PROV_OK;
	size_t nchanged = 0;

	copy = calloc(npend ? npend : 1, sizeof(*copy));
	if (copy == NULL) {
		rc = diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < npend; i++) {
		const struct pending *p = &pend[i];
		const char *nv;

		if (!pending_writes(dev, p))
			continue;
		if (pending_changes(dev, p))
			nchanged++;
		if (p->val != NULL) {
			copy[i] = strdup(p->val);
			if (copy[i] == NULL) {
				rc = diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
				goto out;
			}
		}
		if (dev->st == NULL)
			continue;
		nv = p->val != NULL ? p->val : dev->val[p->idx];
		rc = state_put_param(dev->st, param_name(p->idx), nv,
				     p->ua >= 0 ? p->ua : dev->ua[p->idx], d);
		if (rc != PROV_OK)
			goto out;
	}
	if (dev->st != NULL) {
		for (size_t i = 0; i < nunk && i < BOUND_UNKNOWN; i++) {
			if (unknown_has(dev, unk[i]))
				continue;
			rc = state_put_unknown(dev->st, unk[i], d);
			if (rc != PROV_OK)
				goto out;
		}
		rc = state_commit(dev->st, d);
		if (rc != PROV_OK)
			goto out;
		state_mark(dev->st);
	}
	/* Committed: install in memory. Nothing below can fail except the
	 * unknown list's copies, which only lose a name from memory. */
	for (size_t i = 0; i < npend; i++) {
		const struct pending *p = &pend[i];

		if (copy[i] != NULL) {
			if (dev->val[p->idx] != NULL && param_secret(p->idx))
				OPENSSL_cleanse(dev->val[p->idx], strlen(dev->val[p->idx]));
			free(dev->val[p->idx]);
			dev->val[p->idx] = copy[i];
			copy[i] = NULL;
		}
		if (p->ua >= 0)
			dev->ua[p->idx] = (signed char)p->ua;
	}
	for (size_t i = 0; i < nunk; i++)
		(void)unknown_add(dev, unk[i]);
	if (changed != NULL)
		*changed = nchanged;
out:
	if (dev->st != NULL && rc != PROV_OK)
		state_rollback(dev->st);
	if (copy != NULL) {
		for (size_t i = 0; i < npend; i++) {
			if (copy[i] != NULL && param_secret(pend[i].idx))
				OPENSSL_cleanse(copy[i], strlen(copy[i]));
			free(copy[i]);
		}
		free(copy);
	}
	return rc;
}

/* Takes the write lock and reloads if another process committed. */
static enum prov_err
device_begin(struct prov_device *dev, struct diag *d)
{
	enum prov_err rc;

	if (dev->st == NULL)
		return PROV_OK;
	rc = state_begin(dev->st, 1, d);
	if (rc == PROV_OK && state_stale(dev->st)) {
		rc = device_load(dev, d);
		if (rc != PROV_OK)
			state_rollback(dev->st);
	}
	return rc;
}

enum prov_err
prov_device_set_many(struct prov_device *dev, const char *const *names,
		     const char *const *values, size_t n, unsigned flags)
{
	struct diag d;
	struct pending *pend;
	enum prov_err rc;
	size_t npend = 0;

	diag_init(&d);
	pend = calloc(n ? n : 1, sizeof(*pend));
	if (pend == NULL)
		return dev_failf(dev, PROV_E_NOMEM, "%s", "out of memory");
	/* Validate everything before taking the lock: all or nothing. */
	for (size_t i = 0; i < n; i++) {
		const char *canon;
		long idx = find_param(dev, names[i]);

		if (idx < 0) {
			rc = PROV_E_UNKNOWN;
			goto out;
		}
		rc = param_check((size_t)idx, values[i], strlen(values[i]), &canon, &d);
		if (rc != PROV_OK) {
			dev_fail(dev, &d, NULL);
			goto out;
		}
		/* A name given twice: the later value wins. */
		size_t j;
		for (j = 0; j < npend && pend[j].idx != (size_t)idx; j++)
			;
		pend[j].idx = (size_t)idx;
		pend[j].val = canon != NULL ? canon : values[i];
		pend[j].ua = -1;
		if (j == npend)
			npend++;
	}
	rc = device_begin(dev, &d);
	if (rc != PROV_OK) {
		dev_fail(dev, &d, NULL);
		goto out;
	}
	if (flags & PROV_AS_USER) {
		for (size_t i = 0; i < npend; i++) {
			if (device_ua(dev, pend[i].idx) != PROV_UA_RW) {
				if (dev->st != NULL)
					state_rollback(dev->st);
				rc = dev_failf(dev, PROV_E_DENIED, "%s: the user may not change it",
					       param_name(pend[i].idx));
				goto out;
			}
		}
	}
	rc = device_commit(dev, pend, npend, NULL, 0, NULL, &d);
	if (rc != PROV_OK)
		dev_fail(dev, &d, NULL);
out:
	free(pend);
	return rc;
}

enum prov_err
prov_device_set(struct prov_device *dev, const char *name, const char *value,
		unsigned flags)
{
	return prov_device_set_many(dev, &name, &value, 1, flags);
}

/* ---- profiles: lint and apply ---------------------------------------------------- */

/* Checks one change against the table. Returns the instance index, or -1
 * for an unknown name, -2 for an invalid value; fills issue for both. */
static long
change_check(const struct profile_change *c, const char **canon, struct prov_issue *is,
	     char *msg, size_t msglen)
{
	long idx = param_find(c->name, strlen(c->name));
	struct diag d;

	*canon = NULL;
	is->line = c->line;
	is->col = c->col;
	is->name = c->name;
	is->message = msg;
	if (idx < 0) {
		is->error = 0;
		snprintf(msg, msglen, "unknown parameter '%s'", c->name);
		return -1;
	}
	if (c->value == NULL)
		return idx;
	diag_init(&d);
	if (param_check((size_t)idx, c->value, c->valuelen, canon, &d) != PROV_OK) {
		is->error = 1;
		snprintf(msg, msglen, "%s", d.msg);
		return -2;
	}
	return idx;
}

size_t
prov_profile_lint(const struct prov_profile *p,
		  void (*fn)(void *, const struct prov_issue *), void *arg)
{
	size_t problems = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct prov_issue is;
		char msg[BOUND_ISSUES_MSG + 64];
		const char *canon;

		if (change_check(&p->chg[i], &canon, &is, msg, sizeof(msg)) >= 0)
			continue;
		problems++;
		if (fn != NULL)
			fn(arg, &is);
	}
	return problems;
}

enum prov_err
prov_device_apply(struct prov_device *dev, const struct prov_profile *p,
		  struct prov_apply_result *res,
		  void (*fn)(void *, const struct prov_issue *), void *arg)
{
	struct prov_apply_result r = { 0, 0, 0, 0 };
	struct pending *pend = NULL;
	long *slot = NULL;
	const char **unk = NULL;
	size_t npend = 0, nunk = 0, changed = 0;
	struct diag d;
	enum prov_err rc;

	diag_init(&d);
	pend = malloc(dev->nparam * sizeof(*pend));
	slot = malloc(dev->nparam * sizeof(*slot));
	unk = malloc((p->n < BOUND_UNKNOWN ? p->n : BOUND_UNKNOWN) * sizeof(*unk) + 1);
	if (pend == NULL || slot == NULL || unk == NULL) {
		rc = diag_set(&d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	memset(slot, -1, dev->nparam * sizeof(*slot));
	rc = device_begin(dev, &d);
	if (rc != PROV_OK)
		goto out;
	/* Stage: the last occurrence of a name wins (D-PRO-4). */
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_change *c = &p->chg[i];
		struct prov_issue is;
		char msg[BOUND_ISSUES_MSG + 64];
		const char *canon;
		long idx = change_check(c, &canon, &is, msg, sizeof(msg));
		struct pending *pp;

		if (idx == -1) {
			r.unknown++;
			if (nunk < BOUND_UNKNOWN)
				unk[nunk++] = c->name;
		}
		if (idx < 0) {
			if (idx == -2)
				r.rejected++;
			if (fn != NULL)
				fn(arg, &is);
			continue;
		}
		if (slot[idx] < 0) {
			slot[idx] = (long)npend;
			pend[npend].idx = (size_t)idx;
			pend[npend].val = NULL;
			pend[npend].ua = -1;
			npend++;
		}
		pp = &pend[slot[idx]];
		if (c->value != NULL)
			pp->val = canon != NULL ? canon : c->value;
		if (c->ua >= 0)
			pp->ua = c->ua;
	}
	for (size_t i = 0; i < npend; i++)
		if (!pending_changes(dev, &pend[i]))
			r.unchanged++;
	rc = device_commit(dev, pend, npend, unk, nunk, &changed, &d);
	r.changed = changed;
out:
	if (rc != PROV_OK) {
		if (dev->st != NULL)
			state_rollback(dev->st);
		dev_fail(dev, &d, NULL);
	} else if (res != NULL) {
		*res = r;
	}
	free(pend);
	free(slot);
	free(unk);
	return rc;
}

/* ---- macro variables (D-MAC-2) -------------------------------------------------- */

static const char *
rt_get(const struct prov_device *dev, const char *name, size_t n)
{
	for (size_t i = 0; i < dev->nrt; i++)
		if (strlen(dev->rt[i].key) == n && memcmp(dev->rt[i].key, name, n) == 0)
			return dev->rt[i].value;
	return NULL;
}

static int
vars_put(struct buf *out, const char *v)
{
	enum prov_err rc = buf_adds(out, v);

	return rc == PROV_OK ? 1 : -(int)rc;
}

static int
device_lookup(void *arg, const char *name, size_t n, unsigned flags, struct buf *out)
{
	struct prov_device *dev = arg;
	char key[BOUND_MACRO_NAME + 1];
	const char *v;

	if (n == 0 || n > BOUND_MACRO_NAME)
		return 0;
	memcpy(key, name, n);
	key[n] = '\0';
	if (n == 1 && key[0] >= 'A' && key[0] <= 'P') {
		char gpp[] = "GPP_X";

		gpp[4] = key[0];
		return vars_put(out, device_value(dev, (size_t)param_find(gpp, 5)));
	}
	if (n == 2 && key[0] == 'S' && key[1] >= 'A' && key[1] <= 'D') {
		char gpp[] = "GPP_SX";

		if (!(flags & MACRO_SECRETS))
			return 0;
		gpp[5] = key[1];
		return vars_put(out, device_value(dev, (size_t)param_find(gpp, 6)));
	}
	if (n >= 4 && n <= 5 && memcmp(key, "UID", 3) == 0) {
		char uid[16];
		int line = atoi(key + 3);

		if (line < 1 || line > 10 || (n == 5 && key[3] != '1'))
			return 0;
		snprintf(uid, sizeof(uid), "User_ID_%d_", line);
		return vars_put(out, device_value(dev, (size_t)param_find(uid, strlen(uid))));
	}
	v = prov_device_identity(dev, key);
	if (v != NULL)
		return vars_put(out, v);
	if (strcmp(key, "METH") == 0)
		strcpy(key, "SCHEME"); /* METH is an alias of SCHEME */
	v = rt_get(dev, key, strlen(key));
	if (v != NULL)
		return vars_put(out, v);
	if (strcmp(key, "CCERT") == 0) {
		char path[PATH_MAX + 16];
		int have = 0;

		if (dev->st != NULL) {
			snprintf(path, sizeof(path), "%s/cert.pem", state_dir(dev->st));
			have = fsutil_exists(path);
		}
		return vars_put(out, have ? "Installed" : "Not Installed");
	}
	for (size_t i = 0; i < sizeof(rt_names) / sizeof(rt_names[0]); i++)
		if (strcmp(rt_names[i], key) == 0)
			return 1; /* known, not set yet: empty */
	return 0;
}

void
device_vars(struct prov_device *dev, struct macro_vars *vars)
{
	vars->lookup = device_lookup;
	vars->arg = dev;
}

enum prov_err
device_runtime_set(struct prov_device *dev, const char *name, const char *value)
{
	char *v = strdup(value), *k;

	if (v == NULL)
		return PROV_E_NOMEM;
	for (size_t i = 0; i < dev->nrt; i++) {
		if (strcmp(dev->rt[i].key, name) == 0) {
			free(dev->rt[i].value);
			dev->rt[i].value = v;
			return PROV_OK;
		}
	}
	if (dev->nrt == DEVICE_RT_MAX) {
		free(v);
		return PROV_E_TOOBIG;
	}
	k = strdup(name);
	if (k == NULL) {
		free(v);
		return PROV_E_NOMEM;
	}
	dev->rt[dev->nrt].key = k;
	dev->rt[dev->nrt].value = v;
	dev->nrt++;
	return PROV_OK;
}

enum prov_err
prov_expand(struct prov_device *dev, const char *text, unsigned flags, char **out)
{
	struct macro_vars vars;
	struct buf b;
	struct diag d;
	enum prov_err rc;

	*out = NULL;
	rc = device_refresh(dev);
	if (rc != PROV_OK)
		return rc;
	diag_init(&d);
	buf_init(&b, BOUND_MACRO_OUT);
	device_vars(dev, &vars);
	rc = macro_expand(text, strlen(text), &vars,
			  (flags & PROV_EXPAND_SECRETS) ? MACRO_SECRETS : 0, &b, &d);
	if (rc != PROV_OK) {
		if (d.code == PROV_OK)
			diag_set(&d, rc, 0, 0, "%s", prov_strerror(rc));
		buf_free(&b);
		return dev_fail(dev, &d, "text");
	}
	*out = buf_take(&b);
	if (*out == NULL)
		return dev_failf(dev, PROV_E_NOMEM, "%s", "out of memory");
	return PROV_OK;
}

enum prov_err
prov_eval(struct prov_device *dev, const char *text, int *result)
{
	struct macro_vars vars;
	struct diag d;
	enum prov_err rc;

	*result = 0;
	rc = device_refresh(dev);
	if (rc != PROV_OK)
		return rc;
	diag_init(&d);
	device_vars(dev, &vars);
	rc = cond_eval(text, strlen(text), &vars, result, &d);
	if (rc != PROV_OK) {
		if (d.code == PROV_OK)
			diag_set(&d, rc, 0, 0, "%s", prov_strerror(rc));
		return dev_fail(dev, &d, "condition");
	}
	return PROV_OK;
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
			return dev_fail(dev, &d, NULL);
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
prov_device_status_get(struct prov_device *dev, const char *key, char **value)
{
	struct diag d;
	enum prov_err rc;

	*value = NULL;
	diag_init(&d);
	if (dev->st != NULL) {
		rc = state_get(dev->st, "status", key, value, &d);
		if (rc == PROV_E_NOTFOUND)
			return dev_failf(dev, rc, "no status '%s'", key);
		if (rc != PROV_OK)
			return dev_fail(dev, &d, NULL);
		return PROV_OK;
	}
	for (size_t i = 0; i < dev->nstatus; i++) {
		if (strcmp(dev->status[i].key, key) == 0) {
			*value = strdup(dev->status[i].value);
			return *value ? PROV_OK : PROV_E_NOMEM;
		}
	}
	return dev_failf(dev, PROV_E_NOTFOUND, "no status '%s'", key);
}

/* ---- certificates ---------------------------------------------------------------------- */

static int
pem_valid(const char *kind, const char *pem, size_t len, char *why, size_t whylen)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	int ok = 0;

	if (bio == NULL) {
		snprintf(why, whylen, "out of memory");
		return 0;
	}
	if (strcmp(kind, "certkey") == 0) {
		EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

		ok = k != NULL;
		EVP_PKEY_free(k);
		if (!ok)
			snprintf(why, whylen, "not a PEM private key (unencrypted)");
	} else {
		X509 *x;
		int n = 0;

		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			n++;
			X509_free(x);
		}
		ok = n > 0;
		if (!ok)
			snprintf(why, whylen, "not a PEM certificate");
	}
	ERR_clear_error();
	BIO_free(bio);
	return ok;
}

enum prov_err
prov_pem_check(const char *kind, const char *pem, size_t len, const char *cert,
	       size_t certlen, char *msg, size_t msglen)
{
	char why[128];

	if (strcmp(kind, "cert") != 0 && strcmp(kind, "certkey") != 0 &&
	    strcmp(kind, "ca") != 0) {
		snprintf(msg, msglen, "unknown PEM kind '%s'", kind);
		return PROV_E_INVAL;
	}
	if (len > BOUND_PEM) {
		snprintf(msg, msglen, "%s: PEM file too large", kind);
		return PROV_E_TOOBIG;
	}
	if (!pem_valid(kind, pem, len, why, sizeof(why))) {
		snprintf(msg, msglen, "%s: %s", kind, why);
		return PROV_E_INVAL;
	}
	if (strcmp(kind, "certkey") == 0 && cert != NULL) {
		BIO *cb = BIO_new_mem_buf(cert, (int)certlen);
		BIO *kb = BIO_new_mem_buf(pem, (int)len);
		X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
		EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
		int ok = x != NULL && k != NULL && X509_check_private_key(x, k) == 1;

		X509_free(x);
		EVP_PKEY_free(k);
		BIO_free(cb);
		BIO_free(kb);
		ERR_clear_error();
		if (!ok) {
			snprintf(msg, msglen, "certkey: the key does not match the certificate");
			return PROV_E_INVAL;
		}
	}
	return PROV_OK;
}

enum prov_err
prov_device_install_pem(struct prov_device *dev, const char *kind, const char *pem,
			size_t len)
{
	struct diag d;
	char why[128], name[32];
	enum prov_err rc;

	diag_init(&d);
	if (strcmp(kind, "cert") != 0 && strcmp(kind, "certkey") != 0 &&
	    strcmp(kind, "ca") != 0)
		return dev_failf(dev, PROV_E_INVAL, "unknown PEM kind '%s'", kind);
	if (dev->st == NULL)
		return dev_failf(dev, PROV_E_INVAL, "%s", "a memory-only device has no trust store");
	if (len > BOUND_PEM)
		return dev_failf(dev, PROV_E_TOOBIG, "%s: PEM file too large", kind);
	if (!pem_valid(kind, pem, len, why, sizeof(why))) {
		snprintf(dev->errmsg, sizeof(dev->errmsg), "%s: %s", kind, why);
		return PROV_E_INVAL;
	}
	snprintf(name, sizeof(name), "%s.pem", kind);
	rc = fsutil_write_atomic(state_dir(dev->st), name, pem, len,
				 strcmp(kind, "certkey") == 0 ? 0600 : 0644, &d);
	if (rc != PROV_OK)
		return dev_fail(dev, &d, NULL);
	return PROV_OK;
}

/* ---- table access for the public API ------------------------------------------------------ */

size_t
prov_param_count(void)
{
	return param_count();
}

const char *
prov_param_name(size_t i)
{
	return param_name(i);
}

int
prov_param_is_secret(const char *name)
{
	long idx = param_find(name, strlen(name));

	return idx >= 0 && param_secret((size_t)idx);
}

enum prov_err
prov_param_check(const char *name, const char *value, char *msg, size_t msglen)
{
	long idx = param_find(name, strlen(name));
	const char *canon;
	struct diag d;
	enum prov_err rc;

	diag_init(&d);
	if (idx < 0) {
		if (msg != NULL && msglen > 0)
			snprintf(msg, msglen, "unknown parameter '%s'", name);
		return PROV_E_UNKNOWN;
	}
	rc = param_check((size_t)idx, value, strlen(value), &canon, &d);
	if (rc != PROV_OK)
		msg_out(msg, msglen, &d);
	return rc;
}
