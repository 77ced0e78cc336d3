/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the HTTP request head parser. */
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
	if (http_request_parse(buf, size, &req) == PARSE_OK && req.host.len > 0) {
		if (req.host.ptr < buf || req.host.ptr + req.host.len > buf + size) {
			abort();
		}
	}
	free(buf);
	return 0;
}
