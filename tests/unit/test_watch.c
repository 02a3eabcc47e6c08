/* SPDX-License-Identifier: MIT */
/*
 * test_watch.c - src/watch.c: the pure parts (a path's parent, what an
 * inotify event means for a watched path) as tables, then the watches on
 * a real temporary tree: each file-system change is made, the loop is
 * run once without waiting (the kernel queues inotify events before the
 * call that caused them returns), and the test looks at which inodes are
 * watched and whether the debounce timer runs. No test waits for the
 * debounce itself: its callback is invoked by hand.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "watch.h"

Test(watch, parent_len)
{
	static const struct {
		const char *path;
		size_t len, want;
	} rows[] = {
		{ "/a/b", 4, 2 },    { "/a/b", 2, 1 },	    { "/a", 2, 1 },
		{ "/", 1, 0 },	     { "", 0, 0 },	    { "/a//b", 5, 2 },
		{ "/abc/de", 7, 4 }, { "/abc/de/f", 7, 4 }, { "//a", 3, 1 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_expect_eq(watch_parent_len(rows[i].path, rows[i].len),
			     rows[i].want, "%s (%zu)", rows[i].path,
			     rows[i].len);
}

#define C WATCH_CHANGE
#define R WATCH_REARM
#define N WATCH_NONE

Test(watch, classify)
{
	static const struct {
		const char *what;
		const char *path;
		size_t anchor_len;
		bool self, anchor;
		uint32_t mask;
		const char *name;
		unsigned want;
	} rows[] = {
		/* On the path itself: everything is a change. */
		{ "a write", "/etc/cfg", 4, true, false, IN_MODIFY, "a.conf",
		  C },
		{ "chmod, touch", "/etc/cfg", 4, true, false, IN_ATTRIB, "",
		  C },
		{ "a file created in it", "/etc/cfg", 4, true, false, IN_CREATE,
		  "new", C },
		{ "..data renamed over in it", "/etc/cfg", 4, true, false,
		  IN_MOVED_TO, "..data", C },
		{ "an old timestamped dir removed", "/etc/cfg", 4, true, false,
		  IN_DELETE | IN_ISDIR, "..2026_12_04", C },
		{ "removed itself", "/etc/cfg", 4, true, false, IN_DELETE_SELF,
		  "", C | R },
		{ "its watch dropped", "/etc/cfg", 4, true, false, IN_IGNORED,
		  "", C | R },
		{ "moved away", "/etc/cfg", 4, true, false, IN_MOVE_SELF, "",
		  C | R },
		{ "its file system unmounted", "/etc/cfg", 4, true, false,
		  IN_UNMOUNT, "", C | R },

		/* On its parent. */
		{ "created", "/etc/cfg", 4, false, true, IN_CREATE | IN_ISDIR,
		  "cfg", C | R },
		{ "removed", "/etc/cfg", 4, false, true, IN_DELETE | IN_ISDIR,
		  "cfg", C | R },
		{ "replaced by a rename", "/etc/app.conf", 4, false, true,
		  IN_MOVED_TO, "app.conf", C | R },
		{ "renamed away", "/etc/app.conf", 4, false, true,
		  IN_MOVED_FROM, "app.conf", C | R },
		{ "a sibling", "/etc/app.conf", 4, false, true, IN_CREATE,
		  "other.conf", N },
		{ "a longer name", "/etc/cfg", 4, false, true, IN_CREATE,
		  "cfg2", N },
		{ "a shorter name", "/etc/cfg", 4, false, true, IN_CREATE, "cf",
		  N },
		{ "the sibling ..data swapped", "/etc/cfg/app.conf", 8, false,
		  true, IN_MOVED_TO, "..data", C | R },
		{ "..data swapped above a dir", "/etc/cfg/sub", 8, false, true,
		  IN_MOVED_TO, "..data", C | R },
		{ "a write to a sibling (shared mask)", "/etc/app.conf", 4,
		  false, true, IN_MODIFY, "other.conf", N },
		{ "the parent removed", "/etc/cfg", 4, false, true,
		  IN_DELETE_SELF, "", C | R },
		{ "the parent's watch dropped", "/etc/cfg", 4, false, true,
		  IN_IGNORED, "", C | R },

		/* On an ancestor, while the path does not exist. */
		{ "the next component created", "/etc/a/b/cfg", 4, false, true,
		  IN_CREATE | IN_ISDIR, "a", R },
		{ "the next component moved in", "/etc/a/b/cfg", 4, false, true,
		  IN_MOVED_TO | IN_ISDIR, "a", R },
		{ "another entry", "/etc/a/b/cfg", 4, false, true,
		  IN_CREATE | IN_ISDIR, "b", N },
		{ "no ..data rule above the parent", "/etc/a/b/cfg", 4, false,
		  true, IN_MOVED_TO, "..data", N },
		{ "the ancestor gone", "/etc/a/b/cfg", 4, false, true,
		  IN_DELETE_SELF, "", R },
		{ "the root as anchor", "/cfg", 1, false, true,
		  IN_CREATE | IN_ISDIR, "cfg", C | R },
		{ "the root, a deeper path", "/a/cfg", 1, false, true,
		  IN_CREATE | IN_ISDIR, "a", R },

		/* One inode that is both (a path and its parent's path). */
		{ "self and anchor", "/etc/cfg", 4, true, true, IN_CREATE,
		  "cfg", C | R },
		{ "neither", "/etc/cfg", 4, false, false, IN_CREATE, "cfg", N },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_expect_eq(watch_classify(rows[i].path, rows[i].anchor_len,
					    rows[i].self, rows[i].anchor,
					    rows[i].mask, rows[i].name),
			     rows[i].want, "%s: %s", rows[i].what,
			     rows[i].path);
}

