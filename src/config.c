/* SPDX-License-Identifier: MIT */
/*
 * config.c - build struct settings from defaults < INI file < environment <
 * command line (README, Options).
 *
 * Order of work: the argv parser runs first (it finds the action, the
 * command and --config, and queues the options), then the layers are
 * applied bottom-up: the INI file, the environment, the queued options.
 * Inside one layer a repeated list setting accumulates; a higher layer's
 * list replaces the lower one's entirely. Every value records its origin.
 *
 * Errors: the first one is kept in struct config_error (EX_USAGE for the
 * shape of the command line, EX_CONFIG for files, keys and values, naming
 * where: "--grace", "PIDONE_GRACE", "/etc/pidone/pidone.ini:12"), but the
 * remaining entries are still applied, so that a valid log_format and
 * log_level reach main, which prints the error with them. Nothing here
 * logs and nothing exits.
 *
 * The INI file is read by us, not by inih: opened O_CLOEXEC|O_NONBLOCK (a
 * FIFO must not hang PID 1), refused unless a regular file of at most
 * 64 KiB, and fed to inih line by line from the buffer. That way lines of
 * 198 bytes or more are rejected before inih r55 would split them, and the
 * reader knows the line number and whether a line continues the previous
 * value. The only fd opened here is closed before config_load returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "cmdjson.h"
#include "config.h"
#include "exitcodes.h"
#include "parse.h"
#include "settings.h"
#include "signame.h"
#include "strv.h"
#include "banned.h"

#define CONFIG_FILE_MAX (64 * 1024)
/* inih r55 reads lines into 200 bytes: 197, "\r\n" and the NUL fit. */
#define CONFIG_LINE_MAX 197
#define CONFIG_PATH_MAX 4096
#define GRACE_MAX_S 3600
#define DELAY_MAX_S 86400
#define PROBE_TIMEOUT_MAX_S 60
#define RESTART_MAX_MAX 1000
#define QUOTE_MAX 64 /* bytes of a bad value quoted in a message */

/* Command-line options that are not settings. */
enum cli_special {
	CLI_CONFIG = SETTING_MAX,
	CLI_HELP,
	CLI_VERSION,
	CLI_PROBE_READY,
	CLI_PROBE_URL,
	CLI_PROBE_TIMEOUT,
	CLI_MAX
};

/* One option of the command line, queued until the CLI layer. */
struct cli_entry {
	int id; /* enum setting_id or enum cli_special */
	const char *value; /* NULL for a flag */
	const char *opt; /* a long option as written: "--grace" */
	int opt_len;
	char short_opt; /* or the letter of a short one: 't' */
};

/* A key = value of the INI file, collected over continuation lines. */
struct ini_pending {
	bool active;
	char section[64];
	char key[64];
	char *value;
	size_t len;
	size_t cap;
	unsigned line;
};

/* The reader's view of the buffer, and what inih will make of a line. */
struct ini_state {
	const char *path;
	const char *buf;
	size_t len;
	size_t pos;
	unsigned lineno;
	bool have_prev_key; /* inih continues a key on an indented line */
	bool continuation; /* the current line continues the previous key */
	struct ini_pending pending;
	unsigned first_line[SETTING_MAX]; /* of each scalar key, for dups */
};

struct load {
	struct settings *s;
	char *const *envp;
	struct config_error *err;
	bool have_err;
	int err_r; /* what config_load returns when have_err */

	enum origin_kind layer; /* the layer being applied */
	unsigned line; /* ORIGIN_FILE: line of the entry being applied */
	const char *opt; /* ORIGIN_CLI: the option as written */
	int opt_len;
	char short_opt;

	/* Lists already replaced by the current layer. */
	bool touched[SETTING_MAX];
	bool rewritten[SIGNAME_MAX + 1]; /* FROM given in the current layer */

	/* While the file is read: the error on its lowest line so far. */
	char file_err[CONFIG_ERROR_MAX];
	unsigned file_err_line;

	/* From the argv parser. */
	enum config_action action; /* RUN, CHECK or HEALTH */
	enum config_action wants; /* HELP or VERSION when asked, else RUN */
	struct cli_entry *cli;
	size_t n_cli;
	const char *cli_config;
	char *const *cmd_argv; /* NULL: no command on the line */
	int cmd_argc;

	struct ini_state ini;
};

/*
 * Record an error unless one is already kept. While the INI file is being
 * applied, entries are not always finished in line order (a multi-line
 * value is applied when the next key starts), so there the error on the
 * lowest line wins.
 */
static void __attribute__((format(printf, 3, 0)))
vfail(struct load *L, int exit_code, const char *fmt, va_list ap)
{
	if (L->layer == ORIGIN_FILE && exit_code == EX_CONFIG) {
		if (L->file_err_line && L->file_err_line <= L->line)
			return;
		vsnprintf(L->file_err, sizeof(L->file_err), fmt, ap);
		L->file_err_line = L->line ? L->line : 1;
		return;
	}
	if (L->have_err)
		return;
	L->have_err = true;
	L->err_r = exit_code == EX_SOFTWARE ? -ENOMEM : -EINVAL;
	L->err->exit_code = exit_code;
	vsnprintf(L->err->text, sizeof(L->err->text), fmt, ap);
}

static void __attribute__((format(printf, 3, 4)))
fail(struct load *L, int exit_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(L, exit_code, fmt, ap);
	va_end(ap);
}

static void fail_oom(struct load *L)
{
	/* Out of memory is never a file error: keep it even mid-file. */
	enum origin_kind layer = L->layer;

	L->layer = ORIGIN_DEFAULT;
	fail(L, EX_SOFTWARE, "out of memory while reading the configuration");
	L->layer = layer;
}

/*
 * Write @len bytes of @s into @dst as a double-quoted, escaped excerpt of
 * at most QUOTE_MAX source bytes starting near @at (so the offending byte
 * is shown), with "..." where text was left out.
 */
