/* SPDX-License-Identifier: MIT */
/*
 * textbuf.c - bounded text building for reports (`pidone check`) and the
 * /metrics body; see textbuf.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "textbuf.h"
#include "banned.h"

void textbuf_init(struct textbuf *t, char *buf, size_t size)
{
	t->buf = buf;
	t->size = size;
	t->len = 0;
	t->truncated = false;
	buf[0] = '\0';
}

void textbuf_printf(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->size - t->len) {
		t->truncated = true;
		t->len = t->size - 1;
		t->buf[t->len] = '\0';
		return;
	}
	t->len += (size_t)n;
}

const char *textbuf_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}
