// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic.ko's memory budget: one module-wide count of the bytes flows,
 * their cells and verdicts hold, checked before every allocation on the
 * packet path and before every new verdict. A namespace's config is
 * checked against the same limit (config.c), so its worst case fits and
 * only closed windows waiting for delivery, or other namespaces, can
 * press on it.
 */
#include <linux/atomic.h>
#include <linux/mm.h>

#include "budget.h"

static atomic_long_t flowpic_mem_used = ATOMIC_LONG_INIT(0);
static atomic_long_t flowpic_mem_peak = ATOMIC_LONG_INIT(0);
static size_t flowpic_mem_limit;

size_t flowpic_budget_default(void)
{
	return ((size_t)totalram_pages() << PAGE_SHIFT) / 8;
}

void flowpic_budget_init(size_t limit)
{
	flowpic_mem_limit = limit;
	atomic_long_set(&flowpic_mem_peak, atomic_long_read(&flowpic_mem_used));
}

size_t flowpic_budget_limit(void)
{
	return flowpic_mem_limit;
}

size_t flowpic_budget_used(void)
{
	return atomic_long_read(&flowpic_mem_used);
}

size_t flowpic_budget_peak(void)
{
	return atomic_long_read(&flowpic_mem_peak);
}

bool flowpic_budget_charge(size_t bytes)
{
	long used = atomic_long_add_return(bytes, &flowpic_mem_used);
	long peak = atomic_long_read(&flowpic_mem_peak);

	if (used > (long)READ_ONCE(flowpic_mem_limit)) {
		atomic_long_sub(bytes, &flowpic_mem_used);
		return false;
	}
	while (used > peak &&
	       !atomic_long_try_cmpxchg(&flowpic_mem_peak, &peak, used))
		;
	return true;
}

void flowpic_budget_uncharge(size_t bytes)
{
	atomic_long_sub(bytes, &flowpic_mem_used);
}
