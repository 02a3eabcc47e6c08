/* SPDX-License-Identifier: MIT */
/*
 * config.c - build struct settings from defaults < INI file < environment <
 * command line (README, Options), reading the one settings table of
 * settings.c for every name, type, limit and message.
 *
 * Order of work: a first walk over argv finds the action, --config,
 * --help, --version and the command, and reports the shape of the line;
 * then the layers are applied bottom-up: the INI file, the environment,
 * and a second walk over argv. Inside one layer a repeated list setting
 * accumulates; a higher layer's list replaces the lower one's entirely.
 * Every value records its origin.
 *
 * Errors: the first one is kept in struct config_error (EX_USAGE for the
 * shape of the command line, EX_CONFIG for files, keys and values, naming
 * where: "--grace", "PIDONE_GRACE", "/etc/pidone/pidone.ini:12"), but the
 * remaining entries are still applied, so that a valid log_format and
 * log_level reach main, which prints the error with them. Nothing here
 * logs and nothing exits.
 *
 * The INI file is parsed by inih, and the limits of Debian's inih r55 are
 * handled in one place, the line reader it is given: the file is read by
 * us (O_CLOEXEC|O_NONBLOCK, a regular file of at most 64 KiB) and handed
 * over one line at a time, so the reader knows the line number (r55's
 * handler is not told it); lines of 198 bytes or more and NUL bytes are
 * rejected before inih would split or cut them, and " ;" is kept (by the
 * runtime switch configure requires). The only fd opened here is closed
 * before config_load returns.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "cmdjson.h"
#include "config.h"
#include "escape.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "parse.h"
#include "settings.h"
#include "strv.h"
#include "textbuf.h"
#include "banned.h"

#define CONFIG_FILE_MAX (64 * 1024)
/* inih r55 reads lines into 200 bytes: 197, "\r\n" and the NUL fit. */
#define CONFIG_LINE_MAX 197
#define QUOTE_MAX 64 /* bytes of a bad value quoted in a message */
#define QUOTED_SIZE (QUOTE_MAX * 6 + 16) /* \u00XX a byte */
#define WHERE_SIZE (PATH_MAX + 128)
#define BLANKS " \t\n\r"

struct load {
	struct settings *s;
	char *const *envp;
	struct config_error *err;
	int err_r; /* what config_load returns once an error is kept */
	unsigned err_line; /* the kept error's line in the file, or 0 */

	enum origin_kind layer; /* the layer being applied */
	unsigned line; /* ORIGIN_FILE: line of the entry being applied, or 0 */
	const char *opt; /* ORIGIN_CLI: the option as given, "--grace", "-t" */
	int opt_len;
	char letter[3]; /* "-t" of a grouped "-ht": opt points here, not at
			   a stack frame that has returned */

	/* From the first walk over argv. */
	enum config_action action; /* RUN, CHECK, HEALTH or STATUS */
	enum config_action wants; /* HELP or VERSION when asked, else RUN */
	const char *cli_config;
	int cmd; /* argv index of the command; argc for none */

	/* The INI file, and the key = value being collected over lines. */
	const char *path;
	char *buf, *value; /* the file's bytes; value is as large */
	size_t len, pos, value_len;
	unsigned lineno, key_line;
	bool continuation; /* the current line continues the previous key */
	bool active; /* a key = value is being collected */
	char section[64], key[64];
};

/*
 * Record an error unless one is already kept. In the INI file entries are
 * not always finished in line order (a multi-line value is applied when
 * the next key starts), so there a file error on a lower line wins.
 */
