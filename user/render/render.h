/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Drawing FlowPics on a canvas (chart.h) with axes a reader can use:
 * packet size up, time in the window across.
 */
#ifndef _FLOWPIC_USER_RENDER_H
#define _FLOWPIC_USER_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "render/chart.h"
#include "flow/picture.h"

#define RENDER_GRID_MAX		16	/* samples per class in a grid */
#define RENDER_INK		0x202020	/* text and tick colour */

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
