/* SPDX-License-Identifier: MIT */
/* random.c - see random.h. */
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "random.h"
#include "banned.h"

uint64_t random_u64(void)
{
	struct timespec ts;
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) *
		       0x9e3779b97f4a7c15ULL ^
	       (uint64_t)getpid() << 32;
}
