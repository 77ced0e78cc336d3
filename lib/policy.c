/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy: the action for a name or an inspected packet, and loading plain domain lists. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/policy.h"
#include "entry.h"
#include "policy_internal.h"

/* The one category plain lists have. */
static const char policy_listed[] = "listed";

const char *action_str(enum action a)
{
	switch (a) {
	case ACTION_NONE:
		return "none";
	case ACTION_ALLOW:
		return "allow";
	case ACTION_ALERT:
		return "alert";
	case ACTION_DROP:
		return "drop";
	case ACTION_REJECT:
		return "reject";
	}
	return "?";
}

void policy_rule_names(const struct policy *p, const struct rule_meta *m,
		       struct policy_rule_names *out)
{
	memset(out, 0, sizeof(*out));
	if (p == NULL || m == NULL) {
		return;
	}
	if (m->file_id < p->nfiles) {
		out->file = p->files[m->file_id];
	}
	if (m->category_id < p->ncategories) {
		out->category = p->categories[m->category_id];
	}
	if (m->vendor_id < p->nvendors) {
		out->vendor = p->vendors[m->vendor_id];
		if (p->vendor_titles != NULL) {
			out->vendor_title = p->vendor_titles[m->vendor_id];
		}
		if (p->vendor_reasons != NULL) {
			out->vendor_reason = p->vendor_reasons[m->vendor_id];
		}
	}
}

bool policy_prefix_match(const struct policy_prefix *pf, uint8_t family, const uint8_t *addr)
{
	if (pf->family != family) {
		return false;
	}
	unsigned full = pf->plen / 8u, rest = pf->plen % 8u;
	if (memcmp(pf->addr, addr, full) != 0) {
		return false;
	}
	if (rest == 0) {
		return true;
	}
	uint8_t mask = (uint8_t)(0xffu << (8u - rest));
	return (pf->addr[full] & mask) == (addr[full] & mask);
}

bool policy_client_enforced(const struct policy *p, uint8_t family, const uint8_t *addr)
{
	if (p == NULL) {
		return true;
	}
	for (uint32_t i = 0; i < p->nexempt; i++) {
		if (policy_prefix_match(&p->exempt[i], family, addr)) {
			return false;
		}
	}
	if (p->nenforce == 0) {
		return true;
	}
	for (uint32_t i = 0; i < p->nenforce; i++) {
		if (policy_prefix_match(&p->enforce[i], family, addr)) {
			return true;
		}
	}
	return false;
}

enum action policy_lookup_proto(const struct policy *p, const struct name *n,
				enum inspect_proto proto, const struct rule_meta **rule)
{
	const struct rule_meta *m = NULL;
	if (p != NULL && p->ds != NULL) {
		m = domainset_lookup(p->ds, n);
	}
	if (rule != NULL) {
		*rule = m;
	}
	if (m == NULL) {
		return ACTION_NONE;
	}
	if (m->kind == DS_ALLOW) {
		return ACTION_ALLOW;
	}
	if (m->action == ACTION_NONE && (unsigned)proto <= INSPECT_PROTO_GQUIC) {
		enum action a = p->proto_action[proto];
		if (a == ACTION_ALERT || a == ACTION_DROP) {
			return a;
		}
		return ACTION_REJECT;
	}
	switch (m->action) {
	case ACTION_ALERT:
	case ACTION_DROP:
	case ACTION_REJECT:
		return (enum action)m->action;
	default:
		return ACTION_REJECT;
	}
}

enum action policy_lookup(const struct policy *p, const struct name *n,
			  const struct rule_meta **rule)
{
	return policy_lookup_proto(p, n, INSPECT_PROTO_NONE, rule);
}

