/* SPDX-License-Identifier: MIT */
/*
 * test_health.c - the liveness/readiness state machine of src/health.c:
 * scenario tables of events and the verdicts and reasons after each, then
 * the check enumeration and the exact JSON and verbose bodies, truncated.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "health.h"
#include "lifecycle_fake.h"

#define EXITED(code) ((code) << 8) /* a wait status for exit(code) */
#define KILLED(sig) (sig) /* a wait status for death by signal sig */

enum ev {
	EV_CHECK, /* no event, only look */
	EV_FORKED, /* the exec not yet confirmed */
	EV_START,
	EV_EXIT,
	EV_BACKOFF,
	EV_SHUTDOWN,
	EV_PING,
	EV_READY,
	EV_STOPPING,
	EV_STATUS,
	EV_TCP_OK,
	EV_TCP_FAIL,
};

struct step {
	enum ev ev;
	uint64_t t; /* the event's time and when the verdicts are read */
	int wstatus; /* EV_EXIT, EV_BACKOFF */
	const char *text; /* EV_STATUS, EV_TCP_FAIL */
	bool live;
	bool ready;
	const char *live_reason; /* first failing live check; "" when live */
	const char *ready_reason; /* first failing check; "" when ready */
};

struct scenario {
	const char *name;
	struct health_config cfg;
	struct step steps[12];
	size_t n;
};

#define S(...)              \
	{                   \
		__VA_ARGS__ \
	}
#define STEPS(...)                \
	.steps = { __VA_ARGS__ }, \
	.n = sizeof((struct step[]){ __VA_ARGS__ }) / sizeof(struct step)

