/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: QUIC client datagrams. The input is used twice: as one datagram for a new flow,
 * and as records (2-byte big-endian length, datagram) fed in order to one flow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Datagrams taken from one input in record mode. */
#define FUZZ_RECORDS_MAX 16

static uint8_t storage[QUIC_CRYPTO_MAX];

/* Read every byte a result points at, so that a span out of range is caught. */
static void touch(const struct quic_result *res)
{
	volatile uint8_t sum = 0;
	const struct span spans[] = {res->dcid, res->hello.sni, res->hello.alpn};

	for (size_t s = 0; s < sizeof(spans) / sizeof(spans[0]); s++) {
		for (size_t i = 0; spans[s].ptr != NULL && i < spans[s].len; i++) {
			sum = (uint8_t)(sum + spans[s].ptr[i]);
		}
	}
	(void)sum;
}

/* One datagram in an exact-size copy, so a sanitizer sees any read past its end. */
static void feed(struct quic_flow *f, const uint8_t *dg, size_t len)
{
	uint8_t *copy = malloc(len == 0 ? 1 : len);
	struct quic_result res;

	if (copy == NULL) {
		return;
	}
	memcpy(copy, dg, len);
	(void)quic_datagram(f, copy, len, &res);
	touch(&res);
	/* The long-header peek, and the Version Negotiation that would answer it. */
	uint32_t version;
	struct span dcid, scid;
	if (quic_peek_long(copy, len, &version, &dcid, &scid) == PARSE_OK) {
		uint8_t vn[600];
		if ((dcid.len > 0 && (dcid.ptr < copy || dcid.ptr + dcid.len > copy + len)) ||
		    (scid.len > 0 && (scid.ptr < copy || scid.ptr + scid.len > copy + len)) ||
		    quic_version_negotiation_build(scid.ptr, scid.len, dcid.ptr, dcid.len, vn,
						   sizeof(vn)) < 0) {
			abort();
		}
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quic_flow f;

	quic_flow_init(&f, storage, sizeof(storage));
	feed(&f, data, size);

	quic_flow_init(&f, storage, sizeof(storage));
	size_t off = 0;
	for (unsigned i = 0; i < FUZZ_RECORDS_MAX && size - off >= 2; i++) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off) {
			len = size - off;
		}
		feed(&f, data + off, len);
		off += len;
	}
	return 0;
}
