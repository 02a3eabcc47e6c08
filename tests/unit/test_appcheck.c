/* SPDX-License-Identifier: MIT */
/*
 * test_appcheck.c - the app checks (--ready-http, --live-http): the pure
 * parts of src/appcheck.c (the request, the judging of an answer against
 * a guard page, the URL as shown), the failure counting and texts of the
 * ready-http and live-http checks in src/health.c, their /metrics series,
 * and the settings that configure them.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "appcheck.h"
#include "config.h"
#include "exitcodes.h"
#include "guard.h"
#include "health.h"
#include "lifecycle_fake.h"
#include "metrics.h"
#include "sample.h"
#include "settings.h"

/* ------------------------------------------------------------------ */
/* The answer                                                            */
/* ------------------------------------------------------------------ */

struct judge_row {
	const char *in;
	bool eof;
	int ret; /* 1: ended, 0: more needed */
	int status;
	const char *error; /* when status is 0 and ret is 1 */
};

static const struct judge_row judge_rows[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, 1, 200,
	  NULL },
	{ "HTTP/1.0 204 No Content\r\n\r\n", true, 1, 204, NULL },
	{ "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
	  false, 1, 302, NULL },
	{ "HTTP/1.1 399 X\r\n\r\n", true, 1, 399, NULL },
	{ "HTTP/1.1 500 Internal Server Error\r\n\r\nbody", true, 1, 500,
	  NULL },
	/* the body is read to its end, or to the close */
	{ "HTTP/1.1 200 OK\r\n\r\nbody", false, 0, 0, NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nbody", false, 0, 0,
	  NULL },
	/* a close (or the timeout) mid-body: the status counts */
	{ "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 999\r\n\r\n",
	  true, 1, 503, NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Le", false, 0, 0, NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Le", true, 1, 0,
	  "connection closed mid-answer" },
	{ "", true, 1, 0, "connection closed before an answer" },
	{ "", false, 0, 0, NULL },
	{ "SSH-2.0-OpenSSH_9.2\r\n", false, 1, 0, "not an HTTP/1.x answer" },
	{ "HTTP/1.1 2000 OK\r\n\r\n", false, 1, 0, "not an HTTP/1.x answer" },
	{ "HTTP/1.1 200OK\r\n\r\n", false, 1, 0, "not an HTTP/1.x answer" },
	{ "<html>hello</html>", true, 1, 0, "not an HTTP/1.x answer" },
};

Test(appcheck, judge_table)
{
	for (size_t i = 0; i < sizeof(judge_rows) / sizeof(judge_rows[0]);
	     i++) {
		const struct judge_row *row = &judge_rows[i];
		struct guard g = guard_copy(row->in, strlen(row->in));
		struct health_app_result r = { .status = -1 };
		int ret = appcheck_judge(g.data, g.len, APPCHECK_READ_MAX,
					 row->eof, &r);

		cr_expect_eq(ret, row->ret, "row %zu: %d", i, ret);
		if (ret == 1) {
			cr_expect_eq(r.status, row->status, "row %zu: %d", i,
				     r.status);
			if (row->error)
				cr_expect_str_eq(r.error, row->error, "row %zu",
						 i);
		}
		guard_free(&g);
	}
}

Test(appcheck, a_full_buffer_ends_the_check)
{
	static char big[APPCHECK_READ_MAX];
	struct health_app_result r = { 0 };
	struct guard g;

	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	g = guard_copy(big, sizeof(big));
	cr_assert_eq(appcheck_judge(g.data, g.len, sizeof(big), false, &r), 1);
	cr_expect_eq(r.status, 0);
	cr_expect_str_eq(r.error, "answer head over 10 KiB");
	/* one byte short of full: more may come */
	cr_expect_eq(appcheck_judge(g.data, g.len - 1, sizeof(big), false, &r),
		     0);
	guard_free(&g);

	/* a head, then a body that fills the buffer: the status counts */
	memcpy(big, "HTTP/1.1 200 OK\r\n\r\n", 19);
	g = guard_copy(big, sizeof(big));
	cr_assert_eq(appcheck_judge(g.data, g.len, sizeof(big), false, &r), 1);
	cr_expect_eq(r.status, 200);
	guard_free(&g);
}

