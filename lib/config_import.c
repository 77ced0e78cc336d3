/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config: entries of vendor blocks and the lists `import` reads (plain, hosts, abp), checked by
 * the one entry grammar (entry.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "entry.h"
#include "policy_internal.h"
#include "reserve.h"

/* ---- entries ---- */

/* Add checked entry `e` to `group`; `line` and `col` are where it was written. */
static int add_checked(struct ctx *c, struct src *f, const struct entry *e, uint32_t line,
		       uint32_t col, uint32_t group, enum ds_kind kind)
{
	char qb[CONFIG_QUOTED_MAX];
	const struct group_def *g = &c->groups[group];
	const struct rule_meta m = {
		.line = line,
		.file_id = f->file_id,
		.vendor_id = g->vendor,
		.category_id = g->category,
		.action = ACTION_NONE, /* the group's, once known */
		.kind = (uint8_t)kind,
	};
	int rc = c->b != NULL ? domainset_builder_add(c->b, &e->name, e->match, &m) : -ENOMEM;
	if (rc == -ENOMEM) {
		return config_oom(c);
	}
	if (rc != 0) {
		policy_quote(qb, e->name.text, e->name.len);
		return config_at(c, f, line, col, "invalid name \"%s\": rule not accepted", qb);
	}
	if (kind == DS_ALLOW) {
		c->groups[group].exceptions++;
	} else {
		c->groups[group].entries++;
	}
	return 0;
}

/*
 * Check one entry (entry_parse) and add it. `text` is the entry as written; column `col`
 * points at it; messages point at the offending byte.
 */
int config_add_entry(struct ctx *c, struct src *f, const char *text, size_t len, uint32_t line,
		     uint32_t col, uint32_t group, enum ds_kind kind, bool suffix_default)
{
	char msg[ENTRY_MSG_MAX];
	struct entry e;
	size_t off;
	if (entry_parse(text, len, suffix_default, &e, &off, msg) != 0) {
		return config_at(c, f, line, col + (uint32_t)off, "%s", msg);
	}
	return add_checked(c, f, &e, line, col, group, kind);
}

/* ---- imports ---- */

enum import_format {
	IMPORT_PLAIN,
	IMPORT_HOSTS,
	IMPORT_ABP
};

/* Hosts-file names that describe the machine itself, not a blocked host. */
static bool hosts_local_name(const char *s, size_t n)
{
	static const char *const local[] = {
		"localhost",	 "localhost.localdomain", "local",	  "broadcasthost",
		"ip6-localhost", "ip6-loopback",	  "ip6-localnet", "ip6-mcastprefix",
		"ip6-allnodes",	 "ip6-allrouters",	  "ip6-allhosts", "0.0.0.0"};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		if (strlen(local[i]) == n && memcmp(local[i], s, n) == 0) {
			return true;
		}
	}
	return false;
}

