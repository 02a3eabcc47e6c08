/* SPDX-License-Identifier: MIT */
/*
 * oomwatch.h - notice every OOM kill in the container without polling and
 * log it once: {"msg":"oom kill","kills":1,"memory_limit_bytes":...,
 * "memory_peak_bytes":...}. The kernel wakes the loop (cgroup v2 through
 * inotify on memory.events, v1 through an eventfd); nothing runs while
 * nothing happens.
 *
 * Where the watch cannot be armed (a read-only v1 cgroupfs in a Docker
 * container, a non-root start, no cgroupfs at all) the counter is still
 * read when the main child dies, so that its cause can be named; where
 * even that cannot be read, pidone says so once at debug level and goes
 * on. Nothing here fails pidone's start.
 */
#ifndef PIDONE_OOMWATCH_H
#define PIDONE_OOMWATCH_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"

/*
 * The cgroupfs to look in: "/sys/fs/cgroup", or for tests only the
 * directory in $PIDONE_TEST_CGROUP_ROOT (a tree the test writes).
 */
#define OOMWATCH_ROOT_VAR "PIDONE_TEST_CGROUP_ROOT"

/*
 * The kernel does not say whom it killed. A main child that dies of
 * SIGKILL this long after an OOM kill was noticed is taken as its victim
 * (the watch and the child's exit wake the loop in either order).
 */
#define OOMWATCH_RECENT_MS 1000

/* v1, after a wake-up with the counter unchanged: every 50 ms, up to 1 s. */
#define OOMWATCH_RECHECK_S 0.05
#define OOMWATCH_RECHECKS 20

struct oomwatch {
	struct cgroup cg;
	ev_io io; /* on the watch fd, while armed */
	/*
	 * v1 signals the OOM before the kill is counted: the counter is read
	 * again a few times after a wake-up that found it unchanged (v2
	 * counts before it notifies).
	 */
	ev_timer recheck;
	unsigned rechecks_left;
	int fd; /* inotify or eventfd; -1 when not armed */
	bool counted; /* the counter could be read at the start */
	uint64_t seen; /* the counter at the last look */
	uint64_t kills; /* OOM kills noticed since pidone started */
	uint64_t last_kill_ms; /* monotonic, when the last one was noticed */
};

void oomwatch_init(struct oomwatch *w);

/*
 * Find the cgroup and arm the watch. Call before the privilege drop (v1's
 * cgroup.event_control is root's). @loop may be NULL: then only the
 * counter is kept, for oomwatch_check. @metrics: the side port serves
 * /metrics, which reads the container's CPU and pids from w->cg as well.
 */
void oomwatch_start(struct oomwatch *w, struct ev_loop *loop, bool metrics);

/*
 * The main child died of SIGKILL at @now_ms: was it an OOM kill? Yes when
 * the counter rose since the last look (those kills are counted, not
 * logged: the child's exit record names the cause) or when one was
 * noticed within OOMWATCH_RECENT_MS.
 */
bool oomwatch_killed_child(struct oomwatch *w, uint64_t now_ms);

/*
 * OOM kills in the container since pidone started, as the counter says
 * now (for /metrics: the kills the watch has not been told of yet, or all
 * of them when it could not be armed, count too). -ENOENT when the
 * counter could not be read at the start.
 */
int oomwatch_total(const struct oomwatch *w, uint64_t *ret);

void oomwatch_done(struct oomwatch *w, struct ev_loop *loop);

#endif