/* A real tree under a temporary directory, and one watch on it. */
struct tree {
	char root[64];
	struct ev_loop *loop;
	struct watch w;
	unsigned calls;
	const char *last;
};

static void on_change(void *data, const char *path)
{
	struct tree *t = data;

	t->calls++;
	t->last = path;
}

static char *at(const struct tree *t, const char *rel)
{
	static char buf[4][256];
	static int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", t->root, rel);
	return b;
}

static void tree_start(struct tree *t, const char *const *rel)
{
	char *paths[4] = { NULL };

	log_set_fd(-1);
	snprintf(t->root, sizeof(t->root), "/tmp/pidone-watch-XXXXXX");
	cr_assert_not_null(mkdtemp(t->root));
	t->loop = ev_loop_new(EVFLAG_AUTO);
	cr_assert_not_null(t->loop);
	t->calls = 0;
	t->last = NULL;
	for (int i = 0; rel[i]; i++)
		paths[i] = strdup(at(t, rel[i]));
	watch_init(&t->w);
	cr_assert_eq(watch_start(&t->w, t->loop, paths, on_change, t), 0);
	for (int i = 0; paths[i]; i++)
		free(paths[i]);
}

/* Read what the kernel queued; true when the debounce timer runs. */
static bool pending(struct tree *t)
{
	ev_run(t->loop, EVRUN_NOWAIT);
	return ev_is_active(&t->w.debounce);
}

/* The quiet period ends now: the callback runs, the timer is gone. */
static void quiet_now(struct tree *t)
{
	ev_timer_stop(t->loop, &t->w.debounce);
	ev_invoke(t->loop, &t->w.debounce, EV_TIMER);
}

static void run_cmd(const char *const argv[])
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(status, 0, "%s failed", argv[0]);
}

