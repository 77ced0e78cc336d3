/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the whole inspection pipeline over a sequence of packets. The input is a list of
 * records {uint16 big-endian length, byte flags, packet}; flags bit 0 marks the packet as
 * truncated, bit 1 records a decision for its flow afterwards. One inspector sees them all, so
 * flow state, reassembly and expiry are exercised across packets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Packets replayed per input: enough for multi-segment hellos. */
#define FUZZ_PACKETS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct inspect_result res;
	struct inspect_limits lim;
	inspect_limits_default(&lim);
	lim.max_flows = 16;
	lim.max_buffers = 4;
	struct inspector *in = inspector_new(&lim);
	if (in == NULL) {
		return 0;
	}
	size_t pos = 0;
	uint64_t now = 1000;
	for (unsigned n = 0; n < FUZZ_PACKETS_MAX && size - pos >= 3; n++) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];
		uint8_t flags = data[pos + 2];
		pos += 3;
		if (len > size - pos) {
			len = size - pos;
		}
		uint8_t *pkt = malloc(len == 0 ? 1 : len); /* exact size for the sanitizers */
		if (pkt == NULL) {
			break;
		}
		memcpy(pkt, data + pos, len);
		pos += len;
		inspect_packet(in, pkt, len, (flags & 1) != 0, now, &res);
		if ((flags & 2) != 0 &&
		    (res.state == INSPECT_NAMED || res.state == INSPECT_NAMELESS ||
		     res.state == INSPECT_MALFORMED)) {
			inspect_decide(in, &res, 1);
		}
		for (unsigned i = 0; i < res.nnames; i++) {
			if (res.names[i].len > NAME_TEXT_MAX) {
				abort();
			}
		}
		free(pkt);
		now += (flags >> 2) * 100u;
		if ((flags & 0x80) != 0) {
			inspect_expire(in, now);
		}
	}
	inspector_free(in);
	return 0;
}
