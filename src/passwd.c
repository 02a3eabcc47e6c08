/* SPDX-License-Identifier: MIT */
/*
 * passwd.c - user and group lookups by parsing passwd(5) and group(5)
 * files directly. glibc's fgetpwent/fgetgrent skip blank, comment and
 * malformed lines and grow their buffer for long lines; the first match
 * wins, as with getpwnam. The stream is opened "re" (O_CLOEXEC) and closed
 * before returning, so no fd outlives a call. No logging, no globals of
 * our own (fgetpwent keeps its line buffer inside libc).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "passwd.h"
#include "banned.h"

/*
 * After fgetpwent/fgetgrent returned NULL: was it the end of the file
 * (-ENOENT) or a read error (-errno)?
 */
static int end_of_entries(FILE *f)
{
	if (!ferror(f))
		return -ENOENT;
	return errno != 0 && errno != ENOENT ? -errno : -EIO;
}

/* Search @path for a user named @name (when not NULL) or with uid @uid. */
static int find_passwd(const char *path, const char *name, uid_t uid,
		       uid_t *ret_uid, gid_t *ret_gid)
{
	struct passwd *pw;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (;;) {
		errno = 0;
		pw = fgetpwent(f);
		if (!pw) {
			r = end_of_entries(f);
			break;
		}
		if (name ? strcmp(pw->pw_name, name) == 0 : pw->pw_uid == uid) {
			*ret_uid = pw->pw_uid;
			*ret_gid = pw->pw_gid;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

int passwd_find_user(const char *path, const char *name, uid_t *ret_uid,
		     gid_t *ret_gid)
{
	return find_passwd(path, name, 0, ret_uid, ret_gid);
}

int passwd_find_uid(const char *path, uid_t uid, gid_t *ret_gid)
{
	uid_t found;

	return find_passwd(path, NULL, uid, &found, ret_gid);
}

int passwd_find_group(const char *path, const char *name, gid_t *ret_gid)
{
	struct group *gr;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (;;) {
		errno = 0;
		gr = fgetgrent(f);
		if (!gr) {
			r = end_of_entries(f);
			break;
		}
		if (strcmp(gr->gr_name, name) == 0) {
			*ret_gid = gr->gr_gid;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}
