/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - the Prometheus text of /metrics (see metrics.h).
 *
 * Pure: a struct of numbers in, text in the caller's buffer out. No I/O,
 * no globals, no logs, no allocation. Every label value written here is a
 * constant of this file, a signal name from signame.c or a cause or
 * state name from lifecycle.c, so no escaping is needed and no client can
 * add a series.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "textbuf.h"
#include "banned.h"

/* The path label values, in enum metrics_path order. */
static const char path_labels[METRICS_PATH_MAX][12] = {
	[METRICS_PATH_HEALTHZ] = "/healthz",
	[METRICS_PATH_LIVEZ] = "/livez",
	[METRICS_PATH_READYZ] = "/readyz",
	[METRICS_PATH_METRICS] = "/metrics",
	[METRICS_PATH_OTHER] = "other",
};

/* The status codes, in enum metrics_code order. */
static const int codes[METRICS_CODE_MAX] = {
	[METRICS_CODE_200] = 200, [METRICS_CODE_400] = 400,
	[METRICS_CODE_404] = 404, [METRICS_CODE_405] = 405,
	[METRICS_CODE_408] = 408, [METRICS_CODE_431] = 431,
	[METRICS_CODE_503] = 503,
};

/* The check label values, in enum metrics_app order. */
static const char app_labels[METRICS_APP_MAX][12] = {
	[METRICS_APP_READY] = "ready-http",
	[METRICS_APP_LIVE] = "live-http",
};

/* Signals whose series is always present, in this order. */
static const int usual_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP };

/* The series of enum metrics_read, in that order. */
static const struct {
	const char *name, *type, *help;
	bool usec; /* microseconds, shown as seconds */
} read_series[METRICS_READ_MAX] = {
	[METRICS_CHILD_PID] = { "pidone_child_pid", "gauge",
				"The running main child's pid, in pidone's "
				"PID namespace.",
				false },
	[METRICS_CHILD_LAST_EXIT_CODE] = { "pidone_child_last_exit_code",
					   "gauge",
					   "The main child's last exit status "
					   "(128+N for signal N).",
					   false },
	[METRICS_OOM_KILLS] = { "pidone_oom_kills_total", "counter",
				"Processes of the container the kernel's OOM "
				"killer killed since pidone started.",
				false },
	[METRICS_CONTAINER_MEMORY] = { "pidone_container_memory_bytes", "gauge",
				       "Memory the container's cgroup uses.",
				       false },
	[METRICS_CONTAINER_MEMORY_LIMIT] = { "pidone_container_memory_limit_bytes",
					     "gauge",
					     "The container's cgroup memory limit.",
					     false },
	[METRICS_CONTAINER_CPU_USEC] = { "pidone_container_cpu_seconds_total",
					 "counter",
					 "CPU time the container's cgroup "
					 "used.",
					 true },
	[METRICS_CONTAINER_PIDS] = { "pidone_container_pids", "gauge",
				     "Processes and threads in the "
				     "container's cgroup.",
				     false },
	[METRICS_CHILD_RSS] = { "pidone_child_resident_memory_bytes", "gauge",
				"The main child's resident memory.", false },
	[METRICS_CHILD_CPU_USEC] = { "pidone_child_cpu_seconds_total",
				     "counter",
				     "CPU time of the main child (not of its "
				     "own children); from 0 again with each "
				     "new child, a counter reset.",
				     true },
	[METRICS_CHILD_OPEN_FDS] = { "pidone_child_open_fds", "gauge",
				     "File descriptors the main child has "
				     "open.",
				     false },
};

/* The HELP and TYPE lines of one metric family. */
static void family(struct textbuf *o, const char *name, const char *type,
		   const char *help)
{
	textbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		       type);
}

static void signal_series(struct textbuf *o, const struct metrics_sample *m,
			  int sig)
{
	char name[16];
	const char *text = signame_from_number(sig, name, sizeof(name));

	if (!text) {
		textbuf_snprintf(name, sizeof(name), "%d", sig);
		text = name;
	}
	textbuf_printf(o,
		       "pidone_signals_forwarded_total{signal=\"%s\"} %" PRIu64
		       "\n",
		       text, m->signals_forwarded[sig]);
}

