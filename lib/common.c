/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names of the shared parser outcomes; growable arrays. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "embargo/common.h"
#include "reserve.h"

const char *parse_result_str(enum parse_result r)
{
	switch (r) {
	case PARSE_OK:
		return "ok";
	case PARSE_NEED_MORE:
		return "need-more";
	case PARSE_NOT_MINE:
		return "not-mine";
	case PARSE_MALFORMED:
		return "malformed";
	}
	return "?";
}

int array_reserve(void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap) {
		return 0;
	}
	size_t ncap = *cap < 16 ? 16 : *cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size) {
			return -ENOMEM;
		}
		ncap *= 2;
	}
	void *p = realloc(*arr, ncap * size);
	if (p == NULL) {
		return -ENOMEM;
	}
	*arr = p;
	*cap = ncap;
	return 0;
}
