/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "exitstatus.h"

/* Wait statuses as the kernel encodes them (see <bits/waitstatus.h>). */
#define EXITED(code) (((code) & 0xff) << 8)
#define SIGNALED(sig) ((sig) & 0x7f)
#define SIGNALED_CORE(sig) (((sig) & 0x7f) | 0x80)
#define STOPPED(sig) ((((sig) & 0xff) << 8) | 0x7f)
#define CONTINUED 0xffff

Test(exitstatus, every_exit_code_is_itself)
{
	for (int code = 0; code <= 255; code++)
		cr_assert_eq(exitstatus_from_wait(EXITED(code)), code,
			     "exit %d", code);
}

Test(exitstatus, killed_by_signal_is_128_plus_n)
{
	for (int sig = 1; sig <= 64; sig++) {
		cr_assert_eq(exitstatus_from_wait(SIGNALED(sig)), 128 + sig,
			     "signal %d", sig);
		cr_assert_eq(exitstatus_from_wait(SIGNALED_CORE(sig)),
			     128 + sig, "signal %d with core", sig);
	}
}

Test(exitstatus, stopped_and_continued_are_not_an_end)
{
	cr_assert_eq(exitstatus_from_wait(STOPPED(SIGTSTP)), -EINVAL);
	cr_assert_eq(exitstatus_from_wait(STOPPED(SIGSTOP)), -EINVAL);
	cr_assert_eq(exitstatus_from_wait(CONTINUED), -EINVAL);
}

Test(exitstatus, describe)
{
	char buf[64];

	cr_assert_str_eq(exitstatus_describe(EXITED(3), buf, sizeof(buf)),
			 "exited with status 3");
	cr_assert_str_eq(exitstatus_describe(SIGNALED(9), buf, sizeof(buf)),
			 "killed by signal 9 (KILL)");
	cr_assert_str_eq(exitstatus_describe(SIGNALED_CORE(11), buf,
					     sizeof(buf)),
			 "killed by signal 11 (SEGV), core dumped");
}
