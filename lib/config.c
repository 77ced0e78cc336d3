/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration compiler: embargod.conf, the vendor files it includes and the lists they
 * import, read into daemon settings and compiled into one policy.
 *
 * Parsing runs in two phases. The first reads every file, checks every statement and collects
 * entries (with their vendor, category and source line) and switches; the second decides each
 * (vendor, category) group's action and whether it is on, and builds the domainset. Switches
 * such as "category doh off" may therefore come before or after the vendor files they affect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "embargo/config.h"
#include "embargo/dns.h"
#include "embargo/domainset.h"
#include "embargo/settings.h"
#include "policy_internal.h"
#include "reserve.h"

#define STMT_ARGS_MAX	64
#define STMT_ARENA	8192
#define CONFIG_IDS_MAX	UINT16_MAX /* vendors, categories, files: ids are 16-bit */
#define CANARY_NAME	"use-application-dns.net"
#define BUILTIN_FILE	"(built-in)"
#define VENDOR_BUILTIN	"embargo"
#define CATEGORY_CANARY "doh-canary"
#define CATEGORY_OTHER	"other"
#define CATEGORY_FRONT	"ech-front"
/* ECH public names of the big ECH providers, shipped as fronts (more with `ech-front`). */
static const char *const builtin_fronts[] = {
	"cloudflare-ech.com", /* the public name of Cloudflare's ECH configurations */
};

/* One statement: its words (NUL-terminated, in `arena`), where each starts, and how it ended. */
enum stmt_end {
	END_STMT,  /* ';' or end of line */
	END_OPEN,  /* '{': a block follows */
	END_CLOSE, /* a lone '}' (no words) */
	END_EOF,   /* end of the file */
};

struct stmt {
	unsigned nargs;
	char *arg[STMT_ARGS_MAX];
	uint32_t line[STMT_ARGS_MAX], col[STMT_ARGS_MAX];
	enum stmt_end end;
	uint32_t end_line, end_col;
	size_t used;
	char arena[STMT_ARENA];
};

/* One file being read: all of it in `buf`, or (streamed) a window of it that src_avail moves
 * along, so that a large file is never in memory at once. */
struct src {
	const char *name; /* as messages show it */
	uint16_t file_id; /* its index in the file table (rules point back to it) */
	const char *buf;
	size_t len, pos;   /* bytes in buf; the next one to read */
	size_t base;	   /* offset in the file of buf[0] */
	size_t line_start; /* offset in the file where the current line starts */
	uint32_t line;
	bool streamed; /* read from fd into window */
	bool eof;
	int fd;
	int read_error; /* -errno once reading failed (-EFBIG: past POLICY_LIST_BYTES_MAX) */
	char *window;
	size_t window_cap, total;
	char dir[PATH_MAX]; /* for relative includes and imports */
	char real[PATH_MAX];
	struct src *parent;
};

struct vendor_def {
	char *id, *title, *reason;
	enum action action; /* ACTION_NONE: not given */
	enum action ech;    /* the vendor's `ech`: ACTION_NONE when not given */
	uint16_t file_id;
	uint32_t line;
};

struct category_def {
	char *name;
	bool enabled;
	enum action override; /* ACTION_NONE: none */
};

struct group_def {
	uint16_t vendor, category;
	enum action action; /* from the category block; ACTION_NONE: not given */
	uint32_t entries, exceptions, skipped;
};

struct ctx {
	unsigned flags;
	struct config_settings *s;
	char *err;
	size_t err_size;
	bool canary;
	uint16_t canary_cat; /* the canary rule's category, once add_canary ran */
	enum action proto_action[INSPECT_PROTO_GQUIC + 1];
	char **files;
	size_t nfiles, files_cap;
	struct vendor_def *vendors;
	size_t nvendors, vendors_cap;
	struct category_def *cats;
	size_t ncats, cats_cap;
	struct group_def *groups;
	size_t ngroups, groups_cap;
	/* Entries go straight into the domain set as they are read; which groups are on and
	 * their actions are settled in compile() (domainset_builder_filter). */
	struct domainset_builder *b;
	struct policy_prefix *exempt, *enforce, *learn_from;
	size_t nexempt, exempt_cap, nenforce, enforce_cap, nlearn_from, learn_from_cap;
	struct front_def {
		struct name name;
		uint16_t file_id;
		uint32_t line;
	} * fronts;
	size_t nfronts, fronts_cap;
	unsigned depth;
};

/* Scope a statement is read in. */
struct scope {
	enum {
		LV_TOP,
		LV_VENDOR,
		LV_CATEGORY
	} level;
	uint16_t vendor;
	uint32_t group; /* LV_CATEGORY */
};

/* ---- messages ---- */

