/* SPDX-License-Identifier: MIT */
/*
 * exitstatus.c - wait status decoding, kept pure so that the whole 0..255
 * and 128+N matrix is unit-tested without forking.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>

#include "exitstatus.h"
#include "signame.h"
#include "textbuf.h"
#include "banned.h"

int exitstatus_from_wait(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -EINVAL;
}

const char *exitstatus_describe(int wstatus, char *buf, unsigned buflen)
{
	char name[16];
	const char *signame;

	if (WIFEXITED(wstatus)) {
		struct textbuf t; /* by hand: every child exit logs this */

		textbuf_init(&t, buf, buflen);
		textbuf_puts(&t, "exited with status ");
		textbuf_putu(&t, (unsigned)WEXITSTATUS(wstatus), 10, 1);
	} else if (WIFSIGNALED(wstatus)) {
		signame = signame_from_number(WTERMSIG(wstatus), name,
					      sizeof(name));
		textbuf_snprintf(buf, buflen, "killed by signal %d (%s)%s",
				 WTERMSIG(wstatus), signame ? signame : "?",
				 WCOREDUMP(wstatus) ? ", core dumped" : "");
	} else {
		textbuf_snprintf(buf, buflen, "wait status 0x%x",
				 (unsigned)wstatus);
	}
	return buf;
}
