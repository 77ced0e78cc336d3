/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket: embargoctl's connections, served as events on the main loop.
 *
 * Nothing here waits for a client. The listening socket and every accepted connection are
 * non-blocking; a connection is read as its bytes arrive, and its whole request must be in
 * within CONTROL_REQUEST_DEADLINE_MS of the accept (a client sending a byte a second gets an
 * error and is closed, it cannot hold the loop). The reply is written as the client reads it,
 * within CONTROL_REPLY_DEADLINE_MS. At most CONTROL_CONNS_MAX connections are open; beyond
 * that, and for a second after accept fails for lack of descriptors, new ones wait in the
 * listen backlog.
 */
#include <errno.h>
#include <event2/event.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_priv.h"
#include "log.h"

#define CONTROL_CONNS_MAX	    32
#define CONTROL_BACKLOG		    64
#define CONTROL_REQUEST_DEADLINE_MS 2000
#define CONTROL_REPLY_DEADLINE_MS   5000
/* After EMFILE/ENFILE: stop accepting this long, then try again. */
#define CONTROL_ACCEPT_PAUSE_MS 1000

struct conn {
	struct control *ctl;
	int fd;
	struct event *io;	/* EV_READ while the request comes in, then EV_WRITE */
	struct event *deadline; /* request, then reply deadline */
	uint8_t req[CTL_REQUEST_MAX];
	size_t req_len;
	bool replying;
	struct sbuf out; /* head line and body */
	size_t out_off;	 /* bytes of out already sent */
	struct conn *prev, *next;
};

struct control {
	struct event_base *base;
	struct control_ops ops; /* the daemon's, for the commands */
	int fd;
	struct event *accept_ev;
	struct event *resume_ev; /* ends a pause after EMFILE/ENFILE */
	bool accepting;		 /* accept_ev is added */
	bool stopping;		 /* control_stop: closing connections must not resume */
	struct conn *conns;
	unsigned nconns;
};

static void on_accept(evutil_socket_t fd, short what, void *arg);

static void accept_resume(struct control *c)
{
	if (!c->accepting && !c->stopping && c->nconns < CONTROL_CONNS_MAX &&
	    !evtimer_pending(c->resume_ev, NULL) && event_add(c->accept_ev, NULL) == 0) {
		c->accepting = true;
	}
}

static void accept_pause(struct control *c, unsigned ms)
{
	if (c->accepting) {
		event_del(c->accept_ev);
		c->accepting = false;
	}
	if (ms > 0) {
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
		evtimer_add(c->resume_ev, &tv);
	}
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	accept_resume(arg);
}

static void conn_close(struct conn *k)
{
	struct control *c = k->ctl;
	if (k->prev != NULL) {
		k->prev->next = k->next;
	} else {
		c->conns = k->next;
	}
	if (k->next != NULL) {
		k->next->prev = k->prev;
	}
	c->nconns--;
	if (k->io != NULL) {
		event_free(k->io);
	}
	event_free(k->deadline);
	close(k->fd);
	free(k->out.p);
	free(k);
	accept_resume(c);
}

static void arm_deadline(struct conn *k, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(k->deadline, &tv);
}

/* Send what the socket takes now. Returns 1 when all is out, 0 when the rest must wait, -1 on
 * an error (the client went away). */
static int conn_send(struct conn *k)
{
	while (k->out_off < k->out.len) {
		ssize_t n = send(k->fd, k->out.p + k->out_off, k->out.len - k->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR) {
				continue;
			}
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		k->out_off += (size_t)n;
	}
	return 1;
}

static void on_io(evutil_socket_t fd, short what, void *arg);

/* The reply is ready in k->out: send it, and wait for the socket only if it must. */
static void conn_reply(struct conn *k)
{
	k->replying = true;
	int rc = conn_send(k);
	if (rc != 0) {
		conn_close(k);
		return;
	}
	event_free(k->io);
	k->io = event_new(k->ctl->base, k->fd, EV_WRITE | EV_PERSIST, on_io, k);
	if (k->io == NULL || event_add(k->io, NULL) != 0) {
		conn_close(k);
		return;
	}
	arm_deadline(k, CONTROL_REPLY_DEADLINE_MS);
}

/* "ok" and the body, or "error: why". */
static void conn_answer(struct conn *k, bool ok, const char *why, struct sbuf *body)
{
	if (ok) {
		sb_printf(&k->out, "ok\n");
		if (body->len > 0) {
			sb_printf(&k->out, "%.*s", (int)body->len, body->p);
		}
	}
	if (!ok || k->out.failed) {
		free(k->out.p);
		memset(&k->out, 0, sizeof(k->out));
		sb_printf(&k->out, "error: %s\n", ok ? "out of memory" : why);
	}
	if (k->out.failed) {
		conn_close(k);
		return;
	}
	conn_reply(k);
}

static void conn_run(struct conn *k, const struct ctl_request *req)
{
	struct sbuf body = {NULL, 0, 0, false};
	const char *why = "";
	bool ok = control_command(&k->ctl->ops, req, &body, &why);
	conn_answer(k, ok, why, &body);
	free(body.p);
}

