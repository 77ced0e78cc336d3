/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration compiler: embargod.conf, the vendor files it includes and the lists they
 * import, read into daemon settings and compiled into one policy.
 *
 * Parsing runs in two phases. The first reads every file, checks every statement and collects
 * entries (with their vendor, category and source line) and switches; the second decides each
 * (vendor, category) group's action and whether it is on, and builds the domainset. Switches
 * such as "category doh off" may therefore come before or after the vendor files they affect.
 * This file holds the second phase and the entry points; config_internal.h lists the others.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "policy_internal.h"
#include "reserve.h"

#define CANARY_NAME	"use-application-dns.net"
#define BUILTIN_FILE	"(built-in)"
#define VENDOR_BUILTIN	"embargo"
#define CATEGORY_CANARY "doh-canary"
#define CATEGORY_FRONT	"ech-front"
/* ECH public names of the big ECH providers, shipped as fronts (more with `ech-front`). */
static const char *const builtin_fronts[] = {
	"cloudflare-ech.com", /* the public name of Cloudflare's ECH configurations */
};

/* ---- compile ---- */

static char **dup_table(size_t n)
{
	return calloc(n > 0 ? n : 1, sizeof(char *));
}

/* The groups by (vendor, category), for settling the rules' actions in compile(). */
struct group_map {
	const struct policy *p;
	uint32_t *keys; /* group index + 1; 0 = empty */
	size_t mask;
};

static size_t group_map_slot(const struct group_map *m, uint16_t vendor, uint16_t category)
{
	uint32_t k = (uint32_t)vendor << 16 | category;
	return (size_t)((k * 0x9e3779b1u) >> 7) & m->mask;
}

static int group_map_init(struct group_map *m, const struct policy *p)
{
	size_t n = 16;
	while (n < (size_t)p->ngroups * 2) {
		n *= 2;
	}
	m->p = p;
	m->mask = n - 1;
	m->keys = calloc(n, sizeof(*m->keys));
	if (m->keys == NULL) {
		return -ENOMEM;
	}
	for (uint32_t g = 0; g < p->ngroups; g++) {
		size_t i = group_map_slot(m, p->groups[g].vendor_id, p->groups[g].category_id);
		while (m->keys[i] != 0) {
			i = (i + 1) & m->mask;
		}
		m->keys[i] = g + 1;
	}
	return 0;
}

/* domainset_keep_fn: a rule stays when its group is on, and takes the group's action. */
static bool group_keep(void *ctx, struct rule_meta *meta)
{
	const struct group_map *m = ctx;
	for (size_t i = group_map_slot(m, meta->vendor_id, meta->category_id); m->keys[i] != 0;
	     i = (i + 1) & m->mask) {
		const struct policy_group *pg = &m->p->groups[m->keys[i] - 1];
		if (pg->vendor_id == meta->vendor_id && pg->category_id == meta->category_id) {
			meta->action = (uint8_t)pg->action;
			return pg->enabled;
		}
	}
	return false;
}

