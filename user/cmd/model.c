// SPDX-License-Identifier: GPL-2.0
/*
 * `flowpic model`: the command line over user/model/model_file.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "cmd/commands.h"
#include "flow/geometry.h"
#include "model/model_file.h"

static void model_usage(FILE *f)
{
	fprintf(f,
"usage: flowpic model info MODEL...\n"
"       flowpic model set MODEL [threshold=P] [thresholds=CLASS=P,...]\n"
"Checks model files (docs/model-format.md) and describes them: network,\n"
"geometry, input scaling, classes, layers and provenance. `set` records\n"
"confidence thresholds calibrated on held-out data (0..1) in the model's\n"
"provenance, one for every class and one per class over it: a window is\n"
"`unknown` below the threshold of its most probable class. flowpicd and\n"
"flowpic classify use them unless given --threshold.\n");
}

/*
 * flowpic model set MODEL KEY=VALUE...: threshold=P (every class), and
 * thresholds=CLASS=P,... (per class, over threshold), checked against the
 * model's classes before it is written.
 */
static int model_set_cmd(const char *path, char **kv, int n)
{
	char err[1024], *end;
	float t[FLOWPIC_CLASSES_MAX];
	struct model m;
	int i, rc = 1;

	for (i = 0; i < n; i++) {
		if (!strncmp(kv[i], "thresholds=", 11))
			continue;	/* checked against the classes below */
		if (strncmp(kv[i], "threshold=", 10)) {
			fprintf(stderr,
				"flowpic model set: %s: only threshold=P and thresholds=CLASS=P,...\n",
				kv[i]);
			return 2;
		}
		t[0] = strtof(kv[i] + 10, &end);
		if (end == kv[i] + 10 || *end || !(t[0] >= 0 && t[0] <= 1)) {
			fprintf(stderr, "flowpic model set: %s: P is 0..1\n",
				kv[i]);
			return 2;
		}
	}
	if (model_load(&m, path, err, sizeof(err))) {
		fprintf(stderr, "flowpic model: %s\n", err);
		return 1;
	}
	for (i = 0; i < n; i++) {
		char *eq = strchr(kv[i], '=');

		*eq = 0;
		if (model_set_prov(&m, kv[i], "%s", eq + 1)) {
			fprintf(stderr, "flowpic model set: %s: provenance full\n",
				path);
			goto out;
		}
		*eq = '=';
	}
	if (model_thresholds(&m, t, err, sizeof(err)))
		fprintf(stderr, "flowpic model set: %s: %s\n", path, err);
	else if (model_save(&m, path, err, sizeof(err)))
		fprintf(stderr, "flowpic model set: %s\n", err);
	else
		rc = 0;
out:
	model_free(&m);
	return rc;
}

int cmd_model(int argc, char **argv)
{
	char err[1024];
	struct model m;
	int i, rc = 0;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		model_usage(stdout);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "set"))
		return model_set_cmd(argv[2], argv + 3, argc - 3);
	if (argc < 3 || strcmp(argv[1], "info")) {
		model_usage(stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (model_load(&m, argv[i], err, sizeof(err))) {
			fprintf(stderr, "flowpic model: %s\n", err);
			rc = 1;
			continue;
		}
		if (argc > 3)
			printf("%s%s\n", i > 2 ? "\n" : "", argv[i]);
		model_describe(&m, stdout);
		model_free(&m);
	}
	return rc;
}
