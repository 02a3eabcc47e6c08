/* SPDX-License-Identifier: MIT */
/*
 * strv.c - NULL-terminated string vectors, owned by whoever holds the
 * vector. Those built here come from arena.h, others (cmdjson's) from the
 * heap; arena_free takes either.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "strv.h"
#include "banned.h"

char **strv_free(char **v)
{
	if (!v)
		return NULL;
	for (char **p = v; *p; p++)
		arena_free(*p);
	arena_free(v);
	return NULL;
}

size_t strv_length(char *const *v)
{
	size_t n = 0;

	if (v)
		while (v[n])
			n++;
	return n;
}

int strv_push(char ***v, const char *s)
{
	size_t n = strv_length(*v);
	char *copy = arena_strdup(s);
	char **grown;

	if (!copy)
		return -ENOMEM;
	grown = arena_realloc(*v, (n + 2) * sizeof(*grown));
	if (!grown) {
		arena_free(copy);
		return -ENOMEM;
	}
	grown[n] = copy;
	grown[n + 1] = NULL;
	*v = grown;
	return 0;
}

/*
 * Byte by byte, without measuring the names first: most pairs differ at
 * their first byte, and a pod's environment can hold hundreds of entries.
 */
bool strv_env_same_name(const char *e, const char *s)
{
	while (*e && *e == *s && *e != '=') {
		e++;
		s++;
	}
	return *e == '=' && (*s == '=' || *s == '\0');
}

char *strv_env_value(char *const *envp, const char *name)
{
	/* The first byte turns most entries away without a call. */
	for (char *const *e = envp; e && *e; e++)
		if (**e == *name && strv_env_same_name(*e, name))
			return *e + strlen(name) + 1;
	return NULL;
}
