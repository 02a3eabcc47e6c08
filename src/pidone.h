/* SPDX-License-Identifier: MIT */
/*
 * pidone.h - the one state struct (no globals): settings plus every
 * runtime part, owned by main() and reached from watchers through their
 * embedding structs. There are no other globals but log.c's sink.
 */
#ifndef PIDONE_PIDONE_H
#define PIDONE_PIDONE_H

#include <ev.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>

#include "appcheck.h"
#include "child.h"
#include "dirs.h"
#include "health.h"
#include "health_http.h"
#include "loop.h"
#include "notify.h"
#include "outer.h"
#include "settings.h"
#include "signals.h"
#include "supervisor.h"

/*
 * Only under AddressSanitizer does pidone free what it holds before it
 * exits, so that the teardown stays tested; elsewhere the kernel frees it
 * all for fewer instructions, and valgrind counts what the one state
 * struct still points to as reachable, not lost.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(PIDONE_SANITIZERS)
#define PIDONE_TEARDOWN 1
#endif

/*
 * What a start writes comes first and the big buffers it does not touch
 * come last (or last in their part): each page of this struct that a start
 * writes is a page fault, and another after the fork, which `make bench`
 * times.
 *
 * The fork makes the pages written so far copy-on-write for pidone too,
 * and its first write to each of them after the fork faults again. The
 * spawn writes the supervisor's first fields, so the signalfd's watcher,
 * which every signal's event writes, sits right before them: on the same
 * page (as in the static build), a signal's way to its forwarding and a
 * child's end to pidone's exit take no page fault.
 */
struct pidone {
	struct settings settings;
	struct loop loop;
	sigset_t original_mask; /* what pidone was started with */
	bool sigchld_ignored; /* it was started with SIGCHLD ignored */
	struct health health; /* the verdicts behind /healthz and /readyz */
	struct health_http http; /* the health side port; listen_fd -1: off */
	struct notify notify; /* NOTIFY_SOCKET; fd -1: off */
	struct outer outer; /* the outer supervisor's NOTIFY_SOCKET, LISTEN_FDS */

	/* The child: built once before the first spawn, kept for restarts. */
	struct child_spec spec;
	char **child_env; /* the array only; see child_env_build */
	char env_notify[sizeof("NOTIFY_SOCKET=") + NOTIFY_NAME_MAX];
	char env_watchdog_usec[sizeof("WATCHDOG_USEC=") + 24];
	char env_watchdog_pid[sizeof("WATCHDOG_PID=") + CHILD_PID_DIGITS];
	char env_home[sizeof("HOME=") + 256]; /* "": HOME as it is */

	struct signals signals;
	struct supervisor supervisor;
	struct appcheck app; /* --ready-http, --live-http */
	/*
	 * The dirs a start created, to remove if it fails: 19 KB that, on
	 * the stack, every later frame of a start would be pushed below.
	 */
	struct dirs_created dirs_made;
	char start_dir[PATH_MAX];
};

#endif
