/* SPDX-License-Identifier: MIT */
/*
 * health_http.c - the health side port's server (the limits and the life
 * of a connection are in health_http.h).
 *
 * A connection is a slot of the pool, free when its fd is -1. Its state is
 * a few flags, and conn_update() derives from them what its one ev_io waits
 * for and what its one ev_timer bounds:
 *
 *   lingering           EV_READ (discard)   LINGER: close
 *   answer not all sent EV_WRITE            WRITE: close
 *   parked (ready-tcp)  nothing             WRITE: close (a safety net;
 *                                           the check itself takes <= 1 s)
 *   head bytes waiting  EV_READ             HEAD: 408 and close
 *   nothing waiting     EV_READ             IDLE: close silently
 *
 * Input stops while an answer is unsent (backpressure). A callback reads
 * into the server's one in buffer (or, when the connection kept the start
 * of a head, into that kept buffer, so a head dribbling in byte by byte
 * costs linear time), handles every complete head there, appends the
 * answers to the server's one out buffer, sized for the largest answer
 * plus room to coalesce small ones, and sends them with one send(); a head
 * is only handled when its answer is sure to fit. Only what is left over
 * when the callback returns, an unfinished head (at most HTTP_HEAD_MAX
 * bytes, 431 when full) or pipelined heads waiting behind an answer the
 * socket did not take entirely (at most what one read gave), and that
 * answer's unsent tail (at most OUT_MAX), is copied into buffers of the
 * connection's own, taken from the pools and given back as soon as they
 * are empty. No client can make this file allocate: the slots, the two
 * shared buffers and both pools are one mapping made in health_http_start,
 * whose pages are touched only as they come into use.
 *
 * After start-up nothing here may end pidone (a PID 1 must not die): every error
 * closes one connection or pauses the listener, and is logged once per
 * class at most.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "health_http.h"
#include "http.h"
#include "log.h"
#include "banned.h"

/* The largest response head we write (http_format_response plus Allow). */
#define RESPONSE_HEAD_MAX 512
/* The largest answer: a head and the largest body (metrics). */
#define RESPONSE_MAX (RESPONSE_HEAD_MAX + METRICS_TEXT_MAX)
/* Room for the largest answer plus small pipelined ones ahead of it. */
#define OUT_MAX (RESPONSE_MAX + 4096)

/* Connections accepted per callback before other watchers get a turn. */
#define ACCEPT_BATCH 64
/* How long the listener rests after an accept error it cannot shed. */
#define ACCEPT_PAUSE_S 0.1

_Static_assert(HEALTH_BODY_MAX <= METRICS_TEXT_MAX,
	       "a health body must fit where a metrics body does");

/* Answer to the connection over the cap: no slot, so no parsing at all. */
static const char busy_response[] =
	"HTTP/1.1 503 Service Unavailable\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Length: 21\r\n"
	"Cache-Control: no-store\r\n"
	"Connection: close\r\n"
	"\r\n"
	"too many connections\n";

/* Accept error classes, logged once each (health_http.logged bits). */
enum logged_class {
	LOGGED_EMFILE = 1u << 0,
	LOGGED_ENFILE = 1u << 1,
	LOGGED_NOMEM = 1u << 2,
	LOGGED_OTHER = 1u << 3,
	LOGGED_FULL = 1u << 4,
	LOGGED_SPARE = 1u << 5,
	LOGGED_POOL = 1u << 6,
};

enum timer_mode {
	TIMER_NONE,
	TIMER_IDLE,
	TIMER_HEAD,
	TIMER_WRITE,
	TIMER_LINGER,
	TIMER_MODE_MAX
};

/* What an answer needs to know of its request, kept across a park. */
struct request_info {
	enum metrics_path path;
	bool head; /* HEAD: no body */
	bool verbose; /* ?verbose */
	bool keep_alive;
};

struct health_http_conn {
	struct health_http *srv;
	int fd; /* -1: the slot is free */
	ev_io io;
	ev_timer timer;
	int io_events; /* what io is started with; 0 when stopped */
	enum timer_mode timer_mode;
	bool parked; /* waiting for the ready-tcp result */
	bool close_after; /* close once out is sent */
	bool linger; /* ... gracefully: the client may still be sending */
	bool lingering; /* shut down for writing, discarding input */
	struct request_info parked_req;
	size_t last_len; /* bytes the parser already saw incomplete */
	/*
	 * Bytes kept between callbacks, each in a buffer from the server's
	 * pools held only while it is not empty (NULL otherwise).
	 */
	char *in; /* unhandled input: HTTP_HEAD_MAX */
	size_t in_len;
	char *out; /* an answer not all sent: OUT_MAX */
	size_t out_len;
	size_t out_sent;
};

enum flush_result { FLUSH_DONE, FLUSH_BLOCKED, FLUSH_CLOSED };

