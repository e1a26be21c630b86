/*
 * fsutil: crash-safe file writes and bounded file reads.
 * device.md D-PER-1.
 *
 * fsutil_write_atomic replaces a file so that a crash at any instant leaves
 * the old content or the new, never a mix and never an empty file: write a
 * temporary file in the same directory, fsync it, rename it over the
 * target, fsync the directory.
 */
#ifndef PROV_FSUTIL_H
#define PROV_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>
#include "buf.h"
#include "diag.h"

/* Writes data[0..len) to DIR/NAME atomically with permissions mode. */
enum prov_err fsutil_write_atomic(const char *dir, const char *name,
				  const void *data, size_t len, mode_t mode,
				  struct diag *d) PROV_WUR;

/* Reads PATH into out (whose cap bounds the size): PROV_E_TOOBIG when the
 * file is larger, PROV_E_IO when it cannot be read. */
enum prov_err fsutil_read(const char *path, struct buf *out, struct diag *d) PROV_WUR;

/* Creates directory PATH (mode 0700) if missing; fsyncs its parent when it
 * was created. */
enum prov_err fsutil_mkdir(const char *path, struct diag *d) PROV_WUR;

/* Nonzero if PATH exists. */
int fsutil_exists(const char *path);

#endif
