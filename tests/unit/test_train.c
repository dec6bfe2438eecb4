// SPDX-License-Identifier: GPL-2.0
/*
 * Training: the mini network learns a separable three-class problem of
 * synthetic flows to at least 99% on held-out samples; a run is repeated
 * bit for bit from its seed; early stopping keeps the best epoch; the
 * augmentations change series the way they say; the curve files appear.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset/augment.h"
#include "cnn/cnn.h"
#include "model/metrics.h"
#include "model/train.h"
#include "unit/test.h"

#define NTRAIN	480
#define NVAL	120
#define NTEST	300

struct synth {
	struct window_series series[NTRAIN + NVAL + NTEST];
	struct picture pics[NTRAIN + NVAL + NTEST];
	struct train_sample s[NTRAIN + NVAL + NTEST];
};

static void make_data(struct synth *d, const struct flowpic_geom *g)
{
	struct rng r;
	size_t i;

	rng_seed(&r, 2024);
	for (i = 0; i < NTRAIN + NVAL + NTEST; i++) {
		uint32_t cls = (uint32_t)(i % 3);

		window_series_init(&d->series[i]);
		picture_init(&d->pics[i], g);
		test_make_flow(&d->series[i], cls, &r, 2000);
		window_image(&d->series[i], g, &d->pics[i], NULL);
		d->s[i] = (struct train_sample){ &d->pics[i], &d->series[i],
						 cls };
	}
}

static int same_params(const struct cnn *a, const struct cnn *b)
{
	return a->nparams == b->nparams &&
	       !memcmp(a->params, b->params, a->nparams * sizeof(float));
}

static int new_mini(struct cnn *net, uint32_t channels)
{
	char text[CNN_TEXT_MAX], err[256];

	cnn_arch_text("mini", channels, 32, 3, text, sizeof(text));
	return cnn_parse(net, "mini", text, err, sizeof(err));
}

int main(void)
{
	static struct synth d;
	struct flowpic_geom g = { .window_ns = 15000000000ULL, .n = 32,
				  .max_size = 1500, .channels = 1 };
	struct train_config c;
	struct train_result res, res2;
	struct cnn net, net2;
	struct confusion conf;
	struct cnn_work *w;
	char err[256], csv[] = "/tmp/flowpic-curve-XXXXXX";
	double loss, acc;
	float *probs;
	size_t i;
	int rc, fd;

	tap_header();
	tap_plan(12);
	make_data(&d, &g);
	train_default(&c);
	c.geom = g;
	c.epochs = 12;
	c.patience = 4;
	c.seed = 7;
	c.aug.kinds = 0;
	c.log = getenv("TRAIN_LOG") ? stderr : NULL;

	new_mini(&net, 1);
	rc = train_run(&net, &c, 3, d.s, NTRAIN, d.s + NTRAIN, NVAL, &res, err,
		       sizeof(err));
	tap_ok(!rc, "mini trains on %d samples: %s", NTRAIN, rc ? err : "ok");
	if (rc)
		return tap_done();

	/* Held-out accuracy, through the inference path. */
	cnn_prepare(&net);
	w = cnn_work_new(&net, 64, 0);
	probs = malloc(NTEST * 3 * sizeof(float));
	confusion_init(&conf, 3);
	for (i = 0; i < NTEST; i += 50) {
		const struct picture *pp[50];
		struct cnn_input in = { .n = 50, .pics = pp, .scale = c.scale };
		uint32_t j;

		for (j = 0; j < 50; j++)
			pp[j] = d.s[NTRAIN + NVAL + i + j].pic;
		cnn_infer(&net, w, &in, probs + i * 3);
	}
	for (i = 0; i < NTEST; i++) {
		const float *p = probs + i * 3;
		uint32_t pred = p[1] > p[0] ? 1 : 0;

		pred = p[2] > p[pred] ? 2 : pred;
		confusion_add(&conf, d.s[NTRAIN + NVAL + i].label, pred);
	}
	tap_ok(confusion_accuracy(&conf) >= 0.99,
	       "held-out accuracy %.2f%% (>= 99%%), macro-F1 %.4f after %u epochs",
	       confusion_accuracy(&conf) * 100, confusion_macro_f1(&conf),
	       res.epochs);
	confusion_free(&conf);
	free(probs);
	cnn_work_free(w);

	/* The kept weights are the best epoch's: their val loss is its. */
	{
		struct trainer *t;

		new_mini(&net2, 1);
		t = trainer_new(&net2, &c, NULL, 0, 3);
		cnn_copy_params(&net2, &net);
		trainer_evaluate(t, d.s + NTRAIN, NVAL, &loss, &acc);
		tap_ok(fabs(loss - res.hist[res.best].val_loss) < 1e-9,
		       "kept epoch %u of %u: val loss %.6f = %.6f recorded",
		       res.best + 1, res.epochs, loss,
		       res.hist[res.best].val_loss);
		for (i = 0; i < res.epochs; i++)
			if (res.hist[i].val_loss < res.hist[res.best].val_loss)
				break;
		tap_ok(i == res.epochs, "no epoch had a lower val loss");
		trainer_free(t);
		cnn_free(&net2);
	}

	/* Labels that mean nothing: validation loss rises, training stops. */
	{
		struct train_sample *noise = malloc((NTRAIN + NVAL) * sizeof(*noise));
		struct rng r;
		uint32_t e, min = 0;

		rng_seed(&r, 5);
		for (i = 0; i < NTRAIN + NVAL; i++) {
			noise[i] = d.s[i];
			noise[i].label = rng_below(&r, 3);
		}
		c.epochs = 40;
		c.patience = 3;
		c.lr = 3e-3f;
		new_mini(&net2, 1);
		rc = train_run(&net2, &c, 3, noise, NTRAIN, noise + NTRAIN, NVAL,
			       &res2, err, sizeof(err));
		for (e = 0; !rc && e < res2.epochs; e++)
			if (res2.hist[e].val_loss < res2.hist[min].val_loss)
				min = e;
		tap_ok(!rc && res2.epochs < 40 && res2.best == min &&
		       res2.epochs == res2.best + 1 + 3,
		       "random labels: stopped after %u epochs, 3 after the best (%u)",
		       res2.epochs, res2.best + 1);
		train_result_free(&res2);
		cnn_free(&net2);
		free(noise);
		c.lr = 1e-3f;
	}

	/* Same seed: the same network, bit for bit; another seed: not. */
	c.epochs = 3;
	c.patience = 0;
	c.aug.kinds = AUGMENT_TIME_SHIFT | AUGMENT_RTT | AUGMENT_DROP;
	new_mini(&net2, 1);
	train_run(&net, &c, 3, d.s, NTRAIN, d.s + NTRAIN, NVAL, &res2, err,
		  sizeof(err));
	train_result_free(&res2);
	train_run(&net2, &c, 3, d.s, NTRAIN, d.s + NTRAIN, NVAL, &res2, err,
		  sizeof(err));
	tap_ok(same_params(&net, &net2),
	       "seed 7 twice, with augmentation and dropout: identical weights");
	train_result_free(&res2);
	c.seed = 8;
	train_run(&net2, &c, 3, d.s, NTRAIN, d.s + NTRAIN, NVAL, &res2, err,
		  sizeof(err));
	tap_ok(!same_params(&net, &net2), "seed 8: different weights");
	train_result_free(&res2);
	cnn_free(&net2);

	/* Curve files. */
	fd = mkstemp(csv);
	close(fd);
	rc = train_curve_csv(&res, csv, err, sizeof(err));
	{
		FILE *f = fopen(csv, "r");
		char line[256];
		int lines = 0;

		while (f && fgets(line, sizeof(line), f))
			lines++;
		if (f)
			fclose(f);
		tap_ok(!rc && lines == (int)res.epochs + 1,
		       "training curve CSV: %d lines", lines);
	}
	{
		char png[64];
		FILE *f;
		unsigned char sig[8] = { 0 };

		snprintf(png, sizeof(png), "%s.png", csv);
		rc = train_curve_png(&res, png, "test", err, sizeof(err));
		f = fopen(png, "rb");
		if (f) {
			if (fread(sig, 1, 8, f) != 8)
				sig[0] = 0;
			fclose(f);
		}
		tap_ok(!rc && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8),
		       "training curve PNG");
		unlink(png);
	}
	unlink(csv);
	train_result_free(&res);

	/* Augmentations do what they say. */
	{
		struct augment_config a;
		struct window_series in, out;
		struct rng r;
		int kind, shifted = 0, scaled = 0, dropped = 0, n;
		char buf[64];

		augment_default(&a);
		a.prob = 1;
		tap_ok(!augment_parse(&a, "time-shift,rtt,drop") && a.kinds == 7 &&
		       !strcmp(augment_names(a.kinds, buf, sizeof(buf)),
			       "time-shift,rtt,drop") &&
		       augment_parse(&a, "rotate") < 0,
		       "augmentation names parsed, unknown ones refused");
		a.kinds = 7;
		window_series_init(&in);
		window_series_init(&out);
		for (n = 0; n < 100; n++)
			window_series_push(&in, (__s64)(2 + n * 0.1) * 1000000000LL,
					   100, 0);
		rng_seed(&r, 3);
		for (n = 0; n < 60; n++) {
			kind = augment_series(&a, &r, &in, &out);
			if (kind == AUGMENT_TIME_SHIFT && out.n == in.n &&
			    out.pkts[0].t_ns != in.pkts[0].t_ns &&
			    out.pkts[5].t_ns - out.pkts[0].t_ns ==
			    in.pkts[5].t_ns - in.pkts[0].t_ns)
				shifted++;
			if (kind == AUGMENT_RTT && out.n == in.n &&
			    fabs((double)out.pkts[99].t_ns / in.pkts[99].t_ns -
				 (double)out.pkts[50].t_ns / in.pkts[50].t_ns) < 1e-6)
				scaled++;
			if (kind == AUGMENT_DROP && out.n <= in.n)
				dropped++;
		}
		tap_ok(shifted > 5 && scaled > 5 && dropped > 5,
		       "time shift moves all packets alike (%d), RTT scales times (%d), drop removes packets (%d)",
		       shifted, scaled, dropped);
		a.prob = 0;
		kind = augment_series(&a, &r, &in, &out);
		tap_ok(!kind && out.n == in.n &&
		       !memcmp(out.pkts, in.pkts, in.n * sizeof(*in.pkts)),
		       "probability 0: the series untouched");
		window_series_free(&in);
		window_series_free(&out);
	}

	cnn_free(&net);
	for (i = 0; i < NTRAIN + NVAL + NTEST; i++) {
		window_series_free(&d.series[i]);
		picture_free(&d.pics[i]);
	}
	return tap_done();
}