_Static_assert(HEALTH_HTTP_CONNS_MAX <= UINT16_MAX + 1,
	       "a pool index fits in uint16_t");

/* char arrays, not pointers: read-only data, no relocations */
static const char verbose_labels[METRICS_PATH_MAX][8] = {
	[METRICS_PATH_HEALTHZ] = "healthz",
	[METRICS_PATH_LIVEZ] = "livez",
	[METRICS_PATH_READYZ] = "readyz",
};

/* Log an error class once per run, then only at debug. */
static void log_once(struct health_http *srv, unsigned class, int errnum,
		     const char *hint, const char *what)
{
	enum log_level level = LOG_LEVEL_WARN;

	if (srv->logged & class)
		level = LOG_LEVEL_DEBUG;
	srv->logged |= class;
	log_emit(level, errnum, hint, NULL, 0, "health server: %s%s", what,
		 level == LOG_LEVEL_WARN ? " (logged once)" : "");
}

/* --- buffer pools ---------------------------------------------------- */

/* @n buffers of @size bytes from @base, all free, lowest index on top. */
static void pool_init(struct health_http_pool *p, char *base, size_t size,
		      unsigned n)
{
	p->base = base;
	p->size = size;
	p->n_free = n;
	for (unsigned i = 0; i < n; i++)
		p->free[i] = (uint16_t)(n - 1 - i);
}

/*
 * A free buffer, or NULL when none is left (cannot happen while each
 * connection holds at most one buffer of each pool); its bytes are stale.
 */
static char *pool_get(struct health_http_pool *p)
{
	if (p->n_free == 0)
		return NULL;
	p->n_free--;
	return p->base + (size_t)p->free[p->n_free] * p->size;
}

/* Give back *@buf (NULL is fine) and set it to NULL. */
static void pool_put(struct health_http_pool *p, char **buf)
{
	if (!*buf)
		return;
	p->free[p->n_free++] = (uint16_t)((size_t)(*buf - p->base) / p->size);
	*buf = NULL;
}

/* --- connections: watchers ------------------------------------------ */

static void set_io(struct health_http_conn *c, int events)
{
	struct ev_loop *loop = c->srv->loop;

	if (events == c->io_events)
		return;
	if (c->io_events)
		ev_io_stop(loop, &c->io);
	c->io_events = events;
	if (events) {
		ev_io_set(&c->io, c->fd, events);
		ev_io_start(loop, &c->io);
	}
}

static void set_timer(struct health_http_conn *c, enum timer_mode mode)
{
	static const double seconds[TIMER_MODE_MAX] = {
		[TIMER_IDLE] = HEALTH_HTTP_IDLE_TIMEOUT_S,
		[TIMER_HEAD] = HEALTH_HTTP_HEAD_TIMEOUT_S,
		[TIMER_WRITE] = HEALTH_HTTP_WRITE_TIMEOUT_S,
		[TIMER_LINGER] = HEALTH_HTTP_LINGER_S,
	};
	struct ev_loop *loop = c->srv->loop;

	if (mode == c->timer_mode)
		return;
	ev_timer_stop(loop, &c->timer);
	c->timer_mode = mode;
	if (mode != TIMER_NONE) {
		ev_timer_set(&c->timer, seconds[mode], 0.);
		ev_timer_start(loop, &c->timer);
	}
}

/* Point the watchers at what the connection waits for (table above). */
static void conn_update(struct health_http_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->lingering) {
		set_io(c, EV_READ);
		set_timer(c, TIMER_LINGER);
	} else if (c->out) {
		set_io(c, EV_WRITE);
		set_timer(c, TIMER_WRITE);
	} else if (c->parked) {
		set_io(c, 0);
		set_timer(c, TIMER_WRITE);
	} else {
		set_io(c, c->in_len < HTTP_HEAD_MAX ? EV_READ : 0);
		set_timer(c, c->in_len > 0 ? TIMER_HEAD : TIMER_IDLE);
	}
}

static void conn_close(struct health_http_conn *c)
{
	struct health_http *srv = c->srv;

	if (c->fd < 0)
		return;
	set_io(c, 0);
	set_timer(c, TIMER_NONE);
	fd_close(&c->fd);
	c->parked = false;
	c->close_after = false;
	c->linger = false;
	c->lingering = false;
	c->last_len = 0;
	pool_put(&srv->in_pool, &c->in);
	c->in_len = 0;
	pool_put(&srv->out_pool, &c->out);
	c->out_len = c->out_sent = 0;
	srv->n_open--;
}

/*
 * The last answer is out: close now, or when the client may still be
 * sending (an error answer, a body, @pending input), shut down our side
 * and read until its FIN, so that its kernel does not get a reset that
 * would destroy the answer before it is read.
 */
