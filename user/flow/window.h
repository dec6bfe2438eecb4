/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A window of one flow: its packets as a series (time since the window's
 * start, size, direction) and the FlowPic they make.
 *
 * The pipeline keeps each open window's series and images it when the
 * window closes; training edits series (time shift, RTT scaling, packet
 * drop) and images them with the same window_image(), so an augmented
 * sample is binned exactly as live traffic is (flowpic_bin() of
 * include/flowpic_geom.h).
 */
#ifndef _FLOWPIC_USER_WINDOW_H
#define _FLOWPIC_USER_WINDOW_H

#include <stdint.h>

#include "flowpic.h"
#include "flow/picture.h"

struct window_pkt {
	__s64	t_ns;	/* since the window's start; < 0 if the clock went back */
	__u32	size;	/* IP total length, bytes (not clipped here) */
	__u8	dir;	/* FLOWPIC_ROLE_*: from the initiator or the responder */
	__u8	__pad[3];
};

struct window_series {
	struct window_pkt *pkts;
	uint32_t n;
	uint32_t cap;
};

void window_series_init(struct window_series *s);
void window_series_free(struct window_series *s);
static inline void window_series_clear(struct window_series *s)
{
	s->n = 0;
}
/* Appends one packet. 0 or -ENOMEM (the series is unchanged then). */
int window_series_push(struct window_series *s, __s64 t_ns, __u32 size,
		       __u8 dir);
/* Copies @src into @dst (whose old contents go). 0 or -ENOMEM. */
int window_series_copy(struct window_series *dst,
		       const struct window_series *src);

/* What window_image() did with the packets it was given. */
struct window_image_stats {
	uint32_t binned;	/* landed in a cell */
	uint32_t clipped;	/* size > max_size: top row */
	uint32_t early;		/* t_ns < 0: column 0 */
	uint32_t past;		/* t_ns >= window: not binned */
};

/*
 * Images @s with geometry @g into @p: every packet through flowpic_bin(),
 * channel 0 when g->channels == 1, channel = role (p->dir) when 2. Packets at
 * or past the window's end are left out (counted in @st->past). @p gets
 * geometry @g; @st may be NULL. 0, -EINVAL for an invalid geometry, or
 * -ENOMEM.
 */
int window_image(const struct window_series *s, const struct flowpic_geom *g,
		 struct picture *p, struct window_image_stats *st);
/* The @st window_image() would give, for a valid @g, without the picture. */
void window_count(const struct window_series *s, const struct flowpic_geom *g,
		  struct window_image_stats *st);

#endif /* _FLOWPIC_USER_WINDOW_H */