static const struct scenario scenarios[] = {
	{ "no conditions",
	  { 0 },
	  STEPS(S(EV_CHECK, 0, 0, NULL, false, false, "child not started yet",
		  "child not started yet"),
		S(EV_START, 1000, 0, NULL, true, true, "", ""),
		S(EV_CHECK, 999999999, 0, NULL, true, true, "", "")) },
	{ "a fork is not a start: the exec may still fail",
	  { 0 },
	  STEPS(S(EV_FORKED, 0, 0, NULL, false, false, "child not started yet",
		  "child not started yet"),
		S(EV_START, 1, 0, NULL, true, true, "", ""),
		S(EV_BACKOFF, 2, EXITED(1), NULL, true, false, "",
		  "child exited with status 1, restart pending"),
		S(EV_FORKED, 3, 0, NULL, true, false, "",
		  "child exited with status 1, the next one starting"),
		S(EV_START, 4, 0, NULL, true, true, "", ""),
		S(EV_BACKOFF, 5, EXITED(1), NULL, true, false, "",
		  "child exited with status 1, restart pending"),
		S(EV_FORKED, 6, 0, NULL, true, false, "",
		  "child exited with status 1, the next one starting"),
		/* a stop: live until the child is gone */
		S(EV_SHUTDOWN, 7, 0, NULL, true, false, "",
		  "child exited with status 1, the next one starting")) },
	{ "ready delay",
	  { .ready_delay_ms = 5000 },
	  STEPS(S(EV_START, 10000, 0, NULL, true, false, "",
		  "running 0.0 s of 5 s"),
		S(EV_CHECK, 11299, 0, NULL, true, false, "",
		  "running 1.2 s of 5 s"),
		S(EV_CHECK, 14999, 0, NULL, true, false, "",
		  "running 4.9 s of 5 s"),
		S(EV_CHECK, 15000, 0, NULL, true, true, "", "")) },
	{ "ready delay with decimals",
	  { .ready_delay_ms = 2250 },
	  STEPS(S(EV_START, 0, 0, NULL, true, false, "",
		  "running 0.0 s of 2.25 s"),
		S(EV_CHECK, 2250, 0, NULL, true, true, "", "")) },
	{ "watchdog",
	  { .watchdog_ms = 10000 },
	  STEPS(S(EV_START, 0, 0, NULL, true, true, "", ""),
		S(EV_CHECK, 10000, 0, NULL, true, true, "", ""),
		S(EV_CHECK, 10001, 0, NULL, false, false,
		  "no WATCHDOG=1 for 10.0 s (limit 10 s)",
		  "no WATCHDOG=1 for 10.0 s (limit 10 s)"),
		S(EV_PING, 10500, 0, NULL, true, true, "", ""),
		S(EV_CHECK, 20500, 0, NULL, true, true, "", ""),
		S(EV_CHECK, 22599, 0, NULL, false, false,
		  "no WATCHDOG=1 for 12.0 s (limit 10 s)",
		  "no WATCHDOG=1 for 12.0 s (limit 10 s)"),
		S(EV_PING, 22600, 0, NULL, true, true, "", "")) },
	{ "watchdog, restart resets the period",
	  { .watchdog_ms = 2500 },
	  STEPS(S(EV_START, 0, 0, NULL, true, true, "", ""),
		S(EV_CHECK, 4000, 0, NULL, false, false,
		  "no WATCHDOG=1 for 4.0 s (limit 2.5 s)",
		  "no WATCHDOG=1 for 4.0 s (limit 2.5 s)"),
		S(EV_BACKOFF, 4000, EXITED(1), NULL, true, false, "",
		  "child exited with status 1, restart pending"),
		S(EV_START, 5000, 0, NULL, true, true, "", ""),
		S(EV_CHECK, 7500, 0, NULL, true, true, "", "")) },
	{ "notify",
	  { .ready_notify = true },
	  STEPS(S(EV_START, 0, 0, NULL, true, false, "", "no READY=1 yet"),
		S(EV_STATUS, 1, 0, "Loading model 40%", true, false, "",
		  "no READY=1 yet (STATUS=Loading model 40%)"),
		S(EV_READY, 2, 0, NULL, true, true, "", ""),
		S(EV_STOPPING, 3, 0, NULL, true, false, "",
		  "app sent STOPPING=1"),
		S(EV_BACKOFF, 4, EXITED(0), NULL, true, false, "",
		  "child exited with status 0, restart pending"),
		S(EV_START, 5, 0, NULL, true, false, "", "no READY=1 yet"),
		S(EV_READY, 6, 0, NULL, true, true, "", "")) },
	{ "STOPPING=1 without --ready-notify",
	  { 0 },
	  STEPS(S(EV_START, 0, 0, NULL, true, true, "", ""),
		S(EV_STOPPING, 1, 0, NULL, true, false, "",
		  "app sent STOPPING=1"),
		S(EV_SHUTDOWN, 2, 0, NULL, true, false, "",
		  "shutdown in progress")) },
	{ "ready tcp",
	  { .ready_tcp = true },
	  STEPS(S(EV_START, 1000, 0, NULL, true, false, "", "not checked yet"),
		S(EV_TCP_FAIL, 1000, 0, "connection refused", true, false, "",
		  "connection refused"),
		S(EV_TCP_OK, 2000, 0, NULL, true, true, "", ""),
		S(EV_TCP_FAIL, 3000, 0, NULL, true, false, "", "check failed"),
		S(EV_START, 4000, 0, NULL, true, false, "",
		  "not checked yet")) },
	{ "shutdown",
	  { 0 },
	  STEPS(S(EV_START, 0, 0, NULL, true, true, "", ""),
		S(EV_SHUTDOWN, 100, 0, NULL, true, false, "",
		  "shutdown in progress"),
		S(EV_CHECK, 200, 0, NULL, true, false, "",
		  "shutdown in progress"),
		S(EV_EXIT, 300, KILLED(15), NULL, false, false,
		  "child killed by signal 15 (TERM)",
		  "child killed by signal 15 (TERM)")) },
	{ "exit for good",
	  { .ready_notify = true, .watchdog_ms = 1000 },
	  STEPS(S(EV_START, 0, 0, NULL, true, false, "", "no READY=1 yet"),
		S(EV_READY, 1, 0, NULL, true, true, "", ""),
		S(EV_EXIT, 5000, EXITED(3), NULL, false, false,
		  "child exited with status 3", "child exited with status 3")) },
	{ "backoff",
	  { 0 },
	  STEPS(S(EV_START, 0, 0, NULL, true, true, "", ""),
		S(EV_BACKOFF, 10, KILLED(9), NULL, true, false, "",
		  "child killed by signal 9 (KILL), restart pending"),
		S(EV_CHECK, 20000, 0, NULL, true, false, "",
		  "child killed by signal 9 (KILL), restart pending"),
		S(EV_START, 30000, 0, NULL, true, true, "", ""),
		S(EV_EXIT, 40000, EXITED(2), NULL, false, false,
		  "child exited with status 2", "child exited with status 2")) },
	{ "shutdown during backoff stays not ready after restart",
	  { 0 },
	  STEPS(S(EV_START, 0, 0, NULL, true, true, "", ""),
		S(EV_BACKOFF, 1, EXITED(1), NULL, true, false, "",
		  "child exited with status 1, restart pending"),
		S(EV_SHUTDOWN, 2, 0, NULL, true, false, "",
		  "child exited with status 1, restart pending"),
		S(EV_START, 3, 0, NULL, true, false, "",
		  "shutdown in progress")) },
};

