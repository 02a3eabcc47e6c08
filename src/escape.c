/* SPDX-License-Identifier: MIT */
/*
 * escape.c - UTF-8 checking and escaping text for JSON strings and log
 * lines; see escape.h. Pure: no I/O, no allocation, errno untouched.
 */
#include <string.h>

#include "escape.h"
#include "banned.h"

/* See escape.h. */
size_t utf8_valid_len(const unsigned char *s, size_t len, size_t *ret_bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		if (ret_bad)
			*ret_bad = 1;
		return 0;
	}
	for (size_t i = 1; i < need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi) {
			if (ret_bad)
				*ret_bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

/*
 * Bytes that escape() must look at: bit 1 for ESC_TEXT, bit 2 for
 * ESC_JSON. Controls, DEL and every non-ASCII byte (UTF-8 is checked)
 * for both; the quote and the backslash for JSON only.
 */
static const unsigned char needs_escape[256] = {
	[0x00 ... 0x1f] = 3,
	['"'] = 2,
	['\\'] = 2,
	[0x7f ... 0xff] = 3,
};

/* How many bytes from @s on need no escaping in @mode. */
static size_t plain_run(const unsigned char *s, size_t len,
			enum escape_mode mode)
{
	unsigned char bit = mode == ESC_JSON ? 2 : 1;
	size_t i = 0;

	while (i < len && !(needs_escape[s[i]] & bit))
		i++;
	return i;
}

/* See escape.h. */
size_t escape(char *dst, size_t dstlen, const char *src, size_t len,
	      enum escape_mode mode, size_t *ret_written)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t in = 0, out = 0, room;

	if (dstlen == 0) {
		if (ret_written)
			*ret_written = 0;
		return 0;
	}
	room = dstlen - 1;
	while (in < len) {
		unsigned char c;
		char unit[6];
		const char *p = unit;
		size_t n = 2, used = 1, bad = 1;
		size_t run = plain_run(s + in, len - in, mode);

		/* Plain ASCII is nearly all of it: copy it a run at a time. */
		if (run > 0) {
			if (run > room - out)
				run = room - out;
			memcpy(dst + out, src + in, run);
			out += run;
			in += run;
			if (out == room)
				break;
			continue;
		}
		c = s[in];
		unit[0] = '\\';
		if (mode == ESC_JSON && (c == '"' || c == '\\')) {
			unit[1] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\b':
				unit[1] = 'b';
				break;
			case '\f':
				unit[1] = 'f';
				break;
			case '\n':
				unit[1] = 'n';
				break;
			case '\r':
				unit[1] = 'r';
				break;
			case '\t':
				unit[1] = 't';
				break;
			default:
				memcpy(unit + 1, "u00", 3);
				unit[4] = hex[c >> 4];
				unit[5] = hex[c & 0xf];
				n = 6;
				break;
			}
		} else {
			p = src + in;
			n = utf8_valid_len(s + in, len - in, &bad);
			used = n;
			if (n == 0) {
				p = "\xef\xbf\xbd"; /* U+FFFD */
				n = 3;
				used = bad;
			}
		}
		if (n > room - out)
			break;
		memcpy(dst + out, p, n);
		out += n;
		in += used;
	}
	dst[out] = '\0';
	if (ret_written)
		*ret_written = out;
	return in;
}
