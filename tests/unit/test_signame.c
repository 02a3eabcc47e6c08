/* SPDX-License-Identifier: MIT */
/*
 * test_signame.c - signal names both ways and --rewrite "FROM:TO", with
 * each input against a guard page. Real-time signals are named as
 * `kill -l` names them, whatever C library the test is linked with.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "signame.h"

static int to_number(const char *s)
{
	struct guard g = guard_copy(s, strlen(s) + 1);
	int r = signame_to_number(g.data);

	guard_free(&g);
	return r;
}

static const struct {
	const char *in;
	int sig;
} name_rows[] = {
	{ "TERM", SIGTERM },
	{ "SIGTERM", SIGTERM },
	{ "sigterm", SIGTERM },
	{ "term", SIGTERM },
	{ "15", SIGTERM },
	{ "HUP", SIGHUP },
	{ "INT", SIGINT },
	{ "QUIT", SIGQUIT },
	{ "KILL", SIGKILL },
	{ "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 },
	{ "WINCH", SIGWINCH },
	{ "CHLD", SIGCHLD },
	{ "CLD", SIGCHLD },
	{ "IOT", SIGABRT },
	{ "POLL", SIGIO },
	{ "SIGPWR", SIGPWR },
	{ "SYS", SIGSYS },
	{ "1", 1 },
	{ "31", 31 },
	{ "09", 9 },
	{ "STKFLT", SIGSTKFLT },
};

Test(signame, names_and_numbers)
{
	for (size_t i = 0; i < sizeof(name_rows) / sizeof(name_rows[0]); i++)
		cr_expect_eq(to_number(name_rows[i].in), name_rows[i].sig,
			     "\"%s\"", name_rows[i].in);
}

Test(signame, every_standard_signal_round_trips)
{
	char buf[16];

	for (int sig = 1; sig < 32; sig++) {
		const char *name = signame_from_number(sig, buf, sizeof(buf));
		char prefixed[32];

		cr_assert_not_null(name, "signal %d has no name", sig);
		cr_expect_eq(to_number(name), sig, "%s", name);
		snprintf(prefixed, sizeof(prefixed), "SIG%s", name);
		cr_expect_eq(to_number(prefixed), sig, "%s", prefixed);
	}
	cr_expect_str_eq(signame_from_number(SIGTERM, buf, sizeof(buf)),
			 "TERM");
	cr_expect_str_eq(signame_from_number(SIGABRT, buf, sizeof(buf)),
			 "ABRT");
	cr_expect_str_eq(signame_from_number(SIGCHLD, buf, sizeof(buf)),
			 "CHLD");
}

Test(signame, realtime)
{
	/* `kill -l` on a glibc system, which Docker and a child agree with. */
	static const struct {
		int sig;
		const char *name;
	} kill_l[] = { { 34, "RTMIN" },	   { 35, "RTMIN+1" },
		       { 49, "RTMIN+15" }, { 50, "RTMAX-14" },
		       { 63, "RTMAX-1" },  { 64, "RTMAX" } };
	char buf[16];

	for (size_t i = 0; i < sizeof(kill_l) / sizeof(kill_l[0]); i++) {
		cr_expect_str_eq(signame_from_number(kill_l[i].sig, buf,
						     sizeof(buf)),
				 kill_l[i].name);
		cr_expect_eq(to_number(kill_l[i].name), kill_l[i].sig, "%s",
			     kill_l[i].name);
	}
	cr_expect_eq(to_number("SIGRTMIN"), 34);
	cr_expect_eq(to_number("sigrtmin+3"), 37);
	cr_expect_eq(to_number("RTMIN+0"), 34);
	cr_expect_eq(to_number("RTMIN+30"), 64);
	cr_expect_eq(to_number("RTMAX-30"), 34);
	cr_expect_eq(to_number("RTMIN+31"), -EINVAL);
	cr_expect_eq(to_number("RTMAX-31"), -EINVAL);
	/* Numbers: 34 is real-time, 32 and 33 belong to the C library. */
	cr_expect_eq(to_number("34"), 34);
	cr_expect_eq(to_number("33"), -EINVAL);
	cr_expect_eq(to_number("32"), -EINVAL);
	cr_expect_null(signame_from_number(32, buf, sizeof(buf)));
	cr_expect_null(signame_from_number(33, buf, sizeof(buf)));

	/* Every name parses back. */
	for (int sig = 34; sig <= 64; sig++) {
		const char *n = signame_from_number(sig, buf, sizeof(buf));

		cr_assert_not_null(n, "signal %d", sig);
		cr_expect_eq(to_number(n), sig, "%s", n);
	}
	/* Too small a buffer: NULL, not a truncated name. */
	cr_expect_null(signame_from_number(37, buf, 4));
}

