/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DNS responses: the chain a question leads to, its addresses and ECH public names, and the
 * strip-ech rewrite (RFC 1035, RFC 6672 DNAME, RFC 9460 SVCB/HTTPS, draft-ietf-tls-svcb-ech). */
#include <errno.h>
#include <string.h>

#include "embargo/answer.h"
#include "embargo/dns.h"
#include "embargo/domainset.h"
#include "embargo/rd.h"

/*
 * SvcParams (RFC 9460 section 2.2), to the end of the rdata:
 *   SvcParamKey (2) | length (2) | SvcParamValue (length)
 * Keys appear in strictly increasing order, each at most once; a record that breaks this is
 * malformed for a client too.
 */
struct svc_param {
	uint16_t key;
	struct rd value;
	size_t off; /* of the key, from the start of the walk's buffer */
};

/* The next parameter of `*r` (which starts after the TargetName and ends with the rdata).
 * False at the end, or (with `*bad`) when the parameters do not parse. */
static bool svc_param_next(struct rd *r, const uint8_t *base, int *last_key, struct svc_param *p,
			   bool *bad)
{
	if (rd_left(r) == 0) {
		*bad = !rd_ok(r);
		return false;
	}
	p->off = rd_offset(r, base);
	p->key = rd_u16be(r);
	uint16_t vlen = rd_u16be(r);
	p->value = rd_sub(r, vlen);
	if (!rd_ok(r) || (int)p->key <= *last_key) {
		*bad = true;
		return false;
	}
	*last_key = p->key;
	return true;
}

/* The SvcParams of an HTTPS/SVCB record in `buf`. */
static struct rd svc_params(const uint8_t *buf, size_t rdata_off, uint16_t rdata_len,
			    size_t params_off)
{
	return rd_make(buf + params_off, rdata_off + rdata_len - params_off);
}

/* Records of the answer section the chain walk looks at. Owners are compared by hash and
 * length (a 64-bit hash: a collision is not a practical concern). */
struct kept_alias {
	uint64_t owner_hash;
	uint16_t type; /* CNAME or DNAME */
	struct name owner, target;
};
struct kept_svcb {
	uint64_t owner_hash;
	uint16_t owner_len;
	struct svcb_at {
		size_t rdata_off, params_off;
		uint16_t rdata_len;
		uint32_t ttl;
	} at;
	bool has_target; /* a TargetName other than "." */
	struct name target;
};
struct kept_addr {
	uint64_t owner_hash;
	uint16_t owner_len;
	uint8_t family;
	uint8_t addr[16];
	uint32_t ttl;
};

struct walk {
	struct dns_answer *out;
	uint64_t chain_hash[ANSWER_CHAIN_MAX];
	struct kept_alias aliases[ANSWER_ALIASES_MAX];
	struct kept_svcb svcb[ANSWER_SVCB_MAX];
	struct kept_addr addrs[ANSWER_ADDRS_MAX];
	unsigned naliases, nsvcb, naddrs;
};

static uint64_t name_hash(const struct name *n)
{
	return domainset_hash(n->text, n->len);
}

/* Index of `n` (hash `h`) in the chain, or -1. */
static int chain_find(const struct walk *w, const struct name *n, uint64_t h)
{
	for (unsigned i = 0; i < w->out->nchain; i++) {
		if (w->chain_hash[i] == h && w->out->chain[i].len == n->len &&
		    memcmp(w->out->chain[i].text, n->text, n->len) == 0) {
			return (int)i;
		}
	}
	return -1;
}

static void chain_add(struct walk *w, const struct name *n)
{
	uint64_t h = name_hash(n);
	if (chain_find(w, n, h) >= 0) {
		return; /* a loop, or a second path to a name already there */
	}
	if (w->out->nchain == ANSWER_CHAIN_MAX) {
		w->out->dropped++;
		return;
	}
	w->chain_hash[w->out->nchain] = h;
	w->out->chain[w->out->nchain++] = *n;
}

