/*
 * What a device costs in memory: a fleet simulator holds 100,000 devices in
 * 2 GB, so a device must cost what differs from its defaults, not what the
 * catalogue holds (device.h: the set-values table and the unknown names
 * are sparse and allocated on first use).
 *
 * The executable is linked with -Wl,--wrap for malloc, calloc, realloc,
 * strdup and free (tests/CMakeLists.txt): libprov's own allocations are
 * counted in usable bytes (malloc_usable_size, what the allocator really
 * gives); allocations inside shared libraries are not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov/prov.h"

#define MEM_DEFAULT_MAX 4096  /* bytes: a device at its factory defaults */
#define MEM_FLEET 100000      /* devices a fleet simulator holds ... */
#define MEM_FLEET_MAX (2048ul * 1024 * 1024) /* ... in this many bytes */
#define MEM_SET_MAX 4096      /* bytes more for a few set values and unknowns */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
void __wrap_free(void *p);

static long live; /* bytes libprov holds */

static void *
counted(void *p)
{
	if (p != NULL)
		live += (long)malloc_usable_size(p);
	return p;
}

void *
__wrap_malloc(size_t n)
{
	return counted(__real_malloc(n));
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return counted(__real_calloc(n, m));
}

void *
__wrap_realloc(void *p, size_t n)
{
	long old = p != NULL ? (long)malloc_usable_size(p) : 0;
	void *q = __real_realloc(p, n);

	if (q != NULL)
		live += (long)malloc_usable_size(q) - old;
	return q;
}

char *
__wrap_strdup(const char *s)
{
	return counted(__real_strdup(s));
}

void
__wrap_free(void *p)
{
	if (p != NULL)
		live -= (long)malloc_usable_size(p);
	__real_free(p);
}

static struct prov_device *
newdev(const char *product)
{
	struct prov_identity id = { .mac = "000e08abcdef", .product = product };
	enum prov_err err;
	struct prov_device *dev = prov_device_new(&id, &err);

	assert_non_null(dev);
	return dev;
}

/* A device at its defaults costs a few KB, whatever the catalogue holds. */
static void
default_device_is_small(void **state)
{
	struct prov_device *dev;
	long before, cost;

	(void)state;
	prov_device_free(newdev(NULL)); /* builds the shared parameter index */
	assert_true(prov_param_count() > 4000);
	before = live;
	dev = newdev("CP-9861-3PCC");
	cost = live - before;
	print_message("default device: %ld bytes (%zu parameter instances)\n", cost,
		      prov_param_count());
	assert_true(cost > 0);
	assert_true(cost <= MEM_DEFAULT_MAX);
	assert_true((unsigned long)cost * MEM_FLEET <= MEM_FLEET_MAX);
	prov_device_free(dev);
	assert_int_equal(live, before);
}

/* Values and unknown names cost about their size; freeing returns all. */
static void
set_values_cost_their_size(void **state)
{
	static const char xml[] = "<flat-profile><GPP_A>a</GPP_A><User_ID_3_>1003"
				  "</User_ID_3_><Station_Name>desk</Station_Name>"
				  "<No_Such_Param>x</No_Such_Param></flat-profile>";
	struct prov_device *dev;
	struct prov_profile *p;
	struct prov_apply_result r;
	long before, base, cost;

	(void)state;
	prov_device_free(newdev(NULL));
	before = live;
	dev = newdev(NULL);
	base = live - before;
	assert_int_equal(prov_profile_parse("t", xml, sizeof(xml) - 1, 0, &p, NULL, 0),
			 PROV_OK);
	assert_int_equal(prov_device_apply(dev, p, &r, NULL, NULL), PROV_OK);
	prov_profile_free(p);
	assert_int_equal(r.changed, 3);
	assert_int_equal(r.unknown, 1);
	cost = live - before - base;
	print_message("three values and one unknown name: %ld bytes more\n", cost);
	assert_true(cost > 0);
	assert_true(cost <= MEM_SET_MAX);
	prov_device_free(dev);
	assert_int_equal(live, before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_device_is_small),
		cmocka_unit_test(set_values_cost_their_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