/* ------------------------------------------------------------------ */
/* The request and the URL                                               */
/* ------------------------------------------------------------------ */

Test(appcheck, request_has_host_and_connection_close)
{
	struct probe_target t;
	char buf[APPCHECK_REQUEST_MAX];
	int n;

	cr_assert_eq(probe_parse_url("http://127.0.0.1:8000/health?x=1", &t),
		     0);
	n = appcheck_format_request(&t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "GET /health?x=1 HTTP/1.1\r\n"
			      "Host: 127.0.0.1:8000\r\n"
			      "User-Agent: pidone\r\n"
			      "Accept: */*\r\n"
			      "Connection: close\r\n"
			      "\r\n");
	cr_expect_eq(n, (int)strlen(buf));

	cr_assert_eq(probe_parse_url("http://[::1]:9/", &t), 0);
	cr_assert_gt(appcheck_format_request(&t, buf, sizeof(buf)), 0);
	cr_expect(strstr(buf, "GET / HTTP/1.1\r\nHost: [::1]:9\r\n"), "%s",
		  buf);
	cr_expect_eq(appcheck_format_request(&t, buf, 10), -ENOBUFS);
}

Test(appcheck, longest_path_fits_the_request)
{
	static char url[PROBE_PATH_MAX + 64];
	struct probe_target t;
	char buf[APPCHECK_REQUEST_MAX];
	int n = snprintf(url, sizeof(url),
			 "http://[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:"
			 "65535/");

	memset(url + n, 'p', PROBE_PATH_MAX - 2);
	url[n + PROBE_PATH_MAX - 2] = '\0';
	cr_assert_eq(probe_parse_url(url, &t), 0);
	cr_expect_gt(appcheck_format_request(&t, buf, sizeof(buf)), 0);
}

Test(appcheck, url_text_is_shortened)
{
	char buf[HEALTH_APP_URL_MAX], url[200];

	cr_expect_str_eq(appcheck_url_text("http://127.0.0.1:1/", buf,
					   sizeof(buf)),
			 "http://127.0.0.1:1/");
	memset(url, 'x', sizeof(url));
	memcpy(url, "http://127.0.0.1:1/", 19);
	url[sizeof(url) - 1] = '\0';
	appcheck_url_text(url, buf, sizeof(buf));
	cr_expect_eq(strlen(buf), sizeof(buf) - 1);
	cr_expect_eq(strncmp(buf, url, sizeof(buf) - 4), 0);
	cr_expect_str_eq(buf + sizeof(buf) - 4, "...");
	/* A query may hold a token: the health port never shows it. */
	cr_expect_str_eq(appcheck_url_text("http://127.0.0.1:1/r?token=s3cr3t",
					   buf, sizeof(buf)),
			 "http://127.0.0.1:1/r?...");
	cr_expect_str_eq(appcheck_url_text("http://127.0.0.1:1/r?", buf,
					   sizeof(buf)),
			 "http://127.0.0.1:1/r?...");
}

/* ------------------------------------------------------------------ */
/* Counting failures                                                     */
/* ------------------------------------------------------------------ */

Test(appcheck, status_ok_is_200_to_399)
{
	static const struct {
		int status;
		bool ok;
	} rows[] = { { 0, false },   { 100, false }, { 199, false },
		     { 200, true },  { 204, true },  { 301, true },
		     { 302, true },  { 399, true },  { 400, false },
		     { 404, false }, { 500, false }, { 503, false } };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_expect_eq(health_app_status_ok(rows[i].status), rows[i].ok,
			     "%d", rows[i].status);
}

