// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic.ko's configuration: the FlowPic geometry and the table bounds,
 * one per network namespace. Each is checked against the module's bounds
 * (the max_flows parameter, the memory budget), which no namespace's
 * config can raise.
 */
#include <linux/errno.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "flowpic_genl.h"
#include "budget.h"
#include "config.h"
#include "flow_table.h"
#include "verdict.h"

static u32 flowpic_flows_limit;
static u32 flowpic_verdicts_limit;
static u32 flowpic_start_cells;

void flowpic_config_lock(struct flowpic_config_slot *cs)
{
	mutex_lock(&cs->lock);
}

void flowpic_config_unlock(struct flowpic_config_slot *cs)
{
	mutex_unlock(&cs->lock);
}

u32 flowpic_config_flows_limit(void)
{
	return flowpic_flows_limit;
}

u64 flowpic_config_verdicts_bytes(void)
{
	return (u64)flowpic_verdicts_limit * flowpic_verdict_bytes();
}

u64 flowpic_config_worst(const struct flowpic_config *c)
{
	const struct flowpic_geom *g = &c->geom;
	u64 cells = min_t(u64, c->max_cells, (u64)g->n * g->n * g->channels);

	return (u64)c->max_flows * (flowpic_flow_bytes() +
				    flowpic_cells_bytes_max(cells)) +
	       flowpic_config_verdicts_bytes();
}

/*
 * The largest max_cells (up to the default) whose worst case fits the
 * budget whatever the geometry; 0 when not even the minimum does.
 */
static u32 flowpic_config_fit_cells(u32 flows)
{
	struct flowpic_config c = {
		.geom = { .n = FLOWPIC_N_MAX, .channels = FLOWPIC_CHANNELS_MAX },
		.max_flows = flows,
	};
	u32 lo = FLOWPIC_MAX_CELLS_MIN, hi = FLOWPIC_DEFAULT_MAX_CELLS;

	c.max_cells = lo;
	if (flowpic_config_worst(&c) > flowpic_budget_limit())
		return 0;
	while (lo < hi) {
		c.max_cells = hi - (hi - lo) / 2;
		if (flowpic_config_worst(&c) <= flowpic_budget_limit())
			lo = c.max_cells;
		else
			hi = c.max_cells - 1;
	}
	return lo;
}

int flowpic_config_setup(u32 flows_limit, u32 verdicts_limit)
{
	u32 cells;

	flowpic_verdicts_limit = verdicts_limit;
	cells = flowpic_config_fit_cells(flows_limit);
	if (!cells)
		return -E2BIG;
	flowpic_flows_limit = flows_limit;
	flowpic_start_cells = cells;
	return 0;
}

int flowpic_config_init(struct flowpic_config_slot *cs)
{
	struct flowpic_config *c;

	mutex_init(&cs->lock);
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	c->geom.n = FLOWPIC_MINI_N;
	c->geom.window_ns = FLOWPIC_MINI_WINDOW_NS;
	c->geom.max_size = FLOWPIC_MAX_PKT_SIZE;
	c->geom.channels = 1;
	c->max_flows = flowpic_flows_limit;
	c->max_cells = flowpic_start_cells;
	c->idle_ns = FLOWPIC_DEFAULT_IDLE_NS;
	c->min_packets = FLOWPIC_DEFAULT_MIN_PACKETS;
	rcu_assign_pointer(cs->cur, c);
	return 0;
}

void flowpic_config_exit(struct flowpic_config_slot *cs)
{
	struct flowpic_config *c;

	c = rcu_replace_pointer(cs->cur, NULL, true);
	if (c)
		kfree_rcu(c, rcu);
	mutex_destroy(&cs->lock);
}

void flowpic_config_read(struct flowpic_config_slot *cs,
			 struct flowpic_config *out)
{
	rcu_read_lock();
	*out = *flowpic_config_rcu(cs);
	rcu_read_unlock();
}

const char *flowpic_config_invalid(const struct flowpic_config *c,
				   u32 flows_limit, int *attr)
{
	const struct flowpic_geom *g = &c->geom;

	*attr = FLOWPIC_A_GEOM;
	if (g->n < FLOWPIC_N_MIN || g->n > FLOWPIC_N_MAX)
		return "geometry: n must be 8..1500";
	if (g->max_size != FLOWPIC_MAX_PKT_SIZE)
		return "geometry: max_size must be 1500";
	if (g->channels < 1 || g->channels > FLOWPIC_CHANNELS_MAX)
		return "geometry: channels must be 1 or 2";
	if (g->window_ns < FLOWPIC_WINDOW_NS_MIN ||
	    g->window_ns > FLOWPIC_WINDOW_NS_MAX)
		return "geometry: window_ns must be 1 ms..1 h";
	if (g->__pad[0] || g->__pad[1] || g->__pad[2])
		return "geometry: padding must be zero";
	/* Belt and braces: the contract's own check must agree. */
	if (flowpic_geom_invalid(g))
		return "geometry: invalid";

	*attr = FLOWPIC_A_MAX_FLOWS;
	if (!c->max_flows || c->max_flows > flows_limit)
		return "max_flows: 1 .. the module's max_flows parameter";

	*attr = FLOWPIC_A_MAX_CELLS;
	if (c->max_cells < FLOWPIC_MAX_CELLS_MIN ||
	    c->max_cells > FLOWPIC_MAX_CELLS_LIMIT)
		return "max_cells: must be 16..65536";

	*attr = FLOWPIC_A_IDLE_NS;
	if (c->idle_ns < FLOWPIC_IDLE_NS_MIN || c->idle_ns > FLOWPIC_IDLE_NS_MAX)
		return "idle_ns: must be 1 ms..1 h";

	/*
	 * Every flow full of cells, beside a full verdict table, must fit
	 * the module's memory budget.
	 */
	*attr = FLOWPIC_A_MAX_FLOWS;
	if ((u64)c->max_flows * flowpic_flow_bytes() +
	    flowpic_config_verdicts_bytes() > flowpic_budget_limit())
		return "max_flows: the flows alone, beside max_verdicts verdicts, exceed the module's mem_budget";
	*attr = FLOWPIC_A_MAX_CELLS;
	if (flowpic_config_worst(c) > flowpic_budget_limit())
		return "max_cells: max_flows flows of max_cells cells (or of the geometry's, if fewer), beside max_verdicts verdicts, exceed the module's mem_budget";

	*attr = FLOWPIC_A_UNSPEC;
	return NULL;
}

int flowpic_config_update(struct flowpic_config_slot *cs,
			  const struct flowpic_config *c, const char **msg,
			  int *attr)
{
	struct flowpic_config *new, *old;

	*msg = flowpic_config_invalid(c, flowpic_flows_limit, attr);
	if (*msg)
		return -EINVAL;
	new = kmemdup(c, sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	lockdep_assert_held(&cs->lock);
	old = rcu_replace_pointer(cs->cur, new, lockdep_is_held(&cs->lock));
	kfree_rcu(old, rcu);
	return 0;
}
