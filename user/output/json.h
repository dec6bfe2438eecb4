/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one JSON writer behind every JSON output of flowpic and flowpicd
 * (docs/json.md). It writes RFC 8259 JSON to a stdio stream and puts the
 * commas itself:
 *
 *	struct json j;
 *
 *	json_start(&j, stdout);
 *	json_object(&j);
 *	json_key_str(&j, "label", name);
 *	json_key_real(&j, "confidence", p, 4);
 *	json_end(&j);		(closes the object)
 *	json_line(&j);		(the newline: one record per line)
 *
 * Strings: `"` and `\` are escaped, control characters (below 0x20) are
 * written as \u00XX, valid UTF-8 is copied, and each maximal invalid
 * UTF-8 sequence becomes one U+FFFD (written \ufffd): the same result as
 * Python's bytes.decode("utf-8", "replace"). Numbers: NaN and infinities
 * have no JSON form and are written as null.
 */
#ifndef _FLOWPIC_USER_JSON_H
#define _FLOWPIC_USER_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX	16
#define JSON_HAS_VALUE	1
#define JSON_IS_OBJECT	2

struct json {
	FILE		*f;
	unsigned int	depth;
	/* Per open container: JSON_HAS_VALUE, JSON_IS_OBJECT. */
	uint8_t		state[JSON_DEPTH_MAX + 1];
	int		after_key;	/* a key was written: its value next */
};

void json_start(struct json *j, FILE *f);

void json_object(struct json *j);
void json_array(struct json *j);
/* Closes the innermost object or array. */
void json_end(struct json *j);
/* Ends a record: closes what is still open, then a newline. */
void json_line(struct json *j);

void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);
/* @n bytes of @s, which may hold NUL (written as \u0000). */
void json_strn(struct json *j, const char *s, size_t n);
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
/* @v with @decimals digits after the point; null when not finite. */
void json_real(struct json *j, double v, int decimals);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

/* A key and its value. */
void json_key_str(struct json *j, const char *key, const char *s);
void json_key_uint(struct json *j, const char *key, uint64_t v);
void json_key_int(struct json *j, const char *key, int64_t v);
void json_key_real(struct json *j, const char *key, double v, int decimals);
void json_key_bool(struct json *j, const char *key, int v);
void json_key_null(struct json *j, const char *key);
/* A key and the array [@a, @b] (a per-direction pair). */
void json_key_pair(struct json *j, const char *key, uint64_t a, uint64_t b);

#endif /* _FLOWPIC_USER_JSON_H */
