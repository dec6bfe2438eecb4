// SPDX-License-Identifier: GPL-2.0
/*
 * A conv, [ReLU], 2x2 max-pool block of up to 16 filters on AVX-512, for
 * inference: the second block of `mini` (16 filters of 5x5 over 6 planes
 * of 14x14, output rows of 10).
 *
 * The 16 filters are the 16 lanes of one register. Each output position
 * is a register of all its filters' sums, and a weight vector (one tap
 * (c, ky, kx) of every filter) is multiplied into two output rows at once
 * against one input value per position, broadcast from memory: 20
 * accumulators, 20 multiply-adds per weight load, no column matrix. The
 * pooled maxima go straight into the flatten layer's rows (PyTorch's
 * C, H, W order), so the dense layers read them as they are.
 *
 * A first conv of up to 8 filters from a picture's cells (AVX2 and FMA)
 * the same way: a position's filters are one register.
 *
 * The dense layers after it likewise: their weights stored input-major,
 * 16 outputs a register, up to 128 outputs in registers while one input
 * after the other is broadcast into them, a following ReLU applied on
 * the way out.
 */
#include <stdint.h>
#include <string.h>

#include "cnn/layer.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define C16_OW	10	/* output row width handled */

int conv16_supported(const struct cnn_layer *conv, const struct cnn_layer *pool)
{
	static int cpu = -1;

	if (cpu < 0) {
		__builtin_cpu_init();
		cpu = __builtin_cpu_supports("avx512f") ? 1 : 0;
	}
	return cpu && conv->kind == CNN_CONV && conv->stride == 1 &&
	       !conv->pad && conv->out.c <= 16 && conv->out.w == C16_OW &&
	       conv->out.h >= 2 && pool->kind == CNN_MAXPOOL && pool->k == 2 &&
	       pool->out.w == C16_OW / 2 && pool->out.h == conv->out.h / 2;
}

void conv16_repack(const struct cnn_layer *L, const float *params, float *wt,
		   float *bias)
{
	uint32_t O = L->out.c, C = L->in.c, kk = L->k * L->k, o, c, i;
	const float *w = params + L->woff;

	memset(wt, 0, (size_t)C * kk * 16 * sizeof(float));
	memset(bias, 0, 16 * sizeof(float));
	for (o = 0; o < O; o++) {
		bias[o] = params[L->boff + o];
		for (c = 0; c < C; c++)
			for (i = 0; i < kk; i++)
				wt[((size_t)c * kk + i) * 16 + o] =
					w[((size_t)o * C + c) * kk + i];
	}
}

#define ACC_ROW(r, a)							\
	do {								\
		a##0 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[0]), a##0);	\
		a##1 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[1]), a##1);	\
		a##2 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[2]), a##2);	\
		a##3 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[3]), a##3);	\
		a##4 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[4]), a##4);	\
		a##5 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[5]), a##5);	\
		a##6 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[6]), a##6);	\
		a##7 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[7]), a##7);	\
		a##8 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[8]), a##8);	\
		a##9 = _mm512_fmadd_ps(wv, _mm512_set1_ps(r[9]), a##9);	\
	} while (0)

/* The maximum of a 2x2 window, floored, into the flatten row's lanes. */
#define POOL_OUT(px, a0, a1, b0, b1)					\
	do {								\
		__m512 m = _mm512_max_ps(_mm512_max_ps(a0, a1),		\
					 _mm512_max_ps(b0, b1));	\
		_mm512_store_ps(tmp, _mm512_max_ps(m, fl));		\
		for (o = 0; o < O; o++)					\
			dst[(size_t)o * phw + (px)] = tmp[o];		\
	} while (0)

