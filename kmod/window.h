/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_WINDOW_H
#define _FLOWPIC_KMOD_WINDOW_H

#include <linux/list.h>
#include <linux/types.h>

#include "flowpic.h"

/*
 * A window's FlowPic, sparse: the non-empty cells, at most a bound set by
 * the config (max_cells), so a 1500x1500 picture costs what the flow puts
 * in it. While the window is open @cell is a hash of @cap slots (empty
 * slots have count 0); flowpic_cells_finish() turns it into @n cells
 * sorted by flowpic_cell_index().
 */
struct flowpic_cells {
	struct flowpic_sparse_cell *cell;
	u32 n;
	u32 cap;
};

/* Slots of the first allocation; it doubles up to the bound's. */
#define FLOWPIC_CELLS_INITIAL	16U

/* Slots, and bytes, that @bound cells may take at most. */
u32 flowpic_cells_cap_max(u32 bound);
size_t flowpic_cells_bytes_max(u32 bound);

/*
 * Counts @n (>= 1) packets in cell @index, saturating at
 * FLOWPIC_CELL_MAX. 0, or -ENOSPC when @bound cells are in use and @index
 * is not one of them, -ENOBUFS when the memory budget has no room for
 * more, or -ENOMEM.
 */
int flowpic_cells_add(struct flowpic_cells *s, u32 index, u32 n, u32 bound,
		      gfp_t gfp);
/* Packs the cells into cell[0 .. n), sorted. No add after it. */
void flowpic_cells_finish(struct flowpic_cells *s);
void flowpic_cells_free(struct flowpic_cells *s);

/* A closed window on its way to userspace. */
struct flowpic_done {
	struct list_head list;
	struct flowpic_window win;	/* .cells = number of sparse cells */
	struct flowpic_cells cells;
};

void flowpic_done_free(struct flowpic_done *d);

#endif /* _FLOWPIC_KMOD_WINDOW_H */
