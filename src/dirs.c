/* SPDX-License-Identifier: MIT */
/*
 * dirs.c - the writable directories. dirs_create makes missing ones (as
 * root, before the drop, owned by the final user) by walking the path
 * with openat/mkdirat, so a component it creates cannot be swapped for a
 * symlink between mkdir and chown. dirs_verify proves a dir writable by
 * doing: it creates and removes a uniquely named file as the final user,
 * and explains a failure from stat(2) (owner, group, octal mode) with the
 * fix for its cause. dirs_hint and dirs_explain are pure.
 *
 * Every fd is O_CLOEXEC and closed before returning. No state.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dirs.h"
#include "fdutil.h"
#include "textbuf.h"
#include "banned.h"

/* How often to retry when a probe name is taken (EEXIST). */
#define DIRS_PROBE_TRIES 8

const char *dirs_hint(int err, const char *dir, uid_t uid, gid_t gid, char *buf,
		      size_t buflen)
{
	unsigned u = (unsigned)uid, g = (unsigned)gid;

	if (buflen == 0)
		return buf;
	switch (err < 0 ? -err : err) {
	case EACCES:
	case EPERM:
		if (gid == 0 && uid != 0) {
			/* OpenShift: a random uid whose only group is 0. */
			snprintf(buf, buflen,
				 "RUN chgrp -R 0 %s && chmod -R g=u %s in the "
				 "Dockerfile (OpenShift runs a random uid in "
				 "group 0), or for a volume set "
				 "securityContext.fsGroup",
				 dir, dir);
			break;
		}
		snprintf(buf, buflen,
			 "COPY --chown=%u:%u ... in the Dockerfile, chown "
			 "%u:%u %s, or for a volume set "
			 "securityContext.fsGroup: %u",
			 u, g, u, g, dir, g);
		break;
	case EROFS:
		snprintf(buf, buflen,
			 "the filesystem is read-only: mount an emptyDir "
			 "(Kubernetes) or --tmpfs %s (docker run) there",
			 dir);
		break;
	case ENOENT:
		snprintf(buf, buflen,
			 "create it in the image (RUN mkdir + chown) or pass "
			 "--create-dirs");
		break;
	case ENOTDIR:
		snprintf(buf, buflen,
			 "%s is not a directory: remove what is there in the "
			 "image, or point --writable at a directory",
			 dir);
		break;
	case ENOSPC:
	case EDQUOT:
		snprintf(buf, buflen,
			 "the filesystem is full or over quota: free space or "
			 "grow the volume");
		break;
	default:
		snprintf(buf, buflen, "check the mount and permissions of %s",
			 dir);
		break;
	}
	return buf;
}

void dirs_explain(const char *dir, int err, uid_t uid, gid_t gid,
		  const struct stat *st, int stat_err,
		  struct privdrop_error *ret)
{
	char what[128];

	if (err < 0)
		err = -err;
	if (stat_err < 0)
		stat_err = -stat_err;
	if (!st && stat_err == ENOENT)
		snprintf(what, sizeof(what), "missing");
	else if (!st)
		snprintf(what, sizeof(what), "cannot stat it: %s",
			 strerror(stat_err));
	else
		snprintf(what, sizeof(what), "owner %u:%u mode %04o%s",
			 (unsigned)st->st_uid, (unsigned)st->st_gid,
			 (unsigned)(st->st_mode & 07777),
			 S_ISDIR(st->st_mode) ? "" : ", not a directory");
	snprintf(ret->text, sizeof(ret->text),
		 "writable dir %s is not writable by uid %u gid %u: %s (%s)",
		 dir, (unsigned)uid, (unsigned)gid, strerror(err), what);
	dirs_hint(err, dir, uid, gid, ret->hint, sizeof(ret->hint));
}

/* A value no other process picks for its probe name. */
static uint64_t probe_random(unsigned attempt)
{
	struct timespec ts;
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* Early boot without entropy: time and attempt still differ. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)attempt << 56);
}

/* Explain why @dir failed with @err, as dirs_verify's caller sees it. */
static int verify_failed(const char *dir, int err,
			 struct privdrop_error *reterr)
{
	struct stat st;
	int stat_err = 0;

	if (stat(dir, &st) < 0)
		stat_err = errno;
	/* A file where the dir should be: say that, whatever open said. */
	if (stat_err == 0 && !S_ISDIR(st.st_mode))
		err = -ENOTDIR;
	dirs_explain(dir, err, geteuid(), getegid(), stat_err ? NULL : &st,
		     stat_err, reterr);
	return err;
}

