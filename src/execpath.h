/* SPDX-License-Identifier: MIT */
/*
 * execpath.h - find a command on PATH the way execvp does: the file the
 * child execs, the path `pidone check` reports, and the explanation of a
 * failed exec.
 */
#ifndef PIDONE_EXECPATH_H
#define PIDONE_EXECPATH_H

#include <stddef.h>

/* What is searched when PATH is unset (glibc's _CS_PATH). */
#define EXECPATH_DEFAULT_PATH "/bin:/usr/bin"

/*
 * Look @file up as execvp would: a name with a '/' is taken as is, others
 * are tried in each directory of @path (NULL: EXECPATH_DEFAULT_PATH).
 * Returns 0 with the path of the first executable regular file in @buf;
 * -EISDIR or -EACCES with the path of the first thing found that is a
 * directory, or a file not executable (or not a regular file); -ENOENT
 * when nothing was found; -ENAMETOOLONG.
 */
int execpath_find(const char *file, const char *path, char *buf, size_t buflen);

/*
 * The fix for a command execpath_find found but cannot run (@err EISDIR,
 * EACCES, ENOENT or ENOEXEC from its exec, or their negatives), else
 * NULL: the start's error and `pidone check` give the same one.
 */
const char *execpath_hint(int err);

/*
 * The interpreter named on the "#!" line of the script at @path, copied
 * into @buf. Returns 0; 1 for an ELF program (no interpreter); -ENOEXEC
 * for a file that is neither, which execve refuses; -errno when it cannot
 * be read.
 */
int execpath_interpreter(const char *path, char *buf, size_t buflen);

/*
 * Can the #! interpreter @interp run, for the current user? 0, or why
 * not as a negative errno: the kernel refuses one that is missing or not
 * executable, a directory (-EISDIR), or neither a program nor a script
 * itself (-ENOEXEC).
 */
int execpath_interpreter_runs(const char *interp);

/*
 * The fix for a #! interpreter that cannot run (@err from
 * execpath_interpreter_runs, or its positive): the start's error and
 * `pidone check` give the same one.
 */
const char *execpath_interpreter_hint(int err);

#endif
