/* SPDX-License-Identifier: MIT */
/*
 * health.c - the liveness/readiness state machine and the bodies of the
 * health endpoints (the check table is in health.h).
 *
 * Pure: times come in as monotonic milliseconds, results go out as values
 * and caller-buffer text. No I/O, no globals, no logs, no allocation.
 * Invariant: every text stored here (STATUS=, ready-tcp reasons) is valid
 * UTF-8 without control bytes, so reasons can go into a JSON string or a
 * verbose line as they are, after escaping '"' and '\'.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "exitstatus.h"
#include "escape.h"
#include "health.h"
#include "parse.h"
#include "textbuf.h"
#include "banned.h"

/* "no READY=1 yet (STATUS=...)" never truncates the status text. */
_Static_assert(HEALTH_STATUS_MAX + 32 <= HEALTH_REASON_MAX,
	       "a STATUS= text must fit in a reason");
_Static_assert(HEALTH_TCP_REASON_MAX <= HEALTH_REASON_MAX,
	       "a ready-tcp reason must fit in a reason");
/* "GET URL: ERROR (N failures in a row)" never truncates either part. */
_Static_assert(HEALTH_APP_URL_MAX + HEALTH_APP_ERROR_MAX + 40 <=
		       HEALTH_REASON_MAX,
	       "an app check's reason must fit in a reason");

/* char arrays, not pointers: read-only data, no relocations */
static const char check_names[HEALTH_CHECK_MAX][16] = {
	[HEALTH_CHECK_CHILD] = "child",
	[HEALTH_CHECK_WATCHDOG] = "watchdog",
	[HEALTH_CHECK_LIVE_HTTP] = "live-http",
	[HEALTH_CHECK_READY_DELAY] = "ready-delay",
	[HEALTH_CHECK_READY_TCP] = "ready-tcp",
	[HEALTH_CHECK_READY_HTTP] = "ready-http",
	[HEALTH_CHECK_READY_NOTIFY] = "ready-notify",
	[HEALTH_CHECK_SHUTDOWN] = "shutdown",
};

/* now - then, or 0 if the caller's clock went backwards. */
static uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/*
 * Copy @len bytes of untrusted @src into @dst (@size > 0 bytes, NUL
 * included) so that the invariant above holds: control bytes become ' ',
 * bytes that are not valid UTF-8 become '?', and a character that does
 * not fit whole is left out with everything after it.
 */
static void copy_clean(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t out = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_valid_len(s + i, len - i, NULL);

		if (n == 0) {
			if (out + 1 >= size)
				break;
			dst[out++] = '?';
			i++;
			continue;
		}
		if (out + n >= size)
			break;
		if (n == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			dst[out] = ' ';
		else
			memcpy(dst + out, s + i, n);
		out += n;
		i += n;
	}
	dst[out] = '\0';
}

void health_init(struct health *h, const struct health_config *cfg,
		 const struct lifecycle *lc)
{
	memset(h, 0, sizeof(*h));
	h->cfg = *cfg;
	h->lc = lc;
	h->tcp = HEALTH_TCP_UNKNOWN;
	health_child_started(h, 0);
}

/* The child as the checks see it, derived from the life cycle. */
enum health_child_state health_child(const struct health *h)
{
	const struct lifecycle *lc = h->lc;

	switch (lc->state) {
	case LIFECYCLE_STARTING:
		/*
		 * Forked, the exec not confirmed: the command may never run
		 * (not found, not executable), so nothing counts it live or
		 * ready yet, nor tells an outer supervisor READY=1. A restart
		 * stays live, as through its backoff, a stop or not: /healthz
		 * is 200 through a stop until the child is gone.
		 */
		return lc->runs ? HEALTH_CHILD_BACKOFF : HEALTH_CHILD_NONE;
	case LIFECYCLE_RUNNING:
	case LIFECYCLE_DRAINING: /* it runs and serves until the drain ends */
		return HEALTH_CHILD_RUNNING;
	case LIFECYCLE_BACKOFF:
		return HEALTH_CHILD_BACKOFF;
	case LIFECYCLE_ENDING: /* a reload's next child starts at once */
		return (lc->restart_delay_ms && !lc->shutting_down) ||
				       lc->reloading ?
			       HEALTH_CHILD_BACKOFF :
			       HEALTH_CHILD_EXITED;
	default:
		return lc->runs ? HEALTH_CHILD_EXITED : HEALTH_CHILD_NONE;
	}
}

