/* SPDX-License-Identifier: MIT */
/*
 * supervisor.c - runs the life cycle's actions; see supervisor.h.
 *
 * Every kill() failure is logged and survived: after start-up pidone must
 * not die. Owns one fd: the exec report pipe, from a spawn until the
 * report (or its EOF) is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "execpath.h"
#include "exitstatus.h"
#include "fdutil.h"
#include "health.h"
#include "kerntext.h"
#include "log.h"
#include "ptree.h"
#include "strv.h"
#include "supervisor.h"
#include "textbuf.h"
#include "banned.h"

static void step(struct supervisor *sup, const struct lifecycle_event *ev);

static const char *signal_text(int signo, char *buf, unsigned buflen)
{
	const char *name = signame_from_number(signo, buf, buflen);

	if (!name) {
		textbuf_snprintf(buf, buflen, "%d", signo);
		name = buf;
	}
	return name;
}

/* Does any process of the child's group still exist (zombies count)? */
static bool group_alive(const struct supervisor *sup)
{
	if (sup->lc.pgid <= 0)
		return false;
	return kill(-sup->lc.pgid, 0) == 0 || errno == EPERM;
}

/* Is @pid stopped by a signal (state T; a tracer's stop is t)? */
static bool stopped(pid_t pid)
{
	struct kerntext_stat st;

	return pid > 0 && ptree_stat(pid, &st) == 0 && st.state == 'T';
}

static void send_signal(struct supervisor *sup,
			const struct lifecycle_action *a)
{
	char name[16], to_name[16];

	if (kill(a->target, a->signo) < 0) {
		if (errno != ESRCH)
			log_emit(LOG_LEVEL_WARN, errno, NULL,
				 LOG_FIELDS(LOG_INT("target", a->target)),
				 "cannot send SIG%s, ignoring",
				 signal_text(a->signo, name, sizeof(name)));
		return;
	}
	if (!a->forwarded)
		return;
	sup->signals_forwarded[a->forwarded]++;
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_STR("signal",
					    signal_text(a->forwarded, name,
							sizeof(name))),
				    LOG_STR("sent",
					    signal_text(a->signo, to_name,
							sizeof(to_name))),
				    LOG_INT("target", a->target)),
			 "signal forwarded");
}

/* Say exactly why the exec failed, from the child's own findings. */
static void log_exec_failure(const struct supervisor *sup,
			     const struct child_report *r)
{
	char *const *argv = sup->spec->argv;
	const char *path = strv_env_value(environ, "PATH");
	/* The PATH that was searched; none for a name with a '/'. */
	const char *searched = strchr(argv[0], '/') ? NULL :
			       path		    ? path :
						      EXECPATH_DEFAULT_PATH;
	/* A NULL key leaves the field out of the log line. */
	const char *path_key = searched ? "path" : NULL;
	const char *found = r->found[0] ? r->found : argv[0];

	switch (r->verdict) {
	case CHILD_NOT_FOUND:
		log_emit(LOG_LEVEL_ERROR, 0,
			 "install it in the image or give its full path",
			 LOG_FIELDS(LOG_STR("command", argv[0]),
				    LOG_STR(path_key, searched)),
			 "command not found: %s", argv[0]);
		break;
	case CHILD_NO_INTERPRETER:
		/* Missing: the message says it all, errno would repeat it. */
		log_emit(LOG_LEVEL_ERROR, r->errnum == ENOENT ? 0 : r->errnum,
			 execpath_interpreter_hint(r->errnum),
			 LOG_FIELDS(LOG_STR("command", found),
				    LOG_STR("interpreter", r->interp)),
			 "command not executable: its interpreter %s %s",
			 r->interp,
			 r->errnum == ENOENT ? "was not found" : "cannot run");
		break;
	case CHILD_NOT_EXECUTABLE:
		log_emit(LOG_LEVEL_ERROR, r->errnum, execpath_hint(r->errnum),
			 LOG_FIELDS(LOG_STR("command", found),
				    LOG_STR(path_key, searched)),
			 "command not executable: %s", argv[0]);
		break;
	default:
		log_emit(LOG_LEVEL_ERROR, r->errnum,
			 r->step == CHILD_STEP_CHDIR ?
				 "the start directory must be searchable by "
				 "the final user: chmod o+x it and its "
				 "parents, or set another WORKDIR" :
				 "the container's security profile (seccomp, "
				 "AppArmor, SELinux) refused it: allow the "
				 "call, or report this line",
			 LOG_FIELDS(LOG_STRV("argv", argv)),
			 "cannot start the command: %s failed",
			 child_step_name(r->step));
		break;
	}
}

