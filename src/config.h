/* SPDX-License-Identifier: MIT */
/*
 * config.h - build struct settings from defaults < INI file < environment <
 * command line (README, Options).
 *
 * config_load reads the INI file itself into a bounded buffer (lines of 198
 * bytes or more are rejected before inih r55 could split them; inline " ;"
 * comments are turned off so a value is never cut) and hands it to inih.
 * It does not log: errors come back in struct config_error.
 */
#ifndef PIDONE_CONFIG_H
#define PIDONE_CONFIG_H

#include <stddef.h>

#include "settings.h"

#define CONFIG_DEFAULT_PATH "/etc/pidone/pidone.ini"
#define CONFIG_ERROR_MAX 1024

struct config_error {
	int exit_code; /* EX_USAGE, EX_CONFIG (or EX_SOFTWARE: no memory, fds) */
	char text[CONFIG_ERROR_MAX]; /* one line, no trailing newline */
};

/*
 * Parse @argv (argc entries, argv[0] the program name) and @envp (a
 * NULL-terminated "NAME=value" array) plus the INI file they name, into
 * @s (which settings_init prepared). @default_config is read when it exists
 * and neither --config nor PIDONE_CONFIG names a file (NULL: never);
 * "--config ''" reads no file at all.
 *
 * Returns an enum config_action (>= 0), or a negative errno with @reterr
 * filled: -EINVAL (exit_code EX_USAGE or EX_CONFIG), -EACCES (EX_CONFIG:
 * the file cannot be opened by this user), or -ENOMEM, -EMFILE or -ENFILE
 * (EX_SOFTWARE: out of memory, or of fds to open the file).
 * Only the first error is kept, but every other valid entry is still
 * applied, so s->log_format and s->log_level are usable to print it.
 * HELP and VERSION are returned as soon as argv asks for them, without
 * reading the file or the environment.
 */
int config_load(struct settings *s, int argc, char *const *argv,
		char *const *envp, const char *default_config,
		struct config_error *reterr);

/*
 * As config_load, but reading no file at all, as --config '' would: PID
 * 1's settings for `pidone health` when its file cannot be opened.
 */
int config_load_no_file(struct settings *s, int argc, char *const *argv,
			char *const *envp, struct config_error *reterr);

/*
 * The next PIDONE_* variable of @envp, from entry *@pos on, that pidone
 * does not read (most likely a misspelt setting, which would change
 * nothing): its name, @ret_len bytes long, and *@pos past it; NULL at the
 * end.
 */
const char *config_unknown_env(char *const *envp, size_t *pos, size_t *ret_len);

/* Its record's hint, and the most of such a name a record shows. */
#define CONFIG_ENV_HINT "pidone --help lists the variables pidone reads"
#define CONFIG_NAME_SHOWN 64

#endif