static void conn_finish(struct health_http_conn *c, bool pending)
{
	if (!c->linger && !pending) {
		conn_close(c);
		return;
	}
	if (shutdown(c->fd, SHUT_WR) < 0) {
		conn_close(c);
		return;
	}
	c->lingering = true;
	pool_put(&c->srv->in_pool, &c->in);
	c->in_len = 0;
	conn_update(c);
}

/*
 * Send @buf[*@sent, @len), adding what went to *@sent. FLUSH_CLOSED when
 * the client is gone (the connection is closed then).
 */
static enum flush_result conn_send(struct health_http_conn *c, const char *buf,
				   size_t len, size_t *sent)
{
	while (*sent < len) {
		ssize_t n = send(c->fd, buf + *sent, len - *sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return FLUSH_BLOCKED;
		if (n <= 0) {
			/* reset mid-answer (EPIPE, ECONNRESET): nothing to say */
			conn_close(c);
			return FLUSH_CLOSED;
		}
		*sent += (size_t)n;
	}
	return FLUSH_DONE;
}

/* A pool ran dry, which the sizes rule out: drop the connection, loudly. */
static void conn_drop_no_buffer(struct health_http_conn *c)
{
	log_once(c->srv, LOGGED_POOL, 0, NULL,
		 "no connection buffer left, closing a connection");
	conn_close(c);
}

/*
 * Send the answers in the server's out buffer; keep what the socket did
 * not take as the connection's own out. The server's buffer is empty
 * afterwards whatever happened.
 */
static enum flush_result conn_flush(struct health_http_conn *c)
{
	struct health_http *srv = c->srv;
	size_t sent = 0, len = srv->out_len;
	enum flush_result r = conn_send(c, srv->out, len, &sent);

	srv->out_len = 0;
	if (r != FLUSH_BLOCKED)
		return r;
	c->out = pool_get(&srv->out_pool);
	if (!c->out) {
		conn_drop_no_buffer(c);
		return FLUSH_CLOSED;
	}
	memcpy(c->out, srv->out + sent, len - sent);
	c->out_len = len - sent;
	c->out_sent = 0;
	return FLUSH_BLOCKED;
}

/*
 * Put the unsent tail of the connection's own out back at the front of
 * the server's (it fits: it is what was left of one flush of that buffer,
 * made while a whole answer's room was free), so that answers can follow
 * it in order.
 */
static void conn_unkeep_out(struct health_http_conn *c)
{
	struct health_http *srv = c->srv;

	if (!c->out)
		return;
	memcpy(srv->out, c->out + c->out_sent, c->out_len - c->out_sent);
	srv->out_len = c->out_len - c->out_sent;
	pool_put(&srv->out_pool, &c->out);
	c->out_len = c->out_sent = 0;
}

/* --- answers ---------------------------------------------------------- */

/* Append one answer to out (the caller made sure RESPONSE_MAX fits). */
static void respond(struct health_http_conn *c, enum metrics_path path,
		    int status, const char *content_type, const char *body,
		    size_t body_len, bool head_only, bool keep_alive,
		    const char *extra_headers)
{
	struct health_http *srv = c->srv;
	enum metrics_code code = metrics_code_from(status);
	size_t head_len, send_len = head_only ? 0 : body_len;
	char head[RESPONSE_HEAD_MAX];

	if (code < METRICS_CODE_MAX)
		srv->requests[path][code]++;
	if (http_format_response(head, sizeof(head), status, content_type,
				 body_len, keep_alive, extra_headers,
				 &head_len) < 0 ||
	    head_len + send_len > OUT_MAX - srv->out_len) {
		/* cannot happen with the sizes above; never send garbage */
		c->close_after = true;
		return;
	}
	memcpy(srv->out + srv->out_len, head, head_len);
	srv->out_len += head_len;
	if (send_len) {
		memcpy(srv->out + srv->out_len, body, send_len);
		srv->out_len += send_len;
	}
	if (!keep_alive)
		c->close_after = true;
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_INT("fd", c->fd),
				    LOG_INT("status", status)),
			 "health server: answered %d", status);
}

