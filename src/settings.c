/* SPDX-License-Identifier: MIT */
/*
 * settings.c - the settings of the README's Options: their defaults, the one
 * table that describes them (long and short option, environment variable,
 * INI section and key, how each is given, value type, field, limit, value
 * names, help text) and where each value came from.
 *
 * The table below is the single source of these facts: the argv parser,
 * the environment and INI layers of config.c, --help, `pidone check` and
 * the tests all read it, so a setting cannot be spelt two ways. No I/O, no
 * globals (the table is const), no logging.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "strv.h"
#include "banned.h"

/*
 * A row: names, how given (VALUE, LIST, FLAG), type, the field, limit,
 * help text (value, default, note) and, last, the names of an enum.
 */
#define ROW(opt, c, env, sec, key, kind, type, field, max, arg, def, note,     \
	    ...)                                                               \
	{                                                                      \
		opt, c, env, sec, key, SETTING_KIND_##kind,                    \
			SETTING_TYPE_##type,                                   \
			(unsigned short)offsetof(struct settings, field), max, \
			{ __VA_ARGS__ }, arg, def, note                        \
	}

/*
 * The table: one row per setting, in the order of the documentation.
 * Adding a setting is a row here, a field in struct settings, its
 * default in settings_init and its effect.
 */
static const struct setting_def setting_defs[SETTING_MAX] = {
	[SETTING_COMMAND] = ROW("", 0, "PIDONE_COMMAND", "process", "command",
				COMMAND, COMMAND, command, 0, "", "none", "",
				""),
	[SETTING_USER] = ROW("user", 'u', "PIDONE_USER", "process", "user",
			     VALUE, USER, user, 0, "USER[:GROUP]",
			     SETTINGS_DEFAULT_USER, ", or keep", ""),
	[SETTING_WRITABLE] = ROW("writable", 'w', "PIDONE_WRITABLE", "dirs",
				 "writable", LIST, PATH, writable, 0, "DIR",
				 "$TMPDIR or /tmp", "", ""),
	[SETTING_CREATE_DIRS] = ROW("create-dirs", 0, "PIDONE_CREATE_DIRS",
				    "dirs", "create", FLAG, BOOL, create_dirs,
				    0, "", "off", "", ""),
	[SETTING_GRACE] = ROW("grace", 't', "PIDONE_GRACE", "process", "grace",
			      VALUE, SECONDS, grace_ms, 3600, "SECS", "10",
			      " (max 3600)", ""),
	[SETTING_DRAIN] = ROW("drain", 0, "PIDONE_DRAIN", "process", "drain",
			      VALUE, SECONDS, drain_ms, 3600, "SECS", "0",
			      " (forward a stop at once)", ""),
	[SETTING_FORWARD] = ROW("forward", 0, "PIDONE_FORWARD", "signals",
				"forward", VALUE, ENUM, forward, 0,
				"group|child", "group", "", "group", "child"),
	[SETTING_REWRITE] = ROW("rewrite", 0, "PIDONE_REWRITE", "signals",
				"rewrite", LIST, SIGNAL, rewrite, 0, "SIG:SIG",
				"none", " (e.g. TERM:QUIT)", ""),
	[SETTING_SUCCESS_EXIT] = ROW("success-exit", 0, "PIDONE_SUCCESS_EXIT",
				     "process", "success_exit", LIST, STATUS,
				     success_exit, 255, "N", "none",
				     " (e.g. 143)", ""),
	[SETTING_RESTART] = ROW("restart", 0, "PIDONE_RESTART", "process",
				"restart", VALUE, ENUM, restart, 0, "POLICY",
				"never", " (on-failure, always)", "never",
				"on-failure", "always"),
	[SETTING_RESTART_MAX] = ROW("restart-max", 0, "PIDONE_RESTART_MAX",
				    "process", "restart_max", VALUE, COUNT,
				    restart_max, 1000, "N", "5",
				    " (per 10 minutes)", ""),
	[SETTING_HEALTH_PORT] = ROW("health-port", 'p', "PIDONE_HEALTH_PORT",
				    "health", "port", VALUE, PORT, health_port,
				    65535, "PORT", "8081", " (0: no server)",
				    ""),
	[SETTING_HEALTH_ADDR] = ROW("health-addr", 0, "PIDONE_HEALTH_ADDR",
				    "health", "address", VALUE, ADDRESS,
				    health_addr, 0, "ADDR", "all interfaces",
				    "", ""),
	[SETTING_READY_DELAY] = ROW("ready-delay", 0, "PIDONE_READY_DELAY",
				    "health", "ready_delay", VALUE, SECONDS,
				    ready_delay_ms, 86400, "SECS", "0", "", ""),
	[SETTING_READY_TCP] = ROW("ready-tcp", 0, "PIDONE_READY_TCP", "health",
				  "ready_tcp", VALUE, HOSTPORT, ready_tcp_host,
				  0, "[HOST:]PORT", "none", "", ""),
	[SETTING_READY_NOTIFY] = ROW("ready-notify", 0, "PIDONE_READY_NOTIFY",
				     "health", "ready_notify", FLAG, BOOL,
				     ready_notify, 0, "", "off", "", ""),
	[SETTING_WATCHDOG] = ROW("watchdog", 0, "PIDONE_WATCHDOG", "health",
				 "watchdog", VALUE, SECONDS, watchdog_ms, 86400,
				 "SECS", "0", " (off)", ""),
	[SETTING_LOG_FORMAT] = ROW("log-format", 0, "PIDONE_LOG_FORMAT", "log",
				   "format", VALUE, ENUM, log_format, 0,
				   "json|text", "json", "", "json", "text"),
	[SETTING_LOG_LEVEL] = ROW("log-level", 0, "PIDONE_LOG_LEVEL", "log",
				  "level", VALUE, ENUM, log_level, 0, "LEVEL",
				  "info", " (error, warn, debug)", "error",
				  "warn", "info", "debug"),
	[SETTING_SUBREAPER] = ROW("subreaper", 0, "PIDONE_SUBREAPER", "process",
				  "subreaper", FLAG, AUTO_BOOL, subreaper, 0,
				  "", "automatic when not PID 1", "", "auto",
				  "on", "off"),
};

