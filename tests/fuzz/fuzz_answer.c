/* SPDX-License-Identifier: MIT */
/*
 * fuzz_answer.c - libFuzzer target for src/probe.c's reading of an HTTP
 * answer: what `pidone health` gets from a server and what an app check
 * (--ready-http, --live-http) gets from the app.
 *
 * Bytes 0-1 pick a cut and byte 2 an excerpt buffer size; the rest is the
 * answer, placed in an exactly-sized heap block so ASan sees any read past
 * it. Invariants (abort() on violation):
 * - probe_parse_response returns 0, -EAGAIN or -EPROTO and writes its
 *   outputs only on success;
 * - on success the status is 101 or 200-999, the body starts after an LF
 *   within the answer, and the Content-Length is -1 or a number;
 * - a prefix of the answer is incomplete (-EAGAIN), or, once it holds the
 *   whole head, gives the same result; it is -EPROTO only if the answer is;
 * - probe_body_excerpt writes a NUL-terminated line of printable ASCII that
 *   fits the buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "probe.h"

struct parsed {
	int r, status;
	size_t body;
	long length;
};

static struct parsed parse(const uint8_t *data, size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct parsed p = { .status = -7, .body = 777, .length = -7 };

	CHECK(copy);
	memcpy(copy, data, len);
	p.r = probe_parse_response(copy, len, &p.status, &p.body, &p.length);
	free(copy);
	CHECK(p.r == 0 || p.r == -EAGAIN || p.r == -EPROTO);
	if (p.r != 0) {
		CHECK(p.status == -7 && p.body == 777 && p.length == -7);
		return p;
	}
	CHECK(p.status == 101 || (p.status >= 200 && p.status <= 999));
	CHECK(p.body > 0 && p.body <= len && data[p.body - 1] == '\n');
	CHECK(p.length >= -1);
	return p;
}

static void check_excerpt(const uint8_t *data, size_t len, size_t size)
{
	char *dst = malloc(size);
	size_t n;

	CHECK(dst);
	n = probe_body_excerpt((const char *)data, len, dst, size);
	CHECK(n < size && dst[n] == '\0' && strlen(dst) == n);
	for (size_t i = 0; i < n; i++)
		CHECK(dst[i] >= 0x20 && dst[i] < 0x7f);
	free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parsed whole, part;
	size_t cut, excerpt_size;

	if (size < 3)
		return 0;
	cut = (size_t)data[0] << 8 | data[1];
	excerpt_size = (size_t)data[2] + 1;
	data += 3;
	size -= 3;
	cut = size ? cut % (size + 1) : 0;

	whole = parse(data, size);
	part = parse(data, cut);
	if (whole.r == 0 && cut >= whole.body)
		CHECK(part.r == 0 && part.status == whole.status &&
		      part.body == whole.body && part.length == whole.length);
	else if (whole.r == -EPROTO)
		CHECK(part.r == -EAGAIN || part.r == -EPROTO);
	else
		CHECK(part.r == -EAGAIN);
	if (whole.r == 0)
		check_excerpt(data + whole.body, size - whole.body,
			      excerpt_size);
	return 0;
}