/* 400 404 405 408 431: a short text body, then close. */
static void answer_error(struct health_http_conn *c, enum metrics_path path,
			 int status, bool head_only)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status,
			 http_reason_phrase(status));

	c->linger = true;
	respond(c, path, status, "text/plain; charset=utf-8", body,
		n > 0 ? (size_t)n : 0, head_only, false,
		status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

/* The answer of /healthz, /livez, /readyz or /metrics. */
static void answer(struct health_http_conn *c, const struct request_info *rq)
{
	struct health_http *srv = c->srv;
	uint64_t now = clock_monotonic_ms();
	enum health_probe probe = rq->path == METRICS_PATH_READYZ ?
					  HEALTH_PROBE_READY :
					  HEALTH_PROBE_LIVE;
	const char *type = "application/json";
	char body[METRICS_TEXT_MAX];
	size_t len = 0;
	int status = 200, r;

	if (rq->path == METRICS_PATH_METRICS) {
		struct metrics_sample m;

		health_http_sample(srv, now, &m);
		r = metrics_format(&m, body, sizeof(body), &len);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else {
		bool ok = probe == HEALTH_PROBE_READY ?
				  health_ready(srv->health, now) :
				  health_live(srv->health, now);

		status = ok ? 200 : 503;
		if (rq->verbose) {
			r = health_format_verbose(srv->health, now, probe,
						  verbose_labels[rq->path],
						  body, sizeof(body), &len);
			type = "text/plain; charset=utf-8";
		} else {
			r = health_format_json(srv->health, now, probe, body,
					       sizeof(body), &len);
		}
	}
	if (r < 0)
		len = 0; /* cannot happen: the buffer fits any body */
	respond(c, rq->path, status, type, body, len, rq->head, rq->keep_alive,
		NULL);
}

/* --- ready-tcp -------------------------------------------------------- */

static void conn_resume(struct health_http_conn *c);

/*
 * Record a ready-tcp result. The /readyz waiting for it are answered by
 * tcp_unpark(), and only from the check's own watchers: a check that ends
 * at once ends inside some connection's callback, which the shared
 * buffers serve and which must not be entered again for another.
 */
static void tcp_finish(struct health_http *srv, bool ok, const char *why)
{
	struct health_http_tcp *t = &srv->tcp;
	char reason[HEALTH_TCP_REASON_MAX];

	ev_io_stop(srv->loop, &t->io);
	ev_timer_stop(srv->loop, &t->timer);
	fd_close(&t->fd);

	snprintf(reason, sizeof(reason), "%s: %s", t->target, why);
	health_tcp_result(srv->health, clock_monotonic_ms(), ok, reason);
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_STR("target", t->target),
				    LOG_STR("result", ok ? "ok" : why)),
			 "ready-tcp check done");
}

/*
 * Answer every /readyz that waited for the check that just ended. A
 * resumed connection may start a newer check: one that ends at once parks
 * nobody, and a /readyz parked on one still running waits for its end
 * (this loop is past that slot).
 */
static void tcp_unpark(struct health_http *srv)
{
	for (unsigned i = 0; i < srv->n_slots; i++) {
		struct health_http_conn *c = &srv->conns[i];

		if (c->fd < 0 || !c->parked)
			continue;
		c->parked = false;
		conn_unkeep_out(c);
		answer(c, &c->parked_req);
		conn_resume(c);
	}
}

/* strerror(@err) with a lower-case first letter: "connection refused". */
static void tcp_finish_errno(struct health_http *srv, int err)
{
	char why[64];

	snprintf(why, sizeof(why), "%s", strerror(err));
	if (why[0] >= 'A' && why[0] <= 'Z')
		why[0] = (char)(why[0] - 'A' + 'a');
	tcp_finish(srv, false, why);
}

static void tcp_connected(struct ev_loop *loop, ev_io *w, int revents)
{
	struct health_http *srv = w->data;
	socklen_t len = sizeof(int);
	int err = 0;

	(void)loop;
	(void)revents;
	if (getsockopt(srv->tcp.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		tcp_finish_errno(srv, err);
	else
		tcp_finish(srv, true, "ok");
	tcp_unpark(srv);
}

static void tcp_timed_out(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct health_http *srv = w->data;

	(void)loop;
	(void)revents;
	tcp_finish(srv, false, "no answer within 1 s");
	tcp_unpark(srv);
}

/*
 * Must a /readyz wait for a ready-tcp result? Starts the check when one is
 * due and none runs. A connect that ends at once (loopback often refuses
 * or accepts right away) is recorded at once and needs no waiting.
 */
static bool tcp_wait_needed(struct health_http *srv)
{
	struct health_http_tcp *t = &srv->tcp;
	int fd;

	if (t->addr_len == 0 ||
	    !health_tcp_check_due(srv->health, clock_monotonic_ms()))
		return false;
	if (t->fd >= 0)
		return true;

	fd = socket(t->addr.ss_family,
		    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		tcp_finish_errno(srv, errno);
		return false;
	}
	t->fd = fd;
	if (connect(fd, (struct sockaddr *)&t->addr, t->addr_len) == 0) {
		tcp_finish(srv, true, "ok");
		return false;
	}
	if (errno != EINPROGRESS) {
		tcp_finish_errno(srv, errno);
		return false;
	}
	ev_io_set(&t->io, fd, EV_WRITE);
	ev_io_start(srv->loop, &t->io);
	ev_timer_set(&t->timer, HEALTH_HTTP_TCP_TIMEOUT_S, 0.);
	ev_timer_start(srv->loop, &t->timer);
	return true;
}

/* The --ready-tcp target of @s into t->addr; addr_len stays 0 without. */
static int tcp_setup(struct health_http_tcp *t, const struct settings *s)
{
	const char *host = s->ready_tcp_host;
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->addr;

	if (s->ready_tcp_port == 0)
		return 0;
	if (!host || strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	memset(&t->addr, 0, sizeof(t->addr));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)s->ready_tcp_port);
		t->addr_len = sizeof(*sin);
		snprintf(t->target, sizeof(t->target), "%s:%u", host,
			 s->ready_tcp_port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)s->ready_tcp_port);
		t->addr_len = sizeof(*sin6);
		snprintf(t->target, sizeof(t->target), "[%s]:%u", host,
			 s->ready_tcp_port);
	} else {
		/* config.c accepts only literals and localhost */
		return -EINVAL;
	}
	return 0;
}

