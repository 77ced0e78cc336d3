/* SPDX-License-Identifier: GPL-2.0-or-later */
/* embargod's lifecycle: open the queues and raw sockets, drop privileges, run one worker per
 * queue, reload the blocklist on SIGHUP (reload.c), and stop cleanly on SIGTERM/SIGINT. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "embargo_config.h"
#include "embargo/policy.h"
#include "embargo/settings.h"
#include "alert.h"
#include "control.h"
#include "daemon_priv.h"
#include "load.h"
#include "log.h"
#include "worker.h"

#if EMBARGO_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* Kernel socket buffer for each queue: a burst of full-size packets fits. */
#define QUEUE_RCVBUF_BYTES (8u * 1024 * 1024)

/* Tell systemd (sd_notify) the state, e.g. "READY=1"; nothing without systemd support. */
static void daemon_notify(const char *state)
{
#if EMBARGO_HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

/* Reload the configuration (reload.c), telling systemd while it lasts. */
static int daemon_reload(struct daemon *d)
{
	daemon_notify("RELOADING=1");
	int rc = reload_policy(d);
	daemon_notify("READY=1");
	return rc;
}

/* Keep CAP_NET_ADMIN (nfnetlink checks it on every verdict) and CAP_NET_RAW (forged DNS
 * answers) across the switch to `user`; drop every other capability. */
static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		log_msg(LOG_ERR, "startup", "unknown user '%s'", user);
		return -1;
	}
	if (geteuid() == pw->pw_uid && getuid() == pw->pw_uid) {
		return 0; /* started as that user (systemd's User=), with its capabilities */
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 || setgroups(0, NULL) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		log_msg(LOG_ERR, "startup", "cannot switch to user '%s': %s", user,
			strerror(errno));
		return -1;
	}
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	uint32_t keep = (1u << CAP_NET_ADMIN) | (1u << CAP_NET_RAW);
	data[0].effective = keep;
	data[0].permitted = keep;
	if (syscall(SYS_capset, &hdr, data) == -1) {
		log_msg(LOG_ERR, "startup", "cannot keep CAP_NET_ADMIN/CAP_NET_RAW: %s",
			strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

static int write_pid_file(const char *path)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755); /* the runtime directory may not exist yet */
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_msg(LOG_ERR, "startup", "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	dprintf(fd, "%ld\n", (long)getpid());
	close(fd);
	return 0;
}

/* Fork into the background. The parent waits until the child says it is ready (or fails) so
 * that its exit status tells the truth. Returns in the child only. */
static int daemonize(struct daemon *d)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) == -1) {
		return -1;
	}
	pid_t pid = fork();
	if (pid == -1) {
		return -1;
	}
	if (pid > 0) {
		char c = 0;
		close(fds[1]);
		ssize_t n;
		do {
			n = read(fds[0], &c, 1);
		} while (n == -1 && errno == EINTR);
		_exit(n == 1 && c == 'R' ? 0 : 1);
	}
	close(fds[0]);
	d->ready_fd = fds[1];
	if (setsid() == -1) {
		return -1;
	}
	if (chdir("/") == -1) {
		return -1;
	}
	return 0;
}

static void report_ready(struct daemon *d)
{
	daemon_notify("READY=1");
	if (d->ready_fd != -1) {
		int null = open("/dev/null", O_RDWR);
		if (null != -1) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			close(null);
		}
		ssize_t n = write(d->ready_fd, "R", 1);
		(void)n;
		close(d->ready_fd);
		d->ready_fd = -1;
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	(void)what;
	if (sig == SIGHUP) {
		daemon_reload(d);
		return;
	}
	log_msg(LOG_INFO, "shutdown", "signal %d: stopping", (int)sig);
	daemon_notify("STOPPING=1");
	event_base_loopbreak(d->base);
}

