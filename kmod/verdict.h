/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_VERDICT_H
#define _FLOWPIC_KMOD_VERDICT_H

#include <linux/list.h>
#include <linux/rhashtable.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "flowpic.h"
#include "policy.h"

/* The verdict table holds at least this many, as the tc program's. */
#define FLOWPIC_VERDICTS_MIN	4096

/*
 * One flow's verdict: its label and, if userspace gave one, its own
 * action. Never changed once in the table (a new label replaces the
 * entry), so a reader under RCU sees one flow's verdict whole.
 */
struct flowpic_verdict {
	struct rhash_head node;
	struct flowpic_key key;
	struct list_head lru;		/* the table's lock */
	struct rcu_head rcu;
	unsigned long used;		/* jiffies it last moved in lru */
	bool gone;			/* left the table (table's lock) */
	bool has_action;
	struct flowpic_label label;
	struct flowpic_action action;
};

/*
 * The verdicts, apart from the flows' histograms: keyed by the canonical
 * flow key, bounded, least recently used first out.
 */
struct flowpic_verdicts {
	struct rhashtable ht;
	spinlock_t lock;		/* lru, st, writes */
	struct list_head lru;		/* least recently used first */
	u32 bound;
	struct flowpic_verdict_stats st;
	struct flowpic_policy *policy;	/* a label's class's action */
};

/* The verdicts' slab cache, module-wide (every namespace), before any table. */
int flowpic_verdict_cache_init(void);
void flowpic_verdict_cache_exit(void);

/* What one verdict in a table is charged to the memory budget. */
size_t flowpic_verdict_bytes(void);

/* A table of at most @bound verdicts whose classes' actions are @policy's. */
int flowpic_verdicts_init(struct flowpic_verdicts *v, u32 bound,
			  struct flowpic_policy *policy);
/*
 * Frees every verdict and gives back their charge. No packet or request
 * may be in flight.
 */
void flowpic_verdicts_destroy(struct flowpic_verdicts *v);

/*
 * Sets @key's verdict (@action NULL: the class policy decides), replacing
 * any it had; a full table first evicts its least recently used verdict.
 * -ENOSPC, counted in refused, when a new verdict does not fit the
 * memory budget (no verdict is evicted for it). Process context.
 */
int flowpic_verdict_set(struct flowpic_verdicts *v,
			const struct flowpic_key *key,
			const struct flowpic_label *label,
			const struct flowpic_action *action);
/* Removes @key's verdict; -ENOENT when it has none. */
int flowpic_verdict_clear(struct flowpic_verdicts *v,
			  const struct flowpic_key *key);

/*
 * The action @key's verdict asks for (its own, else its class's policy):
 * true when the flow is labelled, with @act filled in (PASS otherwise).
 * A use for the LRU. Caller holds rcu_read_lock().
 */
bool flowpic_verdict_action(struct flowpic_verdicts *v,
			    const struct flowpic_key *key,
			    struct flowpic_action *act);

/*
 * Copies @key's verdict into @label and @act (the action that applies)
 * without counting a use; false when the flow has none. Caller holds
 * rcu_read_lock().
 */
bool flowpic_verdict_peek(struct flowpic_verdicts *v,
			  const struct flowpic_key *key,
			  struct flowpic_label *label,
			  struct flowpic_action *act);

void flowpic_verdicts_stats(struct flowpic_verdicts *v,
			    struct flowpic_verdict_stats *out);

#endif /* _FLOWPIC_KMOD_VERDICT_H */
