/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * The record that leaves the kernel when a flow's window completes, and
 * the counters every kernel side keeps.
 *
 * The tc program sends struct flowpic_window followed by the dense cells
 * (flowpic_geom_cells() bytes, one __u8 count per cell) through its ring
 * buffer. The module sends the same header fields as netlink attributes
 * with the cells in sparse form (struct flowpic_sparse_cell).
 */
#ifndef _FLOWPIC_RECORD_H
#define _FLOWPIC_RECORD_H

#include "flowpic_compat.h"
#include "flowpic_key.h"

enum flowpic_end_reason {
	FLOWPIC_END_TIME	= 1,	/* a packet arrived past the window */
	FLOWPIC_END_FIN		= 2,	/* TCP FIN seen */
	FLOWPIC_END_RST		= 3,	/* TCP RST seen */
	FLOWPIC_END_IDLE	= 4,	/* idle sweep closed it */
	FLOWPIC_END_EVICT	= 5,	/* flow table full, flow evicted */
};

struct flowpic_window {
	struct flowpic_key key;
	__u64	start_ns;	/* window start, kernel CLOCK_MONOTONIC */
	__u64	bytes[2];	/* per direction (FLOWPIC_DIR_*) */
	__u32	packets[2];	/* per direction */
	__u32	index;		/* window number within the flow */
	__u32	cells;		/* number of cell bytes that follow */
	__u16	n;		/* geometry the cells were binned with */
	__u8	channels;
	__u8	reason;		/* enum flowpic_end_reason */
	__u32	__pad;
};

FLOWPIC_STATIC_ASSERT(sizeof(struct flowpic_window) == 88,
		      "flowpic_window layout is part of the ABI");

struct flowpic_sparse_cell {
	__u32	index;		/* flowpic_cell_index() */
	__u32	count;		/* saturates at FLOWPIC_CELL_MAX */
};

/* Counters, one slot each, in the BPF stats map and the module. */
enum flowpic_counter {
	FLOWPIC_CNT_PACKETS,		/* packets seen */
	FLOWPIC_CNT_BINNED,		/* packets added to a histogram */
	FLOWPIC_CNT_NOT_IP,		/* not IPv4/IPv6: passed untouched */
	FLOWPIC_CNT_NOT_TCP_UDP,	/* other L4 protocol: passed */
	FLOWPIC_CNT_MALFORMED,		/* truncated or inconsistent headers */
	FLOWPIC_CNT_FRAGMENT,		/* non-first fragment, unattributed */
	FLOWPIC_CNT_CLIPPED,		/* size above max_size, top row */
	FLOWPIC_CNT_CLOCK_BACK,		/* timestamp before window start */
	FLOWPIC_CNT_FLOWS_NEW,		/* flows created */
	FLOWPIC_CNT_FLOWS_EVICTED,	/* flows evicted, table full */
	FLOWPIC_CNT_WINDOWS,		/* windows completed and sent */
	FLOWPIC_CNT_WINDOWS_LOST,	/* completed but not delivered */
	FLOWPIC_CNT_CELLS_DROPPED,	/* sparse bound reached (module) */
	FLOWPIC_CNT_DROPPED,		/* packets dropped by policy */
	FLOWPIC_CNT_MARKED,		/* packets marked by policy */
	FLOWPIC_CNT_PRIORITISED,	/* packets given a priority */
	FLOWPIC_CNT_UNTRACKED,		/* no room in the flow table: not */
					/* binned, still enforced */
	FLOWPIC_CNT_SEGMENTS,		/* GSO/GRO packets' segments, */
					/* binned one by one */
	FLOWPIC_CNT_VERDICT_BAD,	/* label or action out of range: */
					/* ignored (BPF; the module refuses */
					/* such writes) */
	FLOWPIC_CNT_BIG_PACKETS,	/* GSO packets with no IP length */
					/* (BIG TCP) */
	__FLOWPIC_CNT_MAX,
};

#endif /* _FLOWPIC_RECORD_H */
