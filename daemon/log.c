/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Daemon logging: syslog always, stderr too in the foreground; errno is preserved. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static bool log_to_stderr;

void log_open(int facility, bool to_stderr)
{
	openlog("embargod", LOG_PID | LOG_NDELAY, facility);
	log_to_stderr = to_stderr;
}

void log_msg(int priority, const char *tag, const char *fmt, ...)
{
	char line[1024];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	syslog(priority, "%s: %s", tag, line);
	if (log_to_stderr) {
		fprintf(stderr, "embargod: %s: %s\n", tag, line);
	}
	errno = saved;
}
