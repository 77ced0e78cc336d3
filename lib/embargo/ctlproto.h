/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlproto: the control protocol between embargoctl and embargod over a unix stream socket.
 *
 * A request is one line of printable ASCII, at most CTL_REQUEST_MAX bytes with its '\n':
 *     FORMAT SP COMMAND [SP ARGUMENT] LF
 * FORMAT is "text" or "json"; COMMAND is status, stats, reload, clients, addresses, audit or
 * test (which takes a name as ARGUMENT). The reply is a first line "ok" or "error: MESSAGE", then the body in the
 * requested format; the daemon closes the connection after it.
 */
#ifndef EMBARGO_CTLPROTO_H
#define EMBARGO_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/name.h"

#define CTL_REQUEST_MAX 512

enum ctl_cmd {
	CTL_STATUS = 0,
	CTL_STATS,
	CTL_RELOAD,
	CTL_CLIENTS,
	CTL_TEST,
	CTL_ADDRESSES, /* learned and shared addresses, learned ECH fronts */
	CTL_AUDIT,     /* listed names seen answered: ECH configurations, shared addresses */
};

struct ctl_request {
	enum ctl_cmd cmd;
	bool json;
	struct name name; /* CTL_TEST: the name to look up */
};

/*
 * Parse the request at the start of `buf`. Returns 0 (request complete and valid), 1 (no
 * newline yet and fewer than CTL_REQUEST_MAX bytes: read more) or -EINVAL with `*why` set to
 * a short reason. Reads only `len` bytes.
 */
int ctl_parse_request(const uint8_t *buf, size_t len, struct ctl_request *req, const char **why);

/* Write a request line for `cmd` (with `arg` for CTL_TEST) into `out`; returns its length or
 * -EINVAL (an argument that is empty, holds a space or a byte that is not printable ASCII,
 * or a line that does not fit in `size` or CTL_REQUEST_MAX). */
int ctl_format_request(char *out, size_t size, enum ctl_cmd cmd, bool json, const char *arg);

/* Command name ("status", ...) to enum ctl_cmd; -1 when unknown. */
int ctl_cmd_from_str(const char *s);

/* `s` as the inside of a JSON string (quotes, backslashes and control bytes escaped; bytes
 * >= 0x80 escaped as \u00XX so the output is ASCII). Always NUL-terminates when size > 0;
 * returns the length the whole escape needs (like snprintf). */
size_t ctl_json_escape(char *out, size_t size, const char *s);

#endif
