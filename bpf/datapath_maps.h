/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * The tc program's maps as its loader (user/live/datapath.c) sees them: value
 * layouts, the configuration the loader writes before load, and the names
 * under the bpffs directory. Both sides include this file, so the layouts
 * cannot drift (xdp-tools' common_kern_user.h pattern).
 *
 * A flow's value is its state, then a struct flowpic_window, then the
 * dense cells, so that a completed window leaves through the ring buffer
 * as one contiguous copy of (window, cells), the record
 * include/flowpic_record.h describes. The flow table comes in four value
 * sizes (cell capacity 1024, 2048, 4096, 8192 bytes); the loader sizes
 * the one the configured geometry fits in and leaves the others at one
 * entry, so a 32x32 one-channel flow costs about 1.2 KB, not 8 KB.
 */
#ifndef _FLOWPIC_BPF_MAPS_H
#define _FLOWPIC_BPF_MAPS_H

#include <linux/bpf.h>
#include "flowpic.h"

#define FLOWPIC_BPF_CAP_MIN	1024
#define FLOWPIC_BPF_CAP_MAX	8192	/* 64x64 two channels, 90x90 one */

/* Defaults when the loader is given none. */
#define FLOWPIC_BPF_MAX_FLOWS	65536
#define FLOWPIC_BPF_RINGBUF	(4U << 20)
#define FLOWPIC_BPF_EVICT_SCAN	256
#define FLOWPIC_BPF_FRAGS	1024
#define FLOWPIC_BPF_VERDICTS_MIN 4096	/* the verdicts' LRU, at least */

/*
 * When TCP flags end a flow, as the offline reader's --tcp-end: FIN from
 * both sides or RST (its default), the first FIN or RST, or never.
 */
enum flowpic_tcp_end {
	TCP_END_BOTH_FIN,
	TCP_END_FIRST_FIN,
	TCP_END_NONE,
};

/* Per-flow state that is not part of the record. */
struct flowpic_flow_state {
	struct bpf_spin_lock lock;	/* one CPU at a time closes the window */
	__u32	fin;			/* bit per direction that sent FIN */
	__u32	initiator;		/* FLOWPIC_DIR_* of the first packet */
	__u32	__pad;
	__u64	first_ns;		/* first packet: windows tile from here */
	__u64	last_ns;		/* last packet: idle sweep, eviction */
};

/*
 * The "gen" map's one value, moved by whoever writes the labels map (and,
 * by the loader, the policy map): the program's per-CPU notes of flows'
 * labels hold for the generation they were made under only
 * (docs/verdicts.md), so a label written or removed takes effect once it
 * moves. Tools that watch for label changes read it too.
 */
struct flowpic_bpf_gen {
	__u64	labels;
};

/*
 * The state's fields are spelled out at the top level, not as a nested
 * struct flowpic_flow_state: 6.1's verifier only finds a bpf_spin_lock
 * there. The layout is the same (asserted below), so both sides may read
 * a value through struct flowpic_flow_state.
 */
#define FLOWPIC_FLOW_VALUE(cap)						\
struct flowpic_flow_##cap {						\
	struct bpf_spin_lock lock;					\
	__u32	fin;							\
	__u32	initiator;						\
	__u32	__pad;							\
	__u64	first_ns;						\
	__u64	last_ns;						\
	struct flowpic_window win;	/* the open window */		\
	__u8	cells[cap];						\
};									\
FLOWPIC_STATIC_ASSERT(__builtin_offsetof(struct flowpic_flow_##cap,	\
					 last_ns) ==			\
		      __builtin_offsetof(struct flowpic_flow_state, last_ns) && \
		      __builtin_offsetof(struct flowpic_flow_##cap, win) ==	\
		      sizeof(struct flowpic_flow_state),			\
		      "flow value layout")

FLOWPIC_FLOW_VALUE(1024);
FLOWPIC_FLOW_VALUE(2048);
FLOWPIC_FLOW_VALUE(4096);
FLOWPIC_FLOW_VALUE(8192);

#define FLOWPIC_BPF_WIN_OFF	sizeof(struct flowpic_flow_state)
#define FLOWPIC_BPF_CELLS_OFF	(FLOWPIC_BPF_WIN_OFF + sizeof(struct flowpic_window))

FLOWPIC_STATIC_ASSERT(sizeof(struct flowpic_flow_state) == 32,
		      "flow state layout");
FLOWPIC_STATIC_ASSERT(FLOWPIC_BPF_CELLS_OFF % 8 == 0,
		      "cells are copied in 8-byte words");

/*
 * The counters, named so that `bpftool map dump` prints names; one field
 * per enum flowpic_counter, in its order (asserted below).
 */
struct flowpic_bpf_stats {
	__u64	packets;
	__u64	binned;
	__u64	not_ip;
	__u64	not_tcp_udp;
	__u64	malformed;
	__u64	fragment;
	__u64	clipped;
	__u64	clock_back;
	__u64	flows_new;
	__u64	flows_evicted;
	__u64	windows;
	__u64	windows_lost;
	__u64	cells_dropped;	/* cell update lost to contention */
	__u64	dropped;
	__u64	marked;
	__u64	prioritised;
	__u64	untracked;	/* no room in the flow table: not binned, still enforced */
	__u64	segments;	/* GSO/GRO packets' segments, binned one by one */
	__u64	verdict_bad;	/* label or policy out of range: ignored */
	__u64	big_packets;	/* GSO/GRO packets with no IP length (BIG TCP) */
};

#define FLOWPIC_BPF_STAT_AT(f, c)					\
	FLOWPIC_STATIC_ASSERT(__builtin_offsetof(struct flowpic_bpf_stats, f) \
			      == (c) * 8, #f " is counter " #c)
FLOWPIC_BPF_STAT_AT(packets, FLOWPIC_CNT_PACKETS);
FLOWPIC_BPF_STAT_AT(binned, FLOWPIC_CNT_BINNED);
FLOWPIC_BPF_STAT_AT(not_ip, FLOWPIC_CNT_NOT_IP);
FLOWPIC_BPF_STAT_AT(not_tcp_udp, FLOWPIC_CNT_NOT_TCP_UDP);
FLOWPIC_BPF_STAT_AT(malformed, FLOWPIC_CNT_MALFORMED);
FLOWPIC_BPF_STAT_AT(fragment, FLOWPIC_CNT_FRAGMENT);
FLOWPIC_BPF_STAT_AT(clipped, FLOWPIC_CNT_CLIPPED);
FLOWPIC_BPF_STAT_AT(clock_back, FLOWPIC_CNT_CLOCK_BACK);
FLOWPIC_BPF_STAT_AT(flows_new, FLOWPIC_CNT_FLOWS_NEW);
FLOWPIC_BPF_STAT_AT(flows_evicted, FLOWPIC_CNT_FLOWS_EVICTED);
FLOWPIC_BPF_STAT_AT(windows, FLOWPIC_CNT_WINDOWS);
FLOWPIC_BPF_STAT_AT(windows_lost, FLOWPIC_CNT_WINDOWS_LOST);
FLOWPIC_BPF_STAT_AT(cells_dropped, FLOWPIC_CNT_CELLS_DROPPED);
FLOWPIC_BPF_STAT_AT(dropped, FLOWPIC_CNT_DROPPED);
FLOWPIC_BPF_STAT_AT(marked, FLOWPIC_CNT_MARKED);
FLOWPIC_BPF_STAT_AT(prioritised, FLOWPIC_CNT_PRIORITISED);
FLOWPIC_BPF_STAT_AT(untracked, FLOWPIC_CNT_UNTRACKED);
FLOWPIC_BPF_STAT_AT(segments, FLOWPIC_CNT_SEGMENTS);
FLOWPIC_BPF_STAT_AT(verdict_bad, FLOWPIC_CNT_VERDICT_BAD);
FLOWPIC_BPF_STAT_AT(big_packets, FLOWPIC_CNT_BIG_PACKETS);
FLOWPIC_STATIC_ASSERT(sizeof(struct flowpic_bpf_stats) ==
		      __FLOWPIC_CNT_MAX * 8, "one field per counter");

/*
 * Later IP fragments carry no ports: the first fragment's flow is
 * remembered by (source, destination, protocol, identification), as the
 * offline reader does (user/capture/fragment.h).
 */
struct flowpic_frag_key {
	__be32	src[4];
	__be32	dst[4];
	__u32	id;
	__u8	proto;
	__u8	family;
	__u16	__pad;
};

struct flowpic_frag_value {
	struct flowpic_key key;
	__u64	expires_ns;
	__u8	dir;
	__u8	__pad[7];
};

#define FLOWPIC_FRAG_TIMEOUT_NS	30000000000ULL	/* as Linux's ipfrag_time */

/* Map names, also the file names under the bpffs directory. */
#define FLOWPIC_PIN_FLOWS	"flows"
#define FLOWPIC_PIN_LABELS	"labels"
#define FLOWPIC_PIN_POLICY	"policy"
#define FLOWPIC_PIN_STATS	"stats"
#define FLOWPIC_PIN_WINDOWS	"windows"
#define FLOWPIC_PIN_FRAGS	"frags"
#define FLOWPIC_PIN_GEN		"gen"
#define FLOWPIC_PIN_PROG	"prog"
#define FLOWPIC_PIN_META	"meta"

/*
 * The "meta" map's one value: which program and configuration the maps
 * pinned beside it were made for. The loader writes it after load and
 * refuses to reuse pins whose record differs (or is missing), since a
 * map of the right size may still hold another layout or geometry.
 * Bump FLOWPIC_BPF_PIN_VERSION with every change to a map's layout or
 * meaning.
 */
#define FLOWPIC_BPF_PIN_MAGIC	0x66706963U	/* "fpic" */
#define FLOWPIC_BPF_PIN_VERSION	4U	/* 3: channels by role (initiator); */
					/* 4: policy actions carry a mask */

struct flowpic_bpf_meta {
	__u32	magic;
	__u32	version;
	__u64	window_ns;
	__u32	n;
	__u32	max_size;
	__u32	channels;
	__u32	cap;
	__u32	max_flows;
	__u32	ringbuf_bytes;
	__u32	min_packets;
	__u32	evict_scan;
	__s32	tcp_end;
	__u32	__pad;
};

#endif /* _FLOWPIC_BPF_MAPS_H */
