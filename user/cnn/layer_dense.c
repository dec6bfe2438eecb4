// SPDX-License-Identifier: GPL-2.0
/*
 * Dense (fully connected) layers, and the flatten that feeds them: CNHW
 * planes become one row of C*H*W per image, in PyTorch's C, H, W order so
 * that dense weights keep PyTorch's [out][in] layout.
 */
#include <string.h>

#include <cblas.h>

#include "cnn/layer.h"

void flatten_forward(const struct cnn_layer *L, const float *in, uint32_t n,
		     float *out)
{
	size_t hw = (size_t)L->in.h * L->in.w, d = L->in.c * hw;
	uint32_t c, j;

	for (c = 0; c < L->in.c; c++)
		for (j = 0; j < n; j++)
			memcpy(out + j * d + c * hw, in + ((size_t)c * n + j) * hw,
			       hw * sizeof(*out));
}

void flatten_backward(const struct cnn_layer *L, const float *dout,
		      uint32_t n, float *din)
{
	size_t hw = (size_t)L->in.h * L->in.w, d = L->in.c * hw;
	uint32_t c, j;

	for (c = 0; c < L->in.c; c++)
		for (j = 0; j < n; j++)
			memcpy(din + ((size_t)c * n + j) * hw, dout + j * d + c * hw,
			       hw * sizeof(*din));
}

void dense_forward(const struct cnn_layer *L, const float *params,
		   const float *in, uint32_t n, float *out)
{
	const float *w = params + L->woff, *b = params + L->boff;
	uint32_t D = L->in.c, O = L->out.c, j;

	if (n == 1) {
		memcpy(out, b, O * sizeof(*out));
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)O, (int)D, 1.0f,
			    w, (int)D, in, 1, 1.0f, out, 1);
		return;
	}
	for (j = 0; j < n; j++)
		memcpy(out + (size_t)j * O, b, O * sizeof(*out));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)O,
		    (int)D, 1.0f, in, (int)D, w, (int)D, 1.0f, out, (int)O);
}

void dense_backward(const struct cnn_layer *L, const float *params,
		    float *grads, const float *in, const float *dout,
		    float *din, uint32_t n)
{
	const float *w = params + L->woff;
	float *dw = grads + L->woff, *db = grads + L->boff;
	uint32_t D = L->in.c, O = L->out.c, j, o;

	for (j = 0; j < n; j++)
		for (o = 0; o < O; o++)
			db[o] += dout[(size_t)j * O + o];
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)O, (int)D,
		    (int)n, 1.0f, dout, (int)O, in, (int)D, 1.0f, dw, (int)D);
	if (din)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n,
			    (int)D, (int)O, 1.0f, dout, (int)O, w, (int)D, 0.0f,
			    din, (int)D);
}
