/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Alert lines for blocked and alert-only attempts, one key=value line each. */
#include <inttypes.h>
#include <stdio.h>
#include <syslog.h>

#include "alert.h"

void alert_decision(const struct policy *p, const struct inspect_result *r,
		    const struct policy_decision *d, const uint8_t *mac, size_t mac_len)
{
	char client[64], server[64], name[NAME_TEXT_MAX * 4 + 8] = "-", macs[32] = "";
	char rule[512] = "";

	if (d->action != ACTION_ALERT && d->action != ACTION_DROP && d->action != ACTION_REJECT) {
		return;
	}
	pkt_addr_str(&r->pkt, r->pkt.src, client, sizeof(client));
	pkt_addr_str(&r->pkt, r->pkt.dst, server, sizeof(server));
	if (r->state == INSPECT_NAMED && d->name_index < r->nnames) {
		name_escape(&r->names[d->name_index], name, sizeof(name));
	}
	if (mac != NULL && mac_len == 6) {
		snprintf(macs, sizeof(macs), " client_mac=%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
			 mac[1], mac[2], mac[3], mac[4], mac[5]);
	}
	const char *vendor = "-", *category = "-";
	if (d->rule != NULL) {
		if (d->rule->vendor_id < p->nvendors) {
			vendor = p->vendors[d->rule->vendor_id];
		}
		if (d->rule->category_id < p->ncategories) {
			category = p->categories[d->rule->category_id];
		}
		if (d->rule->file_id < p->nfiles) {
			snprintf(rule, sizeof(rule), " rule=%s:%" PRIu32,
				 p->files[d->rule->file_id], d->rule->line);
		}
	}
	bool v6 = r->pkt.ip_version == 6;
	syslog(d->action == ACTION_ALERT ? LOG_NOTICE : LOG_WARNING,
	       "alert: action=%s proto=%s name=%s client=%s%s server=%s%s%s:%u vendor=%s "
	       "category=%s%s",
	       action_str(d->action), inspect_proto_str(r->proto), name, client, macs,
	       v6 ? "[" : "", server, v6 ? "]" : "", r->pkt.dport, vendor, category, rule);
}