static int ctx_fail(struct ctx *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ctx_fail(struct ctx *c, int rc, const char *fmt, ...)
{
	if (c->err != NULL && c->err_size > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err, c->err_size, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int at(struct ctx *c, const struct src *f, uint32_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "file:line:column: message"; returns -EINVAL. */
static int at(struct ctx *c, const struct src *f, uint32_t line, uint32_t col, const char *fmt, ...)
{
	if (c->err != NULL && c->err_size > 0) {
		int n = snprintf(c->err, c->err_size, "%s:%u:%u: ", f->name, line, col);
		if (n > 0 && (size_t)n < c->err_size) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static int oom(struct ctx *c)
{
	return ctx_fail(c, -ENOMEM, "out of memory");
}

/* Argument i of a statement, quoted for a message. */
static const char *q(const struct stmt *st, unsigned i, char *buf)
{
	policy_quote(buf, st->arg[i], strlen(st->arg[i]));
	return buf;
}

/* ---- lexer ---- */

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

static bool is_delim(char ch)
{
	return is_blank(ch) || ch == '\n' || ch == '#' || ch == ';' || ch == '{' || ch == '}' ||
	       ch == '"' || (uint8_t)ch < 0x20 || ch == 0x7f;
}

/* Column of buf[pos]. */
static uint32_t col_of(const struct src *f, size_t pos)
{
	return (uint32_t)(f->base + pos - f->line_start + 1);
}

/* First window of a streamed file; it grows only for a statement that does not fit. */
#define SRC_WINDOW 65536

/* Read more of a streamed file until `n` bytes from pos are in the window, dropping those
 * before pos. False at the end of the file or on a read error (kept in read_error). */
static bool src_fill(struct src *f, size_t n)
{
	if (f->pos > 0) {
		memmove(f->window, f->window + f->pos, f->len - f->pos);
		f->base += f->pos;
		f->len -= f->pos;
		f->pos = 0;
	}
	while (f->len < n && !f->eof) {
		if (f->len == f->window_cap) {
			size_t ncap = f->window_cap == 0 ? SRC_WINDOW : f->window_cap * 2;
			char *w = ncap <= POLICY_LIST_BYTES_MAX ? realloc(f->window, ncap) : NULL;
			if (w == NULL) {
				f->read_error = -ENOMEM;
				f->eof = true;
				break;
			}
			f->window = w;
			f->window_cap = ncap;
		}
		ssize_t got = read(f->fd, f->window + f->len, f->window_cap - f->len);
		if (got == -1 && errno == EINTR) {
			continue;
		}
		if (got <= 0) {
			f->read_error = got < 0 ? -errno : 0;
			f->eof = true;
			break;
		}
		f->total += (size_t)got;
		if (f->total > POLICY_LIST_BYTES_MAX) {
			f->read_error = -EFBIG;
			f->eof = true;
			break;
		}
		f->len += (size_t)got;
	}
	f->buf = f->window;
	return f->pos + n <= f->len;
}

/* Are the `n` bytes from pos there (read in when streamed)? */
static bool src_avail(struct src *f, size_t n)
{
	return f->pos + n <= f->len || (f->streamed && !f->eof && src_fill(f, n));
}

/* Open `path` to be streamed into `f`; 0 or -errno (-EFBIG for a file too large). */
static int src_open(struct src *f, const char *path)
{
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd == -1) {
		return -errno;
	}
	struct stat st;
	if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > POLICY_LIST_BYTES_MAX) {
		close(f->fd);
		return -EFBIG;
	}
	f->streamed = true;
	return 0;
}

static void src_close(struct src *f)
{
	if (f->streamed) {
		close(f->fd);
		free(f->window);
		f->window = NULL;
		f->streamed = false;
	}
}

static int arena_add(struct ctx *c, struct src *f, struct stmt *st, uint32_t col)
{
	if (st->nargs == STMT_ARGS_MAX) {
		return at(c, f, f->line, col, "too many words in one statement (at most %u)",
			  STMT_ARGS_MAX);
	}
	if (st->used >= STMT_ARENA) {
		/* No room left even for the NUL of an empty string. */
		return at(c, f, f->line, col, "statement too long");
	}
	st->arg[st->nargs] = st->arena + st->used;
	st->line[st->nargs] = f->line;
	st->col[st->nargs] = col;
	return 0;
}

/* Read one statement from `f` into `st`. Returns 0 or -EINVAL with a message. */
static int read_stmt(struct ctx *c, struct src *f, struct stmt *st)
{
	st->nargs = 0;
	st->used = 0;
	for (;;) {
		while (src_avail(f, 1) && is_blank(f->buf[f->pos])) {
			f->pos++;
		}
		st->end_line = f->line;
		st->end_col = col_of(f, f->pos);
		if (!src_avail(f, 1)) {
			st->end = END_EOF;
			return 0;
		}
		char ch = f->buf[f->pos];
		if (ch == '#') {
			while (src_avail(f, 1) && f->buf[f->pos] != '\n') {
				f->pos++;
			}
			continue;
		}
		if (ch == '\n') {
			f->pos++;
			f->line++;
			f->line_start = f->base + f->pos;
			if (st->nargs > 0) {
				st->end = END_STMT;
				return 0;
			}
			continue;
		}
		if (ch == ';') {
			f->pos++;
			st->end = END_STMT;
			return 0;
		}
		if (ch == '{') {
			f->pos++;
			st->end = END_OPEN;
			return 0;
		}
		if (ch == '}') {
			if (st->nargs == 0) {
				f->pos++;
			}
			st->end = st->nargs == 0 ? END_CLOSE : END_STMT;
			return 0;
		}
		uint32_t col = col_of(f, f->pos);
		if ((uint8_t)ch < 0x20 || ch == 0x7f) {
			return at(c, f, f->line, col, "unexpected control character 0x%02x",
				  (unsigned)(uint8_t)ch);
		}
		int rc = arena_add(c, f, st, col);
		if (rc != 0) {
			return rc;
		}
		if (ch == '"') {
			f->pos++;
			for (;;) {
				if (!src_avail(f, 1) || f->buf[f->pos] == '\n') {
					return at(c, f, f->line, col, "unterminated string");
				}
				char v = f->buf[f->pos];
				if (v == '"') {
					f->pos++;
					break;
				}
				if (v == '\\') {
					char e = src_avail(f, 2) ? f->buf[f->pos + 1] : '\0';
					if (e != '"' && e != '\\') {
						return at(
							c, f, f->line, col_of(f, f->pos),
							"unknown escape in a string (only \\\" and "
							"\\\\)");
					}
					v = e;
					f->pos++;
				} else if ((uint8_t)v < 0x20 || v == 0x7f) {
					return at(c, f, f->line, col_of(f, f->pos),
						  "control character 0x%02x in a string",
						  (unsigned)(uint8_t)v);
				}
				if (st->used + 2 > STMT_ARENA) {
					return at(c, f, f->line, col, "statement too long");
				}
				st->arena[st->used++] = v;
				f->pos++;
			}
		} else {
			while (src_avail(f, 1) && !is_delim(f->buf[f->pos])) {
				if (st->used + 2 > STMT_ARENA) {
					return at(c, f, f->line, col, "statement too long");
				}
				st->arena[st->used++] = f->buf[f->pos++];
			}
		}
		st->arena[st->used++] = '\0';
		st->nargs++;
	}
}

/* ---- tables ---- */

static int add_file(struct ctx *c, const char *path, uint16_t *id)
{
	if (c->nfiles >= CONFIG_FILES_MAX) {
		return ctx_fail(c, -EINVAL, "%s: too many files (at most %u)", path,
				CONFIG_FILES_MAX);
	}
	if (array_reserve((void **)&c->files, &c->files_cap, c->nfiles + 1, sizeof(char *)) != 0) {
		return oom(c);
	}
	c->files[c->nfiles] = strdup(path);
	if (c->files[c->nfiles] == NULL) {
		return oom(c);
	}
	*id = (uint16_t)c->nfiles++;
	return 0;
}

static int find_category(struct ctx *c, const char *name, uint16_t *id)
{
	for (size_t i = 0; i < c->ncats; i++) {
		if (strcmp(c->cats[i].name, name) == 0) {
			*id = (uint16_t)i;
			return 0;
		}
	}
	if (c->ncats >= CONFIG_IDS_MAX ||
	    array_reserve((void **)&c->cats, &c->cats_cap, c->ncats + 1, sizeof(*c->cats)) != 0) {
		return oom(c);
	}
	struct category_def *d = &c->cats[c->ncats];
	memset(d, 0, sizeof(*d));
	d->enabled = true;
	d->name = strdup(name);
	if (d->name == NULL) {
		return oom(c);
	}
	*id = (uint16_t)c->ncats++;
	return 0;
}

static int find_group(struct ctx *c, uint16_t vendor, uint16_t category, uint32_t *id)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		if (c->groups[i].vendor == vendor && c->groups[i].category == category) {
			*id = (uint32_t)i;
			return 0;
		}
	}
	if (array_reserve((void **)&c->groups, &c->groups_cap, c->ngroups + 1,
			  sizeof(*c->groups)) != 0) {
		return oom(c);
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

/* ---- entries ---- */

/*
 * Check one entry and add it. `text` is the entry as written: "name" (exact), "*.name" (name
 * and below), a label glob, or with `suffix_default` a bare name meaning name and below.
 * Column `col` points at the entry; messages point at the offending byte.
 */
static int add_entry(struct ctx *c, struct src *f, const char *text, size_t len, uint32_t line,
		     uint32_t col, uint32_t group, enum ds_kind kind, bool suffix_default)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	enum ds_match match = suffix_default ? DS_SUFFIX : DS_EXACT;
	size_t skip = 0;
	if (len >= 2 && text[0] == '*' && text[1] == '.') {
		skip = 2;
		match = DS_SUFFIX;
	} else if (suffix_default && len >= 1 && text[0] == '.') {
		skip = 1;
	}
	const char *n = text + skip;
	size_t nlen = len - skip;
	if (nlen > 0 && n[nlen - 1] == '.') {
		nlen--; /* a trailing dot (the root) changes nothing */
	}
	if (nlen == 0) {
		policy_quote(qb, text, len);
		return at(c, f, line, col, "invalid name \"%s\": empty", qb);
	}
	size_t label_start = 0;
	bool label_star = false, any_star = false;
	size_t fixed_labels = 0; /* labels right of the last one holding '*' */
	for (size_t i = 0; i <= nlen; i++) {
		char ch = i < nlen ? n[i] : '.';
		if (ch == '.') {
			size_t ll = i - label_start;
			if (ll == 0) {
				policy_quote(qb, text, len);
				return at(c, f, line, col + (uint32_t)(skip + i),
					  "invalid name \"%s\": empty label", qb);
			}
			if (ll > 63) {
				policy_quote(qb, text, len);
				return at(c, f, line, col + (uint32_t)(skip + label_start),
					  "invalid name \"%s\": label longer than 63 bytes", qb);
			}
			fixed_labels = label_star ? 0 : fixed_labels + 1;
			label_star = false;
			label_start = i + 1;
			continue;
		}
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
		if (ch == '*') {
			label_star = any_star = true;
			ok = true;
		}
		if (!ok) {
			policy_quote(qb, text, len);
			char shown[8];
			policy_quote(shown, &n[i], 1);
			return at(c, f, line, col + (uint32_t)(skip + i),
				  "invalid name \"%s\": '%s' is not allowed in a name", qb, shown);
		}
	}
	if (nlen > NAME_TEXT_MAX) {
		policy_quote(qb, text, len);
		return at(c, f, line, col, "invalid name \"%s\": longer than %u bytes", qb,
			  NAME_TEXT_MAX);
	}
	if (any_star) {
		if (match == DS_SUFFIX || fixed_labels < 2) {
			policy_quote(qb, text, len);
			return at(c, f, line, col,
				  "invalid pattern \"%s\": a '*' inside a name needs at least two "
				  "fixed labels to its right (\"*.\" is allowed only in front)",
				  qb);
		}
		match = DS_GLOB;
	}
	struct name nm;
	if (name_from_text(&nm, n, nlen) != 0) {
		policy_quote(qb, text, len);
		return at(c, f, line, col, "invalid name \"%s\"", qb);
	}
	const struct group_def *g = &c->groups[group];
	const struct rule_meta m = {
		.line = line,
		.file_id = f->file_id,
		.vendor_id = g->vendor,
		.category_id = g->category,
		.action = ACTION_NONE, /* the group's, once known */
		.kind = (uint8_t)kind,
	};
	int rc = c->b != NULL ? domainset_builder_add(c->b, &nm, match, &m) : -ENOMEM;
	if (rc == -ENOMEM) {
		return oom(c);
	}
	if (rc != 0) {
		policy_quote(qb, text, len);
		return at(c, f, line, col, "invalid name \"%s\": rule not accepted", qb);
	}
	if (kind == DS_ALLOW) {
		c->groups[group].exceptions++;
	} else {
		c->groups[group].entries++;
	}
	return 0;
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
	size_t a = 0;
	while (a < len && is_blank(l[a])) {
		a++;
	}
	while (len > a && is_blank(l[len - 1])) {
		len--;
	}
	if (a == len) {
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
		return add_entry(c, f, l + p, (size_t)(caret - (l + p)), lineno,
				 col_of(f, (size_t)(l + p - f->buf)), group, kind, true);
	}
	const char *hash = memchr(l + a, '#', len - a);
	if (hash != NULL) {
		len = (size_t)(hash - l);
		while (len > a && is_blank(l[len - 1])) {
			len--;
		}
		if (len == a) {
			return 0;
		}
	}
	if (fmt == IMPORT_PLAIN) {
		for (size_t i = a; i < len; i++) {
			if (is_blank(l[i])) {
				return at(c, f, lineno, col_of(f, (size_t)(l + i - f->buf)),
					  "one name per line expected");
			}
		}
		return add_entry(c, f, l + a, len - a, lineno, col_of(f, (size_t)(l + a - f->buf)),
				 group, DS_BLOCK, true);
	}
	/* hosts: ADDRESS NAME [NAME ...]; each name exactly. */
	size_t e = a;
	while (e < len && !is_blank(l[e])) {
		e++;
	}
	char addr[64];
	uint8_t bin[16];
	if (e - a >= sizeof(addr)) {
		return at(c, f, lineno, col_of(f, (size_t)(l + a - f->buf)),
			  "expected an IP address first on a hosts line");
	}
	memcpy(addr, l + a, e - a);
	addr[e - a] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1) {
		return at(c, f, lineno, col_of(f, (size_t)(l + a - f->buf)),
			  "expected an IP address first on a hosts line");
	}
	for (size_t p = e; p < len;) {
		while (p < len && is_blank(l[p])) {
			p++;
		}
		size_t s0 = p;
		while (p < len && !is_blank(l[p])) {
			p++;
		}
		if (p == s0 || hosts_local_name(l + s0, p - s0)) {
			continue;
		}
		int rc = add_entry(c, f, l + s0, p - s0, lineno,
				   col_of(f, (size_t)(l + s0 - f->buf)), group, DS_BLOCK, false);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

static void path_join(char *out, size_t size, const char *dir, const char *rel)
{
	if (rel[0] == '/' || dir[0] == '\0') {
		snprintf(out, size, "%s", rel);
	} else {
		snprintf(out, size, "%s/%s", dir, rel);
	}
}

static void set_dir(struct src *f, const char *path)
{
	size_t n = strnlen(path, sizeof(f->dir) - 1);
	memcpy(f->dir, path, n);
	f->dir[n] = '\0';
	char *slash = strrchr(f->dir, '/');
	if (slash == NULL) {
		f->dir[0] = '\0';
	} else if (slash == f->dir) {
		f->dir[1] = '\0';
	} else {
		*slash = '\0';
	}
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

static int do_import(struct ctx *c, struct src *f, const struct stmt *st, uint32_t group)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	if (st->nargs != 3) {
		return at(c, f, st->line[0], st->col[0], "usage: import plain|hosts|abp FILE");
	}
	enum import_format fmt;
	if (strcmp(st->arg[1], "plain") == 0) {
		fmt = IMPORT_PLAIN;
	} else if (strcmp(st->arg[1], "hosts") == 0) {
		fmt = IMPORT_HOSTS;
	} else if (strcmp(st->arg[1], "abp") == 0 || strcmp(st->arg[1], "adblock") == 0) {
		fmt = IMPORT_ABP;
	} else {
		return at(c, f, st->line[1], st->col[1],
			  "unknown list format \"%s\" (plain, hosts or abp)", q(st, 1, qb));
	}
	if ((c->flags & CONFIG_NO_FILES) != 0) {
		return at(c, f, st->line[0], st->col[0], "import is not allowed here");
	}
	char path[PATH_MAX + 256];
	path_join(path, sizeof(path), f->dir, st->arg[2]);
	uint16_t file_id;
	int rc = add_file(c, path, &file_id);
	if (rc != 0) {
		return rc;
	}
	struct import_file imp = {
		.c = c,
		.in = {.name = c->files[file_id], .file_id = file_id},
		.fmt = fmt,
		.group = group,
	};
	rc = policy_read_lines(path, import_file_line, &imp);
	if (rc != 0 && !imp.reported) {
		return at(c, f, st->line[2], st->col[2], "cannot read \"%s\": %s", q(st, 2, qb),
			  rc == -EFBIG ? "file too large" : strerror(-rc));
	}
	return rc;
}

/* ---- values ---- */

static int parse_uint(const char *s, uint32_t max, uint32_t *out)
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
static int block_action(struct ctx *c, struct src *f, const struct stmt *st, unsigned i,
			enum action *out)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	int a = config_action_from_str(st->arg[i]);
	if (a != ACTION_REJECT && a != ACTION_DROP && a != ACTION_ALERT) {
		return at(c, f, st->line[i], st->col[i],
			  "unknown action \"%s\" (reject, drop or alert)", q(st, i, qb));
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
	if (slash != NULL && parse_uint(slash + 1, max, &plen) != 0) {
		return -EINVAL;
	}
	pf->plen = (uint8_t)plen;
	/* Host bits are cleared so that "192.168.1.7/24" means the /24 it lies in. */
	for (uint32_t bit = plen; bit < max; bit++) {
		pf->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	}
	return 0;
}

static int add_prefixes(struct ctx *c, struct src *f, const struct stmt *st,
			struct policy_prefix **v, size_t *n, size_t *cap)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	if (st->nargs < 2) {
		return at(c, f, st->line[0], st->col[0], "%s: give at least one address or prefix",
			  st->arg[0]);
	}
	for (unsigned i = 1; i < st->nargs; i++) {
		if (array_reserve((void **)v, cap, *n + 1, sizeof(**v)) != 0) {
			return oom(c);
		}
		if (parse_prefix(st->arg[i], &(*v)[*n]) != 0) {
			return at(c, f, st->line[i], st->col[i], "invalid address or prefix \"%s\"",
				  q(st, i, qb));
		}
		(*n)++;
	}
	return 0;
}

/* One-word choice: index of st->arg[1] in `words`, or an error listing them. */
static int choose(struct ctx *c, struct src *f, const struct stmt *st, const char *const *words,
		  size_t n, unsigned *out)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4], list[256] = "";
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
		return at(c, f, st->line[0], st->col[0], "%s takes one value: %s", st->arg[0],
			  list);
	}
	return at(c, f, st->line[1], st->col[1], "%s: unknown value \"%s\" (%s)", st->arg[0],
		  q(st, 1, qb), list);
}

