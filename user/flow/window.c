// SPDX-License-Identifier: GPL-2.0
/*
 * Window packet series and imaging them into FlowPics. The one place
 * userspace turns packets into cells, shared by the pipeline and by
 * training's augmentations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/window.h"

void window_series_init(struct window_series *s)
{
	memset(s, 0, sizeof(*s));
}

void window_series_free(struct window_series *s)
{
	free(s->pkts);
	memset(s, 0, sizeof(*s));
}

static int window_series_reserve(struct window_series *s, uint32_t want)
{
	struct window_pkt *p;
	uint32_t cap = s->cap ? s->cap : 16;

	if (want <= s->cap)
		return 0;
	while (cap < want) {
		if (cap > UINT32_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	p = realloc(s->pkts, (size_t)cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->pkts = p;
	s->cap = cap;
	return 0;
}

int window_series_push(struct window_series *s, __s64 t_ns, __u32 size,
		       __u8 dir)
{
	struct window_pkt *p;

	if (s->n == s->cap && window_series_reserve(s, s->n + 1))
		return -ENOMEM;
	p = &s->pkts[s->n++];
	p->t_ns = t_ns;
	p->size = size;
	p->dir = dir;
	memset(p->__pad, 0, sizeof(p->__pad));
	return 0;
}

int window_series_copy(struct window_series *dst,
		       const struct window_series *src)
{
	if (window_series_reserve(dst, src->n))
		return -ENOMEM;
	if (src->n)
		memcpy(dst->pkts, src->pkts, (size_t)src->n * sizeof(*dst->pkts));
	dst->n = src->n;
	return 0;
}

int window_image(const struct window_series *s, const struct flowpic_geom *g,
		 struct picture *p, struct window_image_stats *st)
{
	struct window_image_stats local = { 0 };
	uint32_t stack_idx[256], *idx = stack_idx, i, k = 0;
	struct flowpic_cell c = { 0 };
	int err;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (flowpic_geom_invalid(g))
		return -EINVAL;
	p->geom = *g;
	/* Most mini-FlowPic windows are short: no allocation for them. */
	if (s->n > sizeof(stack_idx) / sizeof(stack_idx[0])) {
		idx = malloc((size_t)s->n * sizeof(*idx));
		if (!idx)
			return -ENOMEM;
	}
	for (i = 0; i < s->n; i++) {
		const struct window_pkt *w = &s->pkts[i];
		__u32 flags = flowpic_bin(g, w->size, w->t_ns, &c);

		if (flags & FLOWPIC_BIN_PAST) {
			st->past++;
			continue;
		}
		st->clipped += !!(flags & FLOWPIC_BIN_CLIPPED);
		st->early += !!(flags & FLOWPIC_BIN_EARLY);
		idx[k++] = flowpic_cell_index(g, g->channels == 2 ? (w->dir & 1) : 0,
					      &c);
	}
	st->binned = k;
	err = picture_from_indices(p, idx, k);
	if (idx != stack_idx)
		free(idx);
	return err;
}

void window_count(const struct window_series *s, const struct flowpic_geom *g,
		  struct window_image_stats *st)
{
	uint32_t i;

	memset(st, 0, sizeof(*st));
	/* flowpic_bin()'s flags, without the cell */
	for (i = 0; i < s->n; i++) {
		const struct window_pkt *w = &s->pkts[i];

		if (w->t_ns >= 0 && (__u64)w->t_ns >= g->window_ns) {
			st->past++;
			continue;
		}
		st->clipped += w->size > g->max_size;
		st->early += w->t_ns < 0;
	}
	st->binned = s->n - st->past;
}
