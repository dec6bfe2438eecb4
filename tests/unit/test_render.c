// SPDX-License-Identifier: GPL-2.0
/*
 * Rendering: a panel puts each cell where the axes say (size up, time
 * across), large pictures are shown d x d cells per pixel, text is drawn;
 * `flowpic show` writes PNGs libpng reads back, and refuses what it
 * cannot draw.
 */
#include <errno.h>
#include <getopt.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit/test.h"
#include "cmd/commands.h"
#include "dataset/dataset.h"
#include "flow/geometry.h"
#include "render/render.h"

static const uint8_t *px(const struct canvas *c, int x, int y)
{
	return c->px + ((size_t)y * c->w + x) * 3;
}

static int white(const uint8_t *p)
{
	return p[0] == 255 && p[1] == 255 && p[2] == 255;
}

/* Width and height of a PNG file, or 0 0. */
static void png_size(const char *path, unsigned int *w, unsigned int *h)
{
	png_image img;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	*w = *h = 0;
	if (png_image_begin_read_from_file(&img, path)) {
		*w = img.width;
		*h = img.height;
		png_image_free(&img);
	}
}

int main(void)
{
	char tmp[] = "/tmp/flowpic-test-render-XXXXXX", fpd[600], png[600];
	char cmd[700], idx[8];
	struct dataset_writer *w;
	struct dataset_sample s;
	struct flowpic_geom g;
	struct canvas cv;
	unsigned int pw, ph;
	uint32_t cell[3];
	char *argv[12];
	int d, size, i, ok, rc;

	tap_header();
	tap_plan(9);
	if (!mkdtemp(tmp)) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}

	/* 32x32: 12 px per cell at 384; cell (row 3, col 5) and (31, 31) */
	geometry_default(&g, 32);
	picture_init(&s.pic, &g);
	cell[0] = 3 * 32 + 5;
	cell[1] = 31 * 32 + 31;
	cell[2] = 3 * 32 + 5;
	picture_from_indices(&s.pic, cell, 3);
	size = render_panel_size(32, 384, &d);
	canvas_init(&cv, 600, 600, 0xffffff);
	render_panel(&cv, 100, 100, &s.pic, 0, 384, 1, 1);
	ok = size == 384 && d == 1 &&
	     !white(px(&cv, 100 + 5 * 12 + 6, 100 + 384 - 3 * 12 - 6)) &&
	     !white(px(&cv, 100 + 31 * 12 + 6, 100 + 6)) &&
	     white(px(&cv, 100 + 4 * 12 + 6, 100 + 384 - 3 * 12 - 6)) &&
	     white(px(&cv, 100 + 6, 100 + 384 - 6));
	tap_ok(ok, "32x32 at 384 px: cells at (row 3, col 5) and (31, 31) drawn, their neighbours not");
	tap_ok(memcmp(px(&cv, 100 + 5 * 12 + 6, 100 + 384 - 3 * 12 - 6),
		      px(&cv, 100 + 31 * 12 + 6, 100 + 6), 3) != 0,
	       "a 2-packet cell and a 1-packet cell get different colours");
	for (i = 0, ok = 0; i < 95 * 24; i++)	/* the "0" left of the origin */
		ok |= !white(px(&cv, i % 95, 100 + 384 - 12 + i / 95));
	tap_ok(ok, "the size axis has its labels");
	canvas_free(&cv);
	picture_free(&s.pic);

	/* 1500x1500: 3x3 cells per pixel at 500 */
	geometry_default(&g, 1500);
	picture_init(&s.pic, &g);
	cell[0] = 1499 * 1500 + 2;	/* top row, first pixel column */
	picture_from_indices(&s.pic, cell, 1);
	size = render_panel_size(1500, 500, &d);
	canvas_init(&cv, 700, 700, 0xffffff);
	render_panel(&cv, 100, 100, &s.pic, 0, 500, 1, 0);
	tap_ok(size == 500 && d == 3 && !white(px(&cv, 100, 100)) &&
	       white(px(&cv, 101, 100)),
	       "1500x1500 at 500 px: 3x3 cells per pixel, the top-left one drawn");
	canvas_text(&cv, 0, 0, "Ag", 0, 2);
	for (i = 0, ok = 0; i < 24 * 20; i++)
		ok += !white(px(&cv, i % 24, i / 24));
	tap_ok(ok > 20, "text is drawn");
	canvas_free(&cv);
	picture_free(&s.pic);

	/* flowpic show on a small dataset */
	snprintf(fpd, sizeof(fpd), "%s/d.fpd", tmp);
	snprintf(png, sizeof(png), "%s/one.png", tmp);
	geometry_default(&g, 32);
	g.channels = 2;
	w = dataset_writer_open(fpd, &g, DATASET_F_SERIES, cmd, sizeof(cmd));
	dataset_sample_init(&s);
	for (i = 0; i < 6; i++) {
		window_series_clear(&s.series);
		window_series_push(&s.series, i * 1000000000LL, 100 + 200 * (__u32)i,
				   (__u8)(i & 1));
		window_image(&s.series, &g, &s.pic, NULL);
		memset(&s.win, 0, sizeof(s.win));
		s.win.packets[i & 1] = 1;
		s.win.index = (__u32)i;
		s.source = "x.pcap";
		s.flow = "";
		s.label = i < 4 ? "video" : "chat";
		dataset_writer_add(w, &s);
	}
	dataset_writer_close(w, cmd, sizeof(cmd));
	argv[0] = "show";
	argv[1] = "-o";
	argv[2] = png;
	argv[3] = "--index";
	argv[4] = "2";
	argv[5] = fpd;
	argv[6] = NULL;
	unlink(png);	/* each check reads the PNG its own command wrote */
	rc = test_cmd(cmd_show, argv, NULL);
	png_size(png, &pw, &ph);
	tap_ok(rc == 0 && pw > 2 * 384 && ph > 384,
	       "flowpic show --index 2: a %ux%u PNG, two panels for two channels", pw, ph);
	argv[3] = "--grid";
	argv[4] = "--per-class";
	argv[5] = "3";
	argv[6] = fpd;
	argv[7] = NULL;
	unlink(png);	/* each check reads the PNG its own command wrote */
	rc = test_cmd(cmd_show, argv, NULL);
	png_size(png, &pw, &ph);
	tap_ok(rc == 0 && pw > 3 * 120 && ph > 2 * 120,
	       "flowpic show --grid: a %ux%u PNG, two classes by three", pw, ph);
	argv[3] = "--index";
	snprintf(idx, sizeof(idx), "6");
	argv[4] = idx;
	argv[5] = fpd;
	argv[6] = NULL;
	rc = test_cmd(cmd_show, argv, NULL);
	tap_ok(rc == 1, "flowpic show --index 6 of 6 samples exits 1");
	argv[5] = "/etc/passwd";
	rc = test_cmd(cmd_show, argv, NULL);
	tap_ok(rc == 1, "flowpic show of a file that is not a dataset exits 1");
	dataset_sample_free(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd))
		tap_diag("could not remove %s", tmp);
	return tap_done();
}
