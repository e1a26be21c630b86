/*
 * curlfn: libcurl loaded on first use; see curlfn.h.
 */
#define CURLFN_IMPL
#include "curlfn.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "fetch_int.h"

#ifndef PROV_LIBCURL_SONAME
#define PROV_LIBCURL_SONAME "libcurl.so.4"
#endif

struct curlfn curlfn;
static char curlfn_why[256];

/* Each entry of the table, its symbol, and where it goes. */
#define CURLFN_SYM(field, name) { name, (void **)(void *)&curlfn.field }

static const struct {
	const char *name;
	void **slot;
} curlfn_syms[] = {
	CURLFN_SYM(global_init, "curl_global_init"),
	CURLFN_SYM(version_info, "curl_version_info"),
	CURLFN_SYM(easy_init, "curl_easy_init"),
	CURLFN_SYM(easy_setopt, "curl_easy_setopt"),
	CURLFN_SYM(easy_getinfo, "curl_easy_getinfo"),
	CURLFN_SYM(easy_cleanup, "curl_easy_cleanup"),
	CURLFN_SYM(easy_strerror, "curl_easy_strerror"),
	CURLFN_SYM(multi_init, "curl_multi_init"),
	CURLFN_SYM(multi_setopt, "curl_multi_setopt"),
	CURLFN_SYM(multi_add_handle, "curl_multi_add_handle"),
	CURLFN_SYM(multi_remove_handle, "curl_multi_remove_handle"),
	CURLFN_SYM(multi_socket_action, "curl_multi_socket_action"),
	CURLFN_SYM(multi_info_read, "curl_multi_info_read"),
	CURLFN_SYM(multi_cleanup, "curl_multi_cleanup"),
	CURLFN_SYM(slist_append, "curl_slist_append"),
	CURLFN_SYM(slist_free_all, "curl_slist_free_all"),
};

const char *
curlfn_error(void)
{
	return curlfn_why;
}

CURLcode
curlfn_load(void)
{
	return curlfn_load_from(PROV_LIBCURL_SONAME);
}

CURLcode
curlfn_load_from(const char *soname)
{
	const curl_version_info_data *v;
	const char *why;
	void *lib;

	/* RTLD_LOCAL: libcurl's names stay out of the process's namespace.
	 * Never closed: libcurl keeps global state until exit. */
	lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		why = dlerror();
		snprintf(curlfn_why, sizeof(curlfn_why), "cannot load %s: %s",
			 soname, why != NULL ? why : "unknown error");
		return CURLE_FAILED_INIT;
	}
	for (size_t i = 0; i < sizeof(curlfn_syms) / sizeof(curlfn_syms[0]); i++) {
		void *p = dlsym(lib, curlfn_syms[i].name);

		if (p == NULL) {
			snprintf(curlfn_why, sizeof(curlfn_why), "%s: no symbol %s",
				 soname, curlfn_syms[i].name);
			memset(&curlfn, 0, sizeof(curlfn));
			return CURLE_FAILED_INIT;
		}
		*curlfn_syms[i].slot = p;
	}
	v = curlfn.version_info(CURLVERSION_NOW);
	if (v == NULL || v->version_num < FETCH_CURL_MIN) {
		snprintf(curlfn_why, sizeof(curlfn_why), "%s is libcurl %s: 7.87 or later is needed",
			 soname, v != NULL && v->version != NULL ? v->version : "?");
		memset(&curlfn, 0, sizeof(curlfn));
		return CURLE_FAILED_INIT;
	}
	if (curlfn.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curlfn_why, sizeof(curlfn_why), "%s: curl_global_init failed", soname);
		memset(&curlfn, 0, sizeof(curlfn));
		return CURLE_FAILED_INIT;
	}
	curlfn_why[0] = '\0';
	return CURLE_OK;
}
