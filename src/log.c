/* SPDX-License-Identifier: MIT */
/*
 * log.c - pidone's own log records (SPEC section 7, STYLE point 15).
 *
 * Every record is built in one stack buffer of LOG_LINE_MAX bytes and
 * leaves with exactly one write(2), so a record on a pipe is atomic and
 * never interleaves with the child's output. The last LOG_TAIL_RESERVE
 * bytes of the buffer are kept back for what closes a record: while
 * building, nothing is appended past the limit, and once something does
 * not fit the line is "full" and takes nothing more. Structural tokens
 * (keys, numbers, separators) go in whole or not at all; string contents
 * may be cut, but only between escapes and UTF-8 sequences. The finish
 * step then closes the open string and array, adds "truncated":true, and
 * ends the line, so a truncated JSON record is still one valid object.
 *
 * No stdio stream is touched: snprintf and vsnprintf only format into
 * memory. The time is converted to UTC by hand because glibc's gmtime_r
 * reads TZ and /etc/localtime the first time it runs.
 *
 * The sink settings below are the only process-wide state in pidone. The
 * log fd is not owned here: it is fd 2 unless log_set_fd() says otherwise.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "banned.h"

/* Room for the worst-case close: "] then ,"truncated":true} and \n. */
#define LOG_TAIL_RESERVE 32
#define LOG_TRUNC_JSON ",\"truncated\":true}"
#define LOG_TRUNC_TEXT " truncated=true"

_Static_assert(LOG_TAIL_RESERVE >= 2 + sizeof(LOG_TRUNC_JSON) - 1 + 1,
	       "tail reserve too small for the JSON close");
_Static_assert(LOG_TAIL_RESERVE >= 2 + sizeof(LOG_TRUNC_TEXT) - 1 + 1,
	       "tail reserve too small for the text close");

static struct {
	enum log_format format;
	enum log_level level;
	int fd;
	uint64_t dropped;
} sink = {
	.format = LOG_FORMAT_JSON,
	.level = LOG_LEVEL_INFO,
	.fd = 2,
	.dropped = 0,
};

/* An array of arrays, not of pointers: it stays in .rodata. */
static const char level_names[LOG_LEVEL_MAX][6] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

enum esc_mode {
	ESC_JSON, /* inside a JSON string: quote, backslash, controls */
	ESC_TEXT, /* bare text: only controls, so the line stays one line */
};

/* One record under construction. */
struct line {
	size_t len;
	bool full; /* something did not fit: append nothing more */
	bool in_str; /* a JSON string is open */
	bool in_arr; /* a JSON array is open */
	char buf[LOG_LINE_MAX];
};

#define LINE_LIMIT (LOG_LINE_MAX - LOG_TAIL_RESERVE)

/*
 * Length of the valid UTF-8 sequence at @s (1 to 4), or 0 when it is not
 * one; then *@ret_bad is the length of its maximal invalid subpart (at
 * least 1), which is replaced by one U+FFFD as Unicode recommends.
 */
