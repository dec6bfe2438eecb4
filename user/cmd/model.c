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
"       flowpic model set MODEL threshold=P\n"
"Checks model files (docs/model-format.md) and describes them: network,\n"
"geometry, input scaling, classes, layers and provenance. `set` records\n"
"a confidence threshold calibrated on held-out data (0..1) in the model's\n"
"provenance: flowpicd and flowpic classify use it unless told otherwise.\n");
}

/* flowpic model set MODEL threshold=P */
static int model_set_cmd(const char *path, const char *kv)
{
	char err[1024], *end;
	struct model m;
	float t;
	int rc = 1;

	if (strncmp(kv, "threshold=", 10)) {
		fprintf(stderr, "flowpic model set: %s: only threshold=P\n", kv);
		return 2;
	}
	t = strtof(kv + 10, &end);
	if (end == kv + 10 || *end || !(t >= 0 && t <= 1)) {
		fprintf(stderr, "flowpic model set: %s: P is 0..1\n", kv);
		return 2;
	}
	if (model_load(&m, path, err, sizeof(err))) {
		fprintf(stderr, "flowpic model: %s\n", err);
		return 1;
	}
	if (model_set_prov(&m, "threshold", "%s", kv + 10))
		fprintf(stderr, "flowpic model set: %s: provenance full\n", path);
	else if (model_save(&m, path, err, sizeof(err)))
		fprintf(stderr, "flowpic model set: %s\n", err);
	else
		rc = 0;
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
	if (argc == 4 && !strcmp(argv[1], "set"))
		return model_set_cmd(argv[2], argv[3]);
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
