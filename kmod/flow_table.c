// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table: one entry per canonical flow key, in an rhashtable read
 * under RCU, each flow with its own lock, so CPUs only meet on the same
 * flow. The table lock is taken when a flow comes or goes, never per
 * packet. Lock order: table, then flow.
 *
 * Windows tile a flow's life from its first packet, as on the other
 * sides (flowpic_window_index()); a window ends when a packet arrives past
 * it, on FIN or RST, when the flow idles or is evicted. Closed windows
 * queue here and are delivered from process context (the notify hook).
 */
#include <linux/errno.h>
#include <linux/jhash.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "flow_table.h"
#include "policy.h"
#include "stats.h"

const struct rhashtable_params flowpic_table_params = {
	.key_len		= sizeof(struct flowpic_key),
	.key_offset		= offsetof(struct flowpic_flow, key),
	.head_offset		= offsetof(struct flowpic_flow, node),
	.automatic_shrinking	= true,
};

/* Flows have a cache of their own: /proc/slabinfo shows what we hold. */
static struct kmem_cache *flowpic_flow_cache;

int flowpic_flow_cache_init(void)
{
	flowpic_flow_cache = KMEM_CACHE(flowpic_flow, 0);
	return flowpic_flow_cache ? 0 : -ENOMEM;
}

void flowpic_flow_cache_exit(void)
{
	kmem_cache_destroy(flowpic_flow_cache);
}

int flowpic_table_init(struct flowpic_table *t,
		       void (*notify)(struct flowpic_table *t),
		       bool (*listening)(void))
{
	int err;

	spin_lock_init(&t->lock);
	INIT_LIST_HEAD(&t->flows);
	INIT_LIST_HEAD(&t->done);
	t->count = 0;
	t->ndone = 0;
	t->done_cells = 0;
	t->notify = notify;
	t->listening = listening;
	t->frags = flowpic_frags_alloc();
	if (!t->frags)
		return -ENOMEM;
	err = rhashtable_init(&t->ht, &flowpic_table_params);
	if (err)
		flowpic_frags_free(t->frags);
	return err;
}

static void flowpic_flow_free(struct flowpic_flow *f)
{
	flowpic_cells_free(&f->cells);
	kmem_cache_free(flowpic_flow_cache, f);
}

static void flowpic_flow_free_rcu(struct rcu_head *head)
{
	flowpic_flow_free(container_of(head, struct flowpic_flow, rcu));
}

static void flowpic_flow_free_ht(void *ptr, void *arg)
{
	flowpic_flow_free(ptr);
}

void flowpic_table_destroy(struct flowpic_table *t)
{
	struct flowpic_done *d, *tmp;

	rhashtable_free_and_destroy(&t->ht, flowpic_flow_free_ht, NULL);
	flowpic_frags_free(t->frags);
	t->frags = NULL;
	list_for_each_entry_safe(d, tmp, &t->done, list)
		flowpic_done_free(d);
	INIT_LIST_HEAD(&t->done);
	INIT_LIST_HEAD(&t->flows);
	t->ndone = 0;
	t->done_cells = 0;
	t->count = 0;
}

struct flowpic_flow *flowpic_table_lookup(struct flowpic_table *t,
					  const struct flowpic_key *key)
{
	return rhashtable_lookup(&t->ht, key, flowpic_table_params);
}

u32 flowpic_table_count(struct flowpic_table *t)
{
	return READ_ONCE(t->count);
}

/*
 * Detaches @f's open window for delivery (flow lock held). NULL when
 * there is nothing to announce (no packets, fewer than min_packets) or
 * nobody to announce it to or no memory (both counted lost). The flow
 * keeps a clean window either way.
 */
