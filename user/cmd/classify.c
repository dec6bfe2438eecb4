// SPDX-License-Identifier: GPL-2.0
/*
 * `flowpic classify`: captures or session CSVs through the pipeline with a
 * model's geometry, every closed window through the model in batches, one
 * line per window out: file, flow, window, label, confidence.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "cmd/commands.h"
#include "capture/flow_key.h"
#include "model/model_file.h"
#include "flow/pipeline.h"
#include "output/json.h"

struct pending {
	struct picture pic;
	struct flowpic_window win;
	char flow[FLOW_KEY_TEXT_MAX + 64];
};

struct classify {
	struct model *m;
	struct cnn_work *w;
	struct pending *q;
	const struct picture **pp;
	float *probs;
	uint32_t n, batch;
	float threshold;	/* --threshold: every class, else -1 */
	float thr[FLOWPIC_CLASSES_MAX];	/* per class, what applies */
	int json;
	const char *file;
	uint64_t windows, unknown;
};

/* docs/json.md, "flowpic classify --json". */
static void window_json(const struct classify *c, const struct pending *q,
			const float *p, const char *label, uint32_t best)
{
	const struct model *m = c->m;
	struct json j;
	uint32_t k;

	json_start(&j, stdout);
	json_object(&j);
	json_key_str(&j, "file", c->file);
	json_key_str(&j, "flow", q->flow);
	json_key_uint(&j, "window", q->win.index);
	json_key_uint(&j, "start_ns", q->win.start_ns);
	json_key_uint(&j, "packets", q->win.packets[0] + q->win.packets[1]);
	json_key_str(&j, "label", label);
	json_key_real(&j, "confidence", p[best], 4);
	json_key(&j, "probabilities");
	json_object(&j);
	for (k = 0; k < m->nclasses; k++)
		json_key_real(&j, m->classes[k], p[k], 4);
	json_line(&j);
}

static int flush(struct classify *c)
{
	const struct model *m = c->m;
	uint32_t j, k;
	int rc;

	if (!c->n)
		return 0;
	rc = cnn_infer(&c->m->net, c->w, &(struct cnn_input){
			.n = c->n, .pics = c->pp, .scale = m->scale }, c->probs);
	if (rc)
		return rc;
	for (j = 0; j < c->n; j++) {
		const float *p = c->probs + (size_t)j * m->nclasses;
		const struct pending *q = &c->q[j];
		const char *label;
		uint32_t best = 0;

		for (k = 1; k < m->nclasses; k++)
			if (p[k] > p[best])
				best = k;
		label = p[best] >= c->thr[best] ? m->classes[best] : "unknown";
		c->unknown += p[best] < c->thr[best];
		c->windows++;
		if (c->json)
			window_json(c, q, p, label, best);
		else
			printf("%s\t%s\t%u\t%s\t%.4f\n", c->file, q->flow,
			       q->win.index, label, (double)p[best]);
	}
	c->n = 0;
	return 0;
}

static int window_in(void *ctx, const struct dataset_sample *s)
{
	struct classify *c = ctx;
	struct pending *q = &c->q[c->n];

	/* The sample is the pipeline's: keep a copy until the batch runs. */
	if (q->pic.cap < s->pic.ncells) {
		struct flowpic_sparse_cell *cells =
			realloc(q->pic.cells, s->pic.ncells * sizeof(*cells));

		if (!cells)
			return -ENOMEM;
		q->pic.cells = cells;
		q->pic.cap = s->pic.ncells;
	}
	q->pic.geom = s->pic.geom;
	q->pic.ncells = s->pic.ncells;
	if (s->pic.ncells)
		memcpy(q->pic.cells, s->pic.cells,
		       s->pic.ncells * sizeof(*s->pic.cells));
	q->win = s->win;
	if (s->win.key.family)
		flow_key_format(&s->win.key, q->flow, sizeof(q->flow));
	else
		snprintf(q->flow, sizeof(q->flow), "session %s",
			 s->flow ? s->flow : "");
	c->pp[c->n] = &q->pic;
	if (++c->n < c->batch)
		return 0;
	return flush(c);
}

