/* SPDX-License-Identifier: MIT */
/*
 * main.c - pidone's entry point and the only place that ends the process.
 *
 * Start-up follows the README's "What pidone does, in order" and may fail
 * fast with a documented exit code;
 * the comment "pidone must not die" below marks where the event loop
 * starts, after which every error is logged and survived.
 */
#define PIDONE_MAIN
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "dirs.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "log.h"
#include "pidone.h"
#include "probe.h"
#include "privdrop.h"
#include "banned.h"

extern char **environ;

static void no_periodic(struct ev_loop *loop, ev_periodic *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/*
 * Without a periodic watcher libev wakes every 59.7 s (MAX_BLOCKTIME) to
 * notice wall-clock jumps. Starting one makes it arm a timerfd that reports
 * those jumps instead, and from then on it blocks for up to 17 days: an
 * idle pidone then sleeps until an event arrives. The timerfd stays after
 * the watcher is stopped; it fires only if the wall clock is set.
 */
static void loop_wait_without_timeout(struct ev_loop *loop)
{
	ev_periodic arm;

	ev_periodic_init(&arm, no_periodic, 4e9, 0., NULL);
	ev_periodic_start(loop, &arm);
	ev_periodic_stop(loop, &arm);
}

/* libev calls this instead of abort() when a syscall inside it fails. */
static void loop_syserr(const char *msg)
{
	log_error(NULL, "%s, ignoring", msg);
}

/* stderr drained after drops: write the "N log lines dropped" line. */
static void log_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	if (log_flush() != -EAGAIN)
		ev_io_stop(loop, w);
}

/* log.c dropped a record on a full stderr: wake up when it drains. */
static void log_backlog(void *data)
{
	struct pidone *p = data;

	if (ev_is_active(&p->log_watcher))
		return;
	ev_io_set(&p->log_watcher, log_sink_fd(), EV_WRITE);
	ev_io_start(p->loop, &p->log_watcher);
}

static void write_stdout(const char *text)
{
	size_t len = strlen(text);

	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

static void on_signal(struct signals *s, const struct signalfd_siginfo *si)
{
	struct pidone *p =
		(struct pidone *)((char *)s - offsetof(struct pidone, signals));

	/* Whoever sent it, SIGCHLD is ours: reap, never forward. */
	if (si->ssi_signo == SIGCHLD) {
		supervisor_reap(&p->supervisor);
		return;
	}
	if (signals_is_self_raised(si, p->supervisor.self)) {
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_INT("signal", si->ssi_signo)),
			 "ignoring a signal pidone raised itself");
		return;
	}
	supervisor_signal(&p->supervisor, (int)si->ssi_signo);
}

/* One start-up error line: privdrop and dirs say what and how to fix it. */
static void log_startup_error(const struct privdrop_error *e, const char *key,
			      const char *value)
{
	log_emit(LOG_LEVEL_ERROR, 0, e->hint[0] ? e->hint : NULL,
		 LOG_FIELDS(LOG_STR(key, value)), "%s", e->text);
}

/*
 * Start-up steps 3 and 4: resolve the final user, create the
 * writable dirs when asked (as root, before the drop, owned by the final
 * user), become the final user for good, then prove every writable dir
 * writable as that user. Returns 0, or the exit code (already logged).
 */
static int become_final_user(const struct settings *s)
{
	struct credentials cred, final;
	struct privdrop_error e;
	char where[512];
	int r;

	r = privdrop_resolve(s->user, PRIVDROP_PASSWD_PATH, PRIVDROP_GROUP_PATH,
			     &cred, &e);
	if (r < 0) {
		log_startup_error(&e, "setting",
				  settings_origin_text(s, SETTING_USER, where,
						       sizeof(where)));
		return privdrop_resolve_exit_code(r);
	}
	privdrop_final(&cred, &final);
	for (size_t i = 0; s->create_dirs && s->writable && s->writable[i];
	     i++) {
		if (dirs_create(s->writable[i], final.uid, final.gid, &e) < 0) {
			log_startup_error(&e, "dir", s->writable[i]);
			return EX_NOPERM;
		}
	}
	if (privdrop_apply(&cred, &e) < 0) {
		log_startup_error(&e, "user", s->user);
		return EX_NOPERM;
	}
	for (size_t i = 0; s->writable && s->writable[i]; i++) {
		int r_dir = dirs_verify(s->writable[i], &e);

		if (r_dir < 0) {
			log_startup_error(&e, "dir", s->writable[i]);
			/* Out of fds says nothing about the dir: internal. */
			return r_dir == -EMFILE || r_dir == -ENFILE ?
				       EX_SOFTWARE :
				       EX_NOPERM;
		}
	}
	return 0;
}

