// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON writer (user/output/json.c): commas and nesting, RFC 8259
 * string escapes, invalid UTF-8 replaced by U+FFFD exactly as Python's
 * bytes.decode("utf-8", "replace") does (hand vectors, then random byte
 * strings checked by python3's json module), numbers, and NaN and the
 * infinities written as null.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/json.h"
#include "unit/test.h"

#define RANDOM_STRINGS	2000

/* What json_strn() writes for @n bytes of @s, in a static buffer. */
static const char *str_of(const char *s, size_t n)
{
	static char out[1024];
	struct json j;
	FILE *f = fmemopen(out, sizeof(out), "w");

	json_start(&j, f);
	json_strn(&j, s, n);
	fclose(f);
	return out;
}

static int str_is(const char *s, size_t n, const char *want)
{
	const char *got = str_of(s, n);

	if (!strcmp(got, want))
		return 1;
	tap_diag("got %s, want %s", got, want);
	return 0;
}

#define STR(lit, want)	str_is(lit, sizeof(lit) - 1, want)

int main(void)
{
	char *buf = NULL, path[] = "/tmp/flowpic-json-XXXXXX";
	size_t len = 0;
	struct json j;
	struct rng r;
	FILE *f;
	int fd, i, rc;

	tap_header();
	tap_plan(17);

	f = open_memstream(&buf, &len);
	json_start(&j, f);
	json_object(&j);
	json_key_str(&j, "a", "x");
	json_key(&j, "b");
	json_array(&j);
	json_uint(&j, 1);
	json_array(&j);
	json_end(&j);
	json_object(&j);
	json_end(&j);
	json_int(&j, -2);
	json_end(&j);
	json_key_bool(&j, "c", 1);
	json_key_null(&j, "d");
	json_key(&j, "e");
	json_object(&j);
	json_key_bool(&j, "f", 0);
	json_line(&j);		/* closes e and the record */
	json_object(&j);
	json_line(&j);
	fclose(f);
	tap_ok(!strcmp(buf, "{\"a\":\"x\",\"b\":[1,[],{},-2],\"c\":true,"
		       "\"d\":null,\"e\":{\"f\":false}}\n{}\n"),
	       "commas, nesting, empty containers, a record per line: %s", buf);
	free(buf);

	tap_ok(STR("a\"b\\c/d", "\"a\\\"b\\\\c/d\""),
	       "quote and backslash escaped, / kept");
	tap_ok(STR("\x01\n\t\x1f\x7f", "\"\\u0001\\u000a\\u0009\\u001f\x7f\""),
	       "control characters as \\u00XX, DEL as is");
	tap_ok(STR("a\0b", "\"a\\u0000b\""), "NUL inside a counted string");
	tap_ok(STR("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		   "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""),
	       "valid UTF-8 of 2, 3 and 4 bytes copied");
	tap_ok(STR("\x80\xff", "\"\\ufffd\\ufffd\""),
	       "a lone continuation byte and 0xff: one U+FFFD each");
	tap_ok(STR("\xc0\xaf", "\"\\ufffd\\ufffd\""),
	       "overlong 2-byte form: two U+FFFD");
	tap_ok(STR("\xe0\x80", "\"\\ufffd\\ufffd\""),
	       "overlong 3-byte form: two U+FFFD");
	tap_ok(STR("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""),
	       "UTF-16 surrogate: three U+FFFD");
	tap_ok(STR("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
	       "past U+10FFFF: four U+FFFD");
	tap_ok(STR("\xe2\x82" "A\xf0\x9f\x98", "\"\\ufffdA\\ufffd\""),
	       "truncated sequences, mid-string and at the end: one U+FFFD each");

	f = open_memstream(&buf, &len);
	json_start(&j, f);
	json_array(&j);
	json_real(&j, 0.5, 4);
	json_real(&j, NAN, 4);
	json_real(&j, INFINITY, 4);
	json_real(&j, -INFINITY, 6);
	json_real(&j, -1.25, 1);
	json_uint(&j, UINT64_MAX);
	json_int(&j, INT64_MIN);
	json_line(&j);
	fclose(f);
	tap_ok(!strcmp(buf, "[0.5000,null,null,null,-1.2,18446744073709551615,"
		       "-9223372036854775808]\n"),
	       "numbers; NaN and infinities as null: %s", buf);
	free(buf);

	f = open_memstream(&buf, &len);
	json_start(&j, f);
	json_object(&j);
	json_key_str(&j, "k\"\x01", "v");
	json_line(&j);
	fclose(f);
	tap_ok(!strcmp(buf, "{\"k\\\"\\u0001\":\"v\"}\n"), "keys escaped too");
	free(buf);

	/* Random byte strings: python3's json and UTF-8 decoder judge. */
	fd = mkstemp(path);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		tap_ok(0, "temporary file %s", path);
		tap_skip_n(3, "no temporary file", "random strings");
		return tap_done();
	}
	rng_seed(&r, 5);
	json_start(&j, f);
	for (i = 0; i < RANDOM_STRINGS; i++) {
		char s[32];
		size_t n = rng_below(&r, sizeof(s)), k;

		for (k = 0; k < n; k++) {
			uint32_t v = rng_below(&r, 4);

			/* ASCII, continuation bytes, lead bytes, anything */
			s[k] = (char)(v == 0 ? rng_below(&r, 0x80) :
				      v == 1 ? 0x80 + rng_below(&r, 0x40) :
				      v == 2 ? 0xc0 + rng_below(&r, 0x40) :
				      rng_below(&r, 0x100));
		}
		json_array(&j);
		json_array(&j);
		for (k = 0; k < n; k++)
			json_uint(&j, (unsigned char)s[k]);
		json_end(&j);
		json_strn(&j, s, n);
		json_line(&j);
	}
	fclose(f);
	tap_ok(1, "%d random byte strings written to %s", RANDOM_STRINGS, path);
	if (system("command -v python3 >/dev/null")) {
		tap_skip_n(3, "python3 not installed", "python3 checks");
		unlink(path);
		return tap_done();
	}
	{
		char cmd[512];

		/* Each line: [the bytes as numbers, the string]. */
		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import json, sys\n"
			 "bad = 0\n"
			 "for line in open(sys.argv[1], \"rb\"):\n"
			 "    raw, s = json.loads(line)\n"
			 "    if s != bytes(raw).decode(\"utf-8\", \"replace\"):\n"
			 "        bad += 1\n"
			 "sys.exit(bad > 0)' %s", path);
		rc = system(cmd);
		tap_ok(rc == 0, "every string parses with python3's json and "
		       "equals bytes.decode(\"utf-8\", \"replace\")");
		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import sys\n"
			 "sys.exit(any(b < 0x20 for l in "
			 "open(sys.argv[1], \"rb\") for b in l.rstrip(b\"\\n\") "
			 "))' %s", path);
		rc = system(cmd);
		tap_ok(rc == 0, "no raw control byte in the output");
		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import sys\n"
			 "open(sys.argv[1], \"rb\").read().decode(\"utf-8\")' %s",
			 path);
		rc = system(cmd);
		tap_ok(rc == 0, "the output is valid UTF-8");
	}
	unlink(path);
	return tap_done();
}
