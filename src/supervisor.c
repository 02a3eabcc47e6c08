/* SPDX-License-Identifier: MIT */
/*
 * supervisor.c - the main child's life cycle; see supervisor.h for the
 * state diagram.
 *
 * Invariants: child_pid != 0 only in RUNNING; pgid != 0 from spawn until
 * the group is found empty; at most one of grace_timer/backoff_timer runs.
 * Every kill() failure is logged and survived: after start-up pidone must
 * not die (the container would go with it). Owns no fd.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "execpath.h"
#include "exitcodes.h"
#include "exitstatus.h"
#include "health.h"
#include "log.h"
#include "supervisor.h"
#include "banned.h"

/* How long processes get to vanish after SIGKILL before we stop waiting. */
#define KILL_WAIT_S 2.0

static bool is_terminating(int signo)
{
	return signo == SIGTERM || signo == SIGINT || signo == SIGQUIT;
}

static const char *signal_text(int signo, char *buf, unsigned buflen)
{
	const char *name = signame_from_number(signo, buf, buflen);

	if (!name) {
		snprintf(buf, buflen, "%d", signo);
		name = buf;
	}
	return name;
}

/* Send @signo to what --forward chose; false when there is no target. */
static bool send_signal(struct supervisor *sup, pid_t target, int signo)
{
	char name[16];

	if (kill(target, signo) == 0)
		return true;
	if (errno != ESRCH)
		log_emit(LOG_LEVEL_WARN, errno, NULL,
			 LOG_FIELDS(LOG_INT("target", target)),
			 "cannot send SIG%s, ignoring",
			 signal_text(signo, name, sizeof(name)));
	(void)sup;
	return false;
}

/* Does any process of the child's group still exist (zombies count)? */
static bool group_alive(const struct supervisor *sup)
{
	if (sup->pgid <= 0)
		return false;
	return kill(-sup->pgid, 0) == 0 || errno == EPERM;
}

static void finish(struct supervisor *sup)
{
	ev_timer_stop(sup->loop, &sup->grace_timer);
	ev_timer_stop(sup->loop, &sup->kill_timer);
	ev_timer_stop(sup->loop, &sup->backoff_timer);
	sup->state = SUPERVISOR_DONE;
	log_emit(LOG_LEVEL_INFO, 0, NULL,
		 LOG_FIELDS(LOG_INT("code", sup->exit_code)), "exiting");
	ev_break(sup->loop, EVBREAK_ALL);
}

/* Log why the spawn failed as precisely as we can; returns the exit code. */
static int report_spawn_failure(char *const *argv,
				const struct child_failure *failure)
{
	const char *path = getenv("PATH");
	/* The PATH that was searched; none for a name with a '/'. */
	const char *searched = strchr(argv[0], '/') ? NULL :
			       path		    ? path :
						      EXECPATH_DEFAULT_PATH;
	/* A NULL key leaves the field out of the log line. */
	const char *path_key = searched ? "path" : NULL;
	char found[4096], interp[256];
	int r;

	if (failure->step != CHILD_STEP_EXEC) {
		log_emit(LOG_LEVEL_ERROR, failure->errnum, NULL,
			 LOG_FIELDS(LOG_STRV("argv", argv)),
			 "cannot start the command: %s failed",
			 child_step_name(failure->step));
		return EX_SOFTWARE;
	}

	/*
	 * execvp's errno alone misleads: it says EACCES when a PATH dir could
	 * not be searched, even though the command is nowhere. What is on
	 * disk decides between "not found" and "not executable".
	 */
	r = execpath_find(argv[0], path, found, sizeof(found));
	if (r == -ENOENT) {
		log_emit(LOG_LEVEL_ERROR, 0,
			 "install it in the image or give its full path",
			 LOG_FIELDS(LOG_STR("command", argv[0]),
				    LOG_STR(path_key, searched)),
			 "command not found: %s", argv[0]);
		return EX_NOTFOUND;
	}
	if (failure->errnum == ENOENT && r == 0 &&
	    execpath_interpreter(found, interp, sizeof(interp)) == 0) {
		log_emit(
			LOG_LEVEL_ERROR, 0,
			"distroless images have no shell: put the interpreter "
			"in the JSON command, e.g. [\"python3\",\"app.py\"]",
			LOG_FIELDS(LOG_STR("command", found),
				   LOG_STR("interpreter", interp)),
			"command not executable: its interpreter %s was not found",
			interp);
		return EX_NOEXEC;
	}
	log_emit(LOG_LEVEL_ERROR, failure->errnum,
		 failure->errnum == EACCES ?
			 "make it executable: chmod +x, or COPY --chmod=755" :
			 NULL,
		 LOG_FIELDS(LOG_STR("command", found),
			    LOG_STR(path_key, searched)),
		 "command not executable: %s", argv[0]);
	return EX_NOEXEC;
}

