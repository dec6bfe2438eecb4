// SPDX-License-Identifier: GPL-2.0
/*
 * cmp_pictures: are the kernel's FlowPics those of the offline pipeline?
 *
 *   cmp_pictures N WINDOW CHANNELS KERNEL OFFLINE CAPTURE
 *
 * KERNEL is what `dpctl run` printed (completed windows of the tc
 * program), OFFLINE what `flowpic pictures` printed for CAPTURE, a
 * tcpdump of the same interface, both as
 *	PROTO LO:PORT <-> HI:PORT w=INDEX p=PACKETS CELL:COUNT ... [# ...]
 * The two must hold the same flows, and each flow the same cells, except
 * that a packet captured within 100 us of a time-bin edge (a column edge,
 * or a window edge) may sit in the neighbouring bin: the kernel stamps a
 * packet at tc, tcpdump at the packet tap, a few microseconds apart.
 * Which packets are that close comes from CAPTURE through the offline
 * pipeline's own windows (user/flow/pipeline.h). Prints a line per flow;
 * exits 1 on any difference that is not such a move.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowpic.h"
#include "capture/flow_key.h"
#include "flow/geometry.h"
#include "flow/pipeline.h"

#define EDGE_NS		100000	/* 100 us */
#define MAX_FLOWS	64
#define MAX_CELLS	8192

struct cell {
	__u32	ch, row;
	__u64	gcol;		/* window * n + column: one time axis per flow */
	long	kernel, offline;
};

struct move {
	__u32	ch, row;
	__u64	from, to;
};

struct cmp_flow {
	char	key[FLOW_KEY_TEXT_MAX];
	struct cell *cells;
	size_t	ncells;
	struct move *moves;
	size_t	nmoves;
	long	kp, op;		/* packets, each side */
	int	kw, ow;		/* windows */
};

static struct flowpic_geom geom;
static struct cmp_flow flows[MAX_FLOWS];
static int nflows;

static struct cmp_flow *flow_of(const char *key)
{
	int i;

	for (i = 0; i < nflows; i++)
		if (!strcmp(flows[i].key, key))
			return &flows[i];
	if (nflows == MAX_FLOWS) {
		fprintf(stderr, "cmp_pictures: more than %d flows\n", MAX_FLOWS);
		exit(2);
	}
	snprintf(flows[nflows].key, sizeof(flows[nflows].key), "%s", key);
	return &flows[nflows++];
}

static struct cell *cell_of(struct cmp_flow *f, __u32 ch, __u32 row, __u64 g)
{
	size_t i;

	for (i = 0; i < f->ncells; i++)
		if (f->cells[i].ch == ch && f->cells[i].row == row &&
		    f->cells[i].gcol == g)
			return &f->cells[i];
	if (!(f->ncells % 256)) {
		f->cells = realloc(f->cells, (f->ncells + 256) * sizeof(*f->cells));
		if (!f->cells)
			exit(2);
	}
	f->cells[f->ncells] = (struct cell){ ch, row, g, 0, 0 };
	return &f->cells[f->ncells++];
}

/* Reads a pictures file into the kernel or the offline side. */
static void read_pictures(const char *path, int kernel)
{
	char line[65536];
	unsigned int lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "cmp_pictures: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		char *w = strstr(line, " w="), *tok, *save, *hash;
		unsigned int win, p, idx, cnt;
		struct cmp_flow *fl;

		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		if (!w)
			continue;
		*w = 0;
		if (sscanf(w + 1, "w=%u p=%u", &win, &p) != 2) {
			fprintf(stderr, "cmp_pictures: %s:%u: no w= p=\n", path,
				lineno);
			exit(2);
		}
		fl = flow_of(line);
		if (kernel) {
			fl->kp += p;
			fl->kw++;
		} else {
			fl->op += p;
			fl->ow++;
		}
		tok = strtok_r(w + 1, " \n", &save);
		for (; tok; tok = strtok_r(NULL, " \n", &save)) {
			struct cell *c;
			__u32 n = geom.n;

			if (sscanf(tok, "%u:%u", &idx, &cnt) != 2)
				continue;	/* w= and p= */
			if (idx >= flowpic_geom_cells(&geom)) {
				fprintf(stderr, "cmp_pictures: %s:%u: cell %u out of range\n",
					path, lineno, idx);
				exit(2);
			}
			c = cell_of(fl, idx / (n * n), idx / n % n,
				    (__u64)win * n + idx % n);
			if (kernel)
				c->kernel += cnt;
			else
				c->offline += cnt;
		}
	}
	fclose(f);
}

