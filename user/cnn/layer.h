/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The layers of user/cnn/cnn.h, one file each (layer_conv.c, layer_pool.c,
 * layer_dense.c, layer_relu.c, layer_dropout.c, layer_softmax.c), and the
 * first conv-pool block from sparse pictures (layer_block.c). Only
 * cnn.c calls them. Conv, pool, ReLU and dropout work on CNHW batches
 * (planes of H x W, channel-major over the batch); dense and softmax on
 * N x D rows.
 *
 * The "delta" forms run one picture through the first layers as a change
 * against the empty picture's activations ("base", stored H x W x C): only
 * positions a picture's cells reach are held, each with all its channels.
 */
#ifndef _FLOWPIC_USER_LAYER_H
#define _FLOWPIC_USER_LAYER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cnn/cnn.h"
#include "flow/picture.h"
#include "cnn/rng.h"

struct cnn_delta {
	uint32_t n;		/* positions held */
	uint32_t cap;		/* positions allocated */
	uint32_t c;		/* channels per position */
	uint32_t *pos;		/* y * W + x */
	float *val;		/* n x c, position-major */
	size_t vcap;		/* values allocated */
};

/* Makes room for @n positions of @c channels. 0 or -ENOMEM. */
int cnn_delta_reserve(struct cnn_delta *d, uint32_t n, uint32_t c);
void cnn_delta_free(struct cnn_delta *d);

/*
 * Slot of position @p in @d, added with @base's values if absent. @map
 * (one int32 per position, -1 when absent) indexes @d; the caller resets
 * it from d->pos afterwards. @d must have room.
 */
static inline uint32_t cnn_delta_slot(struct cnn_delta *d, int32_t *map,
				      uint32_t p, const float *base)
{
	uint32_t s, i;

	if (map[p] >= 0)
		return (uint32_t)map[p];
	s = d->n++;
	map[p] = (int32_t)s;
	d->pos[s] = p;
	for (i = 0; i < d->c; i++)
		d->val[(size_t)s * d->c + i] = base[(size_t)p * d->c + i];
	return s;
}

static inline void cnn_delta_unmap(const struct cnn_delta *d, int32_t *map)
{
	uint32_t i;

	for (i = 0; i < d->n; i++)
		map[d->pos[i]] = -1;
}

/* Four floats at a time, in the compiler's portable vector types. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4f ld4(const float *p)
{
	v4f v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void st4(float *p, v4f v)
{
	memcpy(p, &v, sizeof(v));
}

static inline v4f max4(v4f a, v4f b)
{
	v4i gt = a > b;

	return (v4f)(((v4i)a & gt) | ((v4i)b & ~gt));
}

/*
 * Sum of @n floats in eight running sums: the compiler keeps them in one
 * vector (a single running sum would be a chain of dependent adds).
 */