/* `n` rewritten by a DNAME from `owner` to `target` (RFC 6672 section 2.2), when `n` lies
 * strictly below `owner` and the result fits in a name. */
static bool dname_substitute(const struct name *n, const struct name *owner,
			     const struct name *target, struct name *out)
{
	if (n->nlabels <= owner->nlabels || (owner->nlabels > 0 && !name_is_subdomain(n, owner))) {
		return false;
	}
	/* The labels below owner, without the dot that joins them to it. */
	size_t prefix = owner->nlabels == 0 ? n->len : (size_t)n->len - owner->len - 1;
	char text[NAME_TEXT_MAX * 2 + 2];
	memcpy(text, n->text, prefix);
	size_t len = prefix;
	if (target->nlabels > 0) {
		text[len++] = '.';
		memcpy(text + len, target->text, target->len);
		len += target->len;
	}
	return name_from_text(out, text, len) == 0;
}

/* Index of the chain name with hash `h` and length `len`, or -1. */
static int chain_find_hash(const struct walk *w, uint64_t h, uint16_t len)
{
	for (unsigned i = 0; i < w->out->nchain; i++) {
		if (w->chain_hash[i] == h && w->out->chain[i].len == len) {
			return (int)i;
		}
	}
	return -1;
}

/* What the chain name `i` leads to: its CNAME, the name a DNAME above it synthesises, and the
 * TargetNames of its HTTPS/SVCB records. */
static void chain_step(struct walk *w, unsigned i)
{
	const struct name cur = w->out->chain[i];
	uint64_t h = w->chain_hash[i];
	for (unsigned k = 0; k < w->naliases; k++) {
		const struct kept_alias *a = &w->aliases[k];
		struct name next;
		if (a->type == DNS_TYPE_CNAME && a->owner_hash == h && a->owner.len == cur.len &&
		    memcmp(a->owner.text, cur.text, cur.len) == 0) {
			chain_add(w, &a->target);
		} else if (a->type == DNS_TYPE_DNAME &&
			   dname_substitute(&cur, &a->owner, &a->target, &next)) {
			chain_add(w, &next);
		}
	}
	for (unsigned k = 0; k < w->nsvcb; k++) {
		const struct kept_svcb *v = &w->svcb[k];
		if (v->owner_hash == h && v->owner_len == cur.len && v->has_target) {
			chain_add(w, &v->target);
		}
	}
}

static void add_addr(struct dns_answer *out, uint8_t family, const uint8_t *addr, uint32_t ttl,
		     int owner)
{
	if (out->naddrs == ANSWER_ADDRS_MAX) {
		out->dropped++;
		return;
	}
	struct answer_addr *a = &out->addrs[out->naddrs++];
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->addr, addr, family == 4 ? 4 : 16);
	a->ttl = ttl;
	a->owner = (uint8_t)owner;
}

/* The addresses of a hint (a list of 4- or 16-byte addresses, RFC 9460 section 7.3). */
static bool hint_addrs(struct dns_answer *out, struct rd v, uint8_t family, uint32_t ttl, int owner)
{
	size_t size = family == 4 ? 4 : 16;
	if (rd_left(&v) == 0 || rd_left(&v) % size != 0) {
		return false;
	}
	while (rd_left(&v) > 0) {
		add_addr(out, family, rd_ptr(&v, size), ttl, owner);
	}
	return true;
}

static void add_front(struct dns_answer *out, const struct name *n)
{
	for (unsigned i = 0; i < out->nfronts; i++) {
		if (out->fronts[i].len == n->len &&
		    memcmp(out->fronts[i].text, n->text, n->len) == 0) {
			return;
		}
	}
	if (out->nfronts == ANSWER_FRONTS_MAX) {
		out->dropped++;
		return;
	}
	out->fronts[out->nfronts++] = *n;
}

