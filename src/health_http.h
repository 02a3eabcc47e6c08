/* SPDX-License-Identifier: MIT */
/*
 * health_http.h - the health side port (man page: HEALTH PORT): a
 * single-threaded HTTP/1.1 server on pidone's event loop that answers
 * /healthz, /livez, /readyz and /metrics from the health state machine.
 *
 * Two steps, because the listener must exist before the privilege drop (a
 * port below 1024 needs root) while the rest runs after it:
 *   health_http_open   socket, bind, listen (nothing on the loop yet)
 *   health_http_start  the connection table and the watchers
 *
 * Limits, all fixed at start, none driven by clients:
 * - HEALTH_HTTP_CONNS_MAX connections, each a struct with its own fixed
 *   buffers (a request head of HTTP_HEAD_MAX bytes in, HEALTH_HTTP_OUT_MAX
 *   for answers its client has not taken yet), in one table mapped at
 *   start whose pages are touched only as connections use them; answers
 *   are made in one shared buffer and copied into a connection's own only
 *   when its socket does not take them at once. No client makes pidone
 *   allocate.
 * - At the cap a new connection is served, and the open one that has
 *   gone longest without a complete request is closed to make room:
 *   lingering ones first, then idle kept-alive ones, then the rest (slow
 *   senders, clients that do not read their answers). Probes come on new
 *   connections, so no number of clients can refuse one.
 * - A request head may take HTTP_HEAD_MAX bytes (else 431) and
 *   HEALTH_HTTP_HEAD_TIMEOUT_S seconds (else 408). The clock for a head
 *   starts at its first byte on a fresh connection, and when the previous
 *   answer has been sent on a kept-alive one (pipelined bytes already
 *   waiting count from there).
 * - A connection with no request under way is closed silently after
 *   HEALTH_HTTP_IDLE_TIMEOUT_S; one whose client takes nothing of its
 *   answers for HEALTH_HTTP_WRITE_TIMEOUT_S is closed too.
 * - Error answers (400 404 405 408 431) close the connection; when bytes
 *   may still be coming, the close is graceful (shutdown, then up to
 *   HEALTH_HTTP_LINGER_S of reading and discarding) so that the client
 *   reads the answer instead of a reset.
 * - Every watcher runs below signals and the reaper (EV_MAXPRI), the
 *   listener lowest of all (requests before new connections); one
 *   callback answers at most a few pipelined requests of its connection,
 *   and every HEALTH_HTTP_YIELD_EVERY requests the pending signals are
 *   read, so a signal waits at most a short stretch of a pass.
 *
 * --ready-tcp (readytcp.h): a /readyz that finds a check due starts one
 * and waits for its result (HEALTH_HTTP_WAITING), and so does every
 * /readyz arriving meanwhile.
 *
 * Owns: the listener, a spare /dev/null fd for the EMFILE trick, one fd per
 * open connection, all close-on-exec; the ready-tcp check; and the
 * connection table, one anonymous mapping from health_http_start to
 * health_http_done.
 */
#ifndef PIDONE_HEALTH_HTTP_H
#define PIDONE_HEALTH_HTTP_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "health.h"
#include "http.h"
#include "metrics.h"
#include "readytcp.h"
#include "settings.h"
#include "supervisor.h"

#define HEALTH_HTTP_CONNS_MAX 256
/*
 * File descriptors the connections leave to the rest of pidone, when the
 * open-files limit would let them take all: about 15 at rest, and the
 * spawn's pipe, the app checks, /proc and cgroup reads on top.
 */
#define HEALTH_HTTP_FDS_KEPT 32
/* Error classes warned about apart (out of fds, the cap...). */
#define HEALTH_HTTP_TROUBLES 4
#define HEALTH_HTTP_YIELD_EVERY 16
#define HEALTH_HTTP_HEAD_TIMEOUT_S 5.0
#define HEALTH_HTTP_IDLE_TIMEOUT_S 5.0
#define HEALTH_HTTP_WRITE_TIMEOUT_S 5.0
#define HEALTH_HTTP_LINGER_S 2.0
/* The largest response head the server writes (with Allow). */
#define HEALTH_HTTP_RESPONSE_HEAD_MAX 512
/*
 * Room for the largest answer (/metrics) plus what may be ahead of it: a
 * typical /metrics answer (4 to 5 KiB), so that a request pipelined
 * behind one is still served in the same pass.
 */
#define HEALTH_HTTP_OUT_MAX \
	(HEALTH_HTTP_RESPONSE_HEAD_MAX + METRICS_TEXT_MAX + 8192)