static size_t utf8_valid_len(const unsigned char *s, size_t len,
			     size_t *ret_bad)
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
		*ret_bad = 1;
		return 0;
	}
	for (size_t i = 1; i < need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi) {
			*ret_bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

static size_t escape(char *dst, size_t dstlen, const char *src, size_t len,
		     enum esc_mode mode, size_t *ret_written)
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
		unsigned char c = s[in];
		char unit[6];
		const char *p = unit;
		size_t n = 2, used = 1, bad = 1;

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

/* See log.h. */
size_t log_json_escape(char *dst, size_t dstlen, const char *src, size_t len,
		       size_t *ret_written)
{
	int saved = errno;
	size_t consumed = escape(dst, dstlen, src, len, ESC_JSON, ret_written);

	errno = saved;
	return consumed;
}

/* See log.h. */
int log_format_time(const struct timespec *t, char *dst, size_t dstlen)
{
	long long days = t->tv_sec / 86400, sod = t->tv_sec % 86400;
	long long z, era, doe, yoe, doy, mp, year, month, day;
	long ms = 0;
	int saved = errno;

	if (sod < 0) {
		sod += 86400;
		days--;
	}
	if (t->tv_nsec >= 0 && t->tv_nsec < 1000000000L)
		ms = t->tv_nsec / 1000000L;
	/* Howard Hinnant's civil_from_days, for the proleptic Gregorian. */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	day = doy - (153 * mp + 2) / 5 + 1;
	month = mp < 10 ? mp + 3 : mp - 9;
	year = yoe + era * 400 + (month <= 2);
	if (year < 0 || year > 9999)
		return -EOVERFLOW;
	if (dstlen < LOG_TIME_LEN + 1)
		return -ENOSPC;
	snprintf(dst, dstlen,
		 "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03ldZ", year,
		 month, day, sod / 3600, sod / 60 % 60, sod % 60, ms);
	errno = saved;
	return LOG_TIME_LEN;
}

/* Append @n bytes whole, or mark the line full and append nothing. */
static bool put(struct line *l, const char *s, size_t n)
{
	if (l->full || n > LINE_LIMIT - l->len) {
		l->full = true;
		return false;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	return true;
}

static bool put_str(struct line *l, const char *s)
{
	return put(l, s, strlen(s));
}

/* Append as much of @s, escaped, as fits; true if all of it did. */
static bool put_escaped(struct line *l, const char *s, size_t n,
			enum esc_mode mode)
{
	size_t written;

	if (l->full)
		return false;
	/* +1: escape() NUL-terminates, which lands in the tail reserve. */
	if (escape(l->buf + l->len, LINE_LIMIT - l->len + 1, s, n, mode,
		   &written) < n)
		l->full = true;
	l->len += written;
	return !l->full;
}

/*
 * Open a JSON string, copy what fits of @s and close it if all of it fit.
 * False when not even the opening quote fit (nothing was appended).
 */
static bool put_json_string(struct line *l, const char *s, size_t n)
{
	if (!put(l, "\"", 1))
		return false;
	l->in_str = true;
	if (put_escaped(l, s, n, ESC_JSON) && put(l, "\"", 1))
		l->in_str = false;
	return true;
}

/* A JSON array of strings; false when not even '[' fit. */
static bool put_json_strv(struct line *l, char *const *v)
{
	if (!put(l, "[", 1))
		return false;
	l->in_arr = true;
	for (size_t i = 0; v[i]; i++) {
		size_t mark = l->len;

		if (i > 0 && !put(l, ",", 1))
			return true;
		if (!put_json_string(l, v[i], strlen(v[i]))) {
			l->len = mark; /* no dangling comma */
			return true;
		}
		if (l->in_str)
			return true;
	}
	if (put(l, "]", 1))
		l->in_arr = false;
	return true;
}

static bool put_number(struct line *l, long long num)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%lld", num);

	return put(l, tmp, (size_t)n);
}

static void json_field(struct line *l, const struct log_field *f)
{
	size_t mark = l->len;
	bool ok;

	put(l, ",\"", 2);
	put_escaped(l, f->key, strlen(f->key), ESC_JSON);
	put(l, "\":", 2);
	if (l->full) {
		l->len = mark;
		return;
	}
	switch (f->type) {
	case LOG_FIELD_STR:
		ok = f->str ? put_json_string(l, f->str, strlen(f->str)) :
			      put_str(l, "null");
		break;
	case LOG_FIELD_INT:
		ok = put_number(l, f->num);
		break;
	case LOG_FIELD_STRV:
		ok = f->strv ? put_json_strv(l, f->strv) : put_str(l, "null");
		break;
	default:
		ok = put_str(l, "null");
		break;
	}
	if (!ok)
		l->len = mark; /* no key without a value */
}

/* Can @s go bare after "key=" and still be read back unambiguously? */
static bool text_is_bare(const char *s)
{
	if (!*s || !strcmp(s, "null"))
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == 0x7f || c == '"' || c == '=')
			return false;
	}
	return true;
}

static void text_field(struct line *l, const struct log_field *f,
		       bool force_quote)
{
	size_t mark = l->len, value;
	bool ok;

	put(l, " ", 1);
	put_escaped(l, f->key, strlen(f->key), ESC_TEXT);
	put(l, "=", 1);
	if (l->full) {
		l->len = mark;
		return;
	}
	value = l->len;
	switch (f->type) {
	case LOG_FIELD_STR:
		if (!f->str) {
			ok = put_str(l, "null");
		} else if (force_quote || !text_is_bare(f->str)) {
			ok = put_json_string(l, f->str, strlen(f->str));
		} else {
			put_escaped(l, f->str, strlen(f->str), ESC_TEXT);
			ok = l->len > value;
		}
		break;
	case LOG_FIELD_INT:
		ok = put_number(l, f->num);
		break;
	case LOG_FIELD_STRV:
		ok = f->strv ? put_json_strv(l, f->strv) : put_str(l, "null");
		break;
	default:
		ok = put_str(l, "null");
		break;
	}
	if (!ok)
		l->len = mark;
}

/*
 * Close what is open and end the line. The reserve guarantees room, so
 * this writes past LINE_LIMIT on purpose.
 */
