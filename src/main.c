/* SPDX-License-Identifier: MIT */
/*
 * main.c - pidone's entry point and the only place that ends the process.
 *
 * Start-up follows the order the man page gives (Start-up) and may fail
 * fast with one of the fixed exit codes; the comment "pidone must not die"
 * below marks where the event loop starts, after which every error is
 * logged and survived.
 */
#define PIDONE_MAIN
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "check.h"
#include "config.h"
#include "dirs.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "log.h"
#include "loop.h"
#include "pidone.h"
#include "peer.h"
#include "probe.h"
#include "status.h"
#include "strv.h"
#include "usage.h"
#include "passwd.h"
#include "privdrop.h"
#include "textbuf.h"
#include "banned.h"

extern char **environ;

/* With a configuration error: where to look, in an image with no shell. */
#define CONFIG_HINT                                                  \
	"pidone --help lists each setting and the values it takes; " \
	"pidone check shows where each value came from"

/*
 * --help and --version: stdout, the only thing pidone writes there.
 * Returns the exit code: 70 when it could not be written (said on stderr).
 */
static int print(const char *text)
{
	int r = fd_write_all(STDOUT_FILENO, text, strlen(text));

	if (r < 0)
		log_emit(LOG_LEVEL_ERROR, r, NULL, NULL, 0,
			 "cannot write to stdout");
	return r < 0 ? EX_SOFTWARE : 0;
}

/*
 * --help, its 8 KiB buffer on a frame of its own: on main's, every start
 * would run that much deeper into the stack, a page fault per 4 KiB.
 */
static __attribute__((noinline)) int print_usage(void)
{
	char usage[USAGE_MAX];

	return print(usage_text(usage, sizeof(usage)));
}

/* One start-up error line: privdrop and dirs say what and how to fix it. */
static void log_startup_error(const struct privdrop_error *e, const char *key,
			      const char *value)
{
	log_emit(LOG_LEVEL_ERROR, 0, e->hint[0] ? e->hint : NULL,
		 LOG_FIELDS(LOG_STR(key, value)), "%s", e->text);
}

/* The event loop's fds could not be had: out of fds, or @what. */
static void log_loop_error(int err, const char *what)
{
	log_emit(LOG_LEVEL_ERROR, err, fd_limit_hint(err), NULL, 0, "%s",
		 fd_limit_hint(err) ? "too few file descriptors for the event "
				      "loop" :
				      what);
}

/*
 * HOME for a child pidone drops from root: where it is root's /root (as
 * Docker and Kubernetes set it for a container that starts as root), the
 * final user's home from /etc/passwd, "/" when it has none there (as
 * Docker gives a USER). A user given by name gets that entry's home even
 * when an earlier line has the same uid, as runc gives it. Any other
 * HOME, or none, is left as it is and the file not read: its stdio would
 * be the start's first use of the heap. @env stays "" otherwise.
 */
static void final_home(const char *user, const struct credentials *final,
		       char *env, size_t size)
{
	char home[256] = "/", name[256] = "";
	const char *now = strv_env_value(environ, "HOME");

	if (!now || strcmp(now, "/root") != 0)
		return;
	/* privdrop_resolve took @user, so its name part fits. */
	if (final->named)
		textbuf_snprintf(name, sizeof(name), "%.*s",
				 (int)strcspn(user, ":"), user);
	if (passwd_find_home(PRIVDROP_PASSWD_PATH, final->named ? name : NULL,
			     final->uid, home, sizeof(home)) < 0)
		memcpy(home, "/", 2);
	textbuf_snprintf(env, size, "HOME=%s", home);
}

/*
 * Start-up steps 3 and 4: resolve the final user, create the
 * writable dirs when asked (as root, before the drop, owned by the final
 * user), become the final user for good, then prove every writable dir
 * writable as that user. A start that fails on the way removes the dirs
 * it made, as far as it still may (dirs_undo), as does run() for a later
 * failure before the child. Returns 0, or the exit code (already logged).
 */
static int become_final_user(const struct settings *s,
			     struct dirs_created *made, char *home, size_t size)
{
	struct credentials cred, final;
	struct privdrop_error e;
	const char *bad_dir = NULL;
	char where[512];
	int code = EX_NOPERM, r;

