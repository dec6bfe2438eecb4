// SPDX-License-Identifier: GPL-2.0
/* Training-curve and confusion-matrix PNGs. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "render/chart.h"
#include "render/font_6x10.h"

#define WHITE	0xffffff
#define BLACK	0x000000
#define GREY	0xc8c8c8
#define DARK	0x505050
#define BLUE	0x1f77b4
#define ORANGE	0xff7f0e
#define GREEN	0x2ca02c

int canvas_init(struct canvas *c, int w, int h, uint32_t rgb)
{
	c->w = w;
	c->h = h;
	c->px = malloc((size_t)w * h * 3);
	if (!c->px)
		return -ENOMEM;
	canvas_rect(c, 0, 0, w, h, rgb);
	return 0;
}

void canvas_free(struct canvas *c)
{
	free(c->px);
	c->px = NULL;
}

static void plot(struct canvas *c, int x, int y, uint32_t rgb)
{
	uint8_t *p;

	if (x < 0 || y < 0 || x >= c->w || y >= c->h)
		return;
	p = c->px + ((size_t)y * c->w + x) * 3;
	p[0] = (uint8_t)(rgb >> 16);
	p[1] = (uint8_t)(rgb >> 8);
	p[2] = (uint8_t)rgb;
}

void canvas_rect(struct canvas *c, int x, int y, int w, int h, uint32_t rgb)
{
	int i, j;

	for (j = y; j < y + h; j++)
		for (i = x; i < x + w; i++)
			plot(c, i, j, rgb);
}

void canvas_line(struct canvas *c, int x0, int y0, int x1, int y1,
		 uint32_t rgb)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy, e2;

	/* Bresenham, two pixels thick so the curves read at a glance */
	for (;;) {
		plot(c, x0, y0, rgb);
		plot(c, x0, y0 + 1, rgb);
		if (x0 == x1 && y0 == y1)
			break;
		e2 = 2 * e;
		if (e2 >= dy) {
			e += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			e += dx;
			y0 += sy;
		}
	}
}

int canvas_text_width(const char *s, int scale)
{
	return (int)strlen(s) * FONT_W * scale;
}

void canvas_text(struct canvas *c, int x, int y, const char *s, uint32_t rgb,
		 int scale)
{
	int row, col, i, j;

	for (; *s; s++, x += FONT_W * scale) {
		unsigned char ch = (unsigned char)*s;

		if (ch < FONT_FIRST || ch > FONT_LAST)
			ch = '?';
		for (row = 0; row < FONT_H; row++)
			for (col = 0; col < FONT_W; col++)
				if (font_6x10[ch - FONT_FIRST][row] & (0x80 >> col))
					for (j = 0; j < scale; j++)
						for (i = 0; i < scale; i++)
							plot(c, x + col * scale + i,
							     y + row * scale + j, rgb);
	}
}

