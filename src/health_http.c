/* SPDX-License-Identifier: MIT */
/*
 * health_http.c - the health side port's server (the limits and the life
 * of a connection are in health_http.h).
 *
 * A connection is a slot of the table; its state (health_http.h) says
 * what its one ev_io waits for, and a timer mode what its one ev_timer
 * bounds:
 *
 *   READING, head bytes waiting   EV_READ    HEAD: 408 and close
 *   READING, nothing waiting      EV_READ    IDLE: close silently
 *   WRITING                       EV_WRITE   WRITE: close
 *   WAITING (ready-tcp)           nothing    WRITE: close (a safety net;
 *                                            the check takes <= 1 s)
 *   LINGERING                     EV_READ    LINGER: close
 *
 * A callback reads once into the connection's in buffer, answers the
 * complete heads there (a head is taken only when its answer is sure to
 * fit) and sends. Answers are made in the server's one answers buffer;
 * what the socket does not take is moved into the connection's own, so
 * that a connection whose answers go out at once touches only the page
 * of its in buffer (RSS under load, `make bench`). Input stops while
 * answers are unsent (backpressure). After SERVE_BATCH requests it
 * yields: it waits for EV_WRITE, which a socket with room reports on the
 * next pass, so one client's pipeline never holds the loop. A response
 * head is formatted in place and its body copied once, from a bounded
 * stack buffer or from the last /metrics body (metrics_body).
 *
 * After start-up nothing here may end pidone: every error closes one
 * connection or pauses the listener, and is warned about once an hour per
 * class at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "health_http.h"
#include "log.h"
#include "sample.h"
#include "textbuf.h"
#include "banned.h"

/* The largest answer: a head and the largest body (metrics). */
#define RESPONSE_MAX (HEALTH_HTTP_RESPONSE_HEAD_MAX + METRICS_TEXT_MAX)
/*
 * Requests one callback answers before the loop gets a turn. The bench's
 * smoke run (250 clients pipelining /metrics, 3 rounds each, shared
 * machine) put SIGTERM-to-child at 8-22 ms with 4, 6-24 ms with 2 and
 * 3-8 ms with 1: noise as large as the effect. With 1, no answer ever
 * queues behind an unsent one, a case the unit tests exercise.
 */
#define SERVE_BATCH 4
/* The connection table, the answers, the metrics body (health_http.h). */
static const size_t mapped_bytes =
	HEALTH_HTTP_CONNS_MAX * sizeof(struct health_http_conn) +
	HEALTH_HTTP_OUT_MAX + METRICS_TEXT_MAX;
/* Connections accepted per callback before other watchers get a turn. */
#define ACCEPT_BATCH 64
/* How long the listener rests after an accept error it cannot shed. */
#define ACCEPT_PAUSE_S 0.1

_Static_assert(HEALTH_BODY_MAX <= METRICS_TEXT_MAX,
	       "a health body must fit where a metrics body does");
_Static_assert(HEALTH_HTTP_OUT_MAX >= RESPONSE_MAX,
	       "the largest answer fits in a connection's out buffer");

/* Error classes, each warned about once an hour at most. */
enum logged_class {
	LOGGED_EMFILE,
	LOGGED_ENFILE,
	LOGGED_OTHER,
	LOGGED_FULL,
	LOGGED_MAX
};

_Static_assert(LOGGED_MAX <= HEALTH_HTTP_TROUBLES,
	       "health_http.warned_ms has a slot per class");

/* A flood weeks later is news again; one warning per connection is not. */
#define WARN_AGAIN_MS (3600u * 1000u)

enum timer_mode {
	TIMER_NONE,
	TIMER_IDLE,
	TIMER_HEAD,
	TIMER_WRITE,
	TIMER_LINGER,
	TIMER_MODE_MAX
};

enum flush_result { FLUSH_DONE, FLUSH_BLOCKED, FLUSH_CLOSED };

