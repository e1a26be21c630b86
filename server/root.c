/*
 * root: the served tree, confined by the kernel (root.h, S-SRV-1).
 */
#define _GNU_SOURCE /* O_PATH */
#include "root.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

int
root_dir_open(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

const char *
root_health(int root_fd, const char *dir)
{
	struct stat open_st, path_st;

	if (stat(dir, &path_st) < 0 || !S_ISDIR(path_st.st_mode))
		return "root missing";
	if (fstat(root_fd, &open_st) < 0 || open_st.st_nlink == 0
	    || open_st.st_dev != path_st.st_dev || open_st.st_ino != path_st.st_ino)
		return "root replaced on disk: reload to serve it";
	return NULL;
}

/* The name the kernel resolves: leading '/' dropped, since every request
 * path is relative to the root. Refuses what the kernel cannot: NUL
 * inside, empty, over-long. */
static int
root_name(const char *path, size_t len, char *name)
{
	while (len > 0 && *path == '/') {
		path++;
		len--;
	}
	if (len == 0 || len > ROOT_PATH_MAX || memchr(path, '\0', len) != NULL)
		return -EINVAL;
	memcpy(name, path, len);
	name[len] = '\0';
	return 0;
}

static int
open_beneath(int dir_fd, const char *name, uint64_t flags, uint64_t mode)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = flags;
	how.mode = mode;
	/* BENEATH: no "..", absolute path or symlink may resolve outside
	 * dir_fd (EXDEV). NO_MAGICLINKS: no /proc/self/fd tricks. */
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	do
		fd = syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd < 0 ? -errno : (int)fd;
}

int
root_open(int root_fd, const char *path, size_t len, struct stat *st)
{
	char name[ROOT_PATH_MAX + 1];
	int rc, fd;

	rc = root_name(path, len, name);
	if (rc < 0)
		return rc;
	fd = open_beneath(root_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd == -ENOTDIR ? -ENOENT : fd;
	if (fstat(fd, st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -EISDIR;
	}
	return fd;
}

int
root_upload_open(int dir_fd, const char *name, size_t len, char *tmpname)
{
	char clean[ROOT_PATH_MAX + 1];
	unsigned char rnd[8];
	int rc, fd;
	size_t i;

	rc = root_name(name, len, clean);
	if (rc < 0)
		return rc;
	if (strchr(clean, '/') != NULL || strcmp(clean, ".") == 0 || strcmp(clean, "..") == 0
	    || clean[0] == '.')
		return -EINVAL;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	i = (size_t)snprintf(tmpname, ROOT_PATH_MAX, ".upload-");
	for (size_t k = 0; k < sizeof(rnd); k++)
		i += (size_t)snprintf(tmpname + i, ROOT_PATH_MAX - i, "%02x", rnd[k]);
	snprintf(tmpname + i, ROOT_PATH_MAX - i, ".tmp");
	fd = open_beneath(dir_fd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			  0640);
	return fd;
}

int
root_upload_commit(int dir_fd, int fd, const char *tmpname, const char *name)
{
	char clean[ROOT_PATH_MAX + 1];
	int rc;

	rc = root_name(name, strlen(name), clean);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	/* The upload directory is flat (root_upload_open refused '/'), so a
	 * plain renameat beneath dir_fd cannot leave it. */
	if (rc == 0 && renameat(dir_fd, tmpname, dir_fd, clean) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(dir_fd, tmpname, 0);
	return rc;
}

void
root_upload_abort(int dir_fd, int fd, const char *tmpname)
{
	close(fd);
	unlinkat(dir_fd, tmpname, 0);
}

const char *
root_strerror(int neg_errno)
{
	switch (-neg_errno) {
	case EINVAL: return "invalid path";
	case ENOENT: return "no such file";
	case EXDEV: return "outside the root";
	case EISDIR: return "not a regular file";
	case EACCES: return "permission denied";
	case ELOOP: return "too many symbolic links";
	case ENAMETOOLONG: return "name too long";
	default: return strerror(-neg_errno);
	}
}
