/*
 * delay: delay lists (device.md D-SCH-1) and HHmm times (D-SCH-4).
 *
 * Grammar of a delay list, white space being spaces and tabs:
 *     list    = ws* [ element ( ws* ',' ws* element )* ] ws*
 *     element = number [ ws* '+' ws* number ]
 * The whole value "0" (or nothing) disables. A 0 element inside a longer
 * list is kept: delay_at reports it as "no further attempt".
 */
#include "delay.h"

#include <string.h>

static int
delay_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static int
delay_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t
delay_skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && delay_is_ws(s[i]))
		i++;
	return i;
}

/* A decimal number at s[*pos]; refuses values over BOUND_DELAY_VALUE.
 * elem: the number starts an element (nothing there is an empty element). */
static enum prov_err
delay_number(const char *s, size_t len, size_t *pos, int elem, uint32_t *out,
	     struct diag *d)
{
	size_t i = *pos;
	uint64_t v = 0;

	if (i >= len || !delay_is_digit(s[i]))
		return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(i + 1),
				elem && (i >= len || s[i] == ',') ? "empty delay" :
				"expected a number of seconds");
	while (i < len && delay_is_digit(s[i])) {
		if (v <= BOUND_DELAY_VALUE)
			v = v * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (v > BOUND_DELAY_VALUE)
		return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(*pos + 1),
				"delay too large (over %u s)", BOUND_DELAY_VALUE);
	*out = (uint32_t)v;
	*pos = i;
	return PROV_OK;
}

enum prov_err
delay_parse(const char *text, size_t len, struct delay_list *out,
	    struct diag *d)
{
	struct delay_item it;
	size_t i;
	enum prov_err rc;

	memset(out, 0, sizeof(*out));
	i = delay_skip_ws(text, len, 0);
	if (i == len)
		return PROV_OK;
	for (;;) {
		if (out->n == BOUND_DELAY_ITEMS) {
			memset(out, 0, sizeof(*out));
			return diag_set(d, PROV_E_TOOBIG, 1, (unsigned)(i + 1),
					"more than %u delays", BOUND_DELAY_ITEMS);
		}
		it.base = it.rand = 0;
		if ((rc = delay_number(text, len, &i, 1, &it.base, d)) != PROV_OK)
			goto fail;
		i = delay_skip_ws(text, len, i);
		if (i < len && text[i] == '+') {
			i = delay_skip_ws(text, len, i + 1);
			if ((rc = delay_number(text, len, &i, 0, &it.rand, d)) != PROV_OK)
				goto fail;
			i = delay_skip_ws(text, len, i);
		}
		out->item[out->n++] = it;
		if (i == len)
			break;
		if (text[i] != ',') {
			rc = diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(i + 1),
				      "expected ',' or '+'");
			goto fail;
		}
		i = delay_skip_ws(text, len, i + 1);
	}
	if (out->n == 1 && out->item[0].base == 0 && out->item[0].rand == 0)
		out->n = 0;
	return PROV_OK;
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

int
delay_at(const struct delay_list *l, unsigned i, uint64_t random,
	 uint32_t *secs)
{
	const struct delay_item *it;

	if (l->n == 0)
		return 0;
	it = &l->item[i < l->n ? i : l->n - 1];
	if (it->base == 0 && it->rand == 0)
		return 0;
	*secs = it->base + (it->rand ? (uint32_t)(random % ((uint64_t)it->rand + 1)) : 0);
	return 1;
}

int
delay_hhmm(const char *text, size_t len, unsigned *minutes)
{
	unsigned hh, mm;

	if (len != 4)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (!delay_is_digit(text[i]))
			return 0;
	hh = (unsigned)(text[0] - '0') * 10 + (unsigned)(text[1] - '0');
	mm = (unsigned)(text[2] - '0') * 10 + (unsigned)(text[3] - '0');
	if (hh > 24 || mm > 59 || (hh == 24 && mm != 0))
		return 0;
	*minutes = hh * 60 + mm;
	return 1;
}
