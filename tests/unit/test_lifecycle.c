/* SPDX-License-Identifier: MIT */
/*
 * test_lifecycle.c - src/lifecycle.c, the heart: every (state, event) pair
 * as a table row, from a state reached by driving the machine itself, with
 * the exact list of actions it must ask for and the state it must end in.
 * Actions are compared as text, e.g. "kill -100 TERM fwd TERM | timer+
 * grace 10000", so that a failing row shows the whole difference.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "exitcodes.h"
#include "lifecycle.h"
#include "settings.h"

#define PID 100
#define EXITED(code) ((code) << 8)
#define KILLED(sig) (sig)

static const char *const record_names[LIFECYCLE_REC_MAX] = {
	[LIFECYCLE_REC_CHILD_STARTED] = "started",
	[LIFECYCLE_REC_CHILD_EXITED] = "exited",
	[LIFECYCLE_REC_GIVING_UP] = "giving-up",
	[LIFECYCLE_REC_SHUTTING_DOWN] = "shutting-down",
	[LIFECYCLE_REC_DRAIN_OVER] = "drain-over",
	[LIFECYCLE_REC_DRAIN_CUT] = "drain-cut",
	[LIFECYCLE_REC_SIGNAL_DROPPED] = "dropped",
	[LIFECYCLE_REC_NO_TARGET] = "no-target",
	[LIFECYCLE_REC_TERMINATING_GROUP] = "terminating-group",
	[LIFECYCLE_REC_WAITING_GROUP] = "waiting-group",
	[LIFECYCLE_REC_NOT_REAPER] = "not-reaper",
	[LIFECYCLE_REC_GRACE_OVER] = "grace-over",
	[LIFECYCLE_REC_OUTLIVED_KILL] = "outlived-kill",
	[LIFECYCLE_REC_RESTARTING] = "restarting",
	[LIFECYCLE_REC_SPAWN_RETRY] = "spawn-retry",
	[LIFECYCLE_REC_SPAWN_FAILED] = "spawn-failed",
	[LIFECYCLE_REC_EXITING] = "exiting",
	[LIFECYCLE_REC_RELOADING] = "reloading",
	[LIFECYCLE_REC_WATCH_SIGNAL] = "watch-signal",
	[LIFECYCLE_REC_NO_RESTART] = "no-restart",
	[LIFECYCLE_REC_TERMINAL_STOP] = "terminal-stop",
};

static const char *const timer_names[LIFECYCLE_TIMER_MAX] = {
	[LIFECYCLE_TIMER_GRACE] = "grace",
	[LIFECYCLE_TIMER_KILL_WAIT] = "kill-wait",
	[LIFECYCLE_TIMER_BACKOFF] = "backoff",
	[LIFECYCLE_TIMER_DRAIN] = "drain",
};

static const char *sig(int signo)
{
	switch (signo) {
	case SIGTERM:
		return "TERM";
	case SIGKILL:
		return "KILL";
	case SIGINT:
		return "INT";
	case SIGQUIT:
		return "QUIT";
	case SIGHUP:
		return "HUP";
	case SIGUSR1:
		return "USR1";
	case SIGUSR2:
		return "USR2";
	default:
		return "?";
	}
}

/* The actions as one line of text. */
static void format(const struct lifecycle_actions *out, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < out->n && used < len; i++) {
		const struct lifecycle_action *a = &out->a[i];
		const char *sep = i ? " | " : "";
		int n = 0;

		switch (a->kind) {
		case LIFECYCLE_ACT_SPAWN:
			n = snprintf(buf + used, len - used, "%sspawn", sep);
			break;
		case LIFECYCLE_ACT_KILL:
			n = snprintf(buf + used, len - used, "%skill %d %s",
				     sep, (int)a->target, sig(a->signo));
			if (n > 0 && a->forwarded && used + (size_t)n < len)
				n += snprintf(buf + used + n, len - used - n,
					      " fwd %s", sig(a->forwarded));
			break;
		case LIFECYCLE_ACT_TIMER_START:
			n = snprintf(buf + used, len - used, "%stimer+ %s %u",
				     sep, timer_names[a->timer], a->ms);
			break;
		case LIFECYCLE_ACT_TIMER_STOP:
			n = snprintf(buf + used, len - used, "%stimer- %s", sep,
				     timer_names[a->timer]);
			break;
		case LIFECYCLE_ACT_LOG:
			n = snprintf(buf + used, len - used, "%slog %s", sep,
				     record_names[a->record]);
			/* a drain's start says how long it is, a restart
			 * the wait left */
			if (n > 0 && a->ms &&
			    (a->record == LIFECYCLE_REC_SHUTTING_DOWN ||
			     a->record == LIFECYCLE_REC_RELOADING ||
			     a->record == LIFECYCLE_REC_RESTARTING) &&
			    used + (size_t)n < len)
				n += snprintf(buf + used + n, len - used - n,
					      " %u", a->ms);
			break;
		case LIFECYCLE_ACT_EXIT:
			n = snprintf(buf + used, len - used, "%sexit %d", sep,
				     a->code);
			break;
		default:
			n = snprintf(buf + used, len - used, "%s?", sep);
			break;
		}
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

enum setup {
	SET_DEFAULT, /* --restart never, --forward group, grace 10 s */
	SET_RESTART, /* --restart always */
	SET_FORWARD_CHILD, /* --forward child */
	SET_DROP_HUP, /* --rewrite HUP:0, TERM:QUIT */
	SET_NOT_REAPER, /* neither PID 1 nor a subreaper */
	SET_SUCCESS_143, /* --success-exit 143 */
	SET_DRAIN, /* --drain 5 */
	SET_DRAIN_REWRITE, /* --drain 5, --rewrite HUP:0, TERM:QUIT */
	SET_DRAIN_CHILD, /* --drain 5, --forward child */
	SET_DRAIN_RESTART, /* --drain 5, --restart always */
	SET_WATCH_HUP, /* --watch-signal HUP */
	SET_TERM_DROPPED, /* --rewrite TERM:0 */
	SET_NO_RESTART_78, /* --restart always, --no-restart-exit 78 */
	SET_MAX
};

struct rig {
	struct settings s;
	struct lifecycle lc;
	struct lifecycle_actions out;
	char text[512];
};

static void rig_init(struct rig *r, enum setup setup)
{
	settings_init(&r->s);
	r->s.grace_ms = 10000;
	switch (setup) {
	case SET_RESTART:
		r->s.restart = RESTART_ALWAYS;
		r->s.restart_max = 5;
		break;
	case SET_FORWARD_CHILD:
		r->s.forward = FORWARD_CHILD;
		break;
	case SET_DROP_HUP:
		r->s.rewrite[SIGHUP] = 0;
		r->s.rewrite[SIGTERM] = SIGQUIT;
		break;
	case SET_SUCCESS_143:
		r->s.success_exit[143] = true;
		break;
	case SET_DRAIN:
		r->s.drain_ms = 5000;
		break;
	case SET_DRAIN_REWRITE:
		r->s.drain_ms = 5000;
		r->s.rewrite[SIGHUP] = 0;
		r->s.rewrite[SIGTERM] = SIGQUIT;
		break;
	case SET_DRAIN_CHILD:
		r->s.drain_ms = 5000;
		r->s.forward = FORWARD_CHILD;
		break;
	case SET_DRAIN_RESTART:
		r->s.drain_ms = 5000;
		r->s.restart = RESTART_ALWAYS;
		r->s.restart_max = 5;
		break;
	case SET_WATCH_HUP:
		r->s.watch_signal = SIGHUP;
		break;
	case SET_TERM_DROPPED:
		r->s.rewrite[SIGTERM] = 0;
		break;
	case SET_NO_RESTART_78:
		r->s.restart = RESTART_ALWAYS;
		r->s.restart_max = 5;
		r->s.no_restart_exit[78] = true;
		break;
	default:
		break;
	}
	lifecycle_init(&r->lc, &r->s, setup != SET_NOT_REAPER);
}

static const char *step(struct rig *r, struct lifecycle_event ev, uint64_t now)
{
	lifecycle_step(&r->lc, &ev, now, &r->out);
	format(&r->out, r->text, sizeof(r->text));
	return r->text;
}

#define EV(...) ((struct lifecycle_event){ __VA_ARGS__ })

/*
 * Drive the machine from IDLE into @state (times 0..600 ms). DRAINING is
 * reached from RUNNING by a SIGTERM at 10 ms.
 */
static void drive(struct rig *r, enum lifecycle_state state)
{
	if (state == LIFECYCLE_IDLE)
		return;
	step(r, EV(.kind = LIFECYCLE_EV_START), 0);
	if (state == LIFECYCLE_STARTING)
		return;
	step(r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID), 0);
	step(r, EV(.kind = LIFECYCLE_EV_EXEC_OK), 1);
	if (state == LIFECYCLE_RUNNING)
		return;
	if (state == LIFECYCLE_DRAINING) {
		/* The drain ends at 5010 (any setup: at least 5 s of it). */
		if (r->s.drain_ms == 0)
			r->s.drain_ms = 5000;
		step(r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 10);
		return;
	}
	step(r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(3)),
	     500);
	if (state == LIFECYCLE_ENDING)
		return;
	step(r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false), 600);
	/* BACKOFF when the setup restarts, else DONE */
}