static void quote_at(char *dst, size_t dstlen, const char *s, size_t len,
		     size_t at)
{
	size_t start = at > QUOTE_MAX / 2 ? at - QUOTE_MAX / 4 : 0;
	size_t end = start + QUOTE_MAX < len ? start + QUOTE_MAX : len;
	size_t o = 0;

	if (dstlen < 16) {
		if (dstlen)
			dst[0] = '\0';
		return;
	}
	if (start > len)
		start = len;
	if (start > 0) {
		memcpy(dst, "...", 3);
		o = 3;
	}
	dst[o++] = '"';
	for (size_t i = start; i < end && o + 8 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c == '\n') {
			memcpy(dst + o, "\\n", 2);
			o += 2;
		} else if (c == '\t') {
			memcpy(dst + o, "\\t", 2);
			o += 2;
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x",
					      c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o++] = '"';
	if (end < len && o + 4 <= dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

static void quote(char *dst, size_t dstlen, const char *s)
{
	quote_at(dst, dstlen, s, strlen(s), 0);
}

/* Where the entry being applied came from: "--grace", "PIDONE_GRACE"... */
static void where_text(const struct load *L, enum setting_id id, unsigned line,
		       char *buf, size_t buflen)
{
	switch (L->layer) {
	case ORIGIN_FILE:
		snprintf(buf, buflen, "%s:%u: [%s] %s", L->ini.path, line,
			 settings_ini_section(id), settings_ini_key(id));
		break;
	case ORIGIN_ENV:
		snprintf(buf, buflen, "%s", settings_env_name(id));
		break;
	case ORIGIN_CLI:
		if (L->short_opt)
			snprintf(buf, buflen, "-%c", L->short_opt);
		else
			snprintf(buf, buflen, "%.*s", L->opt_len, L->opt);
		break;
	case ORIGIN_DEFAULT:
	case ORIGIN_MAX:
	default:
		snprintf(buf, buflen, "default %s", settings_env_name(id));
		break;
	}
}

/* "<where>: "<value>" <problem>" as an EX_CONFIG error. */
static void bad_value(struct load *L, enum setting_id id, const char *value,
		      const char *problem)
{
	char where[CONFIG_PATH_MAX + 128], q[QUOTE_MAX * 4 + 16];

	where_text(L, id, L->line, where, sizeof(where));
	quote(q, sizeof(q), value);
	fail(L, EX_CONFIG, "%s: %s %s", where, q, problem);
}

static void set_origin(struct load *L, enum setting_id id)
{
	L->s->origin[id] = (struct origin){
		.kind = L->layer,
		.line = L->layer == ORIGIN_FILE ? L->line : 0,
	};
}

static bool has_control_bytes(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/*
 * "keep", "USER" or "USER:GROUP": numeric ids or names in the portable
 * set (letters, digits, ".", "_", "-", and "$" as useradd allows). Whether
 * they exist is checked later, against the image's /etc/passwd.
 */
static bool is_user_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	       c == '$' || c == ':';
}

static bool is_user_spec(const char *v)
{
	const char *colon = strchr(v, ':');
	size_t len = strlen(v);

	if (len == 0 || len >= SETTINGS_USER_MAX)
		return false;
	for (const char *p = v; *p; p++)
		if (!is_user_char(*p))
			return false;
	if (colon && (colon == v || colon[1] == '\0' || strchr(colon + 1, ':')))
		return false;
	return true;
}

static bool is_abs_path(const char *v)
{
	return v[0] == '/' && strlen(v) < CONFIG_PATH_MAX &&
	       !has_control_bytes(v);
}

/* One word of an enum setting; arrays keep the tables in .rodata. */
typedef char enum_word[12];

/* Find @v among @names (count @n); return its index or -ENOENT. */
static int lookup(const char *v, const enum_word *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -ENOENT;
}

static void set_seconds(struct load *L, enum setting_id id, const char *v,
			unsigned max_s, unsigned *ret_ms)
{
	char problem[96];
	unsigned ms;
	int r = parse_seconds(v, max_s, &ms);

	if (r == -ERANGE) {
		snprintf(problem, sizeof(problem),
			 "is more than the maximum of %u seconds", max_s);
		bad_value(L, id, v, problem);
	} else if (r < 0) {
		bad_value(L, id, v,
			  "is not a number of seconds (like 10 or 0.5)");
	} else {
		*ret_ms = ms;
		set_origin(L, id);
	}
}

static void set_bool(struct load *L, enum setting_id id, const char *v,
		     bool *ret)
{
	bool b;

	if (!v) {
		*ret = true; /* a flag on the command line */
		set_origin(L, id);
	} else if (parse_bool(v, &b) < 0) {
		bad_value(L, id, v,
			  "is not a boolean (1/0, true/false, yes/no, on/off)");
	} else {
		*ret = b;
		set_origin(L, id);
	}
}

static void set_enum(struct load *L, enum setting_id id, const char *v,
		     const enum_word *names, int n, const char *choices,
		     int *ret)
{
	char problem[128];
	int i = lookup(v, names, n);

	if (i < 0) {
		snprintf(problem, sizeof(problem), "is not one of %s", choices);
		bad_value(L, id, v, problem);
		return;
	}
	*ret = i;
	set_origin(L, id);
}

static void set_command_json(struct load *L, const char *v)
{
	char where[CONFIG_PATH_MAX + 128], q[QUOTE_MAX * 4 + 16];
	const char *reason = "not a JSON array of strings";
	size_t len = strlen(v), offset = 0;
	unsigned line = L->line;
	char **argv = NULL;
	int r;

	r = cmdjson_parse(v, len, &argv, &offset, &reason);
	if (r == -ENOMEM) {
		fail_oom(L);
		return;
	}
	if (r < 0) {
		if (offset > len)
			offset = len;
		/* A multi-line value: name the line the bad byte is on. */
		for (size_t i = 0; L->layer == ORIGIN_FILE && i < offset; i++)
			if (v[i] == '\n')
				line++;
		where_text(L, SETTING_COMMAND, line, where, sizeof(where));
		quote_at(q, sizeof(q), v, len, offset);
		fail(L, EX_CONFIG, "%s: %s (at byte %zu of %s)", where,
		     reason ? reason : "not a JSON array of strings", offset,
		     q);
		return;
	}
	strv_free(L->s->command);
	L->s->command = argv;
	set_origin(L, SETTING_COMMAND);
}

/* Empty the list @id: the first time the current layer sets it. */
static void list_replace(struct load *L, enum setting_id id)
{
	struct settings *s = L->s;

	if (L->touched[id])
		return;
	L->touched[id] = true;
	switch (id) {
	case SETTING_WRITABLE:
		s->writable = strv_free(s->writable);
		break;
	case SETTING_REWRITE:
		for (int sig = 0; sig <= SIGNAME_MAX; sig++)
			s->rewrite[sig] = sig;
		memset(L->rewritten, 0, sizeof(L->rewritten));
		break;
	case SETTING_SUCCESS_EXIT:
		memset(s->success_exit, 0, sizeof(s->success_exit));
		break;
	default:
		break;
	}
	set_origin(L, id);
}

/* Add one item to list @id; returns 0 or a negative errno (reported). */
static int list_add(struct load *L, enum setting_id id, const char *item)
{
	struct settings *s = L->s;
	char name[24];
	unsigned long n;
	int from, to;

	switch (id) {
	case SETTING_WRITABLE:
		if (!is_abs_path(item)) {
			bad_value(L, id, item, "is not an absolute path");
			return -EINVAL;
		}
		if (strv_push(&s->writable, item) < 0) {
			fail_oom(L);
			return -ENOMEM;
		}
		return 0;
	case SETTING_REWRITE:
		if (signame_parse_rewrite(item, &from, &to) < 0) {
			bad_value(L, id, item,
				  "is not FROM:TO (signal names or numbers; "
				  "TO 0 drops the signal; FROM not "
				  "KILL, STOP or CHLD)");
			return -EINVAL;
		}
		if (L->rewritten[from]) {
			const char *sig =
				signame_from_number(from, name, sizeof(name));
			char problem[64];

			snprintf(problem, sizeof(problem),
				 "rewrites %s a second time", sig ? sig : "it");
			bad_value(L, id, item, problem);
			return -EINVAL;
		}
		L->rewritten[from] = true;
		s->rewrite[from] = to;
		return 0;
	case SETTING_SUCCESS_EXIT:
		if (parse_uint(item, SETTINGS_EXIT_STATUSES - 1, &n) < 0) {
			bad_value(L, id, item,
				  "is not an exit status (0..255)");
			return -EINVAL;
		}
		s->success_exit[n / 8] |= (uint8_t)(1u << (n % 8));
		return 0;
	default:
		return -EINVAL;
	}
}

struct list_ctx {
	struct load *L;
	enum setting_id id;
	bool item_failed;
};

static int list_each(const char *item, void *userdata)
{
	struct list_ctx *c = userdata;
	int r = list_add(c->L, c->id, item);

	if (r < 0)
		c->item_failed = true;
	return r;
}

/*
 * A list value: one item from the command line, comma-separated items
 * from the environment and the file. An empty value empties the list.
 */
static void set_list(struct load *L, enum setting_id id, const char *v)
{
	struct list_ctx c = { .L = L, .id = id };
	const char *p = v;
	int r;

	list_replace(L, id);
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '\0')
		return;
	if (L->layer == ORIGIN_CLI) {
		list_add(L, id, v);
		return;
	}
	r = parse_list(v, list_each, &c);
	if (r == -ENOMEM && !c.item_failed)
		fail_oom(L);
	else if (r < 0 && !c.item_failed)
		bad_value(L, id, v, "has an empty item between commas");
}

static const enum_word forward_names[] = { "group", "child" };
static const enum_word restart_names[] = { "never", "on-failure", "always" };
static const enum_word log_format_names[] = { "json", "text" };
static const enum_word log_level_names[] = { "error", "warn", "info", "debug" };

/*
 * Apply @v (NULL for a command-line flag) to setting @id in the current
 * layer. Errors are recorded; the setting then keeps its lower value.
 */
static void apply(struct load *L, enum setting_id id, const char *v)
{
	struct settings *s = L->s;
	char *host = NULL;
	unsigned long n;
	unsigned port;
	int i, family;
	bool b;

	if (settings_kind(id) == SETTING_KIND_LIST) {
		set_list(L, id, v);
		return;
	}
	switch (id) {
	case SETTING_COMMAND:
		set_command_json(L, v);
		break;
	case SETTING_USER:
		if (!is_user_spec(v)) {
			bad_value(L, id, v,
				  "is not USER[:GROUP] (names or numeric ids) "
				  "or keep");
			break;
		}
		snprintf(s->user, sizeof(s->user), "%s", v);
		set_origin(L, id);
		break;
	case SETTING_CREATE_DIRS:
		set_bool(L, id, v, &s->create_dirs);
		break;
	case SETTING_GRACE:
		set_seconds(L, id, v, GRACE_MAX_S, &s->grace_ms);
		break;
	case SETTING_FORWARD:
		i = (int)s->forward;
		set_enum(L, id, v, forward_names, FORWARD_MAX, "group|child",
			 &i);
		s->forward = (enum forward_mode)i;
		break;
	case SETTING_RESTART:
		i = (int)s->restart;
		set_enum(L, id, v, restart_names, RESTART_MAX,
			 "never|on-failure|always", &i);
		s->restart = (enum restart_policy)i;
		break;
	case SETTING_RESTART_MAX:
		i = parse_uint(v, RESTART_MAX_MAX, &n);
		if (i == -ERANGE) {
			bad_value(L, id, v, "is more than the maximum of 1000");
		} else if (i < 0) {
			bad_value(L, id, v, "is not a whole number (0..1000)");
		} else {
			s->restart_max = (unsigned)n;
			set_origin(L, id);
		}
		break;
	case SETTING_HEALTH_PORT:
		if (parse_port(v, &port) < 0) {
			bad_value(L, id, v,
				  "is not a port number (0..65535; 0 "
				  "disables the server)");
			break;
		}
		s->health_port = port;
		set_origin(L, id);
		break;
	case SETTING_HEALTH_ADDR:
		if (parse_ip_address(v, &family) < 0) {
			bad_value(L, id, v,
				  "is not an IPv4 or IPv6 address (like "
				  "0.0.0.0, 127.0.0.1, :: or ::1)");
			break;
		}
		host = strdup(v);
		if (!host) {
			fail_oom(L);
			break;
		}
		free(s->health_addr);
		s->health_addr = host;
		set_origin(L, id);
		break;
	case SETTING_READY_DELAY:
		set_seconds(L, id, v, DELAY_MAX_S, &s->ready_delay_ms);
		break;
	case SETTING_READY_TCP:
		i = parse_hostport(v, &host, &port);
		if (i == -ENOMEM) {
			fail_oom(L);
			break;
		}
		if (i < 0) {
			bad_value(L, id, v,
				  "is not [HOST:]PORT (HOST an IP address or "
				  "localhost, PORT 1..65535)");
			break;
		}
		free(s->ready_tcp_host);
		s->ready_tcp_host = host;
		s->ready_tcp_port = port;
		set_origin(L, id);
		break;
	case SETTING_READY_NOTIFY:
		set_bool(L, id, v, &s->ready_notify);
		break;
	case SETTING_WATCHDOG:
		set_seconds(L, id, v, DELAY_MAX_S, &s->watchdog_ms);
		break;
	case SETTING_LOG_FORMAT:
		i = (int)s->log_format;
		set_enum(L, id, v, log_format_names, LOG_FORMAT_MAX,
			 "json|text", &i);
		s->log_format = (enum log_format)i;
		break;
	case SETTING_LOG_LEVEL:
		i = (int)s->log_level;
		set_enum(L, id, v, log_level_names, LOG_LEVEL_MAX,
			 "error|warn|info|debug", &i);
		s->log_level = (enum log_level)i;
		break;
	case SETTING_SUBREAPER:
		if (v && strcmp(v, "auto") == 0) {
			s->subreaper = SUBREAPER_AUTO;
			set_origin(L, id);
		} else if (!v || parse_bool(v, &b) == 0) {
			s->subreaper = !v || b ? SUBREAPER_ON : SUBREAPER_OFF;
			set_origin(L, id);
		} else {
			bad_value(L, id, v,
				  "is not auto or a boolean (1/0, "
				  "true/false, yes/no, on/off)");
		}
		break;
	case SETTING_WRITABLE:
	case SETTING_REWRITE:
	case SETTING_SUCCESS_EXIT:
	case SETTING_MAX:
	default:
		break;
	}
}

/* --- the command line ------------------------------------------------ */

struct cli_option {
	char name[8];
	char short_option;
	int id;
	bool takes_value;
};

/* Options of `pidone health`, and the non-settings of run and check. */
static const struct cli_option health_options[] = {
	{ "ready", 0, CLI_PROBE_READY, false },
	{ "url", 0, CLI_PROBE_URL, true },
	{ "timeout", 0, CLI_PROBE_TIMEOUT, true },
	{ "config", 0, CLI_CONFIG, true },
	{ "help", 'h', CLI_HELP, false },
};

static const struct cli_option run_options[] = {
	{ "config", 0, CLI_CONFIG, true },
	{ "help", 'h', CLI_HELP, false },
	{ "version", 'V', CLI_VERSION, false },
};

#define N_OPTIONS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static bool option_matches(const struct cli_option *o, const char *name,
			   int len, bool is_short)
{
	if (is_short)
		return o->short_option && o->short_option == name[0];
	return (int)strlen(o->name) == len &&
	       memcmp(o->name, name, (size_t)len) == 0;
}

