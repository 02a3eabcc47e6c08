/* SPDX-License-Identifier: MIT */
/*
 * log.c - pidone's own log records (README, Logs): one write(2) each.
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
 * log fd is fd 2 unless log_set_fd() says otherwise, and it is not owned
 * here. What is owned here is at most one fd, sink.own_fd: when fd 2 is a
 * pipe, log_open_sink() reopens it through /proc/self/fd/2 with
 * O_NONBLOCK, which gives pidone a private open file description of the
 * same pipe. O_NONBLOCK is never set on fd 2 itself: the child shares that
 * description, and a flag set there would make the app's own writes fail
 * with EAGAIN. Where the reopen is refused (no /proc, or a pipe owned by
 * another uid), each write asks for RWF_NOWAIT instead (Linux >= 6.0 for
 * pipes); only where neither works does a full pipe block, as before.
 * A terminal is reopened the same way: Ctrl-S stops its output, and a
 * write to it would stop pidone until Ctrl-Q. Sockets get send(MSG_DONTWAIT
 * | MSG_NOSIGNAL). A socket or a terminal may take part of a record: its
 * rest is kept and sent before anything else, so records never interleave.
 * Regular files get a plain write(2).
 *
 * A record that cannot be written is dropped and counted, never waited
 * for: PID 1 must go on reaping. Before the next record that does get
 * through, one warning "N log lines dropped" is written (one write, like
 * every record), and a caller with an event loop can ask to be told when
 * that is pending (log_set_backlog_cb) to write it as soon as the pipe
 * drains (log_flush).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"
#include "settings.h" /* the level names, as --log-level spells them */
#include "textbuf.h"
#include "banned.h"

/* Room for the worst-case close: "] then ,"truncated":true} and \n. */
#define LOG_TAIL_RESERVE 32
#define LOG_TRUNC_JSON ",\"truncated\":true}"
#define LOG_TRUNC_TEXT " truncated=true"

_Static_assert(LOG_TAIL_RESERVE >= 2 + sizeof(LOG_TRUNC_JSON) - 1 + 1,
	       "tail reserve too small for the JSON close");
_Static_assert(LOG_TAIL_RESERVE >= 2 + sizeof(LOG_TRUNC_TEXT) - 1 + 1,
	       "tail reserve too small for the text close");

/* The kernel's value (uapi linux/fs.h), for C libraries that lack it. */
#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

/* How a record leaves: see the file comment. */
enum sink_kind {
	SINK_WRITE, /* write(2): files, pipes reopened, and the last resort */
	SINK_NOWAIT, /* pwritev2(RWF_NOWAIT) on a shared pipe description */
	SINK_SEND, /* send(MSG_DONTWAIT | MSG_NOSIGNAL) on a socket */
	SINK_TTY, /* write(2) on a terminal reopened non-blocking */
	SINK_KIND_MAX
};

static struct {
	enum log_format format;
	enum log_level level;
	int fd; /* where records go: 2, the caller's fd, or own_fd */
	int own_fd; /* the private non-blocking pipe description, or -1 */
	enum sink_kind kind;
	uint64_t dropped; /* records not written, since start */
	uint64_t unreported; /* dropped since the last notice */
	void (*backlog_cb)(void *data);
	void *backlog_data;
	size_t tail_off; /* SEND, TTY: the rest of a record cut short */
	size_t tail_len; /* in sink_tail, below */
	/*
	 * The last time stamp, for records within its second: here, on the
	 * page sink is on, not on one more page a start faults in.
	 */
	time_t time_sec;
	char time_text[LOG_TIME_LEN + 1]; /* "": none yet */
} sink = {
	.format = LOG_FORMAT_JSON,
	.level = LOG_LEVEL_INFO,
	.fd = 2,
	.own_fd = -1,
	.kind = SINK_WRITE,
};

/*
 * Apart from sink, whose initialiser puts it in the file's data: zeroed
 * storage costs the binary no bytes, initialised storage its full size.
 */
static char sink_tail[LOG_LINE_MAX];

/* One record under construction. */
struct line {
	size_t len;
	bool full; /* something did not fit: append nothing more */
	bool in_str; /* a JSON string is open */
	bool in_arr; /* a JSON array is open */
	char buf[LOG_LINE_MAX];
};

#define LINE_LIMIT (LOG_LINE_MAX - LOG_TAIL_RESERVE)

