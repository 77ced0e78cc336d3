/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config: the tables the statements fill, and the statements and blocks (vendor, category, include, ...). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "policy_internal.h"
#include "reserve.h"

/* ---- tables ---- */

int config_add_file(struct ctx *c, const char *path, uint16_t *id)
{
	if (c->nfiles >= CONFIG_FILES_MAX) {
		return config_fail(c, -EINVAL, "%s: too many files (at most %u)", path,
				   CONFIG_FILES_MAX);
	}
	if (array_reserve((void **)&c->files, &c->files_cap, c->nfiles + 1, sizeof(char *)) != 0) {
		return config_oom(c);
	}
	c->files[c->nfiles] = strdup(path);
	if (c->files[c->nfiles] == NULL) {
		return config_oom(c);
	}
	*id = (uint16_t)c->nfiles++;
	return 0;
}

int config_add_vendor(struct ctx *c, const char *name, uint16_t *id)
{
	if (c->nvendors >= CONFIG_IDS_MAX ||
	    array_reserve((void **)&c->vendors, &c->vendors_cap, c->nvendors + 1,
			  sizeof(*c->vendors)) != 0) {
		return config_oom(c);
	}
	struct vendor_def *v = &c->vendors[c->nvendors];
	memset(v, 0, sizeof(*v));
	v->id = strdup(name);
	if (v->id == NULL) {
		return config_oom(c);
	}
	*id = (uint16_t)c->nvendors++;
	return 0;
}

int config_find_category(struct ctx *c, const char *name, uint16_t *id)
{
	for (size_t i = 0; i < c->ncats; i++) {
		if (strcmp(c->cats[i].name, name) == 0) {
			*id = (uint16_t)i;
			return 0;
		}
	}
	if (c->ncats >= CONFIG_IDS_MAX ||
	    array_reserve((void **)&c->cats, &c->cats_cap, c->ncats + 1, sizeof(*c->cats)) != 0) {
		return config_oom(c);
	}
	struct category_def *d = &c->cats[c->ncats];
	memset(d, 0, sizeof(*d));
	d->enabled = true;
	d->name = strdup(name);
	if (d->name == NULL) {
		return config_oom(c);
	}
	*id = (uint16_t)c->ncats++;
	return 0;
}

int config_find_group(struct ctx *c, uint16_t vendor, uint16_t category, uint32_t *id)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		if (c->groups[i].vendor == vendor && c->groups[i].category == category) {
			*id = (uint32_t)i;
			return 0;
		}
	}
	if (array_reserve((void **)&c->groups, &c->groups_cap, c->ngroups + 1,
			  sizeof(*c->groups)) != 0) {
		return config_oom(c);
	}
	struct group_def *g = &c->groups[c->ngroups];
	memset(g, 0, sizeof(*g));
	g->vendor = vendor;
	g->category = category;
	*id = (uint32_t)c->ngroups++;
	return 0;
}

/* Identifiers (vendor ids, category names): letters, digits, '-', '_', '.', 1..63 bytes. */
static bool valid_ident(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= CONFIG_IDENT_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
		if (!ok) {
			return false;
		}
	}
	return true;
}

/* ---- statements ---- */

/* One `include` being carried out: the statement, for messages, and where it is. */
struct include {
	struct ctx *c;
	struct src *f;
	const struct stmt *st;
	bool failed; /* a file it names failed, with a message */
};

