// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict table (docs/verdicts.md): a flow's label and action by its
 * canonical key, kept apart from the flow table, so that no packet (RST,
 * FIN), idle end or eviction of a histogram ends a verdict. Only the
 * table's own bound, least recently used first out, or userspace does.
 *
 * Readers look verdicts up under RCU on every packet; nothing is cached
 * in a flow. An entry never changes once inserted: a new label is a new
 * entry put in the old one's place, and the old one is freed after a
 * grace period, so a reader holding an entry sees that flow's verdict,
 * whole, and no other flow's. Writers and the LRU list share one lock;
 * a packet moves its verdict in the list at most once a jiffy.
 *
 * Every verdict in a table is charged to the module's memory budget
 * (budget.c), one flowpic_verdict_bytes() each, from the moment it goes
 * in until it leaves: a new verdict takes a new charge, one that replaces
 * a verdict or evicts the least recently used takes over that one's. A
 * new verdict the budget has no room for is refused (-ENOSPC, counted),
 * never made room for by dropping another.
 */
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

#include "budget.h"
#include "policy.h"
#include "verdict.h"

static const struct rhashtable_params flowpic_verdict_params = {
	.key_len		= sizeof(struct flowpic_key),
	.key_offset		= offsetof(struct flowpic_verdict, key),
	.head_offset		= offsetof(struct flowpic_verdict, node),
	.automatic_shrinking	= true,
};

static struct kmem_cache *flowpic_verdict_cache;

int flowpic_verdict_cache_init(void)
{
	flowpic_verdict_cache = KMEM_CACHE(flowpic_verdict, 0);
	return flowpic_verdict_cache ? 0 : -ENOMEM;
}

void flowpic_verdict_cache_exit(void)
{
	kmem_cache_destroy(flowpic_verdict_cache);
	flowpic_verdict_cache = NULL;
}

size_t flowpic_verdict_bytes(void)
{
	return flowpic_verdict_cache ? kmem_cache_size(flowpic_verdict_cache) :
				       sizeof(struct flowpic_verdict);
}

int flowpic_verdicts_init(struct flowpic_verdicts *v, u32 bound,
			  struct flowpic_policy *policy)
{
	spin_lock_init(&v->lock);
	INIT_LIST_HEAD(&v->lru);
	v->bound = bound ? bound : 1;
	v->policy = policy;
	memset(&v->st, 0, sizeof(v->st));
	return rhashtable_init(&v->ht, &flowpic_verdict_params);
}

static void flowpic_verdict_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(flowpic_verdict_cache,
			container_of(head, struct flowpic_verdict, rcu));
}

static void flowpic_verdict_free_ht(void *ptr, void *arg)
{
	kmem_cache_free(flowpic_verdict_cache, ptr);
}

void flowpic_verdicts_destroy(struct flowpic_verdicts *v)
{
	rhashtable_free_and_destroy(&v->ht, flowpic_verdict_free_ht, NULL);
	INIT_LIST_HEAD(&v->lru);
	flowpic_budget_uncharge(v->st.present * flowpic_verdict_bytes());
	v->st.present = 0;
}

/*
 * Takes @old out of the table (lock held); freed after a grace period.
 * Its charge stays with the caller, to give back or hand on.
 */
static void flowpic_verdict_unlink(struct flowpic_verdicts *v,
				   struct flowpic_verdict *old)
{
	rhashtable_remove_fast(&v->ht, &old->node, flowpic_verdict_params);
	list_del(&old->lru);
	old->gone = true;
	v->st.present--;
	call_rcu(&old->rcu, flowpic_verdict_free_rcu);
}

