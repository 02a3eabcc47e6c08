/* SPDX-License-Identifier: MIT */
/*
 * signals.c - the signal mask and the signalfd watcher.
 *
 * Owns one fd: the signalfd (SFD_CLOEXEC | SFD_NONBLOCK). Reading drains
 * it completely on each wakeup; several queued instances of a standard
 * signal collapse into one, as they would for any process (so one SIGCHLD
 * may stand for many exited children: the reaper loops until none is left).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdutil.h"
#include "log.h"
#include "signals.h"
#include "banned.h"

/*
 * Every signal, as the kernel's own 64-bit mask, given to the syscalls
 * directly. sigfillset() leaves out the signals the C library keeps for
 * itself (glibc 32-33, musl 32-34): those would reach pidone unblocked,
 * with their default action (termination), and never be forwarded, and 34
 * is glibc's SIGRTMIN, which a Python or Node child may well use. pidone
 * is single-threaded and needs none of them itself. The kernel ignores
 * the KILL and STOP bits.
 */
static const uint64_t every_signal = ~(uint64_t)0;

int signals_block_all(sigset_t *ret_original)
{
	/* The kernel fills the first 8 bytes, the layout of both libcs. */
	sigemptyset(ret_original);
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &every_signal,
		    ret_original, sizeof(every_signal)) < 0)
		return -errno;
	return 0;
}

int signals_unignore_sigchld(bool *ret_was_ignored)
{
	struct sigaction old, dfl = { .sa_handler = SIG_DFL };

	/*
	 * With SIGCHLD ignored (or SA_NOCLDWAIT) the kernel reaps our
	 * children itself: no SIGCHLD, no exit status, and pidone would wait
	 * for ever. Setting the default back is pidone's only disposition
	 * change; the child gets the ignored one back before its exec.
	 */
	if (sigaction(SIGCHLD, &dfl, &old) < 0)
		return -errno;
	*ret_was_ignored = old.sa_handler == SIG_IGN;
	return 0;
}

/*
 * A signal pidone raised itself (SIGPIPE from a write to a closed stderr
 * pipe) is dropped without a word: logging it could raise the next one.
 */
static void dispatch(struct signals *s, const struct signalfd_siginfo *si)
{
	if (!signals_is_self_raised(si, s->self))
		s->cb(s->data, (int)si->ssi_signo);
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
			dispatch(s, &si[i]);
		if ((size_t)n < sizeof(si))
			return;
	}
}

void signals_poll(void *s)
{
	struct signals *sig = s;

	if (sig->fd >= 0)
		signals_readable(NULL, &sig->watcher, EV_READ);
}

int signals_start(struct signals *s, struct ev_loop *loop, signals_cb *cb,
		  void *data)
{
	/* SIGCHLD included: the reaper is woken through this fd too. */
	s->fd = (int)syscall(SYS_signalfd4, -1, &every_signal,
			     sizeof(every_signal), SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->fd < 0)
		return -errno;
	s->cb = cb;
	s->data = data;
	s->self = getpid();
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
