// SPDX-License-Identifier: GPL-2.0
/*
 * `flowpic dataset`: the command line over user/dataset/dataset.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "cmd/commands.h"
#include "dataset/dataset.h"
#include "capture/flow_key.h"
#include "flow/geometry.h"
#include "dataset/labels.h"
#include "flow/pipeline.h"

struct dataset_run {
	struct dataset_writer *w;
	struct labels *labels;
	int have_labels;
	int keep_unlabelled;
	__u32 min_packets;
	uint64_t unlabelled;
	uint64_t short_windows;
	const char **names;	/* per-label counts, for the summary */
	uint64_t *counts;
	size_t nnames;
};

static void count_label(struct dataset_run *d, const char *label)
{
	const char **nn;
	uint64_t *nc;
	size_t i;

	for (i = 0; i < d->nnames; i++)
		if (d->names[i] == label) {
			d->counts[i]++;
			return;
		}
	nn = realloc(d->names, (d->nnames + 1) * sizeof(*nn));
	if (nn)
		d->names = nn;
	nc = realloc(d->counts, (d->nnames + 1) * sizeof(*nc));
	if (nc)
		d->counts = nc;
	if (!nn || !nc)
		return;
	d->names[d->nnames] = label;
	d->counts[d->nnames++] = 1;
}

static int dataset_window(void *ctx, const struct dataset_sample *s)
{
	struct dataset_run *d = ctx;
	struct dataset_sample out = *s;

	/* Looked up before the size filter, so "matched nothing" is true. */
	out.label = d->have_labels ?
		    labels_lookup(d->labels, s->source, &s->win.key) : NULL;
	if (s->win.packets[0] + s->win.packets[1] < d->min_packets) {
		d->short_windows++;
		return 0;
	}
	if (d->have_labels && !out.label && !d->keep_unlabelled) {
		d->unlabelled++;
		return 0;
	}
	count_label(d, out.label ? out.label : "(unlabelled)");
	return dataset_writer_add(d->w, &out);
}

static void dataset_usage(FILE *f)
{
	fprintf(f,
"usage: flowpic dataset -o OUT [OPTIONS] INPUT...\n"
"Turns captures (pcap, pcapng) and session CSVs (plain or gzip) into a\n"
"dataset file of labelled FlowPics (docs/dataset-format.md).\n\n"
PIPELINE_OPTS_HELP
"                     (--min-packets defaults to 10 here)\n"
"  -o, --output FILE  the dataset file ('-': stdout)\n"
"  --labels CSV       flow labels: capture,proto,addr_a,port_a,addr_b,port_b,label\n"
"  --ndpi PATH        nDPI result file, or a directory of CAPTURE.out files\n"
"  --map FILE         nDPI category -> class map (default: datasets README table)\n"
"  --rule PAT=LABEL   label inputs whose path matches the fnmatch pattern\n"
"  --rules FILE       PATTERN=LABEL lines\n"
"  --keep-unlabelled  write windows no label matched (dropped by default\n"
"                     when labels are given)\n"
"  --allow-unmatched  labels matching no window are a warning, not an error\n"
"  --series, --no-series  store each window's packets (default: N <= 64)\n"
"  --stats            pipeline counters on stderr\n");
}

/* For --ndpi DIR: loads DIR/<capture>.out for @input if there is one. */
static int ndpi_for_input(struct labels *l, const char *dir, const char *input,
			  char *err, size_t errlen)
{
	const char *b = strrchr(input, '/');
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s.out", dir, b ? b + 1 : input);
	if (stat(path, &st))
		return 1;
	return labels_load_ndpi(l, path, err, errlen);
}

