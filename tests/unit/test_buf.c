/*
 * Unit tests of buf (capped growable buffer) and diag (error detail).
 * STYLE.md: "every growable buffer has a cap given at init".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"

static void
buf_appends_and_terminates(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 1000);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_adds(&b, "abc"), PROV_OK);
	assert_int_equal(buf_addc(&b, '-'), PROV_OK);
	assert_int_equal(buf_addf(&b, "%d/%s", 42, "x"), PROV_OK);
	assert_int_equal(buf_add(&b, "\0z", 2), PROV_OK);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.p, "abc-42/x\0z", 10);
	assert_int_equal(b.p[b.len], '\0');
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_adds(&b, "kept"), PROV_OK);
	s = buf_take(&b);
	assert_string_equal(s, "kept");
	assert_null(b.p);
	free(s);
	s = buf_take(&b); /* empty: a fresh "" */
	assert_string_equal(s, "");
	free(s);
	buf_free(&b);
}

/* The cap holds exactly, for every way of appending, and a refused append
 * leaves the buffer as it was. */
static void
buf_cap_is_exact(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), PROV_OK);
	assert_int_equal(buf_addc(&b, '9'), PROV_E_TOOBIG);
	assert_int_equal(buf_adds(&b, ""), PROV_OK);
	assert_string_equal(buf_str(&b), "12345678");
	buf_reset(&b);
	assert_int_equal(buf_addf(&b, "%s", "123456789"), PROV_E_TOOBIG);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_add(&b, "x", (size_t)-1), PROV_E_TOOBIG);
	assert_true(b.alloc <= 9);
	buf_free(&b);
	buf_init(&b, 0);
	assert_int_equal(buf_addc(&b, 'x'), PROV_E_TOOBIG);
	buf_free(&b);
}

/* Fixed mode: the caller's storage, its size less the NUL, never a
 * reallocation; buf_free empties it and buf_take copies. */
static void
buf_fixed_stays_in_place(void **state)
{
	char store[8], *t;
	struct buf b;

	(void)state;
	buf_init_fixed(&b, store, sizeof(store));
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_addf(&b, "%s", "1234567"), PROV_OK);
	assert_ptr_equal(b.p, store);
	assert_int_equal(buf_addc(&b, '8'), PROV_E_TOOBIG);
	assert_int_equal(buf_reserve(&b, 1), PROV_E_TOOBIG);
	assert_string_equal(store, "1234567");
	t = buf_take(&b);
	assert_non_null(t);
	assert_string_equal(t, "1234567");
	assert_true(t != store);
	free(t);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.p, store);
	assert_int_equal(buf_adds(&b, "ab"), PROV_OK);
	buf_free(&b);
	assert_ptr_equal(b.p, store);
	assert_int_equal(b.len, 0);
	assert_string_equal(store, "");
}

static void
buf_grows_past_first_chunk(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1u << 20);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_addc(&b, (char)('a' + i % 26)), PROV_OK);
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.p[9999], 'a' + 9999 % 26);
	buf_free(&b);
}

static void
diag_formats_place(void **state)
{
	struct diag d;
	char out[128];

	(void)state;
	diag_init(&d);
	assert_int_equal(diag_set(&d, PROV_E_SYNTAX, 3, 7, "mismatched %s", "tag"), PROV_E_SYNTAX);
	diag_format(&d, "profile.xml", out, sizeof(out));
	assert_string_equal(out, "profile.xml:3:7: mismatched tag");
	d.col = 0;
	diag_format(&d, "profile.xml", out, sizeof(out));
	assert_string_equal(out, "profile.xml:3: mismatched tag");
	d.line = 0;
	diag_format(&d, "profile.xml", out, sizeof(out));
	assert_string_equal(out, "profile.xml: mismatched tag");
	diag_format(&d, NULL, out, sizeof(out));
	assert_string_equal(out, "mismatched tag");
	diag_format(&d, "x", out, 4);
	assert_string_equal(out, "x: ");
	assert_int_equal(diag_set(NULL, PROV_E_IO, 1, 1, "dropped"), PROV_E_IO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_appends_and_terminates),
		cmocka_unit_test(buf_cap_is_exact),
		cmocka_unit_test(buf_grows_past_first_chunk),
		cmocka_unit_test(buf_fixed_stays_in_place),
		cmocka_unit_test(diag_formats_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
