/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for QUIC Initial inspection: RFC vectors, versions, reassembly, malformed input. */
#include <errno.h>
#include <stdio.h>

#include "test.h"

#include "embargo_config.h"
#include "embargo/quic.h"

#if EMBARGO_HAVE_QUIC
#include "quic_builder.h"
#endif

/* RFC 9001 appendix A: the client's Destination Connection ID. */
static const uint8_t rfc_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

/* RFC 9001 appendix A.2 (and RFC 9369 appendix A.2): the CRYPTO frame of the client Initial,
 * a ClientHello for example.com, before 917 bytes of PADDING. */
static const char rfc_crypto_frame[] =
	"060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
	"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806048000ffff";

#include "rfc9001_sample.h"

/* RFC 9369 appendix A.2: the same client Initial protected as QUIC version 2. */
static const char rfc9369_a2[] = "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
				 "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
				 "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
				 "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
				 "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
				 "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
				 "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
				 "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
				 "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
				 "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
				 "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
				 "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
				 "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
				 "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
				 "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
				 "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
				 "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
				 "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
				 "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
				 "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
				 "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
				 "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
				 "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
				 "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
				 "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
				 "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
				 "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
				 "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
				 "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
				 "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
				 "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
				 "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
				 "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
				 "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
				 "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
				 "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
				 "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
				 "a18b2faa745b6fe189cf772a9f84cbfc";

/* A flow with its own CRYPTO storage, as the caller would keep it. */
struct test_flow {
	struct quic_flow f;
	uint8_t storage[QUIC_CRYPTO_MAX];
};

static void tflow_init(struct test_flow *t)
{
	quic_flow_init(&t->f, t->storage, sizeof(t->storage));
}

/* Run quic_datagram over an exact-size heap copy so that ASan sees any over-read. */
static enum parse_result run(struct test_flow *t, const uint8_t *dg, size_t len,
			     struct quic_result *out)
{
	static uint8_t dcid_keep[256];
	uint8_t *copy = test_exact_copy(dg, len);
	enum parse_result r = quic_datagram(&t->f, copy, len, out);

	/* The DCID span points into the datagram: keep its bytes past the copy's life. The hello
	 * spans point into the flow's storage. */
	if (out->dcid.len > 0) {
		assert_true(out->dcid.ptr >= copy && out->dcid.ptr + out->dcid.len <= copy + len);
		memcpy(dcid_keep, out->dcid.ptr, out->dcid.len);
		out->dcid.ptr = dcid_keep;
	}
	if (out->hello_complete && out->hello.has_sni) {
		assert_true(out->hello.sni.ptr >= t->storage &&
			    out->hello.sni.ptr + out->hello.sni.len <=
				    t->storage + QUIC_CRYPTO_MAX);
	}
	free(copy);
	return r;
}

#if EMBARGO_HAVE_QUIC
static void assert_sni(const struct quic_result *res, const char *sni)
{
	assert_true(res->hello_complete);
	assert_true(res->hello.has_sni);
	assert_int_equal(res->hello.sni.len, strlen(sni));
	assert_memory_equal(res->hello.sni.ptr, sni, strlen(sni));
}
#endif

/* Frame walking needs no libcrypto: these run in every build. */

static void test_frames_basic(void **state)
{
	uint8_t p[256];
	size_t n = test_hex("01"			    /* PING */
			    "03 05 00 01 02 03 01 04 01 01" /* ACK_ECN: 1 range + ECN */
			    "02 40 80 01 00 00"		    /* ACK, 2-byte largest, 0 ranges */
			    "06 00 03 616263"		    /* CRYPTO off 0 "abc" */
			    "06 05 02 6667"		    /* CRYPTO off 5 "fg" */
			    "06 03 02 6465"		    /* CRYPTO off 3 "de" */
			    "1c 0a 06 03 626164"	    /* CONNECTION_CLOSE, reason "bad" */
			    "000000",			    /* PADDING */
			    p, sizeof(p));
	uint8_t store[16];
	struct stream_buf s;
	struct quic_frames fr;

	stream_init(&s, store, sizeof(store));
	assert_int_equal(quic_frames_walk(p, n, &s, &fr), PARSE_OK);
	assert_null(fr.reason);
	assert_int_equal(fr.ping, 1);
	assert_int_equal(fr.ack, 2);
	assert_int_equal(fr.crypto, 3);
	assert_int_equal(fr.close, 1);
	assert_int_equal(fr.close_error, 0x0a);
	assert_int_equal(fr.padding, 3);
	assert_int_equal(fr.other, 0);
	assert_int_equal(fr.not_initial, 0);
	assert_int_equal(fr.crypto_end, 7);
	assert_int_equal(stream_contiguous(&s), 7);
	assert_memory_equal(store, "abcdefg", 7);
}

static void test_frames_skip_others(void **state)
{
	uint8_t p[256];
	size_t n = test_hex("04 01 02 03"	 /* RESET_STREAM */
			    "05 01 02"		 /* STOP_SENDING */
			    "07 04 deadbeef"	 /* NEW_TOKEN */
			    "0e 04 05 03 616263" /* STREAM off+len */
			    "10 44 00"		 /* MAX_DATA (2-byte varint) */
			    "11 01 02 12 03 13 04 14 05 15 06 07 16 08 17 09"
			    "18 01 00 04 01020304 00112233445566778899aabbccddeeff" /* NEW_CID */
			    "19 02" /* RETIRE_CONNECTION_ID */
			    "1a 0102030405060708 1b 0102030405060708"
			    "1d 00 02 6f6b" /* CONNECTION_CLOSE (app) */
			    "1e"	    /* HANDSHAKE_DONE */
			    "31 02 aabb"    /* DATAGRAM with length */
			    "08 04 7878",   /* STREAM to the end */
			    p, sizeof(p));
	struct quic_frames fr;

	assert_int_equal(quic_frames_walk(p, n, NULL, &fr), PARSE_OK);
	assert_int_equal(fr.other, 19);
	assert_int_equal(fr.close, 1);
	assert_int_equal(fr.not_initial, 20);
	assert_int_equal(fr.crypto, 0);
}

