/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers the list loader (policy.c) shares with the configuration compiler (config.c). */
#ifndef EMBARGO_POLICY_INTERNAL_H
#define EMBARGO_POLICY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "embargo/fileio.h"

/* Bytes of an offending value quoted in an error message; longer values end in "...". */
#define POLICY_ERR_VALUE_MAX 64

/* `len` bytes of `v` made printable for a message: '"', '\\' and bytes outside 0x20..0x7e as
 * \xHH, cut after POLICY_ERR_VALUE_MAX input bytes with "...". `out` holds at least
 * POLICY_ERR_VALUE_MAX * 4 + 4 bytes. */
void policy_quote(char *out, const char *v, size_t len);

/* Called with each line (without its '\n'; `lineno` from 1); non-zero stops the reading. */
typedef int policy_line_fn(void *ctx, const char *line, size_t len, uint32_t lineno);

/* Read the file at `path` through `io` a piece at a time (it is never all in memory) and hand each line to
 * `line`; a UTF-8 byte order mark at the start is skipped. Returns 0, what `line` returned when
 * not 0, or -errno (-EFBIG past POLICY_LIST_BYTES_MAX bytes). */
int policy_read_lines(const struct file_io *io, const char *path, policy_line_fn *line, void *ctx);

#endif