	r = privdrop_resolve(s->user, PRIVDROP_PASSWD_PATH, PRIVDROP_GROUP_PATH,
			     &cred, &e);
	if (r < 0) {
		log_startup_error(&e, "setting",
				  settings_origin_text(s, SETTING_USER, where,
						       sizeof(where)));
		return privdrop_resolve_exit_code(r);
	}
	privdrop_final(&cred, &final);
	if (!final.keep && final.uid != 0)
		final_home(s->user, &final, home, size);
	/* From here on a failed start removes the dirs it made. */
	dirs_created_init(made);
	r = s->create_dirs ? dirs_create_all(s->writable, final.uid, final.gid,
					     made, &e, &bad_dir) :
			     0;
	if (r < 0) {
		log_startup_error(&e, "dir", bad_dir);
		code = dirs_exit_code(r);
		goto err_undo_dirs;
	}
	if (privdrop_apply(&cred, &e) < 0) {
		log_startup_error(&e, "user", s->user);
		goto err_undo_dirs;
	}
	for (size_t i = 0; s->writable && s->writable[i]; i++) {
		int r_dir = dirs_verify(s->writable[i], &e);

		if (r_dir < 0) {
			log_startup_error(&e, "dir", s->writable[i]);
			code = dirs_exit_code(r_dir);
			goto err_undo_dirs;
		}
	}
	return 0; /* the dirs made stay undoable until the child starts */

err_undo_dirs:
	dirs_undo(made);
	return code;
}

/*
 * The child's environment, built in this one place: pidone's own, with
 * NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID set when pidone listens
 * for sd_notify messages itself, HOME after a drop from root (see
 * final_home), and what outer.c decides (the outer
 * supervisor's variables, LISTEN_PID). Returns 0 or -ENOMEM.
 */
static int child_environment(struct pidone *p)
{
	const struct settings *s = &p->settings;
	char *set[4 + OUTER_ENV_MAX] = { NULL };
	size_t n = 0;
	int r;

	if (p->notify.fd >= 0) {
		textbuf_snprintf(p->env_notify, sizeof(p->env_notify),
				 "NOTIFY_SOCKET=%s", p->notify.name);
		set[n++] = p->env_notify;
	}
	if (p->notify.fd >= 0 && s->watchdog_ms) {
		textbuf_snprintf(p->env_watchdog_usec,
				 sizeof(p->env_watchdog_usec),
				 "WATCHDOG_USEC=%llu",
				 (unsigned long long)s->watchdog_ms * 1000u);
		set[n++] = p->env_watchdog_usec;
		/* The child writes its own pid over the digits. */
		textbuf_snprintf(p->env_watchdog_pid,
				 sizeof(p->env_watchdog_pid),
				 "WATCHDOG_PID=%0*d", CHILD_PID_DIGITS, 0);
		set[n++] = p->env_watchdog_pid;
	}
	if (p->env_home[0])
		set[n++] = p->env_home;
	n += outer_child_env(&p->outer, set + n);
	r = child_env_build(environ, set, &p->child_env);
	if (r < 0)
		return r;
	p->spec = (struct child_spec){
		.argv = s->command,
		.envp = p->child_env,
		/* Ours alone: an inherited WATCHDOG_PID is another's. */
		.watchdog_digits =
			p->notify.fd >= 0 && s->watchdog_ms ?
				strv_env_value(p->child_env, "WATCHDOG_PID") :
				NULL,
		.listen_pid_digits =
			outer_listen_pid_slot(&p->outer, p->child_env),
		.mask = &p->original_mask,
		.restore_sigchld_ignored = p->sigchld_ignored,
		.no_new_privs = true,
	};
	/* Restarted children go back there; pidone leaves it. */
	if (getcwd(p->start_dir, sizeof(p->start_dir)))
		p->spec.dir = p->start_dir;
	else
		log_warn("cannot tell the start directory; a restarted child "
			 "will start in /");
	return 0;
}

/*
 * The health state, for the side port and the outer supervisor; NULL
 * when neither is there to be told.
 */
static struct health *health_of(struct pidone *p)
{
	return p->http.listen_fd >= 0 || p->outer.fd >= 0 ? &p->health : NULL;
}

/* The side port, its readiness sources and the notify socket. */
static int health_start(struct pidone *p)
{
	const struct settings *s = &p->settings;
	struct health_config hc = {
		.watchdog_ms = s->watchdog_ms,
		.ready_delay_ms = s->ready_delay_ms,
		.ready_tcp = s->ready_tcp_port != 0,
		.ready_notify = s->ready_notify,
	};
	const struct lifecycle *lc = &p->supervisor.lc;

	if (!health_of(p)) {
		if (s->ready_delay_ms || s->ready_tcp_port || s->ready_notify ||
		    s->watchdog_ms || s->ready_http || s->live_http)
			log_warnx(HEALTH_UNHEARD_TEXT);
		return 0;
	}
	appcheck_config(s, &hc);
	health_init(&p->health, &hc, lc);
	p->http.yield = signals_poll;
	p->http.yield_data = &p->signals;
	if (notify_start(&p->notify, p->loop.ev, s, &p->health, lc) < 0)
		return -EIO;
	if (health_http_start(&p->http, p->loop.ev, s, &p->health,
			      &p->supervisor) < 0)
		return -EIO;
	return appcheck_start(&p->app, p->loop.ev, s, &p->health, lc);
}

