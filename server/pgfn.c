/*
 * pgfn: libpq loaded on first use; see pgfn.h.
 */
#define PGFN_IMPL
#include "pgfn.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct pgfn pgfn;
static char pgfn_why[256];
static int pgfn_rc = -1;
static pthread_once_t pgfn_once = PTHREAD_ONCE_INIT;

static void
pgfn_do_load(void)
{
	const char *why;
	void *lib;

	/* RTLD_LOCAL: libpq's names stay out of the process's namespace.
	 * Never closed. */
	lib = dlopen(PGFN_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		why = dlerror();
		snprintf(pgfn_why, sizeof(pgfn_why), "cannot load %s (PostgreSQL's client"
			 " library, package libpq5): %s", PGFN_SONAME,
			 why != NULL ? why : "unknown error");
		return;
	}
#define PGFN_SYM(name) \
	if ((*(void **)(void *)&pgfn.name = dlsym(lib, #name)) == NULL) { \
		snprintf(pgfn_why, sizeof(pgfn_why), "%s: no symbol %s", PGFN_SONAME, #name); \
		memset(&pgfn, 0, sizeof(pgfn)); \
		return; \
	}
	PGFN_LIST(PGFN_SYM)
#undef PGFN_SYM
	pgfn_rc = 0;
}

int
pgfn_load(void)
{
	pthread_once(&pgfn_once, pgfn_do_load);
	return pgfn_rc;
}

const char *
pgfn_error(void)
{
	return pgfn_why;
}
