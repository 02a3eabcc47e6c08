/* SPDX-License-Identifier: MIT */
/*
 * test_privdrop.c - the final user: every USER[:GROUP] form and error of
 * privdrop_resolve (against temporary passwd and group files, each spec
 * flush against a guard page), the exit code and hint chosen for each
 * error, and privdrop_apply itself. The apply tests change the ids of a
 * process forked for the purpose, so they need root (skipped otherwise).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcodes.h"
#include "guard.h"
#include "log.h"
#include "privdrop.h"

static char dir[] = "/tmp/pidone-privdrop-XXXXXX";
static char passwd_path[128], group_path[128], missing_path[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f, "fopen %s", path);
	cr_assert_geq(fputs(text, f), 0);
	cr_assert_eq(fclose(f), 0);
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(passwd_path, sizeof(passwd_path), "%s/passwd", dir);
	snprintf(group_path, sizeof(group_path), "%s/group", dir);
	snprintf(missing_path, sizeof(missing_path), "%s/missing", dir);
	write_file(passwd_path,
		   "# test image\n"
		   "root:x:0:0:root:/root:/sbin/nologin\n"
		   "toor:x:0:0:another root:/root:/sbin/nologin\n"
		   "nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"
		   "app:x:1000:1001::/app:/sbin/nologin\n"
		   "listed:x:2000:2500::/:/sbin/nologin\n"
		   "1234:x:3000:3001::/:/sbin/nologin\n");
	write_file(group_path, "root:x:0:\n"
			       "nonroot:x:65532:\n"
			       "staff:x:50:app\n"
			       "app:x:1001:\n"
			       "4321:x:4000:\n");
}

static void teardown(void)
{
	unlink(passwd_path);
	unlink(group_path);
	cr_expect_eq(rmdir(dir), 0, "rmdir %s: %s", dir, strerror(errno));
}

struct resolve_row {
	const char *spec;
	int ret;
	uid_t uid;
	gid_t gid;
	const char *text; /* a part of the error text */
	const char *hint; /* a part of the hint */
};

static const struct resolve_row resolve_rows[] = {
	/* numeric */
	{ "65532:65532", 0, 65532, 65532, NULL, NULL },
	{ "1000:1001", 0, 1000, 1001, NULL, NULL },
	{ "65532", 0, 65532, 65532, NULL, NULL }, /* listed: primary gid */
	{ "2000", 0, 2000, 2500, NULL, NULL }, /* listed, gid differs */
	{ "777", 0, 777, 777, NULL, NULL }, /* unlisted: gid = uid */
	{ "4294967294", 0, 4294967294u, 4294967294u, NULL, NULL },
	{ "007", 0, 7, 7, NULL, NULL },
	{ "0", 0, 0, 0, NULL, NULL },
	{ "0:0", 0, 0, 0, NULL, NULL },
	{ "0:1000", 0, 0, 1000, NULL, NULL },
	{ "123456:0", 0, 123456, 0, NULL, NULL }, /* OpenShift-like */
	/* names */
	{ "app", 0, 1000, 1001, NULL, NULL },
	{ "nonroot", 0, 65532, 65532, NULL, NULL },
	{ "app:staff", 0, 1000, 50, NULL, NULL },
	{ "root", 0, 0, 0, NULL, NULL },
	{ "root:staff", 0, 0, 50, NULL, NULL },
	/* mixed */
	{ "app:1001", 0, 1000, 1001, NULL, NULL },
	{ "app:0", 0, 1000, 0, NULL, NULL },
	{ "1000:staff", 0, 1000, 50, NULL, NULL },
	{ "1234", 0, 1234, 1234, NULL,
	  NULL }, /* digits are an id, not a name */
	{ "1:4321", 0, 1, 4321, NULL, NULL },
	/* syntax errors */
	{ "", -EINVAL, 0, 0, "invalid user \"\"", "USER[:GROUP]" },
	{ "a:b:c", -EINVAL, 0, 0, "more than one ':'", "USER[:GROUP]" },
	{ "1:2:3", -EINVAL, 0, 0, "more than one ':'", NULL },
	{ ":1", -EINVAL, 0, 0, "the user before ':' is empty", NULL },
	{ ":", -EINVAL, 0, 0, "the user before ':' is empty", NULL },
	{ "1:", -EINVAL, 0, 0, "the group after ':' is empty", NULL },
	{ "keep:staff", -EINVAL, 0, 0, "keep takes no group", NULL },
	{ "4294967295", -EINVAL, 0, 0, "uid out of range", NULL },
	{ "99999999999999999999", -EINVAL, 0, 0, "uid out of range", NULL },
	{ "1:4294967295", -EINVAL, 0, 0, "gid out of range", NULL },
	/* unknown names */
	{ "nobody", -ENOENT, 0, 0, "unknown user \"nobody\" (searched ",
	  "use numeric ids (65532:65532) or add the user" },
	{ "App", -ENOENT, 0, 0, "unknown user \"App\"", NULL },
	{ "-1", -ENOENT, 0, 0, "unknown user \"-1\"", NULL },
	{ " 1", -ENOENT, 0, 0, "unknown user \" 1\"", NULL },
	{ "app:wheel", -ENOENT, 0, 0, "unknown group \"wheel\" (searched ",
	  "add the group to the image's /etc/group" },
	{ "1000:nogroup", -ENOENT, 0, 0, "unknown group \"nogroup\"", NULL },
	{ "nobody:staff", -ENOENT, 0, 0, "unknown user \"nobody\"", NULL },
	/* root by accident */
	{ "toor", -EPERM, 0, 0, "user \"toor\" is uid 0", "--user 0" },
	{ "toor:staff", -EPERM, 0, 0, "user \"toor\" is uid 0", NULL },
};

