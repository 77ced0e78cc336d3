/* SPDX-License-Identifier: GPL-2.0-or-later */
/* alert: one syslog line per blocked (or alert-only) attempt. */
#ifndef EMBARGOD_ALERT_H
#define EMBARGOD_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "embargo/inspect.h"
#include "embargo/policy.h"

/*
 * Log the decision `d` for the inspected packet `r` under policy `p` as key=value fields:
 * action, proto, name (escaped), client address (and MAC when `mac` is given), server address
 * and port, vendor, category, rule file:line. Priority warning for drop/reject, notice for
 * alert-only. Other actions log nothing.
 */
void alert_decision(const struct policy *p, const struct inspect_result *r,
		    const struct policy_decision *d, const uint8_t *mac, size_t mac_len);

#endif
