/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: link-layer decapsulation and IP/UDP/TCP parsing. The first input byte picks the
 * link type, the second whether truncation is allowed; the rest is the frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int link_types[] = {PKT_LINK_NULL, PKT_LINK_ETHERNET,   PKT_LINK_PPP,
				 PKT_LINK_RAW,	PKT_LINK_LOOP,	     PKT_LINK_LINUX_SLL,
				 PKT_LINK_IPV4, PKT_LINK_LINUX_SLL2, 12};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2) {
		return 0;
	}
	int lt = link_types[data[0] % (sizeof(link_types) / sizeof(link_types[0]))];
	bool truncated_ok = data[1] & 1;
	size_t len = size - 2;
	/* An exact-size copy so a sanitizer sees any read past the end. */
	uint8_t *frame = malloc(len == 0 ? 1 : len);
	if (frame == NULL) {
		return 0;
	}
	memcpy(frame, data + 2, len);
	struct pkt_link link;
	struct pkt p;
	if (pkt_link_decap(lt, frame, len, &link) == PARSE_OK && link.ip_offset <= len) {
		if (pkt_parse(frame + link.ip_offset, len - link.ip_offset, truncated_ok, &p) ==
			    PARSE_OK &&
		    p.payload_len > 0) {
			/* Touch the payload so an out-of-range span is caught. */
			volatile uint8_t sum = 0;
			for (size_t i = 0; i < p.payload_len; i++) {
				sum = (uint8_t)(sum + p.payload[i]);
			}
			(void)sum;
		}
	}
	free(frame);
	return 0;
}
