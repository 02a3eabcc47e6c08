/* SPDX-License-Identifier: MIT */
/*
 * storm - stress helper run as pidone's child: a steady stream of orphans
 * for the reaper, and an exact count of the signals pidone forwards.
 *
 * "storm [--rate N] [--burst B] [--sleep-ms MS] [--stderr-lines K]"
 *
 * Every 10 ms (timerfd) it forks one intermediate child that forks
 * N/100 grandchildren (at most B per intermediate, so one slow batch does
 * not stall the timer) and exits at once: the grandchildren are orphans,
 * re-parented to pidone (PID 1 or subreaper), and each exits at once, or
 * after MS milliseconds with --sleep-ms (so orphans overlap). The
 * intermediates are waited for here; the grandchildren never are.
 *
 * USR1, HUP, WINCH and SIGRTMIN+1 are counted through a signalfd read in
 * the same loop (the standard ones may coalesce when two arrive between
 * reads, the real-time one is queued and counted exactly). Every second a
 * line "tick orphans=... usr1=... hup=... winch=... rt=..." goes to
 * stdout; on SIGTERM or SIGINT the same line with "final" instead of
 * "tick" is printed and storm exits 0. With --stderr-lines K it also
 * writes K lines per tick to its stderr (shared with pidone's) to race
 * pidone's own log lines for the same pipe.
 *
 * A test program: stdio and plain exits are fine here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct counts {
	unsigned long orphans, fork_failed, usr1, hup, winch, rt, other;
};

static void report(const char *what, const struct counts *c)
{
	printf("%s orphans=%lu fork_failed=%lu usr1=%lu hup=%lu winch=%lu "
	       "rt=%lu other=%lu\n",
	       what, c->orphans, c->fork_failed, c->usr1, c->hup, c->winch,
	       c->rt, c->other);
	fflush(stdout);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One intermediate that leaves @n orphans; returns how many it made. */
static unsigned long make_orphans(unsigned long n, long sleep, int *failed)
{
	int pipefd[2];
	unsigned long made = 0;
	pid_t pid;
	int status;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		(*failed)++;
		return 0;
	}
	pid = fork();
	if (pid < 0) {
		(*failed)++;
		close(pipefd[0]);
		close(pipefd[1]);
		return 0;
	}
	if (pid == 0) {
		unsigned long k = 0;
		sigset_t none;

		close(pipefd[0]);
		sigemptyset(&none);
		for (unsigned long i = 0; i < n; i++) {
			pid_t g = fork();

			if (g == 0) {
				sigprocmask(SIG_SETMASK, &none, NULL);
				if (sleep > 0)
					sleep_ms(sleep);
				_exit(0);
			}
			if (g > 0)
				k++;
		}
		if (write(pipefd[1], &k, sizeof(k)) != sizeof(k))
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &made, sizeof(made)) != sizeof(made))
		made = 0;
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (made < n)
		*failed += (int)(n - made);
	return made;
}

int main(int argc, char **argv)
{
	unsigned long rate = 1000, burst = 50, per_tick, carry = 0;
	long sleep = 0, stderr_lines = 0;
	struct itimerspec its = { { 0, 10000000L }, { 0, 10000000L } };
	struct epoll_event ev;
	struct counts c = { 0 };
	sigset_t mask;
	int sfd, tfd, ep, ticks = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--burst") && i + 1 < argc)
			burst = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--sleep-ms") && i + 1 < argc)
			sleep = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--stderr-lines") && i + 1 < argc)
			stderr_lines = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: storm [--rate N] [--burst B] "
					"[--sleep-ms MS] [--stderr-lines K]\n");
			return 2;
		}
	}
	if (burst == 0)
		burst = 1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGRTMIN + 1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return 1;
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0)
		return 1;
	if (rate > 0 && timerfd_settime(tfd, 0, &its, NULL) < 0)
		return 1;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = sfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = tfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	printf("ready pid=%d\n", (int)getpid());
	fflush(stdout);

	for (;;) {
		struct epoll_event got[2];
		int n = epoll_wait(ep, got, 2, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		for (int i = 0; i < n; i++) {
			if (got[i].data.fd == sfd) {
				struct signalfd_siginfo si[32];
				ssize_t r;

				while ((r = read(sfd, si, sizeof(si))) > 0) {
					for (size_t k = 0;
					     k < (size_t)r / sizeof(si[0]);
					     k++) {
						int s = (int)si[k].ssi_signo;

						if (s == SIGTERM ||
						    s == SIGINT) {
							report("final", &c);
							return 0;
						}
						if (s == SIGUSR1)
							c.usr1++;
						else if (s == SIGHUP)
							c.hup++;
						else if (s == SIGWINCH)
							c.winch++;
						else if (s == SIGRTMIN + 1)
							c.rt++;
						else
							c.other++;
					}
				}
				continue;
			}
			{
				unsigned long long expired = 0;
				int failed = 0;

				if (read(tfd, &expired, sizeof(expired)) < 0)
					continue;
				/* do not try to catch up after a stall */
				per_tick = rate / 100;
				carry += rate % 100;
				if (carry >= 100) {
					per_tick++;
					carry -= 100;
				}
				while (per_tick > 0) {
					unsigned long b = per_tick < burst ?
								  per_tick :
								  burst;

					c.orphans +=
						make_orphans(b, sleep, &failed);
					per_tick -= b;
				}
				c.fork_failed += (unsigned long)failed;
				if (++ticks % 100 == 0) {
					report("tick", &c);
					for (long k = 0; k < stderr_lines; k++)
						fprintf(stderr,
							"storm stderr line %ld "
							"of tick %d\n",
							k, ticks / 100);
				}
			}
		}
	}
}
