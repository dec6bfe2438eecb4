/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_FLOW_TABLE_H
#define _FLOWPIC_KMOD_FLOW_TABLE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/rhashtable.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "flowpic.h"
#include "config.h"
#include "fragment.h"
#include "stats.h"
#include "window.h"

enum flowpic_frag_kind {
	FLOWPIC_FRAG_NONE,
	FLOWPIC_FRAG_FIRST,		/* offset 0, more to come: has ports */
	FLOWPIC_FRAG_LATER,		/* no ports */
};

/* What the hook found in a packet, for the flow table. */
struct flowpic_pkt {
	struct flowpic_key key;		/* canonical, but for later */
					/* fragments: source in lo_* */
	u32 size;			/* IP total length */
	u32 hdr;			/* IP and transport headers' length */
	u32 gso;			/* GSO/GRO payload per segment, or 0 */
	u32 frag_id;			/* IP identification */
	u8 frag;			/* enum flowpic_frag_kind */
	u8 dir;				/* FLOWPIC_DIR_* */
	u8 fin;
	u8 rst;
	u8 big;				/* BIG TCP: IP length from the skb */
	u8 labelled;			/* the flow has a verdict */
};

/* One bidirectional flow and its open window. */
struct flowpic_flow {
	struct rhash_head node;
	struct flowpic_key key;
	struct rcu_head rcu;
	spinlock_t lock;		/* everything below */
	bool dead;			/* closed, leaving the table */
	bool labelled;			/* had a verdict at its last packet: */
					/* evicted last (a hint, not the */
					/* verdict, which is never cached) */
	u8 initiator;			/* FLOWPIC_DIR_* of its first packet */
	u8 fin;				/* 1 << FLOWPIC_DIR_* of FINs seen */
	struct flowpic_geom geom;	/* of the open window */
	u64 base_ns;			/* windows tile from here ... */
	u32 base_index;			/* ... numbered from here */
	u64 last_ns;
	u32 seen;			/* packets over its life, saturating */
	struct flowpic_window win;	/* the open window's header */
	struct flowpic_cells cells;	/* and its FlowPic */
};

/*
 * Closed windows waiting for delivery, and their cells (8 bytes each),
 * beyond which they are lost: at most 4096 windows, 32 MB of cells.
 */
#define FLOWPIC_DONE_MAX	4096
#define FLOWPIC_DONE_CELLS_MAX	(1U << 22)
/*
 * Eviction samples flows from random buckets, at most this many flows in
 * at most this many buckets, and evicts the one least worth keeping (see
 * flowpic_flow_worth()). A table of FLOWPIC_EVICT_BUCKETS buckets or
 * fewer is looked at whole, so small tables evict exactly.
 */
#define FLOWPIC_EVICT_SAMPLE	8
#define FLOWPIC_EVICT_BUCKETS	64
/* A flow with fewer packets than this over its life is a cheap victim. */
#define FLOWPIC_EVICT_FEW	4

struct flowpic_table {
	struct rhashtable ht;
	atomic_t count;			/* flows in ht */
	spinlock_t lock;		/* done, ndone, done_cells */
	struct list_head done;		/* struct flowpic_done */
	u32 ndone;
	u32 done_cells;
	/* Called (lock not held) when done was empty and is not. */
	void (*notify)(struct flowpic_table *t);
	/* False when nobody would receive a window; NULL: always true. */
	bool (*listening)(struct flowpic_table *t);
	struct flowpic_frags *frags;	/* first fragments' flows */
	struct flowpic_stats __percpu *stats;	/* where it counts */
};

/* The flows' slab cache, module-wide (every namespace), before any table. */
int flowpic_flow_cache_init(void);
void flowpic_flow_cache_exit(void);
/* What one flow takes, as the memory budget counts it. */
size_t flowpic_flow_bytes(void);

/* A table counting in @stats. */
int flowpic_table_init(struct flowpic_table *t,
		       struct flowpic_stats __percpu *stats,
		       void (*notify)(struct flowpic_table *t),
		       bool (*listening)(struct flowpic_table *t));
/* Frees every flow and undelivered window. No packet may be in flight. */
void flowpic_table_destroy(struct flowpic_table *t);

/*
 * Accounts packet @p seen at @now (CLOCK_MONOTONIC ns) with config @cfg:
 * finds or creates its flow, closes the window it ends, bins it (a GSO
 * packet as its segments). A flow the table has no room for is counted
 * (FLOWPIC_CNT_UNTRACKED). Verdicts are not here (verdict.h). Called
 * under RCU.
 */
void flowpic_table_packet(struct flowpic_table *t,
			  const struct flowpic_config *cfg,
			  const struct flowpic_pkt *p, u64 now);

/* Closes and removes flows idle for cfg->idle_ns at @now. Sleeps. */
void flowpic_table_sweep(struct flowpic_table *t,
			 const struct flowpic_config *cfg, u64 now);

/* Moves the closed windows to @out (a list of struct flowpic_done). */
void flowpic_table_take_done(struct flowpic_table *t, struct list_head *out);

/* The flow of @key, or NULL. Caller holds rcu_read_lock(). */
struct flowpic_flow *flowpic_table_lookup(struct flowpic_table *t,
					  const struct flowpic_key *key);

/* Number of flows in the table. */
u32 flowpic_table_count(struct flowpic_table *t);

extern const struct rhashtable_params flowpic_table_params;

#endif /* _FLOWPIC_KMOD_FLOW_TABLE_H */
