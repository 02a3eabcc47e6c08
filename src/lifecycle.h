/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.h - the main child's life cycle as a pure state machine: one
 * function from (state, event, now) to a list of actions. It does no I/O,
 * reads no clock, logs nothing and allocates nothing; the supervisor
 * (supervisor.c) feeds it events from the loop and carries its actions
 * out. It is the one owner of the child's state: health, metrics and the
 * notify socket read it through a const pointer.
 *
 *   IDLE --start--> STARTING --exec ok--> RUNNING --stop, --drain--> DRAINING
 *                      |                   |   ^                        |  |
 *                      |                   |   +--drain over, 2nd stop--+  |
 *                      +--main child exits-+-------------------------------+
 *                                          v
 *                                        ENDING --group gone--> DONE
 *                                          |                     ^
 *                                          +--restart--> BACKOFF-+
 *                                                           |
 *                            STARTING <--backoff timer------+
 *
 * STARTING: forked, the exec not yet confirmed (the exec report pipe is
 * still open). DRAINING: the first terminating signal came with --drain
 * set; the child runs and serves on while readiness is false, and the
 * signal is forwarded when the drain timer fires or a second terminating
 * signal comes (a SIGINT from a terminal never waits). ENDING: the main
 * child is gone and the rest of its process group has been told to stop;
 * SIGKILL follows after the grace. A terminating signal (TERM, INT, QUIT,
 * as received) sets shutting_down: no restart from then on.
 *
 * A reload (RELOAD: the reload signal, or a watched path's change) is the
 * same stop without shutting_down: readiness off, the drain, SIGTERM after
 * --rewrite, the grace; reloading then says "start again at once when the
 * group is gone, not counted against --restart-max". A stop during a
 * reload ends it (no new child); a reload during a stop or another reload
 * is ignored (the new child reads whatever changed meanwhile). With
 * --watch-signal a watched change sends that signal to the main child
 * instead. A reload while a failed child waits out its backoff starts
 * the next one at once: the change may be its cure.
 *
 * Facts the machine cannot see come in the events: whether the group still
 * has members is asked with kill(-pgid, 0) by the caller after every batch
 * of reaps and before a SIGKILL, so that a group that emptied without a
 * SIGCHLD to us (pidone not its reaper) is never signalled by a pgid that
 * may since have been reused.
 */
#ifndef PIDONE_LIFECYCLE_H
#define PIDONE_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "restart.h"
#include "settings.h"

/* How long processes get to vanish after SIGKILL before we stop waiting. */
#define LIFECYCLE_KILL_WAIT_MS 2000u

enum lifecycle_state {
	LIFECYCLE_IDLE, /* no child yet */
	LIFECYCLE_STARTING, /* forked, exec not confirmed */
	LIFECYCLE_RUNNING, /* the main child runs the command */
	LIFECYCLE_DRAINING, /* it runs; the stop waits for the drain */
	LIFECYCLE_ENDING, /* it ended; waiting for its group */
	LIFECYCLE_BACKOFF, /* waiting to start it again */
	LIFECYCLE_DONE, /* pidone exits with exit_code */
	LIFECYCLE_STATE_MAX
};

enum lifecycle_event_kind {
	LIFECYCLE_EV_START, /* begin: start the first child */
	LIFECYCLE_EV_SPAWNED, /* fork returned: pid, or errnum */
	LIFECYCLE_EV_EXEC_OK, /* the report pipe closed without a word */
	LIFECYCLE_EV_EXEC_FAILED, /* the child reported a failure: code */
	LIFECYCLE_EV_CHILD_EXITED, /* the main child was reaped: wstatus */
	LIFECYCLE_EV_GROUP, /* after reaping: group_alive */
	LIFECYCLE_EV_SIGNAL, /* a signal to act on: signo */
	LIFECYCLE_EV_GRACE_OVER, /* the grace timer fired: group_alive */
	LIFECYCLE_EV_KILL_WAIT_OVER, /* the wait after SIGKILL ran out */
	LIFECYCLE_EV_BACKOFF_OVER, /* the backoff timer fired */
	LIFECYCLE_EV_DRAIN_OVER, /* the drain timer fired */
	LIFECYCLE_EV_RELOAD, /* signo: the reload signal; 0: a watched change */
	LIFECYCLE_EV_MAX
};

struct lifecycle_event {
	enum lifecycle_event_kind kind;
	pid_t pid; /* SPAWNED */
	int errnum; /* SPAWNED: fork's errno, 0 on success */
	int code; /* EXEC_FAILED: 126, 127 or EX_SOFTWARE */
	int wstatus; /* CHILD_EXITED */
	int signo; /* SIGNAL; RELOAD: the signal, 0 for a watched change */
	/*
	 * SIGNAL: pidone's stdin is a terminal. CHILD_EXITED: the child held
	 * the terminal's foreground, so its Ctrl-C went to the child alone.
	 */
	bool stdin_tty;
	bool group_alive; /* GROUP, GRACE_OVER */
	/* CHILD_EXITED: SIGKILL, and the OOM-kill counter says the kernel */
	bool oom_killed;
};

enum lifecycle_timer {
	LIFECYCLE_TIMER_GRACE, /* SIGKILL the group when it fires */
	LIFECYCLE_TIMER_KILL_WAIT, /* bounds the wait after SIGKILL */
	LIFECYCLE_TIMER_BACKOFF, /* start the child again */
	LIFECYCLE_TIMER_DRAIN, /* forward the stop signal; only while DRAINING */
	LIFECYCLE_TIMER_MAX
};

/* The records the supervisor logs; their fields come from the action. */
enum lifecycle_record {
	LIFECYCLE_REC_CHILD_STARTED, /* pid */
	LIFECYCLE_REC_CHILD_EXITED, /* pid, wstatus, code, cause, runtime_ms */
	LIFECYCLE_REC_GIVING_UP, /* the restart budget is spent */
	LIFECYCLE_REC_SHUTTING_DOWN, /* signo; ms: the drain, forwarded after */
	LIFECYCLE_REC_DRAIN_OVER, /* signo: received, forwarded now */
	LIFECYCLE_REC_DRAIN_CUT, /* signo: a second stop ends the drain */
	LIFECYCLE_REC_SIGNAL_DROPPED, /* signo: --rewrite SIG:0 */
	LIFECYCLE_REC_NO_TARGET, /* signo: no child to forward it to */
	LIFECYCLE_REC_TERMINATING_GROUP, /* target: -pgid */
	LIFECYCLE_REC_WAITING_GROUP, /* target: -pgid, told to stop before */
	LIFECYCLE_REC_NOT_REAPER, /* target: -pgid left to its reaper */
	LIFECYCLE_REC_GRACE_OVER, /* target: -pgid */
	LIFECYCLE_REC_OUTLIVED_KILL, /* target: -pgid */
	LIFECYCLE_REC_RESTARTING, /* ms: the delay */
	LIFECYCLE_REC_SPAWN_RETRY, /* errnum, ms: fork failed, retried */
	LIFECYCLE_REC_SPAWN_FAILED, /* errnum: fork failed for good */
	LIFECYCLE_REC_EXITING, /* code */
	/* signo (0: watched change); ms: the drain; target: 0, no stop */
	LIFECYCLE_REC_RELOADING,
	LIFECYCLE_REC_WATCH_SIGNAL, /* target, signo: sent on a change */
	LIFECYCLE_REC_NO_RESTART, /* code: listed in --no-restart-exit */
	LIFECYCLE_REC_TERMINAL_STOP, /* signo: Ctrl-C at the child's terminal */
	LIFECYCLE_REC_MAX
};

/* Why the main child ended, in its CHILD_EXITED record. */
enum lifecycle_cause {
	LIFECYCLE_CAUSE_EXIT, /* it exited */
	LIFECYCLE_CAUSE_SIGNAL, /* a signal someone else sent */
	LIFECYCLE_CAUSE_GRACE_KILL, /* pidone's SIGKILL after the grace */
	LIFECYCLE_CAUSE_OOM_KILL, /* the kernel's OOM killer */
	LIFECYCLE_CAUSE_MAX
};

enum lifecycle_action_kind {
	LIFECYCLE_ACT_SPAWN, /* fork the command; answer with SPAWNED */
	LIFECYCLE_ACT_KILL, /* kill(target, signo); forwarded: signo received */
	LIFECYCLE_ACT_TIMER_START, /* timer, ms */
	LIFECYCLE_ACT_TIMER_STOP, /* timer */
	LIFECYCLE_ACT_LOG, /* record */
	LIFECYCLE_ACT_EXIT, /* end the loop; pidone exits with code */
	LIFECYCLE_ACT_MAX
};

struct lifecycle_action {
	enum lifecycle_action_kind kind;
	enum lifecycle_timer timer;
	enum lifecycle_record record;
	pid_t target; /* KILL; pid or -pgid in some records */
	/*
	 * KILL: what to send; SHUTTING_DOWN, DRAIN_*, SIGNAL_DROPPED: received;
	 * RELOADING: the reload signal (0: a watched change); WATCH_SIGNAL:
	 * sent
	 */
	int signo;
	int forwarded; /* KILL: the signal received (0: pidone's own) */
	/*
	 * KILL: a stop (a stop signal forwarded, pidone's own SIGTERM after
	 * --rewrite): SIGCONT follows, so that a stopped app hears it too
	 */
	bool stop;
	/* CHILD_EXITED, EXITING, EXIT, NO_RESTART; RESTARTING: its ordinal */
	int code;
	int wstatus; /* CHILD_EXITED */
	int errnum; /* SPAWN_RETRY, SPAWN_FAILED */
	/*
	 * TIMER_START, SPAWN_RETRY, SHUTTING_DOWN, RELOADING; RESTARTING: the
	 * wait left of restart_delay_ms
	 */
	unsigned ms;
	enum lifecycle_cause cause; /* CHILD_EXITED */
	uint64_t runtime_ms; /* CHILD_EXITED: from its fork to its reaping */
};

/* No step needs more; the machine never writes past it. */
#define LIFECYCLE_ACTIONS_MAX 8

struct lifecycle_actions {
	struct lifecycle_action a[LIFECYCLE_ACTIONS_MAX];
	size_t n;
};

/*
 * The one child state. Fields are read-only outside lifecycle.c.
 * Invariants: child_pid != 0 only in STARTING, RUNNING and DRAINING; pgid
 * != 0 from the spawn until the group is found empty; the drain timer
 * runs only in DRAINING, so an idle pidone has no timer at all;
 * reloading only from a RELOAD until the next spawn, never with
 * shutting_down.
 */
struct lifecycle {
	const struct settings *settings;
	bool reaper; /* PID 1 or a subreaper: every group member's end reaches us */

	enum lifecycle_state state;
	pid_t child_pid;
	pid_t pgid;
	int exec_failed; /* the code the exec report gave, else 0 */
	int exit_code; /* of the last run, after --success-exit */
	int last_wstatus; /* of the last run; valid when runs > 0 */
	enum lifecycle_cause last_cause; /* of the last run; when runs > 0 */
	unsigned runs; /* main children that have ended */
	bool shutting_down;
	/* a reload stops the child: start again at once, not counted */
	bool reloading;
	unsigned reloads; /* reloads begun */
	/* restarts begun (/metrics): a decided one a stop or reload pre-empts
	 * never begins */
	unsigned restarts;
	bool reloaded; /* the child, until it ends, replaced one for a reload */
	bool group_terminated; /* a terminating signal went to the group */
	bool group_killed; /* SIGKILL went to the group */
	bool group_wait_said; /* WAITING_GROUP logged for this child */
	unsigned timers; /* bit (1 << enum lifecycle_timer): running */
	uint64_t started_ms; /* monotonic: the current child's fork */
	uint64_t exited_ms; /* monotonic: the last child's end */
	uint64_t drain_end_ms; /* monotonic: DRAINING ends, the stop goes out */
	int drain_signo; /* DRAINING: the stop signal, as received */
	unsigned restart_delay_ms; /* decided at the end, waited after drain */
	struct restart restart; /* last: it ends with its 8 KiB ring */
};

/*
 * Set @lc up for @settings (kept by pointer). @reaper: pidone is PID 1 or
 * a child subreaper.
 */
void lifecycle_init(struct lifecycle *lc, const struct settings *settings,
		    bool reaper);

/*
 * Apply @ev at monotonic @now and write what must be done, in order, into
 * @ret (which is reset first). Never fails.
 */
void lifecycle_step(struct lifecycle *lc, const struct lifecycle_event *ev,
		    uint64_t now, struct lifecycle_actions *ret);

/* Is @signo a stop (TERM, INT, QUIT), as received, before --rewrite? */
bool lifecycle_is_stop(int signo);

/* Does the main child exist (STARTING, RUNNING or DRAINING)? */
bool lifecycle_child_up(const struct lifecycle *lc);

/*
 * Has a stop or a reload begun (it lasts until the next child starts)?
 * The app then winds down on purpose: its live checks are not judged.
 * Inline: health.c uses it, and its fuzz target links no lifecycle.c.
 */
static inline bool lifecycle_stopping(const struct lifecycle *lc)
{
	return lc->shutting_down || lc->reloading;
}

/* Should the caller report the group's state after reaping (ENDING)? */
bool lifecycle_wants_group(const struct lifecycle *lc);

/* "running", "draining", "ending"...: for logs and tests. */
const char *lifecycle_state_name(enum lifecycle_state state);

/*
 * What the child is going through, as `pidone status` shows it:
 * "starting", "running", "draining" (a stop waits for the drain),
 * "stopping" (the stop signal went out, the grace runs; or the child
 * ended, no restart follows, and the rest of its group ends), "restarting"
 * (it ended, a new one follows after the backoff or a reload's stop) or
 * "ended".
 */
const char *lifecycle_phase(const struct lifecycle *lc);

/* "exit", "signal", "grace-kill", "oom-kill": for logs and metrics. */
const char *lifecycle_cause_name(enum lifecycle_cause cause);

#endif
