/* SPDX-License-Identifier: MIT */
/*
 * test_log.c - the log module: exact bytes of records in both formats, the
 * level threshold, safe truncation (still one valid JSON object / one
 * line), one write(2) per record, errno preservation, dropped lines, the
 * non-blocking sink (a private O_NONBLOCK description of a pipe, send on a
 * socket, RWF_NOWAIT when the reopen is refused) with its "N log lines
 * dropped" notice, the pure JSON escaper and the hand-made UTC timestamp.
 *
 * Records are read from a packet-mode pipe (O_DIRECT): each read(2)
 * returns exactly what one write(2) put in, so "one record, one write" is
 * checked directly. Criterion runs every test in its own process, so the
 * log sink settings start fresh in each.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "escape.h"
#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Helpers: the sink pipe                                              */
/* ------------------------------------------------------------------ */

struct sink {
	int rd;
	int wr;
};

/* A packet-mode pipe; the log writes to its write end. */
static struct sink sink_open(void)
{
	int fds[2];
	struct sink s;

	cr_assert_eq(pipe2(fds, O_CLOEXEC | O_DIRECT), 0, "pipe2: %s",
		     strerror(errno));
	cr_assert_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	s.rd = fds[0];
	s.wr = fds[1];
	log_set_fd(s.wr);
	return s;
}

static void sink_close(struct sink *s)
{
	if (s->rd >= 0)
		close(s->rd);
	if (s->wr >= 0)
		close(s->wr);
	s->rd = s->wr = -1;
}

/*
 * Read exactly one record (one write) into @buf, NUL-terminated, and
 * check that no second write followed it.
 */
static size_t sink_read(struct sink *s, char *buf, size_t size)
{
	char extra[16];
	ssize_t n = read(s->rd, buf, size - 1);

	cr_assert_gt(n, 0, "no record was written (%s)",
		     n < 0 ? strerror(errno) : "EOF");
	buf[n] = '\0';
	cr_assert_eq(read(s->rd, extra, sizeof(extra)), -1,
		     "more than one write for one record");
	cr_assert_eq(errno, EAGAIN);
	return (size_t)n;
}

/* Nothing at all was written. */
static void sink_expect_empty(struct sink *s)
{
	char buf[16];

	cr_assert_eq(read(s->rd, buf, sizeof(buf)), -1,
		     "a record was written but should not have been");
	cr_assert_eq(errno, EAGAIN);
}

/* ------------------------------------------------------------------ */
/* Helpers: independent validators                                     */
/* ------------------------------------------------------------------ */

/* Strict UTF-8 check written from the code-point side (not log.c's). */
static bool utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned int cp, min;
		size_t n;

		if (s[i] < 0x80) {
			i++;
			continue;
		} else if ((s[i] & 0xe0) == 0xc0) {
			n = 2, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 3, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 4, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

/* A small strict JSON (RFC 8259) recogniser: returns the end or NULL. */
static const char *js_value(const char *p, const char *end, int depth);

static const char *js_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *js_string(const char *p, const char *end)
{
	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end) {
		unsigned char c = (unsigned char)*p++;

		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		if (p >= end)
			return NULL;
		c = (unsigned char)*p++;
		if (c == 'u') {
			for (int k = 0; k < 4; k++, p++)
				if (p >= end ||
				    !strchr("0123456789abcdefABCDEF", *p) ||
				    !*p)
					return NULL;
		} else if (!strchr("\"\\/bfnrt", c) || !c) {
			return NULL;
		}
	}
	return NULL;
}

static const char *js_digits(const char *p, const char *end)
{
	const char *start = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > start ? p : NULL;
}

static const char *js_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (!(p = js_digits(p, end)))
		return NULL;
	if (p < end && *p == '.' && !(p = js_digits(p + 1, end)))
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!(p = js_digits(p, end)))
			return NULL;
	}
	return p;
}

static const char *js_seq(const char *p, const char *end, char close,
			  bool members, int depth)
{
	p = js_ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (members) {
			if (!(p = js_string(js_ws(p, end), end)))
				return NULL;
			p = js_ws(p, end);
			if (p >= end || *p++ != ':')
				return NULL;
		}
		if (!(p = js_value(p, end, depth + 1)))
			return NULL;
		p = js_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == close)
			return p + 1;
		return NULL;
	}
}

static const char *js_value(const char *p, const char *end, int depth)
{
	if (depth > 32)
		return NULL;
	p = js_ws(p, end);
	if (p >= end)
		return NULL;
	switch (*p) {
	case '{':
		return js_seq(p, end, '}', true, depth);
	case '[':
		return js_seq(p, end, ']', false, depth);
	case '"':
		return js_string(p, end);
	case 't':
		return end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f':
		return end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n':
		return end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	default:
		return js_number(p, end);
	}
}

static size_t count_char(const char *s, size_t len, char c)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

/* One JSON object, then exactly one '\n', valid UTF-8, bounded. */
static void assert_json_record(const char *rec, size_t len)
{
	const char *end;

	cr_assert_leq(len, LOG_LINE_MAX);
	cr_assert_geq(len, 2);
	cr_assert_eq(rec[0], '{', "record does not start with {: %s", rec);
	cr_assert_eq(rec[len - 1], '\n');
	cr_assert_eq(count_char(rec, len, '\n'), 1, "not one line: %s", rec);
	cr_assert(utf8_ok((const unsigned char *)rec, len),
		  "record is not valid UTF-8");
	end = js_value(rec, rec + len - 1, 0);
	cr_assert_not_null(end, "record is not valid JSON: %s", rec);
	cr_assert_eq(end, rec + len - 1, "junk after the JSON object: %s", end);
}

/* One text line: no control bytes but the final '\n', valid UTF-8. */
static void assert_text_record(const char *rec, size_t len)
{
	cr_assert_leq(len, LOG_LINE_MAX);
	cr_assert_eq(strncmp(rec, "pidone: ", 8), 0, "bad prefix: %s", rec);
	cr_assert_eq(rec[len - 1], '\n');
	for (size_t i = 0; i + 1 < len; i++)
		cr_assert((unsigned char)rec[i] >= 0x20 && rec[i] != 0x7f,
			  "control byte 0x%02x at %zu", (unsigned char)rec[i],
			  i);
	cr_assert(utf8_ok((const unsigned char *)rec, len),
		  "record is not valid UTF-8");
}

/* 2026-11-22T10:00:00.123Z, character classes only. */
static bool ts_shape_ok(const char *ts)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') :
				      ts[i] != shape[i])
			return false;
	}
	return true;
}

/*
 * Check the {"ts":"...", prefix of a JSON record and return what follows
 * the timestamp's closing quote (starting with ,"level").
 */
static const char *json_after_ts(const char *rec)
{
	static const char head[] = "{\"ts\":\"";

	cr_assert_eq(strncmp(rec, head, sizeof(head) - 1), 0, "no ts first: %s",
		     rec);
	rec += sizeof(head) - 1;
	cr_assert(ts_shape_ok(rec), "bad ts: %.30s", rec);
	cr_assert_eq(rec[LOG_TIME_LEN], '"');
	return rec + LOG_TIME_LEN + 1;
}

/* ------------------------------------------------------------------ */
/* Exact records, both formats                                         */
/* ------------------------------------------------------------------ */

static char *argv_app[] = { "python", "app.py", NULL };
static char *argv_empty[] = { NULL };
static char *argv_odd[] = { "say \"hi\"", "tab\there", "h\xc3\xa9", NULL };

struct record_row {
	const char *name;
	enum log_level level;
	int errnum;
	const char *hint;
	const struct log_field *fields;
	size_t n_fields;
	const char *msg;
	const char *json; /* after the ts: ,"level":... */
	const char *text;
};

static const struct log_field f_spec[] = { LOG_INT("pid", 7),
					   LOG_STRV("argv", argv_app) };
static const struct log_field f_path[] = { LOG_STR("path", "/data") };
static const struct log_field f_null[] = { LOG_STR("user", NULL),
					   LOG_STRV("argv", NULL) };