/*
 * ECHConfigList (draft-ietf-tls-esni section 4): uint16 length { ECHConfig } where
 *   ECHConfig: version (2) | length (2) | contents (length)
 *   contents of version 0xfe0d: config_id (1) | kem_id (2) | public_key <1..2^16-1> |
 *     cipher_suites <4..2^16-4> | maximum_name_length (1) | public_name <1..255> |
 *     extensions <0..2^16-1>
 * Configs of other versions are skipped by their length.
 */
static bool ech_public_names(struct dns_answer *out, struct rd v)
{
	uint16_t total = rd_u16be(&v);
	struct rd list = rd_sub(&v, total);
	if (!rd_done(&v) || total == 0) {
		return false;
	}
	while (rd_left(&list) > 0) {
		uint16_t version = rd_u16be(&list);
		uint16_t clen = rd_u16be(&list);
		struct rd c = rd_sub(&list, clen);
		if (!rd_ok(&list)) {
			return false;
		}
		if (version != ECH_CONFIG_VERSION) {
			continue;
		}
		rd_skip(&c, 1 + 2); /* config_id, kem_id */
		rd_skip(&c, rd_u16be(&c));
		uint16_t suites = rd_u16be(&c);
		rd_skip(&c, suites);
		rd_skip(&c, 1); /* maximum_name_length */
		uint8_t plen = rd_u8(&c);
		const uint8_t *pn = rd_ptr(&c, plen);
		rd_skip(&c, rd_u16be(&c));
		if (!rd_done(&c) || suites < 4 || suites % 4 != 0 || plen == 0) {
			return false;
		}
		struct name n;
		if (name_from_text(&n, (const char *)pn, plen) == 0) {
			add_front(out, &n);
		} else {
			out->dropped++;
		}
	}
	return true;
}

/* An HTTPS/SVCB record of the chain: its hints and ECH configurations. */
static bool svcb_of_chain(const uint8_t *buf, struct dns_answer *out, const struct kept_svcb *v,
			  int owner)
{
	struct rd r = svc_params(buf, v->at.rdata_off, v->at.rdata_len, v->at.params_off);
	struct svc_param p;
	int last = -1;
	bool bad = false, ok = true;
	while (ok && svc_param_next(&r, buf, &last, &p, &bad)) {
		if (p.key == SVC_KEY_IPV4HINT || p.key == SVC_KEY_IPV6HINT) {
			ok = hint_addrs(out, p.value, p.key == SVC_KEY_IPV4HINT ? 4 : 6, v->at.ttl,
					owner);
		} else if (p.key == SVC_KEY_ECH) {
			if (!out->has_ech || v->at.ttl < out->ech_ttl) {
				out->ech_ttl = v->at.ttl;
			}
			out->has_ech = true;
			ok = ech_public_names(out, p.value);
		}
	}
	return ok && !bad;
}

/* ech SvcParams of one record (0 when its parameters do not parse). */
static unsigned ech_count(const uint8_t *buf, const struct dns_rr *rr)
{
	struct rd r = svc_params(buf, rr->rdata_off, rr->rdata_len, rr->params_off);
	struct svc_param p;
	int last = -1;
	bool bad = false;
	unsigned n = 0;
	while (svc_param_next(&r, buf, &last, &p, &bad)) {
		n += p.key == SVC_KEY_ECH;
	}
	return bad ? 0 : n;
}

