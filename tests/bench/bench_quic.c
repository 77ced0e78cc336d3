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

/* RFC 9001 appendix A.2: a 1200-byte client Initial holding a 241-byte ClientHello. */
static const char rfc9001_a2[] = "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
				 "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
				 "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
				 "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
				 "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
				 "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
				 "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
				 "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
				 "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
				 "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
				 "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
				 "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
				 "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
				 "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
				 "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
				 "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
				 "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
				 "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
				 "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
				 "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
				 "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
				 "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
				 "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
				 "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
				 "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
				 "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
				 "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
				 "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
				 "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
				 "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
				 "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
				 "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
				 "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
				 "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
				 "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
				 "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
				 "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
				 "e221af44860018ab0856972e194cd934";

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
