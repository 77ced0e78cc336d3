/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config: daemon settings (read through the table in settings.c) and the values of other statements: actions, choices, prefixes, ECH fronts. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/settings.h"
#include "config_internal.h"
#include "policy_internal.h"
#include "reserve.h"

/* ---- values ---- */

int config_action_from_str(const char *s)
{
	static const struct {
		const char *name;
		enum action a;
	} t[] = {{"reject", ACTION_REJECT},
		 {"drop", ACTION_DROP},
		 {"alert", ACTION_ALERT},
		 {"alert-only", ACTION_ALERT},
		 {"allow", ACTION_ALLOW}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i].name) == 0) {
			return (int)t[i].a;
		}
	}
	return -1;
}

/* A block action: reject, drop or alert. */
int config_block_action(struct ctx *c, struct src *f, const struct stmt *st, unsigned i,
			enum action *out)
{
	char qb[CONFIG_QUOTED_MAX];
	int a = config_action_from_str(st->arg[i]);
	if (a != ACTION_REJECT && a != ACTION_DROP && a != ACTION_ALERT) {
		return config_at(c, f, st->line[i], st->col[i],
				 "unknown action \"%s\" (reject, drop or alert)",
				 config_arg(st, i, qb));
	}
	*out = (enum action)a;
	return 0;
}

static int parse_prefix(const char *s, struct policy_prefix *pf)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (strlen(s) >= sizeof(buf)) {
		return -EINVAL;
	}
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
	}
	memset(pf, 0, sizeof(*pf));
	uint32_t max;
	if (inet_pton(AF_INET, buf, pf->addr) == 1) {
		pf->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, pf->addr) == 1) {
		pf->family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	uint32_t plen = max;
	if (slash != NULL && setting_parse_uint(slash + 1, max, &plen) != 0) {
		return -EINVAL;
	}
	pf->plen = (uint8_t)plen;
	/* Host bits are cleared so that "192.168.1.7/24" means the /24 it lies in. */
	for (uint32_t bit = plen; bit < max; bit++) {
		pf->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	}
	return 0;
}

int config_add_prefixes(struct ctx *c, struct src *f, const struct stmt *st,
			struct policy_prefix **v, size_t *n, size_t *cap)
{
	char qb[CONFIG_QUOTED_MAX];
	if (st->nargs < 2) {
		return config_at(c, f, st->line[0], st->col[0],
				 "%s: give at least one address or prefix", st->arg[0]);
	}
	for (unsigned i = 1; i < st->nargs; i++) {
		if (array_reserve((void **)v, cap, *n + 1, sizeof(**v)) != 0) {
			return config_oom(c);
		}
		if (parse_prefix(st->arg[i], &(*v)[*n]) != 0) {
			return config_at(c, f, st->line[i], st->col[i],
					 "invalid address or prefix \"%s\"", config_arg(st, i, qb));
		}
		(*n)++;
	}
	return 0;
}

/* One-word choice: index of st->arg[1] in `words`, or an error listing them. */
int config_choose(struct ctx *c, struct src *f, const struct stmt *st, const char *const *words,
		  size_t n, unsigned *out)
{
	char qb[CONFIG_QUOTED_MAX], list[256] = "";
	if (st->nargs == 2) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(st->arg[1], words[i]) == 0) {
				*out = (unsigned)i;
				return 0;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s%s",
			 i == 0	      ? ""
			 : i + 1 == n ? " or "
				      : ", ",
			 words[i]);
	}
	if (st->nargs != 2) {
		return config_at(c, f, st->line[0], st->col[0], "%s takes one value: %s",
				 st->arg[0], list);
	}
	return config_at(c, f, st->line[1], st->col[1], "%s: unknown value \"%s\" (%s)", st->arg[0],
			 config_arg(st, 1, qb), list);
}

