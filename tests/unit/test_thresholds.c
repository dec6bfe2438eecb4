// SPDX-License-Identifier: GPL-2.0
/*
 * Per-class thresholds end to end: `flowpic model set MODEL
 * thresholds=CLASS=P,...` records them, `flowpic classify` makes a window
 * `unknown` only when its confidence is below the threshold of its own
 * most probable class, --threshold overrides them for every class, and
 * `model set` refuses a class the model lacks or a P outside 0..1,
 * leaving the file as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit/test.h"

#define FLOWPIC	"build/flowpic"
#define PLAN	7

static const char *const names[] = { "alpha", "beta", "gamma" };

static char dir[] = "/tmp/flowpic-thr-XXXXXX";

/*
 * python3 over the two classify --json outputs of the same windows: base
 * (--threshold 0) and got (the model's per-class thresholds, which put
 * class C at P and every other class at 0): a window is unknown in got
 * exactly when its class in base is C with a probability below P.
 */
static int check_labels(const char *cls, double p)
{
	return test_sh("python3 -c 'import json, sys\n"
		  "b = [json.loads(l) for l in open(sys.argv[1])]\n"
		  "g = [json.loads(l) for l in open(sys.argv[2])]\n"
		  "c, p = sys.argv[3], float(sys.argv[4])\n"
		  "want = [\"unknown\" if x[\"label\"] == c and x[\"probabilities\"][c] < p else x[\"label\"] for x in b]\n"
		  "got = [x[\"label\"] for x in g]\n"
		  "n = sum(w == \"unknown\" for w in want)\n"
		  "print(\"# %%d windows, %%d of class %%s below %%g\" %% (len(b), n, c, p))\n"
		  "sys.exit(0 if b and n and n < len(b) and got == want else 1)'"
		  " %s/base.json %s/got.json %s %.6f", dir, dir, cls, p);
}

int main(void)
{
	char data[128], model[128], csv[128], path[1024], cls[64] = "";
	double p = 0;
	FILE *f;
	int rc, i;

	tap_header();
	tap_plan(PLAN);
	if (access(FLOWPIC, X_OK) || system("command -v python3 >/dev/null")) {
		tap_skip_n(PLAN, "build/flowpic or python3 missing", "thresholds");
		return tap_done() ? 1 : 4;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(data, sizeof(data), "%s/d.fpd", dir);
	snprintf(model, sizeof(model), "%s/m.fpm", dir);
	snprintf(csv, sizeof(csv), "%s/s.csv", dir);
	f = fopen(csv, "w");
	if (f) {
		struct rng r;
		char name[16];

		rng_seed(&r, 11);
		for (i = 0; i < 12; i++) {
			snprintf(name, sizeof(name), "s%d", i);
			test_write_session(f, name, (uint32_t)i % 3, &r);
		}
		fclose(f);
	}
	if (!f || test_write_dataset(data, 32, 0, names, 3, 12, 15, 5) ||
	    test_sh(FLOWPIC " train -o %s --epochs 30 --seed 3 --quiet %s >%s/train.log 2>&1",
	       model, data, dir)) {
		tap_skip_n(PLAN, "cannot make the test model", "thresholds");
		test_sh("rm -rf %s", dir);
		return tap_done();
	}

	/* The most common class at --threshold 0, and its median probability */
	rc = test_sh(FLOWPIC " classify %s %s --json --threshold 0 >%s/base.json 2>/dev/null",
		model, csv, dir);
	snprintf(path, sizeof(path),
		 "python3 -c 'import json, sys, collections\n"
		 "b = [json.loads(l) for l in open(sys.argv[1])]\n"
		 "c = collections.Counter(x[\"label\"] for x in b).most_common(1)[0][0]\n"
		 "v = sorted(x[\"probabilities\"][c] for x in b if x[\"label\"] == c)\n"
		 "print(c, (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2 if len(v) > 1 else 1.0)' %s/base.json",
		 dir);
	f = rc ? NULL : popen(path, "r");
	if (!f || fscanf(f, "%63s %lf", cls, &p) != 2)
		cls[0] = 0;
	if (f)
		pclose(f);
	tap_ok(cls[0] && p > 0 && p <= 1,
	       "flowpic classify --threshold 0: most windows %s (median %.4f)", cls, p);

	rc = test_sh(FLOWPIC " model set %s threshold=0 thresholds=%s=%.6f", model,
		cls, p);
	tap_ok(!rc && !test_sh(FLOWPIC " model info %s | grep -q 'thresholds *%s=0.'",
			  model, cls),
	       "flowpic model set thresholds=%s=%.4f: recorded", cls, p);

	rc = test_sh(FLOWPIC " classify %s %s --json >%s/got.json 2>/dev/null",
		model, csv, dir);
	tap_ok(!rc && !check_labels(cls, p),
	       "classify: unknown exactly where the window's own class is below its threshold");

	rc = test_sh(FLOWPIC " classify %s %s --json --threshold 0 >%s/got.json 2>/dev/null",
		model, csv, dir);
	tap_ok(!rc && !test_sh("cmp -s %s/base.json %s/got.json", dir, dir),
	       "classify --threshold 0: the per-class thresholds are overridden");

	test_sh("cp %s %s/before.fpm", model, dir);
	rc = test_sh(FLOWPIC " model set %s thresholds=delta=0.5 2>%s/err", model,
		dir);
	tap_ok(rc == 1 && !test_sh("grep -q \"'delta' is not one of the model's classes\" %s/err",
			      dir),
	       "model set: a class the model lacks is refused, naming it");
	rc = test_sh(FLOWPIC " model set %s thresholds=%s=1.5 2>%s/err", model,
		names[1], dir);
	tap_ok(rc == 1 && !test_sh("grep -q 'beta=1.5: P is 0..1' %s/err", dir),
	       "model set: a per-class P outside 0..1 is refused");
	tap_ok(!test_sh("cmp -s %s %s/before.fpm", model, dir),
	       "a refused model set leaves the file as it was");
	if (!getenv("KEEP")) test_sh("rm -rf %s", dir);
	return tap_done();
}