static bool __attribute__((format(printf, 3, 4)))
fail(struct load *L, int exit_code, const char *fmt, ...)
{
	bool in_file = L->layer == ORIGIN_FILE && exit_code == EX_CONFIG;
	unsigned line = in_file ? (L->line ? L->line : 1) : 0;
	char raw[sizeof(L->err->text)];
	va_list ap;

	if (L->err_r && !(in_file && L->err_line > line))
		return false;
	L->err_r = exit_code == EX_SOFTWARE ? -ENOMEM : -EINVAL;
	L->err_line = line;
	L->err->exit_code = exit_code;
	va_start(ap, fmt);
	textbuf_vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Values come quoted, but a path is printed as given: any byte. */
	escape(L->err->text, sizeof(L->err->text), raw, strlen(raw), ESC_TEXT,
	       NULL);
	return true;
}

static void fail_oom(struct load *L)
{
	fail(L, EX_SOFTWARE, "out of memory while reading the configuration");
}

/*
 * @len bytes of @s as a double-quoted excerpt of at most QUOTE_MAX bytes
 * near @at (so the offending byte is shown), escaped as the log escapes a
 * JSON string, with "..." where text was left out, into @dst (QUOTED_SIZE
 * bytes). Returns @dst.
 */
static const char *quote_at(char *dst, const char *s, size_t len, size_t at)
{
	size_t start = at > QUOTE_MAX / 2 ? at - QUOTE_MAX / 4 : 0;
	size_t end = start + QUOTE_MAX < len ? start + QUOTE_MAX : len;
	size_t n = start > 0 ? 4 : 1, written;

	memcpy(dst, start > 0 ? "...\"" : "\"", n);
	escape(dst + n, QUOTED_SIZE - n - 5, s + start, end - start, ESC_JSON,
	       &written);
	memcpy(dst + n + written, end < len ? "\"..." : "\"",
	       end < len ? 5 : 2);
	return dst;
}

static const char *quote(char *dst, const char *s)
{
	return quote_at(dst, s, strlen(s), 0);
}

/* Where the entry being applied came from: "--grace", "PIDONE_GRACE"... */
static const char *where(const struct load *L, enum setting_id id,
			 unsigned line, char *buf)
{
	const struct setting_def *d = settings_def(id);

	if (L->layer == ORIGIN_FILE)
		textbuf_snprintf(buf, WHERE_SIZE, "%s:%u: [%s] %s", L->path,
				 line, d->section, d->key);
	else if (L->layer == ORIGIN_CLI)
		textbuf_snprintf(buf, WHERE_SIZE, "%.*s", L->opt_len, L->opt);
	else
		textbuf_snprintf(buf, WHERE_SIZE, "%s", d->env);
	return buf;
}

static void set_origin(struct load *L, enum setting_id id)
{
	L->s->origin[id] = (struct origin){ L->layer, L->line };
}

/* "<where>: "<v>" <problem>" as an EX_CONFIG error. */
static void bad_value(struct load *L, enum setting_id id, const char *v,
		      const char *problem)
{
	char w[WHERE_SIZE], q[QUOTED_SIZE];

	fail(L, EX_CONFIG, "%s: %s %s", where(L, id, L->line, w), quote(q, v),
	     problem);
}

/* Set @id from @v, or report why not; 0 or a negative errno. */
static int set_one(struct load *L, enum setting_id id, const char *v)
{
	char problem[128];
	int r = settings_set(L->s, id, v, problem, sizeof(problem));

	if (r == -ENOMEM)
		fail_oom(L);
	else if (r < 0)
		bad_value(L, id, v, problem);
	return r;
}

/* The command as a JSON array of strings, from the file or a variable. */
static void set_command_json(struct load *L, const char *v)
{
	char w[WHERE_SIZE], q[QUOTED_SIZE], **argv = NULL;
	const char *reason = NULL;
	size_t len = strlen(v), offset = 0;
	unsigned line = L->line;
	int r = cmdjson_parse(v, len, &argv, &offset, &reason);

	if (r == 0) {
		strv_free(L->s->command);
		L->s->command = argv;
		set_origin(L, SETTING_COMMAND);
		return;
	}
	offset = offset < len ? offset : len;
	/* A multi-line value: name the line the bad byte is on. */
	for (size_t i = 0; L->layer == ORIGIN_FILE && i < offset; i++)
		line += v[i] == '\n';
	if (r == -ENOMEM)
		fail_oom(L);
	else
		fail(L, EX_CONFIG, "%s: %s (at byte %zu of %s)",
		     where(L, SETTING_COMMAND, line, w),
		     reason ? reason : "not a JSON array of strings", offset,
		     quote_at(q, v, len, offset));
}

