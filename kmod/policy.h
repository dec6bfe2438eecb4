/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_POLICY_H
#define _FLOWPIC_KMOD_POLICY_H

#include <linux/types.h>

#include "flowpic_label.h"

struct sk_buff;

/* The action for class @class_id (< FLOWPIC_POLICY_SLOTS); PASS if unset. */
struct flowpic_action flowpic_policy_get(u16 class_id);
void flowpic_policy_set(u16 class_id, const struct flowpic_action *a);
/* Every slot back to PASS. */
void flowpic_policy_reset(void);

/* Sets @skb's mark (under the action's mask) or priority as @a says. */
void flowpic_action_mark(struct sk_buff *skb, const struct flowpic_action *a);

/* Applies @a to @skb; returns the netfilter verdict and counts it. */
unsigned int flowpic_policy_apply(struct sk_buff *skb,
				  const struct flowpic_action *a);

#endif /* _FLOWPIC_KMOD_POLICY_H */
