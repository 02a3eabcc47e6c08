/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c - the main child's life cycle; see lifecycle.h for the
 * states. Pure: every fact from outside comes in an event, every effect
 * goes out as an action.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "exitcodes.h"
#include "exitstatus.h"
#include "lifecycle.h"
#include "banned.h"

static const char state_names[LIFECYCLE_STATE_MAX][10] = {
	[LIFECYCLE_IDLE] = "idle",	 [LIFECYCLE_STARTING] = "starting",
	[LIFECYCLE_RUNNING] = "running", [LIFECYCLE_DRAINING] = "draining",
	[LIFECYCLE_ENDING] = "ending",	 [LIFECYCLE_BACKOFF] = "backoff",
	[LIFECYCLE_DONE] = "done",
};

const char *lifecycle_state_name(enum lifecycle_state state)
{
	return state < LIFECYCLE_STATE_MAX ? state_names[state] : "?";
}

const char *lifecycle_phase(const struct lifecycle *lc)
{
	bool stop = lc->shutting_down || lc->reloading;

	switch (lc->state) {
	case LIFECYCLE_IDLE:
	case LIFECYCLE_STARTING:
		return stop ? "stopping" : "starting";
	case LIFECYCLE_RUNNING:
		return stop ? "stopping" : "running";
	case LIFECYCLE_DRAINING:
		return "draining";
	case LIFECYCLE_ENDING:
		return lc->reloading || (lc->restart_delay_ms &&
					 !lc->shutting_down) ?
			       "restarting" :
			       "stopping";
	case LIFECYCLE_BACKOFF:
		return "restarting";
	default:
		return "ended";
	}
}

void lifecycle_init(struct lifecycle *lc, const struct settings *settings,
		    bool reaper)
{
	/*
	 * Field by field, not a memset: restart_init empties the 8 KiB ring
	 * without touching it (start-up instructions in `make bench`).
	 */
	lc->settings = settings;
	lc->reaper = reaper;
	lc->state = LIFECYCLE_IDLE;
	lc->child_pid = 0;
	lc->pgid = 0;
	lc->exec_failed = 0;
	lc->exit_code = 0;
	lc->last_wstatus = 0;
	lc->last_cause = LIFECYCLE_CAUSE_EXIT;
	lc->runs = 0;
	lc->shutting_down = false;
	lc->reloading = false;
	lc->reloads = 0;
	lc->group_terminated = false;
	lc->group_killed = false;
	lc->group_wait_said = false;
	lc->timers = 0;
	lc->started_ms = 0;
	lc->exited_ms = 0;
	lc->drain_end_ms = 0;
	lc->drain_signo = 0;
	lc->restart_delay_ms = 0;
	restart_init(&lc->restart, settings->restart, settings->restart_max);
}

bool lifecycle_child_up(const struct lifecycle *lc)
{
	return lc->state == LIFECYCLE_STARTING ||
	       lc->state == LIFECYCLE_RUNNING ||
	       lc->state == LIFECYCLE_DRAINING;
}

bool lifecycle_wants_group(const struct lifecycle *lc)
{
	return lc->state == LIFECYCLE_ENDING;
}

static struct lifecycle_action *add(struct lifecycle_actions *out,
				    enum lifecycle_action_kind kind)
{
	/* Sized for the longest step; a full list would be a bug here. */
	struct lifecycle_action *a = &out->a[out->n < LIFECYCLE_ACTIONS_MAX ?
						     out->n++ :
						     LIFECYCLE_ACTIONS_MAX - 1];

	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

static struct lifecycle_action *record(struct lifecycle_actions *out,
				       enum lifecycle_record rec)
{
	struct lifecycle_action *a = add(out, LIFECYCLE_ACT_LOG);

	a->record = rec;
	return a;
}

static struct lifecycle_action *send_signal(struct lifecycle_actions *out,
					    pid_t target, int signo,
					    int forwarded)
{
	struct lifecycle_action *a = add(out, LIFECYCLE_ACT_KILL);

	a->target = target;
	a->signo = signo;
	a->forwarded = forwarded;
	return a;
}

static bool timer_running(const struct lifecycle *lc,
			  enum lifecycle_timer timer)
{
	return lc->timers & (1u << timer);
}

static void timer_start(struct lifecycle *lc, struct lifecycle_actions *out,
			enum lifecycle_timer timer, unsigned ms)
{
	struct lifecycle_action *a = add(out, LIFECYCLE_ACT_TIMER_START);