/* Warn about an error class once an hour at most, else at debug. */
static void log_once(struct health_http *srv, enum logged_class class,
		     int errnum, const char *hint, const char *what)
{
	uint64_t now = clock_monotonic_ms();
	uint64_t *last = &srv->warned_ms[class];
	bool warn = !*last || now - *last >= WARN_AGAIN_MS;

	if (warn)
		*last = now;
	log_emit(warn ? LOG_LEVEL_WARN : LOG_LEVEL_DEBUG, errnum, hint, NULL, 0,
		 "health server: %s%s", what,
		 warn ? " (warned once an hour at most)" : "");
}

/* --- connections: watchers and state ---------------------------------- */

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

/* Start the timer for @mode, unless it already runs for it. */
static void set_timer(struct health_http_conn *c, enum timer_mode mode)
{
	static const double seconds[TIMER_MODE_MAX] = {
		[TIMER_IDLE] = HEALTH_HTTP_IDLE_TIMEOUT_S,
		[TIMER_HEAD] = HEALTH_HTTP_HEAD_TIMEOUT_S,
		[TIMER_WRITE] = HEALTH_HTTP_WRITE_TIMEOUT_S,
		[TIMER_LINGER] = HEALTH_HTTP_LINGER_S,
	};
	struct ev_loop *loop = c->srv->loop;

	if ((int)mode == c->timer_mode)
		return;
	ev_timer_stop(loop, &c->timer);
	c->timer_mode = (int)mode;
	if (mode != TIMER_NONE) {
		ev_timer_set(&c->timer, seconds[mode], 0.);
		ev_timer_start(loop, &c->timer);
	}
}

/* Enter @state and point the watchers at it (table above). */
static void conn_set_state(struct health_http_conn *c,
			   enum health_http_state state)
{
	static const struct {
		int events;
		enum timer_mode timer;
	} waits[HEALTH_HTTP_STATE_MAX] = {
		[HEALTH_HTTP_READING] = { EV_READ, TIMER_IDLE },
		[HEALTH_HTTP_WRITING] = { EV_WRITE, TIMER_WRITE },
		[HEALTH_HTTP_WAITING] = { 0, TIMER_WRITE },
		[HEALTH_HTTP_LINGERING] = { EV_READ, TIMER_LINGER },
	};

	c->state = state;
	set_io(c, waits[state].events);
	if (state == HEALTH_HTTP_READING && c->in_len > c->in_off)
		set_timer(c, TIMER_HEAD);
	else
		set_timer(c, waits[state].timer);
}

static void conn_close(struct health_http_conn *c)
{
	if (c->state == HEALTH_HTTP_CLOSED)
		return;
	if (c->out == c->srv->answers)
		c->srv->answers_user = NULL;
	conn_set_state(c, HEALTH_HTTP_CLOSED);
	fd_close(&c->fd);
	c->srv->n_open--;
}

/*
 * The last answer is out: close now, or when the client may still be
 * sending (an error answer, a body, unhandled input), shut down our side
 * and read until its FIN, so that its kernel does not get a reset that
 * would destroy the answer before it is read.
 */
static void conn_finish(struct health_http_conn *c)
{
	if ((!c->linger && c->in_off == c->in_len) ||
	    shutdown(c->fd, SHUT_WR) < 0) {
		conn_close(c);
		return;
	}
	c->in_off = c->in_len = 0;
	conn_set_state(c, HEALTH_HTTP_LINGERING);
}

/*
 * Send what is left of out; FLUSH_CLOSED when the client is gone. What
 * the socket did not take moves from the shared answers into the
 * connection's own buffer, so that the next connection can answer.
 */
static enum flush_result conn_flush(struct health_http_conn *c)
{
	enum flush_result f = FLUSH_DONE;

	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent,
				 c->out_len - c->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			f = FLUSH_BLOCKED;
			break;
		}
		if (n <= 0) {
			/* reset mid-answer (EPIPE, ECONNRESET): nothing to say */
			conn_close(c);
			return FLUSH_CLOSED;
		}
		c->out_sent += (size_t)n;
		/* the client takes answers: its write clock starts over */
		set_timer(c, TIMER_NONE);
	}
	if (c->out == c->srv->answers) {
		c->srv->answers_user = NULL;
		c->out_len -= c->out_sent;
		memcpy(c->own, c->out + c->out_sent, c->out_len);
		c->out = c->own;
		c->out_sent = 0;
	}
	if (f == FLUSH_DONE)
		c->out_len = c->out_sent = 0;
	return f;
}

