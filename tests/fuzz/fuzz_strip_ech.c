/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the strip-ech rewrite of DNS responses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size == 0 ? 1 : size);
	uint8_t *out = malloc(size == 0 ? 1 : size);
	uint8_t *again = malloc(size == 0 ? 1 : size);
	if (buf == NULL || out == NULL || again == NULL) {
		abort();
	}
	memcpy(buf, data, size);
	static struct dns_answer before, after;
	dns_answer_parse(buf, size, true, &before);
	int n = dns_strip_ech(buf, size, out);
	/* The input is never written. */
	if (memcmp(buf, data, size) != 0) {
		abort();
	}
	if (n >= 0) {
		/* Every ech parameter the reader counts is taken out (or, refused, none); the
		 * header, the chain and the framing read the same; a second pass finds nothing. */
		dns_answer_parse(out, size, true, &after);
		if ((n > 0 && ((unsigned)n != before.ech_params || after.ech_params != 0)) ||
		    (n == 0 && memcmp(out, buf, size) != 0) || after.nchain != before.nchain ||
		    after.cut != before.cut || dns_strip_ech(out, size, again) != 0 ||
		    (size >= 12 && memcmp(out, buf, 12) != 0)) {
			abort();
		}
	}
	free(buf);
	free(out);
	free(again);
	return 0;
}
