/* SPDX-License-Identifier: MIT */
/*
 * dirs.c - the writable directories. dirs_create makes missing ones (as
 * root, before the drop, owned by the final user) by walking the path
 * one component at a time with openat(O_NOFOLLOW)/mkdirat relative to
 * the parent's fd, resolving symlinks itself: a symlink is followed only
 * when root or the final user owns it (another user's symlink in /tmp
 * must not choose where root makes a dir), and a component it creates
 * cannot be swapped for a symlink between mkdir and chown. What it made
 * is recorded with an fd of each parent, so that dirs_undo can remove it
 * again when the start fails, without resolving a path a second time.
 * dirs_verify proves a dir writable by doing: it creates and removes a
 * uniquely named file as the final user, and explains a failure from
 * stat(2) (owner, group, octal mode) with the fix for its cause.
 * dirs_hint and dirs_explain are pure.
 *
 * Every fd is O_CLOEXEC. The only fds kept after a call returns are the
 * parent fds in a struct dirs_created, closed by dirs_undo or
 * dirs_created_done. No state. Logs only from dirs_undo (what it left).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dirs.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "random.h"
#include "log.h"
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
			textbuf_snprintf(
				buf, buflen,
				"RUN chgrp -R 0 %s && chmod -R g=u %s in the "
				"Dockerfile (OpenShift runs a random uid in "
				"group 0), or for a volume set "
				"securityContext.fsGroup",
				dir, dir);
			break;
		}
		textbuf_snprintf(
			buf, buflen,
			"COPY --chown=%u:%u ... in the Dockerfile, chown "
			"%u:%u %s, or for a volume set "
			"securityContext.fsGroup: %u",
			u, g, u, g, dir, g);
		break;
	case EROFS:
		/* Docker makes a plain --tmpfs root's, mode 0755. */
		textbuf_snprintf(
			buf, buflen,
			"the filesystem is read-only: mount an emptyDir "
			"(Kubernetes) or --tmpfs %s:uid=%u,gid=%u (docker run) "
			"there",
			dir, u, g);
		break;
	case ENOENT:
		textbuf_snprintf(
			buf, buflen,
			"create it in the image (RUN mkdir + chown) or pass "
			"--create-dirs");
		break;
	case ENOTDIR:
		textbuf_snprintf(
			buf, buflen,
			"%s is not a directory: remove what is there in the "
			"image, or point --writable at a directory",
			dir);
		break;
	case ENOSPC:
	case EDQUOT:
		textbuf_snprintf(
			buf, buflen,
			"the filesystem is full or over quota: free space or "
			"grow the volume");
		break;
	case EMFILE:
	case ENFILE:
		textbuf_snprintf(buf, buflen, "%s", fd_limit_hint(err));
		break;
	default:
		textbuf_snprintf(buf, buflen,
				 "check the mount and permissions of %s", dir);
		break;
	}
	return buf;
}

