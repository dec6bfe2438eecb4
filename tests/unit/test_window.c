// SPDX-License-Identifier: GPL-2.0
/*
 * window_image() against a dense histogram built here by looping over
 * flowpic_bin() cell by cell: random series, every geometry corner
 * (N = 8, 32, 1500; one and two channels), saturation at 255, packets
 * past the window and before it; window_count() gives window_image()'s
 * counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit/test.h"
#include "flow/geometry.h"
#include "flow/window.h"

static struct rng rng;

/* The reference: a dense array, counts clipped at 255. */
static int dense_matches(const struct window_series *s,
			 const struct flowpic_geom *g, const struct picture *p)
{
	uint32_t cells = flowpic_geom_cells(g), i, k = 0;
	uint16_t *d = calloc(cells, sizeof(*d));
	struct flowpic_cell c = { 0 };
	int ok = 1;

	for (i = 0; i < s->n; i++) {
		const struct window_pkt *w = &s->pkts[i];

		if (flowpic_bin(g, w->size, w->t_ns, &c) & FLOWPIC_BIN_PAST)
			continue;
		d[(uint32_t)(g->channels == 2 ? w->dir : 0) * g->n * g->n +
		  (uint32_t)c.row * g->n + c.col]++;
	}
	for (i = 0; i < cells && ok; i++) {
		if (!d[i])
			continue;
		ok = k < p->ncells && p->cells[k].index == i &&
		     p->cells[k].count == (d[i] > 255 ? 255U : d[i]);
		k++;
	}
	free(d);
	return ok && k == p->ncells;
}

static void random_series(struct window_series *s, uint32_t n, __u64 window)
{
	uint32_t i;

	window_series_clear(s);
	for (i = 0; i < n; i++) {
		/* a few early and past packets, sizes up to 2100 (clipped) */
		__s64 t = (__s64)(rng_next(&rng) % (window + window / 8)) -
			  (__s64)(window / 16);
		window_series_push(s, t, (__u32)(rng_next(&rng) % 2100),
				   (__u8)(rng_next(&rng) & 1));
	}
}

int main(void)
{
	static const unsigned int ns[] = { 8, 32, 1500 };
	struct window_image_stats st, st2;
	struct window_series s, c;
	struct flowpic_geom g;
	struct picture p;
	unsigned int i, ch, round;
	int ok;

	tap_header();
	tap_plan(13);
	rng_seed(&rng, 0x243f6a8885a308d3ULL);
	window_series_init(&s);
	window_series_init(&c);
	for (i = 0; i < 3; i++) {
		for (ch = 1; ch <= 2; ch++) {
			geometry_default(&g, ns[i]);
			g.channels = (__u8)ch;
			picture_init(&p, &g);
			ok = 1;
			for (round = 0; round < 20 && ok; round++) {
				random_series(&s, 1 + (uint32_t)(rng_next(&rng) % 3000),
					      g.window_ns);
				ok = !window_image(&s, &g, &p, &st) &&
				     dense_matches(&s, &g, &p) &&
				     st.binned + st.past == s.n;
				window_count(&s, &g, &st2);
				ok = ok && !memcmp(&st, &st2, sizeof(st));
			}
			tap_ok(ok, "N=%u, %u channel(s): 20 random series image as the dense reference, counted alike",
			       ns[i], ch);
			picture_free(&p);
		}
	}

	/* one cell hit 300 times saturates at 255 */
	geometry_default(&g, 32);
	picture_init(&p, &g);
	window_series_clear(&s);
	for (i = 0; i < 300; i++)
		window_series_push(&s, 5, 100, 0);
	window_series_push(&s, -3, 1600, 1);		/* early, clipped */
	window_series_push(&s, (__s64)g.window_ns, 100, 0);	/* past */
	ok = !window_image(&s, &g, &p, &st);
	tap_ok(ok && p.ncells == 2 && p.cells[0].index == 64 &&
	       p.cells[0].count == 255 && p.cells[1].index == 31 * 32 &&
	       p.cells[1].count == 1,
	       "300 packets in one cell saturate at 255; early lands in column 0");
	tap_ok(st.binned == 301 && st.past == 1 && st.early == 1 &&
	       st.clipped == 1, "stats: 301 binned, 1 past, 1 early, 1 clipped");
	memset(&st2, 0xff, sizeof(st2));
	window_count(&s, &g, &st2);
	tap_ok(!memcmp(&st, &st2, sizeof(st)),
	       "window_count(): the same 301 binned, 1 past, 1 early, 1 clipped");

	g.channels = 2;
	ok = !window_image(&s, &g, &p, NULL);
	tap_ok(ok && p.ncells == 2 && p.cells[1].index == 32 * 32 + 31 * 32,
	       "two channels: the hi -> lo packet goes to channel 1");

	g.n = 7;
	tap_ok(window_image(&s, &g, &p, NULL) == -EINVAL,
	       "an invalid geometry is refused");

	window_series_copy(&c, &s);
	tap_ok(c.n == s.n && !memcmp(c.pkts, s.pkts, s.n * sizeof(*s.pkts)),
	       "window_series_copy copies");
	window_series_clear(&s);
	geometry_default(&g, 32);
	tap_ok(!window_image(&s, &g, &p, NULL) && p.ncells == 0,
	       "an empty series makes an empty picture");
	picture_free(&p);
	window_series_free(&s);
	window_series_free(&c);
	return tap_done();
}
