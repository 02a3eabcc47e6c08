/* SPDX-License-Identifier: MIT */
/* arena.c - see arena.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "banned.h"

#define ARENA_ALIGN 16

/*
 * 16 KiB: libev takes under 3 KiB, and the child's environment one
 * pointer per variable (a pod's service variables run into the
 * hundreds). bss: pages that a start never reaches are never mapped.
 */
static _Alignas(ARENA_ALIGN) char arena[16384];
static size_t arena_used;

bool arena_owns(const void *ptr)
{
	return (const char *)ptr >= arena &&
	       (const char *)ptr < arena + sizeof(arena);
}

/* A new piece of @size bytes, its size kept in front, or NULL if full. */
static void *piece(size_t size)
{
	size_t need;
	char *p;

	if (size > sizeof(arena))
		return NULL;
	need = ((size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1)) +
	       ARENA_ALIGN;
	if (need > sizeof(arena) - arena_used)
		return NULL;
	p = arena + arena_used + ARENA_ALIGN;
	memcpy(p - ARENA_ALIGN, &size, sizeof(size));
	arena_used += need;
	return p;
}

void *arena_realloc(void *ptr, size_t size)
{
	size_t old;
	void *p;

	if (ptr && !arena_owns(ptr)) {
		if (size > 0)
			return realloc(ptr, size);
		free(ptr);
		return NULL;
	}
	if (size == 0)
		return NULL;
	p = piece(size);
	if (!p)
		p = malloc(size);
	if (p && ptr) {
		memcpy(&old, (char *)ptr - ARENA_ALIGN, sizeof(old));
		memcpy(p, ptr, old < size ? old : size);
	}
	return p;
}

void *arena_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = arena_realloc(NULL, n > 0 && size > 0 ? n * size : 1);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *arena_strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = arena_realloc(NULL, len);

	if (p)
		memcpy(p, s, len);
	return p;
}

void arena_free(void *ptr)
{
	if (!arena_owns(ptr))
		free(ptr);
}