static void report_done(struct supervisor *sup)
{
	ev_io_stop(sup->loop, &sup->report_watcher);
	fd_close(&sup->report_fd);
}

/*
 * Read the exec report. Returns false while nothing has come yet (the
 * child has not reached its exec).
 */
static bool report_read(struct supervisor *sup)
{
	struct lifecycle_event ev = { .kind = LIFECYCLE_EV_EXEC_OK };
	struct child_report r;
	int n = child_read_report(sup->report_fd, &r);

	if (n == -EAGAIN)
		return false;
	if (n < 0) {
		errno = -n;
		log_warn(
			"cannot read the exec report, taking the exec as done");
	} else if (n == 1) {
		log_exec_failure(sup, &r);
		ev.kind = LIFECYCLE_EV_EXEC_FAILED;
		ev.code = child_report_code(&r);
	}
	report_done(sup);
	step(sup, &ev);
	return true;
}

static void report_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	(void)report_read(w->data);
}

/*
 * The first child inherits the start directory; pidone has left it since,
 * so a restarted one is sent back there. If the final user cannot enter
 * it (only the first child could simply inherit it), say so and start
 * the child in pidone's own directory, the root.
 */
static const char *restart_dir(const struct supervisor *sup)
{
	const char *dir = sup->spec->dir;

	if (sup->spawns == 0 || !dir)
		return NULL;
	if (access(dir, X_OK) == 0)
		return dir;
	log_emit(LOG_LEVEL_WARN, errno, NULL, LOG_FIELDS(LOG_STR("dir", dir)),
		 "cannot enter the start directory again; the restarted "
		 "child starts in /");
	return NULL;
}

static void spawn(struct supervisor *sup)
{
	struct lifecycle_event ev = { .kind = LIFECYCLE_EV_SPAWNED };
	struct child_spec spec = *sup->spec;
	enum child_step failed;
	int r;

	spec.dir = restart_dir(sup);
	r = child_spawn(&spec, &ev.pid, &sup->report_fd, &failed);
	if (r < 0) {
		ev.errnum = -r;
		sup->failed_step = failed;
	} else {
		sup->spawns++;
		ev_io_set(&sup->report_watcher, sup->report_fd, EV_READ);
		ev_io_start(sup->loop, &sup->report_watcher);
	}
	step(sup, &ev);
	if (r == 0 && sup->health)
		health_child_started(sup->health, sup->lc.started_ms);
}

/* What to raise when a spawn fails for lack of something. */
static const char *spawn_hint(int errnum)
{
	switch (errnum) {
	case EAGAIN:
		return "raise the container's pids limit (docker run "
		       "--pids-limit, ulimit -u)";
	case EMFILE:
	case ENFILE:
		return fd_limit_hint(errnum);
	case ENOMEM:
		return "raise the container's memory limit";
	default:
		return NULL;
	}
}

/*
 * The one record of a drain's start: the signal, and when (wall clock,
 * like the record's own time) it will be forwarded unless the child ends
 * first or a second stop comes.
 */
