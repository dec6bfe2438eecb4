/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How well a classifier did: the confusion matrix and what follows from
 * it (accuracy, per-class precision, recall and F1, macro-F1), printed as
 * text or drawn as a PNG.
 */
#ifndef _FLOWPIC_USER_METRICS_H
#define _FLOWPIC_USER_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct confusion {
	uint32_t k;
	uint64_t *m;		/* k x k: row = true class, column = predicted */
};

int confusion_init(struct confusion *c, uint32_t k);
void confusion_free(struct confusion *c);
static inline void confusion_add(struct confusion *c, uint32_t truth,
				 uint32_t pred)
{
	c->m[(size_t)truth * c->k + pred]++;
}
uint64_t confusion_total(const struct confusion *c);
double confusion_accuracy(const struct confusion *c);
/* Precision, recall, F1 of class @i (0 where undefined) and its support. */
void confusion_class(const struct confusion *c, uint32_t i, double *prec,
		     double *rec, double *f1, uint64_t *support);
/* Mean F1 over the classes that occur (as truth or prediction). */
double confusion_macro_f1(const struct confusion *c);
/* The per-class table and the matrix, as text. */
void confusion_print(const struct confusion *c, const char *const *names,
		     FILE *f);
/* The same as JSON on one line. */
void confusion_json(const struct confusion *c, const char *const *names,
		    FILE *f);

#endif /* _FLOWPIC_USER_METRICS_H */
