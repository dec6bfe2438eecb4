// SPDX-License-Identifier: GPL-2.0
/*
 * The first block of a FlowPic network - convolution, ReLU, max-pool -
 * run straight from a sparse picture in training. A 1500x1500 picture of a
 * few hundred cells changes a few thousand of the convolution's 90,000
 * output positions; every other position holds its bias, the same in
 * every picture. So the block keeps only the changed ("dirty") positions,
 * writes the pool's output (a quarter of the size) for the next layer, and
 * back-propagates through the dirty positions alone: the clean ones add
 * to the bias gradient only, as one sum per channel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"

static int reserve_pool(struct block_image *b, uint32_t n, uint32_t O)
{
	if (n > b->pool_cap) {
		uint32_t *pos = realloc(b->pool_pos, (size_t)n * sizeof(*pos));
		int32_t *arg;

		if (!pos)
			return -ENOMEM;
		b->pool_pos = pos;
		arg = realloc(b->pool_arg, (size_t)n * O * sizeof(*arg));
		if (!arg)
			return -ENOMEM;
		b->pool_arg = arg;
		b->pool_cap = n;
		b->arg_o = O;
	} else if (O > b->arg_o) {
		int32_t *arg = realloc(b->pool_arg,
				       (size_t)b->pool_cap * O * sizeof(*arg));

		if (!arg)
			return -ENOMEM;
		b->pool_arg = arg;
		b->arg_o = O;
	}
	return 0;
}

void block_image_free(struct block_image *b)
{
	cnn_delta_free(&b->conv);
	free(b->pool_pos);
	free(b->pool_arg);
	memset(b, 0, sizeof(*b));
}

/* Cell index to channel, row, column. */
static inline void where(uint32_t index, uint32_t h, uint32_t w, uint32_t *ch,
			 uint32_t *y, uint32_t *x)
{
	uint32_t hw = h * w, rem = index % hw;

	*ch = index / hw;
	*y = rem / w;
	*x = rem % w;
}

int block_forward_train(const struct cnn_layer *conv,
			const struct cnn_layer *pool, int relu,
			const float *wt, const float *bias,
			const struct picture *const *pics, float scale,
			uint32_t n, struct block_image *img, int32_t *map_conv,
			int32_t *map_pool, float *out)
{
	uint32_t H = conv->in.h, W = conv->in.w, K = conv->k, S = conv->stride;
	uint32_t P = conv->pad, OH = conv->out.h, OW = conv->out.w;
	uint32_t O = conv->out.c, PK = pool->k, PH = pool->out.h;
	uint32_t PW = pool->out.w, cover = (K + S - 1) / S;
	size_t plane = (size_t)PH * PW, i;
	uint32_t j, o, ch, y, x, ylo, yhi, xlo, xhi, oy, ox;
	float clean[256];
	int err;

	if (O > 256)
		return -EINVAL;
	/* What a clean position holds: bias, through the ReLU. */
	for (o = 0; o < O; o++)
		clean[o] = relu && bias[o] < 0 ? 0.0f : bias[o];
	for (o = 0; o < O; o++) {
		float *p = out + (size_t)o * n * plane;

		for (i = 0; i < n * plane; i++)
			p[i] = clean[o];
	}
	for (j = 0; j < n; j++) {
		const struct picture *pic = pics[j];
		struct block_image *b = &img[j];
		struct cnn_delta *d = &b->conv;
		size_t most = (size_t)pic->ncells * cover * cover;

		if (most > (size_t)OH * OW)
			most = (size_t)OH * OW;
		err = cnn_delta_reserve(d, (uint32_t)most, O);
		if (err)
			return err;
		d->n = 0;
		for (i = 0; i < pic->ncells; i++) {
			float v;

			where(pic->cells[i].index, H, W, &ch, &y, &x);
			if (!conv_cover(y, K, S, P, OH, &ylo, &yhi) ||
			    !conv_cover(x, K, S, P, OW, &xlo, &xhi))
				continue;
			v = (float)pic->cells[i].count * scale;
			for (oy = ylo; oy <= yhi; oy++)
				for (ox = xlo; ox <= xhi; ox++) {
					uint32_t p = oy * OW + ox, s;
					const float *wk = wt + ((size_t)(ch * K + y + P - oy * S) *
								K + x + P - ox * S) * O;
					float *acc;

					if (map_conv[p] < 0) {
						s = d->n++;
						map_conv[p] = (int32_t)s;
						d->pos[s] = p;
						memcpy(d->val + (size_t)s * O, bias,
						       O * sizeof(float));
					}
					acc = d->val + (size_t)map_conv[p] * O;
					for (o = 0; o < O; o++)
						acc[o] += wk[o] * v;
				}
		}
		if (relu)
			relu_delta(d);

		/* Pool cells with a dirty position: max, and where it came from. */
		err = reserve_pool(b, d->n < plane ? d->n : (uint32_t)plane, O);
		if (err)
			return err;
		b->npool = 0;
		for (i = 0; i < d->n; i++) {
			uint32_t p = d->pos[i], py = p / OW / PK, px = p % OW / PK;
			uint32_t cell = py * PW + px, a, c2;
			int32_t *arg;
			float m[256];
			int first = 1;

			if (py >= PH || px >= PW || map_pool[cell] >= 0)
				continue;
			map_pool[cell] = (int32_t)b->npool;
			b->pool_pos[b->npool] = cell;
			arg = b->pool_arg + (size_t)b->npool * O;
			b->npool++;
			for (a = 0; a < PK; a++)
				for (c2 = 0; c2 < PK; c2++) {
					uint32_t q = (py * PK + a) * OW + px * PK + c2;
					int32_t s = map_conv[q];
					const float *v = s >= 0 ?
						d->val + (size_t)s * O : clean;

					/* the first maximum, as PyTorch */
					for (o = 0; o < O; o++)
						if (first || v[o] > m[o]) {
							m[o] = v[o];
							arg[o] = s;
						}
					first = 0;
				}
			for (o = 0; o < O; o++)
				out[((size_t)o * n + j) * plane + cell] = m[o];
		}
		for (i = 0; i < b->npool; i++)
			map_pool[b->pool_pos[i]] = -1;
		cnn_delta_unmap(d, map_conv);
	}
	return 0;
}

