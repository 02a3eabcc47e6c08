/* SPDX-License-Identifier: MIT */
/*
 * clock.c - monotonic milliseconds. clock_gettime(CLOCK_MONOTONIC) cannot
 * fail on Linux with a valid pointer, so there is no error path.
 */
#include <time.h>

#include "clock.h"
#include "banned.h"

uint64_t clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
