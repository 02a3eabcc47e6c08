/* SPDX-License-Identifier: MIT */
/* usage.h - the --help text, written from the settings table. */
#ifndef PIDONE_USAGE_H
#define PIDONE_USAGE_H

#include <stddef.h>

/*
 * The --help text (what main prints on stdout) into @buf (USAGE_MAX
 * bytes hold it all). Returns @buf.
 */
#define USAGE_MAX 8192
const char *usage_text(char *buf, size_t size);

#endif
