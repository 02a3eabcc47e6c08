/* SPDX-License-Identifier: MIT */
/*
 * exitcodes.h - pidone's own exit codes, named once (README, Exit codes).
 *
 * Every other status pidone exits with is the child's: its exit code, or
 * 128+N when signal N killed it.
 */
#ifndef PIDONE_EXITCODES_H
#define PIDONE_EXITCODES_H

#include <sysexits.h>

/* EX_USAGE 64, EX_SOFTWARE 70, EX_NOPERM 77, EX_CONFIG 78 from sysexits.h */
#define EX_NOEXEC 126 /* command found but not executable */
#define EX_NOTFOUND 127 /* command not found */

#endif
