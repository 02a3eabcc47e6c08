/* SPDX-License-Identifier: MIT */
/*
 * config.c - build struct settings from defaults < INI file < environment <
 * command line (README, Options), reading the one settings table of
 * settings.c for every name, type, limit and message.
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
 * The INI file is read by us: opened O_CLOEXEC|O_NONBLOCK (a FIFO must not
 * hang PID 1), refused unless a regular file of at most 64 KiB, and handed
 * to inih's ini_parse_stream one line at a time from the buffer. That is
 * the one place inih's limits are handled: lines of 198 bytes or more and
 * NUL bytes are rejected before inih r55 would split them, " ;" is refused
 * where inih would cut a value there, and the reader knows the line number
 * (r55's handler is not told it) and whether a line continues the previous
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
#include "textbuf.h"
#include "banned.h"

#define CONFIG_FILE_MAX (64 * 1024)
/* inih r55 reads lines into 200 bytes: 197, "\r\n" and the NUL fit. */
#define CONFIG_LINE_MAX 197
#define CONFIG_PATH_MAX 4096
#define PROBE_TIMEOUT_MAX_S 60
#define QUOTE_MAX 64 /* bytes of a bad value quoted in a message */
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Command-line options that are not settings. */
enum cli_special {
	CLI_CONFIG = SETTING_MAX,
	CLI_HELP,
	CLI_VERSION,
	CLI_PROBE_READY,
	CLI_PROBE_URL,
	CLI_PROBE_TIMEOUT,
	CLI_STATUS_JSON,
	CLI_MAX
};

struct cli_option {
	char name[8];
	char short_opt;
	unsigned char id; /* enum cli_special */
	bool takes_value;
	bool in_run; /* pidone [check] */
	bool in_health; /* pidone health */
};

static const struct cli_option cli_options[] = {
	{ "config", 0, CLI_CONFIG, true, true, true },
	{ "help", 'h', CLI_HELP, false, true, true },
	{ "version", 'V', CLI_VERSION, false, true, false },
	{ "ready", 0, CLI_PROBE_READY, false, false, true },
	{ "url", 0, CLI_PROBE_URL, true, false, true },
	{ "timeout", 0, CLI_PROBE_TIMEOUT, true, false, true },
	{ "json", 0, CLI_STATUS_JSON, false, false, true },
};

#define BOOL_WORDS "(1/0, true/false, yes/no, on/off)"
#define SECONDS_WORDS "is not a number of seconds (like 10 or 0.5)"

/* What a value of each type must look like: "<where>: "v" is not ...". */
static const char type_problem[SETTING_TYPE_MAX][112] = {
	[SETTING_TYPE_USER] = "is not USER[:GROUP] (names or numeric ids) or "
			      "keep",
	[SETTING_TYPE_PATH] = "is not an absolute path",
	[SETTING_TYPE_BOOL] = "is not a boolean " BOOL_WORDS,
	[SETTING_TYPE_SECONDS] = SECONDS_WORDS,
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
};

/* One option of the command line, queued until the CLI layer. */
struct cli_entry {
	int id; /* enum setting_id or enum cli_special */
	const char *value; /* NULL for a flag */
	const char *opt; /* a long option as written: "--grace" */
	int opt_len;
	char short_opt; /* or the letter of a short one: 't' */
};