/* --- answers ---------------------------------------------------------- */

/* Append one answer to out (the caller made sure RESPONSE_MAX fits). */
static void respond(struct health_http_conn *c, enum metrics_path path,
		    int status, const char *content_type, const char *body,
		    size_t body_len, bool head_only, bool keep_alive,
		    const char *extra_headers)
{
	enum metrics_code code = metrics_code_from(status);
	size_t head_len, send_len = head_only ? 0 : body_len;
	char *at;

	if (c->out_len == 0 && c->out != c->srv->answers)
		c->out = c->srv->answers_user ? c->own : c->srv->answers;
	if (c->out == c->srv->answers)
		c->srv->answers_user = c;
	at = c->out + c->out_len;

	if (code < METRICS_CODE_MAX)
		c->srv->requests[path][code]++;
	if (http_format_response(at, HEALTH_HTTP_RESPONSE_HEAD_MAX, status,
				 content_type, body_len, keep_alive,
				 extra_headers, &head_len) < 0) {
		/* cannot happen with the sizes above; never send garbage */
		c->close_after = true;
		return;
	}
	memcpy(at + head_len, body, send_len);
	c->out_len += head_len + send_len;
	if (!keep_alive)
		c->close_after = true;
}

/* 400 404 405 408 431: a short text body, then close. */
static void answer_error(struct health_http_conn *c, enum metrics_path path,
			 int status, bool head_only)
{
	char body[64];
	struct textbuf t;

	textbuf_init(&t, body, sizeof(body));
	textbuf_putu(&t, (unsigned)status, 10, 0);
	textbuf_puts(&t, " ");
	textbuf_puts(&t, http_reason_phrase(status));
	textbuf_puts(&t, "\n");
	c->linger = true;
	respond(c, path, status, "text/plain; charset=utf-8", body, t.len,
		head_only, false,
		status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

/*
 * The /metrics body for @c's request: the last one built, if it was built
 * after the request was read; else a new one. So /metrics answered one
 * after another from heads read at once (a pipelined batch, heads kept
 * while answers were unsent) share one snapshot, which leaves out the
 * answers sent after it (pidone_health_requests_total), while an answer
 * never predates its request: a client that changes something and asks
 * again sees it. The build reads /proc and the cgroup: one per request
 * took 90% of the server's time under a flood of pipelined scrapes, and a
 * /healthz waiting behind them timed out (1 s) almost every time.
 */
static const char *metrics_body(struct health_http_conn *c, uint64_t now,
				size_t *ret_len)
{
	struct health_http *srv = c->srv;

	if (srv->metrics_len == 0 || c->read_at > srv->metrics_at) {
		struct metrics_sample m;

		health_http_sample(srv, now, &m);
		if (metrics_format(&m, srv->metrics, METRICS_TEXT_MAX,
				   &srv->metrics_len) < 0)
			srv->metrics_len = 0; /* cannot happen: it fits */
		srv->metrics_at = srv->reads;
	}
	*ret_len = srv->metrics_len;
	return srv->metrics;
}

/* The answer of /healthz, /livez, /readyz or /metrics. */
static void answer(struct health_http_conn *c, const struct health_http_req *rq)
{
	struct health_http *srv = c->srv;
	uint64_t now = clock_monotonic_ms();
	enum health_probe probe = rq->path == METRICS_PATH_READYZ ?
					  HEALTH_PROBE_READY :
					  HEALTH_PROBE_LIVE;
	const char *type = "application/json";
	char buf[HEALTH_BODY_MAX];
	const char *body = buf;
	size_t len = 0;
	int status = 200, r = 0;

	if (rq->path == METRICS_PATH_METRICS) {
		body = metrics_body(c, now, &len);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else {
		bool ok = probe == HEALTH_PROBE_READY ?
				  health_ready(srv->health, now) :
				  health_live(srv->health, now);

		status = ok ? 200 : 503;
		if (rq->verbose) {
			/* the label without its slash: "healthz" */
			r = health_format_verbose(srv->health, now, probe,
						  metrics_path_label(rq->path) +
							  1,
						  buf, sizeof(buf), &len);
			type = "text/plain; charset=utf-8";
		} else {
			r = health_format_json(srv->health, now, probe, buf,
					       sizeof(buf), &len);
		}
	}
	if (r < 0)
		len = 0; /* cannot happen: the buffer fits any body */
	respond(c, rq->path, status, type, body, len, rq->head, rq->keep_alive,
		NULL);
}

/* --- ready-tcp -------------------------------------------------------- */

static void conn_work(struct health_http_conn *c);

/*
 * The ready-tcp check @gen ended (readytcp.h): answer every /readyz that
 * waited for it. A resumed connection may start a newer check, whose
 * waiters are left alone.
 */
static void tcp_done(void *data, unsigned gen)
{
	struct health_http *srv = data;

	for (unsigned i = 0; srv->conns && i < srv->n_used; i++) {
		struct health_http_conn *c = &srv->conns[i];

		if (c->state != HEALTH_HTTP_WAITING || c->wait_gen != gen)
			continue;
		c->state = HEALTH_HTTP_WRITING;
		answer(c, &c->waiting);
		conn_work(c);
	}
}

/* --- requests --------------------------------------------------------- */

static void handle_request(struct health_http_conn *c,
			   const struct http_request *req)
{
	struct health_http_req rq = {
		.path = metrics_path_from(req->path.ptr, req->path.len),
		.head = req->method == HTTP_METHOD_HEAD,
		.verbose = http_query_has(req, "verbose"),
		.keep_alive = req->keep_alive,
	};
	/* "OPTIONS *" names no path: only its method is wrong (405) */
	bool asterisk = req->path.len == 1 && req->path.ptr[0] == '*';

	/* a body we never read: close gracefully after the answer */
	if (req->has_body)
		c->linger = true;
	if (rq.path == METRICS_PATH_OTHER && !asterisk) {
		answer_error(c, rq.path, 404, rq.head);
	} else if (req->method == HTTP_METHOD_OTHER) {
		answer_error(c, rq.path, 405, false);
	} else if (rq.path == METRICS_PATH_READYZ &&
		   readytcp_wait_needed(&c->srv->tcp)) {
		c->state = HEALTH_HTTP_WAITING;
		c->waiting = rq;
		c->wait_gen = c->srv->tcp.gen;
	} else {
		answer(c, &rq);
	}
}

/*
 * Answer up to @max complete heads from in, in order, while each answer
 * is sure to fit and nothing stops the connection (a wait, a close).
 * Returns how many heads were taken.
 */
static unsigned conn_serve(struct health_http_conn *c, unsigned max)
{
	unsigned n = 0;

	while (n < max && c->state != HEALTH_HTTP_WAITING && !c->close_after &&
	       c->in_off < c->in_len &&
	       HEALTH_HTTP_OUT_MAX - c->out_len >= RESPONSE_MAX) {
		struct http_request req;
		size_t avail = c->in_len - c->in_off;
		int r = http_parse_request(c->in + c->in_off, avail,
					   c->last_len, &req);

		if (r == HTTP_PARSE_INCOMPLETE) {
			c->last_len = avail;
			if (avail == HTTP_HEAD_MAX)
				answer_error(c, METRICS_PATH_OTHER, 431, false);
			break;
		}
		if (r < 0) {
			answer_error(c, METRICS_PATH_OTHER, 400, false);
			break;
		}
		c->in_off += (size_t)r;
		c->last_len = 0;
		c->since = ++c->srv->events;
		c->served = true;
		/* the next head's clock starts once this answer is out */
		set_timer(c, TIMER_NONE);
		handle_request(c, &req);
		n++;
		if (++c->srv->since_yield % HEALTH_HTTP_YIELD_EVERY == 0 &&
		    c->srv->yield)
			c->srv->yield(c->srv->yield_data);
	}
	return n;
}

/*
 * Send, answer, send, until SERVE_BATCH requests are answered, the socket
 * is full or no complete head is left; then wait for what comes next
 * (table above). Ends with the watchers set, or the connection closed.
 */
static void conn_work(struct health_http_conn *c)
{
	unsigned served = 0;

	for (;;) {
		enum flush_result f = conn_flush(c);
		unsigned n;

		if (f == FLUSH_CLOSED)
			return;
		if (c->state == HEALTH_HTTP_WAITING) {
			conn_set_state(c, HEALTH_HTTP_WAITING);
			return;
		}
		if (f == FLUSH_BLOCKED) {
			conn_set_state(c, HEALTH_HTTP_WRITING);
			return;
		}
		if (c->close_after) {
			conn_finish(c);
			return;
		}
		if (served == SERVE_BATCH)
			break;
		n = conn_serve(c, SERVE_BATCH - served);
		if (n == 0 && c->out_len == 0 && !c->close_after)
			break;
		served += n;
	}
	/* more heads may wait: the socket's room brings us back next pass */
	conn_set_state(c, served == SERVE_BATCH && c->in_off < c->in_len ?
				  HEALTH_HTTP_WRITING :
				  HEALTH_HTTP_READING);
}

/*
 * Read once, after the input not handled yet (moved to the front).
 * Returns false when the connection was closed (EOF, reset).
 */
static bool conn_read(struct health_http_conn *c)
{
	ssize_t n;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	n = recv(c->fd, c->in + c->in_len, HTTP_HEAD_MAX - c->in_len, 0);
	if (n > 0) {
		c->in_len += (size_t)n;
		c->read_at = ++c->srv->reads;
		return true;
	}
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return true;
	/* EOF or reset: nothing is owed to a client that left */
	conn_close(c);
	return false;
}

static void conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct health_http_conn *c = w->data;

	(void)loop;
	if (c->state == HEALTH_HTTP_LINGERING) {
		/* discard until the client's FIN, which closes */
		c->in_off = c->in_len = 0;
		(void)conn_read(c);
		return;
	}
	if ((revents & EV_READ) && !conn_read(c))
		return;
	conn_work(c);
}

static void conn_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct health_http_conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->timer_mode != TIMER_HEAD || c->state != HEALTH_HTTP_READING) {
		conn_close(c);
		return;
	}
	c->timer_mode = TIMER_NONE;
	answer_error(c, METRICS_PATH_OTHER, 408, false);
	conn_work(c);
}

