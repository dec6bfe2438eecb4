// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic's CNN speed on real FlowPics, the figures tests/bench/bench_cnn.sh
 * sets beside PyTorch's: images/s of `mini` at batch 1 and 64 and of `full`
 * at batch 1 (model time only, as in ../shared/datasets/reference.md), and
 * seconds per training epoch of both (1,214 images, batch 64 / 32, Adam,
 * no augmentation).
 *
 * The FlowPics are the video-platforms sessions imaged by the pipeline:
 * 32x32 of the first 15 s for mini, 1500x1500 of 30 s for full. They are
 * also written (--export) for the PyTorch peer to read the same images.
 *
 * usage: bench_cnn --data DIR [--threads T] [--export PREFIX]
 *                  [--min-time S] [--runs R] [--only LIST]
 * Prints "name value unit" lines.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "cnn/cnn.h"
#include "flow/pipeline.h"
#include "model/train.h"

#define TRAIN_IMAGES	1214	/* the reference's training set size */

struct set {
	struct flowpic_geom geom;
	struct picture *pics;
	uint32_t *labels;
	size_t n, cap;
	uint32_t label;		/* of the file being read */
};

static clockid_t clk = CLOCK_MONOTONIC;

static double now(void)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int collect(void *ctx, const struct dataset_sample *s)
{
	struct set *set = ctx;

	if (s->win.index)	/* the first window of each session only */
		return 0;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		struct picture *p = realloc(set->pics, cap * sizeof(*p));
		uint32_t *l;

		if (!p)
			return -ENOMEM;
		set->pics = p;
		l = realloc(set->labels, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		set->labels = l;
		set->cap = cap;
	}
	picture_init(&set->pics[set->n], &set->geom);
	if (s->pic.ncells) {
		set->pics[set->n].cells = malloc(s->pic.ncells *
						 sizeof(*s->pic.cells));
		if (!set->pics[set->n].cells)
			return -ENOMEM;
		memcpy(set->pics[set->n].cells, s->pic.cells,
		       s->pic.ncells * sizeof(*s->pic.cells));
		set->pics[set->n].ncells = set->pics[set->n].cap = s->pic.ncells;
	}
	set->labels[set->n++] = set->label;
	return 0;
}

static const char *const platforms[] = { "Bilibili", "Twitch", "Youtube" };

