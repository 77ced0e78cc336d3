/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the whole decision model (inspection, policy, verdict) over a sequence of
 * packets. The input is a list of records {uint16 big-endian length, byte flags, packet}; flags
 * bit 0 marks the packet as truncated, bits 2-4 advance the clock by 100 ms steps, bit 5 says
 * the kernel follows the flow, bit 6 switches to a policy that blocks every name, bit 7 expires
 * idle flows. One inspector sees them all, so flow state, reassembly, conflicting copies,
 * confirmations and expiry are exercised across packets. What DNS answers teach goes to one
 * learner for the whole input (the later packets are judged by it), with strip-ech on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/config.h"
#include "embargo/inspect.h"
#include "embargo/learn.h"
#include "embargo/verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Packets replayed per input: enough for multi-segment hellos. */
#define FUZZ_PACKETS_MAX 64

static struct policy *load(const char *text)
{
	struct config_settings s;
	struct policy *p = NULL;
	char err[256];
	if (config_load_buffer("fuzz.conf", text, strlen(text), CONFIG_NO_FILES, NULL, &s, &p, err,
			       sizeof(err)) != 0) {
		abort();
	}
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct inspect_result res;
	static struct policy *listed, *everything;
	if (listed == NULL) {
		listed = load("vendor kaspersky {\n category update {\n *.kaspersky.com\n"
			      "  allow tip.kaspersky.com\n }\n}\nnameless alert\nstrip-ech on\n"
			      "ech block\n");
		everything = load("vendor all {\n category any {\n *.com\n *.org\n *.net\n }\n}\n");
	}
	static struct verdict_judge judge; /* its rewrite buffer is 64 KiB */
	struct verdict v;
	struct inspect_limits lim;
	inspect_limits_default(&lim);
	lim.max_flows = 16;
	lim.max_buffers = 4;
	struct inspector *in = inspector_new(&lim);
	if (in == NULL) {
		return 0;
	}
	verdict_judge_init(&judge, in);
	struct learn_limits ll = {.per_family = 64, .grace_s = 30, .kernel = true};
	struct learner *learner = learn_new(&ll);
	if (learner == NULL) {
		inspector_free(in);
		return 0;
	}
	verdict_judge_learn(&judge, learn_table(learner), true);
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
		struct inspect_meta meta = {
			(flags & 1) != 0, (flags & 0x20) ? INSPECT_MARK_FOLLOW : INSPECT_MARK_NONE,
			(uint32_t)(flags >> 7)};
		verdict_packet(&judge, (flags & 0x40) ? everything : listed, pkt, len, &meta, now,
			       &res, &v);
		if (v.mark > INSPECT_MARK_REJECT || res.nnames > INSPECT_NAMES_MAX ||
		    v.nlearn > INSPECT_ANSWERS_MAX || (v.payload != NULL && v.payload_len != len)) {
			abort();
		}
		const struct policy *used = (flags & 0x40) ? everything : listed;
		for (unsigned i = 0; i < v.nlearn; i++) {
			learn_answer(learner, used, &judge.learn_out[i], (uint32_t)(now / 1000));
		}
		struct learn_op ops[16];
		while (learn_take_ops(learner, ops, 16) > 0) {
		}
		for (unsigned i = 0; i < res.nnames; i++) {
			if (res.names[i].len > NAME_TEXT_MAX) {
				abort();
			}
		}
		free(pkt);
		now += ((flags >> 2) & 0x07u) * 100u;
		if ((flags & 0x80) != 0) {
			inspect_expire(in, now);
			learn_tick(learner, (uint32_t)(now / 1000));
		}
	}
	learn_free(learner);
	inspector_free(in);
	return 0;
}
