/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fileio: how libembargo reads files. The library does no I/O itself; whoever loads a
 * configuration or a list passes these functions (embargod's use POSIX, daemon/fileio.c; the
 * unit tests also have files in memory).
 */
#ifndef EMBARGO_FILEIO_H
#define EMBARGO_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Called by glob_paths with each matching path; a non-zero result stops the walk and is returned. */
typedef int file_io_path_fn(void *arg, const char *path);

struct file_io {
	void *ctx; /* passed to every function */
	/* Open `path` for reading: 0 and `*file`, or -errno; -EFBIG for a file known to be longer
	 * than `max_bytes`. */
	int (*open_file)(void *ctx, const char *path, uint64_t max_bytes, void **file);
	/* Up to `len` bytes into `buf`: how many were read (0 at the end of the file), or -errno
	 * (never -EINTR). */
	ssize_t (*read_file)(void *ctx, void *file, char *buf, size_t len);
	void (*close_file)(void *ctx, void *file);
	/* Each path matching the shell pattern `pattern` (`*`, `?`, `[...]`), in sorted order,
	 * handed to `fn`. Returns 0 (also when nothing matches), what `fn` returned, or -errno
	 * when a directory cannot be read. */
	int (*glob_paths)(void *ctx, const char *pattern, file_io_path_fn *fn, void *arg);
	/* One name for the file at `path` (links and "." or ".." resolved), the same for every
	 * path to it, into `out`: 0, or -errno (-ENAMETOOLONG when it does not fit). */
	int (*canonical)(void *ctx, const char *path, char *out, size_t size);
};

#endif