/* A settings error (@r from config_load): one record, where to look. */
static int config_failed(int r, const struct config_error *e, const char *whose)
{
	log_errorx(e->exit_code == EX_USAGE  ? "see pidone --help" :
		   e->exit_code == EX_CONFIG ? CONFIG_HINT :
					       fd_limit_hint(r),
		   "%s%s", whose, e->text);
	return e->exit_code;
}

/*
 * pidone health and status beside PID 1: its port, or its settings'
 * error (PID 1's file got a bad value since it started).
 */
static int adopt_peer(struct settings *s, struct config_error *e)
{
	/* --url names what to probe: PID 1's settings do not matter */
	int r = s->probe_url ? 0 : peer_adopt(s, environ, e);

	return r < 0 ? config_failed(r, e, "the running pidone's settings: ") :
		       0;
}

/* A misspelt PIDONE_ variable changes nothing: say so, once each. */
static void warn_unknown_env(void)
{
	size_t pos = 0, len;
	const char *name;

	while ((name = config_unknown_env(environ, &pos, &len)))
		log_emit(LOG_LEVEL_WARN, 0, CONFIG_ENV_HINT, NULL, 0,
			 "%.*s is not a pidone setting: ignored",
			 (int)(len < CONFIG_NAME_SHOWN ? len :
							 CONFIG_NAME_SHOWN),
			 name);
}

/* Start-up in the order the man page gives (Start-up), then the loop. */
static int run(struct pidone *p)
{
	bool reaper;
	int code = EX_SOFTWARE;
	int r;

	warn_unknown_env();
	/*
	 * Not dumpable, in every mode: started as the app's own user, pidone
	 * would otherwise let the app read its environment, ptrace it and
	 * take its fds (the outer notify socket, the health listener). A drop
	 * from root does this too; the exec'd child is dumpable as usual.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		log_warn("cannot make pidone non-dumpable, going on");

	/*
	 * Here, not in main: the other actions use none of these, and each
	 * init writes a page of p that would otherwise stay untouched.
	 */
	p->signals.fd = -1;
	health_http_init(&p->http);
	notify_init(&p->notify);
	outer_init(&p->outer);
	supervisor_init(&p->supervisor);

	/* Step 2: the listener before the privilege drop (port < 1024). */
	if (health_http_open(&p->http, &p->settings, &code) < 0)
		goto out;

	r = loop_open(&p->loop);
	if (r < 0) {
		log_loop_error(r, "cannot create the event loop");
		goto out;
	}
	/*
	 * The signalfd is the loop's last fd, and the proof of the others.
	 * libev opened epoll and the timerfd above, and when they fail it
	 * silently falls back to poll(2) and a wake-up every minute. EMFILE
	 * means no fd is free under the limit and nothing was closed since,
	 * so if the signalfd opens, those two did not run out either.
	 */
	r = signals_start(&p->signals, p->loop.ev, supervisor_on_signal,
			  &p->supervisor);
	if (r < 0) {
		log_loop_error(r, "cannot open the signalfd");
		goto out;
	}

	/*
	 * Root only on cgroup v1: before the privilege drop. The listener is
	 * open already: without it no /metrics reads the CPU and pids.
	 */
	oomwatch_start(&p->supervisor.oom, p->loop.ev, p->http.listen_fd >= 0);
	/* Connected as root if started so: its socket may be root's. */
	outer_open(&p->outer, environ);

	/* Steps 3 and 4: the final user, the writable dirs. */
	code = become_final_user(&p->settings, &p->dirs_made, p->env_home,
				 sizeof(p->env_home));
	if (code != 0)
		goto out;
	code = EX_SOFTWARE;

	/*
	 * As PID 1 every orphan comes to us anyway. Otherwise become a
	 * subreaper so that the child's orphans are reparented to us rather
	 * than to the host's init, and reaped.
	 */
	reaper = p->signals.self == 1;
	if (p->settings.subreaper == SUBREAPER_ON ||
	    (p->settings.subreaper == SUBREAPER_AUTO && !reaper)) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
			log_warn("cannot become a child subreaper, orphans "
				 "will not be reaped by pidone");
		else
			reaper = true;
	}

	if (health_start(p) < 0)
		goto out;
	if (child_environment(p) < 0) {
		log_errorx(NULL, "out of memory");
		goto out;
	}

	/*
	 * --watch, as the final user (who must be able to read the paths
	 * anyway), and before the child: a change during its start counts.
	 */
	r = watch_start(&p->supervisor.watch, p->loop.ev, p->settings.watch,
			supervisor_on_change, &p->supervisor);
	if (r < 0) {
		code = r == -EACCES ? EX_NOPERM : EX_SOFTWARE;
		goto out;
	}

	/* Step 5: the child; its exec is confirmed on the loop. */
	dirs_created_done(&p->dirs_made);
	supervisor_start(&p->supervisor, p->loop.ev, &p->settings, &p->spec,
			 reaper, health_of(p));
	outer_start(&p->outer, p->loop.ev, &p->supervisor.lc, &p->health,
		    &p->http.tcp);
	/* The child keeps the start directory; pidone does not hold it. */
	if (chdir("/") < 0)
		log_warn("cannot leave the start directory for /, ignoring");

	/*
	 * From here on pidone must not die: every error is logged and
	 * survived. Only the main child's end (or an exhausted restart
	 * budget) ends the loop.
	 */
	/* A start that failed before the loop (no pipe, no fork) has ended. */
	if (p->supervisor.lc.state != LIFECYCLE_DONE)
		ev_run(p->loop.ev, 0);
	code = p->supervisor.exit_code;