/* What the INI reader knows that inih's handler is not told. */
struct ini_state {
	const char *path;
	const char *buf;
	size_t len, pos;
	unsigned lineno;
	bool have_prev_key; /* inih continues a key on an indented line */
	bool continuation; /* the current line continues the previous key */
	/* The key = value being collected over continuation lines. */
	bool active;
	char section[64], key[64];
	char *value; /* as large as the file: a value cannot be longer */
	size_t value_len;
	unsigned line;
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
static void __attribute__((format(printf, 3, 4)))
fail(struct load *L, int exit_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (L->layer == ORIGIN_FILE && exit_code == EX_CONFIG) {
		if (!L->file_err_line || L->file_err_line > L->line) {
			vsnprintf(L->file_err, sizeof(L->file_err), fmt, ap);
			L->file_err_line = L->line ? L->line : 1;
		}
	} else if (!L->have_err) {
		L->have_err = true;
		L->err_r = exit_code == EX_SOFTWARE ? -ENOMEM : -EINVAL;
		L->err->exit_code = exit_code;
		vsnprintf(L->err->text, sizeof(L->err->text), fmt, ap);
	}
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
	const struct setting_def *d = settings_def(id);

	if (L->layer == ORIGIN_FILE)
		snprintf(buf, buflen, "%s:%u: [%s] %s", L->ini.path, line,
			 d->section, d->key);
	else if (L->layer == ORIGIN_CLI && L->short_opt)
		snprintf(buf, buflen, "-%c", L->short_opt);
	else if (L->layer == ORIGIN_CLI)
		snprintf(buf, buflen, "%.*s", L->opt_len, L->opt);
	else
		snprintf(buf, buflen, "%s", d->env);
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
static bool is_user_spec(const char *v)
{
	const char *colon = strchr(v, ':');
	size_t len = strlen(v);

	if (len == 0 || len >= SETTINGS_USER_MAX ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._-$:") != len)
		return false;
	return !colon ||
	       (colon != v && colon[1] != '\0' && !strchr(colon + 1, ':'));
}

static bool is_abs_path(const char *v)
{
	return v[0] == '/' && strlen(v) < CONFIG_PATH_MAX &&
	       !has_control_bytes(v);
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
	if (id == SETTING_WRITABLE)
		s->writable = strv_free(s->writable);
	if (id == SETTING_SUCCESS_EXIT)
		memset(s->success_exit, 0, sizeof(s->success_exit));
	if (id == SETTING_REWRITE) {
		for (int sig = 0; sig <= SIGNAME_MAX; sig++)
			s->rewrite[sig] = sig;
		memset(L->rewritten, 0, sizeof(L->rewritten));
	}
	set_origin(L, id);
}

/* Add one item to list @id; returns 0 or a negative errno (reported). */
static int list_add(struct load *L, enum setting_id id, const char *item)
{
	const struct setting_def *d = settings_def(id);
	struct settings *s = L->s;
	char name[24], problem[64];
	unsigned long n;
	int from, to;

	switch (d->type) {
	case SETTING_TYPE_PATH:
		if (!is_abs_path(item))
			break;
		if (strv_push(&s->writable, item) < 0) {
			fail_oom(L);
			return -ENOMEM;
		}
		return 0;
	case SETTING_TYPE_SIGNAL:
		if (signame_parse_rewrite(item, &from, &to) < 0)
			break;
		if (L->rewritten[from]) {
			const char *sig =
				signame_from_number(from, name, sizeof(name));

			snprintf(problem, sizeof(problem),
				 "rewrites %s a second time", sig ? sig : "it");
			bad_value(L, id, item, problem);
			return -EINVAL;
		}
		L->rewritten[from] = true;
		s->rewrite[from] = to;
		return 0;
	case SETTING_TYPE_STATUS:
		if (parse_uint(item, d->max, &n) < 0)
			break;
		s->success_exit[n / 8] |= (uint8_t)(1u << (n % 8));
		return 0;
	default:
		break;
	}
	bad_value(L, id, item, type_problem[d->type]);
	return -EINVAL;
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
	int r;

	list_replace(L, id);
	if (v[strspn(v, " \t\n\r")] == '\0')
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

/* Index of @v among the names of @d, or -ENOENT. */
static int lookup_name(const struct setting_def *d, const char *v)
{
	for (int i = 0; i < SETTING_NAMES_MAX; i++)
		if (d->names[i][0] && strcmp(v, d->names[i]) == 0)
			return i;
	return -ENOENT;
}

/* Replace the string at @field with a copy of @v; false when no memory. */
static bool set_string(char **field, const char *v)
{
	char *copy = v ? strdup(v) : NULL;

	if (v && !copy)
		return false;
	free(*field);
	*field = copy;
	return true;
}

/*
 * Apply @v (NULL for a command-line flag) to setting @id in the current
 * layer, as the table's type for it says. Errors are recorded; the
 * setting then keeps its lower value.
 */
static void apply(struct load *L, enum setting_id id, const char *v)
{
	const struct setting_def *d = settings_def(id);
	void *field = (char *)L->s + d->offset;
	char problem[128], *host = NULL;
	struct textbuf t;
	unsigned long n;
	unsigned u;
	int r = 0;
	bool b;

	switch (d->type) {
	case SETTING_TYPE_COMMAND:
		set_command_json(L, v);
		return;
	case SETTING_TYPE_PATH:
	case SETTING_TYPE_SIGNAL:
	case SETTING_TYPE_STATUS:
		set_list(L, id, v);
		return;
	case SETTING_TYPE_USER:
		if (!is_user_spec(v))
			goto bad;
		snprintf(field, SETTINGS_USER_MAX, "%s", v);
		break;
	case SETTING_TYPE_BOOL:
		if (v && parse_bool(v, &b) < 0)
			goto bad;
		*(bool *)field = !v || b;
		break;
	case SETTING_TYPE_AUTO_BOOL:
		/* Its names are auto, on and off; on and off as booleans. */
		r = v ? lookup_name(d, v) : 1;
		if (r != 0 && v && parse_bool(v, &b) < 0)
			goto bad;
		*(int *)field = r == 0 ? 0 : (!v || b) ? 1 : 2;
		break;
	case SETTING_TYPE_ENUM:
		r = lookup_name(d, v);
		if (r < 0)
			goto bad;
		*(int *)field = r;
		break;
	case SETTING_TYPE_SECONDS:
		r = parse_seconds(v, d->max, &u);
		if (r < 0)
			goto bad;
		*(unsigned *)field = u;
		break;
	case SETTING_TYPE_COUNT:
		r = parse_uint(v, d->max, &n);
		if (r < 0)
			goto bad;
		*(unsigned *)field = (unsigned)n;
		break;
	case SETTING_TYPE_PORT:
		if (parse_port(v, &u) < 0)
			goto bad;
		*(unsigned *)field = u;
		break;
	case SETTING_TYPE_ADDRESS:
		if (parse_ip_address(v, &r) < 0)
			goto bad;
		if (!set_string(field, v))
			goto oom;
		break;
	case SETTING_TYPE_HOSTPORT:
		r = parse_hostport(v, &host, &u);
		if (r == -ENOMEM)
			goto oom;
		if (r < 0)
			goto bad;
		free(*(char **)field);
		*(char **)field = host;
		L->s->ready_tcp_port = u;
		break;
	default:
		return;
	}
	set_origin(L, id);
	return;
bad:
	textbuf_init(&t, problem, sizeof(problem));
	if (r == -ERANGE && d->type != SETTING_TYPE_HOSTPORT)
		textbuf_printf(&t, "is more than the maximum of %u%s", d->max,
			       d->type == SETTING_TYPE_SECONDS ? " seconds" :
								 "");
	else if (d->type != SETTING_TYPE_ENUM)
		textbuf_puts(&t, type_problem[d->type]);
	else
		textbuf_puts(&t, "is not one of ");
	for (int i = 0; d->type == SETTING_TYPE_ENUM && i < SETTING_NAMES_MAX &&
			d->names[i][0];
	     i++)
		textbuf_printf(&t, "%s%s", i ? "|" : "", d->names[i]);
	if (r != -ERANGE && d->type == SETTING_TYPE_COUNT)
		textbuf_printf(&t, " (0..%u)", d->max);
	bad_value(L, id, v, problem);
	return;
oom:
	fail_oom(L);
}

/* --- the command line ------------------------------------------------ */

/*
 * The option named @name (@len bytes), or with letter @c when @c is not 0:
 * a setting of the table or one of cli_options. Returns the id (and
 * whether it takes a value), or -ENOENT.
 */
static int cli_lookup(const struct load *L, const char *name, size_t len,
		      char c, bool *ret_takes_value)
{
	bool health = L->action == CONFIG_ACTION_HEALTH ||
		      L->action == CONFIG_ACTION_STATUS;

	for (size_t i = 0; i < N_ELEMS(cli_options); i++) {
		const struct cli_option *o = &cli_options[i];

		if (!(health ? o->in_health : o->in_run))
			continue;
		if (c ? o->short_opt == c :
			strlen(o->name) == len && !memcmp(o->name, name, len)) {
			*ret_takes_value = o->takes_value;
			return o->id;
		}
	}
	for (int id = 0; !health && id < SETTING_MAX; id++) {
		const struct setting_def *d = settings_def(id);

		if (c ? d->short_option == c :
			d->option[0] && strlen(d->option) == len &&
				    !memcmp(d->option, name, len)) {
			*ret_takes_value = d->kind != SETTING_KIND_FLAG;
			return id;
		}
	}
	return -ENOENT;
}

/* Queue option @id; @opt is "--name" (@opt_len bytes) or @short_opt. */
static void cli_queue(struct load *L, int id, const char *value,
		      const char *opt, int opt_len, char short_opt)
{
	if (id == CLI_CONFIG) {
		L->cli_config = value;
	} else if (id == CLI_HELP || id == CLI_VERSION) {
		/* The first of them wins, like everywhere else. */
		if (L->wants == CONFIG_ACTION_RUN)
			L->wants = id == CLI_HELP ? CONFIG_ACTION_HELP :
						    CONFIG_ACTION_VERSION;
	} else {
		L->cli[L->n_cli++] = (struct cli_entry){ id, value, opt,
							 opt_len, short_opt };
	}
}

/*
 * One option word at argv[*i]: "--name", "--name=value", "--name value",
 * "-u value", "-uvalue" or grouped flags like "-hV".
 */
static void cli_word(struct load *L, int argc, char *const *argv, int *i)
{
	const char *arg = argv[*i], *name = arg + 2, *eq = strchr(name, '=');
	int len = eq ? (int)(eq - name) : (int)strlen(name);
	char q[QUOTE_MAX * 4 + 16], opt[2] = { '-', 0 };
	bool takes_value;
	int id;

	if (arg[1] == '-') {
		id = cli_lookup(L, name, (size_t)len, 0, &takes_value);
		if (id < 0) {
			quote_at(q, sizeof(q), arg, (size_t)(len + 2), 0);
			fail(L, EX_USAGE, "unknown option %s", q);
		} else if (!takes_value && eq) {
			fail(L, EX_USAGE, "%.*s takes no value", len + 2, arg);
		} else if (!takes_value || eq) {
			cli_queue(L, id, eq ? eq + 1 : NULL, arg, len + 2, 0);
		} else if (*i + 1 < argc) {
			*i += 1;
			cli_queue(L, id, argv[*i], arg, len + 2, 0);
		} else {
			fail(L, EX_USAGE, "%s: missing value", arg);
		}
		return;
	}
	for (const char *p = arg + 1; *p; p++) {
		id = cli_lookup(L, NULL, 0, *p, &takes_value);
		if (id < 0) {
			opt[1] = *p;
			quote_at(q, sizeof(q), opt, 2, 0);
			fail(L, EX_USAGE, "unknown option %s", q);
			return;
		}
		if (!takes_value) {
			cli_queue(L, id, NULL, NULL, 0, *p);
			continue;
		}
		if (p[1] != '\0') {
			cli_queue(L, id, p + 1, NULL, 0, *p);
		} else if (*i + 1 < argc) {
			*i += 1;
			cli_queue(L, id, argv[*i], NULL, 0, *p);
		} else {
			fail(L, EX_USAGE, "-%c: missing value", *p);
		}
		return;
	}
}

/*
 * Split argv into the action, the options (queued for the CLI layer) and
 * the command. Options stop at "--" or at the first non-option, which is
 * the command (as getopt_long's "+" would), so the command's own options
 * are left alone; getopt itself would print its own messages.
 */
static int cli_parse(struct load *L, int argc, char *const *argv)
{
	char q[QUOTE_MAX * 4 + 16];
	int i = 1;

	L->action = CONFIG_ACTION_RUN;
	if (argc > 1 && strcmp(argv[1], "health") == 0)
		L->action = CONFIG_ACTION_HEALTH;
	else if (argc > 1 && strcmp(argv[1], "check") == 0)
		L->action = CONFIG_ACTION_CHECK;
	else if (argc > 1 && strcmp(argv[1], "status") == 0)
		L->action = CONFIG_ACTION_STATUS;
	if (L->action != CONFIG_ACTION_RUN)
		i = 2;
	L->cli = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*L->cli));
	if (!L->cli)
		return -ENOMEM;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		cli_word(L, argc, argv, &i);
	}
	if (i >= argc)
		return 0;
	if (L->action == CONFIG_ACTION_HEALTH ||
	    L->action == CONFIG_ACTION_STATUS) {
		quote(q, sizeof(q), argv[i]);
		fail(L, EX_USAGE,
		     "%s: unexpected argument %s (pidone %s takes only "
		     "options)",
		     argv[1], q, argv[1]);
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
	case CLI_STATUS_JSON:
		s->status_json = true;
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
 * The environment layer, in table order (so the first error is the same
 * whatever the order of the environment). An empty variable counts as
 * unset, so that a compose file's PIDONE_GRACE: ${GRACE} with GRACE unset
 * changes nothing. Unknown PIDONE_* variables are left alone: test
 * harnesses and images set their own.
 */
static void apply_env(struct load *L)
{
	L->layer = ORIGIN_ENV;
	memset(L->touched, 0, sizeof(L->touched));
	for (int id = 0; id < SETTING_MAX; id++) {
		const char *v = env_get(L->envp, settings_def(id)->env);

		if (v && *v)
			apply(L, (enum setting_id)id, v);
	}
}

/* --- the INI file ------------------------------------------------------ */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/*
 * Note what inih r55 will make of the line @line (@len bytes, no newline):
 * comment and blank lines first, then an indented line continues the
 * previous key (if there is one since the last section), then "[section]"
 * starts a section. Unknown sections are reported here, on their own line,
 * because inih calls no handler for a section header. Returns false for a
 * comment or blank line.
 */
static bool ini_classify(struct load *L, const char *line, size_t len)
{
	struct ini_state *st = &L->ini;
	char q[QUOTE_MAX * 4 + 16], section[32];
	size_t bom = 0, i, end;

	if (st->lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		bom = 3; /* inih skips a UTF-8 byte order mark */
	for (i = bom; i < len && is_space(line[i]); i++)
		;
	st->continuation = false;
	if (i == len || line[i] == ';' || line[i] == '#')
		return false;
	st->continuation = i > bom && st->have_prev_key;
	if (st->continuation || line[i] != '[')
		return true;
	for (end = i + 1; end < len && line[end] != ']'; end++)
		;
	if (end == len)
		return true; /* inih reports the missing ']' */
	st->have_prev_key = false;
	if (end - i - 1 < sizeof(section)) {
		memcpy(section, line + i + 1, end - i - 1);
		section[end - i - 1] = '\0';
		if (settings_is_ini_section(section))
			return true;
	}
	quote_at(q, sizeof(q), line + i + 1, end - i - 1, 0);
	fail(L, EX_CONFIG,
	     "%s:%u: unknown section %s (known: [process] [dirs] "
	     "[signals] [health] [log])",
	     st->path, st->lineno, q);
	return true;
}

/*
 * inih's fgets-style reader over our buffer: one line per call, so
 * st->lineno is the line inih is working on when it calls the handler.
 * A line that is too long, holds a NUL byte or (with an inih that cuts
 * values there) " ;", is reported and replaced by an empty line, so inih
 * never splits or truncates anything.
 */
static char *ini_read_line(char *str, int num, void *stream)
{
	struct load *L = stream;
	struct ini_state *st = &L->ini;
	const char *line = st->buf + st->pos, *nl;
	size_t len, text_len;
	bool content;

	if (st->pos >= st->len || num < 2)
		return NULL;
	nl = memchr(line, '\n', st->len - st->pos);
	len = nl ? (size_t)(nl - line) + 1 : st->len - st->pos;
	st->pos += len;
	L->line = ++st->lineno;
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
	memcpy(str, "\n", 2);
	return str;
}

/* Apply the key = value collected so far, once it is complete. */
static void ini_flush(struct load *L)
{
	struct ini_state *st = &L->ini;
	char q[QUOTE_MAX * 4 + 16];
	int id;

	if (!st->active)
		return;
	st->active = false;
	L->line = st->line;
	quote(q, sizeof(q), st->key);
	if (st->section[0] == '\0') {
		fail(L, EX_CONFIG,
		     "%s:%u: key %s is outside any section (put it under "
		     "[process], [dirs], [signals], [health] or [log])",
		     st->path, st->line, q);
		return;
	}
	if (!settings_is_ini_section(st->section))
		return; /* reported at the section header */
	id = settings_from_ini(st->section, st->key);
	if (id < 0) {
		fail(L, EX_CONFIG, "%s:%u: unknown key %s in [%s]", st->path,
		     st->line, q, st->section);
		return;
	}
	if (settings_def(id)->kind != SETTING_KIND_LIST) {
		if (st->first_line[id]) {
			fail(L, EX_CONFIG,
			     "%s:%u: duplicate key %s in [%s] (first set on "
			     "line %u)",
			     st->path, st->line, q, st->section,
			     st->first_line[id]);
			return;
		}
		st->first_line[id] = st->line;
	}
	apply(L, (enum setting_id)id, st->value);
}

/*
 * inih's handler. A continuation line (inih calls us again with the same
 * key) is appended to the value with "\n", so that a long command can span
 * indented lines; anything else completes the previous key first. The
 * value buffer is as large as the file, so the text always fits.
 */
static int ini_on_entry(void *user, const char *section, const char *name,
			const char *value)
{
	struct load *L = user;
	struct ini_state *st = &L->ini;
	size_t n = strlen(value);

	if (!st->continuation || !st->active) {
		ini_flush(L);
		st->active = true;
		st->line = st->lineno;
		snprintf(st->section, sizeof(st->section), "%s", section);
		snprintf(st->key, sizeof(st->key), "%s", name);
		st->value_len = 0;
	} else if (st->value_len + 1 + n <= st->len) {
		st->value[st->value_len++] = '\n';
	}
	if (st->value_len + n <= st->len) {
		memcpy(st->value + st->value_len, value, n);
		st->value_len += n;
	}
	st->value[st->value_len] = '\0';
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
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		r = -ENOMEM;
		fail_oom(L);
		goto out_close_fd;
	}
	/* Read to EOF, and no further than the limit. */
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
	*st = (struct ini_state){ .buf = buf, .len = len };
	st->value = malloc(len + 1);
	if (!set_string(&L->s->config_path, path) || !st->value) {
		fail_oom(L);
		goto out_free_buf;
	}
	st->path = L->s->config_path;
#if defined(HAVE_INI_RUNTIME_SWITCHES)
	/* An inih with runtime switches: keep " ;", allow continuations. */
	ini_allow_inline_comments = 0;
	ini_allow_multiline = 1;
#endif
	r = ini_parse_stream(ini_read_line, L, ini_on_entry, L);
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
out_free_buf:
	free(st->value);
	free(buf);
	*st = (struct ini_state){ 0 };
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

/* The --help text, written from the settings table into @buf. */
const char *config_usage(char *buf, size_t size)
{
	struct textbuf t;
	textbuf_init(&t, buf, size);
	textbuf_puts(
		&t,
		"Usage: pidone [OPTIONS] [--] COMMAND [ARG...]    run COMMAND under supervision\n"
		"       pidone check [OPTIONS] [--] [COMMAND...]  report what a run would do\n"
		"       pidone health [--ready] [--url URL] [--timeout SECS] [--config FILE]\n"
		"                                                 probe a running pidone\n"
		"       pidone status [--json] [--url URL] [--timeout SECS]\n"
		"                                                 show it, its checks, the\n"
		"                                                 container and its processes\n"
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
		"      --config FILE            PIDONE_CONFIG        " CONFIG_DEFAULT_PATH
		"\n");
	for (int id = 0; id < SETTING_MAX; id++) {
		const struct setting_def *d = settings_def(id);
		char opt[48];

		if (!d->option[0])
			continue;
		textbuf_format(opt, sizeof(opt), "--%s%s%s%s", d->option,
			       d->arg[0] ? " " : "", d->arg,
			       d->kind == SETTING_KIND_LIST ? " ..." : "");
		textbuf_printf(&t, "  %c%c%c %-24s %-20s %s%s\n",
			       d->short_option ? '-' : ' ',
			       d->short_option ? d->short_option : ' ',
			       d->short_option ? ',' : ' ', opt, d->env,
			       d->default_text, d->note);
	}
	textbuf_puts(
		&t,
		"  -h, --help                   print this help\n"
		"  -V, --version                print the version\n"
		"\n"
		"Options marked ... repeat; their variables are comma-separated lists, and\n"
		"an empty value (-w '') means none. Variables set to \"\" count as unset.\n"
		"Booleans in variables and the file: 1/0, true/false, yes/no, on/off.\n"
		"Config file keys, by section:");
	for (int id = 0; id < SETTING_MAX; id++) {
		const char *section = settings_def(id)->section;
		bool first = true;

		for (int k = 0; k < id; k++)
			first = first &&
				strcmp(settings_def(k)->section, section);
		if (!first)
			continue;
		textbuf_printf(&t, "\n  [%s]", section);
		for (int k = id; k < SETTING_MAX; k++)
			if (strcmp(settings_def(k)->section, section) == 0)
				textbuf_printf(&t, " %s", settings_def(k)->key);
	}
	textbuf_puts(
		&t,
		"\nThe default file is read only when it exists; --config '' reads none.\n"
		"\n"
		"pidone health: GET /healthz (/readyz with --ready) on the configured port\n"
		"      --ready                  probe readiness instead of liveness\n"
		"      --url URL                probe this http:// URL instead\n"
		"      --timeout SECS           give up after SECS (default 3, max 60)\n"
		"\n"
		"Exit status: the command's own (128+N when signal N killed it);\n"
		"64 usage error, 70 internal error, 77 privileges could not be dropped or\n"
		"a writable dir is not writable, 78 configuration error, 126 command not\n"
		"executable, 127 command not found. pidone health: 0 healthy, 1 not.\n");
	return buf;
}