static int spawn(struct supervisor *sup, int *ret_exit_code)
{
	struct child_failure failure;
	pid_t pid;
	int r;

	r = child_spawn(sup->settings->command, sup->child_mask,
			CHILD_NO_NEW_PRIVS | (sup->settings->watchdog_ms ?
						      CHILD_WATCHDOG_PID :
						      0),
			&pid, &failure);
	if (r < 0) {
		*ret_exit_code =
			report_spawn_failure(sup->settings->command, &failure);
		return r;
	}
	sup->child_pid = pid;
	sup->pgid = pid;
	sup->group_terminated = false;
	sup->group_killed = false;
	sup->started_ms = clock_monotonic_ms();
	sup->state = SUPERVISOR_RUNNING;
	if (sup->health)
		health_child_started(sup->health, sup->started_ms);
	log_emit(LOG_LEVEL_INFO, 0, NULL,
		 LOG_FIELDS(LOG_INT("pid", pid),
			    LOG_STRV("argv", sup->settings->command)),
		 "child started");
	return 0;
}

static void restart_child(struct supervisor *sup)
{
	int code;

	if (spawn(sup, &code) < 0) {
		sup->exit_code = code;
		finish(sup);
	}
}

/* The main child's group is gone: restart it or end. */
static void group_drained(struct supervisor *sup)
{
	double remaining;

	ev_timer_stop(sup->loop, &sup->grace_timer);
	ev_timer_stop(sup->loop, &sup->kill_timer);
	sup->pgid = 0;

	if (sup->restart_delay_ms == 0 || sup->shutting_down) {
		finish(sup);
		return;
	}
	remaining = ((double)sup->restart_delay_ms -
		     (double)(clock_monotonic_ms() - sup->exited_ms)) /
		    1000.0;
	log_emit(LOG_LEVEL_INFO, 0, NULL,
		 LOG_FIELDS(LOG_INT("delay_ms", sup->restart_delay_ms),
			    LOG_INT("restarts", sup->restart.count)),
		 "restarting the child");
	sup->restart_delay_ms = 0;
	if (remaining <= 0) {
		restart_child(sup);
		return;
	}
	sup->state = SUPERVISOR_BACKOFF;
	ev_timer_set(&sup->backoff_timer, remaining, 0.);
	ev_timer_start(sup->loop, &sup->backoff_timer);
}

static void start_grace(struct supervisor *sup)
{
	if (ev_is_active(&sup->grace_timer) || sup->group_killed)
		return;
	ev_timer_set(&sup->grace_timer, sup->settings->grace_ms / 1000.0, 0.);
	ev_timer_start(sup->loop, &sup->grace_timer);
}

/*
 * Record the main child's end: log it, decide on a restart, tell the
 * health state. The group is looked at once the whole batch of exited
 * children has been reaped (reap_settle), so that members that died with
 * the child are not sent a SIGTERM they can no longer receive.
 */
