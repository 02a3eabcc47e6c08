/* SPDX-License-Identifier: MIT */
/*
 * settings.c - the settings of the README's Options: the one table that
 * defines them (long and short option, environment variable, INI section
 * and key, how each is given, value type, field, limit, value names,
 * default, help text), the one reader of a value of each type, and where
 * each value came from.
 *
 * The table below is the single source of these facts: the argv,
 * environment and INI layers of config.c, --help, `pidone check` and the
 * tests all read it, so a setting cannot be spelt two ways; settings_init
 * writes the defaults out, and a test proves them the table's. Adding a
 * setting is its id in enum setting_id, a row here (its default included),
 * its default in settings_init when it is not the empty value, its field
 * in struct settings and its effect. No I/O, no globals (the table is
 * const), no logging.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "probe.h"
#include "settings.h"
#include "strv.h"
#include "textbuf.h"
#include "banned.h"

/*
 * A row: names, how given (VALUE, LIST, FLAG), type, the field, limit,
 * help text (value, default, note) and, last, the names of an enum. The
 * environment variable is PIDONE_ and the id, so the two cannot differ.
 * A setting is an option of `pidone` and `pidone check`; an OPT row is an
 * option of the command line alone, of the actions @in.
 */
#define ROW(id, opt, c, sec, key, kind, type, field, max, arg, def, note, ...) \
	[SETTING_##id] = DEF(opt, c, "PIDONE_" #id, sec, key, kind, type,      \
			     IN_RUN, offsetof(struct settings, field), max,    \
			     arg, def, note, __VA_ARGS__)
#define OPT(id, opt, c, kind, type, in, offset, max, def)                    \
	[OPTION_##id] = DEF(opt, c, "", "", "", kind, type, in, offset, max, \
			    "", def, "", "")
#define DEF(opt, c, env, sec, key, kind, type, in, offset, max, arg, def,  \
	    note, ...)                                                     \
	{                                                                  \
		opt, c, env, sec, key, SETTING_KIND_##kind,                \
			SETTING_TYPE_##type, in, (unsigned short)(offset), \
			max, { __VA_ARGS__ }, arg, def, note               \
	}
#define IN(action) (1u << CONFIG_ACTION_##action)
#define IN_RUN (IN(RUN) | IN(CHECK))
#define IN_PROBE (IN(HEALTH) | IN(STATUS))
#define FIELD(field) offsetof(struct settings, field)

