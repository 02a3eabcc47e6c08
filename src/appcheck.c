/* SPDX-License-Identifier: MIT */
/*
 * appcheck.c - the app checks (see appcheck.h).
 *
 * After start-up nothing here may end pidone: a socket that cannot be
 * made, a connect or a send that fails, is a failed check with its
 * reason. The request and the answer live in fixed buffers of the check:
 * the app cannot make pidone allocate.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "appcheck.h"
#include "clock.h"
#include "fdutil.h"
#include "log.h"
#include "parse.h"
#include "textbuf.h"
#include "banned.h"

static const char app_names[HEALTH_APP_MAX][12] = {
	[HEALTH_APP_READY] = "ready-http",
	[HEALTH_APP_LIVE] = "live-http",
};

/* See appcheck.h. */
int appcheck_format_request(const struct probe_target *t, char *buf,
			    size_t size)
{
	int n = textbuf_snprintf(buf, size,
				 "GET %s HTTP/1.1\r\n"
				 "Host: %s:%u\r\n"
				 "User-Agent: pidone\r\n"
				 "Accept: */*\r\n"
				 "Connection: close\r\n"
				 "\r\n",
				 t->path, t->host, t->port);

	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return n;
}

/* See appcheck.h. */
int appcheck_judge(const char *buf, size_t len, size_t size, bool eof,
		   struct health_app_result *ret)
{
	size_t body;
	long length;
	int status, r;

	r = probe_parse_response(buf, len, &status, &body, &length);
	ret->status = 0;
	if (r == 0) {
		/*
		 * The status decides, but the body is read too (up to the
		 * buffer's room): closing on unread bytes would reset the
		 * connection and make the app log a broken pipe per check.
		 */
		if (!eof && len < size &&
		    (length < 0 || len - body < (size_t)length))
			return 0;
		ret->status = status;
		ret->error = NULL;
	} else if (r != -EAGAIN) {
		ret->error = "not an HTTP/1.x answer";
	} else if (len >= size) {
		ret->error = "answer head over 10 KiB";
	} else if (!eof) {
		return 0;
	} else {
		ret->error = len ? "connection closed mid-answer" :
				   "connection closed before an answer";
	}
	return 1;
}

/* See appcheck.h. */
const char *appcheck_url_text(const char *url, char *buf, size_t size)
{
	size_t len = strcspn(url, "?");
	const char *query = url[len] ? "?..." : "";

	if (len + strlen(query) < size)
		textbuf_snprintf(buf, size, "%.*s%s", (int)len, url, query);
	else
		textbuf_snprintf(buf, size, "%.*s...", (int)(size - 4), url);
	return buf;
}

static void arm(struct appcheck_one *c, double after)
{
	struct ev_loop *loop = c->owner->loop;

	ev_timer_stop(loop, &c->timer);
	ev_timer_set(&c->timer, after, 0.);
	ev_timer_start(loop, &c->timer);
}

/* Stop the check in flight, if any, without a result. */
static void abort_check(struct appcheck_one *c)
{
	ev_io_stop(c->owner->loop, &c->io);
	fd_close(&c->fd);
}

/*
 * The check in flight ended with @r: record it (unless it was for a child
 * that is gone), and check again after the interval.
 */
static void finish(struct appcheck_one *c, struct health_app_result *r)
{
	struct appcheck *a = c->owner;
	uint64_t now = clock_monotonic_ms();
	bool was, now_passing;
	unsigned n;

	abort_check(c);
	r->latency_ms = (unsigned)(now - c->started_ms);
	if (!a->running || c->child != a->child) {
		ev_timer_stop(a->loop, &c->timer);
		return;
	}
	was = a->health->app[c->app].passing;
	health_app_result(a->health, c->app, r);
	now_passing = a->health->app[c->app].passing;
	n = a->health->app[c->app].failures;
	/*
	 * A change of verdict is news, and so is a ready check that has not
	 * passed yet reaching the failures that would fail it (an app that
	 * never gets ready leaves a trace); each result is only debug.
	 */
	if (now_passing && !was)
		log_info("%s check passed: %s -> %d", app_names[c->app], c->url,
			 r->status);
	else if (!now_passing && (was || (!a->health->app[c->app].ever_ok &&
					  n == a->health->cfg.app_failures))) {
		char code[12];

		textbuf_snprintf(code, sizeof(code), "%d", r->status);
		log_warnx("%s check failed: %s%s%s, %u failure%s in a row",
			  app_names[c->app], c->url, r->status ? " -> " : ": ",
			  r->status ? code : r->error, n, n == 1 ? "" : "s");
	}
	if (r->status)
		log_debug("%s check: %d in %u ms", app_names[c->app], r->status,
			  r->latency_ms);
	else
		log_debug("%s check: %s", app_names[c->app], r->error);
	arm(c, a->interval_s);
}