/* Is @v "none", in any case, white space around it aside? */
static bool is_none(const char *v)
{
	size_t start = strspn(v, BLANKS), len = strlen(v);

	while (len > start && strchr(BLANKS, v[len - 1]))
		len--;
	return len - start == 4 && strncasecmp(v + start, "none", 4) == 0;
}

/*
 * Apply @v (NULL for a command-line flag) to setting @id in the current
 * layer. A list is emptied the first time a layer sets it, then takes one
 * item from the command line, or comma-separated items (white space
 * around them trimmed) from elsewhere; an empty value or none empties it.
 * Errors are recorded; the setting keeps its lower value then.
 */
static void apply(struct load *L, enum setting_id id, const char *v)
{
	const struct setting_def *d = settings_def(id);
	char *copy, *item, *next, *end;

	if (d->kind == SETTING_KIND_COMMAND)
		set_command_json(L, v);
	else if (d->kind != SETTING_KIND_LIST && set_one(L, id, v) == 0)
		set_origin(L, id);
	if (d->kind != SETTING_KIND_LIST)
		return;
	/* The first item a layer gives empties the lower layers' list. */
	if (L->s->origin[id].kind != L->layer) {
		settings_clear(L->s, id);
		set_origin(L, id);
	}
	/*
	 * Empty, or the "none" --help and check show for an empty list: none,
	 * even after items of the same layer (the last word wins), and a
	 * variable can so empty what the file set.
	 */
	if (v[strspn(v, BLANKS)] == '\0' || is_none(v)) {
		settings_clear(L->s, id);
		return;
	}
	if (L->layer == ORIGIN_CLI) {
		set_one(L, id, v);
		return;
	}
	copy = strdup(v);
	if (!copy)
		fail_oom(L);
	for (item = copy; item; item = next) {
		next = strchr(item, ',');
		end = next ? next++ : item + strlen(item);
		item += strspn(item, BLANKS);
		while (end > item && strchr(BLANKS, end[-1]))
			end--;
		*end = '\0';
		if (*item == '\0')
			bad_value(L, id, v, "has an empty item between commas");
		if (*item == '\0' || set_one(L, id, item) < 0)
			break;
	}
	free(copy);
}

/* --- the command line ------------------------------------------------ */

/*
 * The option given as @opt ("--name" or "-c", @len bytes), if the action
 * takes it: its id, or -ENOENT.
 */
static int cli_find(const struct load *L, const char *opt, size_t len)
{
	for (int id = 0; id < OPTION_MAX; id++) {
		const struct setting_def *d = settings_def(id);
		const char *name = d->option;

		if (!(d->actions & 1u << L->action))
			continue;
		/* The first letter first: most rows differ there. */
		if (opt[1] != '-' ?
			    d->short_option == opt[1] :
			    name[0] == opt[2] &&
				    strncmp(name, opt + 2, len - 2) == 0 &&
				    name[len - 2] == '\0')
			return id;
	}
	return -ENOENT;
}

/*
 * Option @id with value @v (NULL for a flag): the first walk keeps what it
 * needs, the @second applies.
 */
static void cli_option(struct load *L, int id, const char *v, bool second)
{
	if (!second && id == OPTION_CONFIG) {
		L->cli_config = v;
	} else if (!second && (id == OPTION_HELP || id == OPTION_VERSION)) {
		/* The first of them wins, like everywhere else. */
		if (L->wants == CONFIG_ACTION_RUN)
			L->wants = id == OPTION_HELP ? CONFIG_ACTION_HELP :
						       CONFIG_ACTION_VERSION;
	} else if (second && id < SETTING_MAX) {
		apply(L, (enum setting_id)id, v);
	} else if (second && id > OPTION_VERSION) {
		set_one(L, (enum setting_id)id, v);
	}
}

