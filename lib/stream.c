/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded reassembly of a byte stream whose pieces arrive by offset, in any order. */
#include <string.h>

#include "embargo/stream.h"

void stream_init(struct stream_buf *s, uint8_t *storage, uint32_t cap)
{
	memset(s, 0, sizeof(*s));
	s->data = storage;
	s->cap = cap;
}

/* Compare the bytes of [start, end) already held at those offsets with the new piece. */
static void check_overlap(struct stream_buf *s, uint32_t start, uint32_t end, const uint8_t *piece,
			  uint32_t piece_off)
{
	if (start < end && memcmp(s->data + start, piece + (start - piece_off), end - start) != 0) {
		s->conflict = true;
	}
}

/* Fold ranges that now touch the contiguous prefix into it. */
static void absorb_ranges(struct stream_buf *s)
{
	unsigned used = 0;

	while (used < s->nranges && s->ranges[used].start <= s->contiguous) {
		if (s->ranges[used].end > s->contiguous) {
			s->contiguous = s->ranges[used].end;
		}
		used++;
	}
	if (used > 0) {
		memmove(s->ranges, s->ranges + used, (s->nranges - used) * sizeof(s->ranges[0]));
		s->nranges = (uint8_t)(s->nranges - used);
	}
}

/*
 * Store the part of [start, end) not yet known, range by range. `known` lists the intervals
 * held (the prefix [0, contiguous) and ranges[]); new bytes are the gaps between them.
 */
static size_t fill_gaps(struct stream_buf *s, uint32_t start, uint32_t end, const uint8_t *piece)
{
	size_t added = 0;
	uint32_t pos = start;

	/* Bytes under the contiguous prefix are only compared. */
	if (pos < s->contiguous) {
		uint32_t stop = end < s->contiguous ? end : s->contiguous;
		check_overlap(s, pos, stop, piece, start);
		pos = stop;
	}
	for (unsigned i = 0; i < s->nranges && pos < end; i++) {
		struct stream_range *r = &s->ranges[i];
		if (r->end <= pos) {
			continue;
		}
		if (r->start > pos) {
			/* A gap [pos, min(end, r->start)) before this range: new bytes. */
			uint32_t stop = end < r->start ? end : r->start;
			memcpy(s->data + pos, piece + (pos - start), stop - pos);
			added += stop - pos;
			if (stop == r->start) {
				r->start = pos; /* the range grows down to cover the gap */
			} else {
				/* The gap is not closed: remember [pos, stop) as its own range. */
				if (s->nranges >= STREAM_RANGES_MAX) {
					s->overflow = true;
					return added - (stop - pos);
				}
				memmove(r + 1, r, (s->nranges - i) * sizeof(*r));
				r->start = pos;
				r->end = stop;
				s->nranges++;
				pos = stop;
				break;
			}
			pos = stop;
		}
		if (pos < end && pos < r->end) {
			uint32_t stop = end < r->end ? end : r->end;
			check_overlap(s, pos, stop, piece, start);
			pos = stop;
		}
	}
	if (pos < end) {
		/* Past every known byte: new bytes at the tail. Extend the last range if it ends
		 * exactly here, else add a range. */
		memcpy(s->data + pos, piece + (pos - start), end - pos);
		added += end - pos;
		if (pos == s->contiguous && s->nranges == 0) {
			s->contiguous = end;
		} else if (s->nranges > 0 && s->ranges[s->nranges - 1].end == pos) {
			s->ranges[s->nranges - 1].end = end;
		} else if (s->nranges < STREAM_RANGES_MAX) {
			s->ranges[s->nranges].start = pos;
			s->ranges[s->nranges].end = end;
			s->nranges++;
		} else {
			s->overflow = true;
			added -= end - pos;
		}
	}
	return added;
}

/* Merge ranges that touch or overlap after an insertion. */
static void merge_ranges(struct stream_buf *s)
{
	unsigned w = 0;

	for (unsigned i = 1; i < s->nranges; i++) {
		if (s->ranges[i].start <= s->ranges[w].end) {
			if (s->ranges[i].end > s->ranges[w].end) {
				s->ranges[w].end = s->ranges[i].end;
			}
		} else {
			s->ranges[++w] = s->ranges[i];
		}
	}
	if (s->nranges > 0) {
		s->nranges = (uint8_t)(w + 1);
	}
}