static void test_frames_malformed(void **state)
{
	uint8_t p[64] = {0};
	struct quic_frames fr;
	size_t n;

	assert_int_equal(quic_frames_walk(p, 0, NULL, &fr), PARSE_MALFORMED);
	assert_string_equal(fr.reason, "empty-payload");

	/* An unknown type stops the walk; CRYPTO before it stays placed. */
	n = test_hex("06 00 02 6869 21 00", p, sizeof(p));
	uint8_t store[8];
	struct stream_buf s;
	stream_init(&s, store, sizeof(store));
	assert_int_equal(quic_frames_walk(p, n, &s, &fr), PARSE_MALFORMED);
	assert_string_equal(fr.reason, "unknown-frame");
	assert_int_equal(fr.unknown_type, 0x21);
	assert_int_equal(stream_contiguous(&s), 2);

	/* A two-byte frame type that is not defined. */
	n = test_hex("40 40", p, sizeof(p));
	assert_int_equal(quic_frames_walk(p, n, NULL, &fr), PARSE_MALFORMED);
	assert_int_equal(fr.unknown_type, 0x40);

	/* A CRYPTO frame claiming more data than present. */
	n = test_hex("06 00 05 6869", p, sizeof(p));
	assert_int_equal(quic_frames_walk(p, n, NULL, &fr), PARSE_MALFORMED);
	assert_string_equal(fr.reason, "truncated-frame");

	/* offset + length past 2^62-1 (RFC 9000 section 19.6). */
	n = test_hex("06 ffffffffffffffff 01 00", p, sizeof(p));
	assert_int_equal(quic_frames_walk(p, n, NULL, &fr), PARSE_MALFORMED);
	assert_string_equal(fr.reason, "crypto-offset-too-large");

	/* An ACK claiming 2^62-1 ranges ends at the end of the input, quickly. */
	n = test_hex("02 00 00 bfffffffffffffff 00 01 01", p, sizeof(p));
	assert_int_equal(quic_frames_walk(p, n, NULL, &fr), PARSE_MALFORMED);

	/* NEW_CONNECTION_ID with a zero-length CID is a FRAME_ENCODING_ERROR. */
	n = test_hex("18 01 00 00 00112233445566778899aabbccddeeff", p, sizeof(p));
	assert_int_equal(quic_frames_walk(p, n, NULL, &fr), PARSE_MALFORMED);
}

/* The plaintext of RFC 9001 A.2: its CRYPTO frame and 917 bytes of PADDING. */
static void test_frames_rfc_payload(void **state)
{
	uint8_t p[1162] = {0};
	size_t n = test_hex(rfc_crypto_frame, p, sizeof(p));
	uint8_t store[512];
	struct stream_buf s;
	struct quic_frames fr;

	assert_int_equal(n, 245);
	stream_init(&s, store, sizeof(store));
	assert_int_equal(quic_frames_walk(p, sizeof(p), &s, &fr), PARSE_OK);
	assert_int_equal(fr.crypto, 1);
	assert_int_equal(fr.padding, 917);
	assert_int_equal(fr.crypto_end, 241);
	assert_int_equal(stream_contiguous(&s), 241);
	assert_memory_equal(store, p + 4, 241);
	/* ClientHello type and length 0x0000ed. */
	assert_memory_equal(store, "\x01\x00\x00\xed", 4);
}

/* Every prefix of a frame sequence is read without over-reading. */
static void test_frames_truncate_sweep(void **state)
{
	uint8_t p[256];
	size_t n = test_hex("01 03 05 00 01 02 03 01 04 01 01 02 03 06 4001 03 616263"
			    "1c 0a 06 03 626164 07 04 deadbeef 18 01 00 04 01020304"
			    "00112233445566778899aabbccddeeff 0f 01 02 03 414243 0000",
			    p, sizeof(p));
	unsigned ok = 0;

	for (size_t len = 0; len <= n; len++) {
		uint8_t *c = test_exact_copy(p, len);
		struct quic_frames fr;
		enum parse_result r = quic_frames_walk(c, len, NULL, &fr);
		assert_true(r == PARSE_OK || r == PARSE_MALFORMED);
		ok += r == PARSE_OK;
		free(c);
	}
	/* Whole frames end at these prefixes (and the padding bytes): at least 8 are complete. */
	assert_true(ok >= 8);
}