/* A health state with both app checks, the threshold @n, a child running. */
static void setup(struct health *h, unsigned n)
{
	struct health_config cfg = { .app_failures = n };

	snprintf(cfg.app_url[HEALTH_APP_READY], HEALTH_APP_URL_MAX,
		 "http://127.0.0.1:8000/ready");
	snprintf(cfg.app_url[HEALTH_APP_LIVE], HEALTH_APP_URL_MAX,
		 "http://127.0.0.1:8000/live");
	health_init(h, &cfg, fresh_lc());
	child_started(h, 1000);
}

static void result(struct health *h, enum health_app app, int status,
		   const char *error)
{
	struct health_app_result r = { .status = status,
				       .latency_ms = 7,
				       .error = error };

	health_app_result(h, app, &r);
}

/* The verbose line of check @name for @probe. */
static const char *line_of(const struct health *h, enum health_probe probe,
			   const char *name, char *buf, size_t size)
{
	char body[HEALTH_BODY_MAX], want[32];
	size_t len;
	char *at, *end;

	cr_assert_eq(health_format_verbose(h, 2000, probe, NULL, body,
					   sizeof(body), &len),
		     0);
	snprintf(want, sizeof(want), "]%s ", name);
	at = strstr(body, want);
	cr_assert_not_null(at, "%s not in %s", name, body);
	at -= 2;
	end = strchr(at, '\n');
	snprintf(buf, size, "%.*s", (int)(end - at), at);
	return buf;
}

Test(appcheck, ready_http_needs_a_success_then_n_failures_fail_it)
{
	struct health h;
	char line[256];

	setup(&h, 3);
	cr_expect_not(health_ready(&h, 2000));
	cr_expect_str_eq(line_of(&h, HEALTH_PROBE_READY, "ready-http", line,
				 sizeof(line)),
			 "[-]ready-http failed: not checked yet");
	result(&h, HEALTH_APP_READY, 0, "connection refused");
	cr_expect_not(health_ready(&h, 2000));
	cr_expect_str_eq(
		line_of(&h, HEALTH_PROBE_READY, "ready-http", line,
			sizeof(line)),
		"[-]ready-http failed: GET http://127.0.0.1:8000/ready: "
		"connection refused (no success yet)");
	result(&h, HEALTH_APP_READY, 302, NULL);
	cr_expect(health_ready(&h, 2000));
	cr_expect_str_eq(line_of(&h, HEALTH_PROBE_READY, "ready-http", line,
				 sizeof(line)),
			 "[+]ready-http ok: 302 in 7 ms");
	result(&h, HEALTH_APP_READY, 500, NULL);
	result(&h, HEALTH_APP_READY, 500, NULL);
	cr_expect(health_ready(&h, 2000), "2 of 3 failures: still ready");
	cr_expect_str_eq(line_of(&h, HEALTH_PROBE_READY, "ready-http", line,
				 sizeof(line)),
			 "[+]ready-http ok: GET http://127.0.0.1:8000/ready -> "
			 "500 in 7 ms (2 of 3 failures in a row)");
	result(&h, HEALTH_APP_READY, 0, "timeout after 1 s");
	cr_expect_not(health_ready(&h, 2000));
	cr_expect(health_live(&h, 2000), "ready-http does not touch live");
	cr_expect_str_eq(
		line_of(&h, HEALTH_PROBE_READY, "ready-http", line,
			sizeof(line)),
		"[-]ready-http failed: GET http://127.0.0.1:8000/ready: "
		"timeout after 1 s (3 failures in a row)");
	result(&h, HEALTH_APP_READY, 200, NULL);
	cr_expect(health_ready(&h, 2000), "one success passes again");
	cr_expect_eq(h.app[HEALTH_APP_READY].failures_total, 4);
}