static void tree_done(struct tree *t)
{
	watch_done(&t->w);
	ev_loop_destroy(t->loop);
	run_cmd((const char *const[]){ "rm", "-rf", t->root, NULL });
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

Test(watch, no_paths_no_fd)
{
	struct watch w;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

	watch_init(&w);
	cr_expect_eq(watch_start(&w, loop, NULL, on_change, NULL), 0);
	cr_expect_eq(w.fd, -1, "no inotify fd without --watch");
	watch_done(&w);
	ev_loop_destroy(loop);
}

/* Reads never wake pidone; writes do; the callback names the path. */
Test(watch, reads_are_quiet_writes_are_changes)
{
	struct tree t;
	char buf[16];
	int fd;

	tree_start(&t, (const char *const[]){ "", NULL });
	write_file(at(&t, "a.conf"), "1");
	cr_expect(pending(&t), "a new file is a change");
	quiet_now(&t);
	cr_expect_eq(t.calls, 1);
	cr_expect_str_eq(t.last, t.root);
	cr_expect_not(pending(&t), "nothing more");
	fd = open(at(&t, "a.conf"), O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_expect_eq(read(fd, buf, sizeof(buf)), 1);
	close(fd);
	cr_expect_not(pending(&t), "the app reading its config is quiet");
	write_file(at(&t, "a.conf"), "2");
	cr_expect(pending(&t), "a write is a change");
	tree_done(&t);
}

/*
 * A ConfigMap volume: watching its directory and one of its files, each
 * swap is a change for both, and the file's watch follows it to the new
 * timestamped directory.
 */
Test(watch, configmap_swap)
{
	struct tree t;
	int file_wd;

	tree_start(&t, (const char *const[]){ "cfg", "cfg/app.conf", NULL });
	cr_expect_eq(t.w.paths[0].wd_self, -1, "not there yet");
	cr_expect_eq(t.w.paths[0].anchor_len, strlen(t.root));
	cr_assert_eq(mkdir(at(&t, "cfg"), 0755), 0);
	cr_assert_eq(mkdir(at(&t, "cfg/..2026_12_04_01"), 0755), 0);
	write_file(at(&t, "cfg/..2026_12_04_01/app.conf"), "v1");
	cr_assert_eq(symlink("..2026_12_04_01", at(&t, "cfg/..data")), 0);
	cr_assert_eq(symlink("..data/app.conf", at(&t, "cfg/app.conf")), 0);
	cr_expect(pending(&t), "its appearance is a change");
	cr_expect_geq(t.w.paths[0].wd_self, 0, "watched since it appeared");
	cr_expect_geq(t.w.paths[1].wd_self, 0, "the file too");
	cr_expect_eq(t.w.paths[1].anchor_len, strlen(at(&t, "cfg")));
	quiet_now(&t);
	file_wd = t.w.paths[1].wd_self;

	/* The kubelet's update, step by step. */
	cr_assert_eq(mkdir(at(&t, "cfg/..2026_12_04_02"), 0755), 0);
	write_file(at(&t, "cfg/..2026_12_04_02/app.conf"), "v2");
	cr_assert_eq(symlink("..2026_12_04_02", at(&t, "cfg/..data_tmp")), 0);
	cr_assert_eq(rename(at(&t, "cfg/..data_tmp"), at(&t, "cfg/..data")), 0);
	run_cmd((const char *const[]){ "rm", "-rf",
				       at(&t, "cfg/..2026_12_04_01"), NULL });
	cr_expect(pending(&t), "the swap is a change");
	cr_expect_geq(t.w.paths[1].wd_self, 0);
	cr_expect_neq(t.w.paths[1].wd_self, file_wd,
		      "the file's watch follows the new target");
	quiet_now(&t);
	cr_expect_eq(t.calls, 2, "one call per quiet period");
	cr_expect_not(pending(&t), "nothing left over from the swap");

	/* A write in the new target: seen through the file's new watch. */
	write_file(at(&t, "cfg/..2026_12_04_02/app.conf"), "v3");
	cr_expect(pending(&t));
	cr_expect_str_eq(t.last, at(&t, "cfg"));
	tree_done(&t);
}

/* Gone and back, several levels deep: the anchor walks up and down. */
Test(watch, removed_and_recreated)
{
	struct tree t;

	tree_start(&t, (const char *const[]){ "a/b/cfg", NULL });
	cr_expect_eq(t.w.paths[0].anchor_len, strlen(t.root));
	run_cmd((const char *const[]){ "mkdir", "-p", at(&t, "a/b/cfg"),
				       NULL });
	cr_expect(pending(&t), "it appeared");
	cr_expect_geq(t.w.paths[0].wd_self, 0);
	cr_expect_eq(t.w.paths[0].anchor_len, strlen(at(&t, "a/b")));
	quiet_now(&t);

	run_cmd((const char *const[]){ "rm", "-rf", at(&t, "a"), NULL });
	cr_expect(pending(&t), "its removal is a change");
	cr_expect_eq(t.w.paths[0].wd_self, -1);
	cr_expect_eq(t.w.paths[0].anchor_len, strlen(t.root),
		     "the anchor went up to what is left");
	quiet_now(&t);
	cr_expect_not(pending(&t));

	cr_assert_eq(mkdir(at(&t, "a"), 0755), 0);
	cr_expect_not(pending(&t), "an ancestor is not the path");
	cr_expect_eq(t.w.paths[0].anchor_len, strlen(at(&t, "a")));
	cr_assert_eq(mkdir(at(&t, "a/b"), 0755), 0);
	cr_assert_eq(mkdir(at(&t, "a/b/cfg"), 0755), 0);
	cr_expect(pending(&t), "back");
	cr_expect_geq(t.w.paths[0].wd_self, 0);
	quiet_now(&t);
	write_file(at(&t, "a/b/cfg/x"), "1");
	cr_expect(pending(&t), "watched again");
	tree_done(&t);
}

/* A file replaced by a rename (an editor's save): its new inode is watched. */
Test(watch, file_replaced_by_rename)
{
	struct tree t;
	int wd;

	tree_start(&t, (const char *const[]){ "app.conf", NULL });
	write_file(at(&t, "app.conf"), "1");
	cr_expect(pending(&t));
	quiet_now(&t);
	wd = t.w.paths[0].wd_self;
	cr_assert_geq(wd, 0);
	write_file(at(&t, ".app.conf.swp"), "2");
	cr_expect_not(pending(&t), "a sibling is not the path");
	cr_assert_eq(rename(at(&t, ".app.conf.swp"), at(&t, "app.conf")), 0);
	cr_expect(pending(&t));
	cr_expect_neq(t.w.paths[0].wd_self, wd);
	quiet_now(&t);
	cr_expect_not(pending(&t), "the old inode's end is not reported");
	write_file(at(&t, "app.conf"), "3");
	cr_expect(pending(&t));
	tree_done(&t);
}
