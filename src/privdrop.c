/* SPDX-License-Identifier: MIT */
/*
 * privdrop.c - the final user: resolve "USER[:GROUP]" against the image's
 * own passwd and group files, then, as root, become that user for good in
 * OpenSSH's and ntpd's order (setgroups, setresgid, setresuid) and prove
 * that root cannot be regained. Not root (Kubernetes runAsUser, OpenShift's
 * random uid with gid 0): nothing can be changed, so nothing is, and the
 * ids in use are logged.
 *
 * Before the drop the capability bounding set and the ambient set are
 * emptied, so no exec (a setuid or file-capability binary) can bring a
 * capability back; the child also gets PR_SET_NO_NEW_PRIVS (child.c).
 * Owns no fd and no state.
 */
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "parse.h"
#include "passwd.h"
#include "privdrop.h"
#include "textbuf.h"
#include "banned.h"

/* (uid_t)-1 means "unchanged" to setresuid: never a real id. */
#define PRIVDROP_ID_MAX 4294967294UL

/*
 * The ids change by system call, not through libc: libc applies the change
 * to every thread of the process, and musl does that by signalling each
 * one, three rt_sigprocmask calls around every change (15 per start). This
 * process has one thread, and the kernel's call changes its ids. The *32
 * calls are the ones that take 32-bit ids where the plain ones take 16;
 * syscall() reads every argument as a long, so the ids are passed as one.
 */
#ifdef SYS_setresuid32
#define SYS_SETGROUPS SYS_setgroups32
#define SYS_SETRESGID SYS_setresgid32
#define SYS_SETRESUID SYS_setresuid32
#define SYS_SETGID SYS_setgid32
#define SYS_SETUID SYS_setuid32
#else
#define SYS_SETGROUPS SYS_setgroups
#define SYS_SETRESGID SYS_setresgid
#define SYS_SETRESUID SYS_setresuid
#define SYS_SETGID SYS_setgid
#define SYS_SETUID SYS_setuid
#endif

/* Largest supplementary group list we print. */
#define PRIVDROP_GROUPS_SHOWN 32

static const char hint_syntax[] =
	"use USER[:GROUP] with numeric ids or names, e.g. 65532:65532, app, "
	"app:staff, or keep";
static const char hint_unknown_user[] =
	"use numeric ids (65532:65532) or add the user to the image's "
	"/etc/passwd";
static const char hint_unknown_group[] =
	"use a numeric gid (e.g. app:65532) or add the group to the image's "
	"/etc/group";
static const char hint_root[] =
	"to run the command as root say so: --user 0 or --user root";
static const char hint_proof[] =
	"something lets pidone keep privileges across setuid (securebits, "
	"keep-caps or a user namespace quirk): remove it, or start pidone as "
	"the final user with --user keep";

