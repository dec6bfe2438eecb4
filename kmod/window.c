// SPDX-License-Identifier: GPL-2.0
/*
 * The sparse FlowPic of one window. Packets of a flow land in few cells
 * and mostly in the same ones again, so a sorted array with binary search
 * beats a dense channels x N x N array (2.25 MB at N = 1500) and a hash.
 */
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "window.h"

/* First position whose index is >= @index. */
static u32 flowpic_cells_find(const struct flowpic_cells *s, u32 index)
{
	u32 lo = 0, hi = s->n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (s->cell[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int flowpic_cells_grow(struct flowpic_cells *s, u32 bound, gfp_t gfp)
{
	struct flowpic_sparse_cell *c;
	u32 cap;

	cap = s->cap ? min(s->cap * 2, bound) :
		       min_t(u32, FLOWPIC_CELLS_INITIAL, bound);
	c = krealloc_array(s->cell, cap, sizeof(*c), gfp);
	if (!c)
		return -ENOMEM;
	s->cell = c;
	s->cap = cap;
	return 0;
}

int flowpic_cells_add(struct flowpic_cells *s, u32 index, u32 bound,
		      gfp_t gfp)
{
	u32 pos = flowpic_cells_find(s, index);
	int err;

	if (pos < s->n && s->cell[pos].index == index) {
		if (s->cell[pos].count < FLOWPIC_CELL_MAX)
			s->cell[pos].count++;
		return 0;
	}
	if (s->n >= bound)
		return -ENOSPC;
	if (s->n == s->cap) {
		err = flowpic_cells_grow(s, bound, gfp);
		if (err)
			return err;
	}
	memmove(&s->cell[pos + 1], &s->cell[pos],
		(s->n - pos) * sizeof(s->cell[0]));
	s->cell[pos].index = index;
	s->cell[pos].count = 1;
	s->n++;
	return 0;
}

void flowpic_cells_free(struct flowpic_cells *s)
{
	kfree(s->cell);
	s->cell = NULL;
	s->n = 0;
	s->cap = 0;
}

void flowpic_done_free(struct flowpic_done *d)
{
	flowpic_cells_free(&d->cells);
	kfree(d);
}
