/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kset: learned addresses into nftables sets or ipsets over netlink (libmnl), without
 * waiting; see kset.h. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "kset.h"

/* One operation's messages (a batch begin, the element, a batch end) fit in this. */
#define KSET_MSG_BUF 512
/* The kernel's answers are one small error message each. */
#define KSET_RECV_BUF 8192

struct kset {
	struct mnl_socket *nl;
	enum kset_backend backend;
	uint32_t seq; /* bit 0 of an operation's sequence number: a deletion */
	struct kset_stats st;
};

struct kset *kset_open(enum kset_backend b, char *err, size_t err_size)
{
	struct kset *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	k->backend = b;
	k->seq = (uint32_t)time(NULL) << 1;
	k->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (k->nl == NULL || mnl_socket_bind(k->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, err_size, "netlink socket for the learned-address sets: %s",
			 strerror(errno));
		kset_close(k);
		return NULL;
	}
	return k;
}

void kset_close(struct kset *k)
{
	if (k == NULL) {
		return;
	}
	if (k->nl != NULL) {
		mnl_socket_close(k->nl);
	}
	free(k);
}

int kset_fd(const struct kset *k)
{
	return mnl_socket_get_fd(k->nl);
}

static struct nlmsghdr *put_msg(char *buf, uint16_t type, uint16_t flags, uint32_t seq,
				uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

/* An nftables transaction of one element: NEWSETELEM (with its timeout) or DELSETELEM. */
static size_t nft_op(char *buf, uint32_t seq, const struct learn_op *op)
{
	size_t len = 0;
	struct nlmsghdr *nlh =
		put_msg(buf, NFNL_MSG_BATCH_BEGIN, 0, seq, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	len += NLMSG_ALIGN(nlh->nlmsg_len);
	bool add = op->kind == LEARN_OP_ADD;
	nlh = put_msg(buf + len,
		      (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 |
				 (add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM)),
		      (uint16_t)(NLM_F_ACK | (add ? NLM_F_CREATE : 0)), seq, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, KSET_NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET,
			  op->family == 4 ? KSET_NFT_SET4 : KSET_NFT_SET6);
	struct nlattr *list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	struct nlattr *key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, op->family == 4 ? 4 : 16, op->addr);
	mnl_attr_nest_end(nlh, key);
	if (add) {
		/* Milliseconds, big-endian (as nft writes it). */
		mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT,
				 htobe64((uint64_t)op->timeout_s * 1000));
	}
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, list);
	len += NLMSG_ALIGN(nlh->nlmsg_len);
	nlh = put_msg(buf + len, NFNL_MSG_BATCH_END, 0, seq, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	return len + NLMSG_ALIGN(nlh->nlmsg_len);
}

/* An ipset ADD (with its timeout) or DEL of one element. Without NLM_F_EXCL, an element that
 * is there already gets the new timeout, and deleting one that is not is no error (the
 * "-exist" of the ipset command). */
static size_t ipset_op(char *buf, uint32_t seq, const struct learn_op *op)
{
	bool add = op->kind == LEARN_OP_ADD;
	struct nlmsghdr *nlh = put_msg(
		buf, (uint16_t)(NFNL_SUBSYS_IPSET << 8 | (add ? IPSET_CMD_ADD : IPSET_CMD_DEL)),
		NLM_F_ACK, seq, op->family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6, 0);
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME,
			  op->family == 4 ? KSET_IPSET_SET4 : KSET_IPSET_SET6);
	struct nlattr *data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
	struct nlattr *ip = mnl_attr_nest_start(nlh, IPSET_ATTR_IP);
	mnl_attr_put(nlh,
		     (op->family == 4 ? IPSET_ATTR_IPADDR_IPV4 : IPSET_ATTR_IPADDR_IPV6) |
			     NLA_F_NET_BYTEORDER,
		     op->family == 4 ? 4 : 16, op->addr);
	mnl_attr_nest_end(nlh, ip);
	if (add) {
		mnl_attr_put_u32(nlh, IPSET_ATTR_TIMEOUT | NLA_F_NET_BYTEORDER,
				 htonl(op->timeout_s));
	}
	mnl_attr_nest_end(nlh, data);
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

size_t kset_send(struct kset *k, const struct learn_op *ops, size_t n)
{
	size_t sent = 0;
	for (size_t i = 0; i < n; i++) {
		char buf[KSET_MSG_BUF];
		k->seq += 2;
		uint32_t seq = k->seq | (ops[i].kind == LEARN_OP_DEL ? 1u : 0u);
		size_t len = k->backend == KSET_NFT ? nft_op(buf, seq, &ops[i])
						    : ipset_op(buf, seq, &ops[i]);
		if (mnl_socket_sendto(k->nl, buf, len) < 0) {
			/* EAGAIN (the socket is full: the kernel's answers have not been read)
			 * or worse; the entry is written again by a later tick. */
			k->st.send_failed++;
			continue;
		}
		k->st.sent++;
		sent++;
	}
	return sent;
}

void kset_receive(struct kset *k)
{
	char buf[KSET_RECV_BUF];
	for (unsigned i = 0; i < 64; i++) {
		ssize_t n = mnl_socket_recvfrom(k->nl, buf, sizeof(buf));
		if (n < 0) {
			return; /* EAGAIN: nothing more (or an error nothing can be done about) */
		}
		int left = (int)n;
		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		     mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			/* Only the answers to our operations: an error, or 0 for done. */
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nlmsgerr)) {
				continue;
			}
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			bool del = (e->msg.nlmsg_seq & 1u) != 0;
			if (e->error == 0 || (del && e->error == -ENOENT)) {
				continue;
			}
			k->st.errors++;
			k->st.last_error = -e->error;
		}
	}
}

void kset_get_stats(const struct kset *k, struct kset_stats *st)
{
	*st = k->st;
}
