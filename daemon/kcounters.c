/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's counts for the daemon's queues: nfnetlink_queue's per-queue statistics from
 * /proc, and the firewall's queue rules' packet counters from nf_tables over netlink (with
 * nfqueue.c, the files that include the netlink libraries). */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>

#include "kcounters.h"

#define KCOUNTERS_PROC "/proc/net/netfilter/nfnetlink_queue"
/* A rule dump of one short chain fits easily; the buffer takes the largest datagram a dump
 * sends. */
#define KCOUNTERS_DUMP_BUF 32768
/* A dump is answered within the request; this only bounds a kernel that does not answer. */
#define KCOUNTERS_TIMEOUT_MS 200
/* One line of the /proc file: nine numbers. */
#define KCOUNTERS_LINE_MAX 128

struct kcounters {
	int proc_fd; /* -1 when the file could not be opened */
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char buf[KCOUNTERS_DUMP_BUF];
};

struct kcounters *kcounters_open(void)
{
	struct kcounters *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		return NULL;
	}
	k->seq = (uint32_t)time(NULL);
	/* Mode 0440, root: opened now, read again with lseek while the daemon runs as its
	 * user. */
	k->proc_fd = open(KCOUNTERS_PROC, O_RDONLY | O_CLOEXEC);
	k->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (k->nl != NULL && mnl_socket_bind(k->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(k->nl);
		k->nl = NULL;
	}
	if (k->nl != NULL) {
		k->portid = mnl_socket_get_portid(k->nl);
		struct timeval tv = {0, KCOUNTERS_TIMEOUT_MS * 1000};
		setsockopt(mnl_socket_get_fd(k->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	return k;
}

void kcounters_close(struct kcounters *k)
{
	if (k == NULL) {
		return;
	}
	if (k->proc_fd != -1) {
		close(k->proc_fd);
	}
	if (k->nl != NULL) {
		mnl_socket_close(k->nl);
	}
	free(k);
}

/* ---- /proc/net/netfilter/nfnetlink_queue ---- */

/* One line: "queue portid waiting copy_mode copy_range queue_dropped user_dropped id_sequence 1". */
static void proc_line(const char *line, uint16_t first, unsigned n, struct kcounters_queue *out)
{
	unsigned num, portid, waiting, mode, range, dropped, user, seq;
	if (sscanf(line, "%u %u %u %u %u %u %u %u", &num, &portid, &waiting, &mode, &range,
		   &dropped, &user, &seq) != 8 ||
	    num < first || num - first >= n) {
		return;
	}
	struct kcounters_queue *q = &out[num - first];
	q->bound = true;
	q->waiting = waiting;
	q->queue_full = dropped;
	q->socket_full = user;
	q->id_sequence = seq;
}

int kcounters_read_queues(struct kcounters *k, uint16_t first, unsigned n,
			  struct kcounters_queue *out)
{
	memset(out, 0, n * sizeof(*out));
	if (k->proc_fd == -1) {
		return -ENOENT;
	}
	if (lseek(k->proc_fd, 0, SEEK_SET) == -1) {
		return -errno;
	}
	char line[KCOUNTERS_LINE_MAX];
	size_t have = 0;
	for (;;) {
		ssize_t got = read(k->proc_fd, k->buf, sizeof(k->buf));
		if (got == -1 && errno == EINTR) {
			continue;
		}
		if (got == -1) {
			return -errno;
		}
		if (got == 0) {
			break;
		}
		for (ssize_t i = 0; i < got; i++) {
			if (k->buf[i] != '\n') {
				if (have + 1 < sizeof(line)) {
					line[have++] = k->buf[i];
				}
				continue;
			}
			line[have] = '\0';
			proc_line(line, first, n, out);
			have = 0;
		}
	}
	return 0;
}

/* ---- the queue rules' counters (nf_tables) ---- */

/* What one rule does, as far as counting goes. */
struct rule_seen {
	bool queues;	  /* a queue expression (nft) or an NFQUEUE target (iptables-nft) */
	bool drops;	  /* an immediate drop verdict */
	bool counted;	  /* it has a counter */
	uint64_t packets; /* the counter's packets */
};

struct dump_ctx {
	struct kcounters_rules *sum;
	bool found; /* a queue rule was seen */
};

/* The nested attribute of type `type` directly inside `nest`, or NULL. */
static const struct nlattr *nested_get(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;
	mnl_attr_for_each_nested(a, nest)
	{
		if (mnl_attr_get_type(a) == type) {
			return a;
		}
	}
	return NULL;
}

/* A string attribute's value, or NULL when it is not NUL-terminated. */
static const char *attr_str(const struct nlattr *a)
{
	if (a == NULL || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) != 0) {
		return NULL;
	}
	return mnl_attr_get_str(a);
}

/* One expression of a rule (an NFTA_LIST_ELEM). */
static void expr_seen(const struct nlattr *elem, struct rule_seen *r)
{
	const char *name = attr_str(nested_get(elem, NFTA_EXPR_NAME));
	const struct nlattr *data = nested_get(elem, NFTA_EXPR_DATA);
	if (name == NULL || data == NULL) {
		return;
	}
	if (strcmp(name, "counter") == 0) {
		const struct nlattr *p = nested_get(data, NFTA_COUNTER_PACKETS);
		if (p != NULL && mnl_attr_get_payload_len(p) >= sizeof(uint64_t)) {
			r->counted = true;
			r->packets = be64toh(mnl_attr_get_u64(p));
		}
	} else if (strcmp(name, "queue") == 0) {
		r->queues = true;
	} else if (strcmp(name, "target") == 0) {
		const char *t = attr_str(nested_get(data, NFTA_TARGET_NAME));
		r->queues = r->queues || (t != NULL && strcmp(t, "NFQUEUE") == 0);
	} else if (strcmp(name, "immediate") == 0) {
		const struct nlattr *d = nested_get(data, NFTA_IMMEDIATE_DATA);
		const struct nlattr *v = d != NULL ? nested_get(d, NFTA_DATA_VERDICT) : NULL;
		const struct nlattr *c = v != NULL ? nested_get(v, NFTA_VERDICT_CODE) : NULL;
		if (c != NULL && mnl_attr_get_payload_len(c) >= sizeof(uint32_t) &&
		    (int32_t)ntohl(mnl_attr_get_u32(c)) == NF_DROP) {
			r->drops = true;
		}
	}
}

/* One NFT_MSG_NEWRULE message of the dump: a queue rule's counter goes to `queued`, a drop
 * rule's (in these chains, only the admission rules drop) to `admission_dropped`. */
static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	struct rule_seen r = {false, false, false, 0};
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) != NFTA_RULE_EXPRESSIONS) {
			continue;
		}
		const struct nlattr *e;
		mnl_attr_for_each_nested(e, a)
		{
			if (mnl_attr_get_type(e) == NFTA_LIST_ELEM) {
				expr_seen(e, &r);
			}
		}
	}
	if (r.queues) {
		ctx->found = true;
		ctx->sum->queued += r.packets;
	} else if (r.drops && r.counted) {
		ctx->sum->admission_dropped += r.packets;
	}
	return MNL_CB_OK;
}

