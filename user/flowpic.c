// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic: offline work with FlowPics - build them from captures, train
 * and evaluate the classifier, classify captures, inspect live state.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "bin", cmd_bin, "show the FlowPic cell of a packet size and time" },
	{ "pictures", cmd_pictures, "print the FlowPics of captures or sessions" },
	{ "flows", cmd_flows, "list live flows and their labels (kernel maps)" },
	{ "stats", cmd_stats, "show the kernel side's and flowpicd's counters" },
	{ "dataset", cmd_dataset, "write labelled FlowPics of captures or sessions to a dataset file" },
	{ "show", cmd_show, "draw FlowPics of a dataset file to PNG, or list them" },
	{ "label", cmd_label, "label the flows of captures with nDPI, as a labels CSV" },
	{ "train", cmd_train, "train a classifier on dataset files, write a model" },
	{ "eval", cmd_eval, "score a model on dataset files: accuracy, F1, confusion" },
	{ "classify", cmd_classify, "classify the flow windows of captures or sessions" },
	{ "model", cmd_model, "check a model file and describe it (model info)" },
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
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "flowpic: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
