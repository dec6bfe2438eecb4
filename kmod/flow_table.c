// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table: one entry per canonical flow key, in an rhashtable read
 * under RCU, each flow with its own lock, so CPUs only meet on the same
 * flow. Flows come and go through the rhashtable's bucket locks and an
 * atomic count; the table lock only guards the queue of closed windows.
 * Lock order: flow, then table.
 *
 * A full table evicts the least recently seen of a random sample of
 * flows, unlabelled flows of few packets first (a flood of new tuples
 * then evicts its own), labelled ones last. Only histograms live here:
 * a flow's verdict is in the verdict table (verdict.c), which nothing
 * here ends.
 *
 * Windows tile a flow's life from its first packet, as on the other
 * sides (flowpic_window_index()); a window ends when a packet arrives past
 * it, on RST or once both sides sent a FIN, when the flow idles or is
 * evicted. Closed windows queue here and are delivered from process
 * context (the notify hook).
 */
#include <linux/errno.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "budget.h"
#include "flow_table.h"
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
	flowpic_flow_cache = NULL;
}

size_t flowpic_flow_bytes(void)
{
	return flowpic_flow_cache ? kmem_cache_size(flowpic_flow_cache) :
				    sizeof(struct flowpic_flow);
}

int flowpic_table_init(struct flowpic_table *t,
		       struct flowpic_stats __percpu *stats,
		       void (*notify)(struct flowpic_table *t),
		       bool (*listening)(struct flowpic_table *t))
{
	int err;

	spin_lock_init(&t->lock);
	INIT_LIST_HEAD(&t->done);
	atomic_set(&t->count, 0);
	t->ndone = 0;
	t->done_cells = 0;
	t->notify = notify;
	t->listening = listening;
	t->stats = stats;
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
	flowpic_budget_uncharge(flowpic_flow_bytes());
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
	t->ndone = 0;
	t->done_cells = 0;
	atomic_set(&t->count, 0);
}

struct flowpic_flow *flowpic_table_lookup(struct flowpic_table *t,
					  const struct flowpic_key *key)
{
	return rhashtable_lookup(&t->ht, key, flowpic_table_params);
}

u32 flowpic_table_count(struct flowpic_table *t)
{
	return atomic_read(&t->count);
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
	    (!t->listening || t->listening(t)))
		d = kmalloc(sizeof(*d), GFP_ATOMIC);
	if (d) {
		d->win = f->win;
		d->win.reason = reason;
		d->win.cells = f->cells.n;
		d->cells = f->cells;
		memset(&f->cells, 0, sizeof(f->cells));
	} else if (pkts && pkts >= cfg->min_packets) {
		flowpic_count(t->stats, FLOWPIC_CNT_WINDOWS_LOST);
	}
	/* The next window starts from an empty hash (and budget). */
	flowpic_cells_free(&f->cells);
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
		flowpic_count(t->stats, FLOWPIC_CNT_WINDOWS_LOST);
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

/* Removes a flow whose dead flag the caller set; no lock needed. */
static void flowpic_table_unlink(struct flowpic_table *t,
				 struct flowpic_flow *f)
{
	rhashtable_remove_fast(&t->ht, &f->node, flowpic_table_params);
	atomic_dec(&t->count);
	call_rcu(&f->rcu, flowpic_flow_free_rcu);
}

/*
 * How much @f is worth keeping, higher is better: labelled flows carry a
 * verdict, flows of few packets are the likeliest scans or floods. Ties
 * go to the most recently seen.
 */
static u32 flowpic_flow_worth(const struct flowpic_flow *f)
{
	if (READ_ONCE(f->labelled))
		return 2;
	return READ_ONCE(f->seen) >= FLOWPIC_EVICT_FEW ? 1 : 0;
}

/*
 * The flow least worth keeping of a sample (RCU read side), or NULL. A
 * table being resized has its newer flows in the future table and its
 * older ones in the current one: both are sampled.
 */
static struct flowpic_flow *flowpic_table_sample(struct flowpic_table *t)
{
	struct flowpic_flow *f, *victim = NULL;
	struct bucket_table *tbl;
	struct rhash_head *pos;
	u32 size, start, i, n, worth, best = U32_MAX;
	u64 last, oldest = U64_MAX;