/* The table: one row per setting, in the order of the documentation. */
static const struct setting_def setting_defs[OPTION_MAX] = {
	ROW(COMMAND, "", 0, "process", "command", COMMAND, COMMAND, command, 0,
	    "", "none", "", ""),
	ROW(USER, "user", 'u', "process", "user", VALUE, USER, user, 0,
	    "USER[:GROUP]", "65532:65532", ", or keep", ""),
	ROW(WRITABLE, "writable", 'w', "dirs", "writable", LIST, PATH, writable,
	    0, "DIR", "$TMPDIR or /tmp", "", ""),
	ROW(CREATE_DIRS, "create-dirs", 0, "dirs", "create", FLAG, BOOL,
	    create_dirs, 0, "", "off", "", ""),
	ROW(GRACE, "grace", 't', "process", "grace", VALUE, SECONDS, grace_ms,
	    3600, "SECS", "10", " (max 3600)", ""),
	ROW(DRAIN, "drain", 0, "process", "drain", VALUE, SECONDS, drain_ms,
	    3600, "SECS", "0", " (forward a stop at once)", ""),
	ROW(FORWARD, "forward", 0, "signals", "forward", VALUE, ENUM, forward,
	    0, "group|child", "group", "", "group", "child"),
	ROW(REWRITE, "rewrite", 0, "signals", "rewrite", LIST, SIGNAL, rewrite,
	    0, "SIG:SIG", "none", " (e.g. TERM:QUIT)", ""),
	ROW(SUCCESS_EXIT, "success-exit", 0, "process", "success_exit", LIST,
	    STATUS, success_exit, 255, "N", "none", " (e.g. 143)", ""),
	ROW(RESTART, "restart", 0, "process", "restart", VALUE, ENUM, restart,
	    0, "POLICY", "never", " (on-failure, always)", "never",
	    "on-failure", "always"),
	ROW(RESTART_MAX, "restart-max", 0, "process", "restart_max", VALUE,
	    COUNT, restart_max, 1000, "N", "5", " (per 10 minutes)", ""),
	ROW(NO_RESTART_EXIT, "no-restart-exit", 0, "process", "no_restart_exit",
	    LIST, STATUS, no_restart_exit, 255, "N", "none",
	    " (end pidone with it)", ""),
	ROW(RELOAD_SIGNAL, "reload-signal", 0, "process", "reload_signal",
	    VALUE, SIGNO, reload_signal, 0, "SIG", "none", " (e.g. HUP)", ""),
	ROW(WATCH, "watch", 0, "process", "watch", LIST, PATH, watch, 0, "PATH",
	    "none", " (reload on a change)", ""),
	ROW(WATCH_SIGNAL, "watch-signal", 0, "process", "watch_signal", VALUE,
	    SIGNO, watch_signal, 0, "SIG", "none", " (send it, no reload)", ""),
	ROW(HEALTH_PORT, "health-port", 'p', "health", "port", VALUE, PORT,
	    health_port, 65535, "PORT", "8081", " (0: no server)", ""),
	ROW(HEALTH_ADDR, "health-addr", 0, "health", "address", VALUE, ADDRESS,
	    health_addr, 0, "ADDR", "all interfaces", "", ""),
	ROW(READY_DELAY, "ready-delay", 0, "health", "ready_delay", VALUE,
	    SECONDS, ready_delay_ms, 86400, "SECS", "0", "", ""),
	ROW(READY_TCP, "ready-tcp", 0, "health", "ready_tcp", VALUE, HOSTPORT,
	    ready_tcp_host, 0, "[HOST:]PORT", "none", "", ""),
	ROW(READY_NOTIFY, "ready-notify", 0, "health", "ready_notify", FLAG,
	    BOOL, ready_notify, 0, "", "off", "", ""),
	ROW(WATCHDOG, "watchdog", 0, "health", "watchdog", VALUE, SECONDS,
	    watchdog_ms, 86400, "SECS", "0", " (off)", ""),
	ROW(READY_HTTP, "ready-http", 0, "health", "ready_http", VALUE, URL,
	    ready_http, 0, "URL", "none", " (GET: 200-399)", ""),
	ROW(LIVE_HTTP, "live-http", 0, "health", "live_http", VALUE, URL,
	    live_http, 0, "URL", "none", " (GET: 200-399)", ""),
	ROW(CHECK_INTERVAL, "check-interval", 0, "health", "check_interval",
	    VALUE, PERIOD, check_interval_ms, 3600, "SECS", "5",
	    " (between app checks)", ""),
	ROW(CHECK_TIMEOUT, "check-timeout", 0, "health", "check_timeout", VALUE,
	    PERIOD, check_timeout_ms, 3600, "SECS", "1", " (one app check)",
	    ""),
	ROW(CHECK_FAILURES, "check-failures", 0, "health", "check_failures",
	    VALUE, TIMES, check_failures, 1000, "N", "3", " (in a row to fail)",
	    ""),
	ROW(LOG_FORMAT, "log-format", 0, "log", "format", VALUE, ENUM,
	    log_format, 0, "json|text", "json", "", "json", "text"),
	ROW(LOG_LEVEL, "log-level", 0, "log", "level", VALUE, ENUM, log_level,
	    0, "LEVEL", "info", " (error, warn, debug)", "error", "warn",
	    "info", "debug"),
	ROW(SUBREAPER, "subreaper", 0, "process", "subreaper", FLAG, AUTO_BOOL,
	    subreaper, 0, "", "automatic when not PID 1", "", "auto", "on",
	    "off"),
	OPT(CONFIG, "config", 0, VALUE, OWN, IN_RUN | IN_PROBE, 0, 0, ""),
	OPT(HELP, "help", 'h', FLAG, OWN, IN_RUN | IN_PROBE, 0, 0, ""),
	OPT(VERSION, "version", 'V', FLAG, OWN, IN_RUN, 0, 0, ""),
	OPT(PROBE_READY, "ready", 0, FLAG, BOOL, IN(HEALTH), FIELD(probe_ready),
	    0, "off"),
	OPT(PROBE_URL, "url", 0, VALUE, URL, IN_PROBE, FIELD(probe_url), 0,
	    "none"),
	OPT(PROBE_TIMEOUT, "timeout", 0, VALUE, PERIOD, IN_PROBE,
	    FIELD(probe_timeout_ms), 60, "3"),
	OPT(STATUS_JSON, "json", 0, FLAG, BOOL, IN(STATUS), FIELD(status_json),
	    0, "off"),
};