/* The Google QUIC frame encoding inside T050/T051 Initials. */
static void test_frames_google(void **state)
{
	uint8_t p[128];
	uint8_t store[16];
	struct stream_buf s;
	struct quic_frames fr;
	size_t n;

	/* ACK (1-byte largest, no blocks, no timestamps), PING, CRYPTO, then PADDING. */
	n = test_hex("40 01 08c5 01 00 07 08 00 03 616263 00 000000", p, sizeof(p));
	stream_init(&s, store, sizeof(store));
	assert_int_equal(quic_frames_walk_google(p, n, &s, &fr), PARSE_OK);
	assert_int_equal(fr.ack, 1);
	assert_int_equal(fr.ping, 1);
	assert_int_equal(fr.crypto, 1);
	assert_int_equal(fr.padding, 4);
	assert_int_equal(stream_contiguous(&s), 3);
	assert_memory_equal(store, "abc", 3);

	/* ACK with blocks (n bit), 2-byte largest, 4-byte blocks and two timestamps. */
	n = test_hex("66 0102 0000 02 00000001 01 00000002 01 00000003 02 01 00000004 01 0005", p,
		     sizeof(p));
	assert_int_equal(quic_frames_walk_google(p, n, NULL, &fr), PARSE_OK);
	assert_int_equal(fr.ack, 1);
	for (size_t len = 0; len < n; len++) {
		uint8_t *c = test_exact_copy(p, len);
		assert_int_equal(quic_frames_walk_google(c, len, NULL, &fr), PARSE_MALFORMED);
		free(c);
	}
	/* A STREAM frame (0x80..) is not expected in an Initial: the walk stops. */
	n = test_hex("a0 01 0004", p, sizeof(p));
	assert_int_equal(quic_frames_walk_google(p, n, NULL, &fr), PARSE_MALFORMED);
	assert_string_equal(fr.reason, "unknown-frame");
	assert_int_equal(fr.unknown_type, 0xa0);
}

#if EMBARGO_HAVE_QUIC

static void test_rfc9001_keys(void **state)
{
	struct quic_keys k;
	uint8_t want[16];

	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_1, rfc_dcid, 8, &k), 0);
	test_hex("1f369613dd76d5467730efcbe3b1a22d", want, sizeof(want));
	assert_memory_equal(k.key, want, 16);
	test_hex("fa044b2f42a3fd3b46fb255c", want, sizeof(want));
	assert_memory_equal(k.iv, want, 12);
	test_hex("9f50449e04a0e810283a1e9933adedd2", want, sizeof(want));
	assert_memory_equal(k.hp, want, 16);
}

static void test_rfc9369_keys(void **state)
{
	struct quic_keys k;
	uint8_t want[16];

	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_2, rfc_dcid, 8, &k), 0);
	test_hex("8b1a0bc121284290a29e0971b5cd045d", want, sizeof(want));
	assert_memory_equal(k.key, want, 16);
	test_hex("91f73e2351d8fa91660e909f", want, sizeof(want));
	assert_memory_equal(k.iv, want, 12);
	test_hex("45b95e15235d6f45a6b19cbcb0294ba9", want, sizeof(want));
	assert_memory_equal(k.hp, want, 16);
}

static void test_keys_errors(void **state)
{
	struct quic_keys k;
	uint8_t long_cid[21] = {0};

	assert_int_equal(quic_client_initial_keys(0x1a2a3a4a, rfc_dcid, 8, &k), -EPROTONOSUPPORT);
	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_1, long_cid, 21, &k), -EINVAL);
	assert_false(quic_version_is_known(0x0a0a0a0a));
	assert_false(quic_version_is_known(QUIC_VERSION_DRAFT(22)));
	assert_false(quic_version_is_known(QUIC_VERSION_DRAFT(35)));
	assert_true(quic_version_is_known(QUIC_VERSION_DRAFT(23)));
	assert_true(quic_version_is_known(QUIC_VERSION_DRAFT(34)));
}

/* Decrypt an RFC appendix A.2 packet and check the CRYPTO bytes and the hello. */
static void check_rfc_initial(const char *hex, uint32_t version)
{
	uint8_t dg[1300];
	uint8_t frame[300];
	size_t n = test_hex(hex, dg, sizeof(dg));
	size_t fn = test_hex(rfc_crypto_frame, frame, sizeof(frame));
	struct test_flow t;
	struct quic_result res;

	assert_int_equal(n, 1200);
	tflow_init(&t);
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_null(res.reason);
	assert_int_equal(res.version, version);
	assert_int_equal(res.kind, QUIC_KIND_INITIAL);
	assert_int_equal(res.packets, 1);
	assert_int_equal(res.initials, 1);
	assert_int_equal(res.dcid.len, 8);
	assert_false(res.restarted);
	/* The CRYPTO frame is 06 00 40f1 and 241 bytes of ClientHello. */
	assert_int_equal(fn, 4 + 241);
	assert_int_equal(stream_contiguous(&t.f.crypto), 241);
	assert_memory_equal(t.storage, frame + 4, 241);
	assert_int_equal(t.f.largest_pn, 2);
	assert_sni(&res, "example.com");
	assert_int_equal(res.hello.hello_len, 241);
	/* A second copy (a retransmission) changes nothing. */
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_false(res.crypto_conflict);
	assert_int_equal(t.f.initials, 2);
}

static void test_rfc9001_client_initial(void **state)
{
	check_rfc_initial(rfc9001_a2, QUIC_VERSION_1);
}

static void test_rfc9369_client_initial(void **state)
{
	check_rfc_initial(rfc9369_a2, QUIC_VERSION_2);
}

/* The test-side builder reproduces the RFC packets byte for byte, so the packets it makes for
 * the other tests are protected exactly as a real client would. */
