/* SPDX-License-Identifier: MIT */
/*
 * check.c - `pidone check`: what a real start would do with these
 * settings, and the exit code it would end with, without doing it.
 *
 * The report goes to the caller's fd (stdout): every setting with its
 * value and origin, then one verdict line per start-up step. The steps
 * that depend on who runs them (writable dirs, the command on PATH) are
 * checked in a forked process that becomes the final user with the same
 * privdrop_apply a real start uses, and sends its results back over a
 * close-on-exec pipe; pidone itself keeps its ids. Missing dirs are never
 * created: with --create-dirs the nearest existing parent is tested for
 * write access instead. The program and each argument that names an
 * existing file must be readable by the final user (a binary needs only
 * execute permission). Nothing is exec'd.
 *
 * Owns the two pipe ends while the check child runs; both are closed
 * before check_run returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "config.h"
#include "dirs.h"
#include "escape.h"
#include "execpath.h"
#include "exitcodes.h"
#include "fdutil.h"
#include "health_http.h"
#include "log.h"
#include "parse.h"
#include "privdrop.h"
#include "strv.h"
#include "watch.h"
#include "textbuf.h"
#include "banned.h"

#define CHECK_LABEL_WIDTH 15
#define CHECK_VALUE_WIDTH_MAX 60
#define CHECK_LINE_MAX 4096

/* A dir record that was not checked (the drop failed, or it is missing). */
#define CHECK_SKIPPED 1

/* What the check child sends back for one step. */
struct check_result {
	int err; /* 0, -errno, or CHECK_SKIPPED */
	int code; /* the exit code this step would end the start with */
	char detail[PATH_MAX]; /* command: the file found */
	bool unreadable; /* command: found and executable, not readable */
	struct privdrop_error e;
};

/* A missing dir --create-dirs would make: the child skips it. */
struct check_missing {
	bool missing;
	int err; /* 0: it can be created; -errno: it cannot */
	struct privdrop_error e;
};

/* The report being written: the fd and the first write error. */
struct report {
	int fd;
	int err;
};

static void put(struct report *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append one formatted piece of the report (cut at CHECK_LINE_MAX). */
static void put(struct report *rp, const char *fmt, ...)
{
	char buf[CHECK_LINE_MAX];
	va_list ap;
	size_t len, done = 0;
	int n;

	va_start(ap, fmt);
	n = textbuf_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || rp->err)
		return;
	len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	while (done < len) {
		ssize_t w = write(rp->fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rp->err = w < 0 ? -errno : -EIO;
			return;
		}
		done += (size_t)w;
	}
}