static void log_drain_start(const struct supervisor *sup,
			    const struct lifecycle_action *a)
{
	int to = sup->lc.settings->rewrite[a->signo];
	char name[16], to_name[16], at[LOG_TIME_LEN + 1] = "";
	struct timespec t;

	if (clock_gettime(CLOCK_REALTIME, &t) == 0) {
		t.tv_sec += a->ms / 1000;
		t.tv_nsec += (long)(a->ms % 1000) * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		if (log_format_time(&t, at, sizeof(at)) < 0)
			at[0] = '\0';
	}
	log_emit(LOG_LEVEL_INFO, 0, NULL,
		 LOG_FIELDS(LOG_INT("drain_ms", a->ms),
			    LOG_STR(at[0] ? "forward_at" : NULL, at)),
		 "received SIG%s: shutting down; readiness is off, SIG%s is "
		 "forwarded after the drain",
		 signal_text(a->signo, name, sizeof(name)),
		 signal_text(to, to_name, sizeof(to_name)));
}

/*
 * The one record of a reload's start: what asked for it (the signal, or
 * the watched path), and the stop it begins.
 */
static void log_reloading(const struct supervisor *sup,
			  const struct lifecycle_action *a)
{
	const struct lifecycle *lc = &sup->lc;
	int to = lc->settings->rewrite[SIGTERM];
	char name[16], to_name[16], why[64];
	const char *path = a->signo ? NULL : sup->changed_path;

	if (a->signo)
		textbuf_snprintf(why, sizeof(why), "received SIG%s",
				 signal_text(a->signo, name, sizeof(name)));
	else
		textbuf_snprintf(why, sizeof(why), "a watched path changed");
	if (a->target == 0)
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_STR(path ? "path" : NULL, path),
				    LOG_INT("reloads", lc->reloads)),
			 "%s: reloading; the child starts again at once", why);
	else if (a->ms)
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_STR(path ? "path" : NULL, path),
				    LOG_INT("drain_ms", a->ms),
				    LOG_INT("reloads", lc->reloads)),
			 "%s: reloading the child; readiness is off, SIG%s "
			 "goes out after the drain",
			 why, signal_text(to, to_name, sizeof(to_name)));
	else if (to)
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_STR(path ? "path" : NULL, path),
				    LOG_INT("reloads", lc->reloads)),
			 "%s: reloading the child, sent SIG%s", why,
			 signal_text(to, to_name, sizeof(to_name)));
	else
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_STR(path ? "path" : NULL, path),
				    LOG_INT("reloads", lc->reloads)),
			 "%s: reloading the child; no stop signal (--rewrite "
			 "TERM:0), SIGKILL after the grace",
			 why);
}

/* A reload's drain is over: its stop goes out. */
static void log_reload_drain_over(const struct supervisor *sup)
{
	const struct settings *s = sup->lc.settings;
	int to = s->rewrite[SIGTERM];
	char name[16];

	if (to)
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("drain_ms", s->drain_ms)),
			 "reload: drain over, sent SIG%s",
			 signal_text(to, name, sizeof(name)));
	else
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("drain_ms", s->drain_ms)),
			 "reload: drain over; no stop signal (--rewrite "
			 "TERM:0), SIGKILL after the grace");
}

/*
 * Where a core went, from the kernel's core_pattern: "|prog" pipes it to
 * a program (systemd-coredump, apport) on the host; a path is relative to
 * the app's working directory unless it starts with '/'.
 */
static const char *core_hint(char *buf, size_t size)
{
	char pattern[128];
	ssize_t n = fd_read_file(AT_FDCWD, "/proc/sys/kernel/core_pattern",
				 pattern, sizeof(pattern) - 1);

	if (n <= 0)
		return NULL;
	pattern[n] = '\0';
	pattern[strcspn(pattern, "\n")] = '\0';
	if (pattern[0] == '|')
		return textbuf_format(buf, size,
				      "the core was piped to %s on the host "
				      "(kernel.core_pattern)",
				      pattern + 1);
	return textbuf_format(
		buf, size, "the core was written to %s%s (kernel.core_pattern)",
		pattern,
		pattern[0] == '/' ? "" : " in the app's working directory");
}