/* --- accepting -------------------------------------------------------- */

/*
 * At the cap: close the connection that has gone longest without a
 * complete request, a lingering one first, then an idle kept-alive one,
 * then any (a slow sender, a client not reading its answers). Returns
 * its slot, free now.
 */
static struct health_http_conn *evict(struct health_http *srv)
{
	/* callers know one is open; closing a closed slot does nothing */
	struct health_http_conn *victim = &srv->conns[0];
	int best = 4;

	for (unsigned i = 0; i < srv->n_used; i++) {
		struct health_http_conn *c = &srv->conns[i];
		int rank = 2;

		if (c->state == HEALTH_HTTP_LINGERING)
			rank = 0;
		else if (c->state == HEALTH_HTTP_READING && c->served &&
			 c->in_off == c->in_len)
			rank = 1;
		if (c->state != HEALTH_HTTP_CLOSED &&
		    (rank < best ||
		     (rank == best && c->since < victim->since))) {
			victim = c;
			best = rank;
		}
	}
	srv->evictions++;
	conn_close(victim);
	return victim;
}

static void conn_open(struct health_http *srv, int fd)
{
	struct health_http_conn *c = NULL;

	for (unsigned i = 0;
	     !c && srv->n_open < srv->conns_max && i < HEALTH_HTTP_CONNS_MAX;
	     i++)
		if (srv->conns[i].state == HEALTH_HTTP_CLOSED)
			c = &srv->conns[i];
	if (!c) {
		log_once(srv, LOGGED_FULL, 0, NULL,
			 "connection limit reached, closing the connection "
			 "that has gone longest without a request");
		c = evict(srv);
	}
	if ((unsigned)(c - srv->conns) >= srv->n_used)
		srv->n_used = (unsigned)(c - srv->conns) + 1;
	memset(c, 0, offsetof(struct health_http_conn, in));
	c->srv = srv;
	c->fd = fd;
	c->since = ++srv->events;
	ev_init(&c->io, conn_io);
	c->io.data = c;
	/*
	 * Requests before new connections within a pass: at the cap every
	 * accept evicts someone, and a probe whose request has arrived must
	 * be read before a burst of reconnecting attackers ages it out.
	 */
	ev_set_priority(&c->io, EV_MINPRI + 1);
	ev_init(&c->timer, conn_timeout);
	c->timer.data = c;
	ev_set_priority(&c->timer, EV_MINPRI + 1);
	c->state = HEALTH_HTTP_READING;
	srv->n_open++;
	/* a probe's request is usually there already: try before waiting */
	if (conn_read(c))
		conn_work(c);
}

