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
"Checks model files (docs/model-format.md) and describes them: network,\n"
"geometry, input scaling, classes, layers and provenance.\n");
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
