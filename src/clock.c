/* SPDX-License-Identifier: MIT */
/*
 * clock.c - monotonic milliseconds. clock_gettime(CLOCK_MONOTONIC) cannot
 * fail on Linux with a valid pointer, so there is no error path.
 */
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "banned.h"

static uint64_t to_ms(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000u + (uint64_t)ts->tv_nsec / 1000000u;
}

uint64_t clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return to_ms(&ts);
}

uint64_t clock_monotonic_ms_syscall(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return to_ms(&ts);
}
