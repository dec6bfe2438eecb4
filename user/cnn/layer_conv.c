// SPDX-License-Identifier: GPL-2.0
/*
 * 2-D convolution: square kernel, stride, zero padding, bias.
 *
 * Dense batches go through im2col and one sgemm per chunk of images (the
 * column matrix of a 1500x1500 picture is large, so chunks bound it).
 * A first layer fed with sparse pictures scatters each non-zero cell into
 * the few outputs whose window covers it instead: a busy 1500x1500 FlowPic
 * has a few thousand cells out of 2.25 million.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "cnn/layer.h"

size_t conv_col_floats(const struct cnn_layer *L)
{
	return (size_t)L->in.c * L->k * L->k * L->out.h * L->out.w;
}

/* Output columns [lo, hi] whose input column ox*S - P + kx is inside. */
static int conv_valid(uint32_t kx, uint32_t s, uint32_t pad, uint32_t in,
		      uint32_t out, uint32_t *lo, uint32_t *hi)
{
	int64_t a = (int64_t)pad - kx, b = (int64_t)in - 1 + pad - kx;

	if (b < 0)
		return 0;
	a = a <= 0 ? 0 : (a + s - 1) / s;
	b /= s;
	if (b > (int64_t)out - 1)
		b = (int64_t)out - 1;
	if (a > b)
		return 0;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 1;
}

/*
 * Copies a short row: im2col's rows are often 10 or 28 floats, where a
 * memcpy call costs more than the copy.
 */
static inline void copy_row(float *d, const float *s, uint32_t n)
{
	for (; n >= 4; n -= 4, d += 4, s += 4)
		memcpy(d, s, 4 * sizeof(*d));	/* one 16-byte move */
	switch (n) {
	case 3:
		d[2] = s[2];
		/* fall through */
	case 2:
		d[1] = s[1];
		/* fall through */
	case 1:
		d[0] = s[0];
	}
}

/*
 * Column matrix of images [n0, n0 + nc) of a CNHW batch of @n: row
 * (c, ky, kx), column (image, oy, ox).
 */
static void im2col(const struct cnn_layer *L, const float *in, uint32_t n,
		   uint32_t n0, uint32_t nc, float *col)
{
	uint32_t C = L->in.c, H = L->in.h, W = L->in.w, K = L->k;
	uint32_t S = L->stride, P = L->pad, OH = L->out.h, OW = L->out.w;
	size_t ohw = (size_t)OH * OW, np = nc * ohw;
	uint32_t c, ky, kx, j, oy, ox, lo = 0, hi = 0;

	if (S == 1 && !P) {
		/* LeNet's convs: every window inside, rows copied as they are */
		for (c = 0; c < C; c++)
			for (j = 0; j < nc; j++) {
				const float *src = in + ((size_t)c * n + n0 + j) * H * W;

				for (ky = 0; ky < K; ky++)
					for (kx = 0; kx < K; kx++) {
						float *d = col + ((size_t)(c * K + ky) * K + kx) *
							   np + j * ohw;
						const float *s = src + (size_t)ky * W + kx;

						for (oy = 0; oy < OH; oy++, d += OW, s += W)
							copy_row(d, s, OW);
					}
			}
		return;
	}
	for (c = 0; c < C; c++)
		for (ky = 0; ky < K; ky++)
			for (kx = 0; kx < K; kx++) {
				float *row = col + ((size_t)(c * K + ky) * K + kx) * np;
				int has = conv_valid(kx, S, P, W, OW, &lo, &hi);

				for (j = 0; j < nc; j++) {
					const float *src = in + ((size_t)c * n + n0 + j) * H * W;
					float *dst = row + j * ohw;

					for (oy = 0; oy < OH; oy++) {
						int64_t iy = (int64_t)oy * S - P + ky;
						float *d = dst + (size_t)oy * OW;
						const float *s;

						if (iy < 0 || iy >= H || !has) {
							memset(d, 0, OW * sizeof(*d));
							continue;
						}
						s = src + (size_t)iy * W + kx - P;
						for (ox = 0; ox < lo; ox++)
							d[ox] = 0;
						if (S == 1)
							copy_row(d + lo, s + lo, hi - lo + 1);
						else
							for (ox = lo; ox <= hi; ox++)
								d[ox] = s[(size_t)ox * S];
						for (ox = hi + 1; ox < OW; ox++)
							d[ox] = 0;
					}
				}
			}
}