#define BOOL_WORDS "(1/0, true/false, yes/no, on/off)"

/* What a value of each type must be: "<where>: "v" is not ...". */
static const char type_problem[SETTING_TYPE_MAX][104] = {
	[SETTING_TYPE_USER] = "is not USER[:GROUP] (names or numeric ids) or "
			      "keep",
	[SETTING_TYPE_PATH] = "is not an absolute path",
	[SETTING_TYPE_BOOL] = "is not a boolean " BOOL_WORDS,
	[SETTING_TYPE_SECONDS] = "is not a number of seconds (like 10 or 0.5; "
				 "at most 3 decimals)",
	[SETTING_TYPE_ENUM] = "is not one of ",
	[SETTING_TYPE_SIGNAL] = "is not FROM:TO (signal names or numbers; TO 0 "
				"drops the signal; FROM not KILL, STOP or "
				"CHLD)",
	[SETTING_TYPE_STATUS] = "is not an exit status (0..255)",
	[SETTING_TYPE_COUNT] = "is not a whole number",
	[SETTING_TYPE_PORT] = "is not a port number (0..65535; 0 disables the "
			      "server)",
	[SETTING_TYPE_ADDRESS] = "is not an IPv4 or IPv6 address (like "
				 "0.0.0.0, 127.0.0.1, :: or ::1)",
	[SETTING_TYPE_HOSTPORT] = "is not [HOST:]PORT (HOST an IP address or "
				  "localhost, PORT 1..65535)",
	[SETTING_TYPE_AUTO_BOOL] = "is not auto or a boolean " BOOL_WORDS,
	[SETTING_TYPE_URL] = "is not http://HOST:PORT/PATH (HOST an IP "
			     "address, [IPv6] or localhost; no https, no "
			     "user, no #)",
	[SETTING_TYPE_PERIOD] = "is not a number of seconds above 0 (like 5 "
				"or 0.5; at most 3 decimals)",
	[SETTING_TYPE_TIMES] = "is not a whole number",
	[SETTING_TYPE_SIGNO] = "is not none or a signal other than TERM, INT, "
			       "QUIT, KILL, STOP and CHLD (name or number)",
};

/* Row @id of the table, or NULL. */
const struct setting_def *settings_def(enum setting_id id)
{
	return (unsigned)id < OPTION_MAX ? &setting_defs[id] : NULL;
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

/*
 * "keep", "USER" or "USER:GROUP": numeric ids or names in the portable
 * set (letters, digits, ".", "_", "-", and "$" as useradd allows). Whether
 * they exist is checked later, against the image's /etc/passwd.
 */
static bool is_user_spec(const char *v)
{
	const char *colon = strchr(v, ':');
	size_t len = 0;

	for (; v[len]; len++)
		if (!parse_is_digit(v[len]) &&
		    (parse_lower(v[len]) < 'a' || parse_lower(v[len]) > 'z') &&
		    !strchr("._-$:", v[len]))
			return false;
	if (len == 0 || len >= SETTINGS_USER_MAX)
		return false;
	return !colon ||
	       (colon != v && colon[1] != '\0' && !strchr(colon + 1, ':'));
}

/*
 * A signal pidone may act on by itself: not a stop (TERM, INT and QUIT
 * keep their meaning), nor one it never receives or that cannot be
 * caught (KILL, STOP, CHLD).
 */
static int signo_value(const char *v)
{
	int sig = strcasecmp(v, "none") == 0 ? 0 : signame_to_number(v);

	if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT ||
	    sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD)
		return -EINVAL;
	return sig;
}

