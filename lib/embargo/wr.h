/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wr: the bounds-checked writer, the twin of rd: messages the library builds are written
 * through it. */
#ifndef EMBARGO_WR_H
#define EMBARGO_WR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A cursor over an output buffer. Every write checks that the room is there; a write that does
 * not fit writes nothing and sets the sticky `err` flag, so a run of writes is checked once at
 * the end with wr_ok(). `out` may be NULL with `cap` 0 to measure what a run of writes needs:
 * `len` still counts the bytes (err is then set).
 *
 * Fields: `buf` the start, `cap` its size in bytes, `len` bytes written (or wanted) so far.
 */
struct wr {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool err;
};

static inline struct wr wr_make(uint8_t *buf, size_t cap)
{
	struct wr w = {buf, buf != NULL ? cap : 0, 0, false};
	return w;
}

static inline bool wr_ok(const struct wr *w)
{
	return !w->err;
}

/* Room for `n` more bytes: a pointer to them (the caller fills them), or NULL (and err). */
static inline uint8_t *wr_room(struct wr *w, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		w->len += n;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

static inline void wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *p = wr_room(w, 1);
	if (p != NULL) {
		p[0] = v;
	}
}

static inline void wr_u16be(struct wr *w, uint16_t v)
{
	uint8_t *p = wr_room(w, 2);
	if (p != NULL) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
}

static inline void wr_u32be(struct wr *w, uint32_t v)
{
	uint8_t *p = wr_room(w, 4);
	if (p != NULL) {
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
	}
}

static inline void wr_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *p = wr_room(w, n);
	if (p != NULL && n > 0) {
		memcpy(p, src, n);
	}
}

/* Overwrite a 16-bit value written earlier at offset `at` (a length known only afterwards). */
static inline void wr_patch16be(struct wr *w, size_t at, uint16_t v)
{
	if (!w->err && at <= w->len && w->len - at >= 2) {
		w->buf[at] = (uint8_t)(v >> 8);
		w->buf[at + 1] = (uint8_t)v;
	}
}

#endif