/* `NAME KEY N [KEY N ...]`: the rows of `NAME` that have a key, any of them, in any order. */
static int setting_keys(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4], usage[256], known[128], msg[256];
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
		return at(c, f, st->line[0], st->col[0], "%s", usage);
	}
	for (unsigned i = 1; i + 1 < st->nargs; i += 2) {
		const struct setting *r = setting_find(st->arg[0], st->arg[i]);
		if (r == NULL) {
			return at(c, f, st->line[i], st->col[i], "%s: unknown limit \"%s\" (%s)",
				  st->arg[0], q(st, i, qb), known);
		}
		if (setting_parse(r, st->arg[i + 1], c->s, msg, sizeof(msg)) != 0) {
			return at(c, f, st->line[i + 1], st->col[i + 1], "%s", msg);
		}
	}
	return 0;
}

/* Daemon settings (the table in settings.c). Returns 1 when `st` is not a setting, else 0 or
 * an error. */
static int setting(struct ctx *c, struct src *f, const struct stmt *st)
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
		return at(c, f, st->line[at_value ? 1 : 0], st->col[at_value ? 1 : 0], "%s", msg);
	}
	if (setting_parse(r, st->arg[1], c->s, msg, sizeof(msg)) != 0) {
		return at(c, f, st->line[1], st->col[1], "%s", msg);
	}
	return 0;
}

