/* SPDX-License-Identifier: MIT */
/*
 * print_signals - integration-test helper: report every signal received.
 *
 * Installs a handler for every catchable signal (1..31 except KILL and STOP,
 * and SIGRTMIN..SIGRTMAX), prints "ready" on stdout, then one line
 * "signal N" per signal received, each flushed at once. The handler only
 * writes the signal number into a non-blocking self-pipe; the main loop
 * turns it into a line, so stdio is never used inside a handler.
 *
 * The signal mask it inherited is left alone on purpose: a signal that
 * pidone wrongly left blocked is then never reported, and the test fails.
 *
 *   --ignore-term   keep running after SIGTERM (default: exit 0 on it)
 *   --exit-after N  exit 0 after N signals were reported
 *   --grandchild    fork once after the handlers are installed; the copy
 *                   stays in the same process group and prefixes its lines
 *                   with "grandchild " ("grandchild ready", ...)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The self-pipe: [0] read by the main loop, [1] written by the handler. */
static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved_errno = errno;
	unsigned char b = (unsigned char)sig;

	/* Non-blocking: a full pipe drops the report instead of hanging. */
	if (write(sig_pipe[1], &b, 1) < 0) {
		/* nothing sane to do inside a handler */
	}
	errno = saved_errno;
}

static int install(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0) {
		fprintf(stderr, "print_signals: sigaction(%d): %s\n", sig,
			strerror(errno));
		return -errno;
	}
	return 0;
}

static int install_all(void)
{
	int sig;

	for (sig = 1; sig < 32; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (install(sig) < 0)
			return -EINVAL;
	}
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		if (install(sig) < 0)
			return -EINVAL;
	return 0;
}

static int open_pipe(void)
{
	if (pipe2(sig_pipe, O_CLOEXEC) < 0 ||
	    fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK) < 0) {
		perror("print_signals: pipe2");
		return -errno;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: print_signals [--ignore-term] "
			"[--exit-after N] [--grandchild]\n");
}

int main(int argc, char **argv)
{
	bool ignore_term = false, grandchild = false;
	const char *prefix = "";
	long exit_after = 0, count = 0;
	unsigned char buf[64];
	pid_t pid;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ignore-term")) {
			ignore_term = true;
		} else if (!strcmp(argv[i], "--grandchild")) {
			grandchild = true;
		} else if (!strcmp(argv[i], "--exit-after") && i + 1 < argc) {
			char *end;

			errno = 0;
			exit_after = strtol(argv[++i], &end, 10);
			if (errno || *end || exit_after < 1) {
				usage();
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}

	if (open_pipe() < 0)
		return 1;
	if (install_all() < 0)
		return 1;

	if (grandchild) {
		sigset_t all, saved;

		/*
		 * The copy needs its own self-pipe, or either process could
		 * read the other's signals. Signals stay blocked until it has
		 * one; the inherited mask is restored in both afterwards.
		 */
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &saved);
		pid = fork();
		if (pid < 0) {
			perror("print_signals: fork");
			return 1;
		}
		if (pid == 0) {
			prefix = "grandchild ";
			close(sig_pipe[0]);
			close(sig_pipe[1]);
			if (open_pipe() < 0)
				return 1;
		}
		sigprocmask(SIG_SETMASK, &saved, NULL);
	}

	printf("%sready\n", prefix);
	fflush(stdout);

	for (;;) {
		ssize_t n = read(sig_pipe[0], buf, sizeof(buf));
		ssize_t k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("print_signals: read");
			return 1;
		}
		for (k = 0; k < n; k++) {
			printf("%ssignal %d\n", prefix, buf[k]);
			fflush(stdout);
			count++;
			if (buf[k] == SIGTERM && !ignore_term)
				return 0;
			if (exit_after && count >= exit_after)
				return 0;
		}
	}
}
