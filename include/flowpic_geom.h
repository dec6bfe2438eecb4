/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * FlowPic geometry and the binning arithmetic: which cell of a flow's
 * picture a packet lands in. This is the only definition; bpf/, kmod/ and
 * user/ all call flowpic_bin(), and tests/vectors/binning.h proves they
 * agree.
 *
 * A FlowPic is an N x N histogram per channel: rows are packet size
 * (IP total length, 0 .. max_size), columns are arrival time within the
 * window (0 .. window_ns). Cells are stored row-major, channel-major:
 *
 *	index = (channel * N + row) * N + col
 *
 * Integer arithmetic only. Edges:
 *  - size 0 lands in row 0; size == max_size lands in row N-1 (the last
 *    bin is closed, as numpy.histogram2d does); size > max_size is placed
 *    in row N-1 and flagged FLOWPIC_BIN_CLIPPED;
 *  - time < 0 (a clock that went backwards) lands in column 0 and is
 *    flagged FLOWPIC_BIN_EARLY;
 *  - time >= window_ns, including exactly the window's end, is not binned:
 *    FLOWPIC_BIN_PAST says the packet opens a later window;
 *  - an invalid geometry is never divided by: FLOWPIC_BIN_INVALID.
 */
#ifndef _FLOWPIC_GEOM_H
#define _FLOWPIC_GEOM_H

#include "flowpic_compat.h"

#define FLOWPIC_MAX_PKT_SIZE	1500
#define FLOWPIC_N_MIN		8
#define FLOWPIC_N_MAX		1500
#define FLOWPIC_CHANNELS_MAX	2
#define FLOWPIC_WINDOW_NS_MIN	1000000ULL		/* 1 ms */
#define FLOWPIC_WINDOW_NS_MAX	3600000000000ULL	/* 1 h */
#define FLOWPIC_CELL_MAX	255	/* counts saturate here */

/* Defaults from the literature: mini-FlowPic and the original FlowPic. */
#define FLOWPIC_MINI_N		32
#define FLOWPIC_MINI_WINDOW_NS	15000000000ULL
#define FLOWPIC_FULL_N		1500
#define FLOWPIC_FULL_WINDOW_NS	60000000000ULL

struct flowpic_geom {
	__u64	window_ns;	/* FLOWPIC_WINDOW_NS_MIN .. _MAX */
	__u16	n;		/* cells per axis, FLOWPIC_N_MIN .. _MAX */
	__u16	max_size;	/* top of the size axis, FLOWPIC_MAX_PKT_SIZE */
	__u8	channels;	/* 1: both directions, 2: one per role */
	__u8	__pad[3];
};

FLOWPIC_STATIC_ASSERT(sizeof(struct flowpic_geom) == 16,
		      "flowpic_geom layout is part of the ABI");

/*
 * Two channels split a flow's packets by role, not by address order: the
 * initiator is the side that sent the first packet the data path saw
 * since the flow (re)started (a TCP client's SYN), and its packets go to
 * channel 0, the responder's to channel 1. @dir and @initiator are
 * FLOWPIC_DIR_* (flowpic_key.h).
 */
#define FLOWPIC_ROLE_INITIATOR	0
#define FLOWPIC_ROLE_RESPONDER	1

static __always_inline __u8 flowpic_role(__u8 dir, __u8 initiator)
{
	return (dir ^ initiator) & 1;
}

struct flowpic_cell {
	__u16	row;		/* size bin */
	__u16	col;		/* time bin */
};

enum flowpic_bin_flags {
	FLOWPIC_BIN_CLIPPED	= 1 << 0,
	FLOWPIC_BIN_EARLY	= 1 << 1,
	FLOWPIC_BIN_PAST	= 1 << 2,
	FLOWPIC_BIN_INVALID	= 1 << 3,
};

/* 0 when @g can be binned with; the FlowPic limits above otherwise. */
static __always_inline int flowpic_geom_invalid(const struct flowpic_geom *g)
{
	return g->n < FLOWPIC_N_MIN || g->n > FLOWPIC_N_MAX ||
	       g->max_size != FLOWPIC_MAX_PKT_SIZE ||
	       g->channels < 1 || g->channels > FLOWPIC_CHANNELS_MAX ||
	       g->window_ns < FLOWPIC_WINDOW_NS_MIN ||
	       g->window_ns > FLOWPIC_WINDOW_NS_MAX;
}

/*
 * Maps a packet of @size bytes, @dt_ns after its window's start, to a
 * cell. Returns a mask of enum flowpic_bin_flags; the cell is written
 * unless FLOWPIC_BIN_PAST or FLOWPIC_BIN_INVALID is set.
 *
 * No overflow: size * n <= 1500 * 1500, and dt * n < 3.6e12 * 1500 < 2^63.
 */
static __always_inline __u32 flowpic_bin(const struct flowpic_geom *g,
					 __u32 size, __s64 dt_ns,
					 struct flowpic_cell *cell)
{
	__u32 flags = 0, n = g->n;
	__u64 t;

	if (flowpic_geom_invalid(g))
		return FLOWPIC_BIN_INVALID;
	if (dt_ns >= 0 && (__u64)dt_ns >= g->window_ns)
		return FLOWPIC_BIN_PAST;

	if (dt_ns < 0) {
		flags |= FLOWPIC_BIN_EARLY;
		t = 0;
	} else {
		t = (__u64)dt_ns;
	}
	cell->col = (__u16)flowpic_div64(t * n, g->window_ns);

	if (size >= g->max_size) {
		if (size > g->max_size)
			flags |= FLOWPIC_BIN_CLIPPED;
		cell->row = (__u16)(n - 1);
	} else {
		cell->row = (__u16)(size * n / g->max_size);
	}
	return flags;
}

/* Cells in one FlowPic of @g: channels * n * n. */
static __always_inline __u32 flowpic_geom_cells(const struct flowpic_geom *g)
{
	return (__u32)g->channels * g->n * g->n;
}

/* Index of @cell in channel @ch, as laid out above. */
static __always_inline __u32 flowpic_cell_index(const struct flowpic_geom *g,
						__u32 ch,
						const struct flowpic_cell *cell)
{
	return (ch * g->n + cell->row) * g->n + cell->col;
}

/*
 * A GSO or GRO packet as the segments the wire carries: @size bytes of IP
 * packet whose first @hdr bytes are the IP and transport headers, cut into
 * @gso bytes of payload per segment (0: not a GSO packet). Returns how many
 * full segments, each @hdr + @gso bytes long, come before the last one,
 * whose IP length goes to *@last. A packet that fits one segment is itself:
 * 0 full segments and *@last = @size. The wire carries @size + full * @hdr
 * bytes.
 */
static __always_inline __u32 flowpic_gso_split(__u32 size, __u32 hdr,
					       __u32 gso, __u32 *last)
{
	__u32 full = 0;

	if (gso && size > hdr + gso)
		full = (size - hdr - 1) / gso;
	*last = size - full * gso;
	return full;
}

/*
 * Window number of a packet @since_first_ns after the flow's first packet:
 * windows tile the flow's lifetime from its first packet on, so every side
 * cuts the same windows whichever packets it saw. Negative times (clock
 * went back) belong to window 0.
 */
static __always_inline __u64 flowpic_window_index(const struct flowpic_geom *g,
						  __s64 since_first_ns)
{
	if (since_first_ns <= 0 || !g->window_ns)
		return 0;
	return flowpic_div64((__u64)since_first_ns, g->window_ns);
}

#endif /* _FLOWPIC_GEOM_H */
