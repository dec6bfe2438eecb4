/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowpicd's least privilege. Set-up needs root's capabilities (loading
 * and attaching BPF, bpffs pins, the memlock limit, qdiscs, the module's
 * admin commands, a low metrics port); once the programs are attached,
 * the maps and sockets open and the export sockets bound, flowpicd keeps
 * only CAP_NET_ADMIN:
 *
 *  - rtnetlink: a reload that changes shaping, and detaching the tc
 *    program and removing flowpic's qdisc at stop (the kernel checks the
 *    sender's capability on every message, not only the socket's opener);
 *  - generic netlink: flowpic.ko's label, policy and flow commands are
 *    GENL_ADMIN_PERM.
 *
 * Map lookups, updates, the ring buffer and the idle sweep work on file
 * descriptors flowpicd already holds, which the kernel checked when they
 * were created: no CAP_BPF or CAP_SYS_ADMIN after set-up.
 */
#ifndef _FLOWPIC_USER_PRIVILEGES_H
#define _FLOWPIC_USER_PRIVILEGES_H

#include <stddef.h>

/*
 * Drops every capability but CAP_NET_ADMIN from the effective, permitted,
 * inheritable and bounding sets of the calling thread (threads created
 * afterwards inherit them), locks the securebits so uid 0 cannot win
 * them back, and sets no_new_privs. 0, or -EPERM with why in @err.
 */
int privileges_drop(char *err, size_t errlen);

#endif /* _FLOWPIC_USER_PRIVILEGES_H */