static bool is_usual_signal(int sig)
{
	for (size_t i = 0; i < sizeof(usual_signals) / sizeof(usual_signals[0]);
	     i++)
		if (usual_signals[i] == sig)
			return true;
	return false;
}

/*
 * The configured app checks: each family once, with a series per check;
 * up and latency only once a check ran for the current child.
 */
static void app_series(struct textbuf *o, const struct metrics_sample *m)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "pidone_app_check_up", "gauge",
		  "Whether the app check's last GET answered 200-399 (1) or "
		  "failed (0), by check." },
		{ "pidone_app_check_latency_seconds", "gauge",
		  "How long the app check's last GET took, by check." },
		{ "pidone_app_check_failures_total", "counter",
		  "App checks that failed, by check." },
	};
	bool any_checked = false, any = false;

	for (enum metrics_app i = 0; i < METRICS_APP_MAX; i++) {
		any = any || m->app[i].on;
		any_checked = any_checked ||
			      (m->app[i].on && m->app[i].checked);
	}
	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		if (f < 2 ? !any_checked : !any)
			continue;
		family(o, fam[f].name, fam[f].type, fam[f].help);
		for (enum metrics_app i = 0; i < METRICS_APP_MAX; i++) {
			const struct metrics_app_sample *a = &m->app[i];

			if (!a->on || (f < 2 && !a->checked))
				continue;
			textbuf_printf(o, "%s{check=\"%s\"} ", fam[f].name,
				       app_labels[i]);
			if (f == 0)
				textbuf_printf(o, "%d\n", a->up ? 1 : 0);
			else if (f == 1)
				textbuf_printf(o, "%u.%03u\n",
					       a->latency_ms / 1000,
					       a->latency_ms % 1000);
			else
				textbuf_printf(o, "%" PRIu64 "\n",
					       a->failures_total);
		}
	}
}

/* See metrics.h. */
enum metrics_path metrics_path_from(const char *path, size_t len)
{
	for (enum metrics_path p = 0; p < METRICS_PATH_OTHER; p++)
		if (strlen(path_labels[p]) == len &&
		    memcmp(path_labels[p], path, len) == 0)
			return p;
	return METRICS_PATH_OTHER;
}

/* See metrics.h. */
const char *metrics_path_label(enum metrics_path path)
{
	return path < METRICS_PATH_MAX ? path_labels[path] : "other";
}

/* See metrics.h. */
enum metrics_code metrics_code_from(int status)
{
	for (enum metrics_code c = 0; c < METRICS_CODE_MAX; c++)
		if (codes[c] == status)
			return c;
	return METRICS_CODE_MAX;
}

