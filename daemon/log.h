/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log: the daemon's own messages, to syslog and, in the foreground, to stderr. */
#ifndef EMBARGOD_LOG_H
#define EMBARGOD_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Open syslog with `facility`; `to_stderr` also copies every line to standard error. */
void log_open(int facility, bool to_stderr);

/* One line at `priority` (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO) with a subsystem tag. */
void log_msg(int priority, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
