/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The offline pipeline: input files (captures or session CSVs) in, closed
 * flow windows out, as dataset samples (without a label) handed to a
 * sink. Each file is its own world: its flows end with it.
 */
#ifndef _FLOWPIC_USER_PIPELINE_H
#define _FLOWPIC_USER_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset/dataset.h"
#include "flow/flow_table.h"

/* Called per window; returns 0 or a negative errno that stops the run. */
typedef int (*pipeline_sink_fn)(void *ctx, const struct dataset_sample *s);

/* Everything a run saw: the flow table's counters and the readers'. */
struct pipeline_stats {
	uint64_t files;
	uint64_t files_failed;
	uint64_t frames;	/* capture records read */
	uint64_t sessions;	/* CSV sessions read */
	struct flow_stats flow;
};

struct pipeline;

struct pipeline *pipeline_new(const struct flow_config *c,
			      pipeline_sink_fn sink, void *ctx);
void pipeline_free(struct pipeline *p);
/*
 * Reads @path to its end (its kind found from its first bytes: pcap,
 * pcapng, or text/gzip sessions). On a read error the windows read so far
 * still reach the sink; -1 then, with the file and where in @err.
 * A sink error also stops it (-1, @err says so).
 */
int pipeline_run(struct pipeline *p, const char *path, char *err,
		 size_t errlen);
const struct pipeline_stats *pipeline_stats(struct pipeline *p);
/* The counters, one "name value" per line, and the first malformed packet. */
void pipeline_print_stats(struct pipeline *p, FILE *f);

/*
 * Common command-line options of the commands that run the pipeline:
 * --n, --window, --channels, --min-packets, --idle, --gap-cap,
 * --tcp-end both|first|none, --max-flows. Returns 1 if @opt was one of
 * them (applied to @c), 0 if not, -1 with a message on stderr if its
 * value is bad. geometry window defaults follow --n unless --window.
 */
int pipeline_option(struct flow_config *c, int opt, const char *arg,
		    const char *cmd);
int pipeline_config_finish(struct flow_config *c, const char *cmd);
#define PIPELINE_OPTS_HELP \
"  --n N              FlowPic resolution, 8..1500 (32)\n" \
"  --window DUR       window length (15s for N <= 64, else 60s)\n" \
"  --channels 1|2     one channel, or one per direction (1)\n" \
"  --min-packets K    windows with fewer packets are left out\n" \
"  --idle DUR         a flow silent this long ends (120s; 0: never)\n" \
"  --gap-cap DUR      longer silences inside a flow count as DUR (120s; 0: off)\n" \
"  --tcp-end MODE     both (FIN both ways, or RST), first (first FIN), none\n" \
"  --max-flows N      flow table bound; the least recent is evicted (1048576)\n"

/* getopt_long entries for the options above (values 0x100..). */
#define PIPELINE_LONG_OPTS \
	{ "n", required_argument, NULL, 0x100 }, \
	{ "window", required_argument, NULL, 0x101 }, \
	{ "channels", required_argument, NULL, 0x102 }, \
	{ "min-packets", required_argument, NULL, 0x103 }, \
	{ "idle", required_argument, NULL, 0x104 }, \
	{ "gap-cap", required_argument, NULL, 0x105 }, \
	{ "tcp-end", required_argument, NULL, 0x106 }, \
	{ "max-flows", required_argument, NULL, 0x107 }

#endif /* _FLOWPIC_USER_PIPELINE_H */
