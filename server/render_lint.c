/*
 * render_lint: a template checked as written, before any device renders
 * it: unknown macros and the profile's parameter issues. See render.h.
 */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prov/prov.h>

#include "inventory.h"

struct render_lint_ctx {
	struct inv *inv;
	const char *text;
	void (*unknown)(void *arg, const char *macro, unsigned line);
	void (*param)(void *arg, const char *param, unsigned line);
	void *arg;
	int failed;
};

/* Every name is looked up; those neither the server's nor any scope's are
 * reported. A placeholder value keeps the structure of the text. */
static const char *
render_lint_lookup(void *arg, const char *name, size_t n, size_t *vlen)
{
	static const char *const server[] = {
		"MA", "MAU", "MAC", "SN", "PN", "PSN", "KEY", "KEY_ID", "SERVIP", "PORT", "SCHEME",
		"HTTP_USER", "HTTP_PASSWORD", "UPGRADE_RULE",
	};
	struct render_lint_ctx *lc = arg;
	char nm[INV_NAME_MAX + 1];
	int known = 0;

	*vlen = 1;
	for (size_t i = 0; i < sizeof(server) / sizeof(server[0]); i++)
		if (strlen(server[i]) == n && memcmp(server[i], name, n) == 0)
			return "x";
	if (n <= INV_NAME_MAX) {
		memcpy(nm, name, n);
		nm[n] = '\0';
		known = inv_var_known(lc->inv, nm);
		if (known < 0)
			lc->failed = 1;
	}
	if (known > 0)
		return "x";
	if (known == 0 && lc->unknown != NULL) {
		unsigned line = 1;

		memcpy(nm, name, n <= INV_NAME_MAX ? n : INV_NAME_MAX);
		nm[n <= INV_NAME_MAX ? n : INV_NAME_MAX] = '\0';
		for (const char *p = lc->text; p < name; p++)
			line += *p == '\n';
		lc->unknown(lc->arg, nm, line);
	}
	return NULL;
}

static void
render_lint_issue(void *arg, const struct prov_issue *is)
{
	struct render_lint_ctx *lc = arg;

	if (!is->error && lc->param != NULL)
		lc->param(lc->arg, is->name, is->line);
}

int
render_lint(struct inv *inv, const char *name, const char *text, size_t len,
	    void (*unknown)(void *arg, const char *macro, unsigned line),
	    void (*param)(void *arg, const char *param, unsigned line),
	    void *arg, char *msg, size_t msglen)
{
	struct render_lint_ctx lc = { inv, text, unknown, param, arg, 0 };
	struct prov_profile *p = NULL;
	char *out = NULL;
	size_t olen;
	enum prov_err rc;

	/* Values are escaped where they land, so the text's own structure is
	 * the rendered profile's: check it as written, for true places. */
	rc = prov_profile_parse(name, text, len, 0, &p, msg, msglen);
	if (rc != PROV_OK)
		return -1;
	rc = prov_macro_expand(text, len, RENDER_OUT_MAX, PROV_MACRO_USCORE | PROV_MACRO_XML,
			       render_lint_lookup, &lc, &out, &olen, msg, msglen);
	if (rc == PROV_OK && lc.failed) {
		snprintf(msg, msglen, "inventory: %s", inv_errmsg(inv));
		rc = PROV_E_IO;
	}
	if (rc == PROV_OK)
		prov_profile_lint(p, render_lint_issue, &lc);
	prov_profile_free(p);
	free(out);
	return rc == PROV_OK ? 0 : -1;
}
