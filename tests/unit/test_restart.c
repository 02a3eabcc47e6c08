/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "restart.h"

static struct restart *new_restart(unsigned max)
{
	struct restart *r = malloc(sizeof(*r));

	cr_assert_not_null(r);
	restart_init(r, RESTART_ON_FAILURE, max);
	return r;
}

Test(restart, policy_table)
{
	static const struct {
		enum restart_policy policy;
		int code;
		bool wanted;
	} rows[] = {
		{ RESTART_NEVER, 0, false },
		{ RESTART_NEVER, 1, false },
		{ RESTART_NEVER, 137, false },
		{ RESTART_ON_FAILURE, 0, false },
		{ RESTART_ON_FAILURE, 1, true },
		{ RESTART_ON_FAILURE, 143, true },
		{ RESTART_ALWAYS, 0, true },
		{ RESTART_ALWAYS, 2, true },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_assert_eq(restart_wanted(rows[i].policy, rows[i].code),
			     rows[i].wanted, "row %zu", i);
}

/*
 * The decision with --no-restart-exit: a listed status (as the child gave
 * it) ends pidone where the policy would restart; the policy reads the
 * status after --success-exit; no child status (-1, a failed fork) is
 * never listed.
 */
Test(restart, verdict_with_no_restart_exit)
{
	static const struct {
		enum restart_policy policy;
		int status, code;
		enum restart_verdict verdict;
	} rows[] = {
		{ RESTART_NEVER, 78, 78, RESTART_VERDICT_END },
		{ RESTART_NEVER, 3, 3, RESTART_VERDICT_END },
		{ RESTART_ON_FAILURE, 78, 78, RESTART_VERDICT_NO_RESTART_EXIT },
		{ RESTART_ON_FAILURE, 3, 3, RESTART_VERDICT_RESTART },
		{ RESTART_ON_FAILURE, 0, 0, RESTART_VERDICT_END },
		{ RESTART_ALWAYS, 78, 78, RESTART_VERDICT_NO_RESTART_EXIT },
		{ RESTART_ALWAYS, 137, 137, RESTART_VERDICT_NO_RESTART_EXIT },
		{ RESTART_ALWAYS, 0, 0, RESTART_VERDICT_NO_RESTART_EXIT },
		{ RESTART_ALWAYS, 1, 1, RESTART_VERDICT_RESTART },
		{ RESTART_ALWAYS, 143, 0, RESTART_VERDICT_RESTART },
		{ RESTART_ON_FAILURE, 143, 0, RESTART_VERDICT_END },
		{ RESTART_ALWAYS, -1, 70, RESTART_VERDICT_RESTART },
		{ RESTART_ALWAYS, 255, 255, RESTART_VERDICT_RESTART },
	};
	struct settings s;

	settings_init(&s);
	/* listed: 0, 78, 137; 143 is a success exit */
	s.no_restart_exit[0] = true;
	s.no_restart_exit[78] = true;
	s.no_restart_exit[137] = true;
	s.success_exit[143] = true;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		s.restart = rows[i].policy;
		cr_expect_eq(restart_verdict(&s, rows[i].status, rows[i].code),
			     rows[i].verdict, "row %zu", i);
	}
	/* Nothing listed: the policy alone. */
	settings_init(&s);
	s.restart = RESTART_ALWAYS;
	for (int st = 0; st < 256; st++)
		cr_expect_eq(restart_verdict(&s, st, st),
			     RESTART_VERDICT_RESTART, "status %d", st);
}

Test(restart, backoff_doubles_from_1s_to_30s)
{
	static const unsigned expected[] = { 1000,  2000,  4000,  8000,
					     16000, 30000, 30000, 30000 };
	struct restart *r = new_restart(100);
	uint64_t now = 1000000;
	unsigned delay;

	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		cr_assert(restart_next(r, now, 500, &delay));
		cr_assert_eq(delay, expected[i], "restart %zu: %u", i, delay);
		restart_begun(r, now + delay);
		now += delay + 500;
	}
	cr_assert_eq(r->n_stamps, 8);
	free(r);
}

Test(restart, backoff_resets_after_a_long_healthy_run)
{
	struct restart *r = new_restart(100);
	unsigned delay;

	cr_assert(restart_next(r, 10000, 10, &delay));
	cr_assert(restart_next(r, 20000, 10, &delay));
	cr_assert_eq(delay, 2000);
	cr_assert(restart_next(r, 30000 + RESTART_WINDOW_MS, RESTART_WINDOW_MS,
			       &delay));
	cr_assert_eq(delay, 1000);
	free(r);
}

Test(restart, budget_counts_within_the_window_only)
{
	struct restart *r = new_restart(2);
	uint64_t t0 = 5000000;
	unsigned delay = 12345;

	cr_assert(restart_next(r, t0, 10, &delay));
	/* decided, not begun (a reload pre-empted it): no charge */
	cr_assert(restart_next(r, t0 + 500, 10, &delay));
	restart_begun(r, t0 + 500);
	cr_assert(restart_next(r, t0 + 1000, 10, &delay));
	restart_begun(r, t0 + 1000);
	delay = 12345;
	cr_assert_not(restart_next(r, t0 + 2000, 10, &delay),
		      "third restart within 10 min must be refused");
	cr_assert_eq(delay, 12345, "delay untouched on refusal");
	cr_assert_eq(r->n_stamps, 2);
	/* Once the first restart is older than the window, one more is fine. */
	cr_assert(restart_next(r, t0 + RESTART_WINDOW_MS + 501, 10, &delay));
	restart_begun(r, t0 + RESTART_WINDOW_MS + 501);
	cr_assert_not(
		restart_next(r, t0 + RESTART_WINDOW_MS + 502, 10, &delay));
	free(r);
}

Test(restart, max_zero_never_restarts)
{
	struct restart *r = new_restart(0);
	unsigned delay;

	cr_assert_not(restart_next(r, 100000, 10, &delay));
	free(r);
}

Test(restart, never_policy_never_restarts)
{
	struct restart r;
	unsigned delay = 7;

	restart_init(&r, RESTART_NEVER, 5);
	cr_assert_eq(r.max, 0);
	cr_assert_not(restart_next(&r, 100000, 10, &delay));
	cr_assert_eq(delay, 7);
}
