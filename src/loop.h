/* SPDX-License-Identifier: MIT */
/*
 * loop.h - pidone's one event loop, set up so that PID 1 can live on it:
 * libev's failures are logged instead of aborting, an idle loop never
 * wakes, and a log line dropped on a full stderr pipe is written once the
 * pipe drains.
 */
#ifndef PIDONE_LOOP_H
#define PIDONE_LOOP_H

#include <ev.h>

struct loop {
	struct ev_loop *ev; /* NULL until loop_open */
	ev_io log_watcher; /* on log_sink_fd() while dropped lines wait */
};

/*
 * Create the loop (epoll, else poll(2)) with libev's syscall errors and
 * allocation failures survived, and the log's backlog watched. Returns 0
 * or -ENOMEM.
 */
int loop_open(struct loop *l);

/* Flush what the log still holds and destroy the loop; NULL-safe. */
void loop_close(struct loop *l);

#endif
