/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Alert lines for blocked and alert-only attempts: per-worker rings of records, then on the
 * main loop first attempts in full, repeats summarised, a global line cap, and the per-client
 * inventory. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "alert.h"
#include "log.h"
#include "ring.h"

_Static_assert((ALERT_RING_SLOTS & (ALERT_RING_SLOTS - 1)) == 0, "ring size: a power of two");

/* One attempt as its worker saw it. Self-contained: a reload may free the policy the strings
 * come from before the main loop reads the record. Strings are cut to their field size. */
struct alert_record {
	uint8_t action; /* enum action: drop, reject or alert */
	uint8_t proto;	/* enum inspect_proto */
	uint8_t family; /* 4 or 6 */
	bool has_mac;
	uint8_t mac[6];
	uint16_t dport;
	uint8_t client[16], server[16]; /* 4 or 16 bytes used, by family */
	uint32_t rule_line;		/* 0 when the rule has no file */
	uint8_t by;			/* enum verdict_by */
	struct name name;		/* len 0: decided without a name */
	struct name via;		/* by cname: the question; len 0 otherwise */
	char vendor[64], category[64];	/* "-" when none */
	char rule_file[320];		/* "" when none */
};

/* Single producer (the worker), single consumer (the main loop): see ring.h. */
struct alert_ring {
	struct ring r;
	struct alert_record slots[ALERT_RING_SLOTS];
};

struct alert_ring *alert_ring_new(int wake_fd)
{
	struct alert_ring *ring = aligned_alloc(64, sizeof(struct alert_ring));
	if (ring == NULL) {
		return NULL;
	}
	/* The slots are written before they are read: left untouched, they take no memory until
	 * alerts need them. */
	ring_init(&ring->r, wake_fd);
	return ring;
}

void alert_ring_free(struct alert_ring *ring)
{
	free(ring);
}

static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int alert_push(struct alert_ring *ring, const struct policy *p, const struct inspect_result *r,
	       const struct verdict *v, const uint8_t *mac, size_t mac_len)
{
	const struct policy_decision *d = &v->decision;
	if (d->action != ACTION_ALERT && d->action != ACTION_DROP && d->action != ACTION_REJECT) {
		return 0;
	}
	size_t slot;
	if (!ring_slot_to_fill(&ring->r, ALERT_RING_SLOTS, &slot)) {
		return -ENOSPC;
	}
	struct alert_record *rec = &ring->slots[slot];
	rec->action = (uint8_t)d->action;
	rec->proto = (uint8_t)r->proto;
	rec->by = (uint8_t)v->by;
	/* An answer's client is where it goes, its server where it comes from. */
	bool answer = r->state == INSPECT_ANSWER;
	rec->family = r->pkt.ip_version;
	memcpy(rec->client, answer ? r->pkt.dst : r->pkt.src, sizeof(rec->client));
	memcpy(rec->server, answer ? r->pkt.src : r->pkt.dst, sizeof(rec->server));
	rec->dport = answer ? r->pkt.sport : r->pkt.dport;
	rec->has_mac = mac != NULL && mac_len == sizeof(rec->mac) && !answer;
	if (rec->has_mac) {
		memcpy(rec->mac, mac, sizeof(rec->mac));
	}
	rec->name.len = 0;
	rec->via.len = 0;
	if (v->name != NULL) {
		name_copy(&rec->name, v->name);
	} else if (r->state == INSPECT_NAMED && d->name_index < r->nnames) {
		name_copy(&rec->name, &r->names[d->name_index]);
	}
	if (v->via != NULL && v->by == VERDICT_BY_CNAME) {
		name_copy(&rec->via, v->via);
	}
	struct policy_rule_names rn;
	policy_rule_names(p, d->rule, &rn);
	copy_cut(rec->vendor, sizeof(rec->vendor), rn.vendor != NULL ? rn.vendor : "-");
	copy_cut(rec->category, sizeof(rec->category), rn.category != NULL ? rn.category : "-");
	copy_cut(rec->rule_file, sizeof(rec->rule_file), rn.file != NULL ? rn.file : "");
	rec->rule_line = rn.file != NULL ? d->rule->line : 0;
	ring_filled(&ring->r);
	return 0;
}

void alert_ring_wake(struct alert_ring *ring)
{
	ring_wake(&ring->r);
}

/* ---- the main loop's side ---- */

