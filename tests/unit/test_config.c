/* SPDX-License-Identifier: MIT */
/*
 * test_config.c - config_load: the shape of the command line, the four
 * layers (default < INI < environment < command line) for every setting,
 * list replacement and accumulation, and every error with its exit code
 * and the parts of its message. INI files are temporary files in /tmp;
 * the environment is always an explicit array and the default config path
 * one that does not exist, so nothing depends on the machine running it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "usage.h"
#include "exitcodes.h"
#include "settings.h"
#include "strv.h"

#define NOFILE "/nonexistent/pidone-test/pidone.ini"
#ifndef PIDONE_TEST_SRCDIR
#define PIDONE_TEST_SRCDIR "." /* else $srcdir, set by make check */
#endif
#define MAX_ARGS 24

/* A temporary INI file holding @len bytes of @text; returns its path. */
static char *tmp_ini_len(const char *text, size_t len)
{
	char path[] = "/tmp/pidone-test-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return strdup(path);
}

static char *tmp_ini(const char *text)
{
	return tmp_ini_len(text, strlen(text));
}

static void drop_ini(char *path)
{
	if (path) {
		unlink(path);
		free(path);
	}
}

/*
 * config_load with "pidone" + @args as argv and @env (plus
 * PIDONE_CONFIG=<a file holding @ini> when @ini is not NULL) as envp.
 * *@ret_path receives the file's path (caller drops it), or NULL.
 */
static int load(struct settings *s, struct config_error *e, const char *ini,
		const char *const *args, const char *const *env,
		char **ret_path)
{
	char *argv[MAX_ARGS + 2], *envp[MAX_ARGS + 2], envbuf[4200];
	int argc = 0, envc = 0, r;
	char *path = NULL;

	argv[argc++] = (char *)"pidone";
	for (; args && args[argc - 1]; argc++) {
		cr_assert_lt(argc, MAX_ARGS);
		argv[argc] = (char *)args[argc - 1];
	}
	argv[argc] = NULL;
	for (; env && env[envc]; envc++) {
		cr_assert_lt(envc, MAX_ARGS);
		envp[envc] = (char *)env[envc];
	}
	if (ini) {
		path = tmp_ini(ini);
		snprintf(envbuf, sizeof(envbuf), "PIDONE_CONFIG=%s", path);
		envp[envc++] = envbuf;
	}
	envp[envc] = NULL;
	settings_init(s);
	memset(e, 0x5a, sizeof(*e));
	r = config_load(s, argc, argv, envp, NOFILE, e);
	if (ret_path)
		*ret_path = path;
	else
		drop_ini(path);
	return r;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ARGS ((const char *const[]){ NULL })
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ENV ((const char *const[]){ NULL })

/* ------------------------------------------------------------------ */
/* Precedence for every setting                                          */
/* ------------------------------------------------------------------ */

static void join_strv(char *const *v, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; v && v[i]; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
				      v[i]);
}

static const char *const forward_names[] = { "group", "child" };
static const char *const restart_names[] = { "never", "on-failure", "always" };
static const char *const format_names[] = { "json", "text" };
static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const char *const subreaper_names[] = { "auto", "on", "off" };

/* Setting @id of @s as text, to compare layers in one table. */
static void render(const struct settings *s, enum setting_id id, char *buf,
		   size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	switch (id) {
	case SETTING_COMMAND:
		join_strv(s->command, buf, len);
		break;
	case SETTING_USER:
		snprintf(buf, len, "%s", s->user);
		break;
	case SETTING_WRITABLE:
		join_strv(s->writable, buf, len);
		break;
	case SETTING_CREATE_DIRS:
		snprintf(buf, len, "%d", s->create_dirs);
		break;
	case SETTING_GRACE:
		snprintf(buf, len, "%u", s->grace_ms);
		break;
	case SETTING_DRAIN:
		snprintf(buf, len, "%u", s->drain_ms);
		break;
	case SETTING_FORWARD:
		snprintf(buf, len, "%s", forward_names[s->forward]);
		break;
	case SETTING_REWRITE:
		for (int sig = 1; sig <= SIGNAME_MAX; sig++)
			if (s->rewrite[sig] != sig)
				o += (size_t)snprintf(buf + o, len - o,
						      "%s%d>%d", o ? "," : "",
						      sig, s->rewrite[sig]);
		break;
	case SETTING_SUCCESS_EXIT:
		for (int st = 0; st < 256; st++)
			if (settings_status_listed(s->success_exit, st))
				o += (size_t)snprintf(buf + o, len - o, "%s%d",
						      o ? "," : "", st);
		break;
	case SETTING_RESTART:
		snprintf(buf, len, "%s", restart_names[s->restart]);
		break;
	case SETTING_RESTART_MAX:
		snprintf(buf, len, "%u", s->restart_max);
		break;
	case SETTING_NO_RESTART_EXIT:
		for (int st = 0; st < 256; st++)
			if (settings_status_listed(s->no_restart_exit, st))
				o += (size_t)snprintf(buf + o, len - o, "%s%d",
						      o ? "," : "", st);
		break;
	case SETTING_RELOAD_SIGNAL:
		snprintf(buf, len, "%d", s->reload_signal);
		break;
	case SETTING_WATCH:
		join_strv(s->watch, buf, len);
		break;
	case SETTING_WATCH_SIGNAL:
		snprintf(buf, len, "%d", s->watch_signal);
		break;
	case SETTING_HEALTH_PORT:
		snprintf(buf, len, "%u", s->health_port);
		break;
	case SETTING_HEALTH_ADDR:
		snprintf(buf, len, "%s",
			 s->health_addr[0] ? s->health_addr : "-");
		break;
	case SETTING_READY_DELAY:
		snprintf(buf, len, "%u", s->ready_delay_ms);
		break;
	case SETTING_READY_TCP:
		snprintf(buf, len, "%s/%u",
			 s->ready_tcp_host ? s->ready_tcp_host : "-",
			 s->ready_tcp_port);
		break;
	case SETTING_READY_NOTIFY:
		snprintf(buf, len, "%d", s->ready_notify);
		break;
	case SETTING_WATCHDOG:
		snprintf(buf, len, "%u", s->watchdog_ms);
		break;
	case SETTING_READY_HTTP:
		snprintf(buf, len, "%s", s->ready_http ? s->ready_http : "-");
		break;
	case SETTING_LIVE_HTTP:
		snprintf(buf, len, "%s", s->live_http ? s->live_http : "-");
		break;
	case SETTING_CHECK_INTERVAL:
		snprintf(buf, len, "%u", s->check_interval_ms);
		break;
	case SETTING_CHECK_TIMEOUT:
		snprintf(buf, len, "%u", s->check_timeout_ms);
		break;
	case SETTING_CHECK_FAILURES:
		snprintf(buf, len, "%u", s->check_failures);
		break;
	case SETTING_LOG_FORMAT:
		snprintf(buf, len, "%s", format_names[s->log_format]);
		break;
	case SETTING_LOG_LEVEL:
		snprintf(buf, len, "%s", level_names[s->log_level]);
		break;
	case SETTING_SUBREAPER:
		snprintf(buf, len, "%s", subreaper_names[s->subreaper]);
		break;
	default:
		cr_assert_fail("no render for setting %d", id);
	}
}

struct layer_row {
	enum setting_id id;
	const char *ini_value; /* under [section] key = */
	const char *env_value;
	const char *cli[5]; /* options (the command row: the command) */
	const char *want_default;
	const char *want_ini;
	const char *want_env;
	const char *want_cli;
};

#define STR(x) #x
#define S(x) STR(x)

static const struct layer_row layer_rows[] = {
	{ SETTING_COMMAND,
	  "[\"ini\", \"a b\"]",
	  "[\"env\"]",
	  { "cli", "x" },
	  "",
	  "ini,a b",
	  "env",
	  "cli,x" },
	{ SETTING_USER,
	  "1000",
	  "app:app",
	  { "--user=keep" },
	  "65532:65532",
	  "1000",
	  "app:app",
	  "keep" },
	{ SETTING_WRITABLE,
	  "/ini1, /ini2",
	  "/env",
	  { "-w", "/cli1", "-w/cli2" },
	  "/tmp",
	  "/ini1,/ini2",
	  "/env",
	  "/cli1,/cli2" },
	{ SETTING_CREATE_DIRS,
	  "yes",
	  "0",
	  { "--create-dirs" },
	  "0",
	  "1",
	  "0",
	  "1" },
	{ SETTING_GRACE,
	  "3",
	  "0.5",
	  { "-t", "20" },
	  "10000",
	  "3000",
	  "500",
	  "20000" },
	{ SETTING_DRAIN,
	  "5",
	  "2.5",
	  { "--drain", "7" },
	  "0",
	  "5000",
	  "2500",
	  "7000" },
	{ SETTING_FORWARD,
	  "child",
	  "group",
	  { "--forward", "child" },
	  "group",
	  "child",
	  "group",
	  "child" },
	{ SETTING_REWRITE,
	  "TERM:QUIT, HUP:0",
	  "USR1:USR2",
	  { "--rewrite", "WINCH:0", "--rewrite=INT:TERM" },
	  "",
	  S(SIGHUP) ">0," S(SIGTERM) ">" S(SIGQUIT),
	  S(SIGUSR1) ">" S(SIGUSR2),
	  S(SIGINT) ">" S(SIGTERM) "," S(SIGWINCH) ">0" },
	{ SETTING_SUCCESS_EXIT,
	  "1,2",
	  "143",
	  { "--success-exit", "3", "--success-exit=0" },
	  "",
	  "1,2",
	  "143",
	  "0,3" },
	{ SETTING_RESTART,
	  "on-failure",
	  "always",
	  { "--restart=never" },
	  "never",
	  "on-failure",
	  "always",
	  "never" },
	{ SETTING_RESTART_MAX,
	  "0",
	  "1000",
	  { "--restart-max", "7" },
	  "5",
	  "0",
	  "1000",
	  "7" },
	{ SETTING_NO_RESTART_EXIT,
	  "78, 1",
	  "2",
	  { "--no-restart-exit", "3", "--no-restart-exit=0" },
	  "",
	  "1,78",
	  "2",
	  "0,3" },
	{ SETTING_RELOAD_SIGNAL,
	  "HUP",
	  "SIGUSR2",
	  { "--reload-signal", "usr1" },
	  "0",
	  S(SIGHUP),
	  S(SIGUSR2),
	  S(SIGUSR1) },
	{ SETTING_WATCH,
	  "/etc/config, /ini2",
	  "/env",
	  { "--watch", "/cli1/", "--watch=/cli2" },
	  "",
	  "/etc/config,/ini2",
	  "/env",
	  "/cli1/,/cli2" },
	{ SETTING_WATCH_SIGNAL,
	  "1",
	  "none",
	  { "--watch-signal", "USR2" },
	  "0",
	  "1",
	  "0",
	  S(SIGUSR2) },
	{ SETTING_HEALTH_PORT, "0", "9000", { "-p1" }, "8081", "0", "9000", "1" },
	{ SETTING_HEALTH_ADDR,
	  "127.0.0.1",
	  "::1",
	  { "--health-addr=0.0.0.0" },
	  "-",
	  "127.0.0.1",
	  "::1",
	  "0.0.0.0" },
	{ SETTING_READY_DELAY,
	  "1",
	  "2.5",
	  { "--ready-delay", "86400" },
	  "0",
	  "1000",
	  "2500",
	  "86400000" },
	{ SETTING_READY_TCP,
	  "8080",
	  "localhost:1",
	  { "--ready-tcp=[::1]:443" },
	  "-/0",
	  "-/8080",
	  "localhost/1",
	  "::1/443" },
	{ SETTING_READY_HTTP,
	  "http://127.0.0.1:8000/ready",
	  "http://[::1]:8000/",
	  { "--ready-http=http://localhost:1/r?x" },
	  "-",
	  "http://127.0.0.1:8000/ready",
	  "http://[::1]:8000/",
	  "http://localhost:1/r?x" },
	{ SETTING_LIVE_HTTP,
	  "http://127.0.0.1:8000/live",
	  "http://127.0.0.1",
	  { "--live-http", "http://[::1]:1/" },
	  "-",
	  "http://127.0.0.1:8000/live",
	  "http://127.0.0.1",
	  "http://[::1]:1/" },
	{ SETTING_CHECK_INTERVAL,
	  "10",
	  "0.25",
	  { "--check-interval", "3600" },
	  "5000",
	  "10000",
	  "250",
	  "3600000" },
	{ SETTING_CHECK_TIMEOUT,
	  "2",
	  "0.5",
	  { "--check-timeout=0.001" },
	  "1000",
	  "2000",
	  "500",
	  "1" },
	{ SETTING_CHECK_FAILURES,
	  "1",
	  "10",
	  { "--check-failures", "1000" },
	  "3",
	  "1",
	  "10",
	  "1000" },
	{ SETTING_READY_NOTIFY,
	  "on",
	  "false",
	  { "--ready-notify" },
	  "0",
	  "1",
	  "0",
	  "1" },
	{ SETTING_WATCHDOG,
	  "30",
	  "0",
	  { "--watchdog", "0.25" },
	  "0",
	  "30000",
	  "0",
	  "250" },
	{ SETTING_LOG_FORMAT,
	  "text",
	  "json",
	  { "--log-format", "text" },
	  "json",
	  "text",
	  "json",
	  "text" },
	{ SETTING_LOG_LEVEL,
	  "debug",
	  "error",
	  { "--log-level=warn" },
	  "info",
	  "debug",
	  "error",
	  "warn" },
	{ SETTING_SUBREAPER,
	  "on",
	  "off",
	  { "--subreaper" },
	  "auto",
	  "on",
	  "off",
	  "on" },
};