/* Adds a column matrix back into the CNHW gradient it came from. */
static void col2im(const struct cnn_layer *L, const float *col, uint32_t n,
		   uint32_t n0, uint32_t nc, float *din)
{
	uint32_t C = L->in.c, H = L->in.h, W = L->in.w, K = L->k;
	uint32_t S = L->stride, P = L->pad, OH = L->out.h, OW = L->out.w;
	size_t ohw = (size_t)OH * OW, np = nc * ohw;
	uint32_t c, ky, kx, j, oy, ox, lo = 0, hi = 0;

	for (c = 0; c < C; c++)
		for (ky = 0; ky < K; ky++)
			for (kx = 0; kx < K; kx++) {
				const float *row = col + ((size_t)(c * K + ky) * K + kx) * np;

				if (!conv_valid(kx, S, P, W, OW, &lo, &hi))
					continue;
				for (j = 0; j < nc; j++) {
					float *dst = din + ((size_t)c * n + n0 + j) * H * W;
					const float *src = row + j * ohw;

					for (oy = 0; oy < OH; oy++) {
						int64_t iy = (int64_t)oy * S - P + ky;
						const float *s = src + (size_t)oy * OW;
						float *d;

						if (iy < 0 || iy >= H)
							continue;
						d = dst + (size_t)iy * W + kx - P;
						if (S == 1) {
							for (ox = lo; ox + 4 <= hi + 1; ox += 4)
								st4(d + ox, ld4(d + ox) +
									    ld4(s + ox));
							for (; ox <= hi; ox++)
								d[ox] += s[ox];
						} else
							for (ox = lo; ox <= hi; ox++)
								d[(size_t)ox * S] += s[ox];
					}
				}
			}
}

void conv_forward(const struct cnn_layer *L, const float *params,
		  const float *in, uint32_t n, float *out, float *col,
		  uint32_t chunk, int keep)
{
	const float *w = params + L->woff, *b = params + L->boff;
	uint32_t O = L->out.c, ckk = L->in.c * L->k * L->k, n0, nc, o;
	size_t ohw = (size_t)L->out.h * L->out.w, ldo = n * ohw, i;
	size_t per = conv_col_floats(L);

	for (n0 = 0; n0 < n; n0 += nc) {
		nc = n - n0 < chunk ? n - n0 : chunk;
		if (keep && n0)
			col += per * chunk;	/* each chunk's stays for backward */
		im2col(L, in, n, n0, nc, col);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)O,
			    (int)(nc * ohw), (int)ckk, 1.0f, w, (int)ckk, col,
			    (int)(nc * ohw), 0.0f, out + n0 * ohw, (int)ldo);
	}
	for (o = 0; o < O; o++) {
		float *p = out + o * ldo, bo = b[o];

		for (i = 0; i < ldo; i++)
			p[i] += bo;
	}
}

void conv_backward(const struct cnn_layer *L, const float *params,
		   float *grads, const float *in, const float *dout,
		   float *din, uint32_t n, float *col, uint32_t chunk,
		   int kept)
{
	size_t per = conv_col_floats(L);
	const float *w = params + L->woff;
	float *dw = grads + L->woff, *db = grads + L->boff;
	uint32_t O = L->out.c, ckk = L->in.c * L->k * L->k, n0, nc, o;
	size_t ohw = (size_t)L->out.h * L->out.w, ldo = n * ohw;

	for (o = 0; o < O; o++)
		db[o] += sum_floats(dout + o * ldo, ldo);
	if (din)
		memset(din, 0, sizeof(*din) * L->in.c * n * L->in.h * L->in.w);
	for (n0 = 0; n0 < n; n0 += nc) {
		int np;

		nc = n - n0 < chunk ? n - n0 : chunk;
		np = (int)(nc * ohw);
		if (kept && n0)
			col += per * chunk;
		if (!kept)
			im2col(L, in, n, n0, nc, col);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)O,
			    (int)ckk, np, 1.0f, dout + n0 * ohw, (int)ldo, col,
			    np, 1.0f, dw, (int)ckk);
		if (!din)
			continue;
		/* The column buffer is free again: reuse it for dcol. */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ckk,
			    np, (int)O, 1.0f, w, (int)ckk, dout + n0 * ohw,
			    (int)ldo, 0.0f, col, np);
		col2im(L, col, n, n0, nc, din);
	}
}

