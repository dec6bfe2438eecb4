/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model files: a trained network with everything needed to use it - its
 * layer list, the FlowPic geometry and input scaling it was trained on,
 * its class names, where it came from (dataset digest, seed, date,
 * measured accuracy) and its weights as float32 little-endian in PyTorch's
 * layouts, sealed by a CRC-32. The byte layout is in docs/model-format.md.
 *
 * Loading checks everything (magic, version, size, CRC, every section's
 * bounds, the layer list, the tensors' names and shapes against it, finite
 * weights) and refuses a bad file with a sentence naming the file and the
 * byte offset or section at fault.
 */
#ifndef _FLOWPIC_USER_MODEL_FILE_H
#define _FLOWPIC_USER_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cnn/cnn.h"
#include "flowpic.h"

#define MODEL_MAGIC		"FLOWPICM"
#define MODEL_VERSION		1
#define MODEL_CLASS_NAME_MAX	64	/* with the NUL */
#define MODEL_PROV_MAX		32
#define MODEL_PROV_KEY_MAX	32
#define MODEL_PROV_VAL_MAX	512
#define MODEL_FILE_MAX		(256u << 20)

struct model {
	struct cnn net;
	struct flowpic_geom geom;
	float scale;		/* input value = min(count, clip) * scale */
	uint32_t clip;
	uint32_t nclasses;
	char classes[FLOWPIC_CLASSES_MAX][MODEL_CLASS_NAME_MAX];
	/* provenance: ordered key = value pairs */
	uint32_t nprov;
	char prov_key[MODEL_PROV_MAX][MODEL_PROV_KEY_MAX];
	char prov_val[MODEL_PROV_MAX][MODEL_PROV_VAL_MAX];
};

/*
 * A fresh model: architecture @arch ("mini", "full") for geometry @g and
 * @nclasses classes named @names, parameters zero, scale 1/255, clip 255.
 * 0, or -EINVAL / -ENOMEM with a sentence in @err.
 */
int model_new(struct model *m, const char *arch, const struct flowpic_geom *g,
	      uint32_t nclasses, const char *const *names, char *err,
	      size_t errlen);
void model_free(struct model *m);

/* Sets (or replaces) a provenance entry. -ENOSPC when full or too long. */
__attribute__((format(printf, 3, 4)))
int model_set_prov(struct model *m, const char *key, const char *fmt, ...);
/* The value of @key, or NULL. */
const char *model_get_prov(const struct model *m, const char *key);

/*
 * Writes @m to @path atomically (a temporary file renamed over it).
 * 0, or -errno with a sentence in @err.
 */
int model_save(const struct model *m, const char *path, char *err,
	       size_t errlen);
/*
 * Reads @path into @m. 0, or -EINVAL (bad file), -errno (cannot read),
 * with a sentence naming @path in @err; @m is then empty.
 */
int model_load(struct model *m, const char *path, char *err, size_t errlen);
/* The same from memory; @name is for messages. */
int model_load_mem(struct model *m, const void *buf, size_t len,
		   const char *name, char *err, size_t errlen);
/* The file's bytes in @*buf (malloc'd), for tests and other writers. */
int model_encode(const struct model *m, uint8_t **buf, size_t *len);

/*
 * 0 when pictures of geometry @g fit @m; -EINVAL with a sentence saying
 * what differs otherwise.
 */
int model_check_geom(const struct model *m, const struct flowpic_geom *g,
		     char *err, size_t errlen);
/* Index of class @name, or -1. */
int model_class_index(const struct model *m, const char *name);
/*
 * The confidence threshold calibrated into the model (provenance key
 * "threshold", 0..1, `flowpic model set MODEL threshold=P`), or -1.
 */
float model_threshold(const struct model *m);
/*
 * Per-class thresholds: t[i] for class i is its entry in provenance
 * "thresholds" (CLASS=P,CLASS=P..., `flowpic model set MODEL
 * thresholds=...`), else the model's threshold, else -1. A window whose
 * most probable class is i is `unknown` below t[i]. 0, or -EINVAL with a
 * sentence in @err when "thresholds" names a class the model lacks or a P
 * outside 0..1 (model_load refuses such a file).
 */
int model_thresholds(const struct model *m, float *t, char *err,
		     size_t errlen);

/* `flowpic model info`: a human-readable summary. */
void model_describe(const struct model *m, FILE *f);

#endif /* _FLOWPIC_USER_MODEL_FILE_H */
