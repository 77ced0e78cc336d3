/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-side builder of DNS responses: CNAME/DNAME chains, A/AAAA, HTTPS/SVCB records with
 * hints and ECH configurations, in any section. */
#ifndef EMBARGO_DNSBUILD_H
#define EMBARGO_DNSBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hellobuild.h"

#define DB_MAX 4096

struct db {
	uint8_t b[DB_MAX];
	size_t n;
};

static inline void db_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The wire name writer of the other builders. */
static inline size_t db_wire_name(uint8_t *out, const char *text)
{
	return hb_wire_name(out, text);
}

/* A response header (QR RD RA, rcode) with one question. */
static inline void db_init(struct db *d, uint16_t id, const char *qname, uint16_t qtype,
			   uint8_t rcode)
{
	memset(d, 0, sizeof(*d));
	db_put16(d->b, id);
	d->b[2] = 0x81;
	d->b[3] = (uint8_t)(0x80 | rcode);
	d->b[5] = 1;
	d->n = 12 + db_wire_name(d->b + 12, qname);
	db_put16(d->b + d->n, qtype);
	db_put16(d->b + d->n + 2, 1);
	d->n += 4;
}

/* Section counters at offsets 6 (answer), 8 (authority), 10 (additional). */
enum db_section {
	DB_AN = 6,
	DB_NS = 8,
	DB_AR = 10
};

/* A record: owner NULL means a pointer to the question's name. */
static inline void db_rr(struct db *d, enum db_section sec, const char *owner, uint16_t type,
			 uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	if (owner == NULL) {
		d->b[d->n++] = 0xc0;
		d->b[d->n++] = 12;
	} else {
		d->n += db_wire_name(d->b + d->n, owner);
	}
	db_put16(d->b + d->n, type);
	db_put16(d->b + d->n + 2, 1);
	db_put16(d->b + d->n + 4, (uint16_t)(ttl >> 16));
	db_put16(d->b + d->n + 6, (uint16_t)ttl);
	db_put16(d->b + d->n + 8, (uint16_t)rdlen);
	memcpy(d->b + d->n + 10, rdata, rdlen);
	d->n += 10 + rdlen;
	uint16_t c = (uint16_t)(d->b[sec] << 8 | d->b[sec + 1]);
	db_put16(d->b + sec, (uint16_t)(c + 1));
}

static inline void db_alias(struct db *d, const char *owner, uint16_t type, const char *target)
{
	uint8_t w[256];
	db_rr(d, DB_AN, owner, type, 300, w, db_wire_name(w, target));
}

/* "192.0.2.1" or "2001:db8::1" (one "::" at most) into `out`: 4, 16, or 0 when not one.
 * (No <arpa/inet.h> here: its socket declarations clash with the tests' helpers.) */
static inline size_t db_parse_addr(const char *s, uint8_t *out)
{
	if (strchr(s, ':') == NULL) {
		unsigned v[4];
		char tail;
		if (sscanf(s, "%u.%u.%u.%u%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4) {
			return 0;
		}
		for (int i = 0; i < 4; i++) {
			out[i] = (uint8_t)v[i];
		}
		return 4;
	}
	uint16_t head[8], tail[8];
	size_t nh = 0, nt = 0;
	const char *gap = strstr(s, "::");
	for (int part = 0; part < 2; part++) {
		const char *p = part == 0 ? s : gap + 2;
		const char *end = part == 0 && gap != NULL ? gap : s + strlen(s);
		while (p < end && (part == 0 ? nh : nt) < 8) {
			unsigned v = (unsigned)strtoul(p, NULL, 16);
			(part == 0 ? head : tail)[(part == 0 ? nh++ : nt++)] = (uint16_t)v;
			const char *c = strchr(p, ':');
			p = c != NULL && c < end ? c + 1 : end;
		}
		if (gap == NULL) {
			break;
		}
	}
	memset(out, 0, 16);
	for (size_t i = 0; i < nh; i++) {
		db_put16(out + 2 * i, head[i]);
	}
	for (size_t i = 0; i < nt; i++) {
		db_put16(out + 16 - 2 * (nt - i), tail[i]);
	}
	return 16;
}

static inline void db_addr(struct db *d, const char *owner, const char *addr, uint32_t ttl)
{
	uint8_t a[16];
	size_t n = db_parse_addr(addr, a);
	db_rr(d, DB_AN, owner, n == 4 ? 1 : 28, ttl, a, n);
}

/* One SvcParam appended to `p` (length `*n`). */
static inline void db_param(uint8_t *p, size_t *n, uint16_t key, const void *value, size_t len)
{
	db_put16(p + *n, key);
	db_put16(p + *n + 2, (uint16_t)len);
	memcpy(p + *n + 4, value, len);
	*n += 4 + len;
}

/* An ECHConfigList holding one ECHConfig (version 0xfe0d) for `public_name`, config id `id`. */
static inline size_t db_ech_config_list(uint8_t *out, const char *public_name, uint8_t id)
{
	uint8_t c[512];
	size_t n = 0;
	c[n++] = id;
	db_put16(c + n, 0x0020); /* DHKEM(X25519, HKDF-SHA256) */
	n += 2;
	db_put16(c + n, 32);
	memset(c + n + 2, 0x42, 32);
	n += 34;
	db_put16(c + n, 4);
	db_put16(c + n + 2, 0x0001); /* HKDF-SHA256 */
	db_put16(c + n + 4, 0x0001); /* AES-128-GCM */
	n += 6;
	c[n++] = 0; /* maximum_name_length */
	size_t pl = strlen(public_name);
	c[n++] = (uint8_t)pl;
	memcpy(c + n, public_name, pl);
	n += pl;
	db_put16(c + n, 0); /* extensions */
	n += 2;
	db_put16(out, (uint16_t)(n + 4));
	db_put16(out + 2, 0xfe0d);
	db_put16(out + 4, (uint16_t)n);
	memcpy(out + 6, c, n);
	return n + 6;
}

/* An HTTPS (65) or SVCB (64) record with priority, target and the parameters in `params`. */
static inline void db_svcb(struct db *d, enum db_section sec, const char *owner, uint16_t type,
			   uint16_t priority, const char *target, const uint8_t *params,
			   size_t plen)
{
	uint8_t r[2048];
	db_put16(r, priority);
	size_t n = 2 + db_wire_name(r + 2, target);
	if (plen > 0) {
		memcpy(r + n, params, plen);
	}
	db_rr(d, sec, owner, type, 300, r, n + plen);
}

/* A response to an HTTPS question for `qname` with one ServiceMode record for the name itself:
 * the parameters `params` (`plen` bytes, keys below 5), then an ech parameter for
 * `public_name`. */
static inline void db_https_ech(struct db *d, uint16_t id, const char *qname, const uint8_t *params,
				size_t plen, const char *public_name)
{
	uint8_t p[1024], list[512];
	if (plen > 0) {
		memcpy(p, params, plen);
	}
	size_t n = plen;
	db_param(p, &n, 5, list, db_ech_config_list(list, public_name, 1));
	db_init(d, id, qname, 65, 0);
	db_svcb(d, DB_AN, NULL, 65, 1, ".", p, n);
}

#endif
