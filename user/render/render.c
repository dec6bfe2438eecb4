// SPDX-License-Identifier: GPL-2.0
/*
 * Rendering FlowPics to PNG: one sample with titled, ticked axes, or a
 * grid of samples per class, on chart.h's canvas (libpng). `flowpic show`
 * lives here too.
 *
 * Rows of a FlowPic are packet size, drawn bottom-up as plots are; columns
 * are time in the window. Large pictures are shown with d x d cells per
 * pixel (summed); counts go through a log scale so that single packets
 * stay visible next to hot cells.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "dataset/dataset.h"
#include "capture/flow_key.h"
#include "render/render.h"

static const uint32_t ink = RENDER_INK, grey = 0xb0b0b0;

/* White for nothing, then pale yellow through red to near-black purple. */
static uint32_t colour(double v)
{
	/* the palest shade stays visible on white, even as one pixel */
	static const double stops[][3] = {
		{ 253, 174, 97 }, { 244, 109, 67 }, { 215, 48, 39 },
		{ 165, 0, 38 }, { 50, 0, 50 },
	};
	double x = v * 4, f;
	int i = (int)x, k;
	uint32_t rgb = 0;

	if (i >= 4) {
		i = 3;
		f = 1;
	} else {
		f = x - i;
	}
	for (k = 0; k < 3; k++)
		rgb = rgb << 8 | (uint8_t)(stops[i][k] +
					   (stops[i + 1][k] - stops[i][k]) * f);
	return rgb;
}

int render_panel_size(unsigned int n, int target, int *div)
{
	int d = 1;

	if ((int)n <= target) {
		*div = 1;
		return (int)n * (target / (int)n);
	}
	while (((int)n + d - 1) / d > target)
		d++;
	*div = d;
	return ((int)n + d - 1) / d;
}

static void fmt_seconds(char *buf, size_t len, double s)
{
	if (s == (double)(long long)s)
		snprintf(buf, len, "%lld", (long long)s);
	else
		snprintf(buf, len, "%.4g", s);
}

int render_panel(struct canvas *cv, int x0, int y0, const struct picture *p,
		 unsigned int ch, int target, int scale, int axes)
{
	const struct flowpic_geom *g = &p->geom;
	unsigned int n = g->n;
	int d, size = render_panel_size(n, target, &d), px = d == 1 ? size / (int)n : 1;
	int cells = ((int)n + d - 1) / d, i, t, ticks;
	uint32_t *acc, max = 0, k;
	char buf[32];

	acc = calloc((size_t)cells * cells, sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	for (k = 0; k < p->ncells; k++) {
		uint32_t idx = p->cells[k].index, c = idx / (n * n);
		uint32_t row = idx / n % n, col = idx % n, *a;

		if (c != ch)
			continue;
		a = &acc[(row / d) * cells + col / d];
		*a += p->cells[k].count;
		if (*a > max)
			max = *a;
	}
	/* frame, then cells bottom-up */
	canvas_rect(cv, x0 - 1, y0 - 1, size + 2, size + 2, grey);
	canvas_rect(cv, x0, y0, size, size, 0xffffff);
	for (i = 0; i < cells * cells; i++) {
		int row = i / cells, col = i % cells;

		if (!acc[i])
			continue;
		canvas_rect(cv, x0 + col * px, y0 + size - (row + 1) * px, px,
			    px, colour(log1p(acc[i]) / log1p(max)));
	}
	free(acc);
	if (!axes)
		return 0;
	/* quarters of each axis, halves when the panel is small */
	ticks = size >= 150 * scale ? 4 : 2;
	for (t = 0; t <= ticks; t++) {
		int y = y0 + size - t * size / ticks, x = x0 + t * size / ticks;

		canvas_rect(cv, x0 - 5 * scale, y, 4 * scale, scale, ink);
		snprintf(buf, sizeof(buf), "%u", g->max_size * t / ticks);
		canvas_text(cv, x0 - 6 * scale - canvas_text_width(buf, scale),
			    y - 5 * scale, buf, ink, scale);
		canvas_rect(cv, x, y0 + size + scale, scale, 4 * scale, ink);
		fmt_seconds(buf, sizeof(buf), g->window_ns / 1e9 * t / ticks);
		canvas_text(cv, x - canvas_text_width(buf, scale) / 2,
			    y0 + size + 6 * scale, buf, ink, scale);
	}
	canvas_text(cv, x0 + size / 2 - canvas_text_width("time in window (s)", scale) / 2,
		    y0 + size + 17 * scale, "time in window (s)", ink, scale);
	canvas_text(cv, x0 - 6 * scale - canvas_text_width("size (B)", scale) / 2,
		    y0 - 13 * scale, "size (B)", ink, scale);
	return 0;
}
