// SPDX-License-Identifier: GPL-2.0
/*
 * `flowpic bin`: the command line over user/flow/geometry.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flowpic.h"
#include "cmd/commands.h"
#include "flow/geometry.h"

int cmd_bin(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "n", required_argument, NULL, 'n' },
		{ "window", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct flowpic_geom g;
	struct flowpic_cell c = { 0 };
	char err[128];
	__u64 w = 0;
	long long dt;
	unsigned long size;
	__u32 flags;
	int o;

	geometry_default(&g, FLOWPIC_MINI_N);
	while ((o = getopt_long(argc, argv, "n:w:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			g.n = (__u16)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			if (geometry_parse_duration(optarg, &w)) {
				fprintf(stderr, "flowpic bin: bad window '%s'\n",
					optarg);
				return 2;
			}
			g.window_ns = w;
			break;
		default:
			printf("usage: flowpic bin [--n N] [--window 15s] SIZE TIME_NS\n");
			return o == 'h' ? 0 : 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: flowpic bin [--n N] [--window 15s] SIZE TIME_NS\n");
		return 2;
	}
	if (geometry_check(&g, err, sizeof(err))) {
		fprintf(stderr, "flowpic bin: %s\n", err);
		return 2;
	}
	size = strtoul(argv[optind], NULL, 10);
	dt = strtoll(argv[optind + 1], NULL, 10);
	flags = flowpic_bin(&g, (__u32)size, dt, &c);
	if (flags & FLOWPIC_BIN_PAST) {
		printf("past the window (%" PRIu64 " ns): opens window %" PRIu64 "\n",
		       (uint64_t)g.window_ns,
		       (uint64_t)flowpic_window_index(&g, dt));
		return 0;
	}
	printf("row %u col %u index %u%s%s\n", c.row, c.col,
	       flowpic_cell_index(&g, 0, &c),
	       flags & FLOWPIC_BIN_CLIPPED ? " clipped" : "",
	       flags & FLOWPIC_BIN_EARLY ? " early" : "");
	return 0;
}