size_t stream_put(struct stream_buf *s, uint64_t offset, const uint8_t *data, size_t len)
{
	if (len == 0) {
		return 0;
	}
	if (offset >= s->cap) {
		s->overflow = true;
		return 0;
	}
	uint32_t start = (uint32_t)offset;
	uint32_t end;
	if (len > s->cap - start) {
		s->overflow = true;
		end = s->cap;
	} else {
		end = start + (uint32_t)len;
	}
	size_t added = fill_gaps(s, start, end, data);
	merge_ranges(s);
	absorb_ranges(s);
	return added;
}

/* Is byte `off` known (in the prefix or a range)? */
static bool is_known(const struct stream_buf *s, uint32_t off)
{
	if (off < s->contiguous) {
		return true;
	}
	for (unsigned i = 0; i < s->nranges; i++) {
		if (off >= s->ranges[i].start && off < s->ranges[i].end) {
			return true;
		}
	}
	return false;
}

bool stream_differs(const struct stream_buf *s, uint64_t offset, const uint8_t *data, size_t len)
{
	if (offset >= s->cap || len == 0) {
		return false;
	}
	uint32_t start = (uint32_t)offset;
	uint32_t end = len > s->cap - start ? s->cap : start + (uint32_t)len;
	/* The prefix first (one comparison), then byte by byte in the ranges. */
	uint32_t stop = end < s->contiguous ? end : s->contiguous;
	if (start < stop && memcmp(s->data + start, data, stop - start) != 0) {
		return true;
	}
	for (uint32_t off = stop > start ? stop : start; off < end && s->nranges > 0; off++) {
		if (is_known(s, off) && s->data[off] != data[off - start]) {
			return true;
		}
	}
	return false;
}

size_t stream_write(struct stream_buf *s, uint64_t offset, const uint8_t *data, size_t len)
{
	if (len == 0) {
		return 0;
	}
	if (offset < s->cap) {
		size_t n = len > s->cap - offset ? s->cap - (size_t)offset : len;
		memcpy(s->data + offset, data, n);
	}
	bool conflict = s->conflict;
	size_t added = stream_put(s, offset, data, len);
	s->conflict = conflict;
	return added;
}

void stream_shift(struct stream_buf *s, uint32_t n)
{
	if (n == 0) {
		return;
	}
	uint32_t keep = s->contiguous > n ? s->contiguous - n : 0;
	/* Bytes of ranges move too: move everything known past n in one piece. */
	uint32_t top = s->contiguous;
	for (unsigned i = 0; i < s->nranges; i++) {
		top = s->ranges[i].end > top ? s->ranges[i].end : top;
	}
	if (top > n) {
		memmove(s->data, s->data + n, top - n);
	}
	unsigned w = 0;
	for (unsigned i = 0; i < s->nranges; i++) {
		struct stream_range r = s->ranges[i];
		if (r.end <= n) {
			continue;
		}
		r.start = r.start > n ? r.start - n : 0;
		r.end -= n;
		s->ranges[w++] = r;
	}
	s->nranges = (uint8_t)w;
	s->contiguous = keep;
	s->conflict = false;
	s->overflow = false;
	absorb_ranges(s);
}

void stream_copy(struct stream_buf *to, const struct stream_buf *from)
{
	uint8_t *data = to->data;
	uint32_t top = from->contiguous;
	for (unsigned i = 0; i < from->nranges; i++) {
		top = from->ranges[i].end > top ? from->ranges[i].end : top;
	}
	*to = *from;
	to->data = data;
	memcpy(to->data, from->data, top);
}

void stream_truncate(struct stream_buf *s, uint32_t end)
{
	if (s->contiguous > end) {
		s->contiguous = end;
	}
	unsigned w = 0;
	for (unsigned i = 0; i < s->nranges; i++) {
		struct stream_range r = s->ranges[i];
		if (r.start >= end) {
			continue;
		}
		r.end = r.end < end ? r.end : end;
		s->ranges[w++] = r;
	}
	s->nranges = (uint8_t)w;
}
