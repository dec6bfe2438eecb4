/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dataset files (user/dataset/dataset.h) read whole into memory for training and
 * evaluation, with their classes, their digest, and the splits the
 * commands share: held-out source files (so windows of one capture or
 * session file never sit on both sides) and a stratified validation part.
 */
#ifndef _FLOWPIC_USER_SAMPLE_SET_H
#define _FLOWPIC_USER_SAMPLE_SET_H

#include <stddef.h>
#include <stdint.h>

#include "dataset/dataset.h"
#include "flow/picture.h"
#include "flow/window.h"

#define SAMPLE_NO_LABEL		UINT32_MAX
#define SAMPLE_SET_FILES_MAX	64

struct sample {
	struct picture pic;
	struct window_series series;	/* n == 0 without series */
	struct flowpic_window win;
	uint32_t label;			/* index in labels[], or SAMPLE_NO_LABEL */
	uint32_t source;		/* index in sources[] */
	char *flow;			/* session name, "" for captures */
};

struct sample_set {
	struct flowpic_geom geom;
	int has_series;			/* every file carries series */
	struct sample *s;
	size_t n, cap;
	char **labels;			/* sorted */
	uint32_t nlabels;
	char **sources;
	uint32_t nsources;
	char digest[65];		/* SHA-256 of the files, in order */
	char files[1024];		/* the files, comma-separated */
};

/*
 * Reads every sample of the dataset files @paths (@n of them, one
 * geometry). Class indices follow the sorted label names. 0, or -errno
 * with a sentence naming the file and record in @err (a truncated or
 * corrupt file is an error: the set is then empty).
 */
int sample_set_load(struct sample_set *set, const char *const *paths,
		    uint32_t n, char *err, size_t errlen);
void sample_set_free(struct sample_set *set);
/*
 * Keeps only the first window of each flow or session (window index 0),
 * as the "first 15 s" protocol of mini-FlowPic does. Returns how many
 * samples it dropped.
 */
size_t sample_set_first_windows(struct sample_set *set);
/*
 * Keeps only the samples of the comma-separated classes @list (and
 * relabels them among those). -EINVAL with a sentence in @err when a
 * class of the list has no sample.
 */
int sample_set_keep_classes(struct sample_set *set, const char *list,
			    char *err, size_t errlen);
/* Index of label @name, or -1. */
int sample_set_label(const struct sample_set *set, const char *name);

/*
 * Holds out about @fraction of the source files, per class (a file's class
 * being its most common label), at least one file of each class that has
 * two, drawn from @seed: part[i] = 1 for held-out samples, 0 otherwise.
 * Returns the number of held-out files.
 */
uint32_t sample_set_split_files(const struct sample_set *set, double fraction,
				uint64_t seed, uint8_t *part);
/*
 * Among samples with part[i] == 0, marks about @fraction of each class
 * part[i] = 2, drawn from @seed.
 */
void sample_set_split_stratified(const struct sample_set *set,
				 double fraction, uint64_t seed,
				 uint8_t *part);

#endif /* _FLOWPIC_USER_SAMPLE_SET_H */