const char *config_learn_str(int v)
{
	static const char *const names[] = {"off", "nft", "ipset"};
	return v >= 0 && v < 3 ? names[v] : "?";
}

const char *config_ech_str(enum action a)
{
	return a == ACTION_ALLOW    ? "allow"
	       : a == ACTION_ALERT  ? "alert"
	       : a == ACTION_REJECT ? "block"
				    : "?";
}

/* `ech-front NAME...`: more ECH fronts (public names of ECH configurations). */
static int add_fronts(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	if (st->nargs < 2) {
		return at(c, f, st->line[0], st->col[0], "ech-front: give at least one name");
	}
	for (unsigned i = 1; i < st->nargs; i++) {
		struct name n;
		if (name_from_text(&n, st->arg[i], strlen(st->arg[i])) != 0 ||
		    strchr(st->arg[i], '*') != NULL || (n.flags & (NAME_F_ROOT | NAME_F_UNUSUAL))) {
			return at(c, f, st->line[i], st->col[i], "ech-front: invalid name \"%s\"",
				  q(st, i, qb));
		}
		if (array_reserve((void **)&c->fronts, &c->fronts_cap, c->nfronts + 1,
				  sizeof(*c->fronts)) != 0) {
			return oom(c);
		}
		c->fronts[c->nfronts++] = (struct front_def){n, f->file_id, st->line[i]};
	}
	return 0;
}