static struct flowpic_done *flowpic_flow_close(struct flowpic_table *t,
					       struct flowpic_flow *f,
					       const struct flowpic_config *cfg,
					       u8 reason)
{
	u32 pkts = f->win.packets[0] + f->win.packets[1];
	struct flowpic_done *d = NULL;

	if (pkts && pkts >= cfg->min_packets &&
	    (!t->listening || t->listening()))
		d = kmalloc(sizeof(*d), GFP_ATOMIC);
	if (d) {
		d->win = f->win;
		d->win.reason = reason;
		d->win.cells = f->cells.n;
		d->cells = f->cells;
		memset(&f->cells, 0, sizeof(f->cells));
	} else if (pkts && pkts >= cfg->min_packets) {
		flowpic_count(FLOWPIC_CNT_WINDOWS_LOST);
	}
	f->cells.n = 0;
	f->win.packets[0] = 0;
	f->win.packets[1] = 0;
	f->win.bytes[0] = 0;
	f->win.bytes[1] = 0;
	f->win.cells = 0;
	return d;
}

/* Queues @d (table lock held); true when the notify hook must run. */
static bool flowpic_table_queue_locked(struct flowpic_table *t,
				       struct flowpic_done *d)
{
	bool first;

	if (t->ndone >= FLOWPIC_DONE_MAX ||
	    t->done_cells + d->cells.n > FLOWPIC_DONE_CELLS_MAX) {
		flowpic_count(FLOWPIC_CNT_WINDOWS_LOST);
		flowpic_done_free(d);
		return false;
	}
	first = list_empty(&t->done);
	list_add_tail(&d->list, &t->done);
	t->ndone++;
	t->done_cells += d->cells.n;
	return first;
}

static void flowpic_table_queue(struct flowpic_table *t,
				struct flowpic_done *d)
{
	bool notify;

	if (!d)
		return;
	spin_lock_bh(&t->lock);
	notify = flowpic_table_queue_locked(t, d);
	spin_unlock_bh(&t->lock);
	if (notify && t->notify)
		t->notify(t);
}

void flowpic_table_take_done(struct flowpic_table *t, struct list_head *out)
{
	spin_lock_bh(&t->lock);
	list_splice_tail_init(&t->done, out);
	t->ndone = 0;
	t->done_cells = 0;
	spin_unlock_bh(&t->lock);
}

/* Removes a flow whose dead flag the caller set (table lock held). */
static void flowpic_table_unlink(struct flowpic_table *t,
				 struct flowpic_flow *f)
{
	list_del(&f->age);
	rhashtable_remove_fast(&t->ht, &f->node, flowpic_table_params);
	t->count--;
	call_rcu(&f->rcu, flowpic_flow_free_rcu);
}

/*
 * Evicts the least recently seen of the oldest flows (table lock held),
 * queueing its window with reason EVICT. False if none could go.
 */
static bool flowpic_table_evict(struct flowpic_table *t,
				const struct flowpic_config *cfg,
				bool *notify)
{
	struct flowpic_flow *f, *victim = NULL;
	struct flowpic_done *d;
	u64 oldest = U64_MAX;
	int seen = 0;

	list_for_each_entry(f, &t->flows, age) {
		u64 last = READ_ONCE(f->last_ns);

		if (!READ_ONCE(f->dead) && last < oldest) {
			oldest = last;
			victim = f;
		}
		if (++seen >= FLOWPIC_EVICT_SCAN)
			break;
	}
	if (!victim)
		return false;

	spin_lock(&victim->lock);
	if (victim->dead) {
		spin_unlock(&victim->lock);
		return false;
	}
	d = flowpic_flow_close(t, victim, cfg, FLOWPIC_END_EVICT);
	victim->dead = true;
	spin_unlock(&victim->lock);

	if (d && flowpic_table_queue_locked(t, d))
		*notify = true;
	flowpic_table_unlink(t, victim);
	flowpic_count(FLOWPIC_CNT_FLOWS_EVICTED);
	return true;
}

static void flowpic_window_start(struct flowpic_flow *f, u32 index)
{
	f->win.index = index;
	f->win.start_ns = f->base_ns +
			  (u64)(index - f->base_index) * f->geom.window_ns;
	f->win.n = f->geom.n;
	f->win.channels = f->geom.channels;
}

