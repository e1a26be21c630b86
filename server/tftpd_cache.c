/*
 * tftpd_cache: the worker's cache of small files for octet RRQs
 * (tftpd_int.h; issue 17, bench/README.md "TFTP: ...").
 *
 * A boot storm fetches the same few files (firmware manifests, common
 * profiles) thousands of times. Every request still opens its file through
 * root_open (the kernel's RESOLVE_BENEATH confinement and every refusal
 * stay exactly as they were); what the cache saves is reading the bytes:
 * a hit serves them from memory, and the file is closed at once.
 *
 * An entry is keyed by the request's name and the file's identity as the
 * fstat of that open gives it: device, inode, size, mtime and ctime. Any
 * write, truncation, chmod, link or rename of the file changes its ctime
 * (and a write its mtime), so a changed file never matches its old entry:
 * the old one leaves the table and is freed when the last transfer reading
 * it ends, and the new bytes are read. A file modified within the last
 * settle_s seconds is served from its fd and not cached, because a write
 * inside the same timestamp tick as the fstat would leave the identity
 * unchanged (git's "racily clean" problem). Only regular files up to
 * max_file bytes are cached, and the bytes of all entries alive, in the
 * table or still read by a transfer after leaving it, stay within
 * max_bytes; least recently used entries not being read make room.
 *
 * One cache per worker, used on its loop thread only: no locks.
 */
#define _GNU_SOURCE /* struct mmsghdr in tftpd_int.h */
#include "tftpd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
tftpd_cache_init(struct tftpd_cache *c, size_t max_bytes, size_t max_file, int settle_s)
{
	memset(c, 0, sizeof(*c));
	c->max_bytes = max_bytes;
	c->max_file = max_file;
	c->settle_s = settle_s;
}

static void
tftpd_cache_free_entry(struct tftpd_cache *c, struct tftpd_centry *e)
{
	c->bytes -= (size_t)e->size;
	free(e->data);
	free(e);
}

/* Takes slot i's entry out of the table; freed now unless a transfer
 * still reads it. */
static void
tftpd_cache_unlink(struct tftpd_cache *c, unsigned i)
{
	struct tftpd_centry *e = c->e[i];

	c->e[i] = NULL;
	e->linked = 0;
	if (e->refs == 0)
		tftpd_cache_free_entry(c, e);
}

static int
tftpd_cache_same(const struct tftpd_centry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == (uint64_t)st->st_size &&
	    e->mtim.tv_sec == st->st_mtim.tv_sec && e->mtim.tv_nsec == st->st_mtim.tv_nsec &&
	    e->ctim.tv_sec == st->st_ctim.tv_sec && e->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* Makes room for size more bytes and one entry, evicting least recently
 * used entries no transfer reads. Returns a free slot, or -1. */
static int
tftpd_cache_room(struct tftpd_cache *c, size_t size)
{
	for (;;) {
		int free_slot = -1, victim = -1;

		for (unsigned i = 0; i < TFTPD_CACHE_ENTRIES; i++) {
			if (c->e[i] == NULL) {
				if (free_slot < 0)
					free_slot = (int)i;
			} else if (c->e[i]->refs == 0 &&
				   (victim < 0 || c->e[i]->used < c->e[victim]->used)) {
				victim = (int)i;
			}
		}
		if (free_slot >= 0 && c->bytes + size <= c->max_bytes)
			return free_slot;
		if (victim < 0)
			return -1;
		tftpd_cache_unlink(c, (unsigned)victim);
	}
}

/* Reads the whole file into a new entry for slot i. Returns it, or NULL. */
static struct tftpd_centry *
tftpd_cache_fill(struct tftpd_cache *c, unsigned i, const char *path, size_t pathlen, int fd,
		 const struct stat *st)
{
	struct tftpd_centry *e = calloc(1, sizeof(*e));
	size_t size = (size_t)st->st_size, got = 0;

	if (e == NULL || (e->data = malloc(size > 0 ? size : 1)) == NULL) {
		free(e);
		return NULL;
	}
	while (got < size) {
		ssize_t r = pread(fd, e->data + got, size - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != size) {
		/* shorter than its fstat said: changing under us, not cached */
		free(e->data);
		free(e);
		return NULL;
	}
	memcpy(e->path, path, pathlen);
	e->pathlen = pathlen;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = size;
	e->mtim = st->st_mtim;
	e->ctim = st->st_ctim;
	e->linked = 1;
	c->e[i] = e;
	c->bytes += size;
	return e;
}

struct tftpd_centry *
tftpd_cache_get(struct tftpd_cache *c, const char *path, size_t pathlen, int fd,
		const struct stat *st, int64_t now_s)
{
	struct tftpd_centry *e = NULL;
	int slot;

	if (!S_ISREG(st->st_mode) || pathlen >= sizeof(e->path))
		return NULL;
	for (unsigned i = 0; i < TFTPD_CACHE_ENTRIES; i++) {
		struct tftpd_centry *x = c->e[i];

		if (x == NULL || x->pathlen != pathlen || memcmp(x->path, path, pathlen) != 0)
			continue;
		if (tftpd_cache_same(x, st)) {
			e = x;
			break;
		}
		/* The name now opens another file, or this one changed. */
		tftpd_cache_unlink(c, i);
	}
	if (e == NULL) {
		c->misses++;
		if ((uint64_t)st->st_size > c->max_file ||
		    st->st_mtim.tv_sec > now_s - c->settle_s || st->st_ctim.tv_sec > now_s - c->settle_s)
			return NULL;
		slot = tftpd_cache_room(c, (size_t)st->st_size);
		if (slot < 0 ||
		    (e = tftpd_cache_fill(c, (unsigned)slot, path, pathlen, fd, st)) == NULL)
			return NULL;
	} else {
		c->hits++;
	}
	e->refs++;
	e->used = ++c->tick;
	return e;
}

void
tftpd_cache_put(struct tftpd_cache *c, struct tftpd_centry *e)
{
	if (e == NULL)
		return;
	e->refs--;
	if (e->refs == 0 && !e->linked)
		tftpd_cache_free_entry(c, e);
}

void
tftpd_cache_fini(struct tftpd_cache *c)
{
	for (unsigned i = 0; i < TFTPD_CACHE_ENTRIES; i++)
		if (c->e[i] != NULL)
			tftpd_cache_unlink(c, i);
}