/* Read what has arrived; answer once the request is complete or cannot be. */
static void conn_read(struct conn *k)
{
	for (;;) {
		ssize_t n =
			recv(k->fd, k->req + k->req_len, sizeof(k->req) - k->req_len, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return; /* the rest comes with a later event */
		}
		if (n == -1) {
			conn_close(k);
			return;
		}
		if (n == 0) {
			conn_answer(k, false, "request not terminated by a newline", NULL);
			return;
		}
		k->req_len += (size_t)n;
		struct ctl_request req;
		const char *why = "";
		int rc = ctl_parse_request(k->req, k->req_len, &req, &why);
		if (rc == 0) {
			conn_run(k, &req);
			return;
		}
		if (rc < 0) {
			conn_answer(k, false, why, NULL);
			return;
		}
	}
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct conn *k = arg;
	(void)fd;
	(void)what;
	if (!k->replying) {
		conn_read(k);
	} else if (conn_send(k) != 0) {
		conn_close(k);
	}
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *k = arg;
	(void)fd;
	(void)what;
	if (k->replying) {
		conn_close(k); /* the client does not read its reply */
		return;
	}
	char msg[96];
	snprintf(msg, sizeof(msg), "request not complete within %u ms",
		 CONTROL_REQUEST_DEADLINE_MS);
	conn_answer(k, false, msg, NULL);
}

static void conn_new(struct control *c, int fd)
{
	struct conn *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		close(fd);
		return;
	}
	k->ctl = c;
	k->fd = fd;
	k->io = event_new(c->base, fd, EV_READ | EV_PERSIST, on_io, k);
	k->deadline = evtimer_new(c->base, on_deadline, k);
	if (k->io == NULL || k->deadline == NULL || event_add(k->io, NULL) != 0) {
		if (k->io != NULL) {
			event_free(k->io);
		}
		if (k->deadline != NULL) {
			event_free(k->deadline);
		}
		close(fd);
		free(k);
		return;
	}
	arm_deadline(k, CONTROL_REQUEST_DEADLINE_MS);
	k->next = c->conns;
	if (c->conns != NULL) {
		c->conns->prev = k;
	}
	c->conns = k;
	c->nconns++;
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct control *c = arg;
	(void)what;
	/* Take what the backlog holds, up to the connection limit. */
	while (c->nconns < CONTROL_CONNS_MAX) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			conn_new(c, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED) {
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			log_msg(LOG_WARNING, "control", "accept: %s: not accepting for %u ms",
				strerror(errno), CONTROL_ACCEPT_PAUSE_MS);
			accept_pause(c, CONTROL_ACCEPT_PAUSE_MS);
		}
		return; /* EAGAIN: the backlog is empty */
	}
	accept_pause(c, 0); /* resumed when a connection closes */
}

struct control *control_start(struct event_base *base, int fd, const struct control_ops *ops)
{
	struct control *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_msg(LOG_ERR, "startup", "control socket: out of memory");
		return NULL;
	}
	c->base = base;
	c->ops = *ops;
	c->fd = fd;
	c->accept_ev = event_new(base, fd, EV_READ | EV_PERSIST, on_accept, c);
	c->resume_ev = evtimer_new(base, on_resume, c);
	if (c->accept_ev == NULL || c->resume_ev == NULL) {
		log_msg(LOG_ERR, "startup", "cannot register the control socket");
		control_stop(c);
		return NULL;
	}
	accept_resume(c);
	if (!c->accepting) {
		log_msg(LOG_ERR, "startup", "cannot register the control socket");
		control_stop(c);
		return NULL;
	}
	return c;
}

void control_stop(struct control *c)
{
	if (c == NULL) {
		return;
	}
	c->stopping = true;
	while (c->conns != NULL) {
		conn_close(c->conns);
	}
	if (c->accept_ev != NULL) {
		event_free(c->accept_ev);
	}
	if (c->resume_ev != NULL) {
		event_free(c->resume_ev);
	}
	free(c);
}

int control_open(const char *path, const char *group)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_msg(LOG_ERR, "startup", "control socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	gid_t gid = (gid_t)-1;
	if (group != NULL) {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			/* Stricter than asked, not looser: the socket stays root's (mode 0660). */
			log_msg(LOG_WARNING, "startup",
				"control socket: unknown group '%s': only root and the daemon's "
				"own user can use embargoctl",
				group);
		} else {
			gid = gr->gr_gid;
		}
	}
	char dir[sizeof(sa.sun_path)];
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755); /* the runtime directory may not exist yet */
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		log_msg(LOG_ERR, "startup", "control socket: %s", strerror(errno));
		return -1;
	}
	unlink(path); /* a stale socket of an earlier run */
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == -1 || chmod(path, 0660) == -1 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1) ||
	    listen(fd, CONTROL_BACKLOG) == -1) {
		log_msg(LOG_ERR, "startup", "control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
