/* SPDX-License-Identifier: MIT */
/*
 * parse.c - pure parsers for setting values (numbers, seconds, booleans,
 * ports, addresses and [HOST:]PORT).
 *
 * Everything here is strict on purpose: no sign, no white space inside a
 * value, no "0x", no units. A value either means exactly one thing or is
 * rejected, so a typo in a Dockerfile fails at start-up instead of turning
 * into a surprising default. No I/O, no globals, no logging; inputs are
 * only read up to their terminating NUL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <inttypes.h>
#include <stdio.h>

#include "parse.h"
#include "banned.h"

/*
 * Read the decimal digits at @s into *@ret and return how many there were.
 * *@ret_over is set when the value would exceed @max (no overflow happens:
 * the value stops growing there).
 */
static size_t read_digits(const char *s, unsigned long max, unsigned long *ret,
			  bool *ret_over)
{
	unsigned long v = 0;
	bool over = false;
	size_t n = 0;

	for (; parse_is_digit(s[n]); n++) {
		unsigned long d = (unsigned long)(s[n] - '0');

		if (over || d > max || v > (max - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	*ret = v;
	*ret_over = over;
	return n;
}

/* Strict unsigned decimal, at most @max (see parse.h). */
int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	bool over;
	size_t n = read_digits(s, max, &v, &over);

	if (n == 0 || s[n] != '\0')
		return -EINVAL;
	if (over)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* "10", "0.5", "2.250" seconds into milliseconds (see parse.h). */
int parse_seconds(const char *s, unsigned max_s, unsigned *ret_ms)
{
	unsigned long whole, ms;
	bool over;
	size_t n = read_digits(s, max_s, &whole, &over);
	unsigned frac = 0, scale = 100;
	size_t i;

	if (n == 0)
		return -EINVAL;
	i = n;
	if (s[i] == '.') {
		size_t first = ++i;

		for (; parse_is_digit(s[i]); i++) {
			if (i - first >= 3)
				return -EINVAL;
			frac += (unsigned)(s[i] - '0') * scale;
			scale /= 10;
		}
		if (i == first)
			return -EINVAL;
	}
	if (s[i] != '\0')
		return -EINVAL;
	if (over)
		return -ERANGE;
	ms = whole * 1000 + frac;
	if (ms > (unsigned long)max_s * 1000)
		return -ERANGE;
	*ret_ms = (unsigned)ms;
	return 0;
}

/* The eight boolean words, case-insensitive (see parse.h). */
int parse_bool(const char *s, bool *ret)
{
	/* Arrays, not pointers: the tables stay in .rodata. */
	static const char yes[][6] = { "1", "true", "yes", "on" };
	static const char no[][6] = { "0", "false", "no", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* A port 0..65535 (see parse.h). */
int parse_port(const char *s, unsigned *ret)
{
	unsigned long v;
	int r = parse_uint(s, 65535, &v);

	if (r < 0)
		return r;
	*ret = (unsigned)v;
	return 0;
}

/* See parse.h. */
int parse_port_n(const char *s, size_t len, unsigned *ret)
{
	char text[8];

	if (len >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, len);
	text[len] = '\0';
	return parse_port(text, ret);
}

/* See parse.h. */
bool parse_span_caseeq(const char *s, size_t len, const char *word)
{
	if (strlen(word) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (parse_lower(s[i]) != word[i])
			return false;
	return true;
}

/* An IPv4 or IPv6 literal, via inet_pton (see parse.h). */
int parse_ip_address(const char *s, int *ret_family)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, s, buf) == 1) {
		*ret_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		*ret_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* "[HOST:]PORT" for --ready-tcp (see parse.h). */
int parse_hostport(const char *s, char **ret_host, unsigned *ret_port)
{
	const char *port_text = s, *colon;
	char *host = NULL;
	unsigned long port;
	int family, r;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		host = strndup(s + 1, (size_t)(close - s - 1));
		if (!host)
			return -ENOMEM;
		if (parse_ip_address(host, &family) < 0 || family != AF_INET6) {
			r = -EINVAL;
			goto err_free_host;
		}
		port_text = close + 2;
	} else if ((colon = strchr(s, ':'))) {
		/* A second colon means an IPv6 address without brackets. */
		if (strchr(colon + 1, ':'))
			return -EINVAL;
		host = strndup(s, (size_t)(colon - s));
		if (!host)
			return -ENOMEM;
		if (strcmp(host, "localhost") != 0 &&
		    (parse_ip_address(host, &family) < 0 ||
		     family != AF_INET)) {
			r = -EINVAL;
			goto err_free_host;
		}
		port_text = colon + 1;
	}
	r = parse_uint(port_text, 65535, &port);
	if (r == 0 && port == 0)
		r = -ERANGE;
	if (r < 0)
		goto err_free_host;
	*ret_host = host;
	*ret_port = (unsigned)port;
	return 0;

err_free_host:
	free(host);
	return r;
}

const char *seconds_text(uint64_t ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%" PRIu64, ms / 1000);
	else if (ms % 100 == 0)
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64, ms / 1000,
			 ms % 1000 / 100);
	else if (ms % 10 == 0)
		snprintf(buf, size, "%" PRIu64 ".%02" PRIu64, ms / 1000,
			 ms % 1000 / 10);
	else
		snprintf(buf, size, "%" PRIu64 ".%03" PRIu64, ms / 1000,
			 ms % 1000);
	return buf;
}
