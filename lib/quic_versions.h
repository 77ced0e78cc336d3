/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QUIC versions this library reads (quic_versions.c), for the packet walk (quic.c).
 * Internal to libembargo. */
#ifndef EMBARGO_QUIC_VERSIONS_H
#define EMBARGO_QUIC_VERSIONS_H

#include <stdbool.h>
#include <stdint.h>

/* What this library knows of a version: its salt and whether it uses the v2 type bits and
 * "quicv2" labels (RFC 9369 sections 3.2, 3.3). */
struct quic_version_info {
	uint32_t first; /* a range of version numbers sharing one salt */
	uint32_t last;
	const uint8_t *salt;
	bool v2;	   /* RFC 9369 type bits and "quicv2" labels */
	bool gquic_frames; /* Google QUIC frame encoding inside (T050, T051) */
};

/* What is known of `version`, or NULL when it is none of ours. */
const struct quic_version_info *quic_version_lookup(uint32_t version);

#endif
