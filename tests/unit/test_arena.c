/* SPDX-License-Identifier: MIT */
/*
 * The start's arena: pieces one after the other, copies on growth, the
 * heap once it is full, and one free for both. Criterion runs every test
 * in a process of its own, so each starts with an empty arena.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

Test(arena, pieces_are_aligned_and_apart)
{
	char *a = arena_realloc(NULL, 10);
	char *b = arena_realloc(NULL, 1);

	cr_assert(a && b);
	cr_assert(arena_owns(a) && arena_owns(b));
	cr_assert_eq((uintptr_t)a % 16, 0);
	cr_assert_eq((uintptr_t)b % 16, 0);
	cr_assert_geq(b - a, 10 + 16, "the second piece overlaps the first");
	memset(a, 'x', 10);
	memset(b, 'y', 1);
	cr_assert_eq(a[9], 'x');
	arena_free(a);
	arena_free(b);
}

Test(arena, growth_copies_and_shrinking_cuts)
{
	char *a = arena_strdup("python");
	char *b;

	cr_assert(a && arena_owns(a));
	b = arena_realloc(a, 100);
	cr_assert(b && arena_owns(b) && b != a);
	cr_assert_str_eq(b, "python");
	b = arena_realloc(b, 3);
	cr_assert(b);
	cr_assert_eq(memcmp(b, "pyt", 3), 0);
	cr_assert_null(arena_realloc(b, 0), "size 0 frees");
}

Test(arena, a_full_arena_hands_out_heap_blocks)
{
	char *first = arena_realloc(NULL, 64), *p, *big;
	int pieces = 0;

	memcpy(first, "kept", sizeof("kept"));
	while ((p = arena_realloc(NULL, 1000)) && arena_owns(p))
		pieces++;
	cr_assert(p, "no heap block after %d pieces", pieces);
	cr_assert_gt(pieces, 10, "the arena held only %d pieces", pieces);
	cr_assert_lt(pieces, 17, "the arena held %d pieces of 1000", pieces);
	memset(p, 'h', 1000);
	p = arena_realloc(p, 5000); /* a heap block stays on the heap */
	cr_assert(p && !arena_owns(p));
	cr_assert_eq(p[999], 'h');
	arena_free(p);
	/* A piece that outgrows the arena moves to the heap, copied. */
	big = arena_realloc(first, 1 << 20);
	cr_assert(big && !arena_owns(big));
	cr_assert_str_eq(big, "kept");
	cr_assert_null(arena_realloc(big, 0));
}

Test(arena, calloc_zeroes_and_refuses_overflow)
{
	unsigned char *z = arena_calloc(8, 32);

	cr_assert(z);
	for (int i = 0; i < 256; i++)
		cr_assert_eq(z[i], 0);
	cr_assert_null(arena_calloc(SIZE_MAX / 2, 4));
	cr_assert_not_null(arena_calloc(0, 8), "calloc of nothing fails");
	arena_free(z);
	arena_free(NULL);
}
