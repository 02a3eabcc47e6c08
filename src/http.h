/* SPDX-License-Identifier: MIT */
/*
 * http.h - the pure halves of the health side port's HTTP/1.1: a zero-copy
 * request-head parser with picohttpparser's contract, a query lookup and a
 * response-head formatter. No I/O, no globals, no logs, no allocation.
 *
 * What the parser accepts (anything else gets 400):
 * - Lines end in CRLF, strictly. A bare LF or a bare CR is malformed: every
 *   client that probes pidone (kubelet, Docker via `pidone health`, curl,
 *   wget) sends CRLF, and one terminator means one rule for where a head
 *   ends, so nothing can hide a second request inside the first.
 * - One empty line (CRLF) before the request line is skipped (RFC 9112
 *   section 2.2); a second one is malformed.
 * - Request line: token method (at most HTTP_METHOD_LEN_MAX bytes), one SP,
 *   a target of visible ASCII, one SP, "HTTP/1.0" or "HTTP/1.1". Any other
 *   version, HTTP/2.0 included, is malformed (400, not 505: nothing but
 *   1.x can reach a plain TCP port anyway). The target is one of:
 *   - origin-form "/path[?query]";
 *   - absolute-form "http://authority[/path][?query]", the scheme in any
 *     case, which a server must accept (RFC 9112 section 3.2.2); it is
 *     routed by its path and query exactly as the origin-form, an empty
 *     path being "/", and the authority (everything up to the next '/',
 *     '?' or SP) must not be empty but is otherwise ignored, like Host.
 *     "https://" is malformed: this port speaks plain HTTP only;
 *   - asterisk-form "*" with a method other than GET and HEAD, so that
 *     "OPTIONS *" gets the 405 of other methods; with GET or HEAD it is
 *     malformed (RFC 9112 section 3.2.4 allows it for OPTIONS only).
 *   Authority-form (CONNECT's "host:port") and anything else is malformed.
 * - Header lines: token name, ':' right after it (no space before the
 *   colon), a value of HTAB/SP/visible ASCII/bytes >= 0x80 (no NUL, CR, LF,
 *   other control bytes or DEL). A line starting with SP/HTAB (obs-fold) is
 *   malformed.
 * - Host (RFC 9112 section 3.2): an HTTP/1.1 head without one, or any head
 *   with two, is malformed; its value means nothing to this server.
 * - Content-Length: digits only; two lines with different values (by
 *   number, "2" equals "002") are malformed.
 * - Only Connection, Content-Length, Host and Transfer-Encoding are
 *   interpreted; other headers are checked for syntax and forgotten.
 */
#ifndef PIDONE_HTTP_H
#define PIDONE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* http_parse_request's results besides the byte count. */
#define HTTP_PARSE_MALFORMED (-1) /* answer 400 and close */
#define HTTP_PARSE_INCOMPLETE (-2) /* read more; 431 when the buffer is full */

/*
 * The largest head the server buffers (8 KiB, as documented). The parser itself
 * has no limit: it reports HTTP_PARSE_INCOMPLETE and the server answers
 * 431 once its HTTP_HEAD_MAX buffer is full.
 */
#define HTTP_HEAD_MAX 8192

/* Longer method tokens are malformed (the longest registered one has 17). */
#define HTTP_METHOD_LEN_MAX 24

enum http_method {
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_OTHER, /* any other token: the server answers 405 */
	HTTP_METHOD_MAX
};

/* A run of bytes inside the parsed buffer (not NUL-terminated). */
struct http_span {
	const char *ptr; /* NULL when absent */
	size_t len;
};

/*
 * One parsed request head. The spans point into the buffer given to
 * http_parse_request and are valid only as long as those bytes stay put
 * (moving pipelined leftovers to the front of the buffer invalidates them).
 */
struct http_request {
	enum http_method method;
	struct http_span method_text; /* "GET", "PUT"... for logs */
	/*
	 * "/readyz", without the query (or the scheme and authority of an
	 * absolute-form target); "*" for an asterisk-form one.
	 */
	struct http_span path;
	struct http_span query; /* after '?' ("verbose"); ptr NULL when no '?' */
	int minor_version; /* 0 or 1 */
	/*
	 * May the connection stay open after the answer? HTTP/1.1 unless
	 * "Connection: close"; HTTP/1.0 only with "Connection: keep-alive";
	 * and never when has_body is true.
	 */
	bool keep_alive;
	/*
	 * A body follows (Content-Length other than 0, or any
	 * Transfer-Encoding). The server never reads bodies, so it answers
	 * and closes; keep_alive is false then.
	 */
	bool has_body;
};

/*
 * Parse the request head at the start of @buf (@len bytes, no NUL needed).
 *
 * Returns the number of bytes of the head (request line, headers and the
 * blank line; what follows is the next pipelined request or a body) and
 * fills *@ret; or HTTP_PARSE_INCOMPLETE when every byte so far could start
 * a valid head; or HTTP_PARSE_MALFORMED. *@ret is written only on success.
 *
 * @last_len is how many of these bytes an earlier call already saw
 * incomplete (0 the first time, and after consuming a head). Then only the
 * new bytes are checked for stray control bytes and bare CR/LF, and the
 * full parse runs only once the blank line has arrived, so feeding a head
 * byte by byte costs linear, not quadratic, time. The price: a structural
 * error in a head that arrives in pieces is reported when the head is
 * complete (or as 431/408 by the server), not as soon as its bytes arrive.
 * A @last_len greater than @len is treated as 0. @len is capped at INT_MAX.
 */
int http_parse_request(const char *buf, size_t len, size_t last_len,
		       struct http_request *ret);

/*
 * Does the query of @r hold a parameter named @name, as "name",
 * "name=anything" or among '&'-separated others ("a&name")? Exact,
 * case-sensitive match on the raw (not percent-decoded) text.
 */
bool http_query_has(const struct http_request *r, const char *name);

/*
 * The reason phrase for @status ("OK", "Not Found"...), for the statuses
 * the server sends: 200 400 404 405 408 431 500 503. NULL for others.
 */
const char *http_reason_phrase(int status);

/*
 * Write a response head into @buf:
 *
 *   HTTP/1.1 <status> <reason>\r\n
 *   Content-Type: <content_type>\r\n
 *   Content-Length: <content_length>\r\n
 *   Cache-Control: no-store\r\n
 *   Connection: keep-alive|close\r\n
 *   <extra_headers>
 *   \r\n
 *
 * @content_type NULL leaves the Content-Type line out. @extra_headers is
 * NULL or complete lines, each ending in \r\n ("Allow: GET, HEAD\r\n").
 *
 * The head is NUL-terminated; *@ret_len is its length without the NUL and
 * is written only on success. Returns 0, -EINVAL for a status without a
 * reason phrase, or -ENOBUFS when the head does not fit in @buflen bytes
 * (then @buf holds garbage and must not be sent).
 */
int http_format_response(char *buf, size_t buflen, int status,
			 const char *content_type, size_t content_length,
			 bool keep_alive, const char *extra_headers,
			 size_t *ret_len);

#endif