/*
 * Processes still ours at the end came from outside the child's group (a
 * helper the app put in a session of its own): pidone neither signalled
 * nor waited for them. As PID 1 the kernel kills them with it (SIGKILL,
 * no SIGTERM); as a subreaper they run on. Say so: a cleanup that never
 * ran leaves no other trace. waitid(WNOWAIT) reaps nothing and costs one
 * call when there are none.
 */
#define STRAGGLERS_HINT                                                   \
	"keep helpers that need a clean stop in the app's process group " \
	"(no setsid)"

static void report_stragglers(void)
{
	char list[4096], pids[96];
	siginfo_t info = { 0 };
	size_t count = 0, len;
	ssize_t n;

	if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
		return; /* ECHILD: none */
	/* "pid pid ... ": every pid ends with a blank. */
	n = fd_read_file(AT_FDCWD, "/proc/thread-self/children", list,
			 sizeof(list) - 1);
	if (n <= 0)
		return;
	for (ssize_t i = 0; i < n; i++)
		count += list[i] == ' ';
	/* The first few pids, cut at a blank. */
	len = (size_t)n < sizeof(pids) ? (size_t)n : sizeof(pids) - 1;
	memcpy(pids, list, len);
	while (len > 0 && (size_t)n > len && pids[len - 1] != ' ')
		len--;
	while (len > 0 && pids[len - 1] == ' ')
		len--;
	pids[len] = '\0';
	if (getpid() == 1)
		log_emit(LOG_LEVEL_WARN, 0, STRAGGLERS_HINT,
			 LOG_FIELDS(LOG_STR("pids", pids)),
			 "%zu process%s outside the child's group: the kernel "
			 "ends %s with pidone, with no SIGTERM",
			 count, count == 1 ? "" : "es",
			 count == 1 ? "it" : "them");
	else
		log_emit(LOG_LEVEL_WARN, 0, STRAGGLERS_HINT,
			 LOG_FIELDS(LOG_STR("pids", pids)),
			 "%zu process%s outside the child's group left "
			 "running, to the next reaper",
			 count, count == 1 ? "" : "es");
}

/*
 * The one record of the main child's end: its status, how long it ran
 * and why it ended.
 */
static void log_child_exited(const struct lifecycle_action *a)
{
	char name[16], hint[256];
	bool core = WIFSIGNALED(a->wstatus) && WCOREDUMP(a->wstatus);
	int sig = WIFSIGNALED(a->wstatus) ? WTERMSIG(a->wstatus) : 0;
	struct log_field f[6];
	size_t n = 0;

	f[n++] = LOG_INT("pid", a->target);
	if (sig) {
		f[n++] = LOG_INT("signal", sig);
		f[n++] = LOG_STR("signal_name",
				 signal_text(sig, name, sizeof(name)));
	} else {
		f[n++] = LOG_INT("code", a->code);
	}
	f[n++] = LOG_BOOL("core_dumped", core);
	f[n++] = LOG_INT("runtime_ms", a->runtime_ms);
	f[n++] = LOG_STR("cause", lifecycle_cause_name(a->cause));
	log_emit(a->cause == LIFECYCLE_CAUSE_OOM_KILL ? LOG_LEVEL_WARN :
							LOG_LEVEL_INFO,
		 0, core ? core_hint(hint, sizeof(hint)) : NULL, f, n,
		 "child exited");
}

