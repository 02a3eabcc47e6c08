/* SPDX-License-Identifier: MIT */
/*
 * outer.c - the outer supervisor's notify socket and socket activation
 * (see outer.h for the protocol and the environment rules).
 *
 * Invariants: fd is -1 or an AF_UNIX SOCK_DGRAM socket, close-on-exec
 * and non-blocking; every send is MSG_DONTWAIT | MSG_NOSIGNAL; READY=1
 * and STOPPING=1 go out at most once each. The fds of socket activation
 * are never opened, closed or changed here: they are the child's, and
 * pidone only keeps them open by never touching them. After start-up
 * nothing here can end pidone: errors are logged and survived.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "exitstatus.h"
#include "fdutil.h"
#include "log.h"
#include "outer.h"
#include "parse.h"
#include "strv.h"
#include "textbuf.h"
#include "banned.h"

/* The first fd of socket activation (SD_LISTEN_FDS_START). */
#define OUTER_LISTEN_FDS_START 3

/* A usec count that still fits an ev_timer's double exactly. */
#define OUTER_WATCHDOG_USEC_MAX (UINT64_C(1) << 52)

/* See outer.h. */
int outer_parse_socket(const char *value, struct sockaddr_un *ret,
		       socklen_t *ret_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(value);

	if (value[0] == '@') {
		if (len < 2)
			return -EINVAL;
		/* abstract: sun_path[0] is NUL, the name follows, unended */
		if (len > sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path + 1, value + 1, len - 1);
		*ret = sa;
		*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				       len);
		return 0;
	}
	/* relative paths, "vsock:CID:PORT" and "" are not for pidone */
	if (value[0] != '/')
		return -EINVAL;
	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, value, len + 1);
	*ret = sa;
	*ret_len =
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	return 0;
}

/* Is @pid (a decimal text, or NULL) process @self? -EINVAL: not a pid. */
static int pid_is(const char *pid, pid_t self, bool *ret)
{
	unsigned long v;
	int r;

	r = parse_uint(pid, 0x7fffffffUL, &v);
	if (r < 0)
		return -EINVAL;
	*ret = v == (unsigned long)self;
	return 0;
}

