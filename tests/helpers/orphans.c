/* SPDX-License-Identifier: MIT */
/*
 * orphans - integration-test helper: leave N orphans for the reaper.
 *
 * "orphans N [--sleep MS] [--hold FD] [--exit CODE]" forks N children. Each
 * child forks one grandchild and exits at once, so the grandchild is
 * re-parented to the nearest reaper (PID 1 of the namespace, or a child
 * subreaper) and becomes that reaper's zombie when it exits. A grandchild
 * exits at once, or after MS milliseconds with --sleep, or, with --hold,
 * when reading the inherited fd FD (the read end of a pipe) returns EOF:
 * the test closes the write end when it has seen them all alive under
 * their new parent, however slow the machine is. The parent waits for its
 * own N children only, prints "orphans: N" on stdout and exits with CODE
 * (default 0).
 *
 * "orphans 0 --exit CODE" is the cheapest child that exits with CODE, used
 * for the 0..255 exit-status matrix.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: orphans N [--sleep MS] [--hold FD] [--exit CODE]\n");
}

static int parse_long(const char *s, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Block until @fd reports EOF (or an error other than EINTR). */
static void hold_until_eof(int fd)
{
	char buf[64];
	ssize_t r;

	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno != EINTR))
			return;
	}
}

/* fork, retrying a short while when the process table is momentarily full */
static pid_t fork_retry(void)
{
	int tries;
	pid_t pid;

	for (tries = 0; tries < 50; tries++) {
		pid = fork();
		if (pid >= 0 || errno != EAGAIN)
			return pid;
		sleep_ms(10);
	}
	return -1;
}

int main(int argc, char **argv)
{
	long n, i, sleep = 0, code = 0, waited = 0, hold = -1;
	int a;

	if (argc < 2 || parse_long(argv[1], 100000, &n) < 0) {
		usage();
		return 2;
	}
	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--sleep") && a + 1 < argc) {
			if (parse_long(argv[++a], 3600000, &sleep) < 0) {
				usage();
				return 2;
			}
		} else if (!strcmp(argv[a], "--hold") && a + 1 < argc) {
			if (parse_long(argv[++a], 1 << 20, &hold) < 0) {
				usage();
				return 2;
			}
		} else if (!strcmp(argv[a], "--exit") && a + 1 < argc) {
			if (parse_long(argv[++a], 255, &code) < 0) {
				usage();
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}

	for (i = 0; i < n; i++) {
		pid_t pid = fork_retry();

		if (pid < 0) {
			perror("orphans: fork");
			return 1;
		}
		if (pid > 0)
			continue;
		/* child: leave a grandchild behind and go */
		pid = fork_retry();
		if (pid < 0)
			_exit(1);
		if (pid == 0) {
			if (sleep)
				sleep_ms(sleep);
			if (hold >= 0)
				hold_until_eof((int)hold);
			_exit(0);
		}
		_exit(0);
	}

	for (;;) {
		int status;
		pid_t pid = wait(&status);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break; /* ECHILD: all n children are gone */
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "orphans: a child failed\n");
			return 1;
		}
		waited++;
	}
	if (waited != n) {
		fprintf(stderr, "orphans: waited for %ld of %ld\n", waited, n);
		return 1;
	}
	if (n) {
		printf("orphans: %ld\n", n);
		if (fflush(stdout))
			return 1;
	}
	return (int)code;
}