/* Keep an answer-section record the chain walk needs. */
static void keep(struct walk *w, const struct dns_rr *rr)
{
	if (!rr->owner_ok || rr->rclass != DNS_CLASS_IN) {
		return;
	}
	uint64_t h = name_hash(&rr->owner);
	bool kept = false;
	switch (rr->type) {
	case DNS_TYPE_CNAME:
	case DNS_TYPE_DNAME:
		if (!rr->target_ok) {
			return;
		}
		if (w->naliases < ANSWER_ALIASES_MAX) {
			struct kept_alias *a = &w->aliases[w->naliases++];
			a->owner_hash = h;
			a->type = rr->type;
			a->owner = rr->owner;
			a->target = rr->target;
			kept = true;
		}
		break;
	case DNS_TYPE_SVCB:
	case DNS_TYPE_HTTPS:
		if (w->nsvcb < ANSWER_SVCB_MAX) {
			struct kept_svcb *v = &w->svcb[w->nsvcb++];
			v->owner_hash = h;
			v->owner_len = rr->owner.len;
			v->at.rdata_off = rr->rdata_off;
			v->at.rdata_len = rr->rdata_len;
			v->at.params_off = rr->params_off;
			v->at.ttl = rr->ttl;
			v->has_target = rr->target_ok && !(rr->target.flags & NAME_F_ROOT);
			v->target = rr->target;
			kept = true;
		}
		break;
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		if (w->naddrs < ANSWER_ADDRS_MAX) {
			struct kept_addr *k = &w->addrs[w->naddrs++];
			k->owner_hash = h;
			k->owner_len = rr->owner.len;
			k->family = rr->type == DNS_TYPE_A ? 4 : 6;
			memcpy(k->addr, rr->addr, 16);
			k->ttl = rr->ttl;
			kept = true;
		}
		break;
	default:
		return;
	}
	if (!kept) {
		w->out->dropped++;
	}
}

static void answer_clear(struct dns_answer *out)
{
	out->id = 0;
	out->rcode = 0;
	out->qtype = 0;
	out->tc = out->cut = out->has_ech = false;
	out->ech_ttl = 0;
	out->nchain = out->naddrs = out->nfronts = out->ech_params = out->dropped = 0;
}

enum parse_result dns_answer_parse(const uint8_t *buf, size_t len, bool cut_ok,
				   struct dns_answer *out)
{
	struct walk w; /* about 12 KiB */
	struct dns_msg m;

	answer_clear(out);
	enum parse_result r = dns_msg_parse(buf, len, &m);
	if (r == PARSE_NOT_MINE || !m.is_response) {
		return PARSE_NOT_MINE;
	}
	out->id = m.id;
	out->rcode = m.rcode;
	out->tc = (m.flags & DNS_FLAG_TC) != 0;
	if (r != PARSE_OK) {
		out->cut = cut_ok && m.questions_end == 0;
		return out->cut ? PARSE_OK : PARSE_MALFORMED;
	}
	w.naliases = w.nsvcb = w.naddrs = 0;
	w.out = out;
	if (m.nquestions > 0) {
		out->qtype = m.q[0].qtype;
	}
	bool query = m.opcode == 0 && m.nquestions > 0 && m.q[0].name_ok;
	size_t pos = m.questions_end;
	unsigned total = (unsigned)m.ancount + m.nscount + m.arcount;
	enum parse_result res = PARSE_OK;
	for (unsigned i = 0; i < total; i++) {
		struct dns_rr rr;
		if (dns_rr_next(buf, len, &pos, &rr) != PARSE_OK) {
			if (cut_ok) {
				out->cut = true;
			} else {
				res = PARSE_MALFORMED;
			}
			break;
		}
		if (rr.type == DNS_TYPE_SVCB || rr.type == DNS_TYPE_HTTPS) {
			out->ech_params += ech_count(buf, &rr);
		}
		if (i < m.ancount && query) {
			keep(&w, &rr);
		}
	}
	if (!query) {
		return res;
	}
	chain_add(&w, &m.q[0].name);
	for (unsigned i = 0; i < out->nchain; i++) {
		chain_step(&w, i);
	}
	for (unsigned k = 0; k < w.naddrs; k++) {
		const struct kept_addr *a = &w.addrs[k];
		int owner = chain_find_hash(&w, a->owner_hash, a->owner_len);
		if (owner >= 0) {
			add_addr(out, a->family, a->addr, a->ttl, owner);
		}
	}
	for (unsigned k = 0; k < w.nsvcb; k++) {
		const struct kept_svcb *v = &w.svcb[k];
		int owner = chain_find_hash(&w, v->owner_hash, v->owner_len);
		if (owner >= 0 && !svcb_of_chain(buf, out, v, owner)) {
			res = PARSE_MALFORMED;
		}
	}
	return res;
}

