// SPDX-License-Identifier: GPL-2.0
/*
 * The sparse FlowPic of one window. Packets of a flow land in few cells
 * and mostly in the same ones again, so the non-empty cells live in a
 * small open-addressing hash (linear probing, at most 3/4 full) rather
 * than a dense channels x N x N array (2.25 MB at N = 1500): a packet
 * costs one short probe, never a move of the array. The cells are sorted
 * once, by flowpic_cells_finish(), when the window leaves the kernel.
 * Every array is charged to the memory budget before it is allocated.
 */
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "budget.h"
#include "window.h"

u32 flowpic_cells_cap_max(u32 bound)
{
	return bound + DIV_ROUND_UP(bound, 3);
}

/* What an array of @cap slots really takes (the allocator rounds up). */
static size_t flowpic_cells_bytes(u32 cap)
{
	return cap ? kmalloc_size_roundup((size_t)cap *
					  sizeof(struct flowpic_sparse_cell)) :
		     0;
}

size_t flowpic_cells_bytes_max(u32 bound)
{
	return flowpic_cells_bytes(flowpic_cells_cap_max(bound));
}

static u32 flowpic_cells_home(u32 index, u32 cap)
{
	return reciprocal_scale(hash_32(index, 32), cap);
}

/* The slot holding @index, or the empty one where it would go. */
static struct flowpic_sparse_cell *
flowpic_cells_probe(struct flowpic_sparse_cell *cell, u32 cap, u32 index)
{
	u32 i = flowpic_cells_home(index, cap);

	while (cell[i].count && cell[i].index != index)
		i = i + 1 < cap ? i + 1 : 0;
	return &cell[i];
}

static int flowpic_cells_grow(struct flowpic_cells *s, u32 bound, gfp_t gfp)
{
	size_t sz = sizeof(struct flowpic_sparse_cell);
	struct flowpic_sparse_cell *c;
	u32 cap, i;

	cap = s->cap ? min(s->cap * 2, flowpic_cells_cap_max(bound)) :
		       min(FLOWPIC_CELLS_INITIAL, flowpic_cells_cap_max(bound));
	if (cap <= s->cap)
		return -ENOSPC;
	if (!flowpic_budget_charge(flowpic_cells_bytes(cap)))
		return -ENOBUFS;
	c = kcalloc(cap, sz, gfp);
	if (!c) {
		flowpic_budget_uncharge(flowpic_cells_bytes(cap));
		return -ENOMEM;
	}
	for (i = 0; i < s->cap; i++)
		if (s->cell[i].count)
			*flowpic_cells_probe(c, cap, s->cell[i].index) =
				s->cell[i];
	kfree(s->cell);
	flowpic_budget_uncharge(flowpic_cells_bytes(s->cap));
	s->cell = c;
	s->cap = cap;
	return 0;
}

int flowpic_cells_add(struct flowpic_cells *s, u32 index, u32 n, u32 bound,
		      gfp_t gfp)
{
	struct flowpic_sparse_cell *c;
	int err;

	if (s->cap) {
		c = flowpic_cells_probe(s->cell, s->cap, index);
		if (c->count) {
			c->count = min_t(u32, c->count + n, FLOWPIC_CELL_MAX);
			return 0;
		}
	}
	if (s->n >= bound)
		return -ENOSPC;
	/* At most 3/4 full, so probes stay short and one slot is free. */
	if ((s->n + 1) * 4 > s->cap * 3) {
		err = flowpic_cells_grow(s, bound, gfp);
		if (err && (err != -ENOSPC || s->n + 1 >= s->cap))
			return err;
	}
	c = flowpic_cells_probe(s->cell, s->cap, index);
	c->index = index;
	c->count = min_t(u32, n, FLOWPIC_CELL_MAX);
	s->n++;
	return 0;
}

static int flowpic_cell_cmp(const void *a, const void *b)
{
	const struct flowpic_sparse_cell *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

void flowpic_cells_finish(struct flowpic_cells *s)
{
	u32 i, n = 0;

	for (i = 0; i < s->cap; i++)
		if (s->cell[i].count)
			s->cell[n++] = s->cell[i];
	WARN_ON_ONCE(n != s->n);
	s->n = n;
	sort(s->cell, n, sizeof(s->cell[0]), flowpic_cell_cmp, NULL);
}

void flowpic_cells_free(struct flowpic_cells *s)
{
	kfree(s->cell);
	flowpic_budget_uncharge(flowpic_cells_bytes(s->cap));
	s->cell = NULL;
	s->n = 0;
	s->cap = 0;
}

void flowpic_done_free(struct flowpic_done *d)
{
	flowpic_cells_free(&d->cells);
	kfree(d);
}