static void log_record(struct supervisor *sup, const struct lifecycle_action *a)
{
	const struct lifecycle *lc = &sup->lc;
	char name[16];

	switch (a->record) {
	case LIFECYCLE_REC_CHILD_STARTED:
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("pid", a->target),
				    LOG_STRV("argv", sup->spec->argv)),
			 "child started");
		break;
	case LIFECYCLE_REC_CHILD_EXITED:
		log_child_exited(a);
		break;
	case LIFECYCLE_REC_GIVING_UP:
		/* "ended": with --restart always, a 0 counts too */
		log_emit(LOG_LEVEL_ERROR, 0,
			 a->code < 0 ? NULL :
				       "look at the child's own output above; "
				       "raise --restart-max if it is expected "
				       "to end this often",
			 LOG_FIELDS(LOG_INT("restart_max",
					    lc->settings->restart_max)),
			 "giving up: the child %s again after %u restart%s "
			 "within 10 minutes",
			 a->code < 0 ? "could not be started" : "ended",
			 lc->settings->restart_max,
			 lc->settings->restart_max == 1 ? "" : "s");
		break;
	case LIFECYCLE_REC_SHUTTING_DOWN:
		if (a->ms)
			log_drain_start(sup, a);
		else
			log_emit(LOG_LEVEL_INFO, 0, NULL, NULL, 0,
				 "received SIG%s: shutting down",
				 signal_text(a->signo, name, sizeof(name)));
		break;
	case LIFECYCLE_REC_DRAIN_OVER:
		if (lc->reloading)
			log_reload_drain_over(sup);
		else
			log_emit(LOG_LEVEL_INFO, 0, NULL,
				 LOG_FIELDS(LOG_INT("drain_ms",
						    lc->settings->drain_ms)),
				 "drain over: forwarded SIG%s",
				 signal_text(lc->settings->rewrite[a->signo],
					     name, sizeof(name)));
		break;
	case LIFECYCLE_REC_DRAIN_CUT:
		log_emit(LOG_LEVEL_INFO, 0, NULL, NULL, 0,
			 "received SIG%s during the drain: forwarded at once",
			 signal_text(a->signo, name, sizeof(name)));
		break;
	case LIFECYCLE_REC_NO_TARGET:
		log_emit(LOG_LEVEL_DEBUG, 0, NULL, NULL, 0,
			 "SIG%s not forwarded: no child is running",
			 signal_text(a->signo, name, sizeof(name)));
		break;
	case LIFECYCLE_REC_SIGNAL_DROPPED:
		/*
		 * A stop that stops nothing is worth a line: it explains a
		 * docker stop that waits for its SIGKILL.
		 */
		log_emit(lifecycle_is_stop(a->signo) ? LOG_LEVEL_INFO :
						       LOG_LEVEL_DEBUG,
			 0, NULL, NULL, 0, "dropped SIG%s (--rewrite)",
			 signal_text(a->signo, name, sizeof(name)));
		break;
	case LIFECYCLE_REC_TERMINATING_GROUP:
		if (lc->settings->rewrite[SIGTERM] == 0)
			log_emit(
				LOG_LEVEL_INFO, 0, NULL,
				LOG_FIELDS(LOG_INT("pgid", -a->target)),
				"waiting for the rest of the child's process "
				"group: no SIGTERM (--rewrite TERM:0), SIGKILL "
				"after the grace");
		else
			log_emit(LOG_LEVEL_INFO, 0, NULL,
				 LOG_FIELDS(LOG_INT("pgid", -a->target)),
				 "terminating the rest of the child's process "
				 "group");
		break;
	case LIFECYCLE_REC_WAITING_GROUP:
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("pgid", -a->target)),
			 "waiting for the rest of the child's process group, "
			 "told to stop already; SIGKILL after the grace");
		break;
	case LIFECYCLE_REC_NOT_REAPER:
		log_emit(LOG_LEVEL_INFO, 0,
			 "pidone is neither PID 1 nor a subreaper (--subreaper "
			 "is off): their ends go to another reaper",
			 LOG_FIELDS(LOG_INT("pgid", -a->target)),
			 "sent SIGTERM to the rest of the child's process "
			 "group; not waiting for it");
		break;
	case LIFECYCLE_REC_GRACE_OVER:
		log_emit(LOG_LEVEL_WARN, 0, NULL,
			 LOG_FIELDS(LOG_INT("grace_ms", lc->settings->grace_ms),
				    LOG_INT("pgid", -a->target)),
			 "grace period over: sending SIGKILL to the child's "
			 "group");
		break;
	case LIFECYCLE_REC_OUTLIVED_KILL:
		log_emit(LOG_LEVEL_WARN, 0, NULL,
			 LOG_FIELDS(LOG_INT("pgid", -a->target)),
			 "processes of the child's group outlived SIGKILL; not "
			 "waiting for them any longer");
		break;
	case LIFECYCLE_REC_RESTARTING:
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("delay_ms", lc->restart_delay_ms),
				    LOG_INT("wait_ms", a->ms),
				    LOG_INT("restarts", a->code)),
			 "restarting the child");
		break;
	case LIFECYCLE_REC_SPAWN_RETRY:
		log_emit(LOG_LEVEL_WARN, a->errnum, NULL,
			 LOG_FIELDS(LOG_INT("delay_ms", a->ms)),
			 "cannot start the command: %s failed, retrying",
			 child_step_name(sup->failed_step));
		break;
	case LIFECYCLE_REC_SPAWN_FAILED:
		log_emit(LOG_LEVEL_ERROR, a->errnum, spawn_hint(a->errnum),
			 LOG_FIELDS(LOG_STRV("argv", sup->spec->argv)),
			 "cannot start the command: %s failed",
			 child_step_name(sup->failed_step));
		break;
	case LIFECYCLE_REC_EXITING:
		report_stragglers();
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("code", a->code)), "exiting");
		break;
	case LIFECYCLE_REC_RELOADING:
		log_reloading(sup, a);
		break;
	case LIFECYCLE_REC_WATCH_SIGNAL:
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_STR("path", sup->changed_path),
				    LOG_INT("pid", a->target)),
			 "a watched path changed: sent SIG%s to the child",
			 signal_text(a->signo, name, sizeof(name)));
		break;
	case LIFECYCLE_REC_TERMINAL_STOP:
		log_emit(LOG_LEVEL_INFO, 0, NULL, NULL, 0,
			 "the child ended on SIG%s from its terminal: shutting "
			 "down, no restart",
			 signal_text(a->signo, name, sizeof(name)));
		break;
	case LIFECYCLE_REC_NO_RESTART:
		log_emit(LOG_LEVEL_INFO, 0, NULL,
			 LOG_FIELDS(LOG_INT("code", a->code)),
			 "not restarting: the exit status %d is listed in "
			 "--no-restart-exit",
			 a->code);
		break;
	default:
		break;
	}
}

