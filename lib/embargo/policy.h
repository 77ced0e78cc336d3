/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy: a compiled blocklist (rules + the tables they refer to) and the decision for a packet. */
#ifndef EMBARGO_POLICY_H
#define EMBARGO_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/domainset.h"
#include "embargo/fileio.h"
#include "embargo/inspect.h"
#include "embargo/name.h"

/* What is done to a packet. Ordered by severity: a packet with several names gets the most
 * severe action any of them calls for. */
enum action {
	ACTION_NONE = 0, /* no rule applies */
	ACTION_ALLOW,	 /* an exception matched */
	ACTION_ALERT,	 /* monitor mode: pass, but report as if blocked */
	ACTION_DROP,	 /* drop silently */
	ACTION_REJECT,	 /* make the client fail fast (TCP RST, ICMP, forged DNS answer) */
};

/*
 * An immutable compiled policy: the domainset and the tables its rule_meta ids index. Built off
 * to the side (policy_load_* or the config compiler) and swapped in whole on reload.
 */
struct policy {
	struct domainset *ds;
	char **files;	   /* file_id -> path */
	char **vendors;	   /* vendor_id -> name */
	char **categories; /* category_id -> name */
	uint16_t nfiles, nvendors, ncategories;
	enum action nameless_action;   /* for flows that reach their bound with no name */
	enum action unfinished_action; /* for flows whose first message is still incomplete at
					  their bound, or whose state was lost */
	uint32_t generation;	       /* caller's counter, for status output */

	/* From a configuration (all zero/NULL for plain lists): */
	char **vendor_titles;	     /* vendor_id -> full name, or NULL */
	char **vendor_reasons;	     /* vendor_id -> why it is listed, or NULL */
	struct policy_group *groups; /* one per (vendor, category) that has entries */
	uint32_t ngroups;
	/* Clients: when nenforce > 0 only sources inside `enforce` are enforced; sources
	 * inside `exempt` never are. Others pass as if no rule applied. */
	struct policy_prefix *exempt, *enforce;
	uint32_t nexempt, nenforce;
	/* Action for a block rule whose action code is ACTION_NONE ("the protocol's default"),
	 * by protocol; ACTION_NONE here means ACTION_REJECT. */
	enum action proto_action[INSPECT_PROTO_GQUIC + 1];
	/* The built-in DNS-over-HTTPS canary rule's category, when has_canary: blocked DNS
	 * queries for it are always answered NXDOMAIN, as browsers expect. */
	bool has_canary;
	uint16_t canary_category;

	/* DNS responses and ECH (all reloadable): */
	bool responses;		/* DNS responses are inspected (dns-responses inspect) */
	bool cname_cloaking;	/* a response whose chain reaches a listed name is blocked */
	bool strip_ech;		/* ech SvcParams of HTTPS answers are taken out of use */
	enum action ech_action; /* ECH to a known front: ALLOW, ALERT or REJECT (block) */
	uint8_t *vendor_ech; /* vendor_id -> the vendor's own `ech` (ACTION_NONE: none), or NULL */
	/* ECH fronts: built-in and `ech-front` names, by name hash (sorted), with the rule each
	 * stands for (vendor "embargo", category "ech-front", the statement's file and line). */
	uint64_t *front_hashes;
	struct rule_meta *front_rules;
	char **front_names;
	uint32_t nfronts;
	/* learn-from: when nlearn_from > 0, only answers from these resolvers teach addresses. */
	struct policy_prefix *learn_from;
	uint32_t nlearn_from;
};

/* An address prefix (client scope). */
struct policy_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t plen;
	uint8_t addr[16];
};

/* Rules of one vendor in one category, for summaries (check-config, reload diff). */
struct policy_group {
	uint16_t vendor_id, category_id;
	uint32_t entries;    /* block entries */
	uint32_t exceptions; /* allow entries */
	uint32_t skipped;    /* imported lines that were not rules (comments, other syntax) */
	enum action action;  /* ACTION_NONE: the protocol's default */
	bool enabled;	     /* false: switched off, its entries are not in the set */
};

/* What a rule's ids stand for in its policy's tables. */
struct policy_rule_names {
	const char *file, *vendor, *category;
	const char *vendor_title, *vendor_reason; /* from a configuration, else NULL */
};

/* Resolve `m`'s ids; a field is NULL when its id lies outside the table (every field when `m`
 * is NULL). */
