/* SPDX-License-Identifier: MIT */
/*
 * cgroup.c - the container's cgroup files. See cgroup.h.
 */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fdutil.h"
#include "textbuf.h"
#include "banned.h"

/* Where each value is, per version; key NULL for a one-number file. */
static const struct source {
	const char *v1_file, *v1_key, *v2_file, *v2_key;
	unsigned v1_div; /* v1's unit over v2's (cpuacct counts ns) */
} sources[] = {
	[CGROUP_MEMORY_BYTES] = { "memory.usage_in_bytes", NULL,
				  "memory.current", NULL, 1 },
	[CGROUP_MEMORY_LIMIT] = { "memory.limit_in_bytes", NULL, "memory.max",
				  NULL, 1 },
	[CGROUP_MEMORY_PEAK] = { "memory.max_usage_in_bytes", NULL,
				 "memory.peak", NULL, 1 },
	[CGROUP_OOM_KILLS] = { "memory.oom_control", "oom_kill",
			       "memory.events", "oom_kill", 1 },
	[CGROUP_CPU_USEC] = { "cpuacct.usage", NULL, "cpu.stat", "usage_usec",
			      1000 },
	/* v1's period is in cpu.cfs_period_us: cgroup_read adds it. */
	[CGROUP_CPU_LIMIT] = { "cpu.cfs_quota_us", NULL, "cpu.max", NULL, 1 },
	[CGROUP_PIDS] = { "pids.current", NULL, "pids.current", NULL, 1 },
	[CGROUP_PIDS_LIMIT] = { "pids.max", NULL, "pids.max", NULL, 1 },
};

/* Every file above is a few lines: a bigger one is not what we expect. */
#define READ_MAX 1024

/*
 * Open the directory of v1 controller @name (NULL: v2's one hierarchy)
 * as O_PATH: @root/@name and its path from /proc/self/cgroup, else
 * @root/@name itself (a container's private view of its own cgroup).
 * -errno when neither opens. One buffer, the path read into its tail:
 * every start runs this for four controllers on v1, and each PATH_MAX
 * buffer on the way down is a page of stack to fault in.
 */