/*
 * A stopped app (a forwarded TSTP, a STOP) would hold a stop pending until
 * the grace's SIGKILL: SIGCONT follows it, as systemd sends it, but only
 * when the main child is stopped: a running group need not hear it, and a
 * tracer of its own (LeakSanitizer stops an exiting sanitizer build's
 * threads) can be upset by it. Called after the step's actions: the
 * /proc read must not delay a child that shares pidone's CPU (`make
 * bench`'s SIGTERM forwarding).
 */
static void wake_if_stopped(const struct supervisor *sup, pid_t target)
{
	if (!stopped(sup->lc.child_pid))
		return;
	if (kill(target, SIGCONT) < 0 && errno != ESRCH)
		log_emit(LOG_LEVEL_WARN, errno, NULL,
			 LOG_FIELDS(LOG_INT("target", target)),
			 "cannot send SIGCONT after the stop, ignoring");
}

/* Apply @ev and carry out what the life cycle asks for, in order. */
static void step(struct supervisor *sup, const struct lifecycle_event *ev)
{
	struct lifecycle_actions out;
	bool forwarded = false;
	pid_t stop_target = 0; /* a stop went to it: SIGCONT, if stopped */

	lifecycle_step(&sup->lc, ev, clock_monotonic_ms(), &out);
	for (size_t i = 0; i < out.n; i++) {
		const struct lifecycle_action *a = &out.a[i];
		ev_timer *t = &sup->timers[a->timer];

		switch (a->kind) {
		case LIFECYCLE_ACT_SPAWN:
			spawn(sup);
			break;
		case LIFECYCLE_ACT_KILL:
			send_signal(sup, a);
			forwarded = forwarded || a->forwarded != 0;
			if (a->stop)
				stop_target = a->target;
			break;
		case LIFECYCLE_ACT_TIMER_START:
			ev_timer_stop(sup->loop, t);
			ev_timer_set(t, a->ms / 1000.0, 0.);
			ev_timer_start(sup->loop, t);
			break;
		case LIFECYCLE_ACT_TIMER_STOP:
			ev_timer_stop(sup->loop, t);
			break;
		case LIFECYCLE_ACT_LOG:
			/*
			 * A child that shares pidone's CPU hears a forwarded
			 * signal before, not after, the record of it (`make
			 * bench`'s SIGTERM forwarding, pinned to one CPU: 20
			 * to 40 us less). Only before a record: a flood of
			 * forwarded signals, which write none, never hands
			 * pidone's CPU away. sched_yield cannot fail.
			 */
			if (forwarded)
				(void)sched_yield();
			forwarded = false;
			log_record(sup, a);
			break;
		case LIFECYCLE_ACT_EXIT:
			sup->exit_code = a->code;
			ev_break(sup->loop, EVBREAK_ALL);
			break;
		default:
			break;
		}
	}
	if (stop_target)
		wake_if_stopped(sup, stop_target);
}

