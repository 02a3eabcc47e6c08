/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - the /metrics body in the Prometheus text format 0.0.4 (README,
 * Health side port), formatted from a plain struct of numbers.
 *
 * Pure: the server fills a struct metrics_sample from the supervisor, the
 * health state and its own counters, and metrics_format turns it into text
 * in a caller's buffer. No I/O, no globals, no logs, no allocation. Every
 * label value comes from a fixed table (paths, status codes, signal names),
 * never from a client, so the number of series is bounded; nothing here
 * can reveal the command line or the environment.
 */
#ifndef PIDONE_METRICS_H
#define PIDONE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signame.h"

/* The `path` label of pidone_health_requests_total. */
enum metrics_path {
	METRICS_PATH_HEALTHZ,
	METRICS_PATH_LIVEZ,
	METRICS_PATH_READYZ,
	METRICS_PATH_METRICS,
	METRICS_PATH_OTHER, /* anything else, and heads that never parsed */
	METRICS_PATH_MAX
};

/* The `code` label of pidone_health_requests_total: every status sent. */
enum metrics_code {
	METRICS_CODE_200,
	METRICS_CODE_400,
	METRICS_CODE_404,
	METRICS_CODE_405,
	METRICS_CODE_408,
	METRICS_CODE_431,
	METRICS_CODE_503,
	METRICS_CODE_MAX
};

/*
 * Enough for any sample, even with every counter at UINT64_MAX and every
 * signal forwarded (the unit test checks the worst case).
 */
#define METRICS_TEXT_MAX 12288

/*
 * Series read at scrape time from the kernel (the cgroup, /proc/CHILD):
 * each present only when its source could be read, never reported as 0
 * in its place.
 */
enum metrics_read {
	METRICS_CHILD_PID,
	METRICS_CHILD_LAST_EXIT_CODE,
	METRICS_OOM_KILLS,
	METRICS_CONTAINER_MEMORY,
	METRICS_CONTAINER_MEMORY_LIMIT, /* left out when unlimited */
	METRICS_CONTAINER_CPU_USEC,
	METRICS_CONTAINER_PIDS,
	METRICS_CHILD_RSS,
	METRICS_CHILD_CPU_USEC,
	METRICS_CHILD_OPEN_FDS,
	METRICS_READ_MAX
};

/* The `check` label of the app check series. */
enum metrics_app {
	METRICS_APP_READY, /* ready-http */
	METRICS_APP_LIVE, /* live-http */
	METRICS_APP_MAX
};

/* One app check (--ready-http, --live-http). */
struct metrics_app_sample {
	bool on; /* configured: its series are shown */
	bool checked; /* a result for the current child: up and latency */
	bool up; /* the last check succeeded */
	unsigned latency_ms; /* of the last check */
	uint64_t failures_total;
};

/* One reading of everything /metrics shows. */
struct metrics_sample {
	bool child_up; /* the main child runs */
	bool live; /* what /livez would answer now */
	bool ready; /* what /readyz would answer now */
	bool draining; /* a stop waits for the drain (--drain) */
	uint64_t child_restarts;
	uint64_t child_reloads; /* begun: --reload-signal, --watch */
	uint64_t zombies_reaped; /* processes reaped other than main children */
	/* indexed by signal number; [0] is unused */
	uint64_t signals_forwarded[SIGNAME_MAX + 1];
	uint64_t health_requests[METRICS_PATH_MAX][METRICS_CODE_MAX];
	unsigned health_connections; /* open now */
	uint64_t health_evictions; /* closed to make room at the cap */
	uint64_t log_lines_dropped;
	const char *last_exit_cause; /* "exit"...; NULL until a run ended */
	const char *child_state; /* "running"...; NULL: not said */
	uint64_t read[METRICS_READ_MAX];
	unsigned read_known; /* bit (1 << i): read[i] could be read */
	struct metrics_app_sample app[METRICS_APP_MAX];
};

/*
 * The path label index for a request path of @len bytes ("/healthz"...,
 * without the query); METRICS_PATH_OTHER for anything else.
 */
enum metrics_path metrics_path_from(const char *path, size_t len);

/* The path label of @path: "/healthz"... or "other". */
const char *metrics_path_label(enum metrics_path path);

/* The code label index for HTTP @status; METRICS_CODE_MAX for others. */
enum metrics_code metrics_code_from(int status);

/*
 * Format @m into @buf. Series with labels are written in a fixed order:
 * signals TERM, INT, QUIT and HUP always (the ones container runtimes and
 * people send), any other signal once its count is above zero; every
 * (path, code) pair of the request table, zeros included, so that rate()
 * has a series from the start.
 *
 * NUL-terminated; *@ret_len excludes the NUL and is written only on
 * success. Returns 0, or -ENOBUFS when @buf is too small (then @buf holds
 * a prefix that must not be sent).
 */
int metrics_format(const struct metrics_sample *m, char *buf, size_t buflen,
		   size_t *ret_len);

#endif
