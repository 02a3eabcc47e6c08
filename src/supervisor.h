/* SPDX-License-Identifier: MIT */
/*
 * supervisor.h - the thin shell around the life cycle (lifecycle.h): it
 * feeds the pure state machine the events of the loop (signals, reaped
 * children, the exec report, timers) and carries out its actions with
 * fork, kill(), libev timers and the log. It reaps every process,
 * orphans included, and counts what /metrics shows. The reload signal and
 * a watched path's change (watch.h) reach the life cycle as a reload.
 */
#ifndef PIDONE_SUPERVISOR_H
#define PIDONE_SUPERVISOR_H

#include <ev.h>
#include <stdint.h>

#include "child.h"
#include "lifecycle.h"
#include "oomwatch.h"
#include "settings.h"
#include "signame.h"
#include "watch.h"

struct health;

struct supervisor {
	struct ev_loop *loop;
	const struct child_spec *spec;
	struct health *health; /* NULL: no health port, no outer supervisor */
	int exit_code; /* what pidone ends with, once the loop stops */
	unsigned spawns; /* children forked so far */
	enum child_step failed_step; /* of the last spawn that failed */

	int report_fd; /* the exec report pipe while STARTING; -1 */
	ev_io report_watcher;
	ev_timer timers[LIFECYCLE_TIMER_MAX];

	struct oomwatch oom; /* names an OOM kill as the child's cause */
	struct watch watch; /* --watch; its fd -1 without */
	const char *changed_path; /* of the watched change being acted on */

	uint64_t zombies_reaped; /* processes reaped other than main children */
	uint64_t signals_forwarded[SIGNAME_MAX + 1];
	/* Last: it ends with the restart ring, 8 KiB that a start never uses. */
	struct lifecycle lc; /* the one child state */
};

/* Set the fields so that supervisor_done works on a never-started one. */
void supervisor_init(struct supervisor *sup);

/*
 * Start the first child of @spec on @loop. @reaper: pidone is PID 1 or a
 * subreaper. Exec failures are found on the loop; the loop ends with
 * sup->exit_code.
 */
void supervisor_start(struct supervisor *sup, struct ev_loop *loop,
		      const struct settings *settings,
		      const struct child_spec *spec, bool reaper,
		      struct health *health);

/*
 * A signal pidone received (a signals_cb for @data, the supervisor):
 * SIGCHLD reaps every exited child, orphans included; the rest are acted
 * on and forwarded as the life cycle says.
 */
void supervisor_on_signal(void *data, int signo);

/*
 * A watched path changed (a watch_cb for @data, the supervisor): reload
 * the child, or send it --watch-signal.
 */
void supervisor_on_change(void *data, const char *path);

/* Stop every watcher and close the report pipe and the watch. */
void supervisor_done(struct supervisor *sup);

#endif