Test(privdrop, resolve_table, .init = setup, .fini = teardown)
{
	for (size_t i = 0; i < sizeof(resolve_rows) / sizeof(resolve_rows[0]);
	     i++) {
		const struct resolve_row *row = &resolve_rows[i];
		struct guard g = guard_copy(row->spec, strlen(row->spec) + 1);
		struct credentials cred = { .keep = true,
					    .uid = 42,
					    .gid = 42 };
		struct privdrop_error e;
		int r;

		memset(&e, 0, sizeof(e));
		r = privdrop_resolve(g.data, passwd_path, group_path, &cred,
				     &e);
		cr_expect_eq(r, row->ret, "\"%s\": %d, expected %d (%s)",
			     row->spec, r, row->ret, e.text);
		if (row->ret == 0) {
			cr_expect_not(cred.keep, "\"%s\" keep", row->spec);
			cr_expect_eq(cred.uid, row->uid, "\"%s\" uid %u",
				     row->spec, (unsigned)cred.uid);
			cr_expect_eq(cred.gid, row->gid, "\"%s\" gid %u",
				     row->spec, (unsigned)cred.gid);
			/* a name's own passwd line gives HOME */
			cr_expect_eq(cred.named,
				     strspn(row->spec, "0123456789") <
					     strcspn(row->spec, ":"),
				     "\"%s\" named", row->spec);
		} else {
			cr_expect(cred.keep && cred.uid == 42 && cred.gid == 42,
				  "\"%s\": ret written on failure", row->spec);
			cr_expect_not_null(strstr(e.text, row->text),
					   "\"%s\": text \"%s\" lacks \"%s\"",
					   row->spec, e.text, row->text);
			cr_expect_neq(e.hint[0], '\0', "\"%s\": no hint",
				      row->spec);
			if (row->hint)
				cr_expect_not_null(
					strstr(e.hint, row->hint),
					"\"%s\": hint \"%s\" lacks \"%s\"",
					row->spec, e.hint, row->hint);
		}
		guard_free(&g);
	}
}

Test(privdrop, unknown_name_names_the_file, .init = setup, .fini = teardown)
{
	struct credentials cred;
	struct privdrop_error e;
	char want[256];

	cr_assert_eq(privdrop_resolve("nobody", passwd_path, group_path, &cred,
				      &e),
		     -ENOENT);
	snprintf(want, sizeof(want), "unknown user \"nobody\" (searched %s)",
		 passwd_path);
	cr_assert_str_eq(e.text, want);
	cr_assert_str_eq(e.hint, "use numeric ids (65532:65532) or add the "
				 "user to the image's /etc/passwd");
	cr_assert_eq(privdrop_resolve("app:nogroup", passwd_path, group_path,
				      &cred, &e),
		     -ENOENT);
	snprintf(want, sizeof(want), "unknown group \"nogroup\" (searched %s)",
		 group_path);
	cr_assert_str_eq(e.text, want);
}

