/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cmdjson.c - libFuzzer target for src/cmdjson.c, the strict parser of
 * the JSON exec-form command (PIDONE_COMMAND, INI "command =").
 *
 * Every input is parsed from an exactly-sized heap copy (no NUL after it),
 * so ASan reports any read past the end. Invariants (abort() on violation):
 * - the result is 0, -EINVAL or -ENOMEM;
 * - on failure the out-params are untouched except reterr_offset (<= len)
 *   and reterr_reason (a non-empty sentence without a newline);
 * - on success argv has at least one string, each valid UTF-8 (escapes
 *   may decode to any byte but NUL, so control bytes are allowed), and the
 *   decoded bytes never outnumber the input bytes (cmdjson.c's bound);
 * - round trip: argv re-encoded as JSON (with \u escapes for controls)
 *   parses back to the very same argv, and so does the input wrapped in
 *   JSON whitespace;
 * - any proper prefix of a successful input fails (the value is complete
 *   only at its closing ']', and trailing text other than whitespace is
 *   refused).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "cmdjson.h"
#include "strv.h"

static int parse_copy(const uint8_t *data, size_t len, char ***ret_argv,
		      size_t *ret_off, const char **ret_reason)
{
	char *copy = malloc(len ? len : 1);
	int r;

	CHECK(copy);
	if (len)
		memcpy(copy, data, len);
	r = cmdjson_parse(copy, len, ret_argv, ret_off, ret_reason);
	free(copy);
	return r;
}

/* Append @s JSON-encoded (quoted) to @out at *@pos; @out is big enough. */
static void encode(char *out, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	out[(*pos)++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[(*pos)++] = '\\';
			out[(*pos)++] = (char)c;
		} else if (c < 0x20) {
			memcpy(out + *pos, "\\u00", 4);
			out[*pos + 4] = hex[c >> 4];
			out[*pos + 5] = hex[c & 0xf];
			*pos += 6;
		} else {
			out[(*pos)++] = (char)c;
		}
	}
	out[(*pos)++] = '"';
}

static bool same(char **a, char **b)
{
	size_t i;

	for (i = 0; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return !a[i] && !b[i];
}

static void check_success(char **argv, const uint8_t *data, size_t size)
{
	size_t n = strv_length(argv), total = 0, pos = 0, cap;
	char **again = NULL, *json;
	const char *reason = NULL;
	size_t off = 0;

	CHECK(n >= 1);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *s = (const unsigned char *)argv[i];
		size_t len = strlen(argv[i]);

		total += len;
		for (size_t j = 0; j < len;) {
			size_t k = fuzz_utf8_char(s + j, len - j);

			CHECK(k > 0);
			j += k;
		}
	}
	/* a decoded string is never longer than its JSON text */
	CHECK(total <= size);

	/* round trip through our own encoder */
	cap = 2 + n * 3 + total * 6 + 1;
	json = malloc(cap);
	CHECK(json);
	json[pos++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			json[pos++] = ',';
		encode(json, &pos, argv[i]);
	}
	json[pos++] = ']';
	CHECK(pos <= cap);
	CHECK(parse_copy((const uint8_t *)json, pos, &again, &off, &reason) ==
	      0);
	CHECK(same(argv, again));
	again = strv_free(again);

	/* JSON whitespace around the value changes nothing */
	{
		char *padded = malloc(size + 4);

		CHECK(padded);
		memcpy(padded, " \t\n", 3);
		memcpy(padded + 3, data, size);
		padded[size + 3] = '\r';
		CHECK(parse_copy((const uint8_t *)padded, size + 4, &again,
				 &off, &reason) == 0);
		CHECK(same(argv, again));
		again = strv_free(again);
		free(padded);
	}
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **argv = (char **)0x1, **again = NULL;
	size_t off = (size_t)-1;
	const char *reason = (const char *)0x1;
	int r;

	r = parse_copy(data, size, &argv, &off, &reason);
	CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r < 0) {
		CHECK(argv == (char **)0x1);
		CHECK(off <= size);
		CHECK(reason && reason != (const char *)0x1);
		CHECK(reason[0] != '\0' && !strchr(reason, '\n'));
		return 0;
	}
	CHECK(argv && argv != (char **)0x1);
	check_success(argv, data, size);

	/* no proper prefix ending before the ']' parses */
	if (size > 0) {
		size_t cut = size - 1;

		/* strip trailing whitespace so the cut removes the ']' */
		while (cut > 0 && memchr(" \t\r\n", data[cut], 4))
			cut--;
		CHECK(data[cut] == ']');
		CHECK(parse_copy(data, cut, &again, &off, &reason) < 0);
		CHECK(off <= cut);
		if (cut > 1)
			CHECK(parse_copy(data, cut / 2, &again, &off, &reason) <
			      0);
	}
	strv_free(argv);
	return 0;
}