static size_t line_finish(struct line *l, enum log_format format)
{
	char *p = l->buf + l->len;
	const char *tail;

	if (l->full) {
		if (l->in_str)
			*p++ = '"';
		if (l->in_arr)
			*p++ = ']';
		tail = format == LOG_FORMAT_JSON ? LOG_TRUNC_JSON :
						   LOG_TRUNC_TEXT;
		memcpy(p, tail, strlen(tail));
		p += strlen(tail);
	} else if (format == LOG_FORMAT_JSON) {
		*p++ = '}';
	}
	*p++ = '\n';
	return (size_t)(p - l->buf);
}

static const char *error_text(int errnum, char *buf, size_t len)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(errnum, buf, len);
#else
	if (strerror_r(errnum, buf, len) != 0)
		snprintf(buf, len, "Unknown error %d", errnum);
	return buf;
#endif
}

/*
 * One write(2). EINTR is retried; any other failure or a short write
 * drops the line (counted), and nothing is ever raised: pidone keeps
 * SIGPIPE blocked, so a closed stderr pipe just returns EPIPE here.
 */
static void sink_write(const char *buf, size_t len)
{
	ssize_t n;

	do {
		n = write(sink.fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len)
		sink.dropped++;
}

static void log_vemit(enum log_level level, int errnum, const char *hint,
		      const struct log_field *fields, size_t n_fields,
		      const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

static void log_vemit(enum log_level level, int errnum, const char *hint,
		      const struct log_field *fields, size_t n_fields,
		      const char *fmt, va_list ap)
{
	struct line l = { .len = 0 };
	char msg[LOG_LINE_MAX], ts[LOG_TIME_LEN + 1], errbuf[128];
	const char *errtext = NULL;
	struct timespec now;
	size_t msg_len = 0;
	int n;

	if (!log_enabled(level))
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n > 0)
		msg_len = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	if (errnum != 0) /* accept -errno too, but never negate INT_MIN */
		errtext = error_text(errnum < 0 && errnum != INT_MIN ? -errnum :
								       errnum,
				     errbuf, sizeof(errbuf));

	if (sink.format == LOG_FORMAT_TEXT) {
		put_str(&l, "pidone: ");
		put_str(&l, level_names[level]);
		put(&l, ": ", 2);
		put_escaped(&l, msg, msg_len, ESC_TEXT);
		if (errtext) {
			put(&l, ": ", 2);
			put_escaped(&l, errtext, strlen(errtext), ESC_TEXT);
		}
		for (size_t i = 0; i < n_fields; i++)
			if (fields[i].key)
				text_field(&l, &fields[i], false);
		if (hint)
			text_field(&l, &LOG_STR("hint", hint), true);
	} else {
		if (clock_gettime(CLOCK_REALTIME, &now) < 0 ||
		    log_format_time(&now, ts, sizeof(ts)) < 0)
			memcpy(ts, "0000-00-00T00:00:00.000Z", sizeof(ts));
		put_str(&l, "{\"ts\":\"");
		put_str(&l, ts);
		put_str(&l, "\",\"level\":\"");
		put_str(&l, level_names[level]);
		put_str(&l, "\",\"msg\":");
		put_json_string(&l, msg, msg_len);
		if (errtext)
			json_field(&l, &LOG_STR("error", errtext));
		if (hint)
			json_field(&l, &LOG_STR("hint", hint));
		for (size_t i = 0; i < n_fields; i++)
			if (fields[i].key)
				json_field(&l, &fields[i]);
	}
	if (n >= (int)sizeof(msg))
		l.full = true; /* the message itself was cut */
	sink_write(l.buf, line_finish(&l, sink.format));
}

/* See log.h. */
void log_setup(enum log_format format, enum log_level level)
{
	if ((unsigned int)format < LOG_FORMAT_MAX)
		sink.format = format;
	if ((unsigned int)level < LOG_LEVEL_MAX)
		sink.level = level;
}

/* See log.h. */
bool log_enabled(enum log_level level)
{
	return (unsigned int)level < LOG_LEVEL_MAX && level <= sink.level;
}

/* See log.h. */
uint64_t log_dropped(void)
{
	return sink.dropped;
}

/* See log.h. */
void log_set_fd(int fd)
{
	sink.fd = fd;
}

/* See log.h. */
void log_emit(enum log_level level, int errnum, const char *hint,
	      const struct log_field *fields, size_t n_fields, const char *fmt,
	      ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(level, errnum, hint, fields, n_fields, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* See log.h: an error record with errno's text and an optional hint. */
void log_error(const char *hint, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, saved, hint, NULL, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* See log.h: an error record without errno's text. */
void log_errorx(const char *hint, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, 0, hint, NULL, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* See log.h: a warning with errno's text. */
void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_WARN, saved, NULL, NULL, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* See log.h: a warning without errno's text. */
void log_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_WARN, 0, NULL, NULL, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* See log.h. */
void log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_INFO, 0, NULL, NULL, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* See log.h. */
void log_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_DEBUG, 0, NULL, NULL, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}
