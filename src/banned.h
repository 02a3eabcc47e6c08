/* SPDX-License-Identifier: MIT */
/*
 * banned.h - poison the libc calls pidone must not use. Include it last in
 * every .c file, after all system headers, so only our own code is checked.
 *
 * Unbounded string calls are replaced by snprintf with a truncation check;
 * atoi/atol by the checked parsers in parse.h; getpwnam/getgrnam by
 * passwd.h, because NSS must never run inside a static PID 1; system/popen
 * because distroless images have no shell; signal() because pidone never
 * changes a disposition; dup because its copy is not close-on-exec.
 * exit() is poisoned everywhere but main.c (STYLE point 6).
 */
#ifndef PIDONE_BANNED_H
#define PIDONE_BANNED_H

#pragma GCC poison sprintf vsprintf strcpy strcat strncat strncpy gets strtok
#pragma GCC poison atoi atol system popen getpwnam getgrnam basename dirname
#pragma GCC poison dup
#ifndef PIDONE_MAIN
#pragma GCC poison exit
#endif

#endif
