// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON of `flowpic eval --json` and `flowpic classify --json` with
 * class names that need escaping: a model trained by `flowpic train` on a
 * dataset whose labels hold a quote, a backslash, a control character
 * and a byte that is not UTF-8. Every line must parse with python3's json
 * module, validate against docs/json-schema.json (tests/json_validate.py)
 * and give back the exact names (the non-UTF-8 byte as U+FFFD, as
 * Python's own decoder replaces it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit/test.h"

#define FLOWPIC	"build/flowpic"
#define CLASSES	4

static const char *const names[CLASSES] = {
	"say \"hi\"", "back\\slash", "bell\x07tab\tend", "caf\xe9",
};

static char dir[] = "/tmp/flowpic-json-out-XXXXXX";

/*
 * python3: every line of @file is JSON, and the class names in it
 * (@expr, over the parsed record r) are the names of @dir/names (raw
 * bytes, one per line) as Python decodes them.
 */
static int names_match(const char *file, const char *expr)
{
	return test_sh("python3 -c 'import json, sys\n"
		  "want = sorted(l.decode(\"utf-8\", \"replace\") for l in "
		  "open(sys.argv[1], \"rb\").read().split(b\"\\n\") if l)\n"
		  "recs = [json.loads(l) for l in open(sys.argv[2], \"rb\")]\n"
		  "bad = [sorted(%s) for r in recs if sorted(%s) != want]\n"
		  "if bad or not recs: print(\"# got\", bad[:1], \"want\", want)\n"
		  "sys.exit(1 if bad or not recs else 0)' %s/names %s",
		  expr, expr, dir, file);
}

int main(void)
{
	char data[128], model[128], csv[128], path[160];
	FILE *f;
	int rc, i;

	tap_header();
	tap_plan(7);
	if (access(FLOWPIC, X_OK) || system("command -v python3 >/dev/null")) {
		tap_skip_n(7, "build/flowpic or python3 missing", "JSON output");
		return tap_done() ? 1 : 4;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(data, sizeof(data), "%s/d.fpd", dir);
	snprintf(model, sizeof(model), "%s/m.fpm", dir);
	snprintf(csv, sizeof(csv), "%s/s.csv", dir);
	snprintf(path, sizeof(path), "%s/names", dir);
	f = fopen(path, "w");
	for (i = 0; f && i < CLASSES; i++)
		fprintf(f, "%s\n", names[i]);
	if (!f || fclose(f) ||
	    test_write_dataset(data, 32, 0, names, CLASSES, CLASSES * 2, 15, 3)) {
		tap_skip_n(7, "cannot write the test files", "JSON output");
		return tap_done();
	}

	rc = test_sh(FLOWPIC " train -o %s --epochs 2 --quiet %s >%s/train.log 2>&1",
		model, data, dir);
	tap_ok(!rc, "flowpic train on labels with \", \\, control characters "
	       "and a non-UTF-8 byte: exit %d", rc);

	rc = test_sh(FLOWPIC " eval %s %s --json >%s/eval.json", model, data, dir);
	tap_ok(!rc && !test_sh("python3 tests/json_validate.py eval %s/eval.json",
			  dir),
	       "flowpic eval --json: valid against the schema's eval record");
	snprintf(path, sizeof(path), "%s/eval.json", dir);
	tap_ok(!names_match(path, "c[\"name\"] for c in r[\"classes\"]"),
	       "flowpic eval --json: the exact class names");

	f = fopen(csv, "w");
	if (f) {
		struct rng r;
		char name[16];

		rng_seed(&r, 7);
		for (i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "t\"%d\\", i);
			test_write_session(f, name, (uint32_t)i, &r);
		}
		fclose(f);
	}
	rc = test_sh(FLOWPIC " classify %s %s --json >%s/classify.json 2>/dev/null",
		model, csv, dir);
	tap_ok(!rc && !test_sh("python3 tests/json_validate.py classify "
			  "%s/classify.json", dir),
	       "flowpic classify --json: valid against the schema's classify record");
	snprintf(path, sizeof(path), "%s/classify.json", dir);
	tap_ok(!names_match(path, "r[\"probabilities\"]"),
	       "flowpic classify --json: the exact class names as probabilities' members");
	tap_ok(!names_match(path, "[r[\"label\"]] + [n for n in want if n != r[\"label\"]]"),
	       "flowpic classify --json: each label is one of the names");
	rc = test_sh("python3 -c 'import json, sys\n"
		"flows = [json.loads(l)[\"flow\"] for l in open(sys.argv[1])]\n"
		"sys.exit(flows != [\"session t\\\"0\\\\\", \"session t\\\"1\\\\\", "
		"\"session t\\\"2\\\\\"])' %s", path);
	tap_ok(!rc, "flowpic classify --json: session names with \" and \\");
	test_sh("rm -rf %s", dir);
	return tap_done();
}
