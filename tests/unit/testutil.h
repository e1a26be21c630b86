/*
 * testutil: fixtures the unit tests share, in one place: a device
 * identity and a scratch directory. Header-only (static inline), so each
 * test executable takes what it uses; include after <cmocka.h>.
 */
#ifndef PROV_TESTUTIL_H
#define PROV_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prov/prov.h"

/* A CP-8841 with a MAC in mixed case and separators (it is normalised),
 * a serial and a firmware version ($VERSION 11.3.1). */
static const struct prov_identity test_ident = {
	.mac = "00:0e:08:AB:cd:ef", .serial = "88012BA01234", .product = "CP-8841-3PCC",
	.psn = NULL, .swver = "sip88xx.11-3-1MPP-123", .hwver = NULL,
};

/* A fresh directory under /tmp; the caller frees the name and removes it
 * with test_rmtree. */
static inline char *
test_tmpdir(void)
{
	char tmpl[] = "/tmp/prov-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	d = strdup(d);
	assert_non_null(d);
	return d;
}

static inline void
test_rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

#endif
