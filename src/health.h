/* SPDX-License-Identifier: MIT */
/*
 * health.h - the liveness/readiness state machine behind /healthz, /livez
 * and /readyz, and the bodies those endpoints send.
 *
 * Pure: the runtime reports events (child started, exited, sd_notify
 * messages, signals, TCP check results) and reads verdicts; every time is
 * a monotonic millisecond count passed in by the caller, so there are no
 * clock reads, no I/O, no globals, no logs and no allocation here.
 *
 * Checks, in the order they are listed and the first failure is reported:
 *
 *   name          probe  fails when
 *   child         live   the child is not running (ok during a restart
 *                        backoff for live, failed then for ready)
 *   watchdog      live   --watchdog: no WATCHDOG=1 within the limit, counted
 *                        from the child's start until the first ping;
 *                        or the app sent WATCHDOG=trigger
 *   live-http     live   --live-http: the last check_failures app checks
 *                        failed (passes until then, and on a success)
 *   ready-delay   ready  --ready-delay: the child has not run that long
 *   ready-tcp     ready  --ready-tcp: the last check failed or none ran yet
 *   ready-http    ready  --ready-http: no app check passed yet for this
 *                        child, or the last check_failures ones failed
 *   ready-notify  ready  --ready-notify: no READY=1 from this child yet
 *   shutdown      ready  SIGTERM/INT/QUIT arrived (during a --drain the
 *                        reason says how long is left), or the app sent
 *                        STOPPING=1
 *
 * Live holds when every live check passes; ready when every check passes.
 * Unconfigured checks are left out of the list.
 */
#ifndef PIDONE_HEALTH_H
#define PIDONE_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lifecycle.h"

/* Sizes of the fixed text buffers, NUL included. */
#define HEALTH_REASON_MAX 192 /* one check's reason */
#define HEALTH_TCP_REASON_MAX 96 /* the last ready-tcp failure */
#define HEALTH_STATUS_MAX 128 /* the app's last STATUS= text */

/* The app check's URL as the reasons show it, shortened, NUL included. */
#define HEALTH_APP_URL_MAX 72
/* An app check's error ("connection refused"), NUL included. */
#define HEALTH_APP_ERROR_MAX 48

/* ready-tcp results are reused this long before a new check is due. */
#define HEALTH_TCP_CACHE_MS 1000

/* Any body health_format_* writes fits in this many bytes. */
#define HEALTH_BODY_MAX 2048

/* The start's warning (and check's) when no one hears of readiness. */
#define HEALTH_UNHEARD_TEXT                                               \
	"--ready-delay, --ready-tcp, --ready-notify, --watchdog, "        \
	"--ready-http and --live-http have no effect with --health-port " \
	"0 and no NOTIFY_SOCKET"

/* Which endpoint a check belongs to or a verdict is for. */
enum health_probe {
	HEALTH_PROBE_LIVE, /* /healthz, /livez */
	HEALTH_PROBE_READY, /* /readyz */
	HEALTH_PROBE_MAX
};

enum health_check_id {
	HEALTH_CHECK_CHILD,
	HEALTH_CHECK_WATCHDOG,
	HEALTH_CHECK_LIVE_HTTP,
	HEALTH_CHECK_READY_DELAY,
	HEALTH_CHECK_READY_TCP,
	HEALTH_CHECK_READY_HTTP,
	HEALTH_CHECK_READY_NOTIFY,
	HEALTH_CHECK_SHUTDOWN,
	HEALTH_CHECK_MAX
};

enum health_child_state {
	HEALTH_CHILD_NONE, /* not started yet */
	HEALTH_CHILD_RUNNING,
	HEALTH_CHILD_BACKOFF, /* exited, a restart is scheduled */
	HEALTH_CHILD_EXITED, /* exited for good */
	HEALTH_CHILD_STATE_MAX
};

enum health_tcp_state {
	HEALTH_TCP_UNKNOWN, /* no result for this child yet */
	HEALTH_TCP_OK,
	HEALTH_TCP_FAILED,
	HEALTH_TCP_STATE_MAX
};

/* The app checks: GETs of the app's own URLs (appcheck.h). */
enum health_app {
	HEALTH_APP_READY, /* --ready-http, check "ready-http" */
	HEALTH_APP_LIVE, /* --live-http, check "live-http" */
	HEALTH_APP_MAX
};

/* What is checked: from the settings, fixed for the run. */
struct health_config {
	unsigned watchdog_ms; /* 0: no watchdog */
	unsigned ready_delay_ms; /* 0: no delay */
	bool ready_tcp; /* a ready-tcp target is set */
	bool ready_notify; /* wait for READY=1 */
	/* "http://127.0.0.1:8000/health" as shown; "": check not set */
	char app_url[HEALTH_APP_MAX][HEALTH_APP_URL_MAX];
	unsigned app_failures; /* failures in a row that fail a check (>= 1) */
};

/* One app check's last result and its failure count. */
struct health_app_state {
	bool checked; /* a result arrived for the current child */
	bool passing; /* the check's verdict */
	bool last_ok; /* the last result */
	bool ever_ok; /* a success for the current child */
	int status; /* the last HTTP status; 0: none (an error) */
	unsigned latency_ms; /* of the last check, error or not */
	unsigned failures; /* in a row, up to the last result */
	uint64_t failures_total; /* since pidone started */
	char error[HEALTH_APP_ERROR_MAX]; /* when status is 0 */
};

/* One app check's end, as appcheck.c reports it. */
struct health_app_result {
	int status; /* 0: no answer, see error */
	unsigned latency_ms;
	const char *error; /* "connection refused", "timeout after 1 s"... */
};