static int fail(struct privdrop_error *reterr, int err, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fill @reterr with the message and the hint; returns @err (negative). */
static int fail(struct privdrop_error *reterr, int err, const char *hint,
		const char *fmt, ...)
{
	va_list ap;

	/*
	 * Only written: this store tells cppcheck's whole-program check that
	 * vsnprintf's buffer is an output, not an uninitialized input.
	 */
	reterr->text[0] = '\0';
	va_start(ap, fmt);
	textbuf_vsnprintf(reterr->text, sizeof(reterr->text), fmt, ap);
	va_end(ap);
	textbuf_snprintf(reterr->hint, sizeof(reterr->hint), "%s",
			 hint ? hint : "");
	return err;
}

const char *privdrop_hint(int err)
{
	switch (err < 0 ? -err : err) {
	case EPERM:
	case EACCES:
		return "pidone needs CAP_SETUID and CAP_SETGID to switch "
		       "users: do not drop them from the container, or start "
		       "pidone as the final user (runAsUser, docker run "
		       "--user) and it changes nothing";
	case EINVAL:
		return "the uid or gid is not mapped in this user namespace "
		       "(rootless or userns-remap): pick ids inside the "
		       "mapped range";
	case EAGAIN:
		return "the final user is at its process limit "
		       "(RLIMIT_NPROC): raise the limit or use another uid";
	default:
		return "";
	}
}

int privdrop_resolve_exit_code(int err)
{
	return err == -EINVAL || err == -ENOENT ? EX_CONFIG : EX_NOPERM;
}

/* Does @path exist at all (to tell a missing file from a missing name)? */
static bool file_exists(const char *path)
{
	return access(path, F_OK) == 0 || errno != ENOENT;
}

/* Why passwd.c could not read a file: its -EINVAL is its own. */
static const char *file_error(int r)
{
	return r == -EINVAL ? "not a regular file" : strerror(-r);
}

/*
 * The user part: numeric, or a name from the passwd file. *@ret_listed
 * says whether the passwd file gave a primary group in *@ret_gid. A
 * numeric uid is looked up only when @want_gid (no group was given): the
 * default 65532:65532 reads no file at all.
 */
static int resolve_user(const char *spec, const char *user, bool want_gid,
			const char *passwd_path, uid_t *ret_uid, gid_t *ret_gid,
			bool *ret_listed, struct privdrop_error *reterr)
{
	unsigned long num;
	uid_t uid;
	gid_t gid = 0;
	int r;

	r = parse_uint(user, PRIVDROP_ID_MAX, &num);
	if (r == -ERANGE)
		return fail(reterr, -EINVAL, hint_syntax,
			    "invalid user \"%s\": uid out of range (0..%lu)",
			    spec, PRIVDROP_ID_MAX);
	if (r == 0) {
		uid = (uid_t)num;
		r = want_gid ? passwd_find_uid(passwd_path, uid, &gid) :
			       -ENOENT;
		if (r < 0 && r != -ENOENT)
			return fail(reterr, r,
				    "give the group as well, e.g. "
				    "65532:65532",
				    "cannot read %s to find the primary group "
				    "of uid %lu: %s",
				    passwd_path, num, file_error(r));
		*ret_uid = uid;
		*ret_gid = gid;
		*ret_listed = r == 0;
		return 0;
	}

	r = passwd_find_user(passwd_path, user, &uid, &gid);
	if (r == -ENOENT && !file_exists(passwd_path))
		return fail(reterr, r, hint_unknown_user,
			    "unknown user \"%s\" (searched %s: it does not "
			    "exist in this image)",
			    user, passwd_path);
	if (r == -ENOENT)
		return fail(reterr, r, hint_unknown_user,
			    "unknown user \"%s\" (searched %s)", user,
			    passwd_path);
	if (r < 0)
		return fail(reterr, r, hint_unknown_user,
			    "cannot read %s to look up user \"%s\": %s",
			    passwd_path, user, file_error(r));
	*ret_uid = uid;
	*ret_gid = gid;
	*ret_listed = true;
	return 0;
}

/* The group part: numeric, or a name from the group file. */
static int resolve_group(const char *spec, const char *group,
			 const char *group_path, gid_t *ret_gid,
			 struct privdrop_error *reterr)
{
	unsigned long num;
	gid_t gid;
	int r;

	r = parse_uint(group, PRIVDROP_ID_MAX, &num);
	if (r == -ERANGE)
		return fail(reterr, -EINVAL, hint_syntax,
			    "invalid user \"%s\": gid out of range (0..%lu)",
			    spec, PRIVDROP_ID_MAX);
	if (r == 0) {
		*ret_gid = (gid_t)num;
		return 0;
	}
	r = passwd_find_group(group_path, group, &gid);
	if (r == -ENOENT && !file_exists(group_path))
		return fail(reterr, r, hint_unknown_group,
			    "unknown group \"%s\" (searched %s: it does not "
			    "exist in this image)",
			    group, group_path);
	if (r == -ENOENT)
		return fail(reterr, r, hint_unknown_group,
			    "unknown group \"%s\" (searched %s)", group,
			    group_path);
	if (r < 0)
		return fail(reterr, r, hint_unknown_group,
			    "cannot read %s to look up group \"%s\": %s",
			    group_path, group, file_error(r));
	*ret_gid = gid;
	return 0;
}

int privdrop_resolve(const char *spec, const char *passwd_path,
		     const char *group_path, struct credentials *ret,
		     struct privdrop_error *reterr)
{
	char user[256];
	const char *group = NULL;
	char *colon;
	unsigned long num;
	/* Initialized only to quiet -Wmaybe-uninitialized across fail(). */
	bool listed = false;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1, pw_gid = (gid_t)-1;
	size_t spec_len;
	int r;

	if (spec[0] == '\0')
		return fail(reterr, -EINVAL, hint_syntax,
			    "invalid user \"\": it is empty");
	spec_len = strlen(spec);
	if (spec_len >= sizeof(user))
		return fail(reterr, -EINVAL, hint_syntax,
			    "invalid user \"%.40s...\": longer than %zu bytes",
			    spec, sizeof(user) - 1);
	memcpy(user, spec, spec_len + 1);
	if (strcmp(spec, "keep") == 0) {
		*ret = (struct credentials){ .keep = true,
					     .uid = geteuid(),
					     .gid = getegid() };
		return 0;
	}

	colon = strchr(user, ':');
	if (colon) {
		if (strchr(colon + 1, ':'))
			return fail(reterr, -EINVAL, hint_syntax,
				    "invalid user \"%s\": more than one ':'",
				    spec);
		*colon = '\0';
		group = colon + 1;
		if (user[0] == '\0')
			return fail(reterr, -EINVAL, hint_syntax,
				    "invalid user \"%s\": the user before "
				    "':' is empty",
				    spec);
		if (group[0] == '\0')
			return fail(reterr, -EINVAL, hint_syntax,
				    "invalid user \"%s\": the group after "
				    "':' is empty",
				    spec);
		if (strcmp(user, "keep") == 0)
			return fail(reterr, -EINVAL, hint_syntax,
				    "invalid user \"%s\": keep takes no group",
				    spec);
	}

	r = resolve_user(spec, user, !group, passwd_path, &uid, &pw_gid,
			 &listed, reterr);
	if (r < 0)
		return r;
	if (group) {
		r = resolve_group(spec, group, group_path, &gid, reterr);
		if (r < 0)
			return r;
	} else {
		gid = listed ? pw_gid : (gid_t)uid;
	}

	/*
	 * A name that happens to be uid 0 ("toor", a careless image) would
	 * run the app as root without anyone asking for it.
	 */
	if (uid == 0 && strcmp(user, "0") != 0 && strcmp(user, "root") != 0)
		return fail(reterr, -EPERM, hint_root,
			    "user \"%s\" is uid 0 (root) in %s", user,
			    passwd_path);

	*ret = (struct credentials){ .keep = false,
				     .named = parse_uint(user, PRIVDROP_ID_MAX,
							 &num) < 0,
				     .uid = uid,
				     .gid = gid };
	return 0;
}

void privdrop_final(const struct credentials *cred,
		    struct credentials *ret_final)
{
	/* "keep" already holds the ids in use. */
	if (cred->keep || geteuid() == 0) {
		*ret_final = *cred;
		return;
	}
	*ret_final = (struct credentials){ .keep = true,
					   .uid = geteuid(),
					   .gid = getegid() };
}

/* The supplementary groups in use, as "0 10 65532" (for the log). */
static void groups_text(char *buf, size_t buflen)
{
	gid_t groups[PRIVDROP_GROUPS_SHOWN];
	struct textbuf t;
	int n;

	textbuf_init(&t, buf, buflen);
	n = getgroups(PRIVDROP_GROUPS_SHOWN, groups);
	if (n < 0) {
		/* EINVAL: more than we list; say how many instead. */
		textbuf_printf(&t, "%d groups", getgroups(0, NULL));
		return;
	}
	if (n == 0)
		textbuf_puts(&t, "none");
	/* By hand, not printf: this runs at every start. */
	for (int i = 0; i < n && !t.truncated; i++) {
		size_t mark = t.len;

		if (i)
			textbuf_puts(&t, " ");
		textbuf_putu(&t, (unsigned long long)groups[i], 10, 1);
		if (t.truncated) /* whole numbers only */
			buf[mark] = '\0';
	}
}

static const char hint_as_root[] =
	"leave --user at its default (65532:65532) or name a non-root user "
	"to drop root";

/*
 * One log line with the ids in use (@now's uid and gid, and the groups)
 * and the @configured ones pidone could not take (NULL: none). The
 * callers know the ids in use: asking the kernel again would cost a
 * system call each at every start.
 */
static void log_ids(enum log_level level, const struct credentials *now,
		    const struct credentials *configured, const char *hint,
		    const char *msg)
{
	char groups[256];

	groups_text(groups, sizeof(groups));
	log_emit(level, 0, hint,
		 LOG_FIELDS(LOG_INT("uid", now->uid), LOG_INT("gid", now->gid),
			    LOG_STR("groups", groups),
			    LOG_INT(configured ? "configured_uid" : NULL,
				    configured ? configured->uid : 0),
			    LOG_INT(configured ? "configured_gid" : NULL,
				    configured ? configured->gid : 0)),
		 "%s", msg);
}

/*
 * Empty the capability bounding set, so that no later exec can gain a
 * capability from a file, and the inheritable set, which setresuid keeps.
 * Without CAP_SETPCAP (EPERM: a pod that drops ALL and adds SETUID and
 * SETGID) the bounding set cannot be emptied, nor does the drop need it:
 * NO_NEW_PRIVS still closes the exec path for the child.
 */
static void drop_bounding_set(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	for (unsigned long cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL) /* past the kernel's last capability */
			break;
		log_emit(LOG_LEVEL_INFO, errno, NULL,
			 LOG_FIELDS(LOG_INT("capability", cap)),
			 "cannot empty the capability bounding set (no "
			 "CAP_SETPCAP); no-new-privs still keeps the child "
			 "from gaining one");
		break;
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == 0 &&
	    (data[0].inheritable || data[1].inheritable)) {
		data[0].inheritable = data[1].inheritable = 0;
		if (syscall(SYS_capset, &hdr, data) < 0)
			log_emit(LOG_LEVEL_DEBUG, errno, NULL, NULL, 0,
				 "cannot clear the inheritable capabilities, "
				 "going on");
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		log_emit(LOG_LEVEL_DEBUG, errno, NULL, NULL, 0,
			 "cannot clear the ambient capabilities, going on");
	/* Capabilities must not survive setresuid (the default, made sure). */
	(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

/* Is any capability left in the permitted, effective or inheritable set? */
static bool has_capabilities(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return true; /* cannot tell: assume the worst */
	for (int i = 0; i < 2; i++)
		if (data[i].permitted || data[i].effective ||
		    data[i].inheritable)
			return true;
	return false;
}

/*
 * After the drop: nothing may bring the old ids back. Returns 0, or -EPERM
 * with @reterr saying which check failed.
 */
static int prove_dropped(const struct credentials *cred, gid_t old_gid,
			 struct privdrop_error *reterr)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid, groups[2];
	int n;

	if (syscall(SYS_SETUID, 0L) == 0)
		return fail(reterr, -EPERM, hint_proof,
			    "privileges not dropped: setuid(0) succeeded "
			    "after becoming uid %u",
			    (unsigned)cred->uid);
	if (old_gid != cred->gid && syscall(SYS_SETGID, (long)old_gid) == 0)
		return fail(reterr, -EPERM, hint_proof,
			    "privileges not dropped: setgid(%u) succeeded "
			    "after becoming gid %u",
			    (unsigned)old_gid, (unsigned)cred->gid);
	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0)
		return fail(reterr, -EPERM, hint_proof,
			    "privileges not dropped: cannot read the ids: %s",
			    strerror(errno));
	if (ruid != cred->uid || euid != cred->uid || suid != cred->uid ||
	    rgid != cred->gid || egid != cred->gid || sgid != cred->gid)
		return fail(reterr, -EPERM, hint_proof,
			    "privileges not dropped: uids %u/%u/%u gids "
			    "%u/%u/%u, expected uid %u gid %u",
			    (unsigned)ruid, (unsigned)euid, (unsigned)suid,
			    (unsigned)rgid, (unsigned)egid, (unsigned)sgid,
			    (unsigned)cred->uid, (unsigned)cred->gid);
	n = getgroups(2, groups);
	if (n != 1 || groups[0] != cred->gid)
		return fail(reterr, -EPERM, hint_proof,
			    "privileges not dropped: the supplementary groups "
			    "are not just gid %u",
			    (unsigned)cred->gid);
	if (cred->uid != 0 && has_capabilities())
		return fail(reterr, -EPERM, hint_proof,
			    "privileges not dropped: capabilities left after "
			    "becoming uid %u",
			    (unsigned)cred->uid);
	return 0;
}

/* @step failed with errno: fill @reterr and return -errno. */
static int switch_failed(const struct credentials *cred, const char *step,
			 struct privdrop_error *reterr)
{
	int r = -errno;

	return fail(reterr, r, privdrop_hint(r),
		    "cannot drop privileges to uid %u gid %u: %s: %s",
		    (unsigned)cred->uid, (unsigned)cred->gid, step,
		    strerror(-r));
}

/*
 * Set the group ids only (the explicit-root case) or all ids. The kernel
 * clears the parent-death signal when the ids change: it is set again, as
 * runc does, and raised now if the parent died meanwhile (unshare
 * --kill-child, a supervisor's PR_SET_PDEATHSIG would lose its hold).
 */
static int switch_ids(const struct credentials *cred, bool set_uid,
		      struct privdrop_error *reterr)
{
	long uid = cred->uid, gid = cred->gid;
	pid_t parent = getppid();
	int pdeath = 0;

	(void)prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
	if (syscall(SYS_SETGROUPS, 1L, &cred->gid) < 0)
		return switch_failed(cred, "setgroups", reterr);
	if (syscall(SYS_SETRESGID, gid, gid, gid) < 0)
		return switch_failed(cred, "setresgid", reterr);
	if (set_uid && syscall(SYS_SETRESUID, uid, uid, uid) < 0)
		return switch_failed(cred, "setresuid", reterr);
	if (pdeath > 0 && prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0) < 0)
		log_warn("cannot set the parent-death signal again");
	if (pdeath > 0 && getppid() != parent)
		(void)kill(getpid(), pdeath);
	return 0;
}

