/* SPDX-License-Identifier: MIT */
/*
 * watch.h - --watch: a change of what a watched path names, seen through
 * inotify (no polling), reported once when WATCH_DEBOUNCE_MS have passed
 * with no further change.
 *
 * Each path has two watches: the path itself (symlinks followed: a
 * directory reports the files directly in it, a file its writes) and its
 * anchor, the nearest directory above it that exists: the parent while
 * the path exists, an ancestor while it does not. The anchor sees the
 * path created, removed, renamed or replaced; when an ancestor is the
 * anchor, the next component appearing moves the anchor down, so a path
 * that disappears and comes back is watched again without polling.
 *
 * Kubernetes ConfigMap and Secret volumes: the files are symlinks through
 * "..data", itself a symlink to a timestamped directory, and an update
 * writes a new directory and renames a new "..data" over the old. Watching
 * the volume's directory sees the rename (and the writes around it);
 * watching one file of it, its parent reports "..data" renamed and the
 * file's old target is deleted. Either way the burst is one change once
 * the debounce has passed.
 *
 * Owns one fd, the inotify instance (IN_CLOEXEC | IN_NONBLOCK), and only
 * with --watch; the debounce timer runs only after a change, so an idle
 * pidone sleeps. Reads (IN_ACCESS, IN_OPEN, IN_CLOSE_NOWRITE) are not
 * watched: the app reading its config never wakes pidone.
 */
#ifndef PIDONE_WATCH_H
#define PIDONE_WATCH_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A change is reported after this long without another one. */
#define WATCH_DEBOUNCE_MS 1000u

/* The ConfigMap/Secret volume's swapped symlink. */
#define WATCH_K8S_DATA "..data"

/* What an inotify event means for one watched path (bits). */
enum watch_verdict {
	WATCH_NONE = 0,
	WATCH_CHANGE = 1, /* what the path names changed */
	WATCH_REARM = 2, /* set its two watches up again */
};

/* A change was seen under @path: debounced, as the caller's callback. */
typedef void watch_cb(void *data, const char *path);

struct watch_path {
	char *path; /* absolute, no trailing '/' (but "/" itself) */
	int wd_self; /* the path itself; -1 while it cannot be watched */
	int wd_anchor; /* the nearest existing directory above it; -1 */
	size_t anchor_len; /* bytes of path naming the anchor ("/": 1) */
};

struct watch {
	int fd; /* the inotify instance, owned; -1 without --watch */
	ev_io io;
	ev_timer debounce; /* runs only from a change until it is reported */
	struct ev_loop *loop;
	struct watch_path *paths;
	size_t n;
	const char *changed; /* the path of the last change */
	uint64_t changed_ms; /* when it was read (monotonic) */
	watch_cb *cb;
	void *data;
};

/* Set @w up so that watch_done works on a never-started one. */
void watch_init(struct watch *w);

/*
 * Watch each of @paths (NULL or empty: nothing, no fd) on @loop; after a
 * change and WATCH_DEBOUNCE_MS of quiet, @cb(@data, path) runs. A path
 * that does not exist yet is waited for. Logs what fails; returns 0,
 * -EACCES when the current user cannot watch a path that exists, or
 * another -errno (no inotify instance or watch left, no memory). A NULL
 * @loop arms the watches and starts nothing: `pidone check`'s dry run.
 */
int watch_start(struct watch *w, struct ev_loop *loop, char *const *paths,
		watch_cb *cb, void *data);

/* Stop watching, close the fd, free the paths; accepts a never-started. */
void watch_done(struct watch *w);

/*
 * Pure. The length of the parent of the first @len bytes of absolute
 * @path: "/a/b" (4) -> 2 ("/a"), "/a" -> 1 ("/"), "/" -> 0 (none).
 */
size_t watch_parent_len(const char *path, size_t len);

/*
 * Pure. An inotify event (@mask, @name: "" when none) on the watch of
 * @path itself (@on_self) and/or on its anchor (@on_anchor, the first
 * @anchor_len bytes of @path): a change, a reason to re-arm, both, or
 * nothing (WATCH_* bits).
 */
unsigned watch_classify(const char *path, size_t anchor_len, bool on_self,
			bool on_anchor, uint32_t mask, const char *name);

#endif