/* See metrics.h. */
int metrics_format(const struct metrics_sample *m, char *buf, size_t buflen,
		   size_t *ret_len)
{
	struct textbuf o;

	if (buflen == 0)
		return -ENOBUFS;
	textbuf_init(&o, buf, buflen);

	family(&o, "pidone_child_up", "gauge",
	       "Whether the main child process is running (1) or not (0).");
	textbuf_printf(&o, "pidone_child_up %d\n", m->child_up ? 1 : 0);
	family(&o, "pidone_live", "gauge",
	       "Whether /livez and /healthz answer 200 (1) or 503 (0).");
	textbuf_printf(&o, "pidone_live %d\n", m->live ? 1 : 0);
	family(&o, "pidone_ready", "gauge",
	       "Whether /readyz answers 200 (1) or 503 (0).");
	textbuf_printf(&o, "pidone_ready %d\n", m->ready ? 1 : 0);
	family(&o, "pidone_draining", "gauge",
	       "Whether a stop is waiting for the drain (1): the app still "
	       "runs and serves while readiness is off.");
	textbuf_printf(&o, "pidone_draining %d\n", m->draining ? 1 : 0);

	if (m->child_state) {
		family(&o, "pidone_child_state", "gauge",
		       "The main child's state: starting, running, draining, "
		       "stopping, restarting or ended.");
		textbuf_printf(&o, "pidone_child_state{state=\"%s\"} 1\n",
			       m->child_state);
	}

	family(&o, "pidone_child_restarts_total", "counter",
	       "Times the main child was restarted after it exited.");
	textbuf_printf(&o, "pidone_child_restarts_total %" PRIu64 "\n",
		       m->child_restarts);
	family(&o, "pidone_child_reloads_total", "counter",
	       "Reloads begun (--reload-signal, a --watch change): the child "
	       "stopped and started again, not counted as restarts.");
	textbuf_printf(&o, "pidone_child_reloads_total %" PRIu64 "\n",
		       m->child_reloads);
	family(&o, "pidone_zombies_reaped_total", "counter",
	       "Processes reaped other than the main child (orphans and the "
	       "rest of its group).");
	textbuf_printf(&o, "pidone_zombies_reaped_total %" PRIu64 "\n",
		       m->zombies_reaped);

	family(&o, "pidone_signals_forwarded_total", "counter",
	       "Signals pidone received and forwarded, by the signal "
	       "received (before --rewrite).");
	for (size_t i = 0; i < sizeof(usual_signals) / sizeof(usual_signals[0]);
	     i++)
		signal_series(&o, m, usual_signals[i]);
	for (int sig = 1; sig <= SIGNAME_MAX; sig++)
		if (m->signals_forwarded[sig] > 0 && !is_usual_signal(sig))
			signal_series(&o, m, sig);

	family(&o, "pidone_health_requests_total", "counter",
	       "Requests answered by the health server, by path and status "
	       "code.");
	for (enum metrics_path p = 0; p < METRICS_PATH_MAX; p++)
		for (enum metrics_code c = 0; c < METRICS_CODE_MAX; c++)
			textbuf_printf(
				&o,
				"pidone_health_requests_total{path=\"%s\","
				"code=\"%d\"} %" PRIu64 "\n",
				path_labels[p], codes[c],
				m->health_requests[p][c]);
	family(&o, "pidone_health_connections", "gauge",
	       "Connections open to the health server.");
	textbuf_printf(&o, "pidone_health_connections %u\n",
		       m->health_connections);
	family(&o, "pidone_health_evictions_total", "counter",
	       "Connections the health server closed to make room for a new "
	       "one at its connection limit.");
	textbuf_printf(&o, "pidone_health_evictions_total %" PRIu64 "\n",
		       m->health_evictions);

	family(&o, "pidone_log_lines_dropped_total", "counter",
	       "Log lines pidone could not write to stderr.");
	textbuf_printf(&o, "pidone_log_lines_dropped_total %" PRIu64 "\n",
		       m->log_lines_dropped);

	if (m->last_exit_cause) {
		family(&o, "pidone_child_last_exit_cause", "gauge",
		       "Why the main child's last run ended: exit, signal, "
		       "grace-kill or oom-kill.");
		textbuf_printf(&o,
			       "pidone_child_last_exit_cause{cause=\"%s\"} 1\n",
			       m->last_exit_cause);
	}
	for (enum metrics_read i = 0; i < METRICS_READ_MAX; i++) {
		uint64_t v = m->read[i];

		if (!(m->read_known & (1u << i)))
			continue;
		family(&o, read_series[i].name, read_series[i].type,
		       read_series[i].help);
		if (read_series[i].usec)
			textbuf_printf(&o, "%s %" PRIu64 ".%06" PRIu64 "\n",
				       read_series[i].name, v / 1000000,
				       v % 1000000);
		else
			textbuf_printf(&o, "%s %" PRIu64 "\n",
				       read_series[i].name, v);
	}

	app_series(&o, m);
	if (o.truncated)
		return -ENOBUFS;
	*ret_len = o.len;
	return 0;
}
