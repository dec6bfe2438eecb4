/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_WINDOW_H
#define _FLOWPIC_KMOD_WINDOW_H

#include <linux/list.h>
#include <linux/types.h>

#include "flowpic.h"

/*
 * A window's FlowPic, sparse: the non-empty cells, sorted by
 * flowpic_cell_index(), at most a bound set by the config (max_cells), so
 * a 1500x1500 picture costs what the flow puts in it.
 */
struct flowpic_cells {
	struct flowpic_sparse_cell *cell;
	u32 n;
	u32 cap;
};

/* Where the first allocation starts; it doubles up to the bound. */
#define FLOWPIC_CELLS_INITIAL	16

/*
 * Counts one packet in cell @index. 0, or -ENOSPC when @bound cells are
 * in use and @index is not one of them, or -ENOMEM.
 */
int flowpic_cells_add(struct flowpic_cells *s, u32 index, u32 bound,
		      gfp_t gfp);
void flowpic_cells_free(struct flowpic_cells *s);

/* A closed window on its way to userspace. */
struct flowpic_done {
	struct list_head list;
	struct flowpic_window win;	/* .cells = number of sparse cells */
	struct flowpic_cells cells;
};

void flowpic_done_free(struct flowpic_done *d);

#endif /* _FLOWPIC_KMOD_WINDOW_H */