struct row {
	const char *name;
	enum setup setup;
	enum lifecycle_state from;
	struct lifecycle_event ev;
	uint64_t now;
	const char *actions;
	enum lifecycle_state to;
};

static const struct row rows[] = {
	/* IDLE */
	{ "idle: start spawns", SET_DEFAULT, LIFECYCLE_IDLE,
	  EV(.kind = LIFECYCLE_EV_START), 0, "spawn", LIFECYCLE_STARTING },
	{ "idle: TERM before any child exits 143", SET_DEFAULT, LIFECYCLE_IDLE,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 0,
	  "log shutting-down | log exiting | exit 143", LIFECYCLE_DONE },
	{ "idle: USR1 before any child is dropped", SET_DEFAULT, LIFECYCLE_IDLE,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGUSR1), 0, "log no-target",
	  LIFECYCLE_IDLE },
	{ "idle: a stray exit is ignored", SET_DEFAULT, LIFECYCLE_IDLE,
	  EV(.kind = LIFECYCLE_EV_CHILD_EXITED), 0, "", LIFECYCLE_IDLE },
	{ "idle: a stray timer is ignored", SET_DEFAULT, LIFECYCLE_IDLE,
	  EV(.kind = LIFECYCLE_EV_GRACE_OVER, .group_alive = true), 0, "",
	  LIFECYCLE_IDLE },

	/* STARTING */
	{ "starting: forked", SET_DEFAULT, LIFECYCLE_STARTING,
	  EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID), 0, "",
	  LIFECYCLE_STARTING },
	{ "starting: fork failed, no restart policy", SET_DEFAULT,
	  LIFECYCLE_STARTING,
	  EV(.kind = LIFECYCLE_EV_SPAWNED, .errnum = EAGAIN), 0,
	  "log spawn-failed | log exiting | exit 70", LIFECYCLE_DONE },
	{ "starting: fork failed, retried after backoff", SET_RESTART,
	  LIFECYCLE_STARTING,
	  EV(.kind = LIFECYCLE_EV_SPAWNED, .errnum = EAGAIN), 0,
	  "log spawn-retry | timer+ backoff 1000", LIFECYCLE_BACKOFF },
	{ "starting, not forked yet: TERM only marks the shutdown", SET_DEFAULT,
	  LIFECYCLE_STARTING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
	  0, "log shutting-down", LIFECYCLE_STARTING },
	{ "idle: a reload before any child is ignored", SET_DEFAULT,
	  LIFECYCLE_IDLE, EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP), 0,
	  "", LIFECYCLE_IDLE },
	{ "starting, not forked yet: no child to reload", SET_DEFAULT,
	  LIFECYCLE_STARTING, EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP),
	  0, "", LIFECYCLE_STARTING },
};

/* Rows that start from a child that has been forked. */
static const struct row forked_rows[] = {
	{ "starting: exec ok", SET_DEFAULT, LIFECYCLE_STARTING,
	  EV(.kind = LIFECYCLE_EV_EXEC_OK), 1, "log started",
	  LIFECYCLE_RUNNING },
	{ "starting: exec failed waits for the reap", SET_DEFAULT,
	  LIFECYCLE_STARTING,
	  EV(.kind = LIFECYCLE_EV_EXEC_FAILED, .code = EX_NOTFOUND), 1, "",
	  LIFECYCLE_STARTING },
	{ "starting: TERM before the exec is forwarded", SET_DEFAULT,
	  LIFECYCLE_STARTING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
	  1,
	  "kill -100 TERM fwd TERM | log shutting-down | "
	  "timer+ grace 10000",
	  LIFECYCLE_STARTING },
	{ "starting: died before the exec report", SET_DEFAULT,
	  LIFECYCLE_STARTING,
	  EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = KILLED(SIGKILL)), 5,
	  "log exited", LIFECYCLE_ENDING },
	{ "starting: TERM before the exec does not wait for the drain",
	  SET_DRAIN, LIFECYCLE_STARTING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 1,
	  "kill -100 TERM fwd TERM | log shutting-down | "
	  "timer+ grace 10000",
	  LIFECYCLE_STARTING },
	{ "starting: a reload stops it, its own TERM, the grace starts",
	  SET_DEFAULT, LIFECYCLE_STARTING,
	  EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP), 1,
	  "kill -100 TERM | log reloading | timer+ grace 10000",
	  LIFECYCLE_STARTING },
	{ "starting: a reload before the exec does not wait for the drain",
	  SET_DRAIN, LIFECYCLE_STARTING, EV(.kind = LIFECYCLE_EV_RELOAD), 1,
	  "kill -100 TERM | log reloading | timer+ grace 10000",
	  LIFECYCLE_STARTING },
};

static void check_row(const struct row *row, bool forked)
{
	struct rig r;
	const char *got;

	rig_init(&r, row->setup);
	drive(&r, row->from);
	if (forked)
		step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID), 0);
	cr_assert_eq(r.lc.state, row->from, "%s: set-up reached %s", row->name,
		     lifecycle_state_name(r.lc.state));
	got = step(&r, row->ev, row->now);
	cr_expect_str_eq(got, row->actions, "%s: actions\n  got  %s\n  want %s",
			 row->name, got, row->actions);
	cr_expect_eq(r.lc.state, row->to, "%s: ended in %s, want %s", row->name,
		     lifecycle_state_name(r.lc.state),
		     lifecycle_state_name(row->to));
}

Test(lifecycle, idle_and_starting)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i], false);
	for (size_t i = 0; i < sizeof(forked_rows) / sizeof(forked_rows[0]);
	     i++)
		check_row(&forked_rows[i], true);
}

