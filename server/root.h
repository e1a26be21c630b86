/*
 * root: the served tree (S-SRV-1), confined by the kernel. Every open goes
 * through openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS relative
 * to the root directory's fd, so "..", absolute symlinks and symlinks that
 * lead out are refused by the kernel, not by string checks. The string
 * checks done here are the ones the kernel cannot do: NUL bytes inside
 * the name, over-long names, empty names.
 *
 * Thread-safe: only the caller's fds are used.
 */
#ifndef PROV_SERVER_ROOT_H
#define PROV_SERVER_ROOT_H

#include <stddef.h>
#include <sys/stat.h>

#define ROOT_PATH_MAX 1024u /* longest request path accepted, after decoding */

/* Opens the root directory (O_PATH | O_DIRECTORY). Returns an fd or -errno. */
int root_dir_open(const char *dir);

/* Whether root_fd (opened from dir) is still the tree named dir: NULL
 * when it is, else a short reason for /healthz ("root missing" when dir
 * does not name a directory, "root replaced ..." when it names another one,
 * as after a symlink deploy or a recreated tree, until a reload reopens
 * it). The reason is a string constant. */
const char *root_health(int root_fd, const char *dir);

/* Opens path (len bytes as received after any URL decoding; leading '/'
 * characters are dropped: every request path is relative to the root)
 * beneath root_fd, read-only, and fstat()s it into st. Only regular files
 * are served. Returns an fd (O_RDONLY | O_CLOEXEC | O_NONBLOCK), or:
 *   -EINVAL  empty name, NUL byte, longer than ROOT_PATH_MAX
 *   -ENOENT  no such file (also for a directory component missing)
 *   -EXDEV   the path escapes the root ("..", absolute symlink, ...)
 *   -EISDIR  a directory or any other non-regular file
 *   -EACCES  not readable
 *   -ELOOP   too many symlinks
 * and other -errno from the kernel. */
int root_open(int root_fd, const char *path, size_t len, struct stat *st);

/* Creates a new upload beneath dir_fd (the configured upload directory),
 * for PUT/POST/WRQ of device reports: writes go to a temporary file that
 * root_upload_commit renames over name atomically. Returns an fd and sets
 * *tmpname (a static-size buffer of ROOT_PATH_MAX bytes the caller gives),
 * or -errno as root_open. Names with a '/' are refused (-EINVAL): uploads
 * are flat. */
int root_upload_open(int dir_fd, const char *name, size_t len, char *tmpname);
/* fsyncs fd, closes it and renames tmpname to name. Returns 0 or -errno;
 * on failure the temporary file is removed. */
int root_upload_commit(int dir_fd, int fd, const char *tmpname, const char *name);
/* Closes fd and removes tmpname (an aborted upload). */
void root_upload_abort(int dir_fd, int fd, const char *tmpname);

/* A short reason for a root_* error, for logs ("outside the root"). */
const char *root_strerror(int neg_errno);

#endif
