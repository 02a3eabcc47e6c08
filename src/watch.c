/* SPDX-License-Identifier: MIT */
/*
 * watch.c - --watch through inotify, debounced; see watch.h.
 *
 * A watch descriptor belongs to an inode, not to a path: two watched paths
 * may share one (a path and the parent of another), so masks are only
 * ever added to (IN_MASK_ADD) and a descriptor is removed only when no
 * path uses it any more. The kernel numbers descriptors cyclically, so the
 * IN_IGNORED of one removed here, read later, matches no path.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fdutil.h"
#include "log.h"
#include "strv.h"
#include "watch.h"
#include "banned.h"

/* The watched object is gone from where it was (or was never there). */
#define GONE (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)
/* A directory entry came or went. */
#define ENTRY (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)

/* Writes, attributes, entries of a directory; never reads. */
#define SELF_MASK                                                        \
	(IN_MODIFY | IN_ATTRIB | ENTRY | IN_DELETE_SELF | IN_MOVE_SELF | \
	 IN_MASK_ADD)
#define ANCHOR_MASK \
	(ENTRY | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_MASK_ADD)

/* Events read in one pass of the loop: a busy writer cannot hold it. */
#define READS_PER_PASS 16

size_t watch_parent_len(const char *path, size_t len)
{
	size_t i = len;

	if (len <= 1)
		return 0;
	while (i > 0 && path[i - 1] != '/')
		i--;
	while (i > 1 && path[i - 1] == '/')
		i--;
	return i;
}

unsigned watch_classify(const char *path, size_t anchor_len, bool on_self,
			bool on_anchor, uint32_t mask, const char *name)
{
	unsigned v = WATCH_NONE;
	size_t start = anchor_len, len;
	bool parent;

	if (on_self) {
		/* Any event there is a write, an entry or its end. */
		v |= WATCH_CHANGE;
		if (mask & GONE)
			v |= WATCH_REARM;
	}
	if (!on_anchor)
		return v;
	while (path[start] == '/')
		start++;
	len = strcspn(path + start, "/");
	/* The anchor is the path's parent: the path exists (or just did). */
	parent = path[start + len] == '\0';
	if (mask & GONE)
		return v | WATCH_REARM | (parent ? WATCH_CHANGE : 0);
	if (!(mask & ENTRY))
		return v;
	if (strlen(name) == len && memcmp(name, path + start, len) == 0)
		return v | WATCH_REARM | (parent ? WATCH_CHANGE : 0);
	/* A file of a ConfigMap volume: its "..data" was swapped. */
	if (parent && strcmp(name, WATCH_K8S_DATA) == 0)
		return v | WATCH_REARM | WATCH_CHANGE;
	return v;
}

void watch_init(struct watch *w)
{
	w->fd = -1;
	w->loop = NULL;
	w->paths = NULL;
	w->n = 0;
	w->changed = NULL;
	w->cb = NULL;
	w->data = NULL;
}

/* An error that says the path is not there to watch (yet, or any more). */
static bool absent(int err)
{
	return err == ENOENT || err == ENOTDIR || err == ELOOP ||
	       err == ENAMETOOLONG || err == EACCES;
}

static int add(const struct watch *w, const char *path, uint32_t mask)
{
	int wd = inotify_add_watch(w->fd, path, mask);

	return wd < 0 ? -errno : wd;
}

/* Remove @wd unless @p still uses it or another path does. */
static void release(struct watch *w, const struct watch_path *p, int wd)
{
	if (wd < 0 || wd == p->wd_self || wd == p->wd_anchor)
		return;
	for (size_t i = 0; i < w->n; i++)
		if (&w->paths[i] != p &&
		    (w->paths[i].wd_self == wd || w->paths[i].wd_anchor == wd))
			return;
	/* EINVAL: the kernel dropped it already (its inode is gone). */
	if (inotify_rm_watch(w->fd, wd) < 0 && errno != EINVAL)
		log_warn("cannot remove an inotify watch, ignoring");
}

