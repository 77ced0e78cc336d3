/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-side builders of TLS ClientHello records, DNS queries and HTTP requests. */
#ifndef EMBARGO_HELLOBUILD_H
#define EMBARGO_HELLOBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A TLS 1.2-style ClientHello record with a server_name extension for `sni` (none if NULL),
 * one more extension `ext_type` with `ext_len` bytes of `ext` (none when ext is NULL), and
 * `pad` bytes of padding extension (to make it large). Returns the record length. */
static inline size_t hb_client_hello_ext(const char *sni, size_t pad, uint16_t ext_type,
					 const uint8_t *ext_body, size_t ext_len, uint8_t *out,
					 size_t cap)
{
	uint8_t ext[4096];
	size_t e = 0;
	if (sni != NULL) {
		size_t n = strlen(sni);
		ext[e++] = 0x00, ext[e++] = 0x00; /* server_name */
		ext[e++] = (uint8_t)((n + 5) >> 8), ext[e++] = (uint8_t)(n + 5);
		ext[e++] = (uint8_t)((n + 3) >> 8), ext[e++] = (uint8_t)(n + 3);
		ext[e++] = 0x00; /* host_name */
		ext[e++] = (uint8_t)(n >> 8), ext[e++] = (uint8_t)n;
		memcpy(ext + e, sni, n);
		e += n;
	}
	if (ext_body != NULL) {
		ext[e++] = (uint8_t)(ext_type >> 8), ext[e++] = (uint8_t)ext_type;
		ext[e++] = (uint8_t)(ext_len >> 8), ext[e++] = (uint8_t)ext_len;
		memcpy(ext + e, ext_body, ext_len);
		e += ext_len;
	}
	if (pad > 0) {
		ext[e++] = 0x00, ext[e++] = 0x15; /* padding */
		ext[e++] = (uint8_t)(pad >> 8), ext[e++] = (uint8_t)pad;
		memset(ext + e, 0, pad);
		e += pad;
	}
	size_t body = 2 + 32 + 1 + 2 + 2 + 2 + 2 + e;
	size_t total = 5 + 4 + body;
	if (total > cap) {
		return 0;
	}
	uint8_t *p = out;
	*p++ = 0x16, *p++ = 0x03, *p++ = 0x01;
	*p++ = (uint8_t)((4 + body) >> 8), *p++ = (uint8_t)(4 + body);
	*p++ = 0x01, *p++ = 0x00, *p++ = (uint8_t)(body >> 8), *p++ = (uint8_t)body;
	*p++ = 0x03, *p++ = 0x03;
	memset(p, 0x5a, 32);
	p += 32;
	*p++ = 0x00;		  /* session id */
	*p++ = 0x00, *p++ = 0x02; /* cipher suites length */
	*p++ = 0x13, *p++ = 0x01; /* TLS_AES_128_GCM_SHA256 */
	*p++ = 0x01, *p++ = 0x00; /* compression: null */
	*p++ = (uint8_t)(e >> 8), *p++ = (uint8_t)e;
	memcpy(p, ext, e);
	return total;
}

static inline size_t hb_client_hello(const char *sni, size_t pad, uint8_t *out, size_t cap)
{
	return hb_client_hello_ext(sni, pad, 0, NULL, 0, out, cap);
}

/* An outer ECHClientHello body (draft-ietf-tls-esni section 5): real and GREASE look alike. */
static inline size_t hb_ech_outer(uint8_t config_id, uint8_t *out)
{
	size_t n = 0;
	out[n++] = 0;		    /* outer */
	out[n++] = 0, out[n++] = 1; /* HKDF-SHA256 */
	out[n++] = 0, out[n++] = 1; /* AES-128-GCM */
	out[n++] = config_id;
	out[n++] = 0, out[n++] = 32;
	memset(out + n, 0x11, 32);
	n += 32;
	out[n++] = 0, out[n++] = 144;
	memset(out + n, 0x22, 144);
	return n + 144;
}

/* `text` ("a.b.c"; "" or "." for the root) as a DNS wire name into `out`; its length. */
static inline size_t hb_wire_name(uint8_t *out, const char *text)
{
	size_t n = 0;
	const char *s = text;
	while (*s != '\0' && strcmp(s, ".") != 0) {
		const char *dot = strchr(s, '.');
		size_t l = dot != NULL ? (size_t)(dot - s) : strlen(s);
		out[n++] = (uint8_t)l;
		memcpy(out + n, s, l);
		n += l;
		s += l;
		if (*s == '.') {
			s++;
		}
	}
	out[n++] = 0;
	return n;
}

/* A DNS query for `name` (dotted text) of type `qtype`, id `id`. Returns its length. */
static inline size_t hb_dns_query(const char *name, uint16_t qtype, uint16_t id, uint8_t *out,
				  size_t cap)
{
	if (cap < 12 + strlen(name) + 6) {
		return 0;
	}
	memset(out, 0, 12);
	out[0] = (uint8_t)(id >> 8), out[1] = (uint8_t)id;
	out[2] = 0x01; /* RD */
	out[5] = 1;    /* QDCOUNT */
	size_t n = 12 + hb_wire_name(out + 12, name);
	out[n++] = (uint8_t)(qtype >> 8), out[n++] = (uint8_t)qtype;
	out[n++] = 0, out[n++] = 1;
	return n;
}

#endif
