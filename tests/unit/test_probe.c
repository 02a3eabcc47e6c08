/* SPDX-License-Identifier: MIT */
/*
 * test_probe.c - the pure parts of `pidone health` (src/probe.c): --url
 * parsing, the answer's status line and Content-Length, and the body
 * excerpt on the report line. Every input sits flush against a PROT_NONE
 * page (URLs with their NUL as the last readable byte).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "probe.h"

struct url_row {
	const char *url;
	int family;
	const char *host;
	unsigned port;
	const char *path;
};

static const struct url_row good_urls[] = {
	{ "http://127.0.0.1:8081/healthz", AF_INET, "127.0.0.1", 8081,
	  "/healthz" },
	{ "http://127.0.0.1", AF_INET, "127.0.0.1", 80, "/" },
	{ "http://127.0.0.1/", AF_INET, "127.0.0.1", 80, "/" },
	{ "http://10.1.2.3:65535/readyz?verbose", AF_INET, "10.1.2.3", 65535,
	  "/readyz?verbose" },
	{ "http://localhost:9/x", AF_INET, "127.0.0.1", 9, "/x" },
	/* a scheme and a host name are read in any case (RFC 3986) */
	{ "HTTP://LocalHost:9/x", AF_INET, "127.0.0.1", 9, "/x" },
	{ "http://[::1]:8081/readyz", AF_INET6, "[::1]", 8081, "/readyz" },
	{ "http://[::1]", AF_INET6, "[::1]", 80, "/" },
	{ "http://[::ffff:127.0.0.1]:1/a/b", AF_INET6, "[::ffff:127.0.0.1]", 1,
	  "/a/b" },
	{ "http://[2001:db8::42]:8081/metrics", AF_INET6, "[2001:db8::42]",
	  8081, "/metrics" },
	{ "http://127.0.0.1:08081/", AF_INET, "127.0.0.1", 8081, "/" },
};

/* One negative row per way a URL can be wrong. */
static const char *const bad_urls[] = {
	"",
	"http://",
	"http:/127.0.0.1/",
	"https://127.0.0.1/",
	"ftp://127.0.0.1/",
	"127.0.0.1:8081",
	"http://example.com/", /* a name: would need DNS */
	"http://localhost.localdomain/",
	"http://::1/", /* IPv6 without brackets */
	"http://[::1/",
	"http://[::1]x/",
	"http://[]/",
	"http://[127.0.0.1]/", /* brackets are for IPv6 */
	"http://[localhost]/",
	"http://[fe80::1%eth0]/", /* zone ids need interface lookup */
	"http://1.2.3/",
	"http://256.0.0.1/",
	"http://127.0.0.1:0/",
	"http://127.0.0.1:65536/",
	"http://127.0.0.1:123456/",
	"http://127.0.0.1:/",
	"http://127.0.0.1:80x/",
	"http://127.0.0.1:-1/",
	"http://127.0.0.1:+80/",
	"http://user@127.0.0.1/",
	"http://user:pw@127.0.0.1:80/",
	"http://127.0.0.1/a b",
	"http://127.0.0.1/#frag",
	"http://127.0.0.1/\x01",
	"http://127.0.0.1/\x7f",
	"http://127.0.0.1/\xc3\xa9",
	"http://127.0.0.1?x",
};

static struct guard guard_string(const char *s)
{
	return guard_copy(s, strlen(s) + 1);
}

