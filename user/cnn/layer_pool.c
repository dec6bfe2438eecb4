// SPDX-License-Identifier: GPL-2.0
/*
 * Max-pooling, window = stride = k, no padding, rows and columns that do
 * not fill a window dropped (PyTorch's floor mode). Ties keep the first
 * maximum in row-major order, as PyTorch does, so gradients agree.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "cnn/layer.h"

static inline float max2(float a, float b)
{
	return a > b ? a : b;	/* maxss; fmaxf's NaN rules cost a call */
}

/* Inference: no argmax, and the ReLU before it folded in (they commute). */
static void pool_forward_fast(const struct cnn_layer *L, const float *in,
			      uint32_t n, float *out, int relu)
{
	uint32_t H = L->in.h, W = L->in.w, K = L->k, OH = L->out.h;
	uint32_t OW = L->out.w, oy, ox, y, x;
	size_t planes = (size_t)L->in.c * n, pl;
	float floor = relu ? 0.0f : -INFINITY;

	for (pl = 0; pl < planes; pl++) {
		const float *src = in + pl * H * W;
		float *dst = out + pl * OH * OW;

		if (K == 2) {
			for (oy = 0; oy < OH; oy++) {
				const float *r0 = src + (size_t)2 * oy * W;
				const float *r1 = r0 + W;
				float *d = dst + (size_t)oy * OW;

				for (ox = 0; ox < OW; ox++) {
					float a = max2(r0[2 * ox], r0[2 * ox + 1]);
					float b = max2(r1[2 * ox], r1[2 * ox + 1]);

					d[ox] = max2(max2(a, b), floor);
				}
			}
			continue;
		}
		for (oy = 0; oy < OH; oy++)
			for (ox = 0; ox < OW; ox++) {
				float m = floor;

				for (y = oy * K; y < oy * K + K; y++)
					for (x = ox * K; x < ox * K + K; x++)
						m = max2(m, src[y * W + x]);
				dst[oy * OW + ox] = m;
			}
	}
}

void pool_forward(const struct cnn_layer *L, const float *in, uint32_t n,
		  float *out, uint32_t *arg, int relu)
{
	uint32_t H = L->in.h, W = L->in.w, K = L->k, OH = L->out.h;
	uint32_t OW = L->out.w, oy, ox, y, x;
	size_t planes = (size_t)L->in.c * n, pl;

	if (!arg) {
		pool_forward_fast(L, in, n, out, relu);
		return;
	}
	for (pl = 0; pl < planes; pl++) {
		const float *src = in + pl * H * W;
		float *dst = out + pl * OH * OW;
		uint32_t *a = arg + pl * OH * OW;

		if (K == 2) {
			for (oy = 0; oy < OH; oy++)
				for (ox = 0; ox < OW; ox++) {
					uint32_t q = 2 * oy * W + 2 * ox, best = q;
					float m = src[q];

					/* first maximum in row-major order */
					if (src[q + 1] > m) {
						m = src[q + 1];
						best = q + 1;
					}
					if (src[q + W] > m) {
						m = src[q + W];
						best = q + W;
					}
					if (src[q + W + 1] > m) {
						m = src[q + W + 1];
						best = q + W + 1;
					}
					dst[oy * OW + ox] = m;
					a[oy * OW + ox] = best;
				}
			continue;
		}
		for (oy = 0; oy < OH; oy++)
			for (ox = 0; ox < OW; ox++) {
				uint32_t best = oy * K * W + ox * K;
				float m = src[best];

				for (y = oy * K; y < oy * K + K; y++)
					for (x = ox * K; x < ox * K + K; x++)
						if (src[y * W + x] > m) {
							m = src[y * W + x];
							best = y * W + x;
						}
				dst[oy * OW + ox] = m;
				a[oy * OW + ox] = best;
			}
	}
}

void pool_backward(const struct cnn_layer *L, const float *dout,
		   const uint32_t *arg, float *din, uint32_t n,
		   const float *y, const float *const *masks, int nmasks)
{
	size_t planes = (size_t)L->in.c * n, pl, i, a;
	size_t ihw = (size_t)L->in.h * L->in.w, ohw = (size_t)L->out.h * L->out.w;
	int k;

	memset(din, 0, sizeof(*din) * planes * ihw);
	for (pl = 0; pl < planes; pl++)
		for (i = 0; i < ohw; i++) {
			float g = dout[pl * ohw + i];

			a = pl * ihw + arg[pl * ohw + i];
			for (k = 0; k < nmasks; k++)
				g *= masks[k][a];
			if (y && !(y[a] > 0.0f))
				g = 0.0f;
			din[a] += g;
		}
}

int pool_delta(const struct cnn_layer *L, const float *base_in,
	       const float *base_out, const struct cnn_delta *din,
	       struct cnn_delta *dout, int32_t *map_in, int32_t *map_out)
{
	uint32_t C = L->in.c, W = L->in.w, K = L->k, OH = L->out.h;
	uint32_t OW = L->out.w, i, c, y, x;
	int err;

	err = cnn_delta_reserve(dout, din->n < OH * OW ? din->n : OH * OW, C);
	if (err)
		return err;
	dout->n = 0;
	for (i = 0; i < din->n; i++)
		map_in[din->pos[i]] = (int32_t)i;
	for (i = 0; i < din->n; i++) {
		uint32_t p = din->pos[i], oy = p / W / K, ox = p % W / K, op, s;
		float *m;
		int first = 1;

		if (oy >= OH || ox >= OW)
			continue;
		op = oy * OW + ox;
		if (map_out[op] >= 0)
			continue;
		s = cnn_delta_slot(dout, map_out, op, base_out);
		m = dout->val + (size_t)s * C;
		for (y = oy * K; y < oy * K + K; y++)
			for (x = ox * K; x < ox * K + K; x++) {
				uint32_t q = y * W + x;
				const float *v = map_in[q] >= 0 ?
					din->val + (size_t)map_in[q] * C :
					base_in + (size_t)q * C;

				if (first) {
					memcpy(m, v, C * sizeof(*m));
					first = 0;
					continue;
				}
				for (c = 0; c + 4 <= C; c += 4)
					st4(m + c, max4(ld4(v + c), ld4(m + c)));
				for (; c < C; c++)
					if (v[c] > m[c])
						m[c] = v[c];
			}
	}
	for (i = 0; i < din->n; i++)
		map_in[din->pos[i]] = -1;
	cnn_delta_unmap(dout, map_out);
	return 0;
}
