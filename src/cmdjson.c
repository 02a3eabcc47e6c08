/* SPDX-License-Identifier: MIT */
/*
 * cmdjson.c - the command in JSON exec form (PIDONE_COMMAND and the INI
 * "command =" value): a strict RFC 8259 parser for exactly one value, a
 * non-empty array of strings, decoded into an argv vector.
 *
 * Written by hand on purpose. Debian's cJSON is lenient (it copies raw bytes
 * through without checking UTF-8 and, unless asked, accepts trailing text),
 * wants NUL-terminated input and would still need a tree walk plus our own
 * checks on top. One strict pass over (text, len), tested row by row in
 * tests/unit/test_cmdjson.c, is smaller and can say which byte is wrong.
 *
 * Invariants: text[len] and beyond are never read, and text need not be
 * NUL-terminated. Every allocation is bounded by len: a decoded string is
 * never longer than its raw JSON text, and the vector has at most one slot
 * per three input bytes (doubling, so at most twice that). No I/O, no
 * globals, no logging.
 *
 * Error offsets: the first byte that cannot be accepted, or len when the
 * input ends too early. A complete \u escape that is wrong as a whole
 * (\u0000, a lone surrogate) is reported at its backslash, and an invalid
 * UTF-8 sequence at its lead byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdjson.h"
#include "escape.h"
#include "strv.h"
#include "banned.h"

#define CMDJSON_EXAMPLE "a JSON array like [\"python\",\"app.py\"]"

static const char R_EMPTY[] =
	"the command is empty: it must be " CMDJSON_EXAMPLE;
static const char R_SHELL_FORM[] =
	"expected '[': the command must be " CMDJSON_EXAMPLE ", not shell form";
static const char R_BARE_STRING[] =
	"expected '[': the command must be " CMDJSON_EXAMPLE
	", not a single string";
static const char R_OBJECT[] =
	"expected '[': the command must be " CMDJSON_EXAMPLE
	", not a JSON object";
static const char R_BOM[] =
	"a byte order mark is not allowed before the JSON array";
static const char R_EMPTY_ARRAY[] =
	"the command array is empty: it needs at least the program name";
static const char R_EMPTY_PROGRAM[] =
	"the program name (the first string) is empty";
static const char R_UNTERM_ARRAY[] =
	"unexpected end of input: the array is not closed with ']'";
static const char R_TRAILING_COMMA[] = "trailing comma before ']'";
static const char R_MISSING_COMMA[] = "missing ',' between two strings";
static const char R_EXPECT_COMMA[] = "expected ',' or ']' after a string";
static const char R_TRAILING[] = "unexpected text after the closing ']'";
static const char R_NUMBER[] = "numbers are not allowed: every element "
			       "must be a string (quote it, e.g. \"8080\")";
static const char R_LITERAL[] = "true, false and null are not allowed: "
				"every element must be a string";
static const char R_NESTED[] =
	"nested arrays are not allowed: every element must be a string";
static const char R_ELEM_OBJECT[] =
	"objects are not allowed: every element must be a string";
static const char R_SINGLE_QUOTE[] =
	"strings must be in double quotes, not single quotes";
static const char R_EXPECT_STRING[] = "expected a string in double quotes";
static const char R_UNTERM_STRING[] =
	"unexpected end of input inside a string (missing closing '\"')";
static const char R_BAD_ESCAPE[] =
	"invalid escape in a string: only "
	"\\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX are allowed";
static const char R_BAD_HEX[] =
	"invalid \\u escape: expected four hexadecimal digits";
static const char R_ESC_NUL[] =
	"\\u0000 is not allowed: a command argument cannot contain NUL";
static const char R_LONE_HIGH[] =
	"invalid \\u escape: high surrogate "
	"not followed by a \\u escape of a low surrogate";
static const char R_LONE_LOW[] =
	"invalid \\u escape: low surrogate without a high surrogate before it";
static const char R_CONTROL[] = "control character in a string: escape it "
				"as \\n, \\t or \\uXXXX";
static const char R_UTF8[] = "invalid UTF-8 in a string";
static const char R_NUL[] = "NUL byte in the command";
static const char R_NOMEM[] = "out of memory";

struct cmdjson_parser {
	const unsigned char *s;
	size_t len;
	size_t pos;
	size_t err_offset;
	const char *err_reason;
};

struct cmdjson_argv {
	char **v; /* always NULL-terminated once allocated */
	size_t n;
	size_t cap;
};

/* Record a syntax error at @off; a NUL byte there is named as such. */
static int fail(struct cmdjson_parser *p, size_t off, const char *reason)
{
	if (off < p->len && p->s[off] == '\0')
		reason = R_NUL;
	p->err_offset = off;
	p->err_reason = reason;
	return -EINVAL;
}

static int fail_nomem(struct cmdjson_parser *p)
{
	p->err_offset = p->pos;
	p->err_reason = R_NOMEM;
	return -ENOMEM;
}

