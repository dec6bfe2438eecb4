// SPDX-License-Identifier: GPL-2.0
/* The shared binning vectors against the userspace build of flowpic_bin(). */
#include <string.h>

#include "flowpic.h"
#include "unit/test.h"
#include "vectors/binning.h"

int main(void)
{
	struct flowpic_geom g;
	struct flowpic_cell c;
	unsigned int i;
	__u32 flags;

	tap_header();
	tap_plan(46);
	for (i = 0; i < FLOWPIC_BIN_VECTORS; i++) {
		const struct flowpic_bin_vector *v = &flowpic_bin_vectors[i];

		flowpic_bin_vector_geom(v, &g);
		memset(&c, 0, sizeof(c));
		flags = flowpic_bin(&g, v->size, v->dt_ns, &c);
		if (flags & (FLOWPIC_BIN_PAST | FLOWPIC_BIN_INVALID))
			c.row = c.col = 0;
		tap_ok(flags == v->flags && c.row == v->row && c.col == v->col,
		       "%s: flags %u row %u col %u (want %u %u %u)", v->what,
		       flags, c.row, c.col, v->flags, v->row, v->col);
	}

	/* Every in-window cell index stays inside the picture. */
	g = (struct flowpic_geom){ .window_ns = 15000000000ULL, .n = 1500,
				   .max_size = 1500, .channels = 2 };
	{
		__u32 size, bad = 0;
		__s64 dt;

		for (size = 0; size <= 2000; size += 7)
			for (dt = -1; dt < 15000000000LL; dt += 999999937LL) {
				flags = flowpic_bin(&g, size, dt, &c);
				if (flowpic_cell_index(&g, 1, &c) >=
				    flowpic_geom_cells(&g))
					bad++;
			}
		tap_ok(!bad, "cell index in range over a size x time sweep");
	}

	tap_ok(flowpic_window_index(&g, -5) == 0 &&
	       flowpic_window_index(&g, 14999999999LL) == 0 &&
	       flowpic_window_index(&g, 15000000000LL) == 1 &&
	       flowpic_window_index(&g, 45000000001LL) == 3,
	       "window index tiles from the first packet");
	return tap_done();
}