static const struct log_field f_ints[] = { LOG_INT("a", -1),
					   LOG_INT("b", LLONG_MIN),
					   LOG_INT("c", LLONG_MAX),
					   LOG_INT("d", 0) };
static const struct log_field f_bools[] = { LOG_BOOL("core_dumped", 0),
					    LOG_BOOL("yes", 42) };
static const struct log_field f_quote[] = {
	LOG_STR("sp", "a b"),		LOG_STR("eq", "a=b"),
	LOG_STR("q", "say \"hi\""),	LOG_STR("tab", "a\tb"),
	LOG_STR("empty", ""),		LOG_STR("word", "null"),
	LOG_STR("utf", "h\xc3\xa9llo"), LOG_STR("bs", "C:\\x"),
	LOG_STR("del", "a\x7f"),
};
static const struct log_field f_strv[] = { LOG_STRV("none", argv_empty),
					   LOG_STRV("odd", argv_odd) };
static const struct log_field f_nullkey[] = {
	{ .key = NULL, .type = LOG_FIELD_INT, .num = 1 },
	LOG_INT("kept", 2),
};
static const struct log_field f_badtype[] = {
	{ .key = "weird", .type = LOG_FIELD_MAX, .num = 1 },
};

static const struct record_row record_rows[] = {
	{ "plain", LOG_LEVEL_INFO, 0, NULL, NULL, 0, "child started",
	  ",\"level\":\"info\",\"msg\":\"child started\"}\n",
	  "pidone: info: child started\n" },
	{ "spec example", LOG_LEVEL_INFO, 0, NULL, f_spec, 2, "child started",
	  ",\"level\":\"info\",\"msg\":\"child started\",\"pid\":7,"
	  "\"argv\":[\"python\",\"app.py\"]}\n",
	  "pidone: info: child started pid=7 argv=[\"python\",\"app.py\"]\n" },
	{ "errno", LOG_LEVEL_ERROR, ENOENT, NULL, NULL, 0, "open /etc/x",
	  ",\"level\":\"error\",\"msg\":\"open /etc/x\","
	  "\"error\":\"No such file or directory\"}\n",
	  "pidone: error: open /etc/x: No such file or directory\n" },
	{ "negative errno", LOG_LEVEL_WARN, -EACCES, NULL, NULL, 0, "x",
	  ",\"level\":\"warn\",\"msg\":\"x\","
	  "\"error\":\"Permission denied\"}\n",
	  "pidone: warn: x: Permission denied\n" },
	{ "errno hint field", LOG_LEVEL_ERROR, EACCES, "chown the dir", f_path,
	  1, "cannot write",
	  ",\"level\":\"error\",\"msg\":\"cannot write\","
	  "\"error\":\"Permission denied\",\"hint\":\"chown the dir\","
	  "\"path\":\"/data\"}\n",
	  "pidone: error: cannot write: Permission denied path=/data "
	  "hint=\"chown the dir\"\n" },
	{ "hint only", LOG_LEVEL_ERROR, 0, "set PIDONE_USER", NULL, 0,
	  "no user",
	  ",\"level\":\"error\",\"msg\":\"no user\","
	  "\"hint\":\"set PIDONE_USER\"}\n",
	  "pidone: error: no user hint=\"set PIDONE_USER\"\n" },
	{ "hint with quotes", LOG_LEVEL_WARN, 0, "use \"x\"", NULL, 0, "m",
	  ",\"level\":\"warn\",\"msg\":\"m\",\"hint\":\"use \\\"x\\\"\"}\n",
	  "pidone: warn: m hint=\"use \\\"x\\\"\"\n" },
	{ "null fields", LOG_LEVEL_INFO, 0, NULL, f_null, 2, "m",
	  ",\"level\":\"info\",\"msg\":\"m\",\"user\":null,\"argv\":null}\n",
	  "pidone: info: m user=null argv=null\n" },
	{ "integers", LOG_LEVEL_INFO, 0, NULL, f_ints, 4, "m",
	  ",\"level\":\"info\",\"msg\":\"m\",\"a\":-1,"
	  "\"b\":-9223372036854775808,\"c\":9223372036854775807,\"d\":0}\n",
	  "pidone: info: m a=-1 b=-9223372036854775808 "
	  "c=9223372036854775807 d=0\n" },
	{ "booleans", LOG_LEVEL_INFO, 0, NULL, f_bools, 2, "m",
	  ",\"level\":\"info\",\"msg\":\"m\",\"core_dumped\":false,"
	  "\"yes\":true}\n",
	  "pidone: info: m core_dumped=false yes=true\n" },
	{ "text quoting", LOG_LEVEL_INFO, 0, NULL, f_quote, ARRAY_SIZE(f_quote),
	  "m",
	  ",\"level\":\"info\",\"msg\":\"m\",\"sp\":\"a b\",\"eq\":\"a=b\","
	  "\"q\":\"say \\\"hi\\\"\",\"tab\":\"a\\tb\",\"empty\":\"\","
	  "\"word\":\"null\",\"utf\":\"h\xc3\xa9llo\",\"bs\":\"C:\\\\x\","
	  "\"del\":\"a\\u007f\"}\n",
	  "pidone: info: m sp=\"a b\" eq=\"a=b\" q=\"say \\\"hi\\\"\" "
	  "tab=\"a\\tb\" empty=\"\" word=\"null\" utf=h\xc3\xa9llo bs=C:\\x "
	  "del=\"a\\u007f\"\n" },
	{ "string vectors", LOG_LEVEL_INFO, 0, NULL, f_strv, 2, "m",
	  ",\"level\":\"info\",\"msg\":\"m\",\"none\":[],"
	  "\"odd\":[\"say \\\"hi\\\"\",\"tab\\there\",\"h\xc3\xa9\"]}\n",
	  "pidone: info: m none=[] "
	  "odd=[\"say \\\"hi\\\"\",\"tab\\there\",\"h\xc3\xa9\"]\n" },
	{ "msg escapes", LOG_LEVEL_WARN, 0, NULL, NULL, 0,
	  "line1\nline2 \"q\" \\ \x1b[0m",
	  ",\"level\":\"warn\",\"msg\":\"line1\\nline2 \\\"q\\\" \\\\ "
	  "\\u001b[0m\"}\n",
	  "pidone: warn: line1\\nline2 \"q\" \\ \\u001b[0m\n" },
	{ "invalid utf8 in msg", LOG_LEVEL_INFO, 0, NULL, NULL, 0,
	  "bad \xff byte",
	  ",\"level\":\"info\",\"msg\":\"bad \xef\xbf\xbd byte\"}\n",
	  "pidone: info: bad \xef\xbf\xbd byte\n" },
	{ "null key skipped", LOG_LEVEL_INFO, 0, NULL, f_nullkey, 2, "m",
	  ",\"level\":\"info\",\"msg\":\"m\",\"kept\":2}\n",
	  "pidone: info: m kept=2\n" },
	{ "unknown field type", LOG_LEVEL_INFO, 0, NULL, f_badtype, 1, "m",
	  ",\"level\":\"info\",\"msg\":\"m\",\"weird\":null}\n",
	  "pidone: info: m weird=null\n" },
	{ "debug level name", LOG_LEVEL_DEBUG, 0, NULL, NULL, 0, "d",
	  ",\"level\":\"debug\",\"msg\":\"d\"}\n", "pidone: debug: d\n" },
};

static void emit_row(const struct record_row *r)
{
	log_emit(r->level, r->errnum, r->hint, r->fields, r->n_fields, "%s",
		 r->msg);
}

Test(log_record, json_exact_bytes)
{
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];

	log_setup(LOG_FORMAT_JSON, LOG_LEVEL_DEBUG);
	for (size_t i = 0; i < ARRAY_SIZE(record_rows); i++) {
		const struct record_row *r = &record_rows[i];
		size_t len;

		emit_row(r);
		len = sink_read(&s, buf, sizeof(buf));
		assert_json_record(buf, len);
		cr_assert_str_eq(json_after_ts(buf), r->json, "row '%s'",
				 r->name);
	}
	sink_close(&s);
}

