// SPDX-License-Identifier: GPL-2.0
/* Confusion matrices and the scores read from them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/metrics.h"

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

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void confusion_json(const struct confusion *c, const char *const *names,
		    FILE *f)
{
	uint32_t i, j;

	fprintf(f, "{\"samples\":%llu,\"accuracy\":%.6f,\"macro_f1\":%.6f,\"classes\":[",
		(unsigned long long)confusion_total(c), confusion_accuracy(c),
		confusion_macro_f1(c));
	for (i = 0; i < c->k; i++) {
		double p, r, f1;
		uint64_t s;

		confusion_class(c, i, &p, &r, &f1, &s);
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_str(f, names[i]);
		fprintf(f, ",\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"support\":%llu}",
			p, r, f1, (unsigned long long)s);
	}
	fprintf(f, "],\"confusion\":[");
	for (i = 0; i < c->k; i++) {
		fprintf(f, "%s[", i ? "," : "");
		for (j = 0; j < c->k; j++)
			fprintf(f, "%s%llu", j ? "," : "",
				(unsigned long long)c->m[(size_t)i * c->k + j]);
		fprintf(f, "]");
	}
	fprintf(f, "]}\n");
}
