/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the one clock pidone measures durations with: CLOCK_MONOTONIC,
 * so that a jump of the wall clock cannot shorten a grace period, reset a
 * restart budget or fail a watchdog. (libev's ev_now() is wall-clock time;
 * its timers already run on the monotonic clock.)
 */
#ifndef PIDONE_CLOCK_H
#define PIDONE_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t clock_monotonic_ms(void);

#endif