void policy_rule_names(const struct policy *p, const struct rule_meta *m,
		       struct policy_rule_names *out);

/* True when `addr` (4 or 16 bytes by `family`) lies inside `pf`. */
bool policy_prefix_match(const struct policy_prefix *pf, uint8_t family, const uint8_t *addr);

/* True when the policy enforces on packets from this client (see exempt/enforce). */
bool policy_client_enforced(const struct policy *p, uint8_t family, const uint8_t *addr);

/* The decision for one inspected packet. */
struct policy_decision {
	enum action action;
	const struct rule_meta *rule; /* the rule behind `action`, NULL for ACTION_NONE */
	unsigned name_index;	      /* index into the result's names[] of the deciding name */
};

/*
 * Decide for an inspected packet: looks up every name, keeps the most severe action (ties: the
 * first name). Non-NAMED results give ACTION_NONE, except NAMELESS and MALFORMED, which give the
 * policy's nameless_action, and UNFINISHED, which gives its unfinished_action (ACTION_NONE
 * there means reject). A client outside the policy's scope (policy_client_enforced) gets
 * ACTION_NONE. Reads only the fields of `r` (pkt, proto, state, nnames, names[]); `d` is always
 * filled.
 */
void policy_decide(const struct policy *p, const struct inspect_result *r,
		   struct policy_decision *d);

/*
 * The rule for one name (what `embargoctl test NAME` shows). ACTION_NONE when none applies;
 * ACTION_ALLOW for an allow rule; otherwise the block rule's action code, where a code that is
 * not ALERT, DROP or REJECT counts as REJECT (the name is listed, so fail closed). `rule` may be
 * NULL; otherwise it gets the rule, or NULL.
 */
enum action policy_lookup(const struct policy *p, const struct name *n,
			  const struct rule_meta **rule);

/* policy_lookup for a name seen in protocol `proto`: a block rule that names no action gets
 * the policy's default for that protocol. */
enum action policy_lookup_proto(const struct policy *p, const struct name *n,
				enum inspect_proto proto, const struct rule_meta **rule);

/* Is `n` a known ECH front (built in, or an `ech-front` of the configuration)? `rule` (may be
 * NULL) gets the rule it stands for. */
bool policy_front(const struct policy *p, const struct name *n, const struct rule_meta **rule);

/* The ECH policy for hellos to a front: the vendor's own `ech` when `vendor_id` names a vendor
 * that has one, else the global `ech`. ACTION_ALLOW, ACTION_ALERT or ACTION_REJECT. */
enum action policy_ech_action(const struct policy *p, int vendor_id);

/* Do answers from the resolver `addr` teach addresses (learn-from)? */
bool policy_learns_from(const struct policy *p, uint8_t family, const uint8_t *addr);

/* Largest plain domain list read, in bytes: about ten million names. A bigger file is refused
 * rather than read into memory. */
#define POLICY_LIST_BYTES_MAX (256u * 1024u * 1024u)

/*
 * Load plain domain lists, in the grammar of `import plain` (README, "Plain lists"): one
 * entry per line, '#' comments, blanks ignored; a name, "*.name" or ".name".
 * Each name blocks itself and every name below it (action REJECT, vendor = the file's base name
 * without its extension, category "listed"); a name listed twice keeps its first line.
 * nameless_action is ACTION_NONE.
 *
 * On success returns 0 and sets *out. On failure *out is untouched, a message is written to
 * `err` (size `err_size`; NULL or 0 for none) and the result is -EINVAL for a bad entry
 * ("path:line:column: message", as `import plain` reports it) or too many files, -EFBIG for a
 * file over POLICY_LIST_BYTES_MAX, -ENOMEM, or -errno for I/O ("path: strerror text"). Several
 * paths may be given (at most UINT16_MAX), read through `io`.
 */
int policy_load_domain_lists(const struct file_io *io, const char *const *paths, size_t npaths,
			     struct policy **out, char *err, size_t err_size);

/* Empty policy (no rules): everything passes. NULL on allocation failure. */
struct policy *policy_new_empty(void);

/* Free a policy and everything it holds. NULL is ignored. */
void policy_free(struct policy *p);

/* "none", "allow", "alert", "drop", "reject"; "?" for any other value. */
const char *action_str(enum action a);

#endif