/*
 * Walk the options of argv ("--name", "--name=value", "--name value",
 * "-u value", "-uvalue", grouped flags like "-hV"). They stop at "--" or
 * at the first word that is not an option: the command, whose own options
 * are left alone (as getopt_long's "+" would, but with exact names only
 * and our own messages). The first walk finds what cli_option keeps, the
 * command and the errors of shape; the @second applies the options.
 */
static void cli_walk(struct load *L, int argc, char *const *argv, bool second)
{
	char q[QUOTED_SIZE];
	int i;

	for (i = L->action == CONFIG_ACTION_RUN ? 1 : 2; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		bool is_long;

		if (a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0)
			break;
		is_long = a[1] == '-';
		/* "--name[=value]" is one option, "-abc" a letter each. */
		for (const char *p = a + 1; *p; p++) {
			const char *opt = a, *v = eq ? eq + 1 : NULL;
			int n = eq ? (int)(eq - a) : (int)strlen(a), id;
			bool takes_value;

			if (!is_long) {
				L->letter[0] = '-';
				L->letter[1] = *p;
				opt = L->letter;
				n = 2;
				v = p[1] ? p + 1 : NULL;
			}
			id = cli_find(L, opt, (size_t)n);
			takes_value = id >= 0 && settings_def(id)->kind !=
							 SETTING_KIND_FLAG;
			L->opt = opt;
			L->opt_len = n;
			if (id < 0)
				fail(L, EX_USAGE, "unknown option %s",
				     quote_at(q, opt, (size_t)n, 0));
			else if (!takes_value && v && is_long)
				fail(L, EX_USAGE, "%.*s takes no value", n, a);
			else if (takes_value && !v && i + 1 == argc)
				fail(L, EX_USAGE, "%s: missing value", opt);
			else
				cli_option(L, id,
					   !takes_value ? NULL :
					   v		? v :
							  argv[++i],
					   second);
			if (is_long || id < 0 || takes_value)
				break;
		}
	}
	if (second)
		return;
	L->cmd = i < argc && strcmp(argv[i], "--") == 0 ? i + 1 : i;
	if ((L->action == CONFIG_ACTION_HEALTH ||
	     L->action == CONFIG_ACTION_STATUS) &&
	    L->cmd < argc) {
		fail(L, EX_USAGE,
		     "%s: unexpected argument %s (pidone %s takes only "
		     "options)",
		     argv[1], quote(q, argv[L->cmd]), argv[1]);
		L->cmd = argc;
	}
}

/* The command-line layer: the options in order, then the command. */
static void apply_cli(struct load *L, int argc, char *const *argv)
{
	L->layer = ORIGIN_CLI;
	cli_walk(L, argc, argv, true);
	if (L->cmd == argc)
		return;
	/* The command line's words are the argv, no JSON involved. */
	L->s->command = strv_free(L->s->command);
	for (int k = L->cmd; k < argc; k++)
		if (strv_push(&L->s->command, argv[k]) < 0)
			fail_oom(L);
	set_origin(L, SETTING_COMMAND);
}

/* --- the environment -------------------------------------------------- */

/*
 * Does variable value @v give a value? Set to "" or to blanks it counts
 * as unset: a template that expanded to nothing, not a request for none.
 */
static bool env_given(const char *v)
{
	return v && v[strspn(v, " \t\r\n")] != '\0';
}

/*
 * Are the @len bytes at @s the string @word? Byte by byte: the first byte
 * that differs decides, and @word is not measured first, as each PIDONE_
 * variable is looked up against the whole table.
 */
static bool span_is(const char *s, size_t len, const char *word)
{
	size_t i = 0;

	while (i < len && word[i] != '\0' && s[i] == word[i])
		i++;
	return i == len && word[i] == '\0';
}

