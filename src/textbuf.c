/* SPDX-License-Identifier: MIT */
/*
 * textbuf.c - bounded text building for reports (`pidone check`) and the
 * /metrics body; see textbuf.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* Append @n bytes of @s, or as many as fit and mark the text cut. */
static void put(struct textbuf *t, const char *s, size_t n)
{
	size_t room = t->size - 1 - t->len;

	if (t->truncated)
		return;
	if (n > room) {
		n = room;
		t->truncated = true;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

void textbuf_puts(struct textbuf *t, const char *s)
{
	put(t, s, strlen(s));
}

void textbuf_putu(struct textbuf *t, unsigned long long v, unsigned base,
		  unsigned width)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[64];
	char *p = tmp + sizeof(tmp);

	if (base != 16)
		base = 10;
	if (width > sizeof(tmp))
		width = sizeof(tmp);
	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	while ((size_t)(tmp + sizeof(tmp) - p) < width)
		*--p = '0';
	put(t, p, (size_t)(tmp + sizeof(tmp) - p));
}

const char *textbuf_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}