/* Splits a picture cell index into channel, row and column. */
static inline void cell_where(uint32_t index, uint32_t h, uint32_t w,
			      uint32_t *ch, uint32_t *y, uint32_t *x)
{
	uint32_t hw = h * w, rem = index % hw;

	*ch = index / hw;
	*y = rem / w;
	*x = rem % w;
}

void conv_forward_sparse(const struct cnn_layer *L, const float *params,
			 const struct picture *const *pics, float scale,
			 uint32_t n, float *out)
{
	const float *w = params + L->woff, *b = params + L->boff;
	uint32_t C = L->in.c, H = L->in.h, W = L->in.w, K = L->k;
	uint32_t S = L->stride, P = L->pad, OW = L->out.w, O = L->out.c;
	size_t ohw = (size_t)L->out.h * OW, ldo = n * ohw, kk = (size_t)K * K, i;
	uint32_t o, j, ch, y, x, ylo, yhi, xlo, xhi, oy, ox;

	for (o = 0; o < O; o++) {
		float *p = out + o * ldo, bo = b[o];

		for (i = 0; i < ldo; i++)
			p[i] = bo;
	}
	for (j = 0; j < n; j++) {
		const struct picture *pic = pics[j];

		for (i = 0; i < pic->ncells; i++) {
			float v;

			cell_where(pic->cells[i].index, H, W, &ch, &y, &x);
			if (!conv_cover(y, K, S, P, L->out.h, &ylo, &yhi) ||
			    !conv_cover(x, K, S, P, OW, &xlo, &xhi))
				continue;
			v = (float)pic->cells[i].count * scale;
			for (o = 0; o < O; o++) {
				const float *wk = w + ((size_t)o * C + ch) * kk +
						  (size_t)(y + P) * K + x + P;
				float *plane = out + o * ldo + j * ohw;

				for (oy = ylo; oy <= yhi; oy++) {
					const float *wr = wk - (size_t)oy * S * K;
					float *pr = plane + (size_t)oy * OW;

					for (ox = xlo; ox <= xhi; ox++)
						pr[ox] += wr[-(int64_t)(ox * S)] * v;
				}
			}
		}
	}
}

void conv_backward_sparse(const struct cnn_layer *L, float *grads,
			  const struct picture *const *pics, float scale,
			  const float *dout, uint32_t n)
{
	float *dw = grads + L->woff, *db = grads + L->boff;
	uint32_t C = L->in.c, H = L->in.h, W = L->in.w, K = L->k;
	uint32_t S = L->stride, P = L->pad, OW = L->out.w, O = L->out.c;
	size_t ohw = (size_t)L->out.h * OW, ldo = n * ohw, kk = (size_t)K * K, i;
	uint32_t o, j, ch, y, x, ylo, yhi, xlo, xhi, oy, ox;

	for (o = 0; o < O; o++)
		db[o] += sum_floats(dout + o * ldo, ldo);
	for (j = 0; j < n; j++) {
		const struct picture *pic = pics[j];

		for (i = 0; i < pic->ncells; i++) {
			float v;

			cell_where(pic->cells[i].index, H, W, &ch, &y, &x);
			if (!conv_cover(y, K, S, P, L->out.h, &ylo, &yhi) ||
			    !conv_cover(x, K, S, P, OW, &xlo, &xhi))
				continue;
			v = (float)pic->cells[i].count * scale;
			for (o = 0; o < O; o++) {
				float *wk = dw + ((size_t)o * C + ch) * kk +
					    (size_t)(y + P) * K + x + P;
				const float *plane = dout + o * ldo + j * ohw;

				for (oy = ylo; oy <= yhi; oy++) {
					float *wr = wk - (size_t)oy * S * K;
					const float *pr = plane + (size_t)oy * OW;

					for (ox = xlo; ox <= xhi; ox++)
						wr[-(int64_t)(ox * S)] += pr[ox] * v;
				}
			}
		}
	}
}

