/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Daemon logging: syslog lines sent without waiting (lost ones counted and reported), with a
 * copy on stderr in the foreground; errno is preserved. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_SOCKET_PATH "/dev/log"
#define LOG_IDENT	"embargod"
/* Text of one line (tag included); alert lines with long names and rule paths fit. */
#define LOG_TEXT_MAX 2048
/* After a failed connect, the next attempt waits this long (one per line would be a syscall
 * storm while no syslog daemon runs). */
#define LOG_RECONNECT_S 1

static struct {
	pthread_mutex_t lock;
	int fd; /* datagram socket connected to /dev/log, -1 when not connected */
	int facility;
	bool to_stderr;
	bool stderr_is_socket; /* journald's stream: sent with MSG_DONTWAIT too */
	time_t reconnect_at;
	uint64_t sent, lost;
	uint64_t unreported; /* lost lines no log-lost line has reported yet */
	time_t lost_since;   /* when the first of them was lost */
} L = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .facility = LOG_DAEMON};

/* Connect to the syslog socket unless a recent attempt failed. Lock held. */
static bool connect_locked(time_t now)
{
	if (L.fd != -1) {
		return true;
	}
	if (now < L.reconnect_at) {
		return false;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = LOG_SOCKET_PATH};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		L.reconnect_at = now + LOG_RECONNECT_S;
		return false;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		L.reconnect_at = now + LOG_RECONNECT_S;
		return false;
	}
	L.fd = fd;
	return true;
}

/* One datagram to syslog without waiting: true when the socket took it. A socket whose
 * reader went away (a restarted syslog daemon) is connected again, once. Lock held. */
static bool send_locked(const char *buf, size_t len, time_t now)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		if (!connect_locked(now)) {
			return false;
		}
		if (send(L.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			return true;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
			return false; /* full: the reader is slow or stalled */
		}
		close(L.fd);
		L.fd = -1;
	}
	return false;
}

/* "<PRI>Mmm dd hh:mm:ss embargod[PID]: " as syslog(3) writes it, into `out`; returns the
 * offset of "embargod[" (what the stderr copy starts with). */
static size_t format_header(char *out, size_t size, int priority, time_t now, size_t *len)
{
	struct tm tm;
	char stamp[32] = "";
	if (localtime_r(&now, &tm) != NULL) {
		strftime(stamp, sizeof(stamp), "%b %e %T", &tm);
	}
	int pri = (priority & LOG_PRIMASK) |
		  ((priority & LOG_FACMASK) != 0 ? (priority & LOG_FACMASK) : L.facility);
	int a = snprintf(out, size, "<%d>%s ", pri, stamp);
	int b = snprintf(out + a, size - (size_t)a, "%s[%ld]: ", LOG_IDENT, (long)getpid());
	*len = (size_t)a + (size_t)b;
	return (size_t)a;
}

struct log_line {
	char buf[LOG_TEXT_MAX + 128];
	size_t len;
	size_t ident_at; /* where the stderr copy starts */
};

static void line_format(struct log_line *l, int priority, time_t now, const char *tag,
			const char *text)
{
	l->ident_at = format_header(l->buf, sizeof(l->buf), priority, now, &l->len);
	int n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s: %s\n", tag, text);
	l->len += n > 0 ? (size_t)n : 0;
	if (l->len >= sizeof(l->buf)) {
		l->len = sizeof(l->buf) - 1;
		l->buf[l->len - 1] = '\n';
	}
}

static void copy_to_stderr(const struct log_line *l)
{
	const char *p = l->buf + l->ident_at;
	size_t len = l->len - l->ident_at;
	if (L.stderr_is_socket) {
		send(STDERR_FILENO, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} else {
		ssize_t n = write(STDERR_FILENO, p, len);
		(void)n;
	}
}

/* The log-lost line, when lines were lost and the socket takes lines again. Lock held; the
 * line is also returned in `summary` (len 0 when none was sent) for the stderr copy. */
static void report_lost_locked(time_t now, struct log_line *summary)
{
	summary->len = 0;
	if (L.unreported == 0) {
		return;
	}
	char text[256];
	uint64_t secs = now > L.lost_since ? (uint64_t)(now - L.lost_since) : 0;
	snprintf(text, sizeof(text),
		 "lines=%" PRIu64 " seconds=%" PRIu64 " (%" PRIu64
		 " log lines were not written: the syslog socket did not take them)",
		 L.unreported, secs, L.unreported);
	struct log_line l;
	line_format(&l, LOG_WARNING, now, "log-lost", text);
	if (send_locked(l.buf, l.len - 1, now)) {
		L.sent++;
		L.unreported = 0;
		*summary = l;
	}
}

static void log_text(int priority, const char *tag, const char *text)
{
	time_t now = time(NULL);
	struct log_line l, summary;
	line_format(&l, priority, now, tag, text);
	pthread_mutex_lock(&L.lock);
	report_lost_locked(now, &summary);
	/* Syslog datagrams carry no newline. */
	if (send_locked(l.buf, l.len - 1, now)) {
		L.sent++;
	} else {
		if (L.unreported == 0) {
			L.lost_since = now;
		}
		L.lost++;
		L.unreported++;
	}
	bool to_stderr = L.to_stderr;
	pthread_mutex_unlock(&L.lock);
	if (to_stderr) {
		if (summary.len > 0) {
			copy_to_stderr(&summary);
		}
		copy_to_stderr(&l);
	}
}

void log_open(int facility, bool to_stderr)
{
	struct stat st;
	pthread_mutex_lock(&L.lock);
	L.facility = facility;
	L.to_stderr = to_stderr;
	L.stderr_is_socket = fstat(STDERR_FILENO, &st) == 0 && S_ISSOCK(st.st_mode);
	L.reconnect_at = 0;
	connect_locked(time(NULL));
	pthread_mutex_unlock(&L.lock);
}

void log_close(void)
{
	pthread_mutex_lock(&L.lock);
	if (L.fd != -1) {
		close(L.fd);
		L.fd = -1;
	}
	pthread_mutex_unlock(&L.lock);
}

void log_msg(int priority, const char *tag, const char *fmt, ...)
{
	char text[LOG_TEXT_MAX];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_text(priority, tag, text);
	errno = saved;
}

void log_tick(void)
{
	struct log_line summary;
	int saved = errno;
	pthread_mutex_lock(&L.lock);
	report_lost_locked(time(NULL), &summary);
	bool to_stderr = L.to_stderr;
	pthread_mutex_unlock(&L.lock);
	if (to_stderr && summary.len > 0) {
		copy_to_stderr(&summary);
	}
	errno = saved;
}

void log_get_totals(struct log_totals *t)
{
	pthread_mutex_lock(&L.lock);
	t->sent = L.sent;
	t->lost = L.lost;
	pthread_mutex_unlock(&L.lock);
}
