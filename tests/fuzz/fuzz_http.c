/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the HTTP request head parser and the chunked-body walker (fed the bytes after
 * the head, in two pieces). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data, size);
	struct http_request req;
	enum parse_result r = http_request_parse(buf, size, &req);
	if (r == PARSE_OK && req.host.len > 0) {
		if (req.host.ptr < buf || req.host.ptr + req.host.len > buf + size) {
			abort();
		}
	}
	size_t at = r == PARSE_OK && req.head_complete ? req.head_len : 0;
	if (at > size) {
		abort();
	}
	struct http_chunks st;
	memset(&st, 0, sizeof(st));
	size_t half = at + (size - at) / 2, used = 0;
	if (http_chunks_walk(buf + at, half - at, &st, &used) == PARSE_NEED_MORE) {
		size_t more = 0;
		if (used > half - at) {
			abort();
		}
		(void)http_chunks_walk(buf + at + used, size - at - used, &st, &more);
		if (more > size - at - used) {
			abort();
		}
	}
	free(buf);
	return 0;
}