static const char *const bad_names[] = {
	"",
	"SIG",
	"TERMX",
	"SIGSIGTERM",
	"0",
	"65",
	"-15",
	" TERM",
	"TERM ",
	"15x",
	"RTMIN-1",
	"RTMAX+1",
	"RTMIN+",
	"RTMIN+x",
	"RTMID",
	"SIG15",
	"RTMIN+1+1",
	"+15",
	"99999999999999999999",
};

Test(signame, rejects)
{
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		cr_expect_eq(to_number(bad_names[i]), -EINVAL, "\"%s\"",
			     bad_names[i]);
	/* 32 and 33 belong to glibc (below SIGRTMIN): no name, no number. */
	for (int sig = 32; sig < SIGRTMIN; sig++) {
		char num[16], buf[16];

		snprintf(num, sizeof(num), "%d", sig);
		cr_expect_eq(to_number(num), -EINVAL, "%s", num);
		cr_expect_null(signame_from_number(sig, buf, sizeof(buf)));
	}
	{
		char buf[16];

		cr_expect_null(signame_from_number(0, buf, sizeof(buf)));
		cr_expect_null(signame_from_number(-1, buf, sizeof(buf)));
		cr_expect_null(signame_from_number(65, buf, sizeof(buf)));
	}
}

static const struct {
	const char *in;
	int r;
	int from;
	int to;
} rewrite_rows[] = {
	{ "TERM:QUIT", 0, SIGTERM, SIGQUIT },
	{ "SIGTERM:SIGQUIT", 0, SIGTERM, SIGQUIT },
	{ "15:3", 0, SIGTERM, SIGQUIT },
	{ "term:quit", 0, SIGTERM, SIGQUIT },
	{ "WINCH:0", 0, SIGWINCH, 0 },
	{ "HUP:TERM", 0, SIGHUP, SIGTERM },
	{ "TERM:KILL", 0, SIGTERM, SIGKILL },
	{ "TERM:TERM", 0, SIGTERM, SIGTERM },
	{ "RTMIN+1:USR1", 0, -2, SIGUSR1 }, /* -2: SIGRTMIN + 1 */
	{ "KILL:TERM", -EINVAL, 0, 0 },
	{ "STOP:TERM", -EINVAL, 0, 0 },
	{ "CHLD:TERM", -EINVAL, 0, 0 },
	{ "TERM", -EINVAL, 0, 0 },
	{ "TERM:", -EINVAL, 0, 0 },
	{ ":QUIT", -EINVAL, 0, 0 },
	{ "TERM:QUIT:INT", -EINVAL, 0, 0 },
	{ "TERM-QUIT", -EINVAL, 0, 0 },
	{ "TERM:BOGUS", -EINVAL, 0, 0 },
	{ "BOGUS:TERM", -EINVAL, 0, 0 },
	{ "0:TERM", -EINVAL, 0, 0 },
	{ "TERM:00", -EINVAL, 0, 0 },
	{ "TERM: QUIT", -EINVAL, 0, 0 },
	{ "", -EINVAL, 0, 0 },
	{ "AVERYLONGNAMEMUCHLONGERTHANANYSIGNAL:TERM", -EINVAL, 0, 0 },
};

Test(signame, rewrite_table)
{
	for (size_t i = 0; i < sizeof(rewrite_rows) / sizeof(rewrite_rows[0]);
	     i++) {
		const char *in = rewrite_rows[i].in;
		struct guard g = guard_copy(in, strlen(in) + 1);
		int from = 4242, to = 4242;
		int r = signame_parse_rewrite(g.data, &from, &to);
		int want_from = rewrite_rows[i].from == -2 ?
					SIGRTMIN + 1 :
					rewrite_rows[i].from;

		cr_expect_eq(r, rewrite_rows[i].r, "\"%s\" = %d", in, r);
		if (rewrite_rows[i].r == 0) {
			cr_expect_eq(from, want_from, "\"%s\" from", in);
			cr_expect_eq(to, rewrite_rows[i].to, "\"%s\" to", in);
		} else {
			cr_expect_eq(from, 4242, "\"%s\": ret_from written",
				     in);
			cr_expect_eq(to, 4242, "\"%s\": ret_to written", in);
		}
		guard_free(&g);
	}
}
