/* SPDX-License-Identifier: MIT */
/*
 * passwd.h - look up users and groups in the image's /etc/passwd and
 * /etc/group by reading the files themselves, never through NSS: getpwnam
 * in a static glibc binary running as PID 1 would try to dlopen NSS
 * modules. Which lines count: see passwd.c.
 *
 * No logging, no globals. Every function returns 0 and fills its ret_
 * outputs only on success; -ENOENT when the name or id is not listed (or
 * the file does not exist); another -errno when the file cannot be read:
 * -EISDIR for a directory, -EINVAL for another file that is not a regular
 * one (a FIFO), -EFBIG for one over 64 MiB.
 */
#ifndef PIDONE_PASSWD_H
#define PIDONE_PASSWD_H

#include <sys/types.h>

/* The uid and primary gid of user @name in the passwd file @path. */
int passwd_find_user(const char *path, const char *name, uid_t *ret_uid,
		     gid_t *ret_gid);

/* The primary gid of the first user with uid @uid in @path. */
int passwd_find_uid(const char *path, uid_t uid, gid_t *ret_gid);

/*
 * The home directory of user @name in @path, or with @name NULL of the
 * first user with uid @uid, into @buf (@size bytes); -ENOENT when it has
 * none, -ENAMETOOLONG when it does not fit.
 */
int passwd_find_home(const char *path, const char *name, uid_t uid, char *buf,
		     size_t size);

/* The gid of group @name in the group file @path. */
int passwd_find_group(const char *path, const char *name, gid_t *ret_gid);

#endif