static void apply(struct health *h, const struct step *s)
{
	switch (s->ev) {
	case EV_CHECK:
		break;
	case EV_FORKED:
		child_forked(h, s->t);
		break;
	case EV_START:
		child_started(h, s->t);
		break;
	case EV_EXIT:
		child_exited(h, s->wstatus);
		break;
	case EV_BACKOFF:
		child_backoff(h, s->wstatus);
		break;
	case EV_SHUTDOWN:
		shutdown_begun(h);
		break;
	case EV_PING:
		health_watchdog_ping(h, s->t);
		break;
	case EV_READY:
		health_notify_ready(h);
		break;
	case EV_STOPPING:
		health_notify_stopping(h);
		break;
	case EV_STATUS:
		health_notify_status(h, s->text, strlen(s->text));
		break;
	case EV_TCP_OK:
		health_tcp_result(h, s->t, true, NULL);
		break;
	case EV_TCP_FAIL:
		health_tcp_result(h, s->t, false, s->text);
		break;
	}
}

/* The first failing check's reason for @probe, "" when all pass. */
static const char *first_reason(const struct health *h, uint64_t now,
				enum health_probe probe,
				struct health_check *checks)
{
	size_t n = health_checks(h, now, probe, checks, HEALTH_CHECK_MAX);

	for (size_t i = 0; i < n; i++)
		if (!checks[i].ok)
			return checks[i].reason;
	return "";
}

Test(health, scenarios)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		struct health h;

		health_init(&h, &sc->cfg, fresh_lc());
		for (size_t j = 0; j < sc->n; j++) {
			const struct step *s = &sc->steps[j];
			struct health_check checks[HEALTH_CHECK_MAX];

			apply(&h, s);
			cr_assert_eq(health_live(&h, s->t), s->live,
				     "%s, step %zu: live", sc->name, j);
			cr_assert_eq(health_ready(&h, s->t), s->ready,
				     "%s, step %zu: ready", sc->name, j);
			cr_assert_str_eq(
				first_reason(&h, s->t, HEALTH_PROBE_LIVE,
					     checks),
				s->live_reason, "%s, step %zu: live reason",
				sc->name, j);
			cr_assert_str_eq(
				first_reason(&h, s->t, HEALTH_PROBE_READY,
					     checks),
				s->ready_reason, "%s, step %zu: ready reason",
				sc->name, j);
		}
	}
}

Test(health, tcp_check_due_caches_for_a_second)
{
	struct health_config cfg = { .ready_tcp = true };
	struct health h;

	health_init(&h, &cfg, fresh_lc());
	cr_assert_not(health_tcp_check_due(&h, 0), "no child yet");
	child_started(&h, 1000);
	cr_assert(health_tcp_check_due(&h, 1000), "no result yet");
	health_tcp_result(&h, 1000, false, "connection refused");
	cr_assert_not(health_tcp_check_due(&h, 1000));
	cr_assert_not(health_tcp_check_due(&h, 1999));
	cr_assert(health_tcp_check_due(&h, 2000));
	health_tcp_result(&h, 2000, true, NULL);
	cr_assert_not(health_tcp_check_due(&h, 2999));
	cr_assert(health_tcp_check_due(&h, 3000));
	cr_assert(health_ready(&h, 2500));
	child_started(&h, 2500);
	cr_assert(health_tcp_check_due(&h, 2500), "a restart forgets results");
	cr_assert_not(health_ready(&h, 2500));
	child_backoff(&h, EXITED(1));
	cr_assert_not(health_tcp_check_due(&h, 9000), "no child to check");

	cfg.ready_tcp = false;
	health_init(&h, &cfg, fresh_lc());
	child_started(&h, 0);
	cr_assert_not(health_tcp_check_due(&h, 0), "not configured");
}

