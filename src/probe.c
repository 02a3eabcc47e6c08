/* SPDX-License-Identifier: MIT */
/*
 * probe.c - `pidone health` (see probe.h): connect, GET, read the status
 * line, print one line, exit 0 or 1.
 *
 * One deadline (--timeout, default 3 s, on the monotonic clock) bounds the
 * whole run, connects to both loopback addresses included; every wait is a
 * poll() on the socket with what is left of it. Owns at most one socket at
 * a time, close-on-exec, closed before returning. No allocation, no
 * signals touched (a closed peer is EPIPE through MSG_NOSIGNAL).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "fdutil.h"
#include "parse.h"
#include "probe.h"
#include "textbuf.h"
#include "banned.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* The answer bytes kept: the status line and the start of the body. */
#define PROBE_ANSWER_MAX 4096
/* The longest body excerpt on the line. */
#define PROBE_EXCERPT_MAX 240

/* --- pure helpers ----------------------------------------------------- */

/*
 * Fill @t from the literal @host of @len bytes (brackets stripped) and
 * @port: an IPv6 literal only in brackets, IPv4 only without, as in a URL.
 */
static int set_target(struct probe_target *t, const char *host, size_t len,
		      bool bracketed, unsigned port)
{
	char text[PROBE_HOST_MAX - 2]; /* room for the brackets */
	struct textbuf tb;

	if (len == 0 || len >= sizeof(text))
		return -EINVAL;
	memcpy(text, host, len);
	text[len] = '\0';
	if (!bracketed && strcasecmp(text, "localhost") == 0)
		memcpy(text, "127.0.0.1", sizeof("127.0.0.1"));
	if (fd_sockaddr(text, port, &t->addr, &t->addr_len, NULL, 0) < 0 ||
	    (t->addr.ss_family == AF_INET6) != bracketed)
		return -EINVAL;
	/* Fits: @text is two bytes shorter than @t->host. */
	textbuf_init(&tb, t->host, sizeof(t->host));
	textbuf_puts(&tb, bracketed ? "[" : "");
	textbuf_puts(&tb, text);
	textbuf_puts(&tb, bracketed ? "]" : "");
	t->port = port;
	return 0;
}

/* See probe.h. */
int probe_parse_url(const char *url, struct probe_target *ret)
{
	static const char scheme[] = "http://";
	struct probe_target t;
	const char *p, *host, *host_end, *path;
	unsigned port = 80;
	bool bracketed = false;
	size_t path_len;

	if (strncasecmp(url, scheme, sizeof(scheme) - 1) != 0)
		return -EINVAL;
	p = url + sizeof(scheme) - 1;
	memset(&t, 0, sizeof(t));

	if (*p == '[') {
		bracketed = true;
		host = p + 1;
		host_end = strchr(host, ']');
		if (!host_end)
			return -EINVAL;
		p = host_end + 1;
	} else {
		host = p;
		while (*p && *p != ':' && *p != '/')
			p++;
		host_end = p;
	}
	if (*p == ':') {
		unsigned long v;
		bool over;
		size_t n = parse_digits(++p, 65535, &v, &over);

		/* 1..65535, up to the path or the end. */
		if (n == 0 || over || v == 0 || (p[n] != '\0' && p[n] != '/'))
			return -EINVAL;
		port = (unsigned)v;
		p += n;
	} else if (*p != '\0' && *p != '/') {
		return -EINVAL;
	}
	if (set_target(&t, host, (size_t)(host_end - host), bracketed, port) <
	    0)
		return -EINVAL;

	path = *p ? p : "/";
	path_len = strlen(path);
	if (path_len >= sizeof(t.path))
		return -EINVAL;
	for (size_t i = 0; i < path_len; i++)
		if (path[i] <= 0x20 || path[i] >= 0x7f || path[i] == '#')
			return -EINVAL;
	memcpy(t.path, path, path_len + 1);
	*ret = t;
	return 0;
}

/* Does the header line [line, line + len) have the name @name? */
static bool header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && parse_span_caseeq(line, n, name);
}

/* Content-Length when there is none or it is not a plain number. */
#define NO_LENGTH (-1L)

/* A Content-Length value: digits between optional blanks, else NO_LENGTH. */
static long content_length_value(const char *v, size_t len)
{
	long n = 0;
	size_t i = 0;
	bool any = false;

	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	for (; i < len && parse_is_digit(v[i]); i++) {
		if (n > 100000000L)
			return NO_LENGTH;
		n = n * 10 + (v[i] - '0');
		any = true;
	}
	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	return any && i == len ? n : NO_LENGTH;
}

/*
 * Interim answers (1xx but 101) skipped before the real one, as many as Go's
 * client, the kubelet's, takes before it gives up.
 */