/* --- requests --------------------------------------------------------- */

static void handle_request(struct health_http_conn *c,
			   const struct http_request *req)
{
	struct request_info rq = {
		.path = metrics_path_from(req->path.ptr, req->path.len),
		.head = req->method == HTTP_METHOD_HEAD,
		.verbose = http_query_has(req, "verbose"),
		.keep_alive = req->keep_alive,
	};

	/* a body we never read: close gracefully after the answer */
	if (req->has_body)
		c->linger = true;
	if (rq.path == METRICS_PATH_OTHER) {
		answer_error(c, rq.path, 404, rq.head);
		return;
	}
	if (req->method == HTTP_METHOD_OTHER) {
		answer_error(c, rq.path, 405, false);
		return;
	}
	if (rq.path == METRICS_PATH_READYZ && tcp_wait_needed(c->srv)) {
		c->parked = true;
		c->parked_req = rq;
		return;
	}
	answer(c, &rq);
}

/*
 * Keep @buf[@pos, @len), the input left when a callback returns, as the
 * connection's own in: @buf is that buffer already (the rest moves to its
 * front; an empty one goes back to the pool) or the server's (the rest is
 * copied out). Returns false when the connection had to be closed.
 */
static bool conn_keep_in(struct health_http_conn *c, char *buf, size_t pos,
			 size_t len)
{
	struct health_http *srv = c->srv;
	size_t rest = len - pos;

	if (buf == c->in) {
		memmove(c->in, c->in + pos, rest);
	} else if (rest > 0) {
		c->in = pool_get(&srv->in_pool);
		if (!c->in) {
			conn_drop_no_buffer(c);
			return false;
		}
		memcpy(c->in, buf + pos, rest);
	}
	c->in_len = rest;
	if (rest == 0)
		pool_put(&srv->in_pool, &c->in);
	return true;
}

/*
 * Handle the complete heads at the start of @buf (@len bytes of input),
 * in order, while the answer is sure to fit and nothing waits (a park, a
 * close); send; repeat while that made progress; keep the rest. Ends with
 * the watchers updated, or the connection closed, and the server's out
 * buffer empty.
 */
static void conn_serve(struct health_http_conn *c, char *buf, size_t len)
{
	struct health_http *srv = c->srv;
	struct http_request req;
	size_t pos = 0;
	int r;

	for (;;) {
		bool progress = false;

		while (!c->parked && !c->close_after && pos < len &&
		       OUT_MAX - srv->out_len >= RESPONSE_MAX) {
			r = http_parse_request(buf + pos, len - pos,
					       c->last_len, &req);
			if (r == HTTP_PARSE_INCOMPLETE) {
				c->last_len = len - pos;
				if (c->last_len == HTTP_HEAD_MAX)
					answer_error(c, METRICS_PATH_OTHER, 431,
						     false);
				break;
			}
			if (r < 0) {
				answer_error(c, METRICS_PATH_OTHER, 400, false);
				break;
			}
			handle_request(c, &req);
			pos += (size_t)r;
			c->last_len = 0;
			/* the next head's clock starts once this answer is out */
			set_timer(c, TIMER_NONE);
			progress = true;
		}

		if (srv->out_len > 0) {
			enum flush_result f = conn_flush(c);

			if (f == FLUSH_CLOSED)
				return;
			if (f == FLUSH_BLOCKED)
				break;
			/* room again, also for heads left by an earlier call */
			progress = true;
		}
		if (c->close_after && !c->parked) {
			conn_finish(c, pos < len);
			return;
		}
		if (!progress)
			break;
	}
	if (conn_keep_in(c, buf, pos, len))
		conn_update(c);
}

/* Go on with the input the connection kept, with nothing new read. */
static void conn_resume(struct health_http_conn *c)
{
	conn_serve(c, c->in ? c->in : c->srv->in, c->in_len);
}

/* Read and throw away input until the client's FIN (lingering close). */
static void conn_linger_read(struct health_http_conn *c)
{
	ssize_t n = recv(c->fd, c->srv->in, HTTP_HEAD_MAX, 0);

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
				errno == EINTR)))
		return;
	conn_close(c);
}

/*
 * Read once: after the input the connection kept, in its own buffer (so
 * a head arriving in pieces is never copied again), or else into the
 * server's.
 */