int dirs_exit_code(int err)
{
	return err == -EMFILE || err == -ENFILE ? EX_SOFTWARE : EX_NOPERM;
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
		textbuf_snprintf(what, sizeof(what), "missing");
	else if (!st)
		textbuf_snprintf(what, sizeof(what), "cannot stat it: %s",
				 strerror(stat_err));
	else
		textbuf_snprintf(what, sizeof(what), "owner %u:%u mode %04o%s",
				 (unsigned)st->st_uid, (unsigned)st->st_gid,
				 (unsigned)(st->st_mode & 07777),
				 S_ISDIR(st->st_mode) ? "" :
							", not a directory");
	/* Out of fds says nothing about the dir. */
	textbuf_snprintf(ret->text, sizeof(ret->text),
			 "writable dir %s %s uid %u gid %u: %s (%s)", dir,
			 err == EMFILE || err == ENFILE ?
				 "could not be checked as" :
				 "is not writable by",
			 (unsigned)uid, (unsigned)gid, strerror(err), what);
	/*
	 * A dir that is there, yet a file in it "does not exist" (proc) or
	 * root is refused (sysfs, chattr +i, an LSM): no owner or mode helps.
	 */
	if (st && S_ISDIR(st->st_mode) &&
	    (err == ENOENT || (uid == 0 && (err == EACCES || err == EPERM))))
		textbuf_snprintf(
			ret->hint, sizeof(ret->hint),
			"no owner or mode makes %s take new files (a kernel "
			"filesystem such as /proc or /sys, an immutable dir, "
			"or a security module): point --writable at a dir on "
			"a writable filesystem (an emptyDir, a tmpfs, a "
			"volume)",
			dir);
	/* Owned already, by a mode without write or search for its owner. */
	else if (st && S_ISDIR(st->st_mode) && err == EACCES &&
		 st->st_uid == uid &&
		 (st->st_mode & (S_IWUSR | S_IXUSR)) != (S_IWUSR | S_IXUSR))
		textbuf_snprintf(
			ret->hint, sizeof(ret->hint),
			"%s is owned by uid %u already, but its mode %04o "
			"does not let its owner write: RUN chmod u+rwx %s in "
			"the Dockerfile",
			dir, (unsigned)uid, (unsigned)(st->st_mode & 07777),
			dir);
	else
		dirs_hint(err, dir, uid, gid, ret->hint, sizeof(ret->hint));
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
		textbuf_putu(&t, random_u64(), 16, 16);
		if (t.truncated)
			return verify_failed(dir, -ENAMETOOLONG, reterr);
		fd = openat(AT_FDCWD, path,
			    O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
				    O_WRONLY | O_NOCTTY,
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
		textbuf_snprintf(
			reterr->hint, sizeof(reterr->hint),
			"the dir lets files be created but not removed (an "
			"append-only attribute? see lsattr -d %s); remove the "
			"file by hand",
			dir);
		return r;
	}
	return 0;
}

/* What one dirs_create call walks with. */
struct walk {
	const char *dir; /* the writable dir, for messages */
	uid_t uid;
	gid_t gid;
	bool as_root;
	bool dry_run; /* make nothing: stop where the first dir would be */
	unsigned links; /* symlinks followed so far */
	struct dirs_created *undo; /* NULL: record nothing */
	struct privdrop_error *reterr;
};

/* Fill the error for component @shown of the dir that could not be made. */
static int create_failed(struct walk *w, const char *shown, const char *op,
			 int err)
{
	textbuf_format(w->reterr->text, sizeof(w->reterr->text),
		       "cannot create writable dir %s: %s %s: %s", w->dir, op,
		       shown, strerror(-err));
	dirs_hint(err == -ENOENT ? -EACCES : err, shown, w->uid, w->gid,
		  w->reterr->hint, sizeof(w->reterr->hint));
	return err;
}

