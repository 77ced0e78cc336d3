/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names of the shared parser outcomes. */
#include "embargo/common.h"

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
