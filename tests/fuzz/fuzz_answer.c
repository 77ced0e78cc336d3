/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: DNS responses read for their chain, addresses and ECH public names, whole and as
 * the first segment of a TCP response. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct dns_answer *a)
{
	/* The bounds hold, every address belongs to a name of the chain, the chain starts
	 * with the question (no duplicates). */
	if (a->nchain > ANSWER_CHAIN_MAX || a->naddrs > ANSWER_ADDRS_MAX ||
	    a->nfronts > ANSWER_FRONTS_MAX || (a->naddrs > 0 && a->nchain == 0)) {
		abort();
	}
	for (unsigned i = 0; i < a->naddrs; i++) {
		if (a->addrs[i].owner >= a->nchain ||
		    (a->addrs[i].family != 4 && a->addrs[i].family != 6)) {
			abort();
		}
	}
	for (unsigned i = 0; i < a->nchain; i++) {
		for (unsigned k = 0; k < i; k++) {
			if (a->chain[i].len == a->chain[k].len &&
			    memcmp(a->chain[i].text, a->chain[k].text, a->chain[i].len) == 0) {
				abort();
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data, size);
	static struct dns_answer whole, cut;
	enum parse_result r = dns_answer_parse(buf, size, false, &whole);
	check(&whole);
	enum parse_result rc = dns_answer_parse(buf, size, true, &cut);
	check(&cut);
	/* Allowed to be cut, a whole message reads the same. */
	if (r == PARSE_OK && (rc != PARSE_OK || cut.cut || cut.nchain != whole.nchain ||
			      cut.naddrs != whole.naddrs)) {
		abort();
	}
	/* Cut or not, a prefix never fails for want of bytes. */
	if (size >= 12 && rc == PARSE_NOT_MINE && r != PARSE_NOT_MINE) {
		abort();
	}
	free(buf);
	return 0;
}