static const struct row running_rows[] = {
	{ "running: TERM forwarded to the group, grace starts", SET_DEFAULT,
	  LIFECYCLE_RUNNING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
	  10,
	  "kill -100 TERM fwd TERM | log shutting-down | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "running: TERM to the child alone with --forward child",
	  SET_FORWARD_CHILD, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 10,
	  "kill 100 TERM fwd TERM | log shutting-down | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "running: TERM rewritten to QUIT", SET_DROP_HUP, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 10,
	  "kill -100 QUIT fwd TERM | log shutting-down | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "running: HUP dropped by --rewrite HUP:0", SET_DROP_HUP,
	  LIFECYCLE_RUNNING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGHUP),
	  10, "log dropped", LIFECYCLE_RUNNING },
	{ "running: USR1 forwarded, no grace", SET_DEFAULT, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGUSR1), 10,
	  "kill -100 USR1 fwd USR1", LIFECYCLE_RUNNING },
	{ "running: the child exits", SET_DEFAULT, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(3)), 500,
	  "log exited", LIFECYCLE_ENDING },
	{ "running: a stopped report is not an end", SET_DEFAULT,
	  LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = 0x137f), 500, "",
	  LIFECYCLE_RUNNING },
	{ "running: a grace that is not running is ignored", SET_DEFAULT,
	  LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_GRACE_OVER, .group_alive = true), 500, "",
	  LIFECYCLE_RUNNING },
	{ "running: a group report is ignored", SET_DEFAULT, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false), 500, "",
	  LIFECYCLE_RUNNING },
	{ "running: a second start is ignored", SET_DEFAULT, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_START), 500, "", LIFECYCLE_RUNNING },
	{ "running: a late backoff timer is ignored", SET_DEFAULT,
	  LIFECYCLE_RUNNING, EV(.kind = LIFECYCLE_EV_BACKOFF_OVER), 500, "",
	  LIFECYCLE_RUNNING },
	{ "running: a drain timer that is not running is ignored", SET_DRAIN,
	  LIFECYCLE_RUNNING, EV(.kind = LIFECYCLE_EV_DRAIN_OVER), 500, "",
	  LIFECYCLE_RUNNING },
	{ "running, --drain: TERM waits, readiness off, the drain starts",
	  SET_DRAIN, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 10,
	  "log shutting-down 5000 | timer+ drain 5000", LIFECYCLE_DRAINING },
	{ "running, --drain: INT waits too", SET_DRAIN, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGINT), 10,
	  "log shutting-down 5000 | timer+ drain 5000", LIFECYCLE_DRAINING },
	{ "running, --drain: QUIT waits too", SET_DRAIN, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGQUIT), 10,
	  "log shutting-down 5000 | timer+ drain 5000", LIFECYCLE_DRAINING },
	{ "running, --drain: Ctrl-C at a terminal never waits", SET_DRAIN,
	  LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGINT, .stdin_tty = true),
	  10, "kill -100 INT fwd INT | log shutting-down | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "running, --drain: TERM from a terminal's session still waits",
	  SET_DRAIN, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM, .stdin_tty = true),
	  10, "log shutting-down 5000 | timer+ drain 5000",
	  LIFECYCLE_DRAINING },
	{ "running, --drain: TERM (to be QUIT) waits as received",
	  SET_DRAIN_REWRITE, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 10,
	  "log shutting-down 5000 | timer+ drain 5000", LIFECYCLE_DRAINING },
	{ "running, --drain: HUP is no stop, forwarded at once", SET_DRAIN,
	  LIFECYCLE_RUNNING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGHUP),
	  10, "kill -100 HUP fwd HUP", LIFECYCLE_RUNNING },
	{ "running, --drain: HUP dropped by --rewrite HUP:0 starts nothing",
	  SET_DRAIN_REWRITE, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGHUP), 10, "log dropped",
	  LIFECYCLE_RUNNING },
	{ "running: the reload signal stops it, pidone's own TERM, grace",
	  SET_DEFAULT, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP), 10,
	  "kill -100 TERM | log reloading | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "running: a watched change reloads the same way", SET_DEFAULT,
	  LIFECYCLE_RUNNING, EV(.kind = LIFECYCLE_EV_RELOAD), 10,
	  "kill -100 TERM | log reloading | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "running: a reload's TERM to the child alone with --forward child",
	  SET_FORWARD_CHILD, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP), 10,
	  "kill 100 TERM | log reloading | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "running: a reload's TERM goes out rewritten", SET_DROP_HUP,
	  LIFECYCLE_RUNNING, EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGUSR2),
	  10, "kill -100 QUIT | log reloading | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "running: --rewrite TERM:0: no stop signal, only the grace",
	  SET_TERM_DROPPED, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP), 10,
	  "log reloading | timer+ grace 10000", LIFECYCLE_RUNNING },
	{ "running, --drain: a reload drains first, readiness off", SET_DRAIN,
	  LIFECYCLE_RUNNING, EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP),
	  10, "log reloading 5000 | timer+ drain 5000", LIFECYCLE_DRAINING },
	{ "running, --watch-signal HUP: a change sends HUP to the child",
	  SET_WATCH_HUP, LIFECYCLE_RUNNING, EV(.kind = LIFECYCLE_EV_RELOAD), 10,
	  "kill 100 HUP | log watch-signal", LIFECYCLE_RUNNING },
	{ "running, --watch-signal HUP: the reload signal still reloads",
	  SET_WATCH_HUP, LIFECYCLE_RUNNING,
	  EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGUSR2), 10,
	  "kill -100 TERM | log reloading | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
};

Test(lifecycle, running)
{
	for (size_t i = 0; i < sizeof(running_rows) / sizeof(running_rows[0]);
	     i++)
		check_row(&running_rows[i], false);
}

static const struct row draining_rows[] = {
	{ "draining: the drain ends: the stop goes out, the grace starts",
	  SET_DRAIN, LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_DRAIN_OVER),
	  5010, "kill -100 TERM fwd TERM | log drain-over | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "draining: the drain ends: the stop goes out rewritten",
	  SET_DRAIN_REWRITE, LIFECYCLE_DRAINING,
	  EV(.kind = LIFECYCLE_EV_DRAIN_OVER), 5010,
	  "kill -100 QUIT fwd TERM | log drain-over | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "draining: the drain ends: to the child alone with --forward child",
	  SET_DRAIN_CHILD, LIFECYCLE_DRAINING,
	  EV(.kind = LIFECYCLE_EV_DRAIN_OVER), 5010,
	  "kill 100 TERM fwd TERM | log drain-over | timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "draining: a second TERM is forwarded at once", SET_DRAIN,
	  LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
	  1000,
	  "timer- drain | kill -100 TERM fwd TERM | log drain-cut | "
	  "timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "draining: another stop (INT) is forwarded at once", SET_DRAIN,
	  LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGINT),
	  1000,
	  "timer- drain | kill -100 INT fwd INT | log drain-cut | "
	  "timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "draining: QUIT is forwarded at once", SET_DRAIN, LIFECYCLE_DRAINING,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGQUIT), 1000,
	  "timer- drain | kill -100 QUIT fwd QUIT | log drain-cut | "
	  "timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "draining: a second TERM goes out rewritten", SET_DRAIN_REWRITE,
	  LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
	  1000,
	  "timer- drain | kill -100 QUIT fwd TERM | log drain-cut | "
	  "timer+ grace 10000",
	  LIFECYCLE_RUNNING },
	{ "draining: HUP is forwarded, the drain goes on", SET_DRAIN,
	  LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGHUP),
	  1000, "kill -100 HUP fwd HUP", LIFECYCLE_DRAINING },
	{ "draining: HUP dropped by --rewrite HUP:0", SET_DRAIN_REWRITE,
	  LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGHUP),
	  1000, "log dropped", LIFECYCLE_DRAINING },
	{ "draining: the child exits: the drain ends, its group is told",
	  SET_DRAIN, LIFECYCLE_DRAINING,
	  EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(0)), 1000,
	  "timer- drain | log exited", LIFECYCLE_ENDING },
	{ "draining: the child exits: no restart after a stop",
	  SET_DRAIN_RESTART, LIFECYCLE_DRAINING,
	  EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(1)), 1000,
	  "timer- drain | log exited", LIFECYCLE_ENDING },
	{ "draining: a stopped report is not an end", SET_DRAIN,
	  LIFECYCLE_DRAINING,
	  EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = 0x137f), 1000, "",
	  LIFECYCLE_DRAINING },
	{ "draining: no grace runs yet", SET_DRAIN, LIFECYCLE_DRAINING,
	  EV(.kind = LIFECYCLE_EV_GRACE_OVER, .group_alive = true), 1000, "",
	  LIFECYCLE_DRAINING },
	{ "draining: a group report is ignored", SET_DRAIN, LIFECYCLE_DRAINING,
	  EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false), 1000, "",
	  LIFECYCLE_DRAINING },
	{ "draining: the kill wait is not running", SET_DRAIN,
	  LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_KILL_WAIT_OVER), 1000, "",
	  LIFECYCLE_DRAINING },
	{ "draining: a late backoff timer is ignored", SET_DRAIN_RESTART,
	  LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_BACKOFF_OVER), 1000, "",
	  LIFECYCLE_DRAINING },
	{ "draining: a second start is ignored", SET_DRAIN, LIFECYCLE_DRAINING,
	  EV(.kind = LIFECYCLE_EV_START), 1000, "", LIFECYCLE_DRAINING },
	{ "draining for a stop: a reload is ignored", SET_DRAIN,
	  LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP),
	  1000, "", LIFECYCLE_DRAINING },
	{ "draining for a stop: no watch signal either", SET_WATCH_HUP,
	  LIFECYCLE_DRAINING, EV(.kind = LIFECYCLE_EV_RELOAD), 1000, "",
	  LIFECYCLE_DRAINING },
};