/*
 * Find the option named @name (@len bytes; @len 1 and @name a letter for a
 * short option). Returns 0 and fills @ret, or -ENOENT.
 */
static int cli_lookup(enum config_action action, const char *name, int len,
		      bool is_short, struct cli_option *ret)
{
	bool health = action == CONFIG_ACTION_HEALTH;
	const struct cli_option *t = health ? health_options : run_options;
	int n = health ? N_OPTIONS(health_options) : N_OPTIONS(run_options);
	char buf[32];
	int id;

	for (int i = 0; i < n; i++) {
		if (option_matches(&t[i], name, len, is_short)) {
			*ret = t[i];
			return 0;
		}
	}
	if (health)
		return -ENOENT;
	if (is_short) {
		id = settings_from_short_option(name[0]);
	} else {
		if (len >= (int)sizeof(buf))
			return -ENOENT;
		memcpy(buf, name, (size_t)len);
		buf[len] = '\0';
		id = settings_from_option(buf);
	}
	if (id < 0)
		return -ENOENT;
	*ret = (struct cli_option){
		.short_option = settings_short_option(id),
		.id = id,
		.takes_value = settings_kind(id) != SETTING_KIND_FLAG,
	};
	return 0;
}

/* Queue option @id; @opt is "--name" (@opt_len bytes) or @short_opt. */
static void cli_queue(struct load *L, int id, const char *value,
		      const char *opt, int opt_len, char short_opt)
{
	if (id == CLI_CONFIG) {
		L->cli_config = value;
		return;
	}
	if (id == CLI_HELP || id == CLI_VERSION) {
		/* The first of them wins, like everywhere else. */
		if (L->wants == CONFIG_ACTION_RUN)
			L->wants = id == CLI_HELP ? CONFIG_ACTION_HELP :
						    CONFIG_ACTION_VERSION;
		return;
	}
	L->cli[L->n_cli++] = (struct cli_entry){ .id = id,
						 .value = value,
						 .opt = opt,
						 .opt_len = opt_len,
						 .short_opt = short_opt };
}

