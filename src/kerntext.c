/* SPDX-License-Identifier: MIT */
/*
 * kerntext.c - parsers for /proc and cgroupfs text. Pure: see kerntext.h.
 */
#include "kerntext.h"

#include <errno.h>
#include <string.h>

#include "parse.h"
#include "banned.h"

/* v1 writes "no limit" as LONG_MAX rounded down to a page. */
#define V1_NO_LIMIT_FLOOR (UINT64_C(1) << 62)

/*
 * Digits at *@p (before @end) into *@ret, advancing *@p past them. At
 * least one digit; -ERANGE on overflow.
 */
static int read_u64(const char **p, const char *end, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s == end || !parse_is_digit(*s))
		return -EINVAL;
	for (; s < end && parse_is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return 0;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * The first @c in [@p, @end), or NULL. The spans of these files are a few
 * bytes each: a plain loop costs less than memchr's set-up per call.
 */
static const char *find(const char *p, const char *end, char c)
{
	for (; p < end; p++)
		if (*p == c)
			return p;
	return NULL;
}

/* The end of the line at @p (its '\n', or @end). */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = find(p, end, '\n');

	return nl ? nl : end;
}

/* The start of the next line, never past @end. */
static const char *next_line(const char *eol, const char *end)
{
	return eol < end ? eol + 1 : end;
}

int kerntext_key_u64(const char *text, size_t len, const char *key,
		     uint64_t *ret)
{
	const char *end = text + len;
	size_t klen = strlen(key);

	for (const char *p = text, *eol; p < end; p = next_line(eol, end)) {
		eol = line_end(p, end);
		const char *v = p + klen;
		uint64_t n;

		if ((size_t)(eol - p) <= klen || memcmp(p, key, klen) != 0)
			continue;
		if (*v == ':')
			v++;
		else if (*v != ' ')
			continue; /* a longer key that starts with @key */
		v = skip_blanks(v, eol);
		int r = read_u64(&v, eol, &n);
		if (r < 0)
			return r;
		*ret = n;
		return 0;
	}
	return -ENOENT;
}

int kerntext_limit_u64(const char *text, size_t len, uint64_t *ret)
{
	const char *p = text, *end = text + len;
	uint64_t n;

	if (end > p && end[-1] == '\n')
		end--;
	if (end - p == 3 && memcmp(p, "max", 3) == 0) {
		*ret = KERNTEXT_NO_LIMIT;
		return 0;
	}
	int r = read_u64(&p, end, &n);
	if (r < 0)
		return r;
	if (p != end)
		return -EINVAL;
	*ret = n >= V1_NO_LIMIT_FLOOR ? KERNTEXT_NO_LIMIT : n;
	return 0;
}

int kerntext_cpu_limit(const char *text, size_t len, uint64_t *ret)
{
	const char *p = text, *end = text + len;
	uint64_t quota = KERNTEXT_NO_LIMIT, period;
	int r = 0;

	if (end > p && end[-1] == '\n')
		end--;
	if (end - p > 3 && memcmp(p, "max", 3) == 0)
		p += 3;
	else if (end - p > 2 && memcmp(p, "-1", 2) == 0)
		p += 2;
	else
		r = read_u64(&p, end, &quota);
	if (r < 0)
		return r;
	if (p == end || (*p != ' ' && *p != '\n'))
		return -EINVAL;
	p++;
	r = read_u64(&p, end, &period);
	if (r < 0)
		return r;
	if (p != end || period == 0)
		return -EINVAL;
	if (quota != KERNTEXT_NO_LIMIT) {
		if (quota > UINT64_MAX / 1000 - period)
			return -ERANGE;
		quota = (quota * 1000 + period / 2) / period;
		quota += quota == 0;
	}
	*ret = quota;
	return 0;
}

/* Is @name one of the comma-separated names in [@p, @end)? */
static int list_has(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	while (p < end) {
		const char *comma = find(p, end, ',');
		const char *e = comma ? comma : end;

		if ((size_t)(e - p) == n && memcmp(p, name, n) == 0)
			return 1;
		p = e + 1;
	}
	return 0;
}

int kerntext_cgroup_path(const char *text, size_t len, const char *controller,
			 char *buf, size_t size)
{
	const char *end = text + len;

	for (const char *p = text, *eol; p < end; p = next_line(eol, end)) {
		eol = line_end(p, end);
		const char *c1 = find(p, eol, ':');
		const char *c2 = c1 ? find(c1 + 1, eol, ':') : NULL;

		if (!c2)
			continue;
		if (controller ? !list_has(c1 + 1, c2, controller) :
				 c2 != c1 + 1 || c1 - p != 1 || *p != '0')
			continue;
		size_t n = (size_t)(eol - c2 - 1);
		if (n == 0 || c2[1] != '/')
			return -EINVAL;
		if (n >= size)
			return -ENOBUFS;
		memcpy(buf, c2 + 1, n);
		buf[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

int kerntext_proc_stat(const char *text, size_t len, struct kerntext_stat *ret)
{
	const char *end = text + len, *p = text;
	const char *lparen = memchr(text, '(', len);
	const char *rparen = NULL;
	struct kerntext_stat st = { 0 };
	uint64_t n, skip;
	int r;

	/* The last ')' ends the command, whatever the command contains. */
	for (const char *q = end; q > text; q--)
		if (q[-1] == ')') {
			rparen = q - 1;
			break;
		}
	if (!lparen || !rparen || rparen < lparen)
		return -EINVAL;
	r = read_u64(&p, lparen, &n);
	if (r < 0 || p + 1 != lparen || n > INT32_MAX)
		return r < 0 ? r : -EINVAL;
	st.pid = (int)n;
	size_t clen = (size_t)(rparen - lparen - 1);
	if (clen >= sizeof(st.comm))
		clen = sizeof(st.comm) - 1;
	memcpy(st.comm, lparen + 1, clen);
	p = rparen + 1;
	if (end - p < 3 || p[0] != ' ' || p[2] != ' ')
		return -EINVAL;
	st.state = p[1];
	p += 3;
	/*
	 * Fields from 4 (ppid) on, numbered as in proc(5); the ones between
	 * the wanted ones are read and dropped. A negative value (tty_nr,
	 * priority...) only ever sits in a dropped field.
	 */
	for (int field = 4; field <= 24; field++) {
		uint64_t *to = field == 4  ? &n :
			       field == 14 ? &st.utime_ticks :
			       field == 15 ? &st.stime_ticks :
			       field == 22 ? &st.start_ticks :
			       field == 24 ? &st.rss_pages :
					     &skip;
		if (p < end && *p == '-')
			p++;
		r = read_u64(&p, end, to);
		if (r < 0)
			return r;
		if (field == 4) {
			if (n > INT32_MAX)
				return -ERANGE;
			st.ppid = (int)n;
		}
		if (field < 24) {
			if (p == end || *p != ' ')
				return -EINVAL;
			p++;
		}
	}
	*ret = st;
	return 0;
}
