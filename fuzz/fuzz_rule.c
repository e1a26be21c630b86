/*
 * Fuzz target for rule_parse (device.md D-RUL-2, D-RUL-3, D-REP-1): the
 * input is parsed as a profile rule, an upgrade rule (RULE_NO_OPTIONS) and
 * a report rule (RULE_REPORT); each rule that parses is selected against a
 * fixed variable set and its action built and released.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *name, *value;
	int secret;
} fuzz_vars[] = {
	{ "A", "1", 0 },
	{ "B", "Dj6Lmp23Q", 0 },
	{ "C", "", 0 },
	{ "D", " http://h/x ", 0 },
	{ "E", "a b|c#d\"e(f)g?h!", 0 },
	{ "MA", "000e08abcdef", 0 },
	{ "PN", "CP-8841-3PCC", 0 },
	{ "PSN", "8841", 0 },
	{ "SWVER", "sip88xx.11-3-1MPP-123", 0 },
	{ "SERV", "192.168.1.200", 0 },
	{ "SA", "s3cr3t", 1 },
};

static int
fuzz_lookup(void *arg, const char *name, size_t n, unsigned flags, struct buf *out)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(fuzz_vars) / sizeof(fuzz_vars[0]); i++) {
		if (strlen(fuzz_vars[i].name) != n || memcmp(fuzz_vars[i].name, name, n) != 0)
			continue;
		if (fuzz_vars[i].secret && !(flags & MACRO_SECRETS))
			return 0;
		return buf_adds(out, fuzz_vars[i].value) == PROV_OK ? 1 : -(int)PROV_E_TOOBIG;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[] = { 0, RULE_NO_OPTIONS, RULE_REPORT };
	const struct macro_vars vars = { fuzz_lookup, NULL };
	struct rule_action *act;

	act = malloc(sizeof(*act));
	if (act == NULL)
		return 0;
	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		const struct rule_alt *alt = NULL;
		struct rule *r = NULL;
		struct diag d;

		diag_init(&d);
		if (rule_parse((const char *)data, size, flags[f], &r, &d) != PROV_OK) {
			if (r != NULL || d.line != 1 || d.col == 0 || d.msg[0] == '\0')
				abort();
			continue;
		}
		if (r->nalt > BOUND_RULE_ALTS ||
		    ((flags[f] & RULE_REPORT) && r->nalt > 2))
			abort();
		for (size_t i = 0; i < r->nalt; i++) {
			if ((flags[f] & RULE_NO_OPTIONS) && r->alt[i].nopt > 0)
				abort();
			if (i + 1 < r->nalt && r->alt[i].cond == NULL &&
			    !(flags[f] & RULE_REPORT))
				abort();
		}
		if (rule_select(r, &vars, &alt, &d) == PROV_OK && alt != NULL) {
			if (rule_action_build(alt, &vars, act, &d) == PROV_OK &&
			    act->has_url && strlen(act->url_text) > BOUND_URL_TEXT)
				abort();
			rule_action_fini(act);
		}
		rule_free(r);
	}
	free(act);
	return 0;
}
