// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic's counters (enum flowpic_counter), the same slots the BPF side
 * keeps in its stats map, read by FLOWPIC_CMD_GET_STATS: each network
 * namespace counts its own packets.
 */
#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "stats.h"

struct flowpic_stats __percpu *flowpic_stats_alloc(void)
{
	return alloc_percpu_gfp(struct flowpic_stats, GFP_KERNEL_ACCOUNT);
}

void flowpic_stats_free(struct flowpic_stats __percpu *st)
{
	free_percpu(st);
}

void flowpic_stats_read(struct flowpic_stats __percpu *st, u64 *out)
{
	int cpu, i;

	memset(out, 0, sizeof(u64) * __FLOWPIC_CNT_MAX);
	for_each_possible_cpu(cpu) {
		const struct flowpic_stats *s = per_cpu_ptr(st, cpu);

		for (i = 0; i < __FLOWPIC_CNT_MAX; i++)
			out[i] += READ_ONCE(s->cnt[i]);
	}
}