Test(health, enumeration_names_probes_and_order)
{
	struct health_config cfg = { .watchdog_ms = 1000,
				     .ready_delay_ms = 1000,
				     .ready_tcp = true,
				     .ready_notify = true };
	static const char *const ready_names[] = { "child",	   "watchdog",
						   "ready-delay",  "ready-tcp",
						   "ready-notify", "shutdown" };
	struct health_check checks[HEALTH_CHECK_MAX];
	struct health h;
	size_t n;

	health_init(&h, &cfg, fresh_lc());
	child_started(&h, 0);
	n = health_checks(&h, 0, HEALTH_PROBE_LIVE, checks, HEALTH_CHECK_MAX);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(checks[0].name, "child");
	cr_assert_str_eq(checks[1].name, "watchdog");
	cr_assert_eq(checks[1].id, HEALTH_CHECK_WATCHDOG);
	cr_assert_eq(checks[1].probe, HEALTH_PROBE_LIVE);

	n = health_checks(&h, 0, HEALTH_PROBE_READY, checks, HEALTH_CHECK_MAX);
	cr_assert_eq(n, 6);
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(checks[i].name, ready_names[i]);
		/* the app checks (test_appcheck.c) are not configured here */
		cr_assert_eq(checks[i].id,
			     (enum health_check_id)(i < 2 ? i :
						    i < 4 ? i + 1 :
							    i + 2));
		cr_assert_eq(checks[i].probe,
			     i < 2 ? HEALTH_PROBE_LIVE : HEALTH_PROBE_READY);
	}
	cr_assert(checks[0].ok);
	cr_assert_str_eq(checks[0].reason, "");
	cr_assert_not(checks[2].ok);
	cr_assert_str_eq(checks[2].reason, "running 0.0 s of 1 s");
	cr_assert_not(checks[3].ok);
	cr_assert_not(checks[4].ok);
	cr_assert(checks[5].ok);

	/* room for fewer: the first ones, no overflow */
	memset(checks, 0x5a, sizeof(checks));
	n = health_checks(&h, 0, HEALTH_PROBE_READY, checks, 3);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(checks[2].name, "ready-delay");
	cr_assert_eq(checks[3].id, (enum health_check_id)0x5a5a5a5a);

	/* nothing configured: child, and shutdown for ready */
	health_init(&h, &(struct health_config){ 0 }, fresh_lc());
	cr_assert_eq(health_checks(&h, 0, HEALTH_PROBE_LIVE, checks, 6), 1);
	cr_assert_eq(health_checks(&h, 0, HEALTH_PROBE_READY, checks, 6), 2);
	cr_assert_str_eq(checks[1].name, "shutdown");
}

Test(health, ready_checks_wait_for_a_running_child)
{
	struct health_config cfg = { .ready_delay_ms = 1000,
				     .ready_tcp = true,
				     .ready_notify = true };
	struct health_check checks[HEALTH_CHECK_MAX];
	struct health h;
	size_t n;

	health_init(&h, &cfg, fresh_lc());
	child_started(&h, 0);
	health_notify_ready(&h);
	health_tcp_result(&h, 0, true, NULL);
	child_backoff(&h, EXITED(1));
	n = health_checks(&h, 5000, HEALTH_PROBE_READY, checks,
			  HEALTH_CHECK_MAX);
	cr_assert_eq(n, 5);
	for (size_t i = 1; i < 4; i++) {
		cr_assert_not(checks[i].ok, "%s", checks[i].name);
		cr_assert_str_eq(checks[i].reason, "child not running");
	}
}

/*
 * A restart's child forked, its exec not confirmed: live, as through the
 * backoff, a stop or not (the child is not gone); not ready, and saying
 * the next one is starting.
 */