	a->timer = timer;
	a->ms = ms;
	lc->timers |= 1u << timer;
}

static void timer_stop(struct lifecycle *lc, struct lifecycle_actions *out,
		       enum lifecycle_timer timer)
{
	if (!timer_running(lc, timer))
		return;
	add(out, LIFECYCLE_ACT_TIMER_STOP)->timer = timer;
	lc->timers &= ~(1u << timer);
}

/* A timer fired: it is no longer running. False if it was not running. */
static bool timer_fired(struct lifecycle *lc, enum lifecycle_timer timer)
{
	bool was = timer_running(lc, timer);

	lc->timers &= ~(1u << timer);
	return was;
}

static void finish(struct lifecycle *lc, struct lifecycle_actions *out)
{
	lc->state = LIFECYCLE_DONE;
	lc->child_pid = 0;
	record(out, LIFECYCLE_REC_EXITING)->code = lc->exit_code;
	add(out, LIFECYCLE_ACT_EXIT)->code = lc->exit_code;
}

static void spawn(struct lifecycle *lc, struct lifecycle_actions *out)
{
	lc->state = LIFECYCLE_STARTING;
	/* A reload is over once its new child is on its way. */
	lc->reloaded = lc->reloading;
	lc->reloading = false;
	add(out, LIFECYCLE_ACT_SPAWN);
}

/* A decided restart begins: counted (/metrics) and charged to the budget. */
static void begin_restart(struct lifecycle *lc, uint64_t now,
			  struct lifecycle_actions *out)
{
	lc->restarts++;
	restart_begun(&lc->restart, now);
	spawn(lc, out);
}

/*
 * Decide on a restart after a run that ended with @status (-1: no child
 * ran), reported as @code, at @now; false when pidone is to end. Logs why
 * when a listed status or the spent budget ends it.
 */
static bool restart_decided(struct lifecycle *lc, int status, int code,
			    uint64_t now, struct lifecycle_actions *out)
{
	lc->restart_delay_ms = 0;
	if (lc->shutting_down)
		return false;
	switch (restart_verdict(lc->settings, status, code)) {
	case RESTART_VERDICT_RESTART:
		break;
	case RESTART_VERDICT_NO_RESTART_EXIT:
		record(out, LIFECYCLE_REC_NO_RESTART)->code = status;
		return false;
	default:
		return false;
	}
	if (restart_next(&lc->restart, now, now - lc->started_ms,
			 &lc->restart_delay_ms))
		return true;
	/* -1: no child ran, the fork failed (the next record says why). */
	record(out, LIFECYCLE_REC_GIVING_UP)->code = status;
	return false;
}

/* Nothing is left of the child's group: start it again, or end. */
static void group_drained(struct lifecycle *lc, uint64_t now,
			  struct lifecycle_actions *out)
{
	uint64_t waited = now - lc->exited_ms;
	struct lifecycle_action *a;

