/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Duplicates across vendors and categories: a rule for a name and match that already have one
 * from another vendor or category is kept aside as a shadow, and which of them stands is
 * settled once domainset_builder_filter has said which rules stay. */
#include <errno.h>
#include <string.h>

#include "domainset_build.h"
#include "reserve.h"

/* The key of (name hash, slot) in the builder's set of shadowed rules; never 0. */
static uint64_t ds_shadow_key(uint64_t h, unsigned slot)
{
	uint64_t k = h ^ (slot == DS_F_SSLOT ? 0x5bd1e9955bd1e995u : 0);
	return k != 0 ? k : 1;
}

bool ds_has_shadows(const struct domainset_builder *b, uint64_t h, unsigned slot)
{
	return ds_keyset_has(&b->shadowed, ds_shadow_key(h, slot));
}

int ds_shadow_add(struct domainset_builder *b, const struct name *n, uint64_t h, unsigned slot,
		  const struct rule_meta *meta)
{
	void *p = b->shadows, *t = b->stext;
	if (array_reserve(&p, &b->shadows_cap, b->nshadows + 1, sizeof(struct ds_shadow)) != 0) {
		return -ENOMEM;
	}
	b->shadows = p;
	if (b->stext_len + n->len > UINT32_MAX ||
	    array_reserve(&t, &b->stext_cap, b->stext_len + n->len, 1) != 0) {
		return -ENOMEM;
	}
	b->stext = t;
	if (ds_keyset_put(&b->shadowed, ds_shadow_key(h, slot)) != 0) {
		return -ENOMEM;
	}
	memcpy(b->stext + b->stext_len, n->text, n->len);
	b->shadows[b->nshadows++] = (struct ds_shadow){
		.meta = *meta,
		.hash = h,
		.text_off = (uint32_t)b->stext_len,
		.len = (uint8_t)n->len,
		.slot = (uint8_t)slot,
	};
	b->stext_len += n->len;
	return 0;
}

void ds_shadows_resolve(struct domainset_builder *b, domainset_keep_fn *keep, void *ctx)
{
	struct domainset *ds = &b->ds;
	for (size_t i = 0; i < b->nshadows; i++) {
		struct ds_shadow *s = &b->shadows[i];
		if (keep != NULL && !keep(ctx, &s->meta)) {
			continue;
		}
		const uint32_t off =
			ds_find(ds, s->hash, (const char *)b->stext + s->text_off, s->len, NULL);
		uint8_t *rec = ds->arena + off;
		const unsigned valid = s->slot == DS_F_XSLOT ? DS_F_EXACT : DS_F_SUFFIX;
		struct rule_meta *m = ds_rec_slot(rec, s->slot);
		if ((rec[1] & valid) == 0 || ds_is_replaced_by(m, &s->meta)) {
			*m = s->meta;
			rec[1] |= (uint8_t)valid;
		}
	}
	b->nshadows = 0;
}
