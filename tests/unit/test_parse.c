/* SPDX-License-Identifier: MIT */
/*
 * test_parse.c - the pure value parsers of src/parse.c, row by row, each
 * input placed flush against a PROT_NONE page (NUL included) so that a
 * read past the terminator faults.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "guard.h"
#include "parse.h"

/* A guarded NUL-terminated copy of @s. */
static struct guard gstr(const char *s)
{
	return guard_copy(s, strlen(s) + 1);
}

struct uint_row {
	const char *in;
	unsigned long max;
	int r;
	unsigned long v;
};

static const struct uint_row uint_rows[] = {
	{ "0", 10, 0, 0 },
	{ "7", 10, 0, 7 },
	{ "10", 10, 0, 10 },
	{ "007", 10, 0, 7 },
	{ "65535", 65535, 0, 65535 },
	{ "18446744073709551615", (unsigned long)-1, 0, (unsigned long)-1 },
	{ "11", 10, -ERANGE, 0 },
	{ "65536", 65535, -ERANGE, 0 },
	{ "18446744073709551616", (unsigned long)-1, -ERANGE, 0 },
	{ "99999999999999999999999", 1000, -ERANGE, 0 },
	{ "", 10, -EINVAL, 0 },
	{ "-1", 10, -EINVAL, 0 },
	{ "+1", 10, -EINVAL, 0 },
	{ " 1", 10, -EINVAL, 0 },
	{ "1 ", 10, -EINVAL, 0 },
	{ "0x1", 10, -EINVAL, 0 },
	{ "1.0", 10, -EINVAL, 0 },
	{ "abc", 10, -EINVAL, 0 },
	{ "99999999999999999999999x", 1000, -EINVAL, 0 },
	{ "5", 3, -ERANGE, 0 },
};

Test(parse, uint_table)
{
	for (size_t i = 0; i < sizeof(uint_rows) / sizeof(uint_rows[0]); i++) {
		const struct uint_row *row = &uint_rows[i];
		struct guard g = gstr(row->in);
		unsigned long v = 4242;
		int r = parse_uint(g.data, row->max, &v);

		cr_expect_eq(r, row->r, "parse_uint(\"%s\", %lu) = %d, want %d",
			     row->in, row->max, r, row->r);
		if (row->r == 0)
			cr_expect_eq(v, row->v, "\"%s\" -> %lu", row->in, v);
		else
			cr_expect_eq(v, 4242,
				     "ret written on failure for \"%s\"",
				     row->in);
		guard_free(&g);
	}
}

struct seconds_row {
	const char *in;
	unsigned max_s;
	int r;
	unsigned ms;
};

static const struct seconds_row seconds_rows[] = {
	{ "0", 10, 0, 0 },
	{ "10", 3600, 0, 10000 },
	{ "0.5", 10, 0, 500 },
	{ "2.250", 10, 0, 2250 },
	{ "2.25", 10, 0, 2250 },
	{ "0.001", 10, 0, 1 },
	{ "3600", 3600, 0, 3600000 },
	{ "3600.0", 3600, 0, 3600000 },
	{ "86400", 86400, 0, 86400000 },
	{ "3600.001", 3600, -ERANGE, 0 },
	{ "3601", 3600, -ERANGE, 0 },
	{ "99999999999999999999", 3600, -ERANGE, 0 },
	{ "0.0001", 10, -EINVAL, 0 },
	{ "1.", 10, -EINVAL, 0 },
	{ ".5", 10, -EINVAL, 0 },
	{ "", 10, -EINVAL, 0 },
	{ "abc", 10, -EINVAL, 0 },
	{ "10s", 10, -EINVAL, 0 },
	{ "-1", 10, -EINVAL, 0 },
	{ "1e3", 10000, -EINVAL, 0 },
	{ " 1", 10, -EINVAL, 0 },
	{ "1..5", 10, -EINVAL, 0 },
	{ "1.5.0", 10, -EINVAL, 0 },
};

