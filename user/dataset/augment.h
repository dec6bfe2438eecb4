/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Training-time augmentations of a window's packet series, the ones
 * studied for FlowPic (mini-FlowPic, tcbench): time shift, RTT scaling and
 * packet drop. They edit the series, which window_image() then bins as
 * live traffic would be binned, so an augmented picture is one the
 * network could really meet.
 */
#ifndef _FLOWPIC_USER_AUGMENT_H
#define _FLOWPIC_USER_AUGMENT_H

#include <stdint.h>

#include "cnn/rng.h"
#include "flow/window.h"

enum augment_kind {
	AUGMENT_TIME_SHIFT	= 1 << 0,	/* t + b, b ~ U(-shift, shift) */
	AUGMENT_RTT		= 1 << 1,	/* t * a, a ~ U(rtt_lo, rtt_hi) */
	AUGMENT_DROP		= 1 << 2,	/* each packet lost with prob. q */
};

struct augment_config {
	unsigned int kinds;	/* enum augment_kind mask; 0: none */
	float prob;		/* a sample is augmented with this probability */
	double shift_s;		/* time shift bound, seconds (1) */
	double rtt_lo, rtt_hi;	/* RTT scale range (0.5, 1.5) */
	double drop_max;	/* q ~ U(0, drop_max) (0.1) */
};

void augment_default(struct augment_config *c);
/*
 * Parses "none", "all" or a comma list of time-shift, rtt, drop into
 * c->kinds. 0 or -EINVAL.
 */
int augment_parse(struct augment_config *c, const char *s);
/* "time-shift,rtt,drop", "none". */
const char *augment_names(unsigned int kinds, char *buf, size_t len);
/*
 * With probability c->prob, one of the configured augmentations, drawn
 * uniformly, applied to @in into @out; otherwise @out is a copy. Packets
 * pushed before the window's start are dropped (they do not exist in a
 * real window); those pushed past its end are dropped by imaging.
 * Returns the augmentation applied (0: none) or -ENOMEM.
 */
int augment_series(const struct augment_config *c, struct rng *r,
		   const struct window_series *in, struct window_series *out);

#endif /* _FLOWPIC_USER_AUGMENT_H */
