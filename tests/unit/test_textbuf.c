/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "textbuf.h"

Test(textbuf, appends_and_terminates)
{
	char buf[32];
	struct textbuf t;

	textbuf_init(&t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	textbuf_printf(&t, "%s=%d", "grace", 10);
	textbuf_printf(&t, ", %s", "ok");
	cr_assert_str_eq(buf, "grace=10, ok");
	cr_assert_eq(t.len, strlen(buf));
	cr_assert_not(t.truncated);
}

Test(textbuf, exact_fit_is_not_truncated)
{
	char buf[4];
	struct textbuf t;

	textbuf_init(&t, buf, sizeof(buf));
	textbuf_printf(&t, "abc");
	cr_assert_str_eq(buf, "abc");
	cr_assert_not(t.truncated);
}

Test(textbuf, overflow_cuts_marks_and_skips_the_rest)
{
	char buf[8];
	struct textbuf t;

	memset(buf, 'x', sizeof(buf));
	textbuf_init(&t, buf, sizeof(buf));
	textbuf_printf(&t, "abcd");
	textbuf_printf(&t, "efghij");
	cr_assert(t.truncated);
	cr_assert_str_eq(buf, "abcdefg");
	cr_assert_eq(t.len, 7);
	textbuf_printf(&t, "k");
	cr_assert_str_eq(buf, "abcdefg", "nothing is added after a cut");
}

Test(textbuf, format_is_one_shot_and_cuts)
{
	char buf[8];

	cr_assert_str_eq(textbuf_format(buf, sizeof(buf), "%s:%d", "ab", 42),
			 "ab:42");
	cr_assert_str_eq(textbuf_format(buf, sizeof(buf), "%s", "0123456789"),
			 "0123456");
}

Test(textbuf, puts_and_putu)
{
	char buf[64];
	struct textbuf t;

	textbuf_init(&t, buf, sizeof(buf));
	textbuf_puts(&t, "pid ");
	textbuf_putu(&t, 0, 10, 1);
	textbuf_puts(&t, " ");
	textbuf_putu(&t, 4294967295u, 10, 0);
	textbuf_puts(&t, " ");
	textbuf_putu(&t, 0xabcull, 16, 16);
	textbuf_puts(&t, " ");
	textbuf_putu(&t, 18446744073709551615ull, 10, 1);
	textbuf_puts(&t, " ");
	textbuf_putu(&t, 7, 10, 3);
	cr_assert_str_eq(buf, "pid 0 4294967295 0000000000000abc "
			      "18446744073709551615 007");
	cr_assert_eq(t.len, strlen(buf));
	cr_assert_not(t.truncated);
}

Test(textbuf, puts_and_putu_cut_like_printf)
{
	char buf[6];
	struct textbuf t;

	textbuf_init(&t, buf, sizeof(buf));
	textbuf_puts(&t, "ab");
	textbuf_putu(&t, 12345, 10, 1);
	cr_assert(t.truncated);
	cr_assert_str_eq(buf, "ab123");
	textbuf_puts(&t, "x");
	cr_assert_str_eq(buf, "ab123", "nothing is added after a cut");

	textbuf_init(&t, buf, sizeof(buf));
	textbuf_puts(&t, "abcde");
	cr_assert_not(t.truncated, "an exact fit is not a cut");
	cr_assert_str_eq(buf, "abcde");
}

/*
 * textbuf_snprintf against the C library's snprintf, for every kind of
 * conversion pidone's sources use (and the edges of each): the same
 * text, and the same length where nothing was cut.
 */
#define SAME(size, ...)                                                     \
	do {                                                                \
		char want[size], got[size];                                 \
		int w = snprintf(want, sizeof(want), __VA_ARGS__);          \
		int g;                                                      \
		memset(got, 'x', sizeof(got));                              \
		g = textbuf_snprintf(got, sizeof(got), __VA_ARGS__);        \
		cr_assert_str_eq(got, want, "format %s", #__VA_ARGS__);     \
		cr_assert_eq(g, (size_t)w < sizeof(want) ? w : (int)(size), \
			     "format %s: %d, libc %d", #__VA_ARGS__, g, w); \
	} while (0)

/* the cut cases below cut on purpose (gcc warns of them; clang does not) */
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

Test(textbuf, snprintf_matches_libc_for_pidone_conversions)
{
	SAME(64, "plain text, no conversion");
	SAME(64, "%s and %s", "one", "two");
	SAME(64, "%s", "");
	SAME(64, "[%.*s]", 3, "abcdef");
	SAME(64, "[%.*s]", 0, "abcdef");
	SAME(64, "[%.*s]", -1, "abcdef");
	SAME(64, "[%.40s]", "short");
	SAME(64, "[%-*s]", 8, "ab");
	SAME(64, "[%-*s]", -8, "ab");
	SAME(64, "[%*s]", 8, "ab");
	SAME(64, "[%*s]", 1, "longer");
	SAME(64, "[%-24s][%-22s]", "--health-port", "PORT");
	SAME(64, "%d %d %d", 0, -1, 42);
	SAME(64, "%d %d", INT_MIN, INT_MAX);
	SAME(64, "%u %u", 0u, UINT_MAX);
	SAME(64, "[%5d][%5d][%5u]", 42, -42, 7u);
	SAME(64, "[%-5d][%05d][%05d]", 42, 42, -42);
	SAME(64, "%0*d", 7, 0);
	SAME(64, "%0*d", 7, 123);
	SAME(64, "%03u.%02u", 5u, 7u);
	SAME(64, "%04o %04o %04o", 0755u, 01777u, 0u);
	SAME(64, "0x%x %x", 0xdeadu, 0u);
	SAME(64, "%lu %llu %zu", ULONG_MAX, ULLONG_MAX, (size_t)12345);
	SAME(64, "%ld %lld", LONG_MIN, LLONG_MIN);
	SAME(64, "[%6llu]", 12ull);
	SAME(64, "%" PRIu64 ".%03" PRIu64, (uint64_t)12, (uint64_t)5);
	SAME(64, "%c%c%c", 'a', '-', 'z');
	SAME(64, "100%% sure");
	SAME(64, "[%.3d][%.0d][%.0d]", 7, 0, 5);
	SAME(8, "%s", "longer than eight");
	SAME(8, "abc%d", 123456789);
	SAME(8, "%-*s|", 20, "x");
	SAME(1, "%s", "anything");
}

Test(textbuf, snprintf_into_no_room_writes_nothing)
{
	char buf[4] = "abc";

	cr_assert_eq(textbuf_snprintf(buf, 0, "%d", 12345), 0);
	cr_assert_str_eq(buf, "abc", "a zero size touches nothing");
	cr_assert_eq(textbuf_snprintf(buf + 1, 1, "%s", "xyz"), 1);
	cr_assert_eq(buf[1], '\0');
	cr_assert_eq(buf[2], 'c', "past @size untouched");
}

Test(textbuf, snprintf_shows_unknown_conversions)
{
	char buf[32];

	/* -Wformat would stop these in pidone's sources; here on purpose */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
	cr_assert_eq(textbuf_snprintf(buf, sizeof(buf), "a%fb", 1.5), 4);
	cr_assert_str_eq(buf, "a%?b");
	cr_assert_eq(textbuf_snprintf(buf, sizeof(buf), "end%"), 5);
	cr_assert_str_eq(buf, "end%?");
#pragma GCC diagnostic pop
}
