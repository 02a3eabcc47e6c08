/* SPDX-License-Identifier: MIT */
/*
 * peer.h - the running pidone's health port, for `pidone health` and
 * `pidone status` run beside it: HEALTHCHECK CMD ["/init","health"],
 * docker exec, kubectl exec.
 *
 * When PID 1 of this PID namespace is pidone (the container case: the
 * same command name as this process), its command line is read from
 * /proc/1/cmdline, which any user may read, and loaded with this
 * process's environment and config file, which an exec'd command shares
 * with the container's PID 1. So --health-port 9000 in the ENTRYPOINT
 * needs no repeating in the HEALTHCHECK.
 */
#ifndef PIDONE_PEER_H
#define PIDONE_PEER_H

#include "config.h"
#include "settings.h"

/*
 * Take PID 1's health port and address into @s (PID 1's come from the
 * same environment and file plus its command line, which outranks them).
 * Returns 1 when PID 1's settings were read; 0 (and @s untouched) when
 * @s's own command line named a config file (--config), PID 1 is not
 * pidone, is this process, or its command line cannot be read; or
 * config_load's negative errno with @reterr filled when PID 1's settings
 * do not load now (its file got a bad value since it started): probing
 * the default port instead would fail for the wrong reason. A file this
 * user may not open is warned about, and left out.
 */
int peer_adopt(struct settings *s, char *const *envp,
	       struct config_error *reterr);

#endif
