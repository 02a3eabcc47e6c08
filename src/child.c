/* SPDX-License-Identifier: MIT */
/*
 * child.c - start the command, isolated exactly like tini and catatonit
 * isolate their child, and report a failed exec honestly.
 *
 * A plain fork(): the child is a copy of pidone, so between fork and exec
 * it may use its own memory freely (it writes its pid into its copy of
 * the environment) and the parent goes back to its loop at once: a child
 * stopped or slow before its exec (SIGSTOP, lazily pulled image layers,
 * NFS) never holds pidone up. A failed step is reported through a
 * close-on-exec pipe (s6's cspawn pipe): the child writes one struct
 * child_report and _exit()s; a successful exec closes the pipe, so the
 * parent reads EOF. The child finds out itself why an exec failed (it
 * has the right directory, user and PATH for that).
 *
 * No signal handler can run in the child: pidone installs none and every
 * signal stays blocked until the last call before exec. Owns no fd: the
 * report pipe's read end goes to the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "child.h"
#include "execpath.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "strv.h"
#include "textbuf.h"
#include "banned.h"

_Static_assert(sizeof(struct child_report) <= PIPE_BUF,
	       "a report must be written in one piece");

static const char *const step_names[CHILD_STEP_MAX] = {
	[CHILD_STEP_PIPE] = "pipe2",
	[CHILD_STEP_FORK] = "fork",
	[CHILD_STEP_SETPGID] = "setpgid",
	[CHILD_STEP_TCSETPGRP] = "tcsetpgrp",
	[CHILD_STEP_CHDIR] = "chdir",
	[CHILD_STEP_NO_NEW_PRIVS] = "prctl(PR_SET_NO_NEW_PRIVS)",
	[CHILD_STEP_SIGNALS] = "sigprocmask",
	[CHILD_STEP_EXEC] = "execve",
};

const char *child_step_name(enum child_step step)
{
	return step < CHILD_STEP_MAX ? step_names[step] : "?";
}

int child_report_code(const struct child_report *r)
{
	switch (r->verdict) {
	case CHILD_NOT_FOUND:
		return EX_NOTFOUND;
	case CHILD_NOT_EXECUTABLE:
	case CHILD_NO_INTERPRETER:
		return EX_NOEXEC;
	default:
		return EX_SOFTWARE;
	}
}

/*
 * After the exec failed: what is on disk decides between "not found" and
 * "not executable", since the errno alone misleads (ENOENT for a script
 * whose interpreter is missing, EACCES for one that is a directory).
 */
static void diagnose(const char *file, struct child_report *r)
{
	int found = execpath_find(file, strv_env_value(environ, "PATH"),
				  r->found, sizeof(r->found));
	int interp = 0;

	/* A script found executable: is its interpreter at fault? */
	if (found == 0 &&
	    execpath_interpreter(r->found, r->interp, sizeof(r->interp)) == 0)
		interp = execpath_interpreter_runs(r->interp);
	if (found == -ENOENT) {
		r->found[0] = '\0';
		r->verdict = CHILD_NOT_FOUND;
	} else if (interp < 0) {
		r->verdict = CHILD_NO_INTERPRETER;
		r->errnum = -interp;
	} else {
		if (found < 0 && found != -EACCES && found != -EISDIR)
			r->found[0] = '\0';
		r->verdict = CHILD_NOT_EXECUTABLE;
	}
}

