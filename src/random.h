/* SPDX-License-Identifier: MIT */
/*
 * random.h - unpredictable values for names other processes must not
 * guess or collide with (the notify socket, the writable-dir probe file).
 */
#ifndef PIDONE_RANDOM_H
#define PIDONE_RANDOM_H

#include <stdint.h>

/*
 * 64 bits from getrandom(). Without entropy yet (early boot) it falls
 * back to the monotonic clock and the pid: still unique, no longer secret.
 */
uint64_t random_u64(void);

#endif
