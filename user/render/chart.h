/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PNG charts of training and evaluation: the training curve (loss and
 * accuracy per epoch) and the confusion matrix. Drawn on a small RGB
 * canvas with the console's 6x10 font and written with libpng.
 */
#ifndef _FLOWPIC_USER_CHART_H
#define _FLOWPIC_USER_CHART_H

#include <stddef.h>
#include <stdint.h>

struct canvas {
	int w, h;
	uint8_t *px;		/* w * h * 3, RGB */
};

int canvas_init(struct canvas *c, int w, int h, uint32_t rgb);
void canvas_free(struct canvas *c);
void canvas_rect(struct canvas *c, int x, int y, int w, int h, uint32_t rgb);
void canvas_line(struct canvas *c, int x0, int y0, int x1, int y1,
		 uint32_t rgb);
/* Text with its top-left corner at x, y, each font pixel @scale wide. */
void canvas_text(struct canvas *c, int x, int y, const char *s, uint32_t rgb,
		 int scale);
int canvas_text_width(const char *s, int scale);
/* 0, or -errno with a sentence in @err. */
int canvas_png(const struct canvas *c, const char *path, char *err,
	       size_t errlen);

/*
 * Training curve: loss (left) and accuracy (right) per epoch, train and
 * validation, the kept epoch marked. Arrays of @n epochs.
 */
int chart_training(const char *path, const char *title, uint32_t n,
		   const double *train_loss, const double *val_loss,
		   const double *train_acc, const double *val_acc,
		   uint32_t best, char *err, size_t errlen);
/*
 * Confusion matrix @m (k x k, row = true class, column = predicted),
 * cells shaded by the share of their row, counts written in.
 */
int chart_confusion(const char *path, const char *title, const uint64_t *m,
		    uint32_t k, const char *const *names, char *err,
		    size_t errlen);

#endif /* _FLOWPIC_USER_CHART_H */
