/* SPDX-License-Identifier: MIT */
/*
 * guard.h - put a parser's input flush against a PROT_NONE page, so that a
 * read of even one byte past the end faults instead of passing silently
 * (the picohttpparser test trick). Test-only.
 */
#ifndef PIDONE_TEST_GUARD_H
#define PIDONE_TEST_GUARD_H

#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
	char *map;
	size_t map_len;
	char *data; /* the copy; data[len] is the first unreadable byte */
	size_t len;
};

static inline struct guard guard_copy(const void *src, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + page - 1) / page;
	struct guard g = { .len = len };

	g.map_len = (data_pages + 1) * page;
	g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(g.map != MAP_FAILED, "mmap for guard page failed");
	cr_assert(mprotect(g.map + data_pages * page, page, PROT_NONE) == 0);
	g.data = g.map + data_pages * page - len;
	if (len > 0)
		memcpy(g.data, src, len);
	return g;
}

static inline void guard_free(struct guard *g)
{
	if (g->map)
		munmap(g->map, g->map_len);
	g->map = NULL;
}

#endif