static int open_queues(struct daemon *d)
{
	const struct embargod_opts *o = d->o;
	struct inspect_limits lim;
	char err[256];

	load_inspect_limits(o, &lim);
	/* Only the queues of the range: each worker holds its judge's buffers (a rewritten
	 * packet, answers to learn from), tens of KiB. */
	d->workers =
		calloc((size_t)o->cfg.queue.last - o->cfg.queue.first + 1, sizeof(*d->workers));
	if (d->workers == NULL) {
		log_msg(LOG_ERR, "startup", "out of memory");
		return -1;
	}
	for (unsigned q = o->cfg.queue.first; q <= o->cfg.queue.last; q++) {
		struct worker *w = &d->workers[d->nworkers];
		struct nfqueue_config cfg = {(uint16_t)q, o->copy_range, o->queue_maxlen,
					     o->cfg.overflow_accept, QUEUE_RCVBUF_BYTES};
		w->queue = (uint16_t)q;
		w->shared = &d->shared;
		w->nfq = nfqueue_open(&cfg, err, sizeof(err));
		if (w->nfq == NULL) {
			log_msg(LOG_ERR, "startup", "%s", err);
			return -1;
		}
		w->in = inspector_new(&lim);
		w->alerts = alert_ring_new(d->alert_wake_fd);
		w->learn = d->learning != NULL ? learning_ring_new(d->alert_wake_fd) : NULL;
		if (w->in == NULL || w->alerts == NULL ||
		    (d->learning != NULL && w->learn == NULL)) {
			log_msg(LOG_ERR, "startup", "out of memory");
			nfqueue_close(w->nfq);
			inspector_free(w->in);
			alert_ring_free(w->alerts);
			learning_ring_free(w->learn);
			return -1;
		}
		verdict_judge_init(&w->judge, w->in);
		verdict_judge_learn(&w->judge, d->shared.learned, d->shared.learned != NULL);
		d->nworkers++;
	}
	return 0;
}

static void close_all(struct daemon *d)
{
	for (unsigned i = 0; i < d->nworkers; i++) {
		nfqueue_close(d->workers[i].nfq);
		inspector_free(d->workers[i].in);
		alert_ring_free(d->workers[i].alerts);
		learning_ring_free(d->workers[i].learn);
	}
	free(d->workers);
	d->workers = NULL;
	d->nworkers = 0; /* no worker left: every retired policy goes */
	reload_free_retired(d);
	inject_close(&d->shared.inject);
	kcounters_close(d->overload.k);
	d->overload.k = NULL;
	policy_free(atomic_load(&d->shared.policy));
	learning_free(d->learning);
	d->learning = NULL;
	d->shared.learned = NULL;
	if (d->alert_wake_fd != -1) {
		close(d->alert_wake_fd);
		d->alert_wake_fd = -1;
	}
	if (d->ctl_fd != -1) {
		close(d->ctl_fd);
		d->ctl_fd = -1;
	}
}

/* Every worker's alert records, into lines and counts, and its answers to learn from. */
static void drain_alerts(struct daemon *d, uint64_t now_ms)
{
	const struct policy *p = atomic_load(&d->shared.policy);
	for (unsigned i = 0; i < d->nworkers; i++) {
		if (d->learning != NULL) {
			/* Learned before the alerts, so that their lines can name what an address
			 * was learned from. */
			learning_drain(d->learning, d->workers[i].learn, p, now_ms);
		}
		alert_ring_drain(d->workers[i].alerts, now_ms);
	}
}

static struct daemon *the_daemon; /* for the alert lines' learned names (main loop only) */

bool daemon_learned_name(uint8_t family, const uint8_t *addr, char *out, size_t size)
{
	struct learn_addr_view v;
	if (the_daemon == NULL || the_daemon->learning == NULL ||
	    !learn_addr_find(learning_learner(the_daemon->learning), family, addr, &v) ||
	    v.from == NULL) {
		return false;
	}
	name_escape(v.from, out, size);
	return true;
}

static void on_kernel(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	(void)fd;
	(void)what;
	learning_kernel_readable(d->learning);
}

