// SPDX-License-Identifier: GPL-2.0
/*
 * Finite-difference gradient checks for every layer of user/cnn/cnn.h, alone
 * and composed, dense and sparse input, batched.
 *
 * The loss is a fixed random projection of the top layer's output,
 * L = sum(R * y), so dL/dy = R; each parameter (or a sample of them) and
 * each input is nudged by +-eps and (L+ - L-) / 2 eps is compared with
 * what cnn_backward() accumulated.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn/cnn.h"
#include "cnn/rng.h"
#include "unit/test.h"

struct gcase {
	struct cnn net;
	struct cnn_work *w;
	struct cnn_input in;
	float *x;		/* dense input, or NULL */
	struct picture *pics;	/* sparse input, or NULL */
	const struct picture **pp;
	float *r;		/* loss projection */
	size_t nout;
	uint32_t top;
	int training;
	uint64_t mask_seed;
};

static double loss(struct gcase *g)
{
	const float *y;
	double s = 0;
	size_t i;

	cnn_work_seed(g->w, g->mask_seed);	/* same dropout mask each time */
	if (cnn_forward(&g->net, g->w, &g->in, g->training))
		return NAN;
	y = cnn_output(&g->net, g->w, g->top);
	for (i = 0; i < g->nout; i++)
		s += (double)g->r[i] * y[i];
	return s;
}

/*
 * Central difference of the loss in one float, or NAN when the two
 * one-sided differences disagree: a ReLU or max-pool kink lies within eps
 * (sparse pictures make exact ties common), where no derivative exists.
 */
static double numeric(struct gcase *g, float *v, double eps, double l0,
		      double scale)
{
	float save = *v;
	double lp, lm, fwd, bwd;

	*v = save + (float)eps;
	lp = loss(g);
	*v = save - (float)eps;
	lm = loss(g);
	*v = save;
	fwd = (lp - l0) / eps;
	bwd = (l0 - lm) / eps;
	if (fabs(fwd - bwd) > 2e-2 * fmax(scale, fmax(fabs(fwd), fabs(bwd))))
		return NAN;
	return (lp - lm) / (2 * eps);
}

struct tally {
	size_t checked, kinks, bad;
	double worst;
};

static void compare(struct tally *t, double num, double ana, double scale,
		    const char *what, size_t i)
{
	double err;

	if (isnan(num)) {
		t->kinks++;
		return;
	}
	t->checked++;
	err = fabs(num - ana) / fmax(scale, fmax(fabs(num), fabs(ana)));
	if (err > t->worst)
		t->worst = err;
	if (err > 1e-2) {
		t->bad++;
		if (getenv("GRAD_DEBUG"))
			tap_diag("%s %zu: numeric %g analytic %g", what, i,
				 num, ana);
	}
}

/*
 * Compares analytic and numeric gradients, each difference relative to
 * the larger of the two or to 1% of the largest analytic gradient (tiny
 * gradients are float noise). @sample parameters per layer are drawn (0:
 * all). A single layer must match everywhere off its kinks; a deep net
 * crosses so many kinks that 2% of mismatches are allowed.
 */
