/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: name normalisation from text and from labels, escaping and suffixes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size == 0 ? 1 : size);
	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	struct name n, s;
	char esc[NAME_TEXT_MAX * 4 + 8];
	if (name_from_text(&n, text, size) == 0) {
		name_escape(&n, esc, sizeof(esc));
		for (unsigned i = 1; i <= n.nlabels; i++) {
			if (name_suffix(&s, &n, i) == 0 && !name_is_subdomain(&n, &s)) {
				abort(); /* a suffix of a name must contain it */
			}
		}
	}
	/* The same bytes as length-prefixed labels. */
	const uint8_t *labels[NAME_LABELS_MAX + 1];
	uint8_t lens[NAME_LABELS_MAX + 1];
	size_t nl = 0, pos = 0;
	while (pos < size && nl <= NAME_LABELS_MAX) {
		size_t l = data[pos] % 64;
		if (l > size - pos - 1) {
			l = size - pos - 1;
		}
		labels[nl] = (const uint8_t *)text + pos + 1;
		lens[nl] = (uint8_t)l;
		nl++;
		pos += l + 1;
	}
	if (name_from_labels(&n, labels, lens, nl) == 0) {
		name_escape(&n, esc, 17);
	}
	free(text);
	return 0;
}