Test(probe, parse_url_good)
{
	for (size_t i = 0; i < sizeof(good_urls) / sizeof(good_urls[0]); i++) {
		const struct url_row *row = &good_urls[i];
		struct guard g = guard_string(row->url);
		struct probe_target t;
		unsigned short port;

		memset(&t, 0xa5, sizeof(t));
		cr_assert_eq(probe_parse_url(g.data, &t), 0, "%s", row->url);
		cr_expect_eq(t.addr.ss_family, row->family, "%s", row->url);
		cr_expect_str_eq(t.host, row->host, "%s", row->url);
		cr_expect_eq(t.port, row->port, "%s", row->url);
		cr_expect_str_eq(t.path, row->path, "%s", row->url);
		if (row->family == AF_INET) {
			port = ((struct sockaddr_in *)&t.addr)->sin_port;
			cr_expect_eq(t.addr_len, sizeof(struct sockaddr_in));
		} else {
			port = ((struct sockaddr_in6 *)&t.addr)->sin6_port;
			cr_expect_eq(t.addr_len, sizeof(struct sockaddr_in6));
		}
		cr_expect_eq(ntohs(port), row->port, "%s", row->url);
		guard_free(&g);
	}
}

Test(probe, parse_url_address_bytes)
{
	struct probe_target t;
	struct in6_addr loop6 = IN6ADDR_LOOPBACK_INIT;

	cr_assert_eq(probe_parse_url("http://localhost/", &t), 0);
	cr_expect_eq(((struct sockaddr_in *)&t.addr)->sin_addr.s_addr,
		     htonl(INADDR_LOOPBACK));
	cr_assert_eq(probe_parse_url("http://[::1]/", &t), 0);
	cr_expect_eq(memcmp(&((struct sockaddr_in6 *)&t.addr)->sin6_addr,
			    &loop6, sizeof(loop6)),
		     0);
}

Test(probe, parse_url_bad)
{
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		struct guard g = guard_string(bad_urls[i]);
		struct probe_target t, before;

		memset(&t, 0x5a, sizeof(t));
		before = t;
		cr_expect_eq(probe_parse_url(g.data, &t), -EINVAL, "%s",
			     bad_urls[i]);
		cr_expect_eq(memcmp(&t, &before, sizeof(t)), 0,
			     "ret written on failure: %s", bad_urls[i]);
		guard_free(&g);
	}
}

Test(probe, parse_url_path_limit)
{
	char url[PROBE_PATH_MAX + 64];
	struct probe_target t;
	size_t prefix = strlen("http://127.0.0.1");

	memcpy(url, "http://127.0.0.1", prefix);
	/* a path of PROBE_PATH_MAX - 1 bytes fits, one more does not */
	url[prefix] = '/';
	memset(url + prefix + 1, 'a', PROBE_PATH_MAX - 2);
	url[prefix + PROBE_PATH_MAX - 1] = '\0';
	cr_expect_eq(probe_parse_url(url, &t), 0);
	cr_expect_eq(strlen(t.path), PROBE_PATH_MAX - 1);
	url[prefix + PROBE_PATH_MAX - 1] = 'a';
	url[prefix + PROBE_PATH_MAX] = '\0';
	cr_expect_eq(probe_parse_url(url, &t), -EINVAL);
}

struct answer_row {
	const char *name;
	const char *raw;
	int r;
	int status;
	size_t body_offset; /* 0: strlen(raw) (no body) */
	long content_length;
};

#define HEAD_200 "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n"