static void accept_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct health_http *srv = w->data;

	(void)revents;
	if (srv->spare_fd < 0)
		srv->spare_fd =
			openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
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
		 fd_limit_hint(err),
		 "out of file descriptors, closing new connections at once");
	if (srv->spare_fd < 0)
		return false;
	fd_close(&srv->spare_fd);
	fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	fd_close(&fd);
	srv->spare_fd = openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
	return srv->spare_fd >= 0;
}

/*
 * accept(2) errors that concern one connection only (pending network
 * errors are to be taken as EAGAIN): go on with the next.
 */
static bool accept_transient(int err)
{
	static const int errs[] = { EINTR,	ECONNABORTED, EPROTO,
				    ENETDOWN,	ENOPROTOOPT,  EHOSTDOWN,
				    ENONET,	EHOSTUNREACH, EOPNOTSUPP,
				    ENETUNREACH };

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (err == errs[i])
			return true;
	return false;
}

static void accept_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	struct health_http *srv = w->data;

	(void)revents;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(srv->listen_fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd >= 0) {
			conn_open(srv, fd);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (accept_transient(errno))
			continue;
		/* as at the cap: the oldest makes room (for a probe, maybe) */
		if ((errno == EMFILE || errno == ENFILE) && srv->n_open > 0) {
			log_once(srv,
				 errno == EMFILE ? LOGGED_EMFILE :
						   LOGGED_ENFILE,
				 errno, fd_limit_hint(errno),
				 "out of file descriptors, closing the "
				 "connection that has gone longest without a "
				 "request");
			evict(srv);
			continue;
		}
		if ((errno == EMFILE || errno == ENFILE) &&
		    shed_one(srv, errno))
			continue;
		if (errno != EMFILE && errno != ENFILE)
			log_once(srv, LOGGED_OTHER, errno, NULL,
				 "accept failed, pausing the listener");
		/* an error we cannot shed: rest instead of spinning on it */
		ev_io_stop(loop, &srv->accept_io);
		ev_timer_set(&srv->accept_pause, ACCEPT_PAUSE_S, 0.);
		ev_timer_start(loop, &srv->accept_pause);
		return;
	}
}

