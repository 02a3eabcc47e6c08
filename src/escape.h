/* SPDX-License-Identifier: MIT */
/*
 * escape.h - UTF-8 checking and escaping text for JSON strings and log
 * lines: one implementation for the log, the health bodies and the JSON
 * command parser. Pure: no I/O, no allocation, errno untouched.
 */
#ifndef PIDONE_ESCAPE_H
#define PIDONE_ESCAPE_H

#include <stddef.h>

/*
 * Length of the well-formed UTF-8 sequence at @s (1 for ASCII, up to 4),
 * with @len bytes readable, or 0 when there is none: RFC 3629 section 4,
 * so no overlongs, no UTF-16 surrogates, nothing above U+10FFFF. Then, if
 * @ret_bad is not NULL, *@ret_bad is the length of the maximal invalid
 * subpart (at least 1), which escape() replaces by one U+FFFD as Unicode
 * recommends.
 */
size_t utf8_valid_len(const unsigned char *s, size_t len, size_t *ret_bad);

enum escape_mode {
	ESC_JSON, /* inside a JSON string: quote, backslash, controls */
	ESC_TEXT, /* bare text: only controls, so the line stays one line */
};

/*
 * Escape @len bytes of @src into @dst (@dstlen bytes, NUL-terminated when
 * @dstlen > 0): controls and DEL as \n, \t... or \u00XX, invalid UTF-8 as
 * U+FFFD, and in ESC_JSON the quote and the backslash. An escape or a
 * character is never split. Returns how many bytes of @src were consumed
 * (< @len when @dst was too small); *@ret_written (if not NULL) gets the
 * bytes written, the NUL excluded.
 */
size_t escape(char *dst, size_t dstlen, const char *src, size_t len,
	      enum escape_mode mode, size_t *ret_written);

#endif