/* "--name", "--name=value" or "--name value" at argv[*i]. */
static void cli_long(struct load *L, int argc, char *const *argv, int *i)
{
	const char *arg = argv[*i];
	const char *name = arg + 2, *eq = strchr(name, '=');
	int len = eq ? (int)(eq - name) : (int)strlen(name);
	struct cli_option o;
	char q[QUOTE_MAX * 4 + 16];

	if (cli_lookup(L->action, name, len, false, &o) < 0) {
		quote_at(q, sizeof(q), arg, (size_t)(len + 2), 0);
		fail(L, EX_USAGE, "unknown option %s", q);
		return;
	}
	if (!o.takes_value) {
		if (eq)
			fail(L, EX_USAGE, "%.*s takes no value", len + 2, arg);
		else
			cli_queue(L, o.id, NULL, arg, len + 2, 0);
		return;
	}
	if (eq) {
		cli_queue(L, o.id, eq + 1, arg, len + 2, 0);
	} else if (*i + 1 < argc) {
		*i += 1;
		cli_queue(L, o.id, argv[*i], arg, len + 2, 0);
	} else {
		fail(L, EX_USAGE, "%s: missing value", arg);
	}
}

/* "-h", "-u value", "-uvalue" (and flags grouped like "-hV"). */
static void cli_short(struct load *L, int argc, char *const *argv, int *i)
{
	const char *arg = argv[*i];
	struct cli_option o;
	char q[32];

	for (const char *p = arg + 1; *p; p++) {
		if (cli_lookup(L->action, p, 1, true, &o) < 0) {
			const char opt[2] = { '-', *p };

			quote_at(q, sizeof(q), opt, 2, 0);
			fail(L, EX_USAGE, "unknown option %s", q);
			return;
		}
		if (!o.takes_value) {
			cli_queue(L, o.id, NULL, NULL, 0, *p);
			continue;
		}
		if (p[1] != '\0') {
			cli_queue(L, o.id, p + 1, NULL, 0, *p);
		} else if (*i + 1 < argc) {
			*i += 1;
			cli_queue(L, o.id, argv[*i], NULL, 0, *p);
		} else {
			fail(L, EX_USAGE, "-%c: missing value", *p);
		}
		return;
	}
}

