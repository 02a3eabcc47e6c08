/* SPDX-License-Identifier: MIT */
/*
 * cgroup.c against cgroup trees this test writes in a temporary
 * directory, laid out as the kernel lays out v1 and v2 (the real v1
 * hierarchy, and the OOM eventfd it needs, are tested by the integration
 * tests).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

static char root[64];

static void make_root(void)
{
	strcpy(root, "/tmp/pidone-cgroup-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static void remove_root(void)
{
	cr_assert_eq(nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Write @text to root/@rel, making the directories on the way. */
static void put(const char *rel, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *s = strchr(path + strlen(root) + 1, '/'); s;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "%s",
			  path);
		*s = '/';
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static uint64_t value(const struct cgroup *cg, enum cgroup_value what)
{
	uint64_t v = 0;
	int r = cgroup_read(cg, what, &v);

	cr_assert_eq(r, 0, "value %d: %s", what, strerror(-r));
	return v;
}

static void find(struct cgroup *cg, const char *self)
{
	cgroup_find(cg, root, self, strlen(self), true);
}

static void put_v2(const char *dir)
{
	char rel[128];
	static const char *const files[][2] = {
		{ "cgroup.controllers", "cpu memory pids\n" },
		{ "memory.current", "1234\n" },
		{ "memory.max", "max\n" },
		{ "memory.peak", "4096\n" },
		{ "memory.events", "low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\n"
				   "oom_group_kill 0\n" },
		{ "cpu.stat", "usage_usec 5000\nuser_usec 4000\n" },
		{ "cpu.max", "50000 100000\n" },
		{ "pids.current", "3\n" },
		{ "pids.max", "100\n" },
	};

	put("cgroup.controllers", "cpu memory pids\n");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "%s%s", dir, files[i][0]);
		put(rel, files[i][1]);
	}
}

static void check_v2_values(const struct cgroup *cg)
{
	cr_assert_eq(cg->version, 2);
	cr_assert_eq(value(cg, CGROUP_MEMORY_BYTES), 1234);
	cr_assert_eq(value(cg, CGROUP_MEMORY_LIMIT), KERNTEXT_NO_LIMIT);
	cr_assert_eq(value(cg, CGROUP_MEMORY_PEAK), 4096);
	cr_assert_eq(value(cg, CGROUP_OOM_KILLS), 2);
	cr_assert_eq(value(cg, CGROUP_CPU_USEC), 5000);
	cr_assert_eq(value(cg, CGROUP_CPU_LIMIT), 500);
	cr_assert_eq(value(cg, CGROUP_PIDS), 3);
	cr_assert_eq(value(cg, CGROUP_PIDS_LIMIT), 100);
}

Test(cgroup, v2_at_the_path_of_proc_self_cgroup, .init = make_root,
     .fini = remove_root)
{
	struct cgroup cg;

	put_v2("kubepods/pod1/");
	find(&cg, "0::/kubepods/pod1\n");
	check_v2_values(&cg);
	cgroup_close(&cg);
	cr_assert_eq(cg.memory_dir, -1);
	cgroup_close(&cg); /* twice is harmless */
}

Test(cgroup, v2_private_view_uses_the_root, .init = make_root,
     .fini = remove_root)
{
	struct cgroup cg;

	/* /proc/self/cgroup names the host's path; the mount is our own. */
	put_v2("");
	find(&cg, "0::/docker/0123abcd\n");
	check_v2_values(&cg);
	cgroup_close(&cg);
}

