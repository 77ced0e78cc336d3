/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the ClientHello parser, on the whole input and on prefixes of it, both as a
 * record stream and as a bare handshake message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct tls_hello *h, const uint8_t *buf, size_t len, const uint8_t *scratch)
{
	if (!h->has_sni) {
		return;
	}
	bool in_buf = h->sni.ptr >= buf && h->sni.ptr + h->sni.len <= buf + len;
	bool in_scratch =
		h->sni.ptr >= scratch && h->sni.ptr + h->sni.len <= scratch + TLS_HELLO_MAX;
	if (!in_buf && !in_scratch) {
		abort(); /* a span outside both buffers */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[TLS_HELLO_MAX];
	uint8_t *buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data, size);
	struct tls_hello h;
	/* The whole input and three prefixes, as a stream arriving in pieces would be seen. */
	size_t cuts[4] = {size, size / 2, size / 3, size > 7 ? size - 7 : 0};
	for (unsigned i = 0; i < 4; i++) {
		if (tls_stream_hello(buf, cuts[i], scratch, sizeof(scratch), &h) == PARSE_OK) {
			check(&h, buf, cuts[i], scratch);
		}
	}
	if (tls_handshake_hello(buf, size, &h) == PARSE_OK) {
		check(&h, buf, size, scratch);
	}
	free(buf);
	return 0;
}
