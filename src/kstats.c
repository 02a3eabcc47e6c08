/* SPDX-License-Identifier: MIT */
/*
 * kstats.c - the kernel's numbers for /metrics. See kstats.h.
 */
#include "kstats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fdutil.h"
#include "kerntext.h"
#include "banned.h"

static void set(struct metrics_sample *m, enum metrics_read i, uint64_t v)
{
	m->read[i] = v;
	m->read_known |= 1u << i;
}

void kstats_container(struct metrics_sample *m, const struct cgroup *cg)
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

/* Entries of /proc/PID/fd other than "." and ".."; -errno. */
static long count_fds(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

void kstats_child(struct metrics_sample *m, pid_t pid)
{
	char path[40], buf[1024];
	struct kerntext_stat st;
	ssize_t n;
	long fds, tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		do
			n = read(fd, buf, sizeof(buf));
		while (n < 0 && errno == EINTR);
		fd_close(&fd);
		if (n > 0 && tick > 0 && page > 0 &&
		    kerntext_proc_stat(buf, (size_t)n, &st) == 0) {
			set(m, METRICS_CHILD_RSS,
			    st.rss_pages * (uint64_t)page);
			set(m, METRICS_CHILD_CPU_USEC,
			    (st.utime_ticks + st.stime_ticks) * 1000000 /
				    (uint64_t)tick);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	fds = count_fds(path);
	if (fds >= 0)
		set(m, METRICS_CHILD_OPEN_FDS, (uint64_t)fds);
}