#define ENV_PREFIX "PIDONE_"
#define ENV_PREFIX_LEN (sizeof(ENV_PREFIX) - 1)

/* Is @e one of ours? The first byte turns most away without a call. */
static bool has_env_prefix(const char *e)
{
	return e[0] == ENV_PREFIX[0] &&
	       strncmp(e, ENV_PREFIX, ENV_PREFIX_LEN) == 0;
}

/*
 * The setting whose variable is the @len bytes at @name, or -ENOENT.
 * @name starts with ENV_PREFIX, as every variable of the table does: only
 * the rest is compared.
 */
static int env_setting(const char *name, size_t len)
{
	for (int id = 0; id < SETTING_MAX; id++)
		if (span_is(name + ENV_PREFIX_LEN, len - ENV_PREFIX_LEN,
			    settings_def(id)->env + ENV_PREFIX_LEN))
			return id;
	return -ENOENT;
}

/*
 * The environment layer, in table order (so the first error is the same
 * whatever the order of the environment). An empty or blank variable
 * counts as unset, so that a compose file's PIDONE_GRACE: ${GRACE} with
 * GRACE unset changes nothing. Unknown PIDONE_* variables are no error
 * (test harnesses and images set their own): the start warns of each
 * and check lists them (config_unknown_env).
 */
static void apply_env(struct load *L)
{
	const char *value[SETTING_MAX] = { NULL };

	L->layer = ORIGIN_ENV;
	/*
	 * One pass over the environment, which a pod's service links can
	 * make hundreds of variables long, rather than one per setting.
	 */
	for (char *const *e = L->envp; e && *e; e++) {
		const char *eq;
		int id;

		if (!has_env_prefix(*e) || !(eq = strchr(*e, '=')))
			continue;
		id = env_setting(*e, (size_t)(eq - *e));
		if (id >= 0 && !value[id]) /* the first, like getenv */
			value[id] = eq + 1;
	}
	for (int id = 0; id < SETTING_MAX; id++)
		if (env_given(value[id]))
			apply(L, (enum setting_id)id, value[id]);
}

/* See config.h. */
const char *config_unknown_env(char *const *envp, size_t *pos, size_t *ret_len)
{
	/* Read outside the table: the file's name, and the tests' cgroup. */
	static const char others[][24] = { "PIDONE_CONFIG",
					   "PIDONE_TEST_CGROUP_ROOT" };

	for (; envp && envp[*pos]; (*pos)++) {
		const char *e = envp[*pos];
		size_t len;
		bool known;

		if (!has_env_prefix(e))
			continue;
		len = strcspn(e, "=");
		known = env_setting(e, len) >= 0;
		for (size_t i = 0;
		     !known && i < sizeof(others) / sizeof(*others); i++)
			known = span_is(e, len, others[i]);
		if (!known) {
			*ret_len = len;
			return envp[(*pos)++];
		}
	}
	return NULL;
}

/* --- the INI file ------------------------------------------------------ */

/* Is @name (@len bytes) a section of the table? */
static bool is_section(const char *name, size_t len)
{
	for (int id = 0; id < SETTING_MAX; id++) {
		const char *section = settings_def(id)->section;

		if (span_is(name, len, section))
			return true;
	}
	return false;
}

