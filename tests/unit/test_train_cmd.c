// SPDX-License-Identifier: GPL-2.0
/*
 * The commands end to end: a small synthetic dataset file (three kinds of
 * flows from six source files), `flowpic train` with held-out files, the
 * model, the curve, `flowpic model info`, `flowpic eval --held-out` giving
 * the figure the model recorded, `flowpic classify` on a session CSV, and
 * the refusals (corrupt or truncated model, data of another geometry,
 * augmentation without series).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dataset/dataset.h"
#include "model/model_file.h"
#include "cnn/rng.h"
#include "unit/test.h"

#define FLOWPIC "build/flowpic"

static char dir[] = "/tmp/flowpic-cmd-XXXXXX";
static char out[65536];

/* Runs a shell command, its stdout and stderr in out[]; the exit code. */
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *p;
	size_t n;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	rc = pclose(p);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Six source files of 40 sessions each, two files per class. */
static int write_dataset(const char *path, uint16_t n, unsigned int flags)
{
	static const char *const names[] = { "chat", "video", "download" };

	return test_write_dataset(path, n, flags, names, 3, 6, 40, 11);
}

static double json_number(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? atof(p + strlen(key)) : -1;
}

int main(void)
{
	char data[128], model[128], small[128], m2[128], csv[128];
	struct model a, b;
	char err[512];
	double acc;
	FILE *f;
	int rc;

	tap_header();
	tap_plan(16);
	if (access(FLOWPIC, X_OK)) {
		tap_skip("build/flowpic not built (make)", "flowpic commands");
		return tap_done() ? 1 : 4;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(data, sizeof(data), "%s/d.fpd", dir);
	snprintf(small, sizeof(small), "%s/d64.fpd", dir);
	snprintf(model, sizeof(model), "%s/m.fpm", dir);
	snprintf(m2, sizeof(m2), "%s/m2.fpm", dir);
	snprintf(csv, sizeof(csv), "%s/s.csv", dir);
	if (write_dataset(data, 32, DATASET_F_SERIES) ||
	    write_dataset(small, 64, 0)) {
		tap_ok(0, "synthetic dataset files");
		return tap_done();
	}

	rc = run(FLOWPIC " train -o %s --epochs 60 --patience 10 --test-files 0.34 --seed 3 --augment all --quiet %s",
		 model, data);
	tap_ok(!rc && strstr(out, "held-out files"),
	       "flowpic train with held-out files and augmentation: exit %d", rc);
	if (rc)
		tap_diag("%s", out);
	{
		char path[256];
		struct stat st;

		snprintf(path, sizeof(path), "%s/m-curve.csv", dir);
		rc = stat(path, &st);
		snprintf(path, sizeof(path), "%s/m-curve.png", dir);
		tap_ok(!rc && !stat(path, &st) && st.st_size > 1000,
		       "training curve CSV and PNG beside the model");
	}
	rc = run(FLOWPIC " model info %s", model);
	tap_ok(!rc && strstr(out, "architecture  mini") &&
	       strstr(out, "classes       3: chat download video") &&
	       strstr(out, "dataset_sha256") && strstr(out, "split") &&
	       strstr(out, "test_accuracy"),
	       "flowpic model info: architecture, classes, provenance");

	rc = run(FLOWPIC " eval %s %s --held-out --json", model, data);
	acc = json_number(out, "\"accuracy\":");
	tap_ok(!rc && acc >= 0.95 && json_number(out, "\"samples\":") == 120,
	       "flowpic eval --held-out: accuracy %.4f on the 3 held-out files (120 samples)",
	       acc);
	if (!model_load(&a, model, err, sizeof(err))) {
		char digest[65];

		tap_ok(fabs(atof(model_get_prov(&a, "test_accuracy")) - acc) < 1e-6,
		       "eval --held-out repeats the figure train recorded (%s)",
		       model_get_prov(&a, "test_accuracy"));
		/* coreutils is the oracle of the digest (libgcrypt's). */
		snprintf(digest, sizeof(digest), "%s",
			 model_get_prov(&a, "dataset_sha256"));
		rc = run("cat %s | sha256sum", data);
		tap_ok(!rc && strlen(digest) == 64 && !strncmp(out, digest, 64),
		       "dataset_sha256 %s is sha256sum's digest of the data",
		       digest);
		model_free(&a);
	} else {
		tap_ok(0, "load %s: %s", model, err);
		tap_ok(0, "dataset_sha256 of %s", model);
	}
	rc = run(FLOWPIC " eval %s %s --png %s/c.png", model, data, dir);
	tap_ok(!rc && strstr(out, "confusion matrix") && strstr(out, "macro-F1"),
	       "flowpic eval: report with per-class scores and confusion matrix");

	/* Same seed, same weights. */
	rc = run(FLOWPIC " train -o %s --epochs 60 --patience 10 --test-files 0.34 --seed 3 --augment all --quiet %s",
		 m2, data);
	if (!rc && !model_load(&a, model, err, sizeof(err))) {
		if (!model_load(&b, m2, err, sizeof(err))) {
			tap_ok(!memcmp(a.net.params, b.net.params,
				       a.net.nparams * sizeof(float)),
			       "training again with --seed 3: the same weights");
			model_free(&b);
		} else {
			tap_ok(0, "training again with --seed 3: %s", err);
		}
		model_free(&a);
	} else {
		tap_ok(0, "training again with --seed 3: exit %d, %s", rc,
		       rc ? out : err);
	}

	/* classify: sessions of the first two kinds in a CSV. */
	f = fopen(csv, "w");
	if (f) {
		struct rng r;

		rng_seed(&r, 99);
		test_write_session(f, "test0", 0, &r);
		test_write_session(f, "test1", 1, &r);
		fclose(f);
	}
	rc = run(FLOWPIC " classify %s %s", model, csv);
	tap_ok(!rc && strstr(out, "session test0\t0\tchat\t") &&
	       strstr(out, "session test1\t0\tvideo\t"),
	       "flowpic classify: one line per window, file, flow, window, label, confidence");
	if (rc || !strstr(out, "test1\t0\tvideo"))
		tap_diag("%s", out);
	rc = run(FLOWPIC " classify %s %s --json", model, csv);
	tap_ok(!rc && strstr(out, "{\"file\":") && strstr(out, "\"label\":\"video\"") &&
	       strstr(out, "\"probabilities\":{\"chat\":"),
	       "flowpic classify --json");

	/* A real capture through a shipped model, when both are here. */
	{
		const char *data = getenv("FLOWPIC_DATA") ? getenv("FLOWPIC_DATA") :
				   "../shared/datasets";
		char pcap[512];

		snprintf(pcap, sizeof(pcap), "%s/ndpi/pcap/skype-conference-call.pcap",
			 data);
		if (access(pcap, R_OK) || access("models/ndpi-mini.fpm", R_OK)) {
			tap_skip("no datasets or no models/ndpi-mini.fpm",
				 "flowpic classify on a capture");
		} else {
			rc = run(FLOWPIC " classify models/ndpi-mini.fpm %s", pcap);
			tap_ok(!rc && strstr(out, "skype-conference-call.pcap\tUDP ") &&
			       strstr(out, " <-> ") && strstr(out, "flowpic classify: "),
			       "flowpic classify on a capture: flows as 5-tuples");
		}
	}

	/* Refusals. */
	{
		char bad[160];
		FILE *m = fopen(model, "rb"), *o;
		unsigned char buf[1 << 20];
		size_t n = m ? fread(buf, 1, sizeof(buf), m) : 0;

		if (m)
			fclose(m);
		snprintf(bad, sizeof(bad), "%s/bad.fpm", dir);
		buf[n / 2] ^= 0x10;
		o = fopen(bad, "wb");
		fwrite(buf, 1, n, o);
		fclose(o);
		rc = run(FLOWPIC " eval %s %s", bad, data);
		tap_ok(rc == 1 && strstr(out, "CRC-32 mismatch"),
		       "a corrupt model refused: %.*s", (int)strcspn(out, "\n"), out);
		buf[n / 2] ^= 0x10;
		o = fopen(bad, "wb");
		fwrite(buf, 1, n / 3, o);
		fclose(o);
		rc = run(FLOWPIC " model info %s", bad);
		tap_ok(rc == 1 && strstr(out, "truncated"),
		       "a truncated model refused: %.*s", (int)strcspn(out, "\n"),
		       out);
	}
	rc = run(FLOWPIC " eval %s %s", model, small);
	tap_ok(rc == 1 && strstr(out, "the model takes 32x32"),
	       "data of another geometry refused: %.*s", (int)strcspn(out, "\n"),
	       out);
	rc = run(FLOWPIC " train -o %s/x.fpm --augment rtt %s", dir, small);
	tap_ok(rc == 1 && strstr(out, "--augment needs the packet series"),
	       "augmentation without series refused: %.*s",
	       (int)strcspn(out, "\n"), out);
	rc = run(FLOWPIC " train -o %s/x.fpm --epochs 0 %s", dir, data);
	tap_ok(rc == 2 && strstr(out, "bad value '0' for --epochs"),
	       "bad option values refused: %.*s", (int)strcspn(out, "\n"), out);

	run("rm -rf %s", dir);
	return tap_done();
}