Test(appcheck, live_http_passes_until_n_failures_in_a_row)
{
	struct health h;
	char line[256], body[HEALTH_BODY_MAX];
	size_t len;

	setup(&h, 2);
	result(&h, HEALTH_APP_READY, 200, NULL);
	cr_expect(health_live(&h, 2000), "live before the first check");
	cr_expect_str_eq(line_of(&h, HEALTH_PROBE_LIVE, "live-http", line,
				 sizeof(line)),
			 "[+]live-http ok: not checked yet");
	result(&h, HEALTH_APP_LIVE, 500, NULL);
	cr_expect(health_live(&h, 2000));
	result(&h, HEALTH_APP_LIVE, 200, NULL);
	result(&h, HEALTH_APP_LIVE, 500, NULL);
	cr_expect(health_live(&h, 2000), "a success broke the row");
	result(&h, HEALTH_APP_LIVE, 503, NULL);
	cr_expect_not(health_live(&h, 2000));
	cr_expect_not(health_ready(&h, 2000), "not live is not ready");
	cr_assert_eq(health_format_json(&h, 2000, HEALTH_PROBE_LIVE, body,
					sizeof(body), &len),
		     0);
	cr_expect_str_eq(body, "{\"status\":\"fail\",\"reason\":\"GET "
			       "http://127.0.0.1:8000/live -> 503 in 7 ms (2 "
			       "failures in a row)\"}");
	/* the check is listed for /readyz as well, as a live check */
	cr_expect_str_eq(
		line_of(&h, HEALTH_PROBE_READY, "live-http", line,
			sizeof(line)),
		"[-]live-http failed: GET http://127.0.0.1:8000/live -> "
		"503 in 7 ms (2 failures in a row)");
}

/*
 * Through a stop /healthz stays 200 until the child is gone: a failing
 * live-http (or a silent watchdog) is not judged in the drain, nor in the
 * grace after it, while the app finishes what it serves.
 */
Test(appcheck, live_checks_are_not_judged_during_a_stop)
{
	struct health h;
	char line[256];

	setup(&h, 1);
	h.cfg.watchdog_ms = 1000;
	result(&h, HEALTH_APP_LIVE, 500, NULL);
	cr_expect_not(health_live(&h, 1500));
	drain_begun(&h, 1500, SIGTERM, SIGTERM, 5000);
	cr_expect(health_live(&h, 4000), "live through the drain");
	cr_expect_str_eq(line_of(&h, HEALTH_PROBE_LIVE, "live-http", line,
				 sizeof(line)),
			 "[+]live-http ok: not judged during a stop or reload");
	cr_expect_str_eq(line_of(&h, HEALTH_PROBE_LIVE, "watchdog", line,
				 sizeof(line)),
			 "[+]watchdog ok: not judged during a stop or reload");
	drain_ended(&h);
	cr_expect(health_live(&h, 6600), "nor in the grace after the drain");
	fake_lc.shutting_down = false; /* a child that is not stopping */
	cr_expect_not(health_live(&h, 6700), "judged again");
}

Test(appcheck, a_new_child_starts_over_the_total_stays)
{
	struct health h;

	setup(&h, 1);
	result(&h, HEALTH_APP_LIVE, 500, NULL);
	result(&h, HEALTH_APP_READY, 200, NULL);
	cr_expect_not(health_live(&h, 2000));
	child_backoff(&h, 0);
	cr_expect(health_live(&h, 2000), "live during a restart backoff");
	child_started(&h, 3000);
	cr_expect(health_live(&h, 3000));
	cr_expect_not(health_ready(&h, 3000), "the new child: not checked");
	cr_expect_not(h.app[HEALTH_APP_READY].checked);
	cr_expect_eq(h.app[HEALTH_APP_LIVE].failures, 0);
	cr_expect_eq(h.app[HEALTH_APP_LIVE].failures_total, 1);
}

Test(appcheck, unconfigured_checks_are_not_listed)
{
	struct health h;
	struct health_config cfg = { .app_failures = 3 };
	char body[HEALTH_BODY_MAX];
	size_t len;

	health_init(&h, &cfg, fresh_lc());
	child_started(&h, 1000);
	cr_assert_eq(health_format_verbose(&h, 2000, HEALTH_PROBE_READY, NULL,
					   body, sizeof(body), &len),
		     0);
	cr_expect_str_eq(body, "[+]child ok\n[+]shutdown ok\nreadyz check "
			       "passed\n");
}

