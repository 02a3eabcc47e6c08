/* SPDX-License-Identifier: MIT */
/*
 * child.c - start the command, isolated exactly like tini and catatonit
 * isolate their child, and report a failed exec honestly.
 *
 * The child is made with clone(CLONE_VM | CLONE_VFORK), as posix_spawn
 * does: it borrows pidone's memory until it execs, and pidone sleeps until
 * then. No page table is copied and no page of pidone's is write-faulted
 * afterwards, which a fork() of the loop's process costs at start and again
 * on the next signal. A failed step is reported through a close-on-exec
 * pipe (s6's cspawn pipe): the child writes {step, errno} and _exit()s; a
 * successful exec closes the pipe, so the parent reads EOF. (The pipe, not
 * the shared memory, because under valgrind a vfork is a fork.)
 *
 * The rules of a shared-memory child: it runs on a stack of its own,
 * calls only async-signal-safe functions, allocates nothing and changes
 * no memory but its WATCHDOG_PID digits. No signal handler can run in it:
 * pidone installs none and every signal is blocked until the last call
 * before exec. The only fds are the two pipe ends, both O_CLOEXEC, both
 * closed here; the stack is unmapped once the child is gone from this
 * memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "log.h"
#include "textbuf.h"
#include "banned.h"

extern char **environ;

/*
 * The child's stack: room for execvp's PATH entry (at most PATH_MAX) and
 * for glibc's copy of argv when it runs a script, sized from argv the way
 * glibc's posix_spawn sizes its own. Mapped per spawn: spawns are rare.
 */
#define CHILD_STACK_BASE (32 * 1024)

static const char *const step_names[CHILD_STEP_MAX] = {
	[CHILD_STEP_PIPE] = "pipe2",
	[CHILD_STEP_ENV] = "environment",
	[CHILD_STEP_FORK] = "fork",
	[CHILD_STEP_SETPGID] = "setpgid",
	[CHILD_STEP_TCSETPGRP] = "tcsetpgrp",
	[CHILD_STEP_NO_NEW_PRIVS] = "prctl(PR_SET_NO_NEW_PRIVS)",
	[CHILD_STEP_SIGMASK] = "sigprocmask",
	[CHILD_STEP_EXEC] = "execvp",
};

const char *child_step_name(enum child_step step)
{
	return step < CHILD_STEP_MAX ? step_names[step] : "?";
}

/* What the child needs, in the parent's memory. */
struct spawn {
	char *const *argv;
	const sigset_t *mask;
	unsigned flags;
	char **envp;
	char *watchdog_digits; /* in envp's WATCHDOG_PID= entry, or NULL */
	int report_fd; /* the pipe's write end */
};

/*
 * The child's code runs on a stack AddressSanitizer did not make: its
 * noreturn bookkeeping would warn on stderr, the log's own stream. The
 * few lines here are simple; the sanitizer keeps watching everything else.
 */
#define CHILD_CODE __attribute__((no_sanitize_address))

#define WATCHDOG_PREFIX "WATCHDOG_PID="
#define PID_DIGITS_MAX 10

CHILD_CODE static __attribute__((noreturn)) void
child_fail(const struct spawn *sp, enum child_step step)
{
	struct child_failure failure = { .step = step, .errnum = errno };
	ssize_t n;

	do {
		n = write(sp->report_fd, &failure, sizeof(failure));
	} while (n < 0 && errno == EINTR);
	_exit(failure.errnum == ENOENT ? EX_NOTFOUND : EX_NOEXEC);
}

