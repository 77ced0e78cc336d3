/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QUIC versions this library reads: their Initial salts, type bits and labels, and the
 * client's Initial keys they give. */
#include <errno.h>

#include "embargo/quic.h"
#include "quic_crypto.h"
#include "quic_versions.h"

/* Initial salts (RFC 9001 section 5.2 and the drafts before it, RFC 9369 section 3.3.1). */
static const uint8_t salt_v1[QUIC_SALT_LEN] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
					       0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
					       0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[QUIC_SALT_LEN] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6,
					       0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
					       0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
/* draft-ietf-quic-tls-23 to -28 */
static const uint8_t salt_d23[QUIC_SALT_LEN] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb,
						0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4,
						0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
/* draft-ietf-quic-tls-29 to -32 */
static const uint8_t salt_d29[QUIC_SALT_LEN] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2,
						0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61,
						0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
/* draft-ietf-quic-tls-22 (used by mvfst's 0xfaceb001) */
static const uint8_t salt_d22[QUIC_SALT_LEN] = {0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb,
						0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51,
						0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a};
/* Google's T050 and T051 (Chromium QUICHE, crypto_utils.cc InitialSaltForVersion) */
static const uint8_t salt_t050[QUIC_SALT_LEN] = {0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72,
						 0x91, 0x55, 0x80, 0x30, 0x4c, 0x43, 0xa2,
						 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10};
static const uint8_t salt_t051[QUIC_SALT_LEN] = {0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee,
						 0x5f, 0xa4, 0x50, 0x6c, 0x19, 0x12, 0x4f,
						 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d};

static const struct quic_version_info quic_versions[] = {
	{QUIC_VERSION_1, QUIC_VERSION_1, salt_v1, false, false},
	{QUIC_VERSION_2, QUIC_VERSION_2, salt_v2, true, false},
	{QUIC_VERSION_DRAFT(23), QUIC_VERSION_DRAFT(28), salt_d23, false, false},
	{QUIC_VERSION_DRAFT(29), QUIC_VERSION_DRAFT(32), salt_d29, false, false},
	/* draft-ietf-quic-tls-33 and -34 already carry the final salt */
	{QUIC_VERSION_DRAFT(33), QUIC_VERSION_DRAFT(34), salt_v1, false, false},
	{QUIC_VERSION_T050, QUIC_VERSION_T050, salt_t050, false, true},
	{QUIC_VERSION_T051, QUIC_VERSION_T051, salt_t051, false, true},
	/* mvfst (QuicConstants.h / FizzCryptoFactory.cpp): 0xfaceb002 and the experimental alias
	 * 0xfaceb00e use the draft-23 salt, 0xfaceb001 the draft-22 one, 0xfaceb003 is v1. */
	{QUIC_VERSION_MVFST_D22, QUIC_VERSION_MVFST_D22, salt_d22, false, false},
	{QUIC_VERSION_MVFST, QUIC_VERSION_MVFST, salt_d23, false, false},
	{QUIC_VERSION_MVFST_V1, QUIC_VERSION_MVFST_V1, salt_v1, false, false},
	{QUIC_VERSION_MVFST_EXP, QUIC_VERSION_MVFST_EXP, salt_d23, false, false},
};

const struct quic_version_info *quic_version_lookup(uint32_t version)
{
	for (size_t i = 0; i < sizeof(quic_versions) / sizeof(quic_versions[0]); i++) {
		if (version >= quic_versions[i].first && version <= quic_versions[i].last) {
			return &quic_versions[i];
		}
	}
	return NULL;
}

bool quic_version_is_known(uint32_t version)
{
	return quic_version_lookup(version) != NULL;
}

int quic_client_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			     struct quic_keys *out)
{
	const struct quic_version_info *vi = quic_version_lookup(version);

	if (vi == NULL) {
		return -EPROTONOSUPPORT;
	}
	if (dcid_len > QUIC_CID_MAX) {
		return -EINVAL;
	}
	return quic_crypto_client_keys(vi->salt, vi->v2 ? "quicv2" : "quic", dcid, dcid_len, out);
}
