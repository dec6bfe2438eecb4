/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_NETLINK_H
#define _FLOWPIC_KMOD_NETLINK_H

#include <net/genetlink.h>

#include "flowpic.h"

extern struct genl_family flowpic_genl_family;

struct flowpic_table;
struct flowpic_state;

/* The request policies, shared with the KUnit suites. */
extern const struct nla_policy flowpic_config_policy[FLOWPIC_A_MAX + 1];
extern const struct nla_policy flowpic_label_policy[FLOWPIC_A_MAX + 1];
extern const struct nla_policy flowpic_policy_policy[FLOWPIC_A_MAX + 1];

/* NULL when userspace's @k / @l is acceptable, else why not. */
const char *flowpic_key_invalid(const struct flowpic_key *k);
const char *flowpic_label_invalid(const struct flowpic_label *l);

/* Registers the family; its requests work on @s. */
int flowpic_genl_init(struct flowpic_state *s);
void flowpic_genl_exit(void);
/* Whether anyone listens to the "windows" group. */
bool flowpic_genl_listening(void);
/* Announces @t's closed windows on the "windows" group. Sleeps. */
void flowpic_genl_deliver(struct flowpic_table *t);

#endif /* _FLOWPIC_KMOD_NETLINK_H */
