/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file functions libembargo reads configurations and lists through: open/read, glob and
 * realpath. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

static int posix_open(void *ctx, const char *path, uint64_t max_bytes, void **file)
{
	(void)ctx;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		return -errno;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
		close(fd);
		return -EFBIG;
	}
	/* The descriptor is the handle, + 1 so that 0 is never NULL. */
	*file = (void *)(intptr_t)(fd + 1);
	return 0;
}

static int fd_of(void *file)
{
	return (int)((intptr_t)file - 1);
}

static ssize_t posix_read(void *ctx, void *file, char *buf, size_t len)
{
	(void)ctx;
	for (;;) {
		ssize_t got = read(fd_of(file), buf, len);
		if (got >= 0) {
			return got;
		}
		if (errno != EINTR) {
			return -errno;
		}
	}
}

static void posix_close(void *ctx, void *file)
{
	(void)ctx;
	close(fd_of(file));
}

static int posix_glob(void *ctx, const char *pattern, file_io_path_fn *fn, void *arg)
{
	(void)ctx;
	glob_t g;
	memset(&g, 0, sizeof(g));
	errno = 0;
	int grc = glob(pattern, GLOB_ERR, NULL, &g);
	int gerr = errno; /* why a directory could not be read (GLOB_ABORTED) */
	int rc = 0;
	if (grc == GLOB_NOSPACE) {
		rc = -ENOMEM;
	} else if (grc != 0 && grc != GLOB_NOMATCH) {
		rc = gerr != 0 ? -gerr : -EIO;
	}
	for (size_t i = 0; grc == 0 && i < g.gl_pathc && rc == 0; i++) {
		rc = fn(arg, g.gl_pathv[i]);
	}
	globfree(&g);
	return rc;
}

static int posix_canonical(void *ctx, const char *path, char *out, size_t size)
{
	(void)ctx;
	char *real = realpath(path, NULL);
	if (real == NULL) {
		return -errno;
	}
	size_t n = strlen(real);
	int rc = n < size ? 0 : -ENAMETOOLONG;
	if (rc == 0) {
		memcpy(out, real, n + 1);
	}
	free(real);
	return rc;
}

const struct file_io fileio_posix = {
	.ctx = NULL,
	.open_file = posix_open,
	.read_file = posix_read,
	.close_file = posix_close,
	.glob_paths = posix_glob,
	.canonical = posix_canonical,
};
