// SPDX-License-Identifier: GPL-2.0
/* Confusion matrices and the scores read from them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/metrics.h"
#include "output/json.h"

int confusion_init(struct confusion *c, uint32_t k)
{
	c->k = k;
	c->m = calloc((size_t)k * k + 1, sizeof(*c->m));
	return c->m ? 0 : -ENOMEM;
}

void confusion_free(struct confusion *c)
{
	free(c->m);
	c->m = NULL;
}

uint64_t confusion_total(const struct confusion *c)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < (size_t)c->k * c->k; i++)
		t += c->m[i];
	return t;
}

double confusion_accuracy(const struct confusion *c)
{
	uint64_t t = confusion_total(c), ok = 0;
	uint32_t i;

	for (i = 0; i < c->k; i++)
		ok += c->m[(size_t)i * c->k + i];
	return t ? (double)ok / t : 0;
}

void confusion_class(const struct confusion *c, uint32_t i, double *prec,
		     double *rec, double *f1, uint64_t *support)
{
	uint64_t tp = c->m[(size_t)i * c->k + i], row = 0, col = 0;
	uint32_t j;

	for (j = 0; j < c->k; j++) {
		row += c->m[(size_t)i * c->k + j];
		col += c->m[(size_t)j * c->k + i];
	}
	*prec = col ? (double)tp / col : 0;
	*rec = row ? (double)tp / row : 0;
	*f1 = *prec + *rec > 0 ? 2 * *prec * *rec / (*prec + *rec) : 0;
	*support = row;
}

static int class_present(const struct confusion *c, uint32_t i)
{
	uint32_t j;

	for (j = 0; j < c->k; j++)
		if (c->m[(size_t)i * c->k + j] || c->m[(size_t)j * c->k + i])
			return 1;
	return 0;
}

double confusion_macro_f1(const struct confusion *c)
{
	double p, r, f1, sum = 0;
	uint32_t i, n = 0;
	uint64_t s;

	for (i = 0; i < c->k; i++) {
		if (!class_present(c, i))
			continue;
		confusion_class(c, i, &p, &r, &f1, &s);
		sum += f1;
		n++;
	}
	return n ? sum / n : 0;
}

void confusion_print(const struct confusion *c, const char *const *names,
		     FILE *f)
{
	int w = 9;
	uint32_t i, j;

	for (i = 0; i < c->k; i++)
		if ((int)strlen(names[i]) > w)
			w = (int)strlen(names[i]);
	fprintf(f, "%-*s %9s %9s %9s %9s\n", w, "class", "precision",
		"recall", "f1", "support");
	for (i = 0; i < c->k; i++) {
		double p, r, f1;
		uint64_t s;

		confusion_class(c, i, &p, &r, &f1, &s);
		fprintf(f, "%-*s %9.4f %9.4f %9.4f %9llu\n", w, names[i], p, r,
			f1, (unsigned long long)s);
	}
	fprintf(f, "\naccuracy %.4f  macro-F1 %.4f  (%llu samples)\n",
		confusion_accuracy(c), confusion_macro_f1(c),
		(unsigned long long)confusion_total(c));
	fprintf(f, "\nconfusion matrix (rows: true, columns: predicted)\n%-*s",
		w, "");
	for (j = 0; j < c->k; j++)
		fprintf(f, " %*.*s", 9, 9, names[j]);
	fprintf(f, "\n");
	for (i = 0; i < c->k; i++) {
		fprintf(f, "%-*s", w, names[i]);
		for (j = 0; j < c->k; j++)
			fprintf(f, " %9llu",
				(unsigned long long)c->m[(size_t)i * c->k + j]);
		fprintf(f, "\n");
	}
}

/* docs/json.md, "flowpic eval --json". */
void confusion_json(const struct confusion *c, const char *const *names,
		    FILE *f)
{
	struct json j;
	uint32_t i, k;

	json_start(&j, f);
	json_object(&j);
	json_key_uint(&j, "samples", confusion_total(c));
	json_key_real(&j, "accuracy", confusion_accuracy(c), 6);
	json_key_real(&j, "macro_f1", confusion_macro_f1(c), 6);
	json_key(&j, "classes");
	json_array(&j);
	for (i = 0; i < c->k; i++) {
		double p, r, f1;
		uint64_t s;

		confusion_class(c, i, &p, &r, &f1, &s);
		json_object(&j);
		json_key_str(&j, "name", names[i]);
		json_key_real(&j, "precision", p, 6);
		json_key_real(&j, "recall", r, 6);
		json_key_real(&j, "f1", f1, 6);
		json_key_uint(&j, "support", s);
		json_end(&j);
	}
	json_end(&j);
	json_key(&j, "confusion");
	json_array(&j);
	for (i = 0; i < c->k; i++) {
		json_array(&j);
		for (k = 0; k < c->k; k++)
			json_uint(&j, c->m[(size_t)i * c->k + k]);
		json_end(&j);
	}
	json_line(&j);
}
