/* SPDX-License-Identifier: MIT */
/*
 * latchild - the child that `make bench` runs under each init to time it.
 *
 * "latchild term"     writes "R\n" on stdout once its SIGTERM handler is in
 *                     place, then sleeps; the handler reads CLOCK_MONOTONIC
 *                     first thing, writes "T <ns>\n" and exits 0.
 * "latchild exit MS"  writes "R\n", sleeps MS milliseconds, reads
 *                     CLOCK_MONOTONIC, writes "X <ns>\n" and exits 0 at once.
 * "latchild pause"    dies with its parent (PR_SET_PDEATHSIG), writes "R\n"
 *                     and sleeps until a signal ends it: the idle child for
 *                     the RSS and wake-up figures.
 *
 * Only async-signal-safe calls are made in the handler. The driver
 * (latdrive) reads the stdout pipe only after the init has exited, so no
 * reader wakes up between our write and our exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static void write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* "<tag> <now in ns>\n", formatted by hand: snprintf is not signal-safe. */
static void write_stamp(char tag, const struct timespec *ts)
{
	unsigned long long ns = (unsigned long long)ts->tv_sec * 1000000000ULL +
				(unsigned long long)ts->tv_nsec;
	char digits[24], line[32];
	size_t n = 0, len = 0;

	do {
		digits[n++] = (char)('0' + ns % 10);
		ns /= 10;
	} while (ns);
	line[len++] = tag;
	line[len++] = ' ';
	while (n)
		line[len++] = digits[--n];
	line[len++] = '\n';
	write_all(line, len);
}

static void on_term(int sig)
{
	struct timespec ts;

	(void)sig;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	write_stamp('T', &ts);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct timespec ts;

	if (argc >= 2 && strcmp(argv[1], "term") == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGTERM, &sa, NULL) < 0)
			return 1;
		write_all("R\n", 2);
		for (;;)
			pause();
	}
	if (argc >= 3 && strcmp(argv[1], "exit") == 0) {
		long ms = strtol(argv[2], NULL, 10);

		write_all("R\n", 2);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		write_stamp('X', &ts);
		_exit(0);
	}
	if (argc >= 2 && strcmp(argv[1], "pause") == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		write_all("R\n", 2);
		for (;;)
			pause();
	}
	write_all("usage: latchild term | exit MS | pause\n", 39);
	return 2;
}
