// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic's counters (enum flowpic_counter), the same slots the BPF side
 * keeps in its stats map, read by FLOWPIC_CMD_GET_STATS.
 */
#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "stats.h"

struct flowpic_stats __percpu *flowpic_stats;

int flowpic_stats_init(void)
{
	flowpic_stats = alloc_percpu(struct flowpic_stats);
	return flowpic_stats ? 0 : -ENOMEM;
}

void flowpic_stats_exit(void)
{
	free_percpu(flowpic_stats);
	flowpic_stats = NULL;
}

void flowpic_stats_read(u64 *out)
{
	int cpu, i;

	memset(out, 0, sizeof(u64) * __FLOWPIC_CNT_MAX);
	for_each_possible_cpu(cpu) {
		const struct flowpic_stats *s = per_cpu_ptr(flowpic_stats, cpu);

		for (i = 0; i < __FLOWPIC_CNT_MAX; i++)
			out[i] += READ_ONCE(s->cnt[i]);
	}
}
