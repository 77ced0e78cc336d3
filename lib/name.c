/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Normalisation and validation of host names, shared by every protocol and the config. */
#include <errno.h>
#include <string.h>

#include "embargo/name.h"

static inline uint8_t ascii_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/*
 * What each byte is in a label, looked up once per byte (names are normalised on every packet):
 * its lower-case form, and classes OR-ed over a label and checked once at its end.
 */
enum name_byte_class {
	NB_UNUSUAL = 1 << 0,   /* outside letters, digits, '-', '_', '*' */
	NB_BAD_WIRE = 1 << 1,  /* NUL or '.': never inside a label */
	NB_BAD_TEXT = 1 << 2,  /* NUL, '.' or outside 0x21..0x7e: not in a name given as text */
	NB_NOT_DIGIT = 1 << 3, /* anything but 0-9: the name cannot be an IPv4 address */
};

#define NB_PLAIN(c)                                                                                \
	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') || \
	 (c) == '-' || (c) == '_' || (c) == '*')
#define NB_CLASS(c)                                                                                \
	((NB_PLAIN(c) ? 0 : NB_UNUSUAL) | ((c) == 0 || (c) == '.' ? NB_BAD_WIRE : 0) |             \
	 ((c) == 0 || (c) == '.' || (c) < 0x21 || (c) > 0x7e ? NB_BAD_TEXT : 0) |                  \
	 ((c) >= '0' && (c) <= '9' ? 0 : NB_NOT_DIGIT))
#define NB_LOWER(c) ((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c))
#define NB_ROW(f, b)                                                                               \
	f(b + 0), f(b + 1), f(b + 2), f(b + 3), f(b + 4), f(b + 5), f(b + 6), f(b + 7), f(b + 8),  \
		f(b + 9), f(b + 10), f(b + 11), f(b + 12), f(b + 13), f(b + 14), f(b + 15)
#define NB_TABLE(f)                                                                                \
	NB_ROW(f, 0), NB_ROW(f, 16), NB_ROW(f, 32), NB_ROW(f, 48), NB_ROW(f, 64), NB_ROW(f, 80),   \
		NB_ROW(f, 96), NB_ROW(f, 112), NB_ROW(f, 128), NB_ROW(f, 144), NB_ROW(f, 160),     \
		NB_ROW(f, 176), NB_ROW(f, 192), NB_ROW(f, 208), NB_ROW(f, 224), NB_ROW(f, 240)

static const uint8_t name_byte_class[256] = {NB_TABLE(NB_CLASS)};
static const uint8_t name_byte_lower[256] = {NB_TABLE(NB_LOWER)};

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

/* Append one label taken from the wire to `out`: lower-cased and classified. */
static int append_label(struct name *out, const uint8_t *label, size_t len)
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
	char *dst = out->text + out->len;
	unsigned cls = 0;
	for (size_t i = 0; i < len; i++) {
		cls |= name_byte_class[label[i]];
		dst[i] = (char)name_byte_lower[label[i]];
	}
	if (cls & NB_BAD_WIRE) {
		return -EINVAL;
	}
	if (cls & NB_UNUSUAL) {
		out->flags |= NAME_F_UNUSUAL;
	}
	out->len = (uint16_t)(out->len + len);
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
	/* One pass: bytes lower-cased into place, label lengths checked at each dot. */
	const uint8_t *in = (const uint8_t *)text;
	unsigned cls = 0;
	size_t start = 0;
	unsigned nlabels = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || in[i] == '.') {
			if (i == start || i - start > NAME_LABEL_MAX) {
				return -EINVAL;
			}
			nlabels++;
			start = i + 1;
			out->text[i] = '.';
			continue;
		}
		cls |= name_byte_class[in[i]];
		out->text[i] = (char)name_byte_lower[in[i]];
	}
	if (cls & NB_BAD_TEXT) {
		return -EINVAL;
	}
	out->text[len] = '\0';
	out->len = (uint16_t)len;
	out->nlabels = (uint8_t)nlabels; /* at most 127 in 253 bytes */
	out->flags = (cls & NB_UNUSUAL) ? NAME_F_UNUSUAL : 0;
	if ((cls & NB_NOT_DIGIT) == 0 && is_ipv4_literal(out->text, out->len)) {
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
		int rc = append_label(out, labels[i], label_lens[i]);
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