static void on_alerts(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;
	(void)what;
	ssize_t got = read(fd, &n, sizeof(n)); /* resets the eventfd; EAGAIN: nothing new */
	(void)got;
	drain_alerts(arg, monotonic_ms());
}

/* Once a second: trouble lines (first, so that a burst of alert lines does not fill the syslog
 * socket before them), records a wake-up may have missed, summaries that are due, the log-lost
 * line. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	(void)fd;
	(void)what;
	uint64_t now = monotonic_ms();
	daemon_report_trouble(d, now);
	drain_alerts(d, now);
	if (d->learning != NULL) {
		learning_tick(d->learning, now);
	}
	alert_flush(now);
	log_tick();
}

/* The control socket's view of the daemon (control.h): each operation reads or acts on `ctx`,
 * the daemon, on the main loop. */
static void ctl_status(void *ctx, struct control_status *s)
{
	const struct daemon *d = ctx;
	*s = (struct control_status){
		.started = d->started,
		.uptime_s = (monotonic_ms() - d->started_ms) / 1000,
		.config_path = d->o->config_path,
		.reloads = d->reloads,
		.reload_failures = d->reload_failures,
		.last_reload = d->last_reload,
		.last_reload_error = d->last_reload_error,
		.queue_first = d->o->cfg.queue.first,
		.queue_last = d->o->cfg.queue.last,
		.nworkers = d->nworkers,
		.fail_closed = d->o->cfg.fail_closed,
	};
}

static void ctl_stats(void *ctx, struct control_stats *s)
{
	struct daemon *d = ctx;
	memset(s, 0, sizeof(*s));
	daemon_overload_update(d);
	daemon_totals(d, &s->totals);
	daemon_overload(d, &s->totals.queues, &s->overload);
	if (d->learning != NULL) {
		learning_get_stats(d->learning, &s->learning);
	}
	s->workers = d->workers;
	s->nworkers = d->nworkers;
}

static const struct policy *ctl_policy(void *ctx)
{
	struct daemon *d = ctx;
	return atomic_load(&d->shared.policy);
}

static const struct learner *ctl_learner(void *ctx)
{
	const struct daemon *d = ctx;
	return d->learning != NULL ? learning_learner(d->learning) : NULL;
}

static int ctl_reload(void *ctx, const char **why)
{
	struct daemon *d = ctx;
	int rc = daemon_reload(d);
	*why = d->last_reload_error;
	return rc;
}

static void log_startup(const struct daemon *d, const struct policy *p)
{
	const struct embargod_opts *o = d->o;
	unsigned off = 0;
	for (uint32_t i = 0; i < p->ngroups; i++) {
		off += !p->groups[i].enabled;
	}
	/* The settings in force, every one, as embargod.conf would write them (the table). */
	char settings[1536];
	settings_format_line(&o->cfg, settings, sizeof(settings));
	log_msg(LOG_INFO, "startup",
		"embargod %s: %s, generation %" PRIu32 ": %zu rules, %u vendor(s), %u "
		"vendor/category group(s) off, clients %s%s; %s",
		EMBARGO_VERSION, o->config_path != NULL ? o->config_path : "domain lists",
		p->generation, domainset_count(p->ds), p->nvendors, off,
		p->nenforce > 0 ? "listed subnets" : "all", p->nexempt > 0 ? " minus exempt" : "",
		settings);
}

