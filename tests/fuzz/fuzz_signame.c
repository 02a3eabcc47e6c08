/* SPDX-License-Identifier: MIT */
/*
 * fuzz_signame.c - libFuzzer target for src/signame.c: signal names and
 * numbers (--rewrite's FROM and TO, log fields) and "FROM:TO" specs.
 *
 * Byte 0 picks the buffer size for signame_from_number and one more
 * number (-128..127) to name; the rest, cut at
 * its first NUL, is the text, placed in an exactly-sized heap block (its
 * NUL the last byte) so ASan sees any read past the string. Invariants
 * (abort() on violation):
 * - signame_to_number returns 1..SIGNAME_MAX or -EINVAL;
 * - a known number has a name, the name maps back to the same number, and
 *   "SIG" + name and the name in lower case do too;
 * - signame_from_number never writes past buflen and NUL-terminates;
 * - signame_parse_rewrite returns 0 or -EINVAL, writes its outputs only on
 *   success, never gives FROM = KILL/STOP/CHLD, and agrees with
 *   signame_to_number on each side of the colon.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "signame.h"

static char *cstr(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	CHECK(s);
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/* The name of @sig with a fuzzed buffer size, checked for overflow. */
static void check_name(int sig, unsigned buflen)
{
	char big[32], *small;
	const char *name;

	name = signame_from_number(sig, big, sizeof(big));
	if (sig < 1 || sig > SIGNAME_MAX) {
		CHECK(!name);
		return;
	}
	if (!name)
		return; /* 32, 33: glibc's own */
	CHECK(strlen(name) > 0 && strlen(name) < sizeof(big));
	CHECK(signame_to_number(name) == sig);
	{
		char sig_name[40], lower[32];
		size_t i;

		snprintf(sig_name, sizeof(sig_name), "SIG%s", name);
		CHECK(signame_to_number(sig_name) == sig);
		for (i = 0; name[i] && i + 1 < sizeof(lower); i++)
			lower[i] = (char)tolower((unsigned char)name[i]);
		lower[i] = '\0';
		CHECK(signame_to_number(lower) == sig);
	}

	/* an exactly-sized buffer: ASan catches a write past it */
	small = malloc(buflen ? buflen : 1);
	CHECK(small);
	name = signame_from_number(sig, small, buflen);
	if (name && name == small)
		CHECK(strlen(small) < buflen);
	free(small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	unsigned buflen;
	char *text, *colon;
	size_t len;
	int n, probe, from = 4242, to = 4242, r;

	if (size < 1)
		return 0;
	buflen = data[0] % 24;
	probe = (int8_t)data[0]; /* -128..127: in and out of range */
	data++;
	size--;
	nul = memchr(data, '\0', size);
	len = nul ? (size_t)(nul - data) : size;
	text = cstr(data, len);

	n = signame_to_number(text);
	CHECK(n == -EINVAL || (n >= 1 && n <= SIGNAME_MAX));
	if (n > 0)
		check_name(n, buflen);
	check_name(probe, buflen);

	r = signame_parse_rewrite(text, &from, &to);
	CHECK(r == 0 || r == -EINVAL);
	if (r < 0) {
		CHECK(from == 4242 && to == 4242);
	} else {
		CHECK(from >= 1 && from <= SIGNAME_MAX);
		CHECK(from != SIGKILL && from != SIGSTOP && from != SIGCHLD);
		CHECK(to >= 0 && to <= SIGNAME_MAX);
		colon = strchr(text, ':');
		CHECK(colon && !strchr(colon + 1, ':'));
		*colon = '\0';
		CHECK(signame_to_number(text) == from);
		CHECK(to == 0 ? strcmp(colon + 1, "0") == 0 :
				signame_to_number(colon + 1) == to);
	}
	free(text);
	return 0;
}