/*
 * conv_pool_sparse() for one picture. @OP, the channel stride of @wt,
 * @bias and @scratch, is a multiple of four, a constant where the caller
 * passes one: each position's channels go four at a time.
 */
static inline __attribute__((always_inline)) void
conv_pool_one(const struct cnn_layer *conv, const struct cnn_layer *pool,
	      const uint32_t OP, float floor, const float *restrict wt,
	      const float *restrict bias, const struct picture *pic,
	      float scale, float *restrict scratch, float *restrict out,
	      size_t ostride)
{
	uint32_t H = conv->in.h, W = conv->in.w, K = conv->k;
	uint32_t S = conv->stride, P = conv->pad, OH = conv->out.h;
	uint32_t OW = conv->out.w, PK = pool->k, O = conv->out.c;
	uint32_t PH = pool->out.h, PW = pool->out.w;
	size_t positions = (size_t)OH * OW, i;
	uint32_t o, ch, y, x, ylo, yhi, xlo, xhi, oy, ox, py, px, a, b;
	float m[CONV_POOL_OP_MAX];

	for (i = 0; i < positions; i++)
		for (o = 0; o < OP; o += 4)
			st4(scratch + i * OP + o, ld4(bias + o));
	for (i = 0; i < pic->ncells; i++) {
		v4f v;

		cell_where(pic->cells[i].index, H, W, &ch, &y, &x);
		if (!conv_cover(y, K, S, P, OH, &ylo, &yhi) ||
		    !conv_cover(x, K, S, P, OW, &xlo, &xhi))
			continue;
		v = (v4f){ 1, 1, 1, 1 } * ((float)pic->cells[i].count * scale);
		for (oy = ylo; oy <= yhi; oy++) {
			const float *wr = wt + ((size_t)(ch * K + y + P -
					  oy * S) * K + x + P) * OP;
			float *acc = scratch + ((size_t)oy * OW) * OP;

			for (ox = xlo; ox <= xhi; ox++) {
				const float *wk = wr - (size_t)ox * S * OP;
				float *ac = acc + (size_t)ox * OP;

				for (o = 0; o < OP; o += 4)
					st4(ac + o, ld4(ac + o) + ld4(wk + o) * v);
			}
		}
	}
	for (py = 0; py < PH; py++)
		for (px = 0; px < PW; px++) {
			v4f mv[CONV_POOL_OP_MAX / 4];

			for (o = 0; o < OP / 4; o++)
				mv[o] = (v4f){ floor, floor, floor, floor };
			for (a = 0; a < PK; a++)
				for (b = 0; b < PK; b++) {
					const float *v = scratch +
						((size_t)(py * PK + a) * OW +
						 px * PK + b) * OP;

					for (o = 0; o < OP / 4; o++)
						mv[o] = max4(ld4(v + 4 * o), mv[o]);
				}
			memcpy(m, mv, OP * sizeof(float));
			for (o = 0; o < O; o++)
				out[o * ostride + (size_t)py * PW + px] = m[o];
		}
}

uint32_t conv_pool_stride(uint32_t O)
{
	return (O + 3) & ~3u;
}

void conv_pool_repack(const struct cnn_layer *L, const float *params,
		      float *wtp, float *biasp)
{
	uint32_t O = L->out.c, OP = conv_pool_stride(O), C = L->in.c;
	uint32_t kk = L->k * L->k, o, c, i;
	const float *w = params + L->woff;

	memset(wtp, 0, (size_t)C * kk * OP * sizeof(float));
	memset(biasp, 0, OP * sizeof(float));
	for (o = 0; o < O; o++) {
		biasp[o] = params[L->boff + o];
		for (c = 0; c < C; c++)
			for (i = 0; i < kk; i++)
				wtp[((size_t)c * kk + i) * OP + o] =
					w[((size_t)o * C + c) * kk + i];
	}
}