/* ---- statements ---- */

static int parse_file(struct ctx *c, struct src *f);

static int do_include(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	if (st->nargs != 2) {
		return at(c, f, st->line[0], st->col[0], "usage: include FILE-OR-PATTERN");
	}
	if ((c->flags & CONFIG_NO_FILES) != 0) {
		return at(c, f, st->line[0], st->col[0], "include is not allowed here");
	}
	if (c->depth >= CONFIG_INCLUDE_DEPTH) {
		return at(c, f, st->line[0], st->col[0], "includes nested deeper than %u",
			  CONFIG_INCLUDE_DEPTH);
	}
	char pattern[PATH_MAX + 256];
	path_join(pattern, sizeof(pattern), f->dir, st->arg[1]);
	bool wild = strpbrk(st->arg[1], "*?[") != NULL;
	glob_t g;
	memset(&g, 0, sizeof(g));
	if (wild) {
		errno = 0;
		int grc = glob(pattern, GLOB_ERR, NULL, &g);
		int gerr = errno; /* why a directory could not be read (GLOB_ABORTED) */
		if (grc == GLOB_NOMATCH) {
			return 0; /* an empty drop-in directory is fine */
		}
		if (grc != 0) {
			globfree(&g);
			return at(c, f, st->line[1], st->col[1], "cannot read \"%s\": %s",
				  q(st, 1, qb),
				  grc == GLOB_NOSPACE ? "out of memory"
				  : gerr != 0	      ? strerror(gerr)
						      : "read error");
		}
	}
	size_t n = wild ? g.gl_pathc : 1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *path = wild ? g.gl_pathv[i] : pattern;
		struct src in = {.line = 1, .parent = f};
		if (realpath(path, in.real) == NULL) {
			rc = at(c, f, st->line[1], st->col[1], "cannot read \"%s\": %s", path,
				strerror(errno));
			break;
		}
		for (const struct src *a = f; a != NULL; a = a->parent) {
			if (strcmp(a->real, in.real) == 0) {
				rc = at(c, f, st->line[1], st->col[1],
					"include loop: \"%s\" is already being read", path);
			}
		}
		if (rc != 0) {
			break;
		}
		int r = src_open(&in, path);
		if (r != 0) {
			rc = at(c, f, st->line[1], st->col[1], "cannot read \"%s\": %s", path,
				r == -EFBIG ? "file too large" : strerror(-r));
			break;
		}
		uint16_t file_id;
		rc = add_file(c, path, &file_id);
		if (rc == 0) {
			in.name = c->files[file_id];
			in.file_id = file_id;
			set_dir(&in, path);
			c->depth++;
			rc = parse_file(c, &in);
			c->depth--;
		}
		if (rc == 0 && in.read_error != 0) {
			rc = at(c, f, st->line[1], st->col[1], "cannot read \"%s\": %s", path,
				in.read_error == -EFBIG ? "file too large"
							: strerror(-in.read_error));
		}
		src_close(&in);
	}
	if (wild) {
		globfree(&g);
	}
	return rc;
}

