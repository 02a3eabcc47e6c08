/* SPDX-License-Identifier: MIT */
/*
 * The shared UTF-8 check and escaper (src/escape.c). JSON-mode escaping is
 * also covered byte by byte in test_log.c.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "escape.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct utf8_case {
	const char *bytes;
	size_t len; /* readable bytes */
	size_t want; /* utf8_valid_len */
	size_t bad; /* *ret_bad when want == 0 */
};

static const struct utf8_case utf8_cases[] = {
	{ "a", 1, 1, 0 },
	{ "\x7f", 1, 1, 0 },
	{ "\xc2\x80", 2, 2, 0 }, /* U+0080, the first 2-byte */
	{ "\xdf\xbf", 2, 2, 0 },
	{ "\xe0\xa0\x80", 3, 3, 0 }, /* U+0800 */
	{ "\xed\x9f\xbf", 3, 3, 0 }, /* U+D7FF, below the surrogates */
	{ "\xee\x80\x80", 3, 3, 0 }, /* U+E000, above them */
	{ "\xef\xbf\xbf", 3, 3, 0 },
	{ "\xf0\x90\x80\x80", 4, 4, 0 }, /* U+10000 */
	{ "\xf4\x8f\xbf\xbf", 4, 4, 0 }, /* U+10FFFF, the last */
	{ "\x80", 1, 0, 1 }, /* stray continuation */
	{ "\xc0\x80", 2, 0, 1 }, /* overlong NUL */
	{ "\xc1\xbf", 2, 0, 1 },
	{ "\xe0\x80\x80", 3, 0, 1 }, /* overlong 3-byte */
	{ "\xed\xa0\x80", 3, 0, 1 }, /* surrogate U+D800 */
	{ "\xf0\x80\x80\x80", 4, 0, 1 }, /* overlong 4-byte */
	{ "\xf4\x90\x80\x80", 4, 0, 1 }, /* U+110000 */
	{ "\xf5\x80\x80\x80", 4, 0, 1 },
	{ "\xff", 1, 0, 1 },
	{ "\xe2\x82", 2, 0, 2 }, /* cut short: the two bytes are one bad part */
	{ "\xf0\x9f\x98", 3, 0, 3 },
	{ "\xe2\x82\x41", 3, 0, 2 }, /* the A after a bad part is not eaten */
	{ "\xc3\x28", 2, 0, 1 },
};

Test(escape, utf8_valid_len_table)
{
	for (size_t i = 0; i < ARRAY_SIZE(utf8_cases); i++) {
		const struct utf8_case *c = &utf8_cases[i];
		size_t bad = 99;
		size_t got = utf8_valid_len((const unsigned char *)c->bytes,
					    c->len, &bad);

		cr_expect_eq(got, c->want, "case %zu: got %zu, want %zu", i,
			     got, c->want);
		if (c->want == 0)
			cr_expect_eq(bad, c->bad, "case %zu: bad %zu, want %zu",
				     i, bad, c->bad);
		/* ret_bad may be NULL; same answer */
		cr_expect_eq(utf8_valid_len((const unsigned char *)c->bytes,
					    c->len, NULL),
			     c->want, "case %zu with NULL", i);
	}
}

Test(escape, text_mode_keeps_quotes_and_backslashes)
{
	static const char src[] = "a \"b\" \\c\td\x7f\n\xff!";
	char dst[64];
	size_t written;
	size_t used = escape(dst, sizeof(dst), src, sizeof(src) - 1, ESC_TEXT,
			     &written);

	cr_assert_eq(used, sizeof(src) - 1);
	cr_assert_str_eq(dst, "a \"b\" \\c\\td\\u007f\\n\xef\xbf\xbd!");
	cr_assert_eq(written, strlen(dst));

	used = escape(dst, sizeof(dst), src, sizeof(src) - 1, ESC_JSON,
		      &written);
	cr_assert_eq(used, sizeof(src) - 1);
	cr_assert_str_eq(dst,
			 "a \\\"b\\\" \\\\c\\td\\u007f\\n\xef\xbf\xbd!");
}

/* A long plain run is cut exactly at the room left; nothing after it. */
Test(escape, plain_run_cut_at_the_room)
{
	char src[300], dst[160];
	size_t written;

	memset(src, 'x', sizeof(src));
	src[150] = '\n';
	cr_assert_eq(escape(dst, 101, src, sizeof(src), ESC_JSON, &written),
		     100);
	cr_assert_eq(written, 100);
	cr_assert_eq(strlen(dst), 100);

	/* an escape that does not fit whole is left out */
	cr_assert_eq(escape(dst, 152, src, sizeof(src), ESC_JSON, &written),
		     150);
	cr_assert_eq(written, 150);
	cr_assert_eq(escape(dst, 153, src, sizeof(src), ESC_JSON, &written),
		     151);
	cr_assert_eq(written, 152);
	cr_assert_eq(memcmp(dst + 150, "\\n", 2), 0);

	/* no room at all: nothing consumed, nothing written */
	cr_assert_eq(escape(dst, 0, src, sizeof(src), ESC_JSON, &written), 0);
	cr_assert_eq(written, 0);
	cr_assert_eq(escape(dst, 1, src, sizeof(src), ESC_JSON, &written), 0);
	cr_assert_eq(dst[0], '\0');
}
