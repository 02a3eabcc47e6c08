/* SPDX-License-Identifier: MIT */
/*
 * test_http.c - the request-head parser, query lookup and response-head
 * formatter of src/http.c. Every parser input sits flush against a
 * PROT_NONE page, so reading one byte past the end crashes the test.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memmem */
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "http.h"

#define KUBELET                                                       \
	"GET /readyz HTTP/1.1\r\nHost: 10.1.2.3:8081\r\nUser-Agent: " \
	"kube-probe/1.31\r\nAccept: */*\r\nConnection: close\r\n\r\n"

struct valid_row {
	const char *name;
	const char *raw;
	size_t head_len; /* 0: the whole of raw is the head */
	enum http_method method;
	const char *method_text;
	const char *path;
	const char *query; /* NULL: no '?' at all */
	int minor;
	bool keep_alive;
	bool has_body;
};

static const struct valid_row valid_rows[] = {
	{ "kubelet", KUBELET, 0, HTTP_METHOD_GET, "GET", "/readyz", NULL, 1,
	  false, false },
	{ "minimal 1.1", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/healthz", NULL, 1, true, false },
	{ "minimal 1.0", "GET /livez HTTP/1.0\r\n\r\n", 0, HTTP_METHOD_GET,
	  "GET", "/livez", NULL, 0, false, false },
	{ "1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/", NULL, 0, true, false },
	{ "1.0 close wins",
	  "GET / HTTP/1.0\r\nConnection: close, keep-alive\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/", NULL, 0, false, false },
	{ "1.1 explicit keep-alive",
	  "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "1.1 close among tokens",
	  "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade ,  CLOSE \t\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/", NULL, 1, false, false },
	{ "1.1 close in second Connection header",
	  "GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nconnection:close\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/", NULL, 1, false, false },
	{ "1.1 closed is not close",
	  "GET / HTTP/1.1\r\nHost: x\r\nConnection: closed,,x-close\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "HEAD", "HEAD /readyz HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_HEAD, "HEAD", "/readyz", NULL, 1, true, false },
	{ "POST empty body",
	  "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 0,
	  HTTP_METHOD_OTHER, "POST", "/x", NULL, 1, true, false },
	{ "Content-Length 000",
	  "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length:  000 \r\n\r\n", 0,
	  HTTP_METHOD_OTHER, "PUT", "/x", NULL, 1, true, false },
	{ "body follows",
	  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd",
	  sizeof("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n") - 1,
	  HTTP_METHOD_OTHER, "POST", "/", NULL, 1, false, true },
	{ "huge Content-Length",
	  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	  0, HTTP_METHOD_OTHER, "POST", "/", NULL, 1, false, true },
	{ "chunked",
	  "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
	  HTTP_METHOD_OTHER, "POST", "/", NULL, 1, false, true },
	{ "empty Transfer-Encoding",
	  "GET / HTTP/1.1\r\nHost: x\r\ntransfer-encoding:\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/", NULL, 1, false, true },
	{ "lower-case get is another method",
	  "get / HTTP/1.1\r\nHost: x\r\n\r\n", 0, HTTP_METHOD_OTHER, "get", "/",
	  NULL, 1, true, false },
	{ "token method", "M-SEARCH /x HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_OTHER, "M-SEARCH", "/x", NULL, 1, true, false },
	{ "method of the maximum length",
	  "ABCDEFGHIJKLMNOPQRSTUVWX / HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_OTHER, "ABCDEFGHIJKLMNOPQRSTUVWX", "/", NULL, 1, true,
	  false },
	{ "header without space", "GET / HTTP/1.1\r\nHost:x\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "empty header value", "GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "tabs and spaces in value",
	  "GET / HTTP/1.1\r\nHost: x\r\nX: \t a \t b \t\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "every tchar in a name",
	  "GET / HTTP/1.1\r\nHost: x\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "obs-text and punctuation in value",
	  "GET / HTTP/1.1\r\nHost: x\r\nX: \x80\xff caf\xc3\xa9 \"q\" (c) a:b;c=d,e\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "many headers",
	  "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "query verbose", "GET /healthz?verbose HTTP/1.1\r\nHost: x\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/healthz", "verbose", 1, true, false },
	{ "empty query", "GET /readyz? HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/readyz", "", 1, true, false },
	{ "query with second ?", "GET /x?a?b=/c HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/x", "a?b=/c", 1, true, false },
	{ "query only", "GET /?a=1&verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/", "a=1&verbose=1", 1, true, false },
	{ "double slash path", "GET //x/%2F/ HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "//x/%2F/", NULL, 1, true, false },
	{ "one leading CRLF", "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "pipelined",
	  "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
	  sizeof("GET /a HTTP/1.1\r\nHost: x\r\n\r\n") - 1, HTTP_METHOD_GET,
	  "GET", "/a", NULL, 1, true, false },
	{ "pipelined partial second",
	  "HEAD /livez HTTP/1.1\r\nHost: h\r\n\r\nGET /rea",
	  sizeof("HEAD /livez HTTP/1.1\r\nHost: h\r\n\r\n") - 1,
	  HTTP_METHOD_HEAD, "HEAD", "/livez", NULL, 1, true, false },
	{ "1.0 needs no Host", "GET /livez HTTP/1.0\r\nX: y\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/livez", NULL, 0, false, false },
	{ "empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0, HTTP_METHOD_GET,
	  "GET", "/", NULL, 1, true, false },
	{ "same Content-Length twice",
	  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
	  "content-length: 002\r\n\r\nab",
	  sizeof("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
		 "content-length: 002\r\n\r\n") -
		  1,
	  HTTP_METHOD_OTHER, "POST", "/", NULL, 1, false, true },
	{ "zero Content-Length twice",
	  "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	  "Content-Length: 00\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/", NULL, 1, true, false },
	{ "OPTIONS asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_OTHER, "OPTIONS", "*", NULL, 1, true, false },
	{ "POST asterisk-form", "POST * HTTP/1.0\r\n\r\n", 0, HTTP_METHOD_OTHER,
	  "POST", "*", NULL, 0, false, false },
	{ "absolute-form", "GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/healthz", NULL, 1, true, false },
	{ "absolute-form with query",
	  "GET http://x/healthz?verbose HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_GET, "GET", "/healthz", "verbose", 1, true, false },
	{ "absolute-form empty path",
	  "GET http://x HTTP/1.1\r\nHost: x\r\n\r\n", 0, HTTP_METHOD_GET, "GET",
	  "/", NULL, 1, true, false },
	{ "absolute-form empty path, query",
	  "HEAD http://x?verbose HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	  HTTP_METHOD_HEAD, "HEAD", "/", "verbose", 1, true, false },
	{ "absolute-form upper-case scheme",
	  "GET HTTP://X/readyz HTTP/1.1\r\nHost: x\r\n\r\n", 0, HTTP_METHOD_GET,
	  "GET", "/readyz", NULL, 1, true, false },
	{ "absolute-form mixed-case scheme", "GET hTtP://x/ HTTP/1.0\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/", NULL, 0, false, false },
	{ "absolute-form authority with port",
	  "GET http://10.1.2.3:8081/readyz HTTP/1.1\r\n"
	  "Host: 10.1.2.3:8081\r\n\r\n",
	  0, HTTP_METHOD_GET, "GET", "/readyz", NULL, 1, true, false },
	{ "absolute-form, other method",
	  "PUT http://x/y HTTP/1.1\r\nHost: x\r\n\r\n", 0, HTTP_METHOD_OTHER,
	  "PUT", "/y", NULL, 1, true, false },
	{ "pipelined garbage after",
	  "GET /a HTTP/1.1\r\nHost: x\r\n\r\n\x01\x02garbage",
	  sizeof("GET /a HTTP/1.1\r\nHost: x\r\n\r\n") - 1, HTTP_METHOD_GET,
	  "GET", "/a", NULL, 1, true, false },
};

#define N_VALID (sizeof(valid_rows) / sizeof(valid_rows[0]))

static size_t head_len_of(const struct valid_row *row)
{
	return row->head_len ? row->head_len : strlen(row->raw);
}

static bool span_inside(struct http_span s, const char *buf, size_t len)
{
	return s.ptr >= buf && s.ptr + s.len <= buf + len;
}

static void assert_span(struct http_span s, const char *want, const char *what,
			const char *row)
{
	if (!want) {
		cr_assert_null(s.ptr, "%s: %s should be absent", row, what);
		cr_assert_eq(s.len, 0, "%s: %s length", row, what);
		return;
	}
	cr_assert_not_null(s.ptr, "%s: %s missing", row, what);
	cr_assert_eq(s.len, strlen(want), "%s: %s is '%.*s', want '%s'", row,
		     what, (int)s.len, s.ptr, want);
	cr_assert(memcmp(s.ptr, want, s.len) == 0, "%s: %s is '%.*s'", row,
		  what, (int)s.len, s.ptr);
}

/* A request whose every byte is a sentinel, to see it was not written. */
static struct http_request sentinel(void)
{
	struct http_request r;

	memset(&r, 0xa5, sizeof(r));
	return r;
}

static bool is_sentinel(const struct http_request *r)
{
	struct http_request s = sentinel();

	return memcmp(r, &s, sizeof(s)) == 0;
}

Test(http, valid_requests_parse_whole)
{
	for (size_t i = 0; i < N_VALID; i++) {
		const struct valid_row *row = &valid_rows[i];
		size_t len = strlen(row->raw);
		struct guard g = guard_copy(row->raw, len);
		struct http_request req = sentinel();
		int n = http_parse_request(g.data, len, 0, &req);

		cr_assert_eq(n, (int)head_len_of(row), "%s: returned %d",
			     row->name, n);
		cr_assert_eq(req.method, row->method, "%s: method", row->name);
		assert_span(req.method_text, row->method_text, "method",
			    row->name);
		assert_span(req.path, row->path, "path", row->name);
		assert_span(req.query, row->query, "query", row->name);
		cr_assert_eq(req.minor_version, row->minor, "%s: version",
			     row->name);
		cr_assert_eq(req.keep_alive, row->keep_alive, "%s: keep_alive",
			     row->name);
		cr_assert_eq(req.has_body, row->has_body, "%s: has_body",
			     row->name);
		cr_assert(span_inside(req.path, g.data, (size_t)n), "%s",
			  row->name);
		cr_assert(span_inside(req.method_text, g.data, (size_t)n));
		if (req.query.ptr)
			cr_assert(span_inside(req.query, g.data, (size_t)n));
		guard_free(&g);
	}
}

Test(http, every_prefix_is_incomplete)
{
	for (size_t i = 0; i < N_VALID; i++) {
		const struct valid_row *row = &valid_rows[i];
		size_t head = head_len_of(row);

		for (size_t len = 0; len < head; len++) {
			struct guard g = guard_copy(row->raw, len);
			struct http_request req = sentinel();
			int n = http_parse_request(g.data, len, 0, &req);

			cr_assert_eq(n, HTTP_PARSE_INCOMPLETE,
				     "%s: prefix of %zu bytes returned %d",
				     row->name, len, n);
			cr_assert(is_sentinel(&req), "%s: ret written on -2",
				  row->name);
			guard_free(&g);
		}
	}
}

/* Byte by byte with last_len, as the server re-parses after each read. */
Test(http, incremental_reparse_with_last_len)
{
	for (size_t i = 0; i < N_VALID; i++) {
		const struct valid_row *row = &valid_rows[i];
		size_t head = head_len_of(row);
		size_t last = 0;

		for (size_t len = 1; len <= head; len++) {
			struct guard g = guard_copy(row->raw, len);
			struct http_request req = sentinel();
			int n = http_parse_request(g.data, len, last, &req);

			if (len < head) {
				cr_assert_eq(n, HTTP_PARSE_INCOMPLETE,
					     "%s: %zu bytes (last %zu): %d",
					     row->name, len, last, n);
			} else {
				cr_assert_eq(n, (int)head, "%s: complete: %d",
					     row->name, n);
				assert_span(req.path, row->path, "path",
					    row->name);
				cr_assert_eq(req.keep_alive, row->keep_alive);
			}
			last = len;
			guard_free(&g);
		}
	}
}

/*
 * Whatever was seen before, once the rest arrives the head is found, and
 * bytes after it (the next request, even garbage) do not change that.
 */
Test(http, reparse_after_any_prefix_finds_the_head)
{
	for (size_t i = 0; i < N_VALID; i++) {
		const struct valid_row *row = &valid_rows[i];
		size_t head = head_len_of(row), len = strlen(row->raw);
		struct guard g = guard_copy(row->raw, len);

		for (size_t seen = 0; seen < head; seen++) {
			struct http_request req;
			int n = http_parse_request(g.data, len, seen, &req);

			cr_assert_eq(n, (int)head, "%s: seen %zu: %d",
				     row->name, seen, n);
			cr_assert_eq(req.has_body, row->has_body);
		}
		guard_free(&g);
	}
}

Test(http, pipelined_second_request_follows)
{
#define FIRST "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
#define SECOND "HEAD /b?verbose HTTP/1.0\r\nConnection: close\r\n\r\n"
#define THIRD "GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
	const char raw[] = FIRST SECOND THIRD;
	size_t len = sizeof(raw) - 1;
	struct guard g = guard_copy(raw, len);
	struct http_request req;
	size_t off = 0;
	int n;

	n = http_parse_request(g.data, len, 0, &req);
	cr_assert_eq(n, (int)strlen(FIRST));
	assert_span(req.path, "/a", "path", "first");
	off += (size_t)n;
	n = http_parse_request(g.data + off, len - off, 0, &req);
	cr_assert_eq(n, (int)strlen(SECOND));
	cr_assert_eq(req.method, HTTP_METHOD_HEAD);
	assert_span(req.path, "/b", "path", "second");
	assert_span(req.query, "verbose", "query", "second");
	cr_assert_not(req.keep_alive);
	off += (size_t)n;
	n = http_parse_request(g.data + off, len - off, 0, &req);
	cr_assert_eq(n, (int)strlen(THIRD));
	assert_span(req.path, "/c", "path", "third");
	cr_assert_eq(off + (size_t)n, len);
	guard_free(&g);
#undef FIRST
#undef SECOND
#undef THIRD
}

/* A whole buffer that is still a valid prefix: the server answers 431. */
Test(http, full_buffer_of_headers_stays_incomplete)
{
	char buf[HTTP_HEAD_MAX];
	size_t len = 0;
	struct guard g;
	struct http_request req;

	len += (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	while (len + 12 < sizeof(buf))
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"X-Pad: %03zu\r\n", len % 1000);
	g = guard_copy(buf, len);
	cr_assert_eq(http_parse_request(g.data, len, 0, &req),
		     HTTP_PARSE_INCOMPLETE);
	cr_assert_eq(http_parse_request(g.data, len, len - 7, &req),
		     HTTP_PARSE_INCOMPLETE);
	guard_free(&g);
}

struct bad_row {
	const char *name;
	const char *raw;
	size_t len;
};

#define BAD(name, lit)                     \
	{                                  \
		name, lit, sizeof(lit) - 1 \
	}

static const struct bad_row bad_rows[] = {
	BAD("bad method char", "GE(T / HTTP/1.1\r\n\r\n"),
	BAD("high byte in method", "G\xc3\x89T / HTTP/1.1\r\n\r\n"),
	BAD("tab after method", "GET\t/ HTTP/1.1\r\n\r\n"),
	BAD("empty method", " / HTTP/1.1\r\n\r\n"),
	BAD("method too long", "ABCDEFGHIJKLMNOPQRSTUVWXY / HTTP/1.1\r\n\r\n"),
	BAD("method too long, incomplete", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
	BAD("missing version", "GET /\r\n\r\n"),
	BAD("missing version after space", "GET / \r\n\r\n"),
	BAD("missing target", "GET HTTP/1.1\r\n\r\n"),
	BAD("HTTP/0.9 line", "GET /\r\n"),
	BAD("HTTP/2.0", "GET / HTTP/2.0\r\n\r\n"),
	BAD("HTTP/1.2", "GET / HTTP/1.2\r\n\r\n"),
	BAD("HTTP/1.10", "GET / HTTP/1.10\r\n\r\n"),
	BAD("lower-case version", "GET / http/1.1\r\n\r\n"),
	BAD("version garbage", "GET / HTTP/1.1x\r\n\r\n"),
	BAD("space after version", "GET / HTTP/1.1 \r\n\r\n"),
	BAD("two spaces after method", "GET  / HTTP/1.1\r\n\r\n"),
	BAD("two spaces after target", "GET /  HTTP/1.1\r\n\r\n"),
	BAD("space inside target", "GET /a b HTTP/1.1\r\n\r\n"),
	BAD("leading space", " GET / HTTP/1.1\r\n\r\n"),
	BAD("NUL in target", "GET /\0 HTTP/1.1\r\n\r\n"),
	BAD("NUL first", "\0GET / HTTP/1.1\r\n\r\n"),
	BAD("NUL in header value", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"),
	BAD("NUL in header name", "GET / HTTP/1.1\r\nX\0: a\r\n\r\n"),
	BAD("bare CR after request line", "GET / HTTP/1.1\rX: y\r\n\r\n"),
	BAD("bare CR in value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
	BAD("CR CR LF at end", "GET / HTTP/1.1\r\n\r\r\n"),
	BAD("bare LF line ends", "GET / HTTP/1.1\n\n"),
	BAD("bare LF after header", "GET / HTTP/1.1\r\nX: y\n\r\n"),
	BAD("bare LF as blank line", "GET / HTTP/1.1\r\n\n"),
	BAD("leading LF", "\nGET / HTTP/1.1\r\n\r\n"),
	BAD("two leading CRLF", "\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
	BAD("header without colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n"),
	BAD("header name only", "GET / HTTP/1.1\r\nHost\r\n\r\n"),
	BAD("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
	BAD("tab before colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n"),
	BAD("empty header name", "GET / HTTP/1.1\r\n: x\r\n\r\n"),
	BAD("non-token header name", "GET / HTTP/1.1\r\nX@Y: z\r\n\r\n"),
	BAD("high byte in header name",
	    "GET / HTTP/1.1\r\nX\xc3\xa9: z\r\n\r\n"),
	BAD("obs-fold with space", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"),
	BAD("obs-fold with tab", "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"),
	BAD("space before first header", "GET / HTTP/1.1\r\n Host: x\r\n\r\n"),
	BAD("control byte in value", "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n"),
	BAD("DEL in value", "GET / HTTP/1.1\r\nX: a\x7fz\r\n\r\n"),
	BAD("escape in value", "GET / HTTP/1.1\r\nX: \x1b[31m\r\n\r\n"),
	BAD("absolute-form, 1.1 without Host",
	    "GET http://10.1.2.3:8081/readyz HTTP/1.1\r\n\r\n"),
	BAD("asterisk-form, 1.1 without Host", "OPTIONS * HTTP/1.1\r\n\r\n"),
	BAD("GET asterisk-form", "GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("HEAD asterisk-form", "HEAD * HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("asterisk then more", "OPTIONS *x HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("asterisk then query", "OPTIONS *?a HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("absolute-form one slash",
	    "GET http:/x HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("absolute-form empty authority",
	    "GET http:// HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("absolute-form empty authority, path",
	    "GET http:///healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("absolute-form empty authority, query",
	    "GET http://?verbose HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("absolute-form https",
	    "GET https://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("absolute-form other scheme",
	    "GET ftp://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("DEL in authority",
	    "GET http://x\x7f/ HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("high byte in authority",
	    "GET http://caf\xc3\xa9/ HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("authority form", "CONNECT 10.0.0.1:443 HTTP/1.1\r\n\r\n"),
	BAD("relative target", "GET readyz HTTP/1.1\r\n\r\n"),
	BAD("high byte in target", "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n"),
	BAD("DEL in target", "GET /\x7f HTTP/1.1\r\n\r\n"),
	BAD("tab in target", "GET /a\tb HTTP/1.1\r\n\r\n"),
	BAD("negative Content-Length",
	    "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
	BAD("Content-Length list",
	    "POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n"),
	BAD("Content-Length text",
	    "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
	BAD("empty Content-Length",
	    "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"),
	BAD("Content-Length with inner space",
	    "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"),
	BAD("incomplete but already bad header",
	    "GET / HTTP/1.1\r\nBad Header"),
	BAD("1.1 without Host", "GET /healthz HTTP/1.1\r\n\r\n"),
	BAD("1.1 without Host, other headers",
	    "GET / HTTP/1.1\r\nX-Host: x\r\nHosts: y\r\n\r\n"),
	BAD("two Host headers",
	    "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\nhost: a\r\n\r\n"),
	BAD("two Host headers in 1.0",
	    "GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n"),
	BAD("two different Content-Length values",
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n"),
	BAD("zero and non-zero Content-Length",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	    "Content-Length: 10\r\n\r\n"),
	BAD("TLS client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
	BAD("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
	BAD("response instead of request", "HTTP/1.1 200 OK\r\n\r\n"),
	BAD("binary garbage", "\xff\xfe\xfd\xfc"),
};

#define N_BAD (sizeof(bad_rows) / sizeof(bad_rows[0]))

Test(http, malformed_requests_rejected)
{
	for (size_t i = 0; i < N_BAD; i++) {
		const struct bad_row *row = &bad_rows[i];
		struct guard g = guard_copy(row->raw, row->len);
		struct http_request req = sentinel();
		int n = http_parse_request(g.data, row->len, 0, &req);

		cr_assert_eq(n, HTTP_PARSE_MALFORMED, "%s: returned %d",
			     row->name, n);
		cr_assert(is_sentinel(&req), "%s: ret written on -1",
			  row->name);
		guard_free(&g);
	}
}

/*
 * Fed byte by byte with last_len, a malformed head that is complete (has
 * its blank line) is rejected at the latest when the blank line arrives,
 * and nothing before that is reported as a success.
 */
Test(http, malformed_requests_rejected_incrementally)
{
	for (size_t i = 0; i < N_BAD; i++) {
		const struct bad_row *row = &bad_rows[i];
		size_t last = 0;
		int n = HTTP_PARSE_INCOMPLETE;

		if (!memmem(row->raw, row->len, "\r\n\r\n", 4))
			continue;
		for (size_t len = 1; len <= row->len; len++) {
			struct guard g = guard_copy(row->raw, len);
			struct http_request req;

			n = http_parse_request(g.data, len, last, &req);
			guard_free(&g);
			cr_assert(n == HTTP_PARSE_INCOMPLETE ||
					  n == HTTP_PARSE_MALFORMED,
				  "%s: %zu bytes returned %d", row->name, len,
				  n);
			if (n == HTTP_PARSE_MALFORMED)
				break;
			last = len;
		}
		cr_assert_eq(n, HTTP_PARSE_MALFORMED, "%s: never rejected",
			     row->name);
	}
}

/* Byte-level errors are caught by the cheap re-parse check too. */
Test(http, reparse_catches_stray_bytes_early)
{
	/* len - fresh bytes were seen before; they are a valid prefix */
	static const struct {
		const char *name;
		const char *raw;
		size_t len;
		size_t fresh;
	} rows[] = {
#define STRAY(name, lit, fresh) { name, lit, sizeof(lit) - 1, fresh }
		STRAY("NUL", "GET / HTTP/1.1\r\nX: a\0", 1),
		STRAY("bare LF", "GET / HTTP/1.1\r\nX: a\n", 1),
		STRAY("DEL", "GET / HTTP/1.1\r\nX: a\x7f", 1),
		STRAY("control byte",
		      "GET / HTTP/1.1\r\nX: a\x01"
		      "b",
		      2),
		STRAY("bare CR in new bytes", "GET / HTTP/1.1\r\nX: a\rbc", 3),
		STRAY("CR at the old end", "GET / HTTP/1.1\r\nX: a\rb", 1),
#undef STRAY
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct guard g = guard_copy(rows[i].raw, rows[i].len);
		struct http_request req;

		size_t seen = rows[i].len - rows[i].fresh;

		cr_assert_eq(http_parse_request(g.data, seen, 0, &req),
			     HTTP_PARSE_INCOMPLETE, "%s", rows[i].name);
		cr_assert_eq(http_parse_request(g.data, rows[i].len, seen,
						&req),
			     HTTP_PARSE_MALFORMED, "%s", rows[i].name);
		guard_free(&g);
	}
}

Test(http, last_len_beyond_len_is_a_rescan)
{
	const char raw[] = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
	struct guard g = guard_copy(raw, sizeof(raw) - 1);
	struct http_request req;

	cr_assert_eq(http_parse_request(g.data, sizeof(raw) - 1, 1000, &req),
		     (int)sizeof(raw) - 1);
	guard_free(&g);
}

struct query_row {
	const char *target;
	const char *name;
	bool want;
};

static const struct query_row query_rows[] = {
	{ "/healthz?verbose", "verbose", true },
	{ "/healthz?verbose=1", "verbose", true },
	{ "/healthz?verbose=", "verbose", true },
	{ "/healthz?verbose=0", "verbose", true },
	{ "/healthz?a&verbose", "verbose", true },
	{ "/healthz?verbose&a", "verbose", true },
	{ "/healthz?a=1&verbose=true&b=2", "verbose", true },
	{ "/healthz?&&verbose&&", "verbose", true },
	{ "/healthz", "verbose", false },
	{ "/healthz?", "verbose", false },
	{ "/healthz?verbosex", "verbose", false },
	{ "/healthz?xverbose", "verbose", false },
	{ "/healthz?a=verbose", "verbose", false },
	{ "/healthz?=verbose", "verbose", false },
	{ "/healthz?Verbose", "verbose", false },
	{ "/healthz?verb", "verbose", false },
	{ "/verbose", "verbose", false },
};

Test(http, query_has)
{
	for (size_t i = 0; i < sizeof(query_rows) / sizeof(query_rows[0]);
	     i++) {
		char raw[256];
		int len = snprintf(raw, sizeof(raw),
				   "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
				   query_rows[i].target);
		struct guard g = guard_copy(raw, (size_t)len);
		struct http_request req;

		cr_assert_eq(http_parse_request(g.data, (size_t)len, 0, &req),
			     len);
		cr_assert_eq(http_query_has(&req, query_rows[i].name),
			     query_rows[i].want, "%s has %s",
			     query_rows[i].target, query_rows[i].name);
		guard_free(&g);
	}
}

struct response_row {
	int status;
	const char *content_type;
	size_t content_length;
	bool keep_alive;
	const char *extra;
	const char *want;
};

static const struct response_row response_rows[] = {
	{ 200, "application/json", 15, true, NULL,
	  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	  "Content-Length: 15\r\nCache-Control: no-store\r\n"
	  "Connection: keep-alive\r\n\r\n" },
	{ 503, "application/json", 44, false, NULL,
	  "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
	  "Content-Length: 44\r\nCache-Control: no-store\r\n"
	  "Connection: close\r\n\r\n" },
	{ 405, "text/plain; charset=utf-8", 0, false, "Allow: GET, HEAD\r\n",
	  "HTTP/1.1 405 Method Not Allowed\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n"
	  "Content-Length: 0\r\nCache-Control: no-store\r\n"
	  "Connection: close\r\nAllow: GET, HEAD\r\n\r\n" },
	{ 400, NULL, 0, false, NULL,
	  "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
	  "Cache-Control: no-store\r\nConnection: close\r\n\r\n" },
	{ 404, NULL, 0, true, NULL,
	  "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
	  "Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\n" },
	{ 408, NULL, 0, false, NULL,
	  "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n"
	  "Cache-Control: no-store\r\nConnection: close\r\n\r\n" },
	{ 431, NULL, 0, false, NULL,
	  "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
	  "Cache-Control: no-store\r\nConnection: close\r\n\r\n" },
	{ 500, NULL, 0, false, NULL,
	  "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
	  "Cache-Control: no-store\r\nConnection: close\r\n\r\n" },
	{ 200, "text/plain; version=0.0.4", 123456789, true,
	  "X-A: 1\r\nX-B: 2\r\n",
	  "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
	  "Content-Length: 123456789\r\nCache-Control: no-store\r\n"
	  "Connection: keep-alive\r\nX-A: 1\r\nX-B: 2\r\n\r\n" },
};

Test(http, format_response)
{
	for (size_t i = 0; i < sizeof(response_rows) / sizeof(response_rows[0]);
	     i++) {
		const struct response_row *row = &response_rows[i];
		char buf[512];
		size_t len = 0;

		cr_assert_eq(http_format_response(
				     buf, sizeof(buf), row->status,
				     row->content_type, row->content_length,
				     row->keep_alive, row->extra, &len),
			     0, "status %d", row->status);
		cr_assert_str_eq(buf, row->want);
		cr_assert_eq(len, strlen(row->want));
	}
}

/*
 * Every status the server sends, with and without a type, kept alive or
 * not, and lengths of every digit count: byte for byte what the format
 * the heads were once printed with gives.
 */
Test(http, format_response_matches_printf)
{
	static const int statuses[] = { 200, 400, 404, 405, 408, 431, 500, 503 };
	static const size_t lengths[] = { 0,	 1,	    9,	     10,
					  15,	 99,	    100,     4096,
					  65535, 123456789, SIZE_MAX };

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		for (size_t j = 0; j < sizeof(lengths) / sizeof(lengths[0]);
		     j++)
			for (int k = 0; k < 4; k++) {
				const char *type = k & 1 ? "application/json" :
							   NULL;
				const char *extra =
					k & 2 ? "Allow: GET, HEAD\r\n" : NULL;
				bool keep = (i + j) % 2 == 0;
				char want[512], buf[512];
				size_t len = 0;

				snprintf(want, sizeof(want),
					 "HTTP/1.1 %d %s\r\n%s%s%s"
					 "Content-Length: %zu\r\n"
					 "Cache-Control: no-store\r\n"
					 "Connection: %s\r\n%s\r\n",
					 statuses[i],
					 http_reason_phrase(statuses[i]),
					 type ? "Content-Type: " : "",
					 type ? type : "", type ? "\r\n" : "",
					 lengths[j],
					 keep ? "keep-alive" : "close",
					 extra ? extra : "");
				cr_assert_eq(
					http_format_response(buf, sizeof(buf),
							     statuses[i], type,
							     lengths[j], keep,
							     extra, &len),
					0);
				cr_assert_str_eq(buf, want);
				cr_assert_eq(len, strlen(want));
			}
}

/* A buffer cut anywhere inside the head, or just before its NUL, fails. */
Test(http, format_response_every_short_buffer)
{
	char full[256], buf[256];
	size_t need = 0, len = 99;

	cr_assert_eq(http_format_response(full, sizeof(full), 405, "text/plain",
					  12345, false, "Allow: GET, HEAD\r\n",
					  &need),
		     0);
	for (size_t n = 1; n <= need; n++)
		cr_assert_eq(http_format_response(buf, n, 405, "text/plain",
						  12345, false,
						  "Allow: GET, HEAD\r\n", &len),
			     -ENOBUFS, "buffer of %zu", n);
	cr_assert_eq(len, 99);
}

Test(http, format_response_buffer_too_small)
{
	const char *want =
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		"Cache-Control: no-store\r\nConnection: close\r\n\r\n";
	size_t need = strlen(want);
	char buf[128];
	size_t len = 4242;

	/* room for the head but not its NUL */
	cr_assert_eq(http_format_response(buf, need, 200, NULL, 2, false, NULL,
					  &len),
		     -ENOBUFS);
	cr_assert_eq(len, 4242, "ret_len written on error");
	cr_assert_eq(http_format_response(buf, 10, 200, NULL, 2, false, NULL,
					  &len),
		     -ENOBUFS);
	cr_assert_eq(http_format_response(NULL, 0, 200, NULL, 2, false, NULL,
					  &len),
		     -ENOBUFS);
	cr_assert_eq(len, 4242);
	cr_assert_eq(http_format_response(buf, need + 1, 200, NULL, 2, false,
					  NULL, &len),
		     0);
	cr_assert_eq(len, need);
	cr_assert_str_eq(buf, want);
}

Test(http, format_response_unknown_status)
{
	char buf[256];
	size_t len = 7;

	cr_assert_eq(http_format_response(buf, sizeof(buf), 418, NULL, 0, false,
					  NULL, &len),
		     -EINVAL);
	cr_assert_eq(http_format_response(buf, sizeof(buf), 0, NULL, 0, false,
					  NULL, &len),
		     -EINVAL);
	cr_assert_eq(len, 7);
	cr_assert_null(http_reason_phrase(201));
	cr_assert_str_eq(http_reason_phrase(431),
			 "Request Header Fields Too Large");
}