static void check(struct gcase *g, const char *what, size_t sample,
		  double eps, int check_input, int deep)
{
	struct cnn *net = &g->net;
	float *grads = calloc(net->nparams + 1, sizeof(float));
	size_t nin = g->x ? (size_t)g->in.n * net->input.c * net->input.h *
			    net->input.w : 0;
	float *dx = calloc(nin + 1, sizeof(float));
	size_t *idx = malloc((net->nparams + 1) * sizeof(*idx));
	size_t i, k, count = 0, total;
	struct tally t = { 0 };
	double l0, scale = 0;
	struct rng pick;
	uint32_t l;

	rng_seed(&pick, 99);
	l0 = loss(g);
	cnn_backward(net, g->w, &g->in, g->top, g->r, grads,
		     check_input && g->x ? dx : NULL);
	for (l = 0; l < net->nlayers; l++) {
		const struct cnn_layer *L = &net->layer[l];
		size_t np = L->nw + L->nb;

		for (k = 0; k < np && (!sample || k < sample); k++)
			idx[count++] = L->woff + (!sample || np <= sample ? k :
				rng_below(&pick, (uint32_t)np));
	}
	for (k = 0; k < count; k++)
		scale = fmax(scale, fabs(grads[idx[k]]));
	for (i = 0; i < nin; i++)
		scale = fmax(scale, fabs(dx[i]));
	scale = fmax(scale * 1e-2, 1e-6);
	for (k = 0; k < count; k++)
		compare(&t, numeric(g, &net->params[idx[k]], eps, l0, scale),
			grads[idx[k]], scale, "param", idx[k]);
	total = count;
	if (check_input && g->x) {
		for (i = 0; i < nin; i++)
			compare(&t, numeric(g, &g->x[i], eps, l0, scale), dx[i],
				scale, "input", i);
		total += nin;
	}
	tap_ok(t.kinks * 10 <= total &&
	       (deep ? t.bad * 50 <= t.checked : !t.bad) &&
	       (!strstr(what, "block path") ||
		cnn_work_stats(g->w)->train_block),
	       "%s: %zu of %zu gradients within 1%% (worst %.1e), %zu at kinks%s",
	       what, t.checked - t.bad, t.checked, t.worst, t.kinks,
	       cnn_work_stats(g->w)->train_block ? ", first block from cells" :
	       "");
	free(idx);
	free(grads);
	free(dx);
}

static int setup(struct gcase *g, const char *text, uint32_t n, int sparse,
		 uint32_t top_from_end, uint64_t seed)
{
	char err[256];
	struct rng r;
	const struct cnn_layer *T;
	size_t i, nin;

	memset(g, 0, sizeof(*g));
	if (cnn_parse(&g->net, "test", text, err, sizeof(err))) {
		tap_diag("%s", err);
		return -1;
	}
	cnn_init_params(&g->net, seed);
	g->w = cnn_work_new(&g->net, n, 1);
	rng_seed(&r, seed + 1);
	nin = (size_t)n * g->net.input.c * g->net.input.h * g->net.input.w;
	g->in.n = n;
	if (sparse) {
		struct flowpic_geom geom = { .window_ns = 15000000000ULL,
					     .n = (uint16_t)g->net.input.h,
					     .max_size = 1500,
					     .channels = (uint8_t)g->net.input.c };
		uint32_t total = flowpic_geom_cells(&geom), j;

		g->pics = calloc(n, sizeof(*g->pics));
		g->pp = calloc(n, sizeof(*g->pp));
		for (j = 0; j < n; j++) {
			uint32_t m = sparse == 2 ? 3 + rng_below(&r, 8) :
				20 + rng_below(&r, 200);
			uint32_t *idx = malloc(m * 4);

			for (i = 0; i < m; i++)
				idx[i] = rng_below(&r, total);
			picture_init(&g->pics[j], &geom);
			picture_from_indices(&g->pics[j], idx, m);
			free(idx);
			g->pp[j] = &g->pics[j];
		}
		g->in.pics = g->pp;
		g->in.scale = 1.0f / 8;
	} else {
		g->x = malloc(nin * sizeof(float));
		for (i = 0; i < nin; i++)
			g->x[i] = 2 * rng_float(&r) - 1;
		g->in.dense = g->x;
	}
	g->top = g->net.nlayers - 1 - top_from_end;
	T = &g->net.layer[g->top];
	g->nout = (size_t)n * T->out.c * T->out.h * T->out.w;
	g->r = malloc(g->nout * sizeof(float));
	for (i = 0; i < g->nout; i++)
		g->r[i] = 2 * rng_float(&r) - 1;
	g->training = 1;
	g->mask_seed = seed + 2;
	return 0;
}

static void teardown(struct gcase *g)
{
	uint32_t j;

	if (g->pics)
		for (j = 0; j < g->in.n; j++)
			picture_free(&g->pics[j]);
	free(g->pics);
	free(g->pp);
	free(g->x);
	free(g->r);
	cnn_work_free(g->w);
	cnn_free(&g->net);
}

static void run(const char *what, const char *text, uint32_t n, int sparse,
		size_t sample, double eps, int deep)
{
	struct gcase g;

	/* Deep nets back up from their logits: larger, smoother gradients. */
	if (setup(&g, text, n, sparse, deep, 7)) {
		tap_ok(0, "%s: layer list refused", what);
		return;
	}
	check(&g, what, sample, eps, 1, deep);
	teardown(&g);
}