Test(lifecycle, draining)
{
	for (size_t i = 0; i < sizeof(draining_rows) / sizeof(draining_rows[0]);
	     i++)
		check_row(&draining_rows[i], false);
}

static const struct row ending_rows[] = {
	{ "ending: group empty, no restart: exit with the code", SET_DEFAULT,
	  LIFECYCLE_ENDING,
	  EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false), 600,
	  "log exiting | exit 3", LIFECYCLE_DONE },
	{ "ending: group alive: told once, grace starts", SET_DEFAULT,
	  LIFECYCLE_ENDING, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true),
	  600, "log terminating-group | kill -100 TERM | timer+ grace 10000",
	  LIFECYCLE_ENDING },
	{ "ending: the group's TERM goes out rewritten", SET_DROP_HUP,
	  LIFECYCLE_ENDING, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true),
	  600, "log terminating-group | kill -100 QUIT | timer+ grace 10000",
	  LIFECYCLE_ENDING },
	{ "ending: TERM:0 sends the group nothing, the grace's KILL ends it",
	  SET_TERM_DROPPED, LIFECYCLE_ENDING,
	  EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true), 600,
	  "log terminating-group | timer+ grace 10000", LIFECYCLE_ENDING },
	{ "ending: not the reaper: TERM once and do not wait", SET_NOT_REAPER,
	  LIFECYCLE_ENDING, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true),
	  600, "log not-reaper | kill -100 TERM | log exiting | exit 3",
	  LIFECYCLE_DONE },
	{ "ending: group empty, restart after the rest of the backoff",
	  SET_RESTART, LIFECYCLE_ENDING,
	  EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false), 600,
	  "log restarting 900 | timer+ backoff 900", LIFECYCLE_BACKOFF },
	{ "ending: group empty after the backoff: restart at once", SET_RESTART,
	  LIFECYCLE_ENDING,
	  EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false), 1500,
	  "log restarting | spawn", LIFECYCLE_STARTING },
	{ "ending: HUP goes to the rest of the group", SET_DEFAULT,
	  LIFECYCLE_ENDING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGHUP),
	  600, "kill -100 HUP fwd HUP", LIFECYCLE_ENDING },
	{ "ending: HUP with --forward child has no target", SET_FORWARD_CHILD,
	  LIFECYCLE_ENDING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGHUP),
	  600, "log no-target", LIFECYCLE_ENDING },
	{ "ending: TERM stops the restart and starts the grace", SET_RESTART,
	  LIFECYCLE_ENDING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
	  600,
	  "kill -100 TERM fwd TERM | log shutting-down | timer+ grace 10000",
	  LIFECYCLE_ENDING },
	{ "ending: the kill wait is not running", SET_DEFAULT, LIFECYCLE_ENDING,
	  EV(.kind = LIFECYCLE_EV_KILL_WAIT_OVER), 600, "", LIFECYCLE_ENDING },
	{ "ending: TERM does not drain: no app left to serve", SET_DRAIN,
	  LIFECYCLE_ENDING, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
	  600,
	  "kill -100 TERM fwd TERM | log shutting-down | timer+ grace 10000",
	  LIFECYCLE_ENDING },
	{ "ending: a second exit report is ignored", SET_DEFAULT,
	  LIFECYCLE_ENDING,
	  EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(1)), 600, "",
	  LIFECYCLE_ENDING },
	{ "ending, no restart to come: a reload does not bring it back",
	  SET_DEFAULT, LIFECYCLE_ENDING,
	  EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP), 600, "",
	  LIFECYCLE_ENDING },
	{ "ending, a restart to come: a reload makes it start at once",
	  SET_RESTART, LIFECYCLE_ENDING,
	  EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP), 600,
	  "log reloading", LIFECYCLE_ENDING },
};

Test(lifecycle, ending)
{
	for (size_t i = 0; i < sizeof(ending_rows) / sizeof(ending_rows[0]);
	     i++)
		check_row(&ending_rows[i], false);
}

static const struct row backoff_rows[] = {
	{ "backoff: the timer restarts the child", SET_RESTART,
	  LIFECYCLE_BACKOFF, EV(.kind = LIFECYCLE_EV_BACKOFF_OVER), 1500,
	  "spawn", LIFECYCLE_STARTING },
	{ "backoff: TERM ends pidone with the last code", SET_RESTART,
	  LIFECYCLE_BACKOFF, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
	  700, "log shutting-down | timer- backoff | log exiting | exit 3",
	  LIFECYCLE_DONE },
	{ "backoff: USR1 has no one to go to", SET_RESTART, LIFECYCLE_BACKOFF,
	  EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGUSR1), 700,
	  "log no-target", LIFECYCLE_BACKOFF },
	{ "backoff: a stray exit is ignored", SET_RESTART, LIFECYCLE_BACKOFF,
	  EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(1)), 700, "",
	  LIFECYCLE_BACKOFF },
	{ "backoff: the group report is ignored", SET_RESTART,
	  LIFECYCLE_BACKOFF, EV(.kind = LIFECYCLE_EV_GROUP), 700, "",
	  LIFECYCLE_BACKOFF },
	{ "backoff: a reload starts the child at once", SET_RESTART,
	  LIFECYCLE_BACKOFF, EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP),
	  700, "log reloading | timer- backoff | spawn", LIFECYCLE_STARTING },
	{ "backoff: a watched change too (no --watch-signal)", SET_RESTART,
	  LIFECYCLE_BACKOFF, EV(.kind = LIFECYCLE_EV_RELOAD), 700,
	  "log reloading | timer- backoff | spawn", LIFECYCLE_STARTING },
};

Test(lifecycle, backoff)
{
	for (size_t i = 0; i < sizeof(backoff_rows) / sizeof(backoff_rows[0]);
	     i++)
		check_row(&backoff_rows[i], false);
}

