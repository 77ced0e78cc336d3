/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control: embargoctl's socket (control.c: connections) and its commands (control_cmd.c). */
#ifndef EMBARGOD_CONTROL_H
#define EMBARGOD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon_priv.h"
#include "embargo/ctlproto.h"

/* A growing reply buffer; `failed` once an allocation failed (the reply is then an error). */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run the request `req` and write its reply body into `b`. Returns true, or false with the
 * reason in `*why` (pointing into static or daemon storage). */
bool control_command(struct daemon *d, const struct ctl_request *req, struct sbuf *b,
		     const char **why);

#endif
