/* SPDX-License-Identifier: MIT */
/*
 * probe.h - `pidone health` (README, Health side port): GET /healthz (/readyz with
 * --ready) from the running pidone's health port and say in one line on
 * stdout why the answer is healthy or not. Docker runs it every interval
 * as HEALTHCHECK CMD ["/init","health"], so it is small and fast: plain
 * non-blocking sockets under one poll() deadline, no event loop, no
 * allocation, no DNS (a static binary must not use NSS).
 *
 * Target: --url http://HOST[:PORT][/PATH] when given (HOST an IPv4 literal,
 * [IPv6 literal] or localhost; PORT 80 by default; the URL's path wins
 * over --ready). Otherwise the configured --health-port on the configured
 * --health-addr, where "all interfaces" (no address, :: or 0.0.0.0) means
 * loopback: 127.0.0.1 first (the dual-stack listener takes IPv4 too), then
 * ::1 when 127.0.0.1 refuses and the listener may be IPv6.
 *
 * The line on stdout, exit code 0 for the first, 1 for the rest:
 *   ok: GET http://127.0.0.1:8081/healthz -> 200
 *   fail: GET http://127.0.0.1:8081/readyz -> 503 {"status":"fail",...}
 *   fail: connect 127.0.0.1:8081: Connection refused
 *   fail: GET http://127.0.0.1:8081/healthz: timeout after 3.0 s
 *   fail: health port disabled (--health-port 0)
 */
#ifndef PIDONE_PROBE_H
#define PIDONE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "settings.h"

/* The longest URL path (with query) accepted, NUL included. */
#define PROBE_PATH_MAX 1024
/* "[ffff:...:255.255.255.255]" plus the NUL. */
#define PROBE_HOST_MAX 56

/* Where and what to GET. */
struct probe_target {
	struct sockaddr_storage addr; /* family, address and port */
	socklen_t addr_len;
	unsigned port;
	char host[PROBE_HOST_MAX]; /* "127.0.0.1" or "[::1]", for the line */
	char path[PROBE_PATH_MAX]; /* "/healthz", "/readyz?verbose" */
};

/*
 * Pure: parse "http://HOST[:PORT][/PATH]" into *@ret (written only on
 * success). HOST: an IPv4 literal, "[IPv6 literal]" or "localhost"
 * (127.0.0.1); PORT 1..65535, default 80; PATH of visible ASCII without
 * '#', default "/". Userinfo ('@'), other schemes, names that would need
 * DNS and anything after the path are refused. Returns 0 or -EINVAL.
 */
int probe_parse_url(const char *url, struct probe_target *ret);

/*
 * Pure: look at the first @len bytes of an HTTP/1.x answer. Returns 0 and
 * the status and the offset of the body (after the blank line) when the
 * head is complete; -EAGAIN when more bytes could complete it; -EPROTO
 * when it is not an HTTP/1.x answer, which includes a status that is not
 * exactly three digits followed by SP or the line's end ("HTTP/1.1 2000
 * OK" and "HTTP/1.1 200OK" are not 200). Lines end with LF or CRLF.
 * Interim answers (1xx but 101, no body) before the real one are skipped,
 * up to 5; a sixth is -EPROTO. *@ret_content_length is the
 * Content-Length, or -1 when there is none or it is not a plain number.
 * Outputs are written only on success.
 */
int probe_parse_response(const char *buf, size_t len, int *ret_status,
			 size_t *ret_body_offset, long *ret_content_length);

/*
 * Pure: the start of a body for the one-line report: its first line, at
 * most @size - 1 bytes, control bytes and bytes >= 0x80 turned into '?'
 * so that the line stays one line of ASCII. Returns the length written
 * (NUL-terminated; @size > 0).
 */
size_t probe_body_excerpt(const char *body, size_t len, char *dst, size_t size);

/*
 * Where to GET for @s: --url, else the health port on its address (the
 * loopback addresses for "all interfaces"), with @path when not NULL
 * (else --url's path, /readyz with --ready, /healthz). Up to @n targets
 * in *@ret, their count in *@ret_n. -EINVAL for a bad --url, -ENOENT
 * when the health port is off, -EAFNOSUPPORT when --health-addr is not
 * an IP address.
 */
int probe_targets(const struct settings *s, const char *path,
		  struct probe_target *ret, size_t n, size_t *ret_n);

struct probe_answer {
	const struct probe_target *target; /* the one connected, or tried */
	bool connect_failed; /* no target took the connection */
	int status;
	size_t body_off, len; /* in the caller's buffer */
};

/*
 * GET the first of @targets that takes a connection (the next one only
 * after a refusal and such), reading at most @size bytes of answer into
 * @buf, all before @deadline (monotonic ms). 0 with *@ret filled, or
 * -errno (-ETIMEDOUT; -ECONNRESET when closed without a byte; -EPROTO
 * when not HTTP/1.x), *@ret saying where.
 */
int probe_fetch(const struct probe_target *targets, size_t n, uint64_t deadline,
		char *buf, size_t size, struct probe_answer *ret);

/*
 * Run the probe of @s (see above), writing the one line to @out_fd.
 * Returns the exit code: 0 on a 2xx answer, 1 otherwise.
 */
int probe_run(const struct settings *s, int out_fd);

#endif