/* `NAME KEY N [KEY N ...]`: the rows of `NAME` that have a key, any of them, in any order. */
static int setting_keys(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[CONFIG_QUOTED_MAX], usage[256], known[128], msg[256];
	size_t n, nkeys = 0, ulen, klen = 0;
	const struct setting *t = settings_table(&n);
	ulen = (size_t)snprintf(usage, sizeof(usage), "usage: %s", st->arg[0]);
	for (size_t i = 0; i < n; i++) {
		nkeys += strcmp(t[i].name, st->arg[0]) == 0;
	}
	known[0] = '\0';
	for (size_t i = 0, k = 0; i < n; i++) {
		if (strcmp(t[i].name, st->arg[0]) != 0) {
			continue;
		}
		ulen += (size_t)snprintf(usage + ulen,
					 ulen < sizeof(usage) ? sizeof(usage) - ulen : 0,
					 " [%s %s]", t[i].key, t[i].metavar);
		/* "a or b", "a, b, c or d" */
		klen += (size_t)snprintf(known + klen,
					 klen < sizeof(known) ? sizeof(known) - klen : 0, "%s%s",
					 k == 0		  ? ""
					 : k + 1 == nkeys ? " or "
							  : ", ",
					 t[i].key);
		k++;
	}
	if (st->nargs < 3 || st->nargs % 2 != 1) {
		return config_at(c, f, st->line[0], st->col[0], "%s", usage);
	}
	for (unsigned i = 1; i + 1 < st->nargs; i += 2) {
		const struct setting *r = setting_find(st->arg[0], st->arg[i]);
		if (r == NULL) {
			return config_at(c, f, st->line[i], st->col[i],
					 "%s: unknown limit \"%s\" (%s)", st->arg[0],
					 config_arg(st, i, qb), known);
		}
		if (setting_parse(r, st->arg[i + 1], c->s, msg, sizeof(msg)) != 0) {
			return config_at(c, f, st->line[i + 1], st->col[i + 1], "%s", msg);
		}
	}
	return 0;
}

/* Daemon settings (the table in settings.c). Returns 1 when `st` is not a setting, else 0 or
 * an error. */
int config_setting(struct ctx *c, struct src *f, const struct stmt *st)
{
	const struct setting *r = setting_find(st->arg[0], NULL);
	char msg[256];
	if (r == NULL) {
		return 1;
	}
	if (r->key != NULL) {
		return setting_keys(c, f, st);
	}
	if (st->nargs != 2) {
		/* A number or an address with a word too many is pointed at after the keyword. */
		bool at_value =
			st->nargs > 1 && (r->type == SETTING_UINT || r->type == SETTING_ADDR4 ||
					  r->type == SETTING_ADDR6);
		setting_usage(r, msg, sizeof(msg));
		return config_at(c, f, st->line[at_value ? 1 : 0], st->col[at_value ? 1 : 0], "%s",
				 msg);
	}
	if (setting_parse(r, st->arg[1], c->s, msg, sizeof(msg)) != 0) {
		return config_at(c, f, st->line[1], st->col[1], "%s", msg);
	}
	return 0;
}

const char *config_learn_str(int v)
{
	return setting_word(setting_find("learn-addresses", NULL), v);
}

const char *config_ech_str(enum action a)
{
	return setting_word(setting_find("ech", NULL), (int)a);
}

/* `ech-front NAME...`: more ECH fronts (public names of ECH configurations). */
int config_add_fronts(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[CONFIG_QUOTED_MAX];
	if (st->nargs < 2) {
		return config_at(c, f, st->line[0], st->col[0],
				 "ech-front: give at least one name");
	}
	for (unsigned i = 1; i < st->nargs; i++) {
		struct name n;
		if (name_from_text(&n, st->arg[i], strlen(st->arg[i])) != 0 ||
		    strchr(st->arg[i], '*') != NULL || (n.flags & (NAME_F_ROOT | NAME_F_UNUSUAL))) {
			return config_at(c, f, st->line[i], st->col[i],
					 "ech-front: invalid name \"%s\"", config_arg(st, i, qb));
		}
		if (array_reserve((void **)&c->fronts, &c->fronts_cap, c->nfronts + 1,
				  sizeof(*c->fronts)) != 0) {
			return config_oom(c);
		}
		c->fronts[c->nfronts++] = (struct front_def){n, f->file_id, st->line[i]};
	}
	return 0;
}
