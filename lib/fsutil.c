#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum prov_err
fsync_dir(const char *dir, struct diag *d)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return diag_set(d, PROV_E_IO, 0, 0, "%s: %s", dir, strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;

		close(fd);
		return diag_set(d, PROV_E_IO, 0, 0, "%s: fsync: %s", dir, strerror(e));
	}
	close(fd);
	return PROV_OK;
}

enum prov_err
fsutil_write_atomic(const char *dir, const char *name, const void *data,
		    size_t len, mode_t mode, struct diag *d)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *p = data;
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return diag_set(d, PROV_E_INVAL, 0, 0, "%s/%s: path too long", dir, name);
	n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", dir, name, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return diag_set(d, PROV_E_INVAL, 0, 0, "%s/%s: path too long", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) /* name the file the user asked for, not our temporary */
		return diag_set(d, PROV_E_IO, 0, 0, "%s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return fsync_dir(dir, d);
fail:
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return diag_set(d, PROV_E_IO, 0, 0, "%s: %s", path, strerror(e));
	}
}

enum prov_err
fsutil_read(const char *path, struct buf *out, struct diag *d)
{
	char chunk[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum prov_err rc = PROV_OK;

	if (fd < 0)
		return diag_set(d, PROV_E_IO, 0, 0, "%s: %s", path, strerror(errno));
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = diag_set(d, PROV_E_IO, 0, 0, "%s: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		rc = buf_add(out, chunk, (size_t)r);
		if (rc == PROV_E_TOOBIG) {
			diag_set(d, rc, 0, 0, "%s: larger than %zu bytes", path, out->max);
			break;
		}
		if (rc != PROV_OK) {
			diag_set(d, rc, 0, 0, "%s: out of memory", path);
			break;
		}
	}
	close(fd);
	return rc;
}

enum prov_err
fsutil_mkdir(const char *path, struct diag *d)
{
	char parent[PATH_MAX];
	char *slash;

	if (mkdir(path, 0700) != 0) {
		if (errno == EEXIST)
			return PROV_OK;
		return diag_set(d, PROV_E_IO, 0, 0, "%s: %s", path, strerror(errno));
	}
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		return fsync_dir(".", d);
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return fsync_dir(parent, d);
}

int
fsutil_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

enum prov_err
prov_file_write(const char *path, const void *data, size_t len, unsigned mode,
		char *msg, size_t msglen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *name;
	struct diag d;
	enum prov_err rc;

	diag_init(&d);
	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		name = path;
	} else if ((size_t)(slash - path) >= sizeof(dir)) {
		rc = diag_set(&d, PROV_E_INVAL, 0, 0, "%s: path too long", path);
		goto out;
	} else {
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
		name = slash + 1;
	}
	if (*name == '\0') {
		rc = diag_set(&d, PROV_E_INVAL, 0, 0, "%s: not a file name", path);
		goto out;
	}
	rc = fsutil_write_atomic(dir, name, data, len, (mode_t)mode, &d);
out:
	if (msg != NULL && msglen > 0) {
		if (rc != PROV_OK)
			diag_format(&d, NULL, msg, msglen);
		else
			msg[0] = '\0';
	}
	return rc;
}
