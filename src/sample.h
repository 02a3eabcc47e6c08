/* SPDX-License-Identifier: MIT */
/*
 * sample.h - what /metrics shows of the supervisor and of the kernel,
 * read when it is scraped (no timer: an idle pidone never wakes): the
 * child's state and counters, the container's cgroup and the main
 * child's /proc entry. A kernel value that cannot be read stays unknown
 * (its bit in read_known clear), never 0.
 */
#ifndef PIDONE_SAMPLE_H
#define PIDONE_SAMPLE_H

#include "health.h"
#include "metrics.h"
#include "supervisor.h"

/* Fill @m's supervisor and kernel fields (the rest is left as it is). */
void sample_supervisor(struct metrics_sample *m, const struct supervisor *sup);

/* Fill @m's verdicts and app checks from @h at @now. */
void sample_health(struct metrics_sample *m, const struct health *h,
		   uint64_t now);

#endif
