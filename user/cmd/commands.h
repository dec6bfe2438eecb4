/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flowpic command's subcommands, one file each in user/cmd/ (named for
 * the command), over the library in the other rooms of user/. Each is
 * listed once, in user/flowpic.c. libflowpic-cmd.a holds them: the option
 * tables stay out of libflowpic.a.
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
 * flowpic_cell_index()). In user/cmd/pictures.c.
 */
int cmd_pictures(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_label(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_stats(int argc, char **argv);

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_model(int argc, char **argv);

#endif /* _FLOWPIC_COMMANDS_H */
