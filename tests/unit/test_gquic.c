/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the Google QUIC CHLO reader: headers of each era, CHLO rules, truncation. */
#include "test.h"

#include "embargo/gquic.h"

/* A test-side CHLO builder: tags given in order with their values. */
struct chlo_tag {
	const char *tag; /* 4 characters; "SNI" gets its NUL from the string */
	const char *value;
	size_t value_len;
};

static void put_le(uint8_t *p, uint32_t v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static size_t build_chlo(uint8_t *out, const struct chlo_tag *tags, size_t n)
{
	size_t k = 0;
	memcpy(out, "CHLO", 4);
	put_le(out + 4, (uint32_t)n, 2);
	put_le(out + 6, 0, 2);
	k = 8 + 8 * n;
	uint32_t end = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(out + 8 + 8 * i, tags[i].tag, 4);
		memcpy(out + k, tags[i].value, tags[i].value_len);
		k += tags[i].value_len;
		end += (uint32_t)tags[i].value_len;
		put_le(out + 8 + 8 * i + 4, end, 4);
	}
	return k;
}

/* A CHLO like a browser's: PAD, SNI, VER in tag order ('PAD\0' < 'SNI\0' < 'VER\0' as
 * little-endian numbers). */
static size_t std_chlo(uint8_t *out, const char *sni)
{
	static const char pad[300] = {0};
	const struct chlo_tag tags[] = {
		{"PAD", pad, sizeof(pad)},
		{"SNI", sni, strlen(sni)},
		{"VER", "Q043", 4},
	};
	return build_chlo(out, tags, 3);
}

/* A STREAM frame for stream `sid` at `offset` carrying `data`, with an explicit 16-bit data
 * length, in the given byte order. */
static size_t stream_frame(uint8_t *out, uint8_t sid, uint16_t offset, const uint8_t *data,
			   size_t len, bool big_endian)
{
	size_t k = 0;
	/* 1 F D OOO SS: D set, OOO = 1 (2-byte offset) when offset != 0, SS = 0 (1-byte id). */
	out[k++] = (uint8_t)(0xa0 | (offset != 0 ? 0x04 : 0));
	out[k++] = sid;
	if (offset != 0) {
		out[k++] = (uint8_t)(big_endian ? offset >> 8 : offset);
		out[k++] = (uint8_t)(big_endian ? offset : offset >> 8);
	}
	out[k++] = (uint8_t)(big_endian ? len >> 8 : len);
	out[k++] = (uint8_t)(big_endian ? len : len >> 8);
	memcpy(out + k, data, len);
	return k + len;
}

static const uint8_t cid[8] = {0xea, 0xcf, 0xe6, 0xe7, 0x06, 0xdf, 0x27, 0x2d};

/* Public header packet of version "Q0nn": flags, CID, version, 1-byte packet number, null
 * hash, [private flags before Q034], frames. */
static size_t public_packet(uint8_t *out, uint8_t flags, const char *ver, const uint8_t *frames,
			    size_t flen)
{
	size_t k = 0;
	out[k++] = flags;
	memcpy(out + k, cid, 8);
	k += 8;
	memcpy(out + k, ver, 4);
	k += 4;
	out[k++] = 1; /* packet number */
	memset(out + k, 0x5c, 12);
	k += 12;
	if (atoi(ver + 1) < 34) {
		out[k++] = 0; /* private flags */
	}
	memcpy(out + k, frames, flen);
	return k + flen;
}

/* Q046 long header Initial: c3 (4-byte packet number), version, 0x50 (DCID 8, no SCID). */
static size_t long_packet(uint8_t *out, uint8_t first, const char *ver, const uint8_t *frames,
			  size_t flen)
{
	size_t k = 0;
	out[k++] = first;
	memcpy(out + k, ver, 4);
	k += 4;
	out[k++] = 0x50;
	memcpy(out + k, cid, 8);
	k += 8;
	memcpy(out + k, "\x00\x00\x00\x04", 4);
	k += 4;
	memset(out + k, 0x5c, 12);
	k += 12;
	memcpy(out + k, frames, flen);
	return k + flen;
}

static enum parse_result run(const uint8_t *p, size_t len, struct gquic_result *out)
{
	uint8_t *copy = test_exact_copy(p, len);
	enum parse_result r = gquic_chlo_sni(copy, len, out);
	static uint8_t keep[1500];
	if (out->has_sni) {
		assert_true(out->sni.ptr >= copy && out->sni.ptr + out->sni.len <= copy + len);
		memcpy(keep, out->sni.ptr, out->sni.len);
		out->sni.ptr = keep;
	}
	if (out->cid.len > 0) {
		assert_true(out->cid.ptr >= copy && out->cid.ptr + out->cid.len <= copy + len);
		out->cid.ptr = NULL; /* not kept: the tests check only its length */
	}
	free(copy);
	return r;
}

static void assert_sni(const struct gquic_result *r, const char *sni)
{
	assert_true(r->has_sni);
	assert_int_equal(r->sni.len, strlen(sni));
	assert_memory_equal(r->sni.ptr, sni, strlen(sni));
}