#define INTERIM_MAX 5

/*
 * One head at the start of @buf: as probe_parse_response, with the head's
 * end in *@ret_end. A line ends with LF, a CR before it ignored, as Go's
 * client (the kubelet's) reads them.
 */
static int parse_head(const char *buf, size_t len, int *ret_status,
		      size_t *ret_end, long *ret_content_length)
{
	static const char version[] = "HTTP/1.";
	long content_length = NO_LENGTH;
	size_t vlen = sizeof(version) - 1, at;
	int status;

	/* "HTTP/1.x NNN": a prefix that cannot become one is not HTTP */
	for (size_t i = 0; i < len && i < vlen; i++)
		if (buf[i] != version[i])
			return -EPROTO;
	if (len < vlen + 6)
		return -EAGAIN;
	/*
	 * Exactly three digits, then SP (reason phrase) or the line's end:
	 * neither "2000" nor "200OK" may pass for 200.
	 */
	if (!parse_is_digit(buf[vlen]) || buf[vlen + 1] != ' ' ||
	    !parse_is_digit(buf[vlen + 2]) || !parse_is_digit(buf[vlen + 3]) ||
	    !parse_is_digit(buf[vlen + 4]) ||
	    !memchr(" \r\n", buf[vlen + 5], 3))
		return -EPROTO;
	status = (buf[vlen + 2] - '0') * 100 + (buf[vlen + 3] - '0') * 10 +
		 (buf[vlen + 4] - '0');
	if (status < 100)
		return -EPROTO;

	/* the header lines up to the empty one, Content-Length among them */
	at = vlen + 5;
	for (;;) {
		const char *line, *nl = memchr(buf + at, '\n', len - at);
		size_t n;

		if (!nl)
			return -EAGAIN;
		line = buf + at;
		at = (size_t)(nl - buf) + 1;
		if (line == buf + vlen + 5)
			continue; /* the status line's rest */
		n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (header_is(line, n, "content-length"))
			content_length =
				content_length_value(line + 15, n - 15);
	}
	*ret_status = status;
	*ret_end = at;
	*ret_content_length = content_length;
	return 0;
}

/* See probe.h. */
int probe_parse_response(const char *buf, size_t len, int *ret_status,
			 size_t *ret_body_offset, long *ret_content_length)
{
	size_t at = 0;

	for (int heads = 0;; heads++) {
		size_t end;
		long length;
		int status, r = parse_head(buf + at, len - at, &status, &end,
					   &length);

		if (r < 0)
			return r;
		at += end;
		/* 101 would end HTTP on the connection: a real answer */
		if (status >= 200 || status == 101) {
			*ret_status = status;
			*ret_body_offset = at;
			*ret_content_length = length;
			return 0;
		}
		if (heads == INTERIM_MAX)
			return -EPROTO;
	}
}

/* See probe.h. */
size_t probe_body_excerpt(const char *body, size_t len, char *dst, size_t size)
{
	size_t out = 0;

	for (size_t i = 0; i < len && out + 1 < size; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c == '\n' || c == '\r')
			break;
		dst[out++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[out] = '\0';
	return out;
}

/* --- I/O -------------------------------------------------------------- */

static void __attribute__((format(printf, 2, 3)))
say(int fd, const char *fmt, ...)
{
	char line[PROBE_PATH_MAX + 512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = textbuf_vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* stdout: a pipe Docker reads; nothing to do if it is gone */
	(void)fd_write_all(fd, line, (size_t)n);
}

/* "3.0", "2.5", "0.25", "0.001": @ms as seconds, at least one decimal. */
static void fmt_seconds(char *buf, size_t size, unsigned ms)
{
	unsigned frac = ms % 1000;

	if (frac % 100 == 0)
		textbuf_snprintf(buf, size, "%u.%u", ms / 1000, frac / 100);
	else if (frac % 10 == 0)
		textbuf_snprintf(buf, size, "%u.%02u", ms / 1000, frac / 10);
	else
		textbuf_snprintf(buf, size, "%u.%03u", ms / 1000, frac);
}

/* Milliseconds left until @deadline, 0 when it has passed. */
static int left_ms(uint64_t deadline)
{
	uint64_t now = clock_monotonic_ms_syscall();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Wait until @fd is ready for @events; 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int r = poll(&pfd, 1, left_ms(deadline));

		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Connect to @t before @deadline; the socket into *@ret_fd. */
static int connect_to(const struct probe_target *t, uint64_t deadline,
		      int *ret_fd)
{
	socklen_t len = sizeof(int);
	int fd, err = 0, r;

	fd = socket(t->addr.ss_family,
		    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) < 0) {
		if (errno != EINPROGRESS) {
			r = -errno;
			goto err_close_fd;
		}
		r = wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			goto err_close_fd;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			r = -err;
			goto err_close_fd;
		}
	}
	*ret_fd = fd;
	return 0;

err_close_fd:
	fd_close(&fd);
	return r;
}

/* Send all of @len bytes before @deadline. */
static int send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(fd, POLLOUT, deadline);

			if (r < 0)
				return r;
			continue;
		}
		return n < 0 ? -errno : -EPIPE;
	}
	return 0;
}

