/* SPDX-License-Identifier: MIT */
/*
 * httpfloor - the least an HTTP health endpoint can do, for `make bench`.
 *
 * "httpfloor ADDR PORT" listens on ADDR:PORT (a loopback IPv4 literal) and
 * answers every request, whatever its path, with 200 and {"status":"ok"}:
 * one epoll loop, one thread, keep-alive and pipelining, "Connection: close"
 * honoured. It parses nothing but the end of the headers. The bench loads it
 * exactly as it loads pidone's health port, in the same rounds, so that the
 * ratio pidone / httpfloor separates pidone's cost from the load
 * generator's limits on a small machine. It runs until it is killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 4096
#define BUF 8192

struct conn {
	size_t len;
	char buf[BUF];
};

static struct conn *conns[MAX_FDS];

static const char ok_keep[] = "HTTP/1.1 200 OK\r\n"
			      "Content-Type: application/json\r\n"
			      "Content-Length: 15\r\n\r\n"
			      "{\"status\":\"ok\"}";
static const char ok_close[] = "HTTP/1.1 200 OK\r\n"
			       "Content-Type: application/json\r\n"
			       "Content-Length: 15\r\n"
			       "Connection: close\r\n\r\n"
			       "{\"status\":\"ok\"}";

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(conns[fd]);
	conns[fd] = NULL;
}

/* Answer every complete request in the buffer; false when fd is gone. */
static int serve(int ep, int fd)
{
	struct conn *c = conns[fd];

	for (;;) {
		ssize_t n = read(fd, c->buf + c->len, BUF - 1 - c->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			drop(ep, fd);
			return 0;
		}
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		for (;;) {
			char *end = strstr(c->buf, "\r\n\r\n");
			size_t used;
			int closing;

			if (!end)
				break;
			*end = '\0';
			closing = strcasestr(c->buf, "connection: close") !=
				  NULL;
			used = (size_t)(end + 4 - c->buf);
			if (closing) {
				send(fd, ok_close, sizeof(ok_close) - 1,
				     MSG_NOSIGNAL);
				drop(ep, fd);
				return 0;
			}
			if (send(fd, ok_keep, sizeof(ok_keep) - 1,
				 MSG_NOSIGNAL) < 0) {
				drop(ep, fd);
				return 0;
			}
			memmove(c->buf, c->buf + used, c->len - used + 1);
			c->len -= used;
		}
		if (c->len >= BUF - 1) {
			drop(ep, fd);
			return 0;
		}
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1, lfd, ep;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: httpfloor ADDR PORT\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)strtoul(argv[2], NULL, 10));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1024) < 0) {
		perror("httpfloor: listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = lfd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		perror("httpfloor: epoll");
		return 1;
	}
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd != lfd) {
				if (fd < MAX_FDS && conns[fd])
					serve(ep, fd);
				continue;
			}
			for (;;) {
				int s = accept4(lfd, NULL, NULL,
						SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (s < 0)
					break;
				if (s >= MAX_FDS) {
					close(s);
					continue;
				}
				conns[s] = calloc(1, sizeof(struct conn));
				ev.data.fd = s;
				if (!conns[s] ||
				    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) {
					free(conns[s]);
					conns[s] = NULL;
					close(s);
				}
			}
		}
	}
}
