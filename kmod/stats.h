/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_STATS_H
#define _FLOWPIC_KMOD_STATS_H

#include <linux/irqflags.h>	/* generic this_cpu_add() (UML) */
#include <linux/percpu.h>

#include "flowpic_record.h"

/* Per-CPU so the packet path never shares a cache line to count. */
struct flowpic_stats {
	u64 cnt[__FLOWPIC_CNT_MAX];
};

extern struct flowpic_stats __percpu *flowpic_stats;

static inline void flowpic_count_add(enum flowpic_counter c, u64 n)
{
	this_cpu_add(flowpic_stats->cnt[c], n);
}

static inline void flowpic_count(enum flowpic_counter c)
{
	flowpic_count_add(c, 1);
}

int flowpic_stats_init(void);
void flowpic_stats_exit(void);
/* Sums every CPU's counters into @out[__FLOWPIC_CNT_MAX]. */
void flowpic_stats_read(u64 *out);

#endif /* _FLOWPIC_KMOD_STATS_H */
