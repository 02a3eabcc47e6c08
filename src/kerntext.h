/* SPDX-License-Identifier: MIT */
/*
 * kerntext.h - pure parsers for the text the kernel writes in /proc and in
 * cgroupfs: flat "key value" files (memory.events, memory.oom_control,
 * cpu.stat, /proc/PID/status), single values with "max" for no limit,
 * the CPU quota and period, /proc/self/cgroup and /proc/PID/stat. No I/O,
 * no globals, no logs.
 *
 * Each returns 0 and writes its ret_ output only on success; -ENOENT when
 * the key or controller is absent, -EINVAL for text not of the form,
 * -ERANGE for a number that does not fit.
 */
#ifndef PIDONE_KERNTEXT_H
#define PIDONE_KERNTEXT_H

#include <stddef.h>
#include <stdint.h>

/* What a limit file says when there is no limit. */
#define KERNTEXT_NO_LIMIT UINT64_MAX

/*
 * The number after @key in a flat-keyed file: lines "KEY VALUE" (one space,
 * as in memory.events and cpu.stat) or "KEY:   VALUE UNIT" (as in
 * /proc/PID/status; the unit, e.g. "kB", is left to the caller).
 */
int kerntext_key_u64(const char *text, size_t len, const char *key,
		     uint64_t *ret);

/*
 * One number as in memory.current or pids.max: "123\n". "max" (v2) and
 * v1's "no limit" (any value at or above 2^62, which is how v1 rounds
 * LONG_MAX to pages) give KERNTEXT_NO_LIMIT.
 */
int kerntext_limit_u64(const char *text, size_t len, uint64_t *ret);

/*
 * The CPU limit in thousandths of a CPU from "QUOTA PERIOD" (microseconds):
 * v2's cpu.max ("50000 100000\n"), or v1's cpu.cfs_quota_us and
 * cpu.cfs_period_us read one after the other ("50000\n100000\n"). "max"
 * (v2) and "-1" (v1) give KERNTEXT_NO_LIMIT; a limit is rounded to the
 * nearest thousandth and is never 0.
 */
int kerntext_cpu_limit(const char *text, size_t len, uint64_t *ret);

/*
 * The cgroup path of @controller ("memory", "cpuacct"...) in the text of
 * /proc/self/cgroup, written NUL-terminated into @buf; @controller NULL
 * asks for the unified (v2) hierarchy's line "0::PATH". A v1 line may
 * list several controllers ("2:cpu,cpuacct:/x"). -ENOBUFS when @size is
 * too small.
 */
int kerntext_cgroup_path(const char *text, size_t len, const char *controller,
			 char *buf, size_t size);

/* The fields of /proc/PID/stat pidone reports. */
struct kerntext_stat {
	int pid;
	int ppid;
	char state; /* R, S, D, Z... */
	char comm[16]; /* as the kernel keeps it, NUL-terminated */
	uint64_t utime_ticks, stime_ticks;
	uint64_t start_ticks; /* since boot */
	uint64_t rss_pages;
};

/*
 * /proc/PID/stat. The command is read up to the LAST ')', as a command may
 * itself contain ") " and any other byte.
 */
int kerntext_proc_stat(const char *text, size_t len, struct kerntext_stat *ret);

#endif