static struct flowpic_flow *flowpic_flow_create(struct flowpic_table *t,
						const struct flowpic_config *cfg,
						const struct flowpic_pkt *p,
						u64 now)
{
	struct flowpic_flow *f, *old;
	bool notify = false;
	int i;

	f = kmem_cache_zalloc(flowpic_flow_cache, GFP_ATOMIC);
	if (!f)
		return NULL;
	f->key = p->key;
	spin_lock_init(&f->lock);
	f->geom = cfg->geom;
	f->base_ns = now;
	f->last_ns = now;
	f->win.key = p->key;
	flowpic_window_start(f, 0);

	spin_lock_bh(&t->lock);
	for (i = 0; t->count >= cfg->max_flows && i < FLOWPIC_EVICT_SCAN; i++)
		if (!flowpic_table_evict(t, cfg, &notify))
			break;
	if (t->count >= cfg->max_flows) {
		old = ERR_PTR(-ENOSPC);
	} else {
		old = rhashtable_lookup_get_insert_fast(&t->ht, &f->node,
							flowpic_table_params);
		if (!old) {
			list_add_tail(&f->age, &t->flows);
			t->count++;
		}
	}
	spin_unlock_bh(&t->lock);
	if (notify && t->notify)
		t->notify(t);

	if (old) {
		/* Another CPU made it first, or no room: use theirs. */
		kmem_cache_free(flowpic_flow_cache, f);
		return IS_ERR(old) ? NULL : old;
	}
	flowpic_count(FLOWPIC_CNT_FLOWS_NEW);
	return f;
}

/* The window @now falls in, in @f's tiling. */
static u32 flowpic_flow_window(const struct flowpic_flow *f, u64 now)
{
	u64 i = flowpic_window_index(&f->geom, (s64)(now - f->base_ns));

	return f->base_index + (u32)min_t(u64, i, U32_MAX - f->base_index);
}

void flowpic_table_packet(struct flowpic_table *t,
			  const struct flowpic_config *cfg,
			  const struct flowpic_pkt *p, u64 now,
			  struct flowpic_action *act)
{
	struct flowpic_done *d_time = NULL, *d_end = NULL;
	struct flowpic_flow *f;
	struct flowpic_cell cell;
	u32 flags, idx;
	bool gone = false;
	int err;

	act->type = FLOWPIC_ACT_PASS;
	act->value = 0;

	f = flowpic_table_lookup(t, &p->key);
	if (!f) {
		f = flowpic_flow_create(t, cfg, p, now);
		if (!f)
			return;
	}

	spin_lock_bh(&f->lock);
	if (f->dead) {
		/* Closing under us (FIN, idle, eviction): let it go. */
		spin_unlock_bh(&f->lock);
		return;
	}
	idx = flowpic_flow_window(f, now);
	if (idx > f->win.index) {
		d_time = flowpic_flow_close(t, f, cfg, FLOWPIC_END_TIME);
		if (memcmp(&f->geom, &cfg->geom, sizeof(f->geom))) {
			/* New geometry: tile on from where this window ends. */
			f->base_ns += (u64)(idx - f->base_index) *
				      f->geom.window_ns;
			f->base_index = idx;
			f->geom = cfg->geom;
			idx = flowpic_flow_window(f, now);
		}
		flowpic_window_start(f, idx);
	}

	flags = flowpic_bin(&f->geom, p->size, (s64)(now - f->win.start_ns),
			    &cell);
	if (!(flags & (FLOWPIC_BIN_PAST | FLOWPIC_BIN_INVALID))) {
		u32 ch = f->geom.channels == 2 ? p->dir : 0;

		err = flowpic_cells_add(&f->cells,
					flowpic_cell_index(&f->geom, ch, &cell),
					cfg->max_cells, GFP_ATOMIC);
		if (err)
			flowpic_count(FLOWPIC_CNT_CELLS_DROPPED);
	}
	f->win.packets[p->dir]++;
	f->win.bytes[p->dir] += p->size;
	WRITE_ONCE(f->last_ns, now);