static bool covered(const struct row *t, size_t n, enum lifecycle_state st,
		    enum lifecycle_event_kind k)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].from == st && t[i].ev.kind == k)
			return true;
	return false;
}

#define COVERED(t, st, k) covered(t, sizeof(t) / sizeof(t[0]), st, k)

/*
 * Every (state, event) pair: those no row above names must be ignored, with
 * no action and no change of state (a stray timer, a second start...).
 */
Test(lifecycle, every_other_pair_is_ignored)
{
	for (int st = LIFECYCLE_IDLE; st < LIFECYCLE_DONE; st++) {
		for (int k = 0; k < LIFECYCLE_EV_MAX; k++) {
			struct rig r;

			if (COVERED(rows, st, k) ||
			    COVERED(forked_rows, st, k) ||
			    COVERED(running_rows, st, k) ||
			    COVERED(draining_rows, st, k) ||
			    COVERED(ending_rows, st, k) ||
			    COVERED(backoff_rows, st, k))
				continue;
			rig_init(&r, SET_RESTART);
			drive(&r, (enum lifecycle_state)st);
			cr_expect_str_eq(
				step(&r,
				     EV(.kind = (enum lifecycle_event_kind)k,
					.pid = PID + 1, .code = 1),
				     700),
				"", "%s + event %d",
				lifecycle_state_name((enum lifecycle_state)st),
				k);
			cr_expect_eq(
				(int)r.lc.state, st, "%s + event %d",
				lifecycle_state_name((enum lifecycle_state)st),
				k);
		}
	}
}

/* DONE answers nothing: every event, no action. */
Test(lifecycle, done_ignores_everything)
{
	for (int k = 0; k < LIFECYCLE_EV_MAX; k++) {
		struct rig r;

		rig_init(&r, SET_DEFAULT);
		drive(&r, LIFECYCLE_DONE);
		cr_assert_eq(r.lc.state, LIFECYCLE_DONE);
		cr_expect_str_eq(step(&r,
				      EV(.kind = (enum lifecycle_event_kind)k,
					 .signo = SIGTERM, .pid = PID,
					 .group_alive = true),
				      10000),
				 "", "event %d", k);
		cr_expect_eq(r.lc.state, LIFECYCLE_DONE);
	}
}

/* The whole stop of a child that ignores TERM, with a straggler. */
Test(lifecycle, term_grace_kill_and_a_group_that_outlives_it)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 10);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGINT), 20),
		"kill -100 INT fwd INT", "a second stop: no new grace");
	cr_expect_str_eq(
		step(&r,
		     EV(.kind = LIFECYCLE_EV_GRACE_OVER, .group_alive = true),
		     10010),
		"log grace-over | kill 100 KILL | kill -100 KILL | "
		"timer+ kill-wait 2000");
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = KILLED(SIGKILL)),
			      10011),
			 "log exited");
	cr_expect_eq(r.lc.exit_code, 137);
	/* already told and killed: nothing new, no second grace */
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true),
		     10012),
		"");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_KILL_WAIT_OVER),
			      12010),
			 "log outlived-kill | log exiting | exit 137");
	cr_expect_eq(r.lc.state, LIFECYCLE_DONE);
}

/*
 * The group emptied without a SIGCHLD to us: the grace ends without a
 * SIGKILL to a pgid that may belong to someone else by now.
 */
Test(lifecycle, group_gone_without_sigchld_gets_no_kill)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_ENDING);
	step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true), 600);
	cr_expect_str_eq(
		step(&r,
		     EV(.kind = LIFECYCLE_EV_GRACE_OVER, .group_alive = false),
		     10600),
		"log grace-over | timer+ kill-wait 2000");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_KILL_WAIT_OVER),
			      12600),
			 "log outlived-kill | log exiting | exit 3");
}

/* The group is told once: a second TERM is a "quit now" to many apps. */
Test(lifecycle, group_already_stopped_is_not_told_again)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 10);
	step(&r,
	     EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = KILLED(SIGTERM)),
	     20);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true),
		     21),
		"log waiting-group", "no second TERM, the grace already runs");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true),
		     22),
		"", "the wait is said once");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     30),
		"timer- grace | log exiting | exit 143");
}

Test(lifecycle, success_exit_maps_to_zero)
{
	struct rig r;

	rig_init(&r, SET_SUCCESS_143);
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = EXITED(143)),
			      50),
			 "log exited");
	/* The record says what the child did; pidone's exit is mapped. */
	cr_expect_eq(r.out.a[0].code, 143);
	cr_expect_eq(r.lc.exit_code, 0);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 60),
			 "log exiting | exit 0");
}

/* A missing command is not restarted, whatever the policy. */
Test(lifecycle, exec_failure_is_final)
{
	struct rig r;

	rig_init(&r, SET_RESTART);
	drive(&r, LIFECYCLE_STARTING);
	step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID), 0);
	step(&r, EV(.kind = LIFECYCLE_EV_EXEC_FAILED, .code = EX_NOTFOUND), 1);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = EXITED(127)),
			      2),
			 "", "no child-exited record: the failure was said");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 3),
			 "log exiting | exit 127");
}

/* fork fails, then works: the budget is shared with failed runs. */
Test(lifecycle, transient_fork_failure_is_retried_within_the_budget)
{
	struct rig r;

	rig_init(&r, SET_RESTART);
	r.s.restart_max = 2;
	lifecycle_init(&r.lc, &r.s, true);
	step(&r, EV(.kind = LIFECYCLE_EV_START), 0);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .errnum = EAGAIN), 0),
		"log spawn-retry | timer+ backoff 1000");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_BACKOFF_OVER), 1000),
			 "spawn");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .errnum = EAGAIN),
		     1000),
		"log spawn-retry | timer+ backoff 2000");
	step(&r, EV(.kind = LIFECYCLE_EV_BACKOFF_OVER), 3000);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .errnum = EAGAIN),
		     3000),
		"log giving-up | log spawn-failed | log exiting | "
		"exit 70");
	cr_expect_eq(r.out.a[0].code, -1, "no child ran: it could not start");
	cr_expect_eq(r.lc.restart.n_stamps, 2, "two retries began");
}

/*
 * --restart-max 1, in the first backoff: a new child (pid PID + 1) is
 * started by @ev at 5000 and exits 4 at 5010. The step of its exit.
 */
static const char *second_run(struct rig *r, struct lifecycle_event ev)
{
	rig_init(r, SET_RESTART);
	r->s.restart_max = 1;
	lifecycle_init(&r->lc, &r->s, true);
	drive(r, LIFECYCLE_BACKOFF);
	step(r, ev, 5000);
	step(r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID + 1), 5000);
	step(r, EV(.kind = LIFECYCLE_EV_EXEC_OK), 5000);
	return step(r,
		    EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(4)),
		    5010);
}

/* The restart budget runs out: pidone ends with the last code. */
Test(lifecycle, restart_budget_spent)
{
	struct rig r;

	cr_expect_str_eq(second_run(&r, EV(.kind = LIFECYCLE_EV_BACKOFF_OVER)),
			 "log exited | log giving-up");
	cr_expect_eq(r.out.a[1].code, 4, "a child ran and ended");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 5020),
			 "log exiting | exit 4");
}

/*
 * A reload pre-empts a decided restart: the restart never begins, and the
 * budget stays whole for the next failure.
 */
Test(lifecycle, reload_in_a_backoff_spends_no_budget)
{
	struct rig r;

	cr_expect_str_eq(second_run(&r, EV(.kind = LIFECYCLE_EV_RELOAD)),
			 "log exited", "restarted, not given up");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 5020),
			 "log restarting 1990 | timer+ backoff 1990");
	cr_expect_eq(r.out.a[0].code, 1, "the first restart to begin");
}

