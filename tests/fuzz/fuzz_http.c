/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http.c - libFuzzer target for src/http.c's request-head parser.
 *
 * Every input is parsed whole and as a re-parse after an earlier,
 * incomplete look at a prefix (the first byte picks the split), each copy
 * in its own exactly-sized heap block so ASan sees a read past the end.
 * Invariants checked (abort() on violation, which libFuzzer reports):
 * - the result is -1, -2 or 1..len;
 * - on success every span lies inside the consumed head, the path starts
 *   with '/' (or is "*" with a method other than GET and HEAD), the head
 *   ends in "\r\n\r\n", the method enum matches its text, the version is
 *   1.0/1.1 and keep_alive excludes has_body;
 * - the parse is a function of the head alone: the head by itself parses
 *   to the same length, and the head minus its last byte is incomplete;
 * - a re-parse with last_len after an incomplete prefix agrees with the
 *   whole parse whenever either succeeds;
 * - http_query_has never reads outside the query.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "http.h"

/* Parse @len bytes of @data from a heap copy of exactly that size. */
static int parse_copy(const uint8_t *data, size_t len, size_t last_len,
		      struct http_request *req, char **ret_copy)
{
	char *copy = malloc(len ? len : 1);
	int r;

	CHECK(copy);
	if (len)
		memcpy(copy, data, len);
	r = http_parse_request(copy, len, last_len, req);
	if (ret_copy)
		*ret_copy = copy;
	else
		free(copy);
	return r;
}

static bool inside(struct http_span s, const char *buf, size_t len)
{
	return s.ptr && s.ptr >= buf && s.len <= len &&
	       (size_t)(s.ptr - buf) <= len - s.len;
}

static void check_success(const struct http_request *req, const char *buf,
			  size_t n)
{
	CHECK(n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0);
	CHECK(inside(req->method_text, buf, n));
	CHECK(req->method_text.len >= 1 &&
	      req->method_text.len <= HTTP_METHOD_LEN_MAX);
	CHECK(inside(req->path, buf, n));
	CHECK(req->path.len >= 1);
	if (req->path.ptr[0] == '*')
		CHECK(req->path.len == 1 && !req->query.ptr &&
		      req->method == HTTP_METHOD_OTHER);
	else
		CHECK(req->path.ptr[0] == '/');
	CHECK(!memchr(req->path.ptr, '?', req->path.len));
	if (req->query.ptr) {
		CHECK(inside(req->query, buf, n));
		/*
		 * right after the path, or after the authority of an
		 * absolute-form target with an empty path, whose "/" is the
		 * last one of "http://"
		 */
		CHECK(req->query.ptr == req->path.ptr + req->path.len + 1 ||
		      (req->path.len == 1 && req->path.ptr[-1] == '/' &&
		       req->path.ptr[-2] == ':' &&
		       req->query.ptr > req->path.ptr + 2));
		CHECK(req->query.ptr[-1] == '?');
	} else {
		CHECK(req->query.len == 0);
	}
	CHECK(req->minor_version == 0 || req->minor_version == 1);
	CHECK(!(req->keep_alive && req->has_body));
	switch (req->method) {
	case HTTP_METHOD_GET:
		CHECK(req->method_text.len == 3 &&
		      !memcmp(req->method_text.ptr, "GET", 3));
		break;
	case HTTP_METHOD_HEAD:
		CHECK(req->method_text.len == 4 &&
		      !memcmp(req->method_text.ptr, "HEAD", 4));
		break;
	case HTTP_METHOD_OTHER:
		break;
	default:
		CHECK(!"method out of range");
	}
	/* the lookups must not read past the query; the answer is unused */
	(void)http_query_has(req, "verbose");
	(void)http_query_has(req, "");
	if (req->query.len > 0 && req->query.len < 64) {
		char name[64];
		const char *eq = memchr(req->query.ptr, '=', req->query.len);
		const char *amp = memchr(req->query.ptr, '&', req->query.len);
		size_t k = req->query.len;

		if (eq && (size_t)(eq - req->query.ptr) < k)
			k = (size_t)(eq - req->query.ptr);
		if (amp && (size_t)(amp - req->query.ptr) < k)
			k = (size_t)(amp - req->query.ptr);
		memcpy(name, req->query.ptr, k);
		name[k] = '\0';
		/* the first parameter's own name is always found */
		CHECK(http_query_has(req, name));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req, again;
	size_t split;
	char *buf;
	int r, r2;

	r = parse_copy(data, size, 0, &req, &buf);
	CHECK(r == HTTP_PARSE_MALFORMED || r == HTTP_PARSE_INCOMPLETE ||
	      (r > 0 && (size_t)r <= size));
	if (r > 0) {
		check_success(&req, buf, (size_t)r);
		CHECK(parse_copy(data, (size_t)r, 0, &again, NULL) == r);
		CHECK(parse_copy(data, (size_t)r - 1, 0, &again, NULL) ==
		      HTTP_PARSE_INCOMPLETE);
	}
	free(buf);

	/* a re-parse after an incomplete look at the first split bytes */
	if (size < 2)
		return 0;
	split = 1 + data[0] % (size - 1);
	if (parse_copy(data, split, 0, &again, NULL) != HTTP_PARSE_INCOMPLETE)
		return 0;
	r2 = parse_copy(data, size, split, &again, &buf);
	CHECK(r2 == HTTP_PARSE_MALFORMED || r2 == HTTP_PARSE_INCOMPLETE ||
	      r2 == r);
	if (r > 0)
		CHECK(r2 == r);
	if (r2 > 0) {
		check_success(&again, buf, (size_t)r2);
		CHECK(again.method == req.method);
		CHECK(again.keep_alive == req.keep_alive);
		CHECK(again.has_body == req.has_body);
		CHECK(again.path.len == req.path.len);
	}
	free(buf);
	return 0;
}
