/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log: the daemon's lines to syslog without ever waiting for it, and, in the foreground, a copy
 * on stderr.
 *
 * Lines go to /dev/log as syslog(3) writes them ("<PRI>Mmm dd hh:mm:ss embargod[PID]: text")
 * over a datagram socket of our own, sent with MSG_DONTWAIT: when the syslog daemon stops
 * reading, a line it does not take is counted as lost instead of stopping the caller, and once
 * it takes lines again a "log-lost:" line says how many were lost. Thread-safe; the lock is
 * held only around non-blocking sends.
 */
#ifndef EMBARGOD_LOG_H
#define EMBARGOD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* Send to syslog with `facility` (LOG_DAEMON, LOG_LOCAL0...); `to_stderr` also copies every
 * line to standard error. Connecting is retried when a send finds no syslog socket. */
void log_open(int facility, bool to_stderr);

/* Close the syslog socket (a later line opens it again). */
void log_close(void);

/* One line at `priority` (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO) with a subsystem tag,
 * "tag: text". errno is preserved. */
void log_msg(int priority, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Call about once a second: writes the "log-lost:" line when lines were lost and the socket
 * takes lines again. */
void log_tick(void);

struct log_totals {
	uint64_t sent; /* lines the syslog socket took, "log-lost:" lines included */
	uint64_t lost; /* lines it did not take (full, or no syslog listening) */
};
void log_get_totals(struct log_totals *t);

#endif