/*
 * Read the answer into @buf until the head and Content-Length bytes of
 * body are in, the peer closes, or @buf is full. Returns the bytes read
 * (0: closed without a byte) or -errno / -ETIMEDOUT.
 */
static ssize_t read_answer(int fd, char *buf, size_t size, uint64_t deadline)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = recv(fd, buf + len, size - len, 0);
		size_t body_off;
		long clen;
		int status, r;

		if (n > 0) {
			len += (size_t)n;
			r = probe_parse_response(buf, len, &status, &body_off,
						 &clen);
			if (r == -EPROTO)
				break;
			if (r == 0 && clen >= 0 &&
			    len - body_off >= (size_t)clen)
				break;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			/* a reset after the answer still leaves the answer */
			if (len > 0)
				break;
			return -errno;
		}
		r = wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			return r;
	}
	return (ssize_t)len;
}

/* The loopback targets for an "all interfaces" listener, in order. */
static size_t loopback_targets(const struct settings *s,
			       struct probe_target *ret, size_t n)
{
	size_t count = 0;

	if (n < 2)
		return 0;
	if (set_target(&ret[count], "127.0.0.1", strlen("127.0.0.1"), false,
		       0) == 0)
		count++;
	/* a 0.0.0.0 listener has no IPv6 side to try */
	if ((!s->health_addr[0] || strcmp(s->health_addr, "0.0.0.0") != 0) &&
	    set_target(&ret[count], "::1", strlen("::1"), true, 0) == 0)
		count++;
	return count;
}

/* @path into @t->path, cut to fit. */
static void set_path(struct probe_target *t, const char *path)
{
	struct textbuf tb;

	textbuf_init(&tb, t->path, sizeof(t->path));
	textbuf_puts(&tb, path);
}

static void set_port(struct probe_target *t, unsigned port)
{
	t->port = port;
	if (t->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&t->addr)->sin6_port =
			htons((uint16_t)port);
	else
		((struct sockaddr_in *)&t->addr)->sin_port =
			htons((uint16_t)port);
}

/* Where `pidone health` without --url goes. */
static size_t config_targets(const struct settings *s, struct probe_target *ret,
			     size_t n)
{
	const char *a = s->health_addr;
	size_t count;

	if (!a[0] || strcmp(a, "::") == 0 || strcmp(a, "0.0.0.0") == 0)
		count = loopback_targets(s, ret, n);
	else
		count = n > 0 && set_target(&ret[0], a, strlen(a),
					    strchr(a, ':') != NULL, 0) == 0;
	for (size_t i = 0; i < count; i++) {
		set_port(&ret[i], s->health_port);
		set_path(&ret[i], s->probe_ready ? "/readyz" : "/healthz");
	}
	return count;
}

/* Is @err worth trying the next loopback address after? */
static bool try_next(int err)
{
	return err == -ECONNREFUSED || err == -EADDRNOTAVAIL ||
	       err == -ENETUNREACH || err == -EAFNOSUPPORT ||
	       err == -EHOSTUNREACH;
}

/* See probe.h. */
int probe_targets(const struct settings *s, const char *path,
		  struct probe_target *ret, size_t n, size_t *ret_n)
{
	size_t count;

	if (s->probe_url) {
		if (n < 1 || probe_parse_url(s->probe_url, &ret[0]) < 0)
			return -EINVAL;
		count = 1;
	} else {
		if (s->health_port == 0)
			return -ENOENT;
		count = config_targets(s, ret, n);
		if (count == 0)
			return -EAFNOSUPPORT;
	}
	for (size_t i = 0; path && i < count; i++)
		set_path(&ret[i], path);
	*ret_n = count;
	return 0;
}

/* "HOST:PORT" of @t. */
static void put_host_port(struct textbuf *tb, const struct probe_target *t)
{
	textbuf_puts(tb, t->host);
	textbuf_puts(tb, ":");
	textbuf_putu(tb, t->port, 10, 0);
}

