// SPDX-License-Identifier: GPL-2.0
/*
 * `flowpic eval`: the command line over user/model/evaluate.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "render/chart.h"
#include "cmd/commands.h"
#include "model/evaluate.h"

static void eval_usage(FILE *f)
{
	fprintf(f,
"usage: flowpic eval MODEL DATASET... [OPTIONS]\n"
"Classifies the labelled FlowPics of dataset files (flowpic dataset) with a\n"
"model and scores it: accuracy, macro-F1, per-class precision, recall, F1\n"
"and the confusion matrix.\n\n"
"  --held-out         only the files `flowpic train --test-files` held out\n"
"                     (the split the model records; the data must be the\n"
"                     training data, checked by its SHA-256)\n"
"  --windows all|first  score every window, or only each flow's first\n"
"                     (default: as the model was trained)\n"
"  --png FILE         the confusion matrix as a PNG\n"
"  --json             one JSON object instead of the text report\n"
"  --ignore-unknown   skip samples whose class the model lacks (else an error;\n"
"                     with --samples and without --held-out they are kept,\n"
"                     classified and written there, e.g. an 'other' class)\n"
"  --samples FILE     one line per classified sample: source, true label,\n"
"                     window index, session, predicted class, confidence\n"
"  --batch N          images per inference batch (64)\n"
"  --threads N        OpenBLAS threads (1)\n");
}

int cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "held-out", no_argument, NULL, 'H' },
		{ "png", required_argument, NULL, 'p' },
		{ "windows", required_argument, NULL, 'W' },
		{ "json", no_argument, NULL, 'j' },
		{ "ignore-unknown", no_argument, NULL, 'u' },
		{ "samples", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *png = NULL, *samples = NULL, *names[FLOWPIC_CLASSES_MAX];
	int held = 0, json = 0, ignore = 0, first = -1, o, rc = 1;
	unsigned long batch = 64, threads = 1;
	struct sample_set set;
	struct confusion conf = { 0 };
	struct model m;
	uint8_t *part = NULL;
	uint64_t unknown = 0, seed = 0;
	FILE *dump = NULL;
	double fraction = 0;
	char err[1024];
	uint32_t i;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'H': held = 1; break;
		case 'p': png = optarg; break;
		case 'W':
			if (strcmp(optarg, "all") && strcmp(optarg, "first")) {
				fprintf(stderr, "flowpic eval: --windows %s: all or first\n",
					optarg);
				return 2;
			}
			first = !strcmp(optarg, "first");
			break;
		case 'j': json = 1; break;
		case 'u': ignore = 1; break;
		case 's': samples = optarg; break;
		case 'b':
			batch = strtoul(optarg, NULL, 10);
			if (batch < 1 || batch > 4096) {
				fprintf(stderr, "flowpic eval: --batch %s: 1..4096\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			threads = strtoul(optarg, NULL, 10);
			if (threads < 1 || threads > 256) {
				fprintf(stderr, "flowpic eval: --threads %s: 1..256\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			eval_usage(stdout);
			return 0;
		default:
			eval_usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 2) {
		eval_usage(stderr);
		return 2;
	}
	openblas_set_num_threads((int)threads);
	if (model_load(&m, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "flowpic eval: %s\n", err);
		return 1;
	}
	if (sample_set_load(&set, (const char *const *)argv + optind + 1,
			    (uint32_t)(argc - optind - 1), err, sizeof(err))) {
		fprintf(stderr, "flowpic eval: %s\n", err);
		goto out_model;
	}
	if (model_check_geom(&m, &set.geom, err, sizeof(err))) {
		fprintf(stderr, "flowpic eval: %s: %s\n", argv[optind], err);
		goto out_set;
	}
	if (first < 0)
		first = model_get_prov(&m, "windows") &&
			!strcmp(model_get_prov(&m, "windows"), "first");
	if (first)
		sample_set_first_windows(&set);
	/* the classes the model was trained on, if it chose some */
	if (model_get_prov(&m, "classes") && !(samples && ignore && !held) &&
	    sample_set_keep_classes(&set, model_get_prov(&m, "classes"), err,
				    sizeof(err))) {
		fprintf(stderr, "flowpic eval: %s\n", err);
		goto out_set;
	}
	if (held) {
		const char *digest = model_get_prov(&m, "dataset_sha256");

		if (evaluate_split_from_model(&m, &fraction, &seed)) {
			fprintf(stderr, "flowpic eval: %s: --held-out: the model records no held-out files (train with --test-files)\n",
				argv[optind]);
			goto out_set;
		}
		if (!digest || strcmp(digest, set.digest)) {
			fprintf(stderr, "flowpic eval: --held-out: these datasets (sha256 %s) are not the model's training data (sha256 %s)\n",
				set.digest, digest ? digest : "not recorded");
			goto out_set;
		}
		part = calloc(set.n + 1, 1);
		if (!part)
			goto out_set;
		sample_set_split_files(&set, fraction, seed, part);
	}
	if (!ignore) {
		int32_t map[FLOWPIC_CLASSES_MAX];
		uint64_t count = 0;
		size_t k;

		evaluate_label_map(&m, &set, map);
		for (i = 0; i < set.nlabels; i++) {
			if (map[i] >= 0)
				continue;
			for (k = 0, count = 0; k < set.n; k++)
				count += set.s[k].label == i &&
					 (!part || part[k] == 1);
			if (!count)
				continue;
			fprintf(stderr, "flowpic eval: %llu samples of class '%s', which %s does not know (--ignore-unknown skips them)\n",
				(unsigned long long)count, set.labels[i],
				argv[optind]);
			goto out_part;
		}
	}
	if (confusion_init(&conf, m.nclasses))
		goto out_part;
	if (samples) {
		dump = fopen(samples, "w");
		if (!dump) {
			fprintf(stderr, "flowpic eval: %s: %s\n", samples,
				strerror(errno));
			goto out_conf;
		}
	}
	if (evaluate_samples_dump(&m, &set, part, 1, (uint32_t)batch, &conf,
				  &unknown, dump, err, sizeof(err))) {
		fprintf(stderr, "flowpic eval: %s\n", err);
		goto out_conf;
	}
	if (!confusion_total(&conf)) {
		fprintf(stderr, "flowpic eval: no labelled samples to score\n");
		goto out_conf;
	}
	for (i = 0; i < m.nclasses; i++)
		names[i] = m.classes[i];
	if (json) {
		confusion_json(&conf, names, stdout);
	} else {
		printf("model    %s (%s, %ux%u, %g s)\n", argv[optind], m.net.name,
		       m.geom.n, m.geom.n, (double)m.geom.window_ns / 1e9);
		printf("data     %s%s%s\n", set.files,
		       held ? ", held-out files only" : "",
		       first ? ", first windows only" : "");
		if (unknown)
			printf("skipped  %llu samples of classes the model lacks or unlabelled\n",
			       (unsigned long long)unknown);
		printf("\n");
		confusion_print(&conf, names, stdout);
	}
	if (png) {
		char title[256];

		snprintf(title, sizeof(title),
			 "%s: accuracy %.2f%%, macro-F1 %.4f (%llu samples)",
			 argv[optind], confusion_accuracy(&conf) * 100,
			 confusion_macro_f1(&conf),
			 (unsigned long long)confusion_total(&conf));
		if (chart_confusion(png, title, conf.m, conf.k, names, err,
				    sizeof(err))) {
			fprintf(stderr, "flowpic eval: %s\n", err);
			goto out_conf;
		}
	}
	rc = 0;
out_conf:
	if (dump && fclose(dump) && !rc) {
		fprintf(stderr, "flowpic eval: %s: %s\n", samples,
			strerror(errno));
		rc = 1;
	}
	confusion_free(&conf);
out_part:
	free(part);
out_set:
	sample_set_free(&set);
out_model:
	model_free(&m);
	return rc;
}
