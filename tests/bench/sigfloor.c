/* SPDX-License-Identifier: MIT */
/*
 * sigfloor - the least an init that forwards signals can do, two ways, as
 * the yardstick for `make bench`'s signal and reaping figures.
 *
 * "sigfloor wait|fd [--] COMMAND [ARG...]" blocks every signal, forks
 * COMMAND (which gets the original mask back) and then takes one signal
 * after another: "wait" with sigwaitinfo(), as tini, dumb-init and
 * catatonit do; "fd" with epoll_wait() on a signalfd and a read() of it,
 * as an init with one event loop for signals and sockets must (pidone,
 * through libev). Every signal but SIGCHLD goes to COMMAND with kill(); a
 * SIGCHLD reaps every exited child (waitpid(-1, WNOHANG) until none is
 * left), and COMMAND's own end ends sigfloor with its status (128+N when
 * signal N killed it). No logging, no timers, no allocation. The two
 * modes differ only in how a signal is taken: the difference between them
 * is what the event loop's extra read() costs on this machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

/* Reap every exited child; COMMAND's status, or -1 while it lives. */
static int reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == child)
			return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
						     WEXITSTATUS(status);
	return -1;
}

/* What an init does with one signal; its exit status once COMMAND ends. */
static int take(int signo)
{
	if (signo != SIGCHLD) {
		kill(child, signo);
		return -1;
	}
	return reap();
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t all, original;
	int first = 2, fd_mode, sfd = -1, ep = -1, code = -1;

	if (argc < 3 || (strcmp(argv[1], "wait") && strcmp(argv[1], "fd")))
		return 64;
	fd_mode = argv[1][0] == 'f';
	if (strcmp(argv[2], "--") == 0)
		first = 3;
	if (first >= argc)
		return 64;
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &original) < 0)
		return 70;
	if (fd_mode) {
		sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (sfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev))
			return 70;
	}

	child = fork();
	if (child < 0)
		return 70;
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &original, NULL);
		execvp(argv[first], argv + first);
		_exit(errno == ENOENT ? 127 : 126);
	}

	while (code < 0) {
		struct signalfd_siginfo si[16];
		ssize_t n;

		if (!fd_mode) {
			int signo = sigwaitinfo(&all, NULL);

			if (signo > 0)
				code = take(signo);
			else if (errno != EINTR)
				return 70;
			continue;
		}
		if (epoll_wait(ep, &ev, 1, -1) < 0) {
			if (errno != EINTR)
				return 70;
			continue;
		}
		n = read(sfd, si, sizeof(si)) / (ssize_t)sizeof(si[0]);
		for (ssize_t i = 0; i < n && code < 0; i++)
			code = take((int)si[i].ssi_signo);
	}
	return code;
}