/* "label        text" plus, when @hint is set, an indented hint line. */
static void row(struct report *rp, const char *label, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void row(struct report *rp, const char *label, const char *hint,
		const char *fmt, ...)
{
	char text[CHECK_LINE_MAX - 64];
	va_list ap;

	va_start(ap, fmt);
	textbuf_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	put(rp, "%-*s %s\n", CHECK_LABEL_WIDTH, label, text);
	if (hint && hint[0])
		put(rp, "%-*s   hint: %s\n", CHECK_LABEL_WIDTH, "", hint);
}

/* Milliseconds as seconds the way options take them: "10", "0.5". */
static void add_seconds(struct textbuf *t, unsigned ms)
{
	char buf[32];

	textbuf_printf(t, "%s", seconds_text(ms, buf, sizeof(buf)));
}

static void add_strv(struct textbuf *t, char *const *v, const char *sep,
		     bool quoted)
{
	for (size_t i = 0; v && v[i]; i++)
		textbuf_printf(t, quoted ? "%s\"%s\"" : "%s%s", i ? sep : "",
			       v[i]);
}

/*
 * The value of setting @id as a user would write it, by the type the
 * settings table gives it (value names from the table too).
 */
static void value_text(const struct settings *s, enum setting_id id, char *buf,
		       size_t size)
{
	const struct setting_def *d = settings_def(id);
	const void *field = (const char *)s + d->offset;
	unsigned u = 0;
	struct textbuf t;
	bool any = false;
	char from[32], to[32];
	const char *f, *o;

	textbuf_init(&t, buf, size);
	switch (d->type) {
	case SETTING_TYPE_COMMAND:
		if (!s->command) {
			textbuf_printf(&t, "none");
			break;
		}
		textbuf_printf(&t, "[");
		add_strv(&t, s->command, ",", true);
		textbuf_printf(&t, "]");
		break;
	case SETTING_TYPE_USER:
		textbuf_printf(&t, "%s", s->user);
		break;
	case SETTING_TYPE_PATH:
		add_strv(&t, *(char *const *const *)field, ",", false);
		if (!*(char *const *const *)field ||
		    !(*(char *const *const *)field)[0])
			textbuf_printf(&t, "none");
		break;
	case SETTING_TYPE_BOOL:
		textbuf_printf(&t, "%s", *(const bool *)field ? "on" : "off");
		break;
	case SETTING_TYPE_SECONDS:
	case SETTING_TYPE_PERIOD:
		u = *(const unsigned *)field;
		if (u == 0 && id == SETTING_WATCHDOG)
			textbuf_printf(&t, "off");
		else
			add_seconds(&t, u);
		break;
	case SETTING_TYPE_ENUM:
		textbuf_printf(&t, "%s",
			       settings_value_name(id, *(const int *)field));
		break;
	case SETTING_TYPE_AUTO_BOOL:
		/* "auto" is shown as what it means. */
		textbuf_printf(
			&t, "%s",
			*(const int *)field == 0 ?
				d->default_text :
				settings_value_name(id, *(const int *)field));
		break;
	case SETTING_TYPE_SIGNAL:
		for (int sig = 1; sig <= SIGNAME_MAX; sig++) {
			if (s->rewrite[sig] == sig)
				continue;
			/* The names are static strings, or written in buf. */
			f = signame_from_number(sig, from, sizeof(from));
			if (!f) {
				textbuf_snprintf(from, sizeof(from), "%d", sig);
				f = from;
			}
			o = s->rewrite[sig] ?
				    signame_from_number(s->rewrite[sig], to,
							sizeof(to)) :
				    NULL;
			if (!o) {
				textbuf_snprintf(to, sizeof(to), "%d",
						 s->rewrite[sig]);
				o = to;
			}
			textbuf_printf(&t, "%s%s:%s", any ? "," : "", f, o);
			any = true;
		}
		if (!any)
			textbuf_printf(&t, "none");
		break;
	case SETTING_TYPE_STATUS:
		for (int status = 0; status < SETTINGS_EXIT_STATUSES;
		     status++) {
			if (!((const bool *)field)[status])
				continue;
			textbuf_printf(&t, "%s%d", any ? "," : "", status);
			any = true;
		}
		if (!any)
			textbuf_printf(&t, "none");
		break;
	case SETTING_TYPE_COUNT:
	case SETTING_TYPE_PORT:
	case SETTING_TYPE_TIMES:
		u = *(const unsigned *)field;
		textbuf_printf(
			&t, "%u%s", u,
			u == 0 && d->type == SETTING_TYPE_PORT ? " (off)" : "");
		break;
	case SETTING_TYPE_SIGNO:
		f = *(const int *)field ?
			    signame_from_number(*(const int *)field, from,
						sizeof(from)) :
			    "none";
		textbuf_printf(&t, "%s", f ? f : "?");
		break;
	case SETTING_TYPE_ADDRESS:
		f = field;
		textbuf_printf(&t, "%s", f[0] ? f : d->default_text);
		break;
	case SETTING_TYPE_URL:
		f = *(char *const *)field;
		textbuf_printf(&t, "%s", f ? f : d->default_text);
		break;
	case SETTING_TYPE_HOSTPORT:
		if (s->ready_tcp_port == 0)
			textbuf_printf(&t, "none");
		else if (s->ready_tcp_host && strchr(s->ready_tcp_host, ':'))
			textbuf_printf(&t, "[%s]:%u", s->ready_tcp_host,
				       s->ready_tcp_port);
		else
			textbuf_printf(&t, "%s:%u",
				       s->ready_tcp_host ? s->ready_tcp_host :
							   "localhost",
				       s->ready_tcp_port);
		break;
	default:
		textbuf_printf(&t, "?");
		break;
	}
}

static void report_settings(struct report *rp, const struct settings *s)
{
	char value[SETTING_MAX][512], from[PATH_MAX + 32];
	int width = (int)strlen("value");

	/* The value column is as wide as the widest value, within reason. */
	for (int id = 0; id < SETTING_MAX; id++) {
		int len;

		value_text(s, id, value[id], sizeof(value[id]));
		len = (int)strlen(value[id]);
		if (len > width)
			width = len < CHECK_VALUE_WIDTH_MAX ?
					len :
					CHECK_VALUE_WIDTH_MAX;
	}
	put(rp, "%-*s %-*s %s\n", CHECK_LABEL_WIDTH, "setting", width, "value",
	    "from");
	for (int id = 0; id < SETTING_MAX; id++) {
		const char *name = settings_def(id)->option;

		settings_origin_text(s, id, from, sizeof(from));
		put(rp, "%-*s %-*s %s\n", CHECK_LABEL_WIDTH,
		    name[0] ? name : "command", width, value[id], from);
	}
	put(rp, "\n");
}

/* A PIDONE_ variable pidone does not read: a typo that changes nothing. */
static void report_unknown_env(struct report *rp, char *const *envp)
{
	char name[CONFIG_NAME_SHOWN * 6 + 1];
	size_t pos = 0, len;
	const char *e;

	while ((e = config_unknown_env(envp, &pos, &len))) {
		escape(name, sizeof(name), e,
		       len < CONFIG_NAME_SHOWN ? len : CONFIG_NAME_SHOWN,
		       ESC_TEXT, NULL);
		row(rp, "variable", CONFIG_ENV_HINT,
		    "%s: not a pidone setting, ignored", name);
	}
}

/* Readiness settings nobody hears of: the start warns, and so does this. */
static void report_unheard(struct report *rp, const struct settings *s,
			   char *const *envp)
{
	if (s->health_port == 0 && !strv_env_value(envp, "NOTIFY_SOCKET") &&
	    (s->ready_delay_ms || s->ready_tcp_port || s->ready_notify ||
	     s->watchdog_ms || s->ready_http || s->live_http))
		row(rp, "readiness", NULL, "WARNING: " HEALTH_UNHEARD_TEXT);
}

/*
 * Why the current user cannot read @file (errno @err from access): the
 * first dir on the way it cannot search, or the file itself, with owner
 * and mode, in @buf.
 */
static void unreadable_text(const char *file, int err, char *buf, size_t size)
{
	char dir[PATH_MAX];
	struct stat st;
	size_t len = strlen(file);

	/* Each leading dir of an absolute or relative path, shortest first. */
	for (size_t i = 1; i < len && i < sizeof(dir); i++) {
		if (file[i] != '/')
			continue;
		memcpy(dir, file, i);
		dir[i] = '\0';
		if (access(dir, X_OK) == 0 || errno != EACCES)
			continue;
		if (stat(dir, &st) < 0) {
			textbuf_format(buf, size, "dir %s: %s", dir,
				       strerror(EACCES));
			return;
		}
		textbuf_format(buf, size,
			       "dir %s is not searchable: %s (owner %u:%u "
			       "mode %04o)",
			       dir, strerror(EACCES), (unsigned)st.st_uid,
			       (unsigned)st.st_gid,
			       (unsigned)(st.st_mode & 07777));
		return;
	}
	if (stat(file, &st) < 0)
		textbuf_format(buf, size, "%s", strerror(err));
	else
		textbuf_format(buf, size, "%s (owner %u:%u mode %04o)",
			       strerror(err), (unsigned)st.st_uid,
			       (unsigned)st.st_gid,
			       (unsigned)(st.st_mode & 07777));
}

/*
 * Can the current (final) user read @file, an argument of the command
 * that names an existing file? The interpreter of a script opens its
 * script and the app its data: a file root can read and the final user
 * cannot only fails after the start, inside the app (Python's "can't open
 * file ...: Permission denied").
 */
static void check_readable(const char *file, struct check_result *res)
{
	char why[PRIVDROP_TEXT_MAX / 2];

	memset(res, 0, sizeof(*res));
	if (access(file, R_OK) == 0)
		return;
	res->err = -errno;
	res->code = EX_NOPERM;
	unreadable_text(file, -res->err, why, sizeof(why));
	textbuf_format(res->e.text, sizeof(res->e.text),
		       "%s is not readable by uid %u gid %u: %s", file,
		       (unsigned)geteuid(), (unsigned)getegid(), why);
	textbuf_format(res->e.hint, sizeof(res->e.hint),
		       "put it where uid %u can read it (every dir on the "
		       "way searchable, the file readable: COPY "
		       "--chown=%u:%u, chmod o+r), or run as a user that can",
		       (unsigned)geteuid(), (unsigned)geteuid(),
		       (unsigned)getegid());
}

/* Would the exec of argv[0] work for the current user? Fills @res. */
static void check_command(char *const *argv, const char *path,
			  struct check_result *res)
{
	char interp[256], searched[PATH_MAX];
	int r, format;

	memset(res, 0, sizeof(*res));
	if (strchr(argv[0], '/'))
		textbuf_snprintf(searched, sizeof(searched), "given as a path");
	else
		textbuf_format(searched, sizeof(searched), "searched PATH=%s",
			       path ? path : EXECPATH_DEFAULT_PATH);
	r = execpath_find(argv[0], path, res->detail, sizeof(res->detail));
	if (r == -EACCES || r == -EISDIR) {
		res->err = r;
		res->code = EX_NOEXEC;
		textbuf_format(res->e.text, sizeof(res->e.text),
			       "command not executable: %s (%s)%s", res->detail,
			       searched, r == -EISDIR ? ": a directory" : "");
		textbuf_snprintf(res->e.hint, sizeof(res->e.hint), "%s",
				 execpath_hint(r));
		return;
	}
	if (r < 0) {
		res->err = r;
		res->code = EX_NOTFOUND;
		textbuf_format(res->e.text, sizeof(res->e.text),
			       "command not found: %s (%s)", argv[0], searched);
		textbuf_snprintf(
			res->e.hint, sizeof(res->e.hint),
			"install it in the image or give its full path");
		return;
	}
	format = execpath_interpreter(res->detail, interp, sizeof(interp));
	if (format == -ENOEXEC) {
		res->err = format;
		res->code = EX_NOEXEC;
		textbuf_format(res->e.text, sizeof(res->e.text),
			       "command not executable: %s: %s (no #! line, "
			       "not an ELF program)",
			       res->detail, strerror(ENOEXEC));
		textbuf_snprintf(
			res->e.hint, sizeof(res->e.hint),
			"pidone never hands a file to a shell: start it with "
			"a #! line or put the interpreter in the JSON command");
		return;
	}
	r = format == 0 ? execpath_interpreter_runs(interp) : 0;
	if (r < 0) {
		res->err = r;
		res->code = EX_NOEXEC;
		textbuf_format(
			res->e.text, sizeof(res->e.text),
			"command not executable: %s: its interpreter %s: %s",
			res->detail, interp, strerror(-res->err));
		textbuf_snprintf(res->e.hint, sizeof(res->e.hint), "%s",
				 execpath_interpreter_hint(r));
		return;
	}
	/*
	 * A binary runs with execute permission alone, a script needs read
	 * too: the parent, which may read what this user cannot, tells
	 * which it is (unreadable).
	 */
	if (access(res->detail, R_OK) < 0) {
		char found[PATH_MAX];

		memcpy(found, res->detail, sizeof(found));
		check_readable(found, res);
		memcpy(res->detail, found, sizeof(res->detail));
		res->unreadable = true;
	}
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Watch @path as the real start would: 0 when it is watched; when it is
 * not there yet, -errno with code 0 (its appearance counts as a change);
 * else -errno with the code the start would end with.
 */
static int check_watch(const char *path, struct check_result *res)
{
	char *const one[] = { (char *)path, NULL };
	struct watch w;
	struct stat st;

	watch_init(&w);
	res->err = watch_start(&w, NULL, one, NULL, NULL);
	watch_done(&w);
	res->code = res->err == -EACCES ? EX_NOPERM :
		    res->err < 0	? EX_SOFTWARE :
					  0;
	if (res->err == 0 && stat(path, &st) < 0)
		res->err = -errno;
	return res->err;
}

/*
 * The check child: become the final user, then send one result for the
 * drop, one per writable dir, one for the command, one per argument and
 * one per watched path. Never returns.
 */
static __attribute__((noreturn)) void
check_child(const struct settings *s, const struct credentials *cred,
	    const struct check_missing *missing, const bool *arg_is_file,
	    const char *path, int fd)
{
	struct check_result res;
	int r;

	/* The parent reports; the child's own log lines would be noise. */
	log_set_fd(-1);

	memset(&res, 0, sizeof(res));
	r = privdrop_apply(cred, &res.e);
	res.err = r;
	res.code = r < 0 ? EX_NOPERM : 0;
	if (fd_write_all(fd, &res, sizeof(res)) < 0)
		_exit(EX_SOFTWARE);

	for (size_t i = 0; s->writable && s->writable[i]; i++) {
		memset(&res, 0, sizeof(res));
		if (r < 0 || missing[i].missing) {
			res.err = CHECK_SKIPPED;
		} else {
			res.err = dirs_verify(s->writable[i], &res.e);
			res.code = res.err < 0 ? dirs_exit_code(res.err) : 0;
		}
		if (fd_write_all(fd, &res, sizeof(res)) < 0)
			_exit(EX_SOFTWARE);
	}

	memset(&res, 0, sizeof(res));
	if (r < 0)
		res.err = CHECK_SKIPPED;
	else if (s->command && s->command[0])
		check_command(s->command, path, &res);
	if (fd_write_all(fd, &res, sizeof(res)) < 0)
		_exit(EX_SOFTWARE);

	for (size_t i = 1; s->command && s->command[0] && s->command[i]; i++) {
		memset(&res, 0, sizeof(res));
		if (r < 0 || !arg_is_file[i])
			res.err = CHECK_SKIPPED;
		else
			check_readable(s->command[i], &res);
		if (fd_write_all(fd, &res, sizeof(res)) < 0)
			_exit(EX_SOFTWARE);
	}

	for (size_t i = 0; s->watch && s->watch[i]; i++) {
		memset(&res, 0, sizeof(res));
		res.err = r < 0 ? CHECK_SKIPPED :
				  check_watch(s->watch[i], &res);
		if (fd_write_all(fd, &res, sizeof(res)) < 0)
			_exit(EX_SOFTWARE);
	}
	_exit(0);
}

/* What the final user line says for @cred, before the child's verdict. */
static void user_text(const struct settings *s, const struct credentials *cred,
		      char *buf, size_t size)
{
	if (cred->keep && geteuid() == 0)
		textbuf_snprintf(
			buf, size,
			"WARNING: keep: the command runs as root (uid 0 gid "
			"%u)",
			(unsigned)getegid());
	else if (cred->keep)
		textbuf_snprintf(buf, size, "ok: keep: runs as uid %u gid %u",
				 (unsigned)geteuid(), (unsigned)getegid());
	else if (geteuid() != 0)
		textbuf_snprintf(
			buf, size,
			"ok: not root: runs as uid %u gid %u, as started "
			"(--user %s is not applied)",
			(unsigned)geteuid(), (unsigned)getegid(), s->user);
	else if (cred->uid == 0)
		textbuf_snprintf(
			buf, size,
			"WARNING: %s: the command runs as root (uid 0 gid %u)",
			s->user, (unsigned)cred->gid);
	else
		textbuf_snprintf(
			buf, size,
			"ok: %s: uid %u gid %u (pidone drops root for good)",
			s->user, (unsigned)cred->uid, (unsigned)cred->gid);
}

/* Keep the first failure: the start stops at the first failing step. */
static void first_failure(int *code, int step_code)
{
	if (*code == 0 && step_code != 0)
		*code = step_code;
}

/*
 * The health port, tried as the start's step 2 does (before the drop):
 * a port below 1024 without the right, or an address not of this host,
 * fails here as there. One in use is most likely the running pidone's,
 * beside `docker exec`: only the start can tell.
 */
static void report_health_port(struct report *rp, const struct settings *s,
			       int *code)
{
	char where[64] = "";
	int fd = -1, r, step_code;
	const char *hint;

	if (s->health_port == 0)
		return;
	r = health_http_listen(&fd, s, where, sizeof(where));
	fd_close(&fd);
	if (r == 0) {
		row(rp, "health port", NULL, "%s: free, pidone can listen",
		    where);
	} else if (r == -EADDRINUSE) {
		row(rp, "health port", NULL,
		    "%s: in use now (by the running pidone, if this is "
		    "beside it); a start finds out",
		    where);
	} else {
		hint = health_http_listen_hint(r, &step_code);
		row(rp, "health port", hint, "FAIL: cannot listen on %s: %s",
		    where, strerror(-r));
		first_failure(code, step_code);
	}
}

/*
 * Which dirs --create-dirs would make, tested here as pidone is (a real
 * start creates them before the drop).
 */
static void find_missing_dirs(const struct settings *s,
			      const struct credentials *final,
			      struct check_missing *missing)
{
	struct stat st;

	for (size_t i = 0; s->create_dirs && s->writable && s->writable[i];
	     i++) {
		const char *dir = s->writable[i];

		if (stat(dir, &st) == 0 || errno != ENOENT)
			continue;
		missing[i].missing = true;
		missing[i].err = dirs_create_check(dir, final->uid, final->gid,
						   &missing[i].e);
	}
}

/* The verdict line of writable dir @dir. */
static void report_dir(struct report *rp, const char *dir,
		       const struct credentials *final,
		       const struct check_missing *missing,
		       const struct check_result *res, int *code)
{
	if (missing->missing && missing->err < 0) {
		row(rp, "writable dir", missing->e.hint, "%s: FAIL: %s", dir,
		    missing->e.text);
		first_failure(code, dirs_exit_code(missing->err));
	} else if (missing->missing) {
		row(rp, "writable dir", NULL,
		    "%s: missing, would be created by --create-dirs (owner "
		    "%u:%u mode 0755)",
		    dir, (unsigned) final->uid, (unsigned) final->gid);
	} else if (res->err == CHECK_SKIPPED) {
		row(rp, "writable dir", NULL,
		    "%s: not checked (privileges not dropped)", dir);
	} else if (res->err < 0) {
		row(rp, "writable dir", res->e.hint, "%s: FAIL: %s", dir,
		    res->e.text);
		first_failure(code, dirs_exit_code(res->err));
	} else {
		row(rp, "writable dir", NULL,
		    "%s: ok: writable by uid %u gid %u", dir,
		    (unsigned) final->uid, (unsigned) final->gid);
	}
}

/*
 * Which arguments of the command name an existing file, as pidone sees
 * them (the final user may not even see them: that is what is checked).
 * Directories are left out: an app may take one without reading it.
 */
static void find_file_args(char *const *argv, bool *is_file)
{
	struct stat st;

	for (size_t i = 1; argv && argv[0] && argv[i]; i++)
		is_file[i] = stat(argv[i], &st) == 0 && !S_ISDIR(st.st_mode);
}

/*
 * Fork the check child, which drops to @cred, and report the drop and
 * every writable dir it checked. The command's result is left in
 * @ret_command, one per argument after it in @ret_args, one per watched
 * path in @ret_watch. Returns 0, or
 * -errno when the check itself failed.
 */
static int check_as_final_user(struct report *rp, const struct settings *s,
			       const struct credentials *cred, const char *path,
			       int *code, struct check_result *ret_command,
			       struct check_result *ret_args,
			       struct check_result *ret_watch)
{
	size_t n_dirs = strv_length(s->writable);
	size_t n_args = strv_length(s->command);
	struct check_missing *missing;
	struct credentials final;
	struct check_result res;
	int pipefd[2] = { -1, -1 };
	bool *arg_is_file;
	int r, status;
	pid_t pid;

	missing = calloc(n_dirs + 1, sizeof(*missing));
	if (!missing)
		return -ENOMEM;
	arg_is_file = calloc(n_args + 1, sizeof(*arg_is_file));
	if (!arg_is_file) {
		r = -ENOMEM;
		goto out_free_missing;
	}
	privdrop_final(cred, &final);
	find_missing_dirs(s, &final, missing);
	find_file_args(s->command, arg_is_file);

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		goto out_free_missing;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out_close_pipe;
	}
	if (pid == 0) {
		fd_close(&pipefd[0]);
		check_child(s, cred, missing, arg_is_file, path, pipefd[1]);
	}
	fd_close(&pipefd[1]);

	/* The drop, as the child saw it. */
	r = read_all(pipefd[0], &res, sizeof(res));
	if (r < 0)
		goto out_reap_child;
	if (res.err < 0) {
		row(rp, "final user", res.e.hint, "FAIL: %s", res.e.text);
		first_failure(code, EX_NOPERM);
	} else {
		char text[512];

		user_text(s, cred, text, sizeof(text));
		row(rp, "final user", NULL, "%s", text);
	}
	for (size_t i = 0; i < n_dirs; i++) {
		r = read_all(pipefd[0], &res, sizeof(res));
		if (r < 0)
			goto out_reap_child;
		report_dir(rp, s->writable[i], &final, &missing[i], &res, code);
	}
	r = read_all(pipefd[0], ret_command, sizeof(*ret_command));
	for (size_t i = 1; r == 0 && n_args > 0 && i < n_args; i++)
		r = read_all(pipefd[0], &ret_args[i], sizeof(ret_args[i]));
	for (size_t i = 0; r == 0 && i < strv_length(s->watch); i++)
		r = read_all(pipefd[0], &ret_watch[i], sizeof(ret_watch[i]));

out_reap_child:
	fd_close(&pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
out_close_pipe:
	fd_close(&pipefd[0]);
	fd_close(&pipefd[1]);
out_free_missing:
	free(arg_is_file);
	free(missing);
	return r;
}

/*
 * Does @file start with "#!"? Read by pidone, which may read what the
 * final user cannot; when pidone cannot read it either, it counts as a
 * script (the safe answer: it must be readable then).
 */
static bool is_script(const char *file)
{
	char magic[2];
	ssize_t n;
	int fd = openat(AT_FDCWD, file,
			O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return true;
	do
		n = read(fd, magic, sizeof(magic));
	while (n < 0 && errno == EINTR);
	fd_close(&fd);
	return n != (ssize_t)sizeof(magic) || memcmp(magic, "#!", 2) == 0;
}

/* One line per argument that names a file: readable by the final user? */
static void report_args(struct report *rp, const struct settings *s,
			const struct check_result *args, int *code)
{
	for (size_t i = 1; s->command && s->command[0] && s->command[i]; i++) {
		if (args[i].err == CHECK_SKIPPED)
			continue;
		if (args[i].err < 0) {
			row(rp, "command file", args[i].e.hint, "FAIL: %s",
			    args[i].e.text);
			first_failure(code, args[i].code);
		} else {
			row(rp, "command file", NULL, "%s: ok: readable",
			    s->command[i]);
		}
	}
}

/* One line per watched path: can the final user watch it? */
static void report_watch(struct report *rp, const struct settings *s,
			 const struct check_result *watch, int *code)
{
	for (size_t i = 0; s->watch && s->watch[i]; i++) {
		const struct check_result *w = &watch[i];

		if (w->err == CHECK_SKIPPED) {
			row(rp, "watched path", NULL,
			    "%s: not checked (privileges not dropped)",
			    s->watch[i]);
		} else if (w->code) {
			row(rp, "watched path",
			    w->code == EX_NOPERM ?
				    "the watched paths must be readable by the "
				    "user pidone runs as (--user)" :
				    NULL,
			    "FAIL: %s: cannot be watched: %s", s->watch[i],
			    strerror(-w->err));
			first_failure(code, w->code);
		} else if (w->err < 0) {
			row(rp, "watched path", NULL,
			    "%s: not there yet (%s); its appearance will count "
			    "as a change",
			    s->watch[i], strerror(-w->err));
		} else {
			row(rp, "watched path", NULL, "%s: ok: watched",
			    s->watch[i]);
		}
	}
}

/* The command's verdict line. */
static void report_command(struct report *rp, const struct settings *s,
			   const struct check_result *res, int *code)
{
	if (!s->command || !s->command[0]) {
		row(rp, "command path",
		    "give it after --, in PIDONE_COMMAND or as command = in "
		    "the config file, each a JSON array like "
		    "[\"python3\",\"app.py\"]",
		    "FAIL: no command to run");
		return;
	}
	if (res->err == CHECK_SKIPPED) {
		row(rp, "command path", NULL,
		    "not checked (privileges not dropped)");
	} else if (res->unreadable && !is_script(res->detail)) {
		row(rp, "command path", NULL,
		    "ok: %s -> %s (a binary: execute permission is enough)",
		    s->command[0], res->detail);
	} else if (res->err < 0) {
		row(rp, "command path", res->e.hint, "FAIL: %s", res->e.text);
		first_failure(code, res->code);
	} else {
		row(rp, "command path", NULL, "ok: %s -> %s", s->command[0],
		    res->detail);
	}
}

/*
 * The longest a stop takes: the drain, then the grace before the SIGKILL
 * of what is left. A platform that kills sooner cuts one of them short.
 */
static void report_stop(struct report *rp, const struct settings *s)
{
	char drain[32], grace[32], total[32];

	seconds_text(s->drain_ms, drain, sizeof(drain));
	seconds_text(s->grace_ms, grace, sizeof(grace));
	seconds_text((uint64_t)s->drain_ms + s->grace_ms, total, sizeof(total));
	row(rp, "stop", NULL,
	    "drain %s s + grace %s s = %s s: the platform's stop timeout "
	    "(docker stop -t, compose stop_grace_period, Kubernetes "
	    "terminationGracePeriodSeconds) must be longer",
	    drain, grace, total);
}

/*
 * @code, unless the report could not be written (a full disk, a closed
 * pipe): a verdict nobody could read is no verdict, so that is said on
 * stderr and the exit is 70.
 */
static int report_done(const struct report *rp, int code)
{
	if (rp->err == 0)
		return code;
	log_emit(LOG_LEVEL_ERROR, rp->err, NULL, NULL, 0,
		 "cannot write the report");
	return EX_SOFTWARE;
}

int check_run(const struct settings *s, char *const *envp, int out_fd)
{
	struct report rp = { .fd = out_fd };
	struct credentials cred;
	struct privdrop_error e;
	struct check_result command, *args, *watch;
	/* PATH, or NULL when it is not set (execvp's default then) */
	const char *path = strv_env_value(envp, "PATH");
	bool has_command = s->command && s->command[0];
	int code = 0, r;

	put(&rp, "pidone check: a dry run of the start-up; nothing is "
		 "changed\n\n");
	report_settings(&rp, s);
	report_unknown_env(&rp, envp);
	if (!has_command)
		first_failure(&code, EX_USAGE);
	report_health_port(&rp, s, &code);
	report_unheard(&rp, s, envp);
	memset(&command, 0, sizeof(command));
	args = calloc(strv_length(s->command) + 1, sizeof(*args));
	watch = calloc(strv_length(s->watch) + 1, sizeof(*watch));
	if (!args || !watch) {
		free(args);
		free(watch);
		row(&rp, "result", NULL, "exit %d: the check itself failed: %s",
		    EX_SOFTWARE, strerror(ENOMEM));
		return report_done(&rp, EX_SOFTWARE);
	}
	/* Not checked unless the check child says otherwise. */
	for (size_t i = 0; i <= strv_length(s->command); i++)
		args[i].err = CHECK_SKIPPED;
	for (size_t i = 0; i <= strv_length(s->watch); i++)
		watch[i].err = CHECK_SKIPPED;

	r = privdrop_resolve(s->user, PRIVDROP_PASSWD_PATH, PRIVDROP_GROUP_PATH,
			     &cred, &e);
	if (r < 0) {
		row(&rp, "final user", e.hint, "FAIL: %s", e.text);
		first_failure(&code, privdrop_resolve_exit_code(r));
		for (size_t i = 0; s->writable && s->writable[i]; i++)
			row(&rp, "writable dir", NULL,
			    "%s: not checked (the user is not resolved)",
			    s->writable[i]);
		/* Whether the command exists can still be said, as we are. */
		if (has_command)
			check_command(s->command, path, &command);
	} else {
		r = check_as_final_user(&rp, s, &cred, path, &code, &command,
					args, watch);
		if (r < 0) {
			row(&rp, "result", NULL,
			    "exit %d: the check itself failed: %s", EX_SOFTWARE,
			    strerror(-r));
			free(args);
			free(watch);
			return report_done(&rp, EX_SOFTWARE);
		}
	}
	/* In the start's order: --watch is set up before the spawn. */
	report_watch(&rp, s, watch, &code);
	report_command(&rp, s, &command, &code);
	report_args(&rp, s, args, &code);
	free(args);
	free(watch);
	report_stop(&rp, s);

	if (code == 0)
		row(&rp, "result", NULL,
		    "exit 0: a real start would run the command");
	else
		row(&rp, "result", NULL,
		    "exit %d: a real start would stop with this code", code);
	return report_done(&rp, code);
}
