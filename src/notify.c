/* SPDX-License-Identifier: MIT */
/*
 * notify.c - the NOTIFY_SOCKET datagram socket (see notify.h for the
 * protocol and the trust rule).
 *
 * Invariants: fd is -1 or an AF_UNIX SOCK_DGRAM socket, close-on-exec and
 * non-blocking, bound to the abstract name in `name`; every fd that
 * arrives in SCM_RIGHTS is closed before the callback returns (received
 * close-on-exec, so not even a fork in between could leak one). The
 * callback reads a bounded number of datagrams per call, so a flooding
 * sender cannot hold the loop. After start-up nothing here can end pidone:
 * errors are logged and survived.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "fdutil.h"
#include "log.h"
#include "notify.h"
#include "parse.h"
#include "random.h"
#include "textbuf.h"
#include "banned.h"

/* Datagrams read per callback before yielding to other watchers. */
#define NOTIFY_BATCH 32

/* The most fds one SCM_RIGHTS message can carry (the kernel's SCM_MAX_FD). */
#define NOTIFY_FDS_MAX 253

/* See notify.h. */
void notify_init(struct notify *n)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
}

/* Does @line (@len bytes, no newline) equal the NUL-terminated @word? */
static bool line_is(const char *line, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(line, word, len) == 0;
}

/* See notify.h. */
unsigned notify_apply(struct health *h, const char *msg, size_t len,
		      uint64_t now)
{
	unsigned seen = 0;

	while (len > 0) {
		const char *nl = memchr(msg, '\n', len);
		size_t n = nl ? (size_t)(nl - msg) : len;

		if (line_is(msg, n, "READY=1")) {
			health_notify_ready(h);
			seen |= NOTIFY_SEEN_READY;
		} else if (line_is(msg, n, "STOPPING=1")) {
			health_notify_stopping(h);
			seen |= NOTIFY_SEEN_STOPPING;
		} else if (line_is(msg, n, "WATCHDOG=1")) {
			health_watchdog_ping(h, now);
			seen |= NOTIFY_SEEN_WATCHDOG;
		} else if (line_is(msg, n, "WATCHDOG=trigger")) {
			health_watchdog_trigger(h);
			seen |= NOTIFY_SEEN_TRIGGER;
		} else if (n >= 7 && memcmp(msg, "STATUS=", 7) == 0) {
			health_notify_status(h, msg + 7, n - 7);
			seen |= NOTIFY_SEEN_STATUS;
		}
		if (!nl)
			break;
		msg += n + 1;
		len -= n + 1;
	}
	return seen;
}

/* Close every fd an SCM_RIGHTS message brought; find the credentials. */
static const struct ucred *scan_control(struct msghdr *mh)
{
	const struct ucred *cred = NULL;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int *fds = (int *)(void *)CMSG_DATA(c);

			for (size_t i = 0; i < n; i++) {
				int fd = fds[i];

				fd_close(&fd);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			cred = (const struct ucred *)(void *)CMSG_DATA(c);
		}
	}
	return cred;
}

/*
 * May @pid talk to us? The main child, or any process of its group (an app
 * whose worker or a `systemd-notify` helper sends READY=1). A sender that
 * has already exited and been reaped cannot be checked and is refused.
 */
static bool sender_trusted(const struct notify *n, pid_t pid)
{
	pid_t pgid;

	if (pid <= 0 || n->lc->pgid <= 0)
		return false;
	if (pid == n->lc->child_pid)
		return true;
	pgid = getpgid(pid);
	return pgid > 0 && pgid == n->lc->pgid;
}

static void drop(const char *why, pid_t pid)
{
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_INT("sender_pid", pid)),
			 "notify: datagram dropped: %s", why);
}

/* Handle one datagram; false when there is nothing more to read. */
static bool receive_one(struct notify *n)
{
	char buf[NOTIFY_DATAGRAM_MAX];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	const struct ucred *cred;
	bool was_ready, was_stopping, silent;
	ssize_t len;
	unsigned seen;
	pid_t pid;

	len = recvmsg(n->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (len < 0) {
		if (errno == EINTR)
			return true;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn(
				"notify: cannot read from the socket, ignoring");
		return false;
	}
	cred = scan_control(&mh);
	pid = cred ? cred->pid : 0;
	if (!cred) {
		drop("no sender credentials", 0);
		return true;
	}
	if (!sender_trusted(n, pid)) {
		drop("sender is not the child or in its process group", pid);
		return true;
	}
	if (mh.msg_flags & MSG_TRUNC) {
		drop("longer than 4096 bytes", pid);
		return true;
	}
	if (memchr(buf, '\0', (size_t)len)) {
		drop("holds a NUL byte", pid);
		return true;
	}

	was_ready = n->health->notify_ready;
	was_stopping = n->health->notify_stopping;
	silent = n->silence_logged &&
		 n->silence_logged == n->health->watchdog_last_ms;
	seen = notify_apply(n->health, buf, (size_t)len, clock_monotonic_ms());
	if ((seen & NOTIFY_SEEN_READY) && !was_ready)
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("sender_pid", pid)),
			 "child sent READY=1");
	if ((seen & NOTIFY_SEEN_STOPPING) && !was_stopping)
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("sender_pid", pid)),
			 "child sent STOPPING=1: not ready any more");
	if ((seen & NOTIFY_SEEN_WATCHDOG) && silent &&
	    !n->health->watchdog_triggered)
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("sender_pid", pid)),
			 "child sent WATCHDOG=1 again: live");
	if (seen & NOTIFY_SEEN_TRIGGER)
		log_emit(LOG_LEVEL_WARN, 0, NULL,
			 LOG_FIELDS(LOG_INT("sender_pid", pid)),
			 "child sent WATCHDOG=trigger: not live any more");
	return true;
}