/* A (client, name) pair seen within the window. */
struct repeat {
	bool used;
	uint8_t family;
	uint8_t addr[16];
	uint16_t name_len;
	char name[NAME_TEXT_MAX + 1];
	uint64_t window_start_ms;
	uint64_t count; /* attempts after the logged one, in this window */
	int priority;
	char fields[512]; /* what the summary repeats: action, proto, name, client, vendor... */
};

struct client {
	bool used;
	uint8_t family;
	uint8_t addr[16];
	struct alert_client pub;
};

static struct {
	struct repeat *repeats; /* ALERT_REPEATS_MAX, open addressing */
	struct client *clients; /* ALERT_CLIENTS_MAX, open addressing */
	uint32_t window_s, rate;
	double tokens;
	uint64_t tokens_ms;
	uint64_t suppressed, suppressed_since_ms;
	struct alert_totals totals;
} A;

int alert_configure(uint32_t window_s, uint32_t rate)
{
	if (A.repeats == NULL) {
		A.repeats = calloc(ALERT_REPEATS_MAX, sizeof(*A.repeats));
	}
	if (A.clients == NULL) {
		A.clients = calloc(ALERT_CLIENTS_MAX, sizeof(*A.clients));
	}
	A.window_s = window_s;
	if (A.rate != rate) {
		A.tokens = rate;
	}
	A.rate = rate;
	return A.repeats != NULL && A.clients != NULL ? 0 : -ENOMEM;
}

void alert_shutdown(void)
{
	free(A.repeats);
	free(A.clients);
	A.repeats = NULL;
	A.clients = NULL;
}

static uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
	const uint8_t *b = data;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ b[i]) * 0x100000001b3ull;
	}
	return h;
}

/* A line may be written now (the cap allows it). A line that may not is counted as suppressed
 * when `count` (lines that are retried later are not). */
static bool take_token(uint64_t now_ms, bool count)
{
	if (A.rate == 0) {
		return true;
	}
	if (now_ms > A.tokens_ms) {
		A.tokens += (double)(now_ms - A.tokens_ms) * A.rate / 1000.0;
		if (A.tokens > A.rate) {
			A.tokens = A.rate;
		}
	}
	A.tokens_ms = now_ms;
	if (A.tokens >= 1.0) {
		A.tokens -= 1.0;
		return true;
	}
	if (!count) {
		return false;
	}
	if (A.suppressed == 0) {
		A.suppressed_since_ms = now_ms;
	}
	A.suppressed++;
	A.totals.rate_limited++;
	return false;
}

static void emit_summary(struct repeat *e)
{
	log_msg(e->priority, "alert-repeat",
		"%s repeats=%" PRIu64 " window=%us (%" PRIu64 " more attempts in the last %u s)",
		e->fields, e->count, A.window_s, e->count, A.window_s);
	A.totals.summaries++;
}

/* Find or make the entry of (client `family`/`addr`, name `text`/`len`); NULL when the table is
 * full. */
static struct repeat *repeat_slot(uint8_t family, const uint8_t *addr, const char *text,
				  uint16_t len, bool *fresh)
{
	size_t alen = family == 6 ? 16 : 4;
	uint64_t h = hash_bytes(0xcbf29ce484222325ull, addr, alen);
	h = hash_bytes(h, text, len);
	struct repeat *free_slot = NULL;
	for (size_t i = 0; i < ALERT_REPEATS_MAX; i++) {
		struct repeat *e = &A.repeats[(h + i) % ALERT_REPEATS_MAX];
		if (!e->used) {
			free_slot = free_slot != NULL ? free_slot : e;
			break;
		}
		if (e->family == family && memcmp(e->addr, addr, alen) == 0 && e->name_len == len &&
		    memcmp(e->name, text, len) == 0) {
			*fresh = false;
			return e;
		}
	}
	if (free_slot == NULL) {
		return NULL;
	}
	*fresh = true;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->family = family;
	memcpy(free_slot->addr, addr, alen);
	free_slot->name_len = len;
	memcpy(free_slot->name, text, len);
	return free_slot;
}

/* Remove an entry from the open-addressing table, moving later ones of its run back. */
static void repeat_remove(struct repeat *e)
{
	size_t i = (size_t)(e - A.repeats);
	e->used = false;
	for (size_t j = (i + 1) % ALERT_REPEATS_MAX; A.repeats[j].used;
	     j = (j + 1) % ALERT_REPEATS_MAX) {
		struct repeat moved = A.repeats[j];
		A.repeats[j].used = false;
		bool fresh;
		struct repeat *dst =
			repeat_slot(moved.family, moved.addr, moved.name, moved.name_len, &fresh);
		if (dst != NULL) {
			*dst = moved;
		}
	}
}

