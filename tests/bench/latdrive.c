/* SPDX-License-Identifier: MIT */
/*
 * latdrive - starts an init and times it, for `make bench`.
 *
 * "latdrive spawn N -- INIT..."
 *	runs INIT N times one after the other (posix_spawn, stdin, stdout and
 *	stderr on /dev/null) and prints, one run per line, its wall time from
 *	just before the spawn to the return of wait4(), in ns, and its minor
 *	page faults: wait4's count, the init's own and those of the children
 *	it waited for.
 * "latdrive term [--pid1] -- INIT... latchild term"
 *	starts INIT with its stdout on a pipe, waits for the child's "R", lets
 *	everything settle for 50 ms, reads CLOCK_MONOTONIC, sends SIGTERM to the
 *	init, waits for the init to exit and prints
 *	"<forward ns> <exit ns> <wait status>": the child's "T" stamp minus the
 *	send time, and the init's exit minus the send time.
 * "latdrive exit [--pid1] -- INIT... latchild exit MS"
 *	waits for "R", then for the init to exit, and prints
 *	"<exit ns> <wait status>": the init's exit minus the child's "X" stamp.
 *
 * With --pid1 the init is PID 1 of a new PID namespace with its own /proc
 * (what `unshare --pid --fork --mount-proc` does, without unshare's own
 * fork and wait in the timed path). The pipe is read only after the init
 * has exited, so nothing wakes up between the child's stamp and its exit.
 * Every wait is bounded: after 10 s the init is killed and we fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static pid_t running = -1;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_alarm(int sig)
{
	(void)sig;
	if (running > 0)
		kill(running, SIGKILL);
}

static int die(const char *what)
{
	fprintf(stderr, "latdrive: %s: %s\n", what, strerror(errno));
	return 1;
}

static int run_spawn(long n, char **argv)
{
	posix_spawn_file_actions_t fa;
	long i;

	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
					     0) ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY,
					     0) ||
	    posix_spawn_file_actions_adddup2(&fa, 1, 2))
		return die("posix_spawn_file_actions");
	for (i = 0; i < n; i++) {
		long long t0, t1;
		struct rusage ru;
		int status, r;
		pid_t pid;

		t0 = now_ns();
		r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
		if (r) {
			errno = r;
			return die(argv[0]);
		}
		while (wait4(pid, &status, 0, &ru) < 0)
			if (errno != EINTR)
				return die("wait4");
		t1 = now_ns();
		if (status != 0) {
			fprintf(stderr, "latdrive: %s: wait status %d\n",
				argv[0], status);
			return 1;
		}
		printf("%lld %ld\n", t1 - t0, ru.ru_minflt);
	}
	posix_spawn_file_actions_destroy(&fa);
	return fflush(stdout) ? 1 : 0;
}

/* Set up the PID-1 namespace in the forked child, then exec the init. */
static void exec_init(char **argv, int out, int pid1)
{
	int null = open("/dev/null", O_RDWR);

	if (pid1) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("proc", "/proc", "proc",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			_exit(125);
	}
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(null, 2) < 0)
		_exit(125);
	execv(argv[0], argv);
	_exit(127);
}

/* Read from @fd until @want is seen or 10 s pass; bytes go to @buf. */
static int read_until(int fd, char *buf, size_t size, size_t *len,
		      const char *want)
{
	long long deadline = now_ns() + 10000000000LL;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ns();
		ssize_t n;

		buf[*len] = '\0';
		if (strstr(buf, want))
			return 0;
		if (left <= 0 || *len + 1 >= size)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(left / 1000000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = read(fd, buf + *len, size - 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		*len += (size_t)n;
	}
}

static long long stamp_after(const char *buf, char tag)
{
	char pat[3] = { tag, ' ', '\0' };
	const char *p = strstr(buf, pat);

	return p ? strtoll(p + 2, NULL, 10) : -1;
}

static int run_one(int term, int pid1, char **argv)
{
	char buf[256] = "";
	size_t len = 0;
	long long t0 = 0, t2, stamp;
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return die("pipe");
	if (pid1 && unshare(CLONE_NEWPID) < 0)
		return die("unshare(CLONE_NEWPID)");
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0)
		exec_init(argv, fds[1], pid1);
	running = pid;
	close(fds[1]);
	signal(SIGALRM, on_alarm);
	alarm(10);

	if (read_until(fds[0], buf, sizeof(buf), &len, "R\n") < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fprintf(stderr,
			"latdrive: the child never said it was ready\n");
		return 1;
	}
	if (term) {
		struct timespec settle = { 0, 50000000L };

		nanosleep(&settle, NULL);
		t0 = now_ns();
		kill(pid, SIGTERM);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return die("waitpid");
	t2 = now_ns();
	alarm(0);
	/* The pipe may still be held open by a straggler: stop at the tag. */
	read_until(fds[0], buf, sizeof(buf), &len, term ? "T " : "X ");
	read_until(fds[0], buf, sizeof(buf), &len, "\n");
	stamp = stamp_after(buf, term ? 'T' : 'X');
	if (stamp < 0) {
		fprintf(stderr,
			"latdrive: no stamp from the child (status %d)\n",
			status);
		return 1;
	}
	if (term)
		printf("%lld %lld %d\n", stamp - t0, t2 - t0, status);
	else
		printf("%lld %d\n", t2 - stamp, status);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	int a = 2, pid1 = 0;
	long n = 1;

	if (argc < 3)
		goto usage;
	if (strcmp(argv[1], "spawn") == 0) {
		n = strtol(argv[2], NULL, 10);
		a = 3;
	}
	if (a < argc && strcmp(argv[a], "--pid1") == 0) {
		pid1 = 1;
		a++;
	}
	if (a >= argc || strcmp(argv[a], "--") != 0 || a + 1 >= argc)
		goto usage;
	a++;
	if (strcmp(argv[1], "spawn") == 0 && n > 0 && !pid1)
		return run_spawn(n, argv + a);
	if (strcmp(argv[1], "term") == 0)
		return run_one(1, pid1, argv + a);
	if (strcmp(argv[1], "exit") == 0)
		return run_one(0, pid1, argv + a);
usage:
	fprintf(stderr, "usage: latdrive spawn N -- INIT...\n"
			"       latdrive term|exit [--pid1] -- INIT...\n");
	return 2;
}