/* The four loads of one row: nothing, +INI, +env, +command line. */
static void check_layers(const struct layer_row *row)
{
	const char *section = settings_def(row->id)->section;
	const char *key = settings_def(row->id)->key;
	const char *envname = settings_def(row->id)->env;
	char ini[512], env[256], got[512], origin[512], want_origin[600];
	const char *args[8] = { "check" };
	struct settings s;
	struct config_error e;
	char *path = NULL;
	int n = 1, r;

	for (int i = 0; i < 5 && row->cli[i]; i++)
		args[n++] = row->cli[i];
	args[n] = NULL;
	snprintf(ini, sizeof(ini), "# test\n[%s]\n%s = %s\n", section, key,
		 row->ini_value);
	snprintf(env, sizeof(env), "%s=%s", envname, row->env_value);

	/* Defaults only. */
	r = load(&s, &e, NULL, ARGS("check"), NO_ENV, NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s default: %s", key, e.text);
	render(&s, row->id, got, sizeof(got));
	cr_expect_str_eq(got, row->want_default, "%s default", key);
	cr_expect_eq(s.origin[row->id].kind, ORIGIN_DEFAULT, "%s", key);
	settings_done(&s);

	/* INI over default. */
	r = load(&s, &e, ini, ARGS("check"), NO_ENV, &path);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s ini: %s", key, e.text);
	render(&s, row->id, got, sizeof(got));
	cr_expect_str_eq(got, row->want_ini, "%s ini", key);
	cr_expect_eq(s.origin[row->id].kind, ORIGIN_FILE, "%s", key);
	cr_expect_eq(s.origin[row->id].line, 3, "%s", key);
	snprintf(want_origin, sizeof(want_origin), "%s:3", path);
	cr_expect_str_eq(settings_origin_text(&s, row->id, origin,
					      sizeof(origin)),
			 want_origin);
	settings_done(&s);
	drop_ini(path);

	/* Environment over INI. */
	r = load(&s, &e, ini, ARGS("check"), ENV(env), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s env: %s", key, e.text);
	render(&s, row->id, got, sizeof(got));
	cr_expect_str_eq(got, row->want_env, "%s env", key);
	cr_expect_eq(s.origin[row->id].kind, ORIGIN_ENV, "%s", key);
	cr_expect_str_eq(settings_origin_text(&s, row->id, origin,
					      sizeof(origin)),
			 envname);
	settings_done(&s);

	/* Command line over environment and INI. */
	r = load(&s, &e, ini, args, ENV(env), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s cli: %s", key, e.text);
	render(&s, row->id, got, sizeof(got));
	cr_expect_str_eq(got, row->want_cli, "%s cli", key);
	cr_expect_eq(s.origin[row->id].kind, ORIGIN_CLI, "%s", key);
	if (settings_def(row->id)->option[0]) {
		snprintf(want_origin, sizeof(want_origin), "--%s",
			 settings_def(row->id)->option);
		cr_expect_str_eq(settings_origin_text(&s, row->id, origin,
						      sizeof(origin)),
				 want_origin);
	}
	settings_done(&s);
}

Test(config, every_setting_every_layer)
{
	bool covered[SETTING_MAX] = { false };

	for (size_t i = 0; i < sizeof(layer_rows) / sizeof(layer_rows[0]);
	     i++) {
		check_layers(&layer_rows[i]);
		covered[layer_rows[i].id] = true;
	}
	for (int id = 0; id < SETTING_MAX; id++)
		cr_expect(covered[id], "setting %s has no layer row",
			  settings_def(id)->env);
}

/* ------------------------------------------------------------------ */
/* Lists: replaced by a higher layer, accumulated inside one              */
/* ------------------------------------------------------------------ */

Test(config, lists_accumulate_in_a_layer_and_replace_across)
{
	struct settings s;
	struct config_error e;
	char got[256];
	int r;

	/* INI: a repeated list key accumulates; continuation lines too. */
	r = load(&s, &e,
		 "[dirs]\nwritable = /a,\n   /b\nwritable = /c\n"
		 "[process]\nsuccess_exit = 1\nsuccess_exit = 2, 3\n"
		 "[signals]\nrewrite = TERM:QUIT\nrewrite = HUP:0\n",
		 ARGS("check"), NO_ENV, NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	render(&s, SETTING_WRITABLE, got, sizeof(got));
	cr_expect_str_eq(got, "/a,/b,/c");
	render(&s, SETTING_SUCCESS_EXIT, got, sizeof(got));
	cr_expect_str_eq(got, "1,2,3");
	cr_expect_eq(s.rewrite[SIGTERM], SIGQUIT);
	cr_expect_eq(s.rewrite[SIGHUP], 0);
	cr_expect_eq(s.origin[SETTING_WRITABLE].line, 2);
	settings_done(&s);

	/* The environment replaces each list entirely. */
	r = load(&s, &e,
		 "[dirs]\nwritable = /a,/b\n[process]\nsuccess_exit = 1\n"
		 "[signals]\nrewrite = TERM:QUIT\n",
		 ARGS("check"),
		 ENV("PIDONE_WRITABLE=/e1,/e2", "PIDONE_SUCCESS_EXIT=143",
		     "PIDONE_REWRITE=USR1:USR2"),
		 NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	render(&s, SETTING_WRITABLE, got, sizeof(got));
	cr_expect_str_eq(got, "/e1,/e2");
	render(&s, SETTING_SUCCESS_EXIT, got, sizeof(got));
	cr_expect_str_eq(got, "143");
	cr_expect_eq(s.rewrite[SIGTERM], SIGTERM, "INI rewrite not replaced");
	cr_expect_eq(s.rewrite[SIGUSR1], SIGUSR2);
	settings_done(&s);

	/* The command line replaces the environment's, and accumulates. */
	r = load(&s, &e, NULL, ARGS("check", "-w", "/x", "--writable=/y"),
		 ENV("PIDONE_WRITABLE=/e"), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	render(&s, SETTING_WRITABLE, got, sizeof(got));
	cr_expect_str_eq(got, "/x,/y");
	settings_done(&s);
}

/* Comma-separated items, white space around each trimmed, none empty. */
Test(config, list_items_split_at_commas)
{
	static const struct {
		const char *env;
		const char *want; /* the items joined by ","; NULL: an error */
	} rows[] = {
		{ "PIDONE_WRITABLE=/tmp", "/tmp" },
		{ "PIDONE_WRITABLE=/a,/b", "/a,/b" },
		{ "PIDONE_WRITABLE= /a , /b ,/c ", "/a,/b,/c" },
		{ "PIDONE_SUCCESS_EXIT=0,\n143", "0,143" },
		{ "PIDONE_WRITABLE=/a,\n\t/b\r\n", "/a,/b" },
		{ "PIDONE_WRITABLE=/a b", "/a b" },
		{ "PIDONE_WRITABLE=  ", "/tmp" }, /* blanks: unset */
		{ "PIDONE_WRITABLE=,", NULL },
		{ "PIDONE_WRITABLE=/a,", NULL },
		{ "PIDONE_WRITABLE=,/a", NULL },
		{ "PIDONE_WRITABLE=/a,,/b", NULL },
		{ "PIDONE_WRITABLE=/a, ,/b", NULL },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum setting_id id = strstr(rows[i].env, "WRITABLE") ?
					     SETTING_WRITABLE :
					     SETTING_SUCCESS_EXIT;
		struct settings s;
		struct config_error e;
		char got[256];
		int r = load(&s, &e, NULL, ARGS("check"), ENV(rows[i].env),
			     NULL);

		if (rows[i].want) {
			cr_expect_eq(r, CONFIG_ACTION_CHECK, "%zu: %s", i,
				     e.text);
			render(&s, id, got, sizeof(got));
			cr_expect_str_eq(got, rows[i].want, "row %zu", i);
		} else {
			cr_expect_eq(r, -EINVAL, "row %zu", i);
			cr_expect(strstr(e.text, "has an empty item between "
						 "commas"),
				  "row %zu: %s", i, e.text);
		}
		settings_done(&s);
	}
}

Test(config, empty_list_value_means_none)
{
	struct settings s;
	struct config_error e;
	int r;

	r = load(&s, &e, "[dirs]\nwritable =\n", ARGS("check"), NO_ENV, NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(strv_length(s.writable), 0);
	cr_expect_eq(s.origin[SETTING_WRITABLE].kind, ORIGIN_FILE);
	settings_done(&s);

	r = load(&s, &e, NULL, ARGS("check", "-w", ""),
		 ENV("PIDONE_WRITABLE=/e"), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(strv_length(s.writable), 0);
	settings_done(&s);

	/* An empty variable counts as unset: the lower layer stays. */
	r = load(&s, &e, "[process]\ngrace = 3\n", ARGS("check"),
		 ENV("PIDONE_GRACE=", "PIDONE_WRITABLE="), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(s.grace_ms, 3000);
	cr_expect_eq(s.origin[SETTING_GRACE].kind, ORIGIN_FILE);
	cr_expect_str_eq(s.writable[0], "/tmp");
	settings_done(&s);

	/* So does one of blanks: not none, not a bad value. */
	r = load(&s, &e, "[process]\ngrace = 3\n", ARGS("check"),
		 ENV("PIDONE_GRACE= \t", "PIDONE_WRITABLE= "), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(s.grace_ms, 3000);
	cr_expect_str_eq(s.writable[0], "/tmp");
	settings_done(&s);
	r = load(&s, &e, NULL, ARGS("check"), ENV("PIDONE_CONFIG= "), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_null(s.config_path);
	settings_done(&s);

	/* "none", as --help and check show an empty list, in any case: a
	 * variable can so empty the file's list */
	r = load(&s, &e, "[dirs]\nwritable = /a\n[signals]\nrewrite = HUP:0\n",
		 ARGS("check"),
		 ENV("PIDONE_WRITABLE= None ", "PIDONE_REWRITE=none"), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(strv_length(s.writable), 0);
	cr_expect_eq(s.origin[SETTING_WRITABLE].kind, ORIGIN_ENV);
	cr_expect_eq(s.rewrite[SIGHUP], SIGHUP, "HUP:0 undone");
	settings_done(&s);

	/* and the last word of a layer wins, an empty one too */
	r = load(&s, &e, NULL,
		 ARGS("check", "-w", "/a", "-w", "NONE", "--no-restart-exit",
		      "3", "--no-restart-exit", ""),
		 NO_ENV, NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(strv_length(s.writable), 0);
	cr_expect_not(settings_status_listed(s.no_restart_exit, 3));
	settings_done(&s);
}

/* address, ready_tcp, ready_http and live_http all none in @s; then free it. */
static void expect_optional_values_none_then_free(struct settings *s)
{
	cr_expect_str_eq(s->health_addr, "");
	cr_expect_null(s->ready_tcp_host);
	cr_expect_eq(s->ready_tcp_port, 0);
	cr_expect_null(s->ready_http);
	cr_expect_null(s->live_http);
	settings_done(s);
}

/*
 * An optional value (address, ready_tcp, ready_http, live_http) is set
 * back to none by an empty value or, where --help shows its default as
 * none, by "none": over a lower layer's value too.
 */
Test(config, empty_or_none_optional_value_means_none)
{
	struct settings s;
	struct config_error e;
	int r;

	r = load(&s, &e,
		 "[health]\naddress =\nready_tcp =\nready_http =\n"
		 "live_http =\n",
		 ARGS("check"), NO_ENV, NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(s.origin[SETTING_READY_TCP].kind, ORIGIN_FILE);
	expect_optional_values_none_then_free(&s);

	r = load(&s, &e,
		 "[health]\naddress = ::1\nready_tcp = 8080\n"
		 "ready_http = http://127.0.0.1:8000/r\n",
		 ARGS("check", "--health-addr", "", "--ready-tcp", "none",
		      "--ready-http", "none", "--live-http", ""),
		 ENV("PIDONE_LIVE_HTTP=http://127.0.0.1:8000/l"), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	expect_optional_values_none_then_free(&s);

	/* The address's default is all interfaces, not none. */
	r = load(&s, &e, NULL, ARGS("check", "--health-addr", "none"), NO_ENV,
		 NULL);
	cr_expect_eq(r, -EINVAL);
	cr_expect_eq(e.exit_code, EX_CONFIG);
	cr_expect(strstr(e.text, "is not an IPv4 or IPv6 address"), "%s",
		  e.text);
	settings_done(&s);
}

/* Words are taken in any case, as the booleans always were. */
Test(config, words_in_any_case)
{
	struct settings s;
	struct config_error e;
	int r;

	r = load(&s, &e, "[log]\nlevel = DEBUG\n",
		 ARGS("check", "--restart", "Always", "--log-format", "TEXT",
		      "--forward", "Child", "--reload-signal", "None",
		      "--ready-tcp", "NONE"),
		 ENV("PIDONE_SUBREAPER=AUTO"), NULL);
	cr_assert_eq(r, CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(s.log_level, LOG_LEVEL_DEBUG);
	cr_expect_eq(s.restart, RESTART_ALWAYS);
	cr_expect_eq(s.log_format, LOG_FORMAT_TEXT);
	cr_expect_eq(s.forward, FORWARD_CHILD);
	cr_expect_eq(s.reload_signal, 0);
	cr_expect_null(s.ready_tcp_host);
	cr_expect_eq(s.subreaper, 0);
	settings_done(&s);
}

/* Each PIDONE_ variable pidone does not read, in order, named alone. */
Test(config, unknown_pidone_variables_are_named)
{
	char *const envp[] = { "PIDONE_GRACE=3",
			       "PIDONE_GRACEE=30",
			       "HOME=/",
			       "PIDONE_CONFIG=",
			       "PIDONE_TEST_CGROUP_ROOT=/x",
			       "PIDONE_=1",
			       "PIDONE_LOG_LEVEL",
			       "pidone_grace=1",
			       NULL };
	size_t pos = 0, len = 0;
	const char *name;

	name = config_unknown_env(envp, &pos, &len);
	cr_assert_not_null(name);
	cr_expect_eq(len, strlen("PIDONE_GRACEE"));
	cr_expect_eq(strncmp(name, "PIDONE_GRACEE=", len + 1), 0);
	name = config_unknown_env(envp, &pos, &len);
	cr_assert_not_null(name);
	cr_expect_eq(len, strlen("PIDONE_"));
	cr_expect_eq(strncmp(name, "PIDONE_=", len + 1), 0);
	cr_expect_null(config_unknown_env(envp, &pos, &len));
	cr_expect_null(config_unknown_env(envp, &pos, &len), "stays at end");
	pos = 0;
	cr_expect_null(config_unknown_env(NULL, &pos, &len));
}

/* Like getenv: the first entry of a name counts, even an empty one. */
Test(config, env_first_entry_wins_and_lookalikes_are_ignored)
{
	struct settings s;
	struct config_error e;

	cr_assert_eq(load(&s, &e, NULL, ARGS("check"),
			  ENV("pidone_grace=2", "PIDONE_=1", "PIDONE_GRACEX=7",
			      "PIDONE_GRACE=4", "PIDONE_GRACE=9",
			      "PIDONE_GRAC=8", "PIDONE_", "PIDONE_USER",
			      "XPIDONE_LOG_LEVEL=debug"),
			  NULL),
		     CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(s.grace_ms, 4000);
	cr_expect_eq(s.origin[SETTING_GRACE].kind, ORIGIN_ENV);
	cr_expect_eq(s.origin[SETTING_USER].kind, ORIGIN_DEFAULT);
	cr_expect_neq(s.log_level, LOG_LEVEL_DEBUG);
	settings_done(&s);

	cr_assert_eq(load(&s, &e, "[process]\ngrace = 3\n", ARGS("check"),
			  ENV("PIDONE_GRACE=", "PIDONE_GRACE=9"), NULL),
		     CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(s.grace_ms, 3000, "an empty first entry is unset");
	settings_done(&s);

	/* An entry without '=' is no entry of that name: the next one is. */
	cr_assert_eq(load(&s, &e, NULL, ARGS("check"),
			  ENV("HOME=/root", "PIDONE_GRACE", "PIDONE_GRACE=6"),
			  NULL),
		     CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(s.grace_ms, 6000);
	settings_done(&s);

	/* Two bad variables: the first in setting order is reported. */
	cr_assert_eq(load(&s, &e, NULL, ARGS("check"),
			  ENV("PIDONE_LOG_LEVEL=loud", "PIDONE_GRACE=abc"),
			  NULL),
		     -EINVAL);
	cr_expect(strstr(e.text, "PIDONE_GRACE"), "%s", e.text);
	settings_done(&s);
}

/*
 * A pod's environment: thousands of service-link variables around the
 * settings. The first of a name still wins, and the order of the
 * environment still does not change which bad value is reported.
 */
Test(config, env_among_thousands_of_variables)
{
	enum { N = 5000 };
	static char names[N][24];
	static char *envp[N + 4];
	char *argv[] = { (char *)"pidone", (char *)"check", NULL };
	struct settings s;
	struct config_error e;
	size_t n = 0;

	envp[n++] = (char *)"PIDONE_LOG_LEVEL=loud";
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "SVC%d_PORT_80_TCP=x", i);
		envp[n++] = names[i];
	}
	envp[n++] = (char *)"PIDONE_GRACE=abc";
	envp[n++] = (char *)"PIDONE_LOG_LEVEL=debug";
	envp[n] = NULL;
	settings_init(&s);
	cr_assert_eq(config_load(&s, 2, argv, envp, NOFILE, &e), -EINVAL);
	cr_expect(strstr(e.text, "PIDONE_GRACE"), "%s", e.text);
	settings_done(&s);

	envp[n - 2] = (char *)"PIDONE_GRACE=7";
	envp[0] = (char *)"PIDONE_LOG_LEVEL=warn";
	settings_init(&s);
	cr_assert_eq(config_load(&s, 2, argv, envp, NOFILE, &e),
		     CONFIG_ACTION_CHECK, "%s", e.text);
	cr_expect_eq(s.grace_ms, 7000);
	cr_expect_eq(s.log_level, LOG_LEVEL_WARN, "the first entry wins");
	settings_done(&s);
}

Test(config, writable_default_follows_tmpdir)
{
	struct settings s;
	struct config_error e;

	cr_assert_eq(load(&s, &e, NULL, ARGS("check"), ENV("TMPDIR=/var/tmp"),
			  NULL),
		     CONFIG_ACTION_CHECK);
	cr_expect_eq(strv_length(s.writable), 1);
	cr_expect_str_eq(s.writable[0], "/var/tmp");
	cr_expect_eq(s.origin[SETTING_WRITABLE].kind, ORIGIN_DEFAULT);
	settings_done(&s);

	cr_assert_eq(load(&s, &e, NULL, ARGS("check"), ENV("TMPDIR=rel/tmp"),
			  NULL),
		     CONFIG_ACTION_CHECK);
	cr_expect_str_eq(s.writable[0], "/tmp");
	settings_done(&s);
}

/* ------------------------------------------------------------------ */
/* The shape of the command line                                         */
/* ------------------------------------------------------------------ */

Test(config, subcommands_only_as_first_argument)
{
	struct settings s;
	struct config_error e;

	cr_expect_eq(load(&s, &e, NULL, ARGS("health"), NO_ENV, NULL),
		     CONFIG_ACTION_HEALTH, "%s", e.text);
	cr_expect_null(s.command);
	settings_done(&s);

	cr_expect_eq(load(&s, &e, NULL, ARGS("check"), NO_ENV, NULL),
		     CONFIG_ACTION_CHECK, "%s", e.text);
	settings_done(&s);

	cr_expect_eq(load(&s, &e, NULL, ARGS("check", "--", "python", "-V"),
			  NO_ENV, NULL),
		     CONFIG_ACTION_CHECK);
	cr_expect_eq(strv_length(s.command), 2);
	cr_expect_str_eq(s.command[1], "-V");
	settings_done(&s);

	/* A command named health runs after --, or after an option. */
	cr_expect_eq(load(&s, &e, NULL, ARGS("--", "health"), NO_ENV, NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_assert_eq(strv_length(s.command), 1);
	cr_expect_str_eq(s.command[0], "health");
	cr_expect_eq(s.origin[SETTING_COMMAND].kind, ORIGIN_CLI);
	settings_done(&s);

	cr_expect_eq(load(&s, &e, NULL, ARGS("-t", "1", "check"), NO_ENV, NULL),
		     CONFIG_ACTION_RUN);
	cr_expect_str_eq(s.command[0], "check");
	cr_expect_eq(s.grace_ms, 1000);
	settings_done(&s);
}

Test(config, options_stop_at_the_command)
{
	struct settings s;
	struct config_error e;

	cr_assert_eq(
		load(&s, &e, NULL,
		     ARGS("-u", "app", "python", "--grace", "5", "--", "-t"),
		     NO_ENV, NULL),
		CONFIG_ACTION_RUN, "%s", e.text);
	cr_assert_eq(strv_length(s.command), 5);
	cr_expect_str_eq(s.command[0], "python");
	cr_expect_str_eq(s.command[1], "--grace");
	cr_expect_str_eq(s.command[3], "--");
	cr_expect_str_eq(s.command[4], "-t");
	cr_expect_eq(s.grace_ms, 10000, "an option after the command was used");
	cr_expect_str_eq(s.user, "app");
	settings_done(&s);

	/* "-" alone is a command, "--" then "--help" too. */
	cr_assert_eq(load(&s, &e, NULL, ARGS("-"), NO_ENV, NULL),
		     CONFIG_ACTION_RUN);
	cr_expect_str_eq(s.command[0], "-");
	settings_done(&s);
	cr_assert_eq(load(&s, &e, NULL, ARGS("--", "--help"), NO_ENV, NULL),
		     CONFIG_ACTION_RUN);
	cr_expect_str_eq(s.command[0], "--help");
	settings_done(&s);
}

Test(config, option_spellings)
{
	static const struct {
		const char *args[4];
		unsigned grace_ms;
		const char *user;
	} rows[] = {
		{ { "--grace", "7", "--user", "u1" }, 7000, "u1" },
		{ { "--grace=7", "--user=u1" }, 7000, "u1" },
		{ { "-t", "7", "-u", "u1" }, 7000, "u1" },
		{ { "-t7", "-uu1" }, 7000, "u1" },
		{ { "-t7", "-t", "8", "-u1000:1000" }, 8000, "1000:1000" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *args[8] = { 0 };
		struct settings s;
		struct config_error e;
		int n = 0;

		for (int k = 0; k < 4 && rows[i].args[k]; k++)
			args[n++] = rows[i].args[k];
		args[n++] = "app";
		cr_assert_eq(load(&s, &e, NULL, args, NO_ENV, NULL),
			     CONFIG_ACTION_RUN, "row %zu: %s", i, e.text);
		cr_expect_eq(s.grace_ms, rows[i].grace_ms, "row %zu", i);
		cr_expect_str_eq(s.user, rows[i].user, "row %zu", i);
		cr_expect_str_eq(s.command[0], "app", "row %zu", i);
		settings_done(&s);
	}
}

Test(config, help_and_version_win)
{
	struct settings s;
	struct config_error e;

	cr_expect_eq(load(&s, &e, NULL, ARGS("--help"), NO_ENV, NULL),
		     CONFIG_ACTION_HELP);
	settings_done(&s);
	cr_expect_eq(load(&s, &e, NULL, ARGS("-h"), NO_ENV, NULL),
		     CONFIG_ACTION_HELP);
	settings_done(&s);
	cr_expect_eq(load(&s, &e, NULL, ARGS("--version"), NO_ENV, NULL),
		     CONFIG_ACTION_VERSION);
	settings_done(&s);
	cr_expect_eq(load(&s, &e, NULL, ARGS("-V"), NO_ENV, NULL),
		     CONFIG_ACTION_VERSION);
	settings_done(&s);
	cr_expect_eq(load(&s, &e, NULL, ARGS("health", "--help"), NO_ENV, NULL),
		     CONFIG_ACTION_HELP);
	settings_done(&s);
	/* Even with a missing named file, a bad option and no command. */
	cr_expect_eq(load(&s, &e, NULL,
			  ARGS("--config", NOFILE, "--bogus", "--help"),
			  ENV("PIDONE_GRACE=abc"), NULL),
		     CONFIG_ACTION_HELP);
	settings_done(&s);
	/* After the command, --help belongs to the command. */
	cr_expect_eq(load(&s, &e, NULL, ARGS("python", "--help"), NO_ENV, NULL),
		     CONFIG_ACTION_RUN);
	cr_expect_str_eq(s.command[1], "--help");
	settings_done(&s);
}

Test(config, health_probe_options)
{
	struct settings s;
	struct config_error e;

	cr_assert_eq(load(&s, &e, "[health]\nport = 9000\n", ARGS("health"),
			  NO_ENV, NULL),
		     CONFIG_ACTION_HEALTH, "%s", e.text);
	cr_expect_not(s.probe_ready);
	cr_expect_null(s.probe_url);
	cr_expect_eq(s.probe_timeout_ms, 3000);
	cr_expect_eq(s.health_port, 9000, "health reads the config file");
	cr_expect_not(s.config_on_line, "no --config: PID 1's may be read");
	settings_done(&s);

	cr_assert_eq(load(&s, &e, NULL,
			  ARGS("health", "--ready", "--url",
			       "http://127.0.0.1:8081/readyz", "--timeout=1.5"),
			  ENV("PIDONE_HEALTH_PORT=9001"), NULL),
		     CONFIG_ACTION_HEALTH, "%s", e.text);
	cr_expect(s.probe_ready);
	cr_expect_str_eq(s.probe_url, "http://127.0.0.1:8081/readyz");
	cr_expect_eq(s.probe_timeout_ms, 1500);
	cr_expect_eq(s.health_port, 9001, "health reads the environment");
	settings_done(&s);

	cr_assert_eq(load(&s, &e, NULL, ARGS("health", "--timeout", "60"),
			  NO_ENV, NULL),
		     CONFIG_ACTION_HEALTH, "%s", e.text);
	cr_expect_eq(s.probe_timeout_ms, 60000);
	settings_done(&s);

	/* health takes --config too; '' overrides PIDONE_CONFIG. */
	cr_assert_eq(load(&s, &e, "[health]\nport = 9002\n",
			  ARGS("health", "--config="), NO_ENV, NULL),
		     CONFIG_ACTION_HEALTH, "%s", e.text);
	cr_expect_eq(s.health_port, 8081);
	cr_expect_null(s.config_path);
	cr_expect(s.config_on_line, "--config '' names no file, on the line");
	settings_done(&s);
}

Test(config, command_from_env_ini_and_line)
{
	struct settings s;
	struct config_error e;

	/* The line wins over PIDONE_COMMAND, which wins over the file. */
	cr_assert_eq(load(&s, &e, "[process]\ncommand = [\"ini\"]\n",
			  ARGS("line"), ENV("PIDONE_COMMAND=[\"env\"]"), NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_expect_str_eq(s.command[0], "line");
	settings_done(&s);
	cr_assert_eq(load(&s, &e, "[process]\ncommand = [\"ini\"]\n", NO_ARGS,
			  ENV("PIDONE_COMMAND=[\"env\", \"x y\"]"), NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_expect_eq(strv_length(s.command), 2);
	cr_expect_str_eq(s.command[1], "x y");
	settings_done(&s);
	cr_assert_eq(load(&s, &e, "[process]\ncommand = [\"ini\"]\n", NO_ARGS,
			  NO_ENV, NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_expect_str_eq(s.command[0], "ini");
	cr_expect_eq(s.origin[SETTING_COMMAND].kind, ORIGIN_FILE);
	settings_done(&s);
	/* `--` with nothing after it gives no command: the env's is used. */
	cr_assert_eq(load(&s, &e, NULL, ARGS("--"),
			  ENV("PIDONE_COMMAND=[\"env\"]"), NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_expect_str_eq(s.command[0], "env");
	settings_done(&s);
}

/* ------------------------------------------------------------------ */
/* The INI file itself                                                    */
/* ------------------------------------------------------------------ */

Test(config, multiline_command_and_semicolons_kept)
{
	struct settings s;
	struct config_error e;

	cr_assert_eq(load(&s, &e,
			  "[process]\n"
			  "command = [\"python\",\n"
			  "    \"-c\",\n"
			  "  # a comment line inside is skipped\n"
			  "\n"
			  "\t\"print(1) ; print(2)\",\n"
			  "    \"a;b\"]\n"
			  "grace = 2\n",
			  NO_ARGS, NO_ENV, NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_assert_eq(strv_length(s.command), 4);
	cr_expect_str_eq(s.command[0], "python");
	cr_expect_str_eq(s.command[1], "-c");
	cr_expect_str_eq(s.command[2], "print(1) ; print(2)");
	cr_expect_str_eq(s.command[3], "a;b");
	cr_expect_eq(s.origin[SETTING_COMMAND].line, 2);
	cr_expect_eq(s.grace_ms, 2000, "the key after a continuation");
	settings_done(&s);

	/* " ;" on the key's own line is no comment either. */
	cr_assert_eq(load(&s, &e,
			  "[process]\n"
			  "command = [\"sh\", \"-c\", \"a ; b\"] \n"
			  "[dirs]\n"
			  "writable = /data ;x, /b #;y\n",
			  NO_ARGS, NO_ENV, NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_assert_eq(strv_length(s.command), 3);
	cr_expect_str_eq(s.command[2], "a ; b");
	cr_assert_eq(strv_length(s.writable), 2);
	cr_expect_str_eq(s.writable[0], "/data ;x");
	cr_expect_str_eq(s.writable[1], "/b #;y");
	settings_done(&s);
}

Test(config, comments_crlf_bom_and_repeated_sections)
{
	struct settings s;
	struct config_error e;

	cr_assert_eq(load(&s, &e,
			  "\xef\xbb\xbf; comment\r\n"
			  "# another\r\n"
			  "[process]\r\n"
			  "grace=4\r\n"
			  "[log]\r\n"
			  "  level = debug\r\n"
			  "[process]\r\n"
			  "restart: always\r\n",
			  ARGS("x"), NO_ENV, NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_expect_eq(s.grace_ms, 4000);
	cr_expect_eq(s.log_level, LOG_LEVEL_DEBUG,
		     "an indented first key of a section is a key");
	cr_expect_eq(s.restart, RESTART_ALWAYS);
	cr_expect_eq(s.origin[SETTING_RESTART].line, 8);
	settings_done(&s);
}

Test(config, line_length_limit)
{
	char text[512], value[300];
	struct settings s;
	struct config_error e;
	char *path;
	int r;

	/* "user = " is 7 bytes: a 197-byte line is accepted... */
	memset(value, 'a', 190);
	value[190] = '\0';
	snprintf(text, sizeof(text), "[process]\nuser = %s\n", value);
	r = load(&s, &e, text, ARGS("x"), NO_ENV, NULL);
	cr_expect_eq(r, CONFIG_ACTION_RUN, "197 bytes: %s", e.text);
	cr_expect_eq(strlen(s.user), 190);
	settings_done(&s);

	/* ... also with CRLF, and a 198-byte one is not. */
	snprintf(text, sizeof(text), "[process]\r\nuser = %s\r\n", value);
	r = load(&s, &e, text, ARGS("x"), NO_ENV, NULL);
	cr_expect_eq(r, CONFIG_ACTION_RUN, "197 bytes + CRLF: %s", e.text);
	settings_done(&s);

	value[190] = 'a';
	value[191] = '\0';
	snprintf(text, sizeof(text), "[process]\nuser = %s\n", value);
	r = load(&s, &e, text, ARGS("x"), NO_ENV, &path);
	cr_expect_eq(r, -EINVAL);
	cr_expect_eq(e.exit_code, EX_CONFIG);
	{
		char want[256];

		snprintf(want, sizeof(want),
			 "%s:2: line too long (max 197 bytes); split a long "
			 "command over indented continuation lines",
			 path);
		cr_expect_str_eq(e.text, want);
	}
	cr_expect_str_eq(s.user, "65532:65532", "the long line was applied");
	settings_done(&s);
	drop_ini(path);

	/* A comment line is a line too; no newline at the end either. */
	memset(value, '#', 250);
	value[250] = '\0';
	r = load(&s, &e, value, ARGS("x"), NO_ENV, NULL);
	cr_expect_eq(r, -EINVAL);
	cr_expect(strstr(e.text, ":1: line too long"), "%s", e.text);
	settings_done(&s);

	/*
	 * A continuation line too long: that is the error, on its own line,
	 * not the cut value of the key it continues (line 2).
	 */
	memset(value, 'x', 250);
	value[250] = '\0';
	snprintf(text, sizeof(text),
		 "[process]\ncommand = [\"echo\",\n  \"%s\"]\n", value);
	r = load(&s, &e, text, ARGS("check"), NO_ENV, NULL);
	cr_expect_eq(r, -EINVAL);
	cr_expect(strstr(e.text, ":3: line too long"), "%s", e.text);
	settings_done(&s);
}

/* The shipped example, conf/pidone.ini, into @path. */
static void example_path(char *path, size_t size)
{
	const char *srcdir = getenv("srcdir");

	snprintf(path, size, "%s/conf/pidone.ini", srcdir ? srcdir : ".");
	if (access(path, R_OK) != 0)
		snprintf(path, size, "%s/conf/pidone.ini", PIDONE_TEST_SRCDIR);
}

Test(config, shipped_example_gives_exactly_the_defaults)
{
	char path[4096], env[4200], a[256], b[256];
	struct settings s, d;
	struct config_error e;
	const char *const args[] = { "--config", path, "app", NULL };

	example_path(path, sizeof(path));
	cr_assert_eq(access(path, R_OK), 0, "cannot find %s", path);
	snprintf(env, sizeof(env), "TMPDIR=/tmp");
	cr_assert_eq(load(&s, &e, NULL, args, ENV(env), NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_expect_str_eq(s.config_path, path);
	cr_assert_eq(load(&d, &e, NULL, ARGS("app"), ENV(env), NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	for (int id = 0; id < SETTING_MAX; id++) {
		render(&s, id, a, sizeof(a));
		render(&d, id, b, sizeof(b));
		cr_expect_str_eq(a, b, "%s differs", settings_def(id)->env);
		if (id != SETTING_COMMAND)
			cr_expect_eq(s.origin[id].kind, ORIGIN_DEFAULT, "%s",
				     settings_def(id)->env);
	}
	settings_done(&s);
	settings_done(&d);
}

Test(config, shipped_example_names_every_key)
{
	char path[4096], line[512], want[128];
	bool seen[SETTING_MAX] = { false };
	FILE *f;

	example_path(path, sizeof(path));
	f = fopen(path, "re");
	cr_assert_not_null(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f))
		for (int id = 0; id < SETTING_MAX; id++) {
			snprintf(want, sizeof(want),
				 "# %s =", settings_def(id)->key);
			if (strncmp(line, want, strlen(want)) == 0)
				seen[id] = true;
		}
	fclose(f);
	for (int id = 0; id < SETTING_MAX; id++)
		cr_expect(seen[id], "pidone.ini lacks \"# %s =\"",
			  settings_def(id)->key);
}

/*
 * Each key's commented-out line, uncommented, is its default: the
 * example shows defaults, not examples that would change something. A
 * key whose default is no value (address, ready_tcp, ready_http,
 * live_http) is shown empty, and empty is that default (the command is
 * shown with an example instead).
 */
Test(config, shipped_example_uncommented_gives_the_defaults)
{
	char path[4096], line[512], want[128], a[256], b[256];
	char text[8192] = "";
	struct settings s, d;
	struct config_error e;
	size_t len = 0;
	int keys = 0;
	FILE *f;

	example_path(path, sizeof(path));
	f = fopen(path, "re");
	cr_assert_not_null(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		const char *keep = line[0] == '[' ? line : NULL;

		for (int id = 1; !keep && id < SETTING_MAX; id++) {
			snprintf(want, sizeof(want),
				 "# %s =", settings_def(id)->key);
			if (strncmp(line, want, strlen(want)) != 0)
				continue;
			keys++;
			keep = line + 2;
		}
		if (keep)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"%s", keep);
		cr_assert_lt(len, sizeof(text));
	}
	fclose(f);
	cr_assert_eq(keys, SETTING_MAX - 1, "one line per key but command");
	cr_assert_eq(load(&s, &e, text, ARGS("app"), ENV("TMPDIR=/tmp"), NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_assert_eq(load(&d, &e, NULL, ARGS("app"), ENV("TMPDIR=/tmp"), NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	for (int id = 0; id < SETTING_MAX; id++) {
		render(&s, id, a, sizeof(a));
		render(&d, id, b, sizeof(b));
		cr_expect_str_eq(a, b,
				 "%s: the example's line is not the default",
				 settings_def(id)->key);
	}
	settings_done(&s);
	settings_done(&d);
}

/* ------------------------------------------------------------------ */
/* Errors                                                                */
/* ------------------------------------------------------------------ */

struct err_row {
	const char *ini; /* NULL: no file */
	const char *args[6];
	const char *env[3];
	int exit_code;
	/* Parts the message must contain; "@" stands for the file's path. */
	const char *parts[3];
};

static const struct err_row err_rows[] = {
	/* Command line shape: EX_USAGE. */
	{ NULL,
	  { "--gracee", "1", "x" },
	  { 0 },
	  EX_USAGE,
	  { "unknown option \"--gracee\"" } },
	{ NULL,
	  { "--gracee=1", "x" },
	  { 0 },
	  EX_USAGE,
	  { "unknown option \"--gracee\"" } },
	{ NULL, { "-x", "app" }, { 0 }, EX_USAGE, { "unknown option \"-x\"" } },
	{ NULL,
	  { "--version=1" },
	  { 0 },
	  EX_USAGE,
	  { "--version takes no value" } },
	{ NULL, { "--grace" }, { 0 }, EX_USAGE, { "--grace: missing value" } },
	{ NULL, { "-u" }, { 0 }, EX_USAGE, { "-u: missing value" } },
	{ NULL,
	  { "--create-dirs=yes", "x" },
	  { 0 },
	  EX_USAGE,
	  { "--create-dirs takes no value" } },
	{ NULL,
	  { "health", "now" },
	  { 0 },
	  EX_USAGE,
	  { "health: unexpected argument \"now\"" } },
	{ NULL,
	  { "health", "--grace", "1" },
	  { 0 },
	  EX_USAGE,
	  { "unknown option \"--grace\"" } },
	{ NULL,
	  { "check", "--ready" },
	  { 0 },
	  EX_USAGE,
	  { "unknown option \"--ready\"" } },
	{ NULL,
	  { 0 },
	  { 0 },
	  EX_USAGE,
	  { "no command: give one after -- or set PIDONE_COMMAND or "
	    "command = in the config file" } },
	{ NULL, { "--" }, { 0 }, EX_USAGE, { "no command:" } },
	{ NULL, { "-t", "1" }, { 0 }, EX_USAGE, { "no command:" } },

	/* Values, from each layer: EX_CONFIG naming where. */
	{ NULL,
	  { "--grace", "abc", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--grace: \"abc\" is not a number of seconds" } },
	{ NULL,
	  { "-tabc", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "-t: \"abc\" is not a number of seconds" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_GRACE=abc" },
	  EX_CONFIG,
	  { "PIDONE_GRACE: \"abc\" is not a number of seconds" } },
	{ "[process]\ngrace = abc\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: [process] grace: \"abc\" is not a number of seconds" } },
	{ NULL,
	  { "--grace=3601", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--grace: \"3601\" is more than the maximum of 3600 seconds" } },
	{ NULL,
	  { "--grace=0.0001", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "not a number of seconds" } },
	{ NULL,
	  { "--drain", "soon", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--drain: \"soon\" is not a number of seconds" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_DRAIN=-1" },
	  EX_CONFIG,
	  { "PIDONE_DRAIN: \"-1\"" } },
	{ "[process]\ndrain = 3601\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: [process] drain: \"3601\" is more than the maximum of 3600 "
	    "seconds" } },
	{ NULL,
	  { "-u", "", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "-u: \"\" is not USER[:GROUP]" } },
	{ NULL,
	  { "--user=app:", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--user: \"app:\" is not USER[:GROUP]" } },
	{ NULL, { "--user=:app", "x" }, { 0 }, EX_CONFIG, { "is not USER" } },
	{ NULL, { "--user=a:b:c", "x" }, { 0 }, EX_CONFIG, { "is not USER" } },
	{ NULL, { "--user=a b", "x" }, { 0 }, EX_CONFIG, { "is not USER" } },
	{ NULL,
	  { "-w", "tmp", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "-w: \"tmp\" is not an absolute path" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_WRITABLE=/a,,/b" },
	  EX_CONFIG,
	  { "PIDONE_WRITABLE: \"/a,,/b\" has an empty item" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_WRITABLE=/a,rel" },
	  EX_CONFIG,
	  { "PIDONE_WRITABLE: \"rel\" is not an absolute path" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_CREATE_DIRS=maybe" },
	  EX_CONFIG,
	  { "PIDONE_CREATE_DIRS: \"maybe\" is not a boolean" } },
	{ NULL,
	  { "--forward", "parent", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--forward: \"parent\" is not one of group|child" } },
	{ NULL,
	  { "--rewrite", "TERM-QUIT", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--rewrite: \"TERM-QUIT\" is not FROM:TO" } },
	{ NULL,
	  { "--rewrite", "KILL:TERM", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "\"KILL:TERM\" is not FROM:TO" } },
	{ NULL,
	  { "--rewrite", "TERM:QUIT", "--rewrite", "15:INT", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--rewrite: \"15:INT\" rewrites TERM a second time" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_SUCCESS_EXIT=0,256" },
	  EX_CONFIG,
	  { "PIDONE_SUCCESS_EXIT: \"256\" is not an exit status (0..255)" } },
	{ NULL,
	  { "--success-exit=-1", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "\"-1\" is not an exit status" } },
	{ NULL,
	  { "--restart", "sometimes", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--restart: \"sometimes\" is not one of never|on-failure|always" } },
	{ NULL,
	  { "--restart-max=1001", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--restart-max: \"1001\" is more than the maximum of 1000" } },
	{ NULL,
	  { "--restart-max=x", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "is not a whole number" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_NO_RESTART_EXIT=78,256" },
	  EX_CONFIG,
	  { "PIDONE_NO_RESTART_EXIT: \"256\" is not an exit status "
	    "(0..255)" } },
	{ "[process]\nno_restart_exit = x\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: [process] no_restart_exit: \"x\" is not an exit status" } },
	{ NULL,
	  { "--reload-signal", "TERM", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--reload-signal: \"TERM\" is not none or a signal other than "
	    "TERM, INT, QUIT, KILL, STOP and CHLD (name or number)" } },
	{ NULL,
	  { "--reload-signal=INT", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--reload-signal: \"INT\" is not none or a signal" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_RELOAD_SIGNAL=SIGQUIT" },
	  EX_CONFIG,
	  { "PIDONE_RELOAD_SIGNAL: \"SIGQUIT\" is not none or a signal" } },
	{ NULL,
	  { "--reload-signal", "CHLD", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "\"CHLD\" is not none or a signal" } },
	{ "[process]\nreload_signal = HANGUP\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: [process] reload_signal: \"HANGUP\" is not none or a signal" } },
	{ NULL,
	  { "--watch", "etc/config", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--watch: \"etc/config\" is not an absolute path" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_WATCH=/a,,/b" },
	  EX_CONFIG,
	  { "PIDONE_WATCH: \"/a,,/b\" has an empty item" } },
	{ NULL,
	  { "--watch-signal", "KILL", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--watch-signal: \"KILL\" is not none or a signal" } },
	{ NULL,
	  { "--watch-signal", "STOP", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--watch-signal: \"STOP\" is not none or a signal other" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_WATCH_SIGNAL=65" },
	  EX_CONFIG,
	  { "PIDONE_WATCH_SIGNAL: \"65\" is not none or a signal other" } },
	{ NULL,
	  { "-p", "65536", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "-p: \"65536\" is not a port number" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_HEALTH_PORT=http" },
	  EX_CONFIG,
	  { "PIDONE_HEALTH_PORT: \"http\" is not a port number" } },
	{ NULL,
	  { "--health-addr", "localhost", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--health-addr: \"localhost\" is not an IPv4 or IPv6 address" } },
	{ NULL,
	  { "--ready-delay", "86401", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--ready-delay: \"86401\" is more than the maximum of 86400" } },
	{ NULL,
	  { "--ready-tcp", "db:5432", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--ready-tcp: \"db:5432\" is not [HOST:]PORT" } },
	{ NULL,
	  { "--ready-tcp", "0", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "is not [HOST:]PORT" } },
	{ "[health]\nready_notify = sure\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: [health] ready_notify: \"sure\" is not a boolean" } },
	{ NULL,
	  { "--watchdog", "-1", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--watchdog: \"-1\" is not a number of seconds" } },
	{ NULL,
	  { "--log-format", "xml", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--log-format: \"xml\" is not one of json|text" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_LOG_LEVEL=verbose" },
	  EX_CONFIG,
	  { "PIDONE_LOG_LEVEL: \"verbose\" is not one of "
	    "error|warn|info|debug" } },
	{ "[process]\nsubreaper = sometimes\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: [process] subreaper: \"sometimes\" is not auto or a "
	    "boolean" } },
	{ NULL,
	  { "health", "--url", "https://x/" },
	  { 0 },
	  EX_CONFIG,
	  { "--url: \"https://x/\" is not http://HOST:PORT/PATH" } },
	{ NULL,
	  { "health", "--url", "http://example.com/" },
	  { 0 },
	  EX_CONFIG,
	  { "--url: \"http://example.com/\" is not http://HOST:PORT/PATH" } },
	{ NULL,
	  { "health", "--timeout", "61" },
	  { 0 },
	  EX_CONFIG,
	  { "--timeout: \"61\" is more than the maximum of 60 seconds" } },
	{ NULL,
	  { "health", "--timeout=0" },
	  { 0 },
	  EX_CONFIG,
	  { "--timeout: \"0\" is not a number of seconds above 0" } },
	/* Each subcommand takes only its own options. */
	{ NULL,
	  { "health", "--json" },
	  { 0 },
	  EX_USAGE,
	  { "unknown option \"--json\"" } },
	{ NULL,
	  { "status", "--ready" },
	  { 0 },
	  EX_USAGE,
	  { "unknown option \"--ready\"" } },
	{ NULL,
	  { "status", "-V" },
	  { 0 },
	  EX_USAGE,
	  { "unknown option \"-V\"" } },
	{ NULL,
	  { "--user", "a\nb", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--user: \"a\\nb\" is not" } },

	/* JSON commands. */
	{ NULL,
	  { 0 },
	  { "PIDONE_COMMAND=python app.py" },
	  EX_CONFIG,
	  { "PIDONE_COMMAND: ", "not shell form",
	    "(at byte 0 of \"python app.py\")" } },
	{ NULL,
	  { 0 },
	  { "PIDONE_COMMAND=[\"a\", 1]" },
	  EX_CONFIG,
	  { "PIDONE_COMMAND: ", "at byte 6 of \"[\\\"a\\\", 1]\"" } },
	{ NULL,
	  { 0 },
	  { "PIDONE_COMMAND=[]" },
	  EX_CONFIG,
	  { "PIDONE_COMMAND: ", "at byte 1" } },
	/* A bad command elsewhere is an error even when the line has one. */
	{ NULL,
	  { "x" },
	  { "PIDONE_COMMAND=[\"a\"" },
	  EX_CONFIG,
	  { "PIDONE_COMMAND: " } },
	{ "[process]\ncommand = [\"a\",\n  \"b\",\n  3]\n",
	  { 0 },
	  { 0 },
	  EX_CONFIG,
	  { "@:4: [process] command: ", "at byte 11 of " } },

	/* The file. */
	{ "[bogus]\nx = 1\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:1: unknown section \"bogus\"" } },
	{ "[process]\ngracee = 1\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: unknown key \"gracee\" in [process]" } },
	{ "[dirs]\ngrace = 1\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: unknown key \"grace\" in [dirs]" } },
	{ "grace = 1\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:1: key \"grace\" is outside any section" } },
	{ "[process]\ngrace = 1\n\ngrace = 2\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:4: duplicate key \"grace\" in [process] (first set on line 2)" } },
	{ "[process]\ncommand = [\"a\"]\n[process]\ncommand = [\"b\"]\n",
	  { 0 },
	  { 0 },
	  EX_CONFIG,
	  { "@:4: duplicate key \"command\"" } },
	/* After a section line an indented key starts anew, as inih reads it. */
	{ "[process]\ngrace = 1\n[process]\n  grace = 2\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:4: duplicate key \"grace\" in [process] (first set on line 2)" } },
	{ "[dirs]\nwritable = /a\n[dirs]\n  writable = /b\n[bogus]\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:5: unknown section \"bogus\"" } },
	{ "[process]\njust words\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: syntax error" } },
	/* inih would drop the key after "]" and read on without a word */
	{ "[log] level = debug\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:1: text after the section name: put each key = value on a "
	    "line of its own" } },
	{ "[log] ; a comment there is fine\nlevel = bogus\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:2: [log] level: " } },
	/* CR line ends (no LF): one line to inih, all but a section lost */
	{ "[process]\rgrace = 3\r",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:1: carriage return within a line: end lines with LF or "
	    "CRLF" } },
	{ "[process\ngrace = 1\n",
	  { "x" },
	  { 0 },
	  EX_CONFIG,
	  { "@:1: syntax error" } },
	{ NULL,
	  { "--config", NOFILE, "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--config: cannot open " NOFILE ": No such file or directory" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_CONFIG=" NOFILE },
	  EX_CONFIG,
	  { "PIDONE_CONFIG: cannot open " NOFILE ": No such file" } },
	/* A path is printed as given, but the text stays one line. */
	{ NULL,
	  { "--config", NOFILE "\n3", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "--config: cannot open " NOFILE "\\n3: No such file" } },
	{ NULL,
	  { "x" },
	  { "PIDONE_CONFIG=" NOFILE "\r\t" },
	  EX_CONFIG,
	  { "PIDONE_CONFIG: cannot open " NOFILE "\\r\\t: No such" } },
	{ NULL,
	  { "--config=/tmp", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "/tmp: not a regular file" } },
	{ NULL,
	  { "--config=/dev/null", "x" },
	  { 0 },
	  EX_CONFIG,
	  { "/dev/null: not a regular file" } },
};

static void check_err_row(size_t i, const struct err_row *row)
{
	const char *args[8] = { 0 }, *env[4] = { 0 };
	struct settings s;
	struct config_error e;
	char *path = NULL;
	int r;

	for (int k = 0; k < 6 && row->args[k]; k++)
		args[k] = row->args[k];
	for (int k = 0; k < 3 && row->env[k]; k++)
		env[k] = row->env[k];
	r = load(&s, &e, row->ini, args, env, &path);
	cr_expect_eq(r, -EINVAL, "row %zu: r = %d (%s)", i, r, e.text);
	cr_expect_eq(e.exit_code, row->exit_code, "row %zu: exit %d: %s", i,
		     e.exit_code, e.text);
	cr_expect_null(memchr(e.text, '\n', strnlen(e.text, sizeof(e.text))),
		       "row %zu: one line", i);
	for (int k = 0; k < 3 && row->parts[k]; k++) {
		char want[600];

		if (row->parts[k][0] == '@')
			snprintf(want, sizeof(want), "%s%s", path,
				 row->parts[k] + 1);
		else
			snprintf(want, sizeof(want), "%s", row->parts[k]);
		cr_expect(strstr(e.text, want), "row %zu: \"%s\" not in \"%s\"",
			  i, want, e.text);
	}
	settings_done(&s);
	drop_ini(path);
}

Test(config, errors_table)
{
	for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++)
		check_err_row(i, &err_rows[i]);
}

/* Out of fds is no fault of the file: 70, and an errno for main's hint. */
Test(config, out_of_fds_is_not_a_config_error)
{
	struct rlimit rl;
	struct settings s;
	struct config_error e;
	int lowest = dup(0);

	cr_assert_geq(lowest, 0);
	close(lowest);
	/* this test's own process: the next open has no fd left */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = (rlim_t)lowest;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	cr_expect_eq(load(&s, &e, NULL, ARGS("--config=/etc/passwd", "x"),
			  NO_ENV, NULL),
		     -EMFILE);
	cr_expect_eq(e.exit_code, EX_SOFTWARE);
	cr_expect(strstr(e.text, "/etc/passwd: cannot open: "), "%s", e.text);
	settings_done(&s);
}

Test(config, file_too_large_or_with_nul)
{
	size_t big = 64 * 1024 + 1;
	char *text = malloc(big);
	struct settings s;
	struct config_error e;
	char args_cfg[4200];
	char *path;

	cr_assert_not_null(text);
	memset(text, '\n', big);
	memcpy(text, "[process]\n", 10);
	path = tmp_ini_len(text, big);
	snprintf(args_cfg, sizeof(args_cfg), "--config=%s", path);
	cr_expect_eq(load(&s, &e, NULL, ARGS(args_cfg, "x"), NO_ENV, NULL),
		     -EINVAL);
	cr_expect_eq(e.exit_code, EX_CONFIG);
	cr_expect(strstr(e.text, "larger than 64 KiB"), "%s", e.text);
	settings_done(&s);
	drop_ini(path);

	/* Exactly 64 KiB is fine. */
	path = tmp_ini_len(text, big - 1);
	snprintf(args_cfg, sizeof(args_cfg), "--config=%s", path);
	cr_expect_eq(load(&s, &e, NULL, ARGS(args_cfg, "x"), NO_ENV, NULL),
		     CONFIG_ACTION_RUN, "%s", e.text);
	settings_done(&s);
	drop_ini(path);
	free(text);

	path = tmp_ini_len("[process]\ngrace = 1\0\n", 21);
	snprintf(args_cfg, sizeof(args_cfg), "--config=%s", path);
	cr_expect_eq(load(&s, &e, NULL, ARGS(args_cfg, "x"), NO_ENV, NULL),
		     -EINVAL);
	cr_expect(strstr(e.text, ":2: NUL byte"), "%s", e.text);
	settings_done(&s);
	drop_ini(path);
}

Test(config, default_file_used_only_when_it_exists)
{
	char *path = tmp_ini("[process]\ngrace = 9\n");
	char *argv[] = { (char *)"pidone", (char *)"x", NULL };
	char *envp[] = { NULL };
	char cfg_env[4200];
	char *envp2[] = { cfg_env, NULL };
	char *argv2[] = { (char *)"pidone", (char *)"--config=", (char *)"x",
			  NULL };
	struct settings s;
	struct config_error e;

	settings_init(&s);
	cr_assert_eq(config_load(&s, 2, argv, envp, path, &e),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_expect_eq(s.grace_ms, 9000);
	cr_expect_str_eq(s.config_path, path);
	settings_done(&s);

	/* Missing default: no file, no error. NULL: never. */
	cr_assert_eq(config_load(&s, 2, argv, envp, NOFILE, &e),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_expect_null(s.config_path);
	settings_done(&s);
	cr_assert_eq(config_load(&s, 2, argv, envp, NULL, &e),
		     CONFIG_ACTION_RUN, "%s", e.text);
	settings_done(&s);

	/* PIDONE_CONFIG replaces the default; --config '' reads nothing. */
	snprintf(cfg_env, sizeof(cfg_env), "PIDONE_CONFIG=%s", NOFILE);
	cr_assert_eq(config_load(&s, 2, argv, envp2, path, &e), -EINVAL);
	cr_expect(strstr(e.text, "PIDONE_CONFIG: cannot open"), "%s", e.text);
	settings_done(&s);
	cr_assert_eq(config_load(&s, 3, argv2, envp2, path, &e),
		     CONFIG_ACTION_RUN, "%s", e.text);
	cr_expect_eq(s.grace_ms, 10000);
	cr_expect_null(s.config_path);
	settings_done(&s);
	drop_ini(path);
}

Test(config, first_error_kept_and_the_rest_applied)
{
	struct settings s;
	struct config_error e;
	char *path;

	/* Errors on lines 2 (multi-line value) and 5: line 2 wins. */
	cr_assert_eq(load(&s, &e,
			  "[process]\ncommand = [\"a\",\n  1]\n[log]\n"
			  "bad = 1\nformat = text\n",
			  ARGS("x"),
			  ENV("PIDONE_GRACE=abc", "PIDONE_LOG_LEVEL=debug"),
			  &path),
		     -EINVAL);
	cr_expect(strstr(e.text, ":3: [process] command"), "%s", e.text);
	cr_expect_eq(s.log_format, LOG_FORMAT_TEXT, "later entries applied");
	cr_expect_eq(s.log_level, LOG_LEVEL_DEBUG, "env applied after error");
	settings_done(&s);
	drop_ini(path);

	/* A usage error comes before any file or value error. */
	cr_assert_eq(load(&s, &e, "[process]\ngracee = 1\n",
			  ARGS("--bogus", "--log-format=text", "x"),
			  ENV("PIDONE_GRACE=abc"), NULL),
		     -EINVAL);
	cr_expect_eq(e.exit_code, EX_USAGE);
	cr_expect(strstr(e.text, "--bogus"), "%s", e.text);
	cr_expect_eq(s.log_format, LOG_FORMAT_TEXT);
	settings_done(&s);

	/* File errors before environment errors before option errors. */
	cr_assert_eq(load(&s, &e, "[process]\ngrace = x\n",
			  ARGS("--grace=y", "x"), ENV("PIDONE_GRACE=z"), NULL),
		     -EINVAL);
	cr_expect(strstr(e.text, "\"x\""), "%s", e.text);
	settings_done(&s);
	cr_assert_eq(load(&s, &e, NULL, ARGS("--grace=y", "x"),
			  ENV("PIDONE_GRACE=z"), NULL),
		     -EINVAL);
	cr_expect(strstr(e.text, "PIDONE_GRACE: \"z\""), "%s", e.text);
	cr_expect_eq(s.grace_ms, 10000, "a bad value changes nothing");
	settings_done(&s);

	/* A bad value leaves the lower layer's value in place. */
	cr_assert_eq(load(&s, &e, "[process]\ngrace = 4\n",
			  ARGS("--grace=y", "x"), NO_ENV, NULL),
		     -EINVAL);
	cr_expect_eq(s.grace_ms, 4000);
	cr_expect_eq(s.origin[SETTING_GRACE].kind, ORIGIN_FILE);
	settings_done(&s);
}

Test(config, long_bad_values_are_quoted_bounded)
{
	char big[2000], env[2100];
	struct settings s;
	struct config_error e;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(env, sizeof(env), "PIDONE_FORWARD=%s\"\x01", big);
	cr_assert_eq(load(&s, &e, NULL, ARGS("x"), ENV(env), NULL), -EINVAL);
	cr_expect_lt(strlen(e.text), 300, "%s", e.text);
	cr_expect(strstr(e.text, "xxx\"..."), "%s", e.text);
	settings_done(&s);

	/* Deep into a long command: the excerpt shows the bad byte. */
	snprintf(env, sizeof(env), "PIDONE_COMMAND=[\"%.*s\", \"b\", \x01]",
		 200, big);
	cr_assert_eq(load(&s, &e, NULL, NO_ARGS, ENV(env), NULL), -EINVAL);
	cr_expect(strstr(e.text, "at byte 210 of ..."), "%s", e.text);
	cr_expect(strstr(e.text, "\\u0001"), "%s", e.text);
	settings_done(&s);
}

/* ------------------------------------------------------------------ */
/* Names and help                                                        */
/* ------------------------------------------------------------------ */

/* Does @a equal @b, where "" is no name at all? */
static bool same_name(const char *a, const char *b)
{
	return a[0] && strcmp(a, b) == 0;
}

Test(config, name_tables_are_consistent)
{
	static const char sections[][8] = { "process", "dirs", "signals",
					    "health", "log" };

	for (int id = 0; id < SETTING_MAX; id++) {
		const struct setting_def *d = settings_def(id);
		bool known = false;

		cr_expect_eq(strncmp(d->env, "PIDONE_", 7), 0);
		for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]);
		     i++)
			known = known || strcmp(d->section, sections[i]) == 0;
		cr_expect(known, "%s: section [%s]", d->env, d->section);
		cr_expect_neq(d->default_text[0], '\0', "%s", d->env);
		cr_expect_eq(d->kind == SETTING_KIND_FLAG,
			     d->type == SETTING_TYPE_BOOL ||
				     d->type == SETTING_TYPE_AUTO_BOOL,
			     "%s: a flag is a boolean", d->env);
		cr_expect_eq(!d->option[0], id == SETTING_COMMAND, "%s",
			     d->env);
		/* No name is spelt twice: a lookup can find only one row. */
		for (int k = 0; k < id; k++) {
			const struct setting_def *o = settings_def(k);

			cr_expect_not(same_name(d->env, o->env), "%s", d->env);
			cr_expect_not(same_name(d->section, o->section) &&
					      same_name(d->key, o->key),
				      "[%s] %s", d->section, d->key);
		}
	}
	/* No action's command line spells an option twice. */
	for (int id = 0; id < OPTION_MAX; id++) {
		const struct setting_def *d = settings_def(id);

		/* `pidone check` takes what `pidone` takes. */
		cr_expect_eq(!(d->actions & 1u << CONFIG_ACTION_CHECK),
			     !(d->actions & 1u << CONFIG_ACTION_RUN), "--%s",
			     d->option);
		cr_expect_eq(id < SETTING_MAX, d->env[0] != '\0', "--%s",
			     d->option);
		for (int k = 0; k < id; k++) {
			const struct setting_def *o = settings_def(k);

			if (!(d->actions & o->actions))
				continue;
			cr_expect_not(same_name(d->option, o->option), "--%s",
				      d->option);
			cr_expect_not(d->short_option &&
					      d->short_option ==
						      o->short_option,
				      "-%c", d->short_option);
		}
	}
	cr_expect_null(settings_def(OPTION_MAX));
	cr_expect_null(settings_def(-1));
	/* The spellings the README's Options use. */
	cr_expect_str_eq(settings_def(SETTING_HEALTH_ADDR)->key, "address");
	cr_expect_str_eq(settings_def(SETTING_CREATE_DIRS)->key, "create");
	cr_expect_str_eq(settings_def(SETTING_SUCCESS_EXIT)->option,
			 "success-exit");
	cr_expect_str_eq(settings_def(SETTING_SUCCESS_EXIT)->key,
			 "success_exit");
	cr_expect_eq(settings_def(SETTING_USER)->short_option, 'u');
	cr_expect_eq(settings_def(SETTING_WRITABLE)->short_option, 'w');
	cr_expect_eq(settings_def(SETTING_GRACE)->short_option, 't');
	cr_expect_eq(settings_def(SETTING_HEALTH_PORT)->short_option, 'p');
}

/*
 * settings_init writes the defaults out; they must be exactly what the
 * table's default texts (which --help, check and the README show) parse
 * to, byte for byte, the way settings_init once made them. A default in
 * words (none, $TMPDIR...) does not parse: the empty value.
 */
Test(config, defaults_are_the_tables_texts)
{
	struct settings parsed, init;
	int parsed_ok = 0;
	size_t i = 0;

	memset(&parsed, 0, sizeof(parsed));
	settings_clear(&parsed, SETTING_REWRITE);
	for (int id = 0; id < OPTION_MAX; id++)
		parsed_ok += settings_set(&parsed, id,
					  settings_def(id)->default_text, NULL,
					  0) == 0;
	settings_init(&init);
	while (i < sizeof(init) && ((char *)&init)[i] == ((char *)&parsed)[i])
		i++;
	cr_expect_eq(i, sizeof(init),
		     "settings_init differs from the table's defaults at "
		     "byte %zu",
		     i);
	/* The comparison means something: most defaults do parse. */
	cr_expect_geq(parsed_ok, 20);
	settings_done(&parsed);
	settings_done(&init);
}

Test(config, defaults_and_origin_text)
{
	struct settings s;
	char buf[64];

	settings_init(&s);
	cr_expect_str_eq(s.user, "65532:65532");
	cr_expect_eq(s.grace_ms, 10000);
	cr_expect_eq(s.forward, FORWARD_GROUP);
	cr_expect_eq(s.restart, RESTART_NEVER);
	cr_expect_eq(s.restart_max, 5);
	cr_expect_eq(s.health_port, 8081);
	cr_expect_eq(s.log_format, LOG_FORMAT_JSON);
	cr_expect_eq(s.log_level, LOG_LEVEL_INFO);
	cr_expect_eq(s.subreaper, SUBREAPER_AUTO);
	cr_expect_eq(s.probe_timeout_ms, 3000);
	for (int sig = 0; sig <= SIGNAME_MAX; sig++)
		cr_expect_eq(s.rewrite[sig], sig);
	cr_expect_not(settings_status_listed(s.success_exit, 0));
	cr_expect_not(settings_status_listed(s.success_exit, -1));
	cr_expect_not(settings_status_listed(s.success_exit, 256));
	cr_expect_str_eq(settings_origin_text(&s, SETTING_GRACE, buf,
					      sizeof(buf)),
			 "default");
	s.origin[SETTING_GRACE] = (struct origin){ ORIGIN_CLI, 0 };
	cr_expect_str_eq(settings_origin_text(&s, SETTING_GRACE, buf,
					      sizeof(buf)),
			 "--grace");
	s.origin[SETTING_COMMAND] = (struct origin){ ORIGIN_CLI, 0 };
	cr_expect_str_eq(settings_origin_text(&s, SETTING_COMMAND, buf,
					      sizeof(buf)),
			 "command line");
	/* Truncated, still terminated. */
	cr_expect_str_eq(settings_origin_text(&s, SETTING_GRACE, buf, 4),
			 "--g");
	settings_done(&s);
	cr_expect_eq(s.grace_ms, 10000, "settings_done resets");
	cr_expect_eq(s.origin[SETTING_GRACE].kind, ORIGIN_DEFAULT);
}

/* The one reader of values, by the row's type; on error nothing changes. */
Test(config, settings_set_reads_by_type_and_changes_nothing_on_error)
{
	struct settings s;
	char problem[128];

	settings_init(&s);
	cr_expect_eq(settings_set(&s, SETTING_GRACE, "2.5", problem,
				  sizeof(problem)),
		     0);
	cr_expect_eq(s.grace_ms, 2500);
	cr_expect_eq(settings_set(&s, SETTING_GRACE, "3601", problem,
				  sizeof(problem)),
		     -EINVAL);
	cr_expect_str_eq(problem, "is more than the maximum of 3600 seconds");
	cr_expect_eq(s.grace_ms, 2500);
	cr_expect_eq(settings_set(&s, SETTING_RESTART_MAX, "x", problem,
				  sizeof(problem)),
		     -EINVAL);
	cr_expect_str_eq(problem, "is not a whole number (0..1000)");
	cr_expect_eq(s.restart_max, 5);

	/* A FROM once per list, even rewritten to itself. */
	cr_expect_eq(settings_set(&s, SETTING_REWRITE, "TERM:TERM", problem,
				  sizeof(problem)),
		     0);
	cr_expect_eq(settings_set(&s, SETTING_REWRITE, "15:QUIT", problem,
				  sizeof(problem)),
		     -EINVAL);
	cr_expect_str_eq(problem, "rewrites TERM a second time");
	cr_expect_eq(s.rewrite[SIGTERM], SIGTERM);
	settings_clear(&s, SETTING_REWRITE);
	cr_expect_eq(settings_set(&s, SETTING_REWRITE, "15:QUIT", problem,
				  sizeof(problem)),
		     0);
	cr_expect_eq(s.rewrite[SIGTERM], SIGQUIT);

	/* A flag given bare turns on; auto is a value of its own. */
	cr_expect_eq(settings_set(&s, SETTING_SUBREAPER, NULL, problem,
				  sizeof(problem)),
		     0);
	cr_expect_eq(s.subreaper, SUBREAPER_ON);
	cr_expect_eq(settings_set(&s, SETTING_SUBREAPER, "auto", problem,
				  sizeof(problem)),
		     0);
	cr_expect_eq(s.subreaper, SUBREAPER_AUTO);
	cr_expect_eq(settings_set(&s, SETTING_CREATE_DIRS, NULL, problem,
				  sizeof(problem)),
		     0);
	cr_expect(s.create_dirs);

	/* Lists add items; clearing empties them. */
	cr_expect_eq(settings_set(&s, SETTING_SUCCESS_EXIT, "143", problem,
				  sizeof(problem)),
		     0);
	cr_expect(settings_status_listed(s.success_exit, 143));
	settings_clear(&s, SETTING_SUCCESS_EXIT);
	cr_expect_not(settings_status_listed(s.success_exit, 143));
	cr_expect_eq(settings_set(&s, SETTING_HEALTH_ADDR, "::1", problem,
				  sizeof(problem)),
		     0);
	cr_expect_str_eq(s.health_addr, "::1");
	cr_expect_eq(settings_set(&s, SETTING_HEALTH_ADDR, "x", problem,
				  sizeof(problem)),
		     -EINVAL);
	cr_expect_str_eq(s.health_addr, "::1");
	/* The longest address text fits; one character more is refused. */
	cr_expect_eq(
		settings_set(&s, SETTING_HEALTH_ADDR,
			     "0000:0000:0000:0000:0000:ffff:255.255.255.255",
			     problem, sizeof(problem)),
		0);
	cr_expect_str_eq(s.health_addr,
			 "0000:0000:0000:0000:0000:ffff:255.255.255.255");
	cr_expect_eq(
		settings_set(&s, SETTING_HEALTH_ADDR,
			     "0000:0000:0000:0000:0000:ffff:255.255.255.2555",
			     problem, sizeof(problem)),
		-EINVAL);
	cr_expect(strstr(problem, "is not an IPv4 or IPv6 address"), "%s",
		  problem);
	cr_expect_str_eq(s.health_addr,
			 "0000:0000:0000:0000:0000:ffff:255.255.255.255");
	settings_done(&s);
}

Test(config, usage_names_every_option_and_variable)
{
	char buf[USAGE_MAX];
	const char *u = usage_text(buf, sizeof(buf));
	char want[64];

	for (int id = 0; id < SETTING_MAX; id++) {
		cr_expect(strstr(u, settings_def(id)->env), "usage lacks %s",
			  settings_def(id)->env);
		if (settings_def(id)->option[0]) {
			snprintf(want, sizeof(want), "--%s ",
				 settings_def(id)->option);
			if (settings_def(id)->kind == SETTING_KIND_FLAG)
				snprintf(want, sizeof(want), "--%s",
					 settings_def(id)->option);
			cr_expect(strstr(u, want), "usage lacks %s", want);
		}
		if (settings_def(id)->short_option) {
			snprintf(want, sizeof(want), "-%c, --%s",
				 settings_def(id)->short_option,
				 settings_def(id)->option);
			cr_expect(strstr(u, want), "usage lacks %s", want);
		}
		if (id != SETTING_COMMAND)
			cr_expect(strstr(u, settings_def(id)->key),
				  "usage lacks key %s", settings_def(id)->key);
	}
	/* The options of the command line alone, too. */
	for (int id = SETTING_MAX; id < OPTION_MAX; id++) {
		snprintf(want, sizeof(want), "--%s", settings_def(id)->option);
		cr_expect(strstr(u, want), "usage lacks %s", want);
		snprintf(want, sizeof(want), "-%c, --%s",
			 settings_def(id)->short_option,
			 settings_def(id)->option);
		cr_expect(!settings_def(id)->short_option || strstr(u, want),
			  "usage lacks %s", want);
	}
	cr_expect(strstr(u, "pidone [OPTIONS] [--] COMMAND [ARG...]"));
	cr_expect(strstr(u, "pidone check [OPTIONS] [--] [COMMAND...]"));
	cr_expect(strstr(
		u, "pidone health [--ready] [--url URL] [--timeout SECS]"));
	cr_expect(strstr(u, "--version | -V"));
	cr_expect(strstr(u, "PIDONE_CONFIG"));
	cr_expect(strstr(u, "64 usage error"));
	cr_expect(strstr(u, "78 configuration error"));
	cr_expect(strstr(u, "127 command"));
}

/* ------------------------------------------------------------------ */
/* The settings table, walked                                            */
/* ------------------------------------------------------------------ */

/* A valid and an invalid value for every type of the table. */
static const char *const type_values[SETTING_TYPE_MAX][2] = {
	[SETTING_TYPE_COMMAND] = { "[\"app\",\"-x\"]", "app -x" },
	[SETTING_TYPE_USER] = { "1000:1000", "a b" },
	[SETTING_TYPE_PATH] = { "/data", "data" },
	[SETTING_TYPE_BOOL] = { "yes", "maybe" },
	[SETTING_TYPE_SECONDS] = { "2.5", "2s" },
	[SETTING_TYPE_ENUM] = { NULL, "bogus" }, /* valid: its last name */
	[SETTING_TYPE_SIGNAL] = { "TERM:QUIT", "TERM" },
	[SETTING_TYPE_STATUS] = { "143", "256" },
	[SETTING_TYPE_COUNT] = { "3", "-1" },
	[SETTING_TYPE_PORT] = { "9000", "70000" },
	[SETTING_TYPE_ADDRESS] = { "::1", "1.2.3" },
	[SETTING_TYPE_HOSTPORT] = { "127.0.0.1:80", "x:y" },
	[SETTING_TYPE_AUTO_BOOL] = { "off", "sometimes" },
	[SETTING_TYPE_URL] = { "http://127.0.0.1:8000/health",
			       "http://app:8000/" },
	[SETTING_TYPE_PERIOD] = { "0.5", "0" },
	[SETTING_TYPE_TIMES] = { "3", "0" },
	[SETTING_TYPE_SIGNO] = { "HUP", "TERM" },
};

static const char *table_value(enum setting_id id, bool valid)
{
	const struct setting_def *d = settings_def(id);
	const char *v = type_values[d->type][valid ? 0 : 1];

	if (valid && d->type == SETTING_TYPE_ENUM)
		for (int i = 0; i < SETTING_NAMES_MAX && d->names[i][0]; i++)
			v = d->names[i];
	cr_assert_not_null(v, "no test value for %s", d->env);
	return v;
}

/* Load once and check the result: @where must name the place of a bad value. */
static void walk_one(enum setting_id id, const char *ini,
		     const char *const *args, const char *const *env,
		     bool valid, enum origin_kind kind, const char *where,
		     int bad_code)
{
	struct settings s;
	struct config_error e;
	int r = load(&s, &e, ini, args, env, NULL);

	if (valid) {
		cr_expect_eq(r, CONFIG_ACTION_RUN, "%s: %s", where, e.text);
		cr_expect_eq(s.origin[id].kind, kind, "%s: origin %d", where,
			     s.origin[id].kind);
	} else {
		cr_expect_eq(r, -EINVAL, "%s accepted an invalid value", where);
		cr_expect_eq(e.exit_code, bad_code, "%s: exit %d", where,
			     e.exit_code);
		cr_expect(strstr(e.text, where), "\"%s\" does not name %s",
			  e.text, where);
	}
	settings_done(&s);
}

Test(config, table_every_setting_in_every_layer)
{
	char ini[512], envv[128], opt[40], section[40];

	for (int id = 0; id < SETTING_MAX; id++) {
		const struct setting_def *d = settings_def(id);
		bool command = id == SETTING_COMMAND;
		const char *const *app = command ? NO_ARGS : ARGS("app");

		for (int valid = 0; valid <= 1; valid++) {
			const char *v = table_value(id, valid);

			snprintf(ini, sizeof(ini), "[%s]\n%s = %s\n",
				 d->section, d->key, v);
			snprintf(section, sizeof(section), ":2: [%s] %s",
				 d->section, d->key);
			walk_one(id, ini, app, NULL, valid, ORIGIN_FILE,
				 section, EX_CONFIG);
			snprintf(envv, sizeof(envv), "%s=%s", d->env, v);
			walk_one(id, NULL, app, ENV(envv), valid, ORIGIN_ENV,
				 d->env, EX_CONFIG);
			if (command)
				continue; /* positional words on the line */
			snprintf(opt, sizeof(opt), "--%s", d->option);
			if (d->kind == SETTING_KIND_FLAG) {
				/* A flag is valid bare, and takes no value. */
				char with[64];

				snprintf(with, sizeof(with), "--%s=%s",
					 d->option, v);
				walk_one(id, NULL,
					 valid ? ARGS(opt, "app") :
						 ARGS(with, "app"),
					 NO_ENV, valid, ORIGIN_CLI, opt,
					 EX_USAGE);
				continue;
			}
			walk_one(id, NULL, ARGS(opt, v, "app"), NO_ENV, valid,
				 ORIGIN_CLI, opt, EX_CONFIG);
			if (d->short_option) {
				char letter[3] = { '-', d->short_option, 0 };

				walk_one(id, NULL, ARGS(letter, v, "app"),
					 NO_ENV, valid, ORIGIN_CLI, letter,
					 EX_CONFIG);
			}
		}
	}
}

/* The text of @rel under the source tree, in @buf. */
static const char *read_source(const char *rel, char *buf, size_t size)
{
	const char *srcdir = getenv("srcdir");
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", srcdir ? srcdir : ".", rel);
	if (access(path, R_OK) != 0)
		snprintf(path, sizeof(path), "%s/%s", PIDONE_TEST_SRCDIR, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "cannot open %s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	close(fd);
	cr_assert(n > 0 && (size_t)n < size - 1, "%s: read %zd", path, n);
	buf[n] = '\0';
	return buf;
}

/* Does @word occur in @text, not followed by more of a name? */
static bool has_word(const char *text, const char *word)
{
	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
		char next = p[strlen(word)];

		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-",
			    next) ||
		    next == '\0')
			return true;
	}
	return false;
}

/*
 * Is there an occurrence of @token as a word in @text (followed by a
 * blank, a quote or the end of the line: "--restart" is not
 * "--restart-max") such that @a and @b follow within its line (@lines 1)
 * or within its first @lines lines?
 */
static bool has_entry(const char *text, const char *token, const char *a,
		      const char *b, int lines)
{
	char span[1024];

	for (const char *p = strstr(text, token); p; p = strstr(p + 1, token)) {
		char next = p[strlen(token)];
		const char *start = p, *end = p;

		if (next != ' ' && next != '"' && next != '\n' && next != '\0')
			continue;
		while (start > text && start[-1] != '\n')
			start--;
		for (int n = 0; n < lines && end; n++) {
			end = strchr(end, '\n');
			end = end ? end + 1 : NULL;
		}
		end = end ? end : p + strlen(p);
		snprintf(span, sizeof(span), "%.*s", (int)(end - start), start);
		if (has_word(span, a) && has_word(span, b))
			return true;
	}
	return false;
}

Test(config, table_names_match_help_man_page_and_readme)
{
	static char man[131072], readme[262144];
	char usage[USAGE_MAX], tok[128], key[64], man_opt[64];

	usage_text(usage, sizeof(usage));
	read_source("src/pidone.8", man, sizeof(man));
	read_source("README", readme, sizeof(readme));
	for (int id = 0; id < SETTING_MAX; id++) {
		const struct setting_def *d = settings_def(id);
		char *w = man_opt;

		snprintf(key, sizeof(key), "[%s] %s", d->section, d->key);
		if (!d->option[0]) {
			cr_expect(strstr(readme, d->env), "README lacks %s",
				  d->env);
			cr_expect(strstr(man, d->env), "man lacks %s", d->env);
			continue;
		}
		/* --help and README: option, variable (and key) on one line. */
		snprintf(tok, sizeof(tok), "--%s", d->option);
		cr_expect(has_entry(usage, tok, d->env, d->env, 1),
			  "--help has no line with %s and %s", tok, d->env);
		cr_expect(has_entry(readme, tok, d->env, key, 1),
			  "README has no line with %s, %s and %s", tok, d->env,
			  key);
		if (d->short_option) {
			snprintf(tok, sizeof(tok), "-%c, --%s", d->short_option,
				 d->option);
			cr_expect(strstr(usage, tok), "--help lacks %s", tok);
			cr_expect(strstr(readme, tok), "README lacks %s", tok);
		}
		/* The man page: .BI \-\-grace, then (PIDONE_GRACE, "[process] grace"). */
		w += snprintf(man_opt, sizeof(man_opt), "\\-\\-");
		for (const char *p = d->option; *p; p++)
			w += snprintf(w,
				      sizeof(man_opt) - (size_t)(w - man_opt),
				      *p == '-' ? "\\-" : "%c", *p);
		cr_expect(has_entry(man, man_opt, d->env, key, 3),
			  "man page: no %s followed by %s and \"%s\"", man_opt,
			  d->env, key);
		if (d->short_option) {
			snprintf(tok, sizeof(tok), "\\-%c \", \" %s",
				 d->short_option, man_opt);
			cr_expect(strstr(man, tok), "man page lacks %s", tok);
		}
	}
	for (int id = SETTING_MAX; id < OPTION_MAX; id++) {
		snprintf(tok, sizeof(tok), "\\-\\-%s",
			 settings_def(id)->option);
		cr_expect(strstr(man, tok), "man page lacks %s", tok);
		snprintf(tok, sizeof(tok), "--%s", settings_def(id)->option);
		cr_expect(strstr(readme, tok), "README lacks %s", tok);
	}
}