static void check_builder(const char *hex, uint32_t version)
{
	uint8_t want[1300], got[1300], frame[300];
	size_t n = test_hex(hex, want, sizeof(want));
	size_t fn = test_hex(rfc_crypto_frame, frame, sizeof(frame));
	struct quic_keys k;

	assert_int_equal(quic_client_initial_keys(version, rfc_dcid, 8, &k), 0);
	struct qb_initial q = {.version = version,
			       .dcid = rfc_dcid,
			       .dcid_len = 8,
			       .pn = 2,
			       .pn_len = 4,
			       .keys = &k};
	assert_int_equal(qb_initial(got, &q, frame, fn, 1162), n);
	assert_memory_equal(got, want, n);
}

static void test_builder_matches_rfc(void **state)
{
	check_builder(rfc9001_a2, QUIC_VERSION_1);
	check_builder(rfc9369_a2, QUIC_VERSION_2);
}

/* Build a 1200-byte client datagram holding one Initial with `payload`. */
static size_t build_initial(uint8_t *dg, uint32_t version, const uint8_t *dcid, size_t dcid_len,
			    uint64_t pn, const uint8_t *payload, size_t plen)
{
	struct quic_keys k;
	assert_int_equal(quic_client_initial_keys(version, dcid, dcid_len, &k), 0);
	struct qb_initial q = {.version = version,
			       .dcid = dcid,
			       .dcid_len = dcid_len,
			       .pn = pn,
			       .pn_len = 2,
			       .keys = &k};
	size_t hdr = 1 + 4 + 1 + dcid_len + 1 + 1 + 2 + 2;
	size_t pad = 1200 - hdr - 16;
	return qb_initial(dg, &q, payload, plen, plen < pad ? pad : 0);
}

static void test_all_versions(void **state)
{
	static const uint32_t versions[] = {
		QUIC_VERSION_1,		QUIC_VERSION_2,		QUIC_VERSION_DRAFT(23),
		QUIC_VERSION_DRAFT(27), QUIC_VERSION_DRAFT(28), QUIC_VERSION_DRAFT(29),
		QUIC_VERSION_DRAFT(32), QUIC_VERSION_DRAFT(33), QUIC_VERSION_DRAFT(34),
		QUIC_VERSION_T050,	QUIC_VERSION_T051,	QUIC_VERSION_MVFST_D22,
		QUIC_VERSION_MVFST,	QUIC_VERSION_MVFST_V1,	QUIC_VERSION_MVFST_EXP,
	};
	uint8_t ch[512], pl[600], dg[1500];
	size_t chn = qb_client_hello(ch, "versions.example", 0);
	size_t pn = qb_crypto(pl, ch, 0, chn);

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct test_flow t;
		struct quic_result res;
		/* T050/T051 carry Google QUIC frames: CRYPTO is type 0x08 there. */
		bool google = versions[i] == QUIC_VERSION_T050 || versions[i] == QUIC_VERSION_T051;
		pl[0] = google ? 0x08 : 0x06;
		size_t n = build_initial(dg, versions[i], rfc_dcid, 8, 0, pl, pn);
		tflow_init(&t);
		assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
		assert_int_equal(res.version, versions[i]);
		assert_sni(&res, "versions.example");
	}
}

/* Each version's salt is its own: a packet protected with v1 keys but labelled as draft-29,
 * T051 or mvfst does not decrypt. */
static void test_salts_differ(void **state)
{
	static const uint32_t others[] = {QUIC_VERSION_DRAFT(29), QUIC_VERSION_DRAFT(27),
					  QUIC_VERSION_T050, QUIC_VERSION_T051, QUIC_VERSION_MVFST};
	uint8_t ch[512], pl[600], dg[1500];
	size_t chn = qb_client_hello(ch, "salt.example", 0);
	size_t pn = qb_crypto(pl, ch, 0, chn);
	size_t n = build_initial(dg, QUIC_VERSION_1, rfc_dcid, 8, 0, pl, pn);

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct test_flow t;
		struct quic_result res;
		dg[1] = (uint8_t)(others[i] >> 24);
		dg[2] = (uint8_t)(others[i] >> 16);
		dg[3] = (uint8_t)(others[i] >> 8);
		dg[4] = (uint8_t)others[i];
		tflow_init(&t);
		assert_int_equal(run(&t, dg, n, &res), PARSE_MALFORMED);
		assert_string_equal(res.reason, "undecryptable");
		assert_int_equal(res.kind, QUIC_KIND_INITIAL);
		assert_int_equal(res.initials, 0);
		assert_false(t.f.has_keys);
	}
}

