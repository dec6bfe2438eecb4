// SPDX-License-Identifier: GPL-2.0
/*
 * The per-class policy (FLOWPIC_CMD_SET_POLICY) and enforcement: the same
 * actions as the tc program, applied in the netfilter hook. Each slot is
 * one 64-bit word, so the packet path reads it without a lock and never
 * sees half an update.
 */
#include <linux/netfilter.h>
#include <linux/skbuff.h>

#include "policy.h"
#include "stats.h"

static u64 flowpic_policy[FLOWPIC_POLICY_SLOTS];

static u64 flowpic_action_pack(const struct flowpic_action *a)
{
	return (u64)a->type << 32 | a->value;
}

struct flowpic_action flowpic_policy_get(u16 class_id)
{
	struct flowpic_action a = { .type = FLOWPIC_ACT_PASS };
	u64 v;

	if (class_id >= FLOWPIC_POLICY_SLOTS)
		return a;
	v = READ_ONCE(flowpic_policy[class_id]);
	a.type = v >> 32;
	a.value = (u32)v;
	return a;
}

void flowpic_policy_set(u16 class_id, const struct flowpic_action *a)
{
	if (class_id < FLOWPIC_POLICY_SLOTS)
		WRITE_ONCE(flowpic_policy[class_id], flowpic_action_pack(a));
}

void flowpic_policy_reset(void)
{
	int i;

	for (i = 0; i < FLOWPIC_POLICY_SLOTS; i++)
		WRITE_ONCE(flowpic_policy[i], 0);
}

unsigned int flowpic_policy_apply(struct sk_buff *skb,
				  const struct flowpic_action *a)
{
	switch (a->type) {
	case FLOWPIC_ACT_DROP:
		flowpic_count(FLOWPIC_CNT_DROPPED);
		return NF_DROP;
	case FLOWPIC_ACT_MARK:
		skb->mark = a->value;
		flowpic_count(FLOWPIC_CNT_MARKED);
		break;
	case FLOWPIC_ACT_PRIORITY:
		skb->priority = a->value;
		flowpic_count(FLOWPIC_CNT_PRIORITISED);
		break;
	}
	return NF_ACCEPT;
}