static const struct answer_row answers[] = {
	{ "ok with body", HEAD_200 "{\"status\":\"ok\"}", 0, 200,
	  sizeof(HEAD_200) - 1, 15 },
	{ "503",
	  "HTTP/1.1 503 Service Unavailable\r\ncontent-length:2\r\n\r\nno", 0,
	  503,
	  sizeof("HTTP/1.1 503 Service Unavailable\r\ncontent-length:2\r\n\r\n") -
		  1,
	  2 },
	{ "1.0 no headers", "HTTP/1.0 204 No Content\r\n\r\n", 0, 204, 0, -1 },
	{ "blanks around the length",
	  "HTTP/1.1 200 OK\r\nContent-Length: \t 7 \r\n\r\n", 0, 200, 0, 7 },
	{ "length among others",
	  "HTTP/1.1 200 OK\r\nX: y\r\nCONTENT-LENGTH: 0\r\nZ: w\r\n\r\n", 0,
	  200, 0, 0 },
	{ "not a number", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0,
	  200, 0, -1 },
	{ "a list", "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n", 0, 200,
	  0, -1 },
	{ "longer name", "HTTP/1.1 200 OK\r\nContent-Lengthy: 3\r\n\r\n", 0,
	  200, 0, -1 },
	{ "huge length",
	  "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", 0, 200, 0,
	  -1 },
	/* incomplete */
	{ "empty", "", -EAGAIN, 0, 0, 0 },
	{ "version only", "HTTP/1.", -EAGAIN, 0, 0, 0 },
	{ "status cut", "HTTP/1.1 20", -EAGAIN, 0, 0, 0 },
	{ "head cut", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n", -EAGAIN, 0, 0,
	  0 },
	{ "blank line cut", "HTTP/1.1 200 OK\r\n\r", -EAGAIN, 0, 0, 0 },
	/* not HTTP/1.x */
	{ "garbage", "garbage", -EPROTO, 0, 0, 0 },
	{ "lower case", "http/1.1 200 OK\r\n\r\n", -EPROTO, 0, 0, 0 },
	{ "HTTP/2", "HTTP/2 200\r\n\r\n", -EPROTO, 0, 0, 0 },
	{ "SSH banner", "SSH-2.0-OpenSSH_9.2\r\n", -EPROTO, 0, 0, 0 },
	{ "letter in status", "HTTP/1.1 2x0 OK\r\n\r\n", -EPROTO, 0, 0, 0 },
	{ "no space", "HTTP/1.1200 OK\r\n\r\n", -EPROTO, 0, 0, 0 },
	{ "status below 100", "HTTP/1.1 099 Odd\r\n\r\n", -EPROTO, 0, 0, 0 },
	{ "version letter", "HTTP/1.x 200 OK\r\n\r\n", -EPROTO, 0, 0, 0 },
	{ "four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", -EPROTO, 0, 0, 0 },
	{ "no space after status", "HTTP/1.1 200OK\r\n\r\n", -EPROTO, 0, 0, 0 },
	{ "tab after status", "HTTP/1.1 200\tOK\r\n\r\n", -EPROTO, 0, 0, 0 },
	{ "status then bare LF", "HTTP/1.1 200\n\r\n", 0, 200, 0, -1 },
	{ "status without reason", "HTTP/1.1 200 \r\n\r\n", 0, 200, 0, -1 },
	{ "status then CRLF", "HTTP/1.1 204\r\n\r\n", 0, 204, 0, -1 },
	{ "status cut after code", "HTTP/1.1 200", -EAGAIN, 0, 0, 0 },
	/* bare LF line ends, as Go's client (the kubelet's) takes them */
	{ "bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0, 200,
	  sizeof("HTTP/1.1 200 OK\nContent-Length: 2\n\n") - 1, 2 },
	{ "LF and CRLF mixed", "HTTP/1.1 503 No\r\nX: y\n\r\n", 0, 503, 0, -1 },
	{ "bare LF cut", "HTTP/1.1 200 OK\nX: y\n", -EAGAIN, 0, 0, 0 },
	{ "CR alone is no line end", "HTTP/1.1 200 OK\r\r", -EAGAIN, 0, 0, 0 },
	/* interim answers before the real one */
	{ "100 then 503",
	  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 No\r\n\r\n", 0, 503, 0,
	  -1 },
	{ "103 with headers then 200",
	  "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nContent-Length: 9\r\n"
	  "\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	  0, 200,
	  sizeof("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n"
		 "Content-Length: 9\r\n\r\nHTTP/1.1 200 OK\r\n"
		 "Content-Length: 2\r\n\r\n") -
		  1,
	  2 },
	{ "five 1xx then 200",
	  "HTTP/1.1 100 a\r\n\r\nHTTP/1.1 102 b\r\n\r\nHTTP/1.1 103 c\r\n\r\n"
	  "HTTP/1.1 100 d\r\n\r\nHTTP/1.1 199 e\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
	  0, 200, 0, -1 },
	{ "six 1xx",
	  "HTTP/1.1 100 a\r\n\r\nHTTP/1.1 102 b\r\n\r\nHTTP/1.1 103 c\r\n\r\n"
	  "HTTP/1.1 100 d\r\n\r\nHTTP/1.1 199 e\r\n\r\nHTTP/1.1 100 f\r\n\r\n",
	  -EPROTO, 0, 0, 0 },
	{ "101 is the answer", "HTTP/1.1 101 Switching\r\n\r\n", 0, 101, 0,
	  -1 },
	{ "100 alone", "HTTP/1.1 100 Continue\r\n\r\n", -EAGAIN, 0, 0, 0 },
	{ "100 then garbage", "HTTP/1.1 100 Continue\r\n\r\nok", -EPROTO, 0, 0,
	  0 },
};

