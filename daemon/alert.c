/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Alert lines for blocked and alert-only attempts: first attempts in full, repeats summarised,
 * a global line cap, and the per-client inventory. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "alert.h"
#include "log.h"

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
	pthread_mutex_t lock;
	struct repeat *repeats; /* ALERT_REPEATS_MAX, open addressing */
	struct client *clients; /* ALERT_CLIENTS_MAX, open addressing */
	uint32_t window_s, rate;
	double tokens;
	uint64_t tokens_ms;
	uint64_t suppressed, suppressed_since_ms;
	struct alert_totals totals;
} A = {.lock = PTHREAD_MUTEX_INITIALIZER};

int alert_configure(uint32_t window_s, uint32_t rate)
{
	pthread_mutex_lock(&A.lock);
	if (A.repeats == NULL) {
		A.repeats = calloc(ALERT_REPEATS_MAX, sizeof(*A.repeats));
		A.clients = calloc(ALERT_CLIENTS_MAX, sizeof(*A.clients));
	}
	int rc = A.repeats != NULL && A.clients != NULL ? 0 : -ENOMEM;
	A.window_s = window_s;
	if (A.rate != rate) {
		A.tokens = rate;
	}
	A.rate = rate;
	pthread_mutex_unlock(&A.lock);
	return rc;
}

void alert_shutdown(void)
{
	pthread_mutex_lock(&A.lock);
	free(A.repeats);
	free(A.clients);
	A.repeats = NULL;
	A.clients = NULL;
	pthread_mutex_unlock(&A.lock);
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
 * when `count` (lines that are retried later are not). Lock held. */
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
 * full. Lock held. */
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

static struct alert_client *client_slot(const struct inspect_result *r)
{
	size_t alen = r->pkt.ip_version == 6 ? 16 : 4;
	uint64_t h = hash_bytes(0xcbf29ce484222325ull, r->pkt.src, alen);
	for (size_t i = 0; i < ALERT_CLIENTS_MAX; i++) {
		struct client *c = &A.clients[(h + i) % ALERT_CLIENTS_MAX];
		if (!c->used) {
			c->used = true;
			c->family = r->pkt.ip_version;
			memcpy(c->addr, r->pkt.src, alen);
			memset(&c->pub, 0, sizeof(c->pub));
			pkt_addr_str(&r->pkt, r->pkt.src, c->pub.addr, sizeof(c->pub.addr));
			c->pub.first = time(NULL);
			return &c->pub;
		}
		if (c->family == r->pkt.ip_version && memcmp(c->addr, r->pkt.src, alen) == 0) {
			return &c->pub;
		}
	}
	return NULL;
}

static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void alert_decision(const struct policy *p, const struct inspect_result *r,
		    const struct policy_decision *d, const uint8_t *mac, size_t mac_len,
		    uint64_t now_ms)
{
	char client[64], server[64], name[NAME_TEXT_MAX * 4 + 8] = "-", macs[32] = "";
	char rule[512] = "", fields[512];

	if (d->action != ACTION_ALERT && d->action != ACTION_DROP && d->action != ACTION_REJECT) {
		return;
	}
	pkt_addr_str(&r->pkt, r->pkt.src, client, sizeof(client));
	pkt_addr_str(&r->pkt, r->pkt.dst, server, sizeof(server));
	const struct name *n = NULL;
	if (r->state == INSPECT_NAMED && d->name_index < r->nnames) {
		n = &r->names[d->name_index];
		name_escape(n, name, sizeof(name));
	}
	if (mac != NULL && mac_len == 6) {
		snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
			 mac[2], mac[3], mac[4], mac[5]);
	}
	struct policy_rule_names rn;
	policy_rule_names(p, d->rule, &rn);
	const char *vendor = rn.vendor != NULL ? rn.vendor : "-";
	const char *category = rn.category != NULL ? rn.category : "-";
	if (rn.file != NULL) {
		snprintf(rule, sizeof(rule), " rule=%s:%" PRIu32, rn.file, d->rule->line);
	}
	bool v6 = r->pkt.ip_version == 6;
	int prio = d->action == ACTION_ALERT ? LOG_NOTICE : LOG_WARNING;
	char who[400];
	snprintf(who, sizeof(who), "name=%s client=%s%s%s vendor=%s category=%s", name, client,
		 macs[0] != '\0' ? " client_mac=" : "", macs, vendor, category);
	/* What a summary repeats: not the protocol or server, which repeats may not share. */
	snprintf(fields, sizeof(fields), "action=%s %s", action_str(d->action), who);

	pthread_mutex_lock(&A.lock);
	A.totals.attempts++;
	if (A.clients != NULL) {
		struct alert_client *c = client_slot(r);
		if (c == NULL) {
			A.totals.clients_full++;
		} else {
			c->attempts++;
			c->blocked += d->action != ACTION_ALERT;
			c->last = time(NULL);
			if (macs[0] != '\0') {
				copy_cut(c->mac, sizeof(c->mac), macs);
			}
			copy_cut(c->last_name, sizeof(c->last_name), name);
			copy_cut(c->last_vendor, sizeof(c->last_vendor), vendor);
			copy_cut(c->last_category, sizeof(c->last_category), category);
			copy_cut(c->last_action, sizeof(c->last_action), action_str(d->action));
		}
	}
	if (A.window_s > 0 && n != NULL && A.repeats != NULL) {
		bool fresh = true;
		struct repeat *e =
			repeat_slot(r->pkt.ip_version, r->pkt.src, n->text, n->len, &fresh);
		if (e != NULL && !fresh &&
		    now_ms - e->window_start_ms < (uint64_t)A.window_s * 1000) {
			e->count++;
			A.totals.repeats++;
			pthread_mutex_unlock(&A.lock);
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
		log_msg(prio, "alert", "action=%s proto=%s %s server=%s%s%s:%u%s",
			action_str(d->action), inspect_proto_str(r->proto), who, v6 ? "[" : "",
			server, v6 ? "]" : "", r->pkt.dport, rule);
		A.totals.logged++;
	}
	pthread_mutex_unlock(&A.lock);
}

void alert_flush(uint64_t now_ms)
{
	pthread_mutex_lock(&A.lock);
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
	pthread_mutex_unlock(&A.lock);
}

void alert_get_totals(struct alert_totals *t)
{
	pthread_mutex_lock(&A.lock);
	*t = A.totals;
	pthread_mutex_unlock(&A.lock);
}

static int by_last_desc(const void *a, const void *b)
{
	const struct alert_client *x = a, *y = b;
	return x->last < y->last ? 1 : x->last > y->last ? -1 : strcmp(x->addr, y->addr);
}

size_t alert_get_clients(struct alert_client *out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&A.lock);
	for (size_t i = 0; A.clients != NULL && i < ALERT_CLIENTS_MAX && n < max; i++) {
		if (A.clients[i].used) {
			out[n++] = A.clients[i].pub;
		}
	}
	pthread_mutex_unlock(&A.lock);
	qsort(out, n, sizeof(*out), by_last_desc);
	return n;
}
