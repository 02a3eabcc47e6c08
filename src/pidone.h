/* SPDX-License-Identifier: MIT */
/*
 * pidone.h - the one state struct (no globals): settings plus every
 * runtime part, owned by main() and reached from watchers through their
 * embedding structs. There are no other globals but log.c's sink.
 */
#ifndef PIDONE_PIDONE_H
#define PIDONE_PIDONE_H

#include <ev.h>
#include <signal.h>
#include <stdbool.h>

#include "health.h"
#include "health_http.h"
#include "notify.h"
#include "settings.h"
#include "signals.h"
#include "supervisor.h"

struct pidone {
	struct settings settings;
	struct ev_loop *loop;
	sigset_t original_mask; /* what pidone was started with */
	bool is_pid1;
	struct signals signals;
	struct supervisor supervisor;
	struct health health; /* the verdicts behind /healthz and /readyz */
	struct health_http http; /* the health side port; listen_fd -1: off */
	struct notify notify; /* NOTIFY_SOCKET; fd -1: off */
	ev_io log_watcher; /* on log_sink_fd() while dropped lines wait */
};

#endif