static int compile(struct ctx *c, struct policy **out)
{
	struct policy *p = calloc(1, sizeof(*p));
	struct domainset_builder *b = c->b;
	c->b = NULL;
	if (p == NULL || b == NULL) {
		free(p);
		domainset_builder_free(b);
		return config_oom(c);
	}
	int rc = -ENOMEM;
	/* Hand the tables over. */
	p->files = c->files;
	p->nfiles = (uint16_t)c->nfiles;
	c->files = NULL;
	c->nfiles = 0;
	p->vendors = dup_table(c->nvendors);
	p->vendor_titles = dup_table(c->nvendors);
	p->vendor_reasons = dup_table(c->nvendors);
	p->categories = dup_table(c->ncats);
	p->groups = calloc(c->ngroups > 0 ? c->ngroups : 1, sizeof(*p->groups));
	if (p->vendors == NULL || p->vendor_titles == NULL || p->vendor_reasons == NULL ||
	    p->categories == NULL || p->groups == NULL) {
		goto fail;
	}
	p->vendor_ech = calloc(c->nvendors > 0 ? c->nvendors : 1, sizeof(*p->vendor_ech));
	if (p->vendor_ech == NULL) {
		goto fail;
	}
	for (size_t i = 0; i < c->nvendors; i++) {
		p->vendor_ech[i] = (uint8_t)c->vendors[i].ech;
		p->vendors[i] = c->vendors[i].id;
		p->vendor_titles[i] = c->vendors[i].title;
		p->vendor_reasons[i] = c->vendors[i].reason;
		c->vendors[i].id = c->vendors[i].title = c->vendors[i].reason = NULL;
	}
	p->nvendors = (uint16_t)c->nvendors;
	for (size_t i = 0; i < c->ncats; i++) {
		p->categories[i] = c->cats[i].name;
		c->cats[i].name = NULL;
	}
	p->ncategories = (uint16_t)c->ncats;
	for (size_t i = 0; i < c->ngroups; i++) {
		const struct group_def *g = &c->groups[i];
		const struct category_def *cat = &c->cats[g->category];
		struct policy_group *pg = &p->groups[i];
		pg->vendor_id = g->vendor;
		pg->category_id = g->category;
		pg->entries = g->entries;
		pg->exceptions = g->exceptions;
		pg->skipped = g->skipped;
		pg->enabled = cat->enabled;
		pg->action = cat->override != ACTION_NONE ? cat->override
			     : g->action != ACTION_NONE	  ? g->action
							  : c->vendors[g->vendor].action;
	}
	p->ngroups = (uint32_t)c->ngroups;
	struct group_map map;
	if (group_map_init(&map, p) != 0) {
		goto fail;
	}
	domainset_builder_filter(b, group_keep, &map);
	free(map.keys);
	p->ds = domainset_build(b);
	b = NULL;
	if (p->ds == NULL) {
		goto fail;
	}
	p->exempt = c->exempt;
	p->nexempt = (uint32_t)c->nexempt;
	p->enforce = c->enforce;
	p->nenforce = (uint32_t)c->nenforce;
	c->exempt = c->enforce = NULL;
	p->learn_from = c->learn_from;
	p->nlearn_from = (uint32_t)c->nlearn_from;
	c->learn_from = NULL;
	memcpy(p->proto_action, c->proto_action, sizeof(p->proto_action));
	const struct config_settings *cs = c->s;
	p->responses = (cs->set & CFG_DNS_RESPONSES) != 0 ? cs->dns_responses : true;
	p->cname_cloaking = (cs->set & CFG_CNAME_CLOAKING) != 0 ? cs->cname_cloaking : true;
	p->strip_ech = (cs->set & CFG_STRIP_ECH) != 0 && cs->strip_ech;
	p->ech_action = (cs->set & CFG_ECH) != 0 ? cs->ech_action : ACTION_ALLOW;
	p->nameless_action = (c->s->set & CFG_NAMELESS) != 0 ? c->s->nameless_action : ACTION_NONE;
	p->unfinished_action =
		(c->s->set & CFG_UNFINISHED) != 0 ? c->s->unfinished_action : ACTION_NONE;
	*out = p;
	return 0;
fail:
	if (rc == -ENOMEM) {
		config_oom(c);
	}
	domainset_builder_free(b);
	policy_free(p);
	return rc;
}

/* The built-in canary rule: browsers that find use-application-dns.net missing keep their
 * DNS on the network's resolver (where the gateway sees it) instead of switching to DoH. */
static int add_canary(struct ctx *c)
{
	uint16_t vendor, cat, file_id;
	uint32_t group;
	int rc = config_add_vendor(c, VENDOR_BUILTIN, &vendor);
	if (rc != 0) {
		return rc;
	}
	struct vendor_def *v = &c->vendors[vendor];
	v->reason = strdup("browsers' DNS-over-HTTPS canary (keeps DNS visible to the gateway)");
	if (v->reason == NULL) {
		return config_oom(c);
	}
	v->action = ACTION_REJECT;
	rc = config_find_category(c, CATEGORY_CANARY, &cat);
	if (rc == 0) {
		c->canary_cat = cat;
		rc = config_find_group(c, vendor, cat, &group);
	}
	if (rc == 0) {
		rc = config_add_file(c, BUILTIN_FILE, &file_id);
	}
	if (rc != 0) {
		return rc;
	}
	struct src f = {.name = BUILTIN_FILE, .file_id = file_id};
	return config_add_entry(c, &f, CANARY_NAME, strlen(CANARY_NAME), 0, 1, group, DS_BLOCK,
				false);
}

