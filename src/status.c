/* SPDX-License-Identifier: MIT */
/*
 * status.c - `pidone status [--json]`. See status.h.
 *
 * A one-shot command: bounded static buffers (the process tree of
 * PTREE_MAX processes is the big one, touched only as far as it is
 * used), one deadline for the three GETs, output written at the end.
 */
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "clock.h"
#include "escape.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "kerntext.h"
#include "log.h"
#include "metrics.h"
#include "oomwatch.h"
#include "parse.h"
#include "probe.h"
#include "ptree.h"
#include "strv.h"
#include "textbuf.h"
#include "banned.h"

/* A verbose answer or /metrics, head included. */
#define ANSWER_MAX (METRICS_TEXT_MAX + 1024)
/* Everything but the process tree. */
#define HEAD_MAX 16384

enum { LIVE, READY, METRICS, ASKED };
static const char *const paths[ASKED] = { "/healthz?verbose", "/readyz?verbose",
					  "/metrics" };

struct asked {
	int status; /* 0: no answer */
	const char *body;
	size_t len;
};

/* Does @m's body start as pidone's /healthz?verbose does? */
static bool starts_as_pidone(const struct asked *m)
{
	return m->len >= 8 && (memcmp(m->body, "[+]child", 8) == 0 ||
			       memcmp(m->body, "[-]child", 8) == 0);
}

/* GET the three paths; false when no pidone answered the first. */
static bool ask(const struct settings *s, char bufs[ASKED][ANSWER_MAX],
		struct asked out[ASKED], char *where, size_t where_size,
		char *why, size_t why_size)
{
	struct probe_target targets[2];
	struct probe_answer a;
	uint64_t deadline = clock_monotonic_ms_syscall() + s->probe_timeout_ms;
	size_t n;
	int r;

	/* All three start unanswered: the caller reads every one. */
	for (int i = 0; i < ASKED; i++)
		out[i] = (struct asked){ 0 };
	for (int i = 0; i < ASKED; i++) {
		r = probe_targets(s, paths[i], targets, 2, &n);
		if (r == -ENOENT) {
			textbuf_snprintf(why, why_size,
					 "health port disabled "
					 "(--health-port 0)");
			return false;
		}
		if (r < 0) {
			textbuf_snprintf(why, why_size,
					 "no health port to ask: %s",
					 strerror(-r));
			return false;
		}
		r = probe_fetch(targets, n, deadline, bufs[i], ANSWER_MAX, &a);
		if (r < 0 && i == 0) {
			textbuf_snprintf(why, why_size, "%s:%u: %s",
					 a.target->host, a.target->port,
					 strerror(-r));
			return false;
		}
		textbuf_snprintf(where, where_size, "%s:%u", a.target->host,
				 a.target->port);
		if (r == 0)
			out[i] = (struct asked){ a.status, bufs[i] + a.body_off,
						 a.len - a.body_off };
		/* pidone's ?verbose starts with its child check: an app on
		 * the port (PID 1 not pidone, 8081 taken) is not pidone */
		if (i == 0 && !starts_as_pidone(&out[0])) {
			textbuf_snprintf(
				why, why_size,
				"%s answers, but not as pidone's health "
				"port (no [+]child line in /healthz?verbose)",
				where);
			return false;
		}
	}
	return true;
}

/* A number from /metrics ("name value" lines); false when absent. */
static bool metric(const struct asked *m, const char *name, uint64_t *ret)
{
	return m->status == 200 &&
	       kerntext_key_u64(m->body, m->len, name, ret) == 0;
}

/*
 * The label of the one series of @family ("\npidone_child_state{state=\"")
 * into @buf, or "". pidone's labels are lowercase words and '-': anything
 * else on the port is not printed or put in JSON.
 */
static void label(const struct asked *m, const char *family, char *buf,
		  size_t size)
{
	size_t klen = strlen(family), n = 0;
	const char *p =
		m->status == 200 ? memmem(m->body, m->len, family, klen) : NULL;

	if (p) {
		/* Only here: without an answer the body is NULL. */
		const char *end = m->body + m->len;

		p += klen;
		while (p + n < end && n + 1 < size &&
		       (p[n] == '-' || (p[n] >= 'a' && p[n] <= 'z')))
			n++;
		if (p + n == end || p[n] != '"')
			n = 0;
	}
	memcpy(buf, p ? p : "", n);
	buf[n] = '\0';
}

/*
 * Seconds since the process @pid started; false when unknown. /proc/uptime
 * ("12345.67 ...") is read as clock ticks by hand: sscanf("%lf") would
 * link musl's whole scanf and float parser, 10 KB of a 200 KB binary.
 */