/* One pass of arm: the path, then the nearest directory above it. */
static int arm_once(struct watch *w, struct watch_path *p, int *ret_self_err)
{
	char dir[PATH_MAX];
	int old_self = p->wd_self, old_anchor = p->wd_anchor;
	int self, anchor = -ENOENT, r = 0;
	size_t len = strlen(p->path);

	self = add(w, p->path, SELF_MASK);
	if (self < 0 && !absent(-self))
		r = self;
	for (len = watch_parent_len(p->path, len); len > 0;
	     len = watch_parent_len(p->path, len)) {
		memcpy(dir, p->path, len);
		dir[len] = '\0';
		anchor = add(w, dir, ANCHOR_MASK);
		if (anchor >= 0 || !absent(-anchor))
			break;
	}
	if (anchor < 0 && !absent(-anchor) && r == 0)
		r = anchor;
	p->wd_self = self >= 0 ? self : -1;
	p->wd_anchor = anchor >= 0 ? anchor : -1;
	p->anchor_len = anchor >= 0 ? len : 0;
	release(w, p, old_self);
	release(w, p, old_anchor);
	*ret_self_err = self >= 0 ? 0 : self;
	return r;
}

/*
 * Does the component below @p's anchor exist? Then it was made between
 * the two watches of arm_once, and its creation went unseen.
 */
static bool below_anchor_exists(const struct watch_path *p)
{
	char dir[PATH_MAX];
	size_t end = p->anchor_len;
	struct stat st;

	while (p->path[end] == '/')
		end++;
	end += strcspn(p->path + end, "/");
	memcpy(dir, p->path, end);
	dir[end] = '\0';
	return stat(dir, &st) == 0;
}

/*
 * Watch @p itself, if it is there, and the nearest directory above it
 * that is, again while what lies below that directory appeared meanwhile
 * (mkdir -p racing with us). Returns 0, or -errno when the kernel refused
 * for a reason other than the path's absence (no watch left: ENOSPC);
 * *@ret_self_err says why the path itself is not watched (0 when it is).
 */
static int arm(struct watch *w, struct watch_path *p, int *ret_self_err)
{
	size_t last = 0;
	int r;

	/* Again only while the anchor goes down: bounded by the depth. */
	for (;;) {
		r = arm_once(w, p, ret_self_err);
		if (r < 0 || p->wd_self >= 0 || p->wd_anchor < 0 ||
		    p->anchor_len <= last || !below_anchor_exists(p))
			return r;
		last = p->anchor_len;
	}
}

/*
 * Set @p's watches up again after what it names moved. Returns true when
 * the path has appeared (it was not watched, now it is): a change.
 */
static bool rearm(struct watch *w, struct watch_path *p)
{
	bool was = p->wd_self >= 0;
	int self_err, r = arm(w, p, &self_err);

	if (r < 0)
		log_emit(LOG_LEVEL_WARN, r,
			 r == -ENOSPC ? "raise fs.inotify.max_user_watches" :
					NULL,
			 LOG_FIELDS(LOG_STR("path", p->path)),
			 "cannot watch the path again, ignoring");
	else if (self_err == -EACCES)
		log_emit(LOG_LEVEL_WARN, self_err,
			 "the watched paths must be readable by the user "
			 "pidone runs as",
			 LOG_FIELDS(LOG_STR("path", p->path)),
			 "cannot watch the path, waiting for it to change");
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_emit(LOG_LEVEL_DEBUG, 0, NULL,
			 LOG_FIELDS(LOG_STR("path", p->path),
				    LOG_BOOL("exists", p->wd_self >= 0),
				    LOG_INT("anchor_len", p->anchor_len)),
			 "watch set up again");
	return !was && p->wd_self >= 0;
}

/* A change of @p: (re)start the quiet period. */
static void changed(struct watch *w, const struct watch_path *p)
{
	w->changed = p->path;
	w->changed_ms = clock_monotonic_ms();
	ev_timer_stop(w->loop, &w->debounce);
	ev_timer_set(&w->debounce, WATCH_DEBOUNCE_MS / 1000.0, 0.);
	ev_timer_start(w->loop, &w->debounce);
}

static void dispatch(struct watch *w, const struct inotify_event *e)
{
	const char *name = e->len ? e->name : "";

	if (e->mask & IN_Q_OVERFLOW) {
		/* Events were lost: anything may have changed anywhere. */
		for (size_t i = 0; i < w->n; i++) {
			(void)rearm(w, &w->paths[i]);
			changed(w, &w->paths[i]);
		}
		return;
	}
	if (e->wd < 0)
		return;
	for (size_t i = 0; i < w->n; i++) {
		struct watch_path *p = &w->paths[i];
		bool self = e->wd == p->wd_self, anchor = e->wd == p->wd_anchor;
		unsigned v;

		if (!self && !anchor)
			continue;
		v = watch_classify(p->path, p->anchor_len, self, anchor,
				   e->mask, name);
		if (v && log_enabled(LOG_LEVEL_DEBUG))
			log_emit(LOG_LEVEL_DEBUG, 0, NULL,
				 LOG_FIELDS(LOG_STR("path", p->path),
					    LOG_STR("name", name),
					    LOG_INT("mask", e->mask)),
				 "watched path event");
		if ((v & WATCH_REARM) && rearm(w, p))
			v |= WATCH_CHANGE;
		if (v & WATCH_CHANGE)
			changed(w, p);
	}
}

