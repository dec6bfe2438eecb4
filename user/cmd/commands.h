/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flowpic command's subcommands. Each lives in the file named for its
 * domain noun and is listed once, in user/flowpic.c.
 */
#ifndef _FLOWPIC_COMMANDS_H
#define _FLOWPIC_COMMANDS_H

int cmd_bin(int argc, char **argv);
/*
 * flowpic pictures CAPTURE [--n N] [--window 15s] [--channels 1|2]
 *                  [--min-packets K] [--idle DUR] [--gap-cap DUR]
 * One line per flow window, in the order windows close:
 *   <proto> <lo_addr>:<lo_port> <-> <hi_addr>:<hi_port> w=<index>
 *   p=<packets> <cell>:<count> ...
 * (canonical key, flowpic_window_index() of the window, cells sorted by
 * flowpic_cell_index()). In user/pipeline.c.
 */
int cmd_pictures(int argc, char **argv);
int cmd_dataset(int argc, char **argv);	/* user/dataset.c */
int cmd_label(int argc, char **argv);	/* user/ndpi_label.c */
int cmd_show(int argc, char **argv);	/* user/render.c */
int cmd_flows(int argc, char **argv);	/* user/live.c */
int cmd_stats(int argc, char **argv);	/* user/live.c */

int cmd_train(int argc, char **argv);	/* user/train.c */
int cmd_eval(int argc, char **argv);	/* user/evaluate.c */
int cmd_classify(int argc, char **argv);	/* user/classify.c */
int cmd_model(int argc, char **argv);	/* user/model_file.c */

#endif /* _FLOWPIC_COMMANDS_H */