static void test_q043_public_header(void **state)
{
	uint8_t chlo[1024], fr[1100], pkt[1400];
	size_t cn = std_chlo(chlo, "www.example.org");
	size_t fn = stream_frame(fr, 1, 0, chlo, cn, true);
	fr[fn++] = 0x00; /* padding to the end */
	memset(fr + fn, 0, 100);
	fn += 100;
	size_t n = public_packet(pkt, 0x09, "Q043", fr, fn);
	struct gquic_result r;

	assert_int_equal(run(pkt, n, &r), PARSE_OK);
	assert_int_equal(r.version, 0x51303433);
	assert_int_equal(r.cid.len, 8);
	assert_int_equal(r.tags, 3);
	assert_null(r.reason);
	assert_sni(&r, "www.example.org");
}

/* Before Q039 frame fields are little-endian; before Q034 a private flags byte follows the
 * hash; before Q033 the 8-byte connection ID flag is 0x0c. */
static void test_old_versions(void **state)
{
	uint8_t chlo[1024], fr[1100], pkt[1400];
	size_t cn = std_chlo(chlo, "old.example");
	struct gquic_result r;
	size_t fn, n;

	fn = stream_frame(fr, 1, 0, chlo, cn, false);
	n = public_packet(pkt, 0x0d, "Q025", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_OK);
	assert_sni(&r, "old.example");

	n = public_packet(pkt, 0x09, "Q035", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_OK);
	assert_sni(&r, "old.example");

	/* The same little-endian frame read as Q039 has a byte-swapped length: refused. */
	n = public_packet(pkt, 0x09, "Q039", fr, fn);
	assert_int_not_equal(run(pkt, n, &r), PARSE_OK);
	fn = stream_frame(fr, 1, 0, chlo, cn, true);
	n = public_packet(pkt, 0x09, "Q039", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_OK);
	assert_sni(&r, "old.example");
}

