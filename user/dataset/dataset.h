/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dataset files: many labelled FlowPics of one geometry, each with its
 * provenance (source file, flow key or session name, window index) and,
 * optionally, the window's packet series. Written by `flowpic dataset`,
 * read by training and `flowpic show`. The byte layout is in
 * docs/dataset-format.md.
 *
 * Files are a stream of checksummed records, so they can be written and
 * read through a pipe ("-"), and a file cut short still yields every
 * sample before the cut (the reader then reports where it stopped).
 */
#ifndef _FLOWPIC_USER_DATASET_H
#define _FLOWPIC_USER_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "flowpic.h"
#include "flow/picture.h"
#include "flow/window.h"

#define DATASET_VERSION		1

/* Writer flags. */
#define DATASET_F_SERIES	(1U << 0)	/* samples carry their series */

struct dataset_sample {
	/*
	 * key (all zero, family 0, for CSV sessions, which have no
	 * 5-tuple), start_ns (capture time, or 0 for sessions), bytes[] and
	 * packets[] per direction, index (window number in the flow), n and
	 * channels (the file's geometry), reason (enum flowpic_end_reason),
	 * cells (= pic.ncells).
	 */
	struct flowpic_window win;
	struct picture pic;		/* sparse, the file's geometry */
	struct window_series series;	/* n == 0 when the file has none */
	const char *source;		/* capture or CSV file, as given */
	const char *flow;		/* session name; "" for captures */
	const char *label;		/* class name; NULL if unlabelled */
};

/* Empty sample; the reader fills and reuses its buffers. */
void dataset_sample_init(struct dataset_sample *s);
void dataset_sample_free(struct dataset_sample *s);

struct dataset_writer;

/*
 * Creates @path ("-" for stdout) for samples of geometry @g. NULL on
 * error, with a sentence naming the file in @err.
 */
struct dataset_writer *dataset_writer_open(const char *path,
					   const struct flowpic_geom *g,
					   unsigned int flags,
					   char *err, size_t errlen);
/*
 * Appends @s (its pic must have the file's geometry; its series is
 * written when the file has DATASET_F_SERIES). 0 or -errno.
 */
int dataset_writer_add(struct dataset_writer *w,
		       const struct dataset_sample *s);
uint64_t dataset_writer_samples(const struct dataset_writer *w);
/*
 * Writes the end record, flushes and closes; frees @w either way.
 * 0, or -errno with a sentence in @err (disk full, ...).
 */
int dataset_writer_close(struct dataset_writer *w, char *err, size_t errlen);

struct dataset_reader;

/*
 * Opens @path ("-" for stdin) and checks its header: magic, version
 * (DATASET_VERSION only), geometry. NULL with a sentence in @err.
 */
struct dataset_reader *dataset_reader_open(const char *path,
					   char *err, size_t errlen);
const struct flowpic_geom *dataset_reader_geom(const struct dataset_reader *r);
unsigned int dataset_reader_flags(const struct dataset_reader *r);
/*
 * Reads the next sample into @s (its strings stay valid until the reader
 * closes). 1: a sample; 0: the end of a complete file; -1: the file is
 * truncated or corrupt - dataset_reader_error() says where, and the
 * samples already returned are good.
 */
int dataset_reader_next(struct dataset_reader *r, struct dataset_sample *s);
const char *dataset_reader_error(const struct dataset_reader *r);
uint64_t dataset_reader_samples(const struct dataset_reader *r);
/* Class names met so far, in order of first appearance. */
uint32_t dataset_reader_labels(const struct dataset_reader *r,
			       const char *const **names);
void dataset_reader_close(struct dataset_reader *r);

#endif /* _FLOWPIC_USER_DATASET_H */
