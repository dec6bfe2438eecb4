/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Drawing FlowPics into RGB canvases and writing them as PNG, with axes
 * a reader can use (packet size up, time in the window across).
 */
#ifndef _FLOWPIC_USER_RENDER_H
#define _FLOWPIC_USER_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "picture.h"

#define RENDER_GRID_MAX		16	/* samples per class in a grid */

struct canvas {
	int w, h;
	uint8_t *rgb;	/* w * h * 3, rows top-down, white at start */
};

int canvas_init(struct canvas *c, int w, int h);
void canvas_free(struct canvas *c);
void canvas_rect(struct canvas *c, int x, int y, int w, int h,
		 const uint8_t rgb[3]);
/* 5x8 bitmap text, each dot @scale pixels square; @y is the top. */
void canvas_text(struct canvas *c, int x, int y, const char *s, int scale,
		 const uint8_t rgb[3]);
int canvas_text_width(const char *s, int scale);
int canvas_write_png(const struct canvas *c, const char *path, char *err,
		     size_t errlen);

/*
 * Pixels a panel of an @n-cell axis takes when drawn about @target pixels
 * wide: whole pixels per cell, or *div x *div cells per pixel above it.
 */
int render_panel_size(unsigned int n, int target, int *div);
/*
 * Draws channel @ch of @p with its top-left plot corner at (@x0, @y0);
 * with @axes, ticks and titles around it (text at @scale).
 */
int render_panel(struct canvas *cv, int x0, int y0, const struct picture *p,
		 unsigned int ch, int target, int scale, int axes);

#endif /* _FLOWPIC_USER_RENDER_H */