/* Datagrams that are not a client Initial are recognised and never decrypted. */
static void test_not_initial(void **state)
{
	uint8_t dg[1500];
	struct test_flow t;
	struct quic_result res;
	size_t n;

	tflow_init(&t);
	/* Version negotiation (version 0). */
	n = test_hex("c5 00000000 08 0102030405060708 08 1112131415161718 00000001 6b3343cf", dg,
		     sizeof(dg));
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_int_equal(res.kind, QUIC_KIND_VERSION_NEG);
	assert_string_equal(res.reason, "version-negotiation");

	/* A reserved version forcing negotiation, padded like an Initial. */
	n = qb_long_other(dg, 0x1a2a3a4a, QUIC_KIND_INITIAL, rfc_dcid, 8, 1180);
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_int_equal(res.kind, QUIC_KIND_UNKNOWN_VERSION);
	assert_int_equal(res.version, 0x1a2a3a4a);
	assert_string_equal(res.reason, "unknown-version");
	assert_int_equal(res.initials, 0);

	/* Google QUIC Q050 in a long header: for gquic.c. */
	n = qb_long_other(dg, 0x51303530, QUIC_KIND_INITIAL, rfc_dcid, 8, 1180);
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_string_equal(res.reason, "gquic-version");

	/* Retry, in v1 (type 3) and v2 (type 0). */
	n = qb_long_other(dg, QUIC_VERSION_1, QUIC_KIND_RETRY, rfc_dcid, 8, 40);
	assert_int_equal(dg[0] & 0x30, 0x30);
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_int_equal(res.kind, QUIC_KIND_RETRY);
	n = qb_long_other(dg, QUIC_VERSION_2, QUIC_KIND_RETRY, rfc_dcid, 8, 40);
	assert_int_equal(dg[0] & 0x30, 0x00);
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_int_equal(res.kind, QUIC_KIND_RETRY);

	/* Handshake and 0-RTT alone, in both type-bit layouts. */
	n = qb_long_other(dg, QUIC_VERSION_1, QUIC_KIND_HANDSHAKE, rfc_dcid, 8, 1180);
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_int_equal(res.kind, QUIC_KIND_HANDSHAKE);
	assert_string_equal(res.reason, "handshake");
	n = qb_long_other(dg, QUIC_VERSION_2, QUIC_KIND_0RTT, rfc_dcid, 8, 1180);
	assert_int_equal(dg[0] & 0x30, 0x20);
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_int_equal(res.kind, QUIC_KIND_0RTT);
	/* v1 type bits 01 are 0-RTT, not a v2 Initial. */
	n = qb_long_other(dg, QUIC_VERSION_1, QUIC_KIND_0RTT, rfc_dcid, 8, 1180);
	assert_int_equal(dg[0] & 0x30, 0x10);
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_int_equal(res.kind, QUIC_KIND_0RTT);

	/* A short header packet. */
	n = test_hex("4f 0102030405060708 aabbccddeeff00112233445566778899", dg, sizeof(dg));
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_int_equal(res.kind, QUIC_KIND_SHORT);
	assert_string_equal(res.reason, "short-header");

	/* Empty, and a long header too short for its connection IDs. */
	assert_int_equal(run(&t, dg, 0, &res), PARSE_NOT_MINE);
	assert_string_equal(res.reason, "empty");
	n = test_hex("c0 1a2a3a4a 08 0102", dg, sizeof(dg));
	assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
	assert_false(t.f.has_keys);
}

/* A ClientHello spanning two Initial packets in two datagrams, in order and reversed. */
static void test_hello_two_packets(void **state)
{
	uint8_t ch[4096], pl[2000], dg1[1500], dg2[1500];
	size_t chn = qb_client_hello(ch, "split.example", 1500);
	size_t half = 1000;
	size_t p1 = qb_crypto(pl, ch, 0, half);
	size_t n1 = build_initial(dg1, QUIC_VERSION_1, rfc_dcid, 8, 0, pl, p1);
	size_t p2 = qb_crypto(pl, ch, half, chn - half);
	size_t n2 = build_initial(dg2, QUIC_VERSION_1, rfc_dcid, 8, 1, pl, p2);
	struct test_flow t;
	struct quic_result res;

	assert_true(chn > 1500);
	tflow_init(&t);
	assert_int_equal(run(&t, dg1, n1, &res), PARSE_NEED_MORE);
	assert_int_equal(res.initials, 1);
	assert_false(res.hello_complete);
	assert_int_equal(run(&t, dg2, n2, &res), PARSE_OK);
	assert_sni(&res, "split.example");
	assert_int_equal(res.hello.hello_len, chn);
	assert_int_equal(t.f.initials, 2);

	/* Second half first: nothing contiguous yet. */
	tflow_init(&t);
	assert_int_equal(run(&t, dg2, n2, &res), PARSE_NEED_MORE);
	assert_int_equal(stream_contiguous(&t.f.crypto), 0);
	assert_int_equal(run(&t, dg1, n1, &res), PARSE_OK);
	assert_sni(&res, "split.example");
}

/* CRYPTO frames shuffled and overlapping within one packet, then a conflicting copy. */
static void test_crypto_shuffled_overlap(void **state)
{
	uint8_t ch[1024], pl[1500], dg[1500];
	size_t chn = qb_client_hello(ch, "shuffle.example", 200);
	size_t k = 0;
	struct test_flow t;
	struct quic_result res;

	k += qb_crypto(pl + k, ch, 150, chn - 150);
	k += qb_crypto(pl + k, ch, 40, 120); /* overlaps the next two */
	k += qb_crypto(pl + k, ch, 0, 50);
	pl[k++] = 0x01; /* PING between CRYPTO frames */
	k += qb_crypto(pl + k, ch, 100, 60);
	size_t n = build_initial(dg, QUIC_VERSION_1, rfc_dcid, 8, 0, pl, k);
	tflow_init(&t);
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_sni(&res, "shuffle.example");
	assert_false(res.crypto_conflict);

	/* A later packet rewriting the SNI bytes: first copy wins, conflict is reported. */
	uint8_t decoy[1024];
	memcpy(decoy, ch, chn);
	memcpy(decoy + chn - 200 - 15, "decoyyy.example", 15);
	k = qb_crypto(pl, decoy, 0, chn);
	n = build_initial(dg, QUIC_VERSION_1, rfc_dcid, 8, 1, pl, k);
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_true(res.crypto_conflict);
	assert_sni(&res, "shuffle.example");
}

/* Coalesced packets: Initial + 0-RTT + Handshake; two Initials carrying the two halves; a
 * packet for another connection ID is ignored. */