static const char ini_sections[][8] = { "process", "dirs", "signals", "health",
					"log" };

/* Row @id of the table, or NULL. */
const struct setting_def *settings_def(enum setting_id id)
{
	return (unsigned)id < SETTING_MAX ? &setting_defs[id] : NULL;
}

/* The name of @value of an ENUM or AUTO_BOOL setting, or "?". */
const char *settings_value_name(enum setting_id id, int value)
{
	const struct setting_def *d = settings_def(id);

	if (!d || value < 0 || value >= SETTING_NAMES_MAX ||
	    !d->names[value][0])
		return "?";
	return d->names[value];
}

/* The defaults (README, Options; see settings.h). */
void settings_init(struct settings *s)
{
	/* config.c and check.c reach enum fields as int, offsets as short. */
	_Static_assert(sizeof(enum forward_mode) == sizeof(int) &&
			       sizeof(enum restart_policy) == sizeof(int) &&
			       sizeof(enum log_format) == sizeof(int) &&
			       sizeof(enum log_level) == sizeof(int) &&
			       sizeof(enum subreaper_mode) == sizeof(int),
		       "enum settings are not int-sized");
	_Static_assert(sizeof(*s) <= 65535, "struct settings too large");
	memset(s, 0, sizeof(*s));
	_Static_assert(sizeof(SETTINGS_DEFAULT_USER) <= sizeof(s->user),
		       "default user too long");
	memcpy(s->user, SETTINGS_DEFAULT_USER, sizeof(SETTINGS_DEFAULT_USER));
	s->grace_ms = 10 * 1000;
	s->forward = FORWARD_GROUP;
	for (int sig = 0; sig <= SIGNAME_MAX; sig++)
		s->rewrite[sig] = sig;
	s->restart = RESTART_NEVER;
	s->restart_max = 5;
	s->health_port = 8081;
	s->log_format = LOG_FORMAT_JSON;
	s->log_level = LOG_LEVEL_INFO;
	s->subreaper = SUBREAPER_AUTO;
	s->probe_timeout_ms = 3 * 1000;
	for (int id = 0; id < SETTING_MAX; id++)
		s->origin[id] = (struct origin){ .kind = ORIGIN_DEFAULT };
}

/* Free what @s owns and return it to the defaults. */
void settings_done(struct settings *s)
{
	strv_free(s->command);
	strv_free(s->writable);
	free(s->health_addr);
	free(s->ready_tcp_host);
	free(s->config_path);
	free(s->probe_url);
	settings_init(s);
}