/* The state; fields are read-only outside health.c. */
struct health {
	struct health_config cfg;
	const struct lifecycle *lc; /* the child's state, the supervisor's */

	uint64_t watchdog_last_ms; /* last WATCHDOG=1, or the child's start */
	bool watchdog_triggered; /* WATCHDOG=trigger from the current child */
	bool notify_ready; /* READY=1 from the current child */
	bool notify_stopping; /* STOPPING=1 from the current child */

	enum health_tcp_state tcp;
	uint64_t tcp_checked_ms; /* when the last result arrived */
	char tcp_reason[HEALTH_TCP_REASON_MAX];

	char status[HEALTH_STATUS_MAX]; /* STATUS= text, "" when none */

	struct health_app_state app[HEALTH_APP_MAX];
};

/* One evaluated check, as the verbose body lists it. */
struct health_check {
	enum health_check_id id;
	const char *name; /* "child", "ready-tcp"... (static) */
	enum health_probe probe; /* the endpoint it belongs to */
	bool ok;
	/* why it failed; when ok "" or a detail ("200 in 3 ms") */
	char reason[HEALTH_REASON_MAX];
};

/*
 * Start with the checks of @cfg. The child's state is read from @lc (kept
 * by pointer), which the supervisor owns.
 */
void health_init(struct health *h, const struct health_config *cfg,
		 const struct lifecycle *lc);

/*
 * The child (first or restarted) was spawned at @now. Everything learnt
 * from a previous child (READY=1, STOPPING=1, STATUS=, watchdog pings, TCP
 * results) is forgotten: the new one has to prove itself again.
 */
void health_child_started(struct health *h, uint64_t now);

/* The child as the checks see it, derived from the life cycle. */
enum health_child_state health_child(const struct health *h);

/* The app sent WATCHDOG=1 at @now. */
void health_watchdog_ping(struct health *h, uint64_t now);

/*
 * The app sent WATCHDOG=trigger (sd_notify: "I am broken, act as if the
 * watchdog fired"): with --watchdog, not live until the child is
 * restarted; later WATCHDOG=1 pings do not undo it. Without --watchdog
 * there is no watchdog check and this has no visible effect.
 */
void health_watchdog_trigger(struct health *h);

/* The app sent READY=1. */
void health_notify_ready(struct health *h);

/* The app sent STOPPING=1: not ready until the child is restarted. */
void health_notify_stopping(struct health *h);

/*
 * The app sent STATUS=<@len bytes of @text>. Kept (truncated to
 * HEALTH_STATUS_MAX - 1 bytes at a UTF-8 boundary, control bytes turned
 * into spaces) and shown while it is not ready yet.
 */
void health_notify_status(struct health *h, const char *text, size_t len);

/*
 * A ready-tcp check finished at @now: @ok, or failed for @reason (e.g.
 * "connection refused"; copied, truncated and cleaned like STATUS=).
 */
void health_tcp_result(struct health *h, uint64_t now, bool ok,
		       const char *reason);

/*
 * Should the server run a new ready-tcp check before answering at @now?
 * True when ready-tcp is configured, the child runs, and there is no
 * result for it yet or the last one is HEALTH_TCP_CACHE_MS old.
 */
bool health_tcp_check_due(const struct health *h, uint64_t now);

/* Is a status from the app a success? 200-399, as the kubelet counts. */
bool health_app_status_ok(int status);

/*
 * App check @app ended with @r. A success passes the check at once and
 * clears the failures in a row; a failure counts one more, and the check
 * fails once cfg.app_failures of them are in a row. ready-http fails
 * until the first success of each child; live-http passes until the
 * failures add up. health_child_started forgets the results.
 */
void health_app_result(struct health *h, enum health_app app,
		       const struct health_app_result *r);

/* The /healthz and /livez verdict at @now. */
bool health_live(const struct health *h, uint64_t now);

/* The /readyz verdict at @now. */
bool health_ready(const struct health *h, uint64_t now);

/*
 * Evaluate the checks that apply to @probe at @now into @ret (room for
 * @n; HEALTH_CHECK_MAX is always enough), in the order of the table above.
 * Returns how many were written.
 */
size_t health_checks(const struct health *h, uint64_t now,
		     enum health_probe probe, struct health_check *ret,
		     size_t n);

/*
 * The default body for @probe at @now: {"status":"ok"} or
 * {"status":"fail","reason":"<first failing check's reason>"}, reason
 * JSON-escaped and shortened (never mid-escape, never mid-UTF-8) if @buf
 * is small. NUL-terminated; *@ret_len excludes the NUL and is written only
 * on success. Returns 0, or -ENOBUFS when not even the body without its
 * reason fits.
 */
int health_format_json(const struct health *h, uint64_t now,
		       enum health_probe probe, char *buf, size_t buflen,
		       size_t *ret_len);

/*
 * The ?verbose body for @probe at @now, like Kubernetes' apiserver:
 *
 *   [+]child ok
 *   [+]ready-http ok: 200 in 3 ms
 *   [-]ready-tcp failed: connection refused
 *   readyz check failed
 *
 * A passing check with a detail to show (the app checks' last status and
 * latency) has it after "ok: ".
 *
 * The last line is "<@label> check passed|failed"; @label NULL means
 * "livez" or "readyz" by @probe. Only whole lines are written: when @buf is
 * too small, the check lines that do not fit are replaced by one "...\n"
 * line and the verdict line is always kept. NUL-terminated; *@ret_len
 * excludes the NUL and is written only on success. Returns 0, or -ENOBUFS
 * when not even the verdict line fits.
 */
int health_format_verbose(const struct health *h, uint64_t now,
			  enum health_probe probe, const char *label, char *buf,
			  size_t buflen, size_t *ret_len);

#endif
