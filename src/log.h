/* SPDX-License-Identifier: MIT */
/*
 * log.h - pidone's own log lines (README, Logs), one per event, on fd 2.
 *
 * Each record is formatted into one bounded stack buffer (at most
 * LOG_LINE_MAX bytes, so a pipe write is atomic) and written with a single
 * write(2). Nothing goes to stdout and no stdio is used. Every function
 * saves and restores errno, so a log call never hides the error it reports.
 *
 * JSON:  {"ts":"2026-11-22T10:00:00.123Z","level":"info","msg":"child started","pid":7,"argv":["python","app.py"]}
 * text:  pidone: info: child started pid=7 argv=["python","app.py"]
 * Errors carry "error" (strerror text) when an errno is given and "hint"
 * when the caller has a fix to suggest.
 */
#ifndef PIDONE_LOG_H
#define PIDONE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LOG_LINE_MAX 4096

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_MAX
};

enum log_format { LOG_FORMAT_JSON, LOG_FORMAT_TEXT, LOG_FORMAT_MAX };

enum log_field_type {
	LOG_FIELD_STR, /* string, JSON-escaped; NULL prints as null */
	LOG_FIELD_INT, /* signed integer */
	LOG_FIELD_STRV, /* NULL-terminated string vector, as a JSON array */
	LOG_FIELD_BOOL, /* true or false */
	LOG_FIELD_MAX
};

struct log_field {
	const char *key;
	enum log_field_type type;
	union {
		const char *str;
		long long num;
		char *const *strv;
	};
};

#define LOG_STR(k, v) \
	((struct log_field){ .key = (k), .type = LOG_FIELD_STR, .str = (v) })
#define LOG_INT(k, v)        \
	((struct log_field){ \
		.key = (k), .type = LOG_FIELD_INT, .num = (long long)(v) })
#define LOG_BOOL(k, v) \
	((struct log_field){ .key = (k), .type = LOG_FIELD_BOOL, .num = !!(v) })
#define LOG_STRV(k, v) \
	((struct log_field){ .key = (k), .type = LOG_FIELD_STRV, .strv = (v) })

/* Expands to "array, count" for log_emit's fields and n_fields. */
#define LOG_FIELDS(...)                                             \
	(const struct log_field[]){ __VA_ARGS__ },                  \
		sizeof((const struct log_field[]){ __VA_ARGS__ }) / \
			sizeof(struct log_field)

/* Choose format and threshold; before this call: JSON, info. */
void log_setup(enum log_format format, enum log_level level);

/* Is a record at @level written at all? (to skip costly formatting) */
bool log_enabled(enum log_level level);

/* Lines that could not be written (full or closed stderr) so far. */
uint64_t log_dropped(void);

/*
 * Send records to @fd instead of fd 2 (tests), with a plain write(2). The
 * fd stays owned by the caller; a negative fd drops every record. Closes
 * the private fd log_open_sink() may have opened.
 */
void log_set_fd(int fd);

/*
 * Make the sink (fd 2, or log_set_fd's) never block pidone, without
 * touching the open file description the child shares (no O_NONBLOCK on
 * fd 2). A pipe or a terminal is reopened through /proc/self/fd/N with
 * O_NONBLOCK and O_CLOEXEC into a private description (an fd >= 3 owned
 * by log.c); if that is refused, every write asks for RWF_NOWAIT instead.
 * A socket gets send(MSG_DONTWAIT | MSG_NOSIGNAL); files a plain write.
 * Call once, after fds 0-2 are sanitized and before the privilege drop.
 * Returns 0, or a negative errno when the pipe could not be reopened and
 * the RWF_NOWAIT fallback is in place (blocking only on kernels older
 * than 6.0), or -EBADF when the fd is closed: then every record is
 * dropped, so that one of pidone's own fds reusing the number later
 * never receives log lines. A record that cannot be written at once is dropped and
 * counted; the next one that can is preceded by one warning
 * "N log lines dropped".
 */
int log_open_sink(void);

/*
 * Try to write what the sink owes: the rest of a record cut short on a
 * socket, then the "N log lines dropped" warning. Returns 0 when nothing
 * is owed any more, -EAGAIN when the fd is still full (try again when
 * log_sink_fd() is writable), or another negative errno when the fd is
 * broken (EPIPE, EBADF...): then stop watching it. Never blocks (but see
 * log_open_sink).
 */
int log_flush(void);

/* The fd records are written to (to watch for writability). */
int log_sink_fd(void);

/*
 * Call @cb(@data) each time the sink goes from owing nothing to owing
 * something because its fd is full (EAGAIN, or a send cut short): the
 * caller then watches log_sink_fd() for writability and calls log_flush()
 * until it returns anything but -EAGAIN. Not called for a broken fd.
 * @cb runs inside a log call: it must not log. NULL turns it off.
 */
void log_set_backlog_cb(void (*cb)(void *data), void *data);

/*
 * The one primitive: a record at @level with message @fmt, the text of
 * @errnum when it is not 0 (a negative -errno is accepted too), the @hint
 * when not NULL, then the fields. A field with a NULL key is skipped; a
 * key is pidone's own word (letters, digits and "_"), written unescaped.
 */
void log_emit(enum log_level level, int errnum, const char *hint,
	      const struct log_field *fields, size_t n_fields, const char *fmt,
	      ...) __attribute__((format(printf, 6, 7)));

/* OpenBSD-shaped shortcuts. log_warn and log_error append errno's text. */
void log_error(const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_errorx(const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Length of the timestamp log_format_time writes: 2026-11-22T10:00:00.123Z */
#define LOG_TIME_LEN 24

/*
 * Pure: format @t as UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" into @dst (NUL
 * terminated). Computed by hand: glibc's gmtime_r reads /etc/localtime on
 * first use. Returns the length, or -ENOSPC if @dstlen is too small or
 * -EOVERFLOW for a year outside 0..9999.
 */
int log_format_time(const struct timespec *t, char *dst, size_t dstlen);

#endif
