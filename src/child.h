/* SPDX-License-Identifier: MIT */
/*
 * child.h - spawn the command: its own process group, the terminal's
 * foreground group when stdin is a tty, the signal mask and ignored
 * signals pidone started with, no-new-privs, its environment, then an
 * exec found as execvp would find it, never through a shell. The spawn
 * never waits for the exec: a failure before or at exec is reported back
 * through a close-on-exec pipe that the caller reads from its event loop
 * (EOF: the exec worked).
 */
#ifndef PIDONE_CHILD_H
#define PIDONE_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

enum child_step {
	CHILD_STEP_PIPE, /* in the parent: pipe2() for the report */
	CHILD_STEP_FORK, /* in the parent: fork() */
	CHILD_STEP_SETPGID,
	CHILD_STEP_TCSETPGRP,
	CHILD_STEP_CHDIR,
	CHILD_STEP_NO_NEW_PRIVS,
	CHILD_STEP_SIGNALS,
	CHILD_STEP_EXEC,
	CHILD_STEP_MAX
};

/* What an exec failure turned out to be, found out in the child. */
enum child_verdict {
	CHILD_NOT_FOUND, /* nowhere on PATH, or no such file: 127 */
	CHILD_NOT_EXECUTABLE, /* found, cannot be executed: 126 */
	CHILD_NO_INTERPRETER, /* a script whose #! interpreter cannot run */
	CHILD_OTHER_STEP, /* a step before the exec failed: EX_SOFTWARE */
	CHILD_VERDICT_MAX
};

/* The child's report: written once, in one write (under PIPE_BUF). */
struct child_report {
	enum child_step step;
	int errnum;
	enum child_verdict verdict;
	char found[1024]; /* the file found on PATH; "" when none */
	char interp[256]; /* CHILD_NO_INTERPRETER: the #! interpreter */
};

/* How to start the command; everything is the caller's and stays so. */
struct child_spec {
	char *const *argv;
	char *const *envp; /* the child's whole environment */
	char *watchdog_digits; /* in envp: room for the child's pid, or NULL */
	char *listen_pid_digits; /* the same for LISTEN_PID, or NULL */
	const sigset_t *mask; /* restored right before exec */
	bool restore_sigchld_ignored; /* pidone un-ignored SIGCHLD at start */
	const char *dir; /* chdir here before exec, NULL: stay */
	bool no_new_privs;
};

/*
 * fork the command. Returns 0 with its pid in *@ret_pid and the read end
 * of the report pipe (O_CLOEXEC | O_NONBLOCK, the caller's to close) in
 * *@ret_report_fd, or -errno with the step that failed in *@ret_step.
 * The parent also puts the child in its own process group, so that a
 * signal for the group cannot miss it before the child has done so.
 */
int child_spawn(const struct child_spec *spec, pid_t *ret_pid,
		int *ret_report_fd, enum child_step *ret_step);

/*
 * Read the report from @fd: 0 when the exec worked (EOF), 1 with
 * *@ret filled when the child reported a failure, -EAGAIN when nothing has
 * come yet, other -errno when the pipe cannot be read.
 */
int child_read_report(int fd, struct child_report *ret);

/* The exit code a failure report stands for: 127, 126 or EX_SOFTWARE. */
int child_report_code(const struct child_report *r);

/* Room for a pid in decimal, without the NUL. */
#define CHILD_PID_DIGITS 10

/*
 * The child's environment: the entries of @base, except those whose name
 * one of @set ("NAME=value", NULL-terminated) has, then @set. An entry
 * "NAME" of @set (no '=') only removes NAME. Only the array is allocated
 * (arena_free() it); its strings stay @base's and @set's. Returns 0 or
 * -ENOMEM.
 */
int child_env_build(char *const *base, char *const *set, char ***ret_envp);

/* "execvp", "setpgid"... for messages. */
const char *child_step_name(enum child_step step);

#endif