static bool uptime_of(int pid, uint64_t *ret)
{
	char buf[1024], *end;
	struct kerntext_stat st;
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long long sec, cs = 0, up;
	ssize_t n;

	if (ptree_stat(pid, &st) < 0 || hz <= 0)
		return false;
	n = fd_read_file(AT_FDCWD, "/proc/uptime", buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return false;
	buf[n] = '\0';
	errno = 0;
	sec = strtoull(buf, &end, 10);
	if (errno != 0 || sec > UINT32_MAX)
		return false;
	if (end[0] == '.' && end[1] >= '0' && end[1] <= '9' && end[2] >= '0' &&
	    end[2] <= '9')
		cs = (unsigned long long)(end[1] - '0') * 10 +
		     (unsigned long long)(end[2] - '0');
	up = sec * (unsigned long long)hz + cs * (unsigned long long)hz / 100;
	if (up < st.start_ticks)
		return false;
	*ret = (up - st.start_ticks) / (unsigned long long)hz;
	return true;
}

/* The verbose lines but the verdict, labelled, escaped: one per line. */
static void checks_text(struct textbuf *t, const struct asked *a,
			const char *label)
{
	const char *p = a->body, *end = p ? p + a->len : NULL;
	char line[1024];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 2 && p[0] == '[') {
			escape(line, sizeof(line), p, n, ESC_TEXT, NULL);
			textbuf_printf(t, "  %s %s\n", label, line);
		}
		p = nl ? nl + 1 : end;
	}
}

/* The same as a JSON array of strings. */
static void checks_json(struct textbuf *t, const struct asked *a)
{
	const char *p = a->body, *end = p ? p + a->len : NULL;
	char line[1024 * 6];
	bool first = true;

	textbuf_puts(t, "[");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 2 && p[0] == '[') {
			escape(line, sizeof(line), p, n < 1024 ? n : 1024,
			       ESC_JSON, NULL);
			textbuf_printf(t, "%s\"%s\"", first ? "" : ",", line);
			first = false;
		}
		p = nl ? nl + 1 : end;
	}
	textbuf_puts(t, "]");
}

static const char *json_text(const char *s, char *buf, size_t size)
{
	escape(buf, size, s, strlen(s), ESC_JSON, NULL);
	return buf;
}

/* The container's cgroup values by their JSON keys. */
static const char *const container_keys[CGROUP_VALUE_MAX] = {
	[CGROUP_MEMORY_BYTES] = "memory_bytes",
	[CGROUP_MEMORY_LIMIT] = "memory_limit_bytes",
	[CGROUP_MEMORY_PEAK] = "memory_peak_bytes",
	[CGROUP_OOM_KILLS] = "oom_kills",
	[CGROUP_CPU_USEC] = "cpu_usec",
	[CGROUP_CPU_LIMIT] = "cpu_limit_millicpus",
	[CGROUP_PIDS] = "pids",
	[CGROUP_PIDS_LIMIT] = "pids_limit",
};

/* Each value, or known[i] false; a "no limit" counts as not known. */
static void read_container(uint64_t *v, bool *known)
{
	/* The tests' cgroup root; never set outside them. */
	const char *root = strv_env_value(environ, OOMWATCH_ROOT_VAR);
	char text[4096];
	struct cgroup cg;
	ssize_t n =
		fd_read_file(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text));

	cgroup_find(&cg, root ? root : "/sys/fs/cgroup", text,
		    n > 0 ? (size_t)n : 0, true);
	for (enum cgroup_value i = 0; i < CGROUP_VALUE_MAX; i++)
		known[i] = cgroup_read(&cg, i, &v[i]) == 0 &&
			   v[i] != KERNTEXT_NO_LIMIT;
	cgroup_close(&cg);
}

/* "12.3 MiB" */
static const char *mib(uint64_t bytes, char *buf, size_t size)
{
	return textbuf_format(buf, size, "%" PRIu64 ".%" PRIu64 " MiB",
			      bytes >> 20, ((bytes & 0xfffff) * 10) >> 20);
}