/* The built-in vendor ("embargo"), added when no rule made it yet. */
static int builtin_vendor(struct ctx *c, uint16_t *id)
{
	for (size_t i = 0; i < c->nvendors; i++) {
		if (strcmp(c->vendors[i].id, VENDOR_BUILTIN) == 0) {
			*id = (uint16_t)i;
			return 0;
		}
	}
	int rc = config_add_vendor(c, VENDOR_BUILTIN, id);
	if (rc == 0) {
		c->vendors[*id].action = ACTION_REJECT;
	}
	return rc;
}

/* The shipped ECH fronts join the configuration's, under the built-in vendor. */
static int add_builtin_fronts(struct ctx *c, uint16_t *vendor, uint16_t *cat)
{
	int rc = builtin_vendor(c, vendor);
	if (rc == 0) {
		rc = config_find_category(c, CATEGORY_FRONT, cat);
	}
	uint16_t file_id = UINT16_MAX;
	for (size_t i = 0; i < c->nfiles && rc == 0; i++) {
		file_id = strcmp(c->files[i], BUILTIN_FILE) == 0 ? (uint16_t)i : file_id;
	}
	if (rc == 0 && file_id == UINT16_MAX) {
		rc = config_add_file(c, BUILTIN_FILE, &file_id);
	}
	for (size_t i = 0; i < sizeof(builtin_fronts) / sizeof(builtin_fronts[0]) && rc == 0; i++) {
		if (array_reserve((void **)&c->fronts, &c->fronts_cap, c->nfronts + 1,
				  sizeof(*c->fronts)) != 0) {
			return config_oom(c);
		}
		struct front_def *d = &c->fronts[c->nfronts];
		if (name_from_text(&d->name, builtin_fronts[i], strlen(builtin_fronts[i])) != 0) {
			return config_fail(c, -EINVAL, "built-in ECH front \"%s\" is invalid",
					   builtin_fronts[i]);
		}
		d->file_id = file_id;
		d->line = 0;
		c->nfronts++;
	}
	return rc;
}

static int cmp_u64_idx(const void *a, const void *b, void *keys)
{
	const uint64_t *k = keys;
	uint64_t x = k[*(const uint32_t *)a], y = k[*(const uint32_t *)b];
	return x < y ? -1 : x > y ? 1 : 0;
}

/* The fronts into the policy, sorted by name hash (duplicates once). */
static int compile_fronts(struct ctx *c, struct policy *p, uint16_t vendor, uint16_t cat)
{
	size_t n = c->nfronts;
	uint64_t *h = calloc(n > 0 ? n : 1, sizeof(*h));
	uint32_t *order = calloc(n > 0 ? n : 1, sizeof(*order));
	p->front_hashes = calloc(n > 0 ? n : 1, sizeof(*p->front_hashes));
	p->front_rules = calloc(n > 0 ? n : 1, sizeof(*p->front_rules));
	p->front_names = calloc(n > 0 ? n : 1, sizeof(*p->front_names));
	if (h == NULL || order == NULL || p->front_hashes == NULL || p->front_rules == NULL ||
	    p->front_names == NULL) {
		free(h);
		free(order);
		return config_oom(c);
	}
	for (size_t i = 0; i < n; i++) {
		h[i] = domainset_hash(c->fronts[i].name.text, c->fronts[i].name.len);
		order[i] = (uint32_t)i;
	}
	qsort_r(order, n, sizeof(*order), cmp_u64_idx, h);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct front_def *d = &c->fronts[order[i]];
		if (p->nfronts > 0 && p->front_hashes[p->nfronts - 1] == h[order[i]]) {
			continue;
		}
		uint32_t k = p->nfronts;
		p->front_hashes[k] = h[order[i]];
		p->front_rules[k] = (struct rule_meta){.line = d->line,
						       .file_id = d->file_id,
						       .vendor_id = vendor,
						       .category_id = cat,
						       .action = ACTION_NONE,
						       .kind = DS_BLOCK};
		p->front_names[k] = strdup(d->name.text);
		if (p->front_names[k] == NULL) {
			rc = config_oom(c);
		}
		p->nfronts++;
	}
	free(h);
	free(order);
	return rc;
}