void policy_decide(const struct policy *p, const struct inspect_result *r,
		   struct policy_decision *d)
{
	d->action = ACTION_NONE;
	d->rule = NULL;
	d->name_index = 0;
	if (r->state != INSPECT_NAMED && r->state != INSPECT_NAMELESS &&
	    r->state != INSPECT_MALFORMED && r->state != INSPECT_UNFINISHED) {
		return;
	}
	if (!policy_client_enforced(p, r->pkt.ip_version, r->pkt.src)) {
		return;
	}
	/* A message that breaks its protocol's rules carries no name the policy can trust: it
	 * is handled like a nameless one. */
	if (r->state == INSPECT_UNFINISHED) {
		/* A message kept incomplete until the bound could still name anything. */
		d->action = p == NULL				  ? ACTION_NONE
			    : p->unfinished_action == ACTION_NONE ? ACTION_REJECT
								  : p->unfinished_action;
		return;
	}
	if (r->state != INSPECT_NAMED) {
		d->action = p != NULL ? p->nameless_action : ACTION_NONE;
		return;
	}
	const unsigned nnames = r->nnames < INSPECT_NAMES_MAX ? r->nnames : INSPECT_NAMES_MAX;
	for (unsigned i = 0; i < nnames; i++) {
		const struct rule_meta *rule;
		enum action a = policy_lookup_proto(p, &r->names[i], r->proto, &rule);
		if (a > d->action) {
			d->action = a;
			d->rule = rule;
			d->name_index = i;
		}
	}
}

bool policy_front(const struct policy *p, const struct name *n, const struct rule_meta **rule)
{
	if (rule != NULL) {
		*rule = NULL;
	}
	if (p == NULL || p->nfronts == 0) {
		return false;
	}
	uint64_t h = domainset_hash(n->text, n->len);
	uint32_t lo = 0, hi = p->nfronts;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (p->front_hashes[mid] < h) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (lo == p->nfronts || p->front_hashes[lo] != h) {
		return false;
	}
	if (rule != NULL) {
		*rule = &p->front_rules[lo];
	}
	return true;
}

enum action policy_ech_action(const struct policy *p, int vendor_id)
{
	if (p == NULL) {
		return ACTION_ALLOW;
	}
	if (vendor_id >= 0 && vendor_id < p->nvendors && p->vendor_ech != NULL &&
	    p->vendor_ech[vendor_id] != ACTION_NONE) {
		return (enum action)p->vendor_ech[vendor_id];
	}
	return p->ech_action == ACTION_NONE ? ACTION_ALLOW : p->ech_action;
}

bool policy_learns_from(const struct policy *p, uint8_t family, const uint8_t *addr)
{
	if (p == NULL || p->nlearn_from == 0) {
		return true;
	}
	for (uint32_t i = 0; i < p->nlearn_from; i++) {
		if (policy_prefix_match(&p->learn_from[i], family, addr)) {
			return true;
		}
	}
	return false;
}

/* What every policy starts with: responses inspected, cloaking blocked, ECH allowed. */
static void policy_defaults(struct policy *p)
{
	p->nameless_action = ACTION_NONE;
	p->responses = true;
	p->cname_cloaking = true;
	p->strip_ech = false;
	p->ech_action = ACTION_ALLOW;
}

struct policy *policy_new_empty(void)
{
	struct policy *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	struct domainset_builder *b = domainset_builder_new();
	p->ds = b != NULL ? domainset_build(b) : NULL;
	if (p->ds == NULL) {
		free(p);
		return NULL;
	}
	policy_defaults(p);
	return p;
}

static void policy_free_strings(char **v, size_t n)
{
	if (v == NULL) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		free(v[i]);
	}
	free(v);
}

void policy_free(struct policy *p)
{
	if (p == NULL) {
		return;
	}
	domainset_free(p->ds);
	policy_free_strings(p->files, p->nfiles);
	policy_free_strings(p->vendors, p->nvendors);
	policy_free_strings(p->categories, p->ncategories);
	policy_free_strings(p->vendor_titles, p->vendor_titles != NULL ? p->nvendors : 0);
	policy_free_strings(p->vendor_reasons, p->vendor_reasons != NULL ? p->nvendors : 0);
	free(p->groups);
	free(p->exempt);
	free(p->enforce);
	free(p->vendor_ech);
	free(p->front_hashes);
	free(p->front_rules);
	policy_free_strings(p->front_names, p->nfronts);
	free(p->learn_from);
	free(p);
}

/* ---- plain domain lists ---- */

/* What the list loader carries from file to file. */
struct list_load {
	const struct file_io *io;
	struct policy *p;
	struct domainset_builder *b;
	char *err;
	size_t err_size;
	bool err_set; /* a message is in err */
};

static void list_error(struct list_load *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void list_error(struct list_load *ld, const char *fmt, ...)
{
	ld->err_set = true;
	if (ld->err == NULL || ld->err_size == 0) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ld->err, ld->err_size, fmt, ap);
	va_end(ap);
}

/* `len` bytes of `v` made printable for a message: '"', '\\' and bytes outside 0x20..0x7e as
 * \xHH, cut after POLICY_ERR_VALUE_MAX input bytes with "...". `out` holds at least
 * POLICY_ERR_VALUE_MAX * 4 + 4 bytes. */
