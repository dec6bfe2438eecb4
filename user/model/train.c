// SPDX-License-Identifier: GPL-2.0
/*
 * The training loop: batches through cnn_forward() / cnn_backward() from
 * the logits (softmax and cross-entropy fused: the gradient is w * (p - y)),
 * Adam as PyTorch implements it, early stopping with the best weights kept.
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

/* Streams of the one seed: each use gets its own. */
#define SEED_INIT	0x1f2e3d4cULL
#define SEED_SHUFFLE	0x5a6b7c8dULL
#define SEED_DROPOUT	0x9eafb0c1ULL
#define SEED_AUGMENT	0xd2e3f405ULL
#define EVAL_BATCH	256

struct trainer {
	struct cnn *net;
	struct train_config c;
	struct cnn_work *work;
	uint32_t k;
	float cw[64];
	float *grads, *m, *v;
	uint64_t step;
	struct rng shuffle, aug;
	size_t *order;
	size_t norder;
	/* a batch's inputs: augmented pictures live in pics[] */
	struct picture *pics;
	struct window_series series;
	const struct picture **pp;
	float *dlogits;
	uint32_t nbatch;
};

void train_default(struct train_config *c)
{
	memset(c, 0, sizeof(*c));
	c->epochs = 50;
	c->batch = 64;
	c->patience = 5;
	c->lr = 1e-3f;
	c->beta1 = 0.9f;
	c->beta2 = 0.999f;
	c->eps = 1e-8f;
	c->weighting = TRAIN_WEIGHTS_NONE;
	c->seed = 1;
	c->scale = 1.0f / FLOWPIC_CELL_MAX;
	augment_default(&c->aug);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct trainer *trainer_new(struct cnn *net, const struct train_config *c,
			    const uint32_t *labels, size_t n, uint32_t k)
{
	struct trainer *t = calloc(1, sizeof(*t));
	size_t count[64] = { 0 }, i;
	uint32_t j, present = 0;

	if (!t || k > 64 || !k)
		goto err;
	t->net = net;
	t->c = *c;
	t->k = k;
	for (i = 0; i < n; i++)
		if (labels[i] < k)
			count[labels[i]]++;
	for (j = 0; j < k; j++)
		present += count[j] > 0;
	for (j = 0; j < k; j++)
		t->cw[j] = c->weighting == TRAIN_WEIGHTS_BALANCED && count[j] ?
			(float)((double)n / ((double)present * count[j])) : 1.0f;
	t->work = cnn_work_new(net, c->batch, 1);
	t->grads = calloc(net->nparams + 1, sizeof(float));
	t->m = calloc(net->nparams + 1, sizeof(float));
	t->v = calloc(net->nparams + 1, sizeof(float));
	t->pics = calloc(c->batch, sizeof(*t->pics));
	t->pp = calloc(EVAL_BATCH > c->batch ? EVAL_BATCH : c->batch,
		       sizeof(*t->pp));
	t->dlogits = calloc((size_t)c->batch * net->classes + 1, sizeof(float));
	if (!t->work || !t->grads || !t->m || !t->v || !t->pics || !t->pp ||
	    !t->dlogits)
		goto err;
	t->nbatch = c->batch;
	for (j = 0; j < c->batch; j++)
		picture_init(&t->pics[j], &c->geom);
	window_series_init(&t->series);
	cnn_init_params(net, c->seed ^ SEED_INIT);
	cnn_work_seed(t->work, c->seed ^ SEED_DROPOUT);
	rng_seed(&t->shuffle, c->seed ^ SEED_SHUFFLE);
	rng_seed(&t->aug, c->seed ^ SEED_AUGMENT);
	return t;
err:
	trainer_free(t);
	return NULL;
}

void trainer_free(struct trainer *t)
{
	uint32_t j;

	if (!t)
		return;
	if (t->pics)
		for (j = 0; j < t->nbatch; j++)
			picture_free(&t->pics[j]);
	free(t->pics);
	window_series_free(&t->series);
	cnn_work_free(t->work);
	free(t->grads);
	free(t->m);
	free(t->v);
	free(t->pp);
	free(t->dlogits);
	free(t->order);
	free(t);
}

const float *trainer_class_weights(const struct trainer *t)
{
	return t->cw;
}

/* -log softmax(z)[y], from the logits, stable. */
static double xent(const float *z, uint32_t k, uint32_t y)
{
	double m = z[0], s = 0;
	uint32_t j;

	for (j = 1; j < k; j++)
		if (z[j] > m)
			m = z[j];
	for (j = 0; j < k; j++)
		s += exp((double)z[j] - m);
	return m + log(s) - z[y];
}

static uint32_t argmax(const float *p, uint32_t k)
{
	uint32_t j, best = 0;

	for (j = 1; j < k; j++)
		if (p[j] > p[best])
			best = j;
	return best;
}

static void adam(struct trainer *t)
{
	const struct train_config *c = &t->c;
	double b1t, b2t;
	float step, corr2;
	size_t i;

	t->step++;
	b1t = 1.0 - pow(c->beta1, (double)t->step);
	b2t = 1.0 - pow(c->beta2, (double)t->step);
	step = (float)(c->lr / b1t);
	corr2 = (float)(1.0 / sqrt(b2t));
	for (i = 0; i < t->net->nparams; i++) {
		float g = t->grads[i];

		t->m[i] = c->beta1 * t->m[i] + (1 - c->beta1) * g;
		t->v[i] = c->beta2 * t->v[i] + (1 - c->beta2) * g * g;
		t->net->params[i] -= step * t->m[i] /
				     (sqrtf(t->v[i]) * corr2 + c->eps);
	}
}

/* The pictures of one batch, augmented where the config says so. */
static int batch_pictures(struct trainer *t, const struct train_sample *s,
			  const size_t *idx, uint32_t nb)
{
	uint32_t j;
	int rc;

	for (j = 0; j < nb; j++) {
		const struct train_sample *x = &s[idx[j]];

		t->pp[j] = x->pic;
		if (!x->series || !t->c.aug.kinds)
			continue;
		rc = augment_series(&t->c.aug, &t->aug, x->series, &t->series);
		if (rc < 0)
			return rc;
		if (!rc)
			continue;
		rc = window_image(&t->series, &t->c.geom, &t->pics[j], NULL);
		if (rc)
			return rc;
		t->pp[j] = &t->pics[j];
	}
	return 0;
}

static void progress_bar(FILE *f, size_t done, size_t n, double loss,
			 double acc)
{
	int w = 30, fill = n ? (int)((double)done * w / n) : w, i;

	fprintf(f, "\r  [");
	for (i = 0; i < w; i++)
		fputc(i < fill ? '#' : '.', f);
	fprintf(f, "] %zu/%zu  loss %.4f  acc %.2f%%", done, n, loss,
		acc * 100);
	fflush(f);
}

int trainer_epoch(struct trainer *t, const struct train_sample *s, size_t n,
		  double *loss, double *acc)
{
	struct cnn *net = t->net;
	uint32_t k = net->classes, top = net->nlayers - 1, nb, j, c;
	const struct cnn_layer *last = &net->layer[top];
	double sum_loss = 0, sum_w = 0;
	size_t i, correct = 0, done;
	int rc;

	if (!n)
		return -EINVAL;
	if (last->kind != CNN_SOFTMAX || k != t->k)
		return -EINVAL;
	if (t->norder < n) {
		size_t *o = realloc(t->order, n * sizeof(*o));

		if (!o)
			return -ENOMEM;
		t->order = o;
		t->norder = n;
	}
	for (i = 0; i < n; i++)
		t->order[i] = i;
	for (i = n - 1; i > 0; i--) {
		size_t r = rng_below(&t->shuffle, (uint32_t)(i + 1)), x;

		x = t->order[i];
		t->order[i] = t->order[r];
		t->order[r] = x;
	}
	for (done = 0; done < n; done += nb) {
		struct cnn_input in;
		const float *p, *z;
		double bw = 0;

		nb = n - done < t->c.batch ? (uint32_t)(n - done) : t->c.batch;
		rc = batch_pictures(t, s, t->order + done, nb);
		if (rc)
			return rc;
		in = (struct cnn_input){ .n = nb, .pics = t->pp,
					 .scale = t->c.scale };
		rc = cnn_forward(net, t->work, &in, 1);
		if (rc)
			return rc;
		p = cnn_output(net, t->work, top);
		z = cnn_output(net, t->work, top - 1);
		for (j = 0; j < nb; j++)
			bw += t->cw[s[t->order[done + j]].label];
		/* PyTorch's weighted mean: divided by the batch's weights */
		for (j = 0; j < nb; j++) {
			uint32_t y = s[t->order[done + j]].label;
			float w = t->cw[y];

			sum_loss += w * xent(z + (size_t)j * k, k, y);
			correct += argmax(p + (size_t)j * k, k) == y;
			for (c = 0; c < k; c++)
				t->dlogits[(size_t)j * k + c] = (float)(w *
					(p[(size_t)j * k + c] - (c == y)) / bw);
		}
		sum_w += bw;
		memset(t->grads, 0, net->nparams * sizeof(float));
		rc = cnn_backward(net, t->work, &in, top - 1, t->dlogits,
				  t->grads, NULL);
		if (rc)
			return rc;
		adam(t);
		if (t->c.progress && t->c.log)
			progress_bar(t->c.log, done + nb, n, sum_loss / sum_w,
				     (double)correct / (done + nb));
	}
	if (t->c.progress && t->c.log)
		fprintf(t->c.log, "\r%*s\r", 80, "");
	*loss = sum_loss / sum_w;
	*acc = (double)correct / n;
	return 0;
}

int trainer_evaluate(struct trainer *t, const struct train_sample *s,
		     size_t n, double *loss, double *acc)
{
	struct cnn *net = t->net;
	uint32_t k = net->classes, top = net->nlayers - 1, nb, j;
	double sum = 0;
	size_t done, correct = 0;
	int rc;

	for (done = 0; done < n; done += nb) {
		struct cnn_input in;
		const float *p, *z;

		nb = n - done < EVAL_BATCH ? (uint32_t)(n - done) : EVAL_BATCH;
		for (j = 0; j < nb; j++)
			t->pp[j] = s[done + j].pic;
		in = (struct cnn_input){ .n = nb, .pics = t->pp,
					 .scale = t->c.scale };
		rc = cnn_forward(net, t->work, &in, 0);
		if (rc)
			return rc;
		p = cnn_output(net, t->work, top);
		z = cnn_output(net, t->work, top - 1);
		for (j = 0; j < nb; j++) {
			uint32_t y = s[done + j].label;

			sum += xent(z + (size_t)j * k, k, y);
			correct += argmax(p + (size_t)j * k, k) == y;
		}
	}
	*loss = n ? sum / n : 0;
	*acc = n ? (double)correct / n : 0;
	return 0;
}

int train_run(struct cnn *net, const struct train_config *c, uint32_t k,
	      const struct train_sample *train, size_t ntrain,
	      const struct train_sample *val, size_t nval,
	      struct train_result *res, char *err, size_t errlen)
{
	uint32_t *labels = malloc((ntrain + 1) * sizeof(*labels));
	float *best = malloc((net->nparams + 1) * sizeof(float));
	struct trainer *t = NULL;
	double best_loss = INFINITY;
	uint32_t e, stale = 0;
	size_t i;
	int rc = -ENOMEM;

	memset(res, 0, sizeof(*res));
	res->hist = calloc(c->epochs + 1, sizeof(*res->hist));
	if (!labels || !best || !res->hist)
		goto out;
	if (!ntrain || !nval) {
		snprintf(err, errlen, "training needs samples for training and validation (%zu and %zu)",
			 ntrain, nval);
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i < ntrain; i++)
		labels[i] = train[i].label;
	t = trainer_new(net, c, labels, ntrain, k);
	if (!t)
		goto out;
	memcpy(res->class_weight, t->cw, sizeof(t->cw));
	memcpy(best, net->params, net->nparams * sizeof(float));
	for (e = 0; e < c->epochs; e++) {
		struct train_epoch *h = &res->hist[e];
		double t0 = now();
		int better;

		rc = trainer_epoch(t, train, ntrain, &h->train_loss,
				   &h->train_acc);
		if (!rc)
			rc = trainer_evaluate(t, val, nval, &h->val_loss,
					      &h->val_acc);
		if (rc) {
			snprintf(err, errlen, "epoch %u: %s", e + 1,
				 strerror(-rc));
			goto out;
		}
		h->seconds = now() - t0;
		res->epochs = e + 1;
		better = h->val_loss < best_loss;
		if (better) {
			best_loss = h->val_loss;
			res->best = e;
			stale = 0;
			memcpy(best, net->params, net->nparams * sizeof(float));
		} else {
			stale++;
		}
		if (c->log) {
			fprintf(c->log,
				"epoch %3u/%u  train loss %.4f acc %6.2f%%  val loss %.4f acc %6.2f%%  %6.1f s%s\n",
				e + 1, c->epochs, h->train_loss,
				h->train_acc * 100, h->val_loss,
				h->val_acc * 100, h->seconds,
				better ? "  *" : "");
			fflush(c->log);
		}
		if (c->patience && stale >= c->patience)
			break;
	}
	memcpy(net->params, best, net->nparams * sizeof(float));
	if (c->log)
		fprintf(c->log, "kept epoch %u: val loss %.4f, val accuracy %.2f%%\n",
			res->best + 1, res->hist[res->best].val_loss,
			res->hist[res->best].val_acc * 100);
	rc = 0;
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (rc) {
		free(res->hist);
		res->hist = NULL;
	}
	trainer_free(t);
	free(labels);
	free(best);
	return rc;
}

void train_result_free(struct train_result *r)
{
	free(r->hist);
	r->hist = NULL;
}

int train_curve_csv(const struct train_result *r, const char *path,
		    char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	uint32_t e;

	if (!f) {
		int rc = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	fprintf(f, "epoch,train_loss,train_acc,val_loss,val_acc,seconds,kept\n");
	for (e = 0; e < r->epochs; e++)
		fprintf(f, "%u,%.6f,%.6f,%.6f,%.6f,%.3f,%d\n", e + 1,
			r->hist[e].train_loss, r->hist[e].train_acc,
			r->hist[e].val_loss, r->hist[e].val_acc,
			r->hist[e].seconds, e == r->best);
	if (fclose(f)) {
		int rc = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	return 0;
}

int train_curve_png(const struct train_result *r, const char *path,
		    const char *title, char *err, size_t errlen)
{
	double *v = malloc(4 * (r->epochs + 1) * sizeof(double));
	uint32_t e, n = r->epochs;
	int rc;

	if (!v)
		return -ENOMEM;
	for (e = 0; e < n; e++) {
		v[e] = r->hist[e].train_loss;
		v[n + e] = r->hist[e].val_loss;
		v[2 * n + e] = r->hist[e].train_acc;
		v[3 * n + e] = r->hist[e].val_acc;
	}
	rc = chart_training(path, title, n, v, v + n, v + 2 * n, v + 3 * n,
			    r->best, err, errlen);
	free(v);
	return rc;
}