static int walk(const char *dir, struct pipeline *p, struct set *set,
		int depth)
{
	struct dirent **ents;
	char path[4096], err[512];
	int n, i, rc = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t k;

		if (name[0] == '.' || rc)
			goto next;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (depth == 0) {
			for (k = 0; k < 3; k++)
				if (!strcmp(name, platforms[k]))
					break;
			if (k == 3)
				goto next;
			set->label = (uint32_t)k;
		}
		if (ents[i]->d_type == DT_DIR) {
			rc = walk(path, p, set, depth + 1);
		} else if (strstr(name, ".csv")) {
			if (pipeline_run(p, path, err, sizeof(err))) {
				fprintf(stderr, "bench_cnn: %s\n", err);
				rc = -EIO;
			}
		}
next:
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int load(const char *data, uint16_t n, uint64_t window_ns,
		struct set *set)
{
	struct flow_config c;
	struct pipeline *p;
	int rc;

	memset(set, 0, sizeof(*set));
	set->geom = (struct flowpic_geom){ .window_ns = window_ns, .n = n,
					   .max_size = FLOWPIC_MAX_PKT_SIZE,
					   .channels = 1 };
	flow_config_default(&c, &set->geom);
	p = pipeline_new(&c, collect, set);
	if (!p)
		return -ENOMEM;
	rc = walk(data, p, set, 0);
	pipeline_free(p);
	return rc;
}

/* Same order for both programs: a fixed shuffle of the set. */
static void shuffle(struct set *s, uint64_t seed)
{
	struct rng r;
	size_t i;

	rng_seed(&r, seed);
	for (i = s->n - 1; i > 0; i--) {
		size_t j = rng_below(&r, (uint32_t)(i + 1));
		struct picture tp = s->pics[i];
		uint32_t tl = s->labels[i];

		s->pics[i] = s->pics[j];
		s->labels[i] = s->labels[j];
		s->pics[j] = tp;
		s->labels[j] = tl;
	}
}

static int export(const struct set *s, const char *path)
{
	FILE *f = fopen(path, "wb");
	uint32_t h[4] = { 0x58425046, s->geom.n, s->geom.channels,
			  (uint32_t)s->n };
	size_t i;

	if (!f)
		return -errno;
	fwrite(h, sizeof(h), 1, f);
	for (i = 0; i < s->n; i++) {
		uint32_t t[2] = { s->labels[i], s->pics[i].ncells };

		fwrite(t, sizeof(t), 1, f);
		fwrite(s->pics[i].cells, sizeof(*s->pics[i].cells),
		       s->pics[i].ncells, f);
	}
	return fclose(f) ? -errno : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct cnn *make_net(const char *arch, const struct set *s)
{
	static struct cnn nets[2];
	static int used;
	char text[CNN_TEXT_MAX], err[256];
	struct cnn *net = &nets[used++ % 2];

	cnn_arch_text(arch, 1, s->geom.n, 3, text, sizeof(text));
	if (cnn_parse(net, arch, text, err, sizeof(err))) {
		fprintf(stderr, "bench_cnn: %s\n", err);
		exit(1);
	}
	cnn_init_params(net, 1);
	cnn_prepare(net);
	return net;
}

/*
 * Floating-point operations of one image through @net's convolutions and
 * dense layers, a multiply-add counted as two: the arithmetic any
 * implementation must do (ReLU, pooling and bias left out).
 */
static double net_flops(const struct cnn *net)
{
	double f = 0;
	uint32_t l;

	for (l = 0; l < net->nlayers; l++) {
		const struct cnn_layer *L = &net->layer[l];

		if (L->kind == CNN_CONV)
			f += 2.0 * L->nw * L->out.h * L->out.w;
		else if (L->kind == CNN_DENSE)
			f += 2.0 * L->nw;
	}
	return f;
}

/*
 * The set as dense images (N x C x H x W floats, count / 255 per cell: the
 * values the sparse path computes from the cells), for the engine's dense
 * input. NULL when out of memory.
 */
static float *densify(const struct set *s)
{
	size_t cells = flowpic_geom_cells(&s->geom), i, j;
	float *x = calloc(s->n * cells, sizeof(float));

	if (!x)
		return NULL;
	for (i = 0; i < s->n; i++)
		for (j = 0; j < s->pics[i].ncells; j++)
			x[i * cells + s->pics[i].cells[j].index] =
				(float)s->pics[i].cells[j].count / 255;
	return x;
}

/*
 * Best of @runs of images per second, each run at least @min_s: on a shared
 * machine the fastest run is the one least disturbed (PyTorch's peer
 * script measures the same way). @dense: the pictures go in as dense
 * images (densified once, outside the timing, as the peer's are), so
 * every layer runs dense; otherwise they go in sparse.
 */
static double infer_rate(struct cnn *net, const struct set *s, uint32_t batch,
			 int runs, double min_s, int dense)
{
	struct cnn_work *w = cnn_work_new(net, batch, 0);
	const struct picture **pp = malloc(batch * sizeof(*pp));
	float *probs = malloc((size_t)batch * net->classes * sizeof(float));
	float *x = dense ? densify(s) : NULL;
	size_t cells = flowpic_geom_cells(&s->geom);
	double rate[16], t0, t;
	size_t next = 0, images;
	uint32_t j;
	int r;

	if (!w || !pp || !probs || (dense && !x) || batch > s->n) {
		fprintf(stderr, "bench_cnn: out of memory (or batch %u over %zu images)\n",
			batch, s->n);
		exit(1);
	}
	/* warm-up: buffers grown, caches filled */
	for (j = 0; j < batch; j++)
		pp[j] = &s->pics[j % s->n];
	cnn_infer(net, w, &(struct cnn_input){ .n = batch,
					       .pics = dense ? NULL : pp,
					       .dense = x,
					       .scale = 1.0f / 255 }, probs);
	for (r = 0; r < runs && r < 16; r++) {
		images = 0;
		t = 0;
		while (t < min_s) {
			struct cnn_input in = { .n = batch, .pics = pp,
						.scale = 1.0f / 255 };

			if (dense) {
				/* consecutive images, as the peer takes them */
				if (next + batch > s->n)
					next = 0;
				in.pics = NULL;
				in.dense = x + next * cells;
				next += batch;
			} else {
				for (j = 0; j < batch; j++)
					pp[j] = &s->pics[next++ % s->n];
			}
			t0 = now();
			if (cnn_infer(net, w, &in, probs)) {
				fprintf(stderr, "bench_cnn: inference failed\n");
				exit(1);
			}
			t += now() - t0;
			images += batch;
		}
		rate[r] = images / t;
	}
	qsort(rate, (size_t)r, sizeof(double), cmp_double);
	if (dense && !cnn_work_stats(w)->dense) {
		fprintf(stderr, "bench_cnn: dense input did not take the dense path\n");
		exit(1);
	}
	cnn_work_free(w);
	free(pp);
	free(probs);
	free(x);
	return rate[r - 1];
}

/* Fastest of @runs training epochs over the first 1,214 images. */
static double epoch_seconds(struct cnn *net, const struct set *s,
			    uint32_t batch, int runs)
{
	struct train_sample *ts = calloc(TRAIN_IMAGES, sizeof(*ts));
	size_t n = s->n < TRAIN_IMAGES ? s->n : TRAIN_IMAGES, i;
	struct train_config c;
	struct trainer *t;
	double sec[16], loss, acc, t0;
	uint32_t *labels = malloc(n * sizeof(*labels));
	int r;

	for (i = 0; i < n; i++) {
		ts[i] = (struct train_sample){ &s->pics[i], NULL, s->labels[i] };
		labels[i] = s->labels[i];
	}
	train_default(&c);
	c.batch = batch;
	c.geom = s->geom;
	c.aug.kinds = 0;
	t = trainer_new(net, &c, labels, n, 3);
	for (r = 0; r < runs && r < 16; r++) {
		t0 = now();
		if (trainer_epoch(t, ts, n, &loss, &acc)) {
			fprintf(stderr, "bench_cnn: training failed\n");
			exit(1);
		}
		sec[r] = now() - t0;
	}
	qsort(sec, (size_t)r, sizeof(double), cmp_double);
	trainer_free(t);
	free(ts);
	free(labels);
	return sec[0];
}

static int wanted(const char *only, const char *name)
{
	const char *p = only;
	size_t l = strlen(name);

	if (!only)
		return 1;
	while ((p = strstr(p, name))) {
		if ((p == only || p[-1] == ',') && (!p[l] || p[l] == ','))
			return 1;
		p += l;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "export", required_argument, NULL, 'e' },
		{ "min-time", required_argument, NULL, 'm' },
		{ "runs", required_argument, NULL, 'r' },
		{ "only", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *prefix = NULL, *only = NULL;
	struct set mini, full;
	double min_s = 1.0;
	int threads = 1, runs = 3, o;
	char path[4096];

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': data = optarg; break;
		case 't': threads = atoi(optarg); break;
		case 'e': prefix = optarg; break;
		case 'm': min_s = atof(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'o': only = optarg; break;
		default:
			fprintf(stderr, "usage: bench_cnn --data DIR [--threads T] [--export PREFIX] [--min-time S] [--runs R] [--only LIST]\n");
			return 2;
		}
	}
	if (!data) {
		fprintf(stderr, "bench_cnn: --data DIR (video-platforms) needed\n");
		return 2;
	}
	openblas_set_num_threads(threads);
	/* BENCH_CLOCK=cpu: CPU time of the process, on a machine others share */
	if (getenv("BENCH_CLOCK") && !strcmp(getenv("BENCH_CLOCK"), "cpu"))
		clk = CLOCK_PROCESS_CPUTIME_ID;
	if (load(data, 32, 15000000000ULL, &mini) ||
	    load(data, 1500, 30000000000ULL, &full) || !mini.n || !full.n) {
		fprintf(stderr, "bench_cnn: cannot read the FlowPics of %s\n",
			data);
		return 1;
	}
	shuffle(&mini, 1);
	shuffle(&full, 1);
	if (prefix) {
		snprintf(path, sizeof(path), "%s.mini.bin", prefix);
		if (export(&mini, path))
			return 1;
		snprintf(path, sizeof(path), "%s.full.bin", prefix);
		if (export(&full, path))
			return 1;
	}
	{
		uint64_t cells = 0;
		size_t i;

		for (i = 0; i < full.n; i++)
			cells += full.pics[i].ncells;
		printf("images %zu mini, %zu full (%.0f cells per full picture), %d thread%s\n",
		       mini.n, full.n, (double)cells / full.n, threads,
		       threads > 1 ? "s" : "");
	}
	printf("mini_flops %.0f per image\n", net_flops(make_net("mini", &mini)));
	printf("full_flops %.0f per image\n", net_flops(make_net("full", &full)));
	{
		/* the inference figures: name, net, batch, dense input */
		static const struct {
			const char *name, *arch;
			uint32_t batch;
			int dense;
		} fig[] = {
			{ "mini_b1", "mini", 1, 0 },
			{ "mini_b64", "mini", 64, 0 },
			{ "mini_b1_dense", "mini", 1, 1 },
			{ "mini_b64_dense", "mini", 64, 1 },
			{ "full_b1", "full", 1, 0 },
		};
		size_t i;

		for (i = 0; i < sizeof(fig) / sizeof(fig[0]); i++) {
			struct set *s = fig[i].arch[0] == 'm' ? &mini : &full;

			if (!wanted(only, fig[i].name))
				continue;
			printf("%s %.1f images/s\n", fig[i].name,
			       infer_rate(make_net(fig[i].arch, s), s,
					  fig[i].batch, runs, min_s,
					  fig[i].dense));
			fflush(stdout);
		}
	}
	if (wanted(only, "train_mini"))
		printf("train_mini %.4f s/epoch\n",
		       epoch_seconds(make_net("mini", &mini), &mini, 64, runs));
	if (wanted(only, "train_full"))
		printf("train_full %.4f s/epoch\n",
		       epoch_seconds(make_net("full", &full), &full, 32,
				     runs > 1 ? 2 : 1));
	fflush(stdout);
	return 0;
}
