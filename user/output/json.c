// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON writer (json.h): RFC 8259 strings and numbers, commas placed
 * by the writer, so no output builds JSON by hand.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "output/json.h"

void json_start(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* Before any value: the comma that separates it from the previous one. */
static void value_begin(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->state[j->depth] & JSON_HAS_VALUE)
		fputc(',', j->f);
	j->state[j->depth] |= JSON_HAS_VALUE;
}

static void open_container(struct json *j, uint8_t kind)
{
	value_begin(j);
	fputc(kind == JSON_IS_OBJECT ? '{' : '[', j->f);
	/* flowpic's records are a few levels deep; more is a caller's bug. */
	if (j->depth < JSON_DEPTH_MAX)
		j->depth++;
	j->state[j->depth] = kind;
}

void json_object(struct json *j)
{
	open_container(j, JSON_IS_OBJECT);
}

void json_array(struct json *j)
{
	open_container(j, 0);
}

void json_end(struct json *j)
{
	if (!j->depth)
		return;
	fputc(j->state[j->depth] & JSON_IS_OBJECT ? '}' : ']', j->f);
	j->depth--;
}

void json_line(struct json *j)
{
	while (j->depth)
		json_end(j);
	fputc('\n', j->f);
	j->state[0] = 0;
	j->after_key = 0;
}

/*
 * The length of the well-formed UTF-8 sequence at @s (at most @n bytes,
 * @s[0] >= 0x80), as a positive number; or, when it is not well formed,
 * minus the length of its maximal subpart (Unicode 15, section 3.9,
 * table 3-7: the lead byte and the continuation bytes that still fit).
 */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3;
	else
		return -1;
	if (s[0] == 0xe0)
		lo = 0xa0;		/* no overlong 3-byte forms */
	else if (s[0] == 0xed)
		hi = 0x9f;		/* no UTF-16 surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;		/* no overlong 4-byte forms */
	else if (s[0] == 0xf4)
		hi = 0x8f;		/* nothing past U+10FFFF */
	for (i = 1; i <= need; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

void json_strn(struct json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;
	int len;

	value_begin(j);
	fputc('"', j->f);
	while (i < n) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		len = c < 0x80 ? 1 : utf8_seq(s + i, n - i);
		if (len > 1) {
			i += (size_t)len;
			continue;
		}
		fwrite(s + run, 1, i - run, j->f);
		if (c == '"' || c == '\\')
			fprintf(j->f, "\\%c", c);
		else if (c < 0x20)
			fprintf(j->f, "\\u%04x", c);
		else
			fputs("\\ufffd", j->f);
		i += len > 0 ? 1 : (size_t)-len;
		run = i;
	}
	fwrite(s + run, 1, i - run, j->f);
	fputc('"', j->f);
}

void json_str(struct json *j, const char *s)
{
	json_strn(j, s, strlen(s));
}

void json_key(struct json *j, const char *key)
{
	json_str(j, key);
	fputc(':', j->f);
	j->after_key = 1;
}

/*
 * Integers by hand: printf takes its slow path in a process where any
 * library registered a conversion (libquadmath does, under OpenBLAS),
 * and flowpicd writes several per labelled window.
 */
static void put_u64(FILE *f, uint64_t v, int neg)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		*--p = '-';
	fwrite(p, 1, (size_t)(buf + sizeof(buf) - p), f);
}

void json_uint(struct json *j, uint64_t v)
{
	value_begin(j);
	put_u64(j->f, v, 0);
}

void json_int(struct json *j, int64_t v)
{
	value_begin(j);
	put_u64(j->f, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
}

void json_real(struct json *j, double v, int decimals)
{
	value_begin(j);
	if (isfinite(v))
		fprintf(j->f, "%.*f", decimals, v);
	else
		fputs("null", j->f);
}

void json_bool(struct json *j, int v)
{
	value_begin(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	value_begin(j);
	fputs("null", j->f);
}

void json_key_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_key_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_key_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_key_real(struct json *j, const char *key, double v, int decimals)
{
	json_key(j, key);
	json_real(j, v, decimals);
}

void json_key_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_key_null(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}

void json_key_pair(struct json *j, const char *key, uint64_t a, uint64_t b)
{
	json_key(j, key);
	json_array(j);
	json_uint(j, a);
	json_uint(j, b);
	json_end(j);
}
