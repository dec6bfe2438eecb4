/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Training a network of user/cnn/cnn.h on samples in memory: shuffled
 * mini-batches, Adam, cross-entropy with class weights, augmentations of
 * the packet series re-imaged on the fly, early stopping on the
 * validation loss with the best epoch's weights kept. Everything random
 * comes from the seed, so a run is reproduced exactly.
 */
#ifndef _FLOWPIC_USER_TRAIN_H
#define _FLOWPIC_USER_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset/augment.h"
#include "cnn/cnn.h"
#include "flow/picture.h"
#include "flow/window.h"

struct train_sample {
	const struct picture *pic;
	const struct window_series *series;	/* NULL: no augmentation */
	uint32_t label;
};

enum train_weighting {
	TRAIN_WEIGHTS_NONE,
	TRAIN_WEIGHTS_BALANCED,	/* n / (k * n_class), as scikit-learn */
};

struct train_config {
	uint32_t epochs;		/* at most (50) */
	uint32_t batch;			/* (64) */
	uint32_t patience;		/* epochs without a better val loss (5) */
	float lr, beta1, beta2, eps;	/* Adam (1e-3, 0.9, 0.999, 1e-8) */
	enum train_weighting weighting;	/* (none) */
	uint64_t seed;
	struct augment_config aug;	/* (none) */
	struct flowpic_geom geom;	/* to re-image augmented series */
	float scale;			/* picture count -> input */
	FILE *log;			/* per-epoch lines, or NULL */
	int progress;			/* redraw a progress bar on log */
};

void train_default(struct train_config *c);

struct train_epoch {
	double train_loss, train_acc, val_loss, val_acc, seconds;
};

struct train_result {
	uint32_t epochs;		/* run */
	uint32_t best;			/* index of the epoch kept */
	struct train_epoch *hist;	/* epochs entries */
	float class_weight[64];
};

struct trainer;

/*
 * A trainer for @net (whose parameters it initialises from the seed), with
 * class weights from @labels (@n of them, @k classes). NULL when out of
 * memory.
 */
struct trainer *trainer_new(struct cnn *net, const struct train_config *c,
			    const uint32_t *labels, size_t n, uint32_t k);
void trainer_free(struct trainer *t);
/* One pass over @s in a fresh random order; mean loss and accuracy. */
int trainer_epoch(struct trainer *t, const struct train_sample *s, size_t n,
		  double *loss, double *acc);
/* Mean (unweighted) loss and accuracy of @s, no dropout, no changes. */
int trainer_evaluate(struct trainer *t, const struct train_sample *s,
		     size_t n, double *loss, double *acc);
const float *trainer_class_weights(const struct trainer *t);

/*
 * Epochs until c->epochs or c->patience epochs without a lower validation
 * loss; @net ends with the best epoch's parameters. @res->hist is
 * malloc'd. 0, or -errno with a sentence in @err.
 */
int train_run(struct cnn *net, const struct train_config *c, uint32_t k,
	      const struct train_sample *train, size_t ntrain,
	      const struct train_sample *val, size_t nval,
	      struct train_result *res, char *err, size_t errlen);
void train_result_free(struct train_result *r);

/* The curve as CSV: epoch,train_loss,train_acc,val_loss,val_acc,seconds. */
int train_curve_csv(const struct train_result *r, const char *path,
		    char *err, size_t errlen);
int train_curve_png(const struct train_result *r, const char *path,
		    const char *title, char *err, size_t errlen);

#endif /* _FLOWPIC_USER_TRAIN_H */
