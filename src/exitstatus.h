/* SPDX-License-Identifier: MIT */
/*
 * exitstatus.h - turn a wait status into the exit code pidone reports.
 * Pure: no I/O, no globals.
 */
#ifndef PIDONE_EXITSTATUS_H
#define PIDONE_EXITSTATUS_H

/*
 * The exit code of a child that ended with wait status @wstatus: its exit
 * code, or 128+N when signal N killed it (the shell convention that tini,
 * dumb-init and catatonit share). Returns -EINVAL for a stopped or
 * continued report, which is not an end.
 */
int exitstatus_from_wait(int wstatus);

/* Human form for logs: "exited with status 3" or "killed by signal 9 (KILL)". */
const char *exitstatus_describe(int wstatus, char *buf, unsigned buflen);

#endif
