/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of embargod's settings and the few functions that read, show, compare and merge
 * their values. A new setting is a field in struct config_settings, a bit in enum config_set
 * and a row below.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "embargo/dns.h"
#include "embargo/settings.h"
#include "embargo_config.h"
#include "policy_internal.h"

#define FIELD(m) offsetof(struct config_settings, m), sizeof(((struct config_settings *)0)->m)

static const struct setting_word w_fail[] = {{"open", 0}, {"closed", 1}, {NULL, 0}};
static const struct setting_word w_overflow[] = {{"drop", 0}, {"accept", 1}, {NULL, 0}};
static const struct setting_word w_on[] = {{"on", 1}, {"off", 0}, {NULL, 0}};
static const struct setting_word w_responses[] = {{"inspect", 1}, {"ignore", 0}, {NULL, 0}};
static const struct setting_word w_facility[] = {
	{"daemon", LOG_DAEMON},
	{"user", LOG_USER},
	{"local0", LOG_LOCAL0},
	{"local1", LOG_LOCAL1},
	{"local2", LOG_LOCAL2},
	{"local3", LOG_LOCAL3},
	{"local4", LOG_LOCAL4},
	{"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6},
	{"local7", LOG_LOCAL7},
	{NULL, 0},
};
static const struct setting_word w_answer[] = {{"nxdomain", DNS_REPLY_NXDOMAIN},
					       {"refused", DNS_REPLY_REFUSED},
					       {"sinkhole", DNS_REPLY_SINKHOLE},
					       {NULL, 0}};
static const struct setting_word w_action[] = {{"allow", ACTION_ALLOW},
					       {"alert", ACTION_ALERT},
					       {"drop", ACTION_DROP},
					       {"reject", ACTION_REJECT},
					       {NULL, 0}};
static const struct setting_word w_ede[] = {
	{"blocked", DNS_EDE_BLOCKED}, {"filtered", DNS_EDE_FILTERED}, {"off", 0}, {NULL, 0}};
static const struct setting_word w_ech[] = {
	{"allow", ACTION_ALLOW}, {"alert", ACTION_ALERT}, {"block", ACTION_REJECT}, {NULL, 0}};
static const struct setting_word w_learn[] = {{"off", CONFIG_LEARN_OFF},
					      {"nft", CONFIG_LEARN_NFT},
					      {"ipset", CONFIG_LEARN_IPSET},
					      {NULL, 0}};

/* One row per setting, its fields packed (clang-format would give each field a line). The
 * order is that of --help and --check-config; rows of one statement (flow-limit) follow each
 * other. */
/* clang-format off */
static const struct setting table[] = {
	{.name = "queue", .type = SETTING_QUEUE, .bit = CFG_QUEUE, FIELD(queue), .fallback = "0",
	 .restart = true, .option = "queue", .short_option = 'q', .metavar = "N|A-B",
	 .help = "NFQUEUE number or range, one worker thread each"},
	{.name = "fail", .type = SETTING_CHOICE, .bit = CFG_FAIL, FIELD(fail_closed),
	 .words = w_fail, .fallback = "open", .restart = true, .option = "fail-closed",
	 .flag_word = "closed",
	 .help = "the firewall rules have no bypass: traffic stops while the daemon is down (a "
		 "setting for the rules' helper too)"},
	{.name = "overflow", .type = SETTING_CHOICE, .bit = CFG_OVERFLOW, FIELD(overflow_accept),
	 .words = w_overflow, .fallback = "drop", .restart = true, .option = "overflow",
	 .help = "packets that find the queue full: dropped (only undecided flows are queued) "
		 "or passed unseen"},
	{.name = "user", .type = SETTING_STRING, .bit = CFG_USER, FIELD(user), .fallback = "",
	 .restart = true, .option = "user", .short_option = 'u', .metavar = "USER",
	 .help = "drop to USER after opening sockets, keeping only CAP_NET_ADMIN and CAP_NET_RAW"},
	{.name = "pid-file", .type = SETTING_STRING, .bit = CFG_PID_FILE, FIELD(pid_file),
	 .fallback = EMBARGO_RUNSTATEDIR "/embargod.pid", .restart = true, .none_dash = true,
	 .option = "pid-file", .short_option = 'p', .metavar = "FILE",
	 .help = "where the process id is written ('-' for none)"},
	{.name = "control-socket", .type = SETTING_STRING, .bit = CFG_CONTROL_SOCKET,
	 FIELD(control_socket), .fallback = "", .restart = true, .none_dash = true,
	 .option = "control-socket", .short_option = 'S', .metavar = "PATH",
	 .help = "unix socket for embargoctl ('-' for none)"},
	{.name = "control-group", .type = SETTING_STRING, .bit = CFG_CONTROL_GROUP,
	 FIELD(control_group), .fallback = "", .restart = true, .metavar = "GROUP",
	 .help = "group that may use the control socket (with root)"},
	{.name = "log-facility", .type = SETTING_CHOICE, .bit = CFG_LOG_FACILITY,
	 FIELD(log_facility), .words = w_facility, .fallback = "daemon", .restart = true,
	 .option = "log-facility", .metavar = "F", .help = "syslog facility"},
	{.name = "log-rate", .type = SETTING_UINT, .bit = CFG_LOG_RATE, FIELD(log_rate), .min = 0,
	 .max = 100000, .fallback = "0", .metavar = "N",
	 .detail = "lines per second, 0..100000, 0 = no cap",
	 .help = "alert lines per second at most"},
	{.name = "log-window", .type = SETTING_UINT, .bit = CFG_LOG_WINDOW, FIELD(log_window_s),
	 .min = 0, .max = 86400, .fallback = "0", .metavar = "SECONDS",
	 .detail = "seconds, 0..86400, 0 = log every attempt",
	 .help = "repeats of one (client, name) within it are summarised"},
	{.name = "dns-answer", .type = SETTING_CHOICE, .bit = CFG_DNS_ANSWER, FIELD(dns_answer),
	 .words = w_answer, .fallback = "nxdomain", .restart = true, .option = "dns-answer",
	 .metavar = "KIND", .help = "the answer a blocked DNS query gets"},
	{.name = "sinkhole-v4", .type = SETTING_ADDR4, .bit = CFG_SINKHOLE_V4, FIELD(sinkhole_v4),
	 .fallback = "0.0.0.0", .restart = true, .option = "sinkhole-v4", .metavar = "ADDR",
	 .help = "IPv4 address of dns-answer sinkhole"},
	{.name = "sinkhole-v6", .type = SETTING_ADDR6, .bit = CFG_SINKHOLE_V6, FIELD(sinkhole_v6),
	 .fallback = "::", .restart = true, .option = "sinkhole-v6", .metavar = "ADDR",
	 .help = "IPv6 address of dns-answer sinkhole"},
	{.name = "nameless", .type = SETTING_CHOICE, .bit = CFG_NAMELESS, FIELD(nameless_action),
	 .words = w_action, .fallback = "allow", .option = "nameless", .metavar = "ACTION",
	 .help = "for connections decided without a name (no SNI, not TLS or HTTP, malformed)"},
	{.name = "unfinished", .type = SETTING_CHOICE, .bit = CFG_UNFINISHED,
	 FIELD(unfinished_action), .words = w_action, .fallback = "reject", .option = "unfinished",
	 .metavar = "ACTION",
	 .help = "for connections whose TLS or HTTP first message is still incomplete at the "
		 "inspection bound (flow-limit packets or timeout, or a full buffer), or whose "
		 "inspection state was lost"},
	{.name = "source-rate", .type = SETTING_UINT, .bit = CFG_SOURCE_RATE, FIELD(source_rate),
	 .min = 0, .max = 10000000, .fallback = "20000", .metavar = "N",
	 .detail = "packets per second one client may queue, 0..10000000, 0 = no limit",
	 .help = "packets per second one client may queue (read by the firewall rules' helper)"},
	{.name = "flow-limit", .key = "packets", .type = SETTING_UINT, .bit = CFG_FLOW_PACKETS,
	 FIELD(flow_packets), .min = 1, .max = 4096, .fallback = "512", .restart = true,
	 .metavar = "N", .help = "client packets with payload inspected per flow"},
	{.name = "flow-limit", .key = "timeout", .type = SETTING_UINT, .bit = CFG_FLOW_TIMEOUT,
	 FIELD(flow_timeout_s), .min = 1, .max = 3600, .fallback = "10", .restart = true,
	 .metavar = "SECONDS", .help = "idle seconds before an undecided flow is forgotten"},
	{.name = "flow-limit", .key = "flows", .type = SETTING_UINT, .bit = CFG_FLOW_FLOWS,
	 FIELD(flows_max), .min = CONFIG_FLOWS_MIN, .max = CONFIG_FLOWS_MAX, .fallback = "4096",
	 .restart = true, .option = "flows", .metavar = "N",
	 .help = "flows followed at once, per queue (about 300 bytes each)"},
	{.name = "flow-limit", .key = "buffers", .type = SETTING_UINT, .bit = CFG_FLOW_BUFFERS,
	 FIELD(buffers_max), .min = CONFIG_BUFFERS_MIN, .max = CONFIG_BUFFERS_MAX,
	 .fallback = "512", .restart = true, .option = "buffers", .metavar = "N",
	 .help = "reassembly buffers, per queue (20 KiB each, taken as split messages need them)"},
	{.name = "dns-ede", .type = SETTING_CHOICE, .bit = CFG_DNS_EDE, FIELD(dns_ede),
	 .words = w_ede, .fallback = "blocked", .restart = true, .option = "dns-ede",
	 .help = "the Extended DNS Error (RFC 8914) a forged answer carries when the query had "
		 "EDNS: 15 Blocked, 17 Filtered, or none; its text names vendor and category"},
	{.name = "dns-responses", .type = SETTING_CHOICE, .bit = CFG_DNS_RESPONSES,
	 FIELD(dns_responses), .words = w_responses, .fallback = "inspect",
	 .option = "dns-responses",
	 .help = "read DNS responses (the firewall rules queue them over UDP)"},
	{.name = "cname-cloaking", .type = SETTING_CHOICE, .bit = CFG_CNAME_CLOAKING,
	 FIELD(cname_cloaking), .words = w_on, .fallback = "on", .option = "cname-cloaking",
	 .help = "block a response whose CNAME/DNAME/HTTPS chain reaches a listed name, as its "
		 "query would be"},
	{.name = "learn-addresses", .type = SETTING_CHOICE, .bit = CFG_LEARN_ADDRESSES,
	 FIELD(learn_addresses), .words = w_learn, .fallback = "off", .restart = true,
	 .option = "learn-addresses",
	 .help = "learn the addresses of listed names from answers into the firewall's sets "
		 "(nft or ipset, as the rules' backend); connections that carry no name to them "
		 "get the vendor's action"},
	{.name = "learn-limit", .key = "entries", .type = SETTING_UINT, .bit = CFG_LEARN_ENTRIES,
	 FIELD(learn_entries), .min = 1, .max = CONFIG_LEARN_ENTRIES_MAX, .fallback = "16384",
	 .restart = true, .metavar = "N", .help = "learned addresses per family at most"},
	{.name = "learn-limit", .key = "grace", .type = SETTING_UINT, .bit = CFG_LEARN_GRACE,
	 FIELD(learn_grace_s), .min = 0, .max = CONFIG_LEARN_GRACE_MAX, .fallback = "300",
	 .restart = true, .metavar = "SECONDS", .help = "seconds added to an answer's TTL"},
	{.name = "ech", .type = SETTING_CHOICE, .bit = CFG_ECH, FIELD(ech_action), .words = w_ech,
	 .fallback = "allow", .option = "ech", .help = "ECH hellos to a known ECH front"},
	{.name = "strip-ech", .type = SETTING_CHOICE, .bit = CFG_STRIP_ECH, FIELD(strip_ech),
	 .words = w_on, .fallback = "off", .option = "strip-ech",
	 .help = "take ECH configurations out of HTTPS answers"},
};
/* clang-format on */

const struct setting *settings_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct setting *setting_find(const char *name, const char *key)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct setting *r = &table[i];
		if (strcmp(r->name, name) == 0 &&
		    (key == NULL || (r->key != NULL && strcmp(r->key, key) == 0))) {
			return r;
		}
	}
	return NULL;
}

