/* SPDX-License-Identifier: MIT */
/*
 * test_metrics.c - the /metrics text of src/metrics.c: label tables,
 * exact series for known samples, the Prometheus 0.0.4 line grammar of
 * every line, the worst case fitting METRICS_TEXT_MAX, and -ENOBUFS for
 * every shorter buffer, written against a PROT_NONE guard page.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memmem */
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "metrics.h"

struct path_row {
	const char *path;
	enum metrics_path want;
};

static const struct path_row path_rows[] = {
	{ "/healthz", METRICS_PATH_HEALTHZ },
	{ "/livez", METRICS_PATH_LIVEZ },
	{ "/readyz", METRICS_PATH_READYZ },
	{ "/metrics", METRICS_PATH_METRICS },
	/* negative rows: near misses are "other" */
	{ "/", METRICS_PATH_OTHER },
	{ "", METRICS_PATH_OTHER },
	{ "/healthz/", METRICS_PATH_OTHER },
	{ "/healthzz", METRICS_PATH_OTHER },
	{ "/health", METRICS_PATH_OTHER },
	{ "/HEALTHZ", METRICS_PATH_OTHER },
	{ "healthz", METRICS_PATH_OTHER },
	{ "/metrics.txt", METRICS_PATH_OTHER },
	{ "/readyz%3F", METRICS_PATH_OTHER },
};

Test(metrics, path_from)
{
	for (size_t i = 0; i < sizeof(path_rows) / sizeof(path_rows[0]); i++) {
		const struct path_row *row = &path_rows[i];
		size_t len = strlen(row->path);
		/* against the guard: a read past the path faults */
		struct guard g = guard_copy(row->path, len);

		cr_expect_eq(metrics_path_from(g.data, len), row->want,
			     "path %s", row->path);
		guard_free(&g);
	}
}

