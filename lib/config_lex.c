/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config: messages, and the lexer that reads a file (whole or streamed) into statements. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "entry.h"
#include "policy_internal.h"

/* ---- messages ---- */

int config_fail(struct ctx *c, int rc, const char *fmt, ...)
{
	if (c->err != NULL && c->err_size > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err, c->err_size, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* "file:line:column: message"; returns -EINVAL. */
int config_at(struct ctx *c, const struct src *f, uint32_t line, uint32_t col, const char *fmt, ...)
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

int config_oom(struct ctx *c)
{
	return config_fail(c, -ENOMEM, "out of memory");
}

/* Argument i of a statement, quoted for a message. */
const char *config_arg(const struct stmt *st, unsigned i, char *buf)
{
	policy_quote(buf, st->arg[i], strlen(st->arg[i]));
	return buf;
}

/* ---- lexer ---- */

static bool is_delim(char ch)
{
	return entry_is_blank(ch) || ch == '\n' || ch == '#' || ch == ';' || ch == '{' ||
	       ch == '}' || ch == '"' || (uint8_t)ch < 0x20 || ch == 0x7f;
}

/* Column of buf[pos]. */
uint32_t config_col(const struct src *f, size_t pos)
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
		ssize_t got = f->io->read_file(f->io->ctx, f->file, f->window + f->len,
					       f->window_cap - f->len);
		if (got <= 0) {
			f->read_error = got < 0 ? (int)got : 0;
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
bool config_src_avail(struct src *f, size_t n)
{
	return f->pos + n <= f->len || (f->streamed && !f->eof && src_fill(f, n));
}

int config_src_start(struct src *f, const struct file_io *io, const char *path)
{
	int rc = io->open_file(io->ctx, path, POLICY_LIST_BYTES_MAX, &f->file);
	if (rc != 0) {
		return rc;
	}
	f->io = io;
	f->streamed = true;
	return 0;
}

void config_src_close(struct src *f)
{
	if (f->streamed) {
		f->io->close_file(f->io->ctx, f->file);
		f->file = NULL;
		free(f->window);
		f->window = NULL;
		f->streamed = false;
	}
}

static int arena_add(struct ctx *c, struct src *f, struct stmt *st, uint32_t col)
{
	if (st->nargs == STMT_ARGS_MAX) {
		return config_at(c, f, f->line, col, "too many words in one statement (at most %u)",
				 STMT_ARGS_MAX);
	}
	if (st->used >= STMT_ARENA) {
		/* No room left even for the NUL of an empty string. */
		return config_at(c, f, f->line, col, "statement too long");
	}
	st->arg[st->nargs] = st->arena + st->used;
	st->line[st->nargs] = f->line;
	st->col[st->nargs] = col;
	return 0;
}

/* Read one statement from `f` into `st`. Returns 0 or -EINVAL with a message. */
int config_read_stmt(struct ctx *c, struct src *f, struct stmt *st)
{
	st->nargs = 0;
	st->used = 0;
	for (;;) {
		while (config_src_avail(f, 1) && entry_is_blank(f->buf[f->pos])) {
			f->pos++;
		}
		st->end_line = f->line;
		st->end_col = config_col(f, f->pos);
		if (!config_src_avail(f, 1)) {
			st->end = END_EOF;
			return 0;
		}
		char ch = f->buf[f->pos];
		if (ch == '#') {
			while (config_src_avail(f, 1) && f->buf[f->pos] != '\n') {
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
		uint32_t col = config_col(f, f->pos);
		if ((uint8_t)ch < 0x20 || ch == 0x7f) {
			return config_at(c, f, f->line, col, "unexpected control character 0x%02x",
					 (unsigned)(uint8_t)ch);
		}
		int rc = arena_add(c, f, st, col);
		if (rc != 0) {
			return rc;
		}
		if (ch == '"') {
			f->pos++;
			for (;;) {
				if (!config_src_avail(f, 1) || f->buf[f->pos] == '\n') {
					return config_at(c, f, f->line, col, "unterminated string");
				}
				char v = f->buf[f->pos];
				if (v == '"') {
					f->pos++;
					break;
				}
				if (v == '\\') {
					char e = config_src_avail(f, 2) ? f->buf[f->pos + 1] : '\0';
					if (e != '"' && e != '\\') {
						return config_at(
							c, f, f->line, config_col(f, f->pos),
							"unknown escape in a string (only \\\" and "
							"\\\\)");
					}
					v = e;
					f->pos++;
				} else if ((uint8_t)v < 0x20 || v == 0x7f) {
					return config_at(c, f, f->line, config_col(f, f->pos),
							 "control character 0x%02x in a string",
							 (unsigned)(uint8_t)v);
				}
				if (st->used + 2 > STMT_ARENA) {
					return config_at(c, f, f->line, col, "statement too long");
				}
				st->arena[st->used++] = v;
				f->pos++;
			}
		} else {
			while (config_src_avail(f, 1) && !is_delim(f->buf[f->pos])) {
				if (st->used + 2 > STMT_ARENA) {
					return config_at(c, f, f->line, col, "statement too long");
				}
				st->arena[st->used++] = f->buf[f->pos++];
			}
		}
		st->arena[st->used++] = '\0';
		st->nargs++;
	}
}

void config_path_join(char *out, size_t size, const char *dir, const char *rel)
{
	if (rel[0] == '/' || dir[0] == '\0') {
		snprintf(out, size, "%s", rel);
	} else {
		snprintf(out, size, "%s/%s", dir, rel);
	}
}

void config_set_dir(struct src *f, const char *path)
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