/* See outer.h. */
int outer_parse_watchdog(const char *usec, const char *pid, pid_t self,
			 uint64_t *ret_usec)
{
	unsigned long long v;
	bool ours = true;
	char *end;
	int r;

	if (!usec) {
		*ret_usec = 0;
		return 0;
	}
	if (pid) {
		r = pid_is(pid, self, &ours);
		if (r < 0)
			return r;
	}
	if (!parse_is_digit(usec[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v > OUTER_WATCHDOG_USEC_MAX)
		return -ERANGE;
	if (v == 0)
		return -EINVAL;
	*ret_usec = ours ? v : 0;
	return 0;
}

/* See outer.h. */
int outer_parse_listen(const char *fds, const char *pid, pid_t self,
		       unsigned *ret_n)
{
	unsigned long n;
	bool ours;
	int r;

	if (!fds || !pid) {
		*ret_n = 0;
		return 0;
	}
	r = pid_is(pid, self, &ours);
	if (r < 0)
		return r;
	if (!ours) {
		*ret_n = 0;
		return 0;
	}
	r = parse_uint(fds, OUTER_LISTEN_FDS_MAX, &n);
	if (r < 0)
		return r;
	*ret_n = (unsigned)n;
	return 0;
}

/* See outer.h. */
enum outer_phase outer_phase(const struct lifecycle *lc,
			     enum health_child_state child, bool ready)
{
	switch (child) {
	case HEALTH_CHILD_RUNNING:
		if (lc->shutting_down)
			return OUTER_PHASE_STOPPING;
		return ready ? OUTER_PHASE_READY : OUTER_PHASE_NOT_READY;
	case HEALTH_CHILD_BACKOFF:
		return lc->reloading || lc->reloaded ? OUTER_PHASE_RELOADING :
						       OUTER_PHASE_RESTARTING;
	case HEALTH_CHILD_EXITED:
		return lc->runs > 0 ? OUTER_PHASE_EXITED : OUTER_PHASE_FAILED;
	default:
		if (lc->state == LIFECYCLE_DONE)
			return OUTER_PHASE_FAILED;
		return lc->shutting_down ? OUTER_PHASE_STOPPING :
					   OUTER_PHASE_STARTING;
	}
}

/* See outer.h. */
const char *outer_status_text(enum outer_phase phase, const char *reason,
			      int wstatus, char *buf, size_t size)
{
	char how[64];

	switch (phase) {
	case OUTER_PHASE_NOT_READY:
		textbuf_snprintf(buf, size, "not ready: %s",
				 reason && reason[0] ? reason : "unknown");
		break;
	case OUTER_PHASE_READY:
		textbuf_snprintf(buf, size, "ready");
		break;
	case OUTER_PHASE_RESTARTING:
	case OUTER_PHASE_RELOADING:
		textbuf_snprintf(buf, size, "%s: child %s",
				 phase == OUTER_PHASE_RELOADING ? "reloading" :
								  "restarting",
				 exitstatus_describe(wstatus, how,
						     sizeof(how)));
		break;
	case OUTER_PHASE_STOPPING:
		textbuf_snprintf(buf, size, "stopping");
		break;
	case OUTER_PHASE_EXITED:
		textbuf_snprintf(buf, size, "child %s",
				 exitstatus_describe(wstatus, how,
						     sizeof(how)));
		break;
	case OUTER_PHASE_FAILED:
		textbuf_snprintf(buf, size, "child could not be started");
		break;
	default:
		textbuf_snprintf(buf, size, "starting");
		break;
	}
	return buf;
}

/* See outer.h. */
void outer_init(struct outer *o)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

/* Connect fd to addr; 0 or -errno. */
static int outer_connect(struct outer *o)
{
	if (connect(o->fd, (struct sockaddr *)&o->addr, o->addr_len) < 0)
		return -errno;
	o->connected = true;
	return 0;
}

/*
 * Send @msg; false when it could not be. A failure is logged once (warn)
 * until a send works again.
 */
static bool outer_send(struct outer *o, const char *msg)
{
	size_t len = strlen(msg);
	int r = 0;

	if (o->fd < 0)
		return true;
	if (!o->connected)
		r = outer_connect(o);
	if (r == 0 && send(o->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		r = -errno;
		/* the receiver went away: reconnect for the next message */
		if (r == -ECONNREFUSED || r == -ENOTCONN)
			o->connected = false;
	}
	if (r < 0) {
		if (!o->send_failed)
			log_emit(LOG_LEVEL_WARN, -r, NULL,
				 LOG_FIELDS(LOG_STR("notify_socket",
						    o->socket_text)),
				 "cannot notify the outer supervisor, "
				 "trying again");
		o->send_failed = true;
		return false;
	}
	if (o->send_failed)
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_STR("notify_socket", o->socket_text)),
			 "outer supervisor reachable again");
	o->send_failed = false;
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_STR("message", msg)),
			 "notified the outer supervisor");
	return true;
}

static void open_socket(struct outer *o, const char *value)
{
	int r;

	textbuf_snprintf(o->socket_text, sizeof(o->socket_text), "%s", value);
	r = outer_parse_socket(value, &o->addr, &o->addr_len);
	if (r < 0) {
		log_emit(LOG_LEVEL_WARN, 0, NULL,
			 LOG_FIELDS(LOG_STR("notify_socket", value)),
			 "NOTIFY_SOCKET is not a unix socket path or "
			 "@abstract name; not notifying");
		return;
	}
	o->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (o->fd < 0) {
		log_emit(LOG_LEVEL_WARN, errno, NULL,
			 LOG_FIELDS(LOG_STR("notify_socket", value)),
			 "cannot create a socket for NOTIFY_SOCKET; not "
			 "notifying");
		return;
	}
	/* Now, as root if started so: see outer.h. Retried at each send. */
	r = outer_connect(o);
	if (r < 0) {
		log_emit(LOG_LEVEL_DEBUG, -r, NULL,
			 LOG_FIELDS(LOG_STR("notify_socket", value)),
			 "cannot connect to NOTIFY_SOCKET yet");
	}
}

static void read_watchdog(struct outer *o, char *const *envp)
{
	const char *usec = strv_env_value(envp, "WATCHDOG_USEC");
	const char *pid = strv_env_value(envp, "WATCHDOG_PID");
	int r;

	r = outer_parse_watchdog(usec, pid, getpid(), &o->watchdog_usec);
	if (r < 0) {
		log_emit(LOG_LEVEL_WARN, 0, NULL,
			 LOG_FIELDS(LOG_STR("watchdog_usec", usec),
				    LOG_STR("watchdog_pid", pid)),
			 "WATCHDOG_USEC or WATCHDOG_PID is not a number; no "
			 "watchdog pings");
		/* it came with the NOTIFY_SOCKET the child does not get */
		o->watchdog_ours = true;
		return;
	}
	o->watchdog_ours = o->watchdog_usec > 0;
}