__attribute__((target("avx512f")))
void conv16_pool_forward(const struct cnn_layer *conv,
			 const struct cnn_layer *pool, int relu,
			 const float *wt, const float *bias, const float *in,
			 uint32_t n, float *out)
{
	uint32_t C = conv->in.c, H = conv->in.h, W = conv->in.w, K = conv->k;
	uint32_t O = conv->out.c, PH = pool->out.h, PW = pool->out.w;
	size_t hw = (size_t)H * W, cs = (size_t)n * hw, phw = (size_t)PH * PW;
	size_t d = (size_t)O * phw;
	__m512 b = _mm512_loadu_ps(bias);
	__m512 fl = _mm512_set1_ps(relu ? 0.0f : -__builtin_inff());
	float tmp[16] __attribute__((aligned(64)));
	uint32_t j, py, c, ky, kx, o;

	for (j = 0; j < n; j++) {
		const float *img = in + (size_t)j * hw;

		for (py = 0; py < PH; py++) {
			__m512 a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b;
			__m512 a6 = b, a7 = b, a8 = b, a9 = b;
			__m512 b0 = b, b1 = b, b2 = b, b3 = b, b4 = b, b5 = b;
			__m512 b6 = b, b7 = b, b8 = b, b9 = b;
			const float *w = wt;
			float *dst = out + (size_t)j * d + (size_t)py * PW;

			for (c = 0; c < C; c++) {
				const float *plane = img + c * cs;

				for (ky = 0; ky < K; ky++) {
					const float *r0 = plane +
						(size_t)(2 * py + ky) * W;
					const float *r1 = r0 + W;

					for (kx = 0; kx < K; kx++, w += 16) {
						__m512 wv = _mm512_loadu_ps(w);
						const float *s0 = r0 + kx;
						const float *s1 = r1 + kx;

						ACC_ROW(s0, a);
						ACC_ROW(s1, b);
					}
				}
			}
			POOL_OUT(0, a0, a1, b0, b1);
			POOL_OUT(1, a2, a3, b2, b3);
			POOL_OUT(2, a4, a5, b4, b5);
			POOL_OUT(3, a6, a7, b6, b7);
			POOL_OUT(4, a8, a9, b8, b9);
		}
	}
}

void dense16_repack(const struct cnn_layer *L, const float *params, float *wt,
		    float *bias)
{
	uint32_t O = L->out.c, D = L->in.c, OP = (O + 15) & ~15u, o, i;
	const float *w = params + L->woff;

	memset(wt, 0, (size_t)D * OP * sizeof(float));
	memset(bias, 0, OP * sizeof(float));
	for (o = 0; o < O; o++) {
		bias[o] = params[L->boff + o];
		for (i = 0; i < D; i++)
			wt[(size_t)i * OP + o] = w[(size_t)o * D + i];
	}
}

/* @NV registers of outputs [o0, o0 + 16 NV) of one row @x. */
static inline __attribute__((always_inline, target("avx512f"))) void
dense16_block(const float *x, uint32_t D, const float *wt, uint32_t OP,
	      const float *bias, float *y, uint32_t O, uint32_t o0,
	      const int NV, int relu)
{
	__m512 acc[8], z = _mm512_setzero_ps();
	uint32_t i, k;

	for (k = 0; k < (uint32_t)NV; k++)
		acc[k] = _mm512_loadu_ps(bias + o0 + 16 * k);
	for (i = 0; i < D; i++) {
		__m512 xv = _mm512_set1_ps(x[i]);
		const float *wr = wt + (size_t)i * OP + o0;

		for (k = 0; k < (uint32_t)NV; k++)
			acc[k] = _mm512_fmadd_ps(_mm512_loadu_ps(wr + 16 * k), xv,
						 acc[k]);
	}
	for (k = 0; k < (uint32_t)NV; k++) {
		uint32_t o = o0 + 16 * k, left = O - o;
		__mmask16 m = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);

		if (relu)
			acc[k] = _mm512_max_ps(acc[k], z);
		_mm512_mask_storeu_ps(y + o, m, acc[k]);
	}
}

__attribute__((target("avx512f")))
void dense16_forward(const struct cnn_layer *L, const float *wt,
		     const float *bias, const float *in, uint32_t n, float *out,
		     int relu)
{
	uint32_t D = L->in.c, O = L->out.c, OP = (O + 15) & ~15u, j, o0, nv;

	for (j = 0; j < n; j++) {
		const float *x = in + (size_t)j * D;
		float *y = out + (size_t)j * O;

		for (o0 = 0; o0 < O; o0 += 128) {
			nv = (O - o0 + 15) / 16;
			switch (nv > 8 ? 8 : nv) {
			case 1: dense16_block(x, D, wt, OP, bias, y, O, o0, 1, relu); break;
			case 2: dense16_block(x, D, wt, OP, bias, y, O, o0, 2, relu); break;
			case 3: dense16_block(x, D, wt, OP, bias, y, O, o0, 3, relu); break;
			case 4: dense16_block(x, D, wt, OP, bias, y, O, o0, 4, relu); break;
			case 5: dense16_block(x, D, wt, OP, bias, y, O, o0, 5, relu); break;
			case 6: dense16_block(x, D, wt, OP, bias, y, O, o0, 6, relu); break;
			case 7: dense16_block(x, D, wt, OP, bias, y, O, o0, 7, relu); break;
			default: dense16_block(x, D, wt, OP, bias, y, O, o0, 8, relu); break;
			}
		}
	}
}