/* Apply the key = value collected so far, once it is complete. */
static void ini_flush(struct load *L)
{
	char q[QUOTED_SIZE];
	int id = 0;

	if (!L->active)
		return;
	L->active = false;
	L->line = L->key_line;
	while (id < SETTING_MAX &&
	       (strcmp(settings_def(id)->section, L->section) != 0 ||
		strcmp(settings_def(id)->key, L->key) != 0))
		id++;
	quote(q, L->key);
	if (L->section[0] == '\0') {
		fail(L, EX_CONFIG,
		     "%s:%u: key %s is outside any section (put it under "
		     "[process], [dirs], [signals], [health] or [log])",
		     L->path, L->line, q);
	} else if (!is_section(L->section, strlen(L->section))) {
		/* reported at the section line */
	} else if (id == SETTING_MAX) {
		fail(L, EX_CONFIG, "%s:%u: unknown key %s in [%s]", L->path,
		     L->line, q, L->section);
	} else if (settings_def(id)->kind != SETTING_KIND_LIST &&
		   L->s->origin[id].kind == ORIGIN_FILE) {
		fail(L, EX_CONFIG,
		     "%s:%u: duplicate key %s in [%s] (first set on line %u)",
		     L->path, L->line, q, L->section, L->s->origin[id].line);
	} else {
		apply(L, (enum setting_id)id, L->value);
	}
}

/*
 * inih's fgets-style reader over the file's bytes: one line per call, so
 * L->lineno is the line inih works on when it calls the handler. A line
 * inih would split (too long) or cut (a NUL byte) is reported and handed
 * over as an empty line. The reader also notes what inih will make of a
 * line: after a byte order mark and white space, nothing, ";" or "#" is
 * a comment; an indented line continues the previous key, if there is one
 * since the last section; "[name]" starts a section, which completes the
 * key before it and is reported here when unknown, since inih calls no
 * handler for it.
 */
static char *ini_line(char *str, int num, void *stream)
{
	struct load *L = stream;
	const char *line = L->buf + L->pos, *nl = NULL, *end;
	size_t len = L->len - L->pos, n, i, bom;
	char q[QUOTED_SIZE];

	if (len == 0)
		return NULL;
	nl = memchr(line, '\n', len);
	len = nl ? (size_t)(nl - line) + 1 : len;
	n = len - (nl ? 1 : 0);
	n -= n > 0 && line[n - 1] == '\r';
	L->pos += len;
	L->line = ++L->lineno;
	L->continuation = false;
	/*
	 * A line refused whole may be the rest of a key's value: the key is
	 * dropped with it, or its cut value would be the error, on the line
	 * before.
	 */
	if (n > CONFIG_LINE_MAX || len >= (size_t)num ||
	    memchr(line, '\0', len))
		L->active = false;
	if (n > CONFIG_LINE_MAX || len >= (size_t)num) {
		fail(L, EX_CONFIG,
		     "%s:%u: line too long (max %d bytes); split a long "
		     "command over indented continuation lines",
		     L->path, L->lineno, CONFIG_LINE_MAX);
		return memcpy(str, "\n", 2);
	}
	if (memchr(line, '\0', len)) {
		fail(L, EX_CONFIG, "%s:%u: NUL byte in the config file",
		     L->path, L->lineno);
		return memcpy(str, "\n", 2);
	}
	bom = L->lineno == 1 && n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3) ? 3 :
									     0;
	/* inih would take a lone CR for part of the line (an old Mac file) */
	if (memchr(line, '\r', n)) {
		fail(L, EX_CONFIG,
		     "%s:%u: carriage return within a line: end lines with LF "
		     "or CRLF",
		     L->path, L->lineno);
		L->active = false;
		return memcpy(str, "\n", 2);
	}
	for (i = bom; i < n && isspace((unsigned char)line[i]); i++)
		;
	if (i < n && line[i] != ';' && line[i] != '#') {
		L->continuation = i > bom && L->active && L->key[0];
		end = memchr(line + i, ']', n - i);
		if (!L->continuation && line[i] == '[' && end) {
			ini_flush(L); /* a section ends the key before it */
			L->line = L->lineno;
			if (!is_section(line + i + 1,
					(size_t)(end - line) - i - 1))
				fail(L, EX_CONFIG,
				     "%s:%u: unknown section %s (known: "
				     "[process] [dirs] [signals] [health] [log])",
				     L->path, L->lineno,
				     quote_at(q, line + i + 1,
					      (size_t)(end - line) - i - 1, 0));
			/* inih drops what follows "]": a key there is lost */
			for (end++;
			     end < line + n && isspace((unsigned char)*end);
			     end++)
				;
			if (end < line + n && *end != ';' && *end != '#')
				fail(L, EX_CONFIG,
				     "%s:%u: text after the section name: put "
				     "each key = value on a line of its own",
				     L->path, L->lineno);
		}
	}
	memcpy(str, line, len);
	str[len] = '\0';
	return str;
}

