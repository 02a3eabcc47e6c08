/* SPDX-License-Identifier: MIT */
/*
 * execpath.c - PATH resolution: what the child execs (execvp's search,
 * without glibc's /bin/sh fallback), and, after a failed exec, the file,
 * the directories searched and, for a script, the missing interpreter.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "execpath.h"
#include "fdutil.h"
#include "textbuf.h"
#include "banned.h"

/*
 * 0 when @candidate is an executable regular file, else -errno. A file we
 * cannot even stat is one we cannot see: in a PATH search a directory the
 * final user may not search (a root-only dir left on PATH) hides nothing,
 * so @in_path turns that EACCES into ENOENT, as shells report it.
 */
static int check_candidate(const char *candidate, bool in_path)
{
	struct stat st;

	if (stat(candidate, &st) < 0)
		return in_path && errno == EACCES ? -ENOENT : -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(candidate, X_OK) < 0)
		return -errno;
	return 0;
}

int execpath_find(const char *file, const char *path, char *buf, size_t buflen)
{
	int unusable = 0; /* why the first file found cannot run */
	const char *dir;
	int r;

	if (file[0] == '\0')
		return -ENOENT;
	if (strchr(file, '/')) {
		if ((size_t)textbuf_snprintf(buf, buflen, "%s", file) >= buflen)
			return -ENAMETOOLONG;
		r = check_candidate(file, false);
		return r == -ENOENT || r == -ENOTDIR ? -ENOENT : r;
	}
	if (!path)
		path = EXECPATH_DEFAULT_PATH;

	dir = path;
	for (;;) {
		const char *end = strchrnul(dir, ':');
		int dir_len = (int)(end - dir);
		char candidate[4096];

		/* An empty PATH entry means the current directory. */
		if ((size_t)textbuf_snprintf(candidate, sizeof(candidate),
					     "%.*s%s%s", dir_len, dir,
					     dir_len ? "/" : "",
					     file) < sizeof(candidate)) {
			r = check_candidate(candidate, true);
			if (r == 0 ||
			    (r != -ENOENT && r != -ENOTDIR && !unusable)) {
				if ((size_t)textbuf_snprintf(buf, buflen, "%s",
							     candidate) >=
				    buflen)
					return -ENAMETOOLONG;
				if (r == 0)
					return 0;
				unusable = r == -EISDIR ? r : -EACCES;
			}
		}
		if (*end == '\0')
			break;
		dir = end + 1;
	}
	return unusable ? unusable : -ENOENT;
}

const char *execpath_hint(int err)
{
	switch (err < 0 ? -err : err) {
	case EISDIR:
		return "it is a directory: name the program in it";
	case EACCES:
		return "make it executable: chmod +x, or COPY --chmod=755";
	case ENOENT: /* for a file that is there: the loader it names is not */
		return "it is there but its loader is not: a dynamically "
		       "linked program needs its libc's loader and libraries "
		       "in the image; copy them or build it static";
	case ENOEXEC:
		return "a script needs a #! line, or put its interpreter "
		       "first, e.g. [\"python3\",\"app.py\"]; a program must "
		       "be built for this machine";
	default:
		return NULL;
	}
}

int execpath_interpreter(const char *path, char *buf, size_t buflen)
{
	char head[256];
	ssize_t n;
	size_t len;
	char *p;
	int fd, r;

	fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = read(fd, head, sizeof(head) - 1);
	r = n < 0 ? -errno : 0;
	fd_close(&fd);
	if (r < 0)
		return r;
	if (n >= 4 && memcmp(head, "\177ELF", 4) == 0)
		return 1;
	if (n < 2 || head[0] != '#' || head[1] != '!')
		return -ENOEXEC;
	head[n] = '\0';
	p = head + 2;
	p += strspn(p, " \t");
	len = strcspn(p, " \t\n");
	if (len == 0 || len >= buflen)
		return -ENOEXEC;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

int execpath_interpreter_runs(const char *interp)
{
	char inner[256];
	int r;

	if (access(interp, X_OK) < 0)
		return -errno;
	/* -EACCES: not readable, which a program need not be */
	r = execpath_interpreter(interp, inner, sizeof(inner));
	return r == -EISDIR || r == -ENOEXEC ? r : 0;
}

const char *execpath_interpreter_hint(int err)
{
	return err == ENOENT || err == -ENOENT ?
		       "distroless images have no shell: put the interpreter "
		       "in the JSON command, e.g. [\"python3\",\"app.py\"]" :
		       "its #! line must name a program: put the interpreter "
		       "in the JSON command, e.g. [\"python3\",\"app.py\"]";
}