/* See probe.h. */
int probe_fetch(const struct probe_target *targets, size_t n, uint64_t deadline,
		char *buf, size_t size, struct probe_answer *ret)
{
	char request[PROBE_PATH_MAX + 256];
	int fd = -1, first_err = 0, r;
	ssize_t got;
	long clen;

	*ret = (struct probe_answer){ .target = &targets[0] };
	for (size_t i = 0; i < n; i++) {
		r = connect_to(&targets[i], deadline, &fd);
		if (r == 0) {
			ret->target = &targets[i];
			break;
		}
		if (i == 0)
			first_err = r;
		if (!try_next(r))
			break;
	}
	if (fd < 0) {
		ret->connect_failed = true;
		return first_err;
	}
	const struct probe_target *t = ret->target;
	struct textbuf req;

	textbuf_init(&req, request, sizeof(request));
	textbuf_puts(&req, "GET ");
	textbuf_puts(&req, t->path);
	textbuf_puts(&req, " HTTP/1.1\r\nHost: ");
	put_host_port(&req, t);
	textbuf_puts(&req, "\r\nUser-Agent: pidone-health/" PACKAGE_VERSION
			   "\r\nAccept: */*\r\nConnection: close\r\n\r\n");
	if (req.truncated) {
		r = -ENAMETOOLONG;
		goto out_close;
	}
	r = send_all(fd, request, req.len, deadline);
	if (r < 0)
		goto out_close;
	got = read_answer(fd, buf, size, deadline);
	if (got < 0) {
		r = (int)got;
		goto out_close;
	}
	r = got == 0 ? -ECONNRESET :
		       probe_parse_response(buf, (size_t)got, &ret->status,
					    &ret->body_off, &clen);
	if (r == -EAGAIN) /* an incomplete head is not an answer */
		r = -EPROTO;
	ret->len = (size_t)got;
out_close:
	fd_close(&fd);
	return r;
}

/* See probe.h. */
int probe_run(const struct settings *s, int out_fd)
{
	struct probe_target targets[2];
	struct probe_answer a;
	char answer[PROBE_ANSWER_MAX], secs[32], excerpt[PROBE_EXCERPT_MAX];
	char line[PROBE_PATH_MAX + 512];
	uint64_t deadline = clock_monotonic_ms_syscall() + s->probe_timeout_ms;
	size_t n_targets;
	int r;

	r = probe_targets(s, NULL, targets, 2, &n_targets);
	if (r == -ENOENT) {
		say(out_fd, "fail: health port disabled (--health-port 0)");
		return 1;
	}
	/* config_load let neither a bad --url nor --health-addr through. */
	if (r < 0) {
		say(out_fd, "fail: no address to probe: %s", strerror(-r));
		return 1;
	}
	r = probe_fetch(targets, n_targets, deadline, answer, sizeof(answer),
			&a);
	const struct probe_target *t = a.target;
	if (r < 0 && a.connect_failed) {
		fmt_seconds(secs, sizeof(secs), s->probe_timeout_ms);
		if (r == -ETIMEDOUT)
			say(out_fd, "fail: connect %s:%u: timeout after %s s",
			    t->host, t->port, secs);
		else
			say(out_fd, "fail: connect %s:%u: %s", t->host, t->port,
			    strerror(-r));
		return 1;
	}
	if (r == -ECONNRESET && a.len == 0) {
		say(out_fd,
		    "fail: GET http://%s:%u%s: connection closed "
		    "without an answer",
		    t->host, t->port, t->path);
		return 1;
	}
	if (r == -EPROTO) {
		say(out_fd, "fail: GET http://%s:%u%s: not an HTTP/1.x answer",
		    t->host, t->port, t->path);
		return 1;
	}
	if (r == -ETIMEDOUT) {
		fmt_seconds(secs, sizeof(secs), s->probe_timeout_ms);
		say(out_fd, "fail: GET http://%s:%u%s: timeout after %s s",
		    t->host, t->port, t->path, secs);
		return 1;
	}
	if (r < 0) {
		say(out_fd, "fail: GET http://%s:%u%s: %s", t->host, t->port,
		    t->path, strerror(-r));
		return 1;
	}
	if (a.status >= 200 && a.status <= 299) {
		/* the line of every healthy run, built without a format */
		struct textbuf ok;

		textbuf_init(&ok, line, sizeof(line));
		textbuf_puts(&ok, "ok: GET http://");
		put_host_port(&ok, t);
		textbuf_puts(&ok, t->path);
		textbuf_puts(&ok, " -> ");
		textbuf_putu(&ok, (unsigned)a.status, 10, 0);
		textbuf_puts(&ok, "\n");
		/* stdout: a pipe Docker reads; nothing to do if it is gone */
		(void)fd_write_all(out_fd, line, ok.len);
		return 0;
	}
	probe_body_excerpt(answer + a.body_off, a.len - a.body_off, excerpt,
			   sizeof(excerpt));
	say(out_fd, "fail: GET http://%s:%u%s -> %d%s%s", t->host, t->port,
	    t->path, a.status, excerpt[0] ? " " : "", excerpt);
	return 1;
}
