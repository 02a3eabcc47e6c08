/* SPDX-License-Identifier: MIT */
/*
 * dirs.h - the writable directories (README, What pidone does,
 * step 4): create them when asked, then prove them writable by doing.
 */
#ifndef PIDONE_DIRS_H
#define PIDONE_DIRS_H

#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "privdrop.h"

/* Prefix of the probe file dirs_verify creates and removes. */
#define DIRS_PROBE_PREFIX ".pidone-check-"

/* Dirs one start may create, all writable dirs together. */
#define DIRS_CREATED_MAX 64

/* Symlinks followed while creating one writable dir. */
#define DIRS_LINKS_MAX 16

/* One dir dirs_create made, and how to find it again without a path. */
struct dirs_made {
	int parent_fd; /* O_PATH fd of the dir it was made in */
	dev_t dev;
	ino_t ino;
	const char *dir; /* the writable dir it was made for (not owned) */
	size_t len; /* its path is the first @len bytes of @dir */
	char name[NAME_MAX + 1];
};

/*
 * What one start created, oldest first, so that a failed start can remove
 * it again. Owned by the caller (about 20 KiB: a local is fine); holds
 * one fd per dir made until dirs_undo or dirs_created_done.
 */
struct dirs_created {
	struct dirs_made made[DIRS_CREATED_MAX];
	size_t n; /* after the 19 KB: on the page of what follows */
};

/* Start an empty record. */
void dirs_created_init(struct dirs_created *c);

/*
 * Before the drop: create @dir and missing parents, mode 0755, each
 * owned by @uid:@gid when pidone is root (not root: by the current user,
 * which is then the final user). An existing dir is left as it is.
 *
 * The path is walked one component at a time with openat(O_NOFOLLOW)
 * and mkdirat relative to the parent's fd; pidone resolves symlinks
 * itself. A symlink on the way (/var/run -> /run) is followed only when
 * it belongs to root or to @uid, whichever dir it sits in: another
 * user's symlink in a sticky world-writable dir must not choose where
 * root makes a dir that @uid owns. The symlink's target must exist
 * (nothing is created through a symlink) and its own symlinks obey the
 * same rule, at most DIRS_LINKS_MAX in all.
 *
 * Every dir made is appended to @undo (NULL: not recorded), even when a
 * later step fails; more than DIRS_CREATED_MAX is an error (-E2BIG).
 * The strings in @dir must outlive @undo. 0 or -errno with @reterr
 * filled: -ELOOP for a symlink refused.
 */
int dirs_create(const char *dir, uid_t uid, gid_t gid,
		struct dirs_created *undo, struct privdrop_error *reterr);

/*
 * dirs_create's walk without making anything, for `pidone check`: the
 * same symlink rules, and where the first missing dir would be made, may
 * it be (faccessat)? 0, or -errno with @reterr filled as dirs_create
 * would fill it.
 */
int dirs_create_check(const char *dir, uid_t uid, gid_t gid,
		      struct privdrop_error *reterr);

/*
 * dirs_create for each dir of the NULL-terminated @dirs (NULL: none), in
 * order, stopping at the first failure, whose dir goes in *@reterr_dir.
 * What was made up to then stays in @undo: the caller removes it with
 * dirs_undo.
 */
int dirs_create_all(char *const *dirs, uid_t uid, gid_t gid,
		    struct dirs_created *undo, struct privdrop_error *reterr,
		    const char **reterr_dir);

/*
 * The start failed: remove what @undo recorded, deepest first, with
 * rmdir relative to the parent fd kept open (so no path is resolved
 * again), and only while the entry is still the dir that was made and
 * still empty. Closes the fds and empties @undo.
 *
 * After the privilege drop this runs as the final user: a dir made in a
 * dir the final user may not write (root's /var, say) cannot be removed
 * any more. Each dir left behind is logged at warn level with its path
 * and the reason. Returns how many were left.
 */
size_t dirs_undo(struct dirs_created *undo);

/* The start went on: keep what was made, close the fds, empty @undo. */
void dirs_created_done(struct dirs_created *undo);

/*
 * As the final user: create and unlink a uniquely named file in @dir
 * (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC). On failure returns -errno and a
 * line naming the dir, its owner, group and octal mode, the uid/gid that
 * tried and the errno text, with the fix for that cause in reterr->hint.
 * A probe file that was created but cannot be removed is an error too
 * (its name is in the text).
 */
int dirs_verify(const char *dir, struct privdrop_error *reterr);

/*
 * Pure: pidone's exit code for a writable dir that failed with -@err:
 * 77 (EX_NOPERM), or 70 (EX_SOFTWARE) when pidone was out of fds
 * (EMFILE, ENFILE), which says nothing about the dir.
 */
int dirs_exit_code(int err);

/*
 * Pure: the fix for "@uid:@gid cannot write in @dir" failing with @err
 * (positive or negative errno), written into @buf. Returns @buf.
 *   EACCES, EPERM  COPY --chown / chown / securityContext.fsGroup
 *                  (for gid 0, OpenShift's chgrp 0 + chmod g=u)
 *   EROFS          an emptyDir or --tmpfs
 *   ENOENT         create it in the image, or --create-dirs
 *   ENOTDIR        it is not a directory
 *   ENOSPC, EDQUOT the filesystem is full
 */
const char *dirs_hint(int err, const char *dir, uid_t uid, gid_t gid, char *buf,
		      size_t buflen);

/*
 * Pure: fill @ret with the one error line for "@uid:@gid cannot write in
 * @dir: @err", using @st (what stat said about @dir, NULL when stat
 * failed with @stat_err) for the owner, group and mode, plus dirs_hint().
 */
void dirs_explain(const char *dir, int err, uid_t uid, gid_t gid,
		  const struct stat *st, int stat_err,
		  struct privdrop_error *ret);

#endif