int canvas_png(const struct canvas *c, const char *path, char *err,
	       size_t errlen)
{
	png_structp png;
	png_infop info;
	FILE *f = fopen(path, "wb");
	int y;

	if (!f) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!png || !info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(f);
		snprintf(err, errlen, "%s: cannot write the PNG", path);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, 8,
		     PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < c->h; y++)
		png_write_row(png, c->px + (size_t)y * c->w * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (fclose(f)) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

/* --- training curve ------------------------------------------------------ */

struct panel {
	int x, y, w, h;		/* plot area */
	double lo, hi;		/* value range */
	uint32_t n;		/* epochs */
};

static int px_x(const struct panel *p, uint32_t i)
{
	return p->x + (p->n > 1 ? (int)((double)i * (p->w - 1) / (p->n - 1)) :
			p->w / 2);
}

static int px_y(const struct panel *p, double v)
{
	double t = (v - p->lo) / (p->hi - p->lo);

	if (!isfinite(t))
		t = 0;
	if (t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	return p->y + p->h - 1 - (int)(t * (p->h - 1));
}

static void panel_axes(struct canvas *c, const struct panel *p,
		       const char *title, int percent)
{
	char buf[32];
	int i, ticks = 5;
	uint32_t e, step;

	canvas_text(c, p->x, p->y - 18, title, BLACK, 1);
	for (i = 0; i <= ticks; i++) {
		double v = p->lo + (p->hi - p->lo) * i / ticks;
		int y = px_y(p, v);

		canvas_line(c, p->x, y, p->x + p->w - 1, y, GREY);
		if (percent)
			snprintf(buf, sizeof(buf), "%.0f%%", v * 100);
		else
			snprintf(buf, sizeof(buf), "%.3g", v);
		canvas_text(c, p->x - canvas_text_width(buf, 1) - 4, y - 5, buf,
			    DARK, 1);
	}
	canvas_rect(c, p->x, p->y + p->h, p->w, 1, BLACK);
	canvas_rect(c, p->x - 1, p->y, 1, p->h, BLACK);
	step = p->n > 10 ? (p->n + 9) / 10 : 1;
	for (e = 0; e < p->n; e += step) {
		snprintf(buf, sizeof(buf), "%u", e + 1);
		canvas_text(c, px_x(p, e) - canvas_text_width(buf, 1) / 2,
			    p->y + p->h + 4, buf, DARK, 1);
	}
	canvas_text(c, p->x + p->w / 2 - 15, p->y + p->h + 18, "epoch", DARK, 1);
}

static void panel_series(struct canvas *c, const struct panel *p,
			 const double *v, uint32_t rgb)
{
	uint32_t i;

	for (i = 0; i < p->n; i++) {
		if (i)
			canvas_line(c, px_x(p, i - 1), px_y(p, v[i - 1]),
				    px_x(p, i), px_y(p, v[i]), rgb);
		canvas_rect(c, px_x(p, i) - 2, px_y(p, v[i]) - 2, 5, 5, rgb);
	}
}

int chart_training(const char *path, const char *title, uint32_t n,
		   const double *train_loss, const double *val_loss,
		   const double *train_acc, const double *val_acc,
		   uint32_t best, char *err, size_t errlen)
{
	struct canvas c;
	struct panel loss = { 70, 60, 380, 300, 0, 0, n };
	struct panel acc = { 560, 60, 380, 300, 0, 1, n };
	double hi = 0, lo = 1;
	uint32_t i;
	int rc;

	if (!n) {
		snprintf(err, errlen, "%s: no epochs to draw", path);
		return -EINVAL;
	}
	if (canvas_init(&c, 980, 430, WHITE))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		hi = fmax(hi, fmax(train_loss[i], val_loss[i]));
		lo = fmin(lo, fmin(train_acc[i], val_acc[i]));
	}
	loss.hi = hi > 0 ? hi * 1.05 : 1;
	acc.lo = fmax(0, floor(lo * 10) / 10);
	canvas_text(&c, 20, 12, title, BLACK, 1);
	panel_axes(&c, &loss, "cross-entropy loss", 0);
	panel_axes(&c, &acc, "accuracy", 1);
	if (best < n) {
		canvas_rect(&c, px_x(&loss, best), loss.y, 1, loss.h, GREEN);
		canvas_rect(&c, px_x(&acc, best), acc.y, 1, acc.h, GREEN);
	}
	panel_series(&c, &loss, train_loss, BLUE);
	panel_series(&c, &loss, val_loss, ORANGE);
	panel_series(&c, &acc, train_acc, BLUE);
	panel_series(&c, &acc, val_acc, ORANGE);
	canvas_rect(&c, 600, 8, 12, 8, BLUE);
	canvas_text(&c, 616, 6, "train", BLACK, 1);
	canvas_rect(&c, 670, 8, 12, 8, ORANGE);
	canvas_text(&c, 686, 6, "validation", BLACK, 1);
	canvas_rect(&c, 770, 8, 2, 8, GREEN);
	canvas_text(&c, 778, 6, "kept epoch", BLACK, 1);
	rc = canvas_png(&c, path, err, errlen);
	canvas_free(&c);
	return rc;
}

/* --- confusion matrix ---------------------------------------------------- */

/* White to blue by @t in [0, 1]. */
static uint32_t shade(double t)
{
	int r = (int)(255 - t * (255 - 0x1f)), g = (int)(255 - t * (255 - 0x4e));
	int b = (int)(255 - t * (255 - 0xa0));

	return (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
}

int chart_confusion(const char *path, const char *title, const uint64_t *m,
		    uint32_t k, const char *const *names, char *err,
		    size_t errlen)
{
	int cell = k > 12 ? 36 : 64, label = 0, tall = 0, x0, y0, w, rc;
	struct canvas c;
	uint32_t i, j;
	char buf[32];

	for (i = 0; i < k; i++) {
		if (canvas_text_width(names[i], 1) > label)
			label = canvas_text_width(names[i], 1);
		if ((int)strlen(names[i]) * FONT_H > tall)
			tall = (int)strlen(names[i]) * FONT_H;
	}
	x0 = label + 40;
	y0 = 56 + tall;
	w = x0 + (int)k * cell + 30;
	if (canvas_text_width(title, 1) + 20 > w)
		w = canvas_text_width(title, 1) + 20;
	if (canvas_init(&c, w, y0 + (int)k * cell + 40, WHITE))
		return -ENOMEM;
	canvas_text(&c, 10, 10, title, BLACK, 1);
	canvas_text(&c, x0, 30, "predicted", DARK, 1);
	canvas_text(&c, 10, y0 - 14, "true", DARK, 1);
	for (i = 0; i < k; i++) {
		uint64_t row = 0;
		int ch;

		for (j = 0; j < k; j++)
			row += m[i * k + j];
		canvas_text(&c, x0 - canvas_text_width(names[i], 1) - 6,
			    y0 + (int)i * cell + cell / 2 - 5, names[i], BLACK, 1);
		/* column labels written downwards, one character a line */
		for (ch = 0; names[i][ch]; ch++) {
			char one[2] = { names[i][ch], 0 };

			canvas_text(&c, x0 + (int)i * cell + cell / 2 - 3,
				    50 + ch * 10, one, BLACK, 1);
		}
		for (j = 0; j < k; j++) {
			double t = row ? (double)m[i * k + j] / row : 0;
			int x = x0 + (int)j * cell, y = y0 + (int)i * cell;

			canvas_rect(&c, x, y, cell, cell, shade(t));
			canvas_rect(&c, x, y, cell, 1, GREY);
			canvas_rect(&c, x, y, 1, cell, GREY);
			snprintf(buf, sizeof(buf), "%llu",
				 (unsigned long long)m[i * k + j]);
			canvas_text(&c, x + cell / 2 - canvas_text_width(buf, 1) / 2,
				    y + cell / 2 - 5, buf, t > 0.5 ? WHITE : BLACK,
				    1);
		}
	}
	canvas_rect(&c, x0, y0 + (int)k * cell, (int)k * cell, 1, GREY);
	canvas_rect(&c, x0 + (int)k * cell, y0, 1, (int)k * cell, GREY);
	rc = canvas_png(&c, path, err, errlen);
	canvas_free(&c);
	return rc;
}
