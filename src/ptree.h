/* SPDX-License-Identifier: MIT */
/*
 * ptree.h - the container's process tree from /proc, for `pidone status`:
 * what `ps -ef --forest` would show in an image that has no ps.
 *
 * Reading is bounded (PTREE_MAX processes, PTREE_CMD_MAX bytes of each
 * command line); ordering and formatting are pure. ptree_stat reads one
 * process's /proc/PID/stat, for the supervisor and /metrics as well.
 */
#ifndef PIDONE_PTREE_H
#define PIDONE_PTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kerntext.h"
#include "textbuf.h"

#define PTREE_MAX 4096
#define PTREE_CMD_MAX 160

struct ptree_proc {
	int pid, ppid;
	unsigned uid;
	char state; /* as in /proc/PID/stat: R, S, D, Z... */
	uint64_t rss_kb;
	unsigned depth; /* set by ptree_order: 0 for a root */
	char cmd[PTREE_CMD_MAX]; /* arguments joined by spaces, or "[comm]" */
};

/*
 * Read every process under @proc (normally "/proc") into @procs (at most
 * @max; the rest are counted in *ret_more). A process that ends while it
 * is read is left out. Returns the number read or -errno when @proc
 * cannot be listed.
 */
int ptree_scan(const char *proc, struct ptree_proc *procs, size_t max,
	       size_t *ret_more);

/*
 * Read and parse /proc/@pid/stat (the pid as this /proc numbers it): 0,
 * or -errno when it cannot be read (-ENOENT: gone), -EINVAL when it does
 * not parse.
 */
int ptree_stat(int pid, struct kerntext_stat *ret);

/*
 * Reorder @procs so that each process comes right after its parent (or
 * after its parent's earlier children), roots (a parent not in the list)
 * in pid order, siblings in pid order, and set each one's depth.
 * @scratch holds @n entries.
 */
void ptree_order(struct ptree_proc *procs, size_t n,
		 struct ptree_proc *scratch);

/*
 * Append the processes as a table ("PID PPID UID S RSS COMMAND", the
 * command indented by depth) or, with @json, as a JSON array of objects.
 * Commands are escaped: a process chooses its own command line.
 */
void ptree_format(struct textbuf *t, const struct ptree_proc *procs, size_t n,
		  bool json);

#endif