Test(parse, seconds_table)
{
	for (size_t i = 0; i < sizeof(seconds_rows) / sizeof(seconds_rows[0]);
	     i++) {
		const struct seconds_row *row = &seconds_rows[i];
		struct guard g = gstr(row->in);
		unsigned ms = 4242;
		int r = parse_seconds(g.data, row->max_s, &ms);

		cr_expect_eq(r, row->r,
			     "parse_seconds(\"%s\", %u) = %d, want %d", row->in,
			     row->max_s, r, row->r);
		cr_expect_eq(ms, row->r == 0 ? row->ms : 4242u,
			     "\"%s\" -> %u ms", row->in, ms);
		guard_free(&g);
	}
}

struct bool_row {
	const char *in;
	int r;
	bool v;
};

static const struct bool_row bool_rows[] = {
	{ "1", 0, true },
	{ "true", 0, true },
	{ "TRUE", 0, true },
	{ "yes", 0, true },
	{ "Yes", 0, true },
	{ "on", 0, true },
	{ "0", 0, false },
	{ "false", 0, false },
	{ "no", 0, false },
	{ "off", 0, false },
	{ "OFF", 0, false },
	{ "", -EINVAL, false },
	{ "2", -EINVAL, false },
	{ "y", -EINVAL, false },
	{ "onn", -EINVAL, false },
	{ " on", -EINVAL, false },
	{ "enabled", -EINVAL, false },
};

Test(parse, bool_table)
{
	for (size_t i = 0; i < sizeof(bool_rows) / sizeof(bool_rows[0]); i++) {
		const struct bool_row *row = &bool_rows[i];
		struct guard g = gstr(row->in);
		bool v = !row->v;
		int r = parse_bool(g.data, &v);

		cr_expect_eq(r, row->r, "parse_bool(\"%s\") = %d", row->in, r);
		if (row->r == 0)
			cr_expect_eq(v, row->v, "\"%s\"", row->in);
		guard_free(&g);
	}
}

/* The digits at the start of a longer text, as a URL's port is. */
Test(parse, digits)
{
	static const struct {
		const char *s;
		unsigned long max;
		size_t n;
		unsigned long v;
		bool over;
	} rows[] = {
		{ "8081/healthz", 65535, 4, 8081, false },
		{ "65535", 65535, 5, 65535, false },
		{ "65536", 65535, 5, 6553, true },
		{ "0", 65535, 1, 0, false },
		{ "80x", 65535, 2, 80, false },
		{ "", 65535, 0, 0, false },
		{ "-1", 65535, 0, 0, false },
		{ "00000008081", 65535, 11, 8081, false },
		{ "18446744073709551616", ULONG_MAX, 20, 1844674407370955161UL,
		  true },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct guard g = gstr(rows[i].s);
		unsigned long v = 7;
		bool over = !rows[i].over;
		size_t n = parse_digits(g.data, rows[i].max, &v, &over);

		cr_expect_eq(n, rows[i].n, "parse_digits(\"%s\") = %zu",
			     rows[i].s, n);
		cr_expect_eq(v, rows[i].v, "\"%s\": %lu", rows[i].s, v);
		cr_expect_eq(over, rows[i].over, "\"%s\"", rows[i].s);
		guard_free(&g);
	}
}

Test(parse, span_caseeq)
{
	cr_expect(parse_span_caseeq("Content-Length", 14, "content-length"));
	cr_expect(parse_span_caseeq("HOST: x", 4, "host"));
	cr_expect_not(parse_span_caseeq("Hosts", 5, "host"));
	cr_expect_not(parse_span_caseeq("Hos", 3, "host"));
	cr_expect_not(parse_span_caseeq("H\xc3st", 4, "host"));
	cr_expect(parse_span_caseeq("", 0, ""));
	cr_expect_eq(parse_lower('Z'), 'z');
	cr_expect_eq(parse_lower('['), '[');
	cr_expect(parse_is_digit('9'));
	cr_expect_not(parse_is_digit('a'));
}

