/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stream: bounded reassembly of a byte stream from pieces placed by offset (TCP, QUIC CRYPTO). */
#ifndef EMBARGO_STREAM_H
#define EMBARGO_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Separate filled ranges kept beyond the contiguous prefix; a sender that scatters more pieces
 * than this is not waited for (the overflow flag is set). */
#define STREAM_RANGES_MAX 16

struct stream_range {
	uint32_t start; /* offset of the first byte */
	uint32_t end;	/* offset one past the last byte */
};

/*
 * Reassembly state over caller-owned storage of `cap` bytes. Bytes [0, contiguous) are known;
 * ranges[] lists known bytes beyond that, sorted and disjoint. Offsets are relative to the
 * stream start (the caller maps TCP sequence numbers to offsets).
 */
struct stream_buf {
	uint8_t *data;
	uint32_t cap;
	uint32_t contiguous;
	uint8_t nranges;
	bool conflict; /* a piece overlapped known bytes with different content */
	bool overflow; /* bytes at or past cap, or more than STREAM_RANGES_MAX ranges, were offered */
	struct stream_range ranges[STREAM_RANGES_MAX];
};

/* Start an empty stream over `storage` (`cap` bytes, cap <= UINT32_MAX). */
void stream_init(struct stream_buf *s, uint8_t *storage, uint32_t cap);

/*
 * Place `len` bytes of `data` at stream offset `offset`. Bytes past `cap` are dropped (overflow
 * set); bytes already known are compared, not rewritten (first copy wins, conflict set on a
 * difference). Returns the number of new bytes stored.
 */
size_t stream_put(struct stream_buf *s, uint64_t offset, const uint8_t *data, size_t len);

/* True when a byte of [offset, offset + len) already known differs from `data` (bytes past cap
 * are not compared). */
bool stream_differs(const struct stream_buf *s, uint64_t offset, const uint8_t *data, size_t len);

/* Like stream_put, but the new bytes win over bytes already known (the last copy wins). Returns
 * the number of bytes that were not known before. */
size_t stream_write(struct stream_buf *s, uint64_t offset, const uint8_t *data, size_t len);

/* Drop the first `n` bytes of the stream: offset n becomes offset 0 (known ranges move with
 * it; n may lie past every known byte). The conflict and overflow flags are cleared. */
void stream_shift(struct stream_buf *s, uint32_t n);

/* Forget every known byte at or past offset `end`. */
void stream_truncate(struct stream_buf *s, uint32_t end);

/* Copy of `from` (state and known bytes) into `to`, whose storage has the same capacity. */
void stream_copy(struct stream_buf *to, const struct stream_buf *from);

/* Length of the known prefix: bytes [0, return) of s->data are valid. */
static inline uint32_t stream_contiguous(const struct stream_buf *s)
{
	return s->contiguous;
}

#endif