static const char *addr_str(uint8_t family, const uint8_t *addr, char *buf, size_t size)
{
	struct pkt p = {.ip_version = family};
	return pkt_addr_str(&p, addr, buf, size);
}

static struct alert_client *client_slot(const struct alert_record *rec)
{
	size_t alen = rec->family == 6 ? 16 : 4;
	uint64_t h = hash_bytes(0xcbf29ce484222325ull, rec->client, alen);
	for (size_t i = 0; i < ALERT_CLIENTS_MAX; i++) {
		struct client *c = &A.clients[(h + i) % ALERT_CLIENTS_MAX];
		if (!c->used) {
			c->used = true;
			c->family = rec->family;
			memcpy(c->addr, rec->client, alen);
			memset(&c->pub, 0, sizeof(c->pub));
			addr_str(rec->family, rec->client, c->pub.addr, sizeof(c->pub.addr));
			c->pub.first = time(NULL);
			return &c->pub;
		}
		if (c->family == rec->family && memcmp(c->addr, rec->client, alen) == 0) {
			return &c->pub;
		}
	}
	return NULL;
}

static void count_client(const struct alert_record *rec, const char *macs, const char *name)
{
	enum action a = (enum action)rec->action;
	struct alert_client *c = client_slot(rec);
	if (c == NULL) {
		A.totals.clients_full++;
		return;
	}
	c->attempts++;
	c->blocked += a != ACTION_ALERT;
	c->last = time(NULL);
	if (macs[0] != '\0') {
		copy_cut(c->mac, sizeof(c->mac), macs);
	}
	copy_cut(c->last_name, sizeof(c->last_name), name);
	copy_cut(c->last_vendor, sizeof(c->last_vendor), rec->vendor);
	copy_cut(c->last_category, sizeof(c->last_category), rec->category);
	copy_cut(c->last_action, sizeof(c->last_action), action_str(a));
}

/* Who tells the main loop what an address was learned from (NULL: nobody). */
static bool (*learned_namer)(uint8_t family, const uint8_t *addr, char *out, size_t size);

void alert_set_learned_namer(bool (*namer)(uint8_t family, const uint8_t *addr, char *out,
					   size_t size))
{
	learned_namer = namer;
}

/* " by=..." and what goes with it: the question whose chain led to the name, the listed name
 * an address was learned from. Nothing for a name the packet carried. */
static void describe_by(const struct alert_record *rec, char *out, size_t size)
{
	char via[NAME_TEXT_MAX * 4 + 8] = "", learned[NAME_TEXT_MAX * 4 + 16] = "";
	switch ((enum verdict_by)rec->by) {
	case VERDICT_BY_NAME:
		out[0] = '\0';
		return;
	case VERDICT_BY_CNAME:
		if (rec->via.len > 0) {
			name_escape(&rec->via, via, sizeof(via));
		}
		snprintf(out, size, " by=cname query=%s", via[0] != '\0' ? via : "-");
		return;
	case VERDICT_BY_ADDRESS:
	case VERDICT_BY_SHARED:
		if (learned_namer == NULL ||
		    !learned_namer(rec->family, rec->server, learned, sizeof(learned))) {
			snprintf(learned, sizeof(learned), "-");
		}
		snprintf(out, size, " by=%s learned_from=%s",
			 verdict_by_str((enum verdict_by)rec->by), learned);
		return;
	case VERDICT_BY_ECH_FRONT:
		snprintf(out, size, " by=ech-front");
		return;
	}
	out[0] = '\0';
}

