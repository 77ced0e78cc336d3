/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What embargoctl's commands answer: status, stats, reload, test NAME, clients, addresses and
 * audit, as text or JSON. The connections they arrive on are control.c's. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "control.h"
#include "embargo/policy.h"
#include "embargo_config.h"
#include "log.h"

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	for (int attempt = 0; attempt < 2 && !b->failed; attempt++) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p != NULL ? b->p + b->len : NULL,
				  b->p != NULL ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if (b->p != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = (b->cap != 0 ? b->cap : 4096) * 2 + (size_t)n;
		char *np = realloc(b->p, ncap);
		if (np == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

/* A JSON string value, quoted. */
static void sb_json_str(struct sbuf *b, const char *s)
{
	char small[512];
	size_t need = ctl_json_escape(small, sizeof(small), s);
	if (need < sizeof(small)) {
		sb_printf(b, "\"%s\"", small);
		return;
	}
	char *big = malloc(need + 1);
	if (big == NULL) {
		b->failed = true;
		return;
	}
	ctl_json_escape(big, need + 1, s);
	sb_printf(b, "\"%s\"", big);
	free(big);
}

static void fmt_time(char *out, size_t size, time_t t)
{
	struct tm tm;
	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "-");
		return;
	}
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const struct policy *current(const struct daemon *d)
{
	return atomic_load(&((struct daemon *)d)->shared.policy);
}

static void cmd_status(const struct daemon *d, bool json, struct sbuf *b)
{
	const struct embargod_opts *o = d->o;
	const struct policy *p = current(d);
	uint64_t up = (monotonic_ms() - d->started_ms) / 1000;
	char since[32], last[32];
	fmt_time(since, sizeof(since), d->started);
	fmt_time(last, sizeof(last), d->last_reload);
	const char *cfg = o->config_path != NULL ? o->config_path : "(domain lists given with -b)";
	if (json) {
		sb_printf(b,
			  "{\"version\":\"%s\",\"pid\":%ld,\"uptime_s\":%" PRIu64
			  ",\"started\":\"%s\","
			  "\"config\":",
			  EMBARGO_VERSION, (long)getpid(), up, since);
		sb_json_str(b, cfg);
		sb_printf(b,
			  ",\"generation\":%" PRIu32 ",\"reloads\":%" PRIu64
			  ",\"reload_failures\":%" PRIu64
			  ",\"last_reload\":\"%s\",\"last_reload_error\":",
			  p->generation, d->reloads, d->reload_failures, last);
		sb_json_str(b, d->last_reload_error);
		sb_printf(b,
			  ",\"queues\":[%u,%u],\"workers\":%u,\"fail_open\":%s,\"rules\":%zu,"
			  "\"vendors\":%u,\"categories\":%u}\n",
			  o->cfg.queue.first, o->cfg.queue.last, d->nworkers,
			  o->cfg.fail_closed ? "false" : "true", domainset_count(p->ds),
			  p->nvendors, p->ncategories);
		return;
	}
	sb_printf(b,
		  "embargod %s, pid %ld, up %" PRIu64 "d %02" PRIu64 "h%02" PRIu64 "m%02" PRIu64
		  "s (since %s)\n",
		  EMBARGO_VERSION, (long)getpid(), up / 86400, up / 3600 % 24, up / 60 % 60,
		  up % 60, since);
	sb_printf(b, "config:      %s, generation %" PRIu32 "\n", cfg, p->generation);
	sb_printf(b, "reloads:     %" PRIu64 " done, %" PRIu64 " refused%s%s%s\n", d->reloads,
		  d->reload_failures, d->reload_failures > 0 ? " (last: " : "",
		  d->reload_failures > 0 ? d->last_reload_error : "",
		  d->reload_failures > 0 ? ")" : "");
	sb_printf(b, "queues:      %u-%u, %u worker(s), fail-%s\n", o->cfg.queue.first,
		  o->cfg.queue.last, d->nworkers, o->cfg.fail_closed ? "closed" : "open");
	sb_printf(b, "rules:       %zu from %u vendor(s)\n", domainset_count(p->ds), p->nvendors);
}

static uint64_t queue_received(const struct daemon *d, unsigned i)
{
	struct worker_stats s;
	worker_stats_get(&d->workers[i], &s);
	return s.received;
}

static void cmd_stats(struct daemon *d, bool json, struct sbuf *b)
{
	struct daemon_totals all;
	struct overload_figures f;
	daemon_overload_update(d);
	daemon_totals(d, &all);
	const struct worker_stats *t = &all.queues;
	const struct alert_totals *a = &all.alerts;
	daemon_overload(d, t, &f);
	uint64_t verdicts = t->accepted + t->dropped + t->marked_block;
	struct learning_stats ls;
	memset(&ls, 0, sizeof(ls));
	if (d->learning != NULL) {
		learning_get_stats(d->learning, &ls);
	}
	const struct {
		const char *k;
		uint64_t v;
		bool known; /* false: the source could not be read (null, "-") */
	} rows[] = {
		{"received", t->received, true},
		{"verdicts", verdicts, true},
		{"accepted", t->accepted, true},
		{"dropped", t->dropped, true},
		{"marked_block", t->marked_block, true},
		{"named", t->named, true},
		{"nameless", t->nameless, true},
		{"unfinished", t->unfinished, true},
		{"malformed", t->malformed, true},
		{"pending", t->pending, true},
		{"ignored", t->ignored, true},
		{"decided", t->decided, true},
		{"held_back", t->held_back, true},
		{"blocked", t->blocked, true},
		{"alerted", t->alerted, true},
		{"dns_forged", t->dns_forged, true},
		{"dns_forge_failed", t->dns_forge_failed, true},
		{"quic_vn_sent", t->quic_vn_sent, true},
		{"quic_vn_failed", t->quic_vn_failed, true},
		{"dns_answers", t->answers, true},
		{"dns_answers_blocked", t->answers_blocked, true},
		{"ech_stripped", t->ech_stripped, true},
		{"tcp_resets_sent", t->tcp_resets_sent, true},
		{"tcp_resets_failed", t->tcp_resets_failed, true},
		{"by_address", t->by_address, true},
		{"by_ech_front", t->by_ech_front, true},
		{"learn_answers_lost", t->learn_lost, true},
		{"learn_answers_listed", ls.learn.answers_listed, true},
		{"learn_answers_unlisted", ls.learn.answers_unlisted, true},
		{"learned_addresses", ls.learn.learned, true},
		{"learned_addresses_v4", ls.learn.addrs4, true},
		{"learned_addresses_v6", ls.learn.addrs6, true},
		{"learned_fronts", ls.learn.fronts, true},
		{"learned_full", ls.learn.full, true},
		{"learned_shared", ls.learn.shared, true},
		{"learn_kernel_ops", ls.kernel.sent, true},
		{"learn_kernel_ops_dropped", ls.learn.ops_dropped + ls.kernel.send_failed, true},
		{"learn_kernel_errors", ls.kernel.errors, true},
		{"queue_overflows", f.overflows, true},
		{"queue_full", f.queue_full, f.queue_full_known},
		{"socket_full", f.socket_full, true},
		{"admission_dropped", f.admission_dropped, f.admission_known},
		{"rules_queued", f.rules_queued, f.admission_known},
		{"recv_errors", t->recv_errors + t->verdicts_refused, true},
		{"send_errors", t->send_errors, true},
		{"verdicts_unsent", t->verdicts_unsent, true},
		{"alert_attempts", a->attempts, true},
		{"alert_lines", a->logged, true},
		{"alert_repeats", a->repeats, true},
		{"alert_summaries", a->summaries, true},
		{"alert_rate_limited", a->rate_limited, true},
		{"alert_records_lost", t->alerts_lost, true},
		{"log_lines_sent", all.log.sent, true},
		{"log_lines_lost", all.log.lost, true},
	};
	const size_t nrows = sizeof(rows) / sizeof(rows[0]);
	if (json) {
		sb_printf(b, "{");
		for (size_t i = 0; i < nrows; i++) {
			if (rows[i].known) {
				sb_printf(b, "%s\"%s\":%" PRIu64, i == 0 ? "" : ",", rows[i].k,
					  rows[i].v);
			} else {
				sb_printf(b, "%s\"%s\":null", i == 0 ? "" : ",", rows[i].k);
			}
		}
		sb_printf(b, ",\"overflow\":\"%s\",\"overflow_counted_by\":\"%s\"",
			  f.fail_open ? "accept" : "drop", f.from_kernel ? "kernel" : "derived");
		sb_printf(b, ",\"by_proto\":{");
		for (size_t i = 1; i <= INSPECT_PROTO_GQUIC; i++) {
			sb_printf(b, "%s\"%s\":%" PRIu64, i == 1 ? "" : ",",
				  inspect_proto_str((enum inspect_proto)i), t->by_proto[i]);
		}
		sb_printf(b, "},\"queues\":{");
		for (unsigned i = 0; i < d->nworkers; i++) {
			sb_printf(b, "%s\"%u\":%" PRIu64, i == 0 ? "" : ",", d->workers[i].queue,
				  queue_received(d, i));
		}
		sb_printf(b, "}}\n");
		return;
	}
	for (size_t i = 0; i < nrows; i++) {
		if (rows[i].known) {
			sb_printf(b, "%-20s %" PRIu64 "\n", rows[i].k, rows[i].v);
		} else {
			sb_printf(b, "%-20s -\n", rows[i].k);
		}
	}
	sb_printf(b, "%-20s overflowing packets are %s; %s\n", "overflow", overload_fate_str(&f),
		  f.from_kernel ? "counted by the kernel"
		  : f.queue_full_known
			  ? "derived from the queue rules' counters and the packet ids"
			  : "queue_full unknown: the queue rules' counters cannot be read "
			    "(iptables-legacy?), see embargo-firewall status");
	sb_printf(b, "%-20s", "by protocol");
	for (size_t i = 1; i <= INSPECT_PROTO_GQUIC; i++) {
		sb_printf(b, " %s=%" PRIu64, inspect_proto_str((enum inspect_proto)i),
			  t->by_proto[i]);
	}
	sb_printf(b, "\n%-20s", "by queue");
	for (unsigned i = 0; i < d->nworkers; i++) {
		sb_printf(b, " %u=%" PRIu64, d->workers[i].queue, queue_received(d, i));
	}
	sb_printf(b, "\n");
}

static const char *str_or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

static void cmd_test(const struct daemon *d, const struct name *n, bool json, struct sbuf *b)
{
	const struct policy *p = current(d);
	const struct rule_meta *m = NULL;
	char name[NAME_TEXT_MAX * 4 + 8];
	name_escape(n, name, sizeof(name));
	policy_lookup(p, n, &m);
	const char *verdict = m != NULL && m->kind != DS_ALLOW ? "block" : "pass";
	const char *why = m == NULL ? "no rule" : m->kind == DS_ALLOW ? "exception" : "listed";
	struct policy_rule_names rn;
	policy_rule_names(p, m, &rn);
	const char *file = str_or(rn.file, "-");
	const char *vendor = str_or(rn.vendor, "-");
	const char *category = str_or(rn.category, "-");
	const char *reason = str_or(rn.vendor_reason, "");
	static const enum inspect_proto protos[] = {INSPECT_PROTO_DNS, INSPECT_PROTO_TLS,
						    INSPECT_PROTO_HTTP, INSPECT_PROTO_QUIC};
	static const char *const pnames[] = {"dns", "tls", "http", "quic"};
	if (json) {
		sb_printf(b, "{\"name\":");
		sb_json_str(b, name);
		sb_printf(b, ",\"verdict\":\"%s\",\"why\":\"%s\",\"rule\":", verdict, why);
		if (m == NULL) {
			sb_printf(b, "null");
		} else {
			sb_printf(b, "{\"file\":");
			sb_json_str(b, file);
			sb_printf(b, ",\"line\":%" PRIu32 ",\"vendor\":", m->line);
			sb_json_str(b, vendor);
			sb_printf(b, ",\"category\":");
			sb_json_str(b, category);
			sb_printf(b, ",\"reason\":");
			sb_json_str(b, reason);
			sb_printf(b, "}");
		}
		sb_printf(b, ",\"actions\":{");
		for (size_t i = 0; i < 4; i++) {
			sb_printf(b, "%s\"%s\":\"%s\"", i == 0 ? "" : ",", pnames[i],
				  action_str(policy_lookup_proto(p, n, protos[i], NULL)));
		}
		sb_printf(b, "}}\n");
		return;
	}
	if (m == NULL) {
		sb_printf(b, "%s: pass (no rule applies)\n", name);
		return;
	}
	sb_printf(b, "%s: %s (%s)\n", name, verdict, why);
	sb_printf(b, "  rule:     %s:%" PRIu32 "\n", file, m->line);
	sb_printf(b, "  vendor:   %s%s%s%s\n", vendor, rn.vendor_title != NULL ? " (" : "",
		  str_or(rn.vendor_title, ""), rn.vendor_title != NULL ? ")" : "");
	sb_printf(b, "  category: %s\n", category);
	if (reason[0] != '\0') {
		sb_printf(b, "  reason:   %s\n", reason);
	}
	sb_printf(b, "  action:  ");
	for (size_t i = 0; i < 4; i++) {
		sb_printf(b, " %s=%s", pnames[i],
			  action_str(policy_lookup_proto(p, n, protos[i], NULL)));
	}
	sb_printf(b, "\n");
}

static void cmd_clients(bool json, struct sbuf *b)
{
	struct alert_client *c = calloc(ALERT_CLIENTS_MAX, sizeof(*c));
	if (c == NULL) {
		b->failed = true;
		return;
	}
	size_t n = alert_get_clients(c, ALERT_CLIENTS_MAX);
	if (json) {
		sb_printf(b, "[");
	} else if (n == 0) {
		sb_printf(b, "no client has attempted a listed name\n");
	} else {
		sb_printf(b, "%-39s %-17s %8s %8s %-20s %-20s %s\n", "CLIENT", "MAC", "ATTEMPTS",
			  "BLOCKED", "FIRST", "LAST", "LAST NAME (VENDOR/CATEGORY)");
	}
	for (size_t i = 0; i < n; i++) {
		char first[32], last[32];
		fmt_time(first, sizeof(first), c[i].first);
		fmt_time(last, sizeof(last), c[i].last);
		if (json) {
			sb_printf(b, "%s{\"client\":", i == 0 ? "" : ",");
			sb_json_str(b, c[i].addr);
			sb_printf(b, ",\"mac\":");
			sb_json_str(b, c[i].mac);
			sb_printf(b,
				  ",\"attempts\":%" PRIu64 ",\"blocked\":%" PRIu64
				  ",\"first\":\"%s\",\"last\":\"%s\",\"last_name\":",
				  c[i].attempts, c[i].blocked, first, last);
			sb_json_str(b, c[i].last_name);
			sb_printf(b, ",\"last_vendor\":");
			sb_json_str(b, c[i].last_vendor);
			sb_printf(b, ",\"last_category\":");
			sb_json_str(b, c[i].last_category);
			sb_printf(b, ",\"last_action\":\"%s\"}", c[i].last_action);
		} else {
			sb_printf(b,
				  "%-39s %-17s %8" PRIu64 " %8" PRIu64 " %-20s %-20s %s (%s/%s)\n",
				  c[i].addr, c[i].mac[0] != '\0' ? c[i].mac : "-", c[i].attempts,
				  c[i].blocked, first, last, c[i].last_name, c[i].last_vendor,
				  c[i].last_category);
		}
	}
	if (json) {
		sb_printf(b, "]\n");
	}
	free(c);
}

/* "192.0.2.7" or "2001:db8::7". */
static void addr_text(uint8_t family, const uint8_t *addr, char *out, size_t size)
{
	struct pkt p = {.ip_version = family};
	pkt_addr_str(&p, addr, out, size);
}

static void name_text(const struct name *n, char *out, size_t size)
{
	if (n == NULL) {
		snprintf(out, size, "-");
	} else {
		name_escape(n, out, size);
	}
}

/* "vendor/category" of a learned entry under policy `p` (its generation's ids). */
static void entry_owner(const struct policy *p, const struct learntab_entry *e, char *out,
			size_t size)
{
	struct rule_meta m = {
		.file_id = e->file_id, .vendor_id = e->vendor_id, .category_id = e->category_id};
	struct policy_rule_names rn;
	policy_rule_names(e->generation == p->generation ? p : NULL, &m, &rn);
	snprintf(out, size, "%s/%s", str_or(rn.vendor, "-"), str_or(rn.category, "-"));
}

static void cmd_addresses(const struct daemon *d, bool json, struct sbuf *b)
{
	if (d->learning == NULL) {
		sb_printf(b, json ? "{\"learning\":false,\"addresses\":[],\"fronts\":[]}\n"
				  : "nothing is learned (learn-addresses off)\n");
		return;
	}
	const struct learner *l = learning_learner(d->learning);
	const struct policy *p = current(d);
	uint32_t now_s = (uint32_t)(monotonic_ms() / 1000), pos = 0;
	struct learn_addr_view v;
	if (json) {
		sb_printf(b, "{\"learning\":true,\"addresses\":[");
	} else {
		sb_printf(b, "%-39s %-7s %-6s %-28s %8s %s\n", "ADDRESS", "STATE", "ACTION",
			  "VENDOR/CATEGORY", "EXPIRES", "LEARNED FROM (SHARED WITH)");
	}
	for (unsigned n = 0; learn_addr_next(l, &pos, &v); n++) {
		char addr[64], from[NAME_TEXT_MAX * 4 + 8], owner[160];
		addr_text(v.family, v.addr, addr, sizeof(addr));
		name_text(v.from, from, sizeof(from));
		entry_owner(p, &v.e, owner, sizeof(owner));
		bool shared = (v.e.flags & LEARNTAB_F_SHARED) != 0;
		uint32_t left = v.e.expires_s > now_s ? v.e.expires_s - now_s : 0;
		const char *act = action_str(shared ? ACTION_ALERT : (enum action)v.e.action);
		if (json) {
			sb_printf(b,
				  "%s{\"address\":\"%s\",\"shared\":%s,\"action\":\"%s\","
				  "\"owner\":",
				  n == 0 ? "" : ",", addr, shared ? "true" : "false", act);
			sb_json_str(b, owner);
			sb_printf(b, ",\"expires_s\":%" PRIu32 ",\"learned_from\":", left);
			sb_json_str(b, from);
			sb_printf(b, ",\"shared_with\":");
			sb_json_str(b, shared && v.shared_with != NULL ? v.shared_with : "");
			sb_printf(b, "}");
		} else {
			sb_printf(b, "%-39s %-7s %-6s %-28s %7" PRIu32 "s %s%s%s%s\n", addr,
				  shared ? "shared" : "learned", act, owner, left, from,
				  shared ? " (" : "", shared ? str_or(v.shared_with, "?") : "",
				  shared ? ")" : "");
		}
	}
	struct learn_front_view f;
	pos = 0;
	sb_printf(b, json ? "],\"fronts\":[" : "ECH FRONTS LEARNED\n");
	for (unsigned n = 0; learn_front_next(l, &pos, &f); n++) {
		char name[NAME_TEXT_MAX * 4 + 8], from[NAME_TEXT_MAX * 4 + 8], owner[160];
		name_text(f.name, name, sizeof(name));
		name_text(f.from, from, sizeof(from));
		entry_owner(p, &f.e, owner, sizeof(owner));
		uint32_t left = f.e.expires_s > now_s ? f.e.expires_s - now_s : 0;
		if (json) {
			sb_printf(b, "%s{\"front\":", n == 0 ? "" : ",");
			sb_json_str(b, name);
			sb_printf(b, ",\"owner\":");
			sb_json_str(b, owner);
			sb_printf(b, ",\"learned_from\":");
			sb_json_str(b, from);
			sb_printf(b, ",\"expires_s\":%" PRIu32 "}", left);
		} else {
			sb_printf(b, "  %s (%s, from %s, %" PRIu32 " s left)\n", name, owner, from,
				  left);
		}
	}
	if (json) {
		sb_printf(b, "]}\n");
	}
}

static void cmd_audit(const struct daemon *d, bool json, struct sbuf *b)
{
	if (d->learning == NULL) {
		sb_printf(b, json ? "[]\n" : "nothing is learned (learn-addresses off)\n");
		return;
	}
	const struct learner *l = learning_learner(d->learning);
	const struct policy *p = current(d);
	uint32_t pos = 0;
	struct learn_audit_view a;
	if (json) {
		sb_printf(b, "[");
	} else {
		sb_printf(b, "%-40s %-28s %7s %5s %6s %-4s %s\n", "LISTED NAME", "VENDOR/CATEGORY",
			  "ANSWERS", "ADDRS", "SHARED", "ECH", "ECH PUBLIC NAMES");
	}
	for (unsigned n = 0; learn_audit_next(l, &pos, &a); n++) {
		char name[NAME_TEXT_MAX * 4 + 8], owner[160];
		char fronts[LEARN_ANSWER_FRONTS * (NAME_TEXT_MAX * 4 + 9) + 1] = "";
		name_text(a.name, name, sizeof(name));
		struct learntab_entry e = {.generation = a.generation,
					   .vendor_id = a.vendor_id,
					   .category_id = a.category_id};
		entry_owner(p, &e, owner, sizeof(owner));
		for (unsigned i = 0; i < a.nfronts; i++) {
			size_t used = strlen(fronts);
			char f[NAME_TEXT_MAX * 4 + 8];
			name_text(a.fronts[i], f, sizeof(f));
			snprintf(fronts + used, sizeof(fronts) - used, "%s%s", i > 0 ? "," : "", f);
		}
		if (json) {
			sb_printf(b, "%s{\"name\":", n == 0 ? "" : ",");
			sb_json_str(b, name);
			sb_printf(b, ",\"owner\":");
			sb_json_str(b, owner);
			sb_printf(b,
				  ",\"answers\":%" PRIu64 ",\"addresses\":%" PRIu32
				  ",\"shared\":%" PRIu32 ",\"ech\":%s,\"ech_public_names\":",
				  a.answers, a.addrs, a.shared, a.has_ech ? "true" : "false");
			sb_json_str(b, fronts);
			sb_printf(b, "}");
		} else {
			sb_printf(b, "%-40s %-28s %7" PRIu64 " %5" PRIu32 " %6" PRIu32 " %-4s %s\n",
				  name, owner, a.answers, a.addrs, a.shared,
				  a.has_ech ? "yes" : "no", fronts[0] != '\0' ? fronts : "-");
		}
	}
	if (json) {
		sb_printf(b, "]\n");
	}
}

static void cmd_reload(struct daemon *d, bool json, struct sbuf *b, bool *ok)
{
	if (daemon_reload(d) != 0) {
		*ok = false;
		return;
	}
	const struct policy *p = current(d);
	if (json) {
		sb_printf(b, "{\"generation\":%" PRIu32 ",\"rules\":%zu}\n", p->generation,
			  domainset_count(p->ds));
	} else {
		sb_printf(b, "reloaded: generation %" PRIu32 ", %zu rules\n", p->generation,
			  domainset_count(p->ds));
	}
}

bool control_command(struct daemon *d, const struct ctl_request *req, struct sbuf *b,
		     const char **why)
{
	bool ok = true;
	switch (req->cmd) {
	case CTL_STATUS:
		cmd_status(d, req->json, b);
		break;
	case CTL_STATS:
		cmd_stats(d, req->json, b);
		break;
	case CTL_RELOAD:
		cmd_reload(d, req->json, b, &ok);
		*why = d->last_reload_error;
		break;
	case CTL_CLIENTS:
		cmd_clients(req->json, b);
		break;
	case CTL_TEST:
		cmd_test(d, &req->name, req->json, b);
		break;
	case CTL_ADDRESSES:
		cmd_addresses(d, req->json, b);
		break;
	case CTL_AUDIT:
		cmd_audit(d, req->json, b);
		break;
	}
	if (ok && b->failed) {
		ok = false;
		*why = "out of memory";
	}
	return ok;
}