out:
	/* A start that failed before the child removes the dirs it made. */
	dirs_undo(&p->dirs_made);
	/* The outer supervisor hears the last status. */
	outer_done(&p->outer);
#ifndef PIDONE_TEARDOWN
	/* The kernel closes and frees the rest; the drop count still goes. */
	(void)log_flush();
	return code;
#else
	/* Each of these accepts a part that was never started. */
	appcheck_done(&p->app);
	health_http_done(&p->http);
	if (p->loop.ev) {
		notify_done(&p->notify, p->loop.ev);
		oomwatch_done(&p->supervisor.oom, p->loop.ev);
		supervisor_done(&p->supervisor);
		signals_done(&p->signals, p->loop.ev);
	}
	loop_close(&p->loop);
	arena_free(p->child_env);
	return code;
#endif
}

int main(int argc, char **argv)
{
	/*
	 * Static: zeroed by the loader, page by page as it is touched, not
	 * by a memset at every start of its 8 KiB restart ring and 4 KiB
	 * start directory (start-up instructions in `make bench`). Without
	 * an initialiser: one would put all 43 KB of it in the binary.
	 */
	static struct pidone p;
	struct config_error error;
	int action, code, sink_r;

	/*
	 * Block every signal before anything else, so that none can arrive
	 * unseen between here and the loop: they wait in the signalfd.
	 */
	if (signals_block_all(&p.original_mask) < 0 ||
	    signals_unignore_sigchld(&p.sigchld_ignored) < 0) {
		log_error(NULL, "cannot set up signals");
		return EX_SOFTWARE;
	}
	if (fd_sanitize_stdio() < 0)
		log_warn("cannot point closed standard fds at /dev/null");

	settings_init(&p.settings);
	action = config_load(&p.settings, argc, argv, environ,
			     CONFIG_DEFAULT_PATH, &error);
	/*
	 * Only the init must never wait on a full stderr pipe. The commands
	 * that answer and exit write to stderr as any command does, and so
	 * skip the reopen's walk of /proc: about 20 us of a `pidone health`
	 * that docker runs with its stderr on a pipe. After the sanitizing:
	 * the private stderr fd must land above 2.
	 */
	sink_r = action == CONFIG_ACTION_RUN ? log_open_sink() : 0;
	log_setup(p.settings.log_format, p.settings.log_level);
	if (sink_r < 0 && sink_r != -EBADF)
		log_emit(LOG_LEVEL_DEBUG, sink_r, NULL, NULL, 0,
			 "stderr pipe not reopened non-blocking; using "
			 "RWF_NOWAIT writes");

	switch (action) {
	case CONFIG_ACTION_RUN:
		code = run(&p);
		break;
	case CONFIG_ACTION_HELP:
		code = print_usage();
		break;
	case CONFIG_ACTION_VERSION:
		code = print("pidone " PACKAGE_VERSION "\n");
		break;
	case CONFIG_ACTION_CHECK:
		code = check_run(&p.settings, environ, STDOUT_FILENO);
		break;
	case CONFIG_ACTION_HEALTH:
		code = adopt_peer(&p.settings, &error);
		if (code == 0)
			code = probe_run(&p.settings, STDOUT_FILENO);
		break;
	case CONFIG_ACTION_STATUS:
		code = adopt_peer(&p.settings, &error);
		if (code == 0)
			code = status_run(&p.settings, p.settings.status_json,
					  STDOUT_FILENO);
		break;
	default:
		code = config_failed(action, &error, "");
		break;
	}
#ifdef PIDONE_TEARDOWN
	settings_done(&p.settings);
	return code;
#else
	/*
	 * exit(3) would run nothing (no atexit handler, no stdio stream
	 * left open) but still write pages that the fork made copy-on-write,
	 * each a page fault: about 0.1 ms of `make bench`'s child exit to
	 * init exit.
	 */
	_exit(code);
#endif
}
