/* SPDX-License-Identifier: MIT */
/*
 * privdrop.h - resolve the final user and become it for good (README,
 * What pidone does, step 3; Security).
 */
#ifndef PIDONE_PRIVDROP_H
#define PIDONE_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

#define PRIVDROP_TEXT_MAX 1024

/* Where the image's user and group databases are. */
#define PRIVDROP_PASSWD_PATH "/etc/passwd"
#define PRIVDROP_GROUP_PATH "/etc/group"

/*
 * One error line and its fix, for main to log (text) with "hint". The
 * text already carries the errno text; hint is "" when there is no fix to
 * suggest.
 */
struct privdrop_error {
	char text[PRIVDROP_TEXT_MAX];
	char hint[512];
};

struct credentials {
	bool keep; /* "keep": change nothing */
	bool named; /* the user was given by name, not by uid */
	uid_t uid;
	gid_t gid;
};

/*
 * Resolve @spec ("keep", "65532", "1000:1001", "name", "name:group",
 * "name:1001", "1000:group") to ids, reading names from @passwd_path and
 * @group_path directly (no NSS). A user given without a group gets the
 * user's primary group from the passwd file (or gid = uid when the uid is
 * numeric and not listed). "keep" resolves to the current effective ids.
 * uid 0 is accepted only when spelt "0" or "root", never by accident
 * through another name. Returns 0, or with @reterr filled:
 *   -EINVAL  @spec is malformed ("", "a:b:c", ":1", "1:", out of range)
 *   -ENOENT  an unknown user or group name (or a missing passwd/group file)
 *   -EPERM   a user name other than "root" that is uid 0
 *   -errno   a passwd or group file that cannot be read
 * privdrop_resolve_exit_code() turns these into pidone's exit code.
 */
int privdrop_resolve(const char *spec, const char *passwd_path,
		     const char *group_path, struct credentials *ret,
		     struct privdrop_error *reterr);

/*
 * The exit code for privdrop_resolve's error @err: EX_CONFIG for a bad
 * value (-EINVAL, -ENOENT: the setting cannot mean anything in this
 * image), EX_NOPERM for the rest.
 */
int privdrop_resolve_exit_code(int err);

/*
 * The ids the command will really run as: @cred when pidone is root,
 * else (no drop is possible) the current effective ids. ret_final->keep
 * is true when nothing will be changed.
 */
void privdrop_final(const struct credentials *cred,
		    struct credentials *ret_final);

/*
 * Become @cred for good. As root: empty the capability bounding set and
 * the ambient set, setgroups to the final group only, setresgid,
 * setresuid, then prove that root cannot be regained (setuid(0) and
 * setgid(old) fail, every uid and gid is the target, the only group is
 * the target's, no capability is left). Not root: change nothing and log
 * the ids in use. Running as uid 0 (keep, or user 0) logs a warning.
 * Returns 0 or -errno (-EPERM when the proof failed); any failure means
 * exit EX_NOPERM.
 */
int privdrop_apply(const struct credentials *cred,
		   struct privdrop_error *reterr);

/*
 * Pure: the fix to suggest when setgroups/setresgid/setresuid failed with
 * @err (a positive or negative errno). A static string, "" when none.
 */
const char *privdrop_hint(int err);

#endif
