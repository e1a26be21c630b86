/*
 * Unit tests of curlfn: libcurl loaded on first use (lib/curlfn.h,
 * docs/ARCHITECTURE.md "libcurl on first use"). What a broken install
 * gets (no library, a library that is not libcurl), and that the real
 * one fills the table that fetch.c calls through. tests/cli/startup.t
 * checks the other side: commands that never fetch never load it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fetch_int.h" /* curlfn.h, FETCH_CURL_MIN */

static void
curlfn_missing_library_says_which(void **state)
{
	(void)state;
	assert_int_equal(curlfn_load_from("libprov-no-such-curl.so.4"), CURLE_FAILED_INIT);
	assert_non_null(strstr(curlfn_error(), "cannot load libprov-no-such-curl.so.4: "));
	assert_null(curlfn.easy_init);
}

static void
curlfn_other_library_names_the_symbol(void **state)
{
	(void)state;
	/* zlib is loaded in every test (libprov links it) and is no libcurl. */
	assert_int_equal(curlfn_load_from("libz.so.1"), CURLE_FAILED_INIT);
	assert_string_equal(curlfn_error(), "libz.so.1: no symbol curl_global_init");
	assert_null(curlfn.global_init);
	assert_null(curlfn.slist_free_all);
}

static void
curlfn_libcurl_fills_the_table(void **state)
{
	const curl_version_info_data *v;
	struct curl_slist *l;
	CURL *e;

	(void)state;
	assert_int_equal(curlfn_load(), CURLE_OK);
	assert_string_equal(curlfn_error(), "");
	v = curl_version_info(CURLVERSION_NOW);
	assert_non_null(v);
	assert_true(v->version_num >= FETCH_CURL_MIN);
	/* Through the table, as fetch.c calls them. */
	e = curl_easy_init();
	assert_non_null(e);
	assert_int_equal(curl_easy_setopt(e, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
	curl_easy_cleanup(e);
	l = curl_slist_append(NULL, "X-A: 1");
	assert_non_null(l);
	assert_string_equal(l->data, "X-A: 1");
	curl_slist_free_all(l);
	assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(curlfn_missing_library_says_which),
		cmocka_unit_test(curlfn_other_library_names_the_symbol),
		cmocka_unit_test(curlfn_libcurl_fills_the_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
