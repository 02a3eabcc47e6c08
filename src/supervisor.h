/* SPDX-License-Identifier: MIT */
/*
 * supervisor.h - the main child's life cycle on the event loop (README,
 * What pidone does, in order): spawn, forward signals, reap every process, grace and
 * SIGKILL, drain the child's process group, restart with backoff, and the
 * exit code pidone ends with.
 *
 *   RUNNING --main child exits--> DRAINING --group empty--> DONE
 *                                     |                      ^
 *                                     +--restart wanted--> BACKOFF --timer--> RUNNING
 *
 * While DRAINING, the rest of the child's group has been sent SIGTERM and
 * gets SIGKILL when the grace runs out. A terminating signal (TERM, INT,
 * QUIT) sets `shutting_down`: no more restarts, and the same grace timer.
 * Nothing here polls: the only timers run during grace and backoff.
 */
#ifndef PIDONE_SUPERVISOR_H
#define PIDONE_SUPERVISOR_H

#include <ev.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "child.h"
#include "restart.h"
#include "settings.h"

struct health;

enum supervisor_state {
	SUPERVISOR_IDLE, /* before supervisor_start */
	SUPERVISOR_RUNNING, /* the main child runs */
	SUPERVISOR_DRAINING, /* it exited; waiting for its group */
	SUPERVISOR_BACKOFF, /* waiting to restart it */
	SUPERVISOR_DONE, /* pidone exits with exit_code */
	SUPERVISOR_STATE_MAX
};

struct supervisor {
	const struct settings *settings;
	struct ev_loop *loop;
	const sigset_t *child_mask; /* the mask pidone was started with */
	struct health *health; /* NULL when the health port is off */
	pid_t self;

	enum supervisor_state state;
	pid_t child_pid; /* 0 when the main child is not running */
	pid_t pgid; /* the group to forward to and drain; 0 when gone */
	int exit_code; /* of the last run, after --success-exit */
	bool shutting_down;
	bool group_terminated; /* a terminating signal went to the group */
	bool group_killed; /* SIGKILL sent to the group */
	uint64_t started_ms; /* monotonic, see clock.h */
	uint64_t exited_ms;
	unsigned restart_delay_ms;

	ev_timer grace_timer; /* SIGKILL the group when it fires */
	ev_timer kill_timer; /* bounds the wait after SIGKILL */
	ev_timer backoff_timer;
	struct restart restart;

	uint64_t zombies_reaped; /* processes reaped other than main children */
	uint64_t signals_forwarded[SIGNAME_MAX + 1];
};

/*
 * Start the supervisor on @loop and spawn the first child. @self is
 * pidone's own pid, which the caller already has. Returns 0, or -errno
 * when the child could not be started (already logged); then
 * *@ret_exit_code is 126/127 for exec failures and EX_SOFTWARE otherwise.
 */
int supervisor_start(struct supervisor *sup, struct ev_loop *loop,
		     const struct settings *settings,
		     const sigset_t *child_mask, pid_t self,
		     int *ret_exit_code);

/* A signal pidone received (anything but SIGCHLD). */
void supervisor_signal(struct supervisor *sup, int signo);

/*
 * SIGCHLD arrived: reap every exited child, orphans included, with
 * waitpid(WNOHANG) until none is left (one SIGCHLD may stand for many),
 * then act on the main child's end and on its group being gone.
 */
void supervisor_reap(struct supervisor *sup);

/* Is the main child running (for liveness and metrics)? */
bool supervisor_child_up(const struct supervisor *sup);

/* Stop every watcher (after the loop has ended). */
void supervisor_done(struct supervisor *sup);

#endif
