/* SPDX-License-Identifier: MIT */
/*
 * test_dirs.c - writable dirs: the fix chosen for each errno and the one
 * error line (pure), then dirs_create and dirs_verify on real temporary
 * directories. The tests that need another uid than root's run in a
 * forked process that drops to it (they need root; skipped otherwise).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dirs.h"

struct hint_row {
	int err;
	uid_t uid;
	gid_t gid;
	const char *want; /* the exact hint for dir "/data" */
};

static const struct hint_row hint_rows[] = {
	{ EACCES, 65532, 65532,
	  "COPY --chown=65532:65532 ... in the Dockerfile, chown "
	  "65532:65532 /data, or for a volume set securityContext.fsGroup: "
	  "65532" },
	{ -EPERM, 1000, 1001,
	  "COPY --chown=1000:1001 ... in the Dockerfile, chown 1000:1001 "
	  "/data, or for a volume set securityContext.fsGroup: 1001" },
	{ EACCES, 1000660000, 0,
	  "RUN chgrp -R 0 /data && chmod -R g=u /data in the Dockerfile "
	  "(OpenShift runs a random uid in group 0), or for a volume set "
	  "securityContext.fsGroup" },
	{ EROFS, 65532, 65532,
	  "the filesystem is read-only: mount an emptyDir (Kubernetes) or "
	  "--tmpfs /data:uid=65532,gid=65532 (docker run) there" },
	{ -ENOENT, 65532, 65532,
	  "create it in the image (RUN mkdir + chown) or pass --create-dirs" },
	{ ENOTDIR, 65532, 65532,
	  "/data is not a directory: remove what is there in the image, or "
	  "point --writable at a directory" },
	{ ENOSPC, 65532, 65532,
	  "the filesystem is full or over quota: free space or grow the "
	  "volume" },
	{ EDQUOT, 65532, 65532,
	  "the filesystem is full or over quota: free space or grow the "
	  "volume" },
	{ EMFILE, 65532, 65532,
	  "raise the open-files limit (ulimit -n, docker run --ulimit "
	  "nofile=...)" },
	{ -ENFILE, 65532, 65532,
	  "raise the open-files limit (ulimit -n, docker run --ulimit "
	  "nofile=...)" },
	{ EIO, 65532, 65532, "check the mount and permissions of /data" },
};

Test(dirs, hint_per_errno)
{
	for (size_t i = 0; i < sizeof(hint_rows) / sizeof(hint_rows[0]); i++) {
		const struct hint_row *row = &hint_rows[i];
		char buf[512];

		cr_expect_eq(dirs_hint(row->err, "/data", row->uid, row->gid,
				       buf, sizeof(buf)),
			     buf);
		cr_expect_str_eq(buf, row->want, "errno %d", row->err);
	}
}

Test(dirs, hint_truncates_safely)
{
	char buf[16];

	memset(buf, 'x', sizeof(buf));
	dirs_hint(EACCES, "/data", 1, 1, buf, sizeof(buf));
	cr_assert_eq(strlen(buf), sizeof(buf) - 1);
	cr_assert_eq(dirs_hint(EACCES, "/data", 1, 1, buf, 0), buf);
}

