// SPDX-License-Identifier: GPL-2.0
/*
 * `flowpic train`: the command line over user/model/train.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cblas.h>
#include "render/chart.h"
#include "cmd/commands.h"
#include "model/evaluate.h"
#include "model/model_file.h"
#include "dataset/sample_set.h"
#include "model/train.h"

static void train_usage(FILE *f)
{
	fprintf(f,
"usage: flowpic train -o MODEL [OPTIONS] DATASET...\n"
"Trains a FlowPic classifier on the labelled FlowPics of dataset files\n"
"(flowpic dataset) and writes it as a model file (docs/model-format.md).\n\n"
"  -o, --output FILE     the model file\n"
"  --arch mini|full      the network (mini for N <= 64, full above)\n"
"  --epochs N            at most N epochs (50)\n"
"  --batch N             mini-batch size (64; 32 for full)\n"
"  --lr X                Adam learning rate (0.001)\n"
"  --patience N          stop after N epochs without a lower validation\n"
"                        loss and keep the best epoch (5; 0: never stop)\n"
"  --val F               validation share of the training samples,\n"
"                        stratified by class (0.2)\n"
"  --test-files F        hold out this share of the source files (captures,\n"
"                        session CSVs), per class, as a test set scored at\n"
"                        the end; `flowpic eval --held-out` repeats it (0)\n"
"  --seed N              every random choice comes from it (1)\n"
"  --input-scale X       network input = min(count, 255) * X; \"1/255\" or a\n"
"                        number (1/255 for mini, as tcbench; 1 for full,\n"
"                        the paper's raw counts)\n"
"  --class-weights none|balanced  weight the loss by inverse class\n"
"                        frequency (none)\n"
"  --augment LIST        none, all, or some of time-shift,rtt,drop applied\n"
"                        to packet series before imaging (none; needs\n"
"                        datasets made with --series)\n"
"  --augment-prob P      share of training samples augmented per epoch (0.5)\n"
"  --classes LIST        only the samples of these classes (a comma list)\n"
"  --windows all|first   train on every window, or only each flow's first\n"
"                        (the \"first 15 s\" protocol) (all)\n"
"  --curve PREFIX        training curve as PREFIX.csv and PREFIX.png\n"
"                        (default: the model's name, then -curve)\n"
"  --threads N           OpenBLAS threads (1)\n"
"  --quiet               per-epoch lines only, no progress bar\n");
}

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi,
		       unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || *v < lo || *v > hi ? -1 : 0;
}

static int parse_fraction(const char *s, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || !(*v >= lo && *v <= hi) ? -1 : 0;
}

static void iso_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cmd_train(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "arch", required_argument, NULL, 'a' },
		{ "epochs", required_argument, NULL, 'e' },
		{ "batch", required_argument, NULL, 'b' },
		{ "lr", required_argument, NULL, 'l' },
		{ "patience", required_argument, NULL, 'p' },
		{ "val", required_argument, NULL, 'v' },
		{ "test-files", required_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 's' },
		{ "class-weights", required_argument, NULL, 'w' },
		{ "input-scale", required_argument, NULL, 'S' },
		{ "augment", required_argument, NULL, 'A' },
		{ "augment-prob", required_argument, NULL, 'P' },
		{ "curve", required_argument, NULL, 'c' },
		{ "windows", required_argument, NULL, 'W' },
		{ "classes", required_argument, NULL, 'C' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *arch = NULL, *curve = NULL, *classes = NULL;
	const char *names[FLOWPIC_CLASSES_MAX];
	unsigned long v, threads = 1, batch = 0;
	double val = 0.2, test = 0, scale = 0, x;
	struct train_sample *tr = NULL, *va = NULL;
	struct train_result res = { 0 };
	struct confusion conf = { 0 };
	struct train_config c;
	struct sample_set set;
	struct model m;
	uint8_t *part = NULL;
	size_t ntr = 0, nva = 0, nte = 0, nolabel = 0, i;
	uint32_t held = 0;
	int quiet = 0, first = 0, o, rc = 1;
	char err[1024], buf[4096], when[32], augbuf[64];

	train_default(&c);
	c.aug.kinds = 0;
	while ((o = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (o) {
		case 'o': out = optarg; break;
		case 'a':
			if (strcmp(optarg, "mini") && strcmp(optarg, "full")) {
				fprintf(stderr, "flowpic train: --arch %s: mini or full\n",
					optarg);
				return 2;
			}
			arch = optarg;
			break;
		case 'e':
			if (parse_ulong(optarg, 1, 100000, &v))
				goto bad;
			c.epochs = (uint32_t)v;
			break;
		case 'b':
			if (parse_ulong(optarg, 1, 4096, &batch))
				goto bad;
			break;
		case 'l':
			if (parse_fraction(optarg, 1e-7, 10, &x))
				goto bad;
			c.lr = (float)x;
			break;
		case 'p':
			if (parse_ulong(optarg, 0, 100000, &v))
				goto bad;
			c.patience = (uint32_t)v;
			break;
		case 'v':
			if (parse_fraction(optarg, 0.01, 0.9, &val))
				goto bad;
			break;
		case 'T':
			if (parse_fraction(optarg, 0, 0.9, &test))
				goto bad;
			break;
		case 's': {
			char *end;

			errno = 0;
			c.seed = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg)
				goto bad;
			break;
		}
		case 'S':
			if (!strcmp(optarg, "1/255"))
				scale = 1.0 / 255;
			else if (parse_fraction(optarg, 1e-6, 1e3, &scale))
				goto bad;
			break;
		case 'w':
			if (!strcmp(optarg, "balanced"))
				c.weighting = TRAIN_WEIGHTS_BALANCED;
			else if (!strcmp(optarg, "none"))
				c.weighting = TRAIN_WEIGHTS_NONE;
			else
				goto bad;
			break;
		case 'A':
			if (augment_parse(&c.aug, optarg)) {
				fprintf(stderr, "flowpic train: --augment %s: none, all, or a list of time-shift, rtt, drop\n",
					optarg);
				return 2;
			}
			break;
		case 'P':
			if (parse_fraction(optarg, 0, 1, &x))
				goto bad;
			c.aug.prob = (float)x;
			break;
		case 'c': curve = optarg; break;
		case 'C': classes = optarg; break;
		case 'W':
			if (strcmp(optarg, "all") && strcmp(optarg, "first"))
				goto bad;
			first = !strcmp(optarg, "first");
			break;
		case 't':
			if (parse_ulong(optarg, 1, 256, &threads))
				goto bad;
			break;
		case 'q': quiet = 1; break;
		case 'h':
			train_usage(stdout);
			return 0;
		default:
			train_usage(stderr);
			return 2;
		}
		continue;
bad:
		for (i = 0; opts[i].name && opts[i].val != o; i++)
			;
		fprintf(stderr, "flowpic train: bad value '%s' for --%s\n",
			optarg, opts[i].name ? opts[i].name : "?");
		return 2;
	}
	if (!out || optind == argc) {
		train_usage(stderr);
		return 2;
	}
	openblas_set_num_threads((int)threads);
	if (sample_set_load(&set, (const char *const *)argv + optind,
			    (uint32_t)(argc - optind), err, sizeof(err))) {
		fprintf(stderr, "flowpic train: %s\n", err);
		return 1;
	}
	if (first)
		sample_set_first_windows(&set);
	if (classes && sample_set_keep_classes(&set, classes, err,
					       sizeof(err))) {
		fprintf(stderr, "flowpic train: --classes: %s\n", err);
		goto out;
	}
	if (set.nlabels < 2) {
		fprintf(stderr, "flowpic train: %s: %u class%s of labelled samples; training needs 2 or more\n",
			set.files, set.nlabels, set.nlabels == 1 ? "" : "es");
		goto out;
	}
	if (c.aug.kinds && !set.has_series) {
		fprintf(stderr, "flowpic train: --augment needs the packet series: %s was made without them (flowpic dataset --series)\n",
			set.files);
		goto out;
	}
	if (!arch)
		arch = set.geom.n <= 64 ? "mini" : "full";
	c.batch = batch ? (uint32_t)batch : strcmp(arch, "full") ? 64 : 32;
	c.geom = set.geom;
	for (i = 0; i < set.nlabels; i++)
		names[i] = set.labels[i];
	if (model_new(&m, arch, &set.geom, set.nlabels, names, err,
		      sizeof(err))) {
		fprintf(stderr, "flowpic train: %s\n", err);
		goto out;
	}
	if (scale > 0)
		m.scale = (float)scale;
	else if (!strcmp(arch, "full"))
		m.scale = 1.0f;
	c.scale = m.scale;

	part = calloc(set.n + 1, 1);
	tr = calloc(set.n + 1, sizeof(*tr));
	va = calloc(set.n + 1, sizeof(*va));
	if (!part || !tr || !va)
		goto out_model;
	if (test > 0)
		held = sample_set_split_files(&set, test, c.seed, part);
	sample_set_split_stratified(&set, val, c.seed + 1, part);
	for (i = 0; i < set.n; i++) {
		const struct sample *s = &set.s[i];
		struct train_sample t = { &s->pic,
					  s->series.n ? &s->series : NULL,
					  s->label };

		if (s->label == SAMPLE_NO_LABEL) {
			nolabel++;
			continue;
		}
		if (part[i] == 0)
			tr[ntr++] = t;
		else if (part[i] == 2)
			va[nva++] = t;
		else
			nte++;
	}
	fprintf(stderr, "flowpic train: %s, %ux%u, %u classes; %zu training, %zu validation, %zu test samples (%u held-out files)%s\n",
		arch, set.geom.n, set.geom.n, set.nlabels, ntr, nva, nte, held,
		nolabel ? ", unlabelled skipped" : "");
	c.log = stderr;
	c.progress = !quiet && isatty(2);
	if (train_run(&m.net, &c, set.nlabels, tr, ntr, va, nva, &res, err,
		      sizeof(err))) {
		fprintf(stderr, "flowpic train: %s\n", err);
		goto out_model;
	}

	/* Provenance: what another reader needs to trust the figures. */
	iso_now(when, sizeof(when));
	for (i = 0, buf[0] = 0; i < (size_t)argc; i++) {
		size_t k = strlen(buf);

		snprintf(buf + k, sizeof(buf) - k, "%s%s", i ? " " : "flowpic ",
			 argv[i]);
	}
	model_set_prov(&m, "created", "%s", when);
	model_set_prov(&m, "flowpic", "%.*s", MODEL_PROV_VAL_MAX - 1, buf);
	model_set_prov(&m, "dataset", "%.*s", MODEL_PROV_VAL_MAX - 1, set.files);
	model_set_prov(&m, "dataset_sha256", "%s", set.digest);
	model_set_prov(&m, "samples", "train %zu val %zu test %zu", ntr, nva,
		       nte);
	model_set_prov(&m, "seed", "%llu", (unsigned long long)c.seed);
	if (held)
		model_set_prov(&m, "split", "files %g seed %llu", test,
			       (unsigned long long)c.seed);
	model_set_prov(&m, "windows", "%s", first ? "first" : "all");
	if (classes)
		model_set_prov(&m, "classes", "%s", classes);
	model_set_prov(&m, "training",
		       "adam lr %g batch %u, class weights %s, augment %s p %g",
		       (double)c.lr, c.batch,
		       c.weighting == TRAIN_WEIGHTS_BALANCED ? "balanced" : "none",
		       augment_names(c.aug.kinds, augbuf, sizeof(augbuf)),
		       (double)c.aug.prob);
	model_set_prov(&m, "epochs", "run %u kept %u", res.epochs,
		       res.best + 1);
	model_set_prov(&m, "val_loss", "%.6f", res.hist[res.best].val_loss);
	model_set_prov(&m, "val_accuracy", "%.6f", res.hist[res.best].val_acc);

	if (nte) {
		uint64_t unknown;

		if (confusion_init(&conf, m.nclasses) ||
		    evaluate_samples(&m, &set, part, 1, 64, &conf, &unknown, err,
				     sizeof(err))) {
			fprintf(stderr, "flowpic train: test: %s\n", err);
			goto out_model;
		}
		model_set_prov(&m, "test_accuracy", "%.6f",
			       confusion_accuracy(&conf));
		model_set_prov(&m, "test_macro_f1", "%.6f",
			       confusion_macro_f1(&conf));
		printf("test on %u held-out files (%llu samples):\n\n", held,
		       (unsigned long long)confusion_total(&conf));
		confusion_print(&conf, names, stdout);
	}
	if (model_save(&m, out, err, sizeof(err))) {
		fprintf(stderr, "flowpic train: %s\n", err);
		goto out_model;
	}
	{
		char base[4096], path[4200], title[256];
		size_t k;

		if (curve) {
			snprintf(base, sizeof(base), "%s", curve);
		} else {
			snprintf(base, sizeof(base), "%s", out);
			k = strlen(base);
			if (k > 4 && !strcmp(base + k - 4, ".fpm"))
				base[k - 4] = 0;
			strncat(base, "-curve", sizeof(base) - strlen(base) - 1);
		}
		snprintf(path, sizeof(path), "%s.csv", base);
		if (train_curve_csv(&res, path, err, sizeof(err))) {
			fprintf(stderr, "flowpic train: %s\n", err);
			goto out_model;
		}
		snprintf(path, sizeof(path), "%s.png", base);
		snprintf(title, sizeof(title), "%s: %s %ux%u, seed %llu", out,
			 arch, set.geom.n, set.geom.n,
			 (unsigned long long)c.seed);
		if (train_curve_png(&res, path, title, err, sizeof(err))) {
			fprintf(stderr, "flowpic train: %s\n", err);
			goto out_model;
		}
		fprintf(stderr, "flowpic train: wrote %s, %s.csv, %s.png\n", out,
			base, base);
	}
	rc = 0;
out_model:
	confusion_free(&conf);
	train_result_free(&res);
	model_free(&m);
out:
	free(part);
	free(tr);
	free(va);
	sample_set_free(&set);
	return rc;
}
