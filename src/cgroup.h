/* SPDX-License-Identifier: MIT */
/*
 * cgroup.h - the container's own cgroup: where its files are (v1 or v2),
 * what they say (memory, CPU, pids, OOM kills) and an fd that becomes
 * readable when the kernel OOM-kills a process in it.
 *
 * Nothing here logs: absent or unreadable files are the normal case for a
 * non-root pidone or a nested runtime, and the caller decides what to say.
 */
#ifndef PIDONE_CGROUP_H
#define PIDONE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kerntext.h"

struct cgroup {
	int version; /* 1 or 2; 0 when no cgroup was found */
	/* O_PATH directories (usable after the privilege drop); <0: absent. */
	int memory_dir; /* v1 memory controller, or the v2 cgroup */
	/* negative on v2; cpu and cpuacct are often one mount, not always */
	int v1_cpu_dir, v1_cpuacct_dir, v1_pids_dir;
};

enum cgroup_value {
	CGROUP_MEMORY_BYTES,
	CGROUP_MEMORY_LIMIT, /* KERNTEXT_NO_LIMIT when unlimited */
	CGROUP_MEMORY_PEAK,
	CGROUP_OOM_KILLS,
	CGROUP_CPU_USEC,
	CGROUP_CPU_LIMIT, /* millicpus; KERNTEXT_NO_LIMIT when unlimited */
	CGROUP_PIDS,
	CGROUP_PIDS_LIMIT, /* KERNTEXT_NO_LIMIT when unlimited */
	CGROUP_VALUE_MAX
};

/*
 * Find the cgroup that @proc_self_cgroup (the text of /proc/self/cgroup)
 * names under @root (normally "/sys/fs/cgroup"). v1's memory controller
 * wins over v2 on a hybrid host, as that is where the memory limits are.
 * A container often sees its own cgroup mounted at the controller's root
 * while /proc/self/cgroup still names the host's path: then the root is
 * used. cg->version is 0 when no cgroup could be opened. @metrics: also
 * v1's cpu, cpuacct and pids hierarchies, which only the metrics read
 * (v2 has the one directory either way).
 */
void cgroup_find(struct cgroup *cg, const char *root,
		 const char *proc_self_cgroup, size_t len, bool metrics);

/* Close what cgroup_find opened (safe on a zeroed-out or closed one). */
void cgroup_close(struct cgroup *cg);

/* Read one value; -ENOENT when this kernel or cgroup has no such file. */
int cgroup_read(const struct cgroup *cg, enum cgroup_value what, uint64_t *ret);

/*
 * An fd, non-blocking and close-on-exec, that becomes readable when an
 * OOM kill may have happened: v2, an inotify watch on memory.events; v1,
 * an eventfd registered through cgroup.event_control (root only, so call
 * it before the privilege drop). The caller drains it with
 * cgroup_oom_drain() and then compares CGROUP_OOM_KILLS with what it had.
 */
int cgroup_oom_watch(const struct cgroup *cg, int *ret_fd);

/* Read everything pending on the watch fd, so that it is quiet again. */
void cgroup_oom_drain(int fd);

#endif
