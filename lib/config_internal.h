/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parts of the configuration compiler share: the statement and source being read, the
 * tables the first phase fills (struct ctx), and the functions of each part. The parts:
 * config_lex.c (messages, reading files into statements), config_stmt.c (statements and
 * blocks), config_settings.c (settings and values), config_import.c (entries and list
 * imports), config.c (the second phase and the entry points).
 */
#ifndef EMBARGO_CONFIG_INTERNAL_H
#define EMBARGO_CONFIG_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/config.h"
#include "embargo/domainset.h"
#include "embargo/fileio.h"
#include "embargo/inspect.h"
#include "embargo/name.h"

#define STMT_ARGS_MAX  64
#define STMT_ARENA     8192
#define CONFIG_IDS_MAX UINT16_MAX /* vendors, categories, files: ids are 16-bit */
#define CATEGORY_OTHER "other"
/* Room for a value quoted by policy_quote. */
#define CONFIG_QUOTED_MAX (POLICY_ERR_VALUE_MAX * 4 + 4)

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
	bool streamed; /* read through io into window */
	bool eof;
	int read_error; /* -errno once reading failed (-EFBIG: past POLICY_LIST_BYTES_MAX) */
	const struct file_io *io; /* streamed: what reads it */
	void *file;		  /* streamed: its handle */
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
	const struct file_io *io; /* NULL: no file may be read */
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

/* ---- config_lex.c ---- */

/* A message in the context's buffer; returns rc. */
int config_fail(struct ctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "file:line:column: message"; returns -EINVAL. */
int config_at(struct ctx *c, const struct src *f, uint32_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* "out of memory"; returns -ENOMEM. */
int config_oom(struct ctx *c);
/* Argument i of a statement, quoted for a message into `buf` (CONFIG_QUOTED_MAX bytes). */
const char *config_arg(const struct stmt *st, unsigned i, char *buf);
/* Column of buf[pos] in the file. */
uint32_t config_col(const struct src *f, size_t pos);
/* Are the `n` bytes from pos there (read in when streamed)? */
bool config_src_avail(struct src *f, size_t n);
/* Open `path` with `io` to be streamed into `f`; 0 or -errno (-EFBIG for a file too large). */
int config_src_start(struct src *f, const struct file_io *io, const char *path);
void config_src_close(struct src *f);
/* Read one statement from `f` into `st`. Returns 0 or -EINVAL with a message. */
int config_read_stmt(struct ctx *c, struct src *f, struct stmt *st);
/* `rel` relative to `dir` (unless absolute or `dir` is empty) into out. */
void config_path_join(char *out, size_t size, const char *dir, const char *rel);
/* f->dir: the directory of `path`, for the includes and imports it names. */
void config_set_dir(struct src *f, const char *path);

/* ---- config_stmt.c ---- */

/* The file table, the categories and the groups: the id of `path`, `name`, (vendor,
 * category), added when new. 0 or a negative errno with a message. */
int config_add_file(struct ctx *c, const char *path, uint16_t *id);
/* A new vendor `name`, all else zero, at the end of the table: its id in `*id`. */
int config_add_vendor(struct ctx *c, const char *name, uint16_t *id);
int config_find_category(struct ctx *c, const char *name, uint16_t *id);
int config_find_group(struct ctx *c, uint16_t vendor, uint16_t category, uint32_t *id);
/* Every statement of `f` (top level). */
int config_parse_file(struct ctx *c, struct src *f);

/* ---- config_settings.c ---- */

/* Daemon settings. Returns 1 when `st` is not a setting, else 0 or an error. */
int config_setting(struct ctx *c, struct src *f, const struct stmt *st);
/* One-word choice: index of st->arg[1] in `words`, or an error listing them. */
int config_choose(struct ctx *c, struct src *f, const struct stmt *st, const char *const *words,
		  size_t n, unsigned *out);
/* A block action (reject, drop or alert) from st->arg[i]. */
int config_block_action(struct ctx *c, struct src *f, const struct stmt *st, unsigned i,
			enum action *out);
/* The addresses and prefixes of `exempt`, `enforce-on`, `learn-from` appended to *v. */
int config_add_prefixes(struct ctx *c, struct src *f, const struct stmt *st,
			struct policy_prefix **v, size_t *n, size_t *cap);
/* `ech-front NAME...` */
int config_add_fronts(struct ctx *c, struct src *f, const struct stmt *st);

/* ---- config_import.c ---- */

/* Check one entry and add it to `group` (see the definition). */
int config_add_entry(struct ctx *c, struct src *f, const char *text, size_t len, uint32_t line,
		     uint32_t col, uint32_t group, enum ds_kind kind, bool suffix_default);
/* `import FORMAT FILE` into `group`. */
int config_import(struct ctx *c, struct src *f, const struct stmt *st, uint32_t group);

#endif
