// SPDX-License-Identifier: GPL-2.0
/*
 * The network: layer lists (parsing, shapes, parameters), the workspace,
 * and the three drivers of user/cnn/cnn.h - training forward, backward, and
 * inference on sparse pictures by differences against the empty picture.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn/cnn.h"
#include "cnn/layer.h"

/* Column matrices are built for as many images as fit this many floats
 * (256 KiB), so sgemm reads them back from cache. */
#define CNN_COL_BUDGET		(64u << 10)
/* Training keeps conv column matrices up to this many floats (128 MiB). */
#define CNN_COL_KEEP_MAX	(32u << 20)
/* Inference activations per chunk of images, bytes: about half an L2. */
#define CNN_CACHE_BUDGET	(256u << 10)
/* Shapes and parameter counts beyond these are typos, not networks. */
#define CNN_DIM_MAX		65536u
#define CNN_PARAMS_MAX		(1u << 28)
#define CNN_ACT_MAX		(1u << 28)

struct cnn_plan {
	uint32_t nprefix;			/* layers run as deltas */
	float *base[CNN_LAYERS_MAX];		/* empty picture, H x W x C */
	float *base_chw[CNN_LAYERS_MAX];	/* the same, C x H x W */
	float *wt[CNN_LAYERS_MAX];		/* conv weights C x K x K x O */
	float *zero;				/* the empty input, H x W x C */
	size_t maxpos;				/* largest H x W of the prefix */
	uint32_t block;		/* conv [relu] [dropout] maxpool: the pool, or 0 */
	int block_relu;
	float *wtp, *biasp;	/* conv_pool_repack() of layer 0 */
	/* the block after it, conv [relu] [dropout] maxpool flatten, on
	 * conv16_pool_forward(): its conv, pool and flatten, or 0 */
	uint32_t c16, c16_pool, c16_flat;
	int c16_relu;
	float *c16_wt, *c16_bias;
	float *dwt[CNN_LAYERS_MAX], *dbias[CNN_LAYERS_MAX]; /* dense16_repack() */
};

struct cnn_work {
	int fwd_training;		/* the last forward applied dropout */
	uint32_t n;			/* batch of the last forward */
	int sparse_in;			/* it read pictures in layer 0 */
	float *act[CNN_LAYERS_MAX];
	size_t act_cap[CNN_LAYERS_MAX];
	float *grad[CNN_LAYERS_MAX];
	size_t grad_cap[CNN_LAYERS_MAX];
	uint32_t *arg[CNN_LAYERS_MAX];
	size_t arg_cap[CNN_LAYERS_MAX];
	float *mask[CNN_LAYERS_MAX];
	size_t mask_cap[CNN_LAYERS_MAX];
	float *colkeep[CNN_LAYERS_MAX];	/* training: conv columns for backward */
	size_t colkeep_cap[CNN_LAYERS_MAX];
	int kept[CNN_LAYERS_MAX];
	float *in, *din;		/* the input, staged as CNHW */
	size_t in_cap, din_cap;
	float *col;
	size_t col_cap;
	float *scratch;			/* conv_pool_sparse() */
	size_t scratch_cap;
	/* training's first block from pictures (layer_block.c) */
	uint32_t block_in;		/* the pool's index when used, else 0 */
	int block_relu;
	int block_dense;		/* block_dense_forward() ran it */
	uint8_t *barg;			/* its maxima */
	size_t barg_cap;
	float *bwtp, *bbiasp, *dwtp;
	size_t bwtp_cap, bbiasp_cap, dwtp_cap;
	struct block_image *blk;
	uint32_t nblk;
	int32_t *bmap_conv, *bmap_pool;
	size_t bmap_conv_cap, bmap_pool_cap;
	float *bwt, *dconv;
	size_t bwt_cap, dconv_cap;
	struct cnn_infer_stats stats;
	struct rng rng;
	/* cnn_infer()'s deltas, two per image, and position maps */
	struct cnn_delta *da, *db;
	uint32_t ndelta;
	int32_t *map_a, *map_b;
	size_t map_cap;
};

static const char *const kind_names[] = {
	[CNN_CONV] = "conv", [CNN_MAXPOOL] = "maxpool", [CNN_RELU] = "relu",
	[CNN_DROPOUT] = "dropout", [CNN_FLATTEN] = "flatten",
	[CNN_DENSE] = "dense", [CNN_SOFTMAX] = "softmax",
};

const char *cnn_kind_name(enum cnn_kind k)
{
	return (unsigned int)k < sizeof(kind_names) / sizeof(kind_names[0]) ?
		kind_names[k] : "?";
}

static size_t shape_size(const struct cnn_shape *s)
{
	return (size_t)s->c * s->h * s->w;
}

int cnn_arch_text(const char *name, uint32_t channels, uint32_t n,
		  uint32_t classes, char *buf, size_t len)
{
	int w;

	if (!strcmp(name, "mini"))
		w = snprintf(buf, len,
			     "input %u %u %u\n"
			     "conv 6 5\nrelu\nmaxpool 2\n"
			     "conv 16 5\nrelu\ndropout 0.25\nmaxpool 2\n"
			     "flatten\ndense 120\nrelu\ndense 84\nrelu\n"
			     "dropout 0.5\ndense %u\nsoftmax\n",
			     channels, n, n, classes);
	else if (!strcmp(name, "full"))
		w = snprintf(buf, len,
			     "input %u %u %u\n"
			     "conv 10 10 stride 5 pad 3\nrelu\nmaxpool 2\n"
			     "conv 20 10 stride 5 pad 3\nrelu\ndropout 0.25\n"
			     "maxpool 2\nflatten\ndense 64\nrelu\ndropout 0.5\n"
			     "dense %u\nsoftmax\n",
			     channels, n, n, classes);
	else
		return -EINVAL;
	return w < 0 || (size_t)w >= len ? -ENOSPC : 0;
}