/* One file an include names: checked against the files being read, then read. */
static int include_file(const struct include *inc, const char *path)
{
	struct ctx *c = inc->c;
	struct src *f = inc->f;
	const struct stmt *st = inc->st;
	struct src in = {.line = 1, .parent = f};
	int rc = c->io->canonical(c->io->ctx, path, in.real, sizeof(in.real));
	if (rc != 0) {
		return config_at(c, f, st->line[1], st->col[1], "cannot read \"%s\": %s", path,
				 strerror(-rc));
	}
	for (const struct src *a = f; a != NULL; a = a->parent) {
		if (strcmp(a->real, in.real) == 0) {
			return config_at(c, f, st->line[1], st->col[1],
					 "include loop: \"%s\" is already being read", path);
		}
	}
	rc = config_src_start(&in, c->io, path);
	if (rc != 0) {
		return config_at(c, f, st->line[1], st->col[1], "cannot read \"%s\": %s", path,
				 rc == -EFBIG ? "file too large" : strerror(-rc));
	}
	uint16_t file_id;
	rc = config_add_file(c, path, &file_id);
	if (rc == 0) {
		in.name = c->files[file_id];
		in.file_id = file_id;
		config_set_dir(&in, path);
		c->depth++;
		rc = config_parse_file(c, &in);
		c->depth--;
	}
	if (rc == 0 && in.read_error != 0) {
		rc = config_at(c, f, st->line[1], st->col[1], "cannot read \"%s\": %s", path,
			       in.read_error == -EFBIG ? "file too large"
						       : strerror(-in.read_error));
	}
	config_src_close(&in);
	return rc;
}

/* file_io_path_fn of the include's pattern. */
static int include_one(void *arg, const char *path)
{
	struct include *inc = arg;
	int rc = include_file(inc, path);
	inc->failed = rc != 0;
	return rc;
}

static int do_include(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[CONFIG_QUOTED_MAX];
	if (st->nargs != 2) {
		return config_at(c, f, st->line[0], st->col[0], "usage: include FILE-OR-PATTERN");
	}
	if ((c->flags & CONFIG_NO_FILES) != 0 || c->io == NULL) {
		return config_at(c, f, st->line[0], st->col[0], "include is not allowed here");
	}
	if (c->depth >= CONFIG_INCLUDE_DEPTH) {
		return config_at(c, f, st->line[0], st->col[0], "includes nested deeper than %u",
				 CONFIG_INCLUDE_DEPTH);
	}
	char pattern[PATH_MAX + 256];
	config_path_join(pattern, sizeof(pattern), f->dir, st->arg[1]);
	struct include inc = {c, f, st, false};
	if (strpbrk(st->arg[1], "*?[") == NULL) {
		return include_file(&inc, pattern);
	}
	/* No match is fine: an empty drop-in directory. */
	int rc = c->io->glob_paths(c->io->ctx, pattern, include_one, &inc);
	if (rc != 0 && !inc.failed) {
		return config_at(c, f, st->line[1], st->col[1], "cannot read \"%s\": %s",
				 config_arg(st, 1, qb),
				 rc == -ENOMEM ? "out of memory" : strerror(-rc));
	}
	return rc;
}

static int parse_block(struct ctx *c, struct src *f, struct scope *sc, uint32_t open_line,
		       uint32_t open_col);

/* `vendor ID {` */
static int do_vendor(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[CONFIG_QUOTED_MAX];
	if (st->nargs != 2 || st->end != END_OPEN) {
		return config_at(c, f, st->line[0], st->col[0], "usage: vendor ID { ... }");
	}
	if (!valid_ident(st->arg[1])) {
		return config_at(
			c, f, st->line[1], st->col[1],
			"invalid vendor id \"%s\" (letters, digits, '-', '_', '.'; at most 63)",
			config_arg(st, 1, qb));
	}
	for (size_t i = 0; i < c->nvendors; i++) {
		if (strcmp(c->vendors[i].id, st->arg[1]) == 0) {
			return config_at(c, f, st->line[1], st->col[1],
					 "vendor \"%s\" is already defined at %s:%u", st->arg[1],
					 c->files[c->vendors[i].file_id], c->vendors[i].line);
		}
	}
	uint16_t id;
	int rc = config_add_vendor(c, st->arg[1], &id);
	if (rc != 0) {
		return rc;
	}
	c->vendors[id].file_id = f->file_id;
	c->vendors[id].line = st->line[0];
	struct scope sc = {.level = LV_VENDOR, .vendor = id};
	return parse_block(c, f, &sc, st->line[0], st->col[0]);
}

