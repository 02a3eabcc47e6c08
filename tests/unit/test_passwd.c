/* SPDX-License-Identifier: MIT */
/*
 * test_passwd.c - user and group lookups from temporary passwd and group
 * files: names, uids, comments, malformed and very long lines, duplicates,
 * missing and unreadable files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "passwd.h"

static char dir[] = "/tmp/pidone-passwd-XXXXXX";
static char passwd_path[128], group_path[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f, "fopen %s", path);
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

static const char passwd_text[] =
	"# a comment line\n"
	"root:x:0:0:root:/root:/bin/sh\n"
	"\n"
	"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	"malformed line without colons\n"
	"app:x:1000:1001::/app:/bin/false\n"
	"dup:x:2000:2000::/:/bin/false\n"
	"dup:x:2001:2001::/:/bin/false\n"
	"shared:x:1000:3000::/:/bin/false\n"
	/* malformed: skipped, as glibc skips them (musl read the first
	 * three as gid 0, the root group, and uid 1000) */
	"emptygid:x:4100::x:/:/bin/sh\n"
	"bigid:x:4294968296:1000::/:/bin/sh\n"
	"widegid:x:4200:4294967296::/:/bin/sh\n"
	"minus1:x:4294967295:4300::/:/bin/sh\n"
	"hexid:x:0x10:16::/:/bin/sh\n"
	"signed:x:+17:17::/:/bin/sh\n"
	"spaced:x: 18:18::/:/bin/sh\n"
	"fivefields:x:19:19:gecos\n"
	":x:20:20::/:/bin/sh\n"
	"+nis:x:21:21::/:/bin/sh\n"
	/* valid, though musl skipped them: no shell; CRLF */
	"noshell:x:4400:4401:app:/home/noshell\n"
	"crlf:x:4500:4501::/crlf:/bin/sh\r\n"
	"noend:x:4000:4001::/:";

static const char group_text[] = "# groups\n"
				 "root:x:0:\n"
				 "nonroot:x:65532:\n"
				 "staff:x:50:app,other\n"
				 "junk\n"
				 "app:x:1001:\n"
				 "nogid:x::\n"
				 "widegid:x:4294967296:\n"
				 "three:x:60\n"
				 "last:x:7000:";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(passwd_path, sizeof(passwd_path), "%s/passwd", dir);
	snprintf(group_path, sizeof(group_path), "%s/group", dir);
	write_file(passwd_path, passwd_text);
	write_file(group_path, group_text);
}

static void teardown(void)
{
	unlink(passwd_path);
	unlink(group_path);
	cr_expect_eq(rmdir(dir), 0, "rmdir %s: %s", dir, strerror(errno));
}

struct user_row {
	const char *name;
	int ret;
	uid_t uid;
	gid_t gid;
};

static const struct user_row user_rows[] = {
	{ "root", 0, 0, 0 },
	{ "nonroot", 0, 65532, 65532 },
	{ "app", 0, 1000, 1001 },
	{ "dup", 0, 2000, 2000 }, /* first entry wins */
	{ "noend", 0, 4000, 4001 }, /* no newline, an empty last field */
	{ "noshell", 0, 4400, 4401 },
	{ "crlf", 0, 4500, 4501 },
	{ "emptygid", -ENOENT, 0, 0 },
	{ "bigid", -ENOENT, 0, 0 },
	{ "widegid", -ENOENT, 0, 0 },
	{ "minus1", -ENOENT, 0, 0 },
	{ "hexid", -ENOENT, 0, 0 },
	{ "signed", -ENOENT, 0, 0 },
	{ "spaced", -ENOENT, 0, 0 },
	{ "fivefields", -ENOENT, 0, 0 },
	{ "+nis", -ENOENT, 0, 0 },
	{ "missing", -ENOENT, 0, 0 },
	{ "App", -ENOENT, 0, 0 }, /* names are case-sensitive */
	{ "a comment line", -ENOENT, 0, 0 },
	{ "# a comment line", -ENOENT, 0, 0 },
	{ "malformed line without colons", -ENOENT, 0, 0 },
	{ "", -ENOENT, 0, 0 },
};

Test(passwd, find_user_table, .init = setup, .fini = teardown)
{
	for (size_t i = 0; i < sizeof(user_rows) / sizeof(user_rows[0]); i++) {
		const struct user_row *row = &user_rows[i];
		uid_t uid = 12345;
		gid_t gid = 12345;
		int r = passwd_find_user(passwd_path, row->name, &uid, &gid);

		cr_expect_eq(r, row->ret, "%s: %d, expected %d", row->name, r,
			     row->ret);
		if (row->ret == 0) {
			cr_expect_eq(uid, row->uid, "%s uid", row->name);
			cr_expect_eq(gid, row->gid, "%s gid", row->name);
		} else {
			/* ret_ outputs untouched on failure */
			cr_expect_eq(uid, 12345, "%s uid written", row->name);
			cr_expect_eq(gid, 12345, "%s gid written", row->name);
		}
	}
}

