// SPDX-License-Identifier: GPL-2.0
/*
 * The per-class policy (FLOWPIC_CMD_SET_POLICY) and enforcement: the same
 * actions as the tc program, applied in the netfilter hook. Slots are
 * read on the packet path under a seqlock, so a reader never sees half
 * an update.
 */
#include <linux/netfilter.h>
#include <linux/seqlock.h>
#include <linux/skbuff.h>

#include "policy.h"
#include "stats.h"

static struct flowpic_action flowpic_policy[FLOWPIC_POLICY_SLOTS];
static DEFINE_SEQLOCK(flowpic_policy_lock);

struct flowpic_action flowpic_policy_get(u16 class_id)
{
	struct flowpic_action a = { .type = FLOWPIC_ACT_PASS };
	unsigned int seq;

	if (class_id >= FLOWPIC_POLICY_SLOTS)
		return a;
	do {
		seq = read_seqbegin(&flowpic_policy_lock);
		a = flowpic_policy[class_id];
	} while (read_seqretry(&flowpic_policy_lock, seq));
	return a;
}

void flowpic_policy_set(u16 class_id, const struct flowpic_action *a)
{
	if (class_id >= FLOWPIC_POLICY_SLOTS)
		return;
	write_seqlock_bh(&flowpic_policy_lock);
	flowpic_policy[class_id] = *a;
	write_sequnlock_bh(&flowpic_policy_lock);
}

void flowpic_policy_reset(void)
{
	write_seqlock_bh(&flowpic_policy_lock);
	memset(flowpic_policy, 0, sizeof(flowpic_policy));
	write_sequnlock_bh(&flowpic_policy_lock);
}

void flowpic_action_mark(struct sk_buff *skb, const struct flowpic_action *a)
{
	if (a->type == FLOWPIC_ACT_MARK)
		skb->mark = flowpic_mark_apply(skb->mark, a);
	else if (a->type == FLOWPIC_ACT_PRIORITY)
		skb->priority = a->value;
}

unsigned int flowpic_policy_apply(struct sk_buff *skb,
				  const struct flowpic_action *a)
{
	switch (a->type) {
	case FLOWPIC_ACT_DROP:
		flowpic_count(FLOWPIC_CNT_DROPPED);
		return NF_DROP;
	case FLOWPIC_ACT_MARK:
		flowpic_action_mark(skb, a);
		flowpic_count(FLOWPIC_CNT_MARKED);
		break;
	case FLOWPIC_ACT_PRIORITY:
		flowpic_action_mark(skb, a);
		flowpic_count(FLOWPIC_CNT_PRIORITISED);
		break;
	}
	return NF_ACCEPT;
}