static void readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct notify *n = w->data;

	(void)loop;
	(void)revents;
	for (int i = 0; i < NOTIFY_BATCH; i++)
		if (!receive_one(n))
			break;
}

/*
 * The watchdog's limit may have run out: say so once per silence, since
 * the probes answer 503 from then on and the log is where a user looks
 * for why the container was restarted. Pings only move the health's
 * watchdog_last_ms (no timer work per ping), and a new child moves it
 * without telling us: so this wakes at most twice per limit, reading
 * where the count stands.
 */
static void silence_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct notify *n = w->data;
	const struct health *h = n->health;
	uint64_t now = clock_monotonic_ms();
	uint64_t due = h->watchdog_last_ms + h->cfg.watchdog_ms;
	uint64_t next_ms = h->cfg.watchdog_ms;
	char limit[24];

	(void)revents;
	if (now <= due) {
		next_ms = due - now + 1;
	} else if (n->silence_logged != h->watchdog_last_ms &&
		   lifecycle_child_up(n->lc) && !lifecycle_stopping(n->lc) &&
		   !h->watchdog_triggered) {
		n->silence_logged = h->watchdog_last_ms;
		log_emit(LOG_LEVEL_WARN, 0, NULL,
			 LOG_FIELDS(LOG_INT("pid", n->lc->child_pid)),
			 "child sent no WATCHDOG=1 for %s s (--watchdog): "
			 "not live any more",
			 seconds_text(h->cfg.watchdog_ms, limit,
				      sizeof(limit)));
	}
	ev_timer_set(w, (double)next_ms / 1000.0, 0.);
	ev_timer_start(loop, w);
}

/* See notify.h. */
int notify_start(struct notify *n, struct ev_loop *loop,
		 const struct settings *s, struct health *h,
		 const struct lifecycle *lc)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t sa_len;
	size_t name_len;
	int one = 1, r;

	if (!s->ready_notify && s->watchdog_ms == 0)
		return 0;
	n->health = h;
	n->lc = lc;

	/* 16 hex digits that another container of the pod cannot guess */
	textbuf_snprintf(n->name, sizeof(n->name),
			 "@pidone-notify-%d-%016" PRIx64, (int)getpid(),
			 random_u64());
	name_len = strlen(n->name);
	/* abstract: sun_path[0] is NUL, the name follows, no terminator */
	memcpy(sa.sun_path + 1, n->name + 1, name_len - 1);
	sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len);

	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		r = -errno;
		log_error(NULL,
			  "notify: cannot create the NOTIFY_SOCKET socket");
		return r;
	}
	if (setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		r = -errno;
		log_error(NULL, "notify: cannot set SO_PASSCRED");
		goto err_close_fd;
	}
	if (bind(n->fd, (struct sockaddr *)&sa, sa_len) < 0) {
		r = -errno;
		log_error(NULL, "notify: cannot bind %s", n->name);
		goto err_close_fd;
	}

	ev_io_init(&n->watcher, readable, n->fd, EV_READ);
	n->watcher.data = n;
	ev_set_priority(&n->watcher, EV_MINPRI);
	ev_io_start(loop, &n->watcher);
	if (s->watchdog_ms) {
		ev_timer_init(&n->silence, silence_cb,
			      (double)s->watchdog_ms / 1000.0, 0.);
		n->silence.data = n;
		ev_timer_start(loop, &n->silence);
	}
	log_emit(LOG_LEVEL_DEBUG, 0, NULL,
		 LOG_FIELDS(LOG_STR("notify_socket", n->name)),
		 "notify socket ready");
	return 0;

err_close_fd:
	fd_close(&n->fd);
	return r;
}

/* See notify.h. */
void notify_done(struct notify *n, struct ev_loop *loop)
{
	if (n->fd < 0)
		return;
	ev_io_stop(loop, &n->watcher);
	ev_timer_stop(loop, &n->silence);
	fd_close(&n->fd);
}