Test(probe, parse_response)
{
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		const struct answer_row *row = &answers[i];
		size_t len = strlen(row->raw);
		struct guard g = guard_copy(row->raw, len);
		int status = -7;
		size_t off = 777;
		long clen = -7;
		int r = probe_parse_response(g.data, len, &status, &off, &clen);

		cr_expect_eq(r, row->r, "%s: %d", row->name, r);
		if (row->r == 0) {
			cr_expect_eq(status, row->status, "%s", row->name);
			cr_expect_eq(off,
				     row->body_offset ? row->body_offset : len,
				     "%s", row->name);
			cr_expect_eq(clen, row->content_length, "%s",
				     row->name);
		} else {
			cr_expect(status == -7 && off == 777 && clen == -7,
				  "%s: outputs written on failure", row->name);
		}
		guard_free(&g);
	}
}

/* Every proper prefix of a complete head is incomplete, never an error. */
Test(probe, parse_response_prefixes)
{
	static const char *const raws[] = {
		"HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Type: application/json\r\n"
		"Content-Length: 2\r\n\r\n{}",
		"HTTP/1.1 100 Continue\n\nHTTP/1.1 503 No\nX: y\r\n\n{}",
	};

	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		const char *raw = raws[i];
		size_t head = strlen(raw) - 2;

		for (size_t len = 0; len <= strlen(raw); len++) {
			struct guard g = guard_copy(raw, len);
			int status;
			size_t off;
			long clen;
			int r = probe_parse_response(g.data, len, &status, &off,
						     &clen);

			if (len < head) {
				cr_expect_eq(r, -EAGAIN, "%zu, prefix %zu: %d",
					     i, len, r);
			} else {
				cr_expect_eq(r, 0, "%zu, prefix %zu", i, len);
				cr_expect_eq(off, head);
				cr_expect_eq(status, 503);
			}
			guard_free(&g);
		}
	}
}

struct excerpt_row {
	const char *body;
	size_t size;
	const char *want;
};

static const struct excerpt_row excerpts[] = {
	{ "{\"status\":\"fail\",\"reason\":\"x\"}", 64,
	  "{\"status\":\"fail\",\"reason\":\"x\"}" },
	{ "[-]child failed: gone\n[+]x ok\n", 64, "[-]child failed: gone" },
	{ "line\r\nnext", 64, "line" },
	{ "abcdef", 4, "abc" },
	{ "tab\there\x01\x7f\xc3\xa9", 64, "tab?here????" },
	{ "", 8, "" },
	{ "\nfirst line empty", 8, "" },
	{ "x", 1, "" },
};

Test(probe, body_excerpt)
{
	for (size_t i = 0; i < sizeof(excerpts) / sizeof(excerpts[0]); i++) {
		const struct excerpt_row *row = &excerpts[i];
		size_t len = strlen(row->body);
		struct guard in = guard_copy(row->body, len);
		char zero[64] = { 0 };
		struct guard out = guard_copy(zero, row->size);
		size_t n =
			probe_body_excerpt(in.data, len, out.data, row->size);

		cr_expect_str_eq(out.data, row->want, "row %zu", i);
		cr_expect_eq(n, strlen(row->want), "row %zu", i);
		guard_free(&in);
		guard_free(&out);
	}
}
