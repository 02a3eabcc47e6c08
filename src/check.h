/* SPDX-License-Identifier: MIT */
/*
 * check.h - `pidone check [OPTIONS] [--] [COMMAND...]`: a dry run of the
 * start-up (settings, privilege drop, writable dirs, the command, the
 * files it names; pidone(8), CHECK) that changes nothing.
 */
#ifndef PIDONE_CHECK_H
#define PIDONE_CHECK_H

#include "settings.h"

/*
 * Report on @out_fd (stdout) every setting with its value and origin, the
 * final user, each writable dir's verdict as that user and the command
 * resolved on PATH (@envp's PATH), and whether the final user can read the
 * program and every argument that names an existing file (a script that
 * user cannot read would start and fail at once). Those are checked in a
 * forked process that drops to the final user exactly like a real start
 * (privdrop_apply), so pidone's own ids never change; no dir is created
 * and nothing is exec'd. Returns the exit code a real start would
 * have: 0, EX_USAGE (no command at all), EX_NOPERM (also for an
 * unreadable file the command names), EX_CONFIG, 126, 127,
 * or EX_SOFTWARE when the check itself failed.
 */
int check_run(const struct settings *s, char *const *envp, int out_fd);

#endif
