// SPDX-License-Identifier: GPL-2.0
/* Sparse FlowPics: building, densifying, comparing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/picture.h"

void picture_init(struct picture *p, const struct flowpic_geom *g)
{
	memset(p, 0, sizeof(*p));
	p->geom = *g;
}

void picture_free(struct picture *p)
{
	free(p->cells);
	p->cells = NULL;
	p->ncells = p->cap = 0;
}

void picture_clear(struct picture *p)
{
	p->ncells = 0;
}

static int picture_reserve(struct picture *p, size_t want)
{
	struct flowpic_sparse_cell *c;
	size_t cap = p->cap ? p->cap : 64;

	if (want <= p->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	c = realloc(p->cells, cap * sizeof(*c));
	if (!c)
		return -ENOMEM;
	p->cells = c;
	p->cap = (uint32_t)cap;
	return 0;
}

/* LSD radix sort on 32-bit keys: windows carry up to millions of packets. */
static int sort_indices(uint32_t *idx, size_t n)
{
	uint32_t *tmp, *src = idx, *dst;
	size_t count[256], i;
	int shift;

	if (n < 64) {
		for (i = 1; i < n; i++) {
			uint32_t v = idx[i];
			size_t j = i;

			while (j && idx[j - 1] > v) {
				idx[j] = idx[j - 1];
				j--;
			}
			idx[j] = v;
		}
		return 0;
	}
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	dst = tmp;
	for (shift = 0; shift < 32; shift += 8) {
		size_t sum = 0;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i] >> shift) & 0xff]++;
		for (i = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xff]++] = src[i];
		uint32_t *t = src;

		src = dst;
		dst = t;
	}
	/* Four passes: the sorted keys are back in idx. */
	free(tmp);
	return 0;
}

/*
 * Pictures of up to this many cells are built by counting: a bit per cell
 * says it was seen, so the cells come out in order without sorting the
 * packets (a 32x32 picture of two channels: 2,048 cells, 256 bytes of
 * bits to clear).
 */
#define PICTURE_COUNT_CELLS	16384

static int picture_count(struct picture *p, const uint32_t *idx, size_t n,
			 uint32_t total)
{
	uint64_t seen[PICTURE_COUNT_CELLS / 64];
	uint8_t count[PICTURE_COUNT_CELLS];
	uint32_t words = (total + 63) / 64, w, k = 0;
	size_t i;
	int err;

	err = picture_reserve(p, n < total ? n : total);
	if (err)
		return err;
	memset(seen, 0, words * sizeof(*seen));
	for (i = 0; i < n; i++) {
		uint32_t v = idx[i];
		uint64_t bit = 1ULL << (v & 63);

		if (!(seen[v >> 6] & bit)) {
			seen[v >> 6] |= bit;
			count[v] = 1;
		} else if (count[v] < FLOWPIC_CELL_MAX) {
			count[v]++;
		}
	}
	for (w = 0; w < words; w++) {
		uint64_t m = seen[w];

		while (m) {
			uint32_t v = w * 64 + (uint32_t)__builtin_ctzll(m);

			p->cells[k].index = v;
			p->cells[k].count = count[v];
			k++;
			m &= m - 1;
		}
	}
	p->ncells = k;
	return 0;
}

int picture_from_indices(struct picture *p, uint32_t *idx, size_t n)
{
	uint32_t total = flowpic_geom_cells(&p->geom);
	size_t i, k = 0;
	int err;

	p->ncells = 0;
	for (i = 0; i < n; i++)
		if (idx[i] >= total)
			return -ERANGE;
	/* short windows sort faster than their picture's bits clear */
	if (n >= 32 && total <= PICTURE_COUNT_CELLS)
		return picture_count(p, idx, n, total);
	err = sort_indices(idx, n);
	if (!err)
		err = picture_reserve(p, n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (k && p->cells[k - 1].index == idx[i]) {
			if (p->cells[k - 1].count < FLOWPIC_CELL_MAX)
				p->cells[k - 1].count++;
			continue;
		}
		p->cells[k].index = idx[i];
		p->cells[k].count = 1;
		k++;
	}
	p->ncells = (uint32_t)k;
	return 0;
}

int picture_from_dense(struct picture *p, const uint8_t *dense)
{
	uint32_t total = flowpic_geom_cells(&p->geom), i, k = 0;
	int err;

	p->ncells = 0;
	for (i = 0; i < total; i++) {
		uint64_t word;

		/* Most cells are empty: eight at a time. */
		if (!(i & 7) && i + 8 <= total) {
			memcpy(&word, dense + i, sizeof(word));
			if (!word) {
				i += 7;
				continue;
			}
		}
		if (!dense[i])
			continue;
		err = picture_reserve(p, k + 1);
		if (err)
			return err;
		p->cells[k].index = i;
		p->cells[k].count = dense[i];
		k++;
	}
	p->ncells = k;
	return 0;
}

void picture_to_dense(const struct picture *p, float *out, float scale)
{
	uint32_t i;

	memset(out, 0, sizeof(*out) * flowpic_geom_cells(&p->geom));
	for (i = 0; i < p->ncells; i++)
		out[p->cells[i].index] = (float)p->cells[i].count * scale;
}

uint64_t picture_total(const struct picture *p)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < p->ncells; i++)
		sum += p->cells[i].count;
	return sum;
}

int picture_cmp(const struct picture *a, const struct picture *b)
{
	if (memcmp(&a->geom, &b->geom, sizeof(a->geom)) ||
	    a->ncells != b->ncells)
		return 1;
	return a->ncells ? memcmp(a->cells, b->cells,
				  a->ncells * sizeof(*a->cells)) != 0 : 0;
}
