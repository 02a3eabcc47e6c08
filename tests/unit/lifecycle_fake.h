/* SPDX-License-Identifier: MIT */
/*
 * lifecycle_fake.h - for tests of the modules that read the child's state
 * (health, notify, the health server): a life cycle set by hand, since
 * those modules only read it. One per test process (Criterion forks).
 */
#ifndef PIDONE_TEST_LIFECYCLE_FAKE_H
#define PIDONE_TEST_LIFECYCLE_FAKE_H

#include <string.h>

#include "health.h"
#include "lifecycle.h"
#include "settings.h"

static struct lifecycle fake_lc;
static struct settings fake_settings;

/* A life cycle before the first child: health_init's third argument. */
static inline struct lifecycle *fresh_lc(void)
{
	memset(&fake_lc, 0, sizeof(fake_lc));
	return &fake_lc;
}

/* Forked at @now, the exec not yet confirmed. */
static inline void child_forked(struct health *h, uint64_t now)
{
	fake_lc.state = LIFECYCLE_STARTING;
	fake_lc.started_ms = now;
	fake_lc.child_pid = 2;
	fake_lc.pgid = 2;
	health_child_started(h, now);
}

/* Forked and its exec confirmed at @now. */
static inline void child_started(struct health *h, uint64_t now)
{
	child_forked(h, now);
	fake_lc.state = LIFECYCLE_RUNNING;
}

/* The child ended with @wstatus; the life cycle is now in @state. */
static inline void child_ended(enum lifecycle_state state, int wstatus)
{
	fake_lc.state = state;
	fake_lc.runs++;
	fake_lc.last_wstatus = wstatus;
	fake_lc.child_pid = 0;
}

/* Ended for good. */
static inline void child_exited(struct health *h, int wstatus)
{
	(void)h;
	child_ended(LIFECYCLE_DONE, wstatus);
}

/* Ended, a restart pending. */
static inline void child_backoff(struct health *h, int wstatus)
{
	(void)h;
	child_ended(LIFECYCLE_BACKOFF, wstatus);
}

static inline void shutdown_begun(struct health *h)
{
	(void)h;
	fake_lc.shutting_down = true;
}

/*
 * A stop by @signo at @now with --drain @drain_ms (and @signo rewritten to
 * @to): the child runs on, DRAINING, until now + drain_ms.
 */
static inline void drain_begun(struct health *h, uint64_t now, int signo,
			       int to, unsigned drain_ms)
{
	(void)h;
	settings_init(&fake_settings);
	fake_settings.drain_ms = drain_ms;
	fake_settings.rewrite[signo] = to;
	fake_lc.settings = &fake_settings;
	fake_lc.state = LIFECYCLE_DRAINING;
	fake_lc.shutting_down = true;
	fake_lc.drain_signo = signo;
	fake_lc.drain_end_ms = now + drain_ms;
}

/* The drain is over: the stop went out, the child still runs. */
static inline void drain_ended(struct health *h)
{
	(void)h;
	fake_lc.state = LIFECYCLE_RUNNING;
}

#endif