	timer_stop(lc, out, LIFECYCLE_TIMER_GRACE);
	timer_stop(lc, out, LIFECYCLE_TIMER_KILL_WAIT);
	lc->pgid = 0;
	/* A reload's new child: at once, whatever --restart says. */
	if (lc->reloading) {
		spawn(lc, out);
		return;
	}
	if (lc->restart_delay_ms == 0 || lc->shutting_down) {
		finish(lc, out);
		return;
	}
	a = record(out, LIFECYCLE_REC_RESTARTING);
	a->code = (int)lc->restarts + 1;
	/* the backoff counts from the exit: the group's end took part of it */
	a->ms = waited >= lc->restart_delay_ms ?
			0 :
			lc->restart_delay_ms - (unsigned)waited;
	if (waited >= lc->restart_delay_ms) {
		begin_restart(lc, now, out);
		return;
	}
	lc->state = LIFECYCLE_BACKOFF;
	timer_start(lc, out, LIFECYCLE_TIMER_BACKOFF,
		    lc->restart_delay_ms - (unsigned)waited);
}

static void start_grace(struct lifecycle *lc, struct lifecycle_actions *out)
{
	if (timer_running(lc, LIFECYCLE_TIMER_GRACE) || lc->group_killed)
		return;
	timer_start(lc, out, LIFECYCLE_TIMER_GRACE, lc->settings->grace_ms);
}

/*
 * pidone's own SIGKILL (after the grace) first: it explains a SIGKILL
 * even when the OOM-kill counter rose meanwhile for another process.
 */
static enum lifecycle_cause exit_cause(const struct lifecycle *lc, int wstatus,
				       bool oom_killed)
{
	if (WIFEXITED(wstatus))
		return LIFECYCLE_CAUSE_EXIT;
	if (WTERMSIG(wstatus) == SIGKILL && lc->group_killed)
		return LIFECYCLE_CAUSE_GRACE_KILL;
	if (WTERMSIG(wstatus) == SIGKILL && oom_killed)
		return LIFECYCLE_CAUSE_OOM_KILL;
	return LIFECYCLE_CAUSE_SIGNAL;
}

static void child_exited(struct lifecycle *lc, int wstatus, bool oom_killed,
			 bool held_terminal, uint64_t now,
			 struct lifecycle_actions *out)
{
	int status = exitstatus_from_wait(wstatus), code = status;
	struct lifecycle_action *a;

	if (status < 0) /* stopped or continued: not an end */
		return;
	/* Nothing left to drain: the rest of the group is told as usual. */
	timer_stop(lc, out, LIFECYCLE_TIMER_DRAIN);
	lc->reloaded = false;
	lc->runs++;
	lc->last_wstatus = wstatus;
	lc->exited_ms = now;
	if (lc->exec_failed) {
		/*
		 * Already said why; a missing command will not appear, for
		 * a reload's new child either.
		 */
		lc->exit_code = lc->exec_failed;
		lc->restart_delay_ms = 0;
		lc->reloading = false;
	} else {
		if (settings_status_listed(lc->settings->success_exit, code))
			code = 0;
		lc->exit_code = code;
		a = record(out, LIFECYCLE_REC_CHILD_EXITED);
		a->target = lc->child_pid;
		a->wstatus = wstatus;
		/* What the child did, before --success-exit: as /metrics says. */
		a->code = status;
		a->cause = lc->last_cause = exit_cause(lc, wstatus, oom_killed);
		a->runtime_ms = now - lc->started_ms;
		/*
		 * Ctrl-C (or Ctrl-\) at the terminal the child held went to
		 * its group alone: a person's stop, which no restart undoes.
		 */
		if (held_terminal && !lc->shutting_down &&
		    WIFSIGNALED(wstatus) &&
		    (WTERMSIG(wstatus) == SIGINT ||
		     WTERMSIG(wstatus) == SIGQUIT)) {
			lc->shutting_down = true;
			lc->reloading = false;
			record(out, LIFECYCLE_REC_TERMINAL_STOP)->signo =
				WTERMSIG(wstatus);
		}
		/* A reload's stop is no failure, and is not counted. */
		if (lc->reloading)
			lc->restart_delay_ms = 0;
		else
			restart_decided(lc, status, code, now, out);
	}
	lc->child_pid = 0;
	lc->state = LIFECYCLE_ENDING;
}

/*
 * pidone's own stop to the rest of the group: SIGTERM after --rewrite, as
 * a reload's (TERM:QUIT sends QUIT; TERM:0 sends nothing, and only the
 * grace's SIGKILL ends them).
 */
static void stop_group(struct lifecycle *lc, struct lifecycle_actions *out)
{
	int to = lc->settings->rewrite[SIGTERM];

	if (to != 0)
		send_signal(out, -lc->pgid, to, 0)->stop = true;
}

/* The caller looked at the group after reaping, while ENDING. */
static void group_seen(struct lifecycle *lc, bool alive, uint64_t now,
		       struct lifecycle_actions *out)
{
	if (!alive) {
		group_drained(lc, now, out);
		return;
	}
	if (lc->group_terminated) {
		/*
		 * The stop went to the group already: say once why the exit
		 * waits after the child's end (docker stop's 10 s otherwise
		 * pass without a word).
		 */
		if (!lc->group_wait_said && !lc->group_killed)
			record(out, LIFECYCLE_REC_WAITING_GROUP)->target =
				-lc->pgid;
		lc->group_wait_said = true;
		start_grace(lc, out);
		return;
	}
	/*
	 * The rest of the group is told once: many apps take a second
	 * SIGTERM as "quit now, skip cleanup".
	 */
	lc->group_terminated = true;
	if (!lc->reaper) {
		/*
		 * Its members' ends go to another reaper: we would hear
		 * nothing, wait the whole grace, then SIGKILL a pgid that may
		 * have been reused. Tell them to stop and leave them to it.
		 */
		record(out, LIFECYCLE_REC_NOT_REAPER)->target = -lc->pgid;
		stop_group(lc, out);
		group_drained(lc, now, out);
		return;
	}
	record(out, LIFECYCLE_REC_TERMINATING_GROUP)->target = -lc->pgid;
	stop_group(lc, out);
	start_grace(lc, out);
}

bool lifecycle_is_stop(int signo)
{
	return signo == SIGTERM || signo == SIGINT || signo == SIGQUIT;
}

/* Where a forwarded signal goes while the main child exists. */
static pid_t forward_target(const struct lifecycle *lc)
{
	return lc->settings->forward == FORWARD_CHILD ? lc->child_pid :
							-lc->pgid;
}

/*
 * Does the stop signal @signo wait for the drain? Only while the app runs
 * (before its exec it serves nothing, and a BACKOFF or ENDING has no app
 * to keep), and never for a Ctrl-C at a terminal: a person is waiting.
 */
static bool drain_wanted(const struct lifecycle *lc, int signo, bool stdin_tty)
{
	return lc->settings->drain_ms > 0 && lc->state == LIFECYCLE_RUNNING &&
	       !(signo == SIGINT && stdin_tty);
}

static void drain_start(struct lifecycle *lc, int signo, uint64_t now,
			struct lifecycle_actions *out)
{
	unsigned ms = lc->settings->drain_ms;
	struct lifecycle_action *a;

