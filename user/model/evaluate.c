// SPDX-License-Identifier: GPL-2.0
/*
 * Scoring a model on labelled FlowPics, and `flowpic eval`: accuracy,
 * per-class precision, recall and F1, the confusion matrix as text, JSON
 * or PNG.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "render/chart.h"
#include "cmd/commands.h"
#include "model/evaluate.h"

void evaluate_label_map(const struct model *m, const struct sample_set *set,
			int32_t *map)
{
	uint32_t i;

	for (i = 0; i < set->nlabels; i++)
		map[i] = model_class_index(m, set->labels[i]);
}

int evaluate_samples(struct model *m, const struct sample_set *set,
		     const uint8_t *part, uint8_t want, uint32_t batch,
		     struct confusion *conf, uint64_t *unknown, char *err,
		     size_t errlen)
{
	return evaluate_samples_dump(m, set, part, want, batch, conf, unknown,
				     NULL, err, errlen);
}

int evaluate_samples_dump(struct model *m, const struct sample_set *set,
			  const uint8_t *part, uint8_t want, uint32_t batch,
			  struct confusion *conf, uint64_t *unknown, FILE *dump,
			  char *err, size_t errlen)
{
	size_t *idx = malloc(batch * sizeof(*idx));
	const struct picture **pp = malloc(batch * sizeof(*pp));
	int32_t *map = malloc((set->nlabels + 1) * sizeof(*map));
	uint32_t *truth = malloc(batch * sizeof(*truth));
	float *probs = malloc((size_t)batch * m->nclasses * sizeof(float));
	struct cnn_work *w = cnn_work_new(&m->net, batch, 0);
	uint32_t nb = 0, j, c;
	size_t i;
	int rc = -ENOMEM;

	*unknown = 0;
	if (!idx || !pp || !map || !truth || !probs || !w ||
	    cnn_prepare(&m->net)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	evaluate_label_map(m, set, map);
	rc = 0;
	for (i = 0; i <= set->n && !rc; i++) {
		if (i < set->n) {
			const struct sample *s = &set->s[i];

			if (part && part[i] != want)
				continue;
			if (s->label == SAMPLE_NO_LABEL || map[s->label] < 0) {
				(*unknown)++;
				/* scored for the dump, not for the matrix */
				if (!dump)
					continue;
				truth[nb] = UINT32_MAX;
			} else {
				truth[nb] = (uint32_t)map[s->label];
			}
			idx[nb] = i;
			pp[nb++] = &s->pic;
			if (nb < batch)
				continue;
		}
		if (!nb)
			break;
		rc = cnn_infer(&m->net, w, &(struct cnn_input){
				.n = nb, .pics = pp, .scale = m->scale }, probs);
		if (rc) {
			snprintf(err, errlen, "inference failed: %s",
				 strerror(-rc));
			break;
		}
		for (j = 0; j < nb; j++) {
			const float *p = probs + (size_t)j * m->nclasses;
			uint32_t best = 0;

			for (c = 1; c < m->nclasses; c++)
				if (p[c] > p[best])
					best = c;
			if (truth[j] != UINT32_MAX)
				confusion_add(conf, truth[j], best);
			if (dump) {
				const struct sample *s = &set->s[idx[j]];

				fprintf(dump, "%s\t%s\t%u\t%s\t%s\t%.4f\n",
					set->sources[s->source],
					s->label == SAMPLE_NO_LABEL ? "-" :
					set->labels[s->label], s->win.index,
					s->flow && *s->flow ? s->flow : "-",
					m->classes[best], p[best]);
			}
		}
		nb = 0;
	}
out:
	cnn_work_free(w);
	free(idx);
	free(pp);
	free(map);
	free(truth);
	free(probs);
	return rc;
}

int evaluate_split_from_model(const struct model *m, double *fraction,
			      uint64_t *seed)
{
	const char *v = model_get_prov(m, "split");
	unsigned long long s;

	if (!v || sscanf(v, "files %lf seed %llu", fraction, &s) != 2)
		return -1;
	*seed = s;
	return 0;
}