/*
 * Split argv into the action, the options (queued for the CLI layer) and
 * the command. Options stop at "--" or at the first non-option, which is
 * the command: getopt would permute argv and print its own messages.
 */
static int cli_parse(struct load *L, int argc, char *const *argv)
{
	char q[QUOTE_MAX * 4 + 16];
	int i = 1;

	L->action = CONFIG_ACTION_RUN;
	if (argc > 1 && strcmp(argv[1], "health") == 0) {
		L->action = CONFIG_ACTION_HEALTH;
		i = 2;
	} else if (argc > 1 && strcmp(argv[1], "check") == 0) {
		L->action = CONFIG_ACTION_CHECK;
		i = 2;
	}
	L->cli = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*L->cli));
	if (!L->cli)
		return -ENOMEM;
	for (; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (arg[1] == '-')
			cli_long(L, argc, argv, &i);
		else
			cli_short(L, argc, argv, &i);
	}
	if (i >= argc)
		return 0;
	if (L->action == CONFIG_ACTION_HEALTH) {
		quote(q, sizeof(q), argv[i]);
		fail(L, EX_USAGE,
		     "health: unexpected argument %s (pidone health takes "
		     "only options)",
		     q);
		return 0;
	}
	L->cmd_argv = argv + i;
	L->cmd_argc = argc - i;
	return 0;
}

/* The probe options of `pidone health`. */
static void apply_probe(struct load *L, const struct cli_entry *e)
{
	struct settings *s = L->s;
	char q[QUOTE_MAX * 4 + 16];
	unsigned ms;
	char *url;
	int r;

	switch (e->id) {
	case CLI_PROBE_READY:
		s->probe_ready = true;
		break;
	case CLI_PROBE_URL:
		if (strncmp(e->value, "http://", 7) != 0 ||
		    e->value[7] == '\0' || has_control_bytes(e->value) ||
		    strchr(e->value, ' ')) {
			quote(q, sizeof(q), e->value);
			fail(L, EX_CONFIG, "--url: %s is not an http:// URL",
			     q);
			break;
		}
		url = strdup(e->value);
		if (!url) {
			fail_oom(L);
			break;
		}
		free(s->probe_url);
		s->probe_url = url;
		break;
	case CLI_PROBE_TIMEOUT:
		r = parse_seconds(e->value, PROBE_TIMEOUT_MAX_S, &ms);
		if (r < 0 || ms == 0) {
			quote(q, sizeof(q), e->value);
			fail(L, EX_CONFIG,
			     "--timeout: %s is not a number of seconds from "
			     "0.001 to 60",
			     q);
			break;
		}
		s->probe_timeout_ms = ms;
		break;
	default:
		break;
	}
}

/* The command-line layer: the queued options in order, then the command. */
static void apply_cli(struct load *L)
{
	char **argv = NULL;

	L->layer = ORIGIN_CLI;
	memset(L->touched, 0, sizeof(L->touched));
	for (size_t k = 0; k < L->n_cli; k++) {
		const struct cli_entry *e = &L->cli[k];

		L->opt = e->opt;
		L->opt_len = e->opt_len;
		L->short_opt = e->short_opt;
		if (e->id < SETTING_MAX)
			apply(L, (enum setting_id)e->id, e->value);
		else
			apply_probe(L, e);
	}
	if (!L->cmd_argv)
		return;
	/* The command line's words are the argv, no JSON involved. */
	for (int k = 0; k < L->cmd_argc; k++) {
		if (strv_push(&argv, L->cmd_argv[k]) < 0) {
			strv_free(argv);
			fail_oom(L);
			return;
		}
	}
	strv_free(L->s->command);
	L->s->command = argv;
	set_origin(L, SETTING_COMMAND);
}

/* --- the environment -------------------------------------------------- */

/* The value of @name in @envp (the first one, like getenv), or NULL. */
static const char *env_get(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
			return envp[i] + len + 1;
	return NULL;
}

