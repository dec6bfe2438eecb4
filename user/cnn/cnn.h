/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowpic's convolutional network: a list of layers (convolution, max-pool,
 * ReLU, dropout, flatten, dense, softmax) built from a text description,
 * run on OpenBLAS.
 *
 * Activations between layers are float32 in C x N x H x W order ("CNHW":
 * channel planes of the whole batch side by side), so that one im2col and
 * one sgemm cover a whole batch; dense layers take N x D rows. For a batch
 * of one this is the usual C x H x W.
 *
 * Parameters live in one block, in the layer order and in PyTorch's layouts
 * (conv weight O x C x K x K then bias O; dense weight O x D then bias O),
 * which is also how model files store them.
 *
 * Three ways in:
 *  - cnn_forward(): the training path, batched. Sparse pictures enter the
 *    first conv [ReLU] max-pool block straight from their cells (the
 *    conv's output is never stored: layer_block.c); the rest is dense.
 *  - cnn_backward(): gradients of the parameters (and of a dense input);
 *  - cnn_infer(): inference on sparse pictures. An empty picture's
 *    activations are computed once (cnn_prepare()); a large picture then
 *    only changes the positions its cells reach, so the first layers run
 *    on those differences alone until dense work becomes cheaper; a small
 *    one goes through the first block in a cache-resident scratch.
 */
#ifndef _FLOWPIC_USER_CNN_H
#define _FLOWPIC_USER_CNN_H

#include <stddef.h>
#include <stdint.h>

#include "flow/picture.h"

#define CNN_LAYERS_MAX		32
#define CNN_NAME_MAX		32
#define CNN_TEXT_MAX		2048	/* a layer list as text */

enum cnn_kind {
	CNN_CONV,
	CNN_MAXPOOL,
	CNN_RELU,
	CNN_DROPOUT,
	CNN_FLATTEN,
	CNN_DENSE,
	CNN_SOFTMAX,
};

struct cnn_shape {
	uint32_t c, h, w;
};

struct cnn_layer {
	enum cnn_kind kind;
	struct cnn_shape in, out;
	uint32_t k;		/* conv kernel side; max-pool window side */
	uint32_t stride;	/* conv stride; max-pool: = k */
	uint32_t pad;		/* conv zero padding on every side */
	float rate;		/* dropout probability */
	size_t woff, nw;	/* weights in the parameter block */
	size_t boff, nb;	/* bias in the parameter block */
	int buf;		/* activation buffer written (workspace) */
};

struct cnn_plan;

struct cnn {
	char name[CNN_NAME_MAX];	/* "mini", "full" or "custom" */
	struct cnn_shape input;
	uint32_t classes;		/* outputs of the last layer */
	uint32_t nlayers;
	struct cnn_layer layer[CNN_LAYERS_MAX];
	size_t nparams;
	float *params;
	int nbufs;			/* distinct activation buffers */
	struct cnn_plan *plan;		/* cnn_prepare(), for cnn_infer() */
};

/*
 * The shipped architectures as layer lists: "mini" (LeNet-5, for 32x32 or
 * 64x64 FlowPics) and "full" (the FlowPic paper's network, 1500x1500).
 * Writes the text into @buf; -EINVAL for an unknown name.
 */
int cnn_arch_text(const char *name, uint32_t channels, uint32_t n,
		  uint32_t classes, char *buf, size_t len);

/*
 * Builds @net from a layer list:
 *
 *	input C H W
 *	conv OUT K [stride S] [pad P]
 *	maxpool K
 *	relu
 *	dropout P
 *	flatten
 *	dense OUT
 *	softmax
 *
 * one per line, '#' starts a comment. Shapes are checked as the list is
 * read. Parameters are allocated and zero. 0, or -EINVAL with a sentence
 * naming the line in @err, or -ENOMEM.
 */
int cnn_parse(struct cnn *net, const char *name, const char *text,
	      char *err, size_t errlen);
/* The canonical text of @net's layer list (every field spelled out). */
int cnn_text(const struct cnn *net, char *buf, size_t len);
void cnn_free(struct cnn *net);
/* PyTorch's default initialisation, from @seed. */
void cnn_init_params(struct cnn *net, uint64_t seed);
/* Copies parameters between two nets of one layer list. */
void cnn_copy_params(struct cnn *dst, const struct cnn *src);
const char *cnn_kind_name(enum cnn_kind k);

/* A batch: dense images (N x C x H x W floats) or sparse pictures. */
struct cnn_input {
	uint32_t n;
	const float *dense;
	const struct picture *const *pics;
	float scale;		/* picture count -> input value */
};

struct cnn_work;

/*
 * A workspace: buffers for activations, gradients, dropout masks, grown
 * to what each batch needs (@max_batch and @training are the caller's
 * intent, not limits). One per thread. NULL when out of memory.
 */
struct cnn_work *cnn_work_new(const struct cnn *net, uint32_t max_batch,
			      int training);
void cnn_work_free(struct cnn_work *w);
/* Seeds the dropout masks' generator. */
void cnn_work_seed(struct cnn_work *w, uint64_t seed);

/*
 * Runs the batch through every layer; @training applies dropout. The last
 * layer's output (N x classes) is at cnn_output(net, w, nlayers - 1).
 * 0, or -EINVAL when the batch does not fit the net (picture geometry,
 * batch size).
 */
int cnn_forward(const struct cnn *net, struct cnn_work *w,
		const struct cnn_input *in, int training);
/* Output of layer @l after the last forward (CNHW, or N x D). */
const float *cnn_output(const struct cnn *net, const struct cnn_work *w,
			uint32_t l);
/*
 * Back-propagates @dtop, the gradient of the loss with respect to layer
 * @top's output, down to the input, adding parameter gradients into
 * @grads (nparams floats). @dinput (N x C x H x W), if not NULL, gets the
 * input's gradient; a sparse input has none. Call after cnn_forward()
 * with the same batch.
 */
int cnn_backward(const struct cnn *net, struct cnn_work *w,
		 const struct cnn_input *in, uint32_t top, const float *dtop,
		 float *grads, float *dinput);

/*
 * Precomputes what cnn_infer() needs from the current parameters; call
 * again after they change. 0 or -ENOMEM.
 */
int cnn_prepare(struct cnn *net);
/*
 * Class probabilities (N x classes) into @probs for a batch; sparse
 * pictures take the fast path when cnn_prepare() was called. Gives the
 * outputs of cnn_forward() without dropout, to float rounding.
 */
int cnn_infer(const struct cnn *net, struct cnn_work *w,
	      const struct cnn_input *in, float *probs);

/* Images cnn_infer() sent down each path, for tests and benchmarks. */
struct cnn_infer_stats {
	uint64_t delta;		/* differences, then dense from layer l: */
	uint64_t delta_layers[CNN_LAYERS_MAX];
	uint64_t block;		/* first conv-pool block from the cells */
	uint64_t conv16;	/* of those, the next block on AVX-512 */
	uint64_t dense;		/* every layer dense */
	uint64_t train_block;	/* cnn_forward(): first block from the cells */
};

const struct cnn_infer_stats *cnn_work_stats(const struct cnn_work *w);

#endif /* _FLOWPIC_USER_CNN_H */
