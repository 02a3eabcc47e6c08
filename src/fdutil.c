/* SPDX-License-Identifier: MIT */
/*
 * fdutil.c - fd closing and standard-fd sanitizing. Owns no fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fdutil.h"
#include "banned.h"

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
		 * open: open() fills exactly this slot. Not O_CLOEXEC: the child
		 * must inherit it.
		 */
		null_fd = open("/dev/null", O_RDWR | O_NOCTTY);
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
