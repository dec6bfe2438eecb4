/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running a model over a sample set and scoring it: shared by
 * `flowpic eval` and by `flowpic train --test-files`.
 */
#ifndef _FLOWPIC_USER_EVALUATE_H
#define _FLOWPIC_USER_EVALUATE_H

#include <stdint.h>
#include <stdio.h>

#include "model/metrics.h"
#include "model/model_file.h"
#include "dataset/sample_set.h"

/*
 * The model's class index for each of the set's labels (-1: unknown to
 * the model) into @map (set->nlabels entries).
 */
void evaluate_label_map(const struct model *m, const struct sample_set *set,
			int32_t *map);
/*
 * Classifies the samples with part[i] == @want (every sample when @part is
 * NULL) in batches of @batch into @conf (model classes, initialised by
 * the caller); samples of labels the model does not know are counted in
 * @unknown and skipped. 0, or -errno with a sentence in @err.
 */
int evaluate_samples(struct model *m, const struct sample_set *set,
		     const uint8_t *part, uint8_t want, uint32_t batch,
		     struct confusion *conf, uint64_t *unknown, char *err,
		     size_t errlen);

/*
 * The same, and with @dump one line per classified sample (source, true
 * label, window index, session, predicted class, confidence); samples of
 * labels the model lacks are then classified too, for the dump only.
 */
int evaluate_samples_dump(struct model *m, const struct sample_set *set,
			  const uint8_t *part, uint8_t want, uint32_t batch,
			  struct confusion *conf, uint64_t *unknown, FILE *dump,
			  char *err, size_t errlen);

/* The split a model's provenance records: "files F seed S", or -1. */
int evaluate_split_from_model(const struct model *m, double *fraction,
			      uint64_t *seed);

#endif /* _FLOWPIC_USER_EVALUATE_H */
