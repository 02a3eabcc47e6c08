/* SPDX-License-Identifier: MIT */
/*
 * child.h - spawn the command: its own process group, the terminal's
 * foreground group when stdin is a tty, the signal mask pidone started
 * with, no-new-privs, then execvp. Failure before or at exec is reported
 * back to the parent through a close-on-exec pipe, so the parent knows
 * exactly which step failed and why.
 */
#ifndef PIDONE_CHILD_H
#define PIDONE_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

enum child_step {
	CHILD_STEP_PIPE, /* in the parent: pipe2() for the report */
	CHILD_STEP_ENV, /* in the parent: the environment with WATCHDOG_PID */
	CHILD_STEP_FORK, /* in the parent: clone() */
	CHILD_STEP_SETPGID,
	CHILD_STEP_TCSETPGRP,
	CHILD_STEP_NO_NEW_PRIVS,
	CHILD_STEP_SIGMASK,
	CHILD_STEP_EXEC,
	CHILD_STEP_MAX
};

/* What child_spawn does in the child besides the fixed steps. */
enum child_flags {
	CHILD_NO_NEW_PRIVS = 1 << 0, /* prctl(PR_SET_NO_NEW_PRIVS) */
	CHILD_WATCHDOG_PID = 1 << 1, /* export WATCHDOG_PID=<its own pid> */
};

struct child_failure {
	enum child_step step;
	int errnum;
};

/*
 * Start @argv. @mask is restored in the child right before exec. Returns 0
 * and the pid in *@ret_pid once the exec has succeeded. On failure returns
 * -errnum and fills @reterr; a child that failed has already been reaped.
 */
int child_spawn(char *const *argv, const sigset_t *mask, unsigned flags,
		pid_t *ret_pid, struct child_failure *reterr);

/* "execvp", "setpgid"... for messages. */
const char *child_step_name(enum child_step step);

#endif