struct uid_row {
	uid_t uid;
	int ret;
	gid_t gid;
};

static const struct uid_row uid_rows[] = {
	{ 0, 0, 0 },	       { 65532, 0, 65532 }, { 1000, 0, 1001 },
	{ 2001, 0, 2001 },     { 4000, 0, 4001 },   { 65534, -ENOENT, 0 },
	{ 12345, -ENOENT, 0 },
};

Test(passwd, find_uid_table, .init = setup, .fini = teardown)
{
	for (size_t i = 0; i < sizeof(uid_rows) / sizeof(uid_rows[0]); i++) {
		const struct uid_row *row = &uid_rows[i];
		gid_t gid = 777;
		int r = passwd_find_uid(passwd_path, row->uid, &gid);

		cr_expect_eq(r, row->ret, "uid %u: %d", (unsigned)row->uid, r);
		cr_expect_eq(gid, row->ret == 0 ? row->gid : 777, "uid %u gid",
			     (unsigned)row->uid);
	}
}

/*
 * The first user of a uid gives the home, or the user of a name; an empty
 * one is none.
 */
Test(passwd, find_home, .init = setup, .fini = teardown)
{
	char home[16], tiny[4];

	cr_expect_eq(passwd_find_home(passwd_path, NULL, 65532, home,
				      sizeof(home)),
		     0);
	cr_expect_str_eq(home, "/home/nonroot");
	cr_expect_eq(passwd_find_home(passwd_path, NULL, 1000, home,
				      sizeof(home)),
		     0);
	cr_expect_str_eq(home, "/app", "app, not shared: the first of 1000");
	cr_expect_eq(passwd_find_home(passwd_path, "shared", 1000, home,
				      sizeof(home)),
		     0);
	cr_expect_str_eq(home, "/", "by name: shared's own, not app's");
	cr_expect_eq(passwd_find_home(passwd_path, "nobody", 1000, home,
				      sizeof(home)),
		     -ENOENT, "by name: the uid is not looked at");
	cr_expect_eq(passwd_find_home(passwd_path, NULL, 12345, home,
				      sizeof(home)),
		     -ENOENT);
	cr_expect_eq(passwd_find_home(passwd_path, NULL, 65532, tiny,
				      sizeof(tiny)),
		     -ENAMETOOLONG);
	write_file(passwd_path, "blank:x:5:5:::/bin/false\n");
	cr_expect_eq(passwd_find_home(passwd_path, NULL, 5, home, sizeof(home)),
		     -ENOENT);
}

struct group_row {
	const char *name;
	int ret;
	gid_t gid;
};

static const struct group_row group_rows[] = {
	{ "root", 0, 0 },
	{ "nonroot", 0, 65532 },
	{ "staff", 0, 50 },
	{ "app", 0, 1001 },
	{ "last", 0, 7000 },
	{ "other", -ENOENT, 0 }, /* a member */
	{ "junk", -ENOENT, 0 },
	{ "# groups", -ENOENT, 0 },
	{ "missing", -ENOENT, 0 },
	{ "nogid", -ENOENT, 0 },
	{ "widegid", -ENOENT, 0 },
	{ "three", 0, 60 }, /* no members field at all */
};

Test(passwd, find_group_table, .init = setup, .fini = teardown)
{
	for (size_t i = 0; i < sizeof(group_rows) / sizeof(group_rows[0]);
	     i++) {
		const struct group_row *row = &group_rows[i];
		gid_t gid = 777;
		int r = passwd_find_group(group_path, row->name, &gid);

		cr_expect_eq(r, row->ret, "%s: %d", row->name, r);
		cr_expect_eq(gid, row->ret == 0 ? row->gid : 777, "%s gid",
			     row->name);
	}
}

Test(passwd, missing_file_is_enoent, .init = setup, .fini = teardown)
{
	char path[160];
	uid_t uid = 1;
	gid_t gid = 1;

	snprintf(path, sizeof(path), "%s/nope", dir);
	cr_assert_eq(passwd_find_user(path, "root", &uid, &gid), -ENOENT);
	cr_assert_eq(passwd_find_uid(path, 0, &gid), -ENOENT);
	cr_assert_eq(passwd_find_group(path, "root", &gid), -ENOENT);
	cr_assert_eq(uid, 1);
	cr_assert_eq(gid, 1);
}