/* @v (>= 0) as exactly @width decimal digits, zero-padded, no NUL. */
static void put_digits(char *dst, long long v, int width)
{
	while (width-- > 0) {
		dst[width] = (char)('0' + v % 10);
		v /= 10;
	}
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
	/*
	 * Digits by hand: this runs for every record, and snprintf made it
	 * a fifth of pidone's start-up instructions.
	 */
	put_digits(dst, year, 4);
	dst[4] = '-';
	put_digits(dst + 5, month, 2);
	dst[7] = '-';
	put_digits(dst + 8, day, 2);
	dst[10] = 'T';
	put_digits(dst + 11, sod / 3600, 2);
	dst[13] = ':';
	put_digits(dst + 14, sod / 60 % 60, 2);
	dst[16] = ':';
	put_digits(dst + 17, sod % 60, 2);
	dst[19] = '.';
	put_digits(dst + 20, ms, 3);
	dst[23] = 'Z';
	dst[24] = '\0';
	errno = saved;
	return LOG_TIME_LEN;
}

/*
 * Now, as log_format_time() writes it. The date and time of day are
 * formatted again only when the second changes: records come in bursts.
 */
static void record_time(char ts[LOG_TIME_LEN + 1])
{
	char *cached = sink.time_text;
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0) {
		memcpy(ts, "0000-00-00T00:00:00.000Z", LOG_TIME_LEN + 1);
		return;
	}
	if (cached[0] == '\0' || now.tv_sec != sink.time_sec) {
		if (log_format_time(&now, cached, sizeof(sink.time_text)) < 0) {
			cached[0] = '\0';
			memcpy(ts, "0000-00-00T00:00:00.000Z",
			       LOG_TIME_LEN + 1);
			return;
		}
		sink.time_sec = now.tv_sec;
	}
	memcpy(ts, cached, sizeof(sink.time_text));
	put_digits(ts + 20, now.tv_nsec / 1000000L, 3);
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

/* A literal's length is known here: records are built of them. */
#define put_lit(l, s) put((l), "" s, sizeof(s) - 1)