static bool at_end(const struct cmdjson_parser *p)
{
	return p->pos >= p->len;
}

static void skip_ws(struct cmdjson_parser *p)
{
	while (!at_end(p)) {
		unsigned char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
		p->pos++;
	}
}

static bool has_prefix(const struct cmdjson_parser *p, const char *lit)
{
	size_t n = strlen(lit);

	return p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0;
}

/* The value of hex digit @c in *@ret; false when @c is not one. */
static bool hex_value(unsigned char c, unsigned *ret)
{
	if (c >= '0' && c <= '9')
		*ret = c - '0';
	else if (c >= 'a' && c <= 'f')
		*ret = c - 'a' + 10u;
	else if (c >= 'A' && c <= 'F')
		*ret = c - 'A' + 10u;
	else
		return false;
	return true;
}

/* Read the four hex digits starting at @at. */
static int read_hex4(struct cmdjson_parser *p, size_t at, uint32_t *ret)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 4; i++) {
		unsigned d;

		if (at + i >= p->len)
			return fail(p, p->len, R_UNTERM_STRING);
		if (!hex_value(p->s[at + i], &d))
			return fail(p, at + i, R_BAD_HEX);
		v = v << 4 | d;
	}
	*ret = v;
	return 0;
}

/* Encode @cp (a scalar value, not a surrogate) as UTF-8; returns bytes. */
static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Decode the \u escape whose backslash is at p->pos (and, for a high
 * surrogate, the low-surrogate escape that must follow) into *@out.
 * Six input bytes give at most three output bytes, twelve give four.
 */
static int decode_unicode(struct cmdjson_parser *p, char **out)
{
	size_t bs = p->pos, next = bs + 6;
	uint32_t cp, low;
	int r;

	r = read_hex4(p, bs + 2, &cp);
	if (r < 0)
		return r;
	if (cp == 0)
		return fail(p, bs, R_ESC_NUL);
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail(p, bs, R_LONE_LOW);
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		/* Running out of input here is a truncated string. */
		if (next >= p->len ||
		    (p->s[next] == '\\' && next + 1 >= p->len))
			return fail(p, p->len, R_UNTERM_STRING);
		if (p->s[next] != '\\' || p->s[next + 1] != 'u')
			return fail(p, bs, R_LONE_HIGH);
		r = read_hex4(p, next + 2, &low);
		if (r < 0)
			return r;
		if (low < 0xDC00 || low > 0xDFFF)
			return fail(p, bs, R_LONE_HIGH);
		cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
		next += 6;
	}
	*out += utf8_put(*out, cp);
	p->pos = next;
	return 0;
}

/* Decode the escape whose backslash is at p->pos into *@out. */
static int decode_escape(struct cmdjson_parser *p, char **out)
{
	size_t bs = p->pos;
	char c;

	if (bs + 1 >= p->len)
		return fail(p, p->len, R_UNTERM_STRING);
	switch (p->s[bs + 1]) {
	case '"':
		c = '"';
		break;
	case '\\':
		c = '\\';
		break;
	case '/':
		c = '/';
		break;
	case 'b':
		c = '\b';
		break;
	case 'f':
		c = '\f';
		break;
	case 'n':
		c = '\n';
		break;
	case 'r':
		c = '\r';
		break;
	case 't':
		c = '\t';
		break;
	case 'u':
		return decode_unicode(p, out);
	default:
		return fail(p, bs + 1, R_BAD_ESCAPE);
	}
	*(*out)++ = c;
	p->pos = bs + 2;
	return 0;
}

/* Parse the string whose opening quote is at p->pos into a new C string. */
static int parse_string(struct cmdjson_parser *p, char **ret)
{
	size_t start = p->pos + 1, end = start;
	char *buf, *out;
	int r;

	/*
	 * Find the raw extent first: the decoder consumes at least as many
	 * bytes as it writes and stops at the same closing quote (hex digits
	 * and UTF-8 continuation bytes are never '"' or '\\'), so the raw
	 * length plus one bounds the output.
	 */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end > p->len)
		end = p->len;
	buf = malloc(end - start + 1);
	if (!buf)
		return fail_nomem(p);
	out = buf;
	p->pos = start;
	for (;;) {
		unsigned char c;
		size_t n;

		if (at_end(p)) {
			r = fail(p, p->len, R_UNTERM_STRING);
			goto err_free_buf;
		}
		c = p->s[p->pos];
		if (c == '"')
			break;
		if (c == '\\') {
			r = decode_escape(p, &out);
			if (r < 0)
				goto err_free_buf;
			continue;
		}
		if (c < 0x20) {
			r = fail(p, p->pos, R_CONTROL);
			goto err_free_buf;
		}
		if (c < 0x80) {
			*out++ = (char)c;
			p->pos++;
			continue;
		}
		n = utf8_valid_len(p->s + p->pos, p->len - p->pos, NULL);
		if (n == 0) {
			r = fail(p, p->pos, R_UTF8);
			goto err_free_buf;
		}
		memcpy(out, p->s + p->pos, n);
		out += n;
		p->pos += n;
	}
	*out = '\0';
	p->pos++; /* the closing quote */
	*ret = buf;
	return 0;

