// SPDX-License-Identifier: GPL-2.0
/*
 * The per-class policy (FLOWPIC_CMD_SET_POLICY) and enforcement: the same
 * actions as the tc program, applied in the netfilter hook. Each network
 * namespace has its own table. Slots are read on the packet path under a
 * seqlock, so a reader never sees half an update.
 */
#include <linux/netfilter.h>
#include <linux/seqlock.h>
#include <linux/skbuff.h>
#include <linux/string.h>

#include "policy.h"
#include "stats.h"

void flowpic_policy_init(struct flowpic_policy *p)
{
	seqlock_init(&p->lock);
	memset(p->slot, 0, sizeof(p->slot));
}

struct flowpic_action flowpic_policy_get(struct flowpic_policy *p,
					 u16 class_id)
{
	struct flowpic_action a = { .type = FLOWPIC_ACT_PASS };
	unsigned int seq;

	if (class_id >= FLOWPIC_POLICY_SLOTS)
		return a;
	do {
		seq = read_seqbegin(&p->lock);
		a = p->slot[class_id];
	} while (read_seqretry(&p->lock, seq));
	return a;
}

void flowpic_policy_set(struct flowpic_policy *p, u16 class_id,
			const struct flowpic_action *a)
{
	if (class_id >= FLOWPIC_POLICY_SLOTS)
		return;
	write_seqlock_bh(&p->lock);
	p->slot[class_id] = *a;
	write_sequnlock_bh(&p->lock);
}

void flowpic_action_mark(struct sk_buff *skb, const struct flowpic_action *a)
{
	if (a->type == FLOWPIC_ACT_MARK)
		skb->mark = flowpic_mark_apply(skb->mark, a);
	else if (a->type == FLOWPIC_ACT_PRIORITY)
		skb->priority = a->value;
}

unsigned int flowpic_policy_apply(struct flowpic_stats __percpu *st,
				  struct sk_buff *skb,
				  const struct flowpic_action *a)
{
	switch (a->type) {
	case FLOWPIC_ACT_DROP:
		flowpic_count(st, FLOWPIC_CNT_DROPPED);
		return NF_DROP;
	case FLOWPIC_ACT_MARK:
		flowpic_action_mark(skb, a);
		flowpic_count(st, FLOWPIC_CNT_MARKED);
		break;
	case FLOWPIC_ACT_PRIORITY:
		flowpic_action_mark(skb, a);
		flowpic_count(st, FLOWPIC_CNT_PRIORITISED);
		break;
	}
	return NF_ACCEPT;
}