int setting_parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	if (s[0] < '0' || s[0] > '9') {
		return -EINVAL;
	}
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max) {
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* A choice's value stored in its field (bool, uint16_t or int, by the field's size). */
static void store_word(const struct setting *r, struct config_settings *s, int v)
{
	uint8_t *p = (uint8_t *)s + r->offset;
	if (r->size == sizeof(bool)) {
		bool b = v != 0;
		memcpy(p, &b, sizeof(b));
	} else if (r->size == sizeof(uint16_t)) {
		uint16_t u = (uint16_t)v;
		memcpy(p, &u, sizeof(u));
	} else {
		memcpy(p, &v, sizeof(v));
	}
}

static int load_word(const struct setting *r, const struct config_settings *s)
{
	const uint8_t *p = (const uint8_t *)s + r->offset;
	if (r->size == sizeof(bool)) {
		bool b;
		memcpy(&b, p, sizeof(b));
		return b;
	}
	if (r->size == sizeof(uint16_t)) {
		uint16_t u;
		memcpy(&u, p, sizeof(u));
		return u;
	}
	int v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* "a or b", "a, b or c". */
static void words_list(const struct setting_word *w, char *out, size_t size)
{
	size_t n = 0, used = 0;
	while (w[n].word != NULL) {
		n++;
	}
	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		int k = snprintf(out + used, size - used, "%s%s",
				 i == 0	      ? ""
				 : i + 1 == n ? " or "
					      : ", ",
				 w[i].word);
		used += k > 0 ? (size_t)k : 0;
	}
}

