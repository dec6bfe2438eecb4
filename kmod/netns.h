/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_NETNS_H
#define _FLOWPIC_KMOD_NETNS_H

#include <linux/netfilter.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "hook.h"

struct net;

/*
 * flowpic in one network namespace: its hooks and their state, the
 * delivery of its closed windows to its own listeners, the sweep of its
 * idle flows. Nothing here is shared with another namespace; only the
 * slab caches and the memory budget are module-wide.
 */
struct flowpic_net {
	struct flowpic_state state;
	struct net *net;
	struct nf_hook_ops ops[FLOWPIC_HOOK_OPS];
	struct work_struct deliver;
	struct delayed_work sweep;
	bool stopping;			/* nothing queues deliver any more */
};

/* @net's flowpic; every namespace has one while the module is loaded. */
struct flowpic_net *flowpic_net(const struct net *net);

/*
 * Gives every namespace, present and future, its flowpic; each verdict
 * table holds at most @max_verdicts. Windows are not delivered until
 * flowpic_netns_deliver_start().
 */
int flowpic_netns_init(u32 max_verdicts);
/* Takes every namespace's flowpic away, waiting for packets in flight. */
void flowpic_netns_exit(void);

/* Closed windows go to listeners (the family is registered) from now. */
void flowpic_netns_deliver_start(void);
/*
 * No window is delivered any more and no delivery runs when it returns,
 * in any namespace: the family can go.
 */
void flowpic_netns_deliver_stop(void);

#endif /* _FLOWPIC_KMOD_NETNS_H */
