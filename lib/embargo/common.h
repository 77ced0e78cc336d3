/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Types shared by every libembargo parser: outcomes and spans. */
#ifndef EMBARGO_COMMON_H
#define EMBARGO_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Outcome of a parser. NEED_MORE means "valid so far, the message continues past the bytes
 * given": a stream caller must wait for more bytes, never treat it as MALFORMED.
 */
enum parse_result {
	PARSE_OK = 0,	 /* parsed; the result struct is filled in */
	PARSE_NEED_MORE, /* valid so far but incomplete */
	PARSE_NOT_MINE,	 /* not this protocol (or not the message kind asked for) */
	PARSE_MALFORMED, /* claims to be this protocol but breaks its rules */
};

/* A byte string inside some buffer: not NUL-terminated, valid while the buffer is. */
struct span {
	const uint8_t *ptr;
	size_t len;
};

/* Printable name of a parse_result ("ok", "need-more", "not-mine", "malformed"). */
const char *parse_result_str(enum parse_result r);

#endif
