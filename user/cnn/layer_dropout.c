// SPDX-License-Identifier: GPL-2.0
/*
 * Dropout, in training only: each element is kept with probability
 * 1 - rate and scaled by 1 / (1 - rate) (inverted dropout, as PyTorch), so
 * inference is the identity and never reaches this file.
 */
#include "cnn/layer.h"

void dropout_forward(const struct cnn_layer *L, const float *in, float *out,
		     size_t count, float *mask, struct rng *rng)
{
	float keep = 1.0f - L->rate, scale = keep > 0 ? 1.0f / keep : 0.0f;
	/* four 16-bit draws per 64 random bits; keep to 1/65536 */
	uint32_t t = (uint32_t)(keep * 65536.0f + 0.5f);
	uint64_t r = 0;
	size_t i;

	for (i = 0; i < count; i++) {
		if (!(i & 3))
			r = rng_next(rng);
		mask[i] = (uint32_t)(r & 0xffff) < t ? scale : 0.0f;
		r >>= 16;
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