static int do_category_block(struct ctx *c, struct src *f, const struct stmt *st,
			     const struct scope *outer)
{
	char qb[CONFIG_QUOTED_MAX];
	if (st->nargs != 2) {
		return config_at(c, f, st->line[0], st->col[0], "usage: category NAME { ... }");
	}
	if (!valid_ident(st->arg[1])) {
		return config_at(c, f, st->line[1], st->col[1],
				 "invalid category name \"%s\" (letters, digits, '-', '_', '.')",
				 config_arg(st, 1, qb));
	}
	uint16_t cat;
	uint32_t group;
	int rc = config_find_category(c, st->arg[1], &cat);
	if (rc == 0) {
		rc = config_find_group(c, outer->vendor, cat, &group);
	}
	if (rc != 0) {
		return rc;
	}
	struct scope sc = {.level = LV_CATEGORY, .vendor = outer->vendor, .group = group};
	return parse_block(c, f, &sc, st->line[0], st->col[0]);
}

/* Top-level `category NAME on|off` or `category NAME action ACTION`. */
static int do_category_switch(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[CONFIG_QUOTED_MAX];
	if (st->end == END_OPEN) {
		return config_at(c, f, st->line[0], st->col[0],
				 "a category block belongs inside a vendor block");
	}
	if (st->nargs < 3 || !valid_ident(st->arg[1])) {
		return config_at(c, f, st->line[0], st->col[0],
				 "usage: category NAME on|off, or category NAME action ACTION");
	}
	uint16_t cat;
	int rc = config_find_category(c, st->arg[1], &cat);
	if (rc != 0) {
		return rc;
	}
	if (st->nargs == 3 && (strcmp(st->arg[2], "on") == 0 || strcmp(st->arg[2], "off") == 0)) {
		c->cats[cat].enabled = st->arg[2][1] == 'n';
		return 0;
	}
	if (st->nargs == 4 && strcmp(st->arg[2], "action") == 0) {
		return config_block_action(c, f, st, 3, &c->cats[cat].override);
	}
	return config_at(c, f, st->line[2], st->col[2],
			 "category %s: expected on, off or action ACTION, not \"%s\"", st->arg[1],
			 config_arg(st, 2, qb));
}

static int do_default_action(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[CONFIG_QUOTED_MAX];
	if (st->nargs != 3) {
		return config_at(c, f, st->line[0], st->col[0],
				 "usage: default-action dns|tls|http|quic|all ACTION");
	}
	enum action a = ACTION_NONE;
	int rc = config_block_action(c, f, st, 2, &a);
	if (rc != 0) {
		return rc;
	}
	const char *p = st->arg[1];
	bool all = strcmp(p, "all") == 0;
	bool any = false;
	if (all || strcmp(p, "dns") == 0) {
		c->proto_action[INSPECT_PROTO_DNS] = c->proto_action[INSPECT_PROTO_DNS_TCP] = a;
		any = true;
	}
	if (all || strcmp(p, "tls") == 0) {
		c->proto_action[INSPECT_PROTO_TLS] = a;
		any = true;
	}
	if (all || strcmp(p, "http") == 0) {
		c->proto_action[INSPECT_PROTO_HTTP] = a;
		any = true;
	}
	if (all || strcmp(p, "quic") == 0) {
		c->proto_action[INSPECT_PROTO_QUIC] = c->proto_action[INSPECT_PROTO_GQUIC] = a;
		any = true;
	}
	if (!any) {
		return config_at(c, f, st->line[1], st->col[1],
				 "unknown protocol \"%s\" (dns, tls, http, quic or all)",
				 config_arg(st, 1, qb));
	}
	return 0;
}

/* The group a statement's entries join: the category's, or the vendor's "other" category for
 * entries written directly in the vendor block. */
static int scope_group(struct ctx *c, const struct scope *sc, uint32_t *group)
{
	*group = sc->group;
	if (sc->level != LV_VENDOR) {
		return 0;
	}
	uint16_t cat;
	int rc = config_find_category(c, CATEGORY_OTHER, &cat);
	return rc != 0 ? rc : config_find_group(c, sc->vendor, cat, group);
}

