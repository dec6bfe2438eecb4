// SPDX-License-Identifier: GPL-2.0
/*
 * Sparse pictures: merging, saturation, dense round trip, and building
 * from indices (sorted or counted, by size) against a plain count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/picture.h"
#include "unit/test.h"

int main(void)
{
	struct flowpic_geom g = { .window_ns = 15000000000ULL, .n = 32,
				  .max_size = 1500, .channels = 2 };
	struct picture p, q;
	uint32_t *idx;
	uint8_t dense[2 * 32 * 32];
	float f[2 * 32 * 32];
	size_t i, n = 1000;

	tap_header();
	tap_plan(8);
	picture_init(&p, &g);
	picture_init(&q, &g);
	idx = malloc(n * sizeof(*idx));
	/* 300 packets in cell 7, 700 spread over 2047 .. 1348 backwards. */
	for (i = 0; i < n; i++)
		idx[i] = i < 300 ? 7 : (uint32_t)(2047 - (i - 300));
	tap_ok(!picture_from_indices(&p, idx, n), "build from 1000 indices");
	tap_ok(p.ncells == 701 && p.cells[0].index == 7 &&
	       p.cells[0].count == 255, "cell 7 saturates at 255 (%u cells)",
	       p.ncells);
	tap_ok(picture_total(&p) == 255 + 700, "total counts saturated sum");
	for (i = 1; i < p.ncells && p.cells[i - 1].index < p.cells[i].index; i++)
		;
	tap_ok(i == p.ncells, "cells sorted and unique");

	picture_to_dense(&p, f, 1.0f / 255);
	tap_ok(f[7] == 1.0f && f[2047] == 1.0f / 255 && f[8] == 0.0f,
	       "dense: scaled by 1/255");
	memset(dense, 0, sizeof(dense));
	for (i = 0; i < p.ncells; i++)
		dense[p.cells[i].index] = (uint8_t)p.cells[i].count;
	tap_ok(!picture_from_dense(&q, dense) && !picture_cmp(&p, &q),
	       "dense -> sparse round trip");
	idx[0] = 2048;
	tap_ok(picture_from_indices(&p, idx, 1) == -ERANGE,
	       "index outside the picture refused");
	{
		/* random windows of 0..3,000 packets on pictures of 512 to
		 * 45,000 cells, against counting every cell */
		static const uint16_t ns[] = { 16, 32, 64, 90, 150 };
		uint32_t *v = malloc(3000 * sizeof(*v)), total, j, bad = 0;
		uint8_t *want = malloc(2 * 150 * 150);
		struct rng r;
		int t;

		picture_free(&q);
		rng_seed(&r, 5);
		for (t = 0; t < 400; t++) {
			struct flowpic_geom h = g;
			uint32_t m = rng_below(&r, 3001), k = 0;

			h.n = ns[rng_below(&r, 5)];
			h.channels = (uint8_t)(1 + rng_below(&r, 2));
			total = flowpic_geom_cells(&h);
			picture_init(&q, &h);
			memset(want, 0, total);
			for (j = 0; j < m; j++) {
				/* a few hot cells, as real windows have */
				v[j] = rng_below(&r, 4) ? rng_below(&r, 1 + total / 50) :
							  rng_below(&r, total);
				if (want[v[j]] < 255)
					want[v[j]]++;
			}
			if (picture_from_indices(&q, v, m)) {
				bad++;
				picture_free(&q);
				continue;
			}
			for (j = 0; j < total; j++) {
				if (!want[j])
					continue;
				if (k >= q.ncells || q.cells[k].index != j ||
				    q.cells[k].count != want[j])
					break;
				k++;
			}
			bad += j != total || k != q.ncells;
			picture_free(&q);
		}
		tap_ok(!bad, "400 random windows: the cells of a plain count, in order (%u differ)",
		       bad);
		free(v);
		free(want);
	}
	free(idx);
	picture_free(&p);
	picture_free(&q);
	return tap_done();
}