	lc->state = LIFECYCLE_DRAINING;
	lc->drain_signo = signo;
	lc->drain_end_ms = now + ms;
	a = record(out, LIFECYCLE_REC_SHUTTING_DOWN);
	a->signo = signo;
	a->ms = ms;
	timer_start(lc, out, LIFECYCLE_TIMER_DRAIN, ms);
}

/*
 * The stop signal @signo (as received; a reload's is SIGTERM) goes out
 * after --rewrite, and the grace starts. A reload's is pidone's own, not
 * a forwarded one; with --rewrite TERM:0 it sends nothing, and only the
 * grace's SIGKILL ends the child.
 */
static void stop_child(struct lifecycle *lc, int signo,
		       struct lifecycle_actions *out)
{
	int to = lc->settings->rewrite[signo];
	pid_t target = forward_target(lc);

	if (to != 0) {
		send_signal(out, target, to, lc->reloading ? 0 : signo)->stop =
			true;
		if (target < 0)
			lc->group_terminated = true;
	}
}

/* The drain ran its course: the stop goes out now, the grace starts. */
static void drain_over(struct lifecycle *lc, struct lifecycle_actions *out)
{
	int signo = lc->drain_signo;

	lc->state = LIFECYCLE_RUNNING;
	stop_child(lc, signo, out);
	record(out, LIFECYCLE_REC_DRAIN_OVER)->signo = signo;
	start_grace(lc, out);
}

/*
 * The first stop while a reload drains: the drain is the stop's now, and
 * ends when it would have, with this signal (a shorter wait than a new
 * drain, and readiness is off already).
 */
static void drain_taken_over(struct lifecycle *lc, int signo, uint64_t now,
			     struct lifecycle_actions *out)
{
	struct lifecycle_action *a;

