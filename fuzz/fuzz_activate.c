/*
 * Fuzz target for act_form_parse (the body of POST /prov/activate,
 * server/activate.h): any bytes give the fields or an error with a
 * reason; every value is NUL-terminated within its buffer, a MAC given is
 * 12 lower-case hex digits; a code that passes act_code_norm is 16 digits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "activate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct act_identity id;
	char code[64], digits[ACT_DIGITS + 1];
	const char *why = NULL;
	int has_mac;

	if (act_form_parse((const char *)data, size, code, &id, &has_mac, &why) < 0) {
		if (why == NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (memchr(code, '\0', sizeof(code)) == NULL ||
	    memchr(id.serial, '\0', sizeof(id.serial)) == NULL ||
	    memchr(id.product, '\0', sizeof(id.product)) == NULL)
		abort();
	if (has_mac && strspn(id.mac, "0123456789abcdef") != 12)
		abort();
	if (act_code_norm(code, digits) == 0 && strspn(digits, "0123456789") != ACT_DIGITS)
		abort();
	return 0;
}
