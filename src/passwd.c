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
#include <stdbool.h>
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

/* What pidone needs of one passwd(5) or group(5) entry. */
struct entry {
	const char *name;
	unsigned id; /* uid, or gid for a group */
	gid_t gid; /* the primary group of a user */
	const char *dir; /* a user's home; NULL for a group */
};

/* The next entry of @f, a group file when @group; false at its end. */
static bool next_entry(FILE *f, bool group, struct entry *ret)
{
	if (group) {
		struct group *gr = fgetgrent(f);

		if (gr)
			*ret = (struct entry){ gr->gr_name, gr->gr_gid,
					       gr->gr_gid, NULL };
		return gr != NULL;
	} else {
		struct passwd *pw = fgetpwent(f);

		if (pw)
			*ret = (struct entry){ pw->pw_name, pw->pw_uid,
					       pw->pw_gid, pw->pw_dir };
		return pw != NULL;
	}
}

/*
 * Search @path (a group file when @group) for the first entry named @name,
 * or, with @name NULL, with id @id.
 */
static int find(const char *path, bool group, const char *name, unsigned id,
		struct entry *ret)
{
	struct entry e;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (;;) {
		errno = 0;
		if (!next_entry(f, group, &e)) {
			r = end_of_entries(f);
			break;
		}
		if (name ? strcmp(e.name, name) == 0 : e.id == id) {
			*ret = e;
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
	struct entry e;
	int r = find(path, false, name, 0, &e);

	if (r == 0) {
		*ret_uid = e.id;
		*ret_gid = e.gid;
	}
	return r;
}

int passwd_find_uid(const char *path, uid_t uid, gid_t *ret_gid)
{
	struct entry e;
	int r = find(path, false, NULL, uid, &e);

	if (r == 0)
		*ret_gid = e.gid;
	return r;
}

int passwd_find_home(const char *path, uid_t uid, char *buf, size_t size)
{
	struct entry e;
	int r = find(path, false, NULL, uid, &e);

	if (r < 0)
		return r;
	if (!e.dir || !e.dir[0])
		return -ENOENT;
	if (strlen(e.dir) >= size)
		return -ENAMETOOLONG;
	memcpy(buf, e.dir, strlen(e.dir) + 1);
	return 0;
}

int passwd_find_group(const char *path, const char *name, gid_t *ret_gid)
{
	struct entry e;
	int r = find(path, true, name, 0, &e);

	if (r == 0)
		*ret_gid = e.id;
	return r;
}
