/* SPDX-License-Identifier: MIT */
/*
 * textbuf.h - a bounded text being built piece by piece in a caller's
 * buffer. Pure: no I/O, no allocation.
 *
 * Once a piece does not fit, the text is cut at the buffer's end (always
 * NUL-terminated), `truncated` is set and every later piece is skipped,
 * so a caller that needs all or nothing checks `truncated` at the end.
 */
#ifndef PIDONE_TEXTBUF_H
#define PIDONE_TEXTBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *buf;
	size_t size; /* of buf, the NUL included */
	size_t len; /* of the text so far */
	bool truncated;
};

/* Start an empty text in @buf of @size bytes (@size > 0). */
void textbuf_init(struct textbuf *t, char *buf, size_t size);

/*
 * Append printf-style. pidone's own printf, for the conversions its
 * formats use: flags '-' and '0', width and precision (digits or '*'),
 * lengths l, ll and z, and d, u, x, o, c, s and %%; anything else shows
 * as "%?" (the unit tests hold every conversion pidone's sources use).
 */
void textbuf_printf(struct textbuf *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void textbuf_vprintf(struct textbuf *t, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * snprintf with the conversions above, into @buf of @size bytes (NUL-
 * terminated unless @size is 0, which writes nothing). Returns the text's
 * length, or @size when it was cut (where C's returns the length it would
 * have had): either way, a result >= @size means cut.
 */
int textbuf_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int textbuf_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * Append @s, or @v in @base (10 or 16, lower case) with at least @width
 * digits, zero-padded. For the paths taken at every start, where
 * vsnprintf's cost shows; same cut-and-mark rule as textbuf_printf.
 */
void textbuf_puts(struct textbuf *t, const char *s);
void textbuf_putu(struct textbuf *t, unsigned long long v, unsigned base,
		  unsigned width);

/*
 * One-shot: @buf becomes the formatted text, cut to fit (for messages,
 * where a cut long path is fine). Returns @buf.
 */
const char *textbuf_format(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
