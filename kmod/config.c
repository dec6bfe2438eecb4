// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic.ko's configuration: the FlowPic geometry and the table bounds.
 * One RCU-published copy, so the packet path reads it without a lock and a
 * change takes effect for windows opened after it.
 */
#include <linux/errno.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "flowpic_genl.h"
#include "config.h"

struct flowpic_config __rcu *flowpic_config;
static DEFINE_MUTEX(flowpic_config_mutex);
static u32 flowpic_flows_limit;

void flowpic_config_lock(void)
{
	mutex_lock(&flowpic_config_mutex);
}

void flowpic_config_unlock(void)
{
	mutex_unlock(&flowpic_config_mutex);
}

u32 flowpic_config_flows_limit(void)
{
	return flowpic_flows_limit;
}

int flowpic_config_init(u32 flows_limit)
{
	struct flowpic_config *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->geom.n = FLOWPIC_MINI_N;
	c->geom.window_ns = FLOWPIC_MINI_WINDOW_NS;
	c->geom.max_size = FLOWPIC_MAX_PKT_SIZE;
	c->geom.channels = 1;
	c->max_flows = flows_limit;
	c->max_cells = FLOWPIC_DEFAULT_MAX_CELLS;
	c->idle_ns = FLOWPIC_DEFAULT_IDLE_NS;
	c->min_packets = FLOWPIC_DEFAULT_MIN_PACKETS;
	flowpic_flows_limit = flows_limit;
	rcu_assign_pointer(flowpic_config, c);
	return 0;
}

void flowpic_config_exit(void)
{
	struct flowpic_config *c;

	c = rcu_replace_pointer(flowpic_config, NULL, true);
	synchronize_rcu();
	kfree(c);
}

void flowpic_config_read(struct flowpic_config *out)
{
	rcu_read_lock();
	*out = *flowpic_config_rcu();
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

	*attr = FLOWPIC_A_UNSPEC;
	return NULL;
}

int flowpic_config_update(const struct flowpic_config *c, const char **msg,
			  int *attr)
{
	struct flowpic_config *new, *old;

	*msg = flowpic_config_invalid(c, flowpic_flows_limit, attr);
	if (*msg)
		return -EINVAL;
	new = kmemdup(c, sizeof(*c), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	lockdep_assert_held(&flowpic_config_mutex);
	old = rcu_replace_pointer(flowpic_config, new,
				  lockdep_is_held(&flowpic_config_mutex));
	kfree_rcu(old, rcu);
	return 0;
}