static void conn_read(struct health_http_conn *c)
{
	char *buf = c->in ? c->in : c->srv->in;
	size_t len = c->in_len;
	ssize_t n;

	if (len == HTTP_HEAD_MAX) {
		conn_resume(c);
		return;
	}
	n = recv(c->fd, buf + len, HTTP_HEAD_MAX - len, 0);
	if (n > 0) {
		conn_serve(c, buf, len + (size_t)n);
		return;
	}
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		conn_update(c);
		return;
	}
	/* EOF or reset: nothing is owed to a client that left */
	conn_close(c);
}

/* Send more of the kept answer; once it is all out, go on with input. */
static void conn_write(struct health_http_conn *c)
{
	switch (conn_send(c, c->out, c->out_len, &c->out_sent)) {
	case FLUSH_CLOSED:
		return;
	case FLUSH_BLOCKED:
		conn_update(c);
		return;
	default:
		break;
	}
	pool_put(&c->srv->out_pool, &c->out);
	c->out_len = c->out_sent = 0;
	conn_resume(c);
}

static void conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct health_http_conn *c = w->data;

	(void)loop;
	if (c->lingering)
		conn_linger_read(c);
	else if (revents & EV_WRITE)
		conn_write(c);
	else if (revents & EV_READ)
		conn_read(c);
}

static void conn_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct health_http_conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->timer_mode != TIMER_HEAD || c->out) {
		conn_close(c);
		return;
	}
	c->timer_mode = TIMER_NONE;
	answer_error(c, METRICS_PATH_OTHER, 408, false);
	conn_resume(c);
}

/* --- accepting -------------------------------------------------------- */

/* First use of a slot: the mapping left it zeroed, make it a closed conn. */
static void slot_setup(struct health_http *srv, struct health_http_conn *c)
{
	c->srv = srv;
	c->fd = -1;
	ev_init(&c->io, conn_io);
	c->io.data = c;
	ev_set_priority(&c->io, EV_MINPRI);
	ev_init(&c->timer, conn_timeout);
	c->timer.data = c;
	ev_set_priority(&c->timer, EV_MINPRI);
}

static void conn_open(struct health_http *srv, int fd)
{
	struct health_http_conn *c = NULL;

	if (srv->n_open >= HEALTH_HTTP_CONNS_MAX) {
		srv->rejected++;
		if (!(srv->logged & LOGGED_FULL))
			log_emit(LOG_LEVEL_WARN, 0, NULL,
				 LOG_FIELDS(LOG_INT("limit",
						    HEALTH_HTTP_CONNS_MAX)),
				 "health server: connection limit reached, "
				 "answering 503 to new connections (logged "
				 "once)");
		srv->logged |= LOGGED_FULL;
		(void)send(fd, busy_response, sizeof(busy_response) - 1,
			   MSG_NOSIGNAL | MSG_DONTWAIT);
		fd_close(&fd);
		return;
	}
	for (unsigned i = 0; i < srv->n_slots; i++) {
		if (srv->conns[i].fd < 0) {
			c = &srv->conns[i];
			break;
		}
	}
	if (!c && srv->n_slots < HEALTH_HTTP_CONNS_MAX) {
		c = &srv->conns[srv->n_slots++];
		slot_setup(srv, c);
	}
	if (!c) {
		/* n_open says there is room, so this cannot happen */
		fd_close(&fd);
		return;
	}
	c->fd = fd;
	srv->n_open++;
	/* a probe's request is usually there already: try before waiting */
	conn_read(c);
}

static void accept_pause(struct health_http *srv)
{
	ev_io_stop(srv->loop, &srv->accept_io);
	ev_timer_set(&srv->accept_pause, ACCEPT_PAUSE_S, 0.);
	ev_timer_start(srv->loop, &srv->accept_pause);
}

static void accept_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct health_http *srv = w->data;

	(void)revents;
	if (srv->spare_fd < 0)
		srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ev_io_start(loop, &srv->accept_io);
}

/*
 * Out of fds: give up the spare one, accept the waiting connection into
 * its place and close it at once (the client sees a closed connection
 * instead of hanging in the backlog), then take the spare back. Without
 * this the listener would stay readable and the loop would spin. Returns
 * false when the spare could not be used.
 */
static bool shed_one(struct health_http *srv, int err)
{
	int fd;

	log_once(srv, err == EMFILE ? LOGGED_EMFILE : LOGGED_ENFILE, err,
		 "raise the open file limit (ulimit -n) of the container",
		 "out of file descriptors, closing new connections at once");
	if (srv->spare_fd < 0)
		return false;
	fd_close(&srv->spare_fd);
	fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	fd_close(&fd);
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return srv->spare_fd >= 0;
}