static void classify_usage(FILE *f)
{
	fprintf(f,
"usage: flowpic classify MODEL INPUT... [OPTIONS]\n"
"Cuts captures (pcap, pcapng) or session CSVs into flow windows with the\n"
"model's geometry and classifies each one. One line per window, in the\n"
"order windows close:\n"
"  FILE <tab> FLOW <tab> WINDOW <tab> LABEL <tab> CONFIDENCE\n\n"
"  --json             one JSON object per window, with every probability\n"
"  --threshold P      below this confidence the label is 'unknown', for\n"
"                     every class (default: the model's calibrated\n"
"                     thresholds, per class, else 0)\n"
"  --batch N          windows per inference batch (64)\n"
"  --threads N        OpenBLAS threads (1)\n"
"  --min-packets K    windows with fewer packets are left out (1)\n"
"  --idle DUR, --gap-cap DUR, --tcp-end MODE, --max-flows N\n"
"                     as for flowpic dataset\n");
}

int cmd_classify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "batch", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "min-packets", required_argument, NULL, 0x103 },
		{ "idle", required_argument, NULL, 0x104 },
		{ "gap-cap", required_argument, NULL, 0x105 },
		{ "tcp-end", required_argument, NULL, 0x106 },
		{ "max-flows", required_argument, NULL, 0x107 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct classify c = { .batch = 64, .threshold = -1 };
	struct flow_config fc;
	struct pipeline *p = NULL;
	struct model m;
	unsigned long threads = 1;
	char err[1024], *end;
	int o, r, i, rc = 1;
	uint32_t j;

	memset(&fc, 0, sizeof(fc));
	flow_config_default(&fc, &(struct flowpic_geom){ 0 });
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		r = pipeline_option(&fc, o, optarg, "classify");
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (o) {
		case 'j':
			c.json = 1;
			break;
		case 'T':
			c.threshold = strtof(optarg, &end);
			if (*end || end == optarg || !(c.threshold >= 0 &&
						       c.threshold <= 1)) {
				fprintf(stderr, "flowpic classify: --threshold %s: 0..1\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			c.batch = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !c.batch || c.batch > 4096) {
				fprintf(stderr, "flowpic classify: --batch %s: 1..4096\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			threads = strtoul(optarg, &end, 10);
			if (*end || !threads || threads > 256) {
				fprintf(stderr, "flowpic classify: --threads %s: 1..256\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			classify_usage(stdout);
			return 0;
		default:
			classify_usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 2) {
		classify_usage(stderr);
		return 2;
	}
	openblas_set_num_threads((int)threads);
	if (model_load(&m, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "flowpic classify: %s\n", err);
		return 1;
	}
	fc.geom = m.geom;
	/* not given: the model's calibrated ones (per class), or 0 */
	model_thresholds(&m, c.thr, err, sizeof(err));	/* checked by load */
	for (j = 0; j < m.nclasses; j++)
		c.thr[j] = c.threshold >= 0 ? c.threshold :
			   c.thr[j] < 0 ? 0 : c.thr[j];
	c.m = &m;
	c.w = cnn_work_new(&m.net, c.batch, 0);
	c.q = calloc(c.batch, sizeof(*c.q));
	c.pp = calloc(c.batch, sizeof(*c.pp));
	c.probs = calloc((size_t)c.batch * m.nclasses, sizeof(float));
	if (!c.w || !c.q || !c.pp || !c.probs || cnn_prepare(&m.net)) {
		fprintf(stderr, "flowpic classify: out of memory\n");
		goto out;
	}
	for (j = 0; j < c.batch; j++)
		picture_init(&c.q[j].pic, &m.geom);
	rc = 0;
	for (i = optind + 1; i < argc; i++) {
		p = pipeline_new(&fc, window_in, &c);
		if (!p) {
			fprintf(stderr, "flowpic classify: out of memory\n");
			rc = 1;
			break;
		}
		c.file = argv[i];
		r = pipeline_run(p, argv[i], err, sizeof(err));
		/* what was read before an error is still classified */
		if (flush(&c)) {
			fprintf(stderr, "flowpic classify: %s: inference failed\n",
				argv[i]);
			rc = 1;
		}
		if (r) {
			fprintf(stderr, "flowpic classify: %s\n", err);
			rc = 1;
		}
		pipeline_free(p);
		p = NULL;
	}
	fflush(stdout);
	fprintf(stderr, "flowpic classify: %llu window%s%s",
		(unsigned long long)c.windows, c.windows == 1 ? "" : "s",
		c.unknown ? "" : "\n");
	if (c.unknown)
		fprintf(stderr, ", %llu below the threshold (unknown)\n",
			(unsigned long long)c.unknown);
out:
	if (c.q)
		for (j = 0; j < c.batch; j++)
			picture_free(&c.q[j].pic);
	free(c.q);
	free(c.pp);
	free(c.probs);
	cnn_work_free(c.w);
	model_free(&m);
	return rc;
}
