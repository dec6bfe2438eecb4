/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_POLICY_H
#define _FLOWPIC_KMOD_POLICY_H

#include <linux/seqlock.h>
#include <linux/types.h>

#include "flowpic_label.h"
#include "stats.h"

struct sk_buff;

/* A namespace's class -> action table (FLOWPIC_CMD_SET_POLICY). */
struct flowpic_policy {
	seqlock_t lock;
	struct flowpic_action slot[FLOWPIC_POLICY_SLOTS];
};

/* Every slot PASS. */
void flowpic_policy_init(struct flowpic_policy *p);
/* The action for class @class_id (< FLOWPIC_POLICY_SLOTS); PASS if unset. */
struct flowpic_action flowpic_policy_get(struct flowpic_policy *p,
					 u16 class_id);
void flowpic_policy_set(struct flowpic_policy *p, u16 class_id,
			const struct flowpic_action *a);

/* Sets @skb's mark (under the action's mask) or priority as @a says. */
void flowpic_action_mark(struct sk_buff *skb, const struct flowpic_action *a);

/* Applies @a to @skb; returns the netfilter verdict and counts it in @st. */
unsigned int flowpic_policy_apply(struct flowpic_stats __percpu *st,
				  struct sk_buff *skb,
				  const struct flowpic_action *a);

#endif /* _FLOWPIC_KMOD_POLICY_H */