/* The first KILL action of the last step: is it a stop (SIGCONT after)? */
static bool kill_is_stop(const struct rig *r)
{
	for (size_t i = 0; i < r->out.n; i++)
		if (r->out.a[i].kind == LIFECYCLE_ACT_KILL)
			return r->out.a[i].stop;
	cr_assert_fail("no kill in the step");
	return false;
}

/* Stops are followed by SIGCONT (a stopped app hears them); no other. */
Test(lifecycle, stops_and_only_stops_wake_a_stopped_app)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGHUP), 10);
	cr_expect_not(kill_is_stop(&r), "a forwarded HUP");
	step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 20);
	cr_expect(kill_is_stop(&r), "a forwarded TERM");
	step(&r, EV(.kind = LIFECYCLE_EV_GRACE_OVER, .group_alive = true),
	     10020);
	cr_expect_not(kill_is_stop(&r), "the grace's SIGKILL");

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 10);
	cr_expect(kill_is_stop(&r), "a reload's own TERM");

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(0)),
	     20);
	step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true), 21);
	cr_expect(kill_is_stop(&r), "the TERM to the rest of the group");
}

/* What health reads: up while forked or running, and only then. */
Test(lifecycle, child_up_and_group_wanted)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	cr_expect_not(lifecycle_child_up(&r.lc));
	drive(&r, LIFECYCLE_STARTING);
	cr_expect(lifecycle_child_up(&r.lc));
	step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID), 0);
	step(&r, EV(.kind = LIFECYCLE_EV_EXEC_OK), 1);
	cr_expect(lifecycle_child_up(&r.lc));
	cr_expect_not(lifecycle_wants_group(&r.lc));
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(0)),
	     2);
	cr_expect_not(lifecycle_child_up(&r.lc));
	cr_expect(lifecycle_wants_group(&r.lc));
	cr_expect_eq(r.lc.child_pid, 0);
	cr_expect_eq(r.lc.pgid, PID, "the group is kept until found empty");
	step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 3);
	cr_expect_eq(r.lc.pgid, 0);
	cr_expect_str_eq(lifecycle_state_name(r.lc.state), "done");
}

/* The phases `pidone status` shows, through a drained stop and a restart. */
Test(lifecycle, phases)
{
	struct rig r;

	rig_init(&r, SET_DRAIN_RESTART);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "starting");
	drive(&r, LIFECYCLE_STARTING);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "starting");
	step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID), 0);
	step(&r, EV(.kind = LIFECYCLE_EV_EXEC_OK), 1);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "running");
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(3)),
	     2);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "restarting", "ending");
	step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 3);
	cr_expect_eq(r.lc.state, LIFECYCLE_BACKOFF);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "restarting");
	step(&r, EV(.kind = LIFECYCLE_EV_BACKOFF_OVER), 2000);
	step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID), 2000);
	step(&r, EV(.kind = LIFECYCLE_EV_EXEC_OK), 2001);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "running");
	step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 2100);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "draining");
	step(&r, EV(.kind = LIFECYCLE_EV_DRAIN_OVER), 7100);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "stopping", "the grace runs");
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(3)),
	     7200);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "stopping", "no restart");
	step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 7201);
	cr_expect_str_eq(lifecycle_phase(&r.lc), "ended");
}

/*
 * A whole drained stop: readiness off at the TERM (shutting_down), the app
 * still up for the whole drain, the deadline health shows, the TERM only
 * at its end, then the grace and the exit. The drain timer runs only while
 * DRAINING: an idle pidone has no timer at all.
 */
Test(lifecycle, drained_stop_from_term_to_exit)
{
	struct rig r;

	rig_init(&r, SET_DRAIN);
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_eq(r.lc.timers, 0u, "a running child needs no timer");
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
			      100),
			 "log shutting-down 5000 | timer+ drain 5000");
	cr_expect(r.lc.shutting_down, "readiness falls at the signal");
	cr_expect(lifecycle_child_up(&r.lc), "the app runs on");
	cr_expect_not(lifecycle_wants_group(&r.lc));
	cr_expect_eq(r.lc.drain_end_ms, 5100);
	cr_expect_eq(r.lc.drain_signo, SIGTERM);
	cr_expect_eq(r.lc.timers, 1u << LIFECYCLE_TIMER_DRAIN);
	cr_expect_str_eq(lifecycle_state_name(r.lc.state), "draining");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_DRAIN_OVER), 5100),
			 "kill -100 TERM fwd TERM | log drain-over | "
			 "timer+ grace 10000");
	cr_expect_eq(r.lc.timers, 1u << LIFECYCLE_TIMER_GRACE,
		     "the drain timer is gone once it fired");
	/* A stop after the drain is forwarded, without a second grace. */
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
			      5200),
			 "kill -100 TERM fwd TERM");
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = KILLED(SIGTERM)),
			      5300),
			 "log exited");
	cr_expect_str_eq(lifecycle_state_name(r.lc.state), "ending");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     5301),
		"timer- grace | log exiting | exit 143");
	cr_expect_eq(r.lc.timers, 0u);
}

/*
 * The child ends during the drain: no stop signal ever goes to it, the
 * rest of its group is told as after any exit, and a restart policy does
 * not bring it back (a stop was asked for).
 */
Test(lifecycle, child_ending_during_the_drain_ends_it)
{
	struct rig r;

	rig_init(&r, SET_DRAIN_RESTART);
	drive(&r, LIFECYCLE_DRAINING);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = EXITED(0)),
			      2000),
			 "timer- drain | log exited");
	cr_expect_eq(r.lc.timers, 0u);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true),
		     2001),
		"log terminating-group | kill -100 TERM | "
		"timer+ grace 10000");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_DRAIN_OVER), 2100),
			 "", "a drain timer that was stopped is ignored");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     2500),
		"timer- grace | log exiting | exit 0");
}

/* Without --drain nothing waits: the TERM goes out with the first step. */
Test(lifecycle, no_drain_forwards_at_once)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	cr_assert_eq(r.s.drain_ms, 0u, "the default is no drain");
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 10),
		"kill -100 TERM fwd TERM | log shutting-down | "
		"timer+ grace 10000");
	cr_expect_eq(r.lc.state, LIFECYCLE_RUNNING);
}

/* The exit record's cause and run time, for each way a child can end. */
Test(lifecycle, exit_cause_and_runtime)
{
	static const struct {
		const char *name;
		int wstatus;
		bool oom_killed, grace_over;
		enum lifecycle_cause cause;
	} causes[] = {
		{ "exit 0", EXITED(0), false, false, LIFECYCLE_CAUSE_EXIT },
		{ "exit 3", EXITED(3), false, false, LIFECYCLE_CAUSE_EXIT },
		{ "exit 137 is an exit", EXITED(137), true, false,
		  LIFECYCLE_CAUSE_EXIT },
		{ "TERM from someone", KILLED(SIGTERM), false, false,
		  LIFECYCLE_CAUSE_SIGNAL },
		{ "KILL from someone", KILLED(SIGKILL), false, false,
		  LIFECYCLE_CAUSE_SIGNAL },
		{ "TERM while the counter rose", KILLED(SIGTERM), true, false,
		  LIFECYCLE_CAUSE_SIGNAL },
		{ "KILL and the counter rose", KILLED(SIGKILL), true, false,
		  LIFECYCLE_CAUSE_OOM_KILL },
		{ "KILL after the grace", KILLED(SIGKILL), false, true,
		  LIFECYCLE_CAUSE_GRACE_KILL },
		{ "pidone's KILL wins over the counter", KILLED(SIGKILL), true,
		  true, LIFECYCLE_CAUSE_GRACE_KILL },
	};

	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		struct rig r;
		const struct lifecycle_action *rec = NULL;

		rig_init(&r, SET_DEFAULT);
		drive(&r, LIFECYCLE_RUNNING); /* forked at 0 */
		if (causes[i].grace_over) {
			step(&r,
			     EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
			     10);
			step(&r,
			     EV(.kind = LIFECYCLE_EV_GRACE_OVER,
				.group_alive = true),
			     10010);
		}
		step(&r,
		     EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
			.wstatus = causes[i].wstatus,
			.oom_killed = causes[i].oom_killed),
		     12345);
		for (size_t k = 0; k < r.out.n; k++)
			if (r.out.a[k].kind == LIFECYCLE_ACT_LOG &&
			    r.out.a[k].record == LIFECYCLE_REC_CHILD_EXITED)
				rec = &r.out.a[k];
		cr_assert_not_null(rec, "%s: no exit record", causes[i].name);
		cr_expect_eq(rec->cause, causes[i].cause, "%s: cause %d",
			     causes[i].name, rec->cause);
		cr_expect_eq(rec->runtime_ms, 12345, "%s", causes[i].name);
	}
}

