/* SPDX-License-Identifier: MIT */
/*
 * settings.c - the settings of the README's Options: their defaults, their names
 * (one table: long option, short option, environment variable, INI section
 * and key, how each is given) and where each value came from.
 *
 * The table below is the single source of these names: the argv parser,
 * the environment and INI layers of config.c, `pidone check` and the
 * tests all read it, so a setting cannot be spelt two ways. No I/O, no
 * globals (the table is const), no logging.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "strv.h"
#include "banned.h"

/*
 * Arrays rather than pointers, so that the table is plain .rodata (no
 * relocations, nothing writable: nm shows no writable data).
 */
struct setting_name {
	char option[16]; /* without "--"; "" for none */
	char short_option;
	char env[24];
	char section[8];
	char key[16];
	enum setting_kind kind;
	char default_text[32];
};

static const struct setting_name setting_names[SETTING_MAX] = {
	[SETTING_COMMAND] = { "", 0, "PIDONE_COMMAND", "process", "command",
			      SETTING_KIND_COMMAND, "none" },
	[SETTING_USER] = { "user", 'u', "PIDONE_USER", "process", "user",
			   SETTING_KIND_VALUE, SETTINGS_DEFAULT_USER },
	[SETTING_WRITABLE] = { "writable", 'w', "PIDONE_WRITABLE", "dirs",
			       "writable", SETTING_KIND_LIST,
			       "$TMPDIR or /tmp" },
	[SETTING_CREATE_DIRS] = { "create-dirs", 0, "PIDONE_CREATE_DIRS",
				  "dirs", "create", SETTING_KIND_FLAG, "off" },
	[SETTING_GRACE] = { "grace", 't', "PIDONE_GRACE", "process", "grace",
			    SETTING_KIND_VALUE, "10" },
	[SETTING_FORWARD] = { "forward", 0, "PIDONE_FORWARD", "signals",
			      "forward", SETTING_KIND_VALUE, "group" },
	[SETTING_REWRITE] = { "rewrite", 0, "PIDONE_REWRITE", "signals",
			      "rewrite", SETTING_KIND_LIST, "none" },
	[SETTING_SUCCESS_EXIT] = { "success-exit", 0, "PIDONE_SUCCESS_EXIT",
				   "process", "success_exit", SETTING_KIND_LIST,
				   "none" },
	[SETTING_RESTART] = { "restart", 0, "PIDONE_RESTART", "process",
			      "restart", SETTING_KIND_VALUE, "never" },
	[SETTING_RESTART_MAX] = { "restart-max", 0, "PIDONE_RESTART_MAX",
				  "process", "restart_max", SETTING_KIND_VALUE,
				  "5" },
	[SETTING_HEALTH_PORT] = { "health-port", 'p', "PIDONE_HEALTH_PORT",
				  "health", "port", SETTING_KIND_VALUE,
				  "8081" },
	[SETTING_HEALTH_ADDR] = { "health-addr", 0, "PIDONE_HEALTH_ADDR",
				  "health", "address", SETTING_KIND_VALUE,
				  "all interfaces" },
	[SETTING_READY_DELAY] = { "ready-delay", 0, "PIDONE_READY_DELAY",
				  "health", "ready_delay", SETTING_KIND_VALUE,
				  "0" },
	[SETTING_READY_TCP] = { "ready-tcp", 0, "PIDONE_READY_TCP", "health",
				"ready_tcp", SETTING_KIND_VALUE, "none" },
	[SETTING_READY_NOTIFY] = { "ready-notify", 0, "PIDONE_READY_NOTIFY",
				   "health", "ready_notify", SETTING_KIND_FLAG,
				   "off" },
	[SETTING_WATCHDOG] = { "watchdog", 0, "PIDONE_WATCHDOG", "health",
			       "watchdog", SETTING_KIND_VALUE, "off" },
	[SETTING_LOG_FORMAT] = { "log-format", 0, "PIDONE_LOG_FORMAT", "log",
				 "format", SETTING_KIND_VALUE, "json" },
	[SETTING_LOG_LEVEL] = { "log-level", 0, "PIDONE_LOG_LEVEL", "log",
				"level", SETTING_KIND_VALUE, "info" },
	[SETTING_SUBREAPER] = { "subreaper", 0, "PIDONE_SUBREAPER", "process",
				"subreaper", SETTING_KIND_FLAG,
				"automatic when not PID 1" },
};

static const char ini_sections[][8] = { "process", "dirs", "signals", "health",
					"log" };

static const struct setting_name *name_of(enum setting_id id)
{
	if ((unsigned)id >= SETTING_MAX)
		return NULL;
	return &setting_names[id];
}

/* The defaults the README's Options list (see settings.h). */
void settings_init(struct settings *s)
{
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
	const struct setting_name *n = name_of(id);

	return n && n->option[0] ? n->option : NULL;
}

/* The PIDONE_* variable of @id. */
const char *settings_env_name(enum setting_id id)
{
	const struct setting_name *n = name_of(id);

	return n ? n->env : NULL;
}

/* The INI section of @id. */
const char *settings_ini_section(enum setting_id id)
{
	const struct setting_name *n = name_of(id);

	return n ? n->section : NULL;
}

/* The INI key of @id. */
const char *settings_ini_key(enum setting_id id)
{
	const struct setting_name *n = name_of(id);

	return n ? n->key : NULL;
}

/* The one-letter option of @id, or 0. */
char settings_short_option(enum setting_id id)
{
	const struct setting_name *n = name_of(id);

	return n ? n->short_option : 0;
}

/* How @id is given: value, list, flag or the command. */
enum setting_kind settings_kind(enum setting_id id)
{
	const struct setting_name *n = name_of(id);

	return n ? n->kind : SETTING_KIND_MAX;
}

/* The default of @id as the README's Options write it. */
const char *settings_default_text(enum setting_id id)
{
	const struct setting_name *n = name_of(id);

	return n ? n->default_text : NULL;
}

/* The setting of long option @name, or -ENOENT. */
int settings_from_option(const char *name)
{
	for (int id = 0; id < SETTING_MAX; id++)
		if (setting_names[id].option[0] &&
		    strcmp(setting_names[id].option, name) == 0)
			return id;
	return -ENOENT;
}

/* The setting of short option @c, or -ENOENT. */
int settings_from_short_option(char c)
{
	for (int id = 0; c && id < SETTING_MAX; id++)
		if (setting_names[id].short_option == c)
			return id;
	return -ENOENT;
}

/* The setting of variable @name, or -ENOENT. */
int settings_from_env(const char *name)
{
	for (int id = 0; id < SETTING_MAX; id++)
		if (strcmp(setting_names[id].env, name) == 0)
			return id;
	return -ENOENT;
}

/* The setting of INI @section and @key, or -ENOENT. */
int settings_from_ini(const char *section, const char *key)
{
	for (int id = 0; id < SETTING_MAX; id++)
		if (strcmp(setting_names[id].section, section) == 0 &&
		    strcmp(setting_names[id].key, key) == 0)
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
	const struct setting_name *n = name_of(id);
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
