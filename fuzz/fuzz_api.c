/*
 * Fuzz target for api_handle (the admin API, server/api.h): the first
 * byte picks a method and a path, the text up to the first newline is the
 * query, the rest the JSON body, answered against an inventory in a
 * temporary file. Every answer has a status; every non-204 answer is JSON
 * that json-c parses back (never a crash, a leak or malformed output).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "api.h"
#include "inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct inv *fuzz_inv;
static char fuzz_db[64], fuzz_url[80];

static void
fuzz_cleanup(void)
{
	inv_close(fuzz_inv);
	unlink(fuzz_db);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" };
	static const char *const paths[] = {
		"/api/v1/devices", "/api/v1/devices/001122334455", "/api/v1/variables",
		"/api/v1/templates", "/api/v1/templates/t", "/api/v1/codes", "/api/v1/codes/1",
		"/api/v1/history", "/api/v1/metrics", "/api/v1/x",
		"/api/v1/devices/001122334455/timeline", "/api/v1/devices/001122334455/drift",
	};
	char err[256], *query = NULL;
	const char *nl;
	struct api_res r;
	size_t qlen = 0;

	if (fuzz_inv == NULL) {
		snprintf(fuzz_db, sizeof(fuzz_db), "/tmp/fuzz_api.%ld.db", (long)getpid());
		snprintf(fuzz_url, sizeof(fuzz_url), "sqlite:%s", fuzz_db);
		unlink(fuzz_db);
		if (inv_open(&fuzz_inv, fuzz_db, 0, err, sizeof(err)) != 0)
			abort();
		atexit(fuzz_cleanup);
	}
	if (size == 0)
		return 0;
	nl = memchr(data + 1, '\n', size - 1);
	if (nl != NULL) {
		qlen = (size_t)(nl - (const char *)data - 1);
		query = strndup((const char *)data + 1, qlen);
		if (query == NULL)
			return 0;
	}
	api_handle(fuzz_inv, fuzz_url, NULL, methods[data[0] % 6], paths[(data[0] / 6) % 12], query,
		   (const char *)data + 1 + (nl != NULL ? qlen + 1 : 0),
		   size - 1 - (nl != NULL ? qlen + 1 : 0), &r);
	if (r.status < 200 || r.status > 599)
		abort();
	if (r.status != 204 && r.ctype != NULL && strcmp(r.ctype, "application/json") == 0) {
		json_object *o = json_tokener_parse(r.body);

		if (o == NULL)
			abort();
		json_object_put(o);
	}
	api_res_fini(&r);
	free(query);
	return 0;
}
