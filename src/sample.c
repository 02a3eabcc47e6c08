/* SPDX-License-Identifier: MIT */
/*
 * sample.c - the supervisor's and the kernel's numbers for /metrics. See
 * sample.h.
 */
#include "sample.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdutil.h"
#include "exitstatus.h"
#include "kerntext.h"
#include "ptree.h"
#include "textbuf.h"
#include "banned.h"

static void set(struct metrics_sample *m, enum metrics_read i, uint64_t v)
{
	m->read[i] = v;
	m->read_known |= 1u << i;
}

static void container(struct metrics_sample *m, const struct cgroup *cg)
{
	static const struct {
		enum cgroup_value from;
		enum metrics_read to;
	} map[] = {
		{ CGROUP_MEMORY_BYTES, METRICS_CONTAINER_MEMORY },
		{ CGROUP_MEMORY_LIMIT, METRICS_CONTAINER_MEMORY_LIMIT },
		{ CGROUP_CPU_USEC, METRICS_CONTAINER_CPU_USEC },
		{ CGROUP_PIDS, METRICS_CONTAINER_PIDS },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (cgroup_read(cg, map[i].from, &v) == 0 &&
		    v != KERNTEXT_NO_LIMIT)
			set(m, map[i].to, v);
}

/*
 * Entries of /proc/PID/fd other than "." and ".."; -errno. getdents64 on a
 * stack buffer, not opendir: a scrape allocates nothing.
 */
static long count_fds(const char *dir)
{
	char buf[4096];
	long n = 0;
	long got;
	int fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < got;) {
			/* struct linux_dirent64: ino 8, off 8, reclen 2, type 1 */
			unsigned short reclen;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			n += buf[off + 19] != '.';
			off += reclen ? reclen : got; /* 0: never; not a loop */
		}
	if (got < 0)
		n = -errno;
	fd_close(&fd);
	return n;
}

static void child(struct metrics_sample *m, pid_t pid)
{
	char path[40], status[4096];
	struct kerntext_stat st;
	uint64_t rss_kb;
	ssize_t n;
	long fds, tick = sysconf(_SC_CLK_TCK);

	if (tick > 0 && ptree_stat(pid, &st) == 0)
		set(m, METRICS_CHILD_CPU_USEC,
		    (st.utime_ticks + st.stime_ticks) * 1000000 /
			    (uint64_t)tick);
	/* VmRSS, as pidone status shows it (see ptree.c) */
	textbuf_snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	n = fd_read_file(AT_FDCWD, path, status, sizeof(status));
	if (n > 0 && kerntext_key_u64(status, (size_t)n, "VmRSS", &rss_kb) == 0)
		set(m, METRICS_CHILD_RSS, rss_kb * 1024);
	textbuf_snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	fds = count_fds(path);
	if (fds >= 0)
		set(m, METRICS_CHILD_OPEN_FDS, (uint64_t)fds);
}

void sample_supervisor(struct metrics_sample *m, const struct supervisor *sup)
{
	const struct lifecycle *lc = &sup->lc;
	uint64_t kills;

	_Static_assert(sizeof(m->signals_forwarded) ==
			       sizeof(sup->signals_forwarded),
		       "one counter per signal on both sides");
	m->child_up = lifecycle_child_up(lc);
	m->draining = lc->state == LIFECYCLE_DRAINING;
	m->child_state = lifecycle_phase(lc);
	m->child_restarts = lc->restarts;
	m->child_reloads = lc->reloads;
	m->zombies_reaped = sup->zombies_reaped;
	memcpy(m->signals_forwarded, sup->signals_forwarded,
	       sizeof(m->signals_forwarded));
	if (lc->runs > 0) {
		set(m, METRICS_CHILD_LAST_EXIT_CODE,
		    (uint64_t)exitstatus_from_wait(lc->last_wstatus));
		m->last_exit_cause = lifecycle_cause_name(lc->last_cause);
	}
	if (oomwatch_total(&sup->oom, &kills) == 0)
		set(m, METRICS_OOM_KILLS, kills);
	container(m, &sup->oom.cg);
	if (m->child_up && lc->child_pid > 0) {
		set(m, METRICS_CHILD_PID, (uint64_t)lc->child_pid);
		child(m, lc->child_pid);
	}
}

/* See sample.h. */
void sample_health(struct metrics_sample *m, const struct health *h,
		   uint64_t now)
{
	_Static_assert((int)METRICS_APP_READY == (int)HEALTH_APP_READY &&
			       (int)METRICS_APP_LIVE == (int)HEALTH_APP_LIVE &&
			       (int)METRICS_APP_MAX == (int)HEALTH_APP_MAX,
		       "the app checks in the same order on both sides");

	m->live = health_live(h, now);
	m->ready = health_ready(h, now);
	for (int i = 0; i < HEALTH_APP_MAX; i++) {
		const struct health_app_state *a = &h->app[i];

		m->app[i] = (struct metrics_app_sample){
			.on = h->cfg.app_url[i][0] != '\0',
			.checked = a->checked,
			.up = a->checked && a->last_ok,
			.latency_ms = a->latency_ms,
			.failures_total = a->failures_total,
		};
	}
}
