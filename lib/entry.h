/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entry: the one grammar of names in lists and vendor blocks, shared by the configuration
 * compiler (vendor blocks, every `import` format) and the -b list loader (policy.c). Pure:
 * text in, a checked name and its match kind out, or a message and the offset it points at.
 */
#ifndef EMBARGO_ENTRY_H
#define EMBARGO_ENTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "embargo/domainset.h"
#include "embargo/name.h"

/* Room for a message of entry_parse or entry_plain_line. */
#define ENTRY_MSG_MAX 512

struct entry {
	struct name name;
	enum ds_match match;
};

/*
 * Check `len` bytes of `text` as one entry: "name" (exact; with `suffix_default` the name and
 * below), "*.name" (the name and below), ".name" (with `suffix_default`: the same), or, for an
 * exact entry, a label glob ("ads*.example.com": a '*' inside a name, at least two fixed labels
 * to its right). Labels
 * hold letters, digits, '-' and '_', 1..63 bytes; a trailing dot changes nothing.
 * Returns 0 with `*e` filled, or -EINVAL with the message in `msg` (ENTRY_MSG_MAX bytes; it
 * quotes the entry) and in `*at` the offset in `text` of the byte it is about.
 */
int entry_parse(const char *text, size_t len, bool suffix_default, struct entry *e, size_t *at,
		char *msg);

/* Blanks of a list line: space, tab, CR, FF, VT. */
bool entry_is_blank(char ch);

/* s[*start, *end) without the blanks at either end; true when nothing is left. */
bool entry_trim(const char *s, size_t *start, size_t *end);

/*
 * One line of a plain list (`import plain`, -b): '#' starts a comment anywhere on the line,
 * blanks around the entry and empty lines are ignored, otherwise the line is one entry, read by
 * entry_parse with `suffix_default` (a name blocks itself and every name below it).
 * Returns 1 for a line without an entry, 0 with `*e` filled, or -EINVAL with the message in
 * `msg` and in `*at` the offset in `line` it points at.
 */
int entry_plain_line(const char *line, size_t len, struct entry *e, size_t *at, char *msg);

#endif