Test(dirs, explain_names_every_part)
{
	struct stat st = { .st_uid = 0,
			   .st_gid = 0,
			   .st_mode = S_IFDIR | 0755 };
	struct privdrop_error e;

	dirs_explain("/data", -EACCES, 65532, 65532, &st, 0, &e);
	cr_assert_str_eq(e.text, "writable dir /data is not writable by uid "
				 "65532 gid 65532: Permission denied (owner "
				 "0:0 mode 0755)");
	cr_assert_not_null(strstr(e.hint, "COPY --chown=65532:65532"));

	st = (struct stat){ .st_uid = 10,
			    .st_gid = 20,
			    .st_mode = S_IFDIR | 01777 };
	dirs_explain("/ro", EROFS, 1, 2, &st, 0, &e);
	cr_assert_str_eq(e.text, "writable dir /ro is not writable by uid 1 "
				 "gid 2: Read-only file system (owner 10:20 "
				 "mode 1777)");
	cr_assert_not_null(strstr(e.hint, "--tmpfs /ro"));

	dirs_explain("/gone", ENOENT, 1, 2, NULL, ENOENT, &e);
	cr_assert_str_eq(e.text, "writable dir /gone is not writable by uid 1 "
				 "gid 2: No such file or directory (missing)");
	cr_assert_not_null(strstr(e.hint, "--create-dirs"));

	st = (struct stat){ .st_uid = 0,
			    .st_gid = 0,
			    .st_mode = S_IFREG | 0644 };
	dirs_explain("/file", ENOTDIR, 1, 2, &st, 0, &e);
	cr_assert_str_eq(e.text, "writable dir /file is not writable by uid 1 "
				 "gid 2: Not a directory (owner 0:0 mode "
				 "0644, not a directory)");

	dirs_explain("/hidden/x", EACCES, 1, 2, NULL, -EACCES, &e);
	cr_assert_str_eq(e.text, "writable dir /hidden/x is not writable by "
				 "uid 1 gid 2: Permission denied (cannot stat "
				 "it: Permission denied)");
}

/* Where a chown cannot help, the hint does not name one. */
Test(dirs, explain_hints_what_can_help)
{
	struct stat dir555 = { .st_uid = 0, .st_mode = S_IFDIR | 0555 };
	struct stat mine = { .st_uid = 7, .st_mode = S_IFDIR | 0500 };
	struct privdrop_error e;

	/* proc: a dir that is there, and a new file "does not exist" */
	dirs_explain("/proc/sys", ENOENT, 7, 7, &dir555, 0, &e);
	cr_assert(strstr(e.hint, "no owner or mode makes /proc/sys take new "
				 "files"),
		  "%s", e.hint);
	/* sysfs, chattr +i, an LSM: root refused */
	dirs_explain("/sys", EACCES, 0, 0, &dir555, 0, &e);
	cr_assert(strstr(e.hint, "no owner or mode makes /sys"), "%s", e.hint);
	dirs_explain("/sys", EPERM, 0, 0, &dir555, 0, &e);
	cr_assert(strstr(e.hint, "no owner or mode makes /sys"), "%s", e.hint);
	/* a non-root uid refused by the mode is told to chown */
	dirs_explain("/sys", EACCES, 7, 7, &dir555, 0, &e);
	cr_assert(strstr(e.hint, "chown 7:7 /sys"), "%s", e.hint);
	/* owned already: the mode is what to change */
	dirs_explain("/d", EACCES, 7, 7, &mine, 0, &e);
	cr_assert_str_eq(e.hint, "/d is owned by uid 7 already, but its mode "
				 "0500 does not let its owner write: RUN chmod "
				 "u+rwx /d in the Dockerfile");
	mine.st_mode = S_IFDIR | 0600; /* no search: no file can be made */
	dirs_explain("/d", EACCES, 7, 7, &mine, 0, &e);
	cr_assert(strstr(e.hint, "chmod u+rwx /d"), "%s", e.hint);
	/* missing: ENOENT keeps its --create-dirs hint */
	dirs_explain("/gone", ENOENT, 7, 7, NULL, ENOENT, &e);
	cr_assert(strstr(e.hint, "--create-dirs"), "%s", e.hint);
}

/* Out of fds is no fault of the dir: said so, and exit 70, not 77. */
Test(dirs, out_of_fds_is_not_the_dirs_fault)
{
	struct privdrop_error e;
	struct stat st = { .st_uid = 0,
			   .st_gid = 0,
			   .st_mode = S_IFDIR | 01777 };
	char want[256];

	dirs_explain("/tmp", EMFILE, 65532, 65532, &st, 0, &e);
	snprintf(want, sizeof(want),
		 "writable dir /tmp could not be checked as uid 65532 gid "
		 "65532: %s (owner 0:0 mode 1777)",
		 strerror(EMFILE));
	cr_assert_str_eq(e.text, want);
	cr_assert_not_null(strstr(e.hint, "open-files limit"), "%s", e.hint);
	cr_assert_eq(dirs_exit_code(-EMFILE), 70);
	cr_assert_eq(dirs_exit_code(-ENFILE), 70);
	cr_assert_eq(dirs_exit_code(-EACCES), 77);
	cr_assert_eq(dirs_exit_code(-ELOOP), 77);
	cr_assert_eq(dirs_exit_code(-ENOENT), 77);
}