Test(log_record, text_exact_bytes)
{
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];

	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	for (size_t i = 0; i < ARRAY_SIZE(record_rows); i++) {
		const struct record_row *r = &record_rows[i];
		size_t len;

		emit_row(r);
		len = sink_read(&s, buf, sizeof(buf));
		assert_text_record(buf, len);
		cr_assert_str_eq(buf, r->text, "row '%s'", r->name);
	}
	sink_close(&s);
}

Test(log_record, fields_macro_and_format_args)
{
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];

	log_emit(LOG_LEVEL_INFO, 0, NULL,
		 LOG_FIELDS(LOG_INT("pid", 7), LOG_STRV("argv", argv_app)),
		 "child %s (%d)", "started", 42);
	sink_read(&s, buf, sizeof(buf));
	cr_assert_str_eq(json_after_ts(buf),
			 ",\"level\":\"info\",\"msg\":\"child started (42)\","
			 "\"pid\":7,\"argv\":[\"python\",\"app.py\"]}\n");
	sink_close(&s);
}

/* Messages that take only strings skip vsnprintf: same text. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
Test(log_record, string_only_formats_match_printf)
{
	static const char *const fmts[] = {
		"plain", "%s",	  "a %s b %% c %s!", "%%s is literal %s",
		"%s%s",	 "100%%",
	};
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16], want[256], expect[512];

	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		/* cppcheck-suppress wrongPrintfScanfArgNum */
		snprintf(want, sizeof(want), fmts[i], "x\"", "yz");
		log_info(fmts[i], "x\"", "yz");
		sink_read(&s, buf, sizeof(buf));
		escape(expect, sizeof(expect), want, strlen(want), ESC_JSON,
		       NULL);
		cr_assert(strstr(buf, expect), "%s: %s", fmts[i], buf);
		cr_assert(strstr(buf, "\"msg\":\""), "%s", buf);
	}
	sink_close(&s);
}
#pragma GCC diagnostic pop

Test(log_record, odd_errnum_values)
{
	static const struct {
		int errnum;
		const char *want;
	} rows[] = {
		{ 99999, "pidone: warn: m: Unknown error 99999\n" },
		{ INT_MIN, "pidone: warn: m: Unknown error -2147483648\n" },
		{ -EINTR, "pidone: warn: m: Interrupted system call\n" },
	};
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];

	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		log_emit(LOG_LEVEL_WARN, rows[i].errnum, NULL, NULL, 0, "m");
		sink_read(&s, buf, sizeof(buf));
		cr_assert_str_eq(buf, rows[i].want);
	}
	sink_close(&s);
}

/* ------------------------------------------------------------------ */
/* The OpenBSD-shaped shortcuts                                        */
/* ------------------------------------------------------------------ */

Test(log_shortcuts, errno_text_only_where_promised)
{
	static const struct {
		const char *name;
		const char *text;
	} want[] = {
		{ "log_error", "pidone: error: e1: Operation not permitted "
			       "hint=\"h1\"\n" },
		{ "log_errorx", "pidone: error: e2 hint=\"h2\"\n" },
		{ "log_errorx no hint", "pidone: error: e3\n" },
		{ "log_warn", "pidone: warn: w1: Operation not permitted\n" },
		{ "log_warnx", "pidone: warn: w2\n" },
		{ "log_info", "pidone: info: i1 7\n" },
		{ "log_debug", "pidone: debug: d1\n" },
	};
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];

	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		errno = EPERM;
		switch (i) {
		case 0:
			log_error("h1", "e%d", 1);
			break;
		case 1:
			log_errorx("h2", "e%d", 2);
			break;
		case 2:
			log_errorx(NULL, "e%d", 3);
			break;
		case 3:
			log_warn("w%d", 1);
			break;
		case 4:
			log_warnx("w%d", 2);
			break;
		case 5:
			log_info("i1 %d", 7);
			break;
		default:
			log_debug("d%d", 1);
			break;
		}
		cr_assert_eq(errno, EPERM, "%s changed errno", want[i].name);
		sink_read(&s, buf, sizeof(buf));
		cr_assert_str_eq(buf, want[i].text, "%s", want[i].name);
	}
	sink_close(&s);
}

Test(log_shortcuts, errno_zero_adds_no_error)
{
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];

	errno = 0;
	log_warn("quiet");
	sink_read(&s, buf, sizeof(buf));
	cr_assert_str_eq(json_after_ts(buf),
			 ",\"level\":\"warn\",\"msg\":\"quiet\"}\n");
	sink_close(&s);
}

/* ------------------------------------------------------------------ */
/* Levels                                                              */
/* ------------------------------------------------------------------ */

Test(log_level, defaults_json_info)
{
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];

	cr_assert(log_enabled(LOG_LEVEL_ERROR));
	cr_assert(log_enabled(LOG_LEVEL_WARN));
	cr_assert(log_enabled(LOG_LEVEL_INFO));
	cr_assert_not(log_enabled(LOG_LEVEL_DEBUG), "debug on by default");
	cr_assert_not(log_enabled(LOG_LEVEL_MAX));
	cr_assert_not(log_enabled((enum log_level) - 1));

	log_debug("hidden");
	log_emit(LOG_LEVEL_DEBUG, 0, NULL, NULL, 0, "hidden too");
	sink_expect_empty(&s);
	log_info("shown");
	sink_read(&s, buf, sizeof(buf));
	cr_assert_eq(buf[0], '{', "default format is not JSON");
	sink_close(&s);
}

Test(log_level, threshold_table)
{
	static const struct {
		enum log_level threshold;
		bool on[LOG_LEVEL_MAX];
	} rows[] = {
		{ LOG_LEVEL_ERROR, { true, false, false, false } },
		{ LOG_LEVEL_WARN, { true, true, false, false } },
		{ LOG_LEVEL_INFO, { true, true, true, false } },
		{ LOG_LEVEL_DEBUG, { true, true, true, true } },
	};
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		log_setup(LOG_FORMAT_TEXT, rows[i].threshold);
		for (int lv = 0; lv < LOG_LEVEL_MAX; lv++) {
			cr_assert_eq(log_enabled(lv), rows[i].on[lv],
				     "threshold %zu level %d", i, lv);
			log_emit(lv, 0, NULL, NULL, 0, "x");
			if (rows[i].on[lv])
				sink_read(&s, buf, sizeof(buf));
			else
				sink_expect_empty(&s);
		}
	}
	sink_close(&s);
}

Test(log_level, setup_ignores_out_of_range)
{
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	log_setup(LOG_FORMAT_MAX, LOG_LEVEL_MAX);
	log_setup((enum log_format) - 1, (enum log_level) - 1);
	cr_assert(log_enabled(LOG_LEVEL_WARN));
	cr_assert_not(log_enabled(LOG_LEVEL_INFO));

	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];

	log_warnx("still text");
	sink_read(&s, buf, sizeof(buf));
	cr_assert_str_eq(buf, "pidone: warn: still text\n");
	sink_close(&s);
}

Test(log_level, disabled_records_are_not_written_at_all)
{
	uint64_t before;

	log_set_fd(-1); /* every write would fail and count as dropped */
	before = log_dropped();
	log_debug("off");
	log_emit(LOG_LEVEL_DEBUG, EIO, "h", NULL, 0, "off");
	cr_assert_eq(log_dropped(), before, "a disabled record was written");
	log_info("on");
	cr_assert_eq(log_dropped(), before + 1);
}

/* ------------------------------------------------------------------ */
/* Timestamps                                                          */
/* ------------------------------------------------------------------ */