/* --- set-up ----------------------------------------------------------- */

/*
 * The connections may not take the fds the rest of pidone needs (a
 * restart's pipe, an app check's socket): under a low open-files limit
 * fewer of them are open at once, and the cap evicts as usual.
 */
static unsigned conns_max(void)
{
	struct rlimit rl;
	unsigned max = HEALTH_HTTP_CONNS_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= HEALTH_HTTP_CONNS_MAX + HEALTH_HTTP_FDS_KEPT)
		return max;
	max = rl.rlim_cur > HEALTH_HTTP_FDS_KEPT + 1 ?
		      (unsigned)rl.rlim_cur - HEALTH_HTTP_FDS_KEPT :
		      1;
	log_emit(LOG_LEVEL_INFO, 0, NULL,
		 LOG_FIELDS(LOG_INT("nofile", (long long)rl.rlim_cur)),
		 "health server: at most %u connections at once, under the "
		 "open-files limit",
		 max);
	return max;
}

/* See health_http.h. */
void health_http_init(struct health_http *srv)
{
	memset(srv, 0, sizeof(*srv));
	srv->listen_fd = -1;
	srv->spare_fd = -1;
	readytcp_init(&srv->tcp);
}

/* See health_http.h. */
int health_http_listen(int *ret_fd, const struct settings *s, char *where,
		       size_t size)
{
	int r = fd_listen(ret_fd, s->health_addr[0] ? s->health_addr : "::",
			  s->health_port, where, size);

	/* no IPv6 in this kernel or namespace: IPv4 alone */
	if (!s->health_addr[0] && (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL ||
				   r == -EPROTONOSUPPORT))
		r = fd_listen(ret_fd, "0.0.0.0", s->health_port, where, size);
	return r;
}