static char base[] = "/tmp/pidone-dirs-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(base));
	cr_assert_eq(chmod(base, 0755), 0);
}

static void teardown(void)
{
	char cmd[256];

	/* The tree holds dirs owned by other uids: rm -rf is simplest. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	cr_expect_eq(system(cmd), 0);
}

static char *at(const char *rel)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	return path;
}

/* Number of entries in @dir other than . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d, "opendir %s", dir);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

Test(dirs, create_nested_owned_by_final_user, .init = setup, .fini = teardown)
{
	struct privdrop_error e;
	struct stat st;
	const char *names[] = { "a", "a/b", "a/b/c" };

	if (geteuid() != 0)
		cr_skip_test("needs root");
	umask(077); /* must not narrow the mode */
	cr_assert_eq(dirs_create(at("a/b/c"), 65532, 65533, NULL, &e), 0, "%s",
		     e.text);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(lstat(at(names[i]), &st), 0);
		cr_expect(S_ISDIR(st.st_mode), "%s", names[i]);
		cr_expect_eq(st.st_uid, 65532, "%s", names[i]);
		cr_expect_eq(st.st_gid, 65533, "%s", names[i]);
		cr_expect_eq(st.st_mode & 07777, 0755, "%s mode %o", names[i],
			     st.st_mode & 07777);
	}
	/* an existing dir is left as it is */
	cr_assert_eq(chown(at("a"), 0, 0), 0);
	cr_assert_eq(chmod(at("a"), 0700), 0);
	cr_assert_eq(dirs_create(at("a/b/c"), 1, 1, NULL, &e), 0);
	cr_assert_eq(dirs_create(at("a//b/./c/"), 1, 1, NULL, &e), 0);
	cr_assert_eq(lstat(at("a"), &st), 0);
	cr_expect_eq(st.st_uid, 0);
	cr_expect_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(lstat(at("a/b/c"), &st), 0);
	cr_expect_eq(st.st_uid, 65532);
}

Test(dirs, create_follows_existing_symlinks_only, .init = setup,
     .fini = teardown)
{
	struct privdrop_error e;
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	/* an image's own symlink (/var/run -> /run) is followed */
	cr_assert_eq(mkdir(at("real"), 0755), 0);
	cr_assert_eq(symlink("real", at("link")), 0);
	cr_assert_eq(dirs_create(at("link/app"), 65532, 65532, NULL, &e), 0,
		     "%s", e.text);
	cr_assert_eq(lstat(at("real/app"), &st), 0);
	cr_expect_eq(st.st_uid, 65532);

	/* a dangling symlink where a dir would be created is refused */
	cr_assert_eq(symlink("/nonexistent-pidone-target", at("dangling")), 0);
	cr_assert_eq(dirs_create(at("dangling/x"), 65532, 65532, NULL, &e),
		     -ELOOP);
	cr_assert_not_null(strstr(e.text, "cannot create writable dir"), "%s",
			   e.text);
	cr_assert_eq(access("/nonexistent-pidone-target", F_OK), -1);
}

