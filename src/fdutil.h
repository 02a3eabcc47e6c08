/* SPDX-License-Identifier: MIT */
/*
 * fdutil.h - small file-descriptor helpers shared by every module that owns
 * an fd. An fd field is -1 when closed.
 */
#ifndef PIDONE_FDUTIL_H
#define PIDONE_FDUTIL_H

#include <stddef.h>

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

#endif
