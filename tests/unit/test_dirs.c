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
	  "--tmpfs /data (docker run) there" },
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
	cr_assert_eq(dirs_create(at("link/app"), 65532, 65532, NULL, &e), 0, "%s",
		     e.text);
	cr_assert_eq(lstat(at("real/app"), &st), 0);
	cr_expect_eq(st.st_uid, 65532);

	/* a dangling symlink where a dir would be created is refused */
	cr_assert_eq(symlink("/nonexistent-pidone-target", at("dangling")), 0);
	cr_assert_eq(dirs_create(at("dangling/x"), 65532, 65532, NULL, &e), -ELOOP);
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
