/* SPDX-License-Identifier: MIT */
/*
 * passwd.c - user and group lookups by parsing passwd(5) and group(5)
 * files directly, the same way in the glibc and the musl builds (their
 * fgetpwent differ: musl read an empty gid as 0, the root group, and let
 * a uid past 32 bits wrap). A line that is blank, a comment, a NIS "+" or
 * "-" entry, or malformed (too few fields, an id that is not a decimal
 * number below 4294967295, a NUL byte) is skipped, as glibc skips it; the
 * first match wins, as with getpwnam. A passwd line may leave out the
 * shell, a group line its members.
 *
 * The file must be a regular file (a FIFO would hang PID 1 in open or
 * read; it is opened non-blocking and refused), of at most
 * PASSWD_FILE_MAX bytes; it is mapped, read in place and unmapped before
 * returning, so no fd or memory outlives a call. No logging, no globals.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdutil.h"
#include "passwd.h"
#include "banned.h"

/* Far above any image's: 100,000 users take 6 MB. */
#define PASSWD_FILE_MAX (64u << 20)

/* Fields of a passwd(5) line: name, password, uid, gid, gecos, dir, shell. */
#define FIELDS_MAX 7

/* What pidone needs of one passwd(5) or group(5) entry. */
struct entry {
	const char *name;
	size_t name_len;
	unsigned id; /* uid, or gid for a group */
	unsigned gid; /* the primary group of a user */
	const char *dir; /* a user's home; NULL for a group */
	size_t dir_len;
};

/* A decimal id of @len bytes below 4294967295 ((uid_t)-1) into *@ret. */
static bool parse_id(const char *s, size_t len, unsigned *ret)
{
	unsigned long long n = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (unsigned)(s[i] - '0');
	}
	if (n >= 4294967295ull)
		return false;
	*ret = (unsigned)n;
	return true;
}

/* The entry on line [@p, @end) (no newline); false when it is none. */
static bool parse_entry(const char *p, const char *end, bool group,
			struct entry *ret)
{
	const char *field[FIELDS_MAX];
	size_t len[FIELDS_MAX], n = 0;

	if (end > p && end[-1] == '\r')
		end--;
	if (p == end || *p == '#' || *p == '+' || *p == '-' ||
	    memchr(p, '\0', (size_t)(end - p)))
		return false;
	while (n < FIELDS_MAX) {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		field[n] = p;
		len[n] = (size_t)((colon ? colon : end) - p);
		n++;
		if (!colon)
			break;
		p = colon + 1;
	}
	if (len[0] == 0 || n < (group ? 3u : 6u) ||
	    !parse_id(field[2], len[2], &ret->id))
		return false;
	ret->name = field[0];
	ret->name_len = len[0];
	ret->gid = ret->id;
	ret->dir = NULL;
	ret->dir_len = 0;
	if (group)
		return true;
	ret->dir = field[5];
	ret->dir_len = len[5];
	return parse_id(field[3], len[3], &ret->gid);
}

/*
 * Map @path read-only into *@ret_map (*@ret_len bytes; NULL and 0 for an
 * empty file). 0 or -errno: -EISDIR for a directory, -EINVAL for anything
 * else that is not a regular file, -EFBIG past PASSWD_FILE_MAX.
 */
static int map_file(const char *path, const char **ret_map, size_t *ret_len)
{
	int fd = openat(AT_FDCWD, path,
			O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	void *map;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((unsigned long long)st.st_size > PASSWD_FILE_MAX)
		r = -EFBIG;
	*ret_map = NULL;
	*ret_len = 0;
	if (r == 0 && st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			   0);
		if (map == MAP_FAILED) {
			r = -errno;
		} else {
			*ret_map = map;
			*ret_len = (size_t)st.st_size;
		}
	}
	fd_close(&fd);
	return r;
}

/*
 * Search @path (a group file when @group) for the first entry named @name,
 * or, with @name NULL, with id @id; the home of a user found is copied to
 * @home (@size bytes) when @home is given.
 */
static int find(const char *path, bool group, const char *name, unsigned id,
		struct entry *ret, char *home, size_t size)
{
	const char *map, *p, *end, *nl;
	size_t len;
	int r = map_file(path, &map, &len);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (p = map, end = map + len; p && p < end; p = nl ? nl + 1 : NULL) {
		struct entry e;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!parse_entry(p, nl ? nl : end, group, &e))
			continue;
		if (name ? strlen(name) == e.name_len &&
				    memcmp(e.name, name, e.name_len) == 0 :
			   e.id == id) {
			*ret = e;
			r = 0;
			break;
		}
	}
	if (r == 0 && home) {
		if (ret->dir_len == 0)
			r = -ENOENT;
		else if (ret->dir_len >= size)
			r = -ENAMETOOLONG;
		else
			memcpy(home, ret->dir, ret->dir_len);
		if (r == 0)
			home[ret->dir_len] = '\0';
	}
	/* A mapping of ours, of its own length: nothing to fail on. */
	if (map)
		(void)munmap((void *)map, len);
	return r;
}

int passwd_find_user(const char *path, const char *name, uid_t *ret_uid,
		     gid_t *ret_gid)
{
	struct entry e;
	int r = find(path, false, name, 0, &e, NULL, 0);

	if (r == 0) {
		*ret_uid = e.id;
		*ret_gid = e.gid;
	}
	return r;
}

int passwd_find_uid(const char *path, uid_t uid, gid_t *ret_gid)
{
	struct entry e;
	int r = find(path, false, NULL, uid, &e, NULL, 0);

	if (r == 0)
		*ret_gid = e.gid;
	return r;
}

int passwd_find_home(const char *path, const char *name, uid_t uid, char *buf,
		     size_t size)
{
	struct entry e;

	return find(path, false, name, uid, &e, buf, size);
}

int passwd_find_group(const char *path, const char *name, gid_t *ret_gid)
{
	struct entry e;
	int r = find(path, true, name, 0, &e, NULL, 0);

	if (r == 0)
		*ret_gid = e.id;
	return r;
}
