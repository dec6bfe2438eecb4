/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * The "flowpic" generic netlink family: how flowpicd and the flowpic
 * command talk to flowpic.ko.
 *
 * Family FLOWPIC_GENL_NAME, version FLOWPIC_GENL_VERSION, in every
 * network namespace: a command acts on the flowpic of its socket's
 * namespace (its own flows, verdicts, policy, config and counters), and
 * windows are multicast to that namespace's listeners only. Every command
 * that changes state or shows flows, and listening to windows, needs
 * CAP_NET_ADMIN over the user namespace owning that network namespace
 * (GENL_UNS_ADMIN_PERM);
 * every attribute is validated strictly by the module (unknown attributes
 * are refused). The module has no family alias: asking for the family
 * never loads it, an administrator does (modprobe flowpic).
 *
 * Commands
 *
 * FLOWPIC_CMD_GET_CONFIG (doit, unprivileged)
 *	Request: no attributes.
 *	Reply:   FLOWPIC_CMD_GET_CONFIG with FLOWPIC_A_GEOM,
 *	         FLOWPIC_A_MAX_FLOWS, FLOWPIC_A_MAX_CELLS, FLOWPIC_A_IDLE_NS,
 *	         FLOWPIC_A_MIN_PACKETS.
 *
 * FLOWPIC_CMD_SET_CONFIG (doit, admin)
 *	Request: any subset of the attributes GET_CONFIG returns. A new
 *	         geometry applies to windows opened after the change.
 *	Errors:  -EINVAL with an extack message naming the bad attribute,
 *	         also when the worst case (max_flows flows, each with
 *	         max_cells cells, or all of the geometry's if fewer) would
 *	         exceed the module's memory budget (its mem_budget
 *	         parameter, an eighth of RAM by default).
 *
 * FLOWPIC_CMD_GET_FLOWS (dumpit, admin)
 *	One message per flow: FLOWPIC_A_KEY, FLOWPIC_A_WINDOW (the open
 *	window's header, cells = number of non-empty cells), FLOWPIC_A_LABEL
 *	if labelled, FLOWPIC_A_ACTION if one applies. Resumes across calls
 *	for large tables.
 *
 * FLOWPIC_CMD_SET_LABEL (doit, admin)
 *	Request: FLOWPIC_A_KEY, FLOWPIC_A_LABEL. Optional FLOWPIC_A_ACTION
 *	         overrides the class policy for this flow. The verdict goes
 *	         into the verdict table, apart from the flow's histogram: it
 *	         outlives the flow's windows, FIN, RST, idle end and eviction
 *	         (docs/verdicts.md); only DEL_LABEL, a later SET_LABEL or the
 *	         table's least-recently-used bound ends it.
 *	Errors:  -ENOENT when the flow is neither in the flow table nor
 *	         labelled already; -ENOSPC when a new verdict does not fit
 *	         the module's memory budget (counted in the verdict
 *	         table's refused; no verdict is evicted for it).
 *
 * FLOWPIC_CMD_DEL_LABEL (doit, admin)
 *	Request: FLOWPIC_A_KEY. Removes the flow's verdict.
 *	Errors:  -ENOENT when the flow has none.
 *
 * FLOWPIC_CMD_SET_POLICY (doit, admin)
 *	Request: FLOWPIC_A_CLASS (u16 < FLOWPIC_POLICY_SLOTS),
 *	         FLOWPIC_A_ACTION.
 *
 * FLOWPIC_CMD_GET_STATS (doit, unprivileged)
 *	Reply:   FLOWPIC_A_STATS, __FLOWPIC_CNT_MAX u64 counters in
 *	         enum flowpic_counter order; FLOWPIC_A_VERDICTS, the verdict
 *	         table's struct flowpic_verdict_stats.
 *
 * FLOWPIC_CMD_WINDOW (multicast on FLOWPIC_GENL_MCGRP_WINDOWS)
 *	A completed window: FLOWPIC_A_WINDOW (.cells = number of sparse
 *	cells), FLOWPIC_A_CELLS (array of struct flowpic_sparse_cell,
 *	index-sorted). An attribute holds at most FLOWPIC_CELLS_PER_ATTR
 *	cells (its length is 16 bits), so a larger picture comes as several
 *	FLOWPIC_A_CELLS in order, to be concatenated; none when empty.
 *	Listening needs CAP_NET_ADMIN.
 *
 * Attributes
 *
 * FLOWPIC_A_GEOM	binary, struct flowpic_geom
 * FLOWPIC_A_MAX_FLOWS	u32, flow table bound (1 .. 1048576)
 * FLOWPIC_A_MAX_CELLS	u32, per-flow sparse cell bound (16 .. 65536; the
 *			module starts with 4096 or less, to fit its budget)
 * FLOWPIC_A_IDLE_NS	u64, a flow idle this long has its window closed
 * FLOWPIC_A_MIN_PACKETS u32, windows with fewer packets are not announced
 * FLOWPIC_A_KEY	binary, struct flowpic_key (canonical, padding zero)
 * FLOWPIC_A_WINDOW	binary, struct flowpic_window
 * FLOWPIC_A_CELLS	binary, struct flowpic_sparse_cell[]
 * FLOWPIC_A_LABEL	binary, struct flowpic_label
 * FLOWPIC_A_ACTION	binary, struct flowpic_action (12 bytes), or its first
 *			FLOWPIC_ACTION_V1_SIZE bytes (mask 0: all bits);
 *			replies carry all 12
 * FLOWPIC_A_CLASS	u16
 * FLOWPIC_A_STATS	binary, __u64[__FLOWPIC_CNT_MAX]
 * FLOWPIC_A_VERDICTS	binary, struct flowpic_verdict_stats (readers take
 *			FLOWPIC_VERDICT_STATS_V1_SIZE bytes, without
 *			refused, from an older module)
 */
#ifndef _FLOWPIC_GENL_H
#define _FLOWPIC_GENL_H

#define FLOWPIC_GENL_NAME		"flowpic"
#define FLOWPIC_GENL_VERSION		1
#define FLOWPIC_GENL_MCGRP_WINDOWS	"windows"

#define FLOWPIC_MAX_FLOWS_LIMIT		1048576
#define FLOWPIC_MAX_CELLS_MIN		16
#define FLOWPIC_MAX_CELLS_LIMIT		65536
/* (65535 - 4-byte attribute header) / sizeof(struct flowpic_sparse_cell) */
#define FLOWPIC_CELLS_PER_ATTR		8191

enum flowpic_cmd {
	FLOWPIC_CMD_UNSPEC,
	FLOWPIC_CMD_GET_CONFIG,
	FLOWPIC_CMD_SET_CONFIG,
	FLOWPIC_CMD_GET_FLOWS,
	FLOWPIC_CMD_SET_LABEL,
	FLOWPIC_CMD_SET_POLICY,
	FLOWPIC_CMD_GET_STATS,
	FLOWPIC_CMD_WINDOW,
	FLOWPIC_CMD_DEL_LABEL,
	__FLOWPIC_CMD_MAX,
};
#define FLOWPIC_CMD_MAX (__FLOWPIC_CMD_MAX - 1)

enum flowpic_attr {
	FLOWPIC_A_UNSPEC,
	FLOWPIC_A_GEOM,
	FLOWPIC_A_MAX_FLOWS,
	FLOWPIC_A_MAX_CELLS,
	FLOWPIC_A_IDLE_NS,
	FLOWPIC_A_MIN_PACKETS,
	FLOWPIC_A_KEY,
	FLOWPIC_A_WINDOW,
	FLOWPIC_A_CELLS,
	FLOWPIC_A_LABEL,
	FLOWPIC_A_ACTION,
	FLOWPIC_A_CLASS,
	FLOWPIC_A_STATS,
	FLOWPIC_A_PAD,
	FLOWPIC_A_VERDICTS,
	__FLOWPIC_A_MAX,
};
#define FLOWPIC_A_MAX (__FLOWPIC_A_MAX - 1)

#endif /* _FLOWPIC_GENL_H */