/*
 * inih's handler. A continuation line (inih calls us again with the same
 * key) is appended to the value with "\n", so that a long command can span
 * indented lines; anything else completes the previous key first. A line
 * adds at most its own length to the value, which, as large as the file,
 * always has room.
 */
static int ini_entry(void *user, const char *section, const char *name,
		     const char *value)
{
	struct load *L = user;
	size_t n = strlen(value);

	if (!L->continuation) {
		ini_flush(L);
		L->active = true;
		L->key_line = L->lineno;
		textbuf_snprintf(L->section, sizeof(L->section), "%s", section);
		textbuf_snprintf(L->key, sizeof(L->key), "%s", name);
		L->value_len = 0;
	} else {
		L->value[L->value_len++] = '\n';
	}
	memcpy(L->value + L->value_len, value, n + 1);
	L->value_len += n;
	return 1; /* errors are ours to keep; inih's return is for syntax */
}

/*
 * Read @path into L->buf (which the caller frees): O_NONBLOCK, since a
 * FIFO must not hang PID 1, and only a regular file of at most
 * CONFIG_FILE_MAX bytes. Returns 0, or a negative errno (reported, but
 * for a missing file not @named_by anyone).
 */
static int ini_read(struct load *L, const char *path, const char *named_by)
{
	int fd = openat(AT_FDCWD, path,
			O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	ssize_t n;
	int r = fd < 0 ? -errno : 0;

	/* Out of fds is no fault of the file: 70, and main's fd hint. */
	if (fd_limit_hint(r)) {
		if (fail(L, EX_SOFTWARE, "%s: cannot open: %s", path,
			 strerror(-r)))
			L->err_r = r;
	} else if (r < 0 && named_by) {
		/* -EACCES kept: `pidone health` may not read PID 1's file */
		if (fail(L, EX_CONFIG, "%s: cannot open %s: %s", named_by, path,
			 strerror(-r)) &&
		    r == -EACCES)
			L->err_r = r;
	} else if (r < 0 && r != -ENOENT) {
		if (fail(L, EX_CONFIG, "%s: cannot open: %s", path,
			 strerror(-r)) &&
		    r == -EACCES)
			L->err_r = r;
	}
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		fail(L, EX_CONFIG, "%s: cannot stat: %s", path, strerror(-r));
	} else if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		fail(L, EX_CONFIG, "%s: not a regular file", path);
	} else if (!(L->buf = malloc(CONFIG_FILE_MAX + 1))) {
		r = -ENOMEM;
	} else if ((n = fd_read_all(fd, L->buf, CONFIG_FILE_MAX + 1)) < 0) {
		r = (int)n;
		fail(L, EX_CONFIG, "%s: cannot read: %s", path, strerror(-r));
	} else if ((L->len = (size_t)n) > CONFIG_FILE_MAX) {
		/* One byte more than the limit was asked for, to see this. */
		r = -EFBIG;
		fail(L, EX_CONFIG, "%s: larger than %d KiB", path,
		     CONFIG_FILE_MAX / 1024);
	}
	fd_close(&fd);
	return r;
}

/*
 * The file layer: which file (--config, else PIDONE_CONFIG, else
 * @default_config if it exists), read, parsed and applied.
 */