Test(health, restart_starting_stays_live_through_a_stop)
{
	struct health_config cfg = { 0 };
	struct health_check c[HEALTH_CHECK_MAX];
	struct health h;

	health_init(&h, &cfg, fresh_lc());
	child_started(&h, 0);
	child_backoff(&h, EXITED(1));
	child_forked(&h, 1000);
	cr_expect(health_live(&h, 1000));
	cr_assert_gt(health_checks(&h, 1000, HEALTH_PROBE_READY, c,
				   HEALTH_CHECK_MAX),
		     0);
	cr_expect_str_eq(c[0].reason,
			 "child exited with status 1, the next one starting");
	shutdown_begun(&h);
	cr_expect(health_live(&h, 1001), "live until the child is gone");
	cr_expect_not(health_ready(&h, 1001));
}

/* A state with every check configured and some failing, for the bodies. */
static void mixed_state(struct health *h)
{
	struct health_config cfg = { .watchdog_ms = 10000,
				     .ready_delay_ms = 5000,
				     .ready_tcp = true,
				     .ready_notify = true };

	health_init(h, &cfg, fresh_lc());
	child_started(h, 0);
	health_tcp_result(h, 1000, false, "connection refused");
}

Test(health, json_bodies)
{
	struct health h;
	char buf[HEALTH_BODY_MAX];
	size_t len = 0;

	mixed_state(&h);
	cr_assert_eq(health_format_json(&h, 1200, HEALTH_PROBE_LIVE, buf,
					sizeof(buf), &len),
		     0);
	cr_assert_str_eq(buf, "{\"status\":\"ok\"}");
	cr_assert_eq(len, strlen(buf));
	cr_assert_eq(health_format_json(&h, 1200, HEALTH_PROBE_READY, buf,
					sizeof(buf), &len),
		     0);
	cr_assert_str_eq(buf, "{\"status\":\"fail\",\"reason\":"
			      "\"running 1.2 s of 5 s\"}");
	cr_assert_eq(len, strlen(buf));
	cr_assert_eq(health_format_json(&h, 12000, HEALTH_PROBE_LIVE, buf,
					sizeof(buf), &len),
		     0);
	cr_assert_str_eq(buf, "{\"status\":\"fail\",\"reason\":"
			      "\"no WATCHDOG=1 for 12.0 s (limit 10 s)\"}");
}

Test(health, json_reason_is_escaped)
{
	struct health h;
	char buf[HEALTH_BODY_MAX];
	size_t len;

	health_init(&h, &(struct health_config){ .ready_tcp = true },
		    fresh_lc());
	child_started(&h, 0);
	health_tcp_result(&h, 0, false,
			  "bad \"host\" C:\\x\n\x01\xff caf\xc3\xa9");
	cr_assert_eq(health_format_json(&h, 0, HEALTH_PROBE_READY, buf,
					sizeof(buf), &len),
		     0);
	/* control bytes became spaces, the invalid byte '?' */
	cr_assert_str_eq(buf, "{\"status\":\"fail\",\"reason\":"
			      "\"bad \\\"host\\\" C:\\\\x  ? caf\xc3\xa9\"}");
	cr_assert_eq(len, strlen(buf));
}