/* Packets of the capture within EDGE_NS of a bin edge: allowed moves. */
static int note_edges(void *ctx, const struct dataset_sample *s)
{
	char key[FLOW_KEY_TEXT_MAX];
	__u64 W = geom.window_ns, n = geom.n;
	struct cmp_flow *f;
	__u32 i;

	flow_key_format(&s->win.key, key, sizeof(key));
	f = flow_of(key);
	for (i = 0; i < s->series.n; i++) {
		const struct window_pkt *p = &s->series.pkts[i];
		struct flowpic_cell c;
		__u64 g, rem;
		__u32 ch;

		if (p->t_ns < 0 ||
		    flowpic_bin(&geom, p->size, p->t_ns, &c) &
		    (FLOWPIC_BIN_PAST | FLOWPIC_BIN_INVALID))
			continue;
		ch = geom.channels == 2 ? p->dir : 0;
		g = (__u64)s->win.index * n + c.col;
		/* distance to the column's edges, in units of 1/n ns */
		rem = (__u64)p->t_ns * n % W;
		if (!(f->nmoves % 256)) {
			f->moves = realloc(f->moves,
					   (f->nmoves + 256) * sizeof(*f->moves));
			if (!f->moves)
				exit(2);
		}
		if (rem < EDGE_NS * n && g > 0)
			f->moves[f->nmoves++] = (struct move){ ch, c.row, g, g - 1 };
		else if (W - rem <= EDGE_NS * n)
			f->moves[f->nmoves++] = (struct move){ ch, c.row, g, g + 1 };
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct flow_config fc;
	struct pipeline *p;
	char err[512];
	int i, bad = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: cmp_pictures N WINDOW CHANNELS KERNEL OFFLINE CAPTURE\n");
		return 2;
	}
	geometry_default(&geom, (unsigned int)atoi(argv[1]));
	if (geometry_parse_duration(argv[2], &geom.window_ns))
		return fprintf(stderr, "cmp_pictures: bad window %s\n", argv[2]), 2;
	geom.channels = (__u8)atoi(argv[3]);
	if (geometry_check(&geom, err, sizeof(err)))
		return fprintf(stderr, "cmp_pictures: %s\n", err), 2;

	read_pictures(argv[4], 1);
	read_pictures(argv[5], 0);

	flow_config_default(&fc, &geom);
	p = pipeline_new(&fc, note_edges, NULL);
	if (!p || pipeline_run(p, argv[6], err, sizeof(err)))
		return fprintf(stderr, "cmp_pictures: %s\n", err), 2;
	pipeline_free(p);

	for (i = 0; i < nflows; i++) {
		struct cmp_flow *f = &flows[i];
		long moved = 0, left = 0;
		size_t j, k;

		/* Explain differences by moves of edge packets, one each. */
		for (j = 0; j < f->nmoves; j++) {
			struct move *m = &f->moves[j];
			struct cell *a = NULL, *b = NULL;

			for (k = 0; k < f->ncells; k++) {
				struct cell *c = &f->cells[k];

				if (c->ch != m->ch || c->row != m->row)
					continue;
				if (c->gcol == m->from)
					a = c;
				else if (c->gcol == m->to)
					b = c;
			}
			if (a && b && a->kernel < a->offline &&
			    b->kernel > b->offline) {
				a->kernel++;
				b->kernel--;
				moved++;
			}
		}
		for (j = 0; j < f->ncells; j++)
			if (f->cells[j].kernel != f->cells[j].offline) {
				left += labs(f->cells[j].kernel -
					     f->cells[j].offline);
				if (left < 20)
					printf("#   %s ch %u row %u col %llu: kernel %ld offline %ld\n",
					       f->key, f->cells[j].ch,
					       f->cells[j].row,
					       (unsigned long long)f->cells[j].gcol,
					       f->cells[j].kernel,
					       f->cells[j].offline);
			}
		if (left || f->kp != f->op || !f->kw || !f->ow)
			bad++;
		printf("# %s %s: kernel %d window(s) %ld packets, offline %d window(s) %ld packets, %zu cells, %ld edge packet(s) moved, %ld differ\n",
		       left || f->kp != f->op || !f->kw || !f->ow ? "DIFFERENT" :
		       "same", f->key, f->kw, f->kp, f->ow, f->op, f->ncells,
		       moved, left);
	}
	if (!nflows) {
		printf("# no flows at all\n");
		bad++;
	}
	return bad ? 1 : 0;
}