static void read_listen(struct outer *o, char *const *envp)
{
	const char *fds = strv_env_value(envp, "LISTEN_FDS");
	const char *pid = strv_env_value(envp, "LISTEN_PID");
	int r;

	r = outer_parse_listen(fds, pid, getpid(), &o->listen_fds);
	if (r < 0) {
		o->listen_fds = 0;
		log_emit(LOG_LEVEL_WARN, 0, NULL,
			 LOG_FIELDS(LOG_STR("listen_fds", fds),
				    LOG_STR("listen_pid", pid)),
			 "LISTEN_FDS or LISTEN_PID is not a number; left as "
			 "it is");
		return;
	}
	for (unsigned i = 0; i < o->listen_fds; i++) {
		int fd = OUTER_LISTEN_FDS_START + (int)i;
		int flags = fcntl(fd, F_GETFD);

		/*
		 * An inherited fd cannot be close-on-exec (it would not have
		 * survived the exec into pidone): one that is was opened by
		 * pidone in a number its supervisor left closed. Either way
		 * the child will not find a socket there.
		 */
		if (flags < 0 || (flags & FD_CLOEXEC))
			log_emit(LOG_LEVEL_WARN, 0, NULL,
				 LOG_FIELDS(LOG_INT("fd", fd),
					    LOG_INT("listen_fds",
						    o->listen_fds)),
				 "LISTEN_FDS names an fd that was not open "
				 "when pidone started");
	}
	if (o->listen_fds > 0)
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_INT("listen_fds", o->listen_fds)),
			 "socket activation: passing the fds to the child");
}

/* See outer.h. */
void outer_open(struct outer *o, char *const *envp)
{
	const char *value = strv_env_value(envp, "NOTIFY_SOCKET");

	read_listen(o, envp);
	if (!value)
		return;
	o->notify_socket_set = true;
	read_watchdog(o, envp);
	open_socket(o, value);
}

/* See outer.h. */
size_t outer_child_env(struct outer *o, char **set)
{
	size_t n = 0;

	/* "NAME" alone: removed (child_env_build never writes to it) */
	if (o->notify_socket_set)
		set[n++] = (char *)"NOTIFY_SOCKET";
	if (o->watchdog_ours) {
		set[n++] = (char *)"WATCHDOG_USEC";
		set[n++] = (char *)"WATCHDOG_PID";
	}
	if (o->listen_fds > 0) {
		/* The child writes its own pid over the digits. */
		textbuf_snprintf(o->env_listen_pid, sizeof(o->env_listen_pid),
				 "LISTEN_PID=%0*d", CHILD_PID_DIGITS, 0);
		set[n++] = o->env_listen_pid;
	}
	return n;
}

/* See outer.h. */
char *outer_listen_pid_slot(const struct outer *o, char *const *envp)
{
	return o->listen_fds > 0 ? strv_env_value(envp, "LISTEN_PID") : NULL;
}

/*
 * While the child runs but is not ready: make sure the loop wakes up
 * when a failed check may pass without any event of its own, and start
 * a due ready-tcp attempt. Returns true when an attempt ended at once,
 * so readiness must be looked at again.
 */
static bool arm_wake(struct outer *o, const struct health_check *checks,
		     size_t n, uint64_t now)
{
	const struct health *h = o->health;
	uint64_t wake_ms = 0; /* from now; 0: none */
	bool again = false;

	for (size_t i = 0; i < n; i++) {
		uint64_t at = 0;

		if (checks[i].ok)
			continue;
		switch (checks[i].id) {
		case HEALTH_CHECK_READY_DELAY:
			at = h->lc->started_ms + h->cfg.ready_delay_ms;
			break;
		case HEALTH_CHECK_READY_TCP:
			if (!o->tcp || o->tcp->fd >= 0)
				break; /* in flight: its end wakes the loop */
			if (health_tcp_check_due(h, now)) {
				unsigned gen = o->tcp->gen;

				if (!readytcp_wait_needed(o->tcp))
					again = o->tcp->gen != gen;
				break;
			}
			at = h->tcp_checked_ms + HEALTH_TCP_CACHE_MS;
			break;
		default:
			break;
		}
		if (at > 0) {
			uint64_t in = at > now ? at - now : 1;

			if (wake_ms == 0 || in < wake_ms)
				wake_ms = in;
		}
	}
	ev_timer_stop(o->loop, &o->wake);
	if (wake_ms > 0) {
		ev_timer_set(&o->wake, (double)wake_ms / 1000.0, 0.);
		ev_timer_start(o->loop, &o->wake);
	}
	return again;
}