/*
 * The environment layer. An empty variable counts as unset, so that a
 * compose file's PIDONE_GRACE: ${GRACE} with GRACE unset changes nothing.
 * Unknown PIDONE_* variables are left alone: test harnesses and images
 * set their own. One pass over the environment (not one per setting): it
 * runs at every start, and only PIDONE_* entries cost a lookup. Like
 * getenv, the first entry of a name counts.
 */
static void apply_env(struct load *L)
{
	static const char prefix[] = "PIDONE_";
	const char *value[SETTING_MAX] = { NULL };

	L->layer = ORIGIN_ENV;
	memset(L->touched, 0, sizeof(L->touched));
	for (size_t i = 0; L->envp && L->envp[i]; i++) {
		const char *e = L->envp[i], *eq;

		if (strncmp(e, prefix, sizeof(prefix) - 1) != 0)
			continue;
		eq = strchr(e, '=');
		if (!eq)
			continue;
		for (int id = 0; id < SETTING_MAX; id++) {
			const char *name = settings_env_name(id);
			size_t len = (size_t)(eq - e);

			if (strncmp(name, e, len) == 0 && name[len] == '\0') {
				if (!value[id])
					value[id] = eq + 1;
				break;
			}
		}
	}
	/* In setting order, as before: the first error is the same one. */
	for (int id = 0; id < SETTING_MAX; id++)
		if (value[id] && *value[id])
			apply(L, (enum setting_id)id, value[id]);
}

/* --- the INI file ------------------------------------------------------ */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/*
 * Note what inih r55 will make of the line @line (@len bytes, no newline),
 * mirroring its rules: comment and blank lines first, then an indented
 * line continues the previous key (if there is one since the last
 * section), then "[section]" starts a section. Unknown sections are
 * reported here, on their own line, because inih calls no handler for a
 * section header. Returns false for a comment or blank line.
 */
static bool ini_classify(struct load *L, const char *line, size_t len)
{
	struct ini_state *st = &L->ini;
	char q[QUOTE_MAX * 4 + 16], section[32];
	size_t bom = 0, i, end, name_len;
	const char *name;

	if (st->lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		bom = 3; /* inih skips a UTF-8 byte order mark */
	for (i = bom; i < len && is_space(line[i]); i++)
		;
	st->continuation = false;
	if (i == len || line[i] == ';' || line[i] == '#')
		return false;
	if (i > bom && st->have_prev_key) {
		st->continuation = true;
		return true;
	}
	if (line[i] != '[')
		return true;
	for (end = i + 1; end < len && line[end] != ']'; end++)
		;
	if (end == len)
		return true; /* inih reports the missing ']' */
	st->have_prev_key = false;
	name = line + i + 1;
	name_len = end - i - 1;
	if (name_len < sizeof(section)) {
		memcpy(section, name, name_len);
		section[name_len] = '\0';
		if (settings_is_ini_section(section))
			return true;
	}
	L->line = st->lineno;
	quote_at(q, sizeof(q), name, name_len, 0);
	fail(L, EX_CONFIG,
	     "%s:%u: unknown section %s (known: [process] [dirs] "
	     "[signals] [health] [log])",
	     st->path, st->lineno, q);
	return true;
}

/*
 * inih's fgets-style reader over our buffer: one line per call, so
 * st->lineno is the line inih is working on when it calls the handler.
 * A line that is too long, or holds a NUL byte, is reported and replaced
 * by an empty line, so inih never splits or truncates anything.
 */
static char *ini_read_line(char *str, int num, void *stream)
{
	struct load *L = stream;
	struct ini_state *st = &L->ini;
	const char *line, *nl;
	size_t len, text_len;
	bool content;

	if (st->pos >= st->len || num < 2)
		return NULL;
	line = st->buf + st->pos;
	nl = memchr(line, '\n', st->len - st->pos);
	len = nl ? (size_t)(nl - line) + 1 : st->len - st->pos;
	st->pos += len;
	st->lineno++;
	L->line = st->lineno;

	text_len = len;
	if (text_len > 0 && line[text_len - 1] == '\n')
		text_len--;
	if (text_len > 0 && line[text_len - 1] == '\r')
		text_len--;
	if (text_len > CONFIG_LINE_MAX || len + 1 > (size_t)num) {
		fail(L, EX_CONFIG,
		     "%s:%u: line too long (max %d bytes); split a long "
		     "command over indented continuation lines",
		     st->path, st->lineno, CONFIG_LINE_MAX);
		goto blank;
	}
	if (memchr(line, '\0', len)) {
		fail(L, EX_CONFIG, "%s:%u: NUL byte in the config file",
		     st->path, st->lineno);
		goto blank;
	}
	content = ini_classify(L, line, text_len);
#if !defined(HAVE_INI_RUNTIME_SWITCHES)
	/* This inih would cut a value at " ;": refuse rather than guess. */
	for (size_t i = 1; content && i < text_len; i++) {
		if (line[i] == ';' && is_space(line[i - 1])) {
			fail(L, EX_CONFIG,
			     "%s:%u: \" ;\" inside a value is not supported "
			     "by the inih this pidone was built with",
			     st->path, st->lineno);
			goto blank;
		}
	}
#endif
	(void)content;
	memcpy(str, line, len);
	str[len] = '\0';
	return str;

blank:
	st->continuation = false;
	str[0] = '\n';
	str[1] = '\0';
	return str;
}

static int pending_append(struct ini_pending *p, const char *sep, const char *v)
{
	size_t need = p->len + strlen(sep) + strlen(v) + 1;

	if (need > p->cap) {
		size_t cap = p->cap ? p->cap : 64;
		char *grown;

		while (cap < need)
			cap *= 2;
		grown = realloc(p->value, cap);
		if (!grown)
			return -ENOMEM;
		p->value = grown;
		p->cap = cap;
	}
	p->len += (size_t)snprintf(p->value + p->len, p->cap - p->len, "%s%s",
				   sep, v);
	return 0;
}

/* Apply the key = value collected so far, once it is complete. */
static void ini_flush(struct load *L)
{
	struct ini_state *st = &L->ini;
	struct ini_pending *p = &st->pending;
	char q[QUOTE_MAX * 4 + 16];
	int id;

	if (!p->active)
		return;
	p->active = false;
	L->line = p->line;
	quote(q, sizeof(q), p->key);
	if (p->section[0] == '\0') {
		fail(L, EX_CONFIG,
		     "%s:%u: key %s is outside any section (put it under "
		     "[process], [dirs], [signals], [health] or [log])",
		     st->path, p->line, q);
		goto out;
	}
	if (!settings_is_ini_section(p->section))
		goto out; /* reported at the section header */
	id = settings_from_ini(p->section, p->key);
	if (id < 0) {
		fail(L, EX_CONFIG, "%s:%u: unknown key %s in [%s]", st->path,
		     p->line, q, p->section);
		goto out;
	}
	if (settings_kind(id) != SETTING_KIND_LIST) {
		if (st->first_line[id]) {
			fail(L, EX_CONFIG,
			     "%s:%u: duplicate key %s in [%s] (first set on "
			     "line %u)",
			     st->path, p->line, q, p->section,
			     st->first_line[id]);
			goto out;
		}
		st->first_line[id] = p->line;
	}
	apply(L, (enum setting_id)id, p->value ? p->value : "");
out:
	if (p->value)
		p->value[0] = '\0';
	p->len = 0;
}

/*
 * inih's handler. A continuation line (inih calls us again with the same
 * key) is appended to the value with "\n", so that a long command can span
 * indented lines; anything else completes the previous key first.
 */
static int ini_on_entry(void *user, const char *section, const char *name,
			const char *value)
{
	struct load *L = user;
	struct ini_state *st = &L->ini;
	struct ini_pending *p = &st->pending;
	int r;

	if (st->continuation && p->active) {
		r = pending_append(p, "\n", value);
	} else {
		ini_flush(L);
		p->active = true;
		p->line = st->lineno;
		snprintf(p->section, sizeof(p->section), "%s", section);
		snprintf(p->key, sizeof(p->key), "%s", name);
		r = pending_append(p, "", value);
	}
	if (r < 0)
		fail_oom(L);
	st->have_prev_key = name[0] != '\0';
	L->line = st->lineno;
	return 1; /* errors are ours to keep; inih's return is for syntax */
}

/*
 * Read @path into a malloc'd buffer. Returns 1 with the buffer, 0 when an
 * unnamed (default) file does not exist, or a negative errno (reported).
 */
static int ini_read(struct load *L, const char *path, const char *named_by,
		    char **ret_buf, size_t *ret_len)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && !named_by)
			return 0;
		if (named_by)
			fail(L, EX_CONFIG, "%s: cannot open %s: %s", named_by,
			     path, strerror(-r));
		else
			fail(L, EX_CONFIG, "%s: cannot open: %s", path,
			     strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		fail(L, EX_CONFIG, "%s: cannot stat: %s", path, strerror(-r));
		goto out_close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		fail(L, EX_CONFIG, "%s: not a regular file", path);
		goto out_close_fd;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		r = -EFBIG;
		fail(L, EX_CONFIG, "%s: larger than %d KiB", path,
		     CONFIG_FILE_MAX / 1024);
		goto out_close_fd;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		r = -ENOMEM;
		fail_oom(L);
		goto out_close_fd;
	}
	/* Read to EOF: the file may have grown since fstat. */
	for (;;) {
		n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			fail(L, EX_CONFIG, "%s: cannot read: %s", path,
			     strerror(-r));
			goto err_free_buf;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX) {
			r = -EFBIG;
			fail(L, EX_CONFIG, "%s: larger than %d KiB", path,
			     CONFIG_FILE_MAX / 1024);
			goto err_free_buf;
		}
	}
	close(fd);
	*ret_buf = buf;
	*ret_len = len;
	return 1;

