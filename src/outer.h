/* SPDX-License-Identifier: MIT */
/*
 * outer.h - pidone under an outer supervisor: a systemd Type=notify unit
 * or podman --sdnotify=container (the $NOTIFY_SOCKET pidone was started
 * with), and socket activation ($LISTEN_FDS meant for pidone).
 *
 * Notify: pidone itself speaks the sd_notify protocol to the outer
 * socket, one non-blocking datagram per message:
 *   READY=1     once, when readiness first holds (the /readyz verdict,
 *               with the health port on or off)
 *   STOPPING=1  once, when shutdown begins (a terminating signal arrived,
 *               before any drain) or the child ended for good
 *   STATUS=...  when readiness or the child's state changes
 *   WATCHDOG=1  every half $WATCHDOG_USEC while live, when $WATCHDOG_USEC
 *               is meant for pidone ($WATCHDOG_PID absent or pidone's pid)
 * Changes are found by one ev_prepare watcher, which looks at the state
 * each time the loop is about to sleep: whatever woke the loop (a signal,
 * a reaped child, a READY=1 from the app, a ready-tcp result) is seen
 * without a hook in the module that caused it, and an idle loop is not
 * woken by it. The only timers are the watchdog's (only with
 * $WATCHDOG_USEC) and, while the child runs but is not ready yet, a
 * one-shot wake-up for a readiness condition that turns true with time
 * (--ready-delay running out, the next --ready-tcp attempt, once a
 * second), and the retry of a state message that could not be sent.
 *
 * The socket is connected at start, before the privilege drop, so that a
 * socket only root may write to still takes datagrams from the final
 * user. Sending never blocks and never fails pidone: a failure is
 * logged once (warn, with errno's text), the next success at debug. A
 * state message (READY=1, STOPPING=1, STATUS=) that could not be sent is
 * sent again, the state as it is then, on the next wake-up, and a retry
 * timer (1 s doubling to 30 s) makes sure of one; a WATCHDOG=1 is not.
 *
 * Environment of the child: the outer $NOTIFY_SOCKET, and $WATCHDOG_USEC
 * and $WATCHDOG_PID when meant for pidone, are removed (with
 * --ready-notify or --watchdog the child gets pidone's own socket
 * instead, notify.h). With socket activation for pidone the passed fds
 * (3 onwards) stay open in pidone for its whole life, so none of its own
 * fds can take their numbers, and every child inherits them (they came
 * without close-on-exec, or they would not have reached pidone);
 * $LISTEN_PID is set to the child's own pid, $LISTEN_FDS and
 * $LISTEN_FDNAMES pass unchanged. When $LISTEN_PID names another process
 * all three are left alone.
 *
 * Owns one fd: the datagram socket (close-on-exec, non-blocking), -1
 * when pidone was started without $NOTIFY_SOCKET or it is unusable.
 */
#ifndef PIDONE_OUTER_H
#define PIDONE_OUTER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "child.h"
#include "health.h"
#include "lifecycle.h"
#include "readytcp.h"

/* The longest STATUS= text pidone sends, NUL included. */
#define OUTER_STATUS_MAX 200

/* How many child environment entries outer_child_env may add. */
#define OUTER_ENV_MAX 4

/*
 * What the outer supervisor is told the child is doing (STATUS=). From
 * STOPPING on, pidone is on its way out (STOPPING=1).
 */
enum outer_phase {
	OUTER_PHASE_STARTING, /* no child has run yet */
	OUTER_PHASE_NOT_READY, /* the child runs, readiness does not hold */
	OUTER_PHASE_READY, /* the child runs and is ready */
	OUTER_PHASE_RESTARTING, /* it ended, a restart is pending */
	OUTER_PHASE_RELOADING, /* it ended for a reload: the next at once */
	OUTER_PHASE_STOPPING, /* a terminating signal arrived */
	OUTER_PHASE_EXITED, /* it ended for good; pidone is ending */
	OUTER_PHASE_FAILED, /* it could not be started (fork); pidone ends */
	OUTER_PHASE_MAX
};

struct outer {
	int fd; /* to $NOTIFY_SOCKET, owned; -1: none */
	bool connected; /* fd is connected to addr */
	bool send_failed; /* the last send failed (and was logged) */
	struct sockaddr_un addr;
	socklen_t addr_len;
	char socket_text[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];

	/* What pidone's environment said, decided at outer_open. */
	bool notify_socket_set; /* $NOTIFY_SOCKET was there (usable or not) */
	bool watchdog_ours; /* $WATCHDOG_USEC was meant for pidone */
	uint64_t watchdog_usec; /* 0: no WATCHDOG=1 pings */
	unsigned listen_fds; /* > 0: socket activation for pidone */
	char env_listen_pid[sizeof("LISTEN_PID=") + CHILD_PID_DIGITS];

