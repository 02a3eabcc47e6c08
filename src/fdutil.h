/* SPDX-License-Identifier: MIT */
/*
 * fdutil.h - small file-descriptor helpers shared by every module that owns
 * an fd, and the socket address of an IP literal for those that own
 * sockets. An fd field is -1 when closed.
 */
#ifndef PIDONE_FDUTIL_H
#define PIDONE_FDUTIL_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * The fix for an fd that could not be had because the process or the
 * system is out of them (@err EMFILE or ENFILE, or its negative), else
 * NULL: every such error names the same limit.
 */
const char *fd_limit_hint(int err);

/* Close *@fd if it is open and set it to -1; keeps errno. */
void fd_close(int *fd);

/*
 * Make sure fds 0, 1 and 2 are open: a closed one is pointed at /dev/null,
 * so that nothing pidone opens later lands on a standard fd by accident
 * and is then written to by the child. Returns 0 or -errno.
 */
int fd_sanitize_stdio(void);

/*
 * Write all @len bytes of @buf to @fd, going on after EINTR and short
 * writes. Returns 0 or -errno (-EIO when write() returned 0).
 */
int fd_write_all(int fd, const void *buf, size_t len);

/*
 * Read from @fd into @buf until EOF or @size bytes, going on after EINTR
 * and short reads. Returns the length or -errno.
 */
ssize_t fd_read_all(int fd, char *buf, size_t size);

/*
 * Read the small file @path (relative to the directory fd @dir, or
 * AT_FDCWD) into @buf, at most @size bytes, going on after EINTR and short
 * reads: /proc and cgroupfs files. Returns the length or -errno.
 */
ssize_t fd_read_file(int dir, const char *path, char *buf, size_t size);

/*
 * The IP literal @addr ("0.0.0.0", "::1": parse_ip_address) and @port as
 * a socket address (*@ret, zeroed first, of *@ret_len bytes), and as text
 * ("1.2.3.4:80", "[::1]:80") in @where unless it is NULL. Returns 0 or
 * -EINVAL.
 */
int fd_sockaddr(const char *addr, unsigned port, struct sockaddr_storage *ret,
		socklen_t *ret_len, char *where, size_t where_size);

/*
 * A TCP listener on the IP literal @addr, port @port: non-blocking,
 * close-on-exec, SO_REUSEADDR, dual-stack for an IPv6 address whatever
 * net.ipv6.bindv6only says. Into *@ret_fd; "addr:port" into @where (also
 * on failure, for the error message). Returns 0 or -errno.
 */
int fd_listen(int *ret_fd, const char *addr, unsigned port, char *where,
	      size_t where_size);

#endif
