/* SPDX-License-Identifier: MIT */
/*
 * ptree.c - the process tree from /proc. See ptree.h.
 */
#include "ptree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "fdutil.h"
#include "kerntext.h"
#include "textbuf.h"
#include "banned.h"

/* /proc/PID/stat and /proc/PID/status are well under this. */
#define PROC_FILE_MAX 4096

/*
 * The command line with NULs as spaces, or "[comm]" for a kernel thread;
 * one longer than fits ends in "...", so that a cut is never taken for
 * the whole.
 */
static void read_cmd(int dir, const struct kerntext_stat *st, char *cmd)
{
	ssize_t n = fd_read_file(dir, "cmdline", cmd, PTREE_CMD_MAX - 1);

	if (n <= 0) {
		textbuf_snprintf(cmd, PTREE_CMD_MAX, "[%s]", st->comm);
		return;
	}
	/* the file ends in a NUL: a full buffer without one was cut */
	if (n == PTREE_CMD_MAX - 1 && cmd[n - 1] != '\0')
		memcpy(cmd + n - 3, "...", 3);
	while (n > 0 && cmd[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[n] = '\0';
}

/* See ptree.h. */
int ptree_stat(int pid, struct kerntext_stat *ret)
{
	char path[40], buf[1024];
	ssize_t n;

	textbuf_snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = fd_read_file(AT_FDCWD, path, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 ? (int)n : -EINVAL;
	return kerntext_proc_stat(buf, (size_t)n, ret);
}

/* One process; -errno when it ended while being read. */
static int read_proc(int proc_dir, const char *name, struct ptree_proc *ret)
{
	char buf[PROC_FILE_MAX];
	struct kerntext_stat st;
	uint64_t uid = 0, rss_kb = 0;
	int r = 0;
	int dir = openat(proc_dir, name, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dir < 0)
		return -errno;
	ssize_t n = fd_read_file(dir, "stat", buf, sizeof(buf));
	if (n < 0 || (r = kerntext_proc_stat(buf, (size_t)n, &st)) < 0) {
		r = n < 0 ? (int)n : r;
		goto out_close;
	}
	n = fd_read_file(dir, "status", buf, sizeof(buf));
	/*
	 * VmRSS, not stat's rss: the kernel sums its per-CPU counts for it,
	 * where stat's is a quick read that may miss most of a small
	 * process's pages (128k for a 288 kB pidone on 6.18). None: 0 (a
	 * kernel thread).
	 */
	if (n > 0) {
		(void)kerntext_key_u64(buf, (size_t)n, "Uid", &uid);
		(void)kerntext_key_u64(buf, (size_t)n, "VmRSS", &rss_kb);
	}
	*ret = (struct ptree_proc){
		.pid = st.pid,
		.ppid = st.ppid,
		.uid = (unsigned)uid,
		.state = st.state,
		.rss_kb = rss_kb,
	};
	read_cmd(dir, &st, ret->cmd);
out_close:
	fd_close(&dir);
	return r;
}

int ptree_scan(const char *proc, struct ptree_proc *procs, size_t max,
	       size_t *ret_more)
{
	int fd = openat(AT_FDCWD, proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n = 0, more = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;

		fd_close(&fd);
		return r;
	}
	while ((e = readdir(d))) {
		if (!(e->d_name[0] >= '1' && e->d_name[0] <= '9'))
			continue;
		if (n == max)
			more++;
		else if (read_proc(dirfd(d), e->d_name, &procs[n]) == 0)
			n++;
	}
	closedir(d);
	*ret_more = more;
	return (int)n;
}

static int by_pid(const void *a, const void *b)
{
	const struct ptree_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The index in @procs (sorted by pid) of @pid, or -1 (not an error). */
static long find_pid(const struct ptree_proc *procs, size_t n, int pid)
{
	struct ptree_proc key = { .pid = pid };
	const struct ptree_proc *p =
		bsearch(&key, procs, n, sizeof(*p), by_pid);

	return p ? p - procs : -1;
}

void ptree_order(struct ptree_proc *procs, size_t n, struct ptree_proc *scratch)
{
	/* Pending subtrees, and where each process went: both bounded by n. */
	size_t stack[PTREE_MAX], top = 0, out = 0;
	bool done[PTREE_MAX] = { false };

	if (n > PTREE_MAX)
		n = PTREE_MAX;
	qsort(procs, n, sizeof(*procs), by_pid);
	/*
	 * Roots first in pid order; then, should a torn read have made a
	 * cycle of parents, whatever is left, as roots.
	 */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (done[i] || (pass == 0 &&
					find_pid(procs, n, procs[i].ppid) >= 0))
				continue;
			procs[i].depth = 0;
			stack[top++] = i;
			while (top > 0) {
				size_t u = stack[--top];

				if (done[u])
					continue;
				done[u] = true;
				scratch[out++] = procs[u];
				/*
				 * Children in reverse pid order, popped in pid
				 * order. Each is pushed once (one parent each),
				 * so the stack holds at most n. A linear search:
				 * containers run tens of processes, and the
				 * worst case (PTREE_MAX) stays in milliseconds.
				 */
				for (size_t c = n; c-- > 0;)
					if (!done[c] &&
					    procs[c].ppid == procs[u].pid) {
						procs[c].depth =
							procs[u].depth + 1;
						stack[top++] = c;
					}
			}
		}
	memcpy(procs, scratch, out * sizeof(*procs));
}

void ptree_format(struct textbuf *t, const struct ptree_proc *procs, size_t n,
		  bool json)
{
	/* Each command byte escapes to at most 6 ("\u00XX"). */
	char cmd[PTREE_CMD_MAX * 6];

	if (!json)
		textbuf_puts(t, "  PID  PPID   UID S     RSS COMMAND\n");
	else
		textbuf_puts(t, "[");
	for (size_t i = 0; i < n; i++) {
		const struct ptree_proc *p = &procs[i];

		escape(cmd, sizeof(cmd), p->cmd, strlen(p->cmd),
		       json ? ESC_JSON : ESC_TEXT, NULL);
		if (json)
			textbuf_printf(t,
				       "%s{\"pid\":%d,\"ppid\":%d,\"uid\":%u,"
				       "\"state\":\"%c\",\"rss_kb\":%llu,"
				       "\"depth\":%u,\"command\":\"%s\"}",
				       i ? "," : "", p->pid, p->ppid, p->uid,
				       p->state, (unsigned long long)p->rss_kb,
				       p->depth, cmd);
		else
			textbuf_printf(
				t, "%5d %5d %5u %c %6lluk %*s%s\n", p->pid,
				p->ppid, p->uid, p->state,
				(unsigned long long)p->rss_kb,
				(int)(2 * (p->depth < 20 ? p->depth : 20)), "",
				cmd);
	}
	if (json)
		textbuf_puts(t, "]");
}