void policy_quote(char *out, const char *v, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0;
	for (size_t i = 0; i < len && i < POLICY_ERR_VALUE_MAX; i++) {
		uint8_t c = (uint8_t)v[i];
		if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
			out[w++] = (char)c;
		} else {
			out[w++] = '\\';
			out[w++] = 'x';
			out[w++] = hex[c >> 4];
			out[w++] = hex[c & 0xf];
		}
	}
	if (len > POLICY_ERR_VALUE_MAX) {
		memcpy(out + w, "...", 3);
		w += 3;
	}
	out[w] = '\0';
}

/* First buffer of policy_read_lines, in bytes; it grows for a longer line. */
#define POLICY_LINE_CHUNK 65536

/* Hand `line` every complete line in buf[*start, *end); keeps the partial last one. */
static int lines_emit(char *buf, size_t *start, size_t end, uint32_t *lineno, policy_line_fn *line,
		      void *ctx)
{
	while (*start < end) {
		char *eol = memchr(buf + *start, '\n', end - *start);
		if (eol == NULL) {
			return 0;
		}
		int rc = line(ctx, buf + *start, (size_t)(eol - (buf + *start)), (*lineno)++);
		if (rc != 0) {
			return rc;
		}
		*start = (size_t)(eol - buf) + 1;
	}
	return 0;
}

int policy_read_lines(const struct file_io *io, const char *path, policy_line_fn *line, void *ctx)
{
	static const char bom[] = "\xef\xbb\xbf"; /* UTF-8 byte order mark some editors write */
	void *file;
	int orc = io->open_file(io->ctx, path, POLICY_LIST_BYTES_MAX, &file);
	if (orc != 0) {
		return orc;
	}
	size_t cap = POLICY_LINE_CHUNK, start = 0, end = 0, total = 0;
	char *buf = malloc(cap);
	uint32_t lineno = 1;
	bool first = true;
	int rc = buf != NULL ? 0 : -ENOMEM;
	while (rc == 0) {
		if (start > 0) {
			/* The partial line moves to the front, to be completed by the next read. */
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
		}
		if (end == cap) {
			char *n = cap < POLICY_LIST_BYTES_MAX ? realloc(buf, cap * 2) : NULL;
			if (n == NULL) {
				rc = cap < POLICY_LIST_BYTES_MAX ? -ENOMEM : -EFBIG;
				break;
			}
			buf = n;
			cap *= 2;
		}
		ssize_t got = io->read_file(io->ctx, file, buf + end, cap - end);
		if (got < 0) {
			rc = (int)got;
			continue;
		}
		total += (size_t)got;
		if (total > POLICY_LIST_BYTES_MAX) {
			rc = -EFBIG;
			break;
		}
		end += (size_t)got;
		if (first) {
			if (end < 3 && got != 0) {
				continue; /* three bytes (or the end) tell whether a mark is there */
			}
			first = false;
			start = end >= 3 && memcmp(buf, bom, 3) == 0 ? 3 : 0;
		}
		if (got == 0) {
			rc = lines_emit(buf, &start, end, &lineno, line, ctx);
			if (rc == 0 && end > start) {
				rc = line(ctx, buf + start, end - start,
					  lineno); /* no '\n' at the end */
			}
			break;
		}
		rc = lines_emit(buf, &start, end, &lineno, line, ctx);
	}
	io->close_file(io->ctx, file);
	free(buf);
	return rc;
}

/*
 * One line of a list, in the grammar of `import plain` (entry_plain_line): comment,
 * whitespace, then one entry; a name blocks itself and every name below it. Returns 0 (an entry
 * added, or nothing on the line), -EINVAL with a message, or -ENOMEM.
 */