/* Q046: long header, CHLO at a non-zero crypto stream offset (after an earlier CHLO). */
static void test_q046_long_header(void **state)
{
	uint8_t chlo[1024], fr[1100], pkt[1400];
	size_t cn = std_chlo(chlo, "play.example.com");
	size_t fn = 0;
	fr[fn++] = 0x07; /* PING first */
	fn += stream_frame(fr + fn, 1, 1024, chlo, cn, true);
	size_t n = long_packet(pkt, 0xc3, "Q046", fr, fn);
	struct gquic_result r;

	assert_int_equal(run(pkt, n, &r), PARSE_OK);
	assert_int_equal(r.version, 0x51303436);
	assert_int_equal(r.cid.len, 8);
	assert_sni(&r, "play.example.com");

	/* 0-RTT (type 1) and Handshake (type 2) packets are encrypted. */
	n = long_packet(pkt, 0xd3, "Q046", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-not-initial");
}

static void test_versions_not_read(void **state)
{
	uint8_t chlo[1024], fr[1100], pkt[1400];
	size_t cn = std_chlo(chlo, "x.example");
	size_t fn = stream_frame(fr, 1, 0, chlo, cn, true);
	struct gquic_result r;
	size_t n;

	n = long_packet(pkt, 0xc3, "Q050", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-encrypted");
	assert_int_equal(r.version, 0x51303530);
	assert_false(r.has_sni);
	n = long_packet(pkt, 0xc3, "Q099", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-encrypted");
	n = long_packet(pkt, 0xc3, "T051", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-tls");
	n = long_packet(pkt, 0xc3, "Q044", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-unsupported-version");
	n = long_packet(pkt, 0xc3, "Q048", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-unsupported-version");
	n = public_packet(pkt, 0x09, "Q023", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-unsupported-version");
	n = public_packet(pkt, 0x09, "Q046", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	/* IETF QUIC v1 and a version with non-digits. */
	n = long_packet(pkt, 0xc3, "\x00\x00\x00\x01", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "not-gquic");
	n = public_packet(pkt, 0x09, "Q0a3", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "not-gquic");
}

static void test_not_client_hello_packets(void **state)
{
	uint8_t chlo[1024], fr[1100], pkt[1400];
	size_t cn = std_chlo(chlo, "x.example");
	size_t fn = stream_frame(fr, 1, 0, chlo, cn, true);
	struct gquic_result r;
	size_t n;

	/* No version flag (later client packets, server packets). */
	n = public_packet(pkt, 0x08, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-no-version");
	/* Public reset. */
	n = public_packet(pkt, 0x0b, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-reset");
	/* A server's diversification nonce without the CID bit pattern of a client. */
	n = public_packet(pkt, 0x05, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	/* An IETF short header (fixed bit 0x40). */
	n = public_packet(pkt, 0x49, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "not-gquic");
	/* Stream 3 data only, and crypto stream data that is not a CHLO. */
	fn = stream_frame(fr, 3, 0, chlo, cn, true);
	n = public_packet(pkt, 0x09, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-no-chlo");
	chlo[0] = 'S';
	fn = stream_frame(fr, 1, 0, chlo, cn, true);
	n = public_packet(pkt, 0x09, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-no-chlo");
	/* An ACK frame first. */
	fr[0] = 0x40;
	n = public_packet(pkt, 0x09, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_NOT_MINE);
	assert_string_equal(r.reason, "gquic-unsupported-frame");
	/* Empty input. */
	assert_int_equal(run(pkt, 0, &r), PARSE_NOT_MINE);
}

static void test_chlo_rules(void **state)
{
	uint8_t chlo[1024], fr[1100], pkt[1400];
	struct gquic_result r;
	size_t cn, fn, n;

	/* No SNI tag: OK without a name. */
	const struct chlo_tag nosni[] = {{"PAD", "\0\0\0\0", 4}, {"VER", "Q043", 4}};
	cn = build_chlo(chlo, nosni, 2);
	fn = stream_frame(fr, 1, 0, chlo, cn, true);
	n = public_packet(pkt, 0x09, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_OK);
	assert_false(r.has_sni);
	assert_int_equal(r.tags, 2);

	/* An empty SNI value is reported as it is. */
	const struct chlo_tag empty[] = {{"SNI", "", 0}, {"VER", "Q043", 4}};
	cn = build_chlo(chlo, empty, 2);
	fn = stream_frame(fr, 1, 0, chlo, cn, true);
	n = public_packet(pkt, 0x09, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_OK);
	assert_true(r.has_sni);
	assert_int_equal(r.sni.len, 0);

	/* Tags out of order. */
	const struct chlo_tag order[] = {{"VER", "Q043", 4}, {"SNI", "a.example", 9}};
	cn = build_chlo(chlo, order, 2);
	fn = stream_frame(fr, 1, 0, chlo, cn, true);
	n = public_packet(pkt, 0x09, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_MALFORMED);
	assert_string_equal(r.reason, "chlo-tag-order");
	assert_false(r.has_sni);

	/* End offsets going backwards. */
	cn = std_chlo(chlo, "b.example");
	put_le(chlo + 8 + 8 + 4, 5, 4); /* SNI's end before PAD's end (300) */
	fn = stream_frame(fr, 1, 0, chlo, cn, true);
	n = public_packet(pkt, 0x09, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_MALFORMED);
	assert_string_equal(r.reason, "chlo-offsets");

	/* Values running past the frame. */
	cn = std_chlo(chlo, "c.example");
	fn = stream_frame(fr, 1, 0, chlo, cn - 2, true);
	n = public_packet(pkt, 0x09, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_MALFORMED);
	assert_string_equal(r.reason, "chlo-truncated");
	assert_false(r.has_sni);

	/* More tags than allowed. */
	cn = std_chlo(chlo, "d.example");
	put_le(chlo + 4, GQUIC_CHLO_TAGS_MAX + 1, 2);
	fn = stream_frame(fr, 1, 0, chlo, cn, true);
	n = public_packet(pkt, 0x09, "Q043", fr, fn);
	assert_int_equal(run(pkt, n, &r), PARSE_MALFORMED);
	assert_string_equal(r.reason, "chlo-too-many-tags");

	/* A frame whose data length runs past the packet. */
	cn = std_chlo(chlo, "e.example");
	fn = stream_frame(fr, 1, 0, chlo, cn, true);
	n = public_packet(pkt, 0x09, "Q043", fr, fn - 10);
	assert_int_equal(run(pkt, n, &r), PARSE_MALFORMED);
	assert_string_equal(r.reason, "truncated-frame");
}

/* Every prefix of each packet kind: never OK before the end, never an over-read. */
static void test_truncate_sweep(void **state)
{
	uint8_t chlo[1024], fr[1100], pkt[1400];
	size_t cn = std_chlo(chlo, "sweep.example");
	size_t fn = stream_frame(fr, 1, 0, chlo, cn, true);
	size_t lens[3];
	uint8_t pkts[3][1400];

	lens[0] = public_packet(pkts[0], 0x09, "Q043", fr, fn);
	lens[1] = long_packet(pkts[1], 0xc3, "Q046", fr, fn);
	fn = stream_frame(fr, 1, 0, chlo, cn, false);
	lens[2] = public_packet(pkts[2], 0x0d, "Q030", fr, fn);
	for (size_t i = 0; i < 3; i++) {
		memcpy(pkt, pkts[i], lens[i]);
		for (size_t len = 0; len <= lens[i]; len++) {
			struct gquic_result r;
			enum parse_result res = run(pkt, len, &r);
			if (len < lens[i]) {
				assert_true(res == PARSE_NOT_MINE || res == PARSE_MALFORMED);
			} else {
				assert_int_equal(res, PARSE_OK);
				assert_sni(&r, "sweep.example");
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q043_public_header),
		cmocka_unit_test(test_old_versions),
		cmocka_unit_test(test_q046_long_header),
		cmocka_unit_test(test_versions_not_read),
		cmocka_unit_test(test_not_client_hello_packets),
		cmocka_unit_test(test_chlo_rules),
		cmocka_unit_test(test_truncate_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