void health_child_started(struct health *h, uint64_t now)
{
	/* systemd counts the first watchdog period from the start, too */
	h->watchdog_last_ms = now;
	h->watchdog_triggered = false;
	h->notify_ready = false;
	h->notify_stopping = false;
	h->tcp = HEALTH_TCP_UNKNOWN;
	h->tcp_checked_ms = 0;
	h->tcp_reason[0] = '\0';
	h->status[0] = '\0';
	for (int i = 0; i < HEALTH_APP_MAX; i++) {
		struct health_app_state *a = &h->app[i];
		uint64_t total = a->failures_total;

		memset(a, 0, sizeof(*a));
		a->failures_total = total;
		/* like the kubelet: not ready, but live, until checked */
		a->passing = i == HEALTH_APP_LIVE;
	}
}

void health_watchdog_ping(struct health *h, uint64_t now)
{
	h->watchdog_last_ms = now;
}

void health_watchdog_trigger(struct health *h)
{
	h->watchdog_triggered = true;
}

void health_notify_ready(struct health *h)
{
	h->notify_ready = true;
}

void health_notify_stopping(struct health *h)
{
	h->notify_stopping = true;
}

void health_notify_status(struct health *h, const char *text, size_t len)
{
	copy_clean(h->status, sizeof(h->status), text, len);
}

void health_tcp_result(struct health *h, uint64_t now, bool ok,
		       const char *reason)
{
	h->tcp = ok ? HEALTH_TCP_OK : HEALTH_TCP_FAILED;
	h->tcp_checked_ms = now;
	if (ok || !reason)
		h->tcp_reason[0] = '\0';
	else
		copy_clean(h->tcp_reason, sizeof(h->tcp_reason), reason,
			   strlen(reason));
}

bool health_tcp_check_due(const struct health *h, uint64_t now)
{
	if (!h->cfg.ready_tcp || health_child(h) != HEALTH_CHILD_RUNNING)
		return false;
	return h->tcp == HEALTH_TCP_UNKNOWN ||
	       elapsed(now, h->tcp_checked_ms) >= HEALTH_TCP_CACHE_MS;
}

bool health_app_status_ok(int status)
{
	return status >= 200 && status <= 399;
}

void health_app_result(struct health *h, enum health_app app,
		       const struct health_app_result *r)
{
	struct health_app_state *a = &h->app[app];
	unsigned limit = h->cfg.app_failures ? h->cfg.app_failures : 1;
	const char *err = r->error ? r->error : "check failed";

	a->checked = true;
	a->status = r->status;
	a->latency_ms = r->latency_ms;
	a->last_ok = health_app_status_ok(r->status);
	if (r->status)
		a->error[0] = '\0';
	else
		copy_clean(a->error, sizeof(a->error), err, strlen(err));
	if (a->last_ok) {
		a->passing = true;
		a->ever_ok = true;
		a->failures = 0;
		return;
	}
	if (a->failures < UINT32_MAX)
		a->failures++;
	a->failures_total++;
	if (a->failures >= limit)
		a->passing = false;
}

/* "12.0": @ms in seconds, floored to a tenth. */
static void fmt_tenths(char *buf, size_t size, uint64_t ms)
{
	textbuf_snprintf(buf, size, "%" PRIu64 ".%" PRIu64, ms / 1000,
			 ms % 1000 / 100);
}

/* Is check @id listed for @probe with this configuration? */
static bool check_applies(const struct health *h, enum health_probe probe,
			  enum health_check_id id)
{
	switch (id) {
	case HEALTH_CHECK_CHILD:
		return true;
	case HEALTH_CHECK_WATCHDOG:
		return h->cfg.watchdog_ms > 0;
	case HEALTH_CHECK_LIVE_HTTP:
		return h->cfg.app_url[HEALTH_APP_LIVE][0] != '\0';
	case HEALTH_CHECK_READY_HTTP:
		return probe == HEALTH_PROBE_READY &&
		       h->cfg.app_url[HEALTH_APP_READY][0] != '\0';
	case HEALTH_CHECK_READY_DELAY:
		return probe == HEALTH_PROBE_READY && h->cfg.ready_delay_ms > 0;
	case HEALTH_CHECK_READY_TCP:
		return probe == HEALTH_PROBE_READY && h->cfg.ready_tcp;
	case HEALTH_CHECK_READY_NOTIFY:
		return probe == HEALTH_PROBE_READY && h->cfg.ready_notify;
	case HEALTH_CHECK_SHUTDOWN:
		return probe == HEALTH_PROBE_READY;
	default:
		return false;
	}
}

