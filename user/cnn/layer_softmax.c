// SPDX-License-Identifier: GPL-2.0
/*
 * Softmax over each row. Training fuses it with the cross-entropy loss
 * (the gradient of both is p - y), so softmax_backward() serves networks
 * that end elsewhere and the gradient checks.
 */
#include <math.h>

#include "cnn/layer.h"

void softmax_forward(const float *in, float *out, uint32_t n, uint32_t k)
{
	uint32_t i, j;

	for (i = 0; i < n; i++) {
		const float *x = in + (size_t)i * k;
		float *y = out + (size_t)i * k, m = x[0], s = 0;

		for (j = 1; j < k; j++)
			if (x[j] > m)
				m = x[j];
		for (j = 0; j < k; j++) {
			y[j] = expf(x[j] - m);
			s += y[j];
		}
		for (j = 0; j < k; j++)
			y[j] /= s;
	}
}

void softmax_backward(const float *out, const float *dout, float *din,
		      uint32_t n, uint32_t k)
{
	uint32_t i, j;

	for (i = 0; i < n; i++) {
		const float *p = out + (size_t)i * k, *dy = dout + (size_t)i * k;
		float *dx = din + (size_t)i * k, dot = 0;

		for (j = 0; j < k; j++)
			dot += dy[j] * p[j];
		for (j = 0; j < k; j++)
			dx[j] = p[j] * (dy[j] - dot);
	}
}