static void ctx_free(struct ctx *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i]);
	}
	free(c->files);
	for (size_t i = 0; i < c->nvendors; i++) {
		free(c->vendors[i].id);
		free(c->vendors[i].title);
		free(c->vendors[i].reason);
	}
	free(c->vendors);
	for (size_t i = 0; i < c->ncats; i++) {
		free(c->cats[i].name);
	}
	free(c->cats);
	free(c->groups);
	domainset_builder_free(c->b);
	c->b = NULL;
	free(c->exempt);
	free(c->enforce);
	free(c->learn_from);
	free(c->fronts);
}

static int load(struct ctx *c, struct src *f, struct policy **out)
{
	uint16_t file_id;
	c->b = domainset_builder_new();
	int rc = c->b != NULL ? config_add_file(c, f->name, &file_id) : config_oom(c);
	if (rc == 0) {
		f->name = c->files[file_id];
		f->file_id = file_id;
		rc = config_parse_file(c, f);
	}
	if (rc == 0 && f->read_error != 0) {
		rc = config_fail(c, f->read_error, "%s: %s", f->name,
				 f->read_error == -EFBIG ? "file too large"
							 : strerror(-f->read_error));
	}
	if (rc == 0 && c->canary) {
		rc = add_canary(c);
	}
	uint16_t front_vendor = 0, front_cat = 0;
	if (rc == 0) {
		rc = add_builtin_fronts(c, &front_vendor, &front_cat);
	}
	struct policy *p = NULL;
	if (rc == 0) {
		rc = compile(c, &p);
	}
	if (rc == 0) {
		rc = compile_fronts(c, p, front_vendor, front_cat);
	}
	if (rc == 0) {
		/* compile() keeps category ids as they are. */
		p->has_canary = c->canary;
		p->canary_category = c->canary_cat;
		*out = p;
	} else {
		policy_free(p);
	}
	ctx_free(c);
	return rc;
}

static void ctx_init(struct ctx *c, unsigned flags, const struct file_io *io,
		     struct config_settings *s, char *err, size_t err_size)
{
	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	c->flags = flags;
	c->io = io;
	c->s = s;
	c->err = err;
	c->err_size = err_size;
	c->canary = true;
	if (err != NULL && err_size > 0) {
		err[0] = '\0';
	}
}

int config_load_buffer(const char *name, const char *buf, size_t len, unsigned flags,
		       const struct file_io *io, struct config_settings *s, struct policy **out,
		       char *err, size_t err_size)
{
	struct ctx c;
	ctx_init(&c, flags, io, s, err, err_size);
	struct src f = {.name = name, .buf = buf, .len = len, .line = 1};
	if (len > POLICY_LIST_BYTES_MAX) {
		return config_fail(&c, -EFBIG, "%s: file too large", name);
	}
	return load(&c, &f, out);
}

int config_load(const char *path, unsigned flags, const struct file_io *io,
		struct config_settings *s, struct policy **out, char *err, size_t err_size)
{
	struct ctx c;
	ctx_init(&c, flags, io, s, err, err_size);
	struct src f = {.name = path, .line = 1};
	int rc = config_src_start(&f, io, path);
	if (rc != 0) {
		return config_fail(&c, rc, "%s: %s", path,
				   rc == -EFBIG ? "file too large" : strerror(-rc));
	}
	config_set_dir(&f, path);
	if (io->canonical(io->ctx, path, f.real, sizeof(f.real)) != 0) {
		f.real[0] = '\0';
	}
	rc = load(&c, &f, out);
	config_src_close(&f);
	return rc;
}