Test(health, json_truncation)
{
	static const char head[] = "{\"status\":\"fail\",\"reason\":\"";
	struct health h;
	char buf[64];
	size_t len = 4242, min = sizeof(head) - 1 + 2 + 1;

	health_init(&h, &(struct health_config){ .ready_tcp = true },
		    fresh_lc());
	child_started(&h, 0);
	/* a quote falls exactly on the cut: "ab\"" needs 4 bytes, 3 fit */
	health_tcp_result(&h, 0, false, "ab\"cd");

	cr_assert_eq(health_format_json(&h, 0, HEALTH_PROBE_READY, buf, min - 1,
					&len),
		     -ENOBUFS);
	cr_assert_eq(len, 4242, "ret_len written on error");
	cr_assert_eq(health_format_json(&h, 0, HEALTH_PROBE_READY, buf, min,
					&len),
		     0);
	cr_assert_str_eq(buf, "{\"status\":\"fail\",\"reason\":\"\"}");
	cr_assert_eq(health_format_json(&h, 0, HEALTH_PROBE_READY, buf, min + 3,
					&len),
		     0);
	cr_assert_str_eq(buf, "{\"status\":\"fail\",\"reason\":\"ab\"}");
	cr_assert_eq(len, min + 2 - 1);
	cr_assert_eq(health_format_json(&h, 0, HEALTH_PROBE_READY, buf, min + 4,
					&len),
		     0);
	cr_assert_str_eq(buf, "{\"status\":\"fail\",\"reason\":\"ab\\\"\"}");

	/* never half a UTF-8 character: "\xc3\xa9" needs 2, 1 fits */
	health_tcp_result(&h, 0, false, "a\xc3\xa9");
	cr_assert_eq(health_format_json(&h, 0, HEALTH_PROBE_READY, buf, min + 2,
					&len),
		     0);
	cr_assert_str_eq(buf, "{\"status\":\"fail\",\"reason\":\"a\"}");

	/* ok needs 16 bytes */
	health_init(&h, &(struct health_config){ 0 }, fresh_lc());
	child_started(&h, 0);
	cr_assert_eq(health_format_json(&h, 0, HEALTH_PROBE_LIVE, buf, 15,
					&len),
		     -ENOBUFS);
	cr_assert_eq(
		health_format_json(&h, 0, HEALTH_PROBE_LIVE, buf, 16, &len), 0);
	cr_assert_eq(len, 15);
}

Test(health, verbose_bodies)
{
	struct health h;
	char buf[HEALTH_BODY_MAX];
	size_t len = 0;

	mixed_state(&h);
	cr_assert_eq(health_format_verbose(&h, 1200, HEALTH_PROBE_READY, NULL,
					   buf, sizeof(buf), &len),
		     0);
	cr_assert_str_eq(buf, "[+]child ok\n"
			      "[+]watchdog ok\n"
			      "[-]ready-delay failed: running 1.2 s of 5 s\n"
			      "[-]ready-tcp failed: connection refused\n"
			      "[-]ready-notify failed: no READY=1 yet\n"
			      "[+]shutdown ok\n"
			      "readyz check failed\n");
	cr_assert_eq(len, strlen(buf));

	cr_assert_eq(health_format_verbose(&h, 1200, HEALTH_PROBE_LIVE, NULL,
					   buf, sizeof(buf), &len),
		     0);
	cr_assert_str_eq(buf, "[+]child ok\n[+]watchdog ok\n"
			      "livez check passed\n");
	cr_assert_eq(health_format_verbose(&h, 1200, HEALTH_PROBE_LIVE,
					   "healthz", buf, sizeof(buf), &len),
		     0);
	cr_assert_str_eq(buf, "[+]child ok\n[+]watchdog ok\n"
			      "healthz check passed\n");

	health_notify_ready(&h);
	health_tcp_result(&h, 5000, true, NULL);
	shutdown_begun(&h);
	cr_assert_eq(health_format_verbose(&h, 5000, HEALTH_PROBE_READY, NULL,
					   buf, sizeof(buf), &len),
		     0);
	cr_assert_str_eq(buf, "[+]child ok\n"
			      "[+]watchdog ok: not judged during a stop or "
			      "reload\n"
			      "[+]ready-delay ok\n[+]ready-tcp ok\n"
			      "[+]ready-notify ok\n"
			      "[-]shutdown failed: shutdown in progress\n"
			      "readyz check failed\n");
}

/*
 * During a drain the app is live and serving while /readyz says why not,
 * with the time left; once the stop went out only the shutdown remains.
 */