err_free_buf:
	free(buf);
	return r;
}

/* Parse one array element at p->pos (not whitespace, not end of input). */
static int parse_element(struct cmdjson_parser *p, char **ret)
{
	unsigned char c = p->s[p->pos];

	if (c == '"')
		return parse_string(p, ret);
	if (c == '-' || (c >= '0' && c <= '9'))
		return fail(p, p->pos, R_NUMBER);
	if (has_prefix(p, "true") || has_prefix(p, "false") ||
	    has_prefix(p, "null"))
		return fail(p, p->pos, R_LITERAL);
	if (c == '[')
		return fail(p, p->pos, R_NESTED);
	if (c == '{')
		return fail(p, p->pos, R_ELEM_OBJECT);
	if (c == '\'')
		return fail(p, p->pos, R_SINGLE_QUOTE);
	return fail(p, p->pos, R_EXPECT_STRING);
}

/* Append @s to @a, taking ownership on success. */
static int argv_append(struct cmdjson_argv *a, char *s)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 4;
		char **grown = realloc(a->v, (cap + 1) * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		a->v = grown;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

/* Why the first token is not '[': aim the message at the likely mistake. */
static const char *not_array_reason(const struct cmdjson_parser *p)
{
	switch (p->s[p->pos]) {
	case '"':
		return R_BARE_STRING;
	case '{':
		return R_OBJECT;
	default:
		break;
	}
	if (has_prefix(p, "\xEF\xBB\xBF"))
		return R_BOM;
	return R_SHELL_FORM;
}

/*
 * Parse @len bytes of @text as a JSON array of one or more strings into a
 * NULL-terminated argv. See cmdjson.h for the contract; @reterr_offset and
 * @reterr_reason may be NULL when the caller does not want them.
 */
int cmdjson_parse(const char *text, size_t len, char ***ret_argv,
		  size_t *reterr_offset, const char **reterr_reason)
{
	struct cmdjson_parser p = {
		.s = (const unsigned char *)text,
		.len = text ? len : 0,
	};
	struct cmdjson_argv a = { 0 };
	char *str = NULL; /* -Os cannot see parse_element() set it */
	size_t at;
	int r;

	skip_ws(&p);
	if (at_end(&p)) {
		r = fail(&p, p.pos, R_EMPTY);
		goto err_free_argv;
	}
	if (p.s[p.pos] != '[') {
		r = fail(&p, p.pos, not_array_reason(&p));
		goto err_free_argv;
	}
	p.pos++;
	skip_ws(&p);
	if (!at_end(&p) && p.s[p.pos] == ']') {
		r = fail(&p, p.pos, R_EMPTY_ARRAY);
		goto err_free_argv;
	}
	for (;;) {
		skip_ws(&p);
		if (at_end(&p)) {
			r = fail(&p, p.len, R_UNTERM_ARRAY);
			goto err_free_argv;
		}
		/* The empty array was handled above, so a comma came first. */
		if (p.s[p.pos] == ']') {
			r = fail(&p, p.pos, R_TRAILING_COMMA);
			goto err_free_argv;
		}
		at = p.pos;
		r = parse_element(&p, &str);
		if (r < 0)
			goto err_free_argv;
		if (a.n == 0 && str[0] == '\0') {
			free(str);
			r = fail(&p, at, R_EMPTY_PROGRAM);
			goto err_free_argv;
		}
		r = argv_append(&a, str);
		if (r < 0) {
			free(str);
			r = fail_nomem(&p);
			goto err_free_argv;
		}
		skip_ws(&p);
		if (at_end(&p)) {
			r = fail(&p, p.len, R_UNTERM_ARRAY);
			goto err_free_argv;
		}
		if (p.s[p.pos] == ']')
			break;
		if (p.s[p.pos] != ',') {
			r = fail(&p, p.pos,
				 p.s[p.pos] == '"' ? R_MISSING_COMMA :
						     R_EXPECT_COMMA);
			goto err_free_argv;
		}
		p.pos++;
	}
	p.pos++; /* the closing ']' */
	skip_ws(&p);
	if (!at_end(&p)) {
		r = fail(&p, p.pos, R_TRAILING);
		goto err_free_argv;
	}
	*ret_argv = a.v;
	return 0;

err_free_argv:
	strv_free(a.v);
	if (reterr_offset)
		*reterr_offset = p.err_offset;
	if (reterr_reason)
		*reterr_reason = p.err_reason;
	return r;
}