Test(log_time, record_ts_is_now_in_utc)
{
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];
	struct timespec t0, t1;
	struct tm tm = { 0 };
	const char *ts;
	time_t got;

	cr_assert_eq(clock_gettime(CLOCK_REALTIME, &t0), 0);
	log_info("tick");
	cr_assert_eq(clock_gettime(CLOCK_REALTIME, &t1), 0);
	sink_read(&s, buf, sizeof(buf));
	json_after_ts(buf);
	ts = buf + strlen("{\"ts\":\"");
	cr_assert_not_null(strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm));
	got = timegm(&tm);
	cr_assert(got >= t0.tv_sec && got <= t1.tv_sec,
		  "ts %.24s not between %lld and %lld", ts,
		  (long long)t0.tv_sec, (long long)t1.tv_sec);
	sink_close(&s);
}

Test(log_time, exact_values)
{
	static const struct {
		long long sec;
		long nsec;
		const char *want;
	} rows[] = {
		{ 0, 0, "1970-01-01T00:00:00.000Z" },
		{ 1795341600, 123456789, "2026-11-22T10:00:00.123Z" },
		{ 951827696, 999999999, "2000-02-29T12:34:56.999Z" },
		{ 951868799, 1000000, "2000-02-29T23:59:59.001Z" },
		{ 4107542400, 0, "2100-03-01T00:00:00.000Z" },
		{ -1, 999000000, "1969-12-31T23:59:59.999Z" },
		{ -62167219200, 0, "0000-01-01T00:00:00.000Z" },
		{ 253402300799, 0, "9999-12-31T23:59:59.000Z" },
		{ 86399, -5, "1970-01-01T23:59:59.000Z" }, /* bad nsec */
	};
	char buf[LOG_TIME_LEN + 1];

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct timespec t = { .tv_sec = rows[i].sec,
				      .tv_nsec = rows[i].nsec };

		memset(buf, 'X', sizeof(buf));
		cr_assert_eq(log_format_time(&t, buf, sizeof(buf)),
			     LOG_TIME_LEN, "row %zu", i);
		cr_assert_str_eq(buf, rows[i].want);
	}
}

Test(log_time, errors)
{
	char buf[64];
	struct timespec big = { .tv_sec = 253402300800LL },
			neg = { .tv_sec = -62167219201LL },
			ok = { .tv_sec = 0 };

	memset(buf, 'X', sizeof(buf));
	cr_assert_eq(log_format_time(&big, buf, sizeof(buf)), -EOVERFLOW);
	cr_assert_eq(log_format_time(&neg, buf, sizeof(buf)), -EOVERFLOW);
	cr_assert_eq(log_format_time(&ok, buf, LOG_TIME_LEN), -ENOSPC);
	cr_assert_eq(log_format_time(&ok, buf, 0), -ENOSPC);
	cr_assert_eq(buf[0], 'X', "written on failure");
}

/* Cross-check the hand-made calendar against libc over a wide range. */
Test(log_time, agrees_with_gmtime)
{
	char buf[LOG_TIME_LEN + 1], want[64];
	unsigned int seed = 12345;

	for (long long sec = -62167219200LL; sec <= 253402300799LL;) {
		struct timespec t = { .tv_sec = sec, .tv_nsec = 0 };
		time_t tt = (time_t)sec;
		struct tm tm;

		cr_assert_not_null(gmtime_r(&tt, &tm));
		snprintf(want, sizeof(want),
			 "%04d-%02d-%02dT%02d:%02d:%02d.000Z",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		cr_assert_eq(log_format_time(&t, buf, sizeof(buf)),
			     LOG_TIME_LEN);
		cr_assert_str_eq(buf, want, "sec=%lld", sec);
		/* every day boundary region, with a pseudo-random offset */
		sec += 86400LL * 7 + (long long)(rand_r(&seed) % 86400);
	}
}

/* ------------------------------------------------------------------ */
/* Truncation                                                          */
/* ------------------------------------------------------------------ */

static char *make_repeat(const char *unit, size_t total)
{
	size_t ulen = strlen(unit);
	char *s = malloc(total + 1);
	size_t n = 0;

	cr_assert_not_null(s);
	while (n + ulen <= total) {
		memcpy(s + n, unit, ulen);
		n += ulen;
	}
	memset(s + n, 'z', total - n);
	s[total] = '\0';
	return s;
}

Test(log_trunc, ten_kb_message_json)
{
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];
	char *big = make_repeat("0123456789", 10240);
	const char *msg, *end;
	size_t len;

	log_emit(LOG_LEVEL_INFO, EIO, "a hint", LOG_FIELDS(LOG_INT("pid", 7)),
		 "%s", big);
	len = sink_read(&s, buf, sizeof(buf));
	assert_json_record(buf, len);
	cr_assert_gt(len, LOG_LINE_MAX - 64, "buffer badly underused: %zu",
		     len);
	cr_assert_eq(memcmp(buf + len - 2, "}\n", 2), 0);
	cr_assert_not_null(strstr(buf, ",\"truncated\":true}\n"));
	cr_assert_null(strstr(buf, "\"pid\""), "field after the cut");
	cr_assert_null(strstr(buf, "\"error\""), "error after the cut");
	cr_assert_null(strstr(buf, "\"hint\""), "hint after the cut");
	msg = strstr(buf, ",\"msg\":\"");
	cr_assert_not_null(msg);
	msg += strlen(",\"msg\":\"");
	end = strchr(msg, '"');
	cr_assert_not_null(end);
	cr_assert_gt(end - msg, 3900, "message cut too early");
	cr_assert_eq(memcmp(msg, big, (size_t)(end - msg)), 0,
		     "message text changed");
	cr_assert_str_eq(end, "\",\"truncated\":true}\n");
	free(big);
	sink_close(&s);
}

Test(log_trunc, ten_kb_message_text)
{
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];
	char *big = make_repeat("ab\n", 10240);
	size_t len;

	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	log_emit(LOG_LEVEL_INFO, 0, "a hint", LOG_FIELDS(LOG_INT("pid", 7)),
		 "%s", big);
	len = sink_read(&s, buf, sizeof(buf));
	assert_text_record(buf, len);
	cr_assert_gt(len, LOG_LINE_MAX - 64);
	cr_assert_eq(strcmp(buf + len - strlen(" truncated=true\n"),
			    " truncated=true\n"),
		     0, "tail: %s", buf + len - 20);
	cr_assert_null(strstr(buf, "pid=7"));
	cr_assert_null(strstr(buf, "hint="));
	free(big);
	sink_close(&s);
}

/*
 * A message past the line's size is cut at the same byte whether it is
 * the format itself, a "%s" argument (put piece by piece) or formatted by
 * vsnprintf ("%.*s"), in both formats; the JSON records from "level" on.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
Test(log_trunc, long_message_cut_alike_by_every_path)
{
	static const enum log_format formats[] = { LOG_FORMAT_JSON,
						   LOG_FORMAT_TEXT };
	struct sink s = sink_open();
	char got[3][LOG_LINE_MAX + 16];

	for (size_t f = 0; f < ARRAY_SIZE(formats); f++) {
		for (size_t total = LOG_LINE_MAX - 80;
		     total < LOG_LINE_MAX + 80; total += 7) {
			char *big = make_repeat("ab\xc3\xa9\"", total);

			log_setup(formats[f], LOG_LEVEL_INFO);
			log_info(big);
			sink_read(&s, got[0], sizeof(got[0]));
			log_info("%s", big);
			sink_read(&s, got[1], sizeof(got[1]));
			log_info("%.*s", (int)strlen(big), big);
			sink_read(&s, got[2], sizeof(got[2]));
			for (int i = 1; i < 3; i++) {
				const char *a = strstr(got[0], "level"),
					   *b = strstr(got[i], "level");

				if (formats[f] == LOG_FORMAT_TEXT)
					a = got[0], b = got[i];
				cr_assert(a && b);
				cr_assert_str_eq(b, a, "path %d, %zu bytes", i,
						 total);
			}
			if (total >= LOG_LINE_MAX)
				cr_assert(strstr(got[0], "truncated"),
					  "%zu bytes", total);
			free(big);
		}
	}
	sink_close(&s);
}
#pragma GCC diagnostic pop

/*
 * Sweep the cut across every offset of several kinds of unit (ASCII,
 * 2/3/4-byte UTF-8, short and long escapes, invalid bytes) and several
 * places (message, string field, inside an argv array, inside a
 * hint). Every record must be valid, bounded and one write.
 */