void conv_pool_sparse(const struct cnn_layer *conv, const struct cnn_layer *pool,
		      int relu, const float *wtp, const float *biasp,
		      const struct picture *const *pics, float scale,
		      uint32_t n, float *scratch, float *out)
{
	size_t plane = (size_t)pool->out.h * pool->out.w;
	float floor = relu ? 0.0f : -INFINITY;
	uint32_t j, OP = conv_pool_stride(conv->out.c);

	if (OP == 8 && conv_pool8_supported()) {
		conv_pool8_sparse(conv, pool, relu, wtp, biasp, pics, scale, n,
				  scratch, out);
		return;
	}
	for (j = 0; j < n; j++) {
		float *o = out + (size_t)j * plane;

		/* the shipped networks' first layers: 6 and 10 filters */
		if (OP == 8)
			conv_pool_one(conv, pool, 8, floor, wtp, biasp, pics[j],
				      scale, scratch, o, n * plane);
		else if (OP == 12)
			conv_pool_one(conv, pool, 12, floor, wtp, biasp, pics[j],
				      scale, scratch, o, n * plane);
		else
			conv_pool_one(conv, pool, OP, floor, wtp, biasp, pics[j],
				      scale, scratch, o, n * plane);
	}
}

void conv_repack(const struct cnn_layer *L, const float *params, float *wt)
{
	const float *w = params + L->woff;
	uint32_t O = L->out.c, C = L->in.c, kk = L->k * L->k, o, c, i;

	for (o = 0; o < O; o++)
		for (c = 0; c < C; c++)
			for (i = 0; i < kk; i++)
				wt[((size_t)c * kk + i) * O + o] =
					w[((size_t)o * C + c) * kk + i];
}

double conv_delta_cost(const struct cnn_layer *L, const struct cnn_delta *din)
{
	double cover = (double)((L->k + L->stride - 1) / L->stride);

	return (double)din->n * cover * cover * L->in.c * L->out.c;
}

int conv_delta(const struct cnn_layer *L, const float *wt,
	       const float *base_in, const float *base_out,
	       const struct cnn_delta *din, struct cnn_delta *dout,
	       int32_t *map)
{
	uint32_t C = L->in.c, W = L->in.w, K = L->k, S = L->stride;
	uint32_t P = L->pad, OW = L->out.w, O = L->out.c;
	uint32_t cover = (K + S - 1) / S, i, c, o, nnz, oy, ox;
	uint32_t ylo, yhi, xlo, xhi;
	size_t most = (size_t)din->n * cover * cover;
	uint32_t nzc[256];
	float dc[256];
	int err;

	if (C > 256)
		return -EINVAL;
	if (most > (size_t)L->out.h * OW)
		most = (size_t)L->out.h * OW;
	err = cnn_delta_reserve(dout, (uint32_t)most, O);
	if (err)
		return err;
	dout->n = 0;
	for (i = 0; i < din->n; i++) {
		uint32_t p = din->pos[i], iy = p / W, ix = p % W;
		const float *v = din->val + (size_t)i * C;
		const float *bv = base_in + (size_t)p * C;

		for (c = 0, nnz = 0; c < C; c++) {
			dc[nnz] = v[c] - bv[c];
			nzc[nnz] = c;
			nnz += dc[nnz] != 0.0f;
		}
		if (!nnz || !conv_cover(iy, K, S, P, L->out.h, &ylo, &yhi) ||
		    !conv_cover(ix, K, S, P, OW, &xlo, &xhi))
			continue;
		for (oy = ylo; oy <= yhi; oy++)
			for (ox = xlo; ox <= xhi; ox++) {
				uint32_t ky = iy + P - oy * S, kx = ix + P - ox * S;
				uint32_t s = cnn_delta_slot(dout, map, oy * OW + ox,
							    base_out);
				float *acc = dout->val + (size_t)s * O;

				for (c = 0; c < nnz; c++) {
					const float *wr = wt +
						((size_t)(nzc[c] * K + ky) * K + kx) * O;
					float d = dc[c];

					v4f dv = (v4f){ 1, 1, 1, 1 } * d;

					for (o = 0; o + 4 <= O; o += 4)
						st4(acc + o, ld4(acc + o) +
							     ld4(wr + o) * dv);
					for (; o < O; o++)
						acc[o] += wr[o] * d;
				}
			}
	}
	cnn_delta_unmap(dout, map);
	return 0;
}
