// SPDX-License-Identifier: GPL-2.0
/*
 * Writes a model whose verdict is known in advance, for the daemon's
 * selftests: the "mini" network with every weight zero except the last
 * layer's bias, so every FlowPic gets class FAVOUR with the confidence
 * the bias gives (softmax of the bias). The pipeline around it (kernel
 * windows, queue, batching, labels, policy) is what the tests judge.
 *
 * usage: daemon_model OUT WINDOW_MS N CLASSES FAVOUR BIAS
 *   CLASSES  comma-separated names ("a,b")
 *   FAVOUR   index of the class that wins; BIAS its bias (0: all equal)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_file.h"

int main(int argc, char **argv)
{
	struct flowpic_geom g = { .max_size = FLOWPIC_MAX_PKT_SIZE,
				  .channels = 1 };
	const char *names[FLOWPIC_CLASSES_MAX];
	char err[512], *list, *tok, *save;
	const struct cnn_layer *last;
	uint32_t n = 0, favour;
	struct model m;

	if (argc != 7) {
		fprintf(stderr, "usage: daemon_model OUT WINDOW_MS N CLASSES "
			"FAVOUR BIAS\n");
		return 2;
	}
	g.window_ns = strtoull(argv[2], NULL, 10) * 1000000ULL;
	g.n = (__u16)atoi(argv[3]);
	list = strdup(argv[4]);
	for (tok = strtok_r(list, ",", &save); tok && n < FLOWPIC_CLASSES_MAX;
	     tok = strtok_r(NULL, ",", &save))
		names[n++] = tok;
	favour = (uint32_t)atoi(argv[5]);
	if (favour >= n) {
		fprintf(stderr, "daemon_model: FAVOUR %u >= %u classes\n",
			favour, n);
		return 2;
	}
	if (model_new(&m, "mini", &g, n, names, err, sizeof(err))) {
		fprintf(stderr, "daemon_model: %s\n", err);
		return 1;
	}
	/* The last layer with parameters is the classifier. */
	last = NULL;
	for (uint32_t l = 0; l < m.net.nlayers; l++)
		if (m.net.layer[l].nb)
			last = &m.net.layer[l];
	if (!last || last->nb != n) {
		fprintf(stderr, "daemon_model: no classifier layer\n");
		return 1;
	}
	m.net.params[last->boff + favour] = strtof(argv[6], NULL);
	model_set_prov(&m, "purpose", "flowpicd selftest: always %s",
		       names[favour]);
	if (model_save(&m, argv[1], err, sizeof(err))) {
		fprintf(stderr, "daemon_model: %s\n", err);
		return 1;
	}
	model_free(&m);
	free(list);
	return 0;
}