static void timer_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct supervisor *sup = w->data;
	struct lifecycle_event ev = { .kind = LIFECYCLE_EV_BACKOFF_OVER };

	(void)loop;
	(void)revents;
	if (w == &sup->timers[LIFECYCLE_TIMER_GRACE]) {
		ev.kind = LIFECYCLE_EV_GRACE_OVER;
		ev.group_alive = group_alive(sup);
	} else if (w == &sup->timers[LIFECYCLE_TIMER_KILL_WAIT]) {
		ev.kind = LIFECYCLE_EV_KILL_WAIT_OVER;
	} else if (w == &sup->timers[LIFECYCLE_TIMER_DRAIN]) {
		ev.kind = LIFECYCLE_EV_DRAIN_OVER;
	}
	step(sup, &ev);
}

void supervisor_init(struct supervisor *sup)
{
	/* Not a memset: the life cycle's restart ring is 8 KiB. */
	sup->loop = NULL;
	sup->report_fd = -1;
	sup->changed_path = NULL;
	oomwatch_init(&sup->oom);
	watch_init(&sup->watch);
}

void supervisor_start(struct supervisor *sup, struct ev_loop *loop,
		      const struct settings *settings,
		      const struct child_spec *spec, bool reaper,
		      struct health *health)
{
	static const struct lifecycle_event start = {
		.kind = LIFECYCLE_EV_START,
	};

	lifecycle_init(&sup->lc, settings, reaper);
	sup->exit_code = 0;
	sup->spawns = 0;
	sup->zombies_reaped = 0;
	memset(sup->signals_forwarded, 0, sizeof(sup->signals_forwarded));
	sup->loop = loop;
	sup->spec = spec;
	sup->health = health;
	ev_init(&sup->report_watcher, report_readable);
	sup->report_watcher.data = sup;
	for (size_t i = 0; i < LIFECYCLE_TIMER_MAX; i++) {
		ev_init(&sup->timers[i], timer_fired);
		sup->timers[i].data = sup;
	}
	step(sup, &start);
}

/*
 * The main child held the terminal's foreground (docker run -it): take it
 * back for pidone's group, so that a Ctrl-C while the rest of the group
 * ends or in a restart's backoff reaches pidone instead of a dead group.
 * Every signal is blocked here, so the kernel sends no SIGTTOU. True when
 * the child held it.
 */
static bool terminal_taken_back(pid_t pgid)
{
	pid_t own = getpgrp();

	if (pgid <= 0 || tcgetpgrp(STDIN_FILENO) != pgid)
		return false;
	/* 0: our group lives outside our PID namespace, out of reach. */
	if (own > 0 && tcsetpgrp(STDIN_FILENO, own) < 0)
		log_warn(
			"cannot take the terminal back from the child's group");
	return true;
}

/*
 * SIGCHLD: reap every exited child, orphans included, with
 * waitpid(WNOHANG) until none is left (one SIGCHLD may stand for many).
 */