Test(parse, ip_address)
{
	static const struct {
		const char *in;
		int r;
		int family;
	} rows[] = {
		{ "0.0.0.0", 0, AF_INET },
		{ "127.0.0.1", 0, AF_INET },
		{ "::", 0, AF_INET6 },
		{ "::1", 0, AF_INET6 },
		{ "fe80::1", 0, AF_INET6 },
		{ "::ffff:10.0.0.1", 0, AF_INET6 },
		{ "", -EINVAL, 0 },
		{ "localhost", -EINVAL, 0 },
		{ "[::1]", -EINVAL, 0 },
		{ "127.0.0.1:80", -EINVAL, 0 },
		{ "256.0.0.1", -EINVAL, 0 },
		{ "1.2.3", -EINVAL, 0 },
		{ " 127.0.0.1", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct guard g = gstr(rows[i].in);
		int family = -1;
		int r = parse_ip_address(g.data, &family);

		cr_expect_eq(r, rows[i].r, "parse_ip_address(\"%s\") = %d",
			     rows[i].in, r);
		cr_expect_eq(family, rows[i].r == 0 ? rows[i].family : -1,
			     "\"%s\"", rows[i].in);
		guard_free(&g);
	}
}

struct hostport_row {
	const char *in;
	int r;
	const char *host; /* NULL: none */
	unsigned port;
};

static const struct hostport_row hostport_rows[] = {
	{ "8080", 0, NULL, 8080 },
	{ "1", 0, NULL, 1 },
	{ "65535", 0, NULL, 65535 },
	{ "127.0.0.1:5432", 0, "127.0.0.1", 5432 },
	{ "localhost:80", 0, "localhost", 80 },
	{ "LOCALHOST:80", 0, "LOCALHOST", 80 },
	{ "[::1]:8080", 0, "::1", 8080 },
	{ "[fe80::1]:1", 0, "fe80::1", 1 },
	{ "0", -ERANGE, NULL, 0 },
	{ "65536", -ERANGE, NULL, 0 },
	{ "127.0.0.1:0", -ERANGE, NULL, 0 },
	{ "", -EINVAL, NULL, 0 },
	{ ":8080", -EINVAL, NULL, 0 },
	{ "127.0.0.1:", -EINVAL, NULL, 0 },
	{ "::1:8080", -EINVAL, NULL, 0 },
	{ "[::1]", -EINVAL, NULL, 0 },
	{ "[::1]8080", -EINVAL, NULL, 0 },
	{ "[127.0.0.1]:80", -EINVAL, NULL, 0 },
	{ "[::1:80", -EINVAL, NULL, 0 },
	{ "db.internal:5432", -EINVAL, NULL, 0 },
	{ "::1", -EINVAL, NULL, 0 },
	{ "http", -EINVAL, NULL, 0 },
	{ "localhost", -EINVAL, NULL, 0 },
};

Test(parse, hostport_table)
{
	for (size_t i = 0; i < sizeof(hostport_rows) / sizeof(hostport_rows[0]);
	     i++) {
		const struct hostport_row *row = &hostport_rows[i];
		struct guard g = gstr(row->in);
		char *host = (char *)"untouched";
		unsigned port = 4242;
		int r = parse_hostport(g.data, &host, &port);

		cr_expect_eq(r, row->r, "parse_hostport(\"%s\") = %d, want %d",
			     row->in, r, row->r);
		if (row->r == 0) {
			if (row->host)
				cr_expect_str_eq(host, row->host, "\"%s\"",
						 row->in);
			else
				cr_expect_null(host, "\"%s\"", row->in);
			cr_expect_eq(port, row->port, "\"%s\"", row->in);
			free(host);
		} else {
			cr_expect_str_eq(host, "untouched", "\"%s\"", row->in);
			cr_expect_eq(port, 4242u, "\"%s\"", row->in);
		}
		guard_free(&g);
	}
}

Test(parse, seconds_text_is_the_inverse_of_parse_seconds)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} rows[] = {
		{ 0, "0" },	  { 10000, "10" },  { 500, "0.5" },
		{ 2250, "2.25" }, { 1, "0.001" },   { 3600000, "3600" },
		{ 1010, "1.01" }, { 999, "0.999" },
	};
	char buf[32];
	unsigned back;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cr_assert_str_eq(seconds_text(rows[i].ms, buf, sizeof(buf)),
				 rows[i].text, "row %zu", i);
		cr_assert_eq(parse_seconds(buf, 3600, &back), 0);
		cr_assert_eq(back, rows[i].ms, "round trip of %s", buf);
	}
}