err_free_buf:
	free(buf);
out_close_fd:
	close(fd);
	return r;
}

/*
 * The file layer: which file (--config, else PIDONE_CONFIG, else
 * @default_config if it exists), read, parsed and applied.
 */
static void apply_file(struct load *L, const char *default_config)
{
	struct ini_state *st = &L->ini;
	const char *path = default_config, *named_by = NULL;
	const char *env = env_get(L->envp, "PIDONE_CONFIG");
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (L->cli_config) {
		path = L->cli_config;
		named_by = "--config";
	} else if (env && *env) {
		path = env;
		named_by = "PIDONE_CONFIG";
	}
	/* --config '' reads no file at all, not even the default one. */
	if (!path || !*path)
		return;
	L->layer = ORIGIN_FILE;
	L->line = 0;
	memset(L->touched, 0, sizeof(L->touched));
	r = ini_read(L, path, named_by, &buf, &len);
	if (r <= 0)
		goto out;
	free(L->s->config_path);
	L->s->config_path = strdup(path);
	if (!L->s->config_path) {
		fail_oom(L);
		goto out_free_buf;
	}
	*st = (struct ini_state){ .path = L->s->config_path,
				  .buf = buf,
				  .len = len };
#if defined(HAVE_INI_RUNTIME_SWITCHES)
	/* Debian's inih: keep " ;" inside values, allow continuations. */
	ini_allow_inline_comments = 0;
	ini_allow_multiline = 1;
#endif
	r = ini_parse_stream(ini_read_line, L, ini_on_entry, L);
	L->line = st->pending.line;
	ini_flush(L);
	if (r == -2) {
		fail_oom(L);
	} else if (r > 0 &&
		   (!L->file_err_line || (unsigned)r < L->file_err_line)) {
		L->line = (unsigned)r;
		fail(L, EX_CONFIG,
		     "%s:%d: syntax error: expected [section], key = value, "
		     "an indented continuation line or a comment",
		     st->path, r);
	}
	free(st->pending.value);
	st->pending = (struct ini_pending){ 0 };
out_free_buf:
	free(buf);
	st->buf = NULL;
out:
	/* The file's first error now competes with the other layers'. */
	L->layer = ORIGIN_DEFAULT;
	if (L->file_err_line)
		fail(L, EX_CONFIG, "%s", L->file_err);
}

