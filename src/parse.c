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
#include "textbuf.h"
#include "banned.h"

/* The decimal digits at @s (see parse.h). */
size_t parse_digits(const char *s, unsigned long max, unsigned long *ret,
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
	size_t n = parse_digits(s, max, &v, &over);

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
	size_t n = parse_digits(s, max_s, &whole, &over), i = n;
	unsigned frac = 0, scale = 100;

	/* After a dot, one to three decimals. */
	if (n > 0 && s[n] == '.')
		for (i = n + 1; scale > 0 && parse_is_digit(s[i]);
		     i++, scale /= 10)
			frac += (unsigned)(s[i] - '0') * scale;
	if (n == 0 || s[i] != '\0' || i == n + 1)
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
	/* Arrays, not pointers: the table stays in .rodata. */
	static const char words[][6] = { "0",  "1",   "false", "true",
					 "no", "yes", "off",   "on" };
	char lower[sizeof(words[0])] = "";
	size_t n = strnlen(s, sizeof(lower));

	if (n == sizeof(lower))
		return -EINVAL; /* longer than every word */
	for (size_t i = 0; i < n; i++)
		lower[i] = parse_lower(s[i]);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(lower, words[i]) == 0) {
			*ret = i % 2;
			return 0;
		}
	}
	return -EINVAL;
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
	int family = inet_pton(AF_INET, s, buf) == 1  ? AF_INET :
		     inet_pton(AF_INET6, s, buf) == 1 ? AF_INET6 :
							AF_UNSPEC;

	if (family == AF_UNSPEC)
		return -EINVAL;
	*ret_family = family;
	return 0;
}

/* "[HOST:]PORT" for --ready-tcp (see parse.h). */
int parse_hostport(const char *s, char **ret_host, unsigned *ret_port)
{
	const char *colon = strrchr(s, ':');
	bool bracket = s[0] == '[';
	char *host = NULL;
	unsigned long port;
	int family = 0, r;

	/* "[IPv6]:PORT", "HOST:PORT" with no other colon, or "PORT". */
	if (bracket ? !colon || colon[-1] != ']' :
		      colon && strchr(s, ':') != colon)
		return -EINVAL;
	r = parse_uint(colon ? colon + 1 : s, 65535, &port);
	if (r < 0 || port == 0)
		return r < 0 ? r : -ERANGE;
	if (colon) {
		host = strndup(s + bracket, (size_t)(colon - s) - 2 * bracket);
		if (!host)
			return -ENOMEM;
		parse_ip_address(host, &family);
	}
	if (host &&
	    (bracket ? family != AF_INET6 :
		       family != AF_INET && strcasecmp(host, "localhost"))) {
		free(host);
		return -EINVAL;
	}
	*ret_host = host;
	*ret_port = (unsigned)port;
	return 0;
}

/* Milliseconds as "10", "2.5" or "0.25" (see parse.h). */
const char *seconds_text(uint64_t ms, char *buf, size_t size)
{
	int n = textbuf_snprintf(buf, size, "%" PRIu64 ".%03" PRIu64, ms / 1000,
				 ms % 1000);

	/* Trailing zeros of the fraction go, and then a bare dot. */
	while (n > 0 && (size_t)n < size && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && (size_t)n < size && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	return buf;
}
