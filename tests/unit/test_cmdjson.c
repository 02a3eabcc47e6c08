/* SPDX-License-Identifier: MIT */
/*
 * test_cmdjson.c - table tests for the JSON exec-form command parser. Every
 * input is placed flush against a PROT_NONE page (guard.h), so any read past
 * len faults. Valid rows list the expected argv; invalid rows the expected
 * error offset and a piece of the reason. Every valid input is also parsed
 * truncated at every length, and with every byte replaced by every value, to
 * show that failure is always clean: -EINVAL, an offset within the input and
 * the caller's argv left alone.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdjson.h"
#include "strv.h"
#include "guard.h"

/* A literal with its exact length, so rows may hold NUL bytes. */
#define IN(s) s, sizeof(s) - 1
#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct valid_row {
	const char *in;
	size_t len;
	const char *const *argv;
};

struct invalid_row {
	const char *in;
	size_t len;
	size_t offset;
	const char *reason; /* must occur in the reason */
};

static const struct valid_row valid_rows[] = {
	{ IN("[\"node\",\"server.js\"]"), ARGV("node", "server.js") },
	{ IN("[\"python\"]"), ARGV("python") },
	{ IN("[\"a\",\"b\",\"c\"]"), ARGV("a", "b", "c") },
	{ IN(" \t\r\n[ \"a\" ,\n\t\"b\" ]\r\n "), ARGV("a", "b") },
	{ IN("[\n  \"python\",\n  \"app.py\"\n]\n"), ARGV("python", "app.py") },
	{ IN("[\"a\",\"\"]"), ARGV("a", "") }, /* an empty argument is one */
	{ IN("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"), ARGV("\"\\/\b\f\n\r\t") },
	{ IN("[\"printf\",\"a\\nb\"]"), ARGV("printf", "a\nb") },
	{ IN("[\"a/b\\/c\"]"), ARGV("a/b/c") },
	{ IN("[\"a\\\\\"]"), ARGV("a\\") },
	{ IN("[\"sh\",\"-c\",\"echo \\\"hi\\\"; ls /\"]"),
	  ARGV("sh", "-c", "echo \"hi\"; ls /") },
	{ IN("[\"[\",\"]\",\",\",\":\",\"{\",\"}\",\"'\"]"),
	  ARGV("[", "]", ",", ":", "{", "}", "'") },
	{ IN("[\"\\u0041\\u00e9\\u00E9\\u20AC\"]"),
	  ARGV("A\xC3\xA9\xC3\xA9\xE2\x82\xAC") },
	{ IN("[\"\\u0001\\u001f\"]"), ARGV("\x01\x1f") },
	{ IN("[\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"]"),
	  ARGV("\x7f\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF") },
	{ IN("[\"\\uD83D\\uDE00\"]"), ARGV("\xF0\x9F\x98\x80") },
	{ IN("[\"\\ud83d\\ude00\"]"), ARGV("\xF0\x9F\x98\x80") },
	{ IN("[\"\\uD800\\uDC00\",\"\\uDBFF\\uDFFF\"]"),
	  ARGV("\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF") },
	{ IN("[\"x\\uD83D\\uDE00y\"]"), ARGV("x\xF0\x9F\x98\x80y") },
	{ IN("[\"\x7f\"]"), ARGV("\x7f") },
	{ IN("[\"h\xC3\xA9llo\",\"\xE2\x82\xAC\",\"\xF0\x9F\x98\x80\"]"),
	  ARGV("h\xC3\xA9llo", "\xE2\x82\xAC", "\xF0\x9F\x98\x80") },
	{ IN("[\"\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\"]"),
	  ARGV("\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80") },
	{ IN("[\"\xF0\x90\x80\x80\xF3\xBF\xBF\xBF\xF4\x8F\xBF\xBF\"]"),
	  ARGV("\xF0\x90\x80\x80\xF3\xBF\xBF\xBF\xF4\x8F\xBF\xBF") },
};

#define SHELL \
	"must be a JSON array like [\"python\",\"app.py\"], not shell form"
