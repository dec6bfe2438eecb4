/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_STATS_H
#define _FLOWPIC_KMOD_STATS_H

#include <linux/irqflags.h>	/* generic this_cpu_add() (UML) */
#include <linux/percpu.h>

#include "flowpic_record.h"

/*
 * One set of counters per network namespace (struct flowpic_state),
 * per-CPU so the packet path never shares a cache line to count.
 */
struct flowpic_stats {
	u64 cnt[__FLOWPIC_CNT_MAX];
};

static inline void flowpic_count_add(struct flowpic_stats __percpu *st,
				     enum flowpic_counter c, u64 n)
{
	this_cpu_add(st->cnt[c], n);
}

static inline void flowpic_count(struct flowpic_stats __percpu *st,
				 enum flowpic_counter c)
{
	flowpic_count_add(st, c, 1);
}

/* Zeroed counters, charged to the caller's memory cgroup; NULL: none. */
struct flowpic_stats __percpu *flowpic_stats_alloc(void);
void flowpic_stats_free(struct flowpic_stats __percpu *st);
/* Sums every CPU's counters of @st into @out[__FLOWPIC_CNT_MAX]. */
void flowpic_stats_read(struct flowpic_stats __percpu *st, u64 *out);

#endif /* _FLOWPIC_KMOD_STATS_H */
