/* SPDX-License-Identifier: MIT */
/*
 * readytcp.h - the --ready-tcp check: does the app accept TCP connections
 * on HOST:PORT? One non-blocking connect at a time, bounded by
 * READYTCP_TIMEOUT_S, its result recorded in the health state machine
 * (health_tcp_result), which caches it for HEALTH_TCP_CACHE_MS.
 *
 * The health server asks readytcp_wait_needed() before it answers a
 * /readyz. When a check had to start and did not end at once, the answer
 * waits: @done is called when the check ends, with the generation the
 * waiters recorded, so a probe storm costs one connect per cache period.
 *
 * Owns: the socket of the check in flight (close-on-exec) and its
 * watchers, at EV_MINPRI like the server's.
 */
#ifndef PIDONE_READYTCP_H
#define PIDONE_READYTCP_H

#include <ev.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "health.h"
#include "settings.h"

#define READYTCP_TIMEOUT_S 1.0

struct readytcp {
	int fd; /* -1 when no check runs */
	unsigned gen; /* counts checks started */
	ev_io io;
	ev_timer timer;
	struct ev_loop *loop;
	struct health *health;
	void (*done)(void *data, unsigned gen);
	void *data;
	struct sockaddr_storage addr;
	socklen_t addr_len; /* 0: --ready-tcp not set */
	char target[64]; /* "127.0.0.1:5000" for reasons and logs */
};

/* Set the fields so that readytcp_done works on a never-started check. */
void readytcp_init(struct readytcp *t);

/*
 * Take the target of @s (ready_tcp_host, "localhost" or none meaning
 * 127.0.0.1, and ready_tcp_port; nothing to do when the port is 0) and
 * the watchers on @loop; results go to @h, ends of awaited checks to
 * @done(@data, gen). Returns 0, or -EINVAL (logged) for a host that is
 * not an IP literal.
 */
int readytcp_start(struct readytcp *t, struct ev_loop *loop,
		   const struct settings *s, struct health *h,
		   void (*done)(void *data, unsigned gen), void *data);

/*
 * Must a /readyz wait for a check? Starts one when it is due and none
 * runs; true while it runs (the caller records t->gen and waits for
 * @done). A connect that ends at once (loopback often refuses or accepts
 * right away) is recorded at once and needs no waiting.
 */
bool readytcp_wait_needed(struct readytcp *t);

/* Stop the check in flight, if any, and close its socket. */
void readytcp_done(struct readytcp *t);

#endif
