/* SPDX-License-Identifier: MIT */
/*
 * signals.c - the signal mask and the signalfd watcher.
 *
 * Owns one fd: the signalfd (SFD_CLOEXEC | SFD_NONBLOCK). Reading drains
 * it completely on each wakeup; several queued instances of a standard
 * signal collapse into one, as they would for any process.
 */
#include <errno.h>
#include <unistd.h>

#include "fdutil.h"
#include "log.h"
#include "signals.h"
#include "banned.h"

int signals_block_all(sigset_t *ret_original)
{
	sigset_t all;

	if (sigfillset(&all) < 0 ||
	    sigprocmask(SIG_SETMASK, &all, ret_original) < 0)
		return -errno;
	return 0;
}

static void signals_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct signals *s = w->data;
	struct signalfd_siginfo si[16];

	(void)loop;
	(void)revents;
	for (;;) {
		ssize_t n = read(s->fd, si, sizeof(si));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("cannot read signalfd, ignoring");
			return;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++)
			s->cb(s, &si[i]);
		if ((size_t)n < sizeof(si))
			return;
	}
}

int signals_start(struct signals *s, struct ev_loop *loop, signals_cb *cb)
{
	sigset_t set;

	if (sigfillset(&set) < 0 || sigdelset(&set, SIGCHLD) < 0)
		return -errno;
	s->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->fd < 0)
		return -errno;
	s->cb = cb;
	ev_io_init(&s->watcher, signals_readable, s->fd, EV_READ);
	s->watcher.data = s;
	/* Signals outrank HTTP clients: a probe storm cannot delay a SIGTERM. */
	ev_set_priority(&s->watcher, EV_MAXPRI);
	ev_io_start(loop, &s->watcher);
	return 0;
}

void signals_done(struct signals *s, struct ev_loop *loop)
{
	if (s->fd < 0)
		return;
	ev_io_stop(loop, &s->watcher);
	fd_close(&s->fd);
}

bool signals_is_self_raised(const struct signalfd_siginfo *si, pid_t self)
{
	/*
	 * The kernel sends SIGPIPE and SIGXFSZ for a failed write with
	 * send_sig(..., 0), which fills si_code = SI_USER and si_pid with the
	 * writer's pid. A kill() from another process has another pid (or 0
	 * from outside our PID namespace).
	 */
	return si->ssi_code == SI_USER && (pid_t)si->ssi_pid == self;
}