/* What a connection waits for; its watchers follow from it. */
enum health_http_state {
	HEALTH_HTTP_CLOSED, /* a free slot (a zeroed one is free too) */
	HEALTH_HTTP_READING, /* EV_READ: request bytes */
	HEALTH_HTTP_WRITING, /* EV_WRITE: answers to send, requests to serve */
	HEALTH_HTTP_WAITING, /* no I/O: a /readyz waits for ready-tcp */
	HEALTH_HTTP_LINGERING, /* EV_READ: discarding input until the FIN */
	HEALTH_HTTP_STATE_MAX
};

/* What an answer needs to know of its request, kept across a wait. */
struct health_http_req {
	enum metrics_path path;
	bool head; /* HEAD: no body */
	bool verbose; /* ?verbose */
	bool keep_alive;
};

struct health_http;

struct health_http_conn {
	struct health_http *srv;
	int fd; /* meaningful unless state is HEALTH_HTTP_CLOSED */
	enum health_http_state state;
	ev_io io;
	ev_timer timer;
	int io_events; /* what io is started with; 0 when stopped */
	int timer_mode; /* why timer runs (health_http.c); 0 when stopped */
	uint64_t since; /* srv->events when accepted or last served */
	bool served; /* answered a request: idle now means kept alive */
	bool close_after; /* close once out is sent */
	bool linger; /* ... gracefully: the client may still be sending */
	unsigned wait_gen; /* the ready-tcp check a WAITING /readyz waits for */
	struct health_http_req waiting;
	uint64_t read_at; /* srv->reads after its last read */
	size_t last_len; /* bytes of the head at in_off seen incomplete */
	size_t in_off; /* in[in_off, in_len): input not handled yet */
	size_t in_len;
	size_t out_sent; /* out[out_sent, out_len): answer bytes not sent */
	size_t out_len;
	char *out; /* the server's answers, or own once some wait unsent */
	char in[HTTP_HEAD_MAX];
	char own[HEALTH_HTTP_OUT_MAX];
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

	/* HEALTH_HTTP_CONNS_MAX slots, the lowest free one taken first */
	struct health_http_conn *conns;
	/* open at most: the slots, or fewer under a low RLIMIT_NOFILE */
	unsigned conns_max;
	/*
	 * HEALTH_HTTP_OUT_MAX bytes mapped after the table, where answers
	 * are made and sent from; user is the connection whose unsent
	 * answers are in it (between making and sending them), or NULL.
	 */
	char *answers;
	struct health_http_conn *answers_user;
	/*
	 * METRICS_TEXT_MAX bytes mapped after answers: the last /metrics
	 * body, metrics_len bytes (0 until the first scrape), built when
	 * reads was metrics_at.
	 */
	char *metrics;
	size_t metrics_len;
	uint64_t metrics_at;
	uint64_t reads; /* recv calls that brought bytes, so far */
	unsigned n_open;
	/*
	 * Slots at or past this one were never used: loops over the table
	 * stop here, so that a probe or the exit does not fault in 6 MiB of
	 * pages nobody touched (3 ms at exit, `make bench`).
	 */
	unsigned n_used;
	struct readytcp tcp; /* --ready-tcp */

	/*
	 * Called every HEALTH_HTTP_YIELD_EVERY requests within a pass, so
	 * that a pass over hundreds of pipelining clients lets a signal in
	 * (SIGTERM to the child under a /metrics flood in `make bench`).
	 */
	void (*yield)(void *data);
	void *yield_data;
	unsigned since_yield;

	uint64_t requests[METRICS_PATH_MAX][METRICS_CODE_MAX];
	uint64_t events; /* accepts and complete requests so far */
	uint64_t evictions; /* connections closed to make room at the cap */
	/* per error class: when it was last warned about, else 0 */
	uint64_t warned_ms[HEALTH_HTTP_TROUBLES];
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
 * *@ret_exit_code is as health_http_listen_hint gives it.
 */
int health_http_open(struct health_http *srv, const struct settings *s,
		     int *ret_exit_code);

/*
 * The listening socket of @s's health port into *@ret_fd, and its address
 * as text into @where (as health_http_open, which uses it; `pidone check`
 * tries it too). Returns 0 or -errno; nothing is logged.
 */
int health_http_listen(int *ret_fd, const struct settings *s, char *where,
		       size_t size);

/*
 * The hint for health_http_listen's error @r, and the start's exit code
 * into *@ret_exit_code: EX_CONFIG when a setting must change (a port in
 * use or below 1024 without the right, an address not of this host),
 * else EX_SOFTWARE (out of fds, no memory...).
 */
const char *health_http_listen_hint(int r, int *ret_exit_code);

/*
 * Map the connection table and start serving on @loop: verdicts from @h,
 * metrics from @sup and @h. Without the listener only the ready-tcp
 * check is set up (for the outer supervisor). Returns 0 or -errno
 * (logged).
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

/* Close every connection and the listener; unmap the table. */
void health_http_done(struct health_http *srv);

#endif
