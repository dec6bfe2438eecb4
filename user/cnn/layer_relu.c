// SPDX-License-Identifier: GPL-2.0
/* ReLU; works in place, and its gradient needs only the output's sign. */
#include "cnn/layer.h"

void relu_forward(const float *in, float *out, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void relu_backward(const float *out, const float *dout, float *din,
		   size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

void relu_delta(struct cnn_delta *d)
{
	size_t i, count = (size_t)d->n * d->c;

	for (i = 0; i < count; i++)
		if (d->val[i] < 0.0f)
			d->val[i] = 0.0f;
}
