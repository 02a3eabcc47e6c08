/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptree.h"

static struct ptree_proc procs[PTREE_MAX], scratch[PTREE_MAX];

static void add(size_t *n, int pid, int ppid, const char *cmd)
{
	procs[*n] = (struct ptree_proc){ .pid = pid, .ppid = ppid };
	strcpy(procs[(*n)++].cmd, cmd);
}

Test(ptree, parents_before_children_siblings_in_pid_order)
{
	size_t n = 0;

	/* Listed in the order readdir might give, not in tree order. */
	add(&n, 30, 7, "worker-b");
	add(&n, 1, 0, "init");
	add(&n, 12, 1, "sidecar");
	add(&n, 7, 1, "app");
	add(&n, 31, 30, "grandchild");
	add(&n, 29, 7, "worker-a");
	ptree_order(procs, n, scratch);

	static const struct {
		int pid;
		unsigned depth;
	} want[] = { { 1, 0 },	{ 7, 1 },  { 29, 2 },
		     { 30, 2 }, { 31, 3 }, { 12, 1 } };
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(procs[i].pid, want[i].pid, "row %zu: pid %d", i,
			     procs[i].pid);
		cr_assert_eq(procs[i].depth, want[i].depth, "row %zu", i);
	}
}

Test(ptree, orphans_and_cycles_are_roots_and_nothing_is_lost)
{
	size_t n = 0;

	add(&n, 50, 40, "parent gone"); /* 40 is not in the list */
	add(&n, 9, 1, "child of 1");
	add(&n, 1, 0, "init");
	/* A torn read: 60 and 61 name each other as parent. */
	add(&n, 61, 60, "b");
	add(&n, 60, 61, "a");
	ptree_order(procs, n, scratch);
	cr_assert_eq(procs[0].pid, 1);
	cr_assert_eq(procs[1].pid, 9);
	cr_assert_eq(procs[2].pid, 50);
	cr_assert_eq(procs[2].depth, 0);
	cr_assert_eq(procs[3].pid, 60, "the cycle comes last, as a root");
	cr_assert_eq(procs[3].depth, 0);
	cr_assert_eq(procs[4].pid, 61);
	cr_assert_eq(procs[4].depth, 1);
}

Test(ptree, deep_chain_at_the_limit)
{
	/* The longest chain: every process the child of the one before. */
	for (size_t i = 0; i < PTREE_MAX; i++)
		procs[i] =
			(struct ptree_proc){ .pid = (int)(PTREE_MAX - i),
					     .ppid = (int)(PTREE_MAX - i - 1) };
	ptree_order(procs, PTREE_MAX, scratch);
	for (size_t i = 0; i < PTREE_MAX; i++) {
		cr_assert_eq(procs[i].pid, (int)i + 1);
		cr_assert_eq(procs[i].depth, i);
	}
}

Test(ptree, format_escapes_what_a_process_chose)
{
	char buf[1024];
	struct textbuf t;
	size_t n = 0;

	add(&n, 1, 0, "/init -- python app.py");
	add(&n, 8, 1, "evil\"\\\n[fake 9] line");
	procs[1].depth = 1;
	procs[1].uid = 65532;
	procs[1].state = 'S';
	procs[1].rss_kb = 9000;
	procs[0].state = 'S';

	textbuf_init(&t, buf, sizeof(buf));
	ptree_format(&t, procs, n, false);
	cr_assert_str_eq(
		buf,
		"  PID  PPID   UID S     RSS COMMAND\n"
		"    1     0     0 S      0k /init -- python app.py\n"
		"    8     1 65532 S   9000k   evil\"\\\\n[fake 9] line\n");
	textbuf_init(&t, buf, sizeof(buf));
	ptree_format(&t, procs, n, true);
	cr_assert_str_eq(
		buf,
		"[{\"pid\":1,\"ppid\":0,\"uid\":0,\"state\":\"S\",\"rss_kb\":0,"
		"\"depth\":0,\"command\":\"/init -- python app.py\"},"
		"{\"pid\":8,\"ppid\":1,\"uid\":65532,\"state\":\"S\","
		"\"rss_kb\":9000,\"depth\":1,"
		"\"command\":\"evil\\\"\\\\\\n[fake 9] line\"}]");
}