static void readable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct watch *w = io->data;
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	(void)loop;
	(void)revents;
	for (int pass = 0; pass < READS_PER_PASS; pass++) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				log_warn("cannot read inotify, ignoring");
			return;
		}
		/* The kernel writes whole events only. */
		for (size_t at = 0; at < (size_t)n;) {
			const struct inotify_event *e =
				(const struct inotify_event *)(buf + at);

			at += sizeof(*e) + e->len;
			dispatch(w, e);
		}
		if (n == 0)
			return;
	}
}

static void quiet(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct watch *w = t->data;

	(void)loop;
	(void)revents;
	w->cb(w->data, w->changed);
}

/* @path without its trailing slashes (but "/"), as a copy; NULL: ENOMEM. */
static char *path_copy(const char *path)
{
	size_t len = strlen(path);
	char *copy;

	while (len > 1 && path[len - 1] == '/')
		len--;
	copy = malloc(len + 1);
	if (copy) {
		memcpy(copy, path, len);
		copy[len] = '\0';
	}
	return copy;
}

/* Arm the watches of every path at the start; see watch_start. */
static int arm_all(struct watch *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct watch_path *p = &w->paths[i];
		int self_err, r = arm(w, p, &self_err);

		if (r < 0) {
			log_emit(LOG_LEVEL_ERROR, r,
				 r == -ENOSPC ? "raise the host's "
						"fs.inotify.max_user_watches" :
						NULL,
				 LOG_FIELDS(LOG_STR("path", p->path)),
				 "cannot watch the path");
			return r;
		}
		if (self_err == -EACCES) {
			log_emit(LOG_LEVEL_ERROR, self_err,
				 "the watched paths must be readable by the "
				 "user pidone runs as (--user)",
				 LOG_FIELDS(LOG_STR("path", p->path),
					    LOG_INT("uid", getuid()),
					    LOG_INT("gid", getgid())),
				 "cannot watch the path");
			return self_err;
		}
		if (self_err < 0)
			log_emit(LOG_LEVEL_INFO, self_err, NULL,
				 LOG_FIELDS(LOG_STR("path", p->path)),
				 "the watched path is not there yet; its "
				 "appearance will count as a change");
	}
	return 0;
}

int watch_start(struct watch *w, struct ev_loop *loop, char *const *paths,
		watch_cb *cb, void *data)
{
	size_t n = strv_length(paths);
	int r;

	if (n == 0)
		return 0;
	w->paths = calloc(n, sizeof(*w->paths));
	if (!w->paths)
		goto err_nomem;
	for (; w->n < n; w->n++) {
		struct watch_path *p = &w->paths[w->n];

		p->wd_self = p->wd_anchor = -1;
		p->path = path_copy(paths[w->n]);
		if (!p->path)
			goto err_nomem;
	}
	w->loop = loop;
	w->cb = cb;
	w->data = data;
	w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->fd < 0) {
		r = -errno;
		log_emit(LOG_LEVEL_ERROR, r,
			 r == -EMFILE ? "raise the host's "
					"fs.inotify.max_user_instances, or the "
					"open-files limit (ulimit -n)" :
					NULL,
			 NULL, 0, "cannot watch paths: inotify_init1 failed");
		return r;
	}
	ev_io_init(&w->io, readable, w->fd, EV_READ);
	w->io.data = w;
	ev_init(&w->debounce, quiet);
	w->debounce.data = w;
	r = arm_all(w);
	if (r < 0 || !loop)
		return r;
	ev_io_start(loop, &w->io);
	log_emit(LOG_LEVEL_INFO, 0, NULL, LOG_FIELDS(LOG_STRV("paths", paths)),
		 "watching for changes");
	return 0;

err_nomem:
	log_errorx(NULL, "out of memory");
	return -ENOMEM;
}

void watch_done(struct watch *w)
{
	if (w->loop && w->fd >= 0) {
		ev_io_stop(w->loop, &w->io);
		ev_timer_stop(w->loop, &w->debounce);
	}
	fd_close(&w->fd);
	for (size_t i = 0; i < w->n; i++)
		free(w->paths[i].path);
	free(w->paths);
	watch_init(w);
}
