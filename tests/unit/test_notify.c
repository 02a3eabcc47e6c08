/* SPDX-License-Identifier: MIT */
/*
 * test_notify.c - the sd_notify message rules of src/notify.c
 * (notify_apply): which assignments count, how a datagram splits into
 * lines, and what each does to the health verdicts. Each datagram sits
 * flush against a PROT_NONE page: it is not NUL-terminated on the wire.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "guard.h"
#include "health.h"
#include "lifecycle_fake.h"
#include "notify.h"

#define T0 1000000 /* the child's start, ms */

struct row {
	const char *name;
	const char *msg;
	unsigned seen;
	bool ready; /* /readyz after the datagram, at T0 + 10 */
	bool live; /* /livez at T0 + 4000 (watchdog limit 3 s) */
	const char *status; /* the stored STATUS= text */
};

static const struct row rows[] = {
	{ "ready", "READY=1", NOTIFY_SEEN_READY, true, false, "" },
	{ "ready newline", "READY=1\n", NOTIFY_SEEN_READY, true, false, "" },
	{ "status then ready", "STATUS=warming up\nREADY=1",
	  NOTIFY_SEEN_STATUS | NOTIFY_SEEN_READY, true, false, "warming up" },
	{ "watchdog ping", "WATCHDOG=1", NOTIFY_SEEN_WATCHDOG, false, true,
	  "" },
	{ "everything", "READY=1\nWATCHDOG=1\nSTATUS=ok\n",
	  NOTIFY_SEEN_READY | NOTIFY_SEEN_WATCHDOG | NOTIFY_SEEN_STATUS, true,
	  true, "ok" },
	{ "unknown keys ignored", "MAINPID=42\nX=1\nREADY=1\nRELOADING=1",
	  NOTIFY_SEEN_READY, true, false, "" },
	{ "empty status", "STATUS=", NOTIFY_SEEN_STATUS, false, false, "" },
	{ "control bytes in status", "STATUS=a\tb\x01", NOTIFY_SEEN_STATUS,
	  false, false, "a b " },
	{ "stopping", "READY=1\nSTOPPING=1",
	  NOTIFY_SEEN_READY | NOTIFY_SEEN_STOPPING, false, false, "" },
	{ "trigger", "WATCHDOG=1\nWATCHDOG=trigger\nWATCHDOG=1",
	  NOTIFY_SEEN_WATCHDOG | NOTIFY_SEEN_TRIGGER, false, false, "" },
	/* negative rows: near misses do nothing */
	{ "empty", "", 0, false, false, "" },
	{ "newlines only", "\n\n\n", 0, false, false, "" },
	{ "READY=0", "READY=0", 0, false, false, "" },
	{ "READY=1 with junk", "READY=1x", 0, false, false, "" },
	{ "lower case", "ready=1", 0, false, false, "" },
	{ "leading blank", " READY=1", 0, false, false, "" },
	{ "CRLF", "READY=1\r\n", 0, false, false, "" },
	{ "no value", "READY", 0, false, false, "" },
	{ "WATCHDOG=0", "WATCHDOG=0", 0, false, false, "" },
	{ "STATUS without =", "STATUS", 0, false, false, "" },
	{ "WATCHDOG_USEC ignored", "WATCHDOG_USEC=1", 0, false, false, "" },
};

Test(notify, apply)
{
	struct health_config cfg = { .watchdog_ms = 3000,
				     .ready_notify = true };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *row = &rows[i];
		size_t len = strlen(row->msg);
		struct guard g = guard_copy(row->msg, len);
		struct health h;
		unsigned seen;

		health_init(&h, &cfg, fresh_lc());
		child_started(&h, T0);
		/* the datagram arrives 2 s in: a ping resets the watchdog */
		seen = notify_apply(&h, g.data, len, T0 + 2000);
		cr_expect_eq(seen, row->seen, "%s: seen 0x%x", row->name, seen);
		cr_expect_eq(health_ready(&h, T0 + 10), row->ready, "%s: ready",
			     row->name);
		cr_expect_eq(health_live(&h, T0 + 4000), row->live, "%s: live",
			     row->name);
		cr_expect_str_eq(h.status, row->status, "%s: status",
				 row->name);
		guard_free(&g);
	}
}

/* WATCHDOG=trigger sticks until the child restarts, and says why. */
Test(notify, trigger_until_restart)
{
	struct health_config cfg = { .watchdog_ms = 3000 };
	struct health_check checks[HEALTH_CHECK_MAX];
	struct health h;
	size_t n;

	health_init(&h, &cfg, fresh_lc());
	child_started(&h, T0);
	cr_assert(health_live(&h, T0 + 1));
	notify_apply(&h, "WATCHDOG=trigger", 16, T0 + 1);
	cr_expect_not(health_live(&h, T0 + 2));
	notify_apply(&h, "WATCHDOG=1", 10, T0 + 3);
	cr_expect_not(health_live(&h, T0 + 4), "a ping does not undo it");
	n = health_checks(&h, T0 + 4, HEALTH_PROBE_LIVE, checks,
			  HEALTH_CHECK_MAX);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(checks[1].name, "watchdog");
	cr_expect_str_eq(checks[1].reason, "app sent WATCHDOG=trigger");
	child_started(&h, T0 + 10);
	cr_expect(health_live(&h, T0 + 11), "a new child starts clean");
}

/* Without --watchdog, trigger changes no verdict (there is no check). */
Test(notify, trigger_without_watchdog)
{
	struct health_config cfg = { 0 };
	struct health h;

	health_init(&h, &cfg, fresh_lc());
	child_started(&h, T0);
	notify_apply(&h, "WATCHDOG=trigger", 16, T0 + 1);
	cr_expect(health_live(&h, T0 + 2));
	cr_expect(health_ready(&h, T0 + 2));
}

/* The watchdog counts from the last ping, not from the first. */
Test(notify, pings_keep_it_live)
{
	struct health_config cfg = { .watchdog_ms = 1000 };
	struct health h;

	health_init(&h, &cfg, fresh_lc());
	child_started(&h, T0);
	for (uint64_t t = T0 + 900; t < T0 + 10000; t += 900) {
		notify_apply(&h, "WATCHDOG=1\n", 11, t);
		cr_expect(health_live(&h, t + 999), "t=%llu",
			  (unsigned long long)t);
	}
	cr_expect_not(health_live(&h, T0 + 9900 + 1001));
}