static int open_dir(const char *root, const char *name, const char *text,
		    size_t len)
{
	char path[PATH_MAX];
	struct textbuf t;
	int fd = -1;

	textbuf_init(&t, path, sizeof(path));
	textbuf_puts(&t, root);
	if (name) {
		textbuf_puts(&t, "/");
		textbuf_puts(&t, name);
	}
	if (t.truncated)
		return -ENAMETOOLONG;
	if (kerntext_cgroup_path(text, len, name, path + t.len,
				 sizeof(path) - t.len) == 0)
		fd = openat(AT_FDCWD, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		path[t.len] = '\0';
		fd = openat(AT_FDCWD, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

static bool exists_at(int dir, const char *file)
{
	return faccessat(dir, file, F_OK, 0) == 0;
}

void cgroup_find(struct cgroup *cg, const char *root,
		 const char *proc_self_cgroup, size_t len, bool metrics)
{
	*cg = (struct cgroup){ .memory_dir = -1,
			       .v1_cpu_dir = -1,
			       .v1_cpuacct_dir = -1,
			       .v1_pids_dir = -1 };
	cg->memory_dir = open_dir(root, "memory", proc_self_cgroup, len);
	if (cg->memory_dir >= 0) {
		cg->version = 1;
		if (!metrics)
			return;
		cg->v1_cpu_dir = open_dir(root, "cpu", proc_self_cgroup, len);
		cg->v1_cpuacct_dir =
			open_dir(root, "cpuacct", proc_self_cgroup, len);
		cg->v1_pids_dir = open_dir(root, "pids", proc_self_cgroup, len);
		return;
	}
	int fd = open_dir(root, NULL, proc_self_cgroup, len);

	if (fd >= 0 && exists_at(fd, "cgroup.controllers")) {
		cg->version = 2;
		cg->memory_dir = fd;
	} else {
		fd_close(&fd);
	}
}

void cgroup_close(struct cgroup *cg)
{
	fd_close(&cg->memory_dir);
	fd_close(&cg->v1_cpu_dir);
	fd_close(&cg->v1_cpuacct_dir);
	fd_close(&cg->v1_pids_dir);
	cg->version = 0;
}

/* v2 keeps every controller's files in the one directory. */
static int dir_of(const struct cgroup *cg, enum cgroup_value what)
{
	if (cg->version == 2)
		return cg->memory_dir;
	switch (what) {
	case CGROUP_CPU_USEC:
		return cg->v1_cpuacct_dir;
	case CGROUP_CPU_LIMIT:
		return cg->v1_cpu_dir;
	case CGROUP_PIDS:
	case CGROUP_PIDS_LIMIT:
		return cg->v1_pids_dir;
	default:
		return cg->memory_dir;
	}
}

int cgroup_read(const struct cgroup *cg, enum cgroup_value what, uint64_t *ret)
{
	const struct source *s = &sources[what];
	const char *file = cg->version == 1 ? s->v1_file : s->v2_file;
	const char *key = cg->version == 1 ? s->v1_key : s->v2_key;
	int dir = dir_of(cg, what);
	char buf[READ_MAX];
	uint64_t v;
	int r;

	if (!cg->version || dir < 0)
		return -ENOENT;
	ssize_t n = fd_read_file(dir, file, buf, sizeof(buf));
	if (n >= 0 && what == CGROUP_CPU_LIMIT && cg->version == 1) {
		ssize_t m = fd_read_file(dir, "cpu.cfs_period_us", buf + n,
					 sizeof(buf) - (size_t)n);
		n = m < 0 ? m : n + m;
	}
	if (n < 0)
		return (int)n;
	if (what == CGROUP_CPU_LIMIT)
		r = kerntext_cpu_limit(buf, (size_t)n, &v);
	else if (key)
		r = kerntext_key_u64(buf, (size_t)n, key, &v);
	else
		r = kerntext_limit_u64(buf, (size_t)n, &v);
	if (r < 0)
		return r;
	if (cg->version == 1 && v != KERNTEXT_NO_LIMIT)
		v /= s->v1_div;
	*ret = v;
	return 0;
}

/* v1: an eventfd the kernel signals on every OOM in the memory cgroup. */
static int watch_v1(int dir, int *ret_fd)
{
	char line[64];
	struct textbuf t;
	int efd, ofd = -1, cfd = -1, r = 0;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	ofd = openat(dir, "memory.oom_control", O_RDONLY | O_CLOEXEC);
	if (ofd < 0) {
		r = -errno;
		goto out_close;
	}
	cfd = openat(dir, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
	if (cfd < 0) {
		r = -errno;
		goto out_close;
	}
	textbuf_init(&t, line, sizeof(line));
	textbuf_putu(&t, (unsigned)efd, 10, 0);
	textbuf_puts(&t, " ");
	textbuf_putu(&t, (unsigned)ofd, 10, 0);
	r = fd_write_all(cfd, line, t.len);
out_close:
	/* The registration holds what it needs; these two are done. */
	fd_close(&cfd);
	fd_close(&ofd);
	if (r < 0) {
		fd_close(&efd);
		return r;
	}
	*ret_fd = efd;
	return 0;
}

/* v2: memory.events is rewritten (IN_MODIFY) whenever a counter in it rises. */
static int watch_v2(int dir, int *ret_fd)
{
	char path[64];
	struct textbuf t;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* The directory was found by path once; reach it again through its fd. */
	textbuf_init(&t, path, sizeof(path));
	textbuf_puts(&t, "/proc/self/fd/");
	textbuf_putu(&t, (unsigned)dir, 10, 0);
	textbuf_puts(&t, "/memory.events");
	if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
		int r = -errno;

		fd_close(&fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int cgroup_oom_watch(const struct cgroup *cg, int *ret_fd)
{
	if (!cg->version || cg->memory_dir < 0)
		return -ENOENT;
	return cg->version == 1 ? watch_v1(cg->memory_dir, ret_fd) :
				  watch_v2(cg->memory_dir, ret_fd);
}

void cgroup_oom_drain(int fd)
{
	char buf[sizeof(struct inotify_event) + NAME_MAX + 1];
	ssize_t n;

	/* An eventfd gives its 8-byte counter, inotify its events: both fit. */
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
}
