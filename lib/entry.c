/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one grammar of names in lists and vendor blocks (see entry.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "policy_internal.h"

bool entry_is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

bool entry_trim(const char *s, size_t *start, size_t *end)
{
	while (*start < *end && entry_is_blank(s[*start])) {
		(*start)++;
	}
	while (*end > *start && entry_is_blank(s[*end - 1])) {
		(*end)--;
	}
	return *start == *end;
}

static bool is_label_byte(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* The message for entry `text`: "invalid name \"TEXT\"" and `why` (", '%s' ..." formats). */
static int fail(const char *text, size_t len, size_t off, size_t *at, char *msg, const char *what,
		const char *why)
{
	char qb[POLICY_ERR_VALUE_MAX * 4 + 4];
	policy_quote(qb, text, len);
	snprintf(msg, ENTRY_MSG_MAX, "invalid %s \"%s\"%s", what, qb, why);
	*at = off;
	return -EINVAL;
}

int entry_parse(const char *text, size_t len, bool suffix_default, struct entry *e, size_t *at,
		char *msg)
{
	char why[128];
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
		return fail(text, len, 0, at, msg, "name", ": empty");
	}
	size_t label_start = 0;
	bool label_star = false, any_star = false;
	size_t fixed_labels = 0; /* labels right of the last one holding '*' */
	for (size_t i = 0; i <= nlen; i++) {
		char ch = i < nlen ? n[i] : '.';
		if (ch == '.') {
			size_t ll = i - label_start;
			if (ll == 0) {
				return fail(text, len, skip + i, at, msg, "name", ": empty label");
			}
			if (ll > 63) {
				return fail(text, len, skip + label_start, at, msg, "name",
					    ": label longer than 63 bytes");
			}
			fixed_labels = label_star ? 0 : fixed_labels + 1;
			label_star = false;
			label_start = i + 1;
			continue;
		}
		if (ch == '*') {
			label_star = any_star = true;
		} else if (!is_label_byte(ch)) {
			char shown[8];
			policy_quote(shown, &n[i], 1);
			snprintf(why, sizeof(why), ": '%s' is not allowed in a name", shown);
			return fail(text, len, skip + i, at, msg, "name", why);
		}
	}
	if (nlen > NAME_TEXT_MAX) {
		snprintf(why, sizeof(why), ": longer than %u bytes", NAME_TEXT_MAX);
		return fail(text, len, 0, at, msg, "name", why);
	}
	if (any_star) {
		if (match == DS_SUFFIX || fixed_labels < 2) {
			return fail(text, len, 0, at, msg, "pattern",
				    ": a '*' inside a name needs at least two fixed labels to its "
				    "right (\"*.\" is allowed only in front)");
		}
		match = DS_GLOB;
	}
	if (name_from_text(&e->name, n, nlen) != 0) {
		return fail(text, len, 0, at, msg, "name", "");
	}
	e->match = match;
	return 0;
}

int entry_plain_line(const char *line, size_t len, struct entry *e, size_t *at, char *msg)
{
	const char *hash = memchr(line, '#', len);
	size_t a = 0;
	if (hash != NULL) {
		len = (size_t)(hash - line);
	}
	if (entry_trim(line, &a, &len)) {
		return 1;
	}
	for (size_t i = a; i < len; i++) {
		if (entry_is_blank(line[i])) {
			snprintf(msg, ENTRY_MSG_MAX, "one name per line expected");
			*at = i;
			return -EINVAL;
		}
	}
	int rc = entry_parse(line + a, len - a, true, e, at, msg);
	*at += a;
	return rc;
}
