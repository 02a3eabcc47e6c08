/* SPDX-License-Identifier: MIT */
/*
 * status.h - `pidone status [--json]`: what `docker exec C /init status`
 * or `kubectl exec` shows in an image without a shell or ps.
 *
 * From the running pidone's health port (the same target as `pidone
 * health`): liveness and readiness with each check's reason
 * (/healthz?verbose, /readyz?verbose) and the child's state and counters
 * (/metrics: restarts, last exit and its cause). Read locally, as the
 * image's user: the container's cgroup (memory, CPU, pids against their
 * limits) and the process tree from /proc, commands included. Commands are shown only
 * here, on the terminal of someone who could exec into the container:
 * nothing pidone serves on the network contains one.
 *
 * Exit status: 0 live, 1 not live, 2 when no pidone answers (the local
 * part is still printed).
 */
#ifndef PIDONE_STATUS_H
#define PIDONE_STATUS_H

#include <stdbool.h>

#include "settings.h"

int status_run(const struct settings *s, bool json, int out_fd);

#endif