static int parse_queue(const char *text, struct config_queue *q)
{
	char buf[32];
	uint32_t a, b;
	if (strlen(text) >= sizeof(buf)) {
		return -EINVAL;
	}
	strcpy(buf, text);
	char *dash = strchr(buf, '-');
	if (dash != NULL) {
		*dash = '\0';
	}
	if (setting_parse_uint(buf, 65535, &a) != 0) {
		return -EINVAL;
	}
	b = a;
	if ((dash != NULL && setting_parse_uint(dash + 1, 65535, &b) != 0) || b < a ||
	    b - a >= CONFIG_QUEUES_MAX) {
		return -EINVAL;
	}
	q->first = (uint16_t)a;
	q->last = (uint16_t)b;
	return 0;
}

int setting_parse(const struct setting *r, const char *text, struct config_settings *s, char *msg,
		  size_t msg_size)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4], list[256];
	uint8_t *field = (uint8_t *)s + r->offset;
	policy_quote(qb, text, strlen(text));
	switch (r->type) {
	case SETTING_UINT: {
		uint32_t v;
		if (setting_parse_uint(text, r->max, &v) != 0 || v < r->min) {
			if (r->key != NULL) {
				snprintf(msg, msg_size, "%s %s: expected a number %u..%u", r->name,
					 r->key, r->min, r->max);
			} else {
				setting_usage(r, msg, msg_size);
			}
			return -EINVAL;
		}
		memcpy(field, &v, sizeof(v));
		break;
	}
	case SETTING_CHOICE: {
		const struct setting_word *w = r->words;
		while (w->word != NULL && strcmp(w->word, text) != 0) {
			w++;
		}
		if (w->word == NULL) {
			words_list(r->words, list, sizeof(list));
			snprintf(msg, msg_size, "%s: unknown value \"%s\" (%s)", r->name, qb, list);
			return -EINVAL;
		}
		store_word(r, s, w->value);
		break;
	}
	case SETTING_STRING:
		if (r->none_dash && strcmp(text, "-") == 0) {
			field[0] = '\0';
			break;
		}
		if (strlen(text) >= r->size || text[0] == '\0') {
			snprintf(msg, msg_size, "%s: value empty or too long", r->name);
			return -EINVAL;
		}
		memcpy(field, text, strlen(text) + 1);
		break;
	case SETTING_QUEUE:
		if (parse_queue(text, &s->queue) != 0) {
			snprintf(msg, msg_size,
				 "invalid queue range \"%s\" (N or A-B, 0..65535, at most %u "
				 "queues)",
				 qb, CONFIG_QUEUES_MAX);
			return -EINVAL;
		}
		break;
	case SETTING_ADDR4:
	case SETTING_ADDR6: {
		bool v6 = r->type == SETTING_ADDR6;
		uint8_t a[16];
		if (inet_pton(v6 ? AF_INET6 : AF_INET, text, a) != 1) {
			setting_usage(r, msg, msg_size);
			return -EINVAL;
		}
		memcpy(field, a, r->size);
		break;
	}
	}
	s->set |= r->bit;
	return 0;
}

