/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <string.h>

#include "strv.h"

Test(strv, push_grows_and_terminates)
{
	char **v = NULL;

	cr_assert_eq(strv_length(v), 0);
	cr_assert_eq(strv_push(&v, "python"), 0);
	cr_assert_eq(strv_push(&v, "app.py"), 0);
	cr_assert_eq(strv_length(v), 2);
	cr_assert_str_eq(v[0], "python");
	cr_assert_str_eq(v[1], "app.py");
	cr_assert_null(v[2]);
	cr_assert_null(strv_free(v));
}

Test(strv, free_accepts_null)
{
	cr_assert_null(strv_free(NULL));
}

/* The first entry of the name; lookalikes and '='-less entries are none. */
Test(strv, env_value_by_whole_name)
{
	char *envp[] = { "LISTEN", "LISTEN_FDSX=9", "LISTEN_FD=8",
			 "LISTEN_FDS=1", "LISTEN_FDS=2", "EMPTY=", NULL };

	cr_expect_str_eq(strv_env_value(envp, "LISTEN_FDS"), "1");
	cr_expect_str_eq(strv_env_value(envp, "EMPTY"), "");
	cr_expect_null(strv_env_value(envp, "LISTEN"));
	cr_expect_null(strv_env_value(envp, "LISTEN_"));
	cr_expect_null(strv_env_value(NULL, "LISTEN_FDS"));
	cr_expect(strv_env_same_name("LISTEN_FDS=1", "LISTEN_FDS=7"));
	cr_expect(strv_env_same_name("LISTEN_FDS=1", "LISTEN_FDS"));
	cr_expect_not(strv_env_same_name("LISTEN_FDS", "LISTEN_FDS"));
	cr_expect_not(strv_env_same_name("LISTEN_FD=1", "LISTEN_FDS"));
}
