/* SPDX-License-Identifier: MIT */
/*
 * clockjump.so - LD_PRELOAD shim for the stress tests: the wall clock
 * (CLOCK_REALTIME and its coarse variant, gettimeofday, time) of the
 * process it is loaded into jumps back and forth by CLOCKJUMP_SECONDS
 * (default 3600): +S, -S, +S, ... on every call, or every
 * CLOCKJUMP_PERIOD_MS milliseconds of monotonic time when that is set.
 * The monotonic clocks are left alone.
 *
 * This lets a test see whether pidone's timers (grace, backoff, the 5 s
 * header timeout) follow the monotonic clock without changing the clock of
 * a shared machine, which `date -s` would do. It only works on a
 * dynamically linked pidone (a static one never looks at LD_PRELOAD); the
 * log records' "ts" shows whether it took.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn real_clock_gettime(void)
{
	static clock_gettime_fn fn;

	if (!fn)
		fn = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	return fn;
}

static long offset_seconds(void)
{
	static unsigned long calls;
	struct timespec mono;
	const char *s = getenv("CLOCKJUMP_SECONDS");
	const char *p = getenv("CLOCKJUMP_PERIOD_MS");
	long secs = s ? strtol(s, NULL, 10) : 3600;
	long period = p ? strtol(p, NULL, 10) : 0;
	long long ms;

	if (period <= 0) /* every call jumps the other way */
		return calls++ % 2 ? -secs : secs;
	real_clock_gettime()(CLOCK_MONOTONIC, &mono);
	ms = (long long)mono.tv_sec * 1000 + mono.tv_nsec / 1000000;
	return (ms / period) % 2 ? -secs : secs;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = real_clock_gettime()(id, ts);

	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += offset_seconds();
	return r;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