static void container_text(struct textbuf *t, const uint64_t *v,
			   const bool *known)
{
	char a[32], b[32];
	const char *sep = " "; /* before the next piece */

	textbuf_puts(t, "container:");
	if (!known[CGROUP_MEMORY_BYTES] && !known[CGROUP_MEMORY_PEAK] &&
	    !known[CGROUP_CPU_USEC] && !known[CGROUP_PIDS]) {
		textbuf_puts(t, " no cgroup readable");
		sep = ", ";
	}
	if (known[CGROUP_MEMORY_BYTES]) {
		textbuf_printf(t, "%smemory %s", sep,
			       mib(v[CGROUP_MEMORY_BYTES], a, sizeof(a)));
		if (known[CGROUP_MEMORY_LIMIT])
			textbuf_printf(t, " of %s",
				       mib(v[CGROUP_MEMORY_LIMIT], b,
					   sizeof(b)));
		if (known[CGROUP_MEMORY_PEAK])
			textbuf_printf(t, " (peak %s)",
				       mib(v[CGROUP_MEMORY_PEAK], a,
					   sizeof(a)));
		sep = ", ";
	} else if (known[CGROUP_MEMORY_PEAK]) {
		textbuf_printf(t, "%smemory peak %s", sep,
			       mib(v[CGROUP_MEMORY_PEAK], a, sizeof(a)));
		sep = ", ";
	}
	if (known[CGROUP_CPU_USEC]) {
		textbuf_printf(t, "%scpu %" PRIu64 ".%02" PRIu64 " s", sep,
			       v[CGROUP_CPU_USEC] / 1000000,
			       v[CGROUP_CPU_USEC] % 1000000 / 10000);
		if (known[CGROUP_CPU_LIMIT])
			textbuf_printf(t, " (limit %s CPU%s)",
				       /* thousandths, written as seconds are */
				       seconds_text(v[CGROUP_CPU_LIMIT], a,
						    sizeof(a)),
				       v[CGROUP_CPU_LIMIT] == 1000 ? "" : "s");
		sep = ", ";
	}
	if (known[CGROUP_PIDS]) {
		textbuf_printf(t, "%spids %" PRIu64, sep, v[CGROUP_PIDS]);
		if (known[CGROUP_PIDS_LIMIT])
			textbuf_printf(t, " of %" PRIu64, v[CGROUP_PIDS_LIMIT]);
		sep = ", ";
	}
	if (known[CGROUP_OOM_KILLS])
		textbuf_printf(t, "%soom kills %" PRIu64, sep,
			       v[CGROUP_OOM_KILLS]);
	textbuf_puts(t, "\n");
}

static void container_json(struct textbuf *t, const uint64_t *v,
			   const bool *known)
{
	textbuf_puts(t, "{");
	for (int i = 0, n = 0; i < CGROUP_VALUE_MAX; i++)
		if (known[i])
			textbuf_printf(t, "%s\"%s\":%" PRIu64, n++ ? "," : "",
				       container_keys[i], v[i]);
	textbuf_puts(t, "}");
}

