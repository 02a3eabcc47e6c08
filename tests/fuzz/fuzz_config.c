/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - libFuzzer target for src/config.c: the INI file text,
 * the environment and the command line, merged by config_load exactly as
 * main() does it (with settings.c, parse.c, signame.c, cmdjson.c and the
 * system inih).
 *
 * Input layout: byte 0 holds flags, the rest is split at NUL bytes into
 * fields. Field 0 is the INI text (fields 0 and 1 joined by a NUL when
 * flag 0x20 is set, to reach the "NUL byte" check); the next (flags & 7)
 * fields are environment entries "NAME=value"; the remaining fields (at
 * most 62) follow "pidone" in argv. The INI text is written to a memfd
 * and named by "--config /proc/self/fd/N" (flag 0x08), PIDONE_CONFIG
 * (flag 0x10) or as the default config path (neither).
 *
 * Invariants (abort() on violation; leaks are LeakSanitizer's):
 * - the result is a config action, -EINVAL (exit code 64 or 78) or
 *   -ENOMEM (70), and an error text is one non-empty line (a config
 *   path holding a newline included);
 * - every setting is inside the range config.c promises, every origin is
 *   a known kind, and a file origin has a line and a config path;
 * - RUN comes with a command of at least one string;
 * - config_load leaves no fd open;
 * - with flag 0x80, a second load of the same input gives the same result
 *   and error text (no state survives between calls, e.g. in inih).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

#include "config.h"
#include "exitcodes.h"
#include "settings.h"
#include "strv.h"

#define MAX_ARGS 64
#define MAX_ENV 8

/* The memfd the INI text goes to, created once, and its path. */
static int ini_fd = -1;
static char ini_path[64];

static void ini_write(const uint8_t *text, size_t len)
{
	if (ini_fd < 0) {
		ini_fd = memfd_create("pidone-fuzz.ini", MFD_CLOEXEC);
		CHECK(ini_fd >= 0);
		snprintf(ini_path, sizeof(ini_path), "/proc/self/fd/%d",
			 ini_fd);
	}
	CHECK(ftruncate(ini_fd, 0) == 0);
	CHECK(pwrite(ini_fd, text, len, 0) == (ssize_t)len);
}

/* The lowest free fd: the same before and after means no leak. */
static int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	CHECK(fd >= 0);
	close(fd);
	return fd;
}

static void check_settings(const struct settings *s, int r)
{
	char where[8];

	CHECK(s->grace_ms <= 3600u * 1000u);
	CHECK((unsigned)s->forward < FORWARD_MAX);
	CHECK((unsigned)s->restart < RESTART_MAX);
	CHECK(s->restart_max <= 1000);
	CHECK(s->health_port <= 65535);
	CHECK(s->ready_delay_ms <= 86400u * 1000u);
	CHECK(s->watchdog_ms <= 86400u * 1000u);
	CHECK(s->ready_tcp_port <= 65535);
	CHECK(s->probe_timeout_ms <= 60u * 1000u);
	CHECK((unsigned)s->log_format < LOG_FORMAT_MAX);
	CHECK((unsigned)s->log_level < LOG_LEVEL_MAX);
	CHECK((unsigned)s->subreaper < SUBREAPER_MAX);
	CHECK(memchr(s->user, '\0', sizeof(s->user)));
	for (int i = 0; i <= SIGNAME_MAX; i++)
		CHECK(s->rewrite[i] >= 0 && s->rewrite[i] <= SIGNAME_MAX);
	for (int id = 0; id < SETTING_MAX; id++) {
		const struct origin *o = &s->origin[id];

		CHECK((unsigned)o->kind < ORIGIN_MAX);
		if (o->kind == ORIGIN_FILE)
			CHECK(o->line >= 1 && s->config_path);
		/* a tiny buffer: must still be NUL-terminated inside it */
		settings_origin_text(s, (enum setting_id)id, where,
				     sizeof(where));
		CHECK(memchr(where, '\0', sizeof(where)));
	}
	for (size_t i = 0; s->command && s->command[i]; i++)
		CHECK(i < 100000);
	if (r == CONFIG_ACTION_RUN)
		CHECK(s->command && s->command[0]);
}