static int parse_block(struct ctx *c, struct src *f, struct scope *sc, uint32_t open_line,
		       uint32_t open_col);

/* `vendor ID {` */
static int do_vendor(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	if (st->nargs != 2 || st->end != END_OPEN) {
		return at(c, f, st->line[0], st->col[0], "usage: vendor ID { ... }");
	}
	if (!valid_ident(st->arg[1])) {
		return at(c, f, st->line[1], st->col[1],
			  "invalid vendor id \"%s\" (letters, digits, '-', '_', '.'; at most 63)",
			  q(st, 1, qb));
	}
	for (size_t i = 0; i < c->nvendors; i++) {
		if (strcmp(c->vendors[i].id, st->arg[1]) == 0) {
			return at(c, f, st->line[1], st->col[1],
				  "vendor \"%s\" is already defined at %s:%u", st->arg[1],
				  c->files[c->vendors[i].file_id], c->vendors[i].line);
		}
	}
	if (c->nvendors >= CONFIG_IDS_MAX ||
	    array_reserve((void **)&c->vendors, &c->vendors_cap, c->nvendors + 1,
			  sizeof(*c->vendors)) != 0) {
		return oom(c);
	}
	struct vendor_def *v = &c->vendors[c->nvendors];
	memset(v, 0, sizeof(*v));
	v->id = strdup(st->arg[1]);
	if (v->id == NULL) {
		return oom(c);
	}
	v->file_id = f->file_id;
	v->line = st->line[0];
	struct scope sc = {.level = LV_VENDOR, .vendor = (uint16_t)c->nvendors++};
	return parse_block(c, f, &sc, st->line[0], st->col[0]);
}

static int do_category_block(struct ctx *c, struct src *f, const struct stmt *st,
			     const struct scope *outer)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	if (st->nargs != 2) {
		return at(c, f, st->line[0], st->col[0], "usage: category NAME { ... }");
	}
	if (!valid_ident(st->arg[1])) {
		return at(c, f, st->line[1], st->col[1],
			  "invalid category name \"%s\" (letters, digits, '-', '_', '.')",
			  q(st, 1, qb));
	}
	uint16_t cat;
	uint32_t group;
	int rc = find_category(c, st->arg[1], &cat);
	if (rc == 0) {
		rc = find_group(c, outer->vendor, cat, &group);
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
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	if (st->end == END_OPEN) {
		return at(c, f, st->line[0], st->col[0],
			  "a category block belongs inside a vendor block");
	}
	if (st->nargs < 3 || !valid_ident(st->arg[1])) {
		return at(c, f, st->line[0], st->col[0],
			  "usage: category NAME on|off, or category NAME action ACTION");
	}
	uint16_t cat;
	int rc = find_category(c, st->arg[1], &cat);
	if (rc != 0) {
		return rc;
	}
	if (st->nargs == 3 && (strcmp(st->arg[2], "on") == 0 || strcmp(st->arg[2], "off") == 0)) {
		c->cats[cat].enabled = st->arg[2][1] == 'n';
		return 0;
	}
	if (st->nargs == 4 && strcmp(st->arg[2], "action") == 0) {
		return block_action(c, f, st, 3, &c->cats[cat].override);
	}
	return at(c, f, st->line[2], st->col[2],
		  "category %s: expected on, off or action ACTION, not \"%s\"", st->arg[1],
		  q(st, 2, qb));
}