static inline float sum_floats(const float *p, size_t n)
{
	float a[8] = { 0 };
	size_t i, k;

	for (i = 0; i + 8 <= n; i += 8)
		for (k = 0; k < 8; k++)
			a[k] += p[i + k];
	for (; i < n; i++)
		a[0] += p[i];
	return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* Output rows/columns [lo, hi] of a conv whose window covers input @i. */
static inline int conv_cover(uint32_t i, uint32_t k, uint32_t s, uint32_t pad,
			     uint32_t out, uint32_t *lo, uint32_t *hi)
{
	int64_t a = (int64_t)i + pad - k + 1, b = (int64_t)i + pad;

	a = a <= 0 ? 0 : (a + s - 1) / s;
	b = b / s;
	if (b > (int64_t)out - 1)
		b = (int64_t)out - 1;
	if (a > b)
		return 0;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 1;
}

/* layer_conv.c */
size_t conv_col_floats(const struct cnn_layer *L);
/*
 * @col: room for @chunk images' column matrix, or with @keep for all @n,
 * left for conv_backward() to use again (@kept) instead of rebuilding it.
 */
void conv_forward(const struct cnn_layer *L, const float *params,
		  const float *in, uint32_t n, float *out, float *col,
		  uint32_t chunk, int keep);
void conv_backward(const struct cnn_layer *L, const float *params,
		   float *grads, const float *in, const float *dout,
		   float *din, uint32_t n, float *col, uint32_t chunk,
		   int kept);
void conv_forward_sparse(const struct cnn_layer *L, const float *params,
			 const struct picture *const *pics, float scale,
			 uint32_t n, float *out);
void conv_backward_sparse(const struct cnn_layer *L, float *grads,
			  const struct picture *const *pics, float scale,
			  const float *dout, uint32_t n);
/*
 * Inference on pictures through a first conv, an optional ReLU and a
 * max-pool, one image at a time in @scratch (out.h x out.w positions of
 * conv_pool_stride(O) floats, position-major so each cell's update runs
 * along the channels). @wtp and @biasp as conv_pool_repack() makes them.
 * Writes the pool's CNHW output.
 */
#define CONV_POOL_OP_MAX	256
uint32_t conv_pool_stride(uint32_t O);
void conv_pool_repack(const struct cnn_layer *L, const float *params,
		      float *wtp, float *biasp);
void conv_pool_sparse(const struct cnn_layer *conv, const struct cnn_layer *pool,
		      int relu, const float *wtp, const float *biasp,
		      const struct picture *const *pics, float scale,
		      uint32_t n, float *scratch, float *out);
/*
 * layer_conv16.c: inference through a conv of up to 16 filters (stride 1,
 * no padding, output rows of 10), an optional ReLU and a 2x2 max-pool,
 * on AVX-512 where the CPU has it (conv16_supported()). @in: the conv's
 * input, CNHW; @out: the flatten layer's N rows (C, H, W order). @wt and
 * @bias as conv16_repack() makes them: C x K x K x 16 and 16 floats.
 */
int conv16_supported(const struct cnn_layer *conv, const struct cnn_layer *pool);
void conv16_repack(const struct cnn_layer *L, const float *params, float *wt,
		   float *bias);
void conv16_pool_forward(const struct cnn_layer *conv,
			 const struct cnn_layer *pool, int relu,
			 const float *wt, const float *bias, const float *in,
			 uint32_t n, float *out);
/*
 * The same file: a dense layer at inference on AVX-512 (where
 * conv16_supported() says there is one), ReLU after it if @relu. @wt and
 * @bias as dense16_repack() makes them: D x OP and OP floats, OP = O
 * rounded up to 16.
 */
void dense16_repack(const struct cnn_layer *L, const float *params, float *wt,
		    float *bias);
void dense16_forward(const struct cnn_layer *L, const float *wt,
		     const float *bias, const float *in, uint32_t n, float *out,
		     int relu);
/* conv_pool_sparse() for conv_pool_stride(O) == 8, on AVX2 and FMA. */
int conv_pool8_supported(void);
void conv_pool8_sparse(const struct cnn_layer *conv,
		       const struct cnn_layer *pool, int relu, const float *wt,
		       const float *bias, const struct picture *const *pics,
		       float scale, uint32_t n, float *scratch, float *out);
/* Weights as C x K x K x O, for conv_delta(). */
void conv_repack(const struct cnn_layer *L, const float *params, float *wt);
/* Number of multiply-adds conv_delta() will do for @din. */
double conv_delta_cost(const struct cnn_layer *L, const struct cnn_delta *din);
int conv_delta(const struct cnn_layer *L, const float *wt,
	       const float *base_in, const float *base_out,
	       const struct cnn_delta *din, struct cnn_delta *dout,
	       int32_t *map);

/*
 * layer_block.c: the first conv, [ReLU], max-pool of a net, in training,
 * from sparse pictures. One block_image per picture keeps what backward
 * needs: the conv's dirty positions (values after the ReLU) and, per pool
 * cell they reach, which conv slot held each channel's maximum (-1: a
 * clean position).
 */
struct block_image {
	struct cnn_delta conv;
	uint32_t npool, pool_cap, arg_o;
	uint32_t *pool_pos;
	int32_t *pool_arg;	/* npool x O */
};

void block_image_free(struct block_image *b);
/* @out: the pool's output, CNHW; @wt as conv_repack(); maps all -1. */
int block_forward_train(const struct cnn_layer *conv,
			const struct cnn_layer *pool, int relu,
			const float *wt, const float *bias,
			const struct picture *const *pics, float scale,
			uint32_t n, struct block_image *img, int32_t *map_conv,
			int32_t *map_pool, float *out);
/*
 * Adds the conv's weight and bias gradients for @dpool, the gradient of
 * the pool's output (CNHW). @dconv: room for the most dirty positions of
 * an image times O floats.
 */
void block_backward_train(const struct cnn_layer *conv,
			  const struct cnn_layer *pool, int relu,
			  const float *bias, float *grads,
			  const struct picture *const *pics, float scale,
			  uint32_t n, const struct block_image *img,
			  const float *dpool, int32_t *map_conv, float *dconv);

/*
 * The same block when cells reach most conv outputs (small pictures):
 * every position computed per picture in @scratch (out.h x out.w x
 * conv_pool_stride(O) floats), pooled at once. @out: the pool's output,
 * CNHW; @arg: per image, pool cell and channel, the maximum's offset in
 * its window (window <= 16x16). @wtp, @biasp as conv_pool_repack().
 */
void block_dense_forward(const struct cnn_layer *conv,
			 const struct cnn_layer *pool, int relu,
			 const float *wtp, const float *biasp,
			 const struct picture *const *pics, float scale,
			 uint32_t n, float *scratch, float *out, uint8_t *arg);
/*
 * Adds the conv's gradients for @dpool (CNHW) given the forward's @pool_out
 * and @arg. @dwtp: C x K x K x conv_pool_stride(O) floats of room.
 */
void block_dense_backward(const struct cnn_layer *conv,
			  const struct cnn_layer *pool, int relu,
			  const struct picture *const *pics, float scale,
			  uint32_t n, const float *pool_out, const uint8_t *arg,
			  const float *dpool, float *scratch, float *dwtp,
			  float *grads);

/*
 * layer_pool.c. Without @arg (inference) the argmax is not kept and @relu
 * applies the ReLU that preceded the pooling after it instead.
 */
void pool_forward(const struct cnn_layer *L, const float *in, uint32_t n,
		  float *out, uint32_t *arg, int relu);
/*
 * Gradient to each window's maximum, through the ReLU and dropout layers
 * that worked in place on the pool's input: @y is that buffer (NULL: no
 * ReLU), @masks the dropouts' masks (@nmasks).
 */
void pool_backward(const struct cnn_layer *L, const float *dout,
		   const uint32_t *arg, float *din, uint32_t n,
		   const float *y, const float *const *masks, int nmasks);
int pool_delta(const struct cnn_layer *L, const float *base_in,
	       const float *base_out, const struct cnn_delta *din,
	       struct cnn_delta *dout, int32_t *map_in, int32_t *map_out);

/* layer_relu.c: in and out may be the same buffer. */
void relu_forward(const float *in, float *out, size_t count);
void relu_backward(const float *out, const float *dout, float *din,
		   size_t count);
void relu_delta(struct cnn_delta *d);

/* layer_dropout.c: @mask gets 0 or 1 / (1 - rate) per element. */
void dropout_forward(const struct cnn_layer *L, const float *in, float *out,
		     size_t count, float *mask, struct rng *rng);
void dropout_backward(const float *mask, const float *dout, float *din,
		      size_t count);

/* layer_dense.c */
void flatten_forward(const struct cnn_layer *L, const float *in, uint32_t n,
		     float *out);
void flatten_backward(const struct cnn_layer *L, const float *dout,
		      uint32_t n, float *din);
void dense_forward(const struct cnn_layer *L, const float *params,
		   const float *in, uint32_t n, float *out);
void dense_backward(const struct cnn_layer *L, const float *params,
		    float *grads, const float *in, const float *dout,
		    float *din, uint32_t n);

/* layer_softmax.c: rows of @k. */
void softmax_forward(const float *in, float *out, uint32_t n, uint32_t k);
void softmax_backward(const float *out, const float *dout, float *din,
		      uint32_t n, uint32_t k);

#endif /* _FLOWPIC_USER_LAYER_H */
