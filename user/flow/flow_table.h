/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bidirectional flows and their windows, offline.
 *
 * A flow is keyed by its canonical 5-tuple. Its windows tile its lifetime
 * from its first packet (flowpic_window_index()), on the flow's own clock:
 * capture time since the first packet, less any gap removed by the gap
 * cap. A window closes when a packet of a later window arrives, when the
 * flow ends (idle, TCP FIN/RST, evicted, end of input) or at flush; closed
 * windows with at least min_packets packets are imaged with window_image()
 * and handed to the sink. A sink that drops small windows itself, after
 * looking at their headers, sets image_min_packets: windows below it reach
 * the sink with an empty picture (no cells), not imaged; the counters are
 * the same either way.
 *
 * Time rules, in order, for a packet d ns after the flow's previous one:
 *  - d > idle_ns (idle_ns != 0): the flow ended idle; the packet starts a
 *    new flow (window 0 again);
 *  - d > gap_cap_ns (gap_cap_ns != 0): the flow's clock advances by only
 *    gap_cap_ns, so a stitched capture does not open windows decades on;
 *  - d < -gap_cap_ns: the capture's clock jumped back; the flow's clock
 *    stands still instead;
 *  - otherwise a packet before its window's start is binned in column 0
 *    (FLOWPIC_BIN_EARLY, counted FLOWPIC_CNT_CLOCK_BACK).
 *
 * Roles: the side that sent a flow's first packet (since it last
 * (re)started) is its initiator. Packet series, and so the channels of a
 * two-channel FlowPic, carry the role, not the canonical direction:
 * 0 from the initiator, 1 from the responder (FLOWPIC_ROLE_*), as the
 * kernel data paths bin them. Packet and byte counts stay per canonical
 * direction.
 */
#ifndef _FLOWPIC_USER_FLOW_TABLE_H
#define _FLOWPIC_USER_FLOW_TABLE_H

#include <stdint.h>

#include "flowpic.h"
#include "flow/picture.h"
#include "flow/window.h"

enum flow_tcp_end {
	FLOW_TCP_END_BOTH_FIN,	/* FIN from both sides, or RST (default) */
	FLOW_TCP_END_FIRST_FIN,	/* first FIN, or RST */
	FLOW_TCP_END_NONE,	/* TCP flags ignored */
};

struct flow_config {
	struct flowpic_geom geom;
	__u32	min_packets;	/* smaller windows are counted, not sent */
	__u32	image_min_packets; /* smaller windows are sent unimaged */
	__u32	max_flows;	/* beyond this the least recent is evicted */
	__u64	idle_ns;	/* 0: flows never end idle */
	__u64	gap_cap_ns;	/* 0: gaps are not capped */
	int	tcp_end;	/* enum flow_tcp_end */
};

#define FLOW_DEFAULT_IDLE_NS	120000000000ULL	/* 2 min */
#define FLOW_DEFAULT_GAP_CAP_NS	120000000000ULL
#define FLOW_DEFAULT_MAX_FLOWS	(1U << 20)

/* Defaults for geometry @g: as above, min_packets 1. */
void flow_config_default(struct flow_config *c, const struct flowpic_geom *g);

struct flow {
	struct flowpic_key key;
	__u64	first_ns;	/* capture time of the first packet */
	__u64	last_ns;	/* capture time of the latest packet */
	__s64	shift_ns;	/* gap removed by the cap; flow clock = ts - first - shift */
	__u64	win_index;	/* open window */
	__u64	bytes[2];	/* open window, per direction */
	__u32	packets[2];
	__u32	hash;		/* of key, kept for probing */
	__u32	lru_prev;	/* least recently seen order, pool ids */
	__u32	lru_next;
	__u8	fin;		/* bit per direction that sent FIN */
	__u8	live;		/* has seen a packet since it (re)started */
	__u8	initiator;	/* FLOWPIC_DIR_* of its first packet */
	__u8	initiator_fixed; /* set by the caller: first packet ignored */
	struct window_series series;
};

/* Counters a user can read: enum flowpic_counter slots plus the rest. */
struct flow_stats {
	__u64	cnt[__FLOWPIC_CNT_MAX];
	__u64	windows_short;	/* closed below min_packets */
	__u64	gaps_capped;
	__u64	flows_ended[FLOWPIC_END_EVICT + 1];	/* by reason */
};

/*
 * Called with every window that closed with enough packets: @w is its
 * header (key, start_ns on the capture clock, bytes, packets, index, n,
 * channels, reason, cells), @s its packets, @p its FlowPic. Returns 0, or
 * a negative errno that flow_table calls return to their caller.
 */
typedef int (*flow_sink_fn)(void *ctx, const struct flowpic_window *w,
			    const struct window_series *s,
			    const struct picture *p);

struct flow_table;

struct flow_table *flow_table_new(const struct flow_config *c,
				  flow_sink_fn sink, void *ctx);
void flow_table_free(struct flow_table *t);
const struct flow_config *flow_table_config(const struct flow_table *t);
struct flow_stats *flow_table_stats(struct flow_table *t);

/*
 * One TCP/UDP packet of flow @key (canonical) at capture time @ts_ns,
 * @size bytes (IP total length), direction @dir, TCP flags @tcp_flags
 * (packet.h PACKET_TCP_*). Also ends flows idle at @ts_ns. 0 or the
 * sink's error.
 */
int flow_table_packet(struct flow_table *t, const struct flowpic_key *key,
		      __u64 ts_ns, __u32 size, __u8 dir, __u8 tcp_flags);
/* Ends every flow (reason FLOWPIC_END_TIME: input ended). */
int flow_table_flush(struct flow_table *t);
uint32_t flow_table_live(const struct flow_table *t);

/*
 * A single flow outside any table, as CSV sessions are: the same window
 * rules, fed packet by packet, ended by flow_end(). A caller that knows
 * the roles (a CSV session's client sends direction 0) sets
 * initiator and initiator_fixed after flow_init().
 */
void flow_init(struct flow *f, const struct flowpic_key *key);
void flow_free(struct flow *f);
int flow_packet(struct flow_table *t, struct flow *f, __u64 ts_ns, __u32 size,
		__u8 dir, __u8 tcp_flags);
int flow_end(struct flow_table *t, struct flow *f, __u8 reason);

#endif /* _FLOWPIC_USER_FLOW_TABLE_H */