static int list_line(struct list_load *ld, const char *line, size_t len, uint32_t lineno,
		     uint16_t file_id, uint16_t vendor_id)
{
	char msg[ENTRY_MSG_MAX];
	struct entry e;
	size_t at;
	int rc = entry_plain_line(line, len, &e, &at, msg);
	if (rc == 1) {
		return 0;
	}
	if (rc == 0) {
		struct rule_meta meta = {
			.line = lineno,
			.file_id = file_id,
			.vendor_id = vendor_id,
			.category_id = 0,
			.action = ACTION_REJECT,
			.kind = DS_BLOCK,
		};
		rc = domainset_builder_add(ld->b, &e.name, e.match, &meta);
		if (rc == -ENOMEM) {
			list_error(ld, "out of memory");
			return rc;
		}
		if (rc != 0) {
			char quoted[POLICY_ERR_VALUE_MAX * 4 + 4];
			policy_quote(quoted, e.name.text, e.name.len);
			snprintf(msg, sizeof(msg), "invalid name \"%s\": rule not accepted",
				 quoted);
		}
	}
	if (rc != 0) {
		list_error(ld, "%s:%u:%zu: %s", ld->p->files[file_id], lineno, at + 1, msg);
		return -EINVAL;
	}
	return 0;
}

/* One file of the list being loaded, for policy_read_lines. */
struct list_file {
	struct list_load *ld;
	uint16_t file_id, vendor_id;
};

static int list_file_line(void *ctx, const char *line, size_t len, uint32_t lineno)
{
	const struct list_file *lf = ctx;
	return list_line(lf->ld, line, len, lineno, lf->file_id, lf->vendor_id);
}

/* Index of the vendor named by `path`'s base name without its extension, added if new. */
static int list_vendor(struct policy *p, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t len = (dot != NULL && dot != base) ? (size_t)(dot - base) : strlen(base);
	for (uint16_t i = 0; i < p->nvendors; i++) {
		if (strlen(p->vendors[i]) == len && memcmp(p->vendors[i], base, len) == 0) {
			return i;
		}
	}
	p->vendors[p->nvendors] = strndup(base, len);
	if (p->vendors[p->nvendors] == NULL) {
		return -ENOMEM;
	}
	return p->nvendors++;
}

static int list_load_file(struct list_load *ld, const char *path)
{
	struct policy *p = ld->p;
	const uint16_t file_id = p->nfiles;
	p->files[file_id] = strdup(path);
	if (p->files[file_id] == NULL) {
		list_error(ld, "out of memory");
		return -ENOMEM;
	}
	p->nfiles++;
	int vendor = list_vendor(p, path);
	if (vendor < 0) {
		list_error(ld, "out of memory");
		return vendor;
	}
	struct list_file lf = {ld, file_id, (uint16_t)vendor};
	ld->err_set = false;
	int rc = policy_read_lines(ld->io, path, list_file_line, &lf);
	if (rc == -EFBIG) {
		list_error(ld, "%s: file too large (more than %u bytes)", path,
			   POLICY_LIST_BYTES_MAX);
	} else if (rc < 0 && !ld->err_set) {
		list_error(ld, "%s: %s", path, strerror(-rc));
	}
	return rc;
}

int policy_load_domain_lists(const struct file_io *io, const char *const *paths, size_t npaths,
			     struct policy **out, char *err, size_t err_size)
{
	struct list_load ld = {.io = io, .err = err, .err_size = err_size};
	if (err != NULL && err_size > 0) {
		err[0] = '\0';
	}
	if (npaths > UINT16_MAX) {
		list_error(&ld, "too many lists (%zu, at most %u)", npaths, (unsigned)UINT16_MAX);
		return -EINVAL;
	}
	int rc = -ENOMEM;
	ld.p = calloc(1, sizeof(*ld.p));
	ld.b = domainset_builder_new();
	if (ld.p == NULL || ld.b == NULL) {
		goto fail;
	}
	ld.p->files = calloc(npaths > 0 ? npaths : 1, sizeof(char *));
	ld.p->vendors = calloc(npaths > 0 ? npaths : 1, sizeof(char *));
	ld.p->categories = calloc(1, sizeof(char *));
	if (ld.p->files == NULL || ld.p->vendors == NULL || ld.p->categories == NULL) {
		goto fail;
	}
	ld.p->categories[0] = strdup(policy_listed);
	if (ld.p->categories[0] == NULL) {
		goto fail;
	}
	ld.p->ncategories = 1;
	policy_defaults(ld.p);
	for (size_t i = 0; i < npaths; i++) {
		rc = list_load_file(&ld, paths[i]);
		if (rc < 0) {
			goto fail_reported;
		}
	}
	ld.p->ds = domainset_build(ld.b);
	ld.b = NULL;
	if (ld.p->ds == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	*out = ld.p;
	return 0;
fail:
	list_error(&ld, "out of memory");
fail_reported:
	domainset_builder_free(ld.b);
	policy_free(ld.p);
	return rc;
}