/* ------------------------------------------------------------------ */
/* Reloads                                                              */
/* ------------------------------------------------------------------ */

/*
 * A reload without a restart policy and a budget of 0: the normal stop,
 * then a new child at once, not counted, its readiness back once it runs.
 */
Test(lifecycle, reload_starts_a_new_child_at_once_not_counted)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	r.s.restart_max = 0;
	lifecycle_init(&r.lc, &r.s, true);
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP), 100),
		"kill -100 TERM | log reloading | timer+ grace 10000");
	cr_expect(r.lc.reloading, "readiness is off during the reload");
	cr_expect_not(r.lc.shutting_down, "a reload is no shutdown");
	cr_expect_eq(r.lc.reloads, 1);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = KILLED(SIGTERM)),
			      200),
			 "log exited", "no restart decision, no giving up");
	cr_expect_str_eq(lifecycle_state_name(r.lc.state), "ending");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     201),
		"timer- grace | spawn", "at once, no backoff");
	cr_expect_not(r.lc.reloading, "over once the new child is on its way");
	cr_expect_eq(r.lc.restart.n_stamps, 0, "a reload is not a restart");
	cr_expect_eq(r.lc.runs, 1);
	step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID + 1), 202);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_EXEC_OK), 203),
			 "log started");
	cr_expect_eq(r.lc.child_pid, PID + 1);
	cr_expect_eq(r.lc.timers, 0u, "an idle pidone has no timer");
	/* The new child is reloaded the same way, as often as asked. */
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 300),
			 "kill -101 TERM | log reloading | timer+ grace 10000");
	cr_expect_eq(r.lc.reloads, 2);
}

/* The drain comes first, and the TERM that ends it is pidone's own. */
Test(lifecycle, reload_with_drain)
{
	struct rig r;

	rig_init(&r, SET_DRAIN);
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 100),
			 "log reloading 5000 | timer+ drain 5000");
	cr_expect(lifecycle_child_up(&r.lc), "the app serves on");
	cr_expect_eq(r.lc.drain_end_ms, 5100);
	cr_expect_eq(r.lc.drain_signo, SIGTERM);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGHUP), 200),
		"", "one reload at a time");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_DRAIN_OVER), 5100),
		"kill -100 TERM | log drain-over | timer+ grace 10000");
	cr_expect(r.lc.reloading);
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(0)),
	     5200);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     5201),
		"timer- grace | spawn");
}

/*
 * A stop during a reload's drain takes the drain over: it ends when it
 * would have, with the stop's signal, and no new child comes.
 */
Test(lifecycle, stop_during_a_reload_drain_takes_it_over)
{
	struct rig r;

	rig_init(&r, SET_DRAIN_REWRITE);
	r.s.restart = RESTART_ALWAYS;
	r.s.restart_max = 5;
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGUSR2), 100);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGINT),
			      1100),
			 "log shutting-down 4000");
	cr_expect(r.lc.shutting_down);
	cr_expect_not(r.lc.reloading);
	cr_expect_eq(r.lc.drain_end_ms, 5100, "the drain is not extended");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_DRAIN_OVER), 5100),
			 "kill -100 INT fwd INT | log drain-over | "
			 "timer+ grace 10000");
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(130)),
	     5200);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     5201),
		"timer- grace | log exiting | exit 130",
		"a stop wins over the reload and the restart policy");
}

/*
 * A stop during a reload's grace takes the grace over: the reload's TERM
 * went out, the app gets no second one, and no new child comes. Ctrl-C at
 * a terminal is still forwarded.
 */
Test(lifecycle, stop_during_a_reload_grace_sends_no_second_stop)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	r.s.restart = RESTART_ALWAYS;
	r.s.restart_max = 5;
	lifecycle_init(&r.lc, &r.s, true);
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 100),
			 "kill -100 TERM | log reloading | timer+ grace 10000");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM),
		     1100),
		"log shutting-down", "no second TERM, the grace runs on");
	cr_expect(r.lc.shutting_down);
	cr_expect_not(r.lc.reloading);
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(143)),
	     1200);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     1201),
		"timer- grace | log exiting | exit 143",
		"the stop wins over the reload and the restart policy");

	rig_init(&r, SET_DEFAULT);
	lifecycle_init(&r.lc, &r.s, true);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 100);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGINT,
				 .stdin_tty = true),
			      200),
			 "kill -100 INT fwd INT | log shutting-down",
			 "forwarded; the grace runs on");
}

/* Ctrl-C at a terminal never waits, not even for a reload's drain. */
Test(lifecycle, ctrl_c_during_a_reload_drain_is_forwarded_at_once)
{
	struct rig r;

	rig_init(&r, SET_DRAIN);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 100);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGINT,
				 .stdin_tty = true),
			      200),
			 "timer- drain | kill -100 INT fwd INT | "
			 "log shutting-down | log drain-cut | "
			 "timer+ grace 10000");
	cr_expect_eq(r.lc.state, LIFECYCLE_RUNNING);
	cr_expect_not(r.lc.reloading);
}

/* A stop after the reload's TERM: no second TERM, no new child. */
Test(lifecycle, stop_after_a_reload_stop_ends_pidone)
{
	struct rig r;

	rig_init(&r, SET_DRAIN);
	drive(&r, LIFECYCLE_STARTING);
	step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID), 0);
	/* Before the exec: no drain, the TERM goes out at once. */
	step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 1);
	step(&r, EV(.kind = LIFECYCLE_EV_EXEC_OK), 2);
	cr_expect(r.lc.reloading);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 10),
		"log shutting-down",
		"no drain, no second TERM: the app is stopping already");
	step(&r,
	     EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = KILLED(SIGTERM)),
	     20);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     21),
		"timer- grace | log exiting | exit 143");
}

/* A stop while the reloaded child's group ends: no new child either. */
Test(lifecycle, stop_while_a_reload_waits_for_the_group)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 10);
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(0)),
	     20);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true),
		     21),
		"log waiting-group", "told already, the grace runs");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 30),
		"log shutting-down", "no second TERM for the group");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     40),
		"timer- grace | log exiting | exit 0");
}

/*
 * The child ended by itself and pidone told the rest of its group: a
 * docker stop then is no second SIGTERM for them; a further stop is
 * (whoever sends it will not wait), as is a Ctrl-C at a terminal.
 */