void block_backward_train(const struct cnn_layer *conv,
			  const struct cnn_layer *pool, int relu,
			  const float *bias, float *grads,
			  const struct picture *const *pics, float scale,
			  uint32_t n, const struct block_image *img,
			  const float *dpool, int32_t *map_conv, float *dconv)
{
	uint32_t H = conv->in.h, W = conv->in.w, K = conv->k, S = conv->stride;
	uint32_t P = conv->pad, OH = conv->out.h, OW = conv->out.w;
	uint32_t O = conv->out.c, C = conv->in.c;
	size_t plane = (size_t)pool->out.h * pool->out.w, kk = (size_t)K * K, i;
	float *dw = grads + conv->woff, *db = grads + conv->boff;
	uint32_t j, o, ch, y, x, ylo, yhi, xlo, xhi, oy, ox;
	double clean_sum[256] = { 0 };

	for (j = 0; j < n; j++) {
		const struct block_image *b = &img[j];
		const struct cnn_delta *d = &b->conv;
		const struct picture *pic = pics[j];

		/* Every pool cell's gradient goes to a clean position ... */
		for (o = 0; o < O; o++)
			clean_sum[o] += sum_floats(dpool + ((size_t)o * n + j) *
						   plane, plane);
		/* ... except where the maximum was a dirty one. */
		memset(dconv, 0, (size_t)d->n * O * sizeof(*dconv));
		for (i = 0; i < b->npool; i++) {
			const int32_t *arg = b->pool_arg + i * O;

			for (o = 0; o < O; o++) {
				float g = dpool[((size_t)o * n + j) * plane +
						b->pool_pos[i]];

				if (arg[o] < 0)
					continue;
				clean_sum[o] -= g;
				/* ReLU: only where the output is positive */
				if (!relu || d->val[(size_t)arg[o] * O + o] > 0)
					dconv[(size_t)arg[o] * O + o] += g;
			}
		}
		for (i = 0; i < d->n; i++) {
			map_conv[d->pos[i]] = (int32_t)i;
			for (o = 0; o < O; o++)
				db[o] += dconv[i * O + o];
		}
		/* dW: each cell against the dirty outputs it reached. */
		for (i = 0; i < pic->ncells; i++) {
			float v;

			where(pic->cells[i].index, H, W, &ch, &y, &x);
			if (!conv_cover(y, K, S, P, OH, &ylo, &yhi) ||
			    !conv_cover(x, K, S, P, OW, &xlo, &xhi))
				continue;
			v = (float)pic->cells[i].count * scale;
			for (oy = ylo; oy <= yhi; oy++)
				for (ox = xlo; ox <= xhi; ox++) {
					const float *g = dconv +
						(size_t)map_conv[oy * OW + ox] * O;
					size_t k = (size_t)(y + P - oy * S) * K +
						   x + P - ox * S;

					for (o = 0; o < O; o++)
						dw[((size_t)o * C + ch) * kk + k] +=
							g[o] * v;
				}
		}
		cnn_delta_unmap(d, map_conv);
	}
	/* A clean position holds the bias: its gradient, if the ReLU passes. */
	for (o = 0; o < O; o++)
		if (!relu || bias[o] > 0)
			db[o] += (float)clean_sum[o];
}
