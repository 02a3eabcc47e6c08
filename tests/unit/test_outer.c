/* SPDX-License-Identifier: MIT */
/*
 * test_outer.c - the pure parts of src/outer.c: NOTIFY_SOCKET addresses,
 * whether WATCHDOG_USEC and LISTEN_FDS are meant for pidone, the phase
 * and STATUS= text told to the outer supervisor, and the removal entries
 * of child_env_build that keep the outer socket from the child. Every
 * value sits flush against a PROT_NONE page.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "arena.h"
#include "child.h"
#include "guard.h"
#include "lifecycle_fake.h"
#include "outer.h"
#include "strv.h"

#define SELF 4242

/* A NUL-terminated copy of @s flush against the guard page. */
static struct guard guard_str(const char *s)
{
	return guard_copy(s, strlen(s) + 1);
}

struct socket_row {
	const char *value;
	int r;
	bool abstract;
	const char *name; /* the path, or the abstract name without '@' */
};

static char long_path[200];

Test(outer, parse_socket)
{
	static const struct socket_row rows[] = {
		{ "/run/systemd/notify", 0, false, "/run/systemd/notify" },
		{ "/run/notify/notify.sock", 0, false,
		  "/run/notify/notify.sock" },
		{ "/", 0, false, "/" },
		{ "@pidone-outer", 0, true, "pidone-outer" },
		{ "@a", 0, true, "a" },
		{ "@with space", 0, true, "with space" },
		/* negative rows */
		{ "", -EINVAL, false, NULL },
		{ "@", -EINVAL, false, NULL },
		{ "relative/notify", -EINVAL, false, NULL },
		{ "notify", -EINVAL, false, NULL },
		{ "vsock:2:1234", -EINVAL, false, NULL },
		{ " /run/notify", -EINVAL, false, NULL },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct socket_row *row = &rows[i];
		struct guard g = guard_str(row->value);
		struct sockaddr_un sa;
		socklen_t len = 0;
		int r = outer_parse_socket(g.data, &sa, &len);
		size_t name_len;

		cr_assert_eq(r, row->r, "%s: %d", row->value, r);
		guard_free(&g);
		if (r < 0) {
			cr_assert_eq(len, 0, "%s: ret_len written on failure",
				     row->value);
			continue;
		}
		name_len = strlen(row->name);
		cr_assert_eq(sa.sun_family, AF_UNIX);
		if (row->abstract) {
			cr_assert_eq(sa.sun_path[0], '\0', "%s", row->value);
			cr_assert(memcmp(sa.sun_path + 1, row->name,
					 name_len) == 0,
				  "%s", row->value);
			/* no terminator counted: the kernel takes len bytes */
			cr_assert_eq(len,
				     offsetof(struct sockaddr_un, sun_path) +
					     1 + name_len,
				     "%s", row->value);
		} else {
			cr_assert_str_eq(sa.sun_path, row->name);
			cr_assert_eq(len,
				     offsetof(struct sockaddr_un, sun_path) +
					     name_len + 1,
				     "%s", row->value);
		}
	}
}

Test(outer, parse_socket_length_limits)
{
	struct sockaddr_un sa;
	size_t max = sizeof(sa.sun_path);
	socklen_t len;

	/* a path needs its NUL inside sun_path; an abstract name does not */
	long_path[0] = '/';
	memset(long_path + 1, 'p', max - 2);
	long_path[max - 1] = '\0';
	cr_assert_eq(outer_parse_socket(long_path, &sa, &len), 0);
	long_path[max - 1] = 'p';
	long_path[max] = '\0';
	cr_assert_eq(outer_parse_socket(long_path, &sa, &len), -ENAMETOOLONG);

	long_path[0] = '@';
	memset(long_path + 1, 'a', max - 1);
	long_path[max] = '\0';
	cr_assert_eq(outer_parse_socket(long_path, &sa, &len), 0);
	cr_assert_eq(len, sizeof(sa));
	long_path[max] = 'a';
	long_path[max + 1] = '\0';
	cr_assert_eq(outer_parse_socket(long_path, &sa, &len), -ENAMETOOLONG);
}

struct watchdog_row {
	const char *usec; /* NULL: unset */
	const char *pid; /* NULL: unset */
	int r;
	uint64_t ret;
};

