/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What control.c (connections) and control_cmd.c (commands) share: the reply buffer and the
 * command dispatch. */
#ifndef EMBARGOD_CONTROL_PRIV_H
#define EMBARGOD_CONTROL_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "embargo/ctlproto.h"

/* A growing reply buffer; `failed` once an allocation failed (the reply is then an error). */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run the request `req` with the daemon's operations `ops` and write its reply body into `b`.
 * Returns true, or false with the reason in `*why` (pointing into static or daemon storage). */
bool control_command(const struct control_ops *ops, const struct ctl_request *req, struct sbuf *b,
		     const char **why);

#endif
