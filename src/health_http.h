/* SPDX-License-Identifier: MIT */
/*
 * health_http.h - the health side port (README, Health side port): a single-threaded
 * HTTP/1.1 server on pidone's event loop that answers /healthz, /livez,
 * /readyz and /metrics from the health state machine.
 *
 * Two steps, because the listener must exist before the privilege drop (a
 * port below 1024 needs root) while the rest runs after it:
 *   health_http_open   socket, bind, listen (nothing on the loop yet)
 *   health_http_start  the connection pool and the watchers
 *
 * Limits, all fixed at start, none driven by clients:
 * - HEALTH_HTTP_CONNS_MAX connections, reserved once by health_http_start
 *   with every buffer they can need; one more gets a canned 503 and is
 *   closed.
 * - Memory tracks use, not the cap: requests are read into and answered
 *   from one receive and one response buffer of the server's; a
 *   connection holds buffers of its own only while it keeps bytes between
 *   callbacks (the start of a head, pipelined requests waiting behind an
 *   answer, an answer its client has not taken yet), from pools as big as
 *   the cap, so taking one cannot fail and no client makes pidone
 *   allocate.
 * - A request head may take HTTP_HEAD_MAX bytes (else 431) and
 *   HEALTH_HTTP_HEAD_TIMEOUT_S seconds (else 408). The clock for a head
 *   starts at its first byte on a fresh connection, and when the previous
 *   answer has been sent on a kept-alive one (pipelined bytes already
 *   waiting count from there).
 * - A connection with no request under way is closed silently after
 *   HEALTH_HTTP_IDLE_TIMEOUT_S; one whose client does not take its answer
 *   within HEALTH_HTTP_WRITE_TIMEOUT_S is closed too.
 * - Error answers (400 404 405 408 431) close the connection; when bytes
 *   may still be coming, the close is graceful (shutdown, then up to
 *   HEALTH_HTTP_LINGER_S of reading and discarding) so that the client
 *   reads the answer instead of a reset.
 * - Every watcher runs at EV_MINPRI: signals and the reaper (EV_MAXPRI)
 *   are always handled first, and nothing here blocks.
 *
 * --ready-tcp: a /readyz that finds health_tcp_check_due() starts one
 * non-blocking connect (bounded by HEALTH_HTTP_TCP_TIMEOUT_S); it and every
 * /readyz arriving meanwhile wait for the result, so a probe storm costs
 * one connect per HEALTH_TCP_CACHE_MS.
 *
 * Owns: the listener, a spare /dev/null fd for the EMFILE trick, one fd per
 * open connection and the ready-tcp socket, all close-on-exec; and the
 * arena, one anonymous mapping from health_http_start to health_http_done.
 */
#ifndef PIDONE_HEALTH_HTTP_H
#define PIDONE_HEALTH_HTTP_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "health.h"
#include "metrics.h"
#include "settings.h"
#include "supervisor.h"

#define HEALTH_HTTP_CONNS_MAX 256
#define HEALTH_HTTP_HEAD_TIMEOUT_S 5.0
#define HEALTH_HTTP_IDLE_TIMEOUT_S 5.0
#define HEALTH_HTTP_WRITE_TIMEOUT_S 5.0
#define HEALTH_HTTP_LINGER_S 2.0
#define HEALTH_HTTP_TCP_TIMEOUT_S 1.0

struct health_http_conn;

/*
 * HEALTH_HTTP_CONNS_MAX buffers of one size, handed out last freed first,
 * so the pages a busy pidone touches track how many connections kept
 * bytes at once, not how many ever did.
 */
struct health_http_pool {
	char *base;
	size_t size; /* of one buffer */
	unsigned n_free;
	uint16_t free[HEALTH_HTTP_CONNS_MAX]; /* indexes; the top is last */
};

/* The one ready-tcp connect in flight. */
struct health_http_tcp {
	int fd; /* -1 when no check runs */
	ev_io io;
	ev_timer timer;
	struct sockaddr_storage addr;
	socklen_t addr_len; /* 0: --ready-tcp not set */
	char target[64]; /* "127.0.0.1:5000" for reasons and logs */
};

struct health_http {
	int listen_fd; /* -1: server off */
	int spare_fd; /* /dev/null, given up to accept during EMFILE */
	char where[64]; /* "[::]:8081" */

	struct ev_loop *loop;
	struct health *health;
	const struct supervisor *sup;
	ev_io accept_io;
	ev_timer accept_pause; /* listener paused after ENOBUFS and such */

	/*
	 * One anonymous mapping, reserved at start, holds all of the below;
	 * its pages are touched only as they are used.
	 *
	 * HEALTH_HTTP_CONNS_MAX slots; only the first n_slots have been set
	 * up (a slot is set up when first needed, and the lowest free one is
	 * always taken), so the pages an idle or lightly probed pidone
	 * touches track its peak concurrency, not the cap.
	 */
	void *arena;
	size_t arena_len;
	struct health_http_conn *conns;
	unsigned n_slots;
	unsigned n_open;
	/*
	 * The connection being served reads into in and answers into out
	 * (out_len bytes); both are free again when its callback returns.
	 */
	char *in;
	char *out;
	size_t out_len;
	struct health_http_pool in_pool; /* kept input, HTTP_HEAD_MAX each */
	struct health_http_pool out_pool; /* kept answers */
	struct health_http_tcp tcp;

	uint64_t requests[METRICS_PATH_MAX][METRICS_CODE_MAX];
	uint64_t rejected; /* 503 at the connection cap */
	unsigned logged; /* accept error classes already logged (bits) */
};

/* Set the fields so that health_http_done works on a never-opened struct. */
void health_http_init(struct health_http *srv);

/*
 * Open the listener of @s (health_port, health_addr) before the privilege
 * drop. Port 0: nothing is opened and 0 is returned. No health_addr:
 * IPv6 "::" dual-stack (IPV6_V6ONLY off) when the kernel has IPv6, else
 * "0.0.0.0"; an IPv6 address given is bound dual-stack as well.
 *
 * Returns 0, or -errno after logging the error with a hint; then
 * *@ret_exit_code is EX_CONFIG when the address is not one of this host's
 * (EADDRNOTAVAIL: a settings problem) and EX_SOFTWARE otherwise (port in
 * use, no permission for a low port, no memory...).
 */
int health_http_open(struct health_http *srv, const struct settings *s,
		     int *ret_exit_code);

/*
 * Reserve the connections and their buffers and start serving on @loop:
 * verdicts from @h, metrics from @sup and @h. Does nothing when the
 * listener is not open. Returns 0 or -errno (logged).
 */
int health_http_start(struct health_http *srv, struct ev_loop *loop,
		      const struct settings *s, struct health *h,
		      const struct supervisor *sup);

/*
 * Fill @ret with everything /metrics shows at @now (also for tests and
 * `pidone check`-like callers).
 */
void health_http_sample(const struct health_http *srv, uint64_t now,
			struct metrics_sample *ret);

/* Close every connection and the listener; unmap the arena. */
void health_http_done(struct health_http *srv);

#endif