static void main_child_exited(struct supervisor *sup, int wstatus)
{
	char how[64];
	int code = exitstatus_from_wait(wstatus);
	bool again;

	if (settings_is_success_exit(sup->settings, code))
		code = 0;
	sup->exit_code = code;
	sup->exited_ms = clock_monotonic_ms();
	log_emit(LOG_LEVEL_INFO, 0, NULL,
		 LOG_FIELDS(LOG_INT("pid", sup->child_pid),
			    LOG_INT("code", code)),
		 "child %s", exitstatus_describe(wstatus, how, sizeof(how)));
	sup->child_pid = 0;

	sup->restart_delay_ms = 0;
	again = !sup->shutting_down &&
		restart_wanted(sup->settings->restart, code);
	if (again && !restart_next(&sup->restart, sup->exited_ms,
				   sup->exited_ms - sup->started_ms,
				   &sup->restart_delay_ms)) {
		log_emit(LOG_LEVEL_ERROR, 0,
			 "look at the child's own output above; raise "
			 "--restart-max if it is expected to fail this often",
			 LOG_FIELDS(LOG_INT("restart_max",
					    sup->settings->restart_max)),
			 "giving up: the child failed again after %u restarts "
			 "within 10 minutes",
			 sup->settings->restart_max);
		again = false;
	}
	if (sup->health && again)
		health_child_backoff(sup->health, wstatus);
	else if (sup->health)
		health_child_exited(sup->health, wstatus);
	sup->state = SUPERVISOR_DRAINING;
}

/* After a batch of reaps: is the child's group gone, or must it be told? */
static void reap_settle(struct supervisor *sup, bool main_exited)
{
	if (sup->state != SUPERVISOR_DRAINING)
		return;
	if (!group_alive(sup)) {
		group_drained(sup);
		return;
	}
	if (!main_exited)
		return;
	/*
	 * A group that was already sent the stop signal is not sent SIGTERM
	 * again: many apps take a second SIGTERM as "quit now, skip cleanup".
	 */
	if (!sup->group_terminated) {
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("pgid", sup->pgid)),
			 "terminating the rest of the child's process group");
		send_signal(sup, -sup->pgid, SIGTERM);
		sup->group_terminated = true;
	}
	start_grace(sup);
}

static void reaped(struct supervisor *sup, pid_t pid, int wstatus)
{
	sup->zombies_reaped++;
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_INT("pid", pid),
				    LOG_INT("status", wstatus)),
			 "reaped");
}

void supervisor_reap(struct supervisor *sup)
{
	bool main_exited = false;

	/*
	 * Once DONE pidone is on its way out: what is left is reaped by the
	 * kernel (PID 1) or by the next reaper up (subreaper).
	 */
	while (sup->state != SUPERVISOR_DONE) {
		int wstatus;
		/*
		 * No WUNTRACED or WCONTINUED: stops and continues only ever
		 * woke libev's watcher to be ignored. No __WALL either: the
		 * kernel sets a reparented orphan's exit signal to SIGCHLD,
		 * and our own child is forked with it.
		 */
		pid_t pid = waitpid(-1, &wstatus, WNOHANG);

		if (pid == 0)
			break;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				log_warn("cannot reap children, ignoring");
			break;
		}
		if (pid == sup->child_pid && sup->child_pid > 0) {
			main_child_exited(sup, wstatus);
			main_exited = true;
		} else {
			reaped(sup, pid, wstatus);
		}
	}
	reap_settle(sup, main_exited);
}

static void grace_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct supervisor *sup = w->data;

	(void)revents;
	log_emit(LOG_LEVEL_WARN, 0, NULL,
		 LOG_FIELDS(LOG_INT("grace_ms", sup->settings->grace_ms),
			    LOG_INT("pgid", sup->pgid)),
		 "grace period over: sending SIGKILL to the child's group");
	sup->group_killed = true;
	/* The child may have left its group (setsid): kill it by pid too. */
	if (sup->child_pid > 0)
		send_signal(sup, sup->child_pid, SIGKILL);
	if (sup->pgid > 0)
		send_signal(sup, -sup->pgid, SIGKILL);
	ev_timer_set(&sup->kill_timer, KILL_WAIT_S, 0.);
	ev_timer_start(loop, &sup->kill_timer);
}

static void kill_wait_over(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct supervisor *sup = w->data;

	(void)loop;
	(void)revents;
	if (sup->state != SUPERVISOR_DRAINING)
		return;
	log_emit(LOG_LEVEL_WARN, 0, NULL,
		 LOG_FIELDS(LOG_INT("pgid", sup->pgid)),
		 "processes of the child's group outlived SIGKILL; not "
		 "waiting for them any longer");
	group_drained(sup);
}

