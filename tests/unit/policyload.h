/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A policy from configuration text, for the tests that decide with one. */
#ifndef EMBARGO_TEST_POLICYLOAD_H
#define EMBARGO_TEST_POLICYLOAD_H

#include "test.h"

#include "embargo/config.h"

/* The policy `text` loads to (no include files); fails the test when it does not load. */
static inline struct policy *test_load_policy(const char *text)
{
	struct config_settings s;
	struct policy *p = NULL;
	char err[256] = "";
	if (config_load_buffer("test.conf", text, strlen(text), CONFIG_NO_FILES, NULL, &s, &p, err,
			       sizeof(err)) != 0) {
		fail_msg("%s", err);
	}
	return p;
}

#endif
