/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark: cost of reading the ClientHello from a QUIC Initial, against bare AES-GCM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embargo_config.h"
#include "embargo/quic.h"

#if EMBARGO_HAVE_QUIC

#include <openssl/evp.h>

#include "rfc9001_sample.h"

/* Where the A.2 packet's fields are: header up to the 4-byte packet number (22 bytes), 1162
 * bytes of ciphertext, 16 bytes of tag; packet number 2. */
#define A2_LEN	   1200
#define A2_HDR_LEN 22
#define A2_CT_LEN  1162
#define A2_PN	   2

static uint8_t pkt[A2_LEN];
static uint8_t plain_hdr[A2_HDR_LEN];
static volatile unsigned sink;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void hex(const char *s, uint8_t *out)
{
	for (size_t i = 0; s[2 * i] != '\0'; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* The whole path for a new flow: key derivation, header protection, decryption, frame walk,
 * ClientHello parse. */
static double bench_full(unsigned iters)
{
	static uint8_t storage[QUIC_CRYPTO_MAX];
	struct quic_flow f;
	struct quic_result res;
	double t0 = now_ns();

	for (unsigned i = 0; i < iters; i++) {
		quic_flow_init(&f, storage, sizeof(storage));
		if (quic_datagram(&f, pkt, sizeof(pkt), &res) != PARSE_OK) {
			fprintf(stderr, "bench_quic: the RFC 9001 A.2 packet did not parse\n");
			exit(1);
		}
		sink += (unsigned)res.hello.sni.len;
	}
	return (now_ns() - t0) / iters;
}

/* A further Initial of a flow whose keys are known (retransmission): no key derivation. */
static double bench_cached_keys(unsigned iters)
{
	static uint8_t storage[QUIC_CRYPTO_MAX];
	struct quic_flow f;
	struct quic_result res;

	quic_flow_init(&f, storage, sizeof(storage));
	(void)quic_datagram(&f, pkt, sizeof(pkt), &res);
	double t0 = now_ns();
	for (unsigned i = 0; i < iters; i++) {
		f.has_pn = false;
		(void)quic_datagram(&f, pkt, sizeof(pkt), &res);
		sink += res.initials;
	}
	return (now_ns() - t0) / iters;
}

static double bench_keys(unsigned iters)
{
	static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
	struct quic_keys k;
	double t0 = now_ns();

	for (unsigned i = 0; i < iters; i++) {
		(void)quic_client_initial_keys(QUIC_VERSION_1, dcid, sizeof(dcid), &k);
		sink += k.key[0];
	}
	return (now_ns() - t0) / iters;
}

/* Baseline: copy the packet and AES-128-GCM-decrypt its payload with keys derived beforehand
 * and one cipher context made beforehand: what any decrypting inspector must pay. */
static double bench_baseline(unsigned iters, const struct quic_keys *k, bool ctx_per_call)
{
	static uint8_t copy[A2_LEN], out[A2_LEN];
	uint8_t nonce[QUIC_IV_LEN];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	memcpy(nonce, k->iv, sizeof(nonce));
	nonce[QUIC_IV_LEN - 1] ^= A2_PN;
	EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL);
	double t0 = now_ns();
	for (unsigned i = 0; i < iters; i++) {
		if (ctx_per_call) {
			EVP_CIPHER_CTX_free(c);
			c = EVP_CIPHER_CTX_new();
			EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL);
		}
		memcpy(copy, pkt, sizeof(pkt));
		EVP_DecryptInit_ex(c, NULL, NULL, k->key, nonce);
		EVP_DecryptUpdate(c, NULL, &n, plain_hdr, A2_HDR_LEN);
		EVP_DecryptUpdate(c, out, &n, copy + A2_HDR_LEN, A2_CT_LEN);
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, copy + A2_HDR_LEN + A2_CT_LEN);
		if (EVP_DecryptFinal_ex(c, out + n, &n) <= 0) {
			fprintf(stderr, "bench_quic: baseline decryption failed\n");
			exit(1);
		}
		sink += out[0];
	}
	double t = (now_ns() - t0) / iters;
	EVP_CIPHER_CTX_free(c);
	return t;
}

int main(int argc, char **argv)
{
	unsigned iters = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20000;
	struct quic_keys k;

	if (iters == 0) {
		iters = 1;
	}
	hex(rfc9001_a2, pkt);
	/* The unprotected header of A.2 (RFC 9001): first byte c3, packet number 00000002. */
	hex("c300000001088394c8f03e5157080000449e00000002", plain_hdr);
	quic_client_initial_keys(QUIC_VERSION_1, plain_hdr + 6, 8, &k);

	/* Warm up libcrypto's method caches before timing. */
	(void)bench_full(100);
	(void)bench_baseline(100, &k, false);

	double full = bench_full(iters);
	double cached = bench_cached_keys(iters);
	double keys = bench_keys(iters);
	double base = bench_baseline(iters, &k, false);
	double base_ctx = bench_baseline(iters, &k, true);

	printf("bench_quic: %u iterations, RFC 9001 A.2 client Initial (%d bytes, %d-byte "
	       "ClientHello)\n",
	       iters, A2_LEN, 241);
	printf("  quic_datagram, new flow (keys + header protection + decrypt + frames + hello)"
	       ": %8.0f ns/Initial  %.2f ns/byte\n",
	       full, full / A2_LEN);
	printf("  quic_datagram, keys cached in the flow                 : %8.0f ns/Initial\n",
	       cached);
	printf("  quic_client_initial_keys alone (HKDF extract + 4 expands): %8.0f ns\n", keys);
	printf("  baseline: memcpy + AES-128-GCM open, keys and ctx ready : %8.0f ns  %.2f "
	       "ns/byte\n",
	       base, base / A2_LEN);
	printf("  baseline with a new EVP_CIPHER_CTX per packet           : %8.0f ns\n", base_ctx);
	printf("  ratio new flow / baseline: %.2f   cached keys / baseline: %.2f\n", full / base,
	       cached / base);
	return sink == 0xffffffffu;
}

#else

int main(void)
{
	printf("bench_quic: built without libcrypto (QUIC disabled), nothing to measure\n");
	return 0;
}

#endif