static void test_coalesced(void **state)
{
	uint8_t ch[2048], pl[1500], dg[3000];
	size_t chn = qb_client_hello(ch, "coalesced.example", 0);
	struct quic_keys k;
	struct test_flow t;
	struct quic_result res;
	size_t n;

	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_1, rfc_dcid, 8, &k), 0);
	struct qb_initial q = {.version = QUIC_VERSION_1,
			       .dcid = rfc_dcid,
			       .dcid_len = 8,
			       .pn = 0,
			       .pn_len = 1,
			       .keys = &k};
	n = qb_initial(dg, &q, pl, qb_crypto(pl, ch, 0, chn), 0);
	n += qb_long_other(dg + n, QUIC_VERSION_1, QUIC_KIND_0RTT, rfc_dcid, 8, 300);
	n += qb_long_other(dg + n, QUIC_VERSION_1, QUIC_KIND_HANDSHAKE, rfc_dcid, 8, 900);
	tflow_init(&t);
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_int_equal(res.packets, 3);
	assert_int_equal(res.initials, 1);
	assert_sni(&res, "coalesced.example");

	/* Two Initials in one datagram, the second half first, with zero padding after them
	 * (which reads as a short header and ends the walk). */
	size_t chn2 = qb_client_hello(ch, "two.example", 900);
	q.pn = 1;
	n = qb_initial(dg, &q, pl, qb_crypto(pl, ch, 600, chn2 - 600), 0);
	q.pn = 0;
	n += qb_initial(dg + n, &q, pl, qb_crypto(pl, ch, 0, 600), 0);
	memset(dg + n, 0, 200);
	n += 200;
	tflow_init(&t);
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_int_equal(res.initials, 2);
	assert_int_equal(res.packets, 3);
	assert_sni(&res, "two.example");

	/* An Initial for another DCID after the first packet is not taken. */
	static const uint8_t other[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct quic_keys ko;
	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_1, other, 8, &ko), 0);
	q.pn = 0;
	n = qb_initial(dg, &q, pl, qb_crypto(pl, ch, 0, 600), 800);
	struct qb_initial qo = q;
	qo.dcid = other;
	qo.keys = &ko;
	n += qb_initial(dg + n, &qo, pl, qb_crypto(pl, ch, 600, chn2 - 600), 0);
	tflow_init(&t);
	assert_int_equal(run(&t, dg, n, &res), PARSE_NEED_MORE);
	assert_int_equal(res.packets, 2);
	assert_int_equal(res.initials, 1);
	assert_int_equal(stream_contiguous(&t.f.crypto), 600);
}

/* The client moves to the server's connection ID but keeps the original keys (RFC 9001
 * section 5.2): the flow continues. After a Retry the new DCID has its own keys: the flow
 * starts over. A version change (after Version Negotiation) also starts over. */
static void test_dcid_change_and_restart(void **state)
{
	uint8_t ch[4096], pl[2000], dg[1500];
	size_t chn = qb_client_hello(ch, "first.example", 1500);
	static const uint8_t server_cid[5] = {0x51, 0x52, 0x53, 0x54, 0x55};
	struct quic_keys k;
	struct test_flow t;
	struct quic_result res;
	size_t n;

	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_1, rfc_dcid, 8, &k), 0);
	tflow_init(&t);
	n = build_initial(dg, QUIC_VERSION_1, rfc_dcid, 8, 0, pl, qb_crypto(pl, ch, 0, 1000));
	assert_int_equal(run(&t, dg, n, &res), PARSE_NEED_MORE);
	struct qb_initial q = {.version = QUIC_VERSION_1,
			       .dcid = server_cid,
			       .dcid_len = 5,
			       .pn = 1,
			       .pn_len = 1,
			       .keys = &k};
	n = qb_initial(dg, &q, pl, qb_crypto(pl, ch, 1000, chn - 1000), 1200);
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_false(res.restarted);
	assert_int_equal(res.dcid.len, 5);
	assert_sni(&res, "first.example");
	assert_int_equal(t.f.odcid_len, 8);

	/* After a Retry: a new DCID with its own keys and a new hello. */
	size_t chn2 = qb_client_hello(ch, "second.example", 0);
	n = build_initial(dg, QUIC_VERSION_1, server_cid, 5, 2, pl, qb_crypto(pl, ch, 0, chn2));
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_true(res.restarted);
	assert_int_equal(t.f.restarts, 1);
	assert_int_equal(t.f.odcid_len, 5);
	assert_int_equal(t.f.initials, 1);
	assert_sni(&res, "second.example");

	/* Version negotiation moved the client to v2, same DCID. */
	size_t chn3 = qb_client_hello(ch, "third.example", 0);
	n = build_initial(dg, QUIC_VERSION_2, server_cid, 5, 0, pl, qb_crypto(pl, ch, 0, chn3));
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_true(res.restarted);
	assert_int_equal(t.f.version, QUIC_VERSION_2);
	assert_sni(&res, "third.example");
}

/* A truncated packet number is expanded against the largest one seen (RFC 9000 A.3): packet
 * 0x100 sent with a 1-byte encoding after packet 0xff. */
static void test_packet_number_decoding(void **state)
{
	uint8_t ch[4096], pl[2000], dg[1500];
	size_t chn = qb_client_hello(ch, "pn.example", 1500);
	struct quic_keys k;
	struct test_flow t;
	struct quic_result res;

	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_1, rfc_dcid, 8, &k), 0);
	struct qb_initial q = {.version = QUIC_VERSION_1,
			       .dcid = rfc_dcid,
			       .dcid_len = 8,
			       .pn = 0xff,
			       .pn_len = 2,
			       .keys = &k};
	size_t n = qb_initial(dg, &q, pl, qb_crypto(pl, ch, 0, 1000), 1200);
	tflow_init(&t);
	assert_int_equal(run(&t, dg, n, &res), PARSE_NEED_MORE);
	q.pn = 0x100;
	q.pn_len = 1;
	n = qb_initial(dg, &q, pl, qb_crypto(pl, ch, 1000, chn - 1000), 1200);
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_int_equal(t.f.largest_pn, 0x100);
	assert_sni(&res, "pn.example");
}