int cmd_dataset(int argc, char **argv)
{
	static const struct option opts[] = {
		PIPELINE_LONG_OPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "labels", required_argument, NULL, 'L' },
		{ "ndpi", required_argument, NULL, 'N' },
		{ "map", required_argument, NULL, 'M' },
		{ "rule", required_argument, NULL, 'r' },
		{ "rules", required_argument, NULL, 'R' },
		{ "keep-unlabelled", no_argument, NULL, 'k' },
		{ "allow-unmatched", no_argument, NULL, 'a' },
		{ "series", no_argument, NULL, 'S' },
		{ "no-series", no_argument, NULL, 'n' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *ndpi_dir = NULL;
	struct dataset_run d = { 0 };
	struct flowpic_geom g;
	struct flow_config c;
	struct pipeline *p = NULL;
	struct stat st;
	char err[1024];
	int o, r, i, series = -1, stats = 0, allow = 0, status = 0;
	unsigned int flags;
	size_t unmatched, k;
	uint64_t samples;

	d.labels = labels_new();
	if (!d.labels) {
		fprintf(stderr, "flowpic dataset: out of memory\n");
		return 1;
	}
	geometry_default(&g, FLOWPIC_MINI_N);
	flow_config_default(&c, &g);
	c.geom.window_ns = 0;
	c.min_packets = 10;
	/* label sources are loaded after --map, whatever the order given */
	char **pending = calloc((size_t)argc, sizeof(*pending));
	int *pkind = calloc((size_t)argc, sizeof(*pkind)), npending = 0;

	if (!pending || !pkind) {
		fprintf(stderr, "flowpic dataset: out of memory\n");
		status = 1;
		goto out;
	}
	while ((o = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		r = pipeline_option(&c, o, optarg, "dataset");
		if (r < 0) {
			status = 2;
			goto out;
		}
		if (r)
			continue;
		switch (o) {
		case 'o':
			out = optarg;
			break;
		case 'L':
		case 'N':
		case 'r':
		case 'R':
			pending[npending] = optarg;
			pkind[npending++] = o;
			break;
		case 'M':
			if (labels_map_load(d.labels, optarg, err, sizeof(err))) {
				fprintf(stderr, "flowpic dataset: %s\n", err);
				status = 2;
				goto out;
			}
			break;
		case 'k':
			d.keep_unlabelled = 1;
			break;
		case 'a':
			allow = 1;
			break;
		case 'S':
			series = 1;
			break;
		case 'n':
			series = 0;
			break;
		case 's':
			stats = 1;
			break;
		default:
			dataset_usage(o == 'h' ? stdout : stderr);
			status = o == 'h' ? 0 : 2;
			goto out;
		}
	}
	if (!out || optind == argc) {
		fprintf(stderr, "flowpic dataset: %s\n",
			!out ? "no output file (-o)" : "no input");
		dataset_usage(stderr);
		status = 2;
		goto out;
	}
	if (pipeline_config_finish(&c, "dataset")) {
		status = 2;
		goto out;
	}
	for (i = 0; i < npending; i++) {
		const char *a = pending[i];

		switch (pkind[i]) {
		case 'L':
			r = labels_load_csv(d.labels, a, err, sizeof(err));
			break;
		case 'N':
			if (!stat(a, &st) && S_ISDIR(st.st_mode)) {
				ndpi_dir = a;
				r = 0;
			} else {
				r = labels_load_ndpi(d.labels, a, err, sizeof(err));
			}
			break;
		case 'r':
			r = labels_add_rule(d.labels, a, "--rule", err, sizeof(err));
			break;
		default:
			r = labels_load_rules(d.labels, a, err, sizeof(err));
			break;
		}
		if (r) {
			fprintf(stderr, "flowpic dataset: %s\n", err);
			status = 2;
			goto out;
		}
	}
	d.have_labels = npending > 0;
	d.min_packets = c.min_packets;
	c.min_packets = 1;	/* the sink filters, after the label lookup */
	c.image_min_packets = d.min_packets;	/* and never sees their pictures */
	if (series < 0)
		series = c.geom.n <= 64;
	flags = series ? DATASET_F_SERIES : 0;
	d.w = dataset_writer_open(out, &c.geom, flags, err, sizeof(err));
	if (!d.w) {
		fprintf(stderr, "flowpic dataset: %s\n", err);
		status = 2;
		goto out;
	}
	p = pipeline_new(&c, dataset_window, &d);
	if (!p) {
		fprintf(stderr, "flowpic dataset: out of memory\n");
		status = 1;
		goto close;
	}
	for (i = optind; i < argc; i++) {
		if (ndpi_dir) {
			r = ndpi_for_input(d.labels, ndpi_dir, argv[i], err,
					   sizeof(err));
			if (r < 0) {
				fprintf(stderr, "flowpic dataset: %s\n", err);
				status = 1;
				continue;
			}
			if (r > 0)
				fprintf(stderr, "flowpic dataset: %s: no nDPI result %s/<name>.out\n",
					argv[i], ndpi_dir);
		}
		if (pipeline_run(p, argv[i], err, sizeof(err))) {
			fprintf(stderr, "flowpic dataset: %s\n", err);
			status = 1;
		}
	}
close:
	/* The samples written so far are kept, whatever failed. */
	if (dataset_writer_close(d.w, err, sizeof(err))) {
		fprintf(stderr, "flowpic dataset: %s\n", err);
		status = 1;
	}
	if (!p)
		goto out;
	if (d.have_labels) {
		const char *where = labels_skipped(d.labels, &k);

		if (k)
			fprintf(stderr, "flowpic dataset: warning: %zu nDPI flow lines skipped, unreadable (first: %s)\n",
				k, where);
		unmatched = labels_report_unmatched(d.labels, stderr, 10);
		if (unmatched > 10)
			fprintf(stderr, "flowpic dataset: ... and %zu more labels that matched no window\n",
				unmatched - 10);
		if (unmatched && unmatched == labels_count(d.labels)) {
			fprintf(stderr, "flowpic dataset: no label matched any window\n");
			status = 1;
		} else if (unmatched && !allow) {
			fprintf(stderr, "flowpic dataset: %zu labels matched no window (--allow-unmatched accepts that)\n",
				unmatched);
			status = 1;
		}
	}
	for (k = 0, samples = 0; k < d.nnames; k++)
		samples += d.counts[k];
	fprintf(stderr, "flowpic dataset: %s: %" PRIu64 " samples", out,
		samples);
	for (k = 0; k < d.nnames; k++)
		fprintf(stderr, "%s %s %" PRIu64, k ? "," : ":", d.names[k],
			d.counts[k]);
	fprintf(stderr, "; left out: %" PRIu64 " below %u packets, %" PRIu64 " unlabelled\n",
		d.short_windows, d.min_packets, d.unlabelled);
	if (stats)
		pipeline_print_stats(p, stderr);
out:
	pipeline_free(p);
	labels_free(d.labels);
	free(d.names);
	free(d.counts);
	free(pending);
	free(pkind);
	return status;
}
