// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic: offline work with FlowPics - build them from captures, train
 * and evaluate the classifier, classify captures, inspect live state.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"

/*
 * OpenBLAS starts a worker thread before main() which, finding no work,
 * spins on sched_yield() for about 2^28 clock ticks (a tenth of a second)
 * before it sleeps: on a second core, for as long as reading a large
 * capture takes. The commands that multiply no matrices stop it at once
 * (OpenBLAS exports blas_thread_shutdown_(); weak, so that a BLAS without
 * it links too).
 */
extern int blas_thread_shutdown_(void) __attribute__((weak));

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	int blas;		/* runs the CNN */
};

static const struct command commands[] = {
	{ "bin", cmd_bin, "show the FlowPic cell of a packet size and time", 0 },
	{ "pictures", cmd_pictures, "print the FlowPics of captures or sessions", 0 },
	{ "flows", cmd_flows, "list live flows and their labels (kernel maps)", 0 },
	{ "stats", cmd_stats, "show the kernel side's and flowpicd's counters", 0 },
	{ "dataset", cmd_dataset, "write labelled FlowPics of captures or sessions to a dataset file", 0 },
	{ "show", cmd_show, "draw FlowPics of a dataset file to PNG, or list them", 0 },
	{ "label", cmd_label, "label the flows of captures with nDPI, as a labels CSV", 0 },
	{ "train", cmd_train, "train a classifier on dataset files, write a model", 1 },
	{ "eval", cmd_eval, "score a model on dataset files: accuracy, F1, confusion", 1 },
	{ "classify", cmd_classify, "classify the flow windows of captures or sessions", 1 },
	{ "model", cmd_model, "check a model file and describe it (model info)", 1 },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: flowpic COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\n'flowpic COMMAND --help' describes one command.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			if (!commands[i].blas && blas_thread_shutdown_)
				blas_thread_shutdown_();
			return commands[i].run(argc - 1, argv + 1);
		}
	fprintf(stderr, "flowpic: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
