/* SPDX-License-Identifier: MIT */
/*
 * signame.c - signal names (as `kill -l` spells them) and the --rewrite
 * map entries "FROM:TO".
 *
 * The numbers are the kernel's, from <signal.h>. The real-time ones are
 * named as `kill -l`, Docker and a glibc child (Python, Node) number them,
 * RTMIN 34 to RTMAX 64, whatever pidone is linked with: musl's SIGRTMIN is
 * 35, and a musl build that used it would call 35 "RTMIN" and reload on a
 * signal the user sent as RTMIN+1 from outside. 32 and 33 have no name and
 * are rejected: no C library lets a program use them. Pure: no I/O, no
 * globals, no logging.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "signame.h"
#include "textbuf.h"
#include "banned.h"

struct signame {
	int num;
	char name[8]; /* an array, so the table needs no relocation */
};

/* Canonical names first: signame_from_number returns the first match. */
static const struct signame signames[] = {
	{ SIGHUP, "HUP" },
	{ SIGINT, "INT" },
	{ SIGQUIT, "QUIT" },
	{ SIGILL, "ILL" },
	{ SIGTRAP, "TRAP" },
	{ SIGABRT, "ABRT" },
	{ SIGBUS, "BUS" },
	{ SIGFPE, "FPE" },
	{ SIGKILL, "KILL" },
	{ SIGUSR1, "USR1" },
	{ SIGSEGV, "SEGV" },
	{ SIGUSR2, "USR2" },
	{ SIGPIPE, "PIPE" },
	{ SIGALRM, "ALRM" },
	{ SIGTERM, "TERM" },
#ifdef SIGSTKFLT
	{ SIGSTKFLT, "STKFLT" },
#endif
	{ SIGCHLD, "CHLD" },
	{ SIGCONT, "CONT" },
	{ SIGSTOP, "STOP" },
	{ SIGTSTP, "TSTP" },
	{ SIGTTIN, "TTIN" },
	{ SIGTTOU, "TTOU" },
	{ SIGURG, "URG" },
	{ SIGXCPU, "XCPU" },
	{ SIGXFSZ, "XFSZ" },
	{ SIGVTALRM, "VTALRM" },
	{ SIGPROF, "PROF" },
	{ SIGWINCH, "WINCH" },
	{ SIGIO, "IO" },
#ifdef SIGPWR
	{ SIGPWR, "PWR" },
#endif
	{ SIGSYS, "SYS" },
	/* Aliases, accepted on input only. */
	{ SIGABRT, "IOT" },
	{ SIGIO, "POLL" },
	{ SIGCHLD, "CLD" },
};

#define N_SIGNAMES (sizeof(signames) / sizeof(signames[0]))

enum { RT_MIN = 34, RT_MAX = SIGNAME_MAX };

static bool is_valid_number(int sig)
{
	if (sig < 1 || sig > SIGNAME_MAX)
		return false;
	if (sig >= RT_MIN)
		return true;
	for (size_t i = 0; i < N_SIGNAMES; i++)
		if (signames[i].num == sig)
			return true;
	return false;
}

/* "RTMIN", "RTMIN+3", "RTMAX", "RTMAX-1" (without "SIG"). */
static int rt_to_number(const char *name)
{
	bool from_min = strncasecmp(name, "RTMIN", 5) == 0;
	unsigned long n = 0;
	int sig;

	if (!from_min && strncasecmp(name, "RTMAX", 5) != 0)
		return -EINVAL;
	if (name[5] != '\0') {
		if (name[5] != (from_min ? '+' : '-'))
			return -EINVAL;
		if (parse_uint(name + 6, SIGNAME_MAX, &n) < 0)
			return -EINVAL;
	}
	sig = from_min ? RT_MIN + (int)n : RT_MAX - (int)n;
	if (sig < RT_MIN || sig > RT_MAX)
		return -EINVAL;
	return sig;
}

/* A signal name or number into its number (see signame.h). */
int signame_to_number(const char *name)
{
	unsigned long n;

	if (parse_uint(name, SIGNAME_MAX, &n) == 0)
		return is_valid_number((int)n) ? (int)n : -EINVAL;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < N_SIGNAMES; i++)
		if (strcasecmp(name, signames[i].name) == 0)
			return signames[i].num;
	return rt_to_number(name);
}

/* The `kill -l` name of @sig (see signame.h). */
const char *signame_from_number(int sig, char *buf, unsigned buflen)
{
	int half, r;

	for (size_t i = 0; i < N_SIGNAMES; i++)
		if (signames[i].num == sig)
			return signames[i].name;
	if (sig < RT_MIN || sig > RT_MAX)
		return NULL;
	/* Like `kill -l`: the lower half counts up, the upper half down. */
	half = (RT_MAX - RT_MIN) / 2;
	if (sig == RT_MIN)
		r = textbuf_snprintf(buf, buflen, "RTMIN");
	else if (sig == RT_MAX)
		r = textbuf_snprintf(buf, buflen, "RTMAX");
	else if (sig - RT_MIN <= half)
		r = textbuf_snprintf(buf, buflen, "RTMIN+%d", sig - RT_MIN);
	else
		r = textbuf_snprintf(buf, buflen, "RTMAX-%d", RT_MAX - sig);
	if (r < 0 || (unsigned)r >= buflen)
		return NULL;
	return buf;
}

/* One --rewrite entry "FROM:TO" (see signame.h). */
int signame_parse_rewrite(const char *spec, int *ret_from, int *ret_to)
{
	const char *colon = strchr(spec, ':');
	char from_text[32];
	size_t from_len;
	int from, to;

	if (!colon || strchr(colon + 1, ':'))
		return -EINVAL;
	from_len = (size_t)(colon - spec);
	if (from_len == 0 || from_len >= sizeof(from_text))
		return -EINVAL;
	memcpy(from_text, spec, from_len);
	from_text[from_len] = '\0';
	from = signame_to_number(from_text);
	if (from < 0)
		return -EINVAL;
	/* pidone never receives these, so a rewrite of them could not work. */
	if (from == SIGKILL || from == SIGSTOP || from == SIGCHLD)
		return -EINVAL;
	to = strcmp(colon + 1, "0") == 0 ? 0 : signame_to_number(colon + 1);
	if (to < 0)
		return -EINVAL;
	*ret_from = from;
	*ret_to = to;
	return 0;
}
