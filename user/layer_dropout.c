// SPDX-License-Identifier: GPL-2.0
/*
 * Dropout, in training only: each element is kept with probability
 * 1 - rate and scaled by 1 / (1 - rate) (inverted dropout, as PyTorch), so
 * inference is the identity and never reaches this file.
 */
#include "layer.h"

void dropout_forward(const struct cnn_layer *L, const float *in, float *out,
		     size_t count, float *mask, struct rng *rng)
{
	float keep = 1.0f - L->rate, scale = keep > 0 ? 1.0f / keep : 0.0f;
	size_t i;

	for (i = 0; i < count; i++) {
		mask[i] = rng_float(rng) < keep ? scale : 0.0f;
		out[i] = in[i] * mask[i];
	}
}

void dropout_backward(const float *mask, const float *dout, float *din,
		      size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		din[i] = dout[i] * mask[i];
}