static void eval_child(const struct health *h, enum health_probe probe,
		       struct health_check *c)
{
	char how[48];

	switch (health_child(h)) {
	case HEALTH_CHILD_RUNNING:
		c->ok = true;
		break;
	case HEALTH_CHILD_BACKOFF:
		/* live during a restart backoff, as documented */
		c->ok = probe == HEALTH_PROBE_LIVE;
		if (!c->ok) {
			exitstatus_describe(h->lc->last_wstatus, how,
					    sizeof(how));
			textbuf_snprintf(c->reason, sizeof(c->reason),
					 "child %s, %s", how,
					 h->lc->state == LIFECYCLE_STARTING ?
						 "the next one starting" :
						 "restart pending");
		}
		break;
	case HEALTH_CHILD_EXITED:
		exitstatus_describe(h->lc->last_wstatus, how, sizeof(how));
		textbuf_snprintf(c->reason, sizeof(c->reason), "child %s", how);
		break;
	default:
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "child not started yet");
		break;
	}
}

static void eval_watchdog(const struct health *h, uint64_t now,
			  struct health_check *c)
{
	uint64_t quiet = elapsed(now, h->watchdog_last_ms);
	char for_s[32], limit_s[32];

	/* nothing to watch while no child runs; the child check says so */
	if (health_child(h) != HEALTH_CHILD_RUNNING) {
		c->ok = true;
		return;
	}
	if (h->watchdog_triggered) {
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "app sent WATCHDOG=trigger");
		return;
	}
	if (quiet <= h->cfg.watchdog_ms) {
		c->ok = true;
		return;
	}
	fmt_tenths(for_s, sizeof(for_s), quiet);
	seconds_text(h->cfg.watchdog_ms, limit_s, sizeof(limit_s));
	textbuf_snprintf(c->reason, sizeof(c->reason),
			 "no WATCHDOG=1 for %s s (limit %s s)", for_s, limit_s);
}

static void eval_ready_delay(const struct health *h, uint64_t now,
			     struct health_check *c)
{
	uint64_t ran = elapsed(now, h->lc->started_ms);
	char ran_s[32], delay_s[32];

	if (ran >= h->cfg.ready_delay_ms) {
		c->ok = true;
		return;
	}
	fmt_tenths(ran_s, sizeof(ran_s), ran);
	seconds_text(h->cfg.ready_delay_ms, delay_s, sizeof(delay_s));
	textbuf_snprintf(c->reason, sizeof(c->reason), "running %s s of %s s",
			 ran_s, delay_s);
}

static void eval_ready_tcp(const struct health *h, struct health_check *c)
{
	switch (h->tcp) {
	case HEALTH_TCP_OK:
		c->ok = true;
		break;
	case HEALTH_TCP_FAILED:
		textbuf_snprintf(c->reason, sizeof(c->reason), "%s",
				 h->tcp_reason[0] ? h->tcp_reason :
						    "check failed");
		break;
	default:
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "not checked yet");
		break;
	}
}

/*
 * An app check, for the verbose lines: when passing "200 in 3 ms", or
 * the last failure and the count ("GET URL -> 500 in 2 ms (1 of 3
 * failures in a row)"); when failed "GET URL: connection refused (3
 * failures in a row)", or "(no success yet)" for a ready-http that never
 * passed. Live-http does not judge a child that does not run.
 */
static void eval_app(const struct health *h, enum health_app app,
		     struct health_check *c)
{
	const struct health_app_state *a = &h->app[app];
	const char *url = h->cfg.app_url[app];
	char last[128];

	if (health_child(h) != HEALTH_CHILD_RUNNING) {
		c->ok = true;
		return;
	}
	c->ok = a->passing;
	if (!a->checked) {
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "not checked yet");
		return;
	}
	if (a->last_ok) {
		textbuf_snprintf(c->reason, sizeof(c->reason), "%d in %u ms",
				 a->status, a->latency_ms);
		return;
	}
	if (a->status)
		textbuf_snprintf(last, sizeof(last), "GET %s -> %d in %u ms",
				 url, a->status, a->latency_ms);
	else
		textbuf_snprintf(last, sizeof(last), "GET %s: %s", url,
				 a->error);
	if (a->passing)
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "%s (%u of %u failures in a row)", last,
				 a->failures,
				 h->cfg.app_failures ? h->cfg.app_failures : 1);
	else if (!a->ever_ok && a->failures < h->cfg.app_failures)
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "%s (no success yet)", last);
	else
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "%s (%u failure%s in a row)", last,
				 a->failures, a->failures == 1 ? "" : "s");
}

