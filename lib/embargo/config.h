/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: embargod.conf and the vendor files it includes (blocklist.d/) compiled into daemon
 * settings and a policy. The grammar is documented in README.md and conf/embargod.conf.
 */
#ifndef EMBARGO_CONFIG_H
#define EMBARGO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/fileio.h"
#include "embargo/policy.h"

/* Which settings a configuration gave (struct config_settings.set bits). */
enum config_set {
	CFG_QUEUE = 1u << 0,
	CFG_FAIL = 1u << 1,
	CFG_USER = 1u << 2,
	CFG_PID_FILE = 1u << 3,
	CFG_CONTROL_SOCKET = 1u << 4,
	CFG_CONTROL_GROUP = 1u << 5,
	CFG_LOG_FACILITY = 1u << 6,
	CFG_LOG_RATE = 1u << 7,
	CFG_LOG_WINDOW = 1u << 8,
	CFG_DNS_ANSWER = 1u << 9,
	CFG_SINKHOLE_V4 = 1u << 10,
	CFG_SINKHOLE_V6 = 1u << 11,
	CFG_NAMELESS = 1u << 12,
	CFG_FLOW_PACKETS = 1u << 13,
	CFG_FLOW_TIMEOUT = 1u << 14,
	CFG_OVERFLOW = 1u << 15,
	CFG_UNFINISHED = 1u << 16,
	CFG_SOURCE_RATE = 1u << 17,
	CFG_FLOW_FLOWS = 1u << 18,
	CFG_FLOW_BUFFERS = 1u << 19,
	CFG_DNS_EDE = 1u << 20,
	CFG_DNS_RESPONSES = 1u << 21,
	CFG_CNAME_CLOAKING = 1u << 22,
	CFG_LEARN_ADDRESSES = 1u << 23,
	CFG_LEARN_ENTRIES = 1u << 24,
	CFG_LEARN_GRACE = 1u << 25,
	CFG_ECH = 1u << 26,
	CFG_STRIP_ECH = 1u << 27,
};

/* learn-limit bounds: learned addresses per family, and the grace in seconds. */
#define CONFIG_LEARN_ENTRIES_MAX (1u << 20)
#define CONFIG_LEARN_GRACE_MAX	 86400

/* Where learned addresses go (learn-addresses). */
enum config_learn {
	CONFIG_LEARN_OFF = 0, /* nothing is learned */
	CONFIG_LEARN_NFT,     /* nftables sets learned4/learned6 of table inet embargo */
	CONFIG_LEARN_IPSET,   /* ipsets embargo-learned4/embargo-learned6 (iptables backend) */
};

/* Bounds of `flow-limit flows N` and `flow-limit buffers N` (per queue; a flow takes about 400
 * bytes, a buffer 20 KiB and its QUIC state). */
#define CONFIG_FLOWS_MIN   16
#define CONFIG_FLOWS_MAX   1048576
#define CONFIG_BUFFERS_MIN 2
#define CONFIG_BUFFERS_MAX 32768

#define CONFIG_PATH_MAX	 256
#define CONFIG_IDENT_MAX 64

/* NFQUEUE numbers one embargod serves at most (one worker each). */
#define CONFIG_QUEUES_MAX 64

/* `queue N` or `queue A-B`. */
struct config_queue {
	uint16_t first, last;
};

/* Daemon settings (their table is in settings.h); only those whose bit is in `set` were given.
 * Strings are NUL-terminated, empty for none. */
struct config_settings {
	uint32_t set;
	struct config_queue queue;
	bool fail_closed;
	bool overflow_accept; /* packets that find the queue full pass unseen (else dropped) */
	char user[CONFIG_IDENT_MAX];
	char pid_file[CONFIG_PATH_MAX];
	char control_socket[CONFIG_PATH_MAX];
	char control_group[CONFIG_IDENT_MAX];
	int log_facility;      /* LOG_DAEMON, LOG_LOCAL0, ... */
	uint32_t log_rate;     /* alert lines per second at most, 0 = no cap */
	uint32_t log_window_s; /* repeats of one (client, name) within it are summarised */
	int dns_answer;	       /* enum dns_reply_kind */
	uint8_t sinkhole_v4[4];
	uint8_t sinkhole_v6[16];
	enum action nameless_action;
	enum action unfinished_action;
	uint32_t source_rate;	 /* firewall: packets per second one client may queue */
	uint32_t flow_packets;	 /* client packets with payload inspected per flow */
	uint32_t flow_timeout_s; /* idle seconds before an undecided flow is forgotten */
	uint32_t flows_max;	 /* flows followed at once, per queue */
	uint32_t buffers_max;	 /* reassembly buffers, per queue */
	uint16_t dns_ede;	 /* Extended DNS Error INFO-CODE of forged answers, 0: none */
	bool dns_responses;	 /* DNS responses are inspected */
	bool cname_cloaking;	 /* a response whose chain reaches a listed name is blocked */
	int learn_addresses;	 /* enum config_learn */
	uint32_t learn_entries;	 /* learned addresses per family at most */
	uint32_t learn_grace_s;	 /* added to an answer's TTL */
	enum action ech_action;	 /* ALLOW, ALERT or REJECT (block): ECH to a known front */
	bool strip_ech;		 /* ech SvcParams of HTTPS answers are taken out */
};

/* "off", "nft", "ipset" (enum config_learn); "?" otherwise. */
const char *config_learn_str(int v);
/* "allow", "alert", "block" for ACTION_ALLOW, ACTION_ALERT, ACTION_REJECT; "?" otherwise. */
const char *config_ech_str(enum action a);

/* Options of config_load. */
enum config_flags {
	/* Refuse `include` and `import` (for parsing untrusted text, e.g. when fuzzing). */
	CONFIG_NO_FILES = 1u << 0,
};

/* Include depth and the number of files one configuration may read. */
#define CONFIG_INCLUDE_DEPTH 16
#define CONFIG_FILES_MAX     1024

/*
 * Load the configuration at `path` (and everything it includes and imports), read through
 * `io`. On success
 * returns 0, fills `*s` and sets `*out` to a new policy. On failure returns a negative errno
 * value, leaves `*out` untouched and writes one line to `err`, "file:line:column: message"
 * for a syntax or value error, "file: message" for a file that cannot be read.
 */
int config_load(const char *path, unsigned flags, const struct file_io *io,
		struct config_settings *s, struct policy **out, char *err, size_t err_size);

/* The same for text already in memory; `name` is the file name messages use, and includes
 * and imports are resolved relative to the current directory (`io` NULL: refused, as with
 * CONFIG_NO_FILES). */
int config_load_buffer(const char *name, const char *buf, size_t len, unsigned flags,
		       const struct file_io *io, struct config_settings *s, struct policy **out,
		       char *err, size_t err_size);

/* Action keyword ("reject", "drop", "alert", "allow") to enum action; -1 when unknown. */
int config_action_from_str(const char *s);

#endif