Test(health, drain_is_live_not_ready_with_the_time_left)
{
	struct health_config cfg = { 0 };
	struct health h;
	struct health_check first[HEALTH_CHECK_MAX];
	char buf[HEALTH_BODY_MAX];
	size_t len = 0, n;

	health_init(&h, &cfg, fresh_lc());
	child_started(&h, 0);
	cr_assert(health_ready(&h, 900));
	drain_begun(&h, 1000, SIGTERM, SIGQUIT, 5000);
	cr_expect(health_live(&h, 1000), "the app runs on during the drain");
	cr_expect_not(health_ready(&h, 1000), "not ready from the signal on");
	cr_assert_eq(health_format_verbose(&h, 1800, HEALTH_PROBE_READY, NULL,
					   buf, sizeof(buf), &len),
		     0);
	cr_expect_str_eq(buf, "[+]child ok\n"
			      "[-]shutdown failed: shutdown in progress: "
			      "draining, 4.2 s of 5 s left, then SIGQUIT\n"
			      "readyz check failed\n");
	cr_assert_eq(health_format_json(&h, 6000, HEALTH_PROBE_READY, buf,
					sizeof(buf), &len),
		     0);
	cr_expect_str_eq(buf,
			 "{\"status\":\"fail\",\"reason\":\"shutdown "
			 "in progress: draining, 0.0 s of 5 s left, then "
			 "SIGQUIT\"}",
			 "a late probe shows none left, never a negative");
	cr_assert_eq(health_format_verbose(&h, 1800, HEALTH_PROBE_LIVE, NULL,
					   buf, sizeof(buf), &len),
		     0);
	cr_expect_str_eq(buf, "[+]child ok\nlivez check passed\n");

	drain_ended(&h);
	cr_expect(health_live(&h, 6001));
	n = health_checks(&h, 6001, HEALTH_PROBE_READY, first,
			  HEALTH_CHECK_MAX);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(first[1].reason, "shutdown in progress");
}

/*
 * A reload: not ready from its start (its drain says so, and what goes
 * out after it), live all along, the ending child too (the next starts at
 * once), and ready again once the new child runs.
 */
Test(health, reload_is_live_not_ready_until_the_new_child)
{
	struct health_config cfg = { 0 };
	struct health h;
	struct health_check c[HEALTH_CHECK_MAX];
	size_t n;

	health_init(&h, &cfg, fresh_lc());
	child_started(&h, 0);
	drain_begun(&h, 1000, SIGTERM, SIGTERM, 5000);
	fake_lc.shutting_down = false;
	fake_lc.reloading = true;
	cr_expect(health_live(&h, 1000));
	cr_expect_not(health_ready(&h, 1000));
	n = health_checks(&h, 1800, HEALTH_PROBE_READY, c, HEALTH_CHECK_MAX);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(c[1].reason, "reload in progress: draining, 4.2 s of "
				      "5 s left, then SIGTERM");
	drain_ended(&h);
	n = health_checks(&h, 6001, HEALTH_PROBE_READY, c, HEALTH_CHECK_MAX);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(c[1].reason, "reload in progress");
	child_ended(LIFECYCLE_ENDING, 15);
	cr_expect(health_live(&h, 6100), "the next child starts at once");
	cr_expect_not(health_ready(&h, 6100));
	fake_lc.reloading = false;
	child_started(&h, 6200);
	cr_expect(health_ready(&h, 6200));
}

Test(health, verbose_truncation)
{
	struct health h;
	char buf[HEALTH_BODY_MAX];
	size_t len = 4242;
	const char *verdict = "readyz check failed\n";
	const char *first = "[+]child ok\n[+]watchdog ok\n";

	mixed_state(&h);
	/* not even the verdict */
	cr_assert_eq(health_format_verbose(&h, 0, HEALTH_PROBE_READY, NULL, buf,
					   strlen(verdict), &len),
		     -ENOBUFS);
	cr_assert_eq(len, 4242, "ret_len written on error");
	/* the verdict alone */
	cr_assert_eq(health_format_verbose(&h, 0, HEALTH_PROBE_READY, NULL, buf,
					   strlen(verdict) + 1, &len),
		     0);
	cr_assert_str_eq(buf, verdict);
	cr_assert_eq(len, strlen(verdict));
	/* the verdict and the ellipsis */
	cr_assert_eq(health_format_verbose(&h, 0, HEALTH_PROBE_READY, NULL, buf,
					   strlen(verdict) + 5, &len),
		     0);
	cr_assert_str_eq(buf, "...\nreadyz check failed\n");
	/* whole lines only, then the ellipsis */
	cr_assert_eq(health_format_verbose(&h, 0, HEALTH_PROBE_READY, NULL, buf,
					   strlen(first) + 4 + strlen(verdict) +
						   1 + 10,
					   &len),
		     0);
	cr_assert_str_eq(buf, "[+]child ok\n[+]watchdog ok\n"
			      "...\nreadyz check failed\n");
	cr_assert_eq(len, strlen(buf));
}