Test(outer, parse_watchdog)
{
	static const struct watchdog_row rows[] = {
		{ NULL, NULL, 0, 0 },
		{ NULL, "4242", 0, 0 },
		{ "30000000", NULL, 0, 30000000 },
		{ "30000000", "4242", 0, 30000000 },
		{ "1", NULL, 0, 1 },
		/* another process's watchdog: none for pidone */
		{ "30000000", "1", 0, 0 },
		{ "30000000", "42420", 0, 0 },
		{ "4503599627370496", NULL, 0, 4503599627370496ULL },
		/* negative rows */
		{ "0", NULL, -EINVAL, 0 },
		{ "", NULL, -EINVAL, 0 },
		{ "-1", NULL, -EINVAL, 0 },
		{ "+5", NULL, -EINVAL, 0 },
		{ " 5", NULL, -EINVAL, 0 },
		{ "5s", NULL, -EINVAL, 0 },
		{ "0x10", NULL, -EINVAL, 0 },
		{ "4503599627370497", NULL, -ERANGE, 0 },
		{ "99999999999999999999999", NULL, -ERANGE, 0 },
		{ "30000000", "", -EINVAL, 0 },
		{ "30000000", "pid", -EINVAL, 0 },
		{ "30000000", "-4242", -EINVAL, 0 },
		{ "30000000", "99999999999", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct watchdog_row *row = &rows[i];
		struct guard gu = guard_str(row->usec ? row->usec : "");
		struct guard gp = guard_str(row->pid ? row->pid : "");
		uint64_t ret = 77;
		int r = outer_parse_watchdog(row->usec ? gu.data : NULL,
					     row->pid ? gp.data : NULL, SELF,
					     &ret);

		cr_assert_eq(r, row->r, "usec %s pid %s: %d", row->usec,
			     row->pid, r);
		cr_assert_eq(ret, r < 0 ? 77 : row->ret, "usec %s pid %s",
			     row->usec, row->pid);
		guard_free(&gu);
		guard_free(&gp);
	}
}

struct listen_row {
	const char *fds;
	const char *pid;
	int r;
	unsigned n;
};

Test(outer, parse_listen)
{
	static const struct listen_row rows[] = {
		{ NULL, NULL, 0, 0 },
		{ "1", "4242", 0, 1 },
		{ "3", "4242", 0, 3 },
		{ "0", "4242", 0, 0 },
		{ "4096", "4242", 0, 4096 },
		/* not for pidone: left alone, whatever the count says */
		{ "1", "1", 0, 0 },
		{ "1", "42421", 0, 0 },
		{ "1", NULL, 0, 0 },
		{ NULL, "4242", 0, 0 },
		{ "junk", "1", 0, 0 },
		/* negative rows */
		{ "4097", "4242", -ERANGE, 0 },
		{ "", "4242", -EINVAL, 0 },
		{ "-1", "4242", -EINVAL, 0 },
		{ "1 ", "4242", -EINVAL, 0 },
		{ "two", "4242", -EINVAL, 0 },
		{ "1", "", -EINVAL, 0 },
		{ "1", "self", -EINVAL, 0 },
		{ "1", "4242x", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct listen_row *row = &rows[i];
		struct guard gf = guard_str(row->fds ? row->fds : "");
		struct guard gp = guard_str(row->pid ? row->pid : "");
		unsigned n = 77;
		int r = outer_parse_listen(row->fds ? gf.data : NULL,
					   row->pid ? gp.data : NULL, SELF, &n);

		cr_assert_eq(r, row->r, "fds %s pid %s: %d", row->fds, row->pid,
			     r);
		cr_assert_eq(n, r < 0 ? 77 : row->n, "fds %s pid %s", row->fds,
			     row->pid);
		guard_free(&gf);
		guard_free(&gp);
	}
}

Test(outer, phases)
{
	struct lifecycle *lc = fresh_lc();

	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_NONE, false),
		     OUTER_PHASE_STARTING);
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_RUNNING, false),
		     OUTER_PHASE_NOT_READY);
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_RUNNING, true),
		     OUTER_PHASE_READY);

	child_ended(LIFECYCLE_BACKOFF, 3 << 8);
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_BACKOFF, false),
		     OUTER_PHASE_RESTARTING);
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_EXITED, false),
		     OUTER_PHASE_EXITED);
	/* a reload's end, then its new child until the exec */
	lc->reloading = true;
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_BACKOFF, false),
		     OUTER_PHASE_RELOADING);
	lc->reloading = false;
	lc->reloaded = true;
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_BACKOFF, false),
		     OUTER_PHASE_RELOADING);
	lc->reloaded = false;

	/* a terminating signal: stopping while the child runs, ready or not */
	lc->shutting_down = true;
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_RUNNING, true),
		     OUTER_PHASE_STOPPING);
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_RUNNING, false),
		     OUTER_PHASE_STOPPING);
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_EXITED, false),
		     OUTER_PHASE_EXITED);

	/* the end without a run: the fork failed */
	lc = fresh_lc();
	lc->state = LIFECYCLE_DONE;
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_NONE, false),
		     OUTER_PHASE_FAILED);
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_EXITED, false),
		     OUTER_PHASE_FAILED);
	/* a signal before the first spawn */
	lc = fresh_lc();
	lc->shutting_down = true;
	cr_assert_eq(outer_phase(lc, HEALTH_CHILD_NONE, false),
		     OUTER_PHASE_STOPPING);
}

