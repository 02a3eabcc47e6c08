/* SPDX-License-Identifier: MIT */
/*
 * orphan_maker - hands an init N orphans to reap, for `make bench`.
 *
 * Runs as the init's main child in a fresh PID namespace with its own /proc
 * (`unshare --pid --fork --mount-proc INIT -- orphan_maker ...`).
 *
 * "orphan_maker stream N"   N times: fork a child that forks a grandchild
 *                           and exits; the grandchild exits at once, so a
 *                           steady stream of orphans reaches PID 1.
 * "orphan_maker burst N B"  N/B times: a child forks B grandchildren that
 *                           block on a pipe, and exits; once all B are
 *                           PID 1's, closing the pipe ends them together,
 *                           and we wait until PID 1 has reaped them all.
 *
 * Protocol on stdin/stdout, so that the bench can read the init's CPU clock
 * just before and just after: we print "R", wait for one byte on stdin,
 * make the orphans, wait until /proc lists nobody but PID 1 and us (or 30 s
 * pass), print "D <ns from start to none left> <processes left>", wait for
 * one more byte and exit 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static pid_t fork_retry(void)
{
	for (int tries = 0; tries < 1000; tries++) {
		pid_t pid = fork();

		if (pid >= 0 || errno != EAGAIN)
			return pid;
		sleep_us(1000);
	}
	return -1;
}

/* Processes in this namespace other than PID 1 and us: zombies included. */
static long others(void)
{
	pid_t self = getpid();
	struct dirent *d;
	long n = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		long pid;
		char *end;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		pid = strtol(d->d_name, &end, 10);
		if (*end || pid == 1 || pid == self)
			continue;
		n++;
	}
	closedir(dir);
	return n;
}

/* Wait until PID 1 has reaped everyone; returns how many are left. */
static long wait_drained(long long deadline)
{
	long n;

	while ((n = others()) > 0 && now_ns() < deadline)
		sleep_us(200);
	return n;
}

static int reap_own(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static int stream(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork_retry();

		if (pid < 0)
			return -errno;
		if (pid == 0) {
			if (fork_retry() < 0)
				_exit(1);
			_exit(0);
		}
		if (reap_own(pid) < 0)
			return -ECHILD;
	}
	return 0;
}

static int burst(long n, long b, long long deadline)
{
	for (long done = 0; done < n; done += b) {
		int fds[2];
		pid_t pid;

		if (pipe(fds) < 0)
			return -errno;
		pid = fork_retry();
		if (pid < 0)
			return -errno;
		if (pid == 0) {
			for (long j = 0; j < b && done + j < n; j++) {
				pid_t g = fork_retry();
				char c;

				if (g < 0)
					_exit(1);
				if (g > 0)
					continue;
				close(fds[1]);
				while (read(fds[0], &c, 1) < 0 &&
				       errno == EINTR)
					;
				_exit(0);
			}
			_exit(0);
		}
		close(fds[0]);
		if (reap_own(pid) < 0)
			return -ECHILD;
		close(fds[1]); /* every grandchild wakes and exits now */
		if (wait_drained(deadline) != 0)
			return -ETIMEDOUT;
	}
	return 0;
}

static void wait_byte(void)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	long n = argc >= 3 ? strtol(argv[2], NULL, 10) : 0;
	long b = argc >= 4 ? strtol(argv[3], NULL, 10) : 0;
	long long t0, t1, deadline;
	long left;
	int r;

	if (argc < 3 || n <= 0 ||
	    (strcmp(argv[1], "stream") && strcmp(argv[1], "burst")) ||
	    (!strcmp(argv[1], "burst") && b <= 0)) {
		fprintf(stderr, "usage: orphan_maker stream N | burst N B\n");
		return 2;
	}
	printf("R\n");
	fflush(stdout);
	wait_byte();

	t0 = now_ns();
	deadline = t0 + 30000000000LL;
	if (!strcmp(argv[1], "stream"))
		r = stream(n);
	else
		r = burst(n, b, deadline);
	left = wait_drained(deadline);
	t1 = now_ns();
	if (r < 0)
		fprintf(stderr, "orphan_maker: %s\n", strerror(-r));

	printf("D %lld %ld\n", t1 - t0, left);
	fflush(stdout);
	wait_byte();
	return r < 0 ? 1 : 0;
}
