/* SPDX-License-Identifier: MIT */
/*
 * parse.h - pure parsers for setting values. No I/O, no globals, no logs.
 *
 * Each returns 0 and writes its ret_ output only on success; -EINVAL for
 * text that is not of the form, -ERANGE for a number out of range.
 */
#ifndef PIDONE_PARSE_H
#define PIDONE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Read the decimal digits at @s into *@ret and return how many there were
 * (none: 0). *@ret_over is set when the value would exceed @max (no
 * overflow happens: the value stops growing there).
 */
size_t parse_digits(const char *s, unsigned long max, unsigned long *ret,
		    bool *ret_over);

/* Decimal digits only (no sign, no spaces, no 0x), value <= @max. */
int parse_uint(const char *s, unsigned long max, unsigned long *ret);

/*
 * Seconds as "10", "0.5" or "2.250" (at most 3 decimals), up to @max_s,
 * into milliseconds.
 */
int parse_seconds(const char *s, unsigned max_s, unsigned *ret_ms);

/*
 * The inverse of parse_seconds: @ms as "10", "2.5" or "0.25" (no trailing
 * zeros), into @buf. Returns @buf.
 */
const char *seconds_text(uint64_t ms, char *buf, size_t size);

/* 1/0, true/false, yes/no, on/off (case-insensitive). */
int parse_bool(const char *s, bool *ret);

/* ASCII only, whatever the locale: protocol text, not user text. */
static inline bool parse_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline char parse_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Does @s hold a control byte (below 0x20, or DEL)? */
static inline bool parse_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Do the @len bytes at @s equal lower-case @word, ignoring ASCII case? */
bool parse_span_caseeq(const char *s, size_t len, const char *word);

/*
 * An IPv4 or IPv6 address literal ("0.0.0.0", "::1", no brackets, no
 * port); *@ret_family is AF_INET or AF_INET6.
 */
int parse_ip_address(const char *s, int *ret_family);

/*
 * "[HOST:]PORT". HOST is an IPv4 literal, "[v6addr]" or "localhost" (no
 * names that would need DNS or NSS inside PID 1). ret_host is a malloc'd
 * copy without brackets, or NULL when no host was given; port must be
 * 1..65535. -ENOMEM possible.
 */
int parse_hostport(const char *s, char **ret_host, unsigned *ret_port);

#endif
