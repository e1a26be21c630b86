/*
 * store_int: what store.c (schema, the writer thread, queueing) and
 * store_query.c (queries, attribution lookups) share. Not for use outside
 * server/store*.c: store.h is the API. All of it is pure or works on the
 * caller's own connection, so it is safe from any thread.
 */
#ifndef PROV_SERVER_STORE_INT_H
#define PROV_SERVER_STORE_INT_H

#include "db.h"
#include <stddef.h>

/* The schema version this build writes and reads (PRAGMA user_version):
 * the number of store.c's migrations. */

/* "sqlite:PATH" or a bare PATH into the file name (borrowed from url),
 * a PostgreSQL URL without its password (for messages; valid until the
 * thread's next call); NULL for what is not a database URL. */
const char *store_url_path(const char *url);
/* Puts why url is not usable into err; returns -1. */
int store_url_err(const char *url, char *err, size_t errlen);

#endif