/* Append as much of @s, escaped, as fits; true if all of it did. */
static bool put_escaped(struct line *l, const char *s, size_t n,
			enum escape_mode mode)
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
	char *p = tmp + sizeof(tmp);
	/* Negate in unsigned arithmetic: -LLONG_MIN does not fit. */
	unsigned long long u = num < 0 ? 0ull - (unsigned long long)num :
					 (unsigned long long)num;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (num < 0)
		*--p = '-';
	return put(l, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* A value written the same in JSON and text: numbers, booleans, arrays. */
static bool put_value(struct line *l, const struct log_field *f)
{
	switch (f->type) {
	case LOG_FIELD_INT:
		return put_number(l, f->num);
	case LOG_FIELD_BOOL:
		return f->num ? put_lit(l, "true") : put_lit(l, "false");
	case LOG_FIELD_STRV:
		return f->strv ? put_json_strv(l, f->strv) : put_lit(l, "null");
	default:
		return put_lit(l, "null");
	}
}

static void json_field(struct line *l, const struct log_field *f)
{
	size_t mark = l->len;
	bool ok;

	put(l, ",\"", 2);
	put_str(l, f->key);
	put(l, "\":", 2);
	if (l->full) {
		l->len = mark;
		return;
	}
	if (f->type == LOG_FIELD_STR)
		ok = f->str ? put_json_string(l, f->str, strlen(f->str)) :
			      put_lit(l, "null");
	else
		ok = put_value(l, f);
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
	put_str(l, f->key);
	put(l, "=", 1);
	if (l->full) {
		l->len = mark;
		return;
	}
	value = l->len;
	switch (f->type) {
	case LOG_FIELD_STR:
		if (!f->str) {
			ok = put_lit(l, "null");
		} else if (force_quote || !text_is_bare(f->str)) {
			ok = put_json_string(l, f->str, strlen(f->str));
		} else {
			put_escaped(l, f->str, strlen(f->str), ESC_TEXT);
			ok = l->len > value;
		}
		break;
	default:
		ok = put_value(l, f);
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
		textbuf_snprintf(buf, len, "Unknown error %d", errnum);
	return buf;
#endif
}

/* Are %s and %% the only conversions in @fmt? */
static bool only_strings(const char *fmt)
{
	for (const char *p = strchr(fmt, '%'); p; p = strchr(p + 2, '%'))
		if (p[1] != 's' && p[1] != '%')
			return false;
	return true;
}

/*
 * The message of a @fmt that only_strings() accepts, escaped into @l
 * (JSON: a string) piece by piece, with no buffer: the text it stands
 * for, cut after LOG_LINE_MAX - 1 bytes as if formatted into
 * LOG_LINE_MAX. Returns whether it was cut.
 */
static bool put_strings(struct line *l, bool json, const char *fmt, va_list ap)
{
	enum escape_mode mode = json ? ESC_JSON : ESC_TEXT;
	size_t left = LOG_LINE_MAX - 1;
	bool cut = false;

	if (json) {
		if (!put(l, "\"", 1))
			return false;
		l->in_str = true;
	}
	for (const char *p = fmt; *p;) {
		const char *piece = p;
		size_t n;

		if (*p != '%') {
			p = strchrnul(p, '%');
			n = (size_t)(p - piece);
		} else if (p[1] == 's') {
			piece = va_arg(ap, const char *);
			if (!piece)
				piece = "(null)";
			n = strlen(piece);
			p += 2;
		} else { /* "%%" */
			n = 1;
			p += 2;
		}
		if (n > left) {
			n = left;
			cut = true;
		}
		put_escaped(l, piece, n, mode);
		left -= n;
	}
	if (json && put(l, "\"", 1))
		l->in_str = false;
	return cut;
}

/*
 * The message of any other @fmt, escaped into @l. Its own function, so
 * that the 4 KiB it is formatted in is on the stack only for such
 * messages: the records of a start are written from as deep as a start
 * goes, and each page of stack below is a page fault there (and one more
 * after the fork), which `make bench` times. Returns whether it was cut.
 */
static bool put_formatted(struct line *l, bool json, const char *fmt,
			  va_list ap)
	__attribute__((noinline, format(printf, 3, 0)));

static bool put_formatted(struct line *l, bool json, const char *fmt,
			  va_list ap)
{
	char msg[LOG_LINE_MAX];
	int n = textbuf_vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t len = n <= 0		     ? 0 :
		     (size_t)n < sizeof(msg) ? (size_t)n :
					       sizeof(msg) - 1;

	if (json)
		put_json_string(l, msg, len);
	else
		put_escaped(l, msg, len, ESC_TEXT);
	return n >= (int)sizeof(msg);
}

/* Build one record in @l; returns its length (finished, '\n' included). */
static size_t format_record(struct line *l, enum log_level level, int errnum,
			    const char *hint, const struct log_field *fields,
			    size_t n_fields, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));

static size_t format_record(struct line *l, enum log_level level, int errnum,
			    const char *hint, const struct log_field *fields,
			    size_t n_fields, const char *fmt, va_list ap)
{
	char ts[LOG_TIME_LEN + 1], errbuf[128];
	const char *errtext = NULL;
	bool cut;

	l->len = 0; /* not the whole struct: no 4 KiB memset per record */
	l->full = l->in_str = l->in_arr = false;
	if (errnum != 0) /* accept -errno too, but never negate INT_MIN */
		errtext = error_text(errnum < 0 && errnum != INT_MIN ? -errnum :
								       errnum,
				     errbuf, sizeof(errbuf));

	if (sink.format == LOG_FORMAT_TEXT) {
		put_lit(l, "pidone: ");
		put_str(l, settings_value_name(SETTING_LOG_LEVEL, (int)level));
		put(l, ": ", 2);
		cut = only_strings(fmt) ? put_strings(l, false, fmt, ap) :
					  put_formatted(l, false, fmt, ap);
		if (errtext) {
			put(l, ": ", 2);
			put_escaped(l, errtext, strlen(errtext), ESC_TEXT);
		}
		for (size_t i = 0; i < n_fields; i++)
			if (fields[i].key)
				text_field(l, &fields[i], false);
		if (hint)
			text_field(l, &LOG_STR("hint", hint), true);
	} else {
		record_time(ts);
		put_lit(l, "{\"ts\":\"");
		put(l, ts, LOG_TIME_LEN);
		put_lit(l, "\",\"level\":\"");
		put_str(l, settings_value_name(SETTING_LOG_LEVEL, (int)level));
		put_lit(l, "\",\"msg\":");
		cut = only_strings(fmt) ? put_strings(l, true, fmt, ap) :
					  put_formatted(l, true, fmt, ap);
		if (errtext)
			json_field(l, &LOG_STR("error", errtext));
		if (hint)
			json_field(l, &LOG_STR("hint", hint));
		for (size_t i = 0; i < n_fields; i++)
			if (fields[i].key)
				json_field(l, &fields[i]);
	}
	if (cut)
		l->full = true; /* the message itself was cut */
	return line_finish(l, sink.format);
}

/* One record into @l, printf-style (for the drop notice). */
static size_t format_recordf(struct line *l, enum log_level level,
			     const struct log_field *fields, size_t n_fields,
			     const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static size_t format_recordf(struct line *l, enum log_level level,
			     const struct log_field *fields, size_t n_fields,
			     const char *fmt, ...)
{
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = format_record(l, level, 0, NULL, fields, n_fields, fmt, ap);
	va_end(ap);
	return len;
}

/*
 * One attempt at writing @len bytes, without blocking unless the sink
 * could be made no other way (SINK_WRITE on a blocking pipe). EINTR is
 * retried. Returns the bytes written or -errno.
 */
/*
 * write(2) at the current offset that fails with EAGAIN instead of waiting.
 * musl has no pwritev2() wrapper before 1.2.5, so that build calls the
 * syscall itself (offset -1 = the current one, high word 0).
 */
static ssize_t write_nowait(int fd, const char *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

#ifdef HAVE_PWRITEV2
	return pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
#else
	return syscall(SYS_pwritev2, fd, &iov, 1, -1L, 0L, RWF_NOWAIT);
#endif
}

static ssize_t sink_try(const char *buf, size_t len)
{
	ssize_t n;

	for (;;) {
		switch (sink.kind) {
		case SINK_SEND:
			n = send(sink.fd, buf, len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			break;
		case SINK_NOWAIT:
			n = write_nowait(sink.fd, buf, len);
			/* A kernel without RWF_NOWAIT for pipes: blocking. */
			if (n < 0 && (errno == EOPNOTSUPP || errno == ENOSYS ||
				      errno == EINVAL)) {
				sink.kind = SINK_WRITE;
				continue;
			}
			break;
		default:
			n = write(sink.fd, buf, len);
			break;
		}
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

/* Can a write take part of a record (the rest then kept for later)? */
static bool sink_cuts(void)
{
	return sink.kind == SINK_SEND || sink.kind == SINK_TTY;
}

static bool sink_owes(void)
{
	return sink.unreported > 0 || sink.tail_len > 0;
}

/* Keep the unsent rest of a record cut short (a socket, a terminal). */
static void sink_keep_tail(const char *buf, size_t len, size_t sent)
{
	memcpy(sink_tail, buf + sent, len - sent);
	sink.tail_off = 0;
	sink.tail_len = len - sent;
}

static bool is_full(ssize_t n)
{
	return n == -EAGAIN || n == -EWOULDBLOCK;
}

/*
 * Write what is owed before any new record: the rest of a cut record,
 * then the "N log lines dropped" notice. Returns 0 when nothing is owed
 * now, -EAGAIN when the fd is full, or another -errno when it is broken
 * (EPIPE, EBADF, EFBIG...: waiting for it to drain would be pointless).
 */
static int sink_settle(void)
{
	struct line l;
	ssize_t n;
	size_t len;

	if (sink.tail_len > 0) {
		n = sink_try(sink_tail + sink.tail_off, sink.tail_len);
		if (n < 0 && !is_full(n)) {
			/* The socket is broken: the cut record is lost. */
			sink.tail_len = 0;
			sink.dropped++;
			sink.unreported++;
		}
		if (n < 0)
			return (int)n;
		sink.tail_off += (size_t)n;
		sink.tail_len -= (size_t)n;
		if (sink.tail_len > 0)
			return -EAGAIN;
	}
	if (sink.unreported == 0)
		return 0;
	if (!log_enabled(LOG_LEVEL_WARN)) {
		sink.unreported = 0;
		return 0;
	}
	len = format_recordf(&l, LOG_LEVEL_WARN,
			     LOG_FIELDS(LOG_INT("dropped", sink.unreported),
					LOG_INT("dropped_total", sink.dropped)),
			     "%llu log lines dropped",
			     (unsigned long long)sink.unreported);
	n = sink_try(l.buf, len);
	if (n < 0)
		return (int)n;
	sink.unreported = 0;
	if ((size_t)n == len)
		return 0;
	if (sink_cuts()) {
		sink_keep_tail(l.buf, len, (size_t)n);
		return -EAGAIN;
	}
	/* A file cut it short (EFBIG, ENOSPC): count the notice as lost. */
	sink.unreported++;
	return -EIO;
}

/*
 * Write one finished record, or drop and count it. Never waits for the
 * reader: a full pipe or socket drops the record (see the file comment).
 * The backlog callback runs when the sink starts owing because the fd
 * is full, the one case where waiting for writability helps.
 */
static void sink_write(const char *buf, size_t len)
{
	bool owed = sink_owes();
	ssize_t n;

	n = sink_settle();
	if (n == 0)
		n = sink_try(buf, len);
	if (n < 0) {
		sink.dropped++;
		sink.unreported++;
	} else if ((size_t)n < len) {
		if (sink_cuts()) {
			sink_keep_tail(buf, len, (size_t)n);
			n = -EAGAIN;
		} else {
			sink.dropped++;
			sink.unreported++;
		}
	}
	if (!owed && is_full(n) && sink_owes() && sink.backlog_cb)
		sink.backlog_cb(sink.backlog_data);
}

static void log_vemit(enum log_level level, int errnum, const char *hint,
		      const struct log_field *fields, size_t n_fields,
		      const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

static void log_vemit(enum log_level level, int errnum, const char *hint,
		      const struct log_field *fields, size_t n_fields,
		      const char *fmt, va_list ap)
{
	struct line l;
	size_t len;

	if (!log_enabled(level))
		return;
	len = format_record(&l, level, errnum, hint, fields, n_fields, fmt, ap);
	sink_write(l.buf, len);
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

static void sink_close_own(void)
{
	if (sink.own_fd >= 0) {
		(void)close(sink.own_fd);
		sink.own_fd = -1;
	}
}

/* See log.h. */
void log_set_fd(int fd)
{
	int saved = errno;

	sink_close_own();
	sink.fd = fd;
	sink.kind = SINK_WRITE;
	sink.tail_len = 0;
	errno = saved;
}

/* See log.h. */
int log_open_sink(void)
{
	char path[32];
	struct textbuf t;
	struct stat st;
	int saved = errno, fd, r = 0;
	bool tty;

	sink_close_own();
	sink.kind = SINK_WRITE;
	sink.tail_len = 0;
	if (sink.fd < 0 || fstat(sink.fd, &st) < 0) {
		r = sink.fd < 0 ? -EBADF : -errno;
		/*
		 * A closed stderr that could not be pointed at /dev/null: its
		 * number will be reused by one of pidone's own fds (epoll,
		 * signalfd, a socket), which must never receive log lines.
		 */
		if (r == -EBADF)
			sink.fd = -1;
		goto out;
	}
	if (S_ISSOCK(st.st_mode)) {
		sink.kind = SINK_SEND;
		goto out;
	}
	tty = !S_ISFIFO(st.st_mode) && isatty(sink.fd);
	if (!S_ISFIFO(st.st_mode) && !tty)
		goto out; /* a file: write(2) */

	textbuf_init(&t, path, sizeof(path));
	textbuf_puts(&t, "/proc/self/fd/");
	textbuf_putu(&t, (unsigned)sink.fd, 10, 0);
	fd = openat(AT_FDCWD, path,
		    O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		/* No /proc, another uid's pipe, or a reader gone (ENXIO). */
		r = -errno;
		sink.kind = SINK_NOWAIT;
		goto out;
	}
	if (fd <= 2) {
		/* Never sit on a standard fd (they are open at start-up). */
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		r = high < 0 ? -errno : 0;
		(void)close(fd);
		if (high < 0) {
			sink.kind = SINK_NOWAIT;
			goto out;
		}
		fd = high;
	}
	sink.own_fd = fd;
	sink.fd = fd;
	if (tty)
		sink.kind = SINK_TTY;
out:
	errno = saved;
	return r;
}

/* See log.h. */
int log_flush(void)
{
	int saved = errno;
	int r = sink_settle();

	errno = saved;
	return r;
}

/* See log.h. */
int log_sink_fd(void)
{
	return sink.fd;
}

/* See log.h. */
void log_set_backlog_cb(void (*cb)(void *data), void *data)
{
	sink.backlog_cb = cb;
	sink.backlog_data = data;
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
