/* SPDX-License-Identifier: MIT */
/*
 * signals.h - every signal pidone can receive, read from one signalfd on
 * the event loop.
 *
 * pidone blocks all signals first thing in main() (the synchronous ones
 * too: a copy sent with kill(1) is then read here and forwarded, while a
 * real fault is still forced through the mask by the kernel and stays
 * fatal). SIGCHLD is read here too, and never forwarded: it wakes the
 * supervisor's reaper. No handler is ever installed and no disposition is
 * changed, and libev is given no signal of its own (no ev_signal, ev_child
 * or ev_async), so it opens no signalfd or pipe besides this fd.
 *
 * We read a signalfd of our own rather than using one ev_signal per
 * signal because forwarding needs the siginfo: the kernel reports a
 * SIGPIPE that pidone raised itself (a write to a closed stderr pipe) as
 * SI_USER from our own pid, and that one must not be forwarded.
 */
#ifndef PIDONE_SIGNALS_H
#define PIDONE_SIGNALS_H

#include <ev.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/signalfd.h>

typedef void signals_cb(void *data, int signo);

struct signals {
	int fd; /* the signalfd, owned; -1 when closed */
	ev_io watcher;
	signals_cb *cb;
	void *data;
	pid_t self; /* pidone's pid, read once */
};

/*
 * Block every signal, saving the mask pidone was started with in
 * *@ret_original (the child gets it back before exec). Returns 0 or -errno.
 */
int signals_block_all(sigset_t *ret_original);

/*
 * Set SIGCHLD's disposition to the default, saying in *@ret_was_ignored
 * whether it was ignored. Returns 0 or -errno.
 */
int signals_unignore_sigchld(bool *ret_was_ignored);

/*
 * Open the signalfd for every blockable signal, SIGCHLD included, and watch
 * it on @loop: @cb(@data, signo) runs for each signal received, except
 * those pidone raised itself, which are dropped. Returns 0 or -errno.
 */
int signals_start(struct signals *s, struct ev_loop *loop, signals_cb *cb,
		  void *data);

/*
 * Read and act on the signals pending now, without waiting: for work
 * that runs long within one loop pass (@s is a struct signals; the
 * health server calls it between batches of requests), so that a SIGTERM
 * does not wait for the end of the pass.
 */
void signals_poll(void *s);

/* Stop watching and close the fd; accepts a never-started struct. */
void signals_done(struct signals *s, struct ev_loop *loop);

/* Did pidone raise this signal itself (e.g. EPIPE's SIGPIPE)? */
bool signals_is_self_raised(const struct signalfd_siginfo *si, pid_t self);

#endif
