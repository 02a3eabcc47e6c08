/* SPDX-License-Identifier: MIT */
/*
 * The /proc and cgroupfs parsers over file contents captured from real
 * kernels (6.1 and 6.18, cgroup v1 and v2), each copied against a guard
 * page so that a read past the end faults.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "kerntext.h"
#include "guard.h"

static const char memory_events_v2[] = "low 0\n"
				       "high 0\n"
				       "max 212\n"
				       "oom 3\n"
				       "oom_kill 2\n"
				       "oom_group_kill 0\n";

static const char oom_control_v1[] = "oom_kill_disable 0\n"
				     "under_oom 0\n"
				     "oom_kill 7\n";

static const char cpu_stat_v2[] = "usage_usec 9819324000\n"
				  "user_usec 4884840000\n"
				  "system_usec 4934484000\n"
				  "nice_usec 0\n";

static const char proc_status[] = "Name:\tpython3\n"
				  "Umask:\t0022\n"
				  "State:\tS (sleeping)\n"
				  "VmPeak:\t   31724 kB\n"
				  "VmRSS:\t   19328 kB\n"
				  "Threads:\t1\n";

static int key(const char *text, const char *k, uint64_t *v)
{
	struct guard g = guard_copy(text, strlen(text));
	int r = kerntext_key_u64(g.data, g.len, k, v);

	guard_free(&g);
	return r;
}

Test(kerntext, key_value_files)
{
	uint64_t v = 99;

	cr_assert_eq(key(memory_events_v2, "oom_kill", &v), 0);
	cr_assert_eq(v, 2);
	/* "oom" must not be read from "oom_kill" or the other way round. */
	cr_assert_eq(key(memory_events_v2, "oom", &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(key(memory_events_v2, "oom_group_kill", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(key(oom_control_v1, "oom_kill", &v), 0);
	cr_assert_eq(v, 7);
	cr_assert_eq(key(cpu_stat_v2, "usage_usec", &v), 0);
	cr_assert_eq(v, UINT64_C(9819324000));
	cr_assert_eq(key(proc_status, "VmRSS", &v), 0);
	cr_assert_eq(v, 19328);
	cr_assert_eq(key(proc_status, "Threads", &v), 0);
	cr_assert_eq(v, 1);
}

Test(kerntext, key_absent_or_bad)
{
	uint64_t v = 99;

	/* A kernel before 4.13 has no oom_kill line in v1. */
	cr_assert_eq(key("oom_kill_disable 0\nunder_oom 0\n", "oom_kill", &v),
		     -ENOENT);
	cr_assert_eq(key("", "oom_kill", &v), -ENOENT);
	cr_assert_eq(key("oom_kill", "oom_kill", &v), -ENOENT);
	cr_assert_eq(key("oom_kill \n", "oom_kill", &v), -EINVAL);
	cr_assert_eq(key("oom_kill x\n", "oom_kill", &v), -EINVAL);
	cr_assert_eq(key(proc_status, "State", &v), -EINVAL);
	cr_assert_eq(key("oom_kill 18446744073709551616\n", "oom_kill", &v),
		     -ERANGE);
	cr_assert_eq(v, 99, "nothing written on failure");
	/* The last line needs no newline. */
	cr_assert_eq(key("a 1\noom_kill 18446744073709551615", "oom_kill", &v),
		     0);
	cr_assert_eq(v, UINT64_MAX);
}

static int limit(const char *text, uint64_t *v)
{
	struct guard g = guard_copy(text, strlen(text));
	int r = kerntext_limit_u64(g.data, g.len, v);

	guard_free(&g);
	return r;
}

Test(kerntext, limits)
{
	uint64_t v = 1;

	cr_assert_eq(limit("max\n", &v), 0);
	cr_assert_eq(v, KERNTEXT_NO_LIMIT);
	cr_assert_eq(limit("67108864\n", &v), 0);
	cr_assert_eq(v, 67108864);
	cr_assert_eq(limit("0\n", &v), 0);
	cr_assert_eq(v, 0);
	/* v1 memory.limit_in_bytes without a limit, 4 KiB pages. */
	cr_assert_eq(limit("9223372036854771712\n", &v), 0);
	cr_assert_eq(v, KERNTEXT_NO_LIMIT);
	v = 5;
	cr_assert_eq(limit("", &v), -EINVAL);
	cr_assert_eq(limit("\n", &v), -EINVAL);
	cr_assert_eq(limit("maximum\n", &v), -EINVAL);
	cr_assert_eq(limit("12 kB\n", &v), -EINVAL);
	cr_assert_eq(limit("-1\n", &v), -EINVAL);
	cr_assert_eq(v, 5);
}

static int cpu(const char *text, uint64_t *v)
{
	struct guard g = guard_copy(text, strlen(text));
	int r = kerntext_cpu_limit(g.data, g.len, v);

	guard_free(&g);
	return r;
}

static const struct {
	const char *text;
	int r;
	uint64_t millicpus; /* when r is 0 */
} cpu_rows[] = {
	/* v2 cpu.max */
	{ "max 100000\n", 0, KERNTEXT_NO_LIMIT },
	{ "50000 100000\n", 0, 500 },
	{ "200000 100000\n", 0, 2000 },
	{ "150000 100000", 0, 1500 },
	{ "33333 100000\n", 0, 333 },
	{ "66667 100000\n", 0, 667 }, /* to the nearest */
	{ "1000 1000000\n", 0, 1 },
	{ "1 1000000\n", 0, 1 }, /* rounds to 0, which is no limit's place */
	/* v1 cpu.cfs_quota_us then cpu.cfs_period_us */
	{ "-1\n100000\n", 0, KERNTEXT_NO_LIMIT },
	{ "25000\n100000\n", 0, 250 },
	{ "400000\n100000\n", 0, 4000 },
	/* not of the form */
	{ "", -EINVAL, 0 },
	{ "\n", -EINVAL, 0 },
	{ "max\n", -EINVAL, 0 },
	{ "max", -EINVAL, 0 },
	{ "-1\n", -EINVAL, 0 }, /* the period could not be read */
	{ "50000\n", -EINVAL, 0 },
	{ "50000 0\n", -EINVAL, 0 },
	{ "50000  100000\n", -EINVAL, 0 },
	{ "maxx 100000\n", -EINVAL, 0 },
	{ "-12\n100000\n", -EINVAL, 0 },
	{ "-2\n100000\n", -EINVAL, 0 },
	{ "50000 100000 1\n", -EINVAL, 0 },
	{ "50000 100000\n\n", -EINVAL, 0 },
	{ "18446744073709551 100000\n", -ERANGE, 0 },
	{ "50000 18446744073709551616\n", -ERANGE, 0 },
};

Test(kerntext, cpu_limits)
{
	for (size_t i = 0; i < sizeof(cpu_rows) / sizeof(cpu_rows[0]); i++) {
		uint64_t v = 7;
		int r = cpu(cpu_rows[i].text, &v);

		cr_expect_eq(r, cpu_rows[i].r, "%zu: %d", i, r);
		cr_expect_eq(v, r == 0 ? cpu_rows[i].millicpus : 7, "%zu: %llu",
			     i, (unsigned long long)v);
	}
}

static const char cgroup_v1_host[] =
	"9:name=systemd:/\n"
	"8:pids:/\n"
	"4:memory:/process_api/fbafc15882abd0752e93f3cc440ae7d5\n"
	"2:cpu,cpuacct:/docker/abc\n"
	"0::/\n";

static const char cgroup_v2_only[] = "0::/system.slice/pidone-test.scope\n";

static int path(const char *text, const char *controller, char *buf,
		size_t size)
{
	struct guard g = guard_copy(text, strlen(text));
	int r = kerntext_cgroup_path(g.data, g.len, controller, buf, size);

	guard_free(&g);
	return r;
}

Test(kerntext, cgroup_paths)
{
	char buf[64];

	cr_assert_eq(path(cgroup_v1_host, "memory", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/process_api/fbafc15882abd0752e93f3cc440ae7d5");
	cr_assert_eq(path(cgroup_v1_host, "cpuacct", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/docker/abc");
	cr_assert_eq(path(cgroup_v1_host, "cpu", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/docker/abc");
	cr_assert_eq(path(cgroup_v1_host, NULL, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(path(cgroup_v2_only, NULL, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/system.slice/pidone-test.scope");
	/* "systemd" is not "name=systemd", "cpu" not "cpuset". */
	cr_assert_eq(path(cgroup_v1_host, "systemd", buf, sizeof(buf)),
		     -ENOENT);
	cr_assert_eq(path("3:cpuset:/\n", "cpu", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(path(cgroup_v2_only, "memory", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(path("10::/x\n", NULL, buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(path("", NULL, buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(path("0::\n", NULL, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(path("0::x\n", NULL, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(path(cgroup_v2_only, NULL, buf, 8), -ENOBUFS);
}

static int stat_of(const char *text, struct kerntext_stat *st)
{
	struct guard g = guard_copy(text, strlen(text));
	int r = kerntext_proc_stat(g.data, g.len, st);

	guard_free(&g);
	return r;
}

Test(kerntext, proc_stat)
{
	struct kerntext_stat st;

	cr_assert_eq(
		stat_of("9126 (cat) R 9111 9111 813 0 -1 4194304 100 0 0 0 "
			"7 3 0 0 20 0 1 0 1341420 3133440 366 "
			"18446744073709551615 93941368246272 0 0\n",
			&st),
		0);
	cr_assert_eq(st.pid, 9126);
	cr_assert_str_eq(st.comm, "cat");
	cr_assert_eq(st.state, 'R');
	cr_assert_eq(st.ppid, 9111);
	cr_assert_eq(st.utime_ticks, 7);
	cr_assert_eq(st.stime_ticks, 3);
	cr_assert_eq(st.start_ticks, 1341420);
	cr_assert_eq(st.rss_pages, 366);
}

Test(kerntext, proc_stat_hostile_command)
{
	struct kerntext_stat st;

	/* A process may name itself ") R 1 1 1": the last ')' counts. */
	cr_assert_eq(stat_of("42 (x) R 1 1 1) S 1 42 42 0 -1 0 0 0 0 0 "
			     "5 6 0 0 20 0 1 0 77 0 9 0\n",
			     &st),
		     0);
	cr_assert_eq(st.pid, 42);
	cr_assert_str_eq(st.comm, "x) R 1 1 1");
	cr_assert_eq(st.state, 'S');
	cr_assert_eq(st.ppid, 1);
	cr_assert_eq(st.rss_pages, 9);
	/* A zombie of a 15-byte name, the kernel's longest. */
	cr_assert_eq(stat_of("7 (123456789012345) Z 1 7 7 0 -1 0 0 0 0 0 "
			     "0 0 0 0 20 0 1 0 77 0 0 0",
			     &st),
		     0);
	cr_assert_str_eq(st.comm, "123456789012345");
	cr_assert_eq(st.state, 'Z');
}

Test(kerntext, proc_stat_malformed)
{
	struct kerntext_stat st = { .pid = -5 };
	static const char *const bad[] = {
		"",
		"42",
		"42 (x",
		"42 x) R 1",
		"(x) R 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 77 0 9 0",
		"42 (x) R",
		"42 (x)R 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 77 0 9 0",
		"42 (x) R 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 77 0",
		"42 (x) R 1 1 1 0 -1 0 0 0 0 0 5 x 0 0 20 0 1 0 77 0 9 0",
		"99999999999 (x) R 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 77 0 9",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_lt(stat_of(bad[i], &st), 0, "accepted: %s", bad[i]);
	cr_assert_eq(st.pid, -5, "nothing written on failure");
}