Test(lifecycle, stop_while_the_group_ends_is_not_sent_twice)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(0)),
	     20);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true),
		     21),
		"log terminating-group | kill -100 TERM | timer+ grace 10000");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 30),
		"log shutting-down");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGTERM), 40),
		"kill -100 TERM fwd TERM");

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(0)),
	     20);
	step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true), 21);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_SIGNAL, .signo = SIGINT,
				 .stdin_tty = true),
			      30),
			 "kill -100 INT fwd INT | log shutting-down");
}

/* The reload's group outlives SIGKILL: the new child starts all the same. */
Test(lifecycle, reload_after_the_kill_wait)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 10);
	cr_expect_str_eq(
		step(&r,
		     EV(.kind = LIFECYCLE_EV_GRACE_OVER, .group_alive = true),
		     10010),
		"log grace-over | kill 100 KILL | kill -100 KILL | "
		"timer+ kill-wait 2000");
	step(&r,
	     EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = KILLED(SIGKILL)),
	     10011);
	cr_expect_eq(r.lc.last_cause, LIFECYCLE_CAUSE_GRACE_KILL);
	step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = true), 10012);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_KILL_WAIT_OVER),
			      12010),
			 "log outlived-kill | spawn");
}

/*
 * A failed child waiting for its restart: a reload while its group ends
 * or during its backoff starts the next at once, and adds no restart.
 */
Test(lifecycle, reload_hurries_a_restart_without_counting_it)
{
	struct rig r;

	rig_init(&r, SET_RESTART);
	drive(&r, LIFECYCLE_ENDING);
	cr_expect_eq(r.lc.restart.n_stamps, 0, "decided, charged as it begins");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 550),
			 "log reloading");
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     600),
		"spawn", "no backoff");
	cr_expect_eq(r.lc.restart.n_stamps, 0, "the budget is untouched");
	cr_expect_eq(r.lc.reloads, 1);
	cr_expect_eq(r.lc.restarts, 0, "the start was the reload's");

	rig_init(&r, SET_RESTART);
	drive(&r, LIFECYCLE_BACKOFF);
	cr_expect_eq(r.lc.restarts, 0, "decided, not begun");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 700),
			 "log reloading | timer- backoff | spawn");
	cr_expect_eq(r.lc.timers, 0u);
	cr_expect_eq(r.lc.restart.n_stamps, 0, "the budget is untouched");
	cr_expect_eq(r.lc.restarts, 0, "counted as the reload it was");

	/* The backoff's end begins the restart: counted then. */
	rig_init(&r, SET_RESTART);
	drive(&r, LIFECYCLE_BACKOFF);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_BACKOFF_OVER), 1500),
			 "spawn");
	cr_expect_eq(r.lc.restarts, 1);
}

/* A reload's new child whose command is gone: pidone ends with 127. */
Test(lifecycle, exec_failure_ends_a_reload)
{
	struct rig r;

	rig_init(&r, SET_DEFAULT);
	drive(&r, LIFECYCLE_STARTING);
	step(&r, EV(.kind = LIFECYCLE_EV_SPAWNED, .pid = PID), 0);
	step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 1);
	step(&r, EV(.kind = LIFECYCLE_EV_EXEC_FAILED, .code = EX_NOTFOUND), 1);
	step(&r, EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = EXITED(127)),
	     2);
	cr_expect_not(r.lc.reloading);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 3),
			 "timer- grace | log exiting | exit 127");
}

/* --watch-signal: the child is told, nothing is stopped, no timer. */
Test(lifecycle, watch_signal_sends_and_changes_nothing)
{
	struct rig r;

	rig_init(&r, SET_WATCH_HUP);
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 10),
			 "kill 100 HUP | log watch-signal");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 20),
			 "kill 100 HUP | log watch-signal", "every change");
	cr_expect_eq(r.out.a[0].forwarded, 0, "pidone's own, not forwarded");
	cr_expect_eq(r.lc.state, LIFECYCLE_RUNNING);
	cr_expect_not(r.lc.reloading);
	cr_expect_eq(r.lc.reloads, 0);
	cr_expect_eq(r.lc.timers, 0u);
}

/*
 * --watch-signal with no child to tell (a backoff, an ending): a change
 * reloads nothing, the next child reads it as it starts. The reload signal
 * still hurries the backoff.
 */
Test(lifecycle, watch_signal_with_no_child_does_nothing)
{
	struct rig r;

	rig_init(&r, SET_RESTART);
	r.s.watch_signal = SIGHUP;
	drive(&r, LIFECYCLE_BACKOFF);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 700), "");
	cr_expect_eq(r.lc.state, LIFECYCLE_BACKOFF);
	cr_expect_eq(r.lc.reloads, 0);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_RELOAD, .signo = SIGUSR2),
			      800),
			 "log reloading | timer- backoff | spawn");
	rig_init(&r, SET_RESTART);
	r.s.watch_signal = SIGHUP;
	drive(&r, LIFECYCLE_ENDING);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 600), "");
	cr_expect_not(r.lc.reloading);
}

/*
 * Ctrl-C at the terminal the child held (docker run -it) reached its group
 * alone: a person's stop, which no --restart undoes. The same death
 * without the terminal is a failure like any other.
 */
Test(lifecycle, ctrl_c_at_the_childs_terminal_is_a_stop)
{
	struct rig r;

	rig_init(&r, SET_RESTART);
	r.s.restart = RESTART_ALWAYS;
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = KILLED(SIGINT), .stdin_tty = true),
			      5000),
			 "log exited | log terminal-stop");
	cr_expect(r.lc.shutting_down);
	cr_expect_str_eq(
		step(&r, EV(.kind = LIFECYCLE_EV_GROUP, .group_alive = false),
		     5001),
		"log exiting | exit 130");

	rig_init(&r, SET_RESTART);
	r.s.restart = RESTART_ALWAYS;
	drive(&r, LIFECYCLE_RUNNING);
	step(&r,
	     EV(.kind = LIFECYCLE_EV_CHILD_EXITED, .wstatus = KILLED(SIGINT)),
	     5000);
	cr_expect_not(r.lc.shutting_down, "no terminal: a failure, restarted");
	cr_expect_gt(r.lc.restart_delay_ms, 0);
}

/* --no-restart-exit: the app's "do not retry" ends pidone with it. */
Test(lifecycle, no_restart_exit_ends_pidone_with_the_status)
{
	struct rig r;

	rig_init(&r, SET_NO_RESTART_78);
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = EXITED(78)),
			      500),
			 "log exited | log no-restart");
	cr_expect_eq(r.out.a[1].code, 78);
	cr_expect_eq(r.lc.restart.n_stamps, 0);
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 600),
			 "log exiting | exit 78");

	/* Another status is restarted as always. */
	rig_init(&r, SET_NO_RESTART_78);
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = EXITED(77)),
			      500),
			 "log exited");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 600),
			 "log restarting 900 | timer+ backoff 900");

	/* A reload's stop is no exit to judge: it starts again. */
	rig_init(&r, SET_NO_RESTART_78);
	drive(&r, LIFECYCLE_RUNNING);
	step(&r, EV(.kind = LIFECYCLE_EV_RELOAD), 100);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = EXITED(78)),
			      500),
			 "log exited");
	cr_expect_str_eq(step(&r, EV(.kind = LIFECYCLE_EV_GROUP), 600),
			 "timer- grace | spawn");

	/* Without a policy that restarts, there is nothing to refuse. */
	rig_init(&r, SET_NO_RESTART_78);
	r.s.restart = RESTART_NEVER;
	lifecycle_init(&r.lc, &r.s, true);
	drive(&r, LIFECYCLE_RUNNING);
	cr_expect_str_eq(step(&r,
			      EV(.kind = LIFECYCLE_EV_CHILD_EXITED,
				 .wstatus = EXITED(78)),
			      500),
			 "log exited");
}