/* A FIFO would hang PID 1 in open or read: refused at once. */
Test(passwd, fifo_is_refused_without_waiting, .init = setup, .fini = teardown)
{
	char path[160];
	uid_t uid = 1;
	gid_t gid = 1;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0644), 0);
	alarm(5);
	cr_expect_eq(passwd_find_user(path, "root", &uid, &gid), -EINVAL);
	cr_expect_eq(passwd_find_group(path, "root", &gid), -EINVAL);
	cr_expect_eq(passwd_find_home(path, NULL, 0, path, sizeof(path)),
		     -EINVAL);
	alarm(0);
	cr_expect_eq(gid, 1);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	unlink(path);
}

Test(passwd, directory_is_a_read_error, .init = setup, .fini = teardown)
{
	uid_t uid = 1;
	gid_t gid = 1;

	cr_assert_eq(passwd_find_user(dir, "root", &uid, &gid), -EISDIR);
	cr_assert_eq(passwd_find_group(dir, "root", &gid), -EISDIR);
	cr_assert_eq(gid, 1);
}

/*
 * The lookups run in a forked process that is not root (root reads any
 * file): 0 when every lookup returned -EACCES and wrote nothing.
 */
static int unreadable_lookups(void)
{
	uid_t uid = 1;
	gid_t gid = 1;

	if (geteuid() == 0 && (setresgid(65532, 65532, 65532) < 0 ||
			       setresuid(65532, 65532, 65532) < 0))
		return 2;
	if (passwd_find_user(passwd_path, "root", &uid, &gid) != -EACCES ||
	    passwd_find_uid(passwd_path, 0, &gid) != -EACCES ||
	    passwd_find_group(group_path, "root", &gid) != -EACCES)
		return 3;
	return uid == 1 && gid == 1 ? 0 : 4;
}

Test(passwd, unreadable_file_is_eacces, .init = setup, .fini = teardown)
{
	int status;
	pid_t pid;

	cr_assert_eq(chmod(passwd_path, 0600), 0);
	cr_assert_eq(chmod(group_path, 0600), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(unreadable_lookups());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "lookup as uid 65532: status %#x", status);
}

/* Lines far longer than any fixed buffer (a group with many members). */
Test(passwd, long_lines, .init = setup, .fini = teardown)
{
	size_t members = 5000;
	size_t cap = members * 12 + 4096;
	char *text = malloc(cap);
	size_t len = 0;
	uid_t uid = 0;
	gid_t gid = 0;

	cr_assert_not_null(text);
	len += (size_t)snprintf(text + len, cap - len, "big:x:4242:");
	for (size_t i = 0; i < members; i++)
		len += (size_t)snprintf(text + len, cap - len, "%smember%zu",
					i ? "," : "", i);
	len += (size_t)snprintf(text + len, cap - len, "\nafter:x:4343:\n");
	write_file(group_path, text);
	cr_assert_eq(passwd_find_group(group_path, "big", &gid), 0);
	cr_assert_eq(gid, 4242);
	cr_assert_eq(passwd_find_group(group_path, "after", &gid), 0);
	cr_assert_eq(gid, 4343);

	/* a passwd line with a 20000-byte GECOS field */
	len = (size_t)snprintf(text, cap, "long:x:5151:5252:");
	memset(text + len, 'g', 20000);
	len += 20000;
	snprintf(text + len, cap - len, ":/:/bin/false\nnext:x:6:7::/:/x\n");
	write_file(passwd_path, text);
	cr_assert_eq(passwd_find_user(passwd_path, "long", &uid, &gid), 0);
	cr_assert_eq(uid, 5151);
	cr_assert_eq(gid, 5252);
	cr_assert_eq(passwd_find_user(passwd_path, "next", &uid, &gid), 0);
	cr_assert_eq(uid, 6);
	free(text);
}

/* No fd outlives a lookup, whatever its outcome. */
Test(passwd, no_fd_leak, .init = setup, .fini = teardown)
{
	uid_t uid;
	gid_t gid;
	int before = open("/dev/null", O_RDONLY | O_CLOEXEC), after;

	cr_assert_geq(before, 0);
	close(before);
	for (int i = 0; i < 50; i++) {
		(void)passwd_find_user(passwd_path, "app", &uid, &gid);
		(void)passwd_find_user(passwd_path, "missing", &uid, &gid);
		(void)passwd_find_group(group_path, "missing", &gid);
		(void)passwd_find_group(dir, "x", &gid);
	}
	after = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_eq(after, before);
	close(after);
}
