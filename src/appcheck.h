/* SPDX-License-Identifier: MIT */
/*
 * appcheck.h - the app checks (--ready-http, --live-http): pidone GETs
 * the app's own health URL on its event loop and records each result in
 * the health state machine (health_app_result), which turns failures in a
 * row into a failed check. Probes are answered from the last result and
 * never wait for the app.
 *
 * Per URL one check at a time: a non-blocking connect, "GET PATH
 * HTTP/1.1" with Host and "Connection: close", then the answer, read
 * into a fixed APPCHECK_READ_MAX buffer up to its end (the app's close or
 * its Content-Length) or the buffer's end. 200-399 is a success, as
 * the kubelet counts; any other status, a refused or reset connection, an
 * answer that is not HTTP/1.x, a head longer than the buffer, a close
 * before the head ended, and no head within --check-timeout are failures,
 * each with a short reason. The next check starts --check-interval after
 * the previous one ended. A change of the check's verdict is logged
 * (info when it passes, warn when it fails); single results at debug.
 *
 * Checks run only while a check is configured and the main child runs:
 * one ev_prepare watcher (started only when a URL is set) looks at the
 * child each time the loop is about to sleep, starts the first check of
 * each new child at once and stops everything when the child is gone. So
 * without --ready-http/--live-http nothing here is on the loop, and an
 * idle pidone never wakes for it.
 *
 * Owns: per URL the socket of the check in flight (close-on-exec,
 * non-blocking; -1 between checks), its io watcher and one timer (the
 * interval between checks, or the timeout of the one in flight), at
 * EV_MINPRI like the health server's.
 */
#ifndef PIDONE_APPCHECK_H
#define PIDONE_APPCHECK_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"
#include "lifecycle.h"
#include "probe.h"
#include "settings.h"

/* The most of an answer read; a head that does not fit is a failure. */
#define APPCHECK_READ_MAX (10 * 1024)
/* The request: the path plus a few short headers. */
#define APPCHECK_REQUEST_MAX (PROBE_PATH_MAX + 160)

struct appcheck;

/* One URL's check. */
struct appcheck_one {
	struct appcheck *owner;
	enum health_app app;
	bool on; /* the URL is set */
	int fd; /* -1: no check in flight */
	ev_io io;
	ev_timer timer; /* interval, or the timeout while in flight */
	uint64_t started_ms; /* of the check in flight */
	unsigned child; /* the child it checks (lifecycle runs) */
	struct probe_target target;
	char url[HEALTH_APP_URL_MAX]; /* as the logs show it */
	char request[APPCHECK_REQUEST_MAX];
	size_t request_len, sent;
	size_t len; /* answer bytes in buf */
	char buf[APPCHECK_READ_MAX];
};

/*
 * Zeroed (static storage, or memset) it is a never-started one, which
 * appcheck_done leaves alone: a start without checks writes none of it.
 */
struct appcheck {
	struct ev_loop *loop; /* NULL: not started */
	struct health *health;
	const struct lifecycle *lc;
	ev_prepare prepare;
	bool running; /* checks run for the child of runs == child */
	unsigned child;
	double interval_s, timeout_s;
	struct appcheck_one one[HEALTH_APP_MAX];
};

/*
 * Pure: the request for @t into @buf (NUL-terminated). Returns its
 * length, or -ENOBUFS.
 */
int appcheck_format_request(const struct probe_target *t, char *buf,
			    size_t size);

/*
 * Pure: judge the first @len bytes of an answer; @eof: the app closed
 * the connection after them (or the time is up). The check ends with
 * the status once the head is complete and the body too (its
 * Content-Length, the close, or @size bytes in all); with an error when
 * the answer is not HTTP/1.x, its head fills @size bytes, or it was
 * closed before the head ended. Returns 1 when the check has ended
 * (*@ret filled: the status, or 0 and a static error text), 0 when more
 * bytes are needed (never when @eof or when @len reached @size).
 */
int appcheck_judge(const char *buf, size_t len, size_t size, bool eof,
		   struct health_app_result *ret);

/*
 * Pure: @url as the reasons show it on the health port, into @buf
 * (@size > 4): without its query, which may hold a token ("?..." in its
 * place), cut to its first @size - 4 bytes and "..." when longer.
 * Returns @buf.
 */
const char *appcheck_url_text(const char *url, char *buf, size_t size);

/*
 * The health config's part for the app checks of @s: the URLs as shown
 * and the failure threshold, into @hc.
 */
void appcheck_config(const struct settings *s, struct health_config *hc);

/*
 * Get ready to check the URLs of @s on @loop for the child of @lc,
 * reporting to @h; @a is zeroed. Without a URL nothing is written to @a
 * and nothing goes on the loop. Returns 0, or
 * -EINVAL (logged) for a URL the settings should have refused.
 */
int appcheck_start(struct appcheck *a, struct ev_loop *loop,
		   const struct settings *s, struct health *h,
		   const struct lifecycle *lc);

/* Stop every check, close their sockets. */
void appcheck_done(struct appcheck *a);

#endif