static int do_default_action(struct ctx *c, struct src *f, const struct stmt *st)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	if (st->nargs != 3) {
		return at(c, f, st->line[0], st->col[0],
			  "usage: default-action dns|tls|http|quic|all ACTION");
	}
	enum action a = ACTION_NONE;
	int rc = block_action(c, f, st, 2, &a);
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
		return at(c, f, st->line[1], st->col[1],
			  "unknown protocol \"%s\" (dns, tls, http, quic or all)", q(st, 1, qb));
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
	int rc = find_category(c, CATEGORY_OTHER, &cat);
	return rc != 0 ? rc : find_group(c, sc->vendor, cat, group);
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
		return at(c, f, st->line[0], st->col[0], "allow: give at least one name");
	}
	for (unsigned i = first; i < st->nargs; i++) {
		if (strchr(st->arg[i], '.') == NULL && strchr(st->arg[i], '*') == NULL) {
			char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
			return at(c, f, st->line[i], st->col[i],
				  "invalid name \"%s\": a name needs at least one dot",
				  q(st, i, qb));
		}
		rc = add_entry(c, f, st->arg[i], strlen(st->arg[i]), st->line[i], st->col[i], group,
			       kind, false);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

static int one_statement(struct ctx *c, struct src *f, struct stmt *st, struct scope *sc)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	const char *k = st->arg[0];
	bool open = st->end == END_OPEN;
	bool is_vendor_kw = strcmp(k, "vendor") == 0;
	bool is_cat_kw = strcmp(k, "category") == 0;
	if (open && !is_vendor_kw && !is_cat_kw) {
		return at(c, f, st->end_line, st->end_col, "'%s' does not take a block", k);
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
			return add_prefixes(c, f, st, &c->exempt, &c->nexempt, &c->exempt_cap);
		}
		if (strcmp(k, "enforce-on") == 0) {
			return add_prefixes(c, f, st, &c->enforce, &c->nenforce, &c->enforce_cap);
		}
		if (strcmp(k, "learn-from") == 0) {
			return add_prefixes(c, f, st, &c->learn_from, &c->nlearn_from,
					    &c->learn_from_cap);
		}
		if (strcmp(k, "ech-front") == 0) {
			return add_fronts(c, f, st);
		}
		if (strcmp(k, "doh-canary") == 0) {
			static const char *const w[] = {"on", "off"};
			unsigned idx;
			int rc = choose(c, f, st, w, 2, &idx);
			c->canary = idx == 0;
			return rc;
		}
		int rc = setting(c, f, st);
		if (rc <= 0) {
			return rc;
		}
		if (strchr(k, '.') != NULL || strcmp(k, "allow") == 0 || strcmp(k, "import") == 0 ||
		    strcmp(k, "action") == 0) {
			return at(c, f, st->line[0], st->col[0],
				  "\"%s\" belongs inside a vendor block", q(st, 0, qb));
		}
		return at(c, f, st->line[0], st->col[0], "unknown keyword \"%s\"", q(st, 0, qb));
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
			return at(c, f, st->line[0], st->col[0], "usage: action reject|drop|alert");
		}
		enum action *dst = sc->level == LV_VENDOR ? &c->vendors[sc->vendor].action
							  : &c->groups[sc->group].action;
		return block_action(c, f, st, 1, dst);
	}
	if (strcmp(k, "import") == 0) {
		uint32_t group;
		int rc = scope_group(c, sc, &group);
		return rc != 0 ? rc : do_import(c, f, st, group);
	}
	if (sc->level == LV_VENDOR) {
		struct vendor_def *v = &c->vendors[sc->vendor];
		if (is_cat_kw) {
			if (!open) {
				return at(c, f, st->line[0], st->col[0],
					  "usage: category NAME { ... } (switches such as "
					  "\"category NAME off\" belong in embargod.conf)");
			}
			return do_category_block(c, f, st, sc);
		}
		if (strcmp(k, "ech") == 0) {
			static const char *const w[] = {"allow", "alert", "block"};
			static const enum action a[] = {ACTION_ALLOW, ACTION_ALERT, ACTION_REJECT};
			unsigned idx;
			int rc = choose(c, f, st, w, 3, &idx);
			v->ech = rc == 0 ? a[idx] : ACTION_NONE;
			return rc;
		}
		if (strcmp(k, "name") == 0 || strcmp(k, "reason") == 0) {
			char **dst = k[0] == 'n' ? &v->title : &v->reason;
			if (st->nargs != 2) {
				return at(c, f, st->line[0], st->col[0],
					  "%s takes one value (quote it: %s \"...\")", k, k);
			}
			free(*dst);
			*dst = strdup(st->arg[1]);
			return *dst != NULL ? 0 : oom(c);
		}
	}
	if (is_vendor_kw || is_cat_kw || strcmp(k, "include") == 0) {
		return at(c, f, st->line[0], st->col[0], "\"%s\" is not allowed inside a %s block",
			  k, sc->level == LV_VENDOR ? "vendor" : "category");
	}
	return at(c, f, st->line[0], st->col[0],
		  "unknown keyword \"%s\" in a %s block (a name needs at least one dot)",
		  q(st, 0, qb), sc->level == LV_VENDOR ? "vendor" : "category");
}

/* Statements until the block's '}' (or the end of the file at top level). */
static int parse_block(struct ctx *c, struct src *f, struct scope *sc, uint32_t open_line,
		       uint32_t open_col)
{
	struct stmt *st = malloc(sizeof(*st));
	if (st == NULL) {
		return oom(c);
	}
	int rc = 0;
	for (;;) {
		rc = read_stmt(c, f, st);
		if (rc != 0) {
			break;
		}
		if (st->nargs == 0) {
			if (st->end == END_CLOSE) {
				if (sc->level == LV_TOP) {
					rc = at(c, f, st->end_line, st->end_col,
						"'}' without a block to close");
				}
				break;
			}
			if (st->end == END_EOF) {
				if (sc->level != LV_TOP) {
					rc = at(c, f, open_line, open_col,
						"block is not closed: '}' missing before the end "
						"of the file");
				}
				break;
			}
			if (st->end == END_OPEN) {
				rc = at(c, f, st->end_line, st->end_col, "'{' without a statement");
				break;
			}
			continue;
		}
		rc = one_statement(c, f, st, sc);
		if (rc != 0) {
			break;
		}
		if (st->end == END_EOF) {
			if (sc->level != LV_TOP) {
				rc = at(c, f, open_line, open_col,
					"block is not closed: '}' missing before the end of the "
					"file");
			}
			break;
		}
	}
	free(st);
	return rc;
}