/* Fill the error for a refusal that needs its own words; returns @err. */
static int create_refused(struct walk *w, int err, const char *hint,
			  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int create_refused(struct walk *w, int err, const char *hint,
			  const char *fmt, ...)
{
	char why[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	textbuf_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	textbuf_format(w->reterr->text, sizeof(w->reterr->text),
		       "cannot create writable dir %s: %s", w->dir, why);
	textbuf_snprintf(w->reterr->hint, sizeof(w->reterr->hint), "%s", hint);
	return err;
}

/*
 * @base joined with the first @len bytes of @path, for messages: the path
 * as the user would write it.
 */
static void shown_of(char *buf, size_t size, const char *base, const char *path,
		     size_t len)
{
	size_t blen = strlen(base);
	bool sep = blen > 0 && base[blen - 1] != '/' && len > 0;

	textbuf_snprintf(buf, size, "%s%s%.*s", base, sep ? "/" : "", (int)len,
			 path);
}

/*
 * Say that a dir a failed start made stays (its path: the first @len
 * bytes of @dir), so that nobody finds it later without a word.
 */
static void warn_left_behind(const char *dir, size_t len, int err)
{
	char path[PATH_MAX];

	textbuf_snprintf(path, sizeof(path), "%.*s", (int)len, dir);
	log_emit(LOG_LEVEL_WARN, err,
		 err == -EACCES || err == -EPERM ?
			 "after the privilege drop only what the final user "
			 "may remove goes; rmdir it by hand if it is not "
			 "wanted" :
			 "rmdir it by hand if it is not wanted",
		 LOG_FIELDS(LOG_STR("dir", path)),
		 "start-up failed: the dir it created is left behind");
}

/* Remember @name, just made below @parent_fd, for dirs_undo. */
static int record_made(struct walk *w, int parent_fd, const char *name,
		       const struct stat *st, size_t shown_len)
{
	struct dirs_made *m;
	int fd;

	if (!w->undo)
		return 0;
	fd = fcntl(parent_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	m = &w->undo->made[w->undo->n++];
	m->parent_fd = fd;
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->dir = w->dir;
	m->len = shown_len;
	textbuf_snprintf(m->name, sizeof(m->name), "%s", name);
	return 0;
}

/*
 * Make @name below @parent_fd, owned by the final user, and open it:
 * *@ret_fd is an O_RDONLY directory fd. -EEXIST (no message) when
 * something is there already: the caller looks again.
 */
static int make_dir(struct walk *w, int parent_fd, const char *name,
		    const char *shown, int *ret_fd, struct stat *ret_st)
{
	int fd, r;

	if (w->undo && w->undo->n >= DIRS_CREATED_MAX)
		return create_refused(
			w, -E2BIG,
			"create the dirs in the image (RUN mkdir + chown)",
			"more than %d dirs to create, refusing to create %s",
			DIRS_CREATED_MAX, shown);
	if (mkdirat(parent_fd, name, 0755) < 0) {
		r = -errno;
		return r == -EEXIST ? r : create_failed(w, shown, "mkdir", r);
	}
	/* Swapped for a symlink since mkdir: O_NOFOLLOW refuses it. */
	fd = openat(parent_fd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOTDIR || r == -ELOOP)
			return create_failed(w, shown,
					     "refusing to follow the symlink",
					     -ELOOP);
		return create_failed(w, shown, "open", r);
	}
	if (fstat(fd, ret_st) < 0) {
		r = create_failed(w, shown, "stat", -errno);
		goto err_close_fd;
	}
	/* Recorded first: a failed chown below must be undone too. */
	r = record_made(w, parent_fd, name, ret_st, strlen(shown));
	if (r < 0) {
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0)
			warn_left_behind(shown, strlen(shown), -errno);
		r = create_failed(w, shown, "keep an fd for", r);
		goto err_close_fd;
	}
	if (w->as_root && fchown(fd, w->uid, w->gid) < 0) {
		r = create_failed(w, shown, "chown", -errno);
		goto err_close_fd;
	}
	/* umask may have narrowed mkdir's mode: set it exactly. */
	if (fchmod(fd, 0755) < 0) {
		r = create_failed(w, shown, "chmod", -errno);
		goto err_close_fd;
	}
	*ret_fd = fd;
	return 0;

err_close_fd:
	fd_close(&fd);
	return r;
}

/*
 * Open @name below @parent_fd without following it, making it when it is
 * missing and @create says so. *@ret_fd is an O_PATH fd of the dir or
 * symlink that is there (*@ret_st says which), or an O_RDONLY fd of a dir
 * just made. In a dry run, 1 where a dir would be made, if it could be.
 */
static int open_component(struct walk *w, int parent_fd, const char *name,
			  const char *shown, bool create, int *ret_fd,
			  struct stat *ret_st)
{
	int fd, r;

	for (unsigned tries = 0;; tries++) {
		fd = openat(parent_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			break;
		r = -errno;
		if (r != -ENOENT)
			return create_failed(w, shown, "open", r);
		if (!create)
			return create_refused(
				w, -ELOOP,
				"create the symlink's target in the image, or "
				"point --writable at the real directory",
				"%s is missing and a symlink leads there, "
				"refusing to create anything through a symlink",
				shown);
		if (w->dry_run) {
			/* nothing made: could this dir take a new one? */
			if (faccessat(parent_fd, ".", W_OK | X_OK, AT_EACCESS))
				return create_failed(w, shown, "mkdir", -errno);
			return 1;
		}
		r = make_dir(w, parent_fd, name, shown, ret_fd, ret_st);
		/* EEXIST: someone made it first; look at what they made. */
		if (r != -EEXIST)
			return r;
		if (tries > 0)
			return create_failed(w, shown, "mkdir", r);
	}
	if (fstat(fd, ret_st) < 0) {
		r = create_failed(w, shown, "stat", -errno);
		fd_close(&fd);
		return r;
	}
	if (!S_ISDIR(ret_st->st_mode) && !S_ISLNK(ret_st->st_mode)) {
		fd_close(&fd);
		return create_failed(w, shown, "open", -ENOTDIR);
	}
	*ret_fd = fd;
	return 0;
}

static int walk_path(struct walk *w, int start_fd, const char *path,
		     const char *base, bool create, int *ret_fd);

/*
 * The symlink @link_fd (O_PATH, stat in @st), found at @shown below
 * @parent_fd (shown as @parent_shown): follow it by walking its target
 * ourselves, when root or the final user owns it. The owner and the
 * target are read from the same inode, so a symlink swapped in between
 * cannot pass another one's check.
 */
static int follow_link(struct walk *w, int parent_fd, int link_fd,
		       const struct stat *st, const char *shown,
		       const char *parent_shown, int *ret_fd)
{
	char target[PATH_MAX], hint[PATH_MAX + 128];
	ssize_t n;

	if (st->st_uid != 0 && st->st_uid != w->uid) {
		textbuf_snprintf(
			hint, sizeof(hint),
			"--create-dirs follows only root's and uid %u's "
			"symlinks: remove %s, or point --writable at the "
			"real directory",
			(unsigned)w->uid, shown);
		return create_refused(w, -ELOOP, hint,
				      "%s is a symlink owned by uid %u (not "
				      "root or the final user), refusing to "
				      "follow it",
				      shown, (unsigned)st->st_uid);
	}
	if (++w->links > DIRS_LINKS_MAX)
		return create_failed(w, shown, "follow", -ELOOP);
	/* "" reads the link @link_fd itself is (O_PATH|O_NOFOLLOW). */
	n = readlinkat(link_fd, "", target, sizeof(target));
	if (n < 0)
		return create_failed(w, shown, "readlink", -errno);
	if ((size_t)n >= sizeof(target))
		return create_failed(w, shown, "readlink", -ENAMETOOLONG);
	target[n] = '\0';
	return walk_path(w, parent_fd, target,
			 target[0] == '/' ? "" : parent_shown, false, ret_fd);
}

/*
 * Walk @path from @start_fd ("/" when it is absolute) and return an fd of
 * the dir it names in *@ret_fd. Only the components of the writable dir
 * itself are made (@create); a symlink's target must exist. @base is how
 * the dir @start_fd is shown in messages.
 */
static int walk_path(struct walk *w, int start_fd, const char *path,
		     const char *base, bool create, int *ret_fd)
{
	char shown[PATH_MAX];
	const char *p = path;
	int fd, r;

	fd = path[0] == '/' ?
		     openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC) :
		     openat(start_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		shown_of(shown, sizeof(shown), base, path[0] == '/' ? "/" : ".",
			 1);
		return create_failed(w, shown, "open", r);
	}
	while (*p) {
		size_t len = strcspn(p, "/");
		char name[NAME_MAX + 1];
		struct stat st;
		int next = -1;

		if (len == 0) {
			p++;
			continue;
		}
		/* shown = path up to and including this component */
		shown_of(shown, sizeof(shown), base, path,
			 (size_t)(p - path) + len);
		if (len > NAME_MAX) {
			r = create_failed(w, shown, "mkdir", -ENAMETOOLONG);
			goto out_close_fd;
		}
		memcpy(name, p, len);
		name[len] = '\0';

		r = open_component(w, fd, name, shown, create, &next, &st);
		if (r < 0)
			goto out_close_fd;
		if (r > 0) {
			/* a dry run: the rest would be made below this one */
			fd_close(&fd);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char parent_shown[PATH_MAX];
			int link_fd = next;

			shown_of(parent_shown, sizeof(parent_shown), base, path,
				 (size_t)(p - path));
			next = -1;
			r = follow_link(w, fd, link_fd, &st, shown,
					parent_shown, &next);
			fd_close(&link_fd);
			if (r < 0)
				goto out_close_fd;
		}
		fd_close(&fd);
		fd = next;
		p += len;
	}
	*ret_fd = fd;
	return 0;

out_close_fd:
	fd_close(&fd);
	return r;
}

static int create_walk(const char *dir, uid_t uid, gid_t gid, bool dry_run,
		       struct dirs_created *undo, struct privdrop_error *reterr)
{
	struct walk w = {
		.dir = dir,
		.uid = uid,
		.gid = gid,
		.as_root = geteuid() == 0,
		.dry_run = dry_run,
		.undo = undo,
		.reterr = reterr,
	};
	int fd = -1, r;

	if (dir[0] == '\0')
		return create_failed(&w, dir, "mkdir", -ENOENT);
	if (strlen(dir) >= PATH_MAX)
		return create_failed(&w, dir, "mkdir", -ENAMETOOLONG);
	r = walk_path(&w, AT_FDCWD, dir, "", true, &fd);
	fd_close(&fd);
	return r;
}

int dirs_create(const char *dir, uid_t uid, gid_t gid,
		struct dirs_created *undo, struct privdrop_error *reterr)
{
	return create_walk(dir, uid, gid, false, undo, reterr);
}

int dirs_create_check(const char *dir, uid_t uid, gid_t gid,
		      struct privdrop_error *reterr)
{
	return create_walk(dir, uid, gid, true, NULL, reterr);
}

int dirs_create_all(char *const *dirs, uid_t uid, gid_t gid,
		    struct dirs_created *undo, struct privdrop_error *reterr,
		    const char **reterr_dir)
{
	for (size_t i = 0; dirs && dirs[i]; i++) {
		int r = dirs_create(dirs[i], uid, gid, undo, reterr);

		if (r < 0) {
			*reterr_dir = dirs[i];
			return r;
		}
	}
	return 0;
}

void dirs_created_init(struct dirs_created *c)
{
	c->n = 0;
}

/* Remove @m if it is still the empty dir that was made: 0 or -errno. */
static int undo_one(const struct dirs_made *m)
{
	struct stat st;

	if (fstatat(m->parent_fd, m->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Something else is there now: not ours to remove. */
	if (st.st_dev != m->dev || st.st_ino != m->ino)
		return 0;
	if (unlinkat(m->parent_fd, m->name, AT_REMOVEDIR) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

size_t dirs_undo(struct dirs_created *undo)
{
	size_t left = 0;

	while (undo->n > 0) {
		struct dirs_made *m = &undo->made[--undo->n];
		int r = undo_one(m);

		fd_close(&m->parent_fd);
		if (r == 0)
			continue;
		left++;
		warn_left_behind(m->dir, m->len, r);
	}
	return left;
}

void dirs_created_done(struct dirs_created *undo)
{
	while (undo->n > 0)
		fd_close(&undo->made[--undo->n].parent_fd);
}