static int run(struct pidone *p)
{
	int code = EX_SOFTWARE;
	pid_t self;
	int r;

	/* before the privilege drop: a port below 1024 needs root */
	if (health_http_open(&p->http, &p->settings, &code) < 0)
		goto out;

	self = getpid();
	p->is_pid1 = self == 1;
	ev_set_syserr_cb(loop_syserr);
	/*
	 * The backends libev would pick by itself, named so that it need not
	 * ask uname() whether io_uring is worth trying. poll(2) needs no fd
	 * and libev aborts when malloc fails, so NULL would mean a libev
	 * built with neither backend.
	 */
	p->loop = ev_loop_new(EVBACKEND_EPOLL | EVBACKEND_POLL |
			      EVFLAG_NOSIGMASK | EVFLAG_NOENV);
	if (!p->loop) {
		log_errorx(NULL, "cannot create the event loop");
		code = EX_SOFTWARE;
		goto out;
	}
	loop_wait_without_timeout(p->loop);
	ev_init(&p->log_watcher, log_writable);
	log_set_backlog_cb(log_backlog, p);
	/*
	 * The signalfd is the loop's last fd, and the proof of the others.
	 * libev opened epoll and the timerfd above, and when they fail it
	 * silently falls back to poll(2) and a wake-up every minute. EMFILE
	 * means no fd is free under the limit and nothing was closed since,
	 * so if the signalfd opens, those two did not run out either.
	 */
	r = signals_start(&p->signals, p->loop, on_signal);
	if (r < 0) {
		errno = -r;
		if (r == -EMFILE || r == -ENFILE)
			log_error(
				"raise the open-files limit (ulimit -n, "
				"docker run --ulimit nofile=...)",
				"too few file descriptors for the event loop");
		else
			log_error(NULL, "cannot open the signalfd");
		code = EX_SOFTWARE;
		goto out;
	}

	code = become_final_user(&p->settings);
	if (code != 0)
		goto out;
	code = EX_SOFTWARE;

	/*
	 * As PID 1 every orphan comes to us anyway. Otherwise become a
	 * subreaper so that the child's orphans are reparented to us rather
	 * than to the host's init, and reaped.
	 */
	if (p->settings.subreaper == SUBREAPER_ON ||
	    (p->settings.subreaper == SUBREAPER_AUTO && !p->is_pid1)) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
			log_warn("cannot become a child subreaper, orphans "
				 "will not be reaped by pidone");
	}

	if (p->http.listen_fd >= 0) {
		struct health_config hc = {
			.watchdog_ms = p->settings.watchdog_ms,
			.ready_delay_ms = p->settings.ready_delay_ms,
			.ready_tcp = p->settings.ready_tcp_port != 0,
			.ready_notify = p->settings.ready_notify,
		};

		health_init(&p->health, &hc);
		p->supervisor.health = &p->health;
		/* before the spawn: the child inherits NOTIFY_SOCKET */
		if (notify_start(&p->notify, p->loop, &p->settings, &p->health,
				 &p->supervisor) < 0)
			goto out;
		if (health_http_start(&p->http, p->loop, &p->settings,
				      &p->health, &p->supervisor) < 0)
			goto out;
	} else if (p->settings.ready_delay_ms || p->settings.ready_tcp_port ||
		   p->settings.ready_notify || p->settings.watchdog_ms) {
		log_warnx("--ready-delay, --ready-tcp, --ready-notify and "
			  "--watchdog have no effect with --health-port 0");
	}

	if (supervisor_start(&p->supervisor, p->loop, &p->settings,
			     &p->original_mask, self, &code) < 0)
		goto out;

	/*
	 * From here on pidone must not die: every error is logged and
	 * survived. Only the main child's end (or an exhausted restart
	 * budget) ends the loop.
	 */
	ev_run(p->loop, 0);
	code = p->supervisor.exit_code;

out:
	/* Each of these accepts a part that was never started. */
	health_http_done(&p->http);
	if (p->loop) {
		log_set_backlog_cb(NULL, NULL);
		ev_io_stop(p->loop, &p->log_watcher);
		(void)log_flush(); /* a last chance for the drop count */
		notify_done(&p->notify, p->loop);
		supervisor_done(&p->supervisor);
		signals_done(&p->signals, p->loop);
		ev_loop_destroy(p->loop);
		p->loop = NULL;
	}
	return code;
}

int main(int argc, char **argv)
{
	struct pidone p = { .signals = { .fd = -1 } };
	struct config_error error;
	int action, code, sink_r;

	health_http_init(&p.http);
	notify_init(&p.notify);

	/*
	 * Block every signal before anything else, so that none can arrive
	 * unseen between here and the loop: they wait in the signalfd.
	 */
	if (signals_block_all(&p.original_mask) < 0) {
		log_error(NULL, "cannot block signals");
		return EX_SOFTWARE;
	}
	if (fd_sanitize_stdio() < 0)
		log_warn("cannot point closed standard fds at /dev/null");
	/* After the sanitizing: the private stderr fd must land above 2. */
	sink_r = log_open_sink();

	settings_init(&p.settings);
	action = config_load(&p.settings, argc, argv, environ,
			     CONFIG_DEFAULT_PATH, &error);
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
		write_stdout(config_usage());
		code = 0;
		break;
	case CONFIG_ACTION_VERSION:
		write_stdout("pidone " PACKAGE_VERSION "\n");
		code = 0;
		break;
	case CONFIG_ACTION_CHECK:
		code = check_run(&p.settings, environ, STDOUT_FILENO);
		break;
	case CONFIG_ACTION_HEALTH:
		code = probe_run(&p.settings, STDOUT_FILENO);
		break;
	default:
		log_errorx(error.exit_code == EX_USAGE ? "see pidone --help" :
							 NULL,
			   "%s", error.text);
		code = error.exit_code;
		break;
	}
	settings_done(&p.settings);
	return code;
}