static void eval_ready_notify(const struct health *h, struct health_check *c)
{
	if (h->notify_ready) {
		c->ok = true;
		return;
	}
	if (h->status[0])
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "no READY=1 yet (STATUS=%s)", h->status);
	else
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "no READY=1 yet");
}

/* "shutdown in progress: draining, 4.2 s of 5 s left, then SIGTERM". */
static void drain_reason(const struct health *h, uint64_t now,
			 struct health_check *c)
{
	const struct lifecycle *lc = h->lc;
	uint64_t left = elapsed(lc->drain_end_ms, now);
	char left_s[32], drain_s[32], name[16];
	const char *sig = signame_from_number(
		lc->settings->rewrite[lc->drain_signo], name, sizeof(name));

	fmt_tenths(left_s, sizeof(left_s), left);
	seconds_text(lc->settings->drain_ms, drain_s, sizeof(drain_s));
	textbuf_snprintf(
		c->reason, sizeof(c->reason),
		"%s in progress: draining, %s s of %s s left, then SIG%s",
		lc->reloading ? "reload" : "shutdown", left_s, drain_s,
		sig ? sig : "?");
}

/* Evaluate check @id for @probe at @now into *@c. */
static void eval_check(const struct health *h, uint64_t now,
		       enum health_probe probe, enum health_check_id id,
		       struct health_check *c)
{
	c->id = id;
	c->name = check_names[id];
	c->probe = id <= HEALTH_CHECK_LIVE_HTTP ? HEALTH_PROBE_LIVE :
						  HEALTH_PROBE_READY;
	c->ok = false;
	c->reason[0] = '\0';

	/*
	 * Through a stop or a reload (its drain, then its grace) /healthz
	 * stays 200 until the child is gone: the app winds down on purpose
	 * (a server closes its listener and finishes what it serves), and a
	 * probe that failed it now would kill it before its time.
	 */
	if ((id == HEALTH_CHECK_WATCHDOG || id == HEALTH_CHECK_LIVE_HTTP) &&
	    lifecycle_stopping(h->lc)) {
		c->ok = true;
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "not judged during a stop or reload");
		return;
	}
	/* the ready-* checks wait for a running child first */
	if (id >= HEALTH_CHECK_READY_DELAY && id <= HEALTH_CHECK_READY_NOTIFY &&
	    health_child(h) != HEALTH_CHILD_RUNNING) {
		textbuf_snprintf(c->reason, sizeof(c->reason),
				 "child not running");
		return;
	}
	switch (id) {
	case HEALTH_CHECK_CHILD:
		eval_child(h, probe, c);
		break;
	case HEALTH_CHECK_WATCHDOG:
		eval_watchdog(h, now, c);
		break;
	case HEALTH_CHECK_READY_DELAY:
		eval_ready_delay(h, now, c);
		break;
	case HEALTH_CHECK_READY_TCP:
		eval_ready_tcp(h, c);
		break;
	case HEALTH_CHECK_READY_NOTIFY:
		eval_ready_notify(h, c);
		break;
	case HEALTH_CHECK_LIVE_HTTP:
		eval_app(h, HEALTH_APP_LIVE, c);
		break;
	case HEALTH_CHECK_READY_HTTP:
		eval_app(h, HEALTH_APP_READY, c);
		break;
	case HEALTH_CHECK_SHUTDOWN:
		if (h->lc->state == LIFECYCLE_DRAINING)
			drain_reason(h, now, c);
		else if (h->lc->shutting_down)
			textbuf_snprintf(c->reason, sizeof(c->reason),
					 "shutdown in progress");
		else if (h->lc->reloading)
			textbuf_snprintf(c->reason, sizeof(c->reason),
					 "reload in progress");
		else if (h->notify_stopping)
			textbuf_snprintf(c->reason, sizeof(c->reason),
					 "app sent STOPPING=1");
		else
			c->ok = true;
		break;
	default:
		break;
	}
}

size_t health_checks(const struct health *h, uint64_t now,
		     enum health_probe probe, struct health_check *ret,
		     size_t n)
{
	size_t count = 0;

	for (enum health_check_id id = 0; id < HEALTH_CHECK_MAX && count < n;
	     id++)
		if (check_applies(h, probe, id))
			eval_check(h, now, probe, id, &ret[count++]);
	return count;
}

