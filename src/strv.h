/* SPDX-License-Identifier: MIT */
/*
 * strv.h - NULL-terminated string vectors (argv-shaped), owned by the caller.
 */
#ifndef PIDONE_STRV_H
#define PIDONE_STRV_H

#include <stdbool.h>
#include <stddef.h>

/* Free every string and the vector; accepts NULL; returns NULL. */
char **strv_free(char **v);

/* Number of strings before the terminating NULL (0 for NULL). */
size_t strv_length(char *const *v);

/*
 * Append a copy of @s to *@v, growing it; *@v may be NULL.
 * Returns 0 or -ENOMEM (then *@v is unchanged).
 */
int strv_push(char ***v, const char *s);

/*
 * Does environment entry @e ("NAME=value") name the variable of @s
 * ("NAME=value", or "NAME" alone)? An entry without '=' names none.
 */
bool strv_env_same_name(const char *e, const char *s);

/* The value of @name in @envp (the first entry, like getenv), or NULL. */
char *strv_env_value(char *const *envp, const char *name);

#endif
