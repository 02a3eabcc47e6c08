/* SPDX-License-Identifier: MIT */
/*
 * fdutil.c - fd closing, standard-fd sanitizing and socket addresses of IP
 * literals. Owns no fd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdutil.h"
#include "parse.h"
#include "textbuf.h"
#include "banned.h"

const char *fd_limit_hint(int err)
{
	if (err < 0)
		err = -err;
	return err == EMFILE || err == ENFILE ?
		       "raise the open-files limit (ulimit -n, docker run "
		       "--ulimit nofile=...)" :
		       NULL;
}

void fd_close(int *fd)
{
	int saved = errno;

	if (*fd >= 0) {
		/* Linux closes the fd even when close() reports EINTR. */
		(void)close(*fd);
		*fd = -1;
	}
	errno = saved;
}

int fd_sanitize_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int null_fd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/*
		 * The lowest free fd is @fd itself, since the ones below it are
		 * open: openat() fills exactly this slot. Not O_CLOEXEC: the child
		 * must inherit it.
		 */
		null_fd = openat(AT_FDCWD, "/dev/null", O_RDWR | O_NOCTTY);
		if (null_fd < 0)
			return -errno;
		if (null_fd != fd) {
			(void)close(null_fd);
			return -EBADF;
		}
	}
	return 0;
}

int fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* See fdutil.h. */
ssize_t fd_read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n = 0;

	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return n < 0 ? -errno : (ssize_t)len;
}

/* See fdutil.h. */
ssize_t fd_read_file(int dir, const char *path, char *buf, size_t size)
{
	int fd = openat(dir, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = fd_read_all(fd, buf, size);
	fd_close(&fd);
	return n;
}

/* See fdutil.h. */
int fd_sockaddr(const char *addr, unsigned port, struct sockaddr_storage *ret,
		socklen_t *ret_len, char *where, size_t where_size)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret;
	struct textbuf t;
	int family;

	if (parse_ip_address(addr, &family) < 0)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		(void)inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		*ret_len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		(void)inet_pton(AF_INET, addr, &sin->sin_addr);
		*ret_len = sizeof(*sin);
	}
	if (!where)
		return 0;
	/* "[addr]:port" or "addr:port", without a format (every probe). */
	textbuf_init(&t, where, where_size);
	textbuf_puts(&t, family == AF_INET6 ? "[" : "");
	textbuf_puts(&t, addr);
	textbuf_puts(&t, family == AF_INET6 ? "]:" : ":");
	textbuf_putu(&t, port, 10, 0);
	return 0;
}

/* See fdutil.h. */
int fd_listen(int *ret_fd, const char *addr, unsigned port, char *where,
	      size_t where_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, zero = 0, r;

	r = fd_sockaddr(addr, port, &ss, &len, where, where_size);
	if (r < 0)
		return r;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto err_close_fd;
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		goto err_close_fd;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto err_close_fd;
	/*
	 * The kernel caps the accept queue at net.core.somaxconn (4096 on
	 * current kernels); musl's SOMAXCONN is 128, and a queue that short
	 * drops a probe's SYN under a connection flood (a 1 s retry).
	 */
	if (listen(fd, INT_MAX) < 0)
		goto err_close_fd;
	*ret_fd = fd;
	return 0;

err_close_fd:
	r = -errno;
	fd_close(&fd);
	return r;
}