static __attribute__((noreturn)) void
child_fail(const struct child_spec *spec, int report_fd, enum child_step step)
{
	struct child_report r = { .step = step, .errnum = errno };
	ssize_t n;

	if (step == CHILD_STEP_EXEC)
		diagnose(spec->argv[0], &r);
	else
		r.verdict = CHILD_OTHER_STEP;
	do {
		n = write(report_fd, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	_exit(child_report_code(&r));
}

/*
 * execvp's PATH search without its shell: glibc's execvp runs a file the
 * kernel refuses with ENOEXEC (no #! line) through /bin/sh, musl's does
 * not, and a command must never go through a shell. The search is the one
 * that explains a failure, so what runs and what is reported agree, and
 * both builds use the same default PATH. Returns only on failure, with
 * errno set.
 */
static void exec_command(const struct child_spec *spec)
{
	char path[PATH_MAX];
	int r = execpath_find(spec->argv[0], strv_env_value(environ, "PATH"),
			      path, sizeof(path));

	if (r == 0)
		execve(path, spec->argv, (char *const *)spec->envp);
	else
		errno = -r;
}

/* In the child, after fork; never returns. */
static __attribute__((noreturn)) void child_exec(const struct child_spec *spec,
						 int report_fd)
{
	if (setpgid(0, 0) < 0)
		child_fail(spec, report_fd, CHILD_STEP_SETPGID);

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
		child_fail(spec, report_fd, CHILD_STEP_TCSETPGRP);

	/* pidone itself left the start directory; the app starts there. */
	if (spec->dir && chdir(spec->dir) < 0)
		child_fail(spec, report_fd, CHILD_STEP_CHDIR);

	if (spec->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(spec, report_fd, CHILD_STEP_NO_NEW_PRIVS);

	/* sd_watchdog_enabled() wants the pid of the process that pings. */
	if (spec->watchdog_digits)
		textbuf_snprintf(spec->watchdog_digits, CHILD_PID_DIGITS + 1,
				 "%d", (int)getpid());
	/* sd_listen_fds() takes the fds only when LISTEN_PID is its own. */
	if (spec->listen_pid_digits)
		textbuf_snprintf(spec->listen_pid_digits, CHILD_PID_DIGITS + 1,
				 "%d", (int)getpid());

	/*
	 * What pidone inherited, exactly: an ignored SIGCHLD that pidone had
	 * to undo for itself (the kernel would reap its children before it
	 * could) is ignored again, and nothing pidone blocked for its
	 * signalfd stays blocked (`nohup` keeps working, as under tini).
	 */
	if (spec->restore_sigchld_ignored) {
		struct sigaction ign = { .sa_handler = SIG_IGN };

		if (sigaction(SIGCHLD, &ign, NULL) < 0)
			child_fail(spec, report_fd, CHILD_STEP_SIGNALS);
	}
	if (sigprocmask(SIG_SETMASK, spec->mask, NULL) < 0)
		child_fail(spec, report_fd, CHILD_STEP_SIGNALS);

	exec_command(spec);
	child_fail(spec, report_fd, CHILD_STEP_EXEC);
}

int child_spawn(const struct child_spec *spec, pid_t *ret_pid,
		int *ret_report_fd, enum child_step *ret_step)
{
	int report[2] = { -1, -1 };
	pid_t pid;
	int r;

	if (pipe2(report, O_CLOEXEC | O_NONBLOCK) < 0) {
		*ret_step = CHILD_STEP_PIPE;
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		*ret_step = CHILD_STEP_FORK;
		fd_close(&report[0]);
		fd_close(&report[1]);
		return r;
	}
	if (pid == 0) {
		/* The write end must block: the one report must get through. */
		if (fcntl(report[1], F_SETFL, 0) < 0)
			child_fail(spec, report[1], CHILD_STEP_PIPE);
		child_exec(spec, report[1]);
	}
	/*
	 * Both sides call setpgid, so the group exists whichever runs first.
	 * EACCES: the child has exec'd already, and did it itself.
	 */
	(void)setpgid(pid, pid);
	fd_close(&report[1]);
	*ret_pid = pid;
	*ret_report_fd = report[0];
	return 0;
}

int child_read_report(int fd, struct child_report *ret)
{
	struct child_report r;
	ssize_t n;

	do {
		n = read(fd, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(r)) {
		memset(&r, 0, sizeof(r));
		r.step = CHILD_STEP_EXEC;
		r.errnum = EIO;
		r.verdict = CHILD_OTHER_STEP;
	}
	r.found[sizeof(r.found) - 1] = '\0';
	r.interp[sizeof(r.interp) - 1] = '\0';
	*ret = r;
	return 1;
}

int child_env_build(char *const *base, char *const *set, char ***ret_envp)
{
	size_t n = 0, n_set = 0, kept = 0;
	char **envp;

	for (char *const *e = base; e && *e; e++)
		n++;
	for (char *const *e = set; e && *e; e++)
		n_set++;
	envp = arena_calloc(n + n_set + 1, sizeof(*envp));
	if (!envp)
		return -ENOMEM;
	for (char *const *e = base; e && *e; e++) {
		bool replaced = false;

		for (char *const *s = set; s && *s && !replaced; s++)
			replaced = strv_env_same_name(*e, *s);
		if (!replaced)
			envp[kept++] = *e;
	}
	for (char *const *s = set; s && *s; s++)
		if (strchr(*s, '='))
			envp[kept++] = *s;
	*ret_envp = envp;
	return 0;
}
