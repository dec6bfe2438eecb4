// SPDX-License-Identifier: GPL-2.0
/* Dataset files in memory, and the train / validation / test splits. */
#include <errno.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn/rng.h"
#include "dataset/sample_set.h"

static int intern(char ***names, uint32_t *n, const char *s, uint32_t *idx)
{
	char **t;
	uint32_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*names)[i], s)) {
			*idx = i;
			return 0;
		}
	t = realloc(*names, (*n + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	*names = t;
	t[*n] = strdup(s);
	if (!t[*n])
		return -ENOMEM;
	*idx = (*n)++;
	return 0;
}

static int copy_sample(struct sample_set *set, const struct dataset_sample *in,
		       uint32_t label)
{
	struct sample *s;
	int rc;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		struct sample *t = realloc(set->s, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		set->s = t;
		set->cap = cap;
	}
	s = &set->s[set->n];
	memset(s, 0, sizeof(*s));
	picture_init(&s->pic, &set->geom);
	window_series_init(&s->series);
	s->win = in->win;
	s->label = label;
	s->flow = strdup(in->flow ? in->flow : "");
	if (!s->flow)
		return -ENOMEM;
	if (in->pic.ncells) {
		s->pic.cells = malloc(in->pic.ncells * sizeof(*s->pic.cells));
		if (!s->pic.cells) {
			free(s->flow);
			return -ENOMEM;
		}
		memcpy(s->pic.cells, in->pic.cells,
		       in->pic.ncells * sizeof(*s->pic.cells));
		s->pic.ncells = s->pic.cap = in->pic.ncells;
	}
	rc = intern(&set->sources, &set->nsources, in->source ? in->source : "",
		    &s->source);
	if (!rc && in->series.n)
		rc = window_series_copy(&s->series, &in->series);
	if (rc) {
		picture_free(&s->pic);
		free(s->flow);
		return rc;
	}
	set->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads the names first, sorts them, then indexes the samples by them. */
static int relabel(struct sample_set *set, char **raw, uint32_t nraw)
{
	uint32_t *map = malloc((nraw + 1) * sizeof(*map)), i, j;
	size_t k;

	if (!map)
		return -ENOMEM;
	set->labels = malloc((nraw + 1) * sizeof(*set->labels));
	if (!set->labels) {
		free(map);
		return -ENOMEM;
	}
	memcpy(set->labels, raw, nraw * sizeof(*raw));
	set->nlabels = nraw;
	qsort(set->labels, nraw, sizeof(*set->labels), cmp_str);
	for (i = 0; i < nraw; i++)
		for (j = 0; j < nraw; j++)
			if (set->labels[j] == raw[i])
				map[i] = j;
	for (k = 0; k < set->n; k++)
		if (set->s[k].label != SAMPLE_NO_LABEL)
			set->s[k].label = map[set->s[k].label];
	free(map);
	return 0;
}

int sample_set_load(struct sample_set *set, const char *const *paths,
		    uint32_t n, char *err, size_t errlen)
{
	struct dataset_sample smp;
	char **raw = NULL;
	uint32_t nraw = 0, i;
	const unsigned char *d;
	gcry_md_hd_t md;
	int rc = 0;

	memset(set, 0, sizeof(*set));
	set->has_series = 1;
	/* libgcrypt's SHA-256: the library initialises on first check. */
	if (!gcry_check_version(NULL) ||
	    gcry_md_open(&md, GCRY_MD_SHA256, 0)) {
		snprintf(err, errlen, "libgcrypt: cannot open SHA-256");
		return -ENOMEM;
	}
	dataset_sample_init(&smp);
	for (i = 0; i < n && !rc; i++) {
		struct dataset_reader *r;
		const struct flowpic_geom *g;
		FILE *f;
		int got;

		/* The digest covers the bytes as stored. */
		f = fopen(paths[i], "rb");
		if (f) {
			uint8_t buf[65536];
			size_t k;

			while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
				gcry_md_write(md, buf, k);
			fclose(f);
		}
		r = dataset_reader_open(paths[i], err, errlen);
		if (!r) {
			rc = -EINVAL;
			break;
		}
		g = dataset_reader_geom(r);
		if (!i) {
			set->geom = *g;
		} else if (memcmp(g, &set->geom, sizeof(*g))) {
			snprintf(err, errlen,
				 "%s: geometry %ux%u %g s %u channel(s) differs from %s's %ux%u %g s %u channel(s)",
				 paths[i], g->n, g->n, (double)g->window_ns / 1e9,
				 g->channels, paths[0], set->geom.n, set->geom.n,
				 (double)set->geom.window_ns / 1e9,
				 set->geom.channels);
			dataset_reader_close(r);
			rc = -EINVAL;
			break;
		}
		if (!(dataset_reader_flags(r) & DATASET_F_SERIES))
			set->has_series = 0;
		while ((got = dataset_reader_next(r, &smp)) == 1) {
			uint32_t label = SAMPLE_NO_LABEL;

			if (smp.label && smp.label[0])
				rc = intern(&raw, &nraw, smp.label, &label);
			if (!rc && nraw > FLOWPIC_CLASSES_MAX) {
				snprintf(err, errlen,
					 "%s: more than %d classes",
					 paths[i], FLOWPIC_CLASSES_MAX);
				rc = -EINVAL;
			}
			if (!rc)
				rc = copy_sample(set, &smp, label);
			if (rc)
				break;
		}
		if (!rc && got < 0) {
			snprintf(err, errlen, "%s", dataset_reader_error(r));
			rc = -EINVAL;
		}
		dataset_reader_close(r);
		if (!rc) {
			size_t k = strlen(set->files);

			snprintf(set->files + k, sizeof(set->files) - k, "%s%s",
				 k ? "," : "", paths[i]);
		}
	}
	dataset_sample_free(&smp);
	if (!rc && !n) {
		snprintf(err, errlen, "no dataset files given");
		rc = -EINVAL;
	}
	if (!rc)
		rc = relabel(set, raw, nraw);
	else
		for (i = 0; i < nraw; i++)
			free(raw[i]);
	free(raw);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory reading the datasets");
	if (rc) {
		gcry_md_close(md);
		sample_set_free(set);
		return rc;
	}
	if (!set->n)
		set->has_series = 0;
	d = gcry_md_read(md, GCRY_MD_SHA256);
	for (i = 0; i < 32; i++)
		snprintf(set->digest + 2 * i, 3, "%02x", d[i]);
	gcry_md_close(md);
	return 0;
}

void sample_set_free(struct sample_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		picture_free(&set->s[i].pic);
		window_series_free(&set->s[i].series);
		free(set->s[i].flow);
	}
	free(set->s);
	for (i = 0; i < set->nlabels; i++)
		free(set->labels[i]);
	free(set->labels);
	for (i = 0; i < set->nsources; i++)
		free(set->sources[i]);
	free(set->sources);
	memset(set, 0, sizeof(*set));
}

size_t sample_set_first_windows(struct sample_set *set)
{
	size_t i, k = 0, dropped;

	for (i = 0; i < set->n; i++) {
		if (set->s[i].win.index) {
			picture_free(&set->s[i].pic);
			window_series_free(&set->s[i].series);
			free(set->s[i].flow);
			continue;
		}
		set->s[k++] = set->s[i];
	}
	dropped = set->n - k;
	set->n = k;
	return dropped;
}

int sample_set_keep_classes(struct sample_set *set, const char *list,
			    char *err, size_t errlen)
{
	char buf[1024], *tok, *save = NULL, **keep;
	int32_t map[FLOWPIC_CLASSES_MAX + 1];
	uint32_t nkeep = 0, i;
	size_t k = 0, j;
	int idx;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "class list too long");
		return -EINVAL;
	}
	keep = calloc(set->nlabels + 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	for (i = 0; i < set->nlabels; i++)
		map[i] = -1;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		idx = sample_set_label(set, tok);
		if (idx < 0) {
			snprintf(err, errlen, "class '%s': no sample has it (%s)",
				 tok, set->files);
			free(keep);
			return -EINVAL;
		}
		map[idx] = 0;
	}
	/* the kept names stay sorted: renumber in their order */
	for (i = 0; i < set->nlabels; i++) {
		if (map[i] < 0) {
			free(set->labels[i]);
			continue;
		}
		map[i] = (int32_t)nkeep;
		keep[nkeep++] = set->labels[i];
	}
	for (j = 0; j < set->n; j++) {
		struct sample *s = &set->s[j];

		if (s->label == SAMPLE_NO_LABEL || map[s->label] < 0) {
			picture_free(&s->pic);
			window_series_free(&s->series);
			free(s->flow);
			continue;
		}
		s->label = (uint32_t)map[s->label];
		set->s[k++] = *s;
	}
	set->n = k;
	free(set->labels);
	set->labels = keep;
	set->nlabels = nkeep;
	return 0;
}

