/* SPDX-License-Identifier: MIT */
/*
 * notify.h - the sd_notify side of --ready-notify and --watchdog (README,
 * Options): a unix datagram socket in the abstract namespace whose name
 * the child finds in $NOTIFY_SOCKET, read on the event loop, each datagram
 * fed to the health state machine.
 *
 * The socket exists only when --ready-notify or --watchdog is on. Its name
 * is "@pidone-notify-<pid>-<16 random hex digits>": the abstract namespace
 * needs no writable directory (read-only root filesystems) and leaves no
 * file behind, and systemd's sd_notify() and every reimplementation of it
 * accept the leading '@'. Abstract names are shared by everything in the
 * network namespace (all containers of a Kubernetes pod), so the name is
 * unguessable and, more importantly, every datagram must carry the
 * sender's credentials (SO_PASSCRED) and is accepted only from the main
 * child or a process of its process group; others are dropped (logged at
 * debug).
 *
 * Messages (newline-separated assignments, as systemd reads them):
 *   READY=1           ready-notify check passes (until the child restarts)
 *   STOPPING=1        not ready until the child restarts
 *   STATUS=text       shown in the ready-notify reason while not ready
 *   WATCHDOG=1        watchdog ping
 *   WATCHDOG=trigger  with --watchdog: not live until the child restarts
 * Anything else (RELOADING=1, MAINPID=, FDSTORE=1, WATCHDOG_USEC=...) is
 * ignored; file descriptors sent along are closed at once. A datagram over
 * NOTIFY_DATAGRAM_MAX bytes or holding a NUL byte is dropped whole, like
 * systemd does.
 *
 * Owns one fd (the socket), close-on-exec, so the child does not inherit
 * it: it connects by name.
 */
#ifndef PIDONE_NOTIFY_H
#define PIDONE_NOTIFY_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"
#include "settings.h"
#include "lifecycle.h"

/* The longest datagram accepted; longer ones are dropped. */
#define NOTIFY_DATAGRAM_MAX 4096

/* "@pidone-notify-<pid>-<16 hex>" plus the NUL. */
#define NOTIFY_NAME_MAX 48

/* What notify_apply recognised in one datagram (bits). */
enum notify_seen {
	NOTIFY_SEEN_READY = 1u << 0,
	NOTIFY_SEEN_STOPPING = 1u << 1,
	NOTIFY_SEEN_STATUS = 1u << 2,
	NOTIFY_SEEN_WATCHDOG = 1u << 3,
	NOTIFY_SEEN_TRIGGER = 1u << 4,
};

struct notify {
	int fd; /* the socket, owned; -1 when off */
	ev_io watcher;
	struct health *health;
	const struct lifecycle *lc; /* whose group may send */
	char name[NOTIFY_NAME_MAX]; /* for the child's NOTIFY_SOCKET */
	/* --watchdog: wakes when the limit may have run out, to log it */
	ev_timer silence;
	/* the health's watchdog_last_ms of the silence logged, else 0 */
	uint64_t silence_logged;
};

/* Set the fields so that notify_done works on a never-started struct. */
void notify_init(struct notify *n);

/*
 * When @s asks for --ready-notify or --watchdog: create the socket, watch
 * it on @loop (at the lowest priority: signals and the reaper come first);
 * its name is then in n->name, for the child's NOTIFY_SOCKET. Otherwise do
 * nothing and leave n->name empty. Messages go to @h; senders are checked
 * against @lc's child and group. Returns 0 or -errno (logged).
 */
int notify_start(struct notify *n, struct ev_loop *loop,
		 const struct settings *s, struct health *h,
		 const struct lifecycle *lc);

/* Stop watching and close the socket; accepts a never-started struct. */
void notify_done(struct notify *n, struct ev_loop *loop);

/*
 * Pure: apply one datagram's @len bytes at @msg, received at @now, to @h
 * (the message table above). Lines are split on '\n'; an empty last line
 * is fine. Returns the enum notify_seen bits of what was recognised. The
 * caller has already refused datagrams with NUL bytes.
 */
unsigned notify_apply(struct health *h, const char *msg, size_t len,
		      uint64_t now);

#endif