int conv_pool8_supported(void)
{
	static int cpu = -1;

	if (cpu < 0) {
		__builtin_cpu_init();
		cpu = __builtin_cpu_supports("avx2") &&
		      __builtin_cpu_supports("fma") ? 1 : 0;
	}
	return cpu;
}

/*
 * conv_pool_sparse() for a first conv of 5 to 8 filters (padded to 8): a
 * position's filters are one 8-lane register.
 */
__attribute__((target("avx2,fma")))
void conv_pool8_sparse(const struct cnn_layer *conv,
		       const struct cnn_layer *pool, int relu, const float *wt,
		       const float *bias, const struct picture *const *pics,
		       float scale, uint32_t n, float *scratch, float *out)
{
	uint32_t H = conv->in.h, W = conv->in.w, K = conv->k, hw = H * W;
	uint32_t S = conv->stride, P = conv->pad, OH = conv->out.h;
	uint32_t OW = conv->out.w, PK = pool->k, O = conv->out.c;
	uint32_t PH = pool->out.h, PW = pool->out.w;
	size_t positions = (size_t)OH * OW, plane = (size_t)PH * PW, i;
	size_t ostride = n * plane;
	__m256 b = _mm256_loadu_ps(bias);
	__m256 fl = _mm256_set1_ps(relu ? 0.0f : -__builtin_inff());
	float m[8] __attribute__((aligned(32)));
	uint32_t j, o, ch, y, x, ylo, yhi, xlo, xhi, oy, ox, py, px, a, c;

	for (j = 0; j < n; j++) {
		const struct picture *pic = pics[j];
		float *dst = out + (size_t)j * plane;

		for (i = 0; i < positions; i++)
			_mm256_storeu_ps(scratch + i * 8, b);
		for (i = 0; i < pic->ncells; i++) {
			uint32_t idx = pic->cells[i].index, rem = idx % hw;
			__m256 v;

			ch = idx / hw;
			y = rem / W;
			x = rem % W;
			if (!conv_cover(y, K, S, P, OH, &ylo, &yhi) ||
			    !conv_cover(x, K, S, P, OW, &xlo, &xhi))
				continue;
			v = _mm256_set1_ps((float)pic->cells[i].count * scale);
			for (oy = ylo; oy <= yhi; oy++) {
				const float *wr = wt + ((size_t)(ch * K + y + P -
						  oy * S) * K + x + P) * 8;
				float *acc = scratch + (size_t)oy * OW * 8;

				for (ox = xlo; ox <= xhi; ox++) {
					float *ac = acc + (size_t)ox * 8;

					_mm256_storeu_ps(ac, _mm256_fmadd_ps(
						_mm256_loadu_ps(wr - (size_t)ox * S * 8),
						v, _mm256_loadu_ps(ac)));
				}
			}
		}
		for (py = 0; py < PH; py++)
			for (px = 0; px < PW; px++) {
				__m256 mv = fl;

				for (a = 0; a < PK; a++)
					for (c = 0; c < PK; c++)
						mv = _mm256_max_ps(_mm256_loadu_ps(
							scratch + ((size_t)(py * PK + a) *
							OW + px * PK + c) * 8), mv);
				_mm256_store_ps(m, mv);
				for (o = 0; o < O; o++)
					dst[o * ostride + (size_t)py * PW + px] = m[o];
			}
	}
}

#else

int conv_pool8_supported(void)
{
	return 0;
}

void conv_pool8_sparse(const struct cnn_layer *conv,
		       const struct cnn_layer *pool, int relu, const float *wt,
		       const float *bias, const struct picture *const *pics,
		       float scale, uint32_t n, float *scratch, float *out)
{
}

void dense16_repack(const struct cnn_layer *L, const float *params, float *wt,
		    float *bias)
{
}

void dense16_forward(const struct cnn_layer *L, const float *wt,
		     const float *bias, const float *in, uint32_t n, float *out,
		     int relu)
{
}

int conv16_supported(const struct cnn_layer *conv, const struct cnn_layer *pool)
{
	return 0;
}

void conv16_repack(const struct cnn_layer *L, const float *params, float *wt,
		   float *bias)
{
}

void conv16_pool_forward(const struct cnn_layer *conv,
			 const struct cnn_layer *pool, int relu,
			 const float *wt, const float *bias, const float *in,
			 uint32_t n, float *out)
{
}

#endif
