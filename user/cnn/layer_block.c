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

#include "cnn/layer.h"

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

/*
 * The same block when the cells reach most of the conv's outputs (a 32x32
 * picture): every position is computed, one picture at a time in a
 * position-major scratch (channels contiguous, four at a time), and
 * pooled at once. The conv's output is never stored: backward needs only
 * where each maximum was (@arg, its offset in the window) and whether it
 * passed the ReLU (the pool's output is positive).
 */
static inline __attribute__((always_inline)) void
dense_block_one(const struct cnn_layer *conv, const struct cnn_layer *pool,
		const uint32_t OP, int relu, const float *restrict wtp,
		const float *restrict biasp, const struct picture *pic,
		float scale, float *restrict scratch, float *restrict out,
		uint8_t *restrict arg, size_t ostride)
{
	uint32_t H = conv->in.h, W = conv->in.w, K = conv->k, S = conv->stride;
	uint32_t P = conv->pad, OH = conv->out.h, OW = conv->out.w;
	uint32_t O = conv->out.c, PK = pool->k, PH = pool->out.h;
	uint32_t PW = pool->out.w, o, ch, y, x, ylo, yhi, xlo, xhi, oy, ox;
	uint32_t py, px, a, b;
	size_t positions = (size_t)OH * OW, i, plane = (size_t)PH * PW;
	float m[CONV_POOL_OP_MAX];
	int32_t ai[CONV_POOL_OP_MAX];

	for (i = 0; i < positions; i++)
		for (o = 0; o < OP; o += 4)
			st4(scratch + i * OP + o, ld4(biasp + o));
	for (i = 0; i < pic->ncells; i++) {
		v4f v;

		where(pic->cells[i].index, H, W, &ch, &y, &x);
		if (!conv_cover(y, K, S, P, OH, &ylo, &yhi) ||
		    !conv_cover(x, K, S, P, OW, &xlo, &xhi))
			continue;
		v = (v4f){ 1, 1, 1, 1 } * ((float)pic->cells[i].count * scale);
		for (oy = ylo; oy <= yhi; oy++)
			for (ox = xlo; ox <= xhi; ox++) {
				const float *wk = wtp + ((size_t)(ch * K + y + P - oy * S) *
							 K + x + P - ox * S) * OP;
				float *ac = scratch + ((size_t)oy * OW + ox) * OP;

				for (o = 0; o < OP; o += 4)
					st4(ac + o, ld4(ac + o) + ld4(wk + o) * v);
			}
	}
	for (py = 0; py < PH; py++)
		for (px = 0; px < PW; px++) {
			size_t cell = (size_t)py * PW + px;

			for (a = 0; a < PK; a++)
				for (b = 0; b < PK; b++) {
					const float *v = scratch +
						((size_t)(py * PK + a) * OW +
						 px * PK + b) * OP;
					v4i idx = (v4i){ 1, 1, 1, 1 } *
						  (int32_t)(a * PK + b);

					for (o = 0; o < OP; o += 4) {
						v4f nv = ld4(v + o), mv;
						v4i gt, iv;

						if (!a && !b) {
							st4(m + o, nv);
							memcpy(ai + o, &idx, sizeof(idx));
							continue;
						}
						/* the first maximum, as PyTorch */
						mv = ld4(m + o);
						gt = nv > mv;
						memcpy(&iv, ai + o, sizeof(iv));
						iv = (idx & gt) | (iv & ~gt);
						memcpy(ai + o, &iv, sizeof(iv));
						st4(m + o, max4(nv, mv));
					}
				}
			for (o = 0; o < O; o++) {
				out[o * ostride + cell] = relu && m[o] < 0 ? 0.0f : m[o];
				arg[cell * O + o] = (uint8_t)ai[o];
			}
		}
	(void)plane;
}

void block_dense_forward(const struct cnn_layer *conv,
			 const struct cnn_layer *pool, int relu,
			 const float *wtp, const float *biasp,
			 const struct picture *const *pics, float scale,
			 uint32_t n, float *scratch, float *out, uint8_t *arg)
{
	size_t plane = (size_t)pool->out.h * pool->out.w;
	uint32_t j, OP = conv_pool_stride(conv->out.c), O = conv->out.c;

	for (j = 0; j < n; j++) {
		float *o = out + (size_t)j * plane;
		uint8_t *a = arg + (size_t)j * plane * O;

		if (OP == 8)
			dense_block_one(conv, pool, 8, relu, wtp, biasp, pics[j],
					scale, scratch, o, a, n * plane);
		else
			dense_block_one(conv, pool, OP, relu, wtp, biasp, pics[j],
					scale, scratch, o, a, n * plane);
	}
}

void block_dense_backward(const struct cnn_layer *conv,
			  const struct cnn_layer *pool, int relu,
			  const struct picture *const *pics, float scale,
			  uint32_t n, const float *pool_out, const uint8_t *arg,
			  const float *dpool, float *scratch, float *dwtp,
			  float *grads)
{
	uint32_t H = conv->in.h, W = conv->in.w, K = conv->k, S = conv->stride;
	uint32_t P = conv->pad, OH = conv->out.h, OW = conv->out.w;
	uint32_t O = conv->out.c, C = conv->in.c, OP = conv_pool_stride(O);
	uint32_t PK = pool->k, PW = pool->out.w, j, o, ch, y, x;
	uint32_t ylo, yhi, xlo, xhi, oy, ox;
	size_t plane = (size_t)pool->out.h * PW, positions = (size_t)OH * OW;
	size_t kk = (size_t)K * K, i, k;
	float *db = grads + conv->boff, *dw = grads + conv->woff;

	memset(dwtp, 0, (size_t)C * kk * OP * sizeof(float));
	for (j = 0; j < n; j++) {
		const struct picture *pic = pics[j];
		const uint8_t *a = arg + (size_t)j * plane * O;

		/* the pool's gradient to its maxima, where the ReLU let it by */
		memset(scratch, 0, positions * OP * sizeof(float));
		for (i = 0; i < plane; i++) {
			uint32_t py = (uint32_t)(i / PW), px = (uint32_t)(i % PW);

			for (o = 0; o < O; o++) {
				size_t at = ((size_t)o * n + j) * plane + i;
				uint32_t q = a[i * O + o];
				float g = dpool[at];

				if (relu && !(pool_out[at] > 0))
					continue;
				scratch[((size_t)(py * PK + q / PK) * OW +
					 px * PK + q % PK) * OP + o] += g;
				db[o] += g;
			}
		}
		for (i = 0; i < pic->ncells; i++) {
			v4f v;

			where(pic->cells[i].index, H, W, &ch, &y, &x);
			if (!conv_cover(y, K, S, P, OH, &ylo, &yhi) ||
			    !conv_cover(x, K, S, P, OW, &xlo, &xhi))
				continue;
			v = (v4f){ 1, 1, 1, 1 } * ((float)pic->cells[i].count * scale);
			for (oy = ylo; oy <= yhi; oy++)
				for (ox = xlo; ox <= xhi; ox++) {
					float *dk = dwtp + ((size_t)(ch * K + y + P - oy * S) *
							    K + x + P - ox * S) * OP;
					const float *g = scratch +
						((size_t)oy * OW + ox) * OP;

					for (o = 0; o < OP; o += 4)
						st4(dk + o, ld4(dk + o) + ld4(g + o) * v);
				}
		}
	}
	for (o = 0; o < O; o++)
		for (ch = 0; ch < C; ch++)
			for (k = 0; k < kk; k++)
				dw[((size_t)o * C + ch) * kk + k] +=
					dwtp[((size_t)ch * kk + k) * OP + o];
}
