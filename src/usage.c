/* SPDX-License-Identifier: MIT */
/*
 * usage.c - the --help text: the forms of the command line, then one line
 * per setting and the INI keys by section, both written from the settings
 * table (settings.c), so that --help cannot name a setting differently
 * from the parser; then the probe options and the exit statuses.
 */
#include <stdbool.h>
#include <string.h>

#include "config.h"
#include "settings.h"
#include "textbuf.h"
#include "usage.h"
#include "banned.h"

/* The --help text, written from the settings table into @buf. */
const char *usage_text(char *buf, size_t size)
{
	struct textbuf t;
	textbuf_init(&t, buf, size);
	textbuf_puts(
		&t,
		"Usage: pidone [OPTIONS] [--] COMMAND [ARG...]    run COMMAND under supervision\n"
		"       pidone check [OPTIONS] [--] [COMMAND...]  report what a run would do\n"
		"       pidone health [--ready] [--url URL] [--timeout SECS] [--config FILE]\n"
		"                                                 probe a running pidone\n"
		"       pidone status [--json] [--url URL] [--timeout SECS] [--config FILE]\n"
		"                                                 show it, its checks, the\n"
		"                                                 container and its processes\n"
		"       pidone --help | -h\n"
		"       pidone --version | -V\n"
		"\n"
		"pidone is a PID 1 for containers: it runs COMMAND as its only child, forwards\n"
		"signals, reaps zombies and answers health checks on a side port.\n"
		"Without COMMAND, the command is PIDONE_COMMAND or command = in [process] of\n"
		"the config file: a JSON array of strings, like [\"node\",\"server.js\"].\n"
		"Precedence: command line > environment > config file > default.\n"
		"\n"
		"Option                         Environment            Default\n"
		"      --config FILE            PIDONE_CONFIG          " CONFIG_DEFAULT_PATH
		"\n");
	for (int id = 0; id < SETTING_MAX; id++) {
		const struct setting_def *d = settings_def(id);
		char opt[48];

		if (!d->option[0])
			continue;
		textbuf_format(opt, sizeof(opt), "--%s%s%s%s", d->option,
			       d->arg[0] ? " " : "", d->arg,
			       d->kind == SETTING_KIND_LIST ? " ..." : "");
		textbuf_printf(&t, "  %c%c%c %-24s %-22s %s%s\n",
			       d->short_option ? '-' : ' ',
			       d->short_option ? d->short_option : ' ',
			       d->short_option ? ',' : ' ', opt, d->env,
			       d->default_text, d->note);
	}
	textbuf_puts(
		&t,
		"  -h, --help                   print this help\n"
		"  -V, --version                print the version\n"
		"\n"
		"Options marked ... repeat; their variables are comma-separated lists, and\n"
		"an empty value (-w '') or none means none. An empty value, or none,\n"
		"also sets --ready-tcp, --ready-http and --live-http to none, and an empty\n"
		"--health-addr to all interfaces. Variables set to \"\" or to blanks\n"
		"count as unset.\n"
		"Booleans in variables and the file: 1/0, true/false, yes/no, on/off.\n"
		"Words (booleans, json, info, always, none...) are read in any case\n"
		"(--user's keep only in lower case: else it names a user).\n"
		"Config file keys, by section:");
	for (int id = 0; id < SETTING_MAX; id++) {
		const char *section = settings_def(id)->section;
		bool first = true;
		size_t col;

		for (int k = 0; k < id; k++)
			first = first &&
				strcmp(settings_def(k)->section, section);
		if (!first)
			continue;
		textbuf_printf(&t, "\n  [%s]", section);
		col = strlen(section) + 4;
		for (int k = id; k < SETTING_MAX; k++) {
			const char *key = settings_def(k)->key;

			if (strcmp(settings_def(k)->section, section) != 0)
				continue;
			/* Within 80 columns, continued under the first key. */
			if (col + 1 + strlen(key) > 79) {
				textbuf_printf(&t, "\n%*s",
					       (int)strlen(section) + 4, "");
				col = strlen(section) + 4;
			}
			textbuf_printf(&t, " %s", key);
			col += 1 + strlen(key);
		}
	}
	textbuf_puts(
		&t,
		"\nThe default file is read only when it exists; --config '' reads none.\n"
		"\n"
		"pidone health: GET /healthz (/readyz with --ready) on the configured port\n"
		"      --ready                  probe readiness instead of liveness\n"
		"      --url URL                probe this http:// URL instead\n"
		"      --timeout SECS           give up after SECS (default 3, max 60)\n"
		"pidone status: the same --url and --timeout, and\n"
		"      --json                   one JSON object instead of text\n"
		"\n"
		"Exit status: the command's own (128+N when signal N killed it);\n"
		"64 usage error, 70 internal error, 77 privileges could not be dropped or\n"
		"a writable dir is not writable, 78 configuration error, 126 command not\n"
		"executable, 127 command not found. pidone health: 0 healthy, 1 not\n"
		"(64 or 78 for its own usage or settings error, 70 out of fds).\n"
		"pidone status: 0 live, 1 not, 2 no pidone answered (64, 78 as health).\n");
	return buf;
}