static void accept_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	struct health_http *srv = w->data;

	(void)loop;
	(void)revents;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(srv->listen_fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd >= 0) {
			conn_open(srv, fd);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		case EINTR:
		case ECONNABORTED:
		/* accept(2): pending network errors, to be taken as EAGAIN */
		case EPROTO:
		case ENETDOWN:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case EOPNOTSUPP:
		case ENETUNREACH:
			continue;
		case EMFILE:
		case ENFILE:
			if (shed_one(srv, errno))
				continue;
			accept_pause(srv);
			return;
		case ENOBUFS:
		case ENOMEM:
			log_once(srv, LOGGED_NOMEM, errno, NULL,
				 "accept failed, pausing the listener");
			accept_pause(srv);
			return;
		default:
			log_once(srv, LOGGED_OTHER, errno, NULL,
				 "accept failed, pausing the listener");
			accept_pause(srv);
			return;
		}
	}
}

/* --- set-up ----------------------------------------------------------- */

/* See health_http.h. */
void health_http_init(struct health_http *srv)
{
	memset(srv, 0, sizeof(*srv));
	srv->listen_fd = -1;
	srv->spare_fd = -1;
	srv->tcp.fd = -1;
}

/* socket, bind and listen on @addr (a literal of @family) port @port. */
static int listen_on(struct health_http *srv, int family, const char *addr,
		     unsigned port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1, zero = 0, r;

	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			return -EINVAL;
		len = sizeof(*sin6);
		snprintf(srv->where, sizeof(srv->where), "[%s]:%u", addr, port);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			return -EINVAL;
		len = sizeof(*sin);
		snprintf(srv->where, sizeof(srv->where), "%s:%u", addr, port);
	}

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto err_close_fd;
	/* dual-stack whatever net.ipv6.bindv6only says */
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		goto err_close_fd;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto err_close_fd;
	if (listen(fd, SOMAXCONN) < 0)
		goto err_close_fd;
	srv->listen_fd = fd;
	return 0;

err_close_fd:
	r = -errno;
	fd_close(&fd);
	return r;
}

/* See health_http.h. */
int health_http_open(struct health_http *srv, const struct settings *s,
		     int *ret_exit_code)
{
	char hint[160];
	const char *h = NULL;
	int r;

	if (s->health_port == 0)
		return 0;
	if (!s->health_addr) {
		r = listen_on(srv, AF_INET6, "::", s->health_port);
		/* no IPv6 in this kernel or namespace: IPv4 alone */
		if (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL ||
		    r == -EPROTONOSUPPORT)
			r = listen_on(srv, AF_INET, "0.0.0.0", s->health_port);
	} else {
		r = listen_on(srv,
			      strchr(s->health_addr, ':') ? AF_INET6 : AF_INET,
			      s->health_addr, s->health_port);
	}
	if (r == 0)
		return 0;

	switch (r) {
	case -EADDRINUSE:
		snprintf(hint, sizeof(hint),
			 "port %u is in use: set --health-port "
			 "(PIDONE_HEALTH_PORT) to a free port, or 0 to turn "
			 "the health server off",
			 s->health_port);
		h = hint;
		break;
	case -EACCES:
		h = "ports below 1024 need root or CAP_NET_BIND_SERVICE at "
		    "start: use --health-port 8081 or another port >= 1024";
		break;
	case -EADDRNOTAVAIL:
	case -EINVAL:
		h = "--health-addr must be an address of this host, or :: or "
		    "0.0.0.0 for all interfaces";
		break;
	default:
		break;
	}
	log_emit(LOG_LEVEL_ERROR, -r, h,
		 LOG_FIELDS(LOG_STR("address", srv->where)),
		 "cannot listen on %s for the health server", srv->where);
	*ret_exit_code = r == -EADDRNOTAVAIL || r == -EINVAL ? EX_CONFIG :
							       EX_SOFTWARE;
	return r;
}

/* @len rounded up to whole pages: each part of the arena starts on one. */
static size_t arena_part(size_t len)
{
	const size_t page = 4096;

	return (len + page - 1) & ~(page - 1);
}

/* The arena: slots, in, out, the in pool, the out pool. */
static size_t arena_size(void)
{
	const size_t n = HEALTH_HTTP_CONNS_MAX;

	return arena_part(n * sizeof(struct health_http_conn)) +
	       arena_part(HTTP_HEAD_MAX) + arena_part(OUT_MAX) +
	       arena_part(n * HTTP_HEAD_MAX) + arena_part(n * OUT_MAX);
}

/*
 * Reserve the slots, the shared buffers and the pools as one anonymous
 * mapping rather than from malloc: its pages stay untouched (zero, not
 * resident) until used, whatever malloc's thresholds are, and nothing
 * after this can fail for want of memory. Returns 0 or -errno.
 */
