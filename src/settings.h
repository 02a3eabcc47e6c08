/* SPDX-License-Identifier: MIT */
/*
 * settings.h - every setting of the README's Options, the one table that
 * defines them, their values merged from defaults, the INI file, the
 * environment and the command line, and where each came from.
 */
#ifndef PIDONE_SETTINGS_H
#define PIDONE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "signame.h"

enum forward_mode { FORWARD_GROUP, FORWARD_CHILD, FORWARD_MAX };

enum restart_policy {
	RESTART_NEVER,
	RESTART_ON_FAILURE,
	RESTART_ALWAYS,
	RESTART_MAX
};

enum subreaper_mode {
	SUBREAPER_AUTO,
	SUBREAPER_ON,
	SUBREAPER_OFF,
	SUBREAPER_MAX
};

/* One per row of the README's Options, in its order, plus the command. */
enum setting_id {
	SETTING_COMMAND,
	SETTING_USER,
	SETTING_WRITABLE,
	SETTING_CREATE_DIRS,
	SETTING_GRACE,
	SETTING_DRAIN,
	SETTING_FORWARD,
	SETTING_REWRITE,
	SETTING_SUCCESS_EXIT,
	SETTING_RESTART,
	SETTING_RESTART_MAX,
	SETTING_NO_RESTART_EXIT,
	SETTING_RELOAD_SIGNAL,
	SETTING_WATCH,
	SETTING_WATCH_SIGNAL,
	SETTING_HEALTH_PORT,
	SETTING_HEALTH_ADDR,
	SETTING_READY_DELAY,
	SETTING_READY_TCP,
	SETTING_READY_NOTIFY,
	SETTING_WATCHDOG,
	SETTING_READY_HTTP,
	SETTING_LIVE_HTTP,
	SETTING_CHECK_INTERVAL,
	SETTING_CHECK_TIMEOUT,
	SETTING_CHECK_FAILURES,
	SETTING_LOG_FORMAT,
	SETTING_LOG_LEVEL,
	SETTING_SUBREAPER,
	SETTING_MAX,
	/* Options of the command line alone: no variable, no key, no origin. */
	OPTION_CONFIG = SETTING_MAX,
	OPTION_HELP,
	OPTION_VERSION,
	OPTION_PROBE_READY,
	OPTION_PROBE_URL,
	OPTION_PROBE_TIMEOUT,
	OPTION_STATUS_JSON,
	OPTION_MAX
};

/* What pidone was asked to do: the first word of its command line. */
enum config_action {
	CONFIG_ACTION_RUN, /* pidone [OPTIONS] [--] COMMAND... */
	CONFIG_ACTION_CHECK, /* pidone check ... */
	CONFIG_ACTION_HEALTH, /* pidone health ... */
	CONFIG_ACTION_STATUS, /* pidone status ... */
	CONFIG_ACTION_HELP,
	CONFIG_ACTION_VERSION,
	CONFIG_ACTION_MAX
};

enum origin_kind {
	ORIGIN_DEFAULT,
	ORIGIN_FILE,
	ORIGIN_ENV,
	ORIGIN_CLI,
	ORIGIN_MAX
};

/* Where a setting's value came from, for error messages and `check`. */
struct origin {
	enum origin_kind kind;
	unsigned line; /* ORIGIN_FILE: line in settings.config_path */
};

#define SETTINGS_EXIT_STATUSES 256

/* Longest "USER[:GROUP]" accepted, NUL included. */
#define SETTINGS_USER_MAX 256
/* The longest IPv6 text inet_pton reads, 45 characters, and its NUL. */
#define SETTINGS_ADDRESS_MAX 46

struct settings {
	char **command; /* NULL-terminated argv; NULL when none was given */
	/* "USER[:GROUP]" or "keep"; an array, so settings_init cannot fail */
	char user[SETTINGS_USER_MAX];
	char **writable; /* NULL-terminated list of directories; NULL: none */
	bool create_dirs;
	unsigned grace_ms;
	unsigned drain_ms; /* on a stop, serve on this long, then forward */
	enum forward_mode forward;
	/* rewrite[from] = to; from itself when not rewritten, 0 = drop */
	int rewrite[SIGNAME_MAX + 1];
	/* FROMs given since the list was last emptied: each only once */
	bool rewrite_given[SIGNAME_MAX + 1];
	bool success_exit[SETTINGS_EXIT_STATUSES]; /* reported as 0 */
	enum restart_policy restart;
	unsigned restart_max;
	bool no_restart_exit[SETTINGS_EXIT_STATUSES]; /* end, no restart */
	int reload_signal; /* received: reload the child; 0: none */
	char **watch; /* NULL-terminated paths whose change reloads; NULL */
	int watch_signal; /* on a change send it instead; 0: reload */
	unsigned health_port; /* 0 disables the server */
	/*
	 * "": all interfaces (dual-stack). An array: `pidone health` then
	 * allocates nothing, and the heap's first use is about 0.1 ms of it.
	 */
	char health_addr[SETTINGS_ADDRESS_MAX];
	unsigned ready_delay_ms;
	char *ready_tcp_host; /* NULL: loopback */
	unsigned ready_tcp_port; /* 0: no TCP readiness check */
	bool ready_notify;
	unsigned watchdog_ms; /* 0: off */
	char *ready_http; /* http://HOST:PORT/PATH; NULL: no app check */
	char *live_http; /* the same for liveness */
	unsigned check_interval_ms; /* from one app check's end to the next */
	unsigned check_timeout_ms; /* one app check's limit */
	unsigned check_failures; /* failures in a row that fail a check */
	enum log_format log_format;
	enum log_level log_level;
	enum subreaper_mode subreaper;