/* Do all checks for @probe pass? On failure, the first one into *@first. */
static bool all_ok(const struct health *h, uint64_t now,
		   enum health_probe probe, struct health_check *first)
{
	struct health_check c;

	for (enum health_check_id id = 0; id < HEALTH_CHECK_MAX; id++) {
		if (!check_applies(h, probe, id))
			continue;
		eval_check(h, now, probe, id, &c);
		if (!c.ok) {
			if (first)
				*first = c;
			return false;
		}
	}
	return true;
}

bool health_live(const struct health *h, uint64_t now)
{
	return all_ok(h, now, HEALTH_PROBE_LIVE, NULL);
}

bool health_ready(const struct health *h, uint64_t now)
{
	return all_ok(h, now, HEALTH_PROBE_READY, NULL);
}

int health_format_json(const struct health *h, uint64_t now,
		       enum health_probe probe, char *buf, size_t buflen,
		       size_t *ret_len)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	static const char head[] = "{\"status\":\"fail\",\"reason\":\"";
	static const char tail[] = "\"}";
	struct health_check first;
	size_t len, written;

	if (all_ok(h, now, probe, &first)) {
		if (buflen < sizeof(ok))
			return -ENOBUFS;
		memcpy(buf, ok, sizeof(ok));
		*ret_len = sizeof(ok) - 1;
		return 0;
	}
	/* both strlen()s plus the NUL */
	if (buflen < sizeof(head) + sizeof(tail) - 1)
		return -ENOBUFS;
	len = sizeof(head) - 1;
	memcpy(buf, head, len);
	/* +1: escape() ends with a NUL, which the tail overwrites */
	escape(buf + len, buflen - len - sizeof(tail) + 1, first.reason,
	       strlen(first.reason), ESC_JSON, &written);
	len += written;
	memcpy(buf + len, tail, sizeof(tail));
	*ret_len = len + sizeof(tail) - 1;
	return 0;
}

int health_format_verbose(const struct health *h, uint64_t now,
			  enum health_probe probe, const char *label, char *buf,
			  size_t buflen, size_t *ret_len)
{
	static const char more[] = "...\n";
	struct health_check checks[HEALTH_CHECK_MAX];
	char lines[HEALTH_CHECK_MAX][HEALTH_REASON_MAX + 48];
	size_t line_len[HEALTH_CHECK_MAX];
	char verdict[64];
	size_t n, total = 0, pos = 0, verdict_len;
	bool ok = true, all_fit;
	int r;

	if (!label)
		label = probe == HEALTH_PROBE_LIVE ? "livez" : "readyz";
	n = health_checks(h, now, probe, checks, HEALTH_CHECK_MAX);
	for (size_t i = 0; i < n; i++) {
		if (checks[i].ok && !checks[i].reason[0])
			r = textbuf_snprintf(lines[i], sizeof(lines[i]),
					     "[+]%s ok\n", checks[i].name);
		else if (checks[i].ok)
			r = textbuf_snprintf(lines[i], sizeof(lines[i]),
					     "[+]%s ok: %s\n", checks[i].name,
					     checks[i].reason);
		else
			r = textbuf_snprintf(lines[i], sizeof(lines[i]),
					     "[-]%s failed: %s\n",
					     checks[i].name, checks[i].reason);
		/* cannot truncate: names are short, reasons bounded */
		line_len[i] = r < 0 ? 0 : (size_t)r;
		total += line_len[i];
		ok = ok && checks[i].ok;
	}
	r = textbuf_snprintf(verdict, sizeof(verdict), "%s check %s\n", label,
			     ok ? "passed" : "failed");
	if (r < 0 || (size_t)r >= sizeof(verdict) || (size_t)r >= buflen)
		return -ENOBUFS;
	verdict_len = (size_t)r;

	all_fit = total + verdict_len < buflen;
	for (size_t i = 0; i < n; i++) {
		size_t reserve = all_fit ? 0 : sizeof(more) - 1;

		if (pos + line_len[i] + reserve + verdict_len >= buflen)
			break;
		memcpy(buf + pos, lines[i], line_len[i]);
		pos += line_len[i];
	}
	if (!all_fit && pos + sizeof(more) - 1 + verdict_len < buflen) {
		memcpy(buf + pos, more, sizeof(more) - 1);
		pos += sizeof(more) - 1;
	}
	memcpy(buf + pos, verdict, verdict_len + 1);
	*ret_len = pos + verdict_len;
	return 0;
}