static const char *const sweep_units[] = {
	"a",  "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e",	 "\n", "\x01",
	"\"", "\\",	  "\xff",	  "a\"\xe2\x82\xac\x1f",
};

enum sweep_place { IN_MSG, IN_FIELD, IN_ARGV, IN_HINT, SWEEP_PLACES };

static void sweep(enum log_format format)
{
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];
	size_t truncated = 0, whole = 0;

	log_setup(format, LOG_LEVEL_INFO);
	for (size_t u = 0; u < ARRAY_SIZE(sweep_units); u++) {
		for (int place = 0; place < SWEEP_PLACES; place++) {
			for (size_t total = 3900; total <= 4120; total += 1) {
				char *big = make_repeat(sweep_units[u], total);
				char *argv[] = { "python", big, "tail", NULL };
				struct log_field f[] = {
					LOG_STR("k",
						place == IN_FIELD ? big : "v"),
					LOG_STRV("argv", place == IN_ARGV ?
								 argv :
								 argv_app),
					LOG_INT("after", 1),
				};
				size_t len;

				log_emit(LOG_LEVEL_INFO, 0,
					 place == IN_HINT ? big : "h", f, 3,
					 "%s", place == IN_MSG ? big : "m");
				len = sink_read(&s, buf, sizeof(buf));
				if (format == LOG_FORMAT_JSON) {
					assert_json_record(buf, len);
					if (strstr(buf, ",\"truncated\":true}"))
						truncated++;
					else
						whole++;
				} else {
					assert_text_record(buf, len);
					if (strstr(buf, " truncated=true\n"))
						truncated++;
					else
						whole++;
				}
				free(big);
			}
		}
	}
	/* the sweep did cross the limit from both sides */
	cr_assert_gt(truncated, 0);
	cr_assert_gt(whole, 0);
	sink_close(&s);
}

Test(log_trunc, sweep_json)
{
	sweep(LOG_FORMAT_JSON);
}

Test(log_trunc, sweep_text)
{
	sweep(LOG_FORMAT_TEXT);
}

Test(log_trunc, many_argv_elements)
{
	static char *argv[400];
	struct sink s = sink_open();
	char buf[LOG_LINE_MAX + 16];
	size_t len;

	for (size_t i = 0; i < ARRAY_SIZE(argv) - 1; i++)
		argv[i] = "arg-with-\"quotes\"";
	argv[ARRAY_SIZE(argv) - 1] = NULL;
	log_emit(LOG_LEVEL_INFO, 0, NULL, LOG_FIELDS(LOG_STRV("argv", argv)),
		 "exec");
	len = sink_read(&s, buf, sizeof(buf));
	assert_json_record(buf, len);
	cr_assert_not_null(strstr(buf, ",\"truncated\":true}\n"));
	sink_close(&s);
}

/* ------------------------------------------------------------------ */
/* errno, drops, write failures                                        */
/* ------------------------------------------------------------------ */

static void call_all(void)
{
	log_error("h", "e");
	log_errorx("h", "e");
	log_warn("w");
	log_warnx("w");
	log_info("i");
	log_debug("d");
	log_emit(LOG_LEVEL_INFO, EIO, "h", LOG_FIELDS(LOG_INT("x", 1)), "m");
	log_setup(LOG_FORMAT_JSON, LOG_LEVEL_DEBUG);
	(void)log_enabled(LOG_LEVEL_INFO);
	(void)log_dropped();
}

Test(log_errno, preserved_by_every_call)
{
	static const int fds[] = { -1, 1000 }; /* bad fd: EBADF inside */
	struct sink s = sink_open();
	char dst[16];
	struct timespec t = { 0 };

	errno = 4242;
	call_all();
	cr_assert_eq(errno, 4242, "errno changed with a working sink");
	log_format_time(&t, dst, sizeof(dst));
	cr_assert_eq(errno, 4242);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		log_set_fd(fds[i]);
		errno = 4242;
		call_all();
		cr_assert_eq(errno, 4242, "errno changed by a failed write");
	}
	sink_close(&s);
}

Test(log_drop, bad_fd_counts)
{
	uint64_t before = log_dropped();

	log_set_fd(-1);
	log_info("a");
	log_warnx("b");
	cr_assert_eq(log_dropped(), before + 2);
}

Test(log_drop, epipe_counts_and_does_not_kill)
{
	struct sink s = sink_open();
	sigset_t set;
	uint64_t before;

	/* as in pidone: SIGPIPE blocked, so EPIPE just comes back */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	close(s.rd);
	s.rd = -1;
	before = log_dropped();
	errno = 0;
	log_info("nobody listens");
	cr_assert_eq(errno, 0);
	cr_assert_eq(log_dropped(), before + 1);
	sink_close(&s);
}

Test(log_drop, full_nonblocking_pipe_counts_and_returns)
{
	struct sink s = sink_open();
	char junk[4096] = { 0 };
	char buf[LOG_LINE_MAX + 16];
	uint64_t before;

	/* O_NONBLOCK only: F_SETFL also clears O_DIRECT, so reads merge */
	cr_assert_eq(fcntl(s.wr, F_SETFL, O_NONBLOCK), 0);
	while (write(s.wr, junk, sizeof(junk)) > 0)
		;
	cr_assert_eq(errno, EAGAIN);
	before = log_dropped();
	log_info("would block");
	cr_assert_eq(log_dropped(), before + 1);
	/* drain, then the sink works again and nothing was half-written */
	while (read(s.rd, buf, sizeof(buf)) > 0)
		;
	log_info("works again");
	/* the drop notice first, then the record, each whole */
	cr_assert_gt(read(s.rd, buf, sizeof(buf) - 1), 0);
	cr_assert_eq(log_dropped(), before + 1);
	cr_assert_not_null(strstr(buf, "\"level\":\"warn\",\"msg\":\"1 log "
				       "lines dropped\",\"dropped\":1,"));
	cr_assert_not_null(strstr(buf, "}\n{\"ts\":"));
	cr_assert_not_null(strstr(buf, "\"msg\":\"works again\"}\n"));
	sink_close(&s);
}

Test(log_drop, short_write_counts)
{
	char path[] = "/tmp/test_log.XXXXXX";
	struct rlimit rl;
	sigset_t set;
	char buf[64];
	uint64_t before;
	int fd = mkostemp(path, O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = 10;
	unlink(path);
	sigemptyset(&set);
	sigaddset(&set, SIGXFSZ);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	log_set_fd(fd);
	before = log_dropped();
	log_info("longer than ten bytes");
	cr_assert_eq(log_dropped(), before + 1, "short write not counted");
	cr_assert_eq(pread(fd, buf, sizeof(buf), 0), 10,
		     "the kernel did not cut the write as expected");
	close(fd);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

struct drainer {
	int rd;
	bool seen; /* the record arrived whole */
};

/* Wait, then read the pipe until the record has gone through it. */
static void *drain_later(void *arg)
{
	struct drainer *d = arg;
	static const char want[] = "\"msg\":\"interrupted once\"}\n";
	static char acc[1 << 18];
	struct timespec pause = { .tv_nsec = 300 * 1000000L };
	size_t have = 0;
	ssize_t n;

	nanosleep(&pause, NULL);
	/* give up after 2 s of silence: a dropped record never comes */
	while (!d->seen && have < sizeof(acc) &&
	       poll(&(struct pollfd){ .fd = d->rd, .events = POLLIN }, 1,
		    2000) > 0 &&
	       (n = read(d->rd, acc + have, sizeof(acc) - have)) > 0) {
		have += (size_t)n;
		d->seen = memmem(acc, have, want, sizeof(want) - 1) != NULL;
	}
	return NULL;
}

/* A write interrupted by a signal (EINTR) is retried, not dropped. */
Test(log_drop, eintr_is_retried, .timeout = 20)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
				.sigev_signo = SIGALRM };
	struct itimerspec it = { .it_value = { .tv_nsec = 50 * 1000000L } };
	char junk[4096] = { 0 };
	struct drainer d = { .seen = false };
	timer_t timer;
	pthread_t th;
	uint64_t before;
	int fds[2];

	cr_assert_eq(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	while (write(fds[1], junk, sizeof(junk)) > 0)
		;
	cr_assert_eq(fcntl(fds[1], F_SETFL, 0), 0); /* blocking again */
	cr_assert_eq(fcntl(fds[0], F_SETFL, 0), 0);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	/* the alarm goes to this thread, which is blocked in write(2) */
	sev._sigev_un._tid = gettid(); /* sigev_notify_thread_id */
	cr_assert_eq(timer_create(CLOCK_MONOTONIC, &sev, &timer), 0);
	d.rd = fds[0];
	cr_assert_eq(pthread_create(&th, NULL, drain_later, &d), 0);

	log_set_fd(fds[1]);
	before = log_dropped();
	cr_assert_eq(timer_settime(timer, 0, &it, NULL), 0);
	log_info("interrupted once");
	pthread_join(th, NULL);
	/* on a very loaded machine the write may have won the race */
	for (int i = 0; i < 200 && !alarms; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 10000000L }, NULL);
	cr_assert_eq(alarms, 1, "the alarm never came");
	cr_assert_eq(log_dropped(), before, "EINTR dropped the record");
	cr_assert(d.seen, "the record did not arrive whole");
	timer_delete(timer);
	close(fds[0]);
	close(fds[1]);
}