int privdrop_apply(const struct credentials *cred,
		   struct privdrop_error *reterr)
{
	struct credentials now;
	int r;

	if (cred->keep) {
		if (cred->uid == 0)
			log_ids(LOG_LEVEL_WARN, cred, NULL, hint_as_root,
				"the command runs as root (--user keep)");
		else
			log_ids(LOG_LEVEL_INFO, cred, NULL, NULL,
				"running as the current user (--user keep)");
		return 0;
	}
	now = (struct credentials){ .keep = true,
				    .uid = geteuid(),
				    .gid = getegid() };
	if (now.uid != 0) {
		/* runAsUser, OpenShift: the ids were chosen for us. */
		log_ids(LOG_LEVEL_INFO, &now, cred, NULL,
			"not root: running as the current user, no "
			"privileges to drop");
		return 0;
	}

	if (cred->uid == 0) {
		/* Explicitly asked for root: only the group changes. */
		r = switch_ids(cred, false, reterr);
		if (r < 0)
			return r;
		log_ids(LOG_LEVEL_WARN, cred, NULL, hint_as_root,
			"the command runs as root (user 0 asked for)");
		return 0;
	}

	drop_bounding_set();
	r = switch_ids(cred, true, reterr);
	if (r < 0)
		return r;
	r = prove_dropped(cred, now.gid, reterr);
	if (r < 0)
		return r;
	/* Proven: the ids in use are @cred's. */
	log_ids(LOG_LEVEL_INFO, cred, NULL, NULL, "dropped root privileges");
	return 0;
}
