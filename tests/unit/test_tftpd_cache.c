/*
 * Tests of tftpd's small-file cache (server/tftpd_cache.c): hits, a
 * changed file never served from its old entry, the settle time, the
 * bounds in bytes and entries, entries still read after they left the
 * table. The clock is the now_s argument, so nothing waits.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tftpd_int.h"

static char dir[64];

/* Writes name with size bytes of value c, its mtime set to mtime_s (the
 * ctime is the kernel's now). Returns its path in a static buffer. */
static const char *
put_file(const char *name, size_t size, int c, time_t mtime_s)
{
	static char path[128];
	struct timespec ts[2] = { { mtime_s, 0 }, { mtime_s, 0 } };
	uint8_t *buf = malloc(size + 1);
	int fd;

	assert_non_null(buf);
	memset(buf, c, size);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	assert_int_equal(futimens(fd, ts), 0);
	assert_int_equal(close(fd), 0);
	free(buf);
	return path;
}

/* Opens name and fstats it, as tftpd does after root_open. */
static int
open_file(const char *name, struct stat *st)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, st), 0);
	return fd;
}

/* get() on name: the entry or NULL; the fd is closed. */
static struct tftpd_centry *
get(struct tftpd_cache *c, const char *name, int64_t now_s)
{
	struct stat st;
	int fd = open_file(name, &st);
	struct tftpd_centry *e = tftpd_cache_get(c, name, strlen(name), fd, &st, now_s);

	close(fd);
	return e;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_tftpd_cache.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A second get of an unchanged file is a hit on the same bytes. */
static void
hit_and_bytes(void **state)
{
	struct tftpd_cache c;
	struct tftpd_centry *a, *b;
	time_t now = time(NULL) + 100;

	(void)state;
	tftpd_cache_init(&c, 1 << 20, 1 << 16, 2);
	put_file("a", 4096, 'a', now - 50);
	a = get(&c, "a", now);
	assert_non_null(a);
	assert_int_equal(a->size, 4096);
	assert_int_equal(a->data[0], 'a');
	assert_int_equal(a->data[4095], 'a');
	b = get(&c, "a", now);
	assert_ptr_equal(a, b);
	assert_int_equal(c.hits, 1);
	assert_int_equal(c.misses, 1);
	assert_int_equal(c.bytes, 4096);
	tftpd_cache_put(&c, a);
	tftpd_cache_put(&c, b);
	tftpd_cache_fini(&c);
	assert_int_equal(c.bytes, 0);
}

/* A rewrite (same size, new bytes) changes the ctime, so the old entry is
 * never served again; the new bytes are read. */
static void
change_is_seen(void **state)
{
	struct tftpd_cache c;
	struct tftpd_centry *a, *b;
	time_t now = time(NULL) + 100;

	(void)state;
	tftpd_cache_init(&c, 1 << 20, 1 << 16, 2);
	put_file("f", 1000, '1', now - 50);
	a = get(&c, "f", now);
	assert_non_null(a);
	assert_int_equal(a->data[0], '1');
	tftpd_cache_put(&c, a);
	/* the same mtime as before: only the ctime (and the bytes) differ */
	usleep(20000);
	put_file("f", 1000, '2', now - 50);
	b = get(&c, "f", now);
	assert_non_null(b);
	assert_int_equal(b->data[0], '2');
	assert_int_equal(b->data[999], '2');
	assert_int_equal(c.hits, 0);
	assert_int_equal(c.bytes, 1000); /* the old entry is gone */
	tftpd_cache_put(&c, b);
	tftpd_cache_fini(&c);
}

/* An entry a transfer still reads stays whole after the file changes,
 * and is freed with its last reference. */
static void
old_entry_kept_while_read(void **state)
{
	struct tftpd_cache c;
	struct tftpd_centry *a, *b;
	time_t now = time(NULL) + 100;

	(void)state;
	tftpd_cache_init(&c, 1 << 20, 1 << 16, 2);
	put_file("g", 3000, 'o', now - 50);
	a = get(&c, "g", now);
	assert_non_null(a);
	usleep(20000);
	put_file("g", 2000, 'n', now - 40);
	b = get(&c, "g", now);
	assert_non_null(b);
	assert_true(a != b);
	assert_int_equal(a->data[2999], 'o'); /* still readable */
	assert_int_equal(a->linked, 0);
	assert_int_equal(c.bytes, 5000);
	tftpd_cache_put(&c, a);
	assert_int_equal(c.bytes, 2000);
	tftpd_cache_put(&c, b);
	tftpd_cache_fini(&c);
	assert_int_equal(c.bytes, 0);
}

/* Modified within the settle time, or too big: not cached. */
static void
settle_and_size(void **state)
{
	struct tftpd_cache c;
	struct tftpd_centry *e;
	time_t now = time(NULL);

	(void)state;
	tftpd_cache_init(&c, 1 << 20, 4096, 2);
	put_file("new", 100, 'n', now);
	assert_null(get(&c, "new", now)); /* ctime and mtime are now */
	assert_null(get(&c, "new", now + 1));
	put_file("big", 4097, 'b', now - 50);
	assert_null(get(&c, "big", now + 100));
	put_file("edge", 4096, 'e', now - 50);
	e = get(&c, "edge", now + 100);
	assert_non_null(e);
	tftpd_cache_put(&c, e);
	tftpd_cache_fini(&c);
}

/* The byte bound: entries read by a transfer are never evicted, so a file
 * that does not fit beside them is not cached; unread ones make room,
 * least recently used first. */
static void
bytes_bound(void **state)
{
	struct tftpd_cache c;
	struct tftpd_centry *a, *b, *d;
	time_t now = time(NULL) + 100;

	(void)state;
	tftpd_cache_init(&c, 10000, 8000, 2);
	put_file("a", 6000, 'a', now - 50);
	put_file("b", 6000, 'b', now - 50);
	put_file("d", 3000, 'd', now - 50);
	a = get(&c, "a", now);
	assert_non_null(a);
	assert_null(get(&c, "b", now)); /* a is being read */
	tftpd_cache_put(&c, a);
	b = get(&c, "b", now);         /* a, unread, is evicted */
	assert_non_null(b);
	assert_int_equal(c.bytes, 6000);
	d = get(&c, "d", now);
	assert_non_null(d);
	assert_int_equal(c.bytes, 9000);
	tftpd_cache_put(&c, b);
	tftpd_cache_put(&c, d);
	a = get(&c, "a", now);         /* b is the least recently used */
	assert_non_null(a);
	assert_int_equal(c.bytes, 9000);
	assert_int_equal(a->data[5999], 'a');
	tftpd_cache_put(&c, a);
	tftpd_cache_fini(&c);
	assert_int_equal(c.bytes, 0);
}

/* The entry bound: TFTPD_CACHE_ENTRIES files at most. */
static void
entries_bound(void **state)
{
	struct tftpd_cache c;
	struct tftpd_centry *held[TFTPD_CACHE_ENTRIES], *m;
	time_t now = time(NULL) + 100;
	char name[16];

	(void)state;
	tftpd_cache_init(&c, 1 << 20, 4096, 2);
	for (unsigned i = 0; i < TFTPD_CACHE_ENTRIES; i++) {
		snprintf(name, sizeof(name), "e%u", i);
		put_file(name, 10, 'e', now - 50);
		held[i] = get(&c, name, now);
		assert_non_null(held[i]);
	}
	put_file("one-more", 10, 'm', now - 50);
	assert_null(get(&c, "one-more", now));
	tftpd_cache_put(&c, held[0]);
	m = get(&c, "one-more", now);
	assert_non_null(m);
	tftpd_cache_put(&c, m);
	for (unsigned i = 1; i < TFTPD_CACHE_ENTRIES; i++)
		tftpd_cache_put(&c, held[i]);
	tftpd_cache_fini(&c);
	assert_int_equal(c.bytes, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hit_and_bytes),
		cmocka_unit_test(change_is_seen),
		cmocka_unit_test(old_entry_kept_while_read),
		cmocka_unit_test(settle_and_size),
		cmocka_unit_test(bytes_bound),
		cmocka_unit_test(entries_bound),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
