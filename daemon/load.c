/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What embargod runs with, from its options: the policy and the inspection limits (load.h). */
#include <stdio.h>
#include <string.h>

#include "embargo/inspect.h"
#include "embargo/policy.h"
#include "load.h"

struct policy *load_policy(const struct embargod_opts *o, struct config_settings *s, char *err,
			   size_t err_size)
{
	struct policy *p = NULL;
	struct config_settings unused;
	if (s == NULL) {
		s = &unused;
	}
	memset(s, 0, sizeof(*s));
	if (o->config_path != NULL) {
		if (config_load(o->config_path, 0, s, &p, err, err_size) != 0) {
			return NULL;
		}
	} else if (o->nblocklists == 0) {
		p = policy_new_empty();
		if (p == NULL) {
			snprintf(err, err_size, "out of memory");
			return NULL;
		}
	} else if (policy_load_domain_lists(o->blocklists, o->nblocklists, &p, err, err_size) !=
		   0) {
		return NULL;
	}
	/* The command line's --nameless wins; else the configuration's; else the default. */
	if ((o->cli_set & CFG_NAMELESS) != 0 || (s->set & CFG_NAMELESS) == 0) {
		p->nameless_action = (enum action)o->nameless_action;
	}
	if ((o->cli_set & CFG_UNFINISHED) != 0 || (s->set & CFG_UNFINISHED) == 0) {
		p->unfinished_action = (enum action)o->unfinished_action;
	}
	/* The same for the switches of DNS responses and ECH, which a reload applies too. */
	if ((o->cli_set & CFG_DNS_RESPONSES) != 0 || (s->set & CFG_DNS_RESPONSES) == 0) {
		p->responses = o->dns_responses;
	}
	if ((o->cli_set & CFG_CNAME_CLOAKING) != 0 || (s->set & CFG_CNAME_CLOAKING) == 0) {
		p->cname_cloaking = o->cname_cloaking;
	}
	if ((o->cli_set & CFG_ECH) != 0 || (s->set & CFG_ECH) == 0) {
		p->ech_action = (enum action)o->ech_action;
	}
	if ((o->cli_set & CFG_STRIP_ECH) != 0 || (s->set & CFG_STRIP_ECH) == 0) {
		p->strip_ech = o->strip_ech;
	}
	return p;
}

void load_inspect_limits(const struct embargod_opts *o, struct inspect_limits *lim)
{
	inspect_limits_default(lim);
	if (o->flow_packets > 0) {
		lim->flow_packets = o->flow_packets;
	}
	if (o->flow_timeout_s > 0) {
		lim->flow_timeout_ms = o->flow_timeout_s * 1000;
	}
	if (o->max_flows > 0) {
		lim->max_flows = o->max_flows;
	}
	if (o->max_buffers > 0) {
		lim->max_buffers = o->max_buffers;
	}
}