void setting_usage(const struct setting *r, char *msg, size_t msg_size)
{
	char list[256];
	switch (r->type) {
	case SETTING_UINT:
		snprintf(msg, msg_size, "%s takes a number (%s)", r->name,
			 r->detail != NULL ? r->detail : "");
		break;
	case SETTING_CHOICE:
		words_list(r->words, list, sizeof(list));
		snprintf(msg, msg_size, "%s takes one value: %s", r->name, list);
		break;
	case SETTING_STRING:
		snprintf(msg, msg_size, "%s takes one value", r->name);
		break;
	case SETTING_QUEUE:
		snprintf(msg, msg_size, "%s takes one value: N or A-B", r->name);
		break;
	case SETTING_ADDR4:
	case SETTING_ADDR6:
		snprintf(msg, msg_size, "%s takes one IPv%c address", r->name,
			 r->type == SETTING_ADDR6 ? '6' : '4');
		break;
	}
}

const char *setting_word(const struct setting *r, int value)
{
	for (const struct setting_word *w = r->words; w != NULL && w->word != NULL; w++) {
		if (w->value == value) {
			return w->word;
		}
	}
	return "?";
}

void setting_format(const struct setting *r, const struct config_settings *s, char *out,
		    size_t out_size)
{
	const uint8_t *field = (const uint8_t *)s + r->offset;
	switch (r->type) {
	case SETTING_UINT: {
		uint32_t v;
		memcpy(&v, field, sizeof(v));
		snprintf(out, out_size, "%u", v);
		break;
	}
	case SETTING_CHOICE:
		snprintf(out, out_size, "%s", setting_word(r, load_word(r, s)));
		break;
	case SETTING_STRING:
		snprintf(out, out_size, "%s", field[0] != '\0' ? (const char *)field : "-");
		break;
	case SETTING_QUEUE:
		if (s->queue.first == s->queue.last) {
			snprintf(out, out_size, "%u", s->queue.first);
		} else {
			snprintf(out, out_size, "%u-%u", s->queue.first, s->queue.last);
		}
		break;
	case SETTING_ADDR4:
	case SETTING_ADDR6: {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(r->type == SETTING_ADDR6 ? AF_INET6 : AF_INET, field, a, sizeof(a));
		snprintf(out, out_size, "%s", a);
		break;
	}
	}
}