/* Is @status listed by --success-exit? */
bool settings_is_success_exit(const struct settings *s, int status)
{
	if (status < 0 || status >= SETTINGS_EXIT_STATUSES)
		return false;
	return s->success_exit[status / 8] & (1u << (status % 8));
}

/* The long option of @id, without "--" (NULL for the command). */
const char *settings_option_name(enum setting_id id)
{
	const struct setting_def *n = settings_def(id);

	return n && n->option[0] ? n->option : NULL;
}

/* The PIDONE_* variable of @id. */
const char *settings_env_name(enum setting_id id)
{
	const struct setting_def *n = settings_def(id);

	return n ? n->env : NULL;
}

/* The INI section of @id. */
const char *settings_ini_section(enum setting_id id)
{
	const struct setting_def *n = settings_def(id);

	return n ? n->section : NULL;
}

/* The INI key of @id. */
const char *settings_ini_key(enum setting_id id)
{
	const struct setting_def *n = settings_def(id);

	return n ? n->key : NULL;
}

/* The one-letter option of @id, or 0. */
char settings_short_option(enum setting_id id)
{
	const struct setting_def *n = settings_def(id);

	return n ? n->short_option : 0;
}

/* How @id is given: value, list, flag or the command. */
enum setting_kind settings_kind(enum setting_id id)
{
	const struct setting_def *n = settings_def(id);

	return n ? n->kind : SETTING_KIND_MAX;
}

/* The default of @id in the README's words. */
const char *settings_default_text(enum setting_id id)
{
	const struct setting_def *n = settings_def(id);

	return n ? n->default_text : NULL;
}

/* The setting of long option @name, or -ENOENT. */
int settings_from_option(const char *name)
{
	for (int id = 0; id < SETTING_MAX; id++)
		if (setting_defs[id].option[0] &&
		    strcmp(setting_defs[id].option, name) == 0)
			return id;
	return -ENOENT;
}

/* The setting of short option @c, or -ENOENT. */
int settings_from_short_option(char c)
{
	for (int id = 0; c && id < SETTING_MAX; id++)
		if (setting_defs[id].short_option == c)
			return id;
	return -ENOENT;
}

/* The setting of variable @name, or -ENOENT. */
int settings_from_env(const char *name)
{
	for (int id = 0; id < SETTING_MAX; id++)
		if (strcmp(setting_defs[id].env, name) == 0)
			return id;
	return -ENOENT;
}

/* The setting of INI @section and @key, or -ENOENT. */
int settings_from_ini(const char *section, const char *key)
{
	for (int id = 0; id < SETTING_MAX; id++)
		if (strcmp(setting_defs[id].section, section) == 0 &&
		    strcmp(setting_defs[id].key, key) == 0)
			return id;
	return -ENOENT;
}

/* Is @section one of the five INI sections? */
bool settings_is_ini_section(const char *section)
{
	for (size_t i = 0; i < sizeof(ini_sections) / sizeof(ini_sections[0]);
	     i++)
		if (strcmp(ini_sections[i], section) == 0)
			return true;
	return false;
}

/* "default", "--grace", "PIDONE_GRACE" or "FILE:LINE" into @buf. */
const char *settings_origin_text(const struct settings *s, enum setting_id id,
				 char *buf, unsigned buflen)
{
	const struct setting_def *n = settings_def(id);
	const struct origin *o;

	/* snprintf truncates and terminates: enough for a message. */
	if (buflen == 0)
		return buf;
	if (!n) {
		snprintf(buf, buflen, "unknown");
		return buf;
	}
	o = &s->origin[id];
	switch (o->kind) {
	case ORIGIN_FILE:
		snprintf(buf, buflen, "%s:%u",
			 s->config_path ? s->config_path : "config file",
			 o->line);
		break;
	case ORIGIN_ENV:
		snprintf(buf, buflen, "%s", n->env);
		break;
	case ORIGIN_CLI:
		if (n->option[0])
			snprintf(buf, buflen, "--%s", n->option);
		else
			snprintf(buf, buflen, "command line");
		break;
	case ORIGIN_DEFAULT:
	case ORIGIN_MAX:
	default:
		snprintf(buf, buflen, "default");
		break;
	}
	return buf;
}