Test(appcheck, an_error_text_is_cleaned)
{
	struct health h;

	setup(&h, 1);
	result(&h, HEALTH_APP_READY, 0, "bad\n\x01text");
	cr_expect_str_eq(h.app[HEALTH_APP_READY].error, "bad  text");
	result(&h, HEALTH_APP_READY, 0, NULL);
	cr_expect_str_eq(h.app[HEALTH_APP_READY].error, "check failed");
}

/* ------------------------------------------------------------------ */
/* /metrics                                                              */
/* ------------------------------------------------------------------ */

Test(appcheck, metrics_per_check_constant_labels)
{
	struct health h;
	struct metrics_sample m = { 0 };
	static char buf[METRICS_TEXT_MAX];
	size_t len;

	setup(&h, 3);
	h.cfg.app_url[HEALTH_APP_LIVE][0] = '\0'; /* ready-http only */
	sample_health(&m, &h, 2000);
	cr_assert_eq(metrics_format(&m, buf, sizeof(buf), &len), 0);
	cr_expect(strstr(buf, "pidone_app_check_failures_total{check=\"ready-"
			      "http\"} 0\n"),
		  "%s", buf);
	cr_expect_null(strstr(buf, "pidone_app_check_up"), "not checked yet");
	cr_expect_null(strstr(buf, "live-http"));

	result(&h, HEALTH_APP_READY, 500, NULL);
	h.app[HEALTH_APP_READY].latency_ms = 1234;
	sample_health(&m, &h, 2000);
	cr_assert_eq(metrics_format(&m, buf, sizeof(buf), &len), 0);
	cr_expect(strstr(buf, "# TYPE pidone_app_check_up gauge\n"
			      "pidone_app_check_up{check=\"ready-http\"} 0\n"),
		  "%s", buf);
	cr_expect(strstr(buf, "pidone_app_check_latency_seconds{check=\"ready-"
			      "http\"} 1.234\n"),
		  "%s", buf);
	cr_expect(strstr(buf, "pidone_app_check_failures_total{check=\"ready-"
			      "http\"} 1\n"),
		  "%s", buf);
	cr_expect_null(strstr(buf, "127.0.0.1"), "never the URL");

	result(&h, HEALTH_APP_READY, 200, NULL);
	sample_health(&m, &h, 2000);
	cr_assert_eq(metrics_format(&m, buf, sizeof(buf), &len), 0);
	cr_expect(strstr(buf, "pidone_app_check_up{check=\"ready-http\"} 1\n"),
		  "%s", buf);
}

Test(appcheck, metrics_worst_case_fits)
{
	struct metrics_sample m;
	static char buf[METRICS_TEXT_MAX];
	size_t len;

	/* Every number at its widest; booleans must stay 0 or 1. */
	memset(&m, 0xff, sizeof(m));
	m.child_up = m.live = m.ready = m.draining = true;
	m.last_exit_cause = "grace-kill";
	m.child_state = "restarting";
	for (int i = 0; i < METRICS_APP_MAX; i++)
		m.app[i] = (struct metrics_app_sample){ true, true, true,
							UINT32_MAX,
							UINT64_MAX };
	cr_expect_eq(metrics_format(&m, buf, sizeof(buf), &len), 0);
}

/* ------------------------------------------------------------------ */
/* Settings                                                              */
/* ------------------------------------------------------------------ */

Test(appcheck, settings_defaults)
{
	struct settings s;

	settings_init(&s);
	cr_expect_null(s.ready_http);
	cr_expect_null(s.live_http);
	cr_expect_eq(s.check_interval_ms, 5000);
	cr_expect_eq(s.check_timeout_ms, 1000);
	cr_expect_eq(s.check_failures, 3);
	settings_done(&s);
}

struct value_row {
	enum setting_id id;
	const char *value;
	bool ok;
	const char *problem; /* a part of the message when not ok */
};

