/*
 * change: every change to a device's parameters goes through here: admin
 * sets (prov_device_set_many), profile applies (prov_device_apply) and
 * lint without a device (prov_profile_lint). Changes are staged, validated,
 * written in one state transaction and only then installed in memory, so a
 * failure or a crash leaves the old state or the new (D-PER-1).
 * device.md D-PAR-3, D-PAR-4, D-PRO-4.
 */
#include "device.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "param.h"
#include "profile.h"
#include "state.h"

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
	return pending_changes(dev, p) || (p->val != NULL && device_val_set(dev, p->idx) == NULL);
}

/* Writes the pending changes and unknown names: to the state in one
 * transaction (the caller has begun it) and then to memory. On failure
 * nothing changes, in the state or in memory. */
static enum prov_err
device_commit(struct prov_device *dev, const struct pending *pend, size_t npend,
	      const char *const *unk, size_t nunk, size_t *changed, struct diag *d)
{
	char **copy = NULL, **ucopy = NULL;
	enum prov_err rc = PROV_OK;
	size_t nchanged = 0, nwrites = 0;

	/* Every allocation happens before the commit, so that installing a
	 * committed change in memory cannot fail. */
	copy = calloc(npend ? npend : 1, sizeof(*copy));
	ucopy = calloc(nunk ? nunk : 1, sizeof(*ucopy));
	if (copy == NULL || ucopy == NULL) {
		rc = diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < npend; i++)
		nwrites += pending_writes(dev, &pend[i]) != 0;
	if (device_reserve(dev, nwrites, nunk) != PROV_OK) {
		rc = diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nunk; i++) {
		if (device_unknown_has(dev, unk[i]))
			continue;
		ucopy[i] = strdup(unk[i]);
		if (ucopy[i] == NULL) {
			rc = diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
			goto out;
		}
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
		nv = p->val != NULL ? p->val : device_val_set(dev, p->idx);
		rc = state_put_param(dev->st, param_name(p->idx), nv,
				     p->ua >= 0 ? p->ua : device_ua_set(dev, p->idx), d);
		if (rc != PROV_OK)
			goto out;
	}
	if (dev->st != NULL) {
		for (size_t i = 0; i < nunk && i < BOUND_UNKNOWN; i++) {
			if (device_unknown_has(dev, unk[i]))
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
	/* Committed: install in memory. Nothing below can fail. */
	for (size_t i = 0; i < npend; i++) {
		const struct pending *p = &pend[i];

		if (copy[i] != NULL) {
			device_put_val(dev, p->idx, copy[i]);
			copy[i] = NULL;
		}
		if (p->ua >= 0)
			device_put_ua(dev, p->idx, p->ua);
	}
	for (size_t i = 0; i < nunk; i++) {
		if (ucopy[i] != NULL && device_unknown_take(dev, ucopy[i]))
			ucopy[i] = NULL; /* a name twice in one profile: the copy is freed */
	}
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
	if (ucopy != NULL) {
		for (size_t i = 0; i < nunk; i++)
			free(ucopy[i]);
		free(ucopy);
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
		return device_failf(dev, PROV_E_NOMEM, "%s", "out of memory");
	/* Validate everything before taking the lock: all or nothing. */
	for (size_t i = 0; i < n; i++) {
		const char *canon;
		long idx = device_find(dev, names[i]);

		if (idx < 0) {
			rc = PROV_E_UNKNOWN;
			goto out;
		}
		rc = param_check((size_t)idx, values[i], strlen(values[i]), &canon, &d);
		if (rc != PROV_OK) {
			device_fail(dev, &d, NULL);
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
		device_fail(dev, &d, NULL);
		goto out;
	}
	if (flags & PROV_AS_USER) {
		for (size_t i = 0; i < npend; i++) {
			if (device_ua(dev, pend[i].idx) != PROV_UA_RW) {
				if (dev->st != NULL)
					state_rollback(dev->st);
				rc = device_failf(dev, PROV_E_DENIED, "%s: the user may not change it",
					       param_name(pend[i].idx));
				goto out;
			}
		}
	}
	rc = device_commit(dev, pend, npend, NULL, 0, NULL, &d);
	if (rc != PROV_OK)
		device_fail(dev, &d, NULL);
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

/* Checks one change against the table (and dev's product, when given). Returns the instance index, or -1
 * for an unknown name, -2 for an invalid value (issue filled for both), or
 * -3 when memory ran out while checking. */
static long
change_check(const struct prov_device *dev, const struct profile_change *c,
	     const char **canon, struct prov_issue *is, char *msg, size_t msglen)
{
	long idx = param_find(c->name, strlen(c->name));
	struct diag d;

	/* An instance beyond the product's lines or keys: a phone of this
	 * product has no such parameter. */
	if (idx >= 0 && dev != NULL && !device_has(dev, (size_t)idx))
		idx = -1;

	*canon = NULL;
	is->line = c->line;
	is->col = c->col;
	is->name = c->name;
	is->message = msg;
	if (idx < 0) {
		const char *near = NULL;

		is->error = 0;
		if (param_find(c->name, strlen(c->name)) >= 0)
			snprintf(msg, msglen, "unknown parameter '%s' (not on a %s)", c->name,
				 dev->product);
		else if ((near = param_nearest(c->name, strlen(c->name))) != NULL)
			snprintf(msg, msglen, "unknown parameter '%s' (did you mean '%s'?)",
				 c->name, near);
		else
			snprintf(msg, msglen, "unknown parameter '%s'", c->name);
		return -1;
	}
	if (c->value == NULL)
		return idx;
	diag_init(&d);
	switch (param_check((size_t)idx, c->value, c->valuelen, canon, &d)) {
	case PROV_OK:
		return idx;
	case PROV_E_NOMEM:
		/* Not the value's fault: the caller must fail, not reject. */
		is->error = 1;
		snprintf(msg, msglen, "out of memory checking '%s'", c->name);
		return -3;
	default:
		is->error = 1;
		snprintf(msg, msglen, "%s", d.msg);
		return -2;
	}
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

		if (change_check(NULL, &p->chg[i], &canon, &is, msg, sizeof(msg)) >= 0)
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
	pend = malloc(param_count() * sizeof(*pend));
	slot = malloc(param_count() * sizeof(*slot));
	unk = malloc((p->n < BOUND_UNKNOWN ? p->n : BOUND_UNKNOWN) * sizeof(*unk) + 1);
	if (pend == NULL || slot == NULL || unk == NULL) {
		rc = diag_set(&d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	memset(slot, -1, param_count() * sizeof(*slot));
	rc = device_begin(dev, &d);
	if (rc != PROV_OK)
		goto out;
	/* Stage: the last occurrence of a name wins (D-PRO-4). */
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_change *c = &p->chg[i];
		struct prov_issue is;
		char msg[BOUND_ISSUES_MSG + 64];
		const char *canon;
		long idx = change_check(dev, c, &canon, &is, msg, sizeof(msg));
		struct pending *pp;

		if (idx == -3) {
			rc = diag_set(&d, PROV_E_NOMEM, 0, 0, "%s", msg);
			goto out;
		}
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
		device_fail(dev, &d, NULL);
	} else if (res != NULL) {
		*res = r;
	}
	free(pend);
	free(slot);
	free(unk);
	return rc;
}