Test(privdrop, keep_is_the_current_user, .init = setup, .fini = teardown)
{
	struct credentials cred = { 0 };
	struct privdrop_error e;

	cr_assert_eq(privdrop_resolve("keep", missing_path, missing_path, &cred,
				      &e),
		     0);
	cr_assert(cred.keep);
	cr_assert_eq(cred.uid, geteuid());
	cr_assert_eq(cred.gid, getegid());
	/* "Keep" is a name like any other */
	cr_assert_eq(privdrop_resolve("Keep", passwd_path, group_path, &cred,
				      &e),
		     -ENOENT);
}

Test(privdrop, missing_files, .init = setup, .fini = teardown)
{
	struct credentials cred;
	struct privdrop_error e;

	/* numeric ids need no file at all (scratch images) */
	cr_assert_eq(privdrop_resolve("65532", missing_path, missing_path,
				      &cred, &e),
		     0);
	cr_assert_eq(cred.uid, 65532);
	cr_assert_eq(cred.gid, 65532);
	cr_assert_eq(privdrop_resolve("app", missing_path, group_path, &cred,
				      &e),
		     -ENOENT);
	cr_assert_not_null(strstr(e.text, "it does not exist in this image"),
			   "%s", e.text);
	cr_assert_eq(privdrop_resolve("1:staff", passwd_path, missing_path,
				      &cred, &e),
		     -ENOENT);
	cr_assert_not_null(strstr(e.text, "unknown group \"staff\""), "%s",
			   e.text);
	cr_assert_not_null(strstr(e.text, "it does not exist in this image"),
			   "%s", e.text);
}

Test(privdrop, unreadable_file, .init = setup, .fini = teardown)
{
	struct credentials cred;
	struct privdrop_error e;

	/* a directory reads as EISDIR: a read error, not an unknown name */
	cr_assert_eq(privdrop_resolve("app", dir, group_path, &cred, &e),
		     -EISDIR);
	cr_assert_not_null(strstr(e.text, "cannot read"), "%s", e.text);
	cr_assert_not_null(strstr(e.text, "Is a directory"), "%s", e.text);
	cr_assert_eq(privdrop_resolve("65532", dir, group_path, &cred, &e),
		     -EISDIR);
	cr_assert_not_null(strstr(e.text, "primary group of uid 65532"), "%s",
			   e.text);
	cr_assert_eq(privdrop_resolve("app:staff", passwd_path, dir, &cred, &e),
		     -EISDIR);
	cr_assert_eq(privdrop_resolve_exit_code(-EISDIR), EX_NOPERM);
}

struct exit_row {
	int err;
	int code;
};

static const struct exit_row exit_rows[] = {
	{ -EINVAL, EX_CONFIG }, { -ENOENT, EX_CONFIG }, { -EPERM, EX_NOPERM },
	{ -EACCES, EX_NOPERM }, { -EIO, EX_NOPERM },
};

Test(privdrop, resolve_exit_codes)
{
	for (size_t i = 0; i < sizeof(exit_rows) / sizeof(exit_rows[0]); i++)
		cr_expect_eq(privdrop_resolve_exit_code(exit_rows[i].err),
			     exit_rows[i].code, "%s",
			     strerror(-exit_rows[i].err));
}

struct hint_row {
	int err;
	const char *part; /* NULL: no hint */
};

static const struct hint_row hint_rows[] = {
	{ EPERM, "CAP_SETUID and CAP_SETGID" },
	{ -EPERM, "CAP_SETUID and CAP_SETGID" },
	{ EACCES, "runAsUser" },
	{ EINVAL, "user namespace" },
	{ -EINVAL, "mapped range" },
	{ EAGAIN, "RLIMIT_NPROC" },
	{ EIO, NULL },
	{ 0, NULL },
};

Test(privdrop, hint_per_errno)
{
	for (size_t i = 0; i < sizeof(hint_rows) / sizeof(hint_rows[0]); i++) {
		const char *hint = privdrop_hint(hint_rows[i].err);

		cr_assert_not_null(hint);
		if (!hint_rows[i].part)
			cr_expect_str_empty(hint, "%d: \"%s\"",
					    hint_rows[i].err, hint);
		else
			cr_expect_not_null(strstr(hint, hint_rows[i].part),
					   "%d: \"%s\"", hint_rows[i].err,
					   hint);
	}
}