/* A failed syscall @err (an errno) ends the check, as lower-case text. */
static void finish_errno(struct appcheck_one *c, int err)
{
	struct health_app_result r = { 0 };
	char why[HEALTH_APP_ERROR_MAX];

	textbuf_snprintf(why, sizeof(why), "%s", strerror(err));
	if (why[0] >= 'A' && why[0] <= 'Z')
		why[0] = (char)(why[0] - 'A' + 'a');
	r.error = why;
	finish(c, &r);
}

/* Send what is left of the request; then wait for the answer. */
static void send_request(struct appcheck_one *c)
{
	struct ev_loop *loop = c->owner->loop;
	ssize_t n;

	while (c->sent < c->request_len) {
		n = send(c->fd, c->request + c->sent, c->request_len - c->sent,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* io still waits for EV_WRITE */
		if (n < 0) {
			finish_errno(c, errno);
			return;
		}
		c->sent += (size_t)n;
	}
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_READ);
	ev_io_start(loop, &c->io);
}

/* Read what the app sent; judge it when there is enough. */
static void read_answer(struct appcheck_one *c)
{
	struct health_app_result r = { 0 };
	bool eof = false;
	ssize_t n;

	/* bounded: the buffer fills after a few reads */
	for (;;) {
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			/* a reset after a whole head still counts the head */
			if (appcheck_judge(c->buf, c->len, sizeof(c->buf), true,
					   &r) &&
			    r.status) {
				finish(c, &r);
				return;
			}
			finish_errno(c, errno);
			return;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		c->len += (size_t)n;
		if (c->len == sizeof(c->buf))
			break;
	}
	if (appcheck_judge(c->buf, c->len, sizeof(c->buf), eof, &r))
		finish(c, &r);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct appcheck_one *c = w->data;
	socklen_t len = sizeof(int);
	int err = 0;

	(void)loop;
	(void)revents;
	if (c->sent == 0 && c->request_len > 0) {
		/* the connect ended */
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			finish_errno(c, err);
			return;
		}
	}
	if (c->sent < c->request_len)
		send_request(c);
	else
		read_answer(c);
}

/* Start a check: connect, and send once connected. */
static void start_check(struct appcheck_one *c)
{
	struct appcheck *a = c->owner;
	int err = 0;

	c->started_ms = clock_monotonic_ms();
	c->child = a->child;
	c->sent = 0;
	c->len = 0;
	arm(c, a->timeout_s);
	c->fd = socket(c->target.addr.ss_family,
		       SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		finish_errno(c, errno);
		return;
	}
	if (connect(c->fd, (struct sockaddr *)&c->target.addr,
		    c->target.addr_len) < 0)
		err = errno;
	if (err && err != EINPROGRESS) {
		finish_errno(c, err);
		return;
	}
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(a->loop, &c->io);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct appcheck_one *c = w->data;
	struct health_app_result r = { 0 };
	char why[HEALTH_APP_ERROR_MAX], secs[24];

	(void)loop;
	(void)revents;
	if (c->fd < 0) {
		start_check(c);
		return;
	}
	/* a whole head in time counts, even with its body still coming */
	if (appcheck_judge(c->buf, c->len, sizeof(c->buf), true, &r) &&
	    r.status) {
		finish(c, &r);
		return;
	}
	seconds_text((uint64_t)(c->owner->timeout_s * 1000.0 + 0.5), secs,
		     sizeof(secs));
	textbuf_snprintf(why, sizeof(why), "timeout after %s s", secs);
	r.error = why;
	finish(c, &r);
}