	char *config_path; /* the INI file read, NULL when none */
	bool config_on_line; /* --config given: the file asked for */
	struct origin origin[SETTING_MAX];

	/* `pidone health` only */
	bool probe_ready;
	bool status_json; /* pidone status --json */
	char *probe_url;
	unsigned probe_timeout_ms;
};

/*
 * How a setting is given. On the command line a FLAG takes no value and a
 * VALUE one; a LIST is a VALUE that may be repeated (comma-separated in
 * the environment and the INI file), and a higher layer's list replaces a
 * lower one's. COMMAND is the positional COMMAND [ARG...] on the line and
 * a JSON array of strings elsewhere.
 */
enum setting_kind {
	SETTING_KIND_VALUE,
	SETTING_KIND_LIST,
	SETTING_KIND_FLAG,
	SETTING_KIND_COMMAND,
	SETTING_KIND_MAX
};

/* What a value means, and so how settings_set reads it. */
enum setting_type {
	SETTING_TYPE_COMMAND, /* JSON array of strings (read by config.c) */
	SETTING_TYPE_OWN, /* --config, --help, --version: config.c acts */
	SETTING_TYPE_USER, /* USER[:GROUP] or keep */
	SETTING_TYPE_PATH, /* absolute path (a list item) */
	SETTING_TYPE_BOOL,
	SETTING_TYPE_SECONDS, /* up to max seconds, into milliseconds */
	SETTING_TYPE_ENUM, /* one of names[] */
	SETTING_TYPE_SIGNAL, /* FROM:TO signal rewrite (a list item) */
	SETTING_TYPE_STATUS, /* exit status 0..max (a list item) */
	SETTING_TYPE_COUNT, /* 0..max */
	SETTING_TYPE_PORT, /* 0..max */
	SETTING_TYPE_ADDRESS, /* IPv4 or IPv6 literal */
	SETTING_TYPE_HOSTPORT, /* [HOST:]PORT */
	SETTING_TYPE_AUTO_BOOL, /* names[0] (auto) or a boolean: on, off */
	SETTING_TYPE_URL, /* http://HOST[:PORT][/PATH], HOST an IP or localhost */
	SETTING_TYPE_PERIOD, /* like SECONDS, but more than 0 */
	SETTING_TYPE_TIMES, /* 1..max */
	SETTING_TYPE_SIGNO, /* one signal, not a stop (TERM INT QUIT) */
	SETTING_TYPE_MAX
};

#define SETTING_NAMES_MAX 4

/*
 * One row of the settings table: everything the command line, the
 * environment, the INI file, the defaults, --help, `check` and the
 * messages need. Arrays rather than pointers: the table is plain .rodata.
 */
struct setting_def {
	char option[16]; /* long option without "--"; "" for none */
	char short_option; /* or 0 */
	char env[24];
	char section[8];
	char key[16];
	unsigned char kind; /* enum setting_kind */
	unsigned char type; /* enum setting_type */
	unsigned char actions; /* on the command line of 1 << these actions */
	unsigned short offset; /* of the value in struct settings */
	unsigned max; /* SECONDS, STATUS, COUNT, PORT: the largest value */
	char names[SETTING_NAMES_MAX][12]; /* ENUM, AUTO_BOOL: by value */
	char arg[16]; /* --help: what the value looks like */
	/*
	 * The default: a value of the type, or words for the empty value
	 * ("none", "all interfaces", "automatic when not PID 1").
	 */
	char default_text[32];
	char note[32]; /* --help: after the default */
};

/* Row @id of the table, or NULL for an id out of range. */
const struct setting_def *settings_def(enum setting_id id);

/* The name of value @value of ENUM or AUTO_BOOL setting @id, or "?". */
const char *settings_value_name(enum setting_id id, int value);

/*
 * The defaults of the table. The writable list is left NULL: its default
 * ($TMPDIR or /tmp) depends on the environment, so config_load fills it.
 */
void settings_init(struct settings *s);

/* Free what @s owns and reset it to settings_init's state. */
void settings_done(struct settings *s);

/* Empty list setting @id of @s: no items, no rewrites. */
void settings_clear(struct settings *s, enum setting_id id);

/*
 * Set @id (any type but COMMAND) from the text @value as the table's type
 * reads it; NULL for a command-line flag, which turns it on. A list type
 * adds one item. Returns 0, -ENOMEM, or -EINVAL with what is wrong in
 * @problem (to follow the quoted value: "is not a boolean (...)") unless
 * @size is 0; @s is unchanged then.
 */
int settings_set(struct settings *s, enum setting_id id, const char *value,
		 char *problem, size_t size);

/* Is @status listed in @set (success_exit, no_restart_exit)? */
static inline bool settings_status_listed(const bool *set, int status)
{
	return status >= 0 && status < SETTINGS_EXIT_STATUSES && set[status];
}

/*
 * Where setting @id (below SETTING_MAX) came from, as text: "default",
 * "--grace", "PIDONE_GRACE", "/etc/pidone/pidone.ini:12". Returns @buf.
 */
const char *settings_origin_text(const struct settings *s, enum setting_id id,
				 char *buf, unsigned buflen);

#endif