static void apply_file(struct load *L, const char *default_config)
{
	const char *env = strv_env_value(L->envp, "PIDONE_CONFIG");
	const char *named_by = L->cli_config  ? "--config" :
			       env_given(env) ? "PIDONE_CONFIG" :
						NULL;
	const char *path = L->cli_config ? L->cli_config :
			   named_by	 ? env :
					   default_config;
	int r;

	/* --config '' reads no file at all, not even the default one. */
	if (!path || !*path)
		return;
	L->layer = ORIGIN_FILE;
	r = ini_read(L, path, named_by);
	if (r == 0) {
		L->value = malloc(L->len + 1);
		L->s->config_path = strdup(path);
		L->path = L->s->config_path;
		r = L->value && L->path ? 0 : -ENOMEM;
	}
	if (r == 0) {
		/* Keep " ;" inside a value, continue indented lines. */
		ini_allow_inline_comments = 0;
		ini_allow_multiline = 1;
		r = ini_parse_stream(ini_line, L, ini_entry, L);
		ini_flush(L);
		L->line = r > 0 ? (unsigned)r : 0;
		if (r > 0)
			fail(L, EX_CONFIG,
			     "%s:%d: syntax error: expected [section], key = "
			     "value, an indented continuation line or a comment",
			     L->path, r);
		r = r == -2 ? -ENOMEM : 0;
	}
	if (r == -ENOMEM)
		fail_oom(L);
	free(L->value);
	free(L->buf);
	L->layer = ORIGIN_DEFAULT;
	L->line = 0;
}

/* --- putting it together ---------------------------------------------- */

/* The writable default: $TMPDIR when it is an absolute path, else /tmp. */
static void default_writable(struct load *L)
{
	const char *tmp = strv_env_value(L->envp, "TMPDIR");
	int r;

	/* Nobody set it: the list is still settings_init's empty one. */
	if (L->s->origin[SETTING_WRITABLE].kind != ORIGIN_DEFAULT)
		return;
	r = tmp ? settings_set(L->s, SETTING_WRITABLE, tmp, NULL, 0) : -EINVAL;
	if (r == -EINVAL)
		r = settings_set(L->s, SETTING_WRITABLE, "/tmp", NULL, 0);
	if (r < 0)
		fail_oom(L);
}

/* Merge the four layers into @s (see config.h). */
/* config_load's work; @file false reads no file, as --config '' would. */
static int load_layers(struct settings *s, int argc, char *const *argv,
		       char *const *envp, const char *default_config, bool file,
		       struct config_error *reterr)
{
	static const char actions[][8] = { "", "check", "health", "status" };
	struct load L = { .s = s, .envp = envp, .err = reterr };

	reterr->exit_code = 0;
	reterr->text[0] = '\0';
	for (int a = CONFIG_ACTION_CHECK; argc > 1 && a <= CONFIG_ACTION_STATUS;
	     a++)
		if (strcmp(argv[1], actions[a]) == 0)
			L.action = (enum config_action)a;
	cli_walk(&L, argc, argv, false);
	s->config_on_line = L.cli_config != NULL;
	/* --help and --version win over everything, even a broken file. */
	if (L.wants != CONFIG_ACTION_RUN)
		return (int)L.wants;
	if (file)
		apply_file(&L, default_config);
	apply_env(&L);
	apply_cli(&L, argc, argv);
	L.layer = ORIGIN_DEFAULT;
	/* A probe has no use for it: no allocation in `pidone health`. */
	if (L.action == CONFIG_ACTION_RUN || L.action == CONFIG_ACTION_CHECK)
		default_writable(&L);
	if (L.action == CONFIG_ACTION_RUN && !s->command)
		fail(&L, EX_USAGE,
		     "no command: give one after -- or set PIDONE_COMMAND or "
		     "command = in the config file");
	return L.err_r ? L.err_r : (int)L.action;
}

int config_load(struct settings *s, int argc, char *const *argv,
		char *const *envp, const char *default_config,
		struct config_error *reterr)
{
	return load_layers(s, argc, argv, envp, default_config, true, reterr);
}

int config_load_no_file(struct settings *s, int argc, char *const *argv,
			char *const *envp, struct config_error *reterr)
{
	return load_layers(s, argc, argv, envp, NULL, false, reterr);
}