static int import_line(struct ctx *c, struct src *f, enum import_format fmt, const char *l,
		       size_t len, uint32_t lineno, uint32_t group)
{
	if (fmt == IMPORT_PLAIN) {
		/* The grammar -b lists have too (entry_plain_line). */
		char msg[ENTRY_MSG_MAX];
		struct entry e;
		size_t off;
		int rc = entry_plain_line(l, len, &e, &off, msg);
		uint32_t col = config_col(f, (size_t)(l + off - f->buf));
		if (rc < 0) {
			return config_at(c, f, lineno, col, "%s", msg);
		}
		return rc == 1 ? 0 : add_checked(c, f, &e, lineno, col, group, DS_BLOCK);
	}
	size_t a = 0;
	if (entry_trim(l, &a, &len)) {
		return 0;
	}
	if (fmt == IMPORT_ABP) {
		/* "||name^" (name and below), "@@||name^" (an exception); '!' and '[' lines are
		 * comments; anything else (cosmetic, path or regex rules) is not a name rule. */
		if (l[a] == '!' || l[a] == '[' || l[a] == '#') {
			return 0;
		}
		enum ds_kind kind = DS_BLOCK;
		size_t p = a;
		if (len - p >= 2 && l[p] == '@' && l[p + 1] == '@') {
			kind = DS_ALLOW;
			p += 2;
		}
		const char *caret = memchr(l + p, '^', len - p);
		bool rule = len - p > 2 && l[p] == '|' && l[p + 1] == '|' && caret != NULL &&
			    (caret == l + len - 1 || (caret == l + len - 2 && l[len - 1] == '|'));
		if (rule) {
			/* A path, port, query or wildcard makes it a URL pattern, not a name. */
			static const char url[] = "/:?&=*";
			size_t i = p + 2;
			if (caret - (l + i) >= 2 && l[i] == '*' && l[i + 1] == '.') {
				i += 2;
			}
			for (; rule && l + i < caret; i++) {
				rule = memchr(url, l[i], sizeof(url) - 1) == NULL;
			}
		}
		if (!rule) {
			c->groups[group].skipped++;
			return 0;
		}
		p += 2;
		return config_add_entry(c, f, l + p, (size_t)(caret - (l + p)), lineno,
					config_col(f, (size_t)(l + p - f->buf)), group, kind, true);
	}
	const char *hash = memchr(l + a, '#', len - a);
	if (hash != NULL) {
		len = (size_t)(hash - l);
		if (entry_trim(l, &a, &len)) {
			return 0;
		}
	}
	/* hosts: ADDRESS NAME [NAME ...]; each name exactly. */
	size_t e = a;
	while (e < len && !entry_is_blank(l[e])) {
		e++;
	}
	char addr[64];
	uint8_t bin[16];
	if (e - a >= sizeof(addr)) {
		return config_at(c, f, lineno, config_col(f, (size_t)(l + a - f->buf)),
				 "expected an IP address first on a hosts line");
	}
	memcpy(addr, l + a, e - a);
	addr[e - a] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1) {
		return config_at(c, f, lineno, config_col(f, (size_t)(l + a - f->buf)),
				 "expected an IP address first on a hosts line");
	}
	for (size_t p = e; p < len;) {
		while (p < len && entry_is_blank(l[p])) {
			p++;
		}
		size_t s0 = p;
		while (p < len && !entry_is_blank(l[p])) {
			p++;
		}
		if (p == s0 || hosts_local_name(l + s0, p - s0)) {
			continue;
		}
		int rc = config_add_entry(c, f, l + s0, p - s0, lineno,
					  config_col(f, (size_t)(l + s0 - f->buf)), group, DS_BLOCK,
					  false);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

/* A list being imported, read a line at a time (policy_read_lines). */
struct import_file {
	struct ctx *c;
	struct src in; /* its buf is the current line */
	enum import_format fmt;
	uint32_t group;
	bool reported; /* import_line failed with a message */
};

static int import_file_line(void *ctx, const char *line, size_t len, uint32_t lineno)
{
	struct import_file *imp = ctx;
	imp->in.buf = line;
	imp->in.len = len;
	imp->in.line = lineno;
	imp->in.line_start = 0;
	int rc = import_line(imp->c, &imp->in, imp->fmt, line, len, lineno, imp->group);
	imp->reported = rc != 0;
	return rc;
}

int config_import(struct ctx *c, struct src *f, const struct stmt *st, uint32_t group)
{
	char qb[CONFIG_QUOTED_MAX];
	if (st->nargs != 3) {
		return config_at(c, f, st->line[0], st->col[0],
				 "usage: import plain|hosts|abp FILE");
	}
	enum import_format fmt;
	if (strcmp(st->arg[1], "plain") == 0) {
		fmt = IMPORT_PLAIN;
	} else if (strcmp(st->arg[1], "hosts") == 0) {
		fmt = IMPORT_HOSTS;
	} else if (strcmp(st->arg[1], "abp") == 0 || strcmp(st->arg[1], "adblock") == 0) {
		fmt = IMPORT_ABP;
	} else {
		return config_at(c, f, st->line[1], st->col[1],
				 "unknown list format \"%s\" (plain, hosts or abp)",
				 config_arg(st, 1, qb));
	}
	if ((c->flags & CONFIG_NO_FILES) != 0 || c->io == NULL) {
		return config_at(c, f, st->line[0], st->col[0], "import is not allowed here");
	}
	char path[PATH_MAX + 256];
	config_path_join(path, sizeof(path), f->dir, st->arg[2]);
	uint16_t file_id;
	int rc = config_add_file(c, path, &file_id);
	if (rc != 0) {
		return rc;
	}
	struct import_file imp = {
		.c = c,
		.in = {.name = c->files[file_id], .file_id = file_id},
		.fmt = fmt,
		.group = group,
	};
	rc = policy_read_lines(c->io, path, import_file_line, &imp);
	if (rc != 0 && !imp.reported) {
		return config_at(c, f, st->line[2], st->col[2], "cannot read \"%s\": %s",
				 config_arg(st, 2, qb),
				 rc == -EFBIG ? "file too large" : strerror(-rc));
	}
	return rc;
}