#define UNTERM_STR "end of input inside a string"
#define UNTERM_ARR "not closed with ']'"
#define HIGH "high surrogate"
#define LOW "low surrogate"
#define UTF8 "invalid UTF-8"
#define CTRL "control character"
#define NUL "NUL byte"

static const struct invalid_row invalid_rows[] = {
	/* empty */
	{ IN(""), 0, "empty" },
	{ IN(" \t\r\n"), 4, "empty" },
	/* not an array */
	{ IN("python app.py"), 0, SHELL },
	{ IN("  python app.py"), 2, SHELL },
	{ IN("\"python app.py\""), 0, "not a single string" },
	{ IN("{\"cmd\":[\"a\"]}"), 0, "not a JSON object" },
	{ IN("\xEF\xBB\xBF[\"a\"]"), 0, "byte order mark" },
	{ IN("\v[\"a\"]"), 0, SHELL },
	{ IN("\xC2\xA0[\"a\"]"), 0, SHELL },
	/* empty array */
	{ IN("[]"), 1, "array is empty" },
	{ IN("[ \n\t]"), 4, "array is empty" },
	/* no program to run: the first string is empty */
	{ IN("[\"\"]"), 1, "program name (the first string) is empty" },
	{ IN("[ \"\",\"a\"]"), 2, "program name (the first string) is empty" },
	/* elements that are not strings */
	{ IN("[1]"), 1, "numbers are not allowed" },
	{ IN("[\"a\",-1]"), 5, "numbers are not allowed" },
	{ IN("[\"sleep\", 5]"), 10, "numbers are not allowed" },
	{ IN("[true]"), 1, "true, false and null" },
	{ IN("[\"a\",false]"), 5, "true, false and null" },
	{ IN("[null]"), 1, "true, false and null" },
	{ IN("[{}]"), 1, "objects are not allowed" },
	{ IN("[[\"a\"]]"), 1, "nested arrays" },
	{ IN("[\"a\",[\"b\"]]"), 5, "nested arrays" },
	{ IN("['a']"), 1, "double quotes, not single" },
	{ IN("[python, app.py]"), 1, "expected a string" },
	{ IN("[,\"a\"]"), 1, "expected a string" },
	{ IN("[\"a\",,\"b\"]"), 5, "expected a string" },
	{ IN("[\"a\",\f\"b\"]"), 5, "expected a string" },
	/* commas */
	{ IN("[\"a\",]"), 5, "trailing comma" },
	{ IN("[\"a\" , \n]"), 8, "trailing comma" },
	{ IN("[\"a\" \"b\"]"), 5, "missing ','" },
	{ IN("[\"a\";\"b\"]"), 4, "expected ',' or ']'" },
	{ IN("[\"a\"\v]"), 4, "expected ',' or ']'" },
	{ IN("[\"a\":\"b\"]"), 4, "expected ',' or ']'" },
	/* after the array */
	{ IN("[\"a\"]x"), 5, "after the closing ']'" },
	{ IN("[\"a\"] ]"), 6, "after the closing ']'" },
	{ IN("[\"a\"]\n[\"b\"]"), 6, "after the closing ']'" },
	{ IN("[\"a\"],"), 5, "after the closing ']'" },
	/* unterminated */
	{ IN("["), 1, UNTERM_ARR },
	{ IN("[ "), 2, UNTERM_ARR },
	{ IN("[\"a\""), 4, UNTERM_ARR },
	{ IN("[\"a\","), 5, UNTERM_ARR },
	{ IN("[\"a\", \n"), 7, UNTERM_ARR },
	{ IN("[\""), 2, UNTERM_STR },
	{ IN("[\"a"), 3, UNTERM_STR },
	{ IN("[\"a\\\"]"), 6, UNTERM_STR },
	{ IN("[\"a\\"), 4, UNTERM_STR },
	{ IN("[\"\\u12"), 6, UNTERM_STR },
	{ IN("[\"\\uD83D"), 8, UNTERM_STR },
	{ IN("[\"\\uD83D\\"), 9, UNTERM_STR },
	{ IN("[\"\\uD83D\\uDE"), 12, UNTERM_STR },
	/* escapes */
	{ IN("[\"a\\x\"]"), 4, "invalid escape" },
	{ IN("[\"\\a\"]"), 3, "invalid escape" },
	{ IN("[\"\\U0041\"]"), 3, "invalid escape" },
	{ IN("[\"\\'\"]"), 3, "invalid escape" },
	{ IN("[\"\\ \"]"), 3, "invalid escape" },
	{ IN("[\"\\u12G4\"]"), 6, "four hexadecimal digits" },
	{ IN("[\"\\u12\"]"), 6, "four hexadecimal digits" },
	{ IN("[\"\\u+123\"]"), 4, "four hexadecimal digits" },
	{ IN("[\"\\uD800\\uZ000\"]"), 10, "four hexadecimal digits" },
	/* surrogates */
	{ IN("[\"\\uD800\"]"), 2, HIGH },
	{ IN("[\"\\uDBFFx\"]"), 2, HIGH },
	{ IN("[\"a\\uD800\\u0041\"]"), 3, HIGH },
	{ IN("[\"\\uD800\\n\"]"), 2, HIGH },
	{ IN("[\"\\uD800\\uD800\"]"), 2, HIGH },
	{ IN("[\"\\uD83D\\uE000\"]"), 2, HIGH },
	{ IN("[\"\\uDC00\"]"), 2, LOW },
	{ IN("[\"\\udfff\"]"), 2, LOW },
	{ IN("[\"a\\uDE00\\uD83D\"]"), 3, LOW },
	/* NUL through an escape */
	{ IN("[\"\\u0000\"]"), 2, "\\u0000 is not allowed" },
	{ IN("[\"a\",\"b\\u0000c\"]"), 7, "\\u0000 is not allowed" },
	/* raw control characters */
	{ IN("[\"a\tb\"]"), 3, CTRL },
	{ IN("[\"a\nb\"]"), 3, CTRL },
	{ IN("[\"\x01\"]"), 2, CTRL },
	{ IN("[\"\x1f\"]"), 2, CTRL },
	{ IN("[\"\r\"]"), 2, CTRL },
	/* raw NUL anywhere */
	{ IN("\0[\"a\"]"), 0, NUL },
	{ IN("[\0\"a\"]"), 1, NUL },
	{ IN("[\"a\0b\"]"), 3, NUL },
	{ IN("[\"a\"\0]"), 4, NUL },
	{ IN("[\"a\",\0\"b\"]"), 5, NUL },
	{ IN("[\"a\"]\0"), 5, NUL },
	{ IN("[\"a\\\0\"]"), 4, NUL },
	/* invalid UTF-8 */
	{ IN("[\"\x80\"]"), 2, UTF8 },
	{ IN("[\"\xBF\"]"), 2, UTF8 },
	{ IN("[\"\xC0\xAF\"]"), 2, UTF8 },
	{ IN("[\"\xC1\xBF\"]"), 2, UTF8 },
	{ IN("[\"\xE0\x80\xAF\"]"), 2, UTF8 },
	{ IN("[\"\xE0\x9F\xBF\"]"), 2, UTF8 },
	{ IN("[\"\xF0\x80\x80\xAF\"]"), 2, UTF8 },
	{ IN("[\"\xF0\x8F\xBF\xBF\"]"), 2, UTF8 },
	{ IN("[\"\xED\xA0\x80\"]"), 2, UTF8 },
	{ IN("[\"\xED\xBF\xBF\"]"), 2, UTF8 },
	{ IN("[\"\xF4\x90\x80\x80\"]"), 2, UTF8 },
	{ IN("[\"\xF5\x80\x80\x80\"]"), 2, UTF8 },
	{ IN("[\"\xF8\x88\x80\x80\x80\"]"), 2, UTF8 },
	{ IN("[\"\xFE\"]"), 2, UTF8 },
	{ IN("[\"\xFF\"]"), 2, UTF8 },
	{ IN("[\"ab\xC3\"]"), 4, UTF8 },
	{ IN("[\"\xE2\x82\"]"), 2, UTF8 },
	{ IN("[\"\xF0\x9F\x98\"]"), 2, UTF8 },
	{ IN("[\"\xF0\x9F\x98"), 2, UTF8 },
	{ IN("[\"\xC3"), 2, UTF8 },
	{ IN("[\"\xC3\xA9\xA9\"]"), 4, UTF8 },
	{ IN("[\"\xE2\x28\xA1\"]"), 2, UTF8 },
	{ IN("[\"\xE2\x82\x28\"]"), 2, UTF8 },
	{ IN("[\"\xC3\0\"]"), 2, UTF8 },
};

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* Largest input any test places; one guard region serves them all. */
#define GUARD_MAX (64 * 1024)

