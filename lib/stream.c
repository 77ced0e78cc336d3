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