/* ------------------------------------------------------------------ */
/* The non-blocking sink (log_open_sink) and the drop notice            */
/* ------------------------------------------------------------------ */

/* Read everything there is (non-blocking) into @buf; returns the length. */
static size_t drain_all(int fd, char *buf, size_t size)
{
	size_t have = 0;
	ssize_t n;

	while (have < size - 1 &&
	       (n = read(fd, buf + have, size - 1 - have)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	return have;
}

/* Every line of @buf (@len bytes) is a whole JSON-looking record. */
static size_t assert_whole_lines(const char *buf, size_t len)
{
	size_t lines = 0;

	for (const char *p = buf; p < buf + len;) {
		const char *nl = memchr(p, '\n', (size_t)(buf + len - p));

		cr_assert_not_null(nl, "a record without its newline");
		cr_assert(nl - p >= 2 && p[0] == '{' && nl[-1] == '}',
			  "a cut or interleaved record: %.*s", (int)(nl - p),
			  p);
		p = nl + 1;
		lines++;
	}
	return lines;
}

/* Log until a record is dropped; fails (test timeout) if a write blocks. */
static uint64_t log_until_dropped(void)
{
	uint64_t before = log_dropped();

	for (int i = 0; i < 100000 && log_dropped() == before; i++)
		log_warnx("filling the sink, record %d", i);
	cr_assert_gt(log_dropped(), before, "the sink never filled up");
	return log_dropped() - before;
}

struct a_pipe {
	int rd;
	int wr;
};

/* An ordinary blocking pipe, like the one a runtime gives fd 2. */
static struct a_pipe plain_pipe(void)
{
	int fds[2];

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	return (struct a_pipe){ .rd = fds[0], .wr = fds[1] };
}

static int backlog_calls;

static void on_backlog(void *data)
{
	cr_assert_eq(data, &backlog_calls);
	backlog_calls++;
}

Test(log_sink, pipe_gets_a_private_nonblocking_description, .timeout = 20)
{
	struct a_pipe p = plain_pipe();
	static char buf[1 << 20];
	int own, shared_flags;
	size_t len, lines;
	uint64_t dropped;
	char want[64];

	log_set_fd(p.wr);
	cr_assert_eq(log_open_sink(), 0);
	own = log_sink_fd();
	cr_assert_gt(own, 2, "the private fd must not be a standard fd");
	cr_assert_neq(own, p.wr);
	cr_assert(fcntl(own, F_GETFL) & O_NONBLOCK);
	cr_assert(fcntl(own, F_GETFD) & FD_CLOEXEC);
	/* the description the child shares is left exactly as it was */
	shared_flags = fcntl(p.wr, F_GETFL);
	cr_assert_eq(shared_flags & O_NONBLOCK, 0, "O_NONBLOCK set on fd 2");

	/* nobody reads: pidone must not block, only drop and count */
	dropped = log_until_dropped();
	for (int i = 0; i < 50; i++)
		log_warnx("still full %d", i);
	dropped += 50;
	cr_assert_eq(fcntl(p.rd, F_SETFL, O_NONBLOCK), 0);
	len = drain_all(p.rd, buf, sizeof(buf));
	lines = assert_whole_lines(buf, len);
	cr_assert_gt(lines, 10);

	/* the next record is preceded by one notice with the exact count */
	log_info("after the drain");
	len = drain_all(p.rd, buf, sizeof(buf));
	cr_assert_eq(assert_whole_lines(buf, len), 2);
	snprintf(want, sizeof(want), "\"msg\":\"%llu log lines dropped\"",
		 (unsigned long long)dropped);
	cr_assert_not_null(strstr(buf, want), "%s not in %s", want, buf);
	cr_assert_not_null(strstr(buf, "\"level\":\"warn\""));
	cr_assert(strstr(buf, want) < strstr(buf, "after the drain"));
	/* and only once */
	log_info("later");
	len = drain_all(p.rd, buf, sizeof(buf));
	cr_assert_eq(assert_whole_lines(buf, len), 1);
	cr_assert_null(strstr(buf, "dropped"));

	/* log_set_fd gives the private fd back */
	log_set_fd(-1);
	cr_assert_eq(fcntl(own, F_GETFD), -1);
	cr_assert_eq(errno, EBADF);
	close(p.rd);
	close(p.wr);
}

Test(log_sink, backlog_cb_once_and_flush, .timeout = 20)
{
	struct a_pipe p = plain_pipe();
	static char buf[1 << 20];
	size_t len;

	log_set_fd(p.wr);
	cr_assert_eq(log_open_sink(), 0);
	log_set_backlog_cb(on_backlog, &backlog_calls);
	cr_assert_eq(log_flush(), 0, "nothing owed yet");
	log_until_dropped();
	cr_assert_eq(backlog_calls, 1);
	log_info("dropped too");
	log_info("and this");
	cr_assert_eq(backlog_calls, 1, "called again while still owing");
	cr_assert_eq(log_flush(), -EAGAIN, "the pipe is still full");

	cr_assert_eq(fcntl(p.rd, F_SETFL, O_NONBLOCK), 0);
	drain_all(p.rd, buf, sizeof(buf));
	errno = 4242;
	cr_assert_eq(log_flush(), 0);
	cr_assert_eq(errno, 4242);
	len = drain_all(p.rd, buf, sizeof(buf));
	cr_assert_eq(assert_whole_lines(buf, len), 1);
	cr_assert_not_null(strstr(buf, " log lines dropped\""));
	cr_assert_eq(log_flush(), 0);
	cr_assert_eq(drain_all(p.rd, buf, sizeof(buf)), 0, "notice twice");

	/* a new backlog calls again */
	log_until_dropped();
	cr_assert_eq(backlog_calls, 2);
	close(p.rd);
	close(p.wr);
}

Test(log_sink, broken_fd_no_backlog_cb)
{
	struct a_pipe p = plain_pipe();
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	close(p.rd);
	log_set_fd(p.wr);
	cr_assert_eq(log_open_sink(), 0);
	log_set_backlog_cb(on_backlog, &backlog_calls);
	log_info("nobody reads");
	cr_assert_eq(backlog_calls, 0, "waiting on a broken pipe is useless");
	cr_assert_eq(log_flush(), -EPIPE);
	close(p.wr);
}

Test(log_sink, notice_follows_the_level)
{
	struct a_pipe p = plain_pipe();
	static char buf[1 << 20];
	size_t len;

	log_set_fd(p.wr);
	cr_assert_eq(log_open_sink(), 0);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	for (int i = 0; i < 100000; i++) {
		uint64_t before = log_dropped();

		log_errorx(NULL, "filling %d", i);
		if (log_dropped() > before)
			break;
	}
	cr_assert_eq(fcntl(p.rd, F_SETFL, O_NONBLOCK), 0);
	drain_all(p.rd, buf, sizeof(buf));
	log_errorx(NULL, "after");
	len = drain_all(p.rd, buf, sizeof(buf));
	cr_assert_str_eq(buf, "pidone: error: after\n", "got %zu: %s", len,
			 buf);

	/* text format, warn enabled: the notice in text form */
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	log_until_dropped();
	drain_all(p.rd, buf, sizeof(buf));
	log_warnx("after");
	drain_all(p.rd, buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, "pidone: warn: "));
	cr_assert_not_null(strstr(buf, " log lines dropped dropped="));
	cr_assert_not_null(strstr(buf, "\npidone: warn: after\n"));
	close(p.rd);
	close(p.wr);
}

Test(log_sink, socket_never_cuts_or_interleaves, .timeout = 20)
{
	static char buf[1 << 22];
	int sv[2], sndbuf = 4096;
	size_t len = 0, lines = 0, notices = 0;
	uint64_t before = log_dropped(), dropped;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)),
		     0);
	cr_assert_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	log_set_fd(sv[0]);
	cr_assert_eq(log_open_sink(), 0);
	cr_assert_eq(log_sink_fd(), sv[0], "a socket is used as it is");
	cr_assert_eq(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);

	/*
	 * Long records into a small buffer, read a little at a time, so that
	 * sends are cut short and resumed. Everything read goes into @buf.
	 */
	for (int round = 0; round < 20; round++) {
		char big[3000];
		ssize_t n;

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		for (int i = 0; i < 50; i++)
			log_info("%d %s", i, big + (i * 37) % 2000);
		n = read(sv[1], buf + len, 1000 + (size_t)round * 777);
		if (n > 0)
			len += (size_t)n;
	}
	/* drain and flush until nothing is owed */
	for (int i = 0; i < 1000; i++) {
		int owed = log_flush();

		len += drain_all(sv[1], buf + len, sizeof(buf) - len);
		if (owed == 0)
			break;
	}
	cr_assert_eq(log_flush(), 0);
	log_info("end");
	len += drain_all(sv[1], buf + len, sizeof(buf) - len);

	dropped = log_dropped() - before;
	cr_assert_gt(dropped, 0, "the socket never filled up");
	lines = assert_whole_lines(buf, len);
	for (const char *p = buf; (p = strstr(p, " log lines dropped\"")); p++)
		notices++;
	cr_assert_gt(notices, 0);
	/* every record not counted as dropped arrived, whole */
	cr_assert_eq(lines - notices, 20 * 50 + 1 - dropped,
		     "lines %zu notices %zu dropped %llu", lines, notices,
		     (unsigned long long)dropped);
	cr_assert_not_null(strstr(buf, "\"msg\":\"end\"}\n"));
	close(sv[0]);
	close(sv[1]);
}

