/* SPDX-License-Identifier: MIT */
/*
 * httpdrive - exactly N HTTP requests, one at a time, for `make bench`.
 *
 * "httpdrive keep|close ADDR PORT PATH N"
 *	sends N "GET PATH" requests to ADDR:PORT (a loopback IPv4 literal),
 *	each after the whole answer to the one before has arrived: "keep" on
 *	one kept-alive connection, "close" on a new connection per request
 *	("Connection: close", read until the server closes). Every answer must
 *	be a complete "HTTP/1.1 200" (its Content-Length of body read), else
 *	it fails. Prints the wall time of the N requests in ns.
 *
 * Unlike wrk, which runs for a time and leaves requests in flight at the
 * end, the server has served exactly N requests when this returns, so its
 * CPU time over the run divided by N is its CPU per request. Every wait is
 * bounded by a 10 s socket timeout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int fail(const char *what)
{
	fprintf(stderr, "httpdrive: %s: %s\n", what,
		errno ? strerror(errno) : "bad answer");
	return -1;
}

static int dial(const struct sockaddr_in *sa)
{
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		fail("connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Send @req and read one whole answer: up to EOF with @to_eof, else the
 * head and Content-Length bytes of body (no pipelining: nothing follows).
 */
static int exchange(int fd, const char *req, size_t req_len, int to_eof)
{
	char buf[16384];
	size_t len = 0;
	long want = -1;

	if (send(fd, req, req_len, MSG_NOSIGNAL) != (ssize_t)req_len)
		return fail("send");
	for (;;) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		char *end, *cl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail("recv");
		if (n == 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (len == sizeof(buf) - 1) {
			errno = 0;
			return fail("answer too long");
		}
		if (to_eof || want >= 0)
			goto check;
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cl = strcasestr(buf, "\r\ncontent-length:");
		if (!cl || cl > end) {
			errno = 0;
			return fail("no Content-Length");
		}
		want = (end + 4 - buf) + strtol(cl + 17, NULL, 10);
check:
		if (want >= 0 && (long)len >= want)
			break;
	}
	errno = 0;
	if (strncmp(buf, "HTTP/1.1 200 ", 13) != 0 ||
	    (!to_eof && (want < 0 || (long)len != want)))
		return fail("answer");
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[512];
	long long t0;
	long n, i;
	int keep, len, fd = -1;

	if (argc != 6 ||
	    (strcmp(argv[1], "keep") && strcmp(argv[1], "close")) ||
	    inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 ||
	    (n = strtol(argv[5], NULL, 10)) <= 0) {
		fprintf(stderr,
			"usage: httpdrive keep|close ADDR PORT PATH N\n");
		return 2;
	}
	keep = strcmp(argv[1], "keep") == 0;
	sa.sin_port = htons((unsigned short)strtoul(argv[3], NULL, 10));
	len = snprintf(req, sizeof(req),
		       "GET %s HTTP/1.1\r\nHost: %s:%s\r\n%s\r\n", argv[4],
		       argv[2], argv[3], keep ? "" : "Connection: close\r\n");
	if (len < 0 || (size_t)len >= sizeof(req))
		return 2;
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (fd < 0 && (fd = dial(&sa)) < 0)
			return 1;
		if (exchange(fd, req, (size_t)len, !keep) < 0)
			return 1;
		if (!keep) {
			close(fd);
			fd = -1;
		}
	}
	printf("%lld\n", now_ns() - t0);
	return 0;
}
