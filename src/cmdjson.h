/* SPDX-License-Identifier: MIT */
/*
 * cmdjson.h - the command in JSON exec form: a JSON array of one or more
 * strings, e.g. ["python","app.py"]. Pure: no I/O, no globals, no logs.
 */
#ifndef PIDONE_CMDJSON_H
#define PIDONE_CMDJSON_H

#include <stddef.h>

/*
 * Parse @len bytes of @text (no NUL needed) strictly as RFC 8259 JSON whose
 * value is a non-empty array of strings, with whitespace around tokens.
 * Escapes, \uXXXX and surrogate pairs are decoded to UTF-8; raw bytes >= 0x80
 * are passed through only when they form valid UTF-8; control bytes inside
 * strings, "\u0000" and anything else are errors.
 *
 * On success *@ret_argv is a malloc'd NULL-terminated vector (free with
 * strv_free) and 0 is returned. On failure -EINVAL (or -ENOMEM) is returned,
 * *@reterr_offset is the byte offset of the offending text and
 * *@reterr_reason a static sentence such as "expected '[' (the command must
 * be a JSON array of strings, not shell form)".
 */
int cmdjson_parse(const char *text, size_t len, char ***ret_argv,
		  size_t *reterr_offset, const char **reterr_reason);

#endif
