/* SPDX-License-Identifier: MIT */
/*
 * restart.c - restart policy, exponential backoff and the sliding-window
 * budget of --restart-max.
 */
#include "restart.h"
#include "banned.h"

void restart_init(struct restart *r, enum restart_policy policy, unsigned max)
{
	r->backoff_ms = RESTART_BACKOFF_MIN_MS;
	r->n_stamps = 0;
	r->next_stamp = 0;
	/* The ring's slots are written before they are read: not zeroed. */
	r->max = policy == RESTART_NEVER ? 0 :
		 max < RESTART_LIMIT	 ? max :
					   RESTART_LIMIT;
}

bool restart_wanted(enum restart_policy policy, int code)
{
	switch (policy) {
	case RESTART_ALWAYS:
		return true;
	case RESTART_ON_FAILURE:
		return code != 0;
	default:
		return false;
	}
}

enum restart_verdict restart_verdict(const struct settings *s, int status,
				     int code)
{
	if (!restart_wanted(s->restart, code))
		return RESTART_VERDICT_END;
	if (settings_status_listed(s->no_restart_exit, status))
		return RESTART_VERDICT_NO_RESTART_EXIT;
	return RESTART_VERDICT_RESTART;
}

/* Restarts recorded at or after @since. */
static unsigned restarts_since(const struct restart *r, uint64_t since)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->n_stamps; i++)
		if (r->stamps[i] >= since)
			n++;
	return n;
}

bool restart_next(struct restart *r, uint64_t now_ms, uint64_t ran_ms,
		  unsigned *ret_delay_ms)
{
	uint64_t since =
		now_ms > RESTART_WINDOW_MS ? now_ms - RESTART_WINDOW_MS : 0;

	if (r->max == 0 || restarts_since(r, since) >= r->max)
		return false;

	if (ran_ms >= RESTART_WINDOW_MS)
		r->backoff_ms = RESTART_BACKOFF_MIN_MS;
	*ret_delay_ms = r->backoff_ms;
	r->backoff_ms = r->backoff_ms * 2 > RESTART_BACKOFF_MAX_MS ?
				RESTART_BACKOFF_MAX_MS :
				r->backoff_ms * 2;
	return true;
}

void restart_begun(struct restart *r, uint64_t now_ms)
{
	if (r->max == 0)
		return;
	/* The ring holds `max` stamps: the oldest is the one to overwrite. */
	r->stamps[r->next_stamp] = now_ms;
	r->next_stamp = (r->next_stamp + 1) % r->max;
	if (r->n_stamps < r->max)
		r->n_stamps++;
}
