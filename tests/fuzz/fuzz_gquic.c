/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: Google QUIC client hello (CHLO) SNI extraction from one UDP payload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/gquic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so a sanitizer sees any read past the end. */
	uint8_t *copy = malloc(size == 0 ? 1 : size);
	struct gquic_result res;

	if (copy == NULL) {
		return 0;
	}
	memcpy(copy, data, size);
	if (gquic_chlo_sni(copy, size, &res) == PARSE_OK && res.has_sni) {
		volatile uint8_t sum = 0;
		for (size_t i = 0; i < res.sni.len; i++) {
			sum = (uint8_t)(sum + res.sni.ptr[i]);
		}
		(void)sum;
	}
	free(copy);
	return 0;
}
