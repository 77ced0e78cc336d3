/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: control request lines and JSON string escaping. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size == 0 ? 1 : size);
	char *text = malloc(size + 1);
	if (buf == NULL || text == NULL) {
		free(buf);
		free(text);
		return 0;
	}
	memcpy(buf, data, size);
	struct ctl_request req;
	const char *why = NULL;
	int rc = ctl_parse_request(buf, size, &req, &why);
	if (why == NULL || (rc != 0 && rc != 1 && rc != -EINVAL) ||
	    (rc == -EINVAL && why[0] == '\0')) {
		abort();
	}
	if (rc == 0 && req.cmd == CTL_TEST &&
	    (req.name.len == 0 || req.name.text[req.name.len] != '\0')) {
		abort();
	}

	/* The input as a C string (up to its first NUL), escaped into a small and a large
	 * buffer: both terminated, the large one holding all of it, the small one a prefix. */
	memcpy(text, data, size);
	text[size] = '\0';
	char small[8];
	size_t need = ctl_json_escape(small, sizeof(small), text);
	if (memchr(small, '\0', sizeof(small)) == NULL || strlen(small) != (need < 8 ? need : 7)) {
		abort();
	}
	char *large = malloc(need + 1);
	if (large != NULL) {
		if (ctl_json_escape(large, need + 1, text) != need || large[need] != '\0' ||
		    strlen(large) != need || strncmp(small, large, strlen(small)) != 0) {
			abort();
		}
		for (size_t i = 0; i < need; i++) {
			if (large[i] < 0x20 || large[i] > 0x7e) {
				abort();
			}
		}
		free(large);
	}
	free(buf);
	free(text);
	return 0;
}