Test(metrics, code_from)
{
	static const int ok[] = { 200, 400, 404, 405, 408, 431, 503 };
	static const int bad[] = { 0, -1, 100, 201, 302, 500, 504, 999 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_expect_eq(metrics_code_from(ok[i]), (enum metrics_code)i,
			     "status %d", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(metrics_code_from(bad[i]), METRICS_CODE_MAX,
			     "status %d", bad[i]);
}

/* Format @m into a static buffer, asserting success. */
static char *format(const struct metrics_sample *m, size_t *ret_len)
{
	static char buf[METRICS_TEXT_MAX];
	size_t len = 0;
	int r = metrics_format(m, buf, sizeof(buf), &len);

	cr_assert_eq(r, 0, "metrics_format: %d", r);
	cr_assert_eq(strlen(buf), len);
	*ret_len = len;
	return buf;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

Test(metrics, zero_sample)
{
	struct metrics_sample m = { 0 };
	size_t len;
	const char *t = format(&m, &len);

	cr_expect(has_line(t, "pidone_child_up 0"));
	cr_expect(has_line(t, "pidone_live 0"));
	cr_expect(has_line(t, "pidone_ready 0"));
	cr_expect(has_line(t, "pidone_draining 0"));
	cr_expect(has_line(t, "# TYPE pidone_draining gauge"));
	cr_expect(has_line(t, "pidone_child_restarts_total 0"));
	cr_expect(has_line(t, "pidone_child_reloads_total 0"));
	cr_expect(has_line(t, "# TYPE pidone_child_reloads_total counter"));
	cr_expect(has_line(t, "pidone_zombies_reaped_total 0"));
	cr_expect(has_line(t, "pidone_log_lines_dropped_total 0"));
	cr_expect(has_line(t, "pidone_health_connections 0"));
	cr_expect(has_line(t, "pidone_health_evictions_total 0"));
	cr_expect(has_line(t, "# TYPE pidone_child_up gauge"));
	cr_expect(has_line(t, "# TYPE pidone_child_restarts_total counter"));
	cr_expect(has_line(t, "# TYPE pidone_signals_forwarded_total counter"));
	cr_expect(has_line(t, "# TYPE pidone_health_requests_total counter"));
	/* the usual stop signals are always there, others only when used */
	cr_expect(has_line(
		t, "pidone_signals_forwarded_total{signal=\"TERM\"} 0"));
	cr_expect(has_line(t,
			   "pidone_signals_forwarded_total{signal=\"INT\"} 0"));
	cr_expect(has_line(
		t, "pidone_signals_forwarded_total{signal=\"QUIT\"} 0"));
	cr_expect(has_line(t,
			   "pidone_signals_forwarded_total{signal=\"HUP\"} 0"));
	cr_expect_null(strstr(t, "signal=\"USR1\""));
	cr_expect_null(strstr(t, "pidone_child_state"), "no state: not said");
	/* every (path, code) pair, zeros included */
	cr_expect(has_line(
		t,
		"pidone_health_requests_total{path=\"/healthz\",code=\"200\"} 0"));
	cr_expect(has_line(
		t,
		"pidone_health_requests_total{path=\"other\",code=\"431\"} 0"));
	cr_expect_eq(t[len - 1], '\n');
}

Test(metrics, values_and_labels)
{
	struct metrics_sample m = {
		.child_up = true,
		.live = true,
		.ready = false,
		.draining = true,
		.child_state = "draining",
		.child_restarts = 3,
		.child_reloads = 4,
		.zombies_reaped = 12345678901234ULL,
		.health_connections = 7,
		.health_evictions = 44,
		.log_lines_dropped = 2,
	};
	size_t len;
	const char *t;

	m.signals_forwarded[SIGTERM] = 1;
	m.signals_forwarded[SIGUSR1] = 5;
	m.signals_forwarded[37] = 1; /* RTMIN+3, as kill -l says */
	m.health_requests[METRICS_PATH_READYZ][METRICS_CODE_503] = 9;
	m.health_requests[METRICS_PATH_OTHER][METRICS_CODE_400] = 1;
	t = format(&m, &len);

	cr_expect(has_line(t, "pidone_child_up 1"));
	cr_expect(has_line(t, "pidone_live 1"));
	cr_expect(has_line(t, "pidone_ready 0"));
	cr_expect(has_line(t, "pidone_draining 1"));
	cr_expect(has_line(t, "pidone_child_state{state=\"draining\"} 1"));
	cr_expect(has_line(t, "# TYPE pidone_child_state gauge"));
	cr_expect(has_line(t, "pidone_child_restarts_total 3"));
	cr_expect(has_line(t, "pidone_child_reloads_total 4"));
	cr_expect(has_line(t, "pidone_zombies_reaped_total 12345678901234"));
	cr_expect(has_line(t, "pidone_health_connections 7"));
	cr_expect(has_line(t, "pidone_health_evictions_total 44"));
	cr_expect(has_line(t, "pidone_log_lines_dropped_total 2"));
	cr_expect(has_line(
		t, "pidone_signals_forwarded_total{signal=\"TERM\"} 1"));
	cr_expect(has_line(
		t, "pidone_signals_forwarded_total{signal=\"USR1\"} 5"));
	cr_expect(has_line(
		t, "pidone_signals_forwarded_total{signal=\"RTMIN+3\"} 1"));
	cr_expect(has_line(
		t,
		"pidone_health_requests_total{path=\"/readyz\",code=\"503\"} 9"));
	cr_expect(has_line(
		t,
		"pidone_health_requests_total{path=\"other\",code=\"400\"} 1"));
	/* USR1 comes after the usual four, in signal order */
	cr_expect_lt(strstr(t, "signal=\"HUP\""), strstr(t, "signal=\"USR1\""));
}

/*
 * Every line is a HELP, a TYPE, or a sample of the family whose TYPE came
 * last; no family is described twice; the text ends with a newline.
 */
static void check_grammar(const char *text)
{
	regex_t help, type, sample;
	char family[128] = "", line[512];
	char seen[64][128];
	size_t n_seen = 0;
	const char *p = text;

	cr_assert_eq(regcomp(&help, "^# HELP [a-z_]+ [ -~]+$", REG_EXTENDED),
		     0);
	cr_assert_eq(regcomp(&type, "^# TYPE ([a-z_]+) (gauge|counter)$",
			     REG_EXTENDED),
		     0);
	cr_assert_eq(
		regcomp(&sample,
			"^([a-z_]+)(\\{[a-z]+=\"[^\"\\\\\n]*\""
			"(,[a-z]+=\"[^\"\\\\\n]*\")*\\})? [0-9]+(\\.[0-9]+)?$",
			REG_EXTENDED),
		0);
	while (*p) {
		const char *nl = strchr(p, '\n');
		regmatch_t mt[3];
		size_t n;

		cr_assert_not_null(nl, "unterminated last line: %s", p);
		n = (size_t)(nl - p);
		cr_assert_lt(n, sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		if (strncmp(line, "# HELP ", 7) == 0) {
			cr_expect_eq(regexec(&help, line, 0, NULL, 0), 0, "%s",
				     line);
		} else if (regexec(&type, line, 3, mt, 0) == 0) {
			snprintf(family, sizeof(family), "%.*s",
				 (int)(mt[1].rm_eo - mt[1].rm_so),
				 line + mt[1].rm_so);
			for (size_t i = 0; i < n_seen; i++)
				cr_expect_neq(strcmp(seen[i], family), 0,
					      "family %s twice", family);
			cr_assert_lt(n_seen, 64);
			snprintf(seen[n_seen++], sizeof(seen[0]), "%s", family);
		} else {
			cr_expect_eq(regexec(&sample, line, 3, mt, 0), 0,
				     "bad line: %s", line);
			cr_expect_eq(strncmp(line, family, strlen(family)), 0,
				     "sample %s outside its family %s", line,
				     family);
		}
		p = nl + 1;
	}
	regfree(&help);
	regfree(&type);
	regfree(&sample);
}

/* The largest text: every counter at its maximum, every signal used. */
static void worst_case(struct metrics_sample *m)
{
	memset(m, 0, sizeof(*m));
	m->child_up = m->live = m->ready = true;
	m->child_restarts = m->zombies_reaped = UINT64_MAX;
	m->health_connections = UINT32_MAX;
	m->health_evictions = m->log_lines_dropped = UINT64_MAX;
	for (int s = 1; s <= SIGNAME_MAX; s++)
		m->signals_forwarded[s] = UINT64_MAX;
	for (int p = 0; p < METRICS_PATH_MAX; p++)
		for (int c = 0; c < METRICS_CODE_MAX; c++)
			m->health_requests[p][c] = UINT64_MAX;
	for (int i = 0; i < METRICS_READ_MAX; i++)
		m->read[i] = UINT64_MAX;
	m->read_known = (1u << METRICS_READ_MAX) - 1;
	m->last_exit_cause = "grace-kill";
}

Test(metrics, series_read_from_the_kernel_only_when_known)
{
	struct metrics_sample m = { 0 };
	size_t len;
	const char *t;

	t = format(&m, &len);
	cr_expect_null(strstr(t, "pidone_container_"), "unknown: left out");
	cr_expect_null(strstr(t, "pidone_oom_kills_total"));
	cr_expect_null(strstr(t, "pidone_child_last_exit_code"));
	cr_expect_null(strstr(t, "pidone_child_last_exit_cause"));

	m.read[METRICS_OOM_KILLS] = 2;
	m.read[METRICS_CONTAINER_MEMORY] = 1234;
	m.read[METRICS_CONTAINER_CPU_USEC] = 2500001;
	m.read[METRICS_CHILD_CPU_USEC] = 40;
	m.read[METRICS_CHILD_OPEN_FDS] = 0; /* known as 0: shown */
	m.read_known =
		1u << METRICS_OOM_KILLS | 1u << METRICS_CONTAINER_MEMORY |
		1u << METRICS_CONTAINER_CPU_USEC |
		1u << METRICS_CHILD_CPU_USEC | 1u << METRICS_CHILD_OPEN_FDS;
	t = format(&m, &len);
	check_grammar(t);
	cr_expect(has_line(t, "pidone_oom_kills_total 2"));
	cr_expect(has_line(t, "# TYPE pidone_oom_kills_total counter"));
	cr_expect(has_line(t, "pidone_container_memory_bytes 1234"));
	cr_expect(has_line(t, "pidone_container_cpu_seconds_total 2.500001"));
	cr_expect(has_line(t, "pidone_child_cpu_seconds_total 0.000040"));
	cr_expect(has_line(t, "pidone_child_open_fds 0"));
	m.last_exit_cause = "oom-kill";
	t = format(&m, &len);
	check_grammar(t);
	cr_expect(has_line(
		t, "pidone_child_last_exit_cause{cause=\"oom-kill\"} 1"));
	cr_expect_null(strstr(t, "pidone_container_memory_limit_bytes"));
	cr_expect_null(strstr(t, "pidone_container_pids"));
	cr_expect_null(strstr(t, "pidone_child_resident_memory_bytes"));
}

Test(metrics, grammar)
{
	struct metrics_sample m = { .ready = true };
	size_t len;

	m.signals_forwarded[SIGWINCH] = 2;
	check_grammar(format(&m, &len));
	worst_case(&m);
	check_grammar(format(&m, &len));
}

Test(metrics, worst_case_fits)
{
	struct metrics_sample m;
	size_t len;
	const char *t;

	worst_case(&m);
	t = format(&m, &len);
	cr_expect_lt(len, METRICS_TEXT_MAX);
	cr_expect(has_line(t,
			   "pidone_signals_forwarded_total{signal=\"RTMAX\"} "
			   "18446744073709551615"));
	/* 4 usual + 60 others (1..64 without KILL, STOP... all counted) */
	cr_expect_not_null(strstr(t, "signal=\"KILL\""));
}

Test(metrics, too_small_buffers)
{
	struct metrics_sample m;
	size_t need, len;
	char zero[METRICS_TEXT_MAX] = { 0 };

	worst_case(&m);
	m.zombies_reaped = 1;
	format(&m, &need);
	/* every size below need + 1 (the NUL) fails, writing nothing past */
	for (size_t size = 0; size <= need;
	     size = size == need     ? need + 1 :
		    size + 97 > need ? need :
				       size + (size < 64 ? 1 : 97)) {
		struct guard g = guard_copy(zero, size);
		size_t sentinel = 12345;

		len = sentinel;
		cr_expect_eq(metrics_format(&m, g.data, size, &len), -ENOBUFS,
			     "size %zu", size);
		cr_expect_eq(len, sentinel, "ret_len written on failure");
		guard_free(&g);
	}
	{
		struct guard g = guard_copy(zero, need + 1);

		cr_expect_eq(metrics_format(&m, g.data, need + 1, &len), 0);
		cr_expect_eq(len, need);
		guard_free(&g);
	}
}