static void reap(struct supervisor *sup)
{
	/*
	 * Once DONE pidone is on its way out: what is left is reaped by the
	 * kernel (PID 1) or by the next reaper up (subreaper).
	 */
	while (sup->lc.state != LIFECYCLE_DONE) {
		struct lifecycle_event ev = {
			.kind = LIFECYCLE_EV_CHILD_EXITED
		};
		/*
		 * No WUNTRACED or WCONTINUED: stops and continues are not
		 * ends. No __WALL either: the kernel sets a reparented
		 * orphan's exit signal to SIGCHLD, and our child is forked
		 * with it.
		 */
		pid_t pid = waitpid(-1, &ev.wstatus, WNOHANG);

		if (pid == 0)
			break;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				log_warn("cannot reap children, ignoring");
			break;
		}
		if (pid != sup->lc.child_pid) {
			sup->zombies_reaped++;
			if (log_enabled(LOG_LEVEL_DEBUG))
				log_emit(LOG_LEVEL_DEBUG, 0, NULL,
					 LOG_FIELDS(LOG_INT("pid", pid),
						    LOG_INT("status",
							    ev.wstatus)),
					 "reaped");
			continue;
		}
		ev.stdin_tty = terminal_taken_back(sup->lc.pgid);
		ev.oom_killed =
			WIFSIGNALED(ev.wstatus) &&
			WTERMSIG(ev.wstatus) == SIGKILL &&
			oomwatch_killed_child(&sup->oom, clock_monotonic_ms());
		/*
		 * Gone before we read its report: the child has closed the
		 * pipe, so the report (or EOF) is there to read now.
		 */
		if (sup->report_fd >= 0)
			(void)report_read(sup);
		step(sup, &ev);
	}
	if (lifecycle_wants_group(&sup->lc)) {
		struct lifecycle_event ev = {
			.kind = LIFECYCLE_EV_GROUP,
			.group_alive = group_alive(sup),
		};

		step(sup, &ev);
	}
}

void supervisor_on_signal(void *data, int signo)
{
	struct supervisor *sup = data;
	struct lifecycle_event ev = {
		.kind = LIFECYCLE_EV_SIGNAL,
		.signo = signo,
	};

	/* A Ctrl-C at a terminal never waits for the drain. */
	if (signo == SIGINT)
		ev.stdin_tty = isatty(STDIN_FILENO);
	/* Whoever sent it, SIGCHLD is ours: reap, never forward. */
	if (signo == SIGCHLD) {
		reap(sup);
		return;
	}
	/* The reload signal is pidone's own: a reload, never forwarded. */
	if (signo == sup->lc.settings->reload_signal)
		ev.kind = LIFECYCLE_EV_RELOAD;
	step(sup, &ev);
}

void supervisor_on_change(void *data, const char *path)
{
	struct supervisor *sup = data;
	struct lifecycle_event ev = { .kind = LIFECYCLE_EV_RELOAD };

	/*
	 * A child forked after the last change read it as it started (a
	 * restart's, when the change came in its backoff): no reload, which
	 * would stop it at once for nothing.
	 */
	if (lifecycle_child_up(&sup->lc) &&
	    sup->lc.started_ms > sup->watch.changed_ms) {
		if (log_enabled(LOG_LEVEL_DEBUG))
			log_emit(LOG_LEVEL_DEBUG, 0, NULL,
				 LOG_FIELDS(LOG_STR("path", path)),
				 "a watched path changed before the child "
				 "started: nothing to reload");
		return;
	}
	sup->changed_path = path;
	step(sup, &ev);
}

void supervisor_done(struct supervisor *sup)
{
	/* Started before the supervisor, and may have failed the start. */
	watch_done(&sup->watch);
	if (!sup->loop)
		return;
	for (size_t i = 0; i < LIFECYCLE_TIMER_MAX; i++)
		ev_timer_stop(sup->loop, &sup->timers[i]);
	report_done(sup);
}