	/* The loop side, from outer_start. */
	struct ev_loop *loop;
	const struct lifecycle *lc;
	struct health *health;
	struct readytcp *tcp; /* NULL: no --ready-tcp to drive */
	ev_prepare prepare;
	ev_timer watchdog;
	ev_timer wake;
	ev_timer retry; /* a state message that could not be sent */
	double retry_s; /* its next delay: 1 s, doubled up to 30 */
	bool ready_sent;
	bool stopping_sent;
	bool status_sent; /* status_key holds what was sent last */
	unsigned status_key;
};

/*
 * Pure: the $NOTIFY_SOCKET value @value as a unix socket address: an
 * absolute path, or "@name" for the abstract namespace. Returns 0, or
 * -EINVAL (empty, relative, "@" alone, a "vsock:" address),
 * -ENAMETOOLONG (does not fit sun_path).
 */
int outer_parse_socket(const char *value, struct sockaddr_un *ret,
		       socklen_t *ret_len);

/*
 * Pure: is the watchdog for process @self, and how often must it be
 * pinged? @usec and @pid are $WATCHDOG_USEC and $WATCHDOG_PID (NULL when
 * unset). *@ret_usec is 0 when there is no watchdog for @self (@usec
 * unset, or @pid another process), else the period in microseconds.
 * Returns 0, or -EINVAL for a value that is not a positive decimal
 * number (0 included), -ERANGE for one too large.
 */
int outer_parse_watchdog(const char *usec, const char *pid, pid_t self,
			 uint64_t *ret_usec);

/*
 * Pure: are there socket-activated fds for process @self? @fds and @pid
 * are $LISTEN_FDS and $LISTEN_PID (NULL when unset). *@ret_n is their
 * number (fds 3 to 3 + n - 1) when @pid is @self, else 0 (@fds or @pid
 * unset, @pid another process). Returns 0, or -EINVAL for a value that is
 * not a decimal number, -ERANGE for a count beyond OUTER_LISTEN_FDS_MAX.
 */
int outer_parse_listen(const char *fds, const char *pid, pid_t self,
		       unsigned *ret_n);

/* More passed fds than this is not socket activation but a mistake. */
#define OUTER_LISTEN_FDS_MAX 4096u

/*
 * Pure: where the child is, from @child (health_child: as the checks see
 * it), @lc's shutdown and runs, and whether readiness @ready holds.
 */
enum outer_phase outer_phase(const struct lifecycle *lc,
			     enum health_child_state child, bool ready);

/*
 * Pure: the STATUS= text for @phase into @buf (@size > 0): @reason says
 * why it is not ready (NOT_READY), @wstatus how the child ended
 * (RESTARTING, EXITED). Truncated to fit. Returns @buf.
 */
const char *outer_status_text(enum outer_phase phase, const char *reason,
			      int wstatus, char *buf, size_t size);

/* Set the fields so that outer_done works on a never-opened struct. */
void outer_init(struct outer *o);

/*
 * Read $NOTIFY_SOCKET, $WATCHDOG_USEC/PID and $LISTEN_FDS/PID from @envp
 * and, when there is a socket, create and connect ours (before the
 * privilege drop). Problems are logged and leave the part they concern
 * off; pidone goes on. Never fails.
 */
void outer_open(struct outer *o, char *const *envp);

/*
 * Add to @set (room for OUTER_ENV_MAX more, NULL-terminated by the
 * caller) the child environment entries this module decides, in
 * child_env_build's form ("NAME" removes, "NAME=value" sets). Returns how
 * many were added.
 */
size_t outer_child_env(struct outer *o, char **set);

/*
 * With socket activation for pidone: where in the child's environment
 * @envp its pid goes (the digits of LISTEN_PID); else NULL.
 */
char *outer_listen_pid_slot(const struct outer *o, char *const *envp);

/*
 * Start telling the outer supervisor about @lc's child on @loop.
 * Readiness and liveness come from @h, started with or without the
 * health port; @tcp, when configured, is the ready-tcp check to run
 * while the child is not ready. Nothing to do without a socket.
 */
void outer_start(struct outer *o, struct ev_loop *loop,
		 const struct lifecycle *lc, struct health *h,
		 struct readytcp *tcp);

/*
 * Tell the last state (the loop has ended: the child's end, STOPPING=1),
 * stop the watchers and close the socket. Accepts a never-opened struct.
 */
void outer_done(struct outer *o);

#endif