int dirs_verify(const char *dir, struct privdrop_error *reterr)
{
	char path[PATH_MAX];
	int fd = -1, r;

	for (unsigned attempt = 0;; attempt++) {
		struct textbuf t;

		/* DIR/.pidone-check-PID-RANDOM; by hand: every start runs it */
		textbuf_init(&t, path, sizeof(path));
		textbuf_puts(&t, dir);
		textbuf_puts(&t, "/" DIRS_PROBE_PREFIX);
		textbuf_putu(&t, (unsigned long long)getpid(), 10, 1);
		textbuf_puts(&t, "-");
		textbuf_putu(&t, probe_random(attempt), 16, 16);
		if (t.truncated)
			return verify_failed(dir, -ENAMETOOLONG, reterr);
		fd = open(path,
			  O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_WRONLY |
				  O_NOCTTY,
			  0600);
		if (fd >= 0)
			break;
		r = -errno;
		if (r != -EEXIST || attempt + 1 >= DIRS_PROBE_TRIES)
			return verify_failed(dir, r, reterr);
	}
	fd_close(&fd);

	/* Created: it must go again, whatever happened in between. */
	if (unlink(path) < 0) {
		r = -errno;
		textbuf_format(
			reterr->text, sizeof(reterr->text),
			"writable dir %s: uid %u gid %u created %s but cannot "
			"remove it: %s",
			dir, (unsigned)geteuid(), (unsigned)getegid(), path,
			strerror(-r));
		snprintf(reterr->hint, sizeof(reterr->hint),
			 "the dir lets files be created but not removed (an "
			 "append-only attribute? see lsattr -d %s); remove the "
			 "file by hand",
			 dir);
		return r;
	}
	return 0;
}

/* Fill @reterr for a component of @dir that could not be created. */
static int create_failed(const char *dir, const char *prefix, const char *op,
			 int err, uid_t uid, gid_t gid,
			 struct privdrop_error *reterr)
{
	textbuf_format(reterr->text, sizeof(reterr->text),
		       "cannot create writable dir %s: %s %s: %s", dir, op,
		       prefix, strerror(-err));
	dirs_hint(err == -ENOENT ? -EACCES : err, prefix, uid, gid,
		  reterr->hint, sizeof(reterr->hint));
	return err;
}

/*
 * Open the directory component @name below @parent_fd, creating it if it
 * is missing. *@ret_fd is an O_RDONLY directory fd; *@ret_created says
 * whether we made it (then it is opened with O_NOFOLLOW).
 */
static int open_or_make(int parent_fd, const char *name, int *ret_fd,
			bool *ret_created, const char **reterr_op)
{
	bool created = false, nofollow = false;
	int fd;

	/* Existing components may be symlinks the image made (/var/run). */
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(parent_fd, name, 0755) < 0) {
			if (errno != EEXIST) {
				*reterr_op = "mkdir";
				return -errno;
			}
			/* Raced, or a dangling symlink: never follow it. */
		} else {
			created = true;
		}
		nofollow = true;
		fd = openat(parent_fd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		struct stat st;
		int r = -errno;

		/* O_NOFOLLOW|O_DIRECTORY on a symlink says ENOTDIR: be exact. */
		if (nofollow &&
		    fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			*reterr_op = "refusing to follow the symlink";
			return -ELOOP;
		}
		*reterr_op = "open";
		return r;
	}
	*ret_fd = fd;
	*ret_created = created;
	return 0;
}

int dirs_create(const char *dir, uid_t uid, gid_t gid,
		struct privdrop_error *reterr)
{
	bool as_root = geteuid() == 0;
	char prefix[PATH_MAX];
	const char *p = dir, *op = "open";
	int fd, r = 0;

	if (dir[0] == '\0')
		return create_failed(dir, dir, "mkdir", -ENOENT, uid, gid,
				     reterr);
	if (strlen(dir) >= sizeof(prefix))
		return create_failed(dir, dir, "mkdir", -ENAMETOOLONG, uid, gid,
				     reterr);
	fd = open(dir[0] == '/' ? "/" : ".",
		  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return create_failed(dir, dir[0] == '/' ? "/" : ".", "open",
				     -errno, uid, gid, reterr);

	while (*p) {
		size_t len = strcspn(p, "/");
		char name[NAME_MAX + 1];
		bool created = false;
		int next = -1;

		if (len == 0) {
			p++;
			continue;
		}
		/* prefix = dir up to and including this component */
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(p - dir + len),
			 dir);
		if (len > NAME_MAX) {
			r = create_failed(dir, prefix, "mkdir", -ENAMETOOLONG,
					  uid, gid, reterr);
			goto out_close_fd;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;

		r = open_or_make(fd, name, &next, &created, &op);
		if (r < 0) {
			r = create_failed(dir, prefix, op, r, uid, gid, reterr);
			goto out_close_fd;
		}
		fd_close(&fd);
		fd = next;
		if (!created)
			continue;
		/* umask may have narrowed mkdir's mode: set it exactly. */
		if (as_root && fchown(fd, uid, gid) < 0) {
			r = create_failed(dir, prefix, "chown", -errno, uid,
					  gid, reterr);
			goto out_close_fd;
		}
		if (fchmod(fd, 0755) < 0) {
			r = create_failed(dir, prefix, "chmod", -errno, uid,
					  gid, reterr);
			goto out_close_fd;
		}
	}
	r = 0;

out_close_fd:
	fd_close(&fd);
	return r;
}
