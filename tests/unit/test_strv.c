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