/* Entries on one line, or `allow ENTRY...`, in a vendor or category scope. */
static int do_entries(struct ctx *c, struct src *f, const struct stmt *st, struct scope *sc,
		      unsigned first, enum ds_kind kind)
{
	uint32_t group;
	int rc = scope_group(c, sc, &group);
	if (rc != 0) {
		return rc;
	}
	if (first == st->nargs) {
		return config_at(c, f, st->line[0], st->col[0], "allow: give at least one name");
	}
	for (unsigned i = first; i < st->nargs; i++) {
		if (strchr(st->arg[i], '.') == NULL && strchr(st->arg[i], '*') == NULL) {
			char qb[CONFIG_QUOTED_MAX];
			return config_at(c, f, st->line[i], st->col[i],
					 "invalid name \"%s\": a name needs at least one dot",
					 config_arg(st, i, qb));
		}
		rc = config_add_entry(c, f, st->arg[i], strlen(st->arg[i]), st->line[i], st->col[i],
				      group, kind, false);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

static int one_statement(struct ctx *c, struct src *f, struct stmt *st, struct scope *sc)
{
	char qb[CONFIG_QUOTED_MAX];
	const char *k = st->arg[0];
	bool open = st->end == END_OPEN;
	bool is_vendor_kw = strcmp(k, "vendor") == 0;
	bool is_cat_kw = strcmp(k, "category") == 0;
	if (open && !is_vendor_kw && !is_cat_kw) {
		return config_at(c, f, st->end_line, st->end_col, "'%s' does not take a block", k);
	}
	if (sc->level == LV_TOP) {
		if (is_vendor_kw) {
			return do_vendor(c, f, st);
		}
		if (is_cat_kw) {
			return do_category_switch(c, f, st);
		}
		if (strcmp(k, "include") == 0) {
			return do_include(c, f, st);
		}
		if (strcmp(k, "default-action") == 0) {
			return do_default_action(c, f, st);
		}
		if (strcmp(k, "exempt") == 0) {
			return config_add_prefixes(c, f, st, &c->exempt, &c->nexempt,
						   &c->exempt_cap);
		}
		if (strcmp(k, "enforce-on") == 0) {
			return config_add_prefixes(c, f, st, &c->enforce, &c->nenforce,
						   &c->enforce_cap);
		}
		if (strcmp(k, "learn-from") == 0) {
			return config_add_prefixes(c, f, st, &c->learn_from, &c->nlearn_from,
						   &c->learn_from_cap);
		}
		if (strcmp(k, "ech-front") == 0) {
			return config_add_fronts(c, f, st);
		}
		if (strcmp(k, "doh-canary") == 0) {
			static const char *const w[] = {"on", "off"};
			unsigned idx;
			int rc = config_choose(c, f, st, w, 2, &idx);
			c->canary = idx == 0;
			return rc;
		}
		int rc = config_setting(c, f, st);
		if (rc <= 0) {
			return rc;
		}
		if (strchr(k, '.') != NULL || strcmp(k, "allow") == 0 || strcmp(k, "import") == 0 ||
		    strcmp(k, "action") == 0) {
			return config_at(c, f, st->line[0], st->col[0],
					 "\"%s\" belongs inside a vendor block",
					 config_arg(st, 0, qb));
		}
		return config_at(c, f, st->line[0], st->col[0], "unknown keyword \"%s\"",
				 config_arg(st, 0, qb));
	}
	/* Inside a vendor or a category. */
	if (strchr(k, '.') != NULL || strchr(k, '*') != NULL) {
		return do_entries(c, f, st, sc, 0, DS_BLOCK);
	}
	if (strcmp(k, "allow") == 0) {
		return do_entries(c, f, st, sc, 1, DS_ALLOW);
	}
	if (strcmp(k, "action") == 0) {
		if (st->nargs != 2) {
			return config_at(c, f, st->line[0], st->col[0],
					 "usage: action reject|drop|alert");
		}
		enum action *dst = sc->level == LV_VENDOR ? &c->vendors[sc->vendor].action
							  : &c->groups[sc->group].action;
		return config_block_action(c, f, st, 1, dst);
	}
	if (strcmp(k, "import") == 0) {
		uint32_t group;
		int rc = scope_group(c, sc, &group);
		return rc != 0 ? rc : config_import(c, f, st, group);
	}
	if (sc->level == LV_VENDOR) {
		struct vendor_def *v = &c->vendors[sc->vendor];
		if (is_cat_kw) {
			if (!open) {
				return config_at(c, f, st->line[0], st->col[0],
						 "usage: category NAME { ... } (switches such as "
						 "\"category NAME off\" belong in embargod.conf)");
			}
			return do_category_block(c, f, st, sc);
		}
		if (strcmp(k, "ech") == 0) {
			static const char *const w[] = {"allow", "alert", "block"};
			static const enum action a[] = {ACTION_ALLOW, ACTION_ALERT, ACTION_REJECT};
			unsigned idx;
			int rc = config_choose(c, f, st, w, 3, &idx);
			v->ech = rc == 0 ? a[idx] : ACTION_NONE;
			return rc;
		}
		if (strcmp(k, "name") == 0 || strcmp(k, "reason") == 0) {
			char **dst = k[0] == 'n' ? &v->title : &v->reason;
			if (st->nargs != 2) {
				return config_at(c, f, st->line[0], st->col[0],
						 "%s takes one value (quote it: %s \"...\")", k, k);
			}
			free(*dst);
			*dst = strdup(st->arg[1]);
			return *dst != NULL ? 0 : config_oom(c);
		}
	}
	if (is_vendor_kw || is_cat_kw || strcmp(k, "include") == 0) {
		return config_at(c, f, st->line[0], st->col[0],
				 "\"%s\" is not allowed inside a %s block", k,
				 sc->level == LV_VENDOR ? "vendor" : "category");
	}
	return config_at(c, f, st->line[0], st->col[0],
			 "unknown keyword \"%s\" in a %s block (a name needs at least one dot)",
			 config_arg(st, 0, qb), sc->level == LV_VENDOR ? "vendor" : "category");
}

/* The end of the file inside a block (opened at `open_line`:`open_col`) is an error. */
static int block_at_eof(struct ctx *c, struct src *f, const struct scope *sc, uint32_t open_line,
			uint32_t open_col)
{
	if (sc->level == LV_TOP) {
		return 0;
	}
	return config_at(c, f, open_line, open_col,
			 "block is not closed: '}' missing before the end of the file");
}

/* Statements until the block's '}' (or the end of the file at top level). */
static int parse_block(struct ctx *c, struct src *f, struct scope *sc, uint32_t open_line,
		       uint32_t open_col)
{
	struct stmt *st = malloc(sizeof(*st));
	if (st == NULL) {
		return config_oom(c);
	}
	int rc = 0;
	for (;;) {
		rc = config_read_stmt(c, f, st);
		if (rc != 0) {
			break;
		}
		if (st->nargs == 0) {
			if (st->end == END_CLOSE) {
				if (sc->level == LV_TOP) {
					rc = config_at(c, f, st->end_line, st->end_col,
						       "'}' without a block to close");
				}
				break;
			}
			if (st->end == END_EOF) {
				rc = block_at_eof(c, f, sc, open_line, open_col);
				break;
			}
			if (st->end == END_OPEN) {
				rc = config_at(c, f, st->end_line, st->end_col,
					       "'{' without a statement");
				break;
			}
			continue;
		}
		rc = one_statement(c, f, st, sc);
		if (rc != 0) {
			break;
		}
		if (st->end == END_EOF) {
			rc = block_at_eof(c, f, sc, open_line, open_col);
			break;
		}
	}
	free(st);
	return rc;
}

int config_parse_file(struct ctx *c, struct src *f)
{
	if (config_src_avail(f, 3) && memcmp(f->buf, "\xef\xbb\xbf", 3) == 0) {
		f->pos = f->line_start = 3;
	}
	struct scope sc = {.level = LV_TOP};
	return parse_block(c, f, &sc, 1, 1);
}
