/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A FlowPic in userspace: the geometry it was binned with and its non-zero
 * cells, sorted by cell index (include/flowpic_geom.h layout), counts
 * saturated at FLOWPIC_CELL_MAX. A 1500x1500 picture of a busy flow has a
 * few thousand cells, so this is what datasets store and what the first
 * CNN layer can read directly; picture_to_dense() feeds the rest.
 */
#ifndef _FLOWPIC_USER_PICTURE_H
#define _FLOWPIC_USER_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include "flowpic.h"

struct picture {
	struct flowpic_geom geom;
	uint32_t ncells;			/* non-zero cells */
	uint32_t cap;				/* allocated cells */
	struct flowpic_sparse_cell *cells;	/* index-sorted, unique */
};

void picture_init(struct picture *p, const struct flowpic_geom *g);
void picture_free(struct picture *p);
/* Empties @p, keeping its memory and geometry. */
void picture_clear(struct picture *p);
/*
 * Builds @p from @n cell indices, one per packet (may reorder @idx).
 * Indices must be below flowpic_geom_cells(). 0, or -ENOMEM / -ERANGE.
 */
int picture_from_indices(struct picture *p, uint32_t *idx, size_t n);
/* Builds @p from a dense array of flowpic_geom_cells() counts. */
int picture_from_dense(struct picture *p, const uint8_t *dense);
/* Writes all channels*n*n cells, count * @scale, into @out. */
void picture_to_dense(const struct picture *p, float *out, float scale);
/* Sum of the (saturated) counts. */
uint64_t picture_total(const struct picture *p);
/* 0 when equal geometry and cells. */
int picture_cmp(const struct picture *a, const struct picture *b);

#endif /* _FLOWPIC_USER_PICTURE_H */
