// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic's CNN engine against PyTorch: every shipped model on real
 * FlowPics, both of the engine's paths (cnn_infer() on the sparse
 * picture, cnn_forward() on the dense one), against the probabilities
 * PyTorch computed from the same weights (tests/vectors/torch_forward.txt,
 * made by tests/unit/torch_forward.py). Within 1e-5; needs neither torch
 * nor the datasets.
 *
 * usage: test_torch_forward [FIXTURE]
 * Another fixture of the same format ("model PATH K", then K times
 * "pic ..." and "probs ...") checks other models the same way:
 * tests/unit/test_torch_fpm.py gives it the models it converts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_file.h"
#include "unit/test.h"

#define FIXTURE		"tests/vectors/torch_forward.txt"

/* Worst difference of both engine paths from @want on picture @p. */
static double check_pic(struct model *m, struct cnn_work *fast,
			struct cnn_work *slow, const struct picture *p,
			const float *want)
{
	const struct cnn *net = &m->net;
	size_t hw = (size_t)net->input.c * net->input.h * net->input.w;
	const struct picture *pp[1] = { p };
	float probs[FLOWPIC_CLASSES_MAX], *dense = malloc(hw * sizeof(float));
	struct cnn_input in = { .n = 1, .pics = pp, .scale = m->scale };
	struct cnn_input d = { .n = 1, .dense = dense };
	double worst = 0;
	const float *ref;
	uint32_t c;

	if (!dense || cnn_infer(net, fast, &in, probs))
		return INFINITY;
	picture_to_dense(p, dense, m->scale);
	if (cnn_forward(net, slow, &d, 0)) {
		free(dense);
		return INFINITY;
	}
	ref = cnn_output(net, slow, net->nlayers - 1);
	for (c = 0; c < m->nclasses; c++) {
		worst = fmax(worst, fabs(probs[c] - want[c]));
		worst = fmax(worst, fabs(ref[c] - want[c]));
	}
	free(dense);
	return worst;
}

/* "pic SRC NCELLS i:c ..." into @p; 0 or -1. */
static int parse_pic(char *line, struct picture *p, char *src, size_t len)
{
	char *tok, *save;
	uint32_t n, i;
	int at;

	if (sscanf(line, "pic %63s %u %n", src, &n, &at) != 2 || len < 64)
		return -1;
	p->cells = calloc(n ? n : 1, sizeof(*p->cells));
	if (!p->cells)
		return -1;
	p->cap = n;
	for (i = 0, tok = strtok_r(line + at, " \n", &save); tok && i < n;
	     tok = strtok_r(NULL, " \n", &save), i++)
		if (sscanf(tok, "%u:%u", &p->cells[i].index,
			   &p->cells[i].count) != 2)
			return -1;
	p->ncells = i;
	return i == n ? 0 : -1;
}

static int parse_probs(const char *line, float *want, uint32_t k)
{
	uint32_t c;
	int at = 0, used;

	if (strncmp(line, "probs ", 6))
		return -1;
	line += 6;
	for (c = 0; c < k; c++, at += used)
		if (sscanf(line + at, "%f%n", &want[c], &used) != 1)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *fixture = argc > 1 ? argv[1] : FIXTURE;
	FILE *f = fopen(fixture, "r");
	char *line = NULL, path[256], err[256], src[64];
	struct cnn_work *fast = NULL, *slow = NULL;
	struct model m;
	size_t cap = 0;
	int loaded = 0, models = 0, want_models = 0;
	uint32_t npics = 0, want_pics = 0, k;

	tap_header();
	/* The plan: the pictures each "model PATH K" line announces. */
	while (f && getline(&line, &cap, f) > 0)
		if (sscanf(line, "model %255s %u", path, &k) == 2) {
			want_models++;
			want_pics += k;
		}
	tap_plan((int)want_pics + 1);
	if (!f || !want_models) {
		tap_ok(0, "open %s: %s", fixture, f ? "no models" : "missing");
		return tap_done();
	}
	rewind(f);
	while (getline(&line, &cap, f) > 0) {
		struct picture p;
		float want[FLOWPIC_CLASSES_MAX];
		double d;

		if (!strncmp(line, "model ", 6)) {
			if (loaded) {
				cnn_work_free(fast);
				cnn_work_free(slow);
				model_free(&m);
				loaded = 0;
			}
			if (sscanf(line, "model %255s", path) != 1 ||
			    model_load(&m, path, err, sizeof(err))) {
				tap_diag("%s: %s", path, err);
				continue;
			}
			fast = cnn_work_new(&m.net, 1, 0);
			slow = cnn_work_new(&m.net, 1, 0);
			if (!fast || !slow || cnn_prepare(&m.net))
				tap_diag("%s: cannot make work space", path);
			loaded = 1;
			models++;
			continue;
		}
		if (strncmp(line, "pic ", 4) || !loaded)
			continue;
		picture_init(&p, &m.geom);
		if (parse_pic(line, &p, src, sizeof(src)) ||
		    getline(&line, &cap, f) <= 0 ||
		    parse_probs(line, want, m.nclasses)) {
			tap_ok(0, "%s: a picture of %s and its probabilities",
			       path, fixture);
			picture_free(&p);
			continue;
		}
		d = check_pic(&m, fast, slow, &p, want);
		tap_ok(d <= 1e-5,
		       "%s on a FlowPic of %s (%u cells): sparse and dense paths within %.1e of PyTorch",
		       path, src, p.ncells, d);
		picture_free(&p);
		npics++;
	}
	if (loaded) {
		cnn_work_free(fast);
		cnn_work_free(slow);
		model_free(&m);
	}
	free(line);
	fclose(f);
	tap_ok(models == want_models && npics == want_pics,
	       "%s: %d models, %u pictures (%d, %u announced)", fixture,
	       models, npics, want_models, want_pics);
	return tap_done();
}
