/* SPDX-License-Identifier: MIT */
/*
 * signame.h - signal names and the --rewrite map. Pure: no I/O, no globals.
 */
#ifndef PIDONE_SIGNAME_H
#define PIDONE_SIGNAME_H

/* Highest signal number pidone knows (the kernel's _NSIG - 1). */
#define SIGNAME_MAX 64

/*
 * "TERM", "SIGTERM", "sigterm", "15", "RTMIN", "RTMIN+3", "RTMAX-1" into
 * the number (1..SIGNAME_MAX). Returns it, or -EINVAL.
 */
int signame_to_number(const char *name);

/* "TERM" for 15, "RTMIN+3" for SIGRTMIN+3; NULL when unknown. */
const char *signame_from_number(int sig, char *buf, unsigned buflen);

/*
 * "FROM:TO" (each a name or number; TO may be 0 to drop the signal) into
 * the pair. FROM may not be KILL, STOP or CHLD (pidone never sees them).
 * Returns 0 or -EINVAL.
 */
int signame_parse_rewrite(const char *spec, int *ret_from, int *ret_to);

#endif
