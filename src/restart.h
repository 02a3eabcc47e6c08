/* SPDX-License-Identifier: MIT */
/*
 * restart.h - the --restart policy, its backoff and its budget. Pure: the
 * caller passes monotonic milliseconds in; nothing here reads a clock.
 *
 * Backoff starts at 1 s and doubles up to 30 s; it resets to 1 s when a run
 * lasted RESTART_WINDOW_MS (the child was healthy for the whole window).
 * At most restart_max restarts may fall within any RESTART_WINDOW_MS.
 * Exit statuses listed in --no-restart-exit are an app's "do not retry":
 * they end pidone under any policy.
 */
#ifndef PIDONE_RESTART_H
#define PIDONE_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#include "settings.h"

#define RESTART_BACKOFF_MIN_MS 1000u
#define RESTART_BACKOFF_MAX_MS 30000u
#define RESTART_WINDOW_MS (10u * 60u * 1000u)
#define RESTART_LIMIT 1000u /* the highest --restart-max accepted */

struct restart {
	unsigned max; /* restarts allowed within the window */
	unsigned backoff_ms; /* delay before the next restart */
	unsigned n_stamps;
	unsigned next_stamp;
	/* Last, 8 KiB: the fields above share a page with their neighbours. */
	uint64_t stamps[RESTART_LIMIT]; /* ring: the last `max` restarts */
};

/* Prepare @r for @policy with a budget of @max restarts per window. */
void restart_init(struct restart *r, enum restart_policy policy, unsigned max);

/* Does @policy want a child that ended with exit code @code restarted? */
bool restart_wanted(enum restart_policy policy, int code);

/* What ends a run: a restart, or the end of pidone, and why. */
enum restart_verdict {
	RESTART_VERDICT_END, /* the policy does not restart it */
	RESTART_VERDICT_RESTART, /* within the budget (restart_next) */
	RESTART_VERDICT_NO_RESTART_EXIT, /* it would; --no-restart-exit says no */
	RESTART_VERDICT_MAX
};

/*
 * The decision after a run of @s's command that ended with @status
 * (0..255, 128+N for signal N, as the child gave it; -1 when no child
 * ran: the fork failed) and was reported as @code (after --success-exit).
 * A status listed in --no-restart-exit ends pidone whatever the policy;
 * the policy itself reads @code.
 */
enum restart_verdict restart_verdict(const struct settings *s, int status,
				     int code);

/*
 * Decide, at @now_ms, on a restart of a child that ran @ran_ms. Returns
 * true and the delay to wait in *@ret_delay_ms (the backoff then grows),
 * or false when the restarts begun within the last RESTART_WINDOW_MS
 * spend the budget, or the policy never restarts.
 */
bool restart_next(struct restart *r, uint64_t now_ms, uint64_t ran_ms,
		  unsigned *ret_delay_ms);

/*
 * The restart decided last begins at @now_ms: it counts against the
 * budget from now on. One a reload pre-empts never begins, and costs
 * nothing.
 */
void restart_begun(struct restart *r, uint64_t now_ms);

#endif