/* Take the ech parameter at [e0, e1) of the parameters ending at `end` out of use: the rest
 * moves up, the parameter goes last, renamed and zeroed. */
static void strip_one(uint8_t *msg, size_t e0, size_t e1, size_t end)
{
	size_t plen = e1 - e0;
	memmove(msg + e0, msg + e1, end - e1);
	uint8_t *p = msg + end - plen;
	p[0] = (uint8_t)(SVC_KEY_STRIPPED >> 8);
	p[1] = (uint8_t)SVC_KEY_STRIPPED;
	p[2] = (uint8_t)((plen - 4) >> 8);
	p[3] = (uint8_t)(plen - 4);
	memset(p + 4, 0, plen - 4);
}

/* Rename every ech parameter of `msg` in place; returns how many. */
static int strip_all(uint8_t *msg, size_t len, const struct dns_msg *m)
{
	size_t pos = m->questions_end;
	unsigned total = (unsigned)m->ancount + m->nscount + m->arcount;
	int stripped = 0;
	for (unsigned i = 0; i < total; i++) {
		struct dns_rr rr;
		if (dns_rr_next(msg, len, &pos, &rr) != PARSE_OK) {
			break; /* the records before it are done; nothing after can be framed */
		}
		if (rr.type != DNS_TYPE_SVCB && rr.type != DNS_TYPE_HTTPS) {
			continue;
		}
		struct rd pr = svc_params(msg, rr.rdata_off, rr.rdata_len, rr.params_off);
		struct svc_param p;
		int last = -1;
		bool bad = false;
		size_t e0 = 0, e1 = 0;
		while (svc_param_next(&pr, msg, &last, &p, &bad)) {
			if (p.key == SVC_KEY_ECH) {
				e0 = p.off;
				e1 = rd_offset(&p.value, msg) + rd_left(&p.value);
			}
		}
		if (!bad && e1 > e0) {
			strip_one(msg, e0, e1, rr.rdata_off + rr.rdata_len);
			stripped++;
		}
	}
	return stripped;
}

/* Do two readings of a response name the same chain with the same addresses? */
static bool same_reading(const struct dns_answer *a, const struct dns_answer *b)
{
	if (a->nchain != b->nchain || a->naddrs != b->naddrs || a->cut != b->cut) {
		return false;
	}
	for (unsigned i = 0; i < a->nchain; i++) {
		if (a->chain[i].len != b->chain[i].len ||
		    memcmp(a->chain[i].text, b->chain[i].text, a->chain[i].len) != 0) {
			return false;
		}
	}
	for (unsigned i = 0; i < a->naddrs; i++) {
		const struct answer_addr *x = &a->addrs[i], *y = &b->addrs[i];
		if (x->family != y->family || x->owner != y->owner ||
		    memcmp(x->addr, y->addr, 16) != 0) {
			return false;
		}
	}
	return true;
}

int dns_strip_ech(const uint8_t *msg, size_t len, uint8_t *out)
{
	struct dns_msg m;
	enum parse_result r = dns_msg_parse(msg, len, &m);
	if (r == PARSE_NOT_MINE || !m.is_response) {
		return -EINVAL;
	}
	memcpy(out, msg, len);
	if (r != PARSE_OK) {
		return 0;
	}
	int stripped = strip_all(out, len, &m);
	if (stripped == 0) {
		return 0;
	}
	/* A name elsewhere in the message may point into the bytes that moved: such a message
	 * is left as it was rather than read one way here and another by the client. */
	struct dns_answer before, after;
	dns_answer_parse(msg, len, true, &before);
	dns_answer_parse(out, len, true, &after);
	if (!same_reading(&before, &after)) {
		memcpy(out, msg, len);
		return 0;
	}
	return stripped;
}
