/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rd: the one bounds-checked reader every parser in libembargo uses for packet bytes. */
#ifndef EMBARGO_RD_H
#define EMBARGO_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A cursor over a byte buffer. Every read checks that the bytes are there; a read past the end
 * returns zero (or NULL), consumes nothing and sets the sticky `err` flag, so a run of reads can
 * be checked once at the end with rd_ok(). The cursor never forms a pointer past `end`.
 *
 * Fields: `pos` is the next byte to read, `end` one past the last readable byte (pos <= end
 * always), `err` is true once any read has failed.
 */
struct rd {
	const uint8_t *pos;
	const uint8_t *end;
	bool err;
};

/* Start reading `len` bytes at `buf`. `buf` may be NULL only when `len` is 0. */
static inline struct rd rd_make(const uint8_t *buf, size_t len)
{
	struct rd r = {buf, buf + len, false};

	if (buf == NULL) {
		r.pos = r.end = NULL;
	}
	return r;
}

/* Bytes left to read (0 once the cursor is in error). */
static inline size_t rd_left(const struct rd *r)
{
	return r->err ? 0 : (size_t)(r->end - r->pos);
}

/* True while no read has failed. */
static inline bool rd_ok(const struct rd *r)
{
	return !r->err;
}

/* True when no read has failed and nothing is left. */
static inline bool rd_done(const struct rd *r)
{
	return !r->err && r->pos == r->end;
}

/* Mark the cursor as failed (used by parsers for semantic errors found mid-read). */
static inline void rd_fail(struct rd *r)
{
	r->err = true;
}

/* Check that `n` more bytes are readable; sets err if not. */
static inline bool rd_need(struct rd *r, size_t n)
{
	if (r->err || (size_t)(r->end - r->pos) < n) {
		r->err = true;
		return false;
	}
	return true;
}

static inline uint8_t rd_u8(struct rd *r)
{
	if (!rd_need(r, 1)) {
		return 0;
	}
	return *r->pos++;
}

static inline uint16_t rd_u16be(struct rd *r)
{
	if (!rd_need(r, 2)) {
		return 0;
	}
	uint16_t v = (uint16_t)((unsigned)r->pos[0] << 8 | r->pos[1]);
	r->pos += 2;
	return v;
}

static inline uint32_t rd_u24be(struct rd *r)
{
	if (!rd_need(r, 3)) {
		return 0;
	}
	uint32_t v = (uint32_t)r->pos[0] << 16 | (uint32_t)r->pos[1] << 8 | r->pos[2];
	r->pos += 3;
	return v;
}

static inline uint32_t rd_u32be(struct rd *r)
{
	if (!rd_need(r, 4)) {
		return 0;
	}
	uint32_t v = (uint32_t)r->pos[0] << 24 | (uint32_t)r->pos[1] << 16 |
		     (uint32_t)r->pos[2] << 8 | r->pos[3];
	r->pos += 4;
	return v;
}

/* Skip `n` bytes. */
static inline void rd_skip(struct rd *r, size_t n)
{
	if (rd_need(r, n)) {
		r->pos += n;
	}
}

/* Return a pointer to the next `n` bytes and step over them; NULL (and err) if they are not all
 * there. The pointer stays valid as long as the underlying buffer does. */
static inline const uint8_t *rd_ptr(struct rd *r, size_t n)
{
	if (!rd_need(r, n)) {
		return NULL;
	}
	const uint8_t *p = r->pos;
	r->pos += n;
	return p;
}

/* Carve the next `n` bytes into a sub-cursor and step the parent over them, so a nested
 * length-prefixed field cannot be read past its own end. On shortage both cursors are in error
 * and the sub-cursor is empty. */
static inline struct rd rd_sub(struct rd *r, size_t n)
{
	struct rd sub = {r->pos, r->pos, true};

	if (rd_need(r, n)) {
		sub.end = r->pos + n;
		sub.err = false;
		r->pos += n;
	}
	return sub;
}

/* Offset of the cursor from `base`, the start of the buffer it was made on. */
static inline size_t rd_offset(const struct rd *r, const uint8_t *base)
{
	return (size_t)(r->pos - base);
}

/*
 * QUIC variable-length integer (RFC 9000 section 16): the two high bits of the first byte give
 * the length (1, 2, 4 or 8 bytes). Returns 0 and sets err on shortage.
 */
static inline uint64_t rd_quic_varint(struct rd *r)
{
	if (!rd_need(r, 1)) {
		return 0;
	}
	size_t n = (size_t)1 << (r->pos[0] >> 6);
	if (!rd_need(r, n)) {
		return 0;
	}
	uint64_t v = r->pos[0] & 0x3f;
	for (size_t i = 1; i < n; i++) {
		v = v << 8 | r->pos[i];
	}
	r->pos += n;
	return v;
}

#endif