	for (tbl = rht_dereference_rcu(t->ht.tbl, &t->ht); tbl;
	     tbl = rht_dereference_rcu(tbl->future_tbl, &t->ht)) {
		size = tbl->size;
		start = get_random_u32_below(size);
		n = 0;
		for (i = 0; i < min_t(u32, size, FLOWPIC_EVICT_BUCKETS) &&
			    n < FLOWPIC_EVICT_SAMPLE; i++) {
			rht_for_each_entry_rcu(f, pos, tbl,
					       (start + i) & (size - 1), node) {
				if (READ_ONCE(f->dead))
					continue;
				worth = flowpic_flow_worth(f);
				last = READ_ONCE(f->last_ns);
				if (worth < best ||
				    (worth == best && last < oldest)) {
					best = worth;
					oldest = last;
					victim = f;
				}
				n++;
			}
		}
	}
	return victim;
}

/*
 * Evicts one flow of a sample (RCU read side), queueing its window with
 * reason EVICT. False if none could go.
 */
static bool flowpic_table_evict(struct flowpic_table *t,
				const struct flowpic_config *cfg)
{
	struct flowpic_flow *victim;
	struct flowpic_done *d;

	victim = flowpic_table_sample(t);
	if (!victim)
		return false;
	spin_lock_bh(&victim->lock);
	if (victim->dead) {
		spin_unlock_bh(&victim->lock);
		return false;
	}
	d = flowpic_flow_close(t, victim, cfg, FLOWPIC_END_EVICT);
	WRITE_ONCE(victim->dead, true);
	spin_unlock_bh(&victim->lock);

	flowpic_table_queue(t, d);
	flowpic_table_unlink(t, victim);
	flowpic_count(t->stats, FLOWPIC_CNT_FLOWS_EVICTED);
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

/* Tries this many samples before a full table turns a new flow away. */
#define FLOWPIC_EVICT_TRIES	4

static struct flowpic_flow *flowpic_flow_create(struct flowpic_table *t,
						const struct flowpic_config *cfg,
						const struct flowpic_pkt *p,
						u64 now)
{
	struct flowpic_flow *f, *old;
	int i;

	/* A place first: over the bound, one flow must go for this one. */
	if (atomic_inc_return(&t->count) > cfg->max_flows) {
		for (i = 0; i < FLOWPIC_EVICT_TRIES; i++)
			if (flowpic_table_evict(t, cfg))
				break;
		if (i == FLOWPIC_EVICT_TRIES) {
			atomic_dec(&t->count);
			return NULL;
		}
	}

	if (!flowpic_budget_charge(flowpic_flow_bytes())) {
		atomic_dec(&t->count);
		return NULL;
	}
	f = kmem_cache_zalloc(flowpic_flow_cache, GFP_ATOMIC);
	if (!f) {
		flowpic_budget_uncharge(flowpic_flow_bytes());
		atomic_dec(&t->count);
		return NULL;
	}
	f->key = p->key;
	f->initiator = p->dir;
	spin_lock_init(&f->lock);
	f->geom = cfg->geom;
	f->base_ns = now;
	f->last_ns = now;
	f->win.key = p->key;
	flowpic_window_start(f, 0);

	old = rhashtable_lookup_get_insert_fast(&t->ht, &f->node,
						flowpic_table_params);
	if (old) {
		/* Another CPU made it first, or no memory: use theirs. */
		atomic_dec(&t->count);
		kmem_cache_free(flowpic_flow_cache, f);
		flowpic_budget_uncharge(flowpic_flow_bytes());
		return IS_ERR(old) ? NULL : old;
	}
	flowpic_count(t->stats, FLOWPIC_CNT_FLOWS_NEW);
	return f;
}

/* The window @now falls in, in @f's tiling. */
static u32 flowpic_flow_window(const struct flowpic_flow *f, u64 now)
{
	u64 i = flowpic_window_index(&f->geom, (s64)(now - f->base_ns));

	return f->base_index + (u32)min_t(u64, i, U32_MAX - f->base_index);
}

/*
 * @n packets of @size into @f's open window (flow lock held). In a
 * two-channel geometry channel 0 holds the initiator's packets, channel 1
 * the responder's. Returns the flags of flowpic_bin().
 */
static u32 flowpic_flow_bin(struct flowpic_table *t, struct flowpic_flow *f,
			    const struct flowpic_config *cfg,
			    const struct flowpic_pkt *p, u32 size, u32 n,
			    u64 now)
{
	struct flowpic_cell cell;
	u32 flags, ch;

	flags = flowpic_bin(&f->geom, size, (s64)(now - f->win.start_ns),
			    &cell);
	if (flags & (FLOWPIC_BIN_PAST | FLOWPIC_BIN_INVALID))
		return flags;
	ch = f->geom.channels == 2 ? flowpic_role(p->dir, f->initiator) : 0;
	if (flowpic_cells_add(&f->cells, flowpic_cell_index(&f->geom, ch, &cell),
			      n, cfg->max_cells, GFP_ATOMIC))
		flowpic_count_add(t->stats, FLOWPIC_CNT_CELLS_DROPPED, n);
	else
		flowpic_count_add(t->stats, FLOWPIC_CNT_BINNED, n);
	if (flags & FLOWPIC_BIN_CLIPPED)
		flowpic_count_add(t->stats, FLOWPIC_CNT_CLIPPED, n);
	if (flags & FLOWPIC_BIN_EARLY)
		flowpic_count_add(t->stats, FLOWPIC_CNT_CLOCK_BACK, n);
	return flags;
}

/* Whether @p ends @f's flow (flow lock held): RST, or FINs both ways. */
static bool flowpic_flow_ends(struct flowpic_flow *f,
			      const struct flowpic_pkt *p)
{
	if (p->fin)
		f->fin |= 1U << p->dir;
	return p->rst || f->fin == (1U << FLOWPIC_DIR_LO_TO_HI |
				    1U << FLOWPIC_DIR_HI_TO_LO);
}

void flowpic_table_packet(struct flowpic_table *t,
			  const struct flowpic_config *cfg,
			  const struct flowpic_pkt *p, u64 now)
{
	struct flowpic_done *d_time = NULL, *d_end = NULL;
	struct flowpic_flow *f;
	u32 full, last, idx;
	bool gone = false;

	f = flowpic_table_lookup(t, &p->key);
	if (!f) {
		f = flowpic_flow_create(t, cfg, p, now);
		if (!f) {
			/* Full of flows worth more, or no memory left. */
			flowpic_count(t->stats, FLOWPIC_CNT_UNTRACKED);
			return;
		}
	}

	spin_lock_bh(&f->lock);
	if (f->dead) {
		/* Closing under us (FIN, idle, eviction): let it go. */
		spin_unlock_bh(&f->lock);
		flowpic_count(t->stats, FLOWPIC_CNT_UNTRACKED);
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

	/* As the wire carries it: a GSO packet as its segments. */
	full = flowpic_gso_split(p->size, p->hdr, p->gso, &last);
	if (full) {
		flowpic_flow_bin(t, f, cfg, p, p->hdr + p->gso, full, now);
		flowpic_count_add(t->stats, FLOWPIC_CNT_SEGMENTS, full + 1);
	}
	flowpic_flow_bin(t, f, cfg, p, last, 1, now);
	f->win.packets[p->dir] += full + 1;
	f->win.bytes[p->dir] += p->size + (u64)full * p->hdr;
	if (f->seen < U32_MAX)
		WRITE_ONCE(f->seen, f->seen + 1);
	WRITE_ONCE(f->last_ns, now);
	WRITE_ONCE(f->labelled, p->labelled);

	if (flowpic_flow_ends(f, p)) {
		d_end = flowpic_flow_close(t, f, cfg, p->rst ? FLOWPIC_END_RST :
							   FLOWPIC_END_FIN);
		WRITE_ONCE(f->dead, true);
		gone = true;
	}
	spin_unlock_bh(&f->lock);

	flowpic_table_queue(t, d_time);
	flowpic_table_queue(t, d_end);
	/* The histogram is over; the verdict is not (verdict.c). */
	if (gone)
		flowpic_table_unlink(t, f);
}

/* Every this many flows the sweep lets others run. */
#define FLOWPIC_SWEEP_BATCH	256

void flowpic_table_sweep(struct flowpic_table *t,
			 const struct flowpic_config *cfg, u64 now)
{
	struct rhashtable_iter it;
	struct flowpic_flow *f;
	struct flowpic_done *d;
	unsigned int n = 0;
	bool idle;

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
			flowpic_table_unlink(t, f);
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
	while (atomic_read(&t->count) > cfg->max_flows) {
		rcu_read_lock();
		for (n = 0; atomic_read(&t->count) > cfg->max_flows &&
			    n < FLOWPIC_SWEEP_BATCH; n++)
			if (!flowpic_table_evict(t, cfg))
				break;
		rcu_read_unlock();
		if (n < FLOWPIC_SWEEP_BATCH)
			break;
		cond_resched();
	}
}