Test(ptree, scan_finds_this_process_as_it_is)
{
	size_t more = 99;
	int n = ptree_scan("/proc", procs, PTREE_MAX, &more);

	cr_assert_gt(n, 1);
	cr_assert_eq(more, 0);
	for (int i = 0; i < n; i++) {
		if (procs[i].pid != getpid())
			continue;
		cr_assert_eq(procs[i].ppid, getppid());
		cr_assert_eq(procs[i].uid, getuid());
		cr_assert_eq(procs[i].state, 'R');
		cr_assert_gt(procs[i].rss_kb, 0);
		/* Criterion's worker renames itself: compare with the kernel. */
		char want[PTREE_CMD_MAX];
		FILE *f = fopen("/proc/self/cmdline", "re");
		size_t len = fread(want, 1, sizeof(want) - 1, f);
		fclose(f);
		while (len > 0 && want[len - 1] == '\0')
			len--;
		for (size_t k = 0; k < len; k++)
			want[k] = want[k] ? want[k] : ' ';
		want[len] = '\0';
		cr_assert_gt(len, 0);
		cr_assert_str_eq(procs[i].cmd, want);
		return;
	}
	cr_assert_fail("pid %d not found", getpid());
}

Test(ptree, scan_is_bounded)
{
	size_t more = 0;
	int n = ptree_scan("/proc", procs, 1, &more);

	cr_assert_eq(n, 1);
	cr_assert_gt(more, 0, "the others are counted, not read");
	cr_assert_lt(ptree_scan("/nonexistent", procs, 1, &more), 0);
}

/* Scan a fake /proc holding 42, whose cmdline is @len bytes of 'a'. */
static int scan_fake(size_t len)
{
	char root[] = "/tmp/ptree-XXXXXX", dir[64], stat[80], cmdline[80];
	char cmd[512] = { 0 };
	size_t more;
	FILE *f;
	int n;

	cr_assert_not_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/42", root);
	snprintf(stat, sizeof(stat), "%s/stat", dir);
	snprintf(cmdline, sizeof(cmdline), "%s/cmdline", dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_not_null(f = fopen(stat, "we"));
	fputs("42 (app) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1 "
	      "1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 "
	      "0 0\n",
	      f);
	fclose(f);
	cr_assert_not_null(f = fopen(cmdline, "we"));
	memset(cmd, 'a', len);
	fwrite(cmd, 1, len + 1, f);
	fclose(f);
	n = ptree_scan(root, procs, 1, &more);
	unlink(stat);
	unlink(cmdline);
	rmdir(dir);
	rmdir(root);
	return n;
}

Test(ptree, a_cut_command_line_ends_in_dots)
{
	char want[PTREE_CMD_MAX];

	/* 158 bytes and the NUL: the whole of it */
	cr_assert_eq(scan_fake(PTREE_CMD_MAX - 2), 1);
	memset(want, 'a', PTREE_CMD_MAX - 2);
	want[PTREE_CMD_MAX - 2] = '\0';
	cr_expect_str_eq(procs[0].cmd, want);
	/* 159 and more: cut, and said so */
	memcpy(want + PTREE_CMD_MAX - 4, "...", 4);
	cr_assert_eq(scan_fake(PTREE_CMD_MAX - 1), 1);
	cr_expect_str_eq(procs[0].cmd, want);
	cr_assert_eq(scan_fake(300), 1);
	cr_expect_str_eq(procs[0].cmd, want);
}

Test(ptree, stat_of_this_process_and_of_none)
{
	struct kerntext_stat st;
	pid_t child = fork();

	cr_assert_geq(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	cr_assert_eq(ptree_stat(getpid(), &st), 0);
	cr_expect_eq(st.pid, getpid());
	cr_expect_eq(st.ppid, getppid());
	cr_expect_eq(st.state, 'R');
	/* a stopped child is T, as supervisor.c's SIGCONT looks for */
	cr_assert_eq(kill(child, SIGSTOP), 0);
	cr_assert_eq(waitpid(child, NULL, WUNTRACED), child);
	cr_assert_eq(ptree_stat(child, &st), 0);
	cr_expect_eq(st.state, 'T');
	cr_assert_eq(kill(child, SIGKILL), 0);
	cr_assert_eq(waitpid(child, NULL, 0), child);
	cr_expect_eq(ptree_stat(child, &st), -ENOENT);
	cr_expect_eq(ptree_stat(-1, &st), -ENOENT);
}
