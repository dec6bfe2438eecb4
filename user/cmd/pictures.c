// SPDX-License-Identifier: GPL-2.0
/*
 * `flowpic pictures`: the command line over user/flow/pipeline.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture/capture.h"
#include "cmd/commands.h"
#include "capture/flow_key.h"
#include "capture/fragment.h"
#include "flow/geometry.h"
#include "capture/packet.h"
#include "flow/pipeline.h"
#include "capture/session_csv.h"

static int print_window(void *ctx, const struct dataset_sample *s)
{
	FILE *out = ctx;
	char key[FLOW_KEY_TEXT_MAX];
	uint32_t i;

	if (s->win.key.family) {
		flow_key_format(&s->win.key, key, sizeof(key));
		fputs(key, out);
	} else {
		fprintf(out, "SESSION %s", s->flow);
	}
	fprintf(out, " w=%u p=%u", s->win.index,
		s->win.packets[0] + s->win.packets[1]);
	for (i = 0; i < s->pic.ncells; i++)
		fprintf(out, " %u:%u", s->pic.cells[i].index,
			s->pic.cells[i].count);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

static void pictures_usage(FILE *f)
{
	fprintf(f,
"usage: flowpic pictures [OPTIONS] INPUT...\n"
"Prints the FlowPic of every flow window of each INPUT (pcap, pcapng, or\n"
"session CSV, plain or gzip), one line per window as it closes:\n"
"  PROTO LO:PORT <-> HI:PORT w=WINDOW p=PACKETS CELL:COUNT ...\n"
"(SESSION NAME instead of the key for CSV sessions).\n\n"
PIPELINE_OPTS_HELP
"  --stats            counters on stderr at the end\n");
}

int cmd_pictures(int argc, char **argv)
{
	static const struct option opts[] = {
		PIPELINE_LONG_OPTS,
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct flowpic_geom g;
	struct flow_config c;
	struct pipeline *p;
	char err[1024];
	int o, r, i, stats = 0, status = 0;

	geometry_default(&g, FLOWPIC_MINI_N);
	flow_config_default(&c, &g);
	c.geom.window_ns = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		r = pipeline_option(&c, o, optarg, "pictures");
		if (r < 0)
			return 2;
		if (r)
			continue;
		if (o == 's') {
			stats = 1;
			continue;
		}
		pictures_usage(o == 'h' ? stdout : stderr);
		return o == 'h' ? 0 : 2;
	}
	if (optind == argc) {
		pictures_usage(stderr);
		return 2;
	}
	if (pipeline_config_finish(&c, "pictures"))
		return 2;
	p = pipeline_new(&c, print_window, stdout);
	if (!p) {
		fprintf(stderr, "flowpic pictures: out of memory\n");
		return 1;
	}
	for (i = optind; i < argc; i++) {
		if (pipeline_run(p, argv[i], err, sizeof(err))) {
			fprintf(stderr, "flowpic pictures: %s\n", err);
			status = 1;
		}
	}
	if (fflush(stdout)) {
		perror("flowpic pictures: stdout");
		status = 1;
	}
	if (stats)
		pipeline_print_stats(p, stderr);
	pipeline_free(p);
	return status;
}
