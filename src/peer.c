/* SPDX-License-Identifier: MIT */
/*
 * peer.c - the settings of the pidone that is PID 1. See peer.h.
 */
#include "peer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "fdutil.h"
#include "log.h"
#include "banned.h"

/* Bounds for PID 1's command line: what a container's ENTRYPOINT holds. */
#define CMDLINE_MAX 65536
#define ARGS_MAX 1024

/*
 * Is PID 1 another process with our command name? Ours comes from
 * PR_GET_NAME, the same name /proc/self/comm shows, in one system call
 * where the file costs four and, in a new process, the first walk of /proc
 * (about 20 us of a `pidone health` here).
 */
static bool pid1_is_pidone(void)
{
	char mine[16], its[32]; /* the kernel ends the name with a NUL */
	ssize_t n;

	if (getpid() == 1 || prctl(PR_GET_NAME, mine, 0, 0, 0) < 0)
		return false;
	n = fd_read_file(AT_FDCWD, "/proc/1/comm", its, sizeof(its));
	/* The file ends the name with a newline. */
	return n > 1 && its[n - 1] == '\n' && (size_t)n - 1 == strlen(mine) &&
	       memcmp(mine, its, (size_t)n - 1) == 0;
}

int peer_adopt(struct settings *s, char *const *envp,
	       struct config_error *reterr)
{
	static char cmdline[CMDLINE_MAX + 1];
	static char *argv[ARGS_MAX + 1];
	struct settings peer;
	ssize_t len;
	int argc = 0, r;

	/* A file named on our own command line is what the user asked for. */
	if (s->config_on_line || !pid1_is_pidone())
		return 0;
	len = fd_read_file(AT_FDCWD, "/proc/1/cmdline", cmdline, CMDLINE_MAX);
	if (len <= 0)
		return 0;
	cmdline[len] = '\0';
	for (char *p = cmdline; p < cmdline + len && argc < ARGS_MAX;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	settings_init(&peer);
	r = config_load(&peer, argc, argv, envp, CONFIG_DEFAULT_PATH, reterr);
	/*
	 * PID 1 read its file as root and this user may not (mode 0600):
	 * a HEALTHCHECK failing for ever would say nothing true. Its command
	 * line and environment still give the port, unless the file did.
	 */
	if (r == -EACCES) {
		log_emit(LOG_LEVEL_WARN, 0,
			 "make the file readable by the image's user, or give "
			 "the port in the command line or PIDONE_HEALTH_PORT",
			 NULL, 0,
			 "the running pidone's settings: %s; its port is taken "
			 "from its command line and environment alone",
			 reterr->text);
		settings_done(&peer);
		settings_init(&peer);
		r = config_load_no_file(&peer, argc, argv, envp, reterr);
	}
	if (r == CONFIG_ACTION_RUN) {
		s->health_port = peer.health_port;
		memcpy(s->health_addr, peer.health_addr,
		       sizeof(s->health_addr));
	}
	settings_done(&peer);
	return r == CONFIG_ACTION_RUN ? 1 : r < 0 ? r : 0;
}