/* See health_http.h. */
const char *health_http_listen_hint(int r, int *ret_exit_code)
{
	/* A setting to change, which the hint names; else out of fds. */
	*ret_exit_code = EX_CONFIG;
	if (r == -EADDRINUSE)
		return "the port is in use: set --health-port "
		       "(PIDONE_HEALTH_PORT) to a free port, or 0 to turn the "
		       "health server off";
	if (r == -EACCES)
		return "ports below 1024 need root or CAP_NET_BIND_SERVICE at "
		       "start: use --health-port 8081 or another port >= 1024";
	if (r == -EADDRNOTAVAIL || r == -EINVAL)
		return "--health-addr must be an address of this host, or :: "
		       "or 0.0.0.0 for all interfaces";
	*ret_exit_code = EX_SOFTWARE;
	return fd_limit_hint(r);
}

/* See health_http.h. */
int health_http_open(struct health_http *srv, const struct settings *s,
		     int *ret_exit_code)
{
	int r;

	if (s->health_port == 0)
		return 0;
	r = health_http_listen(&srv->listen_fd, s, srv->where,
			       sizeof(srv->where));
	if (r == 0)
		return 0;
	log_emit(LOG_LEVEL_ERROR, -r, health_http_listen_hint(r, ret_exit_code),
		 LOG_FIELDS(LOG_STR("address", srv->where)),
		 "cannot listen on %s for the health server", srv->where);
	return r;
}

/* See health_http.h. */
int health_http_start(struct health_http *srv, struct ev_loop *loop,
		      const struct settings *s, struct health *h,
		      const struct supervisor *sup)
{
	void *p;

	/* tcp_done finds no connection table without the listener */
	if (readytcp_start(&srv->tcp, loop, s, h, tcp_done, srv) < 0)
		return -EINVAL;
	if (srv->listen_fd < 0)
		return 0;
	srv->loop = loop;
	srv->health = h;
	srv->sup = sup;
	srv->conns_max = conns_max();
	/*
	 * mmap rather than malloc: the pages stay untouched (zero, not
	 * resident) until a connection uses them, whatever malloc's
	 * thresholds are, and nothing after this needs memory.
	 */
	p = mmap(NULL, mapped_bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_error(NULL,
			  "health server: cannot reserve %zu bytes for "
			  "%u connections",
			  mapped_bytes, HEALTH_HTTP_CONNS_MAX);
		return -ENOMEM;
	}
	srv->conns = p;
	srv->answers = (char *)(srv->conns + HEALTH_HTTP_CONNS_MAX);
	srv->metrics = srv->answers + HEALTH_HTTP_OUT_MAX;

	srv->spare_fd = openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
	if (srv->spare_fd < 0)
		log_warn("health server: cannot open /dev/null as a spare fd, "
			 "running out of fds will pause the listener instead");

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
	_Static_assert(sizeof(ret->health_requests) == sizeof(srv->requests),
		       "the same request table on both sides");

	memset(ret, 0, sizeof(*ret));
	if (srv->sup)
		sample_supervisor(ret, srv->sup);
	if (srv->health)
		sample_health(ret, srv->health, now);
	memcpy(ret->health_requests, srv->requests,
	       sizeof(ret->health_requests));
	ret->health_connections = srv->n_open;
	ret->health_evictions = srv->evictions;
	ret->log_lines_dropped = log_dropped();
}

/* See health_http.h. */
void health_http_done(struct health_http *srv)
{
	if (srv->conns) {
		for (unsigned i = 0; i < srv->n_used; i++)
			conn_close(&srv->conns[i]);
		if (munmap(srv->conns, mapped_bytes) < 0)
			log_warn("health server: cannot unmap its connection "
				 "table, ignoring");
		srv->conns = NULL;
	}
	if (srv->loop) {
		ev_io_stop(srv->loop, &srv->accept_io);
		ev_timer_stop(srv->loop, &srv->accept_pause);
	}
	readytcp_done(&srv->tcp);
	fd_close(&srv->spare_fd);
	fd_close(&srv->listen_fd);
}
