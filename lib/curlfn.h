/*
 * curlfn: libcurl, loaded on first use (dlopen) instead of linked.
 *
 * Why: libcurl brings about 28 shared libraries (nghttp2, ssh2, ldap,
 * gssapi, rtmp, psl, ...) that the dynamic loader maps and relocates at
 * every start of every program linking libprov, 2-3 ms on a 2-core VM:
 * more than `prov unpack` of a 40 KB profile spends decoding it. Only
 * fetches need libcurl, so the codec-only commands (pack, unpack, lint,
 * expand, eval, ...) and `prov serve` never load it; the first
 * fetch_net_new does (fetch.c), for the CLI and for an embedder of
 * libprov alike (docs/ARCHITECTURE.md, "libcurl on first use").
 *
 * fetch.c keeps calling curl_* by their names: after this header they
 * are the entries of one table, filled by curlfn_load from the library
 * named PROV_LIBCURL_SONAME (CMake; "libcurl.so.4", the soname since
 * 7.16). The headers are still those of the libcurl the tree is built
 * against, and fetch_int.h's version check still holds; curlfn_load also
 * checks the loaded library's version against that minimum. A call not
 * in the table does not link (libprov does not link libcurl), so a new
 * one cannot slip through unloaded.
 *
 * Threading: curlfn_load runs under fetch.c's pthread_once; the table is
 * written once, before any fetch_net exists, and only read after.
 */
#ifndef PROV_CURLFN_H
#define PROV_CURLFN_H

#include <curl/curl.h>
#include <stddef.h>

struct curlfn {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_version_info) *version_info;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_setopt) *multi_setopt;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_socket_action) *multi_socket_action;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

extern struct curlfn curlfn;

/* Loads libcurl and fills curlfn, then runs curl_global_init. Once per
 * process (the caller's pthread_once). CURLE_OK, or CURLE_FAILED_INIT
 * with why (the loader's words, a missing symbol, a too old library) in
 * curlfn_error(). */
CURLcode curlfn_load(void);
/* The same from the library soname (tests: a missing one, one that is not
 * libcurl). */
CURLcode curlfn_load_from(const char *soname);
/* Why curlfn_load failed; "" if it did not. */
const char *curlfn_error(void);

#ifndef CURLFN_IMPL
/* curl/typecheck-gcc.h makes these macros; the table has no type checks. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init (*curlfn.global_init)
#define curl_version_info (*curlfn.version_info)
#define curl_easy_init (*curlfn.easy_init)
#define curl_easy_setopt (*curlfn.easy_setopt)
#define curl_easy_getinfo (*curlfn.easy_getinfo)
#define curl_easy_cleanup (*curlfn.easy_cleanup)
#define curl_easy_strerror (*curlfn.easy_strerror)
#define curl_multi_init (*curlfn.multi_init)
#define curl_multi_setopt (*curlfn.multi_setopt)
#define curl_multi_add_handle (*curlfn.multi_add_handle)
#define curl_multi_remove_handle (*curlfn.multi_remove_handle)
#define curl_multi_socket_action (*curlfn.multi_socket_action)
#define curl_multi_info_read (*curlfn.multi_info_read)
#define curl_multi_cleanup (*curlfn.multi_cleanup)
#define curl_slist_append (*curlfn.slist_append)
#define curl_slist_free_all (*curlfn.slist_free_all)
#endif

#endif