/* Copy @n bytes so that they end exactly at the guard page. */
static const char *place(struct guard *g, const void *src, size_t n)
{
	char *dst;

	cr_assert_leq(n, g->len, "input of %zu bytes is too big", n);
	dst = g->data + g->len - n;
	if (n > 0)
		memcpy(dst, src, n);
	return dst;
}

static struct guard guard_region(void)
{
	char *zero = calloc(1, GUARD_MAX);
	struct guard g;

	cr_assert_not_null(zero);
	g = guard_copy(zero, GUARD_MAX);
	free(zero);
	return g;
}

static char *escape(const char *s, size_t n)
{
	static char buf[512];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
					      "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

static void expect_argv(char **got, const char *const *want, const char *in,
			size_t len)
{
	size_t n = 0;

	while (want[n])
		n++;
	cr_expect_eq(strv_length(got), n, "%s: %zu elements, want %zu",
		     escape(in, len), strv_length(got), n);
	for (size_t i = 0; i < n && i < strv_length(got); i++)
		cr_expect_str_eq(got[i], want[i], "%s: element %zu",
				 escape(in, len), i);
	if (got)
		cr_expect_null(got[strv_length(got)]);
}

/*
 * Parse @in from the guard region and check the clean-failure contract;
 * returns the result, with the argv in *@ret (or NULL).
 */
static int parse_checked(struct guard *g, const char *in, size_t len,
			 char ***ret, size_t *off, const char **why)
{
	char **sentinel = (char **)&sentinel;
	char **argv = sentinel;
	size_t o = (size_t)-1;
	const char *w = NULL;
	int r;

	r = cmdjson_parse(place(g, in, len), len, &argv, &o, &w);
	if (r == 0) {
		cr_assert_neq(argv, sentinel);
		cr_assert_not_null(argv);
		cr_assert_geq(strv_length(argv), 1);
		cr_assert_eq(o, (size_t)-1, "reterr_offset written on success");
		cr_assert_null(w, "reterr_reason written on success");
	} else {
		cr_assert_eq(r, -EINVAL, "%s: r=%d", escape(in, len), r);
		cr_assert_eq(argv, sentinel, "ret_argv written on failure");
		cr_assert_leq(o, len, "%s: offset %zu > len %zu",
			      escape(in, len), o, len);
		cr_assert_not_null(w);
		cr_assert_gt(strlen(w), 10);
		argv = NULL;
	}
	*ret = argv;
	if (off)
		*off = o;
	if (why)
		*why = w;
	return r;
}

Test(cmdjson, valid_rows)
{
	struct guard g = guard_region();

	for (size_t i = 0; i < N_ROWS(valid_rows); i++) {
		const struct valid_row *row = &valid_rows[i];
		char **argv;
		const char *why = NULL;
		int r;

		r = parse_checked(&g, row->in, row->len, &argv, NULL, &why);
		cr_expect_eq(r, 0, "row %zu %s: rejected: %s", i,
			     escape(row->in, row->len), why ? why : "");
		if (r == 0)
			expect_argv(argv, row->argv, row->in, row->len);
		strv_free(argv);
	}
	guard_free(&g);
}

Test(cmdjson, invalid_rows)
{
	struct guard g = guard_region();

	for (size_t i = 0; i < N_ROWS(invalid_rows); i++) {
		const struct invalid_row *row = &invalid_rows[i];
		char **argv;
		size_t off = 0;
		const char *why = "";
		int r;

		r = parse_checked(&g, row->in, row->len, &argv, &off, &why);
		cr_expect_eq(r, -EINVAL, "row %zu %s: accepted", i,
			     escape(row->in, row->len));
		strv_free(argv);
		if (r == 0)
			continue;
		cr_expect_eq(off, row->offset,
			     "row %zu %s: offset %zu, want %zu (%s)", i,
			     escape(row->in, row->len), off, row->offset, why);
		cr_expect_not_null(strstr(why, row->reason),
				   "row %zu %s: reason \"%s\" lacks \"%s\"", i,
				   escape(row->in, row->len), why, row->reason);
	}
	guard_free(&g);
}

/* Reasons quote the fix for the most common mistake verbatim. */
Test(cmdjson, shell_form_reason_shows_the_fix)
{
	struct guard g = guard_region();
	char **argv;
	const char *why;

	cr_assert_eq(parse_checked(&g, IN("python app.py"), &argv, NULL, &why),
		     -EINVAL);
	cr_assert_str_eq(why, "expected '[': the command must be a JSON array "
			      "like [\"python\",\"app.py\"], not shell form");
	guard_free(&g);
}

Test(cmdjson, error_out_params_are_optional)
{
	char **argv = NULL;

	cr_assert_eq(cmdjson_parse("x", 1, &argv, NULL, NULL), -EINVAL);
	cr_assert_null(argv);
	cr_assert_eq(cmdjson_parse("[\"a\"]", 5, &argv, NULL, NULL), 0);
	cr_assert_str_eq(argv[0], "a");
	strv_free(argv);
}

Test(cmdjson, null_text_with_zero_len_is_empty)
{
	char **argv = NULL;
	size_t off = 99;
	const char *why = NULL;

	cr_assert_eq(cmdjson_parse(NULL, 0, &argv, &off, &why), -EINVAL);
	cr_assert_eq(off, 0);
	cr_assert_not_null(strstr(why, "empty"));
	cr_assert_null(argv);
}

/* Does not need the input NUL-terminated: only len bytes count. */
Test(cmdjson, stops_at_len)
{
	char **argv = NULL;

	cr_assert_eq(cmdjson_parse("[\"a\"]garbage", 5, &argv, NULL, NULL), 0);
	cr_assert_str_eq(argv[0], "a");
	cr_assert_null(argv[1]);
	strv_free(argv);
}

static char *build_long_string(size_t n, size_t *ret_len)
{
	char *in = malloc(n + 5);

	cr_assert_not_null(in);
	memcpy(in, "[\"", 2);
	memset(in + 2, 'x', n);
	memcpy(in + 2 + n, "\"]", 2);
	*ret_len = n + 4;
	return in;
}

static char *build_many(size_t count, size_t *ret_len)
{
	size_t cap = count * 12 + 4, len = 0;
	char *in = malloc(cap);

	cr_assert_not_null(in);
	in[len++] = '[';
	for (size_t i = 0; i < count; i++)
		len += (size_t)snprintf(in + len, cap - len, "%s\"%zu\"",
					i ? "," : "", i);
	in[len++] = ']';
	*ret_len = len;
	return in;
}

Test(cmdjson, long_string_10000_bytes)
{
	struct guard g = guard_region();
	size_t len;
	char *in = build_long_string(10000, &len);
	char **argv;

	cr_assert_eq(parse_checked(&g, in, len, &argv, NULL, NULL), 0);
	cr_assert_eq(strv_length(argv), 1);
	cr_assert_eq(strlen(argv[0]), 10000);
	cr_assert_eq(strspn(argv[0], "x"), 10000);
	strv_free(argv);
	free(in);
	guard_free(&g);
}

Test(cmdjson, long_escaped_string)
{
	struct guard g = guard_region();
	size_t n = 2000, len = 0;
	char *in = malloc(n * 12 + 8);
	char **argv;

	cr_assert_not_null(in);
	in[len++] = '[';
	in[len++] = '"';
	for (size_t i = 0; i < n; i++) {
		memcpy(in + len, i % 2 ? "\\u20ac" : "\\uD83D\\uDE00",
		       i % 2 ? 6 : 12);
		len += i % 2 ? 6 : 12;
	}
	in[len++] = '"';
	in[len++] = ']';
	cr_assert_eq(parse_checked(&g, in, len, &argv, NULL, NULL), 0);
	cr_assert_eq(strlen(argv[0]), n / 2 * 7);
	for (size_t i = 0; i < n; i++) {
		const char *at = argv[0] + i / 2 * 7 + (i % 2 ? 4 : 0);

		cr_assert_eq(memcmp(at,
				    i % 2 ? "\xE2\x82\xAC" : "\xF0\x9F\x98\x80",
				    i % 2 ? 3 : 4),
			     0, "character %zu", i);
	}
	strv_free(argv);
	free(in);
	guard_free(&g);
}

Test(cmdjson, one_thousand_elements)
{
	struct guard g = guard_region();
	size_t len;
	char *in = build_many(1000, &len);
	char **argv;
	char want[16];

	cr_assert_eq(parse_checked(&g, in, len, &argv, NULL, NULL), 0);
	cr_assert_eq(strv_length(argv), 1000);
	for (size_t i = 0; i < 1000; i++) {
		snprintf(want, sizeof(want), "%zu", i);
		cr_assert_str_eq(argv[i], want);
	}
	strv_free(argv);
	free(in);
	guard_free(&g);
}

/*
 * Every proper prefix up to the closing ']' must fail cleanly; longer ones
 * only drop trailing whitespace and must parse.
 */
static void check_truncations(struct guard *g, const char *in, size_t len)
{
	const char *close = memrchr(in, ']', len);
	size_t need;

	cr_assert_not_null(close);
	need = (size_t)(close - in) + 1;
	for (size_t l = 0; l < len; l++) {
		char **argv;
		int r = parse_checked(g, in, l, &argv, NULL, NULL);

		if (l < need)
			cr_assert_eq(r, -EINVAL, "%s accepted at length %zu",
				     escape(in, len), l);
		else
			cr_assert_eq(r, 0, "%s rejected at length %zu",
				     escape(in, len), l);
		strv_free(argv);
	}
}

Test(cmdjson, truncated_valid_rows_fail_cleanly)
{
	struct guard g = guard_region();

	for (size_t i = 0; i < N_ROWS(valid_rows); i++)
		check_truncations(&g, valid_rows[i].in, valid_rows[i].len);
	guard_free(&g);
}

Test(cmdjson, truncated_big_inputs_fail_cleanly)
{
	struct guard g = guard_region();
	size_t len;
	char *in;

	in = build_long_string(10000, &len);
	check_truncations(&g, in, len);
	free(in);
	in = build_many(1000, &len);
	check_truncations(&g, in, len);
	free(in);
	guard_free(&g);
}

/* Any single byte changed to any value: a clean result either way. */
Test(cmdjson, mutated_valid_rows_never_crash)
{
	struct guard g = guard_region();
	char buf[256];

	for (size_t i = 0; i < N_ROWS(valid_rows); i++) {
		const struct valid_row *row = &valid_rows[i];

		cr_assert_leq(row->len, sizeof(buf));
		for (size_t at = 0; at < row->len; at++) {
			for (unsigned v = 0; v < 256; v++) {
				char **argv;

				memcpy(buf, row->in, row->len);
				buf[at] = (char)v;
				parse_checked(&g, buf, row->len, &argv, NULL,
					      NULL);
				strv_free(argv);
			}
		}
	}
	guard_free(&g);
}