int sample_set_label(const struct sample_set *set, const char *name)
{
	uint32_t i;

	for (i = 0; i < set->nlabels; i++)
		if (!strcmp(set->labels[i], name))
			return (int)i;
	return -1;
}

static void shuffle_u32(uint32_t *a, uint32_t n, struct rng *r)
{
	uint32_t i, j, t;

	for (i = n; i > 1; i--) {
		j = rng_below(r, i);
		t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* How many of @n go to the smaller part: rounded, one if n >= 2. */
static uint32_t take(uint32_t n, double fraction)
{
	uint32_t k = (uint32_t)(fraction * n + 0.5);

	if (!k && n >= 2 && fraction > 0)
		k = 1;
	if (k >= n && n)
		k = n - 1;
	return k;
}

uint32_t sample_set_split_files(const struct sample_set *set, double fraction,
				uint64_t seed, uint8_t *part)
{
	uint32_t nl = set->nlabels + 1, ns = set->nsources, f, l, held = 0;
	uint64_t *count = calloc((size_t)ns * nl + 1, sizeof(*count));
	uint32_t *major = calloc(ns + 1, sizeof(*major));
	uint32_t *pick = calloc(ns + 1, sizeof(*pick));
	uint8_t *out = calloc(ns + 1, 1);
	struct rng r;
	size_t i;

	if (!count || !major || !pick || !out)
		goto done;
	for (i = 0; i < set->n; i++) {
		uint32_t lab = set->s[i].label == SAMPLE_NO_LABEL ?
			set->nlabels : set->s[i].label;

		count[(size_t)set->s[i].source * nl + lab]++;
	}
	for (f = 0; f < ns; f++)
		for (l = 0; l < nl; l++)
			if (count[(size_t)f * nl + l] >
			    count[(size_t)f * nl + major[f]])
				major[f] = l;
	rng_seed(&r, seed);
	for (l = 0; l < nl; l++) {
		uint32_t k = 0, j, m;

		/* files in name order, then shuffled: independent of read order */
		for (f = 0; f < ns; f++)
			if (major[f] == l)
				pick[k++] = f;
		for (j = 1; j < k; j++)
			for (m = j; m > 0 &&
			     strcmp(set->sources[pick[m - 1]],
				    set->sources[pick[m]]) > 0; m--) {
				uint32_t t = pick[m];

				pick[m] = pick[m - 1];
				pick[m - 1] = t;
			}
		shuffle_u32(pick, k, &r);
		m = take(k, fraction);
		for (j = 0; j < m; j++)
			out[pick[j]] = 1;
		held += m;
	}
	for (i = 0; i < set->n; i++)
		part[i] = out[set->s[i].source];
done:
	free(count);
	free(major);
	free(pick);
	free(out);
	return held;
}

void sample_set_split_stratified(const struct sample_set *set,
				 double fraction, uint64_t seed,
				 uint8_t *part)
{
	uint32_t *idx = malloc((set->n + 1) * sizeof(*idx)), l, k, j;
	struct rng r;
	size_t i;

	if (!idx)
		return;
	rng_seed(&r, seed);
	for (l = 0; l <= set->nlabels; l++) {
		uint32_t want = l == set->nlabels ? SAMPLE_NO_LABEL : l;

		for (i = 0, k = 0; i < set->n; i++)
			if (!part[i] && set->s[i].label == want)
				idx[k++] = (uint32_t)i;
		shuffle_u32(idx, k, &r);
		for (j = 0; j < take(k, fraction); j++)
			part[idx[j]] = 2;
	}
	free(idx);
}
