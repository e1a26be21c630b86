/*
 * Fuzz target for admin_exec_parse, the /CGI/Execute object parser
 * (device.md D-TRG-2; phone/admin_exec.c). Whatever the input: no crash, at
 * most ADMIN_EXEC_ITEMS items, each URL NUL-terminated within its bound,
 * and a failure always says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admin_exec *ex = malloc(sizeof(*ex)); /* ~6 KiB: off the stack */
	char msg[256];

	if (ex == NULL)
		return 0;
	if (admin_exec_parse((const char *)data, size, ex, msg, sizeof(msg)) == 0) {
		if (ex->n == 0 || ex->n > ADMIN_EXEC_ITEMS)
			abort();
		for (size_t i = 0; i < ex->n; i++)
			if (strlen(ex->url[i]) > ADMIN_EXEC_URL_MAX)
				abort();
	} else if (msg[0] == '\0') {
		abort();
	}
	free(ex);
	return 0;
}