/* One attempt: inventory, then a repeat folded into its summary, or a line under the cap. */
static void alert_record_handle(const struct alert_record *rec, uint64_t now_ms)
{
	char client[64], server[64], name[NAME_TEXT_MAX * 4 + 8] = "-", macs[32] = "";
	char rule[400] = "", fields[512], who[400];
	enum action a = (enum action)rec->action;

	addr_str(rec->family, rec->client, client, sizeof(client));
	addr_str(rec->family, rec->server, server, sizeof(server));
	if (rec->name.len > 0) {
		name_escape(&rec->name, name, sizeof(name));
	}
	if (rec->has_mac) {
		const uint8_t *m = rec->mac;
		snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
			 m[3], m[4], m[5]);
	}
	if (rec->rule_file[0] != '\0') {
		snprintf(rule, sizeof(rule), " rule=%s:%" PRIu32, rec->rule_file, rec->rule_line);
	}
	char by[NAME_TEXT_MAX * 4 + 64] = "";
	describe_by(rec, by, sizeof(by));
	bool v6 = rec->family == 6;
	int prio = a == ACTION_ALERT ? LOG_NOTICE : LOG_WARNING;
	snprintf(who, sizeof(who), "name=%s client=%s%s%s vendor=%s category=%s", name, client,
		 macs[0] != '\0' ? " client_mac=" : "", macs, rec->vendor, rec->category);
	/* What a summary repeats: not the protocol or server, which repeats may not share. */
	snprintf(fields, sizeof(fields), "action=%s %s", action_str(a), who);

	A.totals.attempts++;
	if (A.clients != NULL) {
		count_client(rec, macs, name);
	}
	/* Repeats are of one name, or (judged by the address alone) of one server. */
	const char *key = rec->name.text;
	uint16_t key_len = rec->name.len;
	if (key_len == 0 && (rec->by == VERDICT_BY_ADDRESS || rec->by == VERDICT_BY_SHARED)) {
		key = server;
		key_len = (uint16_t)strlen(server);
	}
	if (A.window_s > 0 && key_len > 0 && A.repeats != NULL) {
		bool fresh = true;
		struct repeat *e = repeat_slot(rec->family, rec->client, key, key_len, &fresh);
		if (e != NULL && !fresh &&
		    now_ms - e->window_start_ms < (uint64_t)A.window_s * 1000) {
			e->count++;
			A.totals.repeats++;
			return;
		}
		if (e != NULL) {
			if (!fresh && e->count > 0 && take_token(now_ms, true)) {
				emit_summary(e);
			}
			e->window_start_ms = now_ms;
			e->count = 0;
			e->priority = prio;
			copy_cut(e->fields, sizeof(e->fields), fields);
		}
	}
	if (take_token(now_ms, true)) {
		log_msg(prio, "alert", "action=%s proto=%s %s server=%s%s%s:%u%s%s", action_str(a),
			inspect_proto_str((enum inspect_proto)rec->proto), who, v6 ? "[" : "",
			server, v6 ? "]" : "", rec->dport, by, rule);
		A.totals.logged++;
	}
}

size_t alert_ring_drain(struct alert_ring *ring, uint64_t now_ms)
{
	size_t taken = 0, slot;
	/* At most one ring's worth per call, so that a busy worker cannot hold the main loop. */
	while (taken < ALERT_RING_SLOTS && ring_slot_to_empty(&ring->r, ALERT_RING_SLOTS, &slot)) {
		alert_record_handle(&ring->slots[slot], now_ms);
		ring_emptied(&ring->r);
		taken++;
	}
	return taken;
}

void alert_flush(uint64_t now_ms)
{
	if (A.repeats != NULL) {
		for (size_t i = 0; i < ALERT_REPEATS_MAX; i++) {
			struct repeat *e = &A.repeats[i];
			if (!e->used || now_ms - e->window_start_ms < (uint64_t)A.window_s * 1000) {
				continue;
			}
			if (e->count > 0) {
				if (!take_token(now_ms, false)) {
					continue; /* try again at the next flush */
				}
				emit_summary(e);
			}
			repeat_remove(e);
			i--; /* a later entry may have moved here */
		}
	}
	if (A.suppressed > 0 && take_token(now_ms, false)) {
		uint64_t secs = (now_ms - A.suppressed_since_ms + 999) / 1000;
		log_msg(LOG_WARNING, "alert-ratelimit",
			"suppressed=%" PRIu64 " seconds=%" PRIu64 " rate=%u (%" PRIu64
			" alert lines over the cap of %u per second were not written)",
			A.suppressed, secs, A.rate, A.suppressed, A.rate);
		A.suppressed = 0;
	}
}

void alert_get_totals(struct alert_totals *t)
{
	*t = A.totals;
}

static int by_last_desc(const void *a, const void *b)
{
	const struct alert_client *x = a, *y = b;
	return x->last < y->last ? 1 : x->last > y->last ? -1 : strcmp(x->addr, y->addr);
}

size_t alert_get_clients(struct alert_client *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; A.clients != NULL && i < ALERT_CLIENTS_MAX && n < max; i++) {
		if (A.clients[i].used) {
			out[n++] = A.clients[i].pub;
		}
	}
	qsort(out, n, sizeof(*out), by_last_desc);
	return n;
}
