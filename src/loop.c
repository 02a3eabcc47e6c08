/* SPDX-License-Identifier: MIT */
/* loop.c - see loop.h. Owns the libev loop and its fds (epoll, timerfd). */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "arena.h"
#include "log.h"
#include "loop.h"
#include "banned.h"

static void no_periodic(struct ev_loop *loop, ev_periodic *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/*
 * Without a periodic watcher libev wakes every 59.7 s (MAX_BLOCKTIME) to
 * notice wall-clock jumps. Starting one makes it arm a timerfd that reports
 * those jumps instead, and from then on it blocks for up to 17 days: an
 * idle pidone then sleeps until an event arrives. The timerfd stays after
 * the watcher is stopped; it fires only if the wall clock is set.
 */
static void wait_without_timeout(struct ev_loop *loop)
{
	ev_periodic arm;

	ev_periodic_init(&arm, no_periodic, 4e9, 0., NULL);
	ev_periodic_start(loop, &arm);
	ev_periodic_stop(loop, &arm);
}

/* libev calls this instead of abort() when a syscall inside it fails. */
static void syserr(const char *msg)
{
	log_error(NULL, "%s, ignoring", msg);
}

/*
 * libev's own allocator aborts when memory runs out, and PID 1 must not
 * abort: wait for memory instead (the loop's arrays grow only with the
 * number of fds and timers, so this is rare and short), saying so once.
 * Its first arrays (the loop itself, epoll's event buffer, the fd, pending
 * and timer arrays: under 3 KiB) come from the start's arena.
 */
static void *loop_realloc(void *ptr, long size)
{
	bool said = false;

	for (;;) {
		void *p = arena_realloc(ptr, (size_t)size);

		if (p || size == 0)
			return p;
		if (!said)
			log_warn("out of memory in the event loop, waiting");
		said = true;
		(void)usleep(100 * 1000);
	}
}

/* stderr drained after drops: write the "N log lines dropped" line. */
static void log_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	if (log_flush() != -EAGAIN)
		ev_io_stop(loop, w);
}

/* log.c dropped a record on a full stderr: wake up when it drains. */
static void log_backlog(void *data)
{
	struct loop *l = data;

	if (ev_is_active(&l->log_watcher))
		return;
	ev_io_set(&l->log_watcher, log_sink_fd(), EV_WRITE);
	ev_io_start(l->ev, &l->log_watcher);
}

int loop_open(struct loop *l)
{
	ev_set_syserr_cb(syserr);
	ev_set_allocator(loop_realloc);
	/*
	 * The backends libev would pick by itself, named so that it need not
	 * ask uname() whether io_uring is worth trying. The static build's
	 * libev has epoll alone (contrib/musl/build): there no loop means
	 * epoll_create1 failed, and its errno says why (EMFILE, ENOMEM).
	 */
	errno = 0;
	l->ev = ev_loop_new(EVBACKEND_EPOLL | EVBACKEND_POLL |
			    EVFLAG_NOSIGMASK | EVFLAG_NOENV);
	if (!l->ev)
		return errno ? -errno : -ENOMEM;
	wait_without_timeout(l->ev);
	ev_init(&l->log_watcher, log_writable);
	log_set_backlog_cb(log_backlog, l);
	return 0;
}

void loop_close(struct loop *l)
{
	if (!l->ev)
		return;
	log_set_backlog_cb(NULL, NULL);
	ev_io_stop(l->ev, &l->log_watcher);
	(void)log_flush(); /* a last chance for the drop count */
	ev_loop_destroy(l->ev);
	l->ev = NULL;
}
