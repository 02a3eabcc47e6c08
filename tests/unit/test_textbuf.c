/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
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
