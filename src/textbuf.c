/* SPDX-License-Identifier: MIT */
/*
 * textbuf.c - bounded text building for reports (`pidone check`), the
 * /metrics body and pidone's own printf; see textbuf.h.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

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

/* @v's digits in @base, ending at @end; returns where they start. */
static char *digits_of(char *end, unsigned long long v, unsigned base)
{
	do {
		*--end = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	return end;
}

static void put_fill(struct textbuf *t, char c, size_t n)
{
	while (n-- > 0 && !t->truncated)
		put(t, &c, 1);
}

/* One conversion: '-' if @minus, @zeros '0's, @n bytes of @s, padded. */
static void put_field(struct textbuf *t, bool left, size_t width, bool minus,
		      size_t zeros, const char *s, size_t n)
{
	size_t len = minus + zeros + n;
	size_t pad = width > len ? width - len : 0;

	if (!left)
		put_fill(t, ' ', pad);
	put(t, "-", minus);
	put_fill(t, '0', zeros);
	put(t, s, n);
	if (left)
		put_fill(t, ' ', pad);
}

void textbuf_putu(struct textbuf *t, unsigned long long v, unsigned base,
		  unsigned width)
{
	char tmp[24];
	const char *p = digits_of(tmp + sizeof(tmp), v, base == 16 ? 16 : 10);
	size_t n = (size_t)(tmp + sizeof(tmp) - p);

	if (width > 64) /* as many digits as it ever wrote */
		width = 64;
	put_field(t, false, 0, false, width > n ? width - n : 0, p, n);
}

static size_t spec_number(const char **fmt)
{
	size_t n = 0;

	while (**fmt >= '0' && **fmt <= '9')
		n = n * 10 + (size_t)(*(*fmt)++ - '0');
	return n;
}

/*
 * printf for the conversions pidone's formats use, and no more: flags
 * '-' and '0', a width and a precision (digits or '*'), the lengths l,
 * ll and z, and d, u, x, o, c, s and %%. musl's vfprintf, which this
 * replaces, was 11 KB of the static binary, a third of it for floating
 * point that pidone never prints. Any other conversion shows as "%?".
 */
void textbuf_vprintf(struct textbuf *t, const char *fmt, va_list ap)
{
	while (*fmt && !t->truncated) {
		const char *pct = fmt + strcspn(fmt, "%");
		bool left = false, zero = false, minus = false;
		size_t width, prec = SIZE_MAX; /* none given */
		size_t n, zeros = 0;
		int longs = 0;
		char tmp[24], conv;
		const char *s = tmp;
		unsigned long long u;

		put(t, fmt, (size_t)(pct - fmt));
		if (!*pct)
			return;
		fmt = pct + 1;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else
				break;
		}
		if (*fmt == '*') {
			int w = va_arg(ap, int);

			fmt++;
			left = left || w < 0;
			width = w < 0 ? 0u - (unsigned)w : (unsigned)w;
		} else {
			width = spec_number(&fmt);
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				int p = va_arg(ap, int);

				fmt++;
				prec = p < 0 ? SIZE_MAX : (size_t)p;
			} else {
				prec = spec_number(&fmt);
			}
		}
		for (; *fmt == 'l' && longs < 2; fmt++)
			longs++;
		if (*fmt == 'z') {
			longs = 3;
			fmt++;
		}
		conv = *fmt;
		if (conv)
			fmt++;
		switch (conv) {
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			put_field(t, left, width, false, 0, s,
				  strnlen(s, prec));
			continue;
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_field(t, left, width, false, 0, tmp, 1);
			continue;
		case 'd': {
			long long v = longs == 3 ? va_arg(ap, ssize_t) :
				      longs == 2 ? va_arg(ap, long long) :
				      longs == 1 ? va_arg(ap, long) :
						   va_arg(ap, int);

			minus = v < 0;
			/* in unsigned arithmetic: -LLONG_MIN does not fit */
			u = minus ? 0ull - (unsigned long long)v :
				    (unsigned long long)v;
			break;
		}
		case 'u':
		case 'x':
		case 'o':
			u = longs == 3 ? va_arg(ap, size_t) :
			    longs == 2 ? va_arg(ap, unsigned long long) :
			    longs == 1 ? va_arg(ap, unsigned long) :
					 va_arg(ap, unsigned);
			break;
		case '%':
			put(t, "%", 1);
			continue;
		default:
			put(t, "%?", 2);
			continue;
		}
		s = digits_of(tmp + sizeof(tmp), u,
			      conv == 'x' ? 16 :
			      conv == 'o' ? 8 :
					    10);
		n = (size_t)(tmp + sizeof(tmp) - s);
		if (prec == 0 && u == 0)
			n = 0; /* as C: no digits for a zero at precision 0 */
		if (prec != SIZE_MAX)
			zeros = prec > n ? prec - n : 0;
		else if (zero && !left && width > minus + n)
			zeros = width - minus - n;
		put_field(t, left, width, minus, zeros, s, n);
	}
}

void textbuf_printf(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	textbuf_vprintf(t, fmt, ap);
	va_end(ap);
}

int textbuf_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct textbuf t;

	if (size == 0)
		return 0; /* no room, not even for the NUL: cut */
	textbuf_init(&t, buf, size);
	textbuf_vprintf(&t, fmt, ap);
	if (t.truncated)
		return size > INT_MAX ? INT_MAX : (int)size;
	return (int)t.len;
}

int textbuf_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = textbuf_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

const char *textbuf_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	textbuf_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}