Test(dirs, create_errors, .init = setup, .fini = teardown)
{
	struct privdrop_error e;
	int fd;

	fd = open(at("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(dirs_create(at("file/sub"), 1, 1, NULL, &e), -ENOTDIR);
	cr_assert_not_null(strstr(e.text, "Not a directory"), "%s", e.text);
	cr_assert_not_null(strstr(e.hint, "is not a directory"), "%s", e.hint);
	cr_assert_eq(dirs_create("", 1, 1, NULL, &e), -ENOENT);
}

Test(dirs, verify_ok_leaves_nothing, .init = setup, .fini = teardown)
{
	struct privdrop_error e;

	for (int i = 0; i < 20; i++)
		cr_assert_eq(dirs_verify(base, &e), 0, "%s", e.text);
	cr_assert_eq(entries(base), 0);
}

Test(dirs, verify_missing_and_not_a_dir, .init = setup, .fini = teardown)
{
	struct privdrop_error e;
	int fd;

	cr_assert_eq(dirs_verify(at("missing"), &e), -ENOENT);
	cr_assert_not_null(strstr(e.text, "/missing is not writable by uid "),
			   "%s", e.text);
	cr_assert_not_null(strstr(e.text, "(missing)"), "%s", e.text);
	cr_assert_not_null(strstr(e.hint, "--create-dirs"), "%s", e.hint);

	fd = open(at("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0640);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(dirs_verify(at("file"), &e), -ENOTDIR);
	cr_assert_not_null(strstr(e.text, "mode 0640, not a directory"), "%s",
			   e.text);
	cr_assert_eq(entries(base), 1);
}

/* In a child that is uid 65532 gid 65532: verify a root-owned 0755 dir. */
static int verify_as_nonroot(void)
{
	struct privdrop_error e;

	if (setgroups(0, NULL) < 0 || setresgid(65532, 65532, 65532) < 0 ||
	    setresuid(65532, 65532, 65532) < 0)
		return 10;
	if (dirs_verify(base, &e) != -EACCES)
		return 11;
	printf("%s\n%s\n", e.text, e.hint);
	fflush(stdout);
	return 0;
}

Test(dirs, verify_as_another_user_explains, .init = setup, .fini = teardown)
{
	char out[2048] = "", want[512];
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(chown(base, 0, 0), 0);
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		_exit(verify_as_nonroot());
	}
	close(pipefd[1]);
	n = read(pipefd[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x",
		  status);
	snprintf(want, sizeof(want),
		 "writable dir %s is not writable by uid 65532 gid 65532: "
		 "Permission denied (owner 0:0 mode 0755)\n"
		 "COPY --chown=65532:65532 ... in the Dockerfile, chown "
		 "65532:65532 %s, or for a volume set securityContext.fsGroup: "
		 "65532\n",
		 base, base);
	cr_assert_str_eq(out, want);

	/* once it belongs to the user, it works and stays empty */
	cr_assert_eq(chown(base, 65532, 65532), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct privdrop_error e;

		if (setresgid(65532, 65532, 65532) < 0 ||
		    setresuid(65532, 65532, 65532) < 0)
			_exit(10);
		_exit(dirs_verify(base, &e) == 0 ? 0 : 11);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x",
		  status);
	cr_assert_eq(entries(base), 0);
}

/* A dir @rel below base that root owns, mode @mode. */
static void mkdir_mode(const char *rel, mode_t mode)
{
	cr_assert_eq(mkdir(at(rel), mode), 0, "mkdir %s", rel);
	cr_assert_eq(chmod(at(rel), mode), 0);
}

/* A symlink @rel -> @target owned by @uid. */
static void plant(const char *target, const char *rel, uid_t uid)
{
	char copy[512];

	/* @target may be at()'s buffer, which at(rel) overwrites */
	snprintf(copy, sizeof(copy), "%s", target);
	cr_assert_eq(symlink(copy, at(rel)), 0, "symlink %s", rel);
	cr_assert_eq(lchown(at(rel), uid, uid), 0);
}

/*
 * dirs_create_check walks as dirs_create does and makes nothing: it says
 * what dirs_create would say, word for word.
 */
Test(dirs, create_check_makes_nothing_and_says_the_same, .init = setup,
     .fini = teardown)
{
	struct privdrop_error e, made_e;
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(dirs_create_check(at("a/b/c"), 65532, 65532, &e), 0, "%s",
		     e.text);
	cr_assert_eq(entries(base), 0, "nothing made");
	/* through the image's own symlink, fine; through another's, not */
	mkdir_mode("real", 0755);
	cr_assert_eq(symlink("real", at("link")), 0);
	cr_assert_eq(dirs_create_check(at("link/app"), 65532, 65532, &e), 0);
	mkdir_mode("tmp", 01777);
	plant(at("real"), "tmp/cache", 1234);
	cr_assert_eq(dirs_create_check(at("tmp/cache/app"), 65532, 65532, &e),
		     -ELOOP);
	cr_assert_eq(dirs_create(at("tmp/cache/app"), 65532, 65532, NULL,
				 &made_e),
		     -ELOOP);
	cr_assert_str_eq(e.text, made_e.text);
	cr_assert_str_eq(e.hint, made_e.hint);
	cr_assert_eq(entries(at("real")), 0, "nothing at the target");
	/* under a file: the same error as a real walk */
	fd = open(at("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(dirs_create_check(at("file/sub"), 1, 1, &e), -ENOTDIR);
	cr_assert_not_null(strstr(e.text, "Not a directory"), "%s", e.text);
}

Test(dirs, create_refuses_another_users_symlink, .init = setup,
     .fini = teardown)
{
	struct dirs_created made;
	struct privdrop_error e;
	char want[2048];

	if (geteuid() != 0)
		cr_skip_test("needs root");
	dirs_created_init(&made);
	mkdir_mode("victim", 0755);
	mkdir_mode("tmp", 01777); /* like /tmp */
	plant(at("victim"), "tmp/cache", 1234);

	const char *dirs[] = { "tmp/cache", "tmp/cache/app", "tmp/cache/a/b" };
	for (size_t i = 0; i < 3; i++) {
		char dir[512];

		snprintf(dir, sizeof(dir), "%s", at(dirs[i]));
		cr_assert_eq(dirs_create(dir, 65532, 65532, &made, &e), -ELOOP,
			     "%s", dirs[i]);
		snprintf(
			want, sizeof(want),
			"cannot create writable dir %s: %s is a symlink owned "
			"by uid 1234 (not root or the final user), refusing to "
			"follow it",
			dir, at("tmp/cache"));
		cr_assert_str_eq(e.text, want);
		cr_assert_not_null(strstr(e.hint, "uid 65532's symlinks"), "%s",
				   e.hint);
	}
	cr_assert_eq(entries(at("victim")), 0, "nothing at the target");
	cr_assert_eq(made.n, 0);

	/* the same in a dir of the final user's own, and for a relative
	 * symlink: the owner decides, not where it sits */
	mkdir_mode("home", 0755);
	cr_assert_eq(chown(at("home"), 65532, 65532), 0);
	plant("../victim", "home/link", 1234);
	cr_assert_eq(dirs_create(at("home/link/x"), 65532, 65532, &made, &e),
		     -ELOOP);
	cr_assert_eq(entries(at("victim")), 0);
}

Test(dirs, create_follows_root_and_final_user_symlinks, .init = setup,
     .fini = teardown)
{
	struct privdrop_error e;
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	mkdir_mode("tmp", 01777);
	mkdir_mode("run", 0755);
	mkdir_mode("var", 0755);
	plant("../run", "var/run", 0); /* /var/run -> ../run */
	plant(at("run"), "tmp/mine", 65532);
	cr_assert_eq(dirs_create(at("var/run/app"), 65532, 65532, NULL, &e), 0,
		     "%s", e.text);
	cr_assert_eq(dirs_create(at("tmp/mine/other"), 65532, 65532, NULL, &e),
		     0, "%s", e.text);
	cr_assert_eq(lstat(at("run/app"), &st), 0);
	cr_expect_eq(st.st_uid, 65532);
	cr_assert_eq(lstat(at("run/other"), &st), 0);
	cr_expect_eq(st.st_uid, 65532);
	/* the symlink of another final user is someone else's */
	cr_assert_eq(dirs_create(at("tmp/mine/third"), 1000, 1000, NULL, &e),
		     -ELOOP);
	cr_assert_eq(access(at("run/third"), F_OK), -1);
}

Test(dirs, create_checks_symlinks_inside_a_symlinks_target, .init = setup,
     .fini = teardown)
{
	struct privdrop_error e;
	char want[2048];

	if (geteuid() != 0)
		cr_skip_test("needs root");
	mkdir_mode("victim", 0755);
	mkdir_mode("tmp", 01777);
	plant(at("victim"), "tmp/evil", 1234);
	/* root's symlink whose target goes through the other user's one */
	plant(at("tmp/evil"), "data", 0);
	cr_assert_eq(dirs_create(at("data/x"), 65532, 65532, NULL, &e), -ELOOP);
	snprintf(want, sizeof(want), "%s is a symlink owned by uid 1234",
		 at("tmp/evil"));
	cr_assert_not_null(strstr(e.text, want), "%s", e.text);
	cr_assert_eq(entries(at("victim")), 0);

	/* a loop ends */
	plant("loop2", "loop1", 0);
	plant("loop1", "loop2", 0);
	cr_assert_eq(dirs_create(at("loop1/x"), 65532, 65532, NULL, &e),
		     -ELOOP);
	cr_assert_not_null(strstr(e.text, "Too many levels of symbolic links"),
			   "%s", e.text);
}

Test(dirs, undo_removes_what_was_made_only, .init = setup, .fini = teardown)
{
	struct dirs_created made;
	struct privdrop_error e;
	char *dirs[4];
	const char *bad = NULL;
	char keep_new[512], deep[512], keep[512];

	if (geteuid() != 0)
		cr_skip_test("needs root");
	dirs_created_init(&made);
	mkdir_mode("keep", 0700);
	snprintf(keep_new, sizeof(keep_new), "%s", at("keep/new"));
	snprintf(deep, sizeof(deep), "%s", at("a/b/c"));
	snprintf(keep, sizeof(keep), "%s", at("keep"));
	dirs[0] = keep_new;
	dirs[1] = deep;
	dirs[2] = keep;
	dirs[3] = NULL;
	cr_assert_eq(dirs_create_all(dirs, 65532, 65532, &made, &e, &bad), 0,
		     "%s", e.text);
	cr_assert_eq(made.n, 4, "keep/new a a/b a/b/c");
	cr_assert_str_eq(made.made[0].name, "new");
	cr_assert_eq(made.made[3].len, strlen(deep));
	cr_assert_eq(dirs_undo(&made), 0);
	cr_assert_eq(made.n, 0);
	cr_assert_eq(entries(base), 1, "only keep is left");
	cr_assert_eq(entries(keep), 0);
	cr_assert_eq(dirs_undo(&made), 0, "a second undo does nothing");
}

Test(dirs, undo_leaves_a_dir_in_use_or_replaced, .init = setup,
     .fini = teardown)
{
	struct dirs_created made;
	struct privdrop_error e;
	char other[512];
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	dirs_created_init(&made);
	cr_assert_eq(dirs_create(at("used/sub"), 1, 1, &made, &e), 0);
	cr_assert_eq(dirs_create(at("swapped"), 1, 1, &made, &e), 0);
	/* a file appeared in used/sub; swapped is another dir now */
	fd = open(at("used/sub/file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	/* made while swapped exists: its inode number differs */
	cr_assert_eq(mkdir(at("other"), 0755), 0);
	cr_assert_eq(rmdir(at("swapped")), 0);
	snprintf(other, sizeof(other), "%s", at("other"));
	cr_assert_eq(rename(other, at("swapped")), 0);
	/* used/sub is not empty, so used is not either: two are left */
	cr_assert_eq(dirs_undo(&made), 2);
	cr_assert_eq(access(at("used/sub/file"), F_OK), 0);
	cr_assert_eq(access(at("swapped"), F_OK), 0, "not the dir made");
}

/* The lowest fd number that is not open. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	close(fd);
	return fd;
}

/*
 * Out of fds at each step of creating a/b (the walk's fds, the new dir's,
 * the one kept for the undo): every failure is EMFILE, and after the
 * undo nothing is left, neither a dir nor an fd.
 */
Test(dirs, create_out_of_fds_at_every_step_leaves_nothing, .init = setup,
     .fini = teardown)
{
	struct dirs_created made;
	struct privdrop_error e;
	struct rlimit saved, lim;
	int first = lowest_free_fd(), r = -EMFILE, n;
	bool undo_fd_failed = false;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	for (n = first; r == -EMFILE && n < first + 32; n++) {
		dirs_created_init(&made);
		lim = (struct rlimit){ (rlim_t)n, saved.rlim_max };
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
		r = dirs_create(at("a/b"), geteuid(), getegid(), &made, &e);
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
		if (r == 0)
			break;
		cr_assert_eq(r, -EMFILE, "limit %d: %s", n, e.text);
		undo_fd_failed |= strstr(e.text, "keep an fd for") != NULL;
		cr_assert_eq(dirs_undo(&made), 0);
		cr_assert_eq(entries(base), 0, "limit %d left a dir: %s", n,
			     e.text);
		cr_assert_eq(lowest_free_fd(), first, "limit %d left an fd", n);
	}
	cr_assert_eq(r, 0, "limit %d: %s", n, e.text);
	cr_assert(undo_fd_failed, "no limit failed at the fd for the undo");
	cr_assert_eq(made.n, 2);
	dirs_created_done(&made);
	cr_assert_eq(lowest_free_fd(), first);
}

Test(dirs, create_all_stops_at_the_first_failure, .init = setup,
     .fini = teardown)
{
	struct dirs_created made;
	struct privdrop_error e;
	char first[512], second[512];
	char *dirs[] = { first, second, NULL };
	const char *bad = NULL;
	int fd;

	dirs_created_init(&made);
	snprintf(first, sizeof(first), "%s", at("x/y"));
	snprintf(second, sizeof(second), "%s", at("file/z"));
	fd = open(at("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(dirs_create_all(dirs, geteuid(), getegid(), &made, &e,
				     &bad),
		     -ENOTDIR);
	cr_assert_eq(bad, second);
	cr_assert_eq(made.n, 2, "x and x/y stay recorded for the caller");
	cr_assert_eq(dirs_undo(&made), 0);
	cr_assert_eq(entries(base), 1, "only the file is left");
}

Test(dirs, create_is_bounded, .init = setup, .fini = teardown)
{
	struct dirs_created made;
	struct privdrop_error e;
	char deep[4096];
	size_t len;

	dirs_created_init(&made);
	len = (size_t)snprintf(deep, sizeof(deep), "%s", base);
	for (int i = 0; i <= DIRS_CREATED_MAX; i++)
		len += (size_t)snprintf(deep + len, sizeof(deep) - len, "/d");
	cr_assert_lt(len, sizeof(deep));
	cr_assert_eq(dirs_create(deep, geteuid(), getegid(), &made, &e),
		     -E2BIG);
	cr_assert_not_null(strstr(e.text, "more than 64 dirs to create"), "%s",
			   e.text);
	cr_assert_eq(made.n, DIRS_CREATED_MAX);
	cr_assert_eq(dirs_undo(&made), 0);
	cr_assert_eq(entries(base), 0);
}

/* As 65532 after a drop: undo what root made in root's dir @base. */
static int undo_as_nonroot(struct dirs_created *made)
{
	if (setgroups(0, NULL) < 0 || setresgid(65532, 65532, 65532) < 0 ||
	    setresuid(65532, 65532, 65532) < 0)
		return 10;
	return dirs_undo(made) == 1 ? 0 : 11;
}

Test(dirs, undo_after_the_drop_leaves_the_top_dir, .init = setup,
     .fini = teardown)
{
	struct dirs_created made;
	struct privdrop_error e;
	int status;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	dirs_created_init(&made);
	cr_assert_eq(chown(base, 0, 0), 0);
	cr_assert_eq(dirs_create(at("top/mid/leaf"), 65532, 65532, &made, &e),
		     0, "%s", e.text);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(undo_as_nonroot(&made));
	dirs_created_done(&made);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x",
		  status);
	/* 65532 may remove what it owns the parent of, not top in root's */
	cr_assert_eq(access(at("top"), F_OK), 0);
	cr_assert_eq(entries(at("top")), 0);
}