Test(health, status_text_is_cleaned_and_truncated)
{
	struct health h;
	char text[300];
	struct health_check c[HEALTH_CHECK_MAX];

	health_init(&h, &(struct health_config){ .ready_notify = true },
		    fresh_lc());
	child_started(&h, 0);
	health_notify_status(&h,
			     "a\nb\tc\x7f"
			     "d\xc0\xaf",
			     9);
	cr_assert_str_eq(h.status, "a b c d??");

	/* 126 ASCII bytes and a 2-byte character: only 127 fit */
	memset(text, 'x', 126);
	memcpy(text + 126, "\xc3\xa9zz", 4);
	health_notify_status(&h, text, 130);
	cr_assert_eq(strlen(h.status), 126);
	cr_assert_eq(h.status[125], 'x');

	memset(text, 'y', sizeof(text));
	health_notify_status(&h, text, sizeof(text));
	cr_assert_eq(strlen(h.status), HEALTH_STATUS_MAX - 1);
	health_checks(&h, 0, HEALTH_PROBE_READY, c, HEALTH_CHECK_MAX);
	cr_assert_eq(strlen(c[1].reason),
		     strlen("no READY=1 yet (STATUS=)") + HEALTH_STATUS_MAX - 1,
		     "the whole STATUS= text is shown");

	/* a surrogate and a code point beyond U+10FFFF are not UTF-8 */
	health_notify_status(
		&h, "\xed\xa0\x80|\xf4\x90\x80\x80|\xf0\x9f\x99\x82", 13);
	cr_assert_str_eq(h.status, "???|????|\xf0\x9f\x99\x82");

	child_started(&h, 1);
	cr_assert_str_eq(h.status, "", "a restart forgets STATUS=");
}

/* The worst case, every check failing at length, fits HEALTH_BODY_MAX. */
Test(health, worst_case_bodies_fit)
{
	struct health_config cfg = { .watchdog_ms = 1,
				     .ready_delay_ms = 4294967295u,
				     .ready_tcp = true,
				     .ready_notify = true };
	char quotes[HEALTH_TCP_REASON_MAX * 2];
	char buf[HEALTH_BODY_MAX];
	struct health h;
	size_t len;

	memset(quotes, '"', sizeof(quotes) - 1);
	quotes[sizeof(quotes) - 1] = '\0';
	health_init(&h, &cfg, fresh_lc());
	child_started(&h, 0);
	health_tcp_result(&h, 0, false, quotes);
	memset(quotes, '\\', sizeof(quotes) - 1);
	health_notify_status(&h, quotes, strlen(quotes));
	health_notify_stopping(&h);
	cr_assert_eq(health_format_verbose(&h, 4294967294u, HEALTH_PROBE_READY,
					   "a-rather-long-label", buf,
					   sizeof(buf), &len),
		     0);
	cr_assert_null(strstr(buf, "...\n"), "verbose body was cut");
	cr_assert_not_null(strstr(buf, "[-]watchdog failed: no WATCHDOG=1 for "
				       "4294967.2 s (limit 0.001 s)\n"));
	cr_assert_not_null(strstr(buf, "[-]ready-delay failed: running "
				       "4294967.2 s of 4294967.295 s\n"));
	cr_assert_not_null(strstr(buf, "[-]shutdown failed"));
	health_init(&h, &(struct health_config){ .ready_tcp = true },
		    fresh_lc());
	child_started(&h, 0);
	memset(quotes, '"', sizeof(quotes) - 1);
	health_tcp_result(&h, 0, false, quotes);
	cr_assert_eq(health_format_json(&h, 0, HEALTH_PROBE_READY, buf,
					sizeof(buf), &len),
		     0);
	/* 95 quotes, each escaped to two bytes, none dropped */
	cr_assert_eq(len, strlen("{\"status\":\"fail\",\"reason\":\"\"}") +
				  2 * (HEALTH_TCP_REASON_MAX - 1));
}