/* Damaged and rule-breaking Initials: MALFORMED, never a crash, and the flow is unharmed. */
static void test_malformed_initials(void **state)
{
	uint8_t ch[1024], pl[1500], dg[1500];
	size_t chn = qb_client_hello(ch, "good.example", 0);
	size_t pn = qb_crypto(pl, ch, 0, chn);
	struct test_flow t;
	struct quic_result res;
	size_t n = build_initial(dg, QUIC_VERSION_1, rfc_dcid, 8, 0, pl, pn);

	/* A flipped bit anywhere after the DCID: undecryptable. */
	static const size_t spots[] = {30, 200, 700, 1199};
	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		dg[spots[i]] ^= 0x10;
		tflow_init(&t);
		assert_int_equal(run(&t, dg, n, &res), PARSE_MALFORMED);
		assert_string_equal(res.reason, "undecryptable");
		assert_false(t.f.has_keys);
		dg[spots[i]] ^= 0x10;
	}
	/* A flipped DCID byte derives other keys: undecryptable. */
	dg[7] ^= 1;
	assert_int_equal(run(&t, dg, n, &res), PARSE_MALFORMED);
	dg[7] ^= 1;
	/* The clean packet still works on the same flow. */
	assert_int_equal(run(&t, dg, n, &res), PARSE_OK);
	assert_sni(&res, "good.example");

	/* Less than 1200 bytes of datagram (RFC 9000 section 14.1). */
	struct quic_keys k;
	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_1, rfc_dcid, 8, &k), 0);
	struct qb_initial q = {.version = QUIC_VERSION_1,
			       .dcid = rfc_dcid,
			       .dcid_len = 8,
			       .pn = 0,
			       .pn_len = 1,
			       .keys = &k};
	n = qb_initial(dg, &q, pl, pn, 0);
	tflow_init(&t);
	assert_int_equal(run(&t, dg, n, &res), PARSE_MALFORMED);
	assert_string_equal(res.reason, "short-datagram");

	/* Reserved bits set under header protection. */
	q.reserved = 0x04;
	n = qb_initial(dg, &q, pl, pn, 1170);
	assert_int_equal(run(&t, dg, n, &res), PARSE_MALFORMED);
	assert_string_equal(res.reason, "reserved-bits");
	q.reserved = 0;

	/* An unknown frame after the CRYPTO frame: the whole packet is refused. */
	pl[pn] = 0x21;
	n = qb_initial(dg, &q, pl, pn + 1, 1170);
	assert_int_equal(run(&t, dg, n, &res), PARSE_MALFORMED);
	assert_string_equal(res.reason, "unknown-frame");
	assert_int_equal(stream_contiguous(&t.f.crypto), 0);

	/* CRYPTO data that is not a ClientHello (a ServerHello type byte). */
	uint8_t sh[64];
	memcpy(sh, ch, 64);
	sh[0] = 0x02;
	n = qb_initial(dg, &q, pl, qb_crypto(pl, sh, 0, 64), 1170);
	tflow_init(&t);
	assert_int_equal(run(&t, dg, n, &res), PARSE_MALFORMED);
	assert_string_equal(res.reason, "not-client-hello");
	assert_int_equal(res.initials, 1);
}

/* A hello larger than the caller's storage cannot be reassembled. */
static void test_hello_too_large(void **state)
{
	uint8_t ch[4096], pl[1500], dg[1500];
	size_t chn = qb_client_hello(ch, "big.example", 3000);
	uint8_t small[1024];
	struct quic_flow f;
	struct quic_result res;

	assert_true(chn > sizeof(small));
	quic_flow_init(&f, small, sizeof(small));
	size_t n =
		build_initial(dg, QUIC_VERSION_1, rfc_dcid, 8, 0, pl, qb_crypto(pl, ch, 0, 1000));
	assert_int_equal(quic_datagram(&f, dg, n, &res), PARSE_MALFORMED);
	assert_string_equal(res.reason, "hello-too-large");
}

/* Every prefix of real datagrams: never a crash or over-read, never OK before the end. */
static void sweep(const uint8_t *dg, size_t n, enum parse_result full)
{
	for (size_t len = 0; len <= n; len++) {
		struct test_flow t;
		struct quic_result res;
		tflow_init(&t);
		enum parse_result r = run(&t, dg, len, &res);
		if (len < n) {
			assert_true(r == PARSE_NOT_MINE || r == PARSE_MALFORMED);
		} else {
			assert_int_equal(r, full);
		}
	}
}

static void test_truncate_sweep(void **state)
{
	uint8_t dg[1300];
	size_t n = test_hex(rfc9001_a2, dg, sizeof(dg));
	sweep(dg, n, PARSE_OK);
	n = test_hex(rfc9369_a2, dg, sizeof(dg));
	sweep(dg, n, PARSE_OK);
}

