/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_BUDGET_H
#define _FLOWPIC_KMOD_BUDGET_H

#include <linux/types.h>

/*
 * The memory flows, their FlowPics and verdicts may hold, module-wide:
 * each flow and each cell array is charged before it is allocated and
 * uncharged when it is freed, so a remote sender cannot pin more than the
 * budget; each verdict is charged while it is in its table (verdict.c).
 */

/* An eighth of RAM, the default. */
size_t flowpic_budget_default(void);

void flowpic_budget_init(size_t limit);
size_t flowpic_budget_limit(void);
/* Bytes charged now, and the most ever charged at once. */
size_t flowpic_budget_used(void);
size_t flowpic_budget_peak(void);

/* True, and @bytes charged, when they fit in what is left. */
bool flowpic_budget_charge(size_t bytes);
void flowpic_budget_uncharge(size_t bytes);

#endif /* _FLOWPIC_KMOD_BUDGET_H */
