/* SPDX-License-Identifier: MIT */
/*
 * arena.h - the few small allocations of a start, cut from a static arena
 * before the heap is touched.
 *
 * musl's heap costs a start more than what it hands out: its first use
 * extends the break, maps a page for its bookkeeping and faults in both
 * (about 0.1 ms of a start here, in a paired test). A start needs a few KiB
 * (libev's loop and arrays, the command and writable lists, the child's
 * environment), so they come from here, one piece after the other. A piece
 * that is freed or outgrown is left behind; what no longer fits comes from
 * the heap, so memory stays bounded however long pidone runs. Pieces and
 * heap blocks go back through arena_free, which tells them apart.
 */
#ifndef PIDONE_ARENA_H
#define PIDONE_ARENA_H

#include <stdbool.h>
#include <stddef.h>

/*
 * realloc(3) over the arena and the heap: @ptr NULL, a piece or a heap
 * block; @size 0 frees @ptr and returns NULL. A piece grows into a new
 * piece, or a heap block once the arena is full. NULL when out of memory
 * (then @ptr is left as it was).
 */
void *arena_realloc(void *ptr, size_t size);

/* calloc(3): @n zeroed elements of @size; NULL on overflow or no memory. */
void *arena_calloc(size_t n, size_t size);

/* strdup(3): a copy of @s, or NULL. */
char *arena_strdup(const char *s);

/* free(3) for what the three above return; accepts NULL. */
void arena_free(void *ptr);

/* Is @ptr a piece of the arena (for tests)? */
bool arena_owns(const void *ptr);

#endif
