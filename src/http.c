/* SPDX-License-Identifier: MIT */
/*
 * http.c - the health side port's HTTP/1.1 request-head parser, query
 * lookup and response-head formatter (the rules are in http.h).
 *
 * Pure and zero-copy: no I/O, no globals, no logs, no allocation. The
 * parser never reads buf[len] or beyond (the unit tests put the input
 * against a PROT_NONE page and the fuzz target runs it under ASan). Every
 * check is prefix-safe: running out of bytes is HTTP_PARSE_INCOMPLETE, a
 * byte that no valid head could hold there is HTTP_PARSE_MALFORMED at once.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "http.h"
#include "parse.h"
#include "banned.h"

/* Internal parse step result: keep going, or return this value. */
#define STEP_OK 0

/* RFC 9110 tchar: the bytes of a token (method, header name). */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A byte that may appear in a request target: visible ASCII. */
static bool is_target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* A byte that may appear in a field value: HTAB, SP, VCHAR, obs-text. */
static bool is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* A byte that no head may hold anywhere: controls but HTAB/CR/LF, DEL. */
static bool is_never_char(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim optional whitespace from both ends of [*s, *s + *len). */
static void trim_ows(const char **s, size_t *len)
{
	while (*len > 0 && is_ows((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_ows((*s)[*len - 1]))
		(*len)--;
}

/* The parse state: a cursor over [buf, end). */
struct cursor {
	const char *p;
	const char *end;
};

/*
 * Expect "\r\n" at the cursor and step over it. STEP_OK, or
 * HTTP_PARSE_INCOMPLETE / HTTP_PARSE_MALFORMED.
 */
static int expect_crlf(struct cursor *c)
{
	if (c->p == c->end)
		return HTTP_PARSE_INCOMPLETE;
	if (*c->p != '\r')
		return HTTP_PARSE_MALFORMED;
	if (c->p + 1 == c->end)
		return HTTP_PARSE_INCOMPLETE;
	if (c->p[1] != '\n')
		return HTTP_PARSE_MALFORMED;
	c->p += 2;
	return STEP_OK;
}

/*
 * Expect the literal @lit at the cursor (a prefix of it is incomplete),
 * ignoring ASCII case when @any_case (then @lit is in lower case).
 */
static int expect_literal(struct cursor *c, const char *lit, bool any_case)
{
	for (; *lit; lit++, c->p++) {
		if (c->p == c->end)
			return HTTP_PARSE_INCOMPLETE;
		if ((any_case ? parse_lower(*c->p) : *c->p) != *lit)
			return HTTP_PARSE_MALFORMED;
	}
	return STEP_OK;
}

/*
 * The request target, up to (not over) the SP after it, into req->path
 * and req->query (the forms are in http.h). An absolute-form target is
 * routed by its path and query alone: its authority, like Host, means
 * nothing to this server, so it is only checked for its bytes.
 */
static int parse_target(struct cursor *c, struct http_request *req)
{
	const char *slash = NULL; /* absolute-form: the last '/' of "http://" */
	int r;

	if (c->p == c->end)
		return HTTP_PARSE_INCOMPLETE;
	req->path.ptr = c->p;
	req->query.ptr = NULL;
	req->query.len = 0;
	if (*c->p == '*') {
		/*
		 * RFC 9112 section 3.2.4 allows it for OPTIONS only; every
		 * method but GET and HEAD gets 405 whatever its target, so
		 * only GET * and HEAD * are malformed.
		 */
		if (req->method != HTTP_METHOD_OTHER)
			return HTTP_PARSE_MALFORMED;
		req->path.len = 1;
		c->p++;
		if (c->p == c->end)
			return HTTP_PARSE_INCOMPLETE;
		return *c->p == ' ' ? STEP_OK : HTTP_PARSE_MALFORMED;
	}
	if (*c->p != '/') {
		/*
		 * "https://" is malformed: this port speaks plain HTTP, so
		 * an https target was meant for some other server.
		 */
		r = expect_literal(c, "http://", true);
		if (r != STEP_OK)
			return r;
		slash = c->p - 1;
		for (;;) {
			if (c->p == c->end)
				return HTTP_PARSE_INCOMPLETE;
			if (*c->p == '/' || *c->p == '?' || *c->p == ' ')
				break;
			if (!is_target_char((unsigned char)*c->p))
				return HTTP_PARSE_MALFORMED;
			c->p++;
		}
		/* RFC 9110 section 4.2.1: an empty host is invalid */
		if (c->p == slash + 1)
			return HTTP_PARSE_MALFORMED;
		req->path.ptr = c->p;
	}
	for (;;) {
		if (c->p == c->end)
			return HTTP_PARSE_INCOMPLETE;
		if (*c->p == ' ')
			break;
		if (!is_target_char((unsigned char)*c->p))
			return HTTP_PARSE_MALFORMED;
		if (*c->p == '?' && !req->query.ptr)
			req->query.ptr = c->p + 1;
		c->p++;
	}
	if (req->query.ptr) {
		req->path.len = (size_t)(req->query.ptr - 1 - req->path.ptr);
		req->query.len = (size_t)(c->p - req->query.ptr);
	} else {
		req->path.len = (size_t)(c->p - req->path.ptr);
	}
	if (req->path.len == 0) {
		/*
		 * Only an absolute-form target can have an empty path, and
		 * it means "/" (RFC 9110 section 4.2.3): the last '/' of its
		 * "http://" stands for it, so the span stays in the head.
		 */
		req->path.ptr = slash;
		req->path.len = 1;
	}
	return STEP_OK;
}

/* "GET /path?query HTTP/1.x\r\n" into @req. */
static int parse_request_line(struct cursor *c, struct http_request *req)
{
	const char *start = c->p;
	int r;

	/* method SP */
	for (;;) {
		if ((size_t)(c->p - start) > HTTP_METHOD_LEN_MAX)
			return HTTP_PARSE_MALFORMED;
		if (c->p == c->end)
			return HTTP_PARSE_INCOMPLETE;
		if (*c->p == ' ')
			break;
		if (!is_tchar((unsigned char)*c->p))
			return HTTP_PARSE_MALFORMED;
		c->p++;
	}
	if (c->p == start)
		return HTTP_PARSE_MALFORMED;
	req->method_text.ptr = start;
	req->method_text.len = (size_t)(c->p - start);
	if (req->method_text.len == 3 && memcmp(start, "GET", 3) == 0)
		req->method = HTTP_METHOD_GET;
	else if (req->method_text.len == 4 && memcmp(start, "HEAD", 4) == 0)
		req->method = HTTP_METHOD_HEAD;
	else
		req->method = HTTP_METHOD_OTHER;
	c->p++;

	/* target SP */
	r = parse_target(c, req);
	if (r != STEP_OK)
		return r;
	c->p++;

	/* version CRLF */
	r = expect_literal(c, "HTTP/1.", false);
	if (r != STEP_OK)
		return r;
	if (c->p == c->end)
		return HTTP_PARSE_INCOMPLETE;
	if (*c->p != '0' && *c->p != '1')
		return HTTP_PARSE_MALFORMED;
	req->minor_version = *c->p - '0';
	c->p++;
	return expect_crlf(c);
}

/* Does the Connection value hold the token @word (case-insensitive)? */
static bool connection_has(const char *v, size_t len, const char *word)
{
	while (len > 0) {
		const char *comma = memchr(v, ',', len);
		size_t n = comma ? (size_t)(comma - v) : len;
		const char *item = v;
		size_t item_len = n;

		trim_ows(&item, &item_len);
		if (parse_span_caseeq(item, item_len, word))
			return true;
		if (!comma)
			break;
		v += n + 1;
		len -= n + 1;
	}
	return false;
}

/* What the header lines said, gathered until the blank line. */
struct head_facts {
	bool conn_close;
	bool conn_keep_alive;
	unsigned hosts; /* Host lines seen */
	const char *length; /* the first Content-Length, leading zeros cut */
	size_t length_len;
};

/* @v without leading zeros ("000" is "" and "007" is "7"). */
static void skip_zeros(const char **v, size_t *len)
{
	while (*len > 0 && **v == '0') {
		(*v)++;
		(*len)--;
	}
}

/*
 * Act on the headers we interpret. Content-Length must be digits only (a
 * list such as "5, 5" or a sign is malformed); values are compared as
 * digit strings without leading zeros, so no overflow is possible, and
 * a second line with a different value is malformed (RFC 9112 section
 * 6.3: the body's end would be ambiguous).
 */
static int interpret_header(const char *name, size_t name_len, const char *v,
			    size_t len, struct http_request *req,
			    struct head_facts *f)
{
	trim_ows(&v, &len);
	if (parse_span_caseeq(name, name_len, "connection")) {
		if (connection_has(v, len, "close"))
			f->conn_close = true;
		if (connection_has(v, len, "keep-alive"))
			f->conn_keep_alive = true;
	} else if (parse_span_caseeq(name, name_len, "content-length")) {
		if (len == 0)
			return HTTP_PARSE_MALFORMED;
		for (size_t i = 0; i < len; i++)
			if (v[i] < '0' || v[i] > '9')
				return HTTP_PARSE_MALFORMED;
		skip_zeros(&v, &len);
		if (len > 0)
			req->has_body = true;
		if (f->length &&
		    (f->length_len != len || memcmp(f->length, v, len) != 0))
			return HTTP_PARSE_MALFORMED;
		f->length = v;
		f->length_len = len;
	} else if (parse_span_caseeq(name, name_len, "transfer-encoding")) {
		req->has_body = true;
	} else if (parse_span_caseeq(name, name_len, "host")) {
		f->hosts++;
	}
	return STEP_OK;
}

/*
 * Header lines up to and including the blank line. RFC 9112 section 3.2:
 * an HTTP/1.1 request needs exactly one Host line, any request at most
 * one; otherwise the head is malformed (400).
 */
static int parse_headers(struct cursor *c, struct http_request *req)
{
	struct head_facts f = { 0 };
	int r;

	for (;;) {
		const char *name, *value;
		size_t name_len;

		if (c->p == c->end)
			return HTTP_PARSE_INCOMPLETE;
		if (*c->p == '\r')
			break;
		/* obs-fold, or whitespace between request line and headers */
		if (is_ows(*c->p))
			return HTTP_PARSE_MALFORMED;

		name = c->p;
		for (;;) {
			if (c->p == c->end)
				return HTTP_PARSE_INCOMPLETE;
			if (*c->p == ':')
				break;
			if (!is_tchar((unsigned char)*c->p))
				return HTTP_PARSE_MALFORMED;
			c->p++;
		}
		name_len = (size_t)(c->p - name);
		if (name_len == 0)
			return HTTP_PARSE_MALFORMED;
		c->p++;

		value = c->p;
		for (;;) {
			if (c->p == c->end)
				return HTTP_PARSE_INCOMPLETE;
			if (*c->p == '\r')
				break;
			if (!is_value_char((unsigned char)*c->p))
				return HTTP_PARSE_MALFORMED;
			c->p++;
		}
		r = interpret_header(name, name_len, value,
				     (size_t)(c->p - value), req, &f);
		if (r != STEP_OK)
			return r;
		r = expect_crlf(c);
		if (r != STEP_OK)
			return r;
	}
	r = expect_crlf(c);
	if (r != STEP_OK)
		return r;
	if (f.hosts > 1 || (f.hosts == 0 && req->minor_version == 1))
		return HTTP_PARSE_MALFORMED;

	if (f.conn_close || req->has_body)
		req->keep_alive = false;
	else
		req->keep_alive = req->minor_version == 1 || f.conn_keep_alive;
	return STEP_OK;
}

/*
 * The cheap check for a re-parse, over the bytes from @from (the first
 * not seen before) to the blank line ("\r\n\r\n") or @len: no byte that
 * is never allowed, every LF after a CR, every CR before an LF. Bytes after
 * the blank line belong to the next request and are not looked at.
 * Returns MALFORMED, INCOMPLETE or STEP_OK (complete: run the full parse).
 */
static int quick_check(const char *buf, size_t len, size_t from)
{
	/* the blank line may have begun in the 3 bytes seen before */
	for (size_t i = from >= 3 ? from - 3 : 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (is_never_char(ch))
			return HTTP_PARSE_MALFORMED;
		if (ch == '\n' && (i == 0 || buf[i - 1] != '\r'))
			return HTTP_PARSE_MALFORMED;
		if (ch == '\r' && i + 1 < len && buf[i + 1] != '\n')
			return HTTP_PARSE_MALFORMED;
		if (ch == '\n' && i >= 3 &&
		    memcmp(buf + i - 3, "\r\n\r", 3) == 0)
			return STEP_OK;
	}
	return HTTP_PARSE_INCOMPLETE;
}

int http_parse_request(const char *buf, size_t len, size_t last_len,
		       struct http_request *ret)
{
	struct http_request req = { 0 };
	struct cursor c;
	int r;

	if (len == 0)
		return HTTP_PARSE_INCOMPLETE;
	if (len > INT_MAX)
		len = INT_MAX;
	if (last_len > len)
		last_len = 0;
	if (last_len > 0) {
		r = quick_check(buf, len, last_len);
		if (r != STEP_OK)
			return r;
	}

	c.p = buf;
	c.end = buf + len;
	/* RFC 9112 section 2.2: ignore one empty line before the request */
	if (*c.p == '\r') {
		r = expect_crlf(&c);
		if (r != STEP_OK)
			return r;
	}
	r = parse_request_line(&c, &req);
	if (r != STEP_OK)
		return r;
	r = parse_headers(&c, &req);
	if (r != STEP_OK)
		return r;
	*ret = req;
	return (int)(c.p - buf);
}

bool http_query_has(const struct http_request *r, const char *name)
{
	const char *q = r->query.ptr;
	size_t len = r->query.len;
	size_t name_len = strlen(name);

	if (!q)
		return false;
	while (len > 0) {
		const char *amp = memchr(q, '&', len);
		size_t n = amp ? (size_t)(amp - q) : len;
		const char *eq = memchr(q, '=', n);
		size_t key_len = eq ? (size_t)(eq - q) : n;

		if (key_len == name_len && memcmp(q, name, name_len) == 0)
			return true;
		if (!amp)
			break;
		q += n + 1;
		len -= n + 1;
	}
	return false;
}

const char *http_reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return NULL;
	}
}

int http_format_response(char *buf, size_t buflen, int status,
			 const char *content_type, size_t content_length,
			 bool keep_alive, const char *extra_headers,
			 size_t *ret_len)
{
	static const char keep_tail[] = "\r\nCache-Control: no-store\r\n"
					"Connection: keep-alive\r\n";
	static const char close_tail[] = "\r\nCache-Control: no-store\r\n"
					 "Connection: close\r\n";
	const char *reason = http_reason_phrase(status);
	char code[3], digits[3 * sizeof(size_t)];
	char *d = digits + sizeof(digits);
	size_t len = 0, at = 0;

	if (!reason)
		return -EINVAL;
	/* every status with a reason phrase has three digits */
	code[0] = (char)('0' + status / 100);
	code[1] = (char)('0' + status / 10 % 10);
	code[2] = (char)('0' + status % 10);
	do {
		*--d = (char)('0' + content_length % 10);
		content_length /= 10;
	} while (content_length);
	/*
	 * Constant pieces and the digits, not snprintf: parsing the format
	 * was most of the instructions a kept-alive request cost.
	 */
	const struct {
		const char *s;
		size_t n;
	} pieces[] = {
		{ "HTTP/1.1 ", 9 },
		{ code, 3 },
		{ " ", 1 },
		{ reason, strlen(reason) },
		{ "\r\nContent-Type: ", content_type ? 16 : 0 },
		{ content_type ? content_type : "",
		  content_type ? strlen(content_type) : 0 },
		{ "\r\nContent-Length: ", 18 },
		{ d, (size_t)(digits + sizeof(digits) - d) },
		{ keep_alive ? keep_tail : close_tail,
		  keep_alive ? sizeof(keep_tail) - 1 : sizeof(close_tail) - 1 },
		{ extra_headers ? extra_headers : "",
		  extra_headers ? strlen(extra_headers) : 0 },
		{ "\r\n", 2 },
	};
	const size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);

	for (size_t i = 0; i < n_pieces; i++)
		len += pieces[i].n;
	if (len >= buflen)
		return -ENOBUFS;
	for (size_t i = 0; i < n_pieces; i++) {
		memcpy(buf + at, pieces[i].s, pieces[i].n);
		at += pieces[i].n;
	}
	buf[len] = '\0';
	*ret_len = len;
	return 0;
}