__attribute__((format(printf, 4, 5)))
static int parse_fail(char *err, size_t errlen, unsigned int line,
		      const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, errlen, "layer list line %u: ", line);

	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < errlen)
		vsnprintf(err + k, errlen - k, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Reads unsigned words "W1 V1 W2 V2" after a layer's fixed fields. */
static int parse_opts(const char *s, uint32_t *stride, uint32_t *pad)
{
	char word[16];
	unsigned int v;
	int used;

	while (sscanf(s, " %15s %u%n", word, &v, &used) == 2) {
		if (!strcmp(word, "stride"))
			*stride = v;
		else if (!strcmp(word, "pad"))
			*pad = v;
		else
			return -1;
		s += used;
	}
	while (isspace((unsigned char)*s))
		s++;
	return *s ? -1 : 0;
}

static int parse_layer(struct cnn_layer *L, const char *s, unsigned int line,
		       int flat, char *err, size_t errlen)
{
	struct cnn_shape in = L->in;
	char kind[16];
	unsigned int a = 0, b = 0;
	float f;
	int used = 0;

	if (sscanf(s, "%15s%n", kind, &used) != 1)
		return parse_fail(err, errlen, line, "empty");
	s += used;
	L->out = in;
	if (!strcmp(kind, "conv")) {
		uint32_t stride = 1, pad = 0;

		if (sscanf(s, "%u %u%n", &a, &b, &used) != 2 ||
		    parse_opts(s + used, &stride, &pad))
			return parse_fail(err, errlen, line,
					  "expected 'conv OUT K [stride S] [pad P]'");
		if (flat)
			return parse_fail(err, errlen, line,
					  "conv after flatten or dense");
		if (!a || !b || !stride || a > CNN_DIM_MAX || b > CNN_DIM_MAX ||
		    stride > CNN_DIM_MAX || pad >= b)
			return parse_fail(err, errlen, line,
					  "conv %u %u stride %u pad %u: need OUT, K, S >= 1 and P < K",
					  a, b, stride, pad);
		if (in.h + 2 * pad < b || in.w + 2 * pad < b)
			return parse_fail(err, errlen, line,
					  "conv kernel %u larger than its %ux%u input (pad %u)",
					  b, in.h, in.w, pad);
		L->kind = CNN_CONV;
		L->k = b;
		L->stride = stride;
		L->pad = pad;
		L->out.c = a;
		L->out.h = (in.h + 2 * pad - b) / stride + 1;
		L->out.w = (in.w + 2 * pad - b) / stride + 1;
		L->nw = (size_t)a * in.c * b * b;
		L->nb = a;
	} else if (!strcmp(kind, "maxpool")) {
		if (sscanf(s, "%u %n", &a, &used) != 1 || s[used])
			return parse_fail(err, errlen, line, "expected 'maxpool K'");
		if (flat)
			return parse_fail(err, errlen, line,
					  "maxpool after flatten or dense");
		if (!a || a > in.h || a > in.w)
			return parse_fail(err, errlen, line,
					  "maxpool %u on a %ux%u input", a,
					  in.h, in.w);
		L->kind = CNN_MAXPOOL;
		L->k = L->stride = a;
		L->out.h = in.h / a;
		L->out.w = in.w / a;
	} else if (!strcmp(kind, "relu") || !strcmp(kind, "flatten") ||
		   !strcmp(kind, "softmax")) {
		if (sscanf(s, " %n", &used) >= 0 && s[used])
			return parse_fail(err, errlen, line,
					  "'%s' takes no arguments", kind);
		if (kind[0] == 'r') {
			L->kind = CNN_RELU;
		} else if (kind[0] == 'f') {
			if (flat)
				return parse_fail(err, errlen, line,
						  "flatten twice");
			L->kind = CNN_FLATTEN;
			L->out = (struct cnn_shape){ in.c * in.h * in.w, 1, 1 };
		} else {
			if (!flat)
				return parse_fail(err, errlen, line,
						  "softmax needs a flatten before it");
			L->kind = CNN_SOFTMAX;
		}
	} else if (!strcmp(kind, "dropout")) {
		if (sscanf(s, "%f %n", &f, &used) != 1 || s[used] ||
		    !(f >= 0.0f && f < 1.0f))
			return parse_fail(err, errlen, line,
					  "expected 'dropout P' with 0 <= P < 1");
		L->kind = CNN_DROPOUT;
		L->rate = f;
	} else if (!strcmp(kind, "dense")) {
		if (sscanf(s, "%u %n", &a, &used) != 1 || s[used] || !a ||
		    a > CNN_DIM_MAX)
			return parse_fail(err, errlen, line,
					  "expected 'dense OUT' with 1 <= OUT <= %u",
					  CNN_DIM_MAX);
		if (!flat)
			return parse_fail(err, errlen, line,
					  "dense needs a flatten before it");
		L->kind = CNN_DENSE;
		L->out = (struct cnn_shape){ a, 1, 1 };
		L->nw = (size_t)a * in.c;
		L->nb = a;
	} else {
		return parse_fail(err, errlen, line, "unknown layer '%s'", kind);
	}
	if (shape_size(&L->out) > CNN_ACT_MAX)
		return parse_fail(err, errlen, line, "output of %zu values",
				  shape_size(&L->out));
	return 0;
}

int cnn_parse(struct cnn *net, const char *name, const char *text,
	      char *err, size_t errlen)
{
	struct cnn_shape cur = { 0, 0, 0 };
	unsigned int line = 0, c, h, w;
	int have_input = 0, flat = 0, used, e;
	const char *p = text;
	size_t off = 0;
	uint32_t l;

	memset(net, 0, sizeof(*net));
	snprintf(net->name, sizeof(net->name), "%s", name ? name : "custom");
	while (*p) {
		char buf[256], *s, *hash;
		size_t n = strcspn(p, "\n");

		line++;
		if (n >= sizeof(buf))
			return parse_fail(err, errlen, line, "longer than %zu bytes",
					  sizeof(buf) - 1);
		memcpy(buf, p, n);
		buf[n] = 0;
		p += n + (p[n] == '\n');
		hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		for (s = buf; isspace((unsigned char)*s); s++)
			;
		if (!*s)
			continue;
		if (!have_input) {
			if (sscanf(s, "input %u %u %u %n", &c, &h, &w, &used) != 3 ||
			    s[used] || !c || !h || !w || c > CNN_DIM_MAX ||
			    h > CNN_DIM_MAX || w > CNN_DIM_MAX)
				return parse_fail(err, errlen, line,
						  "expected 'input C H W' first");
			cur = (struct cnn_shape){ c, h, w };
			net->input = cur;
			have_input = 1;
			continue;
		}
		if (net->nlayers == CNN_LAYERS_MAX)
			return parse_fail(err, errlen, line, "more than %d layers",
					  CNN_LAYERS_MAX);
		net->layer[net->nlayers].in = cur;
		e = parse_layer(&net->layer[net->nlayers], s, line, flat, err,
				errlen);
		if (e)
			return e;
		cur = net->layer[net->nlayers].out;
		flat |= net->layer[net->nlayers].kind == CNN_FLATTEN;
		net->nlayers++;
	}
	if (!net->nlayers) {
		snprintf(err, errlen, "layer list: no layers");
		return -EINVAL;
	}
	net->classes = flat ? cur.c : 0;
	for (l = 0; l < net->nlayers; l++) {
		struct cnn_layer *L = &net->layer[l];

		L->woff = off;
		off += L->nw;
		L->boff = off;
		off += L->nb;
		/* ReLU and dropout rewrite their input's buffer. */
		if (l && (L->kind == CNN_RELU || L->kind == CNN_DROPOUT))
			L->buf = net->layer[l - 1].buf;
		else
			L->buf = net->nbufs++;
	}
	if (off > CNN_PARAMS_MAX) {
		snprintf(err, errlen, "layer list: %zu parameters", off);
		return -EINVAL;
	}
	net->nparams = off;
	net->params = calloc(off ? off : 1, sizeof(float));
	if (!net->params) {
		snprintf(err, errlen, "out of memory for %zu parameters", off);
		return -ENOMEM;
	}
	return 0;
}

int cnn_text(const struct cnn *net, char *buf, size_t len)
{
	size_t k = 0;
	uint32_t l;
	int w;

#define EMIT(...)							\
	do {								\
		w = snprintf(buf + k, len - k, __VA_ARGS__);		\
		if (w < 0 || (size_t)w >= len - k)			\
			return -ENOSPC;					\
		k += (size_t)w;						\
	} while (0)

	EMIT("input %u %u %u\n", net->input.c, net->input.h, net->input.w);
	for (l = 0; l < net->nlayers; l++) {
		const struct cnn_layer *L = &net->layer[l];

		switch (L->kind) {
		case CNN_CONV:
			EMIT("conv %u %u stride %u pad %u\n", L->out.c, L->k,
			     L->stride, L->pad);
			break;
		case CNN_MAXPOOL:
			EMIT("maxpool %u\n", L->k);
			break;
		case CNN_DROPOUT:
			EMIT("dropout %g\n", (double)L->rate);
			break;
		case CNN_DENSE:
			EMIT("dense %u\n", L->out.c);
			break;
		default:
			EMIT("%s\n", cnn_kind_name(L->kind));
		}
	}
#undef EMIT
	return 0;
}

static void plan_free(struct cnn_plan *pl)
{
	uint32_t l;

	if (!pl)
		return;
	for (l = 0; l < CNN_LAYERS_MAX; l++) {
		free(pl->base[l]);
		free(pl->base_chw[l]);
		free(pl->wt[l]);
		free(pl->dwt[l]);
		free(pl->dbias[l]);
	}
	free(pl->zero);
	free(pl->wtp);
	free(pl->biasp);
	free(pl->c16_wt);
	free(pl->c16_bias);
	free(pl);
}

void cnn_free(struct cnn *net)
{
	free(net->params);
	plan_free(net->plan);
	net->params = NULL;
	net->plan = NULL;
}

void cnn_init_params(struct cnn *net, uint64_t seed)
{
	struct rng r;
	uint32_t l;
	size_t i;

	rng_seed(&r, seed);
	for (l = 0; l < net->nlayers; l++) {
		const struct cnn_layer *L = &net->layer[l];
		float *w = net->params + L->woff, *b = net->params + L->boff;
		double fan_in, bound;

		if (L->kind != CNN_CONV && L->kind != CNN_DENSE)
			continue;
		/* kaiming_uniform(a = sqrt 5) and the bias rule: 1/sqrt(fan_in) */
		fan_in = L->kind == CNN_CONV ?
			(double)L->in.c * L->k * L->k : (double)L->in.c;
		bound = 1.0 / sqrt(fan_in);
		for (i = 0; i < L->nw; i++)
			w[i] = (float)((2.0 * rng_double(&r) - 1.0) * bound);
		for (i = 0; i < L->nb; i++)
			b[i] = (float)((2.0 * rng_double(&r) - 1.0) * bound);
	}
	plan_free(net->plan);
	net->plan = NULL;
}

void cnn_copy_params(struct cnn *dst, const struct cnn *src)
{
	memcpy(dst->params, src->params, src->nparams * sizeof(float));
	plan_free(dst->plan);
	dst->plan = NULL;
}

/* --- workspace ----------------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t want, size_t elem)
{
	void *q;

	if (want <= *cap)
		return 0;
	free(*p);
	*p = NULL;
	*cap = 0;
	q = malloc(want * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = want;
	return 0;
}

#define GROW(p, cap, want) grow((void **)&(p), &(cap), (want), sizeof(*(p)))

struct cnn_work *cnn_work_new(const struct cnn *net, uint32_t max_batch,
			      int training)
{
	struct cnn_work *w = calloc(1, sizeof(*w));

	(void)net;
	(void)max_batch;
	(void)training;
	if (!w)
		return NULL;
	rng_seed(&w->rng, 0);
	return w;
}

void cnn_work_free(struct cnn_work *w)
{
	uint32_t l;

	if (!w)
		return;
	for (l = 0; l < CNN_LAYERS_MAX; l++) {
		free(w->act[l]);
		free(w->grad[l]);
		free(w->arg[l]);
		free(w->mask[l]);
		free(w->colkeep[l]);
	}
	for (l = 0; l < w->ndelta; l++) {
		cnn_delta_free(&w->da[l]);
		cnn_delta_free(&w->db[l]);
	}
	for (l = 0; l < w->nblk; l++)
		block_image_free(&w->blk[l]);
	free(w->blk);
	free(w->bmap_conv);
	free(w->bmap_pool);
	free(w->bwt);
	free(w->dconv);
	free(w->barg);
	free(w->bwtp);
	free(w->bbiasp);
	free(w->dwtp);
	free(w->da);
	free(w->db);
	free(w->map_a);
	free(w->map_b);
	free(w->in);
	free(w->din);
	free(w->col);
	free(w->scratch);
	free(w);
}

const struct cnn_infer_stats *cnn_work_stats(const struct cnn_work *w)
{
	return &w->stats;
}

void cnn_work_seed(struct cnn_work *w, uint64_t seed)
{
	rng_seed(&w->rng, seed);
}

int cnn_delta_reserve(struct cnn_delta *d, uint32_t n, uint32_t c)
{
	d->c = c;
	if (n > d->cap) {
		uint32_t *pos = realloc(d->pos, (size_t)n * sizeof(*pos));

		if (!pos)
			return -ENOMEM;
		d->pos = pos;
		d->cap = n;
	}
	if ((size_t)n * c > d->vcap) {
		float *val = realloc(d->val, (size_t)n * c * sizeof(*val));

		if (!val)
			return -ENOMEM;
		d->val = val;
		d->vcap = (size_t)n * c;
	}
	return 0;
}

void cnn_delta_free(struct cnn_delta *d)
{
	free(d->pos);
	free(d->val);
	memset(d, 0, sizeof(*d));
}

/* --- forward and backward ------------------------------------------------ */

static uint32_t conv_chunk(const struct cnn_layer *L, uint32_t n)
{
	size_t per = conv_col_floats(L), c = per ? CNN_COL_BUDGET / per : n;

	if (c < 1)
		c = 1;
	return c < n ? (uint32_t)c : n;
}

/* The buffer layer @l reads: the previous layer's, or the staged input. */
static float *layer_input(const struct cnn *net, struct cnn_work *w,
			  uint32_t l)
{
	return l ? w->act[net->layer[l - 1].buf] : w->in;
}

static int check_pictures(const struct cnn *net, const struct cnn_input *in)
{
	uint32_t j;

	for (j = 0; j < in->n; j++) {
		const struct flowpic_geom *g = &in->pics[j]->geom;

		if (g->channels != net->input.c || g->n != net->input.h ||
		    g->n != net->input.w)
			return -EINVAL;
	}
	return 0;
}

/* Puts the batch into w->in as CNHW. */
static int stage_input(const struct cnn *net, struct cnn_work *w,
		       const struct cnn_input *in)
{
	size_t hw = (size_t)net->input.h * net->input.w, i;
	uint32_t C = net->input.c, N = in->n, c, j;

	if (GROW(w->in, w->in_cap, shape_size(&net->input) * N))
		return -ENOMEM;
	if (in->pics) {
		memset(w->in, 0, sizeof(float) * C * N * hw);
		for (j = 0; j < N; j++) {
			const struct picture *p = in->pics[j];

			for (i = 0; i < p->ncells; i++) {
				uint32_t idx = p->cells[i].index;

				c = (uint32_t)(idx / hw);
				w->in[((size_t)c * N + j) * hw + idx % hw] =
					(float)p->cells[i].count * in->scale;
			}
		}
		return 0;
	}
	for (c = 0; c < C; c++)
		for (j = 0; j < N; j++)
			memcpy(w->in + ((size_t)c * N + j) * hw,
			       in->dense + ((size_t)j * C + c) * hw,
			       hw * sizeof(float));
	return 0;
}

/*
 * At inference a ReLU in place followed by max-pooling (dropout between
 * them is then the identity) is applied by the pooling, on a quarter of
 * the values: max and ReLU commute. @l is the ReLU (@is_relu) or the pool.
 */
static int relu_folds(const struct cnn *net, uint32_t l, int is_relu)
{
	uint32_t i;

	if (is_relu) {
		if (!l)
			return 0;
		for (i = l + 1; i < net->nlayers; i++)
			if (net->layer[i].kind != CNN_DROPOUT)
				return net->layer[i].kind == CNN_MAXPOOL;
		return 0;
	}
	for (i = l; i-- > 0;)
		if (net->layer[i].kind != CNN_DROPOUT)
			return net->layer[i].kind == CNN_RELU && i > 0;
	return 0;
}

static int layer_forward(const struct cnn *net, struct cnn_work *w,
			 uint32_t l, uint32_t N, int training)
{
	const struct cnn_layer *L = &net->layer[l];
	size_t count = shape_size(&L->out) * N;
	const float *x = layer_input(net, w, l);
	float *y;
	uint32_t chunk;

	if (GROW(w->act[L->buf], w->act_cap[L->buf], count))
		return -ENOMEM;
	y = w->act[L->buf];
	switch (L->kind) {
	case CNN_CONV:
		chunk = conv_chunk(L, N);
		/* Training keeps the columns for backward when they are not huge. */
		w->kept[l] = training &&
			     conv_col_floats(L) * N <= CNN_COL_KEEP_MAX &&
			     !GROW(w->colkeep[l], w->colkeep_cap[l],
				   conv_col_floats(L) * N);
		if (w->kept[l]) {
			conv_forward(L, net->params, x, N, y, w->colkeep[l],
				     chunk, 1);
			break;
		}
		if (GROW(w->col, w->col_cap, conv_col_floats(L) * chunk))
			return -ENOMEM;
		conv_forward(L, net->params, x, N, y, w->col, chunk, 0);
		break;
	case CNN_MAXPOOL:
		if (!training) {
			pool_forward(L, x, N, y, NULL, relu_folds(net, l, 0));
			break;
		}
		if (GROW(w->arg[l], w->arg_cap[l], count))
			return -ENOMEM;
		pool_forward(L, x, N, y, w->arg[l], 0);
		break;
	case CNN_RELU:
		if (!training && relu_folds(net, l, 1))
			break;
		relu_forward(x, y, count);
		break;
	case CNN_DROPOUT:
		if (training && L->rate > 0) {
			if (GROW(w->mask[l], w->mask_cap[l], count))
				return -ENOMEM;
			dropout_forward(L, x, y, count, w->mask[l], &w->rng);
		} else if (x != y) {
			memcpy(y, x, count * sizeof(*y));
		}
		break;
	case CNN_FLATTEN:
		flatten_forward(L, x, N, y);
		break;
	case CNN_DENSE:
		dense_forward(L, net->params, x, N, y);
		break;
	case CNN_SOFTMAX:
		softmax_forward(x, y, N, L->in.c);
		break;
	}
	return 0;
}

static int forward_from(const struct cnn *net, struct cnn_work *w,
			uint32_t l0, uint32_t N, int training)
{
	uint32_t l;
	int err;

	for (l = l0; l < net->nlayers; l++) {
		err = layer_forward(net, w, l, N, training);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The net starts with conv, [ReLU], max-pool: the pool's index, with
 * *relu set; 0 otherwise.
 */
static uint32_t first_block(const struct cnn *net, int *relu)
{
	uint32_t l = 1;

	if (net->nlayers < 3 || net->layer[0].kind != CNN_CONV ||
	    net->layer[0].out.c > 256)
		return 0;
	*relu = net->layer[1].kind == CNN_RELU;
	l += *relu;
	return l < net->nlayers && net->layer[l].kind == CNN_MAXPOOL &&
	       net->layer[l].k <= 16 ? l : 0;
}

/*
 * The pictures' cells reach at most a quarter of the first conv's
 * outputs: few enough that working on those alone pays.
 */
static int sparse_enough(const struct cnn *net, const struct cnn_input *in)
{
	const struct cnn_layer *L0 = &net->layer[0];
	double cover = (double)((L0->k + L0->stride - 1) / L0->stride);
	double cells = 0;
	uint32_t j;

	for (j = 0; j < in->n; j++)
		cells += in->pics[j]->ncells;
	return cells * cover * cover <=
	       0.25 * in->n * (double)L0->out.h * L0->out.w;
}

static int forward_block(const struct cnn *net, struct cnn_work *w,
			 const struct cnn_input *in, uint32_t pool, int relu,
			 int training)
{
	const struct cnn_layer *C = &net->layer[0], *P = &net->layer[pool];
	uint32_t N = in->n, j;
	size_t most = 0;
	int err;

	if (N > w->nblk) {
		struct block_image *b = realloc(w->blk, N * sizeof(*b));

		if (!b)
			return -ENOMEM;
		memset(b + w->nblk, 0, (N - w->nblk) * sizeof(*b));
		w->blk = b;
		w->nblk = N;
	}
	if (GROW(w->act[P->buf], w->act_cap[P->buf], shape_size(&P->out) * N) ||
	    GROW(w->bwt, w->bwt_cap, C->nw))
		return -ENOMEM;
	if ((size_t)C->out.h * C->out.w > w->bmap_conv_cap) {
		if (GROW(w->bmap_conv, w->bmap_conv_cap,
			 (size_t)C->out.h * C->out.w))
			return -ENOMEM;
		memset(w->bmap_conv, 0xff, w->bmap_conv_cap * sizeof(int32_t));
	}
	if ((size_t)P->out.h * P->out.w > w->bmap_pool_cap) {
		if (GROW(w->bmap_pool, w->bmap_pool_cap,
			 (size_t)P->out.h * P->out.w))
			return -ENOMEM;
		memset(w->bmap_pool, 0xff, w->bmap_pool_cap * sizeof(int32_t));
	}
	conv_repack(C, net->params, w->bwt);
	err = block_forward_train(C, P, relu, w->bwt, net->params + C->boff,
				  in->pics, in->scale, N, w->blk, w->bmap_conv,
				  w->bmap_pool, w->act[P->buf]);
	if (err)
		return err;
	for (j = 0; j < N; j++)
		if (w->blk[j].conv.n > most)
			most = w->blk[j].conv.n;
	if (GROW(w->dconv, w->dconv_cap, most * C->out.c + 1))
		return -ENOMEM;
	w->block_in = pool;
	w->block_relu = relu;
	w->block_dense = 0;
	w->stats.train_block += N;
	return forward_from(net, w, pool + 1, N, training);
}

static int forward_dense_block(const struct cnn *net, struct cnn_work *w,
			       const struct cnn_input *in, uint32_t pool,
			       int relu, int training)
{
	const struct cnn_layer *C = &net->layer[0], *P = &net->layer[pool];
	uint32_t N = in->n, op = conv_pool_stride(C->out.c);
	size_t wsize = (size_t)C->in.c * C->k * C->k * op;

	if (GROW(w->act[P->buf], w->act_cap[P->buf], shape_size(&P->out) * N) ||
	    GROW(w->barg, w->barg_cap, shape_size(&P->out) * N) ||
	    GROW(w->scratch, w->scratch_cap, (size_t)C->out.h * C->out.w * op) ||
	    GROW(w->bwtp, w->bwtp_cap, wsize) ||
	    GROW(w->dwtp, w->dwtp_cap, wsize) ||
	    GROW(w->bbiasp, w->bbiasp_cap, op))
		return -ENOMEM;
	conv_pool_repack(C, net->params, w->bwtp, w->bbiasp);
	block_dense_forward(C, P, relu, w->bwtp, w->bbiasp, in->pics,
			    in->scale, N, w->scratch, w->act[P->buf], w->barg);
	w->block_in = pool;
	w->block_relu = relu;
	w->block_dense = 1;
	w->stats.train_block += N;
	return forward_from(net, w, pool + 1, N, training);
}

int cnn_forward(const struct cnn *net, struct cnn_work *w,
		const struct cnn_input *in, int training)
{
	const struct cnn_layer *L0 = &net->layer[0];
	uint32_t N = in->n, pool;
	int relu = 0;

	if (!N || (!in->pics && !in->dense))
		return -EINVAL;
	w->n = N;
	w->sparse_in = 0;
	w->block_in = 0;
	w->fwd_training = training;
	if (in->pics && check_pictures(net, in))
		return -EINVAL;
	if (in->pics && (pool = first_block(net, &relu))) {
		if (sparse_enough(net, in))
			return forward_block(net, w, in, pool, relu, training);
		return forward_dense_block(net, w, in, pool, relu, training);
	}
	if (in->pics && L0->kind == CNN_CONV) {
		if (GROW(w->act[L0->buf], w->act_cap[L0->buf],
			 shape_size(&L0->out) * N))
			return -ENOMEM;
		conv_forward_sparse(L0, net->params, in->pics, in->scale, N,
				    w->act[L0->buf]);
		w->sparse_in = 1;
		return forward_from(net, w, 1, N, training);
	}
	if (stage_input(net, w, in))
		return -ENOMEM;
	return forward_from(net, w, 0, N, training);
}

const float *cnn_output(const struct cnn *net, const struct cnn_work *w,
			uint32_t l)
{
	return w->act[net->layer[l].buf];
}

int cnn_backward(const struct cnn *net, struct cnn_work *w,
		 const struct cnn_input *in, uint32_t top, const float *dtop,
		 float *grads, float *dinput)
{
	uint32_t N = w->n, l, chunk;
	int sparse = w->sparse_in || w->block_in;

	if (in->n != N || top >= net->nlayers)
		return -EINVAL;
	for (l = 0; l <= top; l++) {
		const struct cnn_layer *L = &net->layer[l];

		if (GROW(w->grad[L->buf], w->grad_cap[L->buf],
			 shape_size(&L->out) * N))
			return -ENOMEM;
	}
	if (dinput && !sparse &&
	    GROW(w->din, w->din_cap, shape_size(&net->input) * N))
		return -ENOMEM;
	memcpy(w->grad[net->layer[top].buf], dtop,
	       shape_size(&net->layer[top].out) * N * sizeof(float));

	for (l = top + 1; l-- > 0;) {
		const struct cnn_layer *L = &net->layer[l];
		size_t count = shape_size(&L->out) * N;
		const float *x = layer_input(net, w, l);
		const float *y = w->act[L->buf];
		const float *dy = w->grad[L->buf];
		float *dx;

		if (l)
			dx = w->grad[net->layer[l - 1].buf];
		else
			dx = dinput && !sparse ? w->din : NULL;

		if (w->block_in && l == w->block_in && w->block_dense) {
			block_dense_backward(&net->layer[0], L, w->block_relu,
					     in->pics, in->scale, N, y, w->barg,
					     dy, w->scratch, w->dwtp, grads);
			break;
		}
		if (w->block_in && l == w->block_in) {
			block_backward_train(&net->layer[0], L, w->block_relu,
					     net->params + net->layer[0].boff,
					     grads, in->pics, in->scale, N,
					     w->blk, dy, w->bmap_conv, w->dconv);
			break;
		}

		if (!l && sparse) {
			conv_backward_sparse(L, grads, in->pics, in->scale, dy,
					     N);
			break;
		}
		switch (L->kind) {
		case CNN_CONV:
			chunk = conv_chunk(L, N);
			if (w->kept[l]) {
				conv_backward(L, net->params, grads, x, dy, dx,
					      N, w->colkeep[l], chunk, 1);
				break;
			}
			if (GROW(w->col, w->col_cap, conv_col_floats(L) * chunk))
				return -ENOMEM;
			conv_backward(L, net->params, grads, x, dy, dx, N,
				      w->col, chunk, 0);
			break;
		case CNN_DENSE:
			dense_backward(L, net->params, grads, x, dy, dx, N);
			break;
		case CNN_MAXPOOL: {
			/*
			 * The ReLU and dropout before the pool worked in place:
			 * their gradients are taken at the maxima only.
			 */
			const float *masks[CNN_LAYERS_MAX];
			const float *ybuf = NULL;
			uint32_t p = l;
			int nm = 0;

			while (p > 1 && (net->layer[p - 1].kind == CNN_RELU ||
					 net->layer[p - 1].kind == CNN_DROPOUT)) {
				const struct cnn_layer *I = &net->layer[p - 1];

				if (I->kind == CNN_RELU)
					ybuf = w->act[I->buf];
				else if (w->fwd_training && I->rate > 0)
					masks[nm++] = w->mask[p - 1];
				p--;
			}
			if (dx)
				pool_backward(L, dy, w->arg[l], dx, N, ybuf, masks,
					      nm);
			l = p;	/* the chain is done: go on below it */
			break;
		}
		case CNN_RELU:
			if (dx)
				relu_backward(y, dy, dx, count);
			break;
		case CNN_DROPOUT:
			if (!dx)
				break;
			if (w->fwd_training && L->rate > 0)
				dropout_backward(w->mask[l], dy, dx, count);
			else if (dx != dy)
				memcpy(dx, dy, count * sizeof(*dx));
			break;
		case CNN_FLATTEN:
			if (dx)
				flatten_backward(L, dy, N, dx);
			break;
		case CNN_SOFTMAX:
			if (dx)
				softmax_backward(y, dy, dx, N, L->in.c);
			break;
		}
	}
	if (dinput && !sparse) {
		size_t hw = (size_t)net->input.h * net->input.w;
		uint32_t c, j, C = net->input.c;

		for (c = 0; c < C; c++)
			for (j = 0; j < N; j++)
				memcpy(dinput + ((size_t)j * C + c) * hw,
				       w->din + ((size_t)c * N + j) * hw,
				       hw * sizeof(float));
	}
	return 0;
}

/* --- inference by differences -------------------------------------------- */

/* H x W x C copy of a C x H x W array. */
static float *to_hwc(const float *chw, const struct cnn_shape *s)
{
	size_t hw = (size_t)s->h * s->w, i;
	float *t = malloc(shape_size(s) * sizeof(float) + 1);
	uint32_t c;

	if (!t)
		return NULL;
	for (c = 0; c < s->c; c++)
		for (i = 0; i < hw; i++)
			t[i * s->c + c] = chw[c * hw + i];
	return t;
}

/*
 * After the first block: conv, [ReLU], [dropout], max-pool, flatten, run
 * by conv16_pool_forward() when the CPU and the shapes allow. 0 or
 * -ENOMEM.
 */
static int plan_conv16(const struct cnn *net, struct cnn_plan *pl)
{
	uint32_t c = pl->block + 1, l;
	int relu = 0;

	if (c >= net->nlayers || net->layer[c].kind != CNN_CONV)
		return 0;
	for (l = c + 1; l < net->nlayers; l++) {
		if (net->layer[l].kind == CNN_RELU)
			relu = 1;
		else if (net->layer[l].kind != CNN_DROPOUT)
			break;
	}
	if (l + 1 >= net->nlayers || net->layer[l + 1].kind != CNN_FLATTEN ||
	    !conv16_supported(&net->layer[c], &net->layer[l]))
		return 0;
	pl->c16_wt = malloc((size_t)net->layer[c].in.c * net->layer[c].k *
			    net->layer[c].k * 16 * sizeof(float));
	pl->c16_bias = malloc(16 * sizeof(float));
	if (!pl->c16_wt || !pl->c16_bias)
		return -ENOMEM;
	conv16_repack(&net->layer[c], net->params, pl->c16_wt, pl->c16_bias);
	pl->c16 = c;
	pl->c16_pool = l;
	pl->c16_flat = l + 1;
	pl->c16_relu = relu;
	for (l = l + 2; l < net->nlayers; l++) {
		const struct cnn_layer *L = &net->layer[l];
		uint32_t op = (L->out.c + 15) & ~15u;

		if (L->kind != CNN_DENSE)
			continue;
		pl->dwt[l] = malloc((size_t)L->in.c * op * sizeof(float));
		pl->dbias[l] = malloc(op * sizeof(float));
		if (!pl->dwt[l] || !pl->dbias[l])
			return -ENOMEM;
		dense16_repack(L, net->params, pl->dwt[l], pl->dbias[l]);
	}
	return 0;
}

/*
 * The layers from @l0 at inference, the dense ones on dense16_forward()
 * with the ReLU that follows one folded in.
 */
static int infer_tail(const struct cnn *net, struct cnn_work *w, uint32_t l0,
		      uint32_t N)
{
	const struct cnn_plan *pl = net->plan;
	uint32_t l;
	int err;

	for (l = l0; l < net->nlayers; l++) {
		const struct cnn_layer *L = &net->layer[l], *R;
		int relu;

		if (L->kind != CNN_DENSE || !pl->dwt[l]) {
			err = layer_forward(net, w, l, N, 0);
			if (err)
				return err;
			continue;
		}
		relu = l + 1 < net->nlayers && net->layer[l + 1].kind == CNN_RELU;
		R = relu ? &net->layer[l + 1] : L;	/* where the output goes */
		if (GROW(w->act[R->buf], w->act_cap[R->buf],
			 shape_size(&L->out) * N))
			return -ENOMEM;
		dense16_forward(L, pl->dwt[l], pl->dbias[l],
				layer_input(net, w, l), N, w->act[R->buf], relu);
		l += relu;
	}
	return 0;
}

int cnn_prepare(struct cnn *net)
{
	struct cnn_plan *pl;
	const float *x;
	uint32_t l, *arg = NULL;
	float *col = NULL;

	plan_free(net->plan);
	net->plan = NULL;
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	/* The leading conv / ReLU / dropout / max-pool layers, from a conv. */
	for (l = 0; l < net->nlayers; l++) {
		enum cnn_kind k = net->layer[l].kind;

		if (k != CNN_CONV && k != CNN_RELU && k != CNN_DROPOUT &&
		    k != CNN_MAXPOOL)
			break;
		if (k == CNN_CONV && net->layer[l].in.c > 256)
			break;
	}
	pl->nprefix = net->layer[0].kind == CNN_CONV ? l : 0;
	pl->zero = calloc(shape_size(&net->input) + 1, sizeof(float));
	if (!pl->zero)
		goto err_nomem;
	pl->maxpos = (size_t)net->input.h * net->input.w;
	x = pl->zero;		/* all zero: C x H x W reads the same */
	for (l = 0; l < pl->nprefix; l++) {
		const struct cnn_layer *L = &net->layer[l];
		size_t count = shape_size(&L->out), i, hw;
		float *y = malloc(count * sizeof(float) + 1);

		if (!y)
			goto err_nomem;
		pl->base_chw[l] = y;
		if ((size_t)L->out.h * L->out.w > pl->maxpos)
			pl->maxpos = (size_t)L->out.h * L->out.w;
		switch (L->kind) {
		case CNN_CONV:
			pl->wt[l] = malloc(L->nw * sizeof(float) + 1);
			if (!pl->wt[l])
				goto err_nomem;
			conv_repack(L, net->params, pl->wt[l]);
			if (!l) {
				/* Zero input, zero padding: the bias. */
				hw = (size_t)L->out.h * L->out.w;
				for (i = 0; i < count; i++)
					y[i] = net->params[L->boff + i / hw];
				break;
			}
			col = malloc(conv_col_floats(L) * sizeof(float) + 1);
			if (!col)
				goto err_nomem;
			conv_forward(L, net->params, x, 1, y, col, 1, 0);
			free(col);
			col = NULL;
			break;
		case CNN_MAXPOOL:
			arg = malloc(count * sizeof(*arg) + 1);
			if (!arg)
				goto err_nomem;
			pool_forward(L, x, 1, y, arg, 0);
			free(arg);
			arg = NULL;
			break;
		case CNN_RELU:
			relu_forward(x, y, count);
			break;
		default:
			memcpy(y, x, count * sizeof(float));
		}
		pl->base[l] = to_hwc(y, &L->out);
		if (!pl->base[l])
			goto err_nomem;
		x = y;
	}
	/* The first block, for pictures whose cells reach most outputs. */
	if (pl->nprefix && net->layer[0].out.c <= 256) {
		for (l = 1; l < pl->nprefix; l++) {
			enum cnn_kind k = net->layer[l].kind;

			if (k == CNN_RELU && !pl->block_relu)
				pl->block_relu = 1;
			else if (k == CNN_MAXPOOL)
				break;
			else if (k != CNN_DROPOUT)
				l = pl->nprefix;
		}
		if (l < pl->nprefix && net->layer[0].out.c <= CONV_POOL_OP_MAX - 3) {
			const struct cnn_layer *L0 = &net->layer[0];
			uint32_t op = conv_pool_stride(L0->out.c);

			pl->block = l;
			pl->wtp = malloc((size_t)L0->in.c * L0->k * L0->k * op *
					 sizeof(float));
			pl->biasp = malloc(op * sizeof(float));
			if (!pl->wtp || !pl->biasp)
				goto err_nomem;
			conv_pool_repack(L0, net->params, pl->wtp, pl->biasp);
		} else {
			pl->block_relu = 0;
		}
	}
	if (pl->block && plan_conv16(net, pl))
		goto err_nomem;
	net->plan = pl;
	return 0;

err_nomem:
	free(col);
	free(arg);
	plan_free(pl);
	return -ENOMEM;
}

/* Work of the dense path for one image through conv layer @L. */
static double conv_dense_cost(const struct cnn_layer *L)
{
	double macs = (double)conv_col_floats(L) * L->out.c;

	/* sgemm does a multiply-add several times faster than scattering */
	return macs / 6.0 + (double)conv_col_floats(L);
}

static int delta_from_picture(const struct cnn *net, const struct cnn_plan *pl,
			      const struct picture *p, float scale,
			      struct cnn_delta *d, int32_t *map)
{
	size_t hw = (size_t)net->input.h * net->input.w;
	uint32_t i, C = net->input.c;
	int err;

	err = cnn_delta_reserve(d, p->ncells, C);
	if (err)
		return err;
	d->n = 0;
	for (i = 0; i < p->ncells; i++) {
		uint32_t idx = p->cells[i].index;
		uint32_t s = cnn_delta_slot(d, map, (uint32_t)(idx % hw),
					    pl->zero);

		d->val[(size_t)s * C + idx / hw] =
			(float)p->cells[i].count * scale;
	}
	cnn_delta_unmap(d, map);
	return 0;
}

static int delta_step(const struct cnn *net, const struct cnn_plan *pl,
		      uint32_t l, const struct cnn_delta *din,
		      struct cnn_delta *dout, int32_t *map_a, int32_t *map_b)
{
	const struct cnn_layer *L = &net->layer[l];
	const float *base_in = l ? pl->base[l - 1] : pl->zero;
	int err;

	switch (L->kind) {
	case CNN_CONV:
		return conv_delta(L, pl->wt[l], base_in, pl->base[l], din,
				  dout, map_a);
	case CNN_MAXPOOL:
		return pool_delta(L, base_in, pl->base[l], din, dout, map_a,
				  map_b);
	default:
		err = cnn_delta_reserve(dout, din->n, din->c);
		if (err)
			return err;
		dout->n = din->n;
		memcpy(dout->pos, din->pos, din->n * sizeof(*din->pos));
		memcpy(dout->val, din->val,
		       (size_t)din->n * din->c * sizeof(*din->val));
		if (L->kind == CNN_RELU)
			relu_delta(dout);
		return 0;
	}
}

/* The first conv-pool block from the pictures, the rest dense. */
static int infer_block(const struct cnn *net, struct cnn_work *w,
		       const struct cnn_input *in)
{
	const struct cnn_plan *pl = net->plan;
	const struct cnn_layer *C = &net->layer[0], *P = &net->layer[pl->block];
	uint32_t N = in->n;

	if (check_pictures(net, in))
		return -EINVAL;
	if (GROW(w->act[P->buf], w->act_cap[P->buf], shape_size(&P->out) * N) ||
	    GROW(w->scratch, w->scratch_cap, (size_t)C->out.h * C->out.w *
		 conv_pool_stride(C->out.c)))
		return -ENOMEM;
	conv_pool_sparse(C, P, pl->block_relu, pl->wtp, pl->biasp, in->pics,
			 in->scale, N, w->scratch, w->act[P->buf]);
	w->n = N;
	w->sparse_in = 0;
	w->block_in = 0;
	w->fwd_training = 0;
	if (pl->c16) {
		const struct cnn_layer *F = &net->layer[pl->c16_flat];

		if (GROW(w->act[F->buf], w->act_cap[F->buf],
			 shape_size(&F->out) * N))
			return -ENOMEM;
		conv16_pool_forward(&net->layer[pl->c16],
				    &net->layer[pl->c16_pool], pl->c16_relu,
				    pl->c16_wt, pl->c16_bias, w->act[P->buf], N,
				    w->act[F->buf]);
		w->stats.conv16 += N;
		return infer_tail(net, w, pl->c16_flat + 1, N);
	}
	return forward_from(net, w, pl->block + 1, N, 0);
}

/*
 * Dense images at inference: the layers before the planned second block
 * as cnn_forward() runs them, then that block and the dense layers as
 * infer_block() does.
 */
static int infer_dense_c16(const struct cnn *net, struct cnn_work *w,
			   const struct cnn_input *in)
{
	const struct cnn_plan *pl = net->plan;
	const struct cnn_layer *F = &net->layer[pl->c16_flat];
	uint32_t N = in->n, l;
	int err;

	w->n = N;
	w->sparse_in = 0;
	w->block_in = 0;
	w->fwd_training = 0;
	if (stage_input(net, w, in))
		return -ENOMEM;
	for (l = 0; l < pl->c16; l++) {
		err = layer_forward(net, w, l, N, 0);
		if (err)
			return err;
	}
	if (GROW(w->act[F->buf], w->act_cap[F->buf], shape_size(&F->out) * N))
		return -ENOMEM;
	conv16_pool_forward(&net->layer[pl->c16], &net->layer[pl->c16_pool],
			    pl->c16_relu, pl->c16_wt, pl->c16_bias,
			    layer_input(net, w, pl->c16), N, w->act[F->buf]);
	w->stats.conv16 += N;
	return infer_tail(net, w, pl->c16_flat + 1, N);
}

/*
 * The dense path, in chunks of images whose activations stay in cache: a
 * batch's passes over memory cost more than its multiply-adds.
 */
static int infer_dense(const struct cnn *net, struct cnn_work *w,
		       const struct cnn_input *in, float *probs)
{
	const struct cnn_layer *last = &net->layer[net->nlayers - 1];
	size_t most = shape_size(&net->input), out = shape_size(&last->out);
	uint32_t l, n0, chunk;
	int err;

	for (l = 0; l < net->nlayers; l++)
		if (shape_size(&net->layer[l].out) > most)
			most = shape_size(&net->layer[l].out);
	chunk = (uint32_t)(CNN_CACHE_BUDGET / (most * sizeof(float)));
	if (chunk < 1)
		chunk = 1;
	for (n0 = 0; n0 < in->n; n0 += chunk) {
		struct cnn_input sub = *in;

		sub.n = in->n - n0 < chunk ? in->n - n0 : chunk;
		if (in->pics)
			sub.pics = in->pics + n0;
		else
			sub.dense = in->dense + shape_size(&net->input) * n0;
		if (in->pics && net->plan && net->plan->block) {
			err = infer_block(net, w, &sub);
			w->stats.block += sub.n;
		} else if (!in->pics && net->plan && net->plan->c16) {
			err = infer_dense_c16(net, w, &sub);
			w->stats.dense += sub.n;
		} else {
			err = cnn_forward(net, w, &sub, 0);
			w->stats.dense += sub.n;
		}
		if (err)
			return err;
		memcpy(probs + out * n0, w->act[last->buf],
		       out * sub.n * sizeof(float));
	}
	return 0;
}

int cnn_infer(const struct cnn *net, struct cnn_work *w,
	      const struct cnn_input *in, float *probs)
{
	const struct cnn_plan *pl = net->plan;
	uint32_t N = in->n, l, j, c, i;
	const struct cnn_layer *last = &net->layer[net->nlayers - 1];
	struct cnn_delta *cur, *nxt, *t;
	int err;

	if (!in->pics || !pl || !pl->nprefix)
		return infer_dense(net, w, in, probs);
	if (!N || check_pictures(net, in))
		return -EINVAL;
	/*
	 * Differences pay while the first layer's output stays mostly
	 * untouched (a 1500x1500 picture); a small picture whose cells reach
	 * most outputs goes straight to the dense path.
	 */
	{
		const struct cnn_layer *L0 = &net->layer[0];
		double cover = (double)((L0->k + L0->stride - 1) / L0->stride);
		double cells = 0;

		for (j = 0; j < N; j++)
			cells += in->pics[j]->ncells;
		if (cells * cover * cover >
		    0.25 * N * (double)L0->out.h * L0->out.w)
			return infer_dense(net, w, in, probs);
	}
	if (N > w->ndelta) {
		struct cnn_delta *a = realloc(w->da, N * sizeof(*a));
		struct cnn_delta *b;

		if (!a)
			return -ENOMEM;
		w->da = a;
		b = realloc(w->db, N * sizeof(*b));
		if (!b)
			return -ENOMEM;
		w->db = b;
		memset(w->da + w->ndelta, 0, (N - w->ndelta) * sizeof(*a));
		memset(w->db + w->ndelta, 0, (N - w->ndelta) * sizeof(*b));
		w->ndelta = N;
	}
	if (pl->maxpos > w->map_cap) {
		free(w->map_a);
		free(w->map_b);
		w->map_a = malloc(pl->maxpos * sizeof(int32_t));
		w->map_b = malloc(pl->maxpos * sizeof(int32_t));
		w->map_cap = 0;
		if (!w->map_a || !w->map_b)
			return -ENOMEM;
		memset(w->map_a, 0xff, pl->maxpos * sizeof(int32_t));
		memset(w->map_b, 0xff, pl->maxpos * sizeof(int32_t));
		w->map_cap = pl->maxpos;
	}
	cur = w->da;
	nxt = w->db;
	for (j = 0; j < N; j++) {
		err = delta_from_picture(net, pl, in->pics[j], in->scale,
					 &cur[j], w->map_a);
		if (err)
			return err;
	}
	for (l = 0; l < pl->nprefix; l++) {
		const struct cnn_layer *L = &net->layer[l];

		if (L->kind == CNN_CONV && l) {
			double sparse = 0;

			for (j = 0; j < N; j++)
				sparse += conv_delta_cost(L, &cur[j]);
			if (sparse > conv_dense_cost(L) * N)
				break;
		}
		for (j = 0; j < N; j++) {
			err = delta_step(net, pl, l, &cur[j], &nxt[j],
					 w->map_a, w->map_b);
			if (err)
				return err;
		}
		t = cur;
		cur = nxt;
		nxt = t;
	}
	/* Dense from here: the base plus each image's differences, CNHW. */
	{
		const struct cnn_layer *P = &net->layer[l - 1];
		size_t hw = (size_t)P->out.h * P->out.w;
		float *dst;

		if (GROW(w->act[P->buf], w->act_cap[P->buf],
			 shape_size(&P->out) * N))
			return -ENOMEM;
		dst = w->act[P->buf];
		for (c = 0; c < P->out.c; c++)
			for (j = 0; j < N; j++) {
				float *plane = dst + ((size_t)c * N + j) * hw;
				const struct cnn_delta *d = &cur[j];

				memcpy(plane, pl->base_chw[l - 1] + c * hw,
				       hw * sizeof(float));
				for (i = 0; i < d->n; i++)
					plane[d->pos[i]] =
						d->val[(size_t)i * d->c + c];
			}
	}
	w->n = N;
	w->sparse_in = 0;
	w->block_in = 0;
	w->fwd_training = 0;
	w->stats.delta += N;
	w->stats.delta_layers[l < CNN_LAYERS_MAX ? l : 0] += N;
	err = forward_from(net, w, l, N, 0);
	if (err)
		return err;
	memcpy(probs, w->act[last->buf],
	       shape_size(&last->out) * N * sizeof(float));
	return 0;
}
