/* SPDX-License-Identifier: MIT */
/*
 * child.c - fork and exec the command, exactly like tini and catatonit
 * isolate their child, and report a failed exec honestly (s6's cspawn
 * pipe): the child writes {step, errno} to a close-on-exec pipe and
 * _exit()s; a successful exec closes the pipe, so the parent reads EOF.
 *
 * The only fds are the two pipe ends, both O_CLOEXEC, both closed here.
 * Between fork and exec only async-signal-safe calls and _exit are used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "banned.h"

static const char *const step_names[CHILD_STEP_MAX] = {
	[CHILD_STEP_PIPE] = "pipe2",
	[CHILD_STEP_FORK] = "fork",
	[CHILD_STEP_SETPGID] = "setpgid",
	[CHILD_STEP_TCSETPGRP] = "tcsetpgrp",
	[CHILD_STEP_NO_NEW_PRIVS] = "prctl(PR_SET_NO_NEW_PRIVS)",
	[CHILD_STEP_SETENV] = "setenv(WATCHDOG_PID)",
	[CHILD_STEP_SIGMASK] = "sigprocmask",
	[CHILD_STEP_EXEC] = "execvp",
};

const char *child_step_name(enum child_step step)
{
	return step < CHILD_STEP_MAX ? step_names[step] : "?";
}

static __attribute__((noreturn)) void child_fail(int report_fd,
						 enum child_step step)
{
	struct child_failure failure = { .step = step, .errnum = errno };
	ssize_t n;

	do {
		n = write(report_fd, &failure, sizeof(failure));
	} while (n < 0 && errno == EINTR);
	_exit(failure.errnum == ENOENT ? EX_NOTFOUND : EX_NOEXEC);
}

/* Runs in the child; never returns. */
static __attribute__((noreturn)) void child_exec(char *const *argv,
						 const sigset_t *mask,
						 unsigned flags, int report_fd)
{
	if (setpgid(0, 0) < 0)
		child_fail(report_fd, CHILD_STEP_SETPGID);

	/*
	 * Take the terminal's foreground so that Ctrl-C under `docker run -it`
	 * reaches the app. We are a background group calling tcsetpgrp, which
	 * would raise SIGTTOU, but every signal is still blocked here, so the
	 * kernel lets the call through. No tty (ENOTTY), no controlling tty
	 * (ENXIO) or a closed stdin (EBADF) simply mean there is nothing to
	 * hand over.
	 */
	if (isatty(STDIN_FILENO) && tcsetpgrp(STDIN_FILENO, getpid()) < 0 &&
	    errno != ENOTTY && errno != ENXIO && errno != EBADF)
		child_fail(report_fd, CHILD_STEP_TCSETPGRP);

	if ((flags & CHILD_NO_NEW_PRIVS) &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(report_fd, CHILD_STEP_NO_NEW_PRIVS);

	/*
	 * sd_watchdog_enabled() wants the pid of the process that pings, which
	 * exists only now. pidone is single-threaded, so setenv (malloc) is
	 * safe after fork.
	 */
	if (flags & CHILD_WATCHDOG_PID) {
		char pid_text[16];

		snprintf(pid_text, sizeof(pid_text), "%d", (int)getpid());
		if (setenv("WATCHDOG_PID", pid_text, 1) < 0)
			child_fail(report_fd, CHILD_STEP_SETENV);
	}

	/*
	 * Exactly the mask pidone inherited: nothing pidone blocked for its
	 * signalfd stays blocked in the app. pidone changed no disposition,
	 * so there is none to put back.
	 */
	if (sigprocmask(SIG_SETMASK, mask, NULL) < 0)
		child_fail(report_fd, CHILD_STEP_SIGMASK);

	execvp(argv[0], argv);
	child_fail(report_fd, CHILD_STEP_EXEC);
}

int child_spawn(char *const *argv, const sigset_t *mask, unsigned flags,
		pid_t *ret_pid, struct child_failure *reterr)
{
	struct child_failure failure;
	int report[2] = { -1, -1 };
	ssize_t n;
	pid_t pid;
	int r;

	if (pipe2(report, O_CLOEXEC) < 0) {
		reterr->step = CHILD_STEP_PIPE;
		reterr->errnum = errno;
		return -reterr->errnum;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto err_close_pipe;
	}
	if (pid == 0)
		child_exec(argv, mask, flags, report[1]);

	fd_close(&report[1]);
	do {
		n = read(report[0], &failure, sizeof(failure));
	} while (n < 0 && errno == EINTR);
	fd_close(&report[0]);

	if (n == 0) {
		*ret_pid = pid;
		return 0;
	}
	if (n != (ssize_t)sizeof(failure)) {
		failure.step = CHILD_STEP_EXEC;
		failure.errnum = n < 0 ? errno : EIO;
	}
	/* The child has _exit()ed or is about to: collect it here. */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	*reterr = failure;
	return -failure.errnum;

err_close_pipe:
	fd_close(&report[0]);
	fd_close(&report[1]);
	reterr->step = CHILD_STEP_FORK;
	reterr->errnum = -r;
	return r;
}
