/* SPDX-License-Identifier: GPL-2.0-or-later */
/* name: turn a host name taken from a packet into the one normalised form matching accepts. */
#ifndef EMBARGO_NAME_H
#define EMBARGO_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* RFC 1035 section 2.3.4: a label is at most 63 octets, a wire name at most 255 octets. In text
 * form without the trailing dot that leaves at most 253 characters. */
#define NAME_LABEL_MAX 63
#define NAME_WIRE_MAX  255
#define NAME_TEXT_MAX  253
/* At most 127 labels fit in 255 wire octets (each label costs at least 2). */
#define NAME_LABELS_MAX 127

/* Flags describing a normalised name. */
enum name_flag {
	NAME_F_UNUSUAL = 1 << 0,    /* a label holds bytes outside letters, digits, '-', '_', '*' */
	NAME_F_IP_LITERAL = 1 << 1, /* an IPv4 dotted quad or a bracketed IPv6 literal */
	NAME_F_ROOT = 1 << 2,	    /* the DNS root (empty name, written ".") */
};

/*
 * A validated, normalised host name: ASCII letters lower-cased, no trailing dot, labels
 * separated by '.', each label 1..63 bytes, at most 253 bytes in all. `text` is NUL-terminated
 * for convenience; a label may still contain bytes that need escaping before printing (see
 * NAME_F_UNUSUAL and name_escape). Matching code accepts only this type.
 */
struct name {
	uint16_t len;	 /* bytes in text, excluding the NUL; 0 only for the root */
	uint8_t nlabels; /* number of labels; 0 only for the root */
	uint8_t flags;	 /* enum name_flag bits */
	char text[NAME_TEXT_MAX + 1];
};

/*
 * Normalise a name given as text (TLS SNI, HTTP Host without its port, a config entry).
 * Accepts printable ASCII (0x21..0x7e); one trailing dot is removed. Rejects empty labels, a
 * label over 63 bytes, a name over 253 bytes, and any byte outside 0x21..0x7e.
 * Returns 0, or -EINVAL when rejected (`out` is then undefined).
 */
int name_from_text(struct name *out, const char *text, size_t len);

/*
 * Normalise a name from DNS labels already extracted from the wire: `labels` holds
 * `nlabels` label strings (pointer + length each), most specific first. Any byte except NUL and
 * '.' is accepted in a label (DNS is 8-bit clean; such bytes set NAME_F_UNUSUAL). Zero labels
 * give the root. Returns 0 or -EINVAL (empty label, label > 63, name > 253 bytes, NUL or '.').
 */
int name_from_labels(struct name *out, const uint8_t *const *labels, const uint8_t *label_lens,
		     size_t nlabels);

/* Copy `src` into `dst`: only the bytes the name uses (a struct copy would move all 258). */
static inline void name_copy(struct name *dst, const struct name *src)
{
	memcpy(dst, src, offsetof(struct name, text) + (size_t)src->len + 1);
}

/* Copy of the last `nlabels` labels of `n` (its parent domain at that depth) into `out`.
 * Returns 0, or -EINVAL if nlabels is 0 or more than n has. */
int name_suffix(struct name *out, const struct name *n, unsigned nlabels);

/* True if `n` equals `domain` or lies below it on a label boundary. */
bool name_is_subdomain(const struct name *n, const struct name *domain);

/*
 * Write `n` to `buf` (size `size`, NUL-terminated when size > 0) for logs and reports: the root
 * as ".", printable ASCII as is except '\\' and '"', every other byte as \xHH. Returns the
 * length the full escaped text needs (like snprintf).
 */
size_t name_escape(const struct name *n, char *buf, size_t size);

#endif