/* Client datagrams captured from ngtcp2's gtlsclient (GnuTLS) talking to gtlsserver over a
 * veth pair between two network namespaces: an FFDHE-8192 key share makes the ClientHello span
 * two Initial packets, the third datagram is an Initial to the server's connection ID (still
 * under the original keys) coalesced with Handshake packets, then 1-RTT. The file is a sequence
 * of (2-byte big-endian length, datagram) records; data/README says how it was made. */
static size_t load_capture(uint8_t *buf, size_t cap, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/data/%s", TEST_SRCDIR, name);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	size_t n = fread(buf, 1, cap, fp);
	fclose(fp);
	return n;
}

static void test_ngtcp2_capture(void **state)
{
	static const enum parse_result want[] = {PARSE_NEED_MORE, PARSE_OK,	  PARSE_OK,
						 PARSE_NOT_MINE,  PARSE_NOT_MINE, PARSE_NOT_MINE,
						 PARSE_NOT_MINE};
	static uint8_t file[16384];
	size_t n = load_capture(file, sizeof(file), "quic-ngtcp2-split-hello.bin");
	struct test_flow t;
	struct quic_result res;
	size_t count = 0;
	uint8_t first_dcid[QUIC_CID_MAX];

	tflow_init(&t);
	for (size_t off = 0; off + 2 <= n; count++) {
		size_t len = (size_t)file[off] << 8 | file[off + 1];
		off += 2;
		assert_true(len <= n - off);
		assert_true(count < sizeof(want) / sizeof(want[0]));
		assert_int_equal(run(&t, file + off, len, &res), want[count]);
		if (count == 0) {
			/* ngtcp2 picks an 18-byte DCID; one Initial, hello incomplete. */
			assert_int_equal(res.dcid.len, 18);
			memcpy(first_dcid, res.dcid.ptr, 18);
			assert_int_equal(res.initials, 1);
		} else if (count == 1) {
			assert_int_equal(res.initials, 1);
			assert_sni(&res, "sni-split.embargo.test");
			assert_true(res.hello.hello_len > 1200);
			assert_int_equal(res.version, QUIC_VERSION_1);
		} else if (count == 2) {
			assert_int_equal(res.kind, QUIC_KIND_INITIAL);
			assert_int_equal(res.dcid.len, 18);
			assert_memory_not_equal(res.dcid.ptr, first_dcid, 18);
			assert_true(res.packets >= 2);
			assert_int_equal(res.initials, 1);
			assert_false(res.restarted);
		} else {
			assert_int_equal(res.kind, QUIC_KIND_SHORT);
		}
		off += len;
	}
	assert_int_equal(count, sizeof(want) / sizeof(want[0]));
	assert_int_equal(t.f.restarts, 0);
	assert_int_equal(t.f.initials, 3);
	assert_false(res.crypto_conflict);

	/* The second datagram alone (the second half of the hello) is valid but incomplete. */
	size_t l0 = (size_t)file[0] << 8 | file[1];
	size_t l1 = (size_t)file[2 + l0] << 8 | file[3 + l0];
	tflow_init(&t);
	assert_int_equal(run(&t, file + 4 + l0, l1, &res), PARSE_NEED_MORE);
	assert_int_equal(stream_contiguous(&t.f.crypto), 0);
	/* Every prefix of the first two datagrams is refused cleanly. */
	sweep(file + 2, l0, PARSE_NEED_MORE);
	sweep(file + 4 + l0, l1, PARSE_NEED_MORE);
}

#else

/* Built without libcrypto: Initials are recognised but never decrypted. */
static void test_disabled(void **state)
{
	const char *const packets[] = {rfc9001_a2, rfc9369_a2};
	uint8_t dg[1300];
	struct test_flow t;
	struct quic_result res;
	struct quic_keys k;

	for (size_t i = 0; i < 2; i++) {
		size_t n = test_hex(packets[i], dg, sizeof(dg));
		tflow_init(&t);
		assert_int_equal(run(&t, dg, n, &res), PARSE_NOT_MINE);
		assert_string_equal(res.reason, "quic-disabled");
		assert_int_equal(res.kind, QUIC_KIND_INITIAL);
		assert_int_equal(res.dcid.len, 8);
		assert_int_equal(res.initials, 0);
	}
	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_1, rfc_dcid, 8, &k), -ENOTSUP);
}

#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_basic),
		cmocka_unit_test(test_frames_skip_others),
		cmocka_unit_test(test_frames_malformed),
		cmocka_unit_test(test_frames_truncate_sweep),
		cmocka_unit_test(test_frames_rfc_payload),
		cmocka_unit_test(test_frames_google),
#if EMBARGO_HAVE_QUIC
		cmocka_unit_test(test_rfc9001_keys),
		cmocka_unit_test(test_rfc9369_keys),
		cmocka_unit_test(test_keys_errors),
		cmocka_unit_test(test_rfc9001_client_initial),
		cmocka_unit_test(test_rfc9369_client_initial),
		cmocka_unit_test(test_builder_matches_rfc),
		cmocka_unit_test(test_all_versions),
		cmocka_unit_test(test_salts_differ),
		cmocka_unit_test(test_not_initial),
		cmocka_unit_test(test_hello_two_packets),
		cmocka_unit_test(test_crypto_shuffled_overlap),
		cmocka_unit_test(test_coalesced),
		cmocka_unit_test(test_dcid_change_and_restart),
		cmocka_unit_test(test_packet_number_decoding),
		cmocka_unit_test(test_malformed_initials),
		cmocka_unit_test(test_hello_too_large),
		cmocka_unit_test(test_truncate_sweep),
		cmocka_unit_test(test_ngtcp2_capture),
#else
		cmocka_unit_test(test_disabled),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
