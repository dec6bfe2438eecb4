/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flowpic command's subcommands. Each lives in the file named for its
 * domain noun and is listed once, in user/flowpic.c.
 */
#ifndef _FLOWPIC_COMMANDS_H
#define _FLOWPIC_COMMANDS_H

int cmd_bin(int argc, char **argv);

#endif /* _FLOWPIC_COMMANDS_H */
