/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_NETLINK_H
#define _FLOWPIC_KMOD_NETLINK_H

#include <net/genetlink.h>

#include "flowpic_genl.h"

extern struct genl_family flowpic_genl_family;

/* The request policies, shared with the KUnit suites. */
extern const struct nla_policy flowpic_config_policy[FLOWPIC_A_MAX + 1];

int flowpic_genl_init(void);
void flowpic_genl_exit(void);

#endif /* _FLOWPIC_KMOD_NETLINK_H */