/* Read @v as the type of @id says (see settings.h). */
int settings_set(struct settings *s, enum setting_id id, const char *v,
		 char *problem, size_t size)
{
	const struct setting_def *d = &setting_defs[id];
	void *field = (char *)s + d->offset;
	char *copy = NULL, name[16];
	const char *sig;
	struct textbuf t;
	struct probe_target url;
	unsigned long n = 0;
	unsigned n32 = 0;
	int r = -EINVAL, from, to;
	bool b = true, is_auto;
	bool seconds = d->type == SETTING_TYPE_SECONDS ||
		       d->type == SETTING_TYPE_PERIOD;

	/*
	 * An optional value is set back to none by an empty value (as the
	 * example file shows it) or by the "none" --help shows for it.
	 */
	if ((d->type == SETTING_TYPE_ADDRESS || d->type == SETTING_TYPE_URL ||
	     d->type == SETTING_TYPE_HOSTPORT) &&
	    (v[0] == '\0' || (strcasecmp(v, "none") == 0 &&
			      strcmp(d->default_text, "none") == 0))) {
		if (d->type == SETTING_TYPE_ADDRESS) {
			*(char *)field = '\0';
			return 0;
		}
		free(*(char **)field);
		*(char **)field = NULL;
		if (d->type == SETTING_TYPE_HOSTPORT)
			s->ready_tcp_port = 0;
		return 0;
	}
	switch (d->type) {
	case SETTING_TYPE_USER:
		if (!is_user_spec(v))
			break;
		/* is_user_spec bounds it: under SETTINGS_USER_MAX. */
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case SETTING_TYPE_PATH:
		if (v[0] != '/' || strlen(v) >= PATH_MAX ||
		    parse_has_control(v))
			break;
		return strv_push(field, v);
	case SETTING_TYPE_BOOL:
	case SETTING_TYPE_AUTO_BOOL: /* names[0] (auto), or a boolean */
		is_auto = v && d->names[0][0] &&
			  strcasecmp(v, d->names[0]) == 0;
		if (!is_auto && v && parse_bool(v, &b) < 0)
			break;
		if (d->type == SETTING_TYPE_BOOL)
			*(bool *)field = b;
		else
			*(int *)field = is_auto ? 0 : b ? 1 : 2;
		return 0;
	case SETTING_TYPE_ENUM:
		for (int i = 0; i < SETTING_NAMES_MAX && d->names[i][0]; i++) {
			if (strcasecmp(v, d->names[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		break;
	case SETTING_TYPE_SECONDS:
	case SETTING_TYPE_PERIOD:
	case SETTING_TYPE_STATUS:
	case SETTING_TYPE_COUNT:
	case SETTING_TYPE_PORT:
	case SETTING_TYPE_TIMES:
		r = seconds ? parse_seconds(v, d->max, &n32) :
			      parse_uint(v, d->max, &n);
		n = seconds ? n32 : n;
		if (r < 0 || (n == 0 && (d->type == SETTING_TYPE_PERIOD ||
					 d->type == SETTING_TYPE_TIMES)))
			break;
		if (d->type == SETTING_TYPE_STATUS)
			((bool *)field)[n] = true;
		else
			*(unsigned *)field = (unsigned)n;
		return 0;
	case SETTING_TYPE_SIGNAL:
		if (signame_parse_rewrite(v, &from, &to) < 0)
			break;
		if (s->rewrite_given[from]) {
			sig = signame_from_number(from, name, sizeof(name));
			textbuf_snprintf(problem, size,
					 "rewrites %s a second time",
					 sig ? sig : "it");
			return -EINVAL;
		}
		s->rewrite_given[from] = true;
		s->rewrite[from] = to;
		return 0;
	case SETTING_TYPE_SIGNO:
		from = signo_value(v);
		if (from < 0)
			break;
		*(int *)field = from;
		return 0;
	case SETTING_TYPE_ADDRESS:
		if (strlen(v) >= SETTINGS_ADDRESS_MAX ||
		    parse_ip_address(v, &from) < 0)
			break;
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case SETTING_TYPE_URL:
		if (probe_parse_url(v, &url) < 0)
			break;
		copy = strdup(v);
		r = copy ? 0 : -ENOMEM;
		/* fall through */
	case SETTING_TYPE_HOSTPORT:
		if (d->type == SETTING_TYPE_HOSTPORT)
			r = parse_hostport(v, &copy, &s->ready_tcp_port);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			break;
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	default:
		return -EINVAL;
	}
	if (size == 0)
		return -EINVAL;
	textbuf_init(&t, problem, size);
	/* The problems of a port, [HOST:]PORT and exit status name the range. */
	if (r == -ERANGE && d->type != SETTING_TYPE_PORT &&
	    d->type != SETTING_TYPE_STATUS && d->type != SETTING_TYPE_HOSTPORT)
		textbuf_printf(&t, "is more than the maximum of %u%s", d->max,
			       seconds ? " seconds" : "");
	else
		textbuf_puts(&t, type_problem[d->type]);
	for (int i = 0; d->type == SETTING_TYPE_ENUM && i < SETTING_NAMES_MAX &&
			d->names[i][0];
	     i++)
		textbuf_printf(&t, "%s%s", i ? "|" : "", d->names[i]);
	if (r != -ERANGE &&
	    (d->type == SETTING_TYPE_COUNT || d->type == SETTING_TYPE_TIMES))
		textbuf_printf(&t, " (%d..%u)", d->type == SETTING_TYPE_TIMES,
			       d->max);
	return -EINVAL;
}

/* Empty list setting @id (see settings.h). */
void settings_clear(struct settings *s, enum setting_id id)
{
	const struct setting_def *d = &setting_defs[id];
	void *field = (char *)s + d->offset;

	if (d->type == SETTING_TYPE_PATH)
		*(char ***)field = strv_free(*(char ***)field);
	if (d->type == SETTING_TYPE_STATUS)
		memset(field, 0, SETTINGS_EXIT_STATUSES);
	if (d->type == SETTING_TYPE_SIGNAL) {
		for (int sig = 0; sig <= SIGNAME_MAX; sig++)
			s->rewrite[sig] = sig;
		memset(s->rewrite_given, 0, sizeof(s->rewrite_given));
	}
}

/* The defaults of the table (see settings.h). */
void settings_init(struct settings *s)
{
	/* Enum fields are reached as int, offsets as unsigned short. */
	_Static_assert(sizeof(enum forward_mode) == sizeof(int) &&
			       sizeof(enum restart_policy) == sizeof(int) &&
			       sizeof(enum log_format) == sizeof(int) &&
			       sizeof(enum log_level) == sizeof(int) &&
			       sizeof(enum subreaper_mode) == sizeof(int),
		       "enum settings are not int-sized");
	_Static_assert(sizeof(*s) <= 65535, "struct settings too large");
	memset(s, 0, sizeof(*s));
	/* The one empty list that is not all zeros: no signal rewritten. */
	settings_clear(s, SETTING_REWRITE);
	/*
	 * The table's defaults, written out: parsing the table's texts was
	 * a fifth of a minimal start's instructions (7,900 of 37,600).
	 * test_config's defaults_are_the_tables_texts parses them and
	 * compares. A default in words (none, $TMPDIR...) is the empty value.
	 */
	memcpy(s->user, "65532:65532", sizeof("65532:65532"));
	s->grace_ms = 10000;
	s->forward = FORWARD_GROUP;
	s->restart = RESTART_NEVER;
	s->restart_max = 5;
	s->health_port = 8081;
	s->check_interval_ms = 5000;
	s->check_timeout_ms = 1000;
	s->check_failures = 3;
	s->log_format = LOG_FORMAT_JSON;
	s->log_level = LOG_LEVEL_INFO;
	s->subreaper = SUBREAPER_AUTO;
	s->probe_timeout_ms = 3000;
}

/* Free what @s owns and return it to the defaults. */
void settings_done(struct settings *s)
{
	strv_free(s->command);
	strv_free(s->writable);
	strv_free(s->watch);
	free(s->ready_tcp_host);
	free(s->ready_http);
	free(s->live_http);
	free(s->config_path);
	free(s->probe_url);
	settings_init(s);
}

/* "default", "--grace", "PIDONE_GRACE" or "FILE:LINE" into @buf. */
const char *settings_origin_text(const struct settings *s, enum setting_id id,
				 char *buf, unsigned buflen)
{
	const struct setting_def *d = &setting_defs[id];
	const struct origin *o = &s->origin[id];

	/* snprintf truncates and terminates: enough for a message. */
	if (o->kind == ORIGIN_FILE)
		textbuf_snprintf(buf, buflen, "%s:%u", s->config_path, o->line);
	else if (o->kind == ORIGIN_ENV)
		textbuf_snprintf(buf, buflen, "%s", d->env);
	else if (o->kind == ORIGIN_CLI && d->option[0])
		textbuf_snprintf(buf, buflen, "--%s", d->option);
	else
		textbuf_snprintf(buf, buflen, "%s",
				 o->kind == ORIGIN_CLI ? "command line" :
							 "default");
	return buf;
}