Test(log_sink, regular_file_and_bad_fd_use_plain_write)
{
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC), next;

	cr_assert_geq(fd, 0);
	unlink(path);
	log_set_fd(fd);
	next = fcntl(0, F_DUPFD_CLOEXEC, 0);
	close(next);
	cr_assert_eq(log_open_sink(), 0);
	cr_assert_eq(log_sink_fd(), fd);
	cr_assert_eq(fcntl(0, F_DUPFD_CLOEXEC, 0), next, "an fd was opened");
	close(next);
	log_info("to the file");
	cr_assert_gt(lseek(fd, 0, SEEK_CUR), 0);
	close(fd);

	log_set_fd(-1);
	errno = 4242;
	cr_assert_eq(log_open_sink(), -EBADF);
	cr_assert_eq(errno, 4242);
}

/*
 * stderr closed at start and no /dev/null to fill it: the number is
 * reused later by one of pidone's own fds, which must get no log line.
 */
Test(log_sink, closed_fd_is_never_written_later)
{
	struct a_pipe p = plain_pipe();
	int fd = fcntl(p.wr, F_DUPFD_CLOEXEC, 10);
	char buf[64];
	uint64_t before;

	cr_assert_geq(fd, 10);
	close(fd); /* now a free number, like a closed fd 2 */
	log_set_fd(fd);
	cr_assert_eq(log_open_sink(), -EBADF);
	cr_assert_eq(log_sink_fd(), -1);
	/* the number comes back as something else */
	cr_assert_eq(fcntl(p.wr, F_DUPFD_CLOEXEC, fd), fd);
	before = log_dropped();
	log_info("must not reach the reused fd");
	cr_assert_eq(log_dropped(), before + 1);
	cr_assert_eq(fcntl(p.rd, F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(read(p.rd, buf, sizeof(buf)), -1, "a line leaked");
	cr_assert_eq(errno, EAGAIN);
	close(fd);
	close(p.rd);
	close(p.wr);
}

/* A pipe whose reader is gone: EPIPE is counted, SIGPIPE stays blocked. */
Test(log_sink, pipe_without_reader_drops)
{
	struct a_pipe p = plain_pipe();
	sigset_t set;
	uint64_t before;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	close(p.rd);
	log_set_fd(p.wr);
	/* an anonymous pipe reopens even without a reader (no ENXIO) */
	cr_assert_eq(log_open_sink(), 0);
	before = log_dropped();
	log_info("nobody reads");
	log_info("still nobody");
	cr_assert_eq(log_dropped(), before + 2);
	close(p.wr);
}

/*
 * A pipe made by root, pidone running as another uid (runAsUser): the
 * reopen is refused (EACCES) and every write asks for RWF_NOWAIT, which
 * still never blocks on Linux >= 6.0.
 */
Test(log_sink, foreign_pipe_uses_rwf_nowait, .timeout = 20)
{
	struct a_pipe p;
	static char buf[1 << 20];
	size_t len;
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root to make a pipe another uid owns");
	p = plain_pipe();
	cr_assert_eq(setresgid(65534, 65534, 65534), 0);
	cr_assert_eq(setresuid(65534, 65534, 65534), 0);
	log_set_fd(p.wr);
	r = log_open_sink();
	cr_assert_eq(r, -EACCES, "reopen of a root-owned pipe: %d", r);
	cr_assert_eq(log_sink_fd(), p.wr);
	log_until_dropped();
	cr_assert_eq(fcntl(p.wr, F_GETFL) & O_NONBLOCK, 0);
	cr_assert_eq(fcntl(p.rd, F_SETFL, O_NONBLOCK), 0);
	drain_all(p.rd, buf, sizeof(buf));
	log_info("after");
	len = drain_all(p.rd, buf, sizeof(buf));
	cr_assert_eq(assert_whole_lines(buf, len), 2);
	cr_assert_not_null(strstr(buf, " log lines dropped\""));
	close(p.rd);
	close(p.wr);
}

/* ------------------------------------------------------------------ */
/* the JSON escaper the log uses (escape.c, ESC_JSON)                   */
/* ------------------------------------------------------------------ */

static void escape_expect(const char *src, size_t len, const char *want,
			  const char *what)
{
	struct guard in = guard_copy(src, len);
	char dst[256];
	size_t written = 999, consumed;

	consumed = escape(dst, sizeof(dst), in.data, len, ESC_JSON, &written);
	cr_assert_eq(consumed, len, "%s: consumed %zu of %zu", what, consumed,
		     len);
	cr_assert_eq(written, strlen(want), "%s: written %zu", what, written);
	cr_assert_str_eq(dst, want, "%s", what);
	guard_free(&in);
}

Test(log_escape, every_control_byte)
{
	static const char *const short_esc[32] = {
		['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
		['\f'] = "\\f", ['\r'] = "\\r",
	};
	char src[1], want[8], what[32];

	for (int c = 0; c < 0x20; c++) {
		src[0] = (char)c;
		if (short_esc[c])
			snprintf(want, sizeof(want), "%s", short_esc[c]);
		else
			snprintf(want, sizeof(want), "\\u%04x", c);
		snprintf(what, sizeof(what), "byte 0x%02x", c);
		escape_expect(src, 1, want, what);
	}
	escape_expect("\x7f", 1, "\\u007f", "DEL");
}

Test(log_escape, every_single_byte)
{
	for (int c = 0x20; c < 0x100; c++) {
		char src[1] = { (char)c }, want[8], what[32];

		if (c == 0x7f)
			continue;
		if (c == '"')
			snprintf(want, sizeof(want), "\\\"");
		else if (c == '\\')
			snprintf(want, sizeof(want), "\\\\");
		else if (c < 0x80)
			snprintf(want, sizeof(want), "%c", c);
		else /* a lone byte >= 0x80 is never valid UTF-8 */
			snprintf(want, sizeof(want), "\xef\xbf\xbd");
		snprintf(what, sizeof(what), "byte 0x%02x", c);
		escape_expect(src, 1, want, what);
	}
}

Test(log_escape, table)
{
	static const struct {
		const char *name;
		const char *src;
		size_t len;
		const char *want;
	} rows[] = {
		{ "empty", "", 0, "" },
		{ "plain", "python app.py", 13, "python app.py" },
		{ "quote backslash", "a\"b\\c", 5, "a\\\"b\\\\c" },
		{ "slash kept", "/a/b", 4, "/a/b" },
		{ "embedded NUL", "a\0b", 3, "a\\u0000b" },
		{ "2-byte", "h\xc3\xa9", 3, "h\xc3\xa9" },
		{ "3-byte", "\xe2\x82\xac", 3, "\xe2\x82\xac" },
		{ "4-byte", "\xf0\x9d\x84\x9e", 4, "\xf0\x9d\x84\x9e" },
		{ "max code point", "\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf" },
		{ "U+FFFF", "\xef\xbf\xbf", 3, "\xef\xbf\xbf" },
		/* negative rows: every class of invalid UTF-8 */
		{ "overlong 2", "\xc0\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "overlong c1", "\xc1\xbf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "overlong 3", "\xe0\x80\xaf", 3,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "overlong 4", "\xf0\x80\x80\xaf", 4,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate", "\xed\xa0\x80", 3,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "above 10FFFF", "\xf4\x90\x80\x80", 4,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "f5 lead", "\xf5\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "lone continuation", "a\x80z", 3, "a\xef\xbf\xbdz" },
		{ "cut 3-byte then ASCII", "\xe2\x82z", 3, "\xef\xbf\xbdz" },
		{ "cut 4-byte then quote", "\xf0\x9d\x84\"", 4,
		  "\xef\xbf\xbd\\\"" },
		{ "cut 3-byte at end", "ok\xe2\x82", 4, "ok\xef\xbf\xbd" },
		{ "cut 4-byte at end", "\xf0\x9d", 2, "\xef\xbf\xbd" },
		{ "fe ff", "\xfe\xff", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		escape_expect(rows[i].src, rows[i].len, rows[i].want,
			      rows[i].name);
}

/*
 * Every output capacity from 0 to full+1 for inputs that end in each kind
 * of unit: the result is a prefix of the full output made of whole
 * units, and the dst is written only within dstlen (a guard page follows
 * it).
 */
Test(log_escape, exact_fit_and_one_short)
{
	static const struct {
		const char *src;
		size_t len;
		size_t last_in; /* bytes of the last unit in src */
		size_t last_out; /* bytes it becomes */
	} rows[] = {
		{ "abc", 3, 1, 1 },
		{ "ab\"", 3, 1, 2 },
		{ "ab\n", 3, 1, 2 },
		{ "ab\x01", 3, 1, 6 },
		{ "ab\xc3\xa9", 4, 2, 2 },
		{ "ab\xe2\x82\xac", 5, 3, 3 },
		{ "ab\xf0\x9d\x84\x9e", 6, 4, 4 },
		{ "ab\xff", 3, 1, 3 },
		{ "ab\xe2\x82", 4, 2, 3 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char full[64];
		size_t full_len, consumed, written;
		struct guard in = guard_copy(rows[i].src, rows[i].len);

		escape(full, sizeof(full), in.data, rows[i].len, ESC_JSON,
		       &full_len);
		for (size_t cap = 0; cap <= full_len + 1; cap++) {
			char zeros[64] = { 0 };
			struct guard out = guard_copy(zeros, cap ? cap : 1);
			char *dst = out.data + (cap ? 0 : 1);

			written = 999;
			consumed = escape(dst, cap, in.data, rows[i].len,
					  ESC_JSON, &written);
			if (cap == 0) {
				cr_assert_eq(consumed, 0);
				cr_assert_eq(written, 0);
				cr_assert_eq(out.data[0], 0, "wrote at cap 0");
				guard_free(&out);
				continue;
			}
			cr_assert_leq(written, cap - 1);
			cr_assert_eq(dst[written], '\0');
			cr_assert_eq(memcmp(dst, full, written), 0,
				     "row %zu cap %zu: not a prefix", i, cap);
			if (cap == full_len + 1) {
				cr_assert_eq(consumed, rows[i].len,
					     "row %zu: exact fit refused", i);
				cr_assert_eq(written, full_len);
			} else if (cap == full_len) {
				/* one byte short: the whole last unit goes */
				cr_assert_eq(consumed,
					     rows[i].len - rows[i].last_in,
					     "row %zu one short", i);
				cr_assert_eq(written,
					     full_len - rows[i].last_out);
			}
			guard_free(&out);
		}
		guard_free(&in);
	}
}

Test(log_escape, null_written_pointer_allowed)
{
	char dst[8];

	cr_assert_eq(escape(dst, sizeof(dst), "a\"", 2, ESC_JSON, NULL), 2);
	cr_assert_str_eq(dst, "a\\\"");
	cr_assert_eq(escape(dst, 1, "abc", 3, ESC_JSON, NULL), 0);
	cr_assert_str_eq(dst, "");
}

/* Undo JSON string escapes (test-side decoder) for a round trip. */
static size_t unescape(const char *s, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		switch (s[++i]) {
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u':
			out[o++] = (char)strtol(
				(char[]){ s[i + 3], s[i + 4], 0 }, NULL, 16);
			i += 4;
			break;
		default:
			out[o++] = s[i];
			break;
		}
	}
	return o;
}

Test(log_escape, random_round_trip)
{
	unsigned int seed = 7;

	for (int iter = 0; iter < 20000; iter++) {
		unsigned char src[48];
		char dst[48 * 6 + 1], back[48 * 6];
		size_t len = (size_t)rand_r(&seed) % sizeof(src), written;
		bool valid;

		for (size_t i = 0; i < len; i++) {
			/* mostly ASCII and controls, some high bytes */
			int r = rand_r(&seed) % 10;

			src[i] = (unsigned char)(r < 7 ? rand_r(&seed) % 0x80 :
							 rand_r(&seed) % 0x100);
		}
		valid = utf8_ok(src, len);
		cr_assert_eq(escape(dst, sizeof(dst), (char *)src, len,
				    ESC_JSON, &written),
			     len);
		cr_assert(utf8_ok((unsigned char *)dst, written));
		for (size_t i = 0; i < written; i++)
			cr_assert((unsigned char)dst[i] >= 0x20 &&
				  dst[i] != 0x7f);
		{
			char quoted[sizeof(dst) + 2];

			quoted[0] = '"';
			memcpy(quoted + 1, dst, written);
			quoted[written + 1] = '"';
			cr_assert_eq(js_string(quoted, quoted + written + 2),
				     quoted + written + 2, "not a JSON string");
		}
		if (valid) {
			cr_assert_eq(unescape(dst, written, back), len);
			cr_assert_eq(memcmp(back, src, len), 0,
				     "round trip changed the bytes");
		}
	}
}