int status_run(const struct settings *s, bool json, int out_fd)
{
	static char bufs[ASKED][ANSWER_MAX], head[HEAD_MAX];
	static char tree[PTREE_MAX * (PTREE_CMD_MAX * 6 + 96)];
	static struct ptree_proc procs[PTREE_MAX], scratch[PTREE_MAX];
	struct asked got[ASKED];
	char where[80] = "", why[160] = "", cause[32], state[16];
	char esc[sizeof(why) * 6];
	uint64_t v[CGROUP_VALUE_MAX], restarts = 0, reloads = 0, up = 0;
	uint64_t code = 0, pid = 0;
	bool known[CGROUP_VALUE_MAX], answered, live, ready, has_pid;
	bool has_counts;
	bool has_code, has_up = false;
	struct textbuf t, tt;
	size_t more = 0;
	int n, scan_err, r;

	answered = ask(s, bufs, got, where, sizeof(where), why, sizeof(why));
	live = answered && got[LIVE].status == 200;
	ready = answered && got[READY].status == 200;
	has_counts =
		metric(&got[METRICS], "pidone_child_restarts_total",
		       &restarts) &&
		metric(&got[METRICS], "pidone_child_reloads_total", &reloads);
	has_code = metric(&got[METRICS], "pidone_child_last_exit_code", &code);
	has_pid = metric(&got[METRICS], "pidone_child_pid", &pid);
	label(&got[METRICS], "\npidone_child_last_exit_cause{cause=\"", cause,
	      sizeof(cause));
	label(&got[METRICS], "\npidone_child_state{state=\"", state,
	      sizeof(state));
	if (!state[0])
		textbuf_snprintf(state, sizeof(state), "unknown");
	/* The pid is pidone's namespace's: ours too, run inside it. */
	if (has_pid)
		has_up = uptime_of((int)pid, &up);
	read_container(v, known);
	/* Since pidone started, as /metrics counts them: the cgroup's own
	 * count also holds the kills before it. */
	if (metric(&got[METRICS], "pidone_oom_kills_total",
		   &v[CGROUP_OOM_KILLS]))
		known[CGROUP_OOM_KILLS] = true;
	n = ptree_scan("/proc", procs, PTREE_MAX, &more);
	scan_err = n < 0 ? -n : 0;
	if (n < 0)
		n = 0;
	ptree_order(procs, (size_t)n, scratch);
	textbuf_init(&tt, tree, sizeof(tree));
	ptree_format(&tt, procs, (size_t)n, json);
	/*
	 * An empty list must not read as "no processes": this process at
	 * least is in a procfs of its own namespace, so none means none is
	 * mounted there (an empty dir, another namespace's).
	 */
	if (scan_err || (n == 0 && more == 0))
		textbuf_printf(&tt,
			       json ? ",\"processes_error\":\"cannot read "
				      "/proc: %s\"" :
				      "  cannot read /proc: %s\n",
			       scan_err ? strerror(scan_err) :
					  "no process in it (not mounted?)");

	textbuf_init(&t, head, sizeof(head));
	if (json) {
		textbuf_printf(&t, "{\"answered\":%s",
			       answered ? "true" : "false");
		if (answered)
			textbuf_printf(&t, ",\"health_port\":\"%s\"", where);
		else
			textbuf_printf(&t, ",\"error\":\"%s\"",
				       json_text(why, esc, sizeof(esc)));
		textbuf_printf(&t, ",\"live\":%s,\"ready\":%s",
			       live ? "true" : "false",
			       ready ? "true" : "false");
		textbuf_puts(&t, ",\"live_checks\":");
		checks_json(&t, &got[LIVE]);
		textbuf_puts(&t, ",\"ready_checks\":");
		checks_json(&t, &got[READY]);
		textbuf_printf(&t,
			       ",\"child\":{\"state\":\"%s\",\"running\":%s",
			       state, has_pid ? "true" : "false");
		if (has_pid)
			textbuf_printf(&t, ",\"pid\":%" PRIu64, pid);
		if (has_up)
			textbuf_printf(&t, ",\"uptime_s\":%" PRIu64, up);
		/* numbers no pidone gave are left out, never made up */
		if (has_counts)
			textbuf_printf(&t,
				       ",\"restarts\":%" PRIu64
				       ",\"reloads\":%" PRIu64,
				       restarts, reloads);
		if (has_code)
			textbuf_printf(&t,
				       ",\"last_exit_code\":%" PRIu64
				       ",\"last_exit_cause\":\"%s\"",
				       code, cause);
		textbuf_puts(&t, "},\"container\":");
		container_json(&t, v, known);
		textbuf_puts(&t, ",\"processes\":");
	} else {
		if (answered)
			textbuf_printf(&t, "pidone at %s: %s, %s\n", where,
				       live ? "live" : "NOT LIVE",
				       ready ? "ready" : "not ready");
		else
			textbuf_printf(&t, "no pidone answers: %s\n", why);
		checks_text(&t, &got[LIVE], "live: ");
		checks_text(&t, &got[READY], "ready:");
		if (answered) {
			textbuf_printf(&t, "child: %s", state);
			if (has_pid)
				textbuf_printf(&t, ", pid %" PRIu64, pid);
			if (has_up)
				textbuf_printf(&t, ", up %" PRIu64 " s", up);
			if (has_counts)
				textbuf_printf(&t, ", restarts %" PRIu64,
					       restarts);
			if (reloads)
				textbuf_printf(&t, ", reloads %" PRIu64,
					       reloads);
			if (has_code)
				textbuf_printf(&t,
					       ", last exit %" PRIu64 " (%s)",
					       code, cause);
			textbuf_puts(&t, "\n");
		}
		container_text(&t, v, known);
		textbuf_puts(&t, "processes:\n");
	}
	r = fd_write_all(out_fd, head, t.len);
	if (r == 0)
		r = fd_write_all(out_fd, tree, tt.len);
	if (r == 0 && json)
		r = fd_write_all(out_fd, "}\n", 2);
	else if (r == 0 && (more > 0 || tt.truncated))
		r = fd_write_all(out_fd, "  ...\n", 6);
	if (r < 0) {
		/* A report nobody could read: not a verdict on pidone. */
		log_emit(LOG_LEVEL_ERROR, r, NULL, NULL, 0,
			 "cannot write the report");
		return EX_SOFTWARE;
	}
	return !answered ? 2 : live ? 0 : 1;
}