	lc->drain_signo = signo;
	a = record(out, LIFECYCLE_REC_SHUTTING_DOWN);
	a->signo = signo;
	a->ms = 1;
	if (lc->drain_end_ms > now)
		a->ms = (unsigned)(lc->drain_end_ms - now);
}

static void on_signal(struct lifecycle *lc, int signo, bool stdin_tty,
		      uint64_t now, struct lifecycle_actions *out)
{
	const struct settings *s = lc->settings;
	int to = s->rewrite[signo];
	bool terminating = lifecycle_is_stop(signo);
	bool first_stop = terminating && !lc->shutting_down;
	bool was_reloading = lc->reloading, cut = false;
	pid_t target = 0;

	/* --rewrite SIG:0 drops SIG: no forwarding, and no shutdown either. */
	if (to == 0) {
		record(out, LIFECYCLE_REC_SIGNAL_DROPPED)->signo = signo;
		return;
	}
	if (first_stop) {
		lc->shutting_down = true;
		/* A stop ends a reload: no new child after all. */
		lc->reloading = false;
	}
	/* A reload's stop went out already unless it is draining. */
	if (first_stop && !was_reloading &&
	    drain_wanted(lc, signo, stdin_tty)) {
		drain_start(lc, signo, now, out);
		return;
	}
	if (first_stop && was_reloading && lc->state == LIFECYCLE_DRAINING &&
	    !(signo == SIGINT && stdin_tty)) {
		drain_taken_over(lc, signo, now, out);
		return;
	}
	/*
	 * pidone's own stop went out already, a reload's to the child, or,
	 * the child gone, the one to the rest of its group, and the grace
	 * runs: the stop takes it over (no new child), and the app hears no
	 * second stop, which many take as "quit now". A person's Ctrl-C still
	 * goes through.
	 */
	if (first_stop && !(signo == SIGINT && stdin_tty) &&
	    ((was_reloading && timer_running(lc, LIFECYCLE_TIMER_GRACE) &&
	      (lc->state == LIFECYCLE_STARTING ||
	       lc->state == LIFECYCLE_RUNNING)) ||
	     (lc->state == LIFECYCLE_ENDING && lc->group_terminated))) {
		record(out, LIFECYCLE_REC_SHUTTING_DOWN)->signo = signo;
		return;
	}
	if (terminating && lc->state == LIFECYCLE_DRAINING) {
		/* A second stop: whoever sent it will not wait any longer. */
		timer_stop(lc, out, LIFECYCLE_TIMER_DRAIN);
		lc->state = LIFECYCLE_RUNNING;
		cut = true;
	}

	switch (lc->state) {
	case LIFECYCLE_STARTING:
	case LIFECYCLE_RUNNING:
	case LIFECYCLE_DRAINING:
		target = forward_target(lc);
		break;
	case LIFECYCLE_ENDING:
		if (s->forward == FORWARD_GROUP && lc->pgid > 0)
			target = -lc->pgid;
		break;
	default:
		break;
	}
	/* Forward first: the app hears of the signal before we log it. */
	if (target != 0) {
		send_signal(out, target, to, signo)->stop = terminating;
		if (target < 0 && terminating)
			lc->group_terminated = true;
	} else if (!terminating) {
		record(out, LIFECYCLE_REC_NO_TARGET)->signo = signo;
	}
	if (first_stop)
		record(out, LIFECYCLE_REC_SHUTTING_DOWN)->signo = signo;
	if (cut)
		record(out, LIFECYCLE_REC_DRAIN_CUT)->signo = signo;

	if (!terminating)
		return;
	if (lc->state == LIFECYCLE_IDLE) {
		/* Stopped before anything ran: as if the child had died of it. */
		lc->exit_code = 128 + signo;
		finish(lc, out);
	} else if (lc->state == LIFECYCLE_BACKOFF) {
		timer_stop(lc, out, LIFECYCLE_TIMER_BACKOFF);
		finish(lc, out);
	} else if (target != 0) {
		start_grace(lc, out);
	}
}

/*
 * A reload (see lifecycle.h): @signo the reload signal received, 0 for a
 * watched path's change.
 */
static void on_reload(struct lifecycle *lc, int signo, uint64_t now,
		      struct lifecycle_actions *out)
{
	const struct settings *s = lc->settings;
	struct lifecycle_action *a;