struct outcome {
	int r;
	int exit_code;
	char text[CONFIG_ERROR_MAX];
};

static void load(int argc, char **argv, char **envp, const char *dflt,
		 struct outcome *out)
{
	struct config_error err;
	struct settings s;
	int fd_before = lowest_free_fd(), r;

	memset(&err, 0xa5, sizeof(err));
	settings_init(&s);
	r = config_load(&s, argc, argv, envp, dflt, &err);
	CHECK((r >= 0 && r < CONFIG_ACTION_MAX) || r == -EINVAL ||
	      r == -ENOMEM);
	if (r < 0) {
		size_t n = strnlen(err.text, sizeof(err.text));

		CHECK(n > 0 && n < sizeof(err.text));
		if (memchr(err.text, '\n', n)) {
			fprintf(stderr, "error text: [%s]\n", err.text);
			CHECK(!"a newline in the error text");
		}
		if (r == -EINVAL)
			CHECK(err.exit_code == EX_USAGE ||
			      err.exit_code == EX_CONFIG);
		else
			CHECK(err.exit_code == EX_SOFTWARE);
	}
	check_settings(&s, r);
	settings_done(&s);
	CHECK(lowest_free_fd() == fd_before);

	out->r = r;
	out->exit_code = r < 0 ? err.exit_code : 0;
	if (r < 0)
		memcpy(out->text, err.text, sizeof(out->text));
	else
		out->text[0] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome first, second;
	char *argv[MAX_ARGS + 4], *envp[MAX_ENV + 2], envbuf[96];
	const uint8_t *p, *end, *nul;
	size_t ini_len;
	int argc = 0, envc = 0, n_env;
	uint8_t flags;
	const char *dflt = NULL;
	char *copy;

	if (size < 1)
		return 0;
	flags = data[0];
	n_env = flags & 7;
	/* One NUL-terminated copy: the fields point into it. */
	copy = malloc(size);
	CHECK(copy);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	p = (const uint8_t *)copy;
	end = p + size - 1;

	/* field 0 (and maybe 1): the INI text */
	nul = memchr(p, '\0', (size_t)(end - p));
	if (nul && (flags & 0x20)) {
		const uint8_t *nul2 =
			memchr(nul + 1, '\0', (size_t)(end - nul - 1));

		nul = nul2;
	}
	ini_len = nul ? (size_t)(nul - p) : (size_t)(end - p);
	ini_write(p, ini_len);
	p += ini_len + (nul ? 1 : 0);

	argv[argc++] = (char *)"pidone";
	if (flags & 0x08) {
		argv[argc++] = (char *)"--config";
		argv[argc++] = ini_path;
	} else if (flags & 0x10) {
		snprintf(envbuf, sizeof(envbuf), "PIDONE_CONFIG=%s", ini_path);
		envp[envc++] = envbuf;
	} else {
		dflt = ini_path;
	}
	while (p < end) {
		size_t len = strlen((const char *)p);

		if (envc < n_env + ((flags & 0x10) ? 1 : 0) && envc < MAX_ENV)
			envp[envc++] = (char *)p;
		else if (argc < MAX_ARGS)
			argv[argc++] = (char *)p;
		p += len + 1;
	}
	argv[argc] = NULL;
	envp[envc] = NULL;

	load(argc, argv, envp, dflt, &first);
	if (flags & 0x80) {
		load(argc, argv, envp, dflt, &second);
		CHECK(first.r == second.r);
		CHECK(first.exit_code == second.exit_code);
		CHECK(strcmp(first.text, second.text) == 0);
	}
	free(copy);
	return 0;
}
