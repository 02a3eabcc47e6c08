/* SPDX-License-Identifier: MIT */
/*
 * fuzz_health.c - libFuzzer target for src/health.c's text handling: the
 * app-controlled STATUS= text and a ready-tcp reason go through the state
 * machine into the JSON and verbose bodies, with fuzzed buffer sizes.
 *
 * Input: byte 0 picks the configuration and events, bytes 1-2 the buffer
 * size, bytes 3-6 the time; the rest is split at the first NUL into the
 * STATUS= text and the tcp reason. Invariants (abort() on violation):
 * - a body is NUL-terminated, *ret_len == strlen, and fits the buffer;
 * - with HEALTH_BODY_MAX bytes nothing is ever cut or refused;
 * - the JSON body is {"status":"ok"} or {"status":"fail","reason":"..."}
 *   whose string holds valid UTF-8, no raw control byte and no unescaped
 *   quote, and whose escapes are whole;
 * - the verbose body is whole "[+]"/"[-]" lines, maybe "...", then the
 *   verdict line, which agrees with health_live/health_ready.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "health.h"
#include "../unit/lifecycle_fake.h"

static void check_json(const char *body, size_t len)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	static const char head[] = "{\"status\":\"fail\",\"reason\":\"";
	const unsigned char *s;
	size_t i, end;

	if (len == sizeof(ok) - 1 && memcmp(body, ok, len) == 0)
		return;
	CHECK(len >= sizeof(head) + 1);
	CHECK(memcmp(body, head, sizeof(head) - 1) == 0);
	CHECK(memcmp(body + len - 2, "\"}", 2) == 0);
	s = (const unsigned char *)body;
	end = len - 2;
	for (i = sizeof(head) - 1; i < end;) {
		if (s[i] == '\\') {
			CHECK(i + 1 < end);
			if (s[i + 1] == 'u') {
				CHECK(i + 6 <= end);
				i += 6;
			} else {
				CHECK(strchr("\"\\/bfnrt", s[i + 1]));
				i += 2;
			}
			continue;
		}
		CHECK(s[i] >= 0x20 && s[i] != '"');
		{
			size_t n = fuzz_utf8_char(s + i, end - i);

			CHECK(n > 0);
			i += n;
		}
	}
}

static void check_verbose(const char *body, size_t len, bool want_ok,
			  bool whole)
{
	const char *line = body, *end = body + len;
	const char *verdict = want_ok ? " check passed\n" : " check failed\n";

	CHECK(len > 0 && body[len - 1] == '\n');
	for (;;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));

		CHECK(nl);
		if (nl + 1 == end)
			break;
		if (memcmp(line, "...\n", 4) == 0)
			CHECK(!whole);
		else
			CHECK(!strncmp(line, "[+]", 3) ||
			      !strncmp(line, "[-]", 3));
		line = nl + 1;
	}
	CHECK((size_t)(end - line) >= strlen(verdict));
	CHECK(memcmp(end - strlen(verdict), verdict, strlen(verdict)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[HEALTH_BODY_MAX];
	struct health_config cfg = { 0 };
	struct health h;
	const uint8_t *rest, *nul;
	size_t rest_len, status_len, buflen, len;
	char reason[512];
	uint64_t now;
	uint8_t flags;
	int r;

	if (size < 7)
		return 0;
	flags = data[0];
	buflen = ((size_t)data[1] << 8 | data[2]) % (HEALTH_BODY_MAX + 1);
	now = (uint64_t)data[3] << 24 | (uint64_t)data[4] << 16 |
	      (uint64_t)data[5] << 8 | data[6];
	rest = data + 7;
	rest_len = size - 7;
	nul = memchr(rest, '\0', rest_len);
	status_len = nul ? (size_t)(nul - rest) : rest_len;

	cfg.watchdog_ms = flags & 1 ? 10000 : 0;
	cfg.ready_delay_ms = flags & 2 ? 5000 : 0;
	cfg.ready_tcp = flags & 4;
	cfg.ready_notify = flags & 8;
	health_init(&h, &cfg, fresh_lc());
	if (flags & 16)
		child_started(&h, 0);
	health_notify_status(&h, (const char *)rest, status_len);
	if (nul) {
		size_t n = rest_len - status_len - 1;

		if (n >= sizeof(reason))
			n = sizeof(reason) - 1;
		memcpy(reason, nul + 1, n);
		reason[n] = '\0'; /* may stop early at another NUL: fine */
		health_tcp_result(&h, 0, flags & 32, reason);
	}
	if (flags & 64)
		shutdown_begun(&h);
	if (flags & 128)
		child_backoff(&h, (int)now & 0xffff);

	for (int p = 0; p < HEALTH_PROBE_MAX; p++) {
		bool ok = p == HEALTH_PROBE_LIVE ? health_live(&h, now) :
						   health_ready(&h, now);

		/* a full-size buffer: never refused, never cut */
		r = health_format_json(&h, now, p, buf, sizeof(buf), &len);
		CHECK(r == 0 && len < sizeof(buf) && strlen(buf) == len);
		check_json(buf, len);
		CHECK(ok == (strcmp(buf, "{\"status\":\"ok\"}") == 0));
		r = health_format_verbose(&h, now, p, NULL, buf, sizeof(buf),
					  &len);
		CHECK(r == 0 && len < sizeof(buf) && strlen(buf) == len);
		check_verbose(buf, len, ok, true);

		/* a fuzzed size, in an exactly-sized block for ASan */
		{
			char *small = malloc(buflen ? buflen : 1);

			CHECK(small);
			len = 4242;
			r = health_format_json(&h, now, p, small, buflen, &len);
			if (r == 0) {
				CHECK(len < buflen && strlen(small) == len);
				check_json(small, len);
			} else {
				CHECK(len == 4242);
			}
			r = health_format_verbose(&h, now, p, "x", small,
						  buflen, &len);
			if (r == 0) {
				CHECK(len < buflen && strlen(small) == len);
				check_verbose(small, len, ok, false);
			}
			free(small);
		}
	}
	return 0;
}