/*
 * The drop itself, in a forked process (it cannot be undone). The child
 * exits 0 when every check passed, or the number of the first that failed.
 */
static int drop_and_prove(void)
{
	struct credentials cred = { .uid = 65532, .gid = 65533 };
	struct privdrop_error e;
	uid_t r, eu, s;
	gid_t rg, eg, sg, groups[4];

	log_set_fd(-1);
	if (setgroups(2, (gid_t[]){ 10, 20 }) < 0)
		return 1;
	if (privdrop_apply(&cred, &e) != 0)
		return 2;
	if (getresuid(&r, &eu, &s) < 0 || r != 65532 || eu != 65532 ||
	    s != 65532)
		return 3;
	if (getresgid(&rg, &eg, &sg) < 0 || rg != 65533 || eg != 65533 ||
	    sg != 65533)
		return 4;
	if (getgroups(4, groups) != 1 || groups[0] != 65533)
		return 5;
	if (setuid(0) == 0 || setgid(0) == 0 || seteuid(0) == 0)
		return 6;
	/* the bounding set is empty: no exec can bring a capability back */
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			return 7;
	return 0;
}

static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(fn());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "status %#x", status);
	return WEXITSTATUS(status);
}

Test(privdrop, apply_as_root_drops_for_good)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(in_child(drop_and_prove), 0);
}

/* Read what the log wrote to @fd (a pipe) so far. */
static void read_log(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
}

static int log_pipe[2];

static int keep_as_root_warns(void)
{
	struct credentials cred = { .keep = true, .uid = 0, .gid = 0 };
	struct privdrop_error e;

	log_set_fd(log_pipe[1]);
	if (privdrop_apply(&cred, &e) != 0 || geteuid() != 0)
		return 1;
	/* root asked for explicitly: still root, only the group changes */
	cred = (struct credentials){ .uid = 0, .gid = 1234 };
	if (privdrop_apply(&cred, &e) != 0 || geteuid() != 0 ||
	    getegid() != 1234)
		return 2;
	return 0;
}

Test(privdrop, keep_and_root_warn)
{
	char buf[4096];

	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(pipe2(log_pipe, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(in_child(keep_as_root_warns), 0);
	read_log(log_pipe[0], buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, "\"level\":\"warn\",\"msg\":\"the "
				       "command runs as root (--user keep)\""),
			   "%s", buf);
	cr_assert_not_null(
		strstr(buf, "the command runs as root (user 0 asked for)"),
		"%s", buf);
	cr_assert_not_null(strstr(buf, "\"gid\":1234"), "%s", buf);
}

static int not_root_changes_nothing(void)
{
	struct credentials cred = { .uid = 65532, .gid = 65532 };
	struct privdrop_error e;

	if (setgroups(1, (gid_t[]){ 0 }) < 0 || setresgid(0, 0, 0) < 0 ||
	    setresuid(123456, 123456, 123456) < 0)
		return 1;
	log_set_fd(log_pipe[1]);
	if (privdrop_apply(&cred, &e) != 0)
		return 2;
	if (getuid() != 123456 || getgid() != 0)
		return 3;
	return 0;
}

Test(privdrop, not_root_logs_and_goes_on)
{
	char buf[4096];

	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(pipe2(log_pipe, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(in_child(not_root_changes_nothing), 0);
	read_log(log_pipe[0], buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, "\"level\":\"info\""), "%s", buf);
	cr_assert_not_null(strstr(buf, "not root"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"uid\":123456,\"gid\":0,"
				       "\"groups\":\"0\""),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "\"configured_uid\":65532"), "%s", buf);
}

static int final_ids(void)
{
	struct credentials cred = { .uid = 65532, .gid = 65532 }, final;

	privdrop_final(&cred, &final);
	if (final.keep || final.uid != 65532 || final.gid != 65532)
		return 1;
	if (setresgid(0, 0, 0) < 0 || setresuid(777, 777, 777) < 0)
		return 2;
	/* not root: the ids in use are the final ones */
	privdrop_final(&cred, &final);
	if (!final.keep || final.uid != 777 || final.gid != 0)
		return 3;
	return 0;
}

Test(privdrop, final_ids)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(in_child(final_ids), 0);
}
