/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the configuration compiler on untrusted text (no includes or imports). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data, size);
	struct config_settings s;
	struct policy *p = NULL;
	char err[256];
	memset(err, 'x', sizeof(err));
	int rc = config_load_buffer("fuzz.conf", buf, size, CONFIG_NO_FILES, NULL, &s, &p, err,
				    sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL) {
		abort(); /* the message is always terminated */
	}
	if (rc == 0) {
		if (p == NULL) {
			abort();
		}
		policy_free(p);
	} else if (err[0] == '\0' || p != NULL) {
		abort(); /* a failure explains itself and hands out no policy */
	}
	free(buf);
	return 0;
}
