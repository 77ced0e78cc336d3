/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What embargod runs with, from its options: the policy and the inspection limits (load.h). */
#include <stdio.h>
#include <string.h>

#include "embargo/inspect.h"
#include "embargo/policy.h"
#include "embargo/settings.h"
#include "fileio.h"
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
		if (config_load(o->config_path, 0, &fileio_posix, s, &p, err, err_size) != 0) {
			return NULL;
		}
	} else if (o->nblocklists == 0) {
		p = policy_new_empty();
		if (p == NULL) {
			snprintf(err, err_size, "out of memory");
			return NULL;
		}
	} else if (policy_load_domain_lists(&fileio_posix, o->blocklists, o->nblocklists, &p, err,
					    err_size) != 0) {
		return NULL;
	}
	/* The settings a reload applies to the policy: the command line's, else the file's,
	 * else the defaults. */
	struct config_settings now;
	settings_merge(&now, &o->cli, s);
	p->nameless_action = now.nameless_action;
	p->unfinished_action = now.unfinished_action;
	p->responses = now.dns_responses;
	p->cname_cloaking = now.cname_cloaking;
	p->ech_action = now.ech_action;
	p->strip_ech = now.strip_ech;
	return p;
}

void load_inspect_limits(const struct embargod_opts *o, struct inspect_limits *lim)
{
	inspect_limits_default(lim);
	if (o->cfg.flow_packets > 0) {
		lim->flow_packets = o->cfg.flow_packets;
	}
	if (o->cfg.flow_timeout_s > 0) {
		lim->flow_timeout_ms = o->cfg.flow_timeout_s * 1000;
	}
	if (o->cfg.flows_max > 0) {
		lim->max_flows = o->cfg.flows_max;
	}
	if (o->cfg.buffers_max > 0) {
		lim->max_buffers = o->cfg.buffers_max;
	}
}
