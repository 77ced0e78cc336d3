/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the plaintext side of QUIC Initials. The first byte picks the version; the rest
 * is records (2-byte big-endian length, payload). Each payload is walked as IETF and as Google
 * frames, then protected as a client Initial and fed to one flow, so that CRYPTO reassembly
 * and the ClientHello checks see fuzzed plaintext behind valid packet protection. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo_config.h"
#include "embargo/quic.h"

#if EMBARGO_HAVE_QUIC
#include "../unit/quic_builder.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Payloads taken from one input, and the largest one protected (fits a 1500-byte datagram). */
#define FUZZ_RECORDS_MAX 8
#define FUZZ_PAYLOAD_MAX 1400

static uint8_t storage[QUIC_CRYPTO_MAX];

static const uint32_t versions[] = {QUIC_VERSION_1, QUIC_VERSION_2, QUIC_VERSION_DRAFT(29),
				    QUIC_VERSION_T051};

static void walk(const uint8_t *p, size_t len)
{
	uint8_t *copy = malloc(len == 0 ? 1 : len);
	uint8_t store[256];
	struct stream_buf s;
	struct quic_frames fr;

	if (copy == NULL) {
		return;
	}
	memcpy(copy, p, len);
	stream_init(&s, store, sizeof(store));
	(void)quic_frames_walk(copy, len, &s, &fr);
	stream_init(&s, store, sizeof(store));
	(void)quic_frames_walk_google(copy, len, &s, &fr);
	free(copy);
}

#if EMBARGO_HAVE_QUIC
static void protect_and_feed(struct quic_flow *f, uint32_t version, uint64_t pn, const uint8_t *p,
			     size_t len)
{
	static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
	static uint8_t dg[QUIC_DATAGRAM_MAX];
	struct quic_keys k;
	struct quic_result res;

	if (len > FUZZ_PAYLOAD_MAX || quic_client_initial_keys(version, dcid, 8, &k) != 0) {
		return;
	}
	struct qb_initial q = {
		.version = version, .dcid = dcid, .dcid_len = 8, .pn = pn, .pn_len = 2, .keys = &k};
	/* PADDING up to a 1200-byte datagram (and at least the 20 bytes the sample needs). */
	size_t n = qb_initial(dg, &q, p, len, len < 1164 ? 1164 : 0);
	uint8_t *copy = malloc(n);
	if (copy == NULL) {
		return;
	}
	memcpy(copy, dg, n);
	if (quic_datagram(f, copy, n, &res) == PARSE_OK && res.hello.has_sni) {
		volatile uint8_t sum = 0;
		for (size_t i = 0; i < res.hello.sni.len; i++) {
			sum = (uint8_t)(sum + res.hello.sni.ptr[i]);
		}
		(void)sum;
	}
	free(copy);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quic_flow f;

	if (size < 1) {
		return 0;
	}
	uint32_t version = versions[data[0] % (sizeof(versions) / sizeof(versions[0]))];
	quic_flow_init(&f, storage, sizeof(storage));
	size_t off = 1;
	for (unsigned i = 0; i < FUZZ_RECORDS_MAX && size - off >= 2; i++) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off) {
			len = size - off;
		}
		walk(data + off, len);
#if EMBARGO_HAVE_QUIC
		protect_and_feed(&f, version, i, data + off, len);
#else
		(void)version;
#endif
		off += len;
	}
	return 0;
}