int daemon_run(const struct embargod_opts *o, struct policy *p)
{
	static struct daemon d;
	int status = 1;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.ready_fd = -1;
	d.ctl_fd = -1;
	d.alert_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d.started = time(NULL);
	d.started_ms = monotonic_ms();
	log_open(o->cfg.log_facility, o->foreground);

	p->generation = d.generation = 1;
	atomic_init(&d.shared.policy, p);
	atomic_init(&d.shared.generation, 1);
	atomic_init(&d.shared.stop, false);
	d.shared.dns_reply.kind = o->cfg.dns_answer;
	memcpy(d.shared.dns_reply.sinkhole_v4, o->cfg.sinkhole_v4, 4);
	memcpy(d.shared.dns_reply.sinkhole_v6, o->cfg.sinkhole_v6, 16);
	d.shared.dns_reply.ttl = 60;
	d.shared.dns_reply.ede = o->cfg.dns_ede != 0;
	d.shared.dns_reply.ede_code = o->cfg.dns_ede;
	d.shared.marks[INSPECT_MARK_NONE] = 0;
	d.shared.marks[INSPECT_MARK_FOLLOW] = o->mark_allow | o->mark_reject;
	d.shared.marks[INSPECT_MARK_WATCH] = o->mark_allow | o->mark_block;
	d.shared.marks[INSPECT_MARK_ALLOW] = o->mark_allow;
	d.shared.marks[INSPECT_MARK_DROP] = o->mark_block;
	d.shared.marks[INSPECT_MARK_REJECT] = o->mark_reject;
	d.shared.mark_mask = o->mark_mask;
	d.shared.fail_open = o->cfg.overflow_accept;
	d.shared.inject.fd4 = d.shared.inject.fd6 = -1;

	if (d.alert_wake_fd == -1) {
		log_msg(LOG_ERR, "startup", "eventfd: %s", strerror(errno));
		close_all(&d);
		return 1;
	}
	/* The rules' counters as they stand before the queues are bound. */
	if (daemon_overload_start(&d) != 0) {
		log_msg(LOG_ERR, "startup", "out of memory");
		close_all(&d);
		return 1;
	}
	if (o->cfg.learn_addresses != CONFIG_LEARN_OFF) {
		/* The kernel sets' socket opens here, before privileges go. */
		char err[256];
		struct learn_limits ll = {.per_family = o->cfg.learn_entries,
					  .grace_s = o->cfg.learn_grace_s,
					  .kernel = true};
		d.learning = learning_new(
			&ll, o->cfg.learn_addresses == CONFIG_LEARN_NFT ? KSET_NFT : KSET_IPSET,
			err, sizeof(err));
		if (d.learning == NULL) {
			log_msg(LOG_ERR, "startup", "learn-addresses: %s", err);
			close_all(&d);
			return 1;
		}
		d.shared.learned = learning_table(d.learning);
		the_daemon = &d;
		alert_set_learned_namer(daemon_learned_name);
	}
	if (open_queues(&d) != 0) {
		close_all(&d);
		return 1;
	}
	if (alert_configure(o->cfg.log_window_s, o->cfg.log_rate) != 0) {
		log_msg(LOG_ERR, "startup", "out of memory");
		close_all(&d);
		return 1;
	}
	if (o->cfg.control_socket[0] != '\0') {
		d.ctl_fd =
			control_open(o->cfg.control_socket,
				     o->cfg.control_group[0] != '\0' ? o->cfg.control_group : NULL);
		if (d.ctl_fd == -1) {
			close_all(&d);
			return 1;
		}
	}
	if (inject_open(&d.shared.inject) != 0) {
		log_msg(LOG_WARNING, "startup",
			"no raw socket (%s): blocked DNS queries are dropped "
			"without an answer",
			strerror(errno));
	}
	if (!o->foreground && daemonize(&d) != 0) {
		log_msg(LOG_ERR, "startup", "cannot fork into the background: %s", strerror(errno));
		close_all(&d);
		return 1;
	}
	if (o->cfg.pid_file[0] != '\0' && write_pid_file(o->cfg.pid_file) != 0) {
		goto out;
	}
	if (o->cfg.user[0] != '\0' && drop_privileges(o->cfg.user) != 0) {
		goto out;
	}
	d.base = event_base_new();
	struct event *sig[3] = {NULL, NULL, NULL};
	struct event *flush = NULL;
	const int signums[3] = {SIGHUP, SIGTERM, SIGINT};
	if (d.base == NULL) {
		log_msg(LOG_ERR, "startup", "cannot create event loop");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	for (unsigned i = 0; i < 3; i++) {
		sig[i] = evsignal_new(d.base, signums[i], on_signal, &d);
		if (sig[i] == NULL || event_add(sig[i], NULL) != 0) {
			log_msg(LOG_ERR, "startup", "cannot handle signal %d", signums[i]);
			goto out_events;
		}
	}
	flush = event_new(d.base, -1, EV_PERSIST, on_flush, &d);
	struct timeval second = {1, 0};
	if (flush == NULL || event_add(flush, &second) != 0) {
		log_msg(LOG_ERR, "startup", "cannot register the alert timer");
		goto out_events;
	}
	d.alert_event = event_new(d.base, d.alert_wake_fd, EV_READ | EV_PERSIST, on_alerts, &d);
	d.retire_event = evtimer_new(d.base, reload_on_retire_timer, &d);
	if (d.alert_event == NULL || d.retire_event == NULL ||
	    event_add(d.alert_event, NULL) != 0) {
		log_msg(LOG_ERR, "startup", "cannot register the alert events");
		goto out_events;
	}
	if (d.learning != NULL && learning_kernel_fd(d.learning) != -1) {
		d.kernel_event = event_new(d.base, learning_kernel_fd(d.learning),
					   EV_READ | EV_PERSIST, on_kernel, &d);
		if (d.kernel_event == NULL || event_add(d.kernel_event, NULL) != 0) {
			log_msg(LOG_ERR, "startup", "cannot register the learned-address socket");
			goto out_events;
		}
	}
	if (d.ctl_fd != -1) {
		const struct control_ops ops = {.ctx = &d,
						.status = ctl_status,
						.stats = ctl_stats,
						.policy = ctl_policy,
						.learner = ctl_learner,
						.reload = ctl_reload};
		d.ctl = control_start(d.base, d.ctl_fd, &ops);
		if (d.ctl == NULL) {
			goto out_events;
		}
	}
	for (unsigned i = 0; i < d.nworkers; i++) {
		atomic_init(&d.workers[i].seen_generation, 1);
		if (worker_start(&d.workers[i]) != 0) {
			log_msg(LOG_ERR, "startup", "cannot start worker for queue %u",
				d.workers[i].queue);
			atomic_store(&d.shared.stop, true);
			goto out_join;
		}
	}
	log_startup(&d, p);
	if (!EMBARGO_HAVE_QUIC) {
		log_msg(LOG_WARNING, "startup",
			"built without libcrypto: QUIC Initials are not inspected (UDP 443 passes "
			"unless the firewall blocks it)");
	}
	report_ready(&d);
	event_base_dispatch(d.base);
	status = 0;
	atomic_store(&d.shared.stop, true);
out_join:
	for (unsigned i = 0; i < d.nworkers; i++) {
		worker_join(&d.workers[i]);
	}
	drain_alerts(&d, monotonic_ms());
	alert_flush(UINT64_MAX / 2); /* the summaries still due */
	daemon_overload_update(&d);
	daemon_log_totals(&d);
out_events:
	if (flush != NULL) {
		event_free(flush);
	}
	control_stop(d.ctl);
	d.ctl = NULL;
	if (d.alert_event != NULL) {
		event_free(d.alert_event);
		d.alert_event = NULL;
	}
	if (d.retire_event != NULL) {
		event_free(d.retire_event);
		d.retire_event = NULL;
	}
	if (d.kernel_event != NULL) {
		event_free(d.kernel_event);
		d.kernel_event = NULL;
	}
	for (unsigned i = 0; i < 3; i++) {
		if (sig[i] != NULL) {
			event_free(sig[i]);
		}
	}
	event_base_free(d.base);
out:
	close_all(&d);
	alert_shutdown();
	log_tick(); /* a last log-lost line if the socket takes it now */
	log_close();
	if (o->cfg.pid_file[0] != '\0' && status == 0) {
		unlink(o->cfg.pid_file);
	}
	if (o->cfg.control_socket[0] != '\0' && status == 0) {
		unlink(o->cfg.control_socket);
	}
	return status;
}