/* Runs in the child, on the borrowed stack; never returns. */
CHILD_CODE static int child_exec(void *arg)
{
	const struct spawn *sp = arg;

	if (setpgid(0, 0) < 0)
		child_fail(sp, CHILD_STEP_SETPGID);

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
		child_fail(sp, CHILD_STEP_TCSETPGRP);

	if ((sp->flags & CHILD_NO_NEW_PRIVS) &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(sp, CHILD_STEP_NO_NEW_PRIVS);

	/* sd_watchdog_enabled() wants the pid of the process that pings. */
	if (sp->watchdog_digits) {
		struct textbuf t; /* pure, no stdio: fine in this child */

		textbuf_init(&t, sp->watchdog_digits, PID_DIGITS_MAX + 1);
		textbuf_putu(&t, (unsigned long long)getpid(), 10, 1);
	}

	/*
	 * Exactly the mask pidone inherited: nothing pidone blocked for its
	 * signalfd stays blocked in the app. pidone changed no disposition,
	 * so there is none to put back.
	 */
	if (sigprocmask(SIG_SETMASK, sp->mask, NULL) < 0)
		child_fail(sp, CHILD_STEP_SIGMASK);

	execvpe(sp->argv[0], sp->argv, sp->envp);
	child_fail(sp, CHILD_STEP_EXEC);
}

/*
 * environ with WATCHDOG_PID=<room for a pid> in place of any earlier one,
 * for the child to fill in. Returns the array (free() it and nothing
 * else: the new entry lives in the same block) or NULL with errno set.
 */
static char **watchdog_environ(char **ret_digits)
{
	static const char prefix[] = WATCHDOG_PREFIX;
	size_t n = 0, kept = 0;
	char **envp, *entry;

	for (char **e = environ; e && *e; e++)
		n++;
	if (n >
	    (SIZE_MAX - sizeof(prefix) - PID_DIGITS_MAX - 1) / sizeof(char *) -
		    2) {
		errno = E2BIG;
		return NULL;
	}
	envp = malloc((n + 2) * sizeof(char *) + sizeof(prefix) +
		      PID_DIGITS_MAX);
	if (!envp)
		return NULL;
	entry = (char *)(envp + n + 2);
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, prefix, sizeof(prefix) - 1) != 0)
			envp[kept++] = *e;
	memcpy(entry, prefix, sizeof(prefix)); /* digits follow the '=' */
	envp[kept++] = entry;
	envp[kept] = NULL;
	*ret_digits = entry + sizeof(prefix) - 1;
	return envp;
}

/* Read the child's report: 0 after a successful exec, else -errno. */
static int read_report(int fd, pid_t pid, struct child_failure *reterr)
{
	struct child_failure failure;
	ssize_t n;

	do {
		n = read(fd, &failure, sizeof(failure));
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(failure)) {
		failure.step = CHILD_STEP_EXEC;
		failure.errnum = n < 0 ? errno : EIO;
	}
	/* The child has _exit()ed or is about to: collect it here. */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	*reterr = failure;
	return -failure.errnum;
}

int child_spawn(char *const *argv, const sigset_t *mask, unsigned flags,
		pid_t *ret_pid, struct child_failure *reterr)
{
	struct spawn sp = {
		.argv = argv,
		.mask = mask,
		.flags = flags,
		.envp = environ,
	};
	int report[2] = { -1, -1 };
	size_t argc = 0, stack_size;
	char **own_env = NULL;
	void *stack = MAP_FAILED;
	enum child_step step;
	pid_t pid;
	int r;

	while (argv[argc])
		argc++;
	/* argc is bounded by ARG_MAX: the kernel took these strings. */
	stack_size = CHILD_STACK_BASE + (argc + 3) * sizeof(char *);
	step = CHILD_STEP_ENV;
	if (flags & CHILD_WATCHDOG_PID) {
		own_env = watchdog_environ(&sp.watchdog_digits);
		if (!own_env)
			goto fail;
		sp.envp = own_env;
	}
	step = CHILD_STEP_PIPE;
	if (pipe2(report, O_CLOEXEC) < 0)
		goto fail;
	sp.report_fd = report[1];
	step = CHILD_STEP_FORK;
	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		goto fail;
	/* Returns once the child has exec'd or _exit()ed. */
	pid = clone(child_exec, (char *)stack + stack_size,
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &sp);
	if (pid < 0)
		goto fail;
	fd_close(&report[1]);
	r = read_report(report[0], pid, reterr);
	if (r == 0)
		*ret_pid = pid;
	goto out;
fail:
	*reterr = (struct child_failure){ .step = step, .errnum = errno };
	r = -reterr->errnum;
out:
	if (stack != MAP_FAILED && munmap(stack, stack_size) < 0)
		log_warn("cannot unmap the child's stack");
	fd_close(&report[0]);
	fd_close(&report[1]);
	free(own_env);
	return r;
}