/* Dump the rules of `chain` in `table` of `family` into `ctx`. A table or chain that does not
 * exist is not an error. Returns 0 or -errno. */
static int dump_chain(struct kcounters *k, uint8_t family, const char *table, const char *chain,
		      struct dump_ctx *ctx)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(k->buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++k->seq;
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
	if (mnl_socket_sendto(k->nl, nlh, nlh->nlmsg_len) < 0) {
		return -errno;
	}
	const uint32_t seq = k->seq;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(k->nl, k->buf, sizeof(k->buf));
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		int rc = mnl_cb_run(k->buf, (size_t)n, seq, k->portid, rule_cb, ctx);
		if (rc == MNL_CB_STOP) {
			return 0;
		}
		if (rc == MNL_CB_ERROR) {
			if (errno == ESRCH) {
				continue; /* the rest of an earlier dump that timed out */
			}
			return errno == ENOENT ? 0 : -errno;
		}
	}
}

int kcounters_read_rules(struct kcounters *k, struct kcounters_rules *out)
{
	static const struct {
		uint8_t family;
		const char *table, *chain;
	} chains[] = {
		{NFPROTO_IPV4, "mangle", "EMBARGO_Q"},
		{NFPROTO_IPV6, "mangle", "EMBARGO_Q"},
		{NFPROTO_INET, "embargo", "queue_packet"},
	};
	struct dump_ctx ctx = {out, false};
	memset(out, 0, sizeof(*out));
	if (k->nl == NULL) {
		return -ENOTCONN;
	}
	for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
		int rc = dump_chain(k, chains[i].family, chains[i].table, chains[i].chain, &ctx);
		if (rc != 0) {
			return rc;
		}
	}
	return ctx.found ? 0 : -ENOENT;
}
