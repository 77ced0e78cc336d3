/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: DNS message, answer section, TCP framing and reply building. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data, size);
	struct dns_msg m;
	struct dns_rr rr[8];
	size_t count;
	enum parse_result r = dns_msg_parse(buf, size, &m);
	if (r == PARSE_OK) {
		dns_answers_parse(buf, size, &m, rr, 8, &count);
		uint8_t out[4096];
		struct dns_reply_opts o = {.kind = DNS_REPLY_SINKHOLE,
					   .sinkhole_v4 = {192, 0, 2, 1},
					   .sinkhole_v6 = {0x20, 1},
					   .ttl = 60,
					   .ede = true,
					   .ede_code = DNS_EDE_BLOCKED,
					   .ede_text = "embargo: vendor/category"};
		int n = dns_reply_build(buf, size, &m, &o, out, sizeof(out));
		/* A reply the builder made must parse back as a response to the same id. */
		struct dns_msg back;
		if (n > 0 && (dns_msg_parse(out, (size_t)n, &back) != PARSE_OK ||
			      !back.is_response || back.id != m.id)) {
			abort();
		}
	}
	/* The same bytes as a DNS-over-TCP stream. */
	size_t pos = 0;
	for (unsigned i = 0; i < 64 && pos < size; i++) {
		struct span msg;
		size_t used;
		if (dns_tcp_next(buf + pos, size - pos, &msg, &used) != PARSE_OK) {
			break;
		}
		dns_msg_parse(msg.ptr, msg.len, &m);
		pos += used;
	}
	free(buf);
	return 0;
}
