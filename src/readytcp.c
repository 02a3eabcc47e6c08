/* SPDX-License-Identifier: MIT */
/*
 * readytcp.c - the --ready-tcp check (see readytcp.h).
 *
 * After start-up nothing here may end pidone: a failed socket or connect
 * is a failed check, recorded with its reason.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "clock.h"
#include "fdutil.h"
#include "log.h"
#include "readytcp.h"
#include "textbuf.h"
#include "banned.h"

/*
 * Record the end of the check: @err 0 (connected), an errno, or -1 (no
 * answer in time); then tell the server, whose waiters may go on.
 */
static void finish(struct readytcp *t, int err)
{
	char reason[HEALTH_TCP_REASON_MAX];
	char *why = reason + strlen(t->target) + 2;

	_Static_assert(sizeof(t->target) + 2 < sizeof(reason),
		       "the why starts inside reason");

	ev_io_stop(t->loop, &t->io);
	ev_timer_stop(t->loop, &t->timer);
	fd_close(&t->fd);
	textbuf_snprintf(reason, sizeof(reason), "%s: %s", t->target,
			 err < 0 ? "no answer within 1 s" :
			 err	 ? strerror(err) :
				   "ok");
	/* strerror with a lower-case first letter: "connection refused" */
	if (why[0] >= 'A' && why[0] <= 'Z')
		why[0] = (char)(why[0] - 'A' + 'a');
	health_tcp_result(t->health, clock_monotonic_ms(), err == 0, reason);
	log_debug("ready-tcp check of %s", reason);
	t->done(t->data, t->gen);
}

static void connected(struct ev_loop *loop, ev_io *w, int revents)
{
	struct readytcp *t = w->data;
	socklen_t len = sizeof(int);
	int err = 0;

	(void)loop;
	(void)revents;
	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	finish(t, err);
}

static void timed_out(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	finish(w->data, -1);
}

/* See readytcp.h. */
void readytcp_init(struct readytcp *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

/* See readytcp.h. */
int readytcp_start(struct readytcp *t, struct ev_loop *loop,
		   const struct settings *s, struct health *h,
		   void (*done)(void *data, unsigned gen), void *data)
{
	const char *host = s->ready_tcp_host;

	if (s->ready_tcp_port == 0)
		return 0;
	if (!host || strcasecmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (fd_sockaddr(host, s->ready_tcp_port, &t->addr, &t->addr_len,
			t->target, sizeof(t->target)) < 0) {
		/* config.c accepts only literals and localhost */
		log_errorx(NULL, "--ready-tcp host %s is not an IP address",
			   host);
		return -EINVAL;
	}
	t->loop = loop;
	t->health = h;
	t->done = done;
	t->data = data;
	ev_init(&t->io, connected);
	t->io.data = t;
	ev_set_priority(&t->io, EV_MINPRI);
	ev_init(&t->timer, timed_out);
	t->timer.data = t;
	ev_set_priority(&t->timer, EV_MINPRI);
	return 0;
}

/* See readytcp.h. */
bool readytcp_wait_needed(struct readytcp *t)
{
	int err = 0;

	if (t->addr_len == 0 ||
	    !health_tcp_check_due(t->health, clock_monotonic_ms()))
		return false;
	if (t->fd >= 0)
		return true;
	/* a new generation: nobody waits for it yet if it ends at once */
	t->gen++;
	t->fd = socket(t->addr.ss_family,
		       SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->fd < 0)
		err = errno;
	else if (connect(t->fd, (struct sockaddr *)&t->addr, t->addr_len) < 0)
		err = errno;
	if (err != EINPROGRESS) {
		finish(t, err);
		return false;
	}
	ev_io_set(&t->io, t->fd, EV_WRITE);
	ev_io_start(t->loop, &t->io);
	ev_timer_set(&t->timer, READYTCP_TIMEOUT_S, 0.);
	ev_timer_start(t->loop, &t->timer);
	return true;
}

/* See readytcp.h. */
void readytcp_done(struct readytcp *t)
{
	if (t->loop) {
		ev_io_stop(t->loop, &t->io);
		ev_timer_stop(t->loop, &t->timer);
	}
	fd_close(&t->fd);
}