Test(outer, status_text)
{
	char buf[OUTER_STATUS_MAX], tiny[8];

	cr_assert_str_eq(outer_status_text(OUTER_PHASE_STARTING, NULL, 0, buf,
					   sizeof(buf)),
			 "starting");
	cr_assert_str_eq(outer_status_text(OUTER_PHASE_READY, NULL, 0, buf,
					   sizeof(buf)),
			 "ready");
	cr_assert_str_eq(outer_status_text(OUTER_PHASE_NOT_READY,
					   "no READY=1 yet", 0, buf,
					   sizeof(buf)),
			 "not ready: no READY=1 yet");
	cr_assert_str_eq(outer_status_text(OUTER_PHASE_NOT_READY, NULL, 0, buf,
					   sizeof(buf)),
			 "not ready: unknown");
	cr_assert_str_eq(outer_status_text(OUTER_PHASE_RESTARTING, NULL, 3 << 8,
					   buf, sizeof(buf)),
			 "restarting: child exited with status 3");
	cr_assert_str_eq(outer_status_text(OUTER_PHASE_RELOADING, NULL, 0, buf,
					   sizeof(buf)),
			 "reloading: child exited with status 0");
	cr_assert_str_eq(outer_status_text(OUTER_PHASE_STOPPING, NULL, 0, buf,
					   sizeof(buf)),
			 "stopping");
	cr_assert_str_eq(outer_status_text(OUTER_PHASE_EXITED, NULL, SIGKILL,
					   buf, sizeof(buf)),
			 "child killed by signal 9 (KILL)");
	cr_assert_str_eq(outer_status_text(OUTER_PHASE_FAILED, NULL, 0, buf,
					   sizeof(buf)),
			 "child could not be started");
	/* truncated, never overrun */
	cr_assert_str_eq(outer_status_text(OUTER_PHASE_NOT_READY,
					   "a long reason", 0, tiny,
					   sizeof(tiny)),
			 "not rea");
}

/* The removal entries outer_child_env hands to child_env_build. */
Test(outer, child_env_removes_and_sets)
{
	char *base[] = {
		"PATH=/bin",
		"NOTIFY_SOCKET=/run/outer",
		"WATCHDOG_USEC=5",
		"WATCHDOG_PID=1",
		"LISTEN_FDS=1",
		"LISTEN_PID=1",
		"NOTIFY_SOCKETX=keep",
		"LISTEN_FDNAMES=web",
		"LISTEN=short",
		"WATCHDOG_PID",
		NULL,
	};
	char *set[] = { "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
			"LISTEN_PID=0000000000", NULL };
	char *want[] = { "PATH=/bin",
			 "LISTEN_FDS=1",
			 "NOTIFY_SOCKETX=keep",
			 "LISTEN_FDNAMES=web",
			 "LISTEN=short",
			 "WATCHDOG_PID",
			 "LISTEN_PID=0000000000",
			 NULL };
	char **envp = NULL;
	size_t i;

	cr_assert_eq(child_env_build(base, set, &envp), 0);
	for (i = 0; want[i]; i++) {
		cr_assert_not_null(envp[i], "missing %s", want[i]);
		cr_assert_str_eq(envp[i], want[i]);
	}
	cr_assert_null(envp[i], "extra entry %s", envp[i]);
	cr_assert_null(strv_env_value(envp, "NOTIFY_SOCKET"));
	cr_assert_null(strv_env_value(envp, "WATCHDOG_PID"), "no '=': none");
	cr_assert_null(strv_env_value(envp, "LISTEN_"));
	cr_assert_str_eq(strv_env_value(envp, "LISTEN"), "short");
	cr_assert_str_eq(strv_env_value(envp, "NOTIFY_SOCKETX"), "keep");
	cr_assert_str_eq(strv_env_value(envp, "LISTEN_PID"), "0000000000");
	arena_free(envp);
}

/* outer_child_env on a struct as outer_open leaves it. */
Test(outer, child_env_entries)
{
	struct outer o;
	char *set[OUTER_ENV_MAX + 1] = { NULL };
	size_t n;

	outer_init(&o);
	cr_assert_eq(outer_child_env(&o, set), 0, "nothing set: no entry");

	o.notify_socket_set = true;
	n = outer_child_env(&o, set);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(set[0], "NOTIFY_SOCKET");

	o.watchdog_ours = true;
	o.listen_fds = 2;
	n = outer_child_env(&o, set);
	cr_assert_eq(n, OUTER_ENV_MAX);
	cr_assert_str_eq(set[1], "WATCHDOG_USEC");
	cr_assert_str_eq(set[2], "WATCHDOG_PID");
	cr_assert_str_eq(set[3], "LISTEN_PID=0000000000");
	cr_assert_eq(outer_listen_pid_slot(&o, set), set[3] + 11);
	o.listen_fds = 0;
	cr_assert_null(outer_listen_pid_slot(&o, set));
}
