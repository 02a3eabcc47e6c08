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

/*
 * The same through the system call, for the clients that read the clock
 * a few times and exit (`pidone health`, `pidone status`): a system call
 * per read (about 1 us here) costs them less than the vDSO's first use,
 * whose pages are then faulted in (about 80 us of `pidone health` in
 * `make bench`). Everything else reads the vDSO (25 ns a read).
 */
uint64_t clock_monotonic_ms_syscall(void);

#endif
