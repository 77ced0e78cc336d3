/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Daemon logging: syslog always, with a copy on stderr in the foreground; errno is preserved. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void log_open(int facility, bool to_stderr)
{
	/* LOG_PERROR also copies every line, alerts included, to standard error. */
	openlog("embargod", LOG_PID | LOG_NDELAY | (to_stderr ? LOG_PERROR : 0), facility);
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
	errno = saved;
}
