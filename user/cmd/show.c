// SPDX-License-Identifier: GPL-2.0
/*
 * `flowpic show`: the command line over user/render/render.c.
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

#define MARGIN_L(s)	(44 * (s))
#define MARGIN_B(s)	(30 * (s))
#define MARGIN_T(s)	(30 * (s))

static int show_one(const struct dataset_sample *s, const char *out,
		    int target)
{
	int scale = 2, d, size = render_panel_size(s->pic.geom.n, target, &d);
	int ch, nch = s->pic.geom.channels, pw = MARGIN_L(scale) + size + 16;
	struct canvas cv;
	char key[FLOW_KEY_TEXT_MAX], line[512], sub[600], err[512];
	const char *b = strrchr(s->source, '/');
	int rc, w;

	snprintf(line, sizeof(line), "%s  %ux%u, %.4g s windows: no. %u, %u packets",
		 s->label ? s->label : "(unlabelled)", s->pic.geom.n,
		 s->pic.geom.n, s->pic.geom.window_ns / 1e9, s->win.index,
		 s->win.packets[0] + s->win.packets[1]);
	if (s->win.key.family)
		flow_key_format(&s->win.key, key, sizeof(key));
	else
		snprintf(key, sizeof(key), "session %s", s->flow);
	snprintf(sub, sizeof(sub), "%s  %s", b ? b + 1 : s->source, key);
	w = pw * nch + 16;
	if (canvas_text_width(line, scale) + 16 > w)
		w = canvas_text_width(line, scale) + 16;
	if (canvas_text_width(sub, 1) + 16 > w)
		w = canvas_text_width(sub, 1) + 16;
	if (canvas_init(&cv, w, MARGIN_T(scale) + 12 * scale + size +
			MARGIN_B(scale), 0xffffff))
		return -ENOMEM;
	canvas_text(&cv, 8, 6, line, RENDER_INK, scale);
	canvas_text(&cv, 8, 6 + 11 * scale, sub, RENDER_INK, 1);
	for (ch = 0; ch < nch; ch++) {
		int x0 = ch * pw + MARGIN_L(scale) + 8;
		int y0 = MARGIN_T(scale) + 12 * scale;

		if (nch == 2)
			canvas_text(&cv, x0 + size - canvas_text_width(ch ? "hi -> lo" : "lo -> hi", scale),
				    y0 - 13 * scale, ch ? "hi -> lo" : "lo -> hi",
				    RENDER_INK, scale);
		render_panel(&cv, x0, y0, &s->pic, (unsigned int)ch, target,
			     scale, 1);
	}
	rc = canvas_png(&cv, out, err, sizeof(err));
	if (rc)
		fprintf(stderr, "flowpic show: %s\n", err);
	canvas_free(&cv);
	return rc;
}

struct grid_row {
	const char *label;
	struct picture pic[RENDER_GRID_MAX];
	int n;
};

static int show_grid(struct grid_row *rows, int nrows, int per, const char *out)
{
	int scale = 1, target = 120, d, ch, r, i, rc;
	const struct flowpic_geom *g = &rows[0].pic[0].geom;
	int size = render_panel_size(g->n, target, &d), nch = g->channels;
	int lab = 0, cw, rh, x0, y0;
	struct canvas cv;
	char err[512], title[160];

	for (r = 0; r < nrows; r++)
		if (canvas_text_width(rows[r].label, 2) > lab)
			lab = canvas_text_width(rows[r].label, 2);
	cw = MARGIN_L(scale) + size * nch + 6 * (nch - 1) + 12;
	rh = size + MARGIN_B(scale) + 14;
	if (canvas_init(&cv, lab + 24 + cw * per, 40 + rh * nrows, 0xffffff))
		return -ENOMEM;
	snprintf(title, sizeof(title), "FlowPics per class: %ux%u, %.4g s windows%s",
		 g->n, g->n, g->window_ns / 1e9,
		 nch == 2 ? ", lo->hi | hi->lo" : "");
	canvas_text(&cv, 8, 8, title, RENDER_INK, 2);
	for (r = 0; r < nrows; r++) {
		y0 = 40 + r * rh + 14;
		canvas_text(&cv, 8, y0 + size / 2 - 8, rows[r].label, RENDER_INK, 2);
		for (i = 0; i < rows[r].n; i++) {
			x0 = lab + 24 + i * cw + MARGIN_L(scale);
			for (ch = 0; ch < nch; ch++)
				render_panel(&cv, x0 + ch * (size + 6), y0,
					     &rows[r].pic[i], (unsigned int)ch,
					     target, scale, ch == 0);
		}
	}
	rc = canvas_png(&cv, out, err, sizeof(err));
	if (rc)
		fprintf(stderr, "flowpic show: %s\n", err);
	canvas_free(&cv);
	return rc;
}

static void show_usage(FILE *f)
{
	fprintf(f,
"usage: flowpic show [OPTIONS] DATASET\n"
"Renders FlowPics of a dataset file to PNG, or lists its samples.\n\n"
"  -o, --output FILE  PNG to write ('-': stdout)\n"
"  --index I          the sample to draw, counted from 0 (0)\n"
"  --grid             up to --per-class samples of every class instead\n"
"  --per-class K      samples per class in the grid, 1..%d (6)\n"
"  --label NAME       only samples with this label\n"
"  --min-packets K    only samples with at least K packets\n"
"  --size PX          plot size in pixels for one sample (384; 750 above 384x384)\n"
"  --list             print one line per sample instead of drawing\n",
		RENDER_GRID_MAX);
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "index", required_argument, NULL, 'i' },
		{ "grid", no_argument, NULL, 'g' },
		{ "per-class", required_argument, NULL, 'k' },
		{ "label", required_argument, NULL, 'l' },
		{ "min-packets", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 'z' },
		{ "list", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *only = NULL;
	long index = 0, per = 6, size = 0, minp = 0;
	struct grid_row rows[FLOWPIC_CLASSES_MAX + 1];
	int o, grid = 0, list = 0, nrows = 0, rc, status = 0, r, found = 0;
	struct dataset_reader *rd;
	struct dataset_sample s;
	char err[1024], key[FLOW_KEY_TEXT_MAX];
	uint64_t i = 0;

	while ((o = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			out = optarg;
			break;
		case 'i':
			index = strtol(optarg, NULL, 10);
			break;
		case 'g':
			grid = 1;
			break;
		case 'k':
			per = strtol(optarg, NULL, 10);
			break;
		case 'l':
			only = optarg;
			break;
		case 'm':
			minp = strtol(optarg, NULL, 10);
			break;
		case 'z':
			size = strtol(optarg, NULL, 10);
			break;
		case 'L':
			list = 1;
			break;
		default:
			show_usage(o == 'h' ? stdout : stderr);
			return o == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1 || (!list && !out) || index < 0 || per < 1 ||
	    per > RENDER_GRID_MAX || (size && (size < 64 || size > 4096))) {
		show_usage(stderr);
		return 2;
	}
	rd = dataset_reader_open(argv[optind], err, sizeof(err));
	if (!rd) {
		fprintf(stderr, "flowpic show: %s\n", err);
		return 1;
	}
	dataset_sample_init(&s);
	memset(rows, 0, sizeof(rows));
	while ((rc = dataset_reader_next(rd, &s)) == 1) {
		const char *lab = s.label ? s.label : "(unlabelled)";

		if ((only && strcmp(only, lab)) ||
		    s.win.packets[0] + s.win.packets[1] < (uint64_t)minp)
			continue;
		if (list) {
			if (s.win.key.family)
				flow_key_format(&s.win.key, key, sizeof(key));
			else
				snprintf(key, sizeof(key), "SESSION %s", s.flow);
			printf("%" PRIu64 " %s %s %s w=%u p=%u cells=%u\n", i++,
			       lab, s.source, key, s.win.index,
			       s.win.packets[0] + s.win.packets[1], s.pic.ncells);
			continue;
		}
		if (!grid) {
			if (i++ == (uint64_t)index) {
				found = 1;
				/* big pictures get 2 x 2 cells per pixel */
				if (!size)
					size = s.pic.geom.n > 384 ? 750 : 384;
				status = show_one(&s, out, (int)size) ? 1 : 0;
				break;
			}
			continue;
		}
		for (r = 0; r < nrows; r++)
			if (!strcmp(rows[r].label, lab))
				break;
		if (r == nrows) {
			if (nrows == FLOWPIC_CLASSES_MAX + 1)
				continue;
			rows[nrows].label = strdup(lab);
			if (!rows[nrows].label)
				break;
			nrows++;
		}
		if (rows[r].n < per) {
			struct picture *p = &rows[r].pic[rows[r].n];

			picture_init(p, &s.pic.geom);
			p->cells = malloc((s.pic.ncells ? s.pic.ncells : 1) *
					  sizeof(*p->cells));
			if (!p->cells)
				break;
			memcpy(p->cells, s.pic.cells,
			       s.pic.ncells * sizeof(*p->cells));
			p->ncells = p->cap = s.pic.ncells;
			rows[r].n++;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "flowpic show: %s\n", dataset_reader_error(rd));
		status = 1;
	}
	if (grid && nrows && show_grid(rows, nrows, (int)per, out))
		status = 1;
	else if (grid && !nrows && !status)
		fprintf(stderr, "flowpic show: %s: no sample to draw\n", argv[optind]), status = 1;
	if (!list && !grid && !found && !status) {
		fprintf(stderr, "flowpic show: %s: no sample %ld (it holds %" PRIu64 " that match)\n",
			argv[optind], index, i);
		status = 1;
	}
	for (r = 0; r < nrows; r++) {
		for (o = 0; o < rows[r].n; o++)
			picture_free(&rows[r].pic[o]);
		free((char *)rows[r].label);
	}
	dataset_sample_free(&s);
	dataset_reader_close(rd);
	return status;
}