Test(cgroup, v1_controllers_each_in_their_hierarchy, .init = make_root,
     .fini = remove_root)
{
	struct cgroup cg;

	put("memory/app/memory.usage_in_bytes", "65536\n");
	put("memory/app/memory.limit_in_bytes", "67108864\n");
	put("memory/app/memory.max_usage_in_bytes", "70000\n");
	put("memory/app/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
	/* cpuacct has no "app" directory: its root is the container's. */
	put("cpuacct/cpuacct.usage", "7000000\n");
	/* cpu mounted apart from cpuacct, as some hosts do */
	put("cpu/app/cpu.cfs_quota_us", "150000\n");
	put("cpu/app/cpu.cfs_period_us", "100000\n");
	put("pids/app/pids.current", "5\n");
	put("pids/app/pids.max", "max\n");
	put("unified/cgroup.controllers", "");
	find(&cg, "8:pids:/app\n4:memory:/app\n3:cpu:/app\n2:cpuacct:/app\n"
		  "0::/\n");
	cr_assert_eq(cg.version, 1, "v1 memory wins on a hybrid host");
	cr_assert_eq(value(&cg, CGROUP_MEMORY_BYTES), 65536);
	cr_assert_eq(value(&cg, CGROUP_MEMORY_LIMIT), 67108864);
	cr_assert_eq(value(&cg, CGROUP_MEMORY_PEAK), 70000);
	cr_assert_eq(value(&cg, CGROUP_OOM_KILLS), 4);
	cr_assert_eq(value(&cg, CGROUP_CPU_USEC), 7000, "ns to us");
	cr_assert_eq(value(&cg, CGROUP_CPU_LIMIT), 1500, "quota over period");
	cr_assert_eq(value(&cg, CGROUP_PIDS), 5);
	cr_assert_eq(value(&cg, CGROUP_PIDS_LIMIT), KERNTEXT_NO_LIMIT);
	cgroup_close(&cg);
}

Test(cgroup, v1_without_metrics_opens_the_memory_hierarchy_alone,
     .init = make_root, .fini = remove_root)
{
	static const char self[] = "8:pids:/app\n4:memory:/app\n"
				   "2:cpu,cpuacct:/app\n";
	struct cgroup cg;

	put("memory/app/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
	put("cpuacct/app/cpuacct.usage", "7000000\n");
	put("pids/app/pids.current", "5\n");
	cgroup_find(&cg, root, self, strlen(self), false);
	cr_assert_eq(cg.version, 1);
	cr_assert_eq(value(&cg, CGROUP_OOM_KILLS), 4);
	cr_assert_eq(cg.v1_cpu_dir, -1);
	cr_assert_eq(cg.v1_cpuacct_dir, -1);
	cr_assert_eq(cg.v1_pids_dir, -1);
	cr_assert_eq(cgroup_read(&cg, CGROUP_CPU_USEC, &(uint64_t){ 0 }),
		     -ENOENT);
	cr_assert_eq(cgroup_read(&cg, CGROUP_PIDS, &(uint64_t){ 0 }), -ENOENT);
	cgroup_close(&cg);
	/* The same tree with the metrics: every hierarchy is open. */
	cgroup_find(&cg, root, self, strlen(self), true);
	cr_assert_eq(value(&cg, CGROUP_CPU_USEC), 7000);
	cr_assert_eq(value(&cg, CGROUP_PIDS), 5);
	cgroup_close(&cg);
}

Test(cgroup, absent_files_and_no_cgroupfs, .init = make_root,
     .fini = remove_root)
{
	struct cgroup cg;
	uint64_t v = 77;

	find(&cg, "0::/\n");
	cr_assert_eq(cg.version, 0, "no cgroup.controllers: not a cgroup");
	cr_assert_eq(cgroup_read(&cg, CGROUP_MEMORY_BYTES, &v), -ENOENT);
	cr_assert_eq(cgroup_oom_watch(&cg, &(int){ 0 }), -ENOENT);
	cgroup_close(&cg);
	/* A v1 host without the memory controller, and no "0::" line. */
	find(&cg, "8:pids:/app\n");
	cr_assert_eq(cg.version, 0);
	cr_assert_lt(cg.memory_dir, 0);
	cgroup_close(&cg);

	/* A kernel older than 5.19 has no memory.peak, pre-4.13 v1 no oom_kill. */
	put("memory/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
	find(&cg, "4:memory:/\n");
	cr_assert_eq(cg.version, 1);
	cr_assert_eq(cgroup_read(&cg, CGROUP_MEMORY_PEAK, &v), -ENOENT);
	cr_assert_eq(cgroup_read(&cg, CGROUP_OOM_KILLS, &v), -ENOENT);
	cr_assert_eq(cgroup_read(&cg, CGROUP_CPU_USEC, &v), -ENOENT);
	cr_assert_eq(cgroup_read(&cg, CGROUP_CPU_LIMIT, &v), -ENOENT);
	cr_assert_eq(v, 77, "nothing written on failure");
	/* A quota without its period says nothing. */
	put("cpu/cpu.cfs_quota_us", "-1\n");
	cgroup_close(&cg);
	find(&cg, "4:memory:/\n");
	cr_assert_eq(cgroup_read(&cg, CGROUP_CPU_LIMIT, &v), -ENOENT);
	put("cpu/cpu.cfs_period_us", "100000\n");
	cr_assert_eq(cgroup_read(&cg, CGROUP_CPU_LIMIT, &v), 0);
	cr_assert_eq(v, KERNTEXT_NO_LIMIT);
	cgroup_close(&cg);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

Test(cgroup, v2_oom_watch_wakes_on_memory_events, .init = make_root,
     .fini = remove_root)
{
	struct cgroup cg;
	int fd = -1;

	put_v2("c/");
	find(&cg, "0::/c\n");
	cr_assert_eq(cgroup_oom_watch(&cg, &fd), 0);
	cr_assert_geq(fd, 0);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_not(readable(fd), "quiet before any change");
	put("c/memory.events", "low 0\nhigh 0\nmax 9\noom 4\noom_kill 3\n");
	cr_assert(readable(fd), "memory.events changed");
	cgroup_oom_drain(fd);
	cr_assert_not(readable(fd), "drained");
	cr_assert_eq(value(&cg, CGROUP_OOM_KILLS), 3);
	close(fd);
	cgroup_close(&cg);
}