void setting_format_statement(const char *name, const char *key, const struct config_settings *s,
			      char *out, size_t size)
{
	size_t n, used = 0;
	const struct setting *t = settings_table(&n);
	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		const struct setting *r = &t[i];
		if (strcmp(r->name, name) != 0 || (key != NULL && strcmp(r->key, key) != 0)) {
			continue;
		}
		char v[CONFIG_PATH_MAX + 8];
		setting_format(r, s, v, sizeof(v));
		int w = key != NULL || r->key == NULL ? snprintf(out + used, size - used, "%s", v)
						      : snprintf(out + used, size - used, "%s%s %s",
								 used > 0 ? " " : "", r->key, v);
		used += w > 0 ? (size_t)w : 0;
	}
}

void settings_format_line(const struct config_settings *s, char *out, size_t size)
{
	size_t n, used = 0;
	const struct setting *t = settings_table(&n);
	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		if (i > 0 && strcmp(t[i - 1].name, t[i].name) == 0) {
			continue; /* the other keys of a statement already written */
		}
		char v[512];
		setting_format_statement(t[i].name, NULL, s, v, sizeof(v));
		int w = snprintf(out + used, size - used, "%s%s %s", used > 0 ? ", " : "",
				 t[i].name, v);
		used += w > 0 ? (size_t)w : 0;
	}
}

bool setting_equal(const struct setting *r, const struct config_settings *a,
		   const struct config_settings *b)
{
	const uint8_t *x = (const uint8_t *)a + r->offset, *y = (const uint8_t *)b + r->offset;
	if (r->type == SETTING_STRING) {
		return strcmp((const char *)x, (const char *)y) == 0;
	}
	if (r->type == SETTING_QUEUE) {
		return a->queue.first == b->queue.first && a->queue.last == b->queue.last;
	}
	return memcmp(x, y, r->size) == 0;
}

void settings_defaults(struct config_settings *s)
{
	char msg[256];
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct setting *r = &table[i];
		if (r->fallback[0] != '\0') {
			/* The table's defaults are read like any value (a test checks them). */
			setting_parse(r, r->fallback, s, msg, sizeof(msg));
		}
	}
	s->set = 0;
}

void settings_merge(struct config_settings *out, const struct config_settings *cli,
		    const struct config_settings *file)
{
	settings_defaults(out);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct setting *r = &table[i];
		const struct config_settings *from = (cli->set & r->bit) != 0 ? cli
						     : file != NULL && (file->set & r->bit) != 0
							     ? file
							     : NULL;
		if (from != NULL) {
			memcpy((uint8_t *)out + r->offset, (const uint8_t *)from + r->offset,
			       r->size);
			out->set |= r->bit;
		}
	}
}
