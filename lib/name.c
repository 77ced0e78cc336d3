/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Normalisation and validation of host names, shared by every protocol and the config. */
#include <errno.h>
#include <string.h>

#include "embargo/name.h"

static inline uint8_t ascii_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Letters, digits, '-', '_' and '*': what host names, service labels and wildcards use. */
static inline bool is_plain_label_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
}

static bool is_ipv4_literal(const char *s, size_t len)
{
	unsigned dots = 0, digits = 0, value = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (digits == 0) {
				return false;
			}
			dots++;
			digits = 0;
			value = 0;
		} else if (s[i] >= '0' && s[i] <= '9') {
			value = value * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3 || value > 255) {
				return false;
			}
		} else {
			return false;
		}
	}
	return dots == 3 && digits > 0;
}

/* Append one label to `out`; the label bytes are lower-cased and classified. */
static int append_label(struct name *out, const uint8_t *label, size_t len, bool from_wire)
{
	if (len == 0 || len > NAME_LABEL_MAX || out->nlabels >= NAME_LABELS_MAX) {
		return -EINVAL;
	}
	size_t need = len + (out->nlabels > 0 ? 1 : 0);
	if ((size_t)out->len + need > NAME_TEXT_MAX) {
		return -EINVAL;
	}
	if (out->nlabels > 0) {
		out->text[out->len++] = '.';
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t c = ascii_lower(label[i]);
		if (c == '\0' || c == '.') {
			return -EINVAL;
		}
		if (!from_wire && (c < 0x21 || c > 0x7e)) {
			return -EINVAL;
		}
		if (!is_plain_label_byte(c)) {
			out->flags |= NAME_F_UNUSUAL;
		}
		out->text[out->len++] = (char)c;
	}
	out->nlabels++;
	out->text[out->len] = '\0';
	return 0;
}

static void name_clear(struct name *out)
{
	out->len = 0;
	out->nlabels = 0;
	out->flags = 0;
	out->text[0] = '\0';
}

int name_from_text(struct name *out, const char *text, size_t len)
{
	name_clear(out);
	if (text == NULL || len == 0) {
		return -EINVAL;
	}
	if (len == 1 && text[0] == '.') {
		out->flags = NAME_F_ROOT;
		return 0;
	}
	if (text[len - 1] == '.') {
		len--; /* one trailing dot: the absolute form of the same name */
	}
	if (len > NAME_TEXT_MAX) {
		return -EINVAL;
	}
	/* A bracketed IPv6 literal (HTTP Host "[::1]") is one label-less token. */
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		for (size_t i = 1; i + 1 < len; i++) {
			uint8_t c = ascii_lower((uint8_t)text[i]);
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' ||
			      c == '.')) {
				return -EINVAL;
			}
			out->text[i] = (char)c;
		}
		out->text[0] = '[';
		out->text[len - 1] = ']';
		out->text[len] = '\0';
		out->len = (uint16_t)len;
		out->nlabels = 1;
		out->flags = NAME_F_IP_LITERAL;
		return 0;
	}
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || text[i] == '.') {
			int rc = append_label(out, (const uint8_t *)text + start, i - start, false);
			if (rc < 0) {
				return rc;
			}
			start = i + 1;
		}
	}
	if (is_ipv4_literal(out->text, out->len)) {
		out->flags |= NAME_F_IP_LITERAL;
	}
	return 0;
}

int name_from_labels(struct name *out, const uint8_t *const *labels, const uint8_t *label_lens,
		     size_t nlabels)
{
	name_clear(out);
	if (nlabels == 0) {
		out->flags = NAME_F_ROOT;
		return 0;
	}
	for (size_t i = 0; i < nlabels; i++) {
		int rc = append_label(out, labels[i], label_lens[i], true);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

int name_suffix(struct name *out, const struct name *n, unsigned nlabels)
{
	if (nlabels == 0 || nlabels > n->nlabels) {
		return -EINVAL;
	}
	unsigned skip = n->nlabels - nlabels;
	size_t pos = 0;
	while (skip > 0) {
		const char *dot = memchr(n->text + pos, '.', n->len - pos);
		if (dot == NULL) {
			return -EINVAL;
		}
		pos = (size_t)(dot - n->text) + 1;
		skip--;
	}
	out->len = (uint16_t)(n->len - pos);
	out->nlabels = (uint8_t)nlabels;
	out->flags = n->flags;
	memcpy(out->text, n->text + pos, out->len);
	out->text[out->len] = '\0';
	return 0;
}

bool name_is_subdomain(const struct name *n, const struct name *domain)
{
	if (domain->flags & NAME_F_ROOT) {
		return true;
	}
	if (n->len < domain->len) {
		return false;
	}
	size_t off = (size_t)(n->len - domain->len);
	if (memcmp(n->text + off, domain->text, domain->len) != 0) {
		return false;
	}
	return off == 0 || n->text[off - 1] == '.';
}

size_t name_escape(const struct name *n, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0;

#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (w + 1 < size) {                                                                \
			buf[w] = (ch);                                                             \
		}                                                                                  \
		w++;                                                                               \
	} while (0)

	if (n->flags & NAME_F_ROOT) {
		PUT('.');
	}
	for (size_t i = 0; i < n->len; i++) {
		uint8_t c = (uint8_t)n->text[i];
		if (c >= 0x21 && c <= 0x7e && c != '\\' && c != '"') {
			PUT((char)c);
		} else {
			PUT('\\');
			PUT('x');
			PUT(hex[c >> 4]);
			PUT(hex[c & 0xf]);
		}
	}
#undef PUT
	if (size > 0) {
		buf[w < size ? w : size - 1] = '\0';
	}
	return w;
}