	if (lc->shutting_down || lc->reloading)
		return;
	/*
	 * With --watch-signal a change is the app's to handle, never a
	 * reload: with no child to tell (in a backoff, say), the next one
	 * reads it as it starts.
	 */
	if (signo == 0 && s->watch_signal) {
		if (!lifecycle_child_up(lc) || lc->child_pid <= 0)
			return;
		send_signal(out, lc->child_pid, s->watch_signal, 0);
		a = record(out, LIFECYCLE_REC_WATCH_SIGNAL);
		a->target = lc->child_pid;
		a->signo = s->watch_signal;
		return;
	}
	switch (lc->state) {
	case LIFECYCLE_STARTING:
	case LIFECYCLE_RUNNING:
		if (lc->child_pid > 0)
			break;
		return;
	case LIFECYCLE_ENDING:
		/* Only a restart to come is hurried; an ending pidone ends. */
		if (lc->restart_delay_ms == 0)
			return;
		lc->reloading = true;
		lc->reloads++;
		record(out, LIFECYCLE_REC_RELOADING)->signo = signo;
		return;
	case LIFECYCLE_BACKOFF:
		lc->reloads++;
		record(out, LIFECYCLE_REC_RELOADING)->signo = signo;
		timer_stop(lc, out, LIFECYCLE_TIMER_BACKOFF);
		spawn(lc, out);
		return;
	default:
		return;
	}
	lc->reloading = true;
	lc->reloads++;
	/* As a stop: the app serves on through the drain, if it runs yet. */
	if (s->drain_ms > 0 && lc->state == LIFECYCLE_RUNNING) {
		lc->state = LIFECYCLE_DRAINING;
		lc->drain_signo = SIGTERM;
		lc->drain_end_ms = now + s->drain_ms;
		a = record(out, LIFECYCLE_REC_RELOADING);
		a->signo = signo;
		a->target = forward_target(lc);
		a->ms = s->drain_ms;
		timer_start(lc, out, LIFECYCLE_TIMER_DRAIN, s->drain_ms);
		return;
	}
	stop_child(lc, SIGTERM, out);
	a = record(out, LIFECYCLE_REC_RELOADING);
	a->signo = signo;
	a->target = forward_target(lc);
	start_grace(lc, out);
}

static void grace_over(struct lifecycle *lc, bool group_alive,
		       struct lifecycle_actions *out)
{
	lc->group_killed = true;
	record(out, LIFECYCLE_REC_GRACE_OVER)->target = -lc->pgid;
	/*
	 * The main child by pid as well: it is ours until reaped, so the pid
	 * cannot be reused, and it may have moved to another group.
	 */
	if (lc->child_pid > 0)
		send_signal(out, lc->child_pid, SIGKILL, 0);
	if (lc->pgid > 0 && group_alive)
		send_signal(out, -lc->pgid, SIGKILL, 0);
	timer_start(lc, out, LIFECYCLE_TIMER_KILL_WAIT, LIFECYCLE_KILL_WAIT_MS);
}

static void spawned(struct lifecycle *lc, const struct lifecycle_event *ev,
		    uint64_t now, struct lifecycle_actions *out)
{
	struct lifecycle_action *a;

	if (ev->errnum == 0) {
		lc->child_pid = ev->pid;
		lc->pgid = ev->pid;
		lc->exec_failed = 0;
		lc->group_terminated = false;
		lc->group_killed = false;
		lc->group_wait_said = false;
		lc->started_ms = now;
		return;
	}
	/*
	 * fork failed (EAGAIN: the pids limit is full for a moment): a
	 * failed start, backed off and retried within the restart budget.
	 */
	lc->exit_code = EX_SOFTWARE;
	lc->exited_ms = now;
	lc->started_ms = now;
	if (restart_decided(lc, -1, EX_SOFTWARE, now, out)) {
		a = record(out, LIFECYCLE_REC_SPAWN_RETRY);
		a->errnum = ev->errnum;
		a->ms = lc->restart_delay_ms;
		lc->state = LIFECYCLE_BACKOFF;
		timer_start(lc, out, LIFECYCLE_TIMER_BACKOFF,
			    lc->restart_delay_ms);
		return;
	}
	record(out, LIFECYCLE_REC_SPAWN_FAILED)->errnum = ev->errnum;
	finish(lc, out);
}

void lifecycle_step(struct lifecycle *lc, const struct lifecycle_event *ev,
		    uint64_t now, struct lifecycle_actions *out)
{
	enum lifecycle_state st = lc->state;
	struct lifecycle_action *a;

	out->n = 0;
	switch (ev->kind) {
	case LIFECYCLE_EV_START:
		if (st == LIFECYCLE_IDLE)
			spawn(lc, out);
		break;
	case LIFECYCLE_EV_SPAWNED:
		if (st == LIFECYCLE_STARTING && lc->child_pid == 0)
			spawned(lc, ev, now, out);
		break;
	case LIFECYCLE_EV_EXEC_OK:
		if (st != LIFECYCLE_STARTING)
			break;
		lc->state = LIFECYCLE_RUNNING;
		record(out, LIFECYCLE_REC_CHILD_STARTED)->target =
			lc->child_pid;
		break;
	case LIFECYCLE_EV_EXEC_FAILED:
		/* The child still has to be reaped: CHILD_EXITED ends it. */
		if (st == LIFECYCLE_STARTING)
			lc->exec_failed = ev->code;
		break;
	case LIFECYCLE_EV_CHILD_EXITED:
		if (lifecycle_child_up(lc))
			child_exited(lc, ev->wstatus, ev->oom_killed,
				     ev->stdin_tty, now, out);
		break;
	case LIFECYCLE_EV_GROUP:
		if (st == LIFECYCLE_ENDING)
			group_seen(lc, ev->group_alive, now, out);
		break;
	case LIFECYCLE_EV_SIGNAL:
		if (st != LIFECYCLE_DONE && ev->signo > 0 &&
		    ev->signo <= SIGNAME_MAX)
			on_signal(lc, ev->signo, ev->stdin_tty, now, out);
		break;
	case LIFECYCLE_EV_GRACE_OVER:
		if (timer_fired(lc, LIFECYCLE_TIMER_GRACE) &&
		    st != LIFECYCLE_DONE)
			grace_over(lc, ev->group_alive, out);
		break;
	case LIFECYCLE_EV_KILL_WAIT_OVER:
		if (!timer_fired(lc, LIFECYCLE_TIMER_KILL_WAIT) ||
		    st != LIFECYCLE_ENDING)
			break;
		a = record(out, LIFECYCLE_REC_OUTLIVED_KILL);
		a->target = -lc->pgid;
		group_drained(lc, now, out);
		break;
	case LIFECYCLE_EV_BACKOFF_OVER:
		if (timer_fired(lc, LIFECYCLE_TIMER_BACKOFF) &&
		    st == LIFECYCLE_BACKOFF)
			begin_restart(lc, now, out);
		break;
	case LIFECYCLE_EV_DRAIN_OVER:
		if (timer_fired(lc, LIFECYCLE_TIMER_DRAIN) &&
		    st == LIFECYCLE_DRAINING)
			drain_over(lc, out);
		break;
	case LIFECYCLE_EV_RELOAD:
		if (ev->signo >= 0 && ev->signo <= SIGNAME_MAX)
			on_reload(lc, ev->signo, now, out);
		break;
	default:
		break;
	}
}

const char *lifecycle_cause_name(enum lifecycle_cause cause)
{
	static const char *const names[LIFECYCLE_CAUSE_MAX] = {
		[LIFECYCLE_CAUSE_EXIT] = "exit",
		[LIFECYCLE_CAUSE_SIGNAL] = "signal",
		[LIFECYCLE_CAUSE_GRACE_KILL] = "grace-kill",
		[LIFECYCLE_CAUSE_OOM_KILL] = "oom-kill",
	};

	return cause < LIFECYCLE_CAUSE_MAX ? names[cause] : "unknown";
}
