/* SPDX-License-Identifier: MIT */
/*
 * kstats.h - the kernel's numbers for /metrics, read when it is scraped
 * (no timer: an idle pidone never wakes): the container's cgroup and the
 * main child's /proc entry. A value that cannot be read stays unknown
 * (its bit in read_known clear), never 0.
 */
#ifndef PIDONE_KSTATS_H
#define PIDONE_KSTATS_H

#include <sys/types.h>

#include "cgroup.h"
#include "metrics.h"

/* Memory, its limit (unless unlimited), CPU and pids of @cg. */
void kstats_container(struct metrics_sample *m, const struct cgroup *cg);

/* Resident memory, CPU time and open fds of process @pid (> 0). */
void kstats_child(struct metrics_sample *m, pid_t pid);

#endif