static const struct value_row value_rows[] = {
	{ SETTING_READY_HTTP, "http://127.0.0.1:8000/health", true, NULL },
	{ SETTING_READY_HTTP, "http://[::1]:8000/", true, NULL },
	{ SETTING_READY_HTTP, "http://localhost:8000", true, NULL },
	{ SETTING_LIVE_HTTP, "http://127.0.0.1/live?deep=1", true, NULL },
	{ SETTING_READY_HTTP, "https://127.0.0.1/", false, "http://HOST" },
	{ SETTING_READY_HTTP, "http://app.local:8000/", false, "IP" },
	{ SETTING_READY_HTTP, "http://user@127.0.0.1/", false, "http://" },
	{ SETTING_READY_HTTP, "http://127.0.0.1:0/", false, "http://" },
	{ SETTING_READY_HTTP, "http://127.0.0.1:99999/", false, "http://" },
	{ SETTING_LIVE_HTTP, "127.0.0.1:8000", false, "http://" },
	{ SETTING_LIVE_HTTP, "http://[::1/", false, "http://" },
	{ SETTING_LIVE_HTTP, "http://127.0.0.1/a b", false, "http://" },
	{ SETTING_LIVE_HTTP, "", true, "" }, /* none, as the default */
	{ SETTING_LIVE_HTTP, "off", false, "http://" },
	{ SETTING_CHECK_INTERVAL, "0.5", true, NULL },
	{ SETTING_CHECK_INTERVAL, "0", false, "above 0" },
	{ SETTING_CHECK_INTERVAL, "-1", false, "above 0" },
	{ SETTING_CHECK_INTERVAL, "3601", false, "maximum of 3600 seconds" },
	{ SETTING_CHECK_TIMEOUT, "0.1", true, NULL },
	{ SETTING_CHECK_TIMEOUT, "0", false, "above 0" },
	{ SETTING_CHECK_TIMEOUT, "1s", false, "above 0" },
	{ SETTING_CHECK_FAILURES, "1", true, NULL },
	{ SETTING_CHECK_FAILURES, "0", false, "1..1000" },
	{ SETTING_CHECK_FAILURES, "x", false, "1..1000" },
	{ SETTING_CHECK_FAILURES, "1001", false, "maximum of 1000" },
};

Test(appcheck, settings_values)
{
	for (size_t i = 0; i < sizeof(value_rows) / sizeof(value_rows[0]);
	     i++) {
		const struct value_row *row = &value_rows[i];
		struct settings s;
		char problem[256] = "";
		int r;

		settings_init(&s);
		r = settings_set(&s, row->id, row->value, problem,
				 sizeof(problem));
		cr_expect_eq(r == 0, row->ok, "%s: %d %s", row->value, r,
			     problem);
		if (!row->ok)
			cr_expect(strstr(problem, row->problem), "%s: %s",
				  row->value, problem);
		settings_done(&s);
	}
}

Test(appcheck, a_bad_url_is_a_config_error_naming_the_option)
{
	char *argv[] = { "pidone", "--ready-http", "http://db:5432/",
			 "--",	   "app",	   NULL };
	char *envp[] = { "PIDONE_CHECK_FAILURES=0", NULL };
	char *none[] = { NULL };
	struct settings s;
	struct config_error e;
	int action;

	settings_init(&s);
	action = config_load(&s, 5, argv, none, "/nonexistent/pidone.ini", &e);
	cr_expect_lt(action, 0);
	cr_expect_eq(e.exit_code, EX_CONFIG, "%d", e.exit_code);
	cr_expect(strstr(e.text, "--ready-http"), "%s", e.text);
	cr_expect(strstr(e.text, "http://db:5432/"), "%s", e.text);
	settings_done(&s);

	settings_init(&s);
	argv[1] = "app";
	action = config_load(&s, 2, argv, envp, "/nonexistent/pidone.ini", &e);
	cr_expect_lt(action, 0);
	cr_expect_eq(e.exit_code, EX_CONFIG, "%d", e.exit_code);
	cr_expect(strstr(e.text, "PIDONE_CHECK_FAILURES"), "%s", e.text);
	settings_done(&s);
}