static int arena_map(struct health_http *srv)
{
	const size_t n = HEALTH_HTTP_CONNS_MAX;
	size_t len = arena_size();
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	srv->arena = p;
	srv->arena_len = len;
	srv->conns = (struct health_http_conn *)p;
	p += arena_part(n * sizeof(struct health_http_conn));
	srv->in = p;
	p += arena_part(HTTP_HEAD_MAX);
	srv->out = p;
	srv->out_len = 0;
	p += arena_part(OUT_MAX);
	pool_init(&srv->in_pool, p, HTTP_HEAD_MAX, HEALTH_HTTP_CONNS_MAX);
	p += arena_part(n * HTTP_HEAD_MAX);
	pool_init(&srv->out_pool, p, OUT_MAX, HEALTH_HTTP_CONNS_MAX);
	return 0;
}

/* See health_http.h. */
int health_http_start(struct health_http *srv, struct ev_loop *loop,
		      const struct settings *s, struct health *h,
		      const struct supervisor *sup)
{
	int r;

	if (srv->listen_fd < 0)
		return 0;
	srv->loop = loop;
	srv->health = h;
	srv->sup = sup;

	if (tcp_setup(&srv->tcp, s) < 0) {
		log_errorx(NULL,
			   "health server: --ready-tcp host %s is not an "
			   "IP address",
			   s->ready_tcp_host);
		return -EINVAL;
	}
	r = arena_map(srv);
	if (r < 0) {
		errno = -r;
		log_error(NULL,
			  "health server: cannot reserve %zu bytes for "
			  "%u connections",
			  arena_size(), HEALTH_HTTP_CONNS_MAX);
		return r;
	}
	srv->n_slots = 0;

	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (srv->spare_fd < 0 && !(srv->logged & LOGGED_SPARE)) {
		srv->logged |= LOGGED_SPARE;
		log_warn("health server: cannot open /dev/null as a spare fd, "
			 "running out of fds will pause the listener instead");
	}

	ev_init(&srv->tcp.io, tcp_connected);
	srv->tcp.io.data = srv;
	ev_set_priority(&srv->tcp.io, EV_MINPRI);
	ev_init(&srv->tcp.timer, tcp_timed_out);
	srv->tcp.timer.data = srv;
	ev_set_priority(&srv->tcp.timer, EV_MINPRI);

	ev_init(&srv->accept_pause, accept_resume);
	srv->accept_pause.data = srv;
	ev_set_priority(&srv->accept_pause, EV_MINPRI);
	ev_io_init(&srv->accept_io, accept_ready, srv->listen_fd, EV_READ);
	srv->accept_io.data = srv;
	ev_set_priority(&srv->accept_io, EV_MINPRI);
	ev_io_start(loop, &srv->accept_io);

	log_emit(LOG_LEVEL_INFO, 0, NULL,
		 LOG_FIELDS(LOG_STR("address", srv->where)),
		 "health server listening");
	return 0;
}

/* See health_http.h. */
void health_http_sample(const struct health_http *srv, uint64_t now,
			struct metrics_sample *ret)
{
	const struct supervisor *sup = srv->sup;

	_Static_assert(sizeof(ret->signals_forwarded) ==
			       sizeof(sup->signals_forwarded),
		       "one counter per signal on both sides");
	_Static_assert(sizeof(ret->health_requests) == sizeof(srv->requests),
		       "the same request table on both sides");

	memset(ret, 0, sizeof(*ret));
	if (sup) {
		ret->child_up = supervisor_child_up(sup);
		ret->child_restarts = sup->restart.count;
		ret->zombies_reaped = sup->zombies_reaped;
		memcpy(ret->signals_forwarded, sup->signals_forwarded,
		       sizeof(ret->signals_forwarded));
	}
	if (srv->health) {
		ret->live = health_live(srv->health, now);
		ret->ready = health_ready(srv->health, now);
	}
	memcpy(ret->health_requests, srv->requests,
	       sizeof(ret->health_requests));
	ret->health_connections = srv->n_open;
	ret->health_connections_rejected = srv->rejected;
	ret->log_lines_dropped = log_dropped();
}

/* See health_http.h. */
void health_http_done(struct health_http *srv)
{
	if (srv->arena) {
		for (unsigned i = 0; i < srv->n_slots; i++)
			conn_close(&srv->conns[i]);
		if (munmap(srv->arena, srv->arena_len) < 0)
			log_warn("health server: cannot unmap its buffers, "
				 "ignoring");
		srv->arena = NULL;
		srv->conns = NULL;
		srv->in = srv->out = NULL;
		srv->n_slots = 0;
	}
	if (srv->loop) {
		ev_io_stop(srv->loop, &srv->accept_io);
		ev_timer_stop(srv->loop, &srv->accept_pause);
		ev_io_stop(srv->loop, &srv->tcp.io);
		ev_timer_stop(srv->loop, &srv->tcp.timer);
	}
	fd_close(&srv->tcp.fd);
	fd_close(&srv->spare_fd);
	fd_close(&srv->listen_fd);
}