/*
 * Before the loop sleeps: a new child gets its first checks at once, a
 * child that is gone or stopping (its answers are not judged then, and
 * a listener it closed on purpose is no failure to log) takes its checks
 * with it.
 */
static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct appcheck *a = w->data;
	bool runs = health_child(a->health) == HEALTH_CHILD_RUNNING &&
		    !lifecycle_stopping(a->lc);

	(void)revents;
	if (a->running && runs && a->child == a->lc->runs)
		return;
	if (!a->running && !runs)
		return;
	for (int i = 0; i < HEALTH_APP_MAX; i++) {
		struct appcheck_one *c = &a->one[i];

		if (!c->on)
			continue;
		abort_check(c);
		ev_timer_stop(loop, &c->timer);
	}
	a->running = runs;
	a->child = a->lc->runs;
	for (int i = 0; runs && i < HEALTH_APP_MAX; i++)
		if (a->one[i].on)
			start_check(&a->one[i]);
}

/* The URL of check @app in @s, or NULL. */
static const char *url_of(const struct settings *s, enum health_app app)
{
	return app == HEALTH_APP_READY ? s->ready_http : s->live_http;
}

/* See appcheck.h. */
void appcheck_config(const struct settings *s, struct health_config *hc)
{
	for (int i = 0; i < HEALTH_APP_MAX; i++) {
		const char *url = url_of(s, (enum health_app)i);

		hc->app_url[i][0] = '\0';
		if (url)
			appcheck_url_text(url, hc->app_url[i],
					  sizeof(hc->app_url[i]));
	}
	hc->app_failures = s->check_failures;
}

/* See appcheck.h. */
int appcheck_start(struct appcheck *a, struct ev_loop *loop,
		   const struct settings *s, struct health *h,
		   const struct lifecycle *lc)
{
	bool any = false;

	/*
	 * Without a check nothing is written: a's 25 KiB stay untouched
	 * pages. The request and answer buffers are only read up to what
	 * was written: not zeroed.
	 */
	if (!s->ready_http && !s->live_http)
		return 0;
	for (int i = 0; i < HEALTH_APP_MAX; i++) {
		struct appcheck_one *c = &a->one[i];
		const char *url = url_of(s, (enum health_app)i);
		int n;

		memset(c, 0, offsetof(struct appcheck_one, request));
		c->request_len = c->sent = c->len = 0;
		c->fd = -1;
		c->owner = a;
		c->app = (enum health_app)i;
		if (!url)
			continue;
		if (probe_parse_url(url, &c->target) < 0) {
			log_errorx(NULL, "--%s %s is not a usable URL",
				   app_names[i], url);
			return -EINVAL;
		}
		n = appcheck_format_request(&c->target, c->request,
					    sizeof(c->request));
		if (n < 0) {
			log_errorx(NULL, "--%s %s: the request is too long",
				   app_names[i], url);
			return -EINVAL;
		}
		c->request_len = (size_t)n;
		appcheck_url_text(url, c->url, sizeof(c->url));
		c->on = true;
		any = true;
		ev_init(&c->io, io_cb);
		c->io.data = c;
		ev_set_priority(&c->io, EV_MINPRI);
		ev_init(&c->timer, timer_cb);
		c->timer.data = c;
		ev_set_priority(&c->timer, EV_MINPRI);
	}
	if (!any)
		return 0;
	a->loop = loop;
	a->health = h;
	a->lc = lc;
	a->interval_s = s->check_interval_ms / 1000.0;
	a->timeout_s = s->check_timeout_ms / 1000.0;
	ev_prepare_init(&a->prepare, prepare_cb);
	a->prepare.data = a;
	ev_prepare_start(loop, &a->prepare);
	return 0;
}

/* See appcheck.h. */
void appcheck_done(struct appcheck *a)
{
	if (!a->loop)
		return;
	ev_prepare_stop(a->loop, &a->prepare);
	for (int i = 0; i < HEALTH_APP_MAX; i++) {
		if (!a->one[i].on)
			continue;
		abort_check(&a->one[i]);
		ev_timer_stop(a->loop, &a->one[i].timer);
	}
}