/* Look at the child and its readiness; tell what changed. */
static void update(struct outer *o)
{
	struct health_check checks[HEALTH_CHECK_MAX];
	const struct health_check *failed = NULL;
	char status[OUTER_STATUS_MAX], msg[OUTER_STATUS_MAX + 32];
	enum outer_phase phase;
	enum health_child_state child = health_child(o->health);
	uint64_t now = clock_monotonic_ms();
	unsigned key;
	size_t n;
	bool ready, stopping;

	for (int pass = 0;; pass++) {
		n = health_checks(o->health, now, HEALTH_PROBE_READY, checks,
				  HEALTH_CHECK_MAX);
		failed = NULL;
		for (size_t i = 0; i < n && !failed; i++)
			if (!checks[i].ok)
				failed = &checks[i];
		if (!failed || child != HEALTH_CHILD_RUNNING ||
		    o->lc->shutting_down) {
			ev_timer_stop(o->loop, &o->wake);
			break;
		}
		if (!arm_wake(o, checks, n, now) || pass > 0)
			break;
	}
	phase = outer_phase(o->lc, child, !failed);
	/* a new key for each run, and for each check that holds it up */
	key = (unsigned)phase | o->lc->runs << 8;
	if (phase == OUTER_PHASE_NOT_READY)
		key |= ((unsigned)failed->id + 1) << 4;
	if (o->status_sent && key == o->status_key)
		return;
	ready = phase == OUTER_PHASE_READY && !o->ready_sent;
	stopping = phase >= OUTER_PHASE_STOPPING && !o->stopping_sent;
	outer_status_text(phase, failed ? failed->reason : NULL,
			  o->lc->last_wstatus, status, sizeof(status));
	textbuf_snprintf(msg, sizeof(msg), "%sSTATUS=%s",
			 ready	  ? "READY=1\n" :
			 stopping ? "STOPPING=1\n" :
				    "",
			 status);
	/*
	 * READY=1 and STOPPING=1 are said once: one lost would be lost for
	 * good (a Type=notify unit would time out). Until a send works the
	 * state is sent again on every wake-up, and the retry timer makes
	 * sure there is one.
	 */
	if (!outer_send(o, msg)) {
		if (!ev_is_active(&o->retry)) {
			ev_timer_set(&o->retry, o->retry_s, 0.);
			ev_timer_start(o->loop, &o->retry);
			o->retry_s = o->retry_s < 15 ? o->retry_s * 2 : 30;
		}
		return;
	}
	ev_timer_stop(o->loop, &o->retry);
	o->retry_s = 1;
	o->status_sent = true;
	o->status_key = key;
	o->ready_sent |= ready;
	o->stopping_sent |= stopping;
}

static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	update(w->data);
}

/* Nothing to do: waking the loop lets the prepare watcher look. */
static void wake_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct outer *o = w->data;

	(void)loop;
	(void)revents;
	if (health_live(o->health, clock_monotonic_ms()))
		outer_send(o, "WATCHDOG=1");
}

/* See outer.h. */
void outer_start(struct outer *o, struct ev_loop *loop,
		 const struct lifecycle *lc, struct health *h,
		 struct readytcp *tcp)
{
	if (o->fd < 0)
		return;
	o->loop = loop;
	o->lc = lc;
	o->health = h;
	o->tcp = tcp->addr_len > 0 ? tcp : NULL;
	ev_prepare_init(&o->prepare, prepare_cb);
	o->prepare.data = o;
	ev_prepare_start(loop, &o->prepare);
	ev_init(&o->wake, wake_cb);
	o->wake.data = o;
	ev_init(&o->retry, wake_cb);
	o->retry.data = o;
	o->retry_s = 1;
	ev_init(&o->watchdog, watchdog_cb);
	o->watchdog.data = o;
	if (o->watchdog_usec > 0) {
		/* at most a ping a millisecond, whatever the period */
		double every = o->watchdog_usec < 2000 ?
				       0.001 :
				       (double)o->watchdog_usec / 2e6;

		ev_timer_set(&o->watchdog, every, every);
		ev_timer_start(loop, &o->watchdog);
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_INT("watchdog_usec", o->watchdog_usec)),
			 "pinging the outer supervisor's watchdog");
	}
}

/* See outer.h. */
void outer_done(struct outer *o)
{
	if (o->loop) {
		update(o);
		ev_prepare_stop(o->loop, &o->prepare);
		ev_timer_stop(o->loop, &o->wake);
		ev_timer_stop(o->loop, &o->retry);
		ev_timer_stop(o->loop, &o->watchdog);
		o->loop = NULL;
	}
	fd_close(&o->fd);
}