int flowpic_verdict_set(struct flowpic_verdicts *v,
			const struct flowpic_key *key,
			const struct flowpic_label *label,
			const struct flowpic_action *action)
{
	struct flowpic_verdict *nv, *old;
	int err = 0;

	nv = kmem_cache_zalloc(flowpic_verdict_cache, GFP_KERNEL_ACCOUNT);
	if (!nv)
		return -ENOMEM;
	nv->key = *key;
	nv->label = *label;
	nv->has_action = !!action;
	if (action)
		nv->action = *action;
	nv->used = jiffies;

	spin_lock_bh(&v->lock);
	old = rhashtable_lookup_fast(&v->ht, key, flowpic_verdict_params);
	if (old) {
		err = rhashtable_replace_fast(&v->ht, &old->node, &nv->node,
					      flowpic_verdict_params);
		if (!err) {
			list_replace(&old->lru, &nv->lru);
			list_move_tail(&nv->lru, &v->lru);
			old->gone = true;
			call_rcu(&old->rcu, flowpic_verdict_free_rcu);
			v->st.replaced++;
		}
		goto out;
	}
	/* The evicted verdict's charge is the new one's. */
	if (v->st.present >= v->bound) {
		flowpic_verdict_unlink(v, list_first_entry(&v->lru,
							   struct flowpic_verdict,
							   lru));
		v->st.evicted++;
	} else if (!flowpic_budget_charge(flowpic_verdict_bytes())) {
		v->st.refused++;
		err = -ENOSPC;
		goto out;
	}
	err = rhashtable_insert_fast(&v->ht, &nv->node, flowpic_verdict_params);
	if (!err) {
		list_add_tail(&nv->lru, &v->lru);
		v->st.present++;
		v->st.added++;
	} else {
		flowpic_budget_uncharge(flowpic_verdict_bytes());
	}
out:
	spin_unlock_bh(&v->lock);
	if (err)
		kmem_cache_free(flowpic_verdict_cache, nv);
	return err;
}

int flowpic_verdict_clear(struct flowpic_verdicts *v,
			  const struct flowpic_key *key)
{
	struct flowpic_verdict *old;
	int err = -ENOENT;

	spin_lock_bh(&v->lock);
	old = rhashtable_lookup_fast(&v->ht, key, flowpic_verdict_params);
	if (old) {
		flowpic_verdict_unlink(v, old);
		flowpic_budget_uncharge(flowpic_verdict_bytes());
		v->st.removed++;
		err = 0;
	}
	spin_unlock_bh(&v->lock);
	return err;
}

/* The action @e asks for: its own, else its class's. */
static struct flowpic_action flowpic_verdict_of(struct flowpic_verdicts *v,
						const struct flowpic_verdict *e)
{
	return e->has_action ? e->action :
			       flowpic_policy_get(v->policy, e->label.class_id);
}

bool flowpic_verdict_action(struct flowpic_verdicts *v,
			    const struct flowpic_key *key,
			    struct flowpic_action *act)
{
	struct flowpic_verdict *e;
	unsigned long now = jiffies;

	e = rhashtable_lookup(&v->ht, key, flowpic_verdict_params);
	if (!e) {
		act->type = FLOWPIC_ACT_PASS;
		act->value = 0;
		return false;
	}
	*act = flowpic_verdict_of(v, e);
	if (READ_ONCE(e->used) != now) {
		spin_lock_bh(&v->lock);
		if (!e->gone)
			list_move_tail(&e->lru, &v->lru);
		WRITE_ONCE(e->used, now);
		spin_unlock_bh(&v->lock);
	}
	return true;
}

bool flowpic_verdict_peek(struct flowpic_verdicts *v,
			  const struct flowpic_key *key,
			  struct flowpic_label *label,
			  struct flowpic_action *act)
{
	struct flowpic_verdict *e;

	e = rhashtable_lookup(&v->ht, key, flowpic_verdict_params);
	if (!e)
		return false;
	*label = e->label;
	*act = flowpic_verdict_of(v, e);
	return true;
}

void flowpic_verdicts_stats(struct flowpic_verdicts *v,
			    struct flowpic_verdict_stats *out)
{
	spin_lock_bh(&v->lock);
	*out = v->st;
	spin_unlock_bh(&v->lock);
}
