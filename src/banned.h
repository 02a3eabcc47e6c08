/* SPDX-License-Identifier: MIT */
/*
 * banned.h - poison the libc calls pidone must not use. Include it last in
 * every .c file, after all system headers, so only our own code is checked.
 *
 * Unbounded string calls are replaced by textbuf_snprintf with a
 * truncation check, and snprintf/vsnprintf by textbuf's own, which are
 * all the printf pidone needs (musl's vfprintf was 11 KB of the binary);
 * atoi/atol by the checked parsers in parse.h; getpwnam/getgrnam by
 * passwd.h, because NSS must never run inside a static PID 1; system/popen
 * because distroless images have no shell; signal() because pidone never
 * changes a disposition; dup because its copy is not close-on-exec;
 * open() because musl follows every O_CLOEXEC open with an fcntl that
 * openat(AT_FDCWD, ...) does not make; getenv because musl's calls
 * strncmp for every variable, where strv_env_value (strv.h), the one
 * environment lookup, turns most away at their first byte. exit() is
 * poisoned everywhere but main.c: only main ends the process.
 *
 * A name that a libc header already defines as a macro (clang with
 * _FORTIFY_SOURCE does that for sprintf, strcpy...) cannot be poisoned
 * without an error; `make check-style` greps for those calls instead.
 */
#ifndef PIDONE_BANNED_H
#define PIDONE_BANNED_H

#ifndef sprintf
#pragma GCC poison sprintf
#endif
#ifndef vsprintf
#pragma GCC poison vsprintf
#endif
#ifndef snprintf
#pragma GCC poison snprintf
#endif
#ifndef vsnprintf
#pragma GCC poison vsnprintf
#endif
#ifndef strcpy
#pragma GCC poison strcpy
#endif
#ifndef strcat
#pragma GCC poison strcat
#endif
#ifndef strncat
#pragma GCC poison strncat
#endif
#ifndef strncpy
#pragma GCC poison strncpy
#endif
#ifndef gets
#pragma GCC poison gets
#endif
#ifndef strtok
#pragma GCC poison strtok
#endif
#ifndef atoi
#pragma GCC poison atoi
#endif
#ifndef atol
#pragma GCC poison atol
#endif
#ifndef system
#pragma GCC poison system
#endif
#ifndef popen
#pragma GCC poison popen
#endif
#ifndef getpwnam
#pragma GCC poison getpwnam
#endif
#ifndef getgrnam
#pragma GCC poison getgrnam
#endif
#ifndef basename
#pragma GCC poison basename
#endif
#ifndef dirname
#pragma GCC poison dirname
#endif
#ifndef dup
#pragma GCC poison dup
#endif
#ifndef open
#pragma GCC poison open
#endif
#ifndef signal
#pragma GCC poison signal
#endif
#ifndef getenv
#pragma GCC poison getenv
#endif
#ifndef PIDONE_MAIN
#pragma GCC poison exit
#endif

#endif