/* --- putting it together ---------------------------------------------- */

/* The writable default: $TMPDIR when it is an absolute path, else /tmp. */
static void default_writable(struct load *L)
{
	const char *tmp = env_get(L->envp, "TMPDIR");

	if (L->s->origin[SETTING_WRITABLE].kind != ORIGIN_DEFAULT)
		return;
	if (!tmp || !is_abs_path(tmp))
		tmp = "/tmp";
	L->s->writable = strv_free(L->s->writable);
	if (strv_push(&L->s->writable, tmp) < 0)
		fail_oom(L);
}

/* Merge the four layers into @s (see config.h). */
int config_load(struct settings *s, int argc, char *const *argv,
		char *const *envp, const char *default_config,
		struct config_error *reterr)
{
	struct load L = { .s = s, .envp = envp, .err = reterr };
	int r;

	reterr->exit_code = 0;
	reterr->text[0] = '\0';
	r = cli_parse(&L, argc, argv);
	if (r < 0) {
		fail_oom(&L);
		goto out_free_cli;
	}
	/* --help and --version win over everything, even a broken file. */
	if (L.wants != CONFIG_ACTION_RUN) {
		r = (int)L.wants;
		goto out_free_cli;
	}
	apply_file(&L, default_config);
	apply_env(&L);
	apply_cli(&L);
	L.layer = ORIGIN_DEFAULT;
	default_writable(&L);
	if (L.action == CONFIG_ACTION_RUN && !s->command)
		fail(&L, EX_USAGE,
		     "no command: give one after -- or set PIDONE_COMMAND or "
		     "command = in the config file");
	r = L.have_err ? L.err_r : (int)L.action;
out_free_cli:
	free(L.cli);
	return r;
}

/* The --help text, kept in step with the README and pidone(8). */
const char *config_usage(void)
{
	return "Usage: pidone [OPTIONS] [--] COMMAND [ARG...]    run COMMAND under supervision\n"
	       "       pidone check [OPTIONS] [--] [COMMAND...]  report what a run would do\n"
	       "       pidone health [--ready] [--url URL] [--timeout SECS] [--config FILE]\n"
	       "                                                 probe a running pidone\n"
	       "       pidone --help | -h\n"
	       "       pidone --version | -V\n"
	       "\n"
	       "pidone is a PID 1 for containers: it runs COMMAND as its only child, forwards\n"
	       "signals, reaps zombies and answers health checks on a side port.\n"
	       "Without COMMAND, the command is PIDONE_COMMAND or command = in [process] of\n"
	       "the config file: a JSON array of strings, like [\"node\",\"server.js\"].\n"
	       "Precedence: command line > environment > config file > default.\n"
	       "\n"
	       "Option                         Environment          Default\n"
	       "      --config FILE            PIDONE_CONFIG        /etc/pidone/pidone.ini\n"
	       "  -u, --user USER[:GROUP]      PIDONE_USER          65532:65532, or keep\n"
	       "  -w, --writable DIR ...       PIDONE_WRITABLE      $TMPDIR or /tmp\n"
	       "      --create-dirs            PIDONE_CREATE_DIRS   off\n"
	       "  -t, --grace SECS             PIDONE_GRACE         10 (max 3600)\n"
	       "      --forward group|child    PIDONE_FORWARD       group\n"
	       "      --rewrite SIG:SIG ...    PIDONE_REWRITE       none (e.g. TERM:QUIT)\n"
	       "      --success-exit N ...     PIDONE_SUCCESS_EXIT  none (e.g. 143)\n"
	       "      --restart POLICY         PIDONE_RESTART       never (on-failure, always)\n"
	       "      --restart-max N          PIDONE_RESTART_MAX   5 (per 10 minutes)\n"
	       "  -p, --health-port PORT       PIDONE_HEALTH_PORT   8081 (0: no server)\n"
	       "      --health-addr ADDR       PIDONE_HEALTH_ADDR   all interfaces\n"
	       "      --ready-delay SECS       PIDONE_READY_DELAY   0\n"
	       "      --ready-tcp [HOST:]PORT  PIDONE_READY_TCP     none\n"
	       "      --ready-notify           PIDONE_READY_NOTIFY  off\n"
	       "      --watchdog SECS          PIDONE_WATCHDOG      0 (off)\n"
	       "      --log-format json|text   PIDONE_LOG_FORMAT    json\n"
	       "      --log-level LEVEL        PIDONE_LOG_LEVEL     info (error, warn, debug)\n"
	       "      --subreaper              PIDONE_SUBREAPER     automatic when not PID 1\n"
	       "  -h, --help                   print this help\n"
	       "  -V, --version                print the version\n"
	       "\n"
	       "Options marked ... repeat; their variables are comma-separated lists, and\n"
	       "an empty value (-w '') means none. Variables set to \"\" count as unset.\n"
	       "Booleans in variables and the file: 1/0, true/false, yes/no, on/off.\n"
	       "Config file keys: [process] user grace success_exit restart restart_max\n"
	       "subreaper command; [dirs] writable create; [signals] forward rewrite;\n"
	       "[health] port address ready_delay ready_tcp ready_notify watchdog;\n"
	       "[log] format level. The default file is read only when it exists;\n"
	       "--config '' reads none.\n"
	       "\n"
	       "pidone health: GET /healthz (/readyz with --ready) on the configured port\n"
	       "      --ready                  probe readiness instead of liveness\n"
	       "      --url URL                probe this http:// URL instead\n"
	       "      --timeout SECS           give up after SECS (default 3, max 60)\n"
	       "\n"
	       "Exit status: the command's own (128+N when signal N killed it);\n"
	       "64 usage error, 70 internal error, 77 privileges could not be dropped or\n"
	       "a writable dir is not writable, 78 configuration error, 126 command not\n"
	       "executable, 127 command not found. pidone health: 0 healthy, 1 not.\n";
}
