#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->fixed = 0;
}

void
buf_init_fixed(struct buf *b, char *storage, size_t size)
{
	b->p = storage;
	b->len = 0;
	b->alloc = size;
	b->max = size - 1;
	b->fixed = 1;
	storage[0] = '\0';
}

void
buf_free(struct buf *b)
{
	if (b->fixed) {
		buf_reset(b);
		return;
	}
	free(b->p);
	buf_init(b, b->max);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* Makes room for n more bytes plus the NUL. */
static enum prov_err
buf_grow(struct buf *b, size_t n)
{
	size_t need, nalloc;
	char *np;

	if (n > b->max || b->len > b->max - n)
		return PROV_E_TOOBIG;
	need = b->len + n + 1;
	if (need <= b->alloc)
		return PROV_OK;
	if (b->fixed)
		return PROV_E_TOOBIG; /* not reached: max + 1 == alloc */
	nalloc = b->alloc ? b->alloc : 64;
	while (nalloc < need)
		nalloc *= 2;
	if (nalloc > b->max + 1)
		nalloc = b->max + 1;
	np = realloc(b->p, nalloc);
	if (np == NULL)
		return PROV_E_NOMEM;
	b->p = np;
	b->alloc = nalloc;
	return PROV_OK;
}

enum prov_err
buf_reserve(struct buf *b, size_t n)
{
	return buf_grow(b, n);
}

void
buf_commit(struct buf *b, size_t n)
{
	b->len += n;
	b->p[b->len] = '\0';
}

enum prov_err
buf_add(struct buf *b, const void *p, size_t n)
{
	enum prov_err rc = buf_grow(b, n);

	if (rc != PROV_OK)
		return rc;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return PROV_OK;
}

enum prov_err
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

enum prov_err
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

enum prov_err
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	enum prov_err rc;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return PROV_E_INVAL;
	rc = buf_grow(b, (size_t)n);
	if (rc != PROV_OK)
		return rc;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return PROV_OK;
}

enum prov_err
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum prov_err rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
buf_str(const struct buf *b)
{
	return b->p != NULL ? b->p : "";
}

char *
buf_take(struct buf *b)
{
	char *p = b->p;

	if (b->fixed) {
		p = strdup(b->p);
		buf_reset(b);
		return p;
	}
	if (p == NULL)
		p = strdup("");
	buf_init(b, b->max);
	return p;
}
