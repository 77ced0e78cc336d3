/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reload: compile the configuration again, swap the new policy in for the workers, say what
 * changed, and free the old policy later, once no worker can be reading it. Nothing here waits
 * for the workers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/policy.h"
#include "alert.h"
#include "daemon_priv.h"
#include "load.h"
#include "log.h"

/* How often replaced policies are checked for being free of readers (the workers move on
 * within their 100 ms tick). */
#define RETIRE_CHECK_MS 100

/* A policy replaced by a reload. A worker reads the policy pointer once per batch of packets
 * and says which generation it has moved on to between batches (seen_generation), so the old
 * policy may be freed once every worker has seen the generation that replaced it. */
struct retired_policy {
	struct policy *p;
	uint32_t replaced_by; /* generation that took its place */
	struct retired_policy *next;
};

/* The oldest generation some worker may still be reading. */
static uint32_t oldest_seen(const struct daemon *d)
{
	uint32_t min = UINT32_MAX;
	for (unsigned i = 0; i < d->nworkers; i++) {
		uint32_t g =
			atomic_load_explicit(&d->workers[i].seen_generation, memory_order_acquire);
		min = g < min ? g : min;
	}
	return min;
}

/* Free the retired policies no worker can be reading; true when some are left. */
bool reload_free_retired(struct daemon *d)
{
	uint32_t seen = oldest_seen(d);
	struct retired_policy **pp = &d->retired;
	while (*pp != NULL) {
		struct retired_policy *r = *pp;
		if (r->replaced_by <= seen) {
			*pp = r->next;
			policy_free(r->p);
			free(r);
		} else {
			pp = &r->next;
		}
	}
	return d->retired != NULL;
}

void reload_on_retire_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	(void)fd;
	(void)what;
	if (reload_free_retired(d)) {
		struct timeval tv = {0, RETIRE_CHECK_MS * 1000};
		event_add(d->retire_event, &tv);
	}
}

/* Hand `old` (replaced by generation `gen`) to the retire timer. */
static void retire_policy(struct daemon *d, struct policy *old, uint32_t gen)
{
	struct retired_policy *r = malloc(sizeof(*r));
	if (r == NULL) {
		/* Leaking is safer than freeing what a worker may be reading. */
		log_msg(LOG_WARNING, "reload", "out of memory: the old blocklist stays in memory");
		return;
	}
	r->p = old;
	r->replaced_by = gen;
	r->next = d->retired;
	d->retired = r;
	if (!evtimer_pending(d->retire_event, NULL)) {
		struct timeval tv = {0, RETIRE_CHECK_MS * 1000};
		event_add(d->retire_event, &tv);
	}
}

/* Entries of (vendor, category) in `p`, or -1 when it has no such group. */
static int64_t group_entries(const struct policy *p, const char *vendor, const char *category,
			     bool *enabled)
{
	for (uint32_t i = 0; i < p->ngroups; i++) {
		const struct policy_group *g = &p->groups[i];
		if (strcmp(p->vendors[g->vendor_id], vendor) == 0 &&
		    strcmp(p->categories[g->category_id], category) == 0) {
			*enabled = g->enabled;
			return g->entries + g->exceptions;
		}
	}
	return -1;
}

/* One line saying what a reload changed, per (vendor, category): added, removed, resized,
 * switched on or off. */
static void log_reload_diff(const struct policy *old, const struct policy *fresh)
{
	char line[900];
	size_t used = 0;
	unsigned changes = 0;
	for (int pass = 0; pass < 2; pass++) {
		const struct policy *a = pass == 0 ? fresh : old, *b = pass == 0 ? old : fresh;
		for (uint32_t i = 0; i < a->ngroups; i++) {
			const struct policy_group *g = &a->groups[i];
			const char *v = a->vendors[g->vendor_id],
				   *c = a->categories[g->category_id];
			bool b_on = false;
			int64_t b_n = group_entries(b, v, c, &b_on);
			int64_t a_n = (int64_t)g->entries + g->exceptions;
			char what[160] = "";
			if (b_n < 0) {
				snprintf(what, sizeof(what), "%s/%s %s (%" PRId64 " entries)", v, c,
					 pass == 0 ? "added" : "removed", a_n);
			} else if (pass == 0 && (b_n != a_n || b_on != g->enabled)) {
				snprintf(what, sizeof(what), "%s/%s %" PRId64 "%s -> %" PRId64 "%s",
					 v, c, b_n, b_on ? "" : " (off)", a_n,
					 g->enabled ? "" : " (off)");
			}
			if (what[0] == '\0') {
				continue;
			}
			changes++;
			if (used < sizeof(line) - 200) {
				int n = snprintf(line + used, sizeof(line) - used, "%s%s",
						 changes > 1 ? "; " : "", what);
				used += n > 0 ? (size_t)n : 0;
			}
		}
	}
	if (changes == 0) {
		log_msg(LOG_INFO, "reload", "no rule changed");
	} else {
		log_msg(LOG_INFO, "reload", "%u change(s): %s%s", changes, line,
			used >= sizeof(line) - 200 ? "; ..." : "");
	}
}

/* Settings bound at startup (sockets, queues, user: restart-only in the settings table) change
 * only with a restart: a reload that finds them changed in the file says so, one warning per
 * statement. */
static void warn_restart_only(const struct embargod_opts *o, const struct config_settings *s)
{
	size_t n;
	const struct setting *t = settings_table(&n);
	const char *last = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct setting *r = &t[i];
		bool from_file = (s->set & r->bit) != 0 && (o->cli.set & r->bit) == 0;
		if (!r->restart || !from_file || setting_equal(r, s, &o->cfg) ||
		    (last != NULL && strcmp(last, r->name) == 0)) {
			continue;
		}
		last = r->name;
		log_msg(LOG_WARNING, "reload",
			"%s changed in the file: it takes effect at the next restart", r->name);
	}
}

int reload_policy(struct daemon *d)
{
	char err[1024];
	struct config_settings s;
	struct policy *fresh = load_policy(d->o, &s, err, sizeof(err));
	d->last_reload = time(NULL);
	if (fresh == NULL) {
		d->reload_failures++;
		snprintf(d->last_reload_error, sizeof(d->last_reload_error), "%s", err);
		log_msg(LOG_ERR, "reload", "refused, generation %" PRIu32 " stays in force: %s",
			d->generation, err);
		return -1;
	}
	d->reloads++;
	d->last_reload_error[0] = '\0';
	if (d->o->config_path != NULL) {
		warn_restart_only(d->o, &s);
		/* Alert settings follow the file unless the command line fixed them. */
		struct config_settings now;
		settings_merge(&now, &d->o->cli, &s);
		alert_configure(now.log_window_s, now.log_rate);
	}
	fresh->generation = ++d->generation;
	struct policy *old = atomic_exchange(&d->shared.policy, fresh);
	atomic_store(&d->shared.generation, d->generation);
	log_msg(LOG_INFO, "reload",
		"generation %" PRIu32 " in force: %zu rules, %u vendor(s) (was %zu rules)",
		d->generation, domainset_count(fresh->ds), fresh->nvendors,
		domainset_count(old->ds));
	log_reload_diff(old, fresh);
	if (d->learning != NULL) {
		/* Entries judged under the old policy: judged again (workers use only those of
		 * the generation they read). */
		learning_rejudge(d->learning, fresh, monotonic_ms());
	}
	retire_policy(d, old, d->generation);
	return 0;
}
