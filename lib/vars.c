/*
 * vars: the macro variables of a device (D-MAC-2) and the public
 * expansion and condition calls built on them (prov_expand, prov_eval).
 * See vars.h.
 */
#include "vars.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "cert.h"
#include "cond.h"
#include "fsutil.h"
#include "param.h"
#include "state.h"

/* Runtime macro variables the engine sets; empty until it does. */
static const char *const rt_names[] = {
	"IP", "EXTIP", "PRVST", "UPGST", "UPGERR", "PRVTMR", "UPGTMR", "REGTMR1",
	"REGTMR2", "UPGCOND", "SCHEME", "SERV", "SERVIP", "PORT", "PATH", "ERR",
	"EMS",
};

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
	if (strcmp(key, "UPGST") == 0 || strcmp(key, "UPGERR") == 0) {
		/* The engine sets them when it attempts an upgrade (upgrade.c);
		 * before that, and in another process, the last attempt's
		 * as the status keeps them (D-STA-1). */
		char *s = NULL;
		int r = 1;

		if (prov_device_status_get(dev, key[3] == 'S' ? "upgrade_st" : "upgrade_last_err",
					   &s) == PROV_OK && s != NULL)
			r = vars_put(out, s);
		free(s);
		return r;
	}
	if (strcmp(key, "CCERT") == 0) /* a renewed MIC counts (cert.h) */
		return vars_put(out, cert_client_installed(dev) ? "Installed" : "Not Installed");
	for (size_t i = 0; i < sizeof(rt_names) / sizeof(rt_names[0]); i++)
		if (strcmp(rt_names[i], key) == 0)
			return 1; /* known, not set yet: empty */
	return 0;
}

void
vars_init(struct prov_device *dev, struct macro_vars *vars)
{
	vars->lookup = device_lookup;
	vars->arg = dev;
}

enum prov_err
vars_runtime_set(struct prov_device *dev, const char *name, const char *value)
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
	vars_init(dev, &vars);
	rc = macro_expand(text, strlen(text), &vars,
			  (flags & PROV_EXPAND_SECRETS) ? MACRO_SECRETS : 0, &b, &d);
	if (rc != PROV_OK) {
		if (d.code == PROV_OK)
			diag_set(&d, rc, 0, 0, "%s", prov_strerror(rc));
		buf_free(&b);
		return device_fail(dev, &d, "text");
	}
	*out = buf_take(&b);
	if (*out == NULL)
		return device_failf(dev, PROV_E_NOMEM, "%s", "out of memory");
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
	vars_init(dev, &vars);
	rc = cond_eval(text, strlen(text), &vars, result, &d);
	if (rc != PROV_OK) {
		if (d.code == PROV_OK)
			diag_set(&d, rc, 0, 0, "%s", prov_strerror(rc));
		return device_fail(dev, &d, "condition");
	}
	return PROV_OK;
}

