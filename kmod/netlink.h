/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_NETLINK_H
#define _FLOWPIC_KMOD_NETLINK_H

#include <net/genetlink.h>

#include "flowpic.h"

extern struct genl_family flowpic_genl_family;

struct flowpic_table;
struct net;

/* The request policies, shared with the KUnit suites. */
extern const struct nla_policy flowpic_config_policy[FLOWPIC_A_MAX + 1];
extern const struct nla_policy flowpic_label_policy[FLOWPIC_A_MAX + 1];
extern const struct nla_policy flowpic_policy_policy[FLOWPIC_A_MAX + 1];

/* NULL when userspace's @k / @l is acceptable, else why not. */
const char *flowpic_key_invalid(const struct flowpic_key *k);
const char *flowpic_label_invalid(const struct flowpic_label *l);

/*
 * Registers the family, in every namespace; a request works on the state
 * of its socket's namespace (netns.h), which must exist first.
 */
int flowpic_genl_init(void);
void flowpic_genl_exit(void);
/* Whether anyone in @net listens to the "windows" group. */
bool flowpic_genl_listening(struct net *net);
/*
 * Announces @t's closed windows on @net's "windows" group, to listeners
 * in @net only, while @t->listening says someone listens. Sleeps.
 */
void flowpic_genl_deliver(struct net *net, struct flowpic_table *t);

#endif /* _FLOWPIC_KMOD_NETLINK_H */
