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
#define MEM_PHONE_MAX 8192    /* a device with its booted engine, between resyncs */

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

static void
no_watch(void *arg, int fd, unsigned events)
{
	(void)arg;
	(void)fd;
	(void)events;
}

static void
no_timer(void *arg, long ms)
{
	(void)arg;
	(void)ms;
}

/* A simulated phone (`prov fleet`): a device and its booted engine cost a
 * few KB between resyncs, what a rule or an upgrade run needs (a parsed
 * URL, status values: tens of KB) being held only while it runs. */
static void
phone_with_engine_is_small(void **state)
{
	static const struct prov_net_ops ops = { no_watch, no_timer };
	struct prov_net *net;
	struct prov_device *dev;
	struct prov_engine *eng;
	long before, cost;

	(void)state;
	assert_int_equal(prov_net_new(&ops, NULL, &net), PROV_OK);
	dev = newdev(NULL);
	assert_int_equal(prov_engine_new(dev, net, NULL, &eng), PROV_OK);
	prov_engine_boot(eng); /* first-use allocations, not the phone's */
	prov_engine_free(eng);
	prov_device_free(dev);
	before = live;
	dev = newdev(NULL);
	assert_int_equal(prov_device_set(dev, "Profile_Rule", "http://192.0.2.1/$MA.xml", 0),
			 PROV_OK);
	assert_int_equal(prov_engine_new(dev, net, NULL, &eng), PROV_OK);
	prov_engine_boot(eng);
	cost = live - before;
	print_message("device and booted engine: %ld bytes\n", cost);
	assert_true(cost > 0);
	assert_true(cost <= MEM_PHONE_MAX);
	assert_true((unsigned long)cost * MEM_FLEET <= MEM_FLEET_MAX);
	prov_engine_free(eng);
	prov_device_free(dev);
	assert_int_equal(live, before);
	prov_net_free(net);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_device_is_small),
		cmocka_unit_test(set_values_cost_their_size),
		cmocka_unit_test(phone_with_engine_is_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