	if (f->has_action)
		*act = f->action;
	else if (f->labelled)
		*act = flowpic_policy_get(f->label.class_id);

	if (p->fin || p->rst) {
		d_end = flowpic_flow_close(t, f, cfg, p->rst ? FLOWPIC_END_RST :
							   FLOWPIC_END_FIN);
		WRITE_ONCE(f->dead, true);
		gone = true;
	}
	spin_unlock_bh(&f->lock);

	if (!(flags & (FLOWPIC_BIN_PAST | FLOWPIC_BIN_INVALID)))
		flowpic_count(FLOWPIC_CNT_BINNED);
	if (flags & FLOWPIC_BIN_CLIPPED)
		flowpic_count(FLOWPIC_CNT_CLIPPED);
	if (flags & FLOWPIC_BIN_EARLY)
		flowpic_count(FLOWPIC_CNT_CLOCK_BACK);
	flowpic_table_queue(t, d_time);
	flowpic_table_queue(t, d_end);
	if (gone) {
		spin_lock_bh(&t->lock);
		flowpic_table_unlink(t, f);
		spin_unlock_bh(&t->lock);
	}
}

/* Every this many flows the sweep lets others run. */
#define FLOWPIC_SWEEP_BATCH	256

void flowpic_table_sweep(struct flowpic_table *t,
			 const struct flowpic_config *cfg, u64 now)
{
	struct rhashtable_iter it;
	struct flowpic_flow *f;
	struct flowpic_done *d;
	bool idle, notify = false;
	unsigned int n = 0;

	rhashtable_walk_enter(&t->ht, &it);
	rhashtable_walk_start(&it);
	while ((f = rhashtable_walk_next(&it))) {
		if (IS_ERR(f)) {
			if (PTR_ERR(f) == -EAGAIN)
				continue;	/* table resized: go on */
			break;
		}
		d = NULL;
		spin_lock_bh(&f->lock);
		idle = !f->dead && (s64)(now - f->last_ns) >= (s64)cfg->idle_ns;
		if (idle) {
			d = flowpic_flow_close(t, f, cfg, FLOWPIC_END_IDLE);
			WRITE_ONCE(f->dead, true);
		}
		spin_unlock_bh(&f->lock);
		if (idle) {
			flowpic_table_queue(t, d);
			spin_lock_bh(&t->lock);
			flowpic_table_unlink(t, f);
			spin_unlock_bh(&t->lock);
		}
		if (++n % FLOWPIC_SWEEP_BATCH == 0) {
			rhashtable_walk_stop(&it);
			cond_resched();
			rhashtable_walk_start(&it);
		}
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);

	/* A lowered max_flows: evict down to it, a batch at a time. */
	while (READ_ONCE(t->count) > cfg->max_flows) {
		spin_lock_bh(&t->lock);
		for (n = 0; t->count > cfg->max_flows &&
			    n < FLOWPIC_SWEEP_BATCH; n++)
			if (!flowpic_table_evict(t, cfg, &notify))
				break;
		spin_unlock_bh(&t->lock);
		if (n < FLOWPIC_SWEEP_BATCH)
			break;
		cond_resched();
	}
	if (notify && t->notify)
		t->notify(t);
}

int flowpic_table_set_label(struct flowpic_table *t,
			    const struct flowpic_key *key,
			    const struct flowpic_label *label,
			    const struct flowpic_action *action)
{
	struct flowpic_flow *f;
	int err = -ENOENT;

	rcu_read_lock();
	f = flowpic_table_lookup(t, key);
	if (f) {
		spin_lock_bh(&f->lock);
		if (!f->dead) {
			f->label = *label;
			f->labelled = true;
			f->has_action = !!action;
			if (action)
				f->action = *action;
			err = 0;
		}
		spin_unlock_bh(&f->lock);
	}
	rcu_read_unlock();
	return err;
}
