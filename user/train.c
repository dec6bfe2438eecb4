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

#include "chart.h"
#include "commands.h"
#include "evaluate.h"
#include "model_file.h"
#include "sample_set.h"
#include "train.h"

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

/* --- flowpic train -------------------------------------------------------- */

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