static int parse_file(struct ctx *c, struct src *f)
{
	if (src_avail(f, 3) && memcmp(f->buf, "\xef\xbb\xbf", 3) == 0) {
		f->pos = f->line_start = 3;
	}
	struct scope sc = {.level = LV_TOP};
	return parse_block(c, f, &sc, 1, 1);
}

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
		return oom(c);
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
		oom(c);
	}
	domainset_builder_free(b);
	policy_free(p);
	return rc;
}

/* The built-in canary rule: browsers that find use-application-dns.net missing keep their
 * DNS on the network's resolver (where the gateway sees it) instead of switching to DoH. */
static int add_canary(struct ctx *c)
{
	uint16_t vendor = (uint16_t)c->nvendors, cat, file_id;
	uint32_t group;
	if (array_reserve((void **)&c->vendors, &c->vendors_cap, c->nvendors + 1,
			  sizeof(*c->vendors)) != 0) {
		return oom(c);
	}
	struct vendor_def *v = &c->vendors[c->nvendors];
	memset(v, 0, sizeof(*v));
	v->id = strdup(VENDOR_BUILTIN);
	v->reason = strdup("browsers' DNS-over-HTTPS canary (keeps DNS visible to the gateway)");
	if (v->id == NULL || v->reason == NULL) {
		return oom(c);
	}
	v->action = ACTION_REJECT;
	c->nvendors++;
	int rc = find_category(c, CATEGORY_CANARY, &cat);
	if (rc == 0) {
		c->canary_cat = cat;
		rc = find_group(c, vendor, cat, &group);
	}
	if (rc == 0) {
		rc = add_file(c, BUILTIN_FILE, &file_id);
	}
	if (rc != 0) {
		return rc;
	}
	struct src f = {.name = BUILTIN_FILE, .file_id = file_id};
	return add_entry(c, &f, CANARY_NAME, strlen(CANARY_NAME), 0, 1, group, DS_BLOCK, false);
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
	if (c->nvendors >= CONFIG_IDS_MAX ||
	    array_reserve((void **)&c->vendors, &c->vendors_cap, c->nvendors + 1,
			  sizeof(*c->vendors)) != 0) {
		return oom(c);
	}
	struct vendor_def *v = &c->vendors[c->nvendors];
	memset(v, 0, sizeof(*v));
	v->id = strdup(VENDOR_BUILTIN);
	if (v->id == NULL) {
		return oom(c);
	}
	v->action = ACTION_REJECT;
	*id = (uint16_t)c->nvendors++;
	return 0;
}

/* The shipped ECH fronts join the configuration's, under the built-in vendor. */
static int add_builtin_fronts(struct ctx *c, uint16_t *vendor, uint16_t *cat)
{
	int rc = builtin_vendor(c, vendor);
	if (rc == 0) {
		rc = find_category(c, CATEGORY_FRONT, cat);
	}
	uint16_t file_id = UINT16_MAX;
	for (size_t i = 0; i < c->nfiles && rc == 0; i++) {
		file_id = strcmp(c->files[i], BUILTIN_FILE) == 0 ? (uint16_t)i : file_id;
	}
	if (rc == 0 && file_id == UINT16_MAX) {
		rc = add_file(c, BUILTIN_FILE, &file_id);
	}
	for (size_t i = 0; i < sizeof(builtin_fronts) / sizeof(builtin_fronts[0]) && rc == 0; i++) {
		if (array_reserve((void **)&c->fronts, &c->fronts_cap, c->nfronts + 1,
				  sizeof(*c->fronts)) != 0) {
			return oom(c);
		}
		struct front_def *d = &c->fronts[c->nfronts];
		if (name_from_text(&d->name, builtin_fronts[i], strlen(builtin_fronts[i])) != 0) {
			return ctx_fail(c, -EINVAL, "built-in ECH front \"%s\" is invalid",
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
		return oom(c);
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
			rc = oom(c);
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
	int rc = c->b != NULL ? add_file(c, f->name, &file_id) : oom(c);
	if (rc == 0) {
		f->name = c->files[file_id];
		f->file_id = file_id;
		rc = parse_file(c, f);
	}
	if (rc == 0 && f->read_error != 0) {
		rc = ctx_fail(c, f->read_error, "%s: %s", f->name,
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

static void ctx_init(struct ctx *c, unsigned flags, struct config_settings *s, char *err,
		     size_t err_size)
{
	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	c->flags = flags;
	c->s = s;
	c->err = err;
	c->err_size = err_size;
	c->canary = true;
	if (err != NULL && err_size > 0) {
		err[0] = '\0';
	}
}

int config_load_buffer(const char *name, const char *buf, size_t len, unsigned flags,
		       struct config_settings *s, struct policy **out, char *err, size_t err_size)
{
	struct ctx c;
	ctx_init(&c, flags, s, err, err_size);
	struct src f = {.name = name, .buf = buf, .len = len, .line = 1};
	if (len > POLICY_LIST_BYTES_MAX) {
		return ctx_fail(&c, -EFBIG, "%s: file too large", name);
	}
	return load(&c, &f, out);
}

int config_load(const char *path, unsigned flags, struct config_settings *s, struct policy **out,
		char *err, size_t err_size)
{
	struct ctx c;
	ctx_init(&c, flags, s, err, err_size);
	struct src f = {.name = path, .line = 1};
	int rc = src_open(&f, path);
	if (rc != 0) {
		return ctx_fail(&c, rc, "%s: %s", path,
				rc == -EFBIG ? "file too large" : strerror(-rc));
	}
	set_dir(&f, path);
	if (realpath(path, f.real) == NULL) {
		f.real[0] = '\0';
	}
	rc = load(&c, &f, out);
	src_close(&f);
	return rc;
}