static void backoff_over(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	restart_child(w->data);
}

int supervisor_start(struct supervisor *sup, struct ev_loop *loop,
		     const struct settings *settings,
		     const sigset_t *child_mask, pid_t self, int *ret_exit_code)
{
	sup->settings = settings;
	sup->loop = loop;
	sup->child_mask = child_mask;
	sup->self = self;
	if (restart_init(&sup->restart, settings->restart,
			 settings->restart_max) < 0) {
		log_errorx(NULL, "out of memory");
		*ret_exit_code = EX_SOFTWARE;
		return -ENOMEM;
	}

	ev_init(&sup->grace_timer, grace_expired);
	sup->grace_timer.data = sup;
	ev_init(&sup->kill_timer, kill_wait_over);
	sup->kill_timer.data = sup;
	ev_init(&sup->backoff_timer, backoff_over);
	sup->backoff_timer.data = sup;

	return spawn(sup, ret_exit_code);
}

void supervisor_signal(struct supervisor *sup, int signo)
{
	int to = sup->settings->rewrite[signo];
	bool terminating = is_terminating(signo);
	bool first_stop = terminating && !sup->shutting_down && to != 0;
	char name[16], to_name[16];
	pid_t target = 0;

	/* --rewrite SIG:0 drops SIG: no forwarding, and no shutdown either. */
	if (to == 0) {
		log_emit(LOG_LEVEL_DEBUG, 0, NULL, NULL, 0,
			 "dropped SIG%s (--rewrite)",
			 signal_text(signo, name, sizeof(name)));
		return;
	}
	if (first_stop) {
		sup->shutting_down = true;
		if (sup->health)
			health_shutdown_begun(sup->health);
	}

	switch (sup->state) {
	case SUPERVISOR_RUNNING:
		if (sup->settings->forward == FORWARD_CHILD)
			target = sup->child_pid;
		else
			target = -sup->pgid;
		break;
	case SUPERVISOR_DRAINING:
		if (sup->settings->forward == FORWARD_GROUP && sup->pgid > 0)
			target = -sup->pgid;
		break;
	default:
		break;
	}

	/* Forward first: the app hears of the signal before we log it. */
	if (target != 0 && send_signal(sup, target, to)) {
		/*
		 * And on a shared CPU (a container limited to one) it runs its
		 * handler before our bookkeeping, not after: the kernel does
		 * not always switch to it at kill(). Measured with `make
		 * bench`, pinned to one CPU: SIGTERM forwarding 88 -> 74 us,
		 * SIGTERM to exit 526 -> 443 us. Cheap on an idle CPU; it
		 * cannot fail on Linux.
		 */
		(void)sched_yield();
		sup->signals_forwarded[signo]++;
		if (target < 0 && terminating)
			sup->group_terminated = true;
		if (log_enabled(LOG_LEVEL_DEBUG))
			log_emit(LOG_LEVEL_DEBUG, 0, NULL,
				 LOG_FIELDS(
					 LOG_STR("signal",
						 signal_text(signo, name,
							     sizeof(name))),
					 LOG_STR("sent",
						 signal_text(to, to_name,
							     sizeof(to_name))),
					 LOG_INT("target", target)),
				 "signal forwarded");
	}
	if (first_stop)
		log_emit(LOG_LEVEL_INFO, 0, NULL, NULL, 0,
			 "received SIG%s: shutting down",
			 signal_text(signo, name, sizeof(name)));

	if (sup->state == SUPERVISOR_BACKOFF && sup->shutting_down)
		finish(sup);
	else if (terminating && target != 0)
		start_grace(sup);
}

bool supervisor_child_up(const struct supervisor *sup)
{
	return sup->state == SUPERVISOR_RUNNING;
}

void supervisor_done(struct supervisor *sup)
{
	if (!sup->loop)
		return;
	ev_timer_stop(sup->loop, &sup->grace_timer);
	ev_timer_stop(sup->loop, &sup->kill_timer);
	ev_timer_stop(sup->loop, &sup->backoff_timer);
	restart_done(&sup->restart);
}