int main(void)
{
	char text[CNN_TEXT_MAX];

	tap_header();
	tap_plan(20);
	/* One layer at a time (after a 1x1 conv where the input is dense). */
	run("conv 3@3x3 stride 2 pad 1, batch 2",
	    "input 2 7 7\nconv 3 3 stride 2 pad 1\n", 2, 0, 0, 1e-2, 0);
	run("conv 4@5x5 stride 1, batch 3",
	    "input 1 8 9\nconv 4 5\n", 3, 0, 0, 1e-2, 0);
	run("conv 2@4x4 stride 3 pad 2",
	    "input 3 10 10\nconv 2 4 stride 3 pad 2\n", 2, 0, 0, 1e-2, 0);
	run("conv on a conv (input gradient through col2im)",
	    "input 1 9 9\nconv 2 3\nconv 3 3 stride 2 pad 1\n", 2, 0, 0,
	    1e-2, 0);
	run("maxpool 2 (odd width dropped)",
	    "input 2 6 7\nconv 2 1\nmaxpool 2\n", 2, 0, 0, 1e-3, 0);
	run("maxpool 3", "input 1 9 9\nconv 1 1\nmaxpool 3\n", 1, 0, 0, 1e-3,
	    0);
	run("relu", "input 2 5 5\nconv 2 3 pad 1\nrelu\n", 2, 0, 0, 1e-3, 0);
	run("dropout 0.5 (fixed mask)",
	    "input 1 6 6\nconv 3 3\ndropout 0.5\n", 2, 0, 0, 1e-2, 0);
	run("flatten + dense, batch 4",
	    "input 2 3 3\nflatten\ndense 5\n", 4, 0, 0, 1e-2, 0);
	run("dense batch 1 (sgemv)", "input 1 4 4\nflatten\ndense 3\n", 1, 0,
	    0, 1e-2, 0);
	run("dense + relu + dropout + dense",
	    "input 1 4 4\nflatten\ndense 8\nrelu\ndropout 0.3\ndense 3\n",
	    3, 0, 0, 1e-2, 0);
	run("softmax", "input 1 3 3\nflatten\ndense 4\nsoftmax\n", 3, 0, 0,
	    1e-3, 0);
	run("conv on sparse pictures (first-layer scatter), 2 channels",
	    "input 2 12 12\nconv 3 5 stride 2 pad 2\nflatten\ndense 3\n", 3,
	    1, 0, 1e-2, 0);
	run("conv on sparse pictures, relu, maxpool, dense",
	    "input 2 12 12\nconv 3 5 stride 2 pad 2\nrelu\nmaxpool 2\n"
	    "flatten\ndense 3\n", 3, 1, 0, 1e-3, 1);

	/* Few cells on a large picture: the first block from the cells. */
	run("conv, relu, maxpool from sparse cells (block path)",
	    "input 1 64 64\nconv 3 5 stride 2 pad 2\nrelu\nmaxpool 2\n"
	    "flatten\ndense 3\n", 3, 2, 0, 1e-3, 1);
	run("conv, maxpool from sparse cells, 2 channels (block path)",
	    "input 2 64 64\nconv 4 6 stride 3 pad 1\nmaxpool 3\n"
	    "flatten\ndense 3\n", 2, 2, 0, 1e-2, 0);

	/* The shipped networks, composed from their layer lists. */
	cnn_arch_text("mini", 1, 32, 3, text, sizeof(text));
	run("mini 32x32, dense input, 60 params per layer", text, 2, 0, 60,
	    1e-3, 1);
	run("mini 32x32, sparse input, 60 params per layer", text, 4, 1, 60,
	    1e-3, 1);
	cnn_arch_text("mini", 2, 64, 5, text, sizeof(text));
	run("mini 64x64 2 channels, sparse, 40 params per layer", text, 2, 1,
	    40, 1e-3, 1);
	cnn_arch_text("full", 1, 1500, 3, text, sizeof(text));
	run("full 1500x1500, sparse input (block path), 20 params per layer",
	    text, 2, 1, 20, 1e-3, 1);
	return tap_done();
}
