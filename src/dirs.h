/* SPDX-License-Identifier: MIT */
/*
 * dirs.h - the writable directories (README, What pidone does,
 * step 4): create them when asked, then prove them writable by doing.
 */
#ifndef PIDONE_DIRS_H
#define PIDONE_DIRS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "privdrop.h"

/* Prefix of the probe file dirs_verify creates and removes. */
#define DIRS_PROBE_PREFIX ".pidone-check-"

/*
 * Before the drop: create @dir and missing parents, mode 0755, each
 * owned by @uid:@gid when pidone is root (not root: by the current user,
 * which is then the final user). An existing dir is left as it is;
 * existing components may be symlinks (/var/run), but a component pidone
 * creates is opened with O_NOFOLLOW, so a symlink swapped in is refused.
 * 0 or -errno with @reterr filled.
 */
int dirs_create(const char *dir, uid_t uid, gid_t gid,
		struct privdrop_error *reterr);

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
