/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_CONFIG_H
#define _FLOWPIC_KMOD_CONFIG_H

#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

#include "flowpic_geom.h"

/* Defaults: mini-FlowPic geometry, the paper's 15 s windows. */
#define FLOWPIC_DEFAULT_MAX_CELLS	4096
#define FLOWPIC_DEFAULT_IDLE_NS		(60ULL * NSEC_PER_SEC)
#define FLOWPIC_DEFAULT_MIN_PACKETS	1
#define FLOWPIC_IDLE_NS_MIN		FLOWPIC_WINDOW_NS_MIN
#define FLOWPIC_IDLE_NS_MAX		FLOWPIC_WINDOW_NS_MAX

/* What FLOWPIC_CMD_GET_CONFIG reports and SET_CONFIG changes. */
struct flowpic_config {
	struct flowpic_geom geom;
	u32 max_flows;		/* <= the max_flows module parameter */
	u32 max_cells;		/* sparse cells per flow window */
	u64 idle_ns;
	u32 min_packets;
	struct rcu_head rcu;
};

/*
 * A network namespace's config: one RCU-published copy, so the packet
 * path reads it without a lock and a change takes effect for windows
 * opened after it.
 */
struct flowpic_config_slot {
	struct flowpic_config __rcu *cur;
	struct mutex lock;		/* read-modify-write cycles */
};

/*
 * Module-wide, once, with the memory budget set: the bound every
 * namespace's max_flows stays under (the max_flows parameter), the
 * bound of every verdict table (the max_verdicts parameter), and the
 * max_cells a namespace starts with, the default or less, so that its
 * worst case fits the budget whatever the geometry. -E2BIG when not even
 * 16 cells fit.
 */
int flowpic_config_setup(u32 flows_limit, u32 verdicts_limit);

/* A namespace's config, the defaults; -ENOMEM. */
int flowpic_config_init(struct flowpic_config_slot *cs);
/* Frees it; no reader may be left. */
void flowpic_config_exit(struct flowpic_config_slot *cs);

/* The packet path reads the config under rcu_read_lock(). */
static inline const struct flowpic_config *
flowpic_config_rcu(struct flowpic_config_slot *cs)
{
	return rcu_dereference(cs->cur);
}

/* A consistent copy of the current config. */
void flowpic_config_read(struct flowpic_config_slot *cs,
			 struct flowpic_config *out);

/*
 * NULL when @c is usable; otherwise why not, with the FLOWPIC_A_* attribute
 * at fault in @attr, so netlink can point the user at it.
 */
const char *flowpic_config_invalid(const struct flowpic_config *c,
				   u32 flows_limit, int *attr);

/*
 * Replaces @cs's config by @c after checking it; -EINVAL with @msg and
 * @attr set as flowpic_config_invalid() does. Config lock held.
 */
int flowpic_config_update(struct flowpic_config_slot *cs,
			  const struct flowpic_config *c, const char **msg,
			  int *attr);

/* Bytes a full verdict table holds: max_verdicts verdicts. */
u64 flowpic_config_verdicts_bytes(void);

/*
 * Bytes a namespace with config @c may hold at worst: max_flows flows,
 * each with its largest window (max_cells cells, or every cell of the
 * geometry if fewer), and a full verdict table.
 */
u64 flowpic_config_worst(const struct flowpic_config *c);

/* Serialises read-modify-write cycles of @cs (SET_CONFIG). */
void flowpic_config_lock(struct flowpic_config_slot *cs);
void flowpic_config_unlock(struct flowpic_config_slot *cs);

/* The bound the module was loaded with (max_flows parameter). */
u32 flowpic_config_flows_limit(void);

#endif /* _FLOWPIC_KMOD_CONFIG_H */
