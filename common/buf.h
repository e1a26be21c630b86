/*
 * buf: a growable byte buffer with a hard cap (curl's dynbuf).
 *
 * The contents are always NUL-terminated (the NUL is not counted in len).
 * Appending past max fails with PROV_E_TOOBIG and leaves the buffer as it
 * was. A struct buf is caller storage: buf_init, then buf_free (which is
 * safe on an initialised, empty buffer). buf_take hands the bytes over.
 *
 * Fixed mode (buf_init_fixed) writes into the caller's storage instead and
 * never allocates: the cap is that storage less its NUL, and buf_free only
 * empties it. For answers built in place (a SIP response, /metrics).
 */
#ifndef PROV_BUF_H
#define PROV_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "prov/prov.h"

struct buf {
	char *p;      /* NULL until the first append */
	size_t len;   /* bytes used, excluding the NUL */
	size_t alloc; /* bytes allocated */
	size_t max;   /* largest len allowed */
	int fixed;    /* p is the caller's storage of alloc bytes: never realloc'd or freed */
};

void buf_init(struct buf *b, size_t max);
/* Over the caller's storage of size bytes (size >= 1), which must outlive
 * b; holds size - 1 bytes and the NUL. */
void buf_init_fixed(struct buf *b, char *storage, size_t size);
void buf_free(struct buf *b);
/* Empties without freeing. */
void buf_reset(struct buf *b);
enum prov_err buf_add(struct buf *b, const void *p, size_t n) PROV_WUR;
enum prov_err buf_addc(struct buf *b, char c) PROV_WUR;
enum prov_err buf_adds(struct buf *b, const char *s) PROV_WUR;
enum prov_err buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3))) PROV_WUR;
enum prov_err buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0))) PROV_WUR;
/* Direct writes: reserve makes room for n more bytes (within max), the
 * caller writes at p + len, and commit adds the n' <= n bytes written (and
 * the NUL). For zlib and OpenSSL, which write into caller memory. */
enum prov_err buf_reserve(struct buf *b, size_t n) PROV_WUR;
void buf_commit(struct buf *b, size_t n);
/* The contents ("" when empty); borrowed until the next change. */
const char *buf_str(const struct buf *b);
/* Hands the contents over (a fresh "" if empty; a copy in fixed mode); the
 * buffer is left empty. Returns NULL only when out of memory. */
char *buf_take(struct buf *b);

#endif
