/* SPDX-License-Identifier: MIT */
/*
 * oomwatch.c - OOM kills in the container, noticed and logged. See
 * oomwatch.h.
 */
#include "oomwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fdutil.h"
#include "log.h"
#include "strv.h"
#include "banned.h"

/* /proc/self/cgroup: a dozen short lines on v1, one on v2. */
#define SELF_CGROUP_MAX 4096

void oomwatch_init(struct oomwatch *w)
{
	w->cg = (struct cgroup){ .memory_dir = -1,
				 .v1_cpu_dir = -1,
				 .v1_cpuacct_dir = -1,
				 .v1_pids_dir = -1 };
	w->fd = -1;
	w->counted = false;
	w->seen = w->kills = w->last_kill_ms = 0;
}

/* Kills since the last look (0 when the counter cannot be read). */
static uint64_t new_kills(struct oomwatch *w)
{
	uint64_t now;

	if (!w->counted || cgroup_read(&w->cg, CGROUP_OOM_KILLS, &now) < 0 ||
	    now <= w->seen)
		return 0;
	uint64_t n = now - w->seen;
	w->seen = now;
	w->kills += n;
	w->last_kill_ms = clock_monotonic_ms();
	return n;
}

/* One record for the kills of one look, with what the cgroup allowed. */
static void log_kills(const struct oomwatch *w, uint64_t n)
{
	struct log_field f[4] = { LOG_INT("kills", n),
				  LOG_INT("oom_kills_total", w->kills) };
	size_t nf = 2;
	uint64_t v;

	if (cgroup_read(&w->cg, CGROUP_MEMORY_LIMIT, &v) == 0 &&
	    v != KERNTEXT_NO_LIMIT)
		f[nf++] = LOG_INT("memory_limit_bytes", v);
	if (cgroup_read(&w->cg, CGROUP_MEMORY_PEAK, &v) == 0)
		f[nf++] = LOG_INT("memory_peak_bytes", v);
	log_emit(LOG_LEVEL_WARN, 0,
		 "the container's memory limit is too small for its processes",
		 f, nf, "oom kill");
}

/* Log what the counter says now; false when it has not risen. */
static bool look(struct oomwatch *w)
{
	uint64_t n = new_kills(w);

	if (n > 0)
		log_kills(w, n);
	return n > 0;
}

static void recheck(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct oomwatch *w = t->data;

	(void)revents;
	if (look(w)) {
		log_debug(
			"the OOM kill was counted %u ms after the cgroup's "
			"notice",
			(unsigned)((OOMWATCH_RECHECKS - w->rechecks_left + 1) *
				   (OOMWATCH_RECHECK_S * 1000)));
		ev_timer_stop(loop, t);
	} else if (--w->rechecks_left == 0) {
		ev_timer_stop(loop, t);
	}
}

static void readable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct oomwatch *w = io->data;

	(void)revents;
	cgroup_oom_drain(w->fd);
	if (look(w)) {
		ev_timer_stop(loop, &w->recheck);
		return;
	}
	/*
	 * v1 counts the kill a moment after its eventfd fires: look again.
	 * v2 counts first and notifies after, and rewrites memory.events
	 * for its other counters too (a cgroup at its memory.high or
	 * memory.max bumps "high" or "max" all the time): nothing to wait
	 * for, and rechecks there would wake pidone 20 times a change.
	 */
	if (w->cg.version != 1)
		return;
	w->rechecks_left = OOMWATCH_RECHECKS;
	ev_timer_again(loop, &w->recheck);
}

void oomwatch_start(struct oomwatch *w, struct ev_loop *loop, bool metrics)
{
	const char *root = strv_env_value(environ, OOMWATCH_ROOT_VAR);
	char text[SELF_CGROUP_MAX];
	ssize_t len =
		fd_read_file(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text));
	int r;

	if (len < 0) {
		errno = (int)-len;
		log_emit(LOG_LEVEL_DEBUG, errno, NULL, NULL, 0,
			 "cannot read /proc/self/cgroup, OOM kills are not "
			 "watched");
		return;
	}
	cgroup_find(&w->cg, root ? root : "/sys/fs/cgroup", text, (size_t)len,
		    metrics);
	w->counted = cgroup_read(&w->cg, CGROUP_OOM_KILLS, &w->seen) == 0;
	if (!w->counted) {
		log_debug("no readable OOM-kill counter in a cgroup, OOM kills "
			  "are not watched");
		return;
	}
	if (!loop)
		return;
	r = cgroup_oom_watch(&w->cg, &w->fd);
	if (r < 0) {
		log_emit(LOG_LEVEL_DEBUG, -r, NULL, NULL, 0,
			 "cannot watch the cgroup v%d for OOM kills; the "
			 "main child's cause is still read at its exit",
			 w->cg.version);
		return;
	}
	ev_io_init(&w->io, readable, w->fd, EV_READ);
	w->io.data = w;
	ev_init(&w->recheck, recheck);
	w->recheck.repeat = OOMWATCH_RECHECK_S;
	w->recheck.data = w;
	ev_set_priority(&w->io, EV_MINPRI);
	ev_io_start(loop, &w->io);
}

bool oomwatch_killed_child(struct oomwatch *w, uint64_t now_ms)
{
	if (new_kills(w) > 0)
		return true;
	return w->kills > 0 && now_ms - w->last_kill_ms <= OOMWATCH_RECENT_MS;
}

int oomwatch_total(const struct oomwatch *w, uint64_t *ret)
{
	uint64_t now;

	if (!w->counted)
		return -ENOENT;
	*ret = w->kills;
	if (cgroup_read(&w->cg, CGROUP_OOM_KILLS, &now) == 0 && now > w->seen)
		*ret += now - w->seen;
	return 0;
}

void oomwatch_done(struct oomwatch *w, struct ev_loop *loop)
{
	if (w->fd >= 0) {
		ev_io_stop(loop, &w->io);
		ev_timer_stop(loop, &w->recheck);
	}
	fd_close(&w->fd);
	cgroup_close(&w->cg);
}
