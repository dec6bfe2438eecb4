/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * Labels and the actions a label's policy applies, identical for the tc
 * program (bpf/) and the netfilter module (kmod/).
 *
 * A label is a class index into the loaded model's class list, or
 * FLOWPIC_CLASS_UNKNOWN when the model was not confident enough. The
 * policy is a table indexed by class (FLOWPIC_POLICY_SLOTS entries, the
 * last one for unknown), each entry an action.
 */
#ifndef _FLOWPIC_LABEL_H
#define _FLOWPIC_LABEL_H

#include "flowpic_compat.h"

#define FLOWPIC_CLASSES_MAX	64
#define FLOWPIC_CLASS_UNKNOWN	FLOWPIC_CLASSES_MAX
#define FLOWPIC_POLICY_SLOTS	(FLOWPIC_CLASSES_MAX + 1)
#define FLOWPIC_CONFIDENCE_ONE	10000	/* confidence is in 1/10000 */

struct flowpic_label {
	__u16	class_id;	/* < FLOWPIC_CLASSES_MAX, or _UNKNOWN */
	__u16	confidence;	/* 0 .. FLOWPIC_CONFIDENCE_ONE */
	__u32	window;		/* window index the label was computed on */
	__u64	set_ns;		/* CLOCK_MONOTONIC when it was written */
};

FLOWPIC_STATIC_ASSERT(sizeof(struct flowpic_label) == 16,
		      "flowpic_label layout is part of the ABI");

enum flowpic_action_type {
	FLOWPIC_ACT_PASS	= 0,	/* let it through untouched */
	FLOWPIC_ACT_DROP	= 1,	/* TC_ACT_SHOT / NF_DROP */
	FLOWPIC_ACT_MARK	= 2,	/* skb->mark = value, under mask */
	FLOWPIC_ACT_PRIORITY	= 3,	/* skb->priority = value (HTB classid) */
	__FLOWPIC_ACT_MAX,
};

/*
 * An action. A mark sets the bits of skb->mark that mask selects and
 * keeps the others: mark = (mark & ~mask) | (value & mask), so that
 * flowpic shares the mark with other users of other bits. A mask of 0
 * means all 32 bits, so an action written before masks existed (its
 * first 8 bytes, FLOWPIC_ACTION_V1_SIZE, as the netlink family still
 * takes it) sets the whole mark, as it always did.
 */
struct flowpic_action {
	__u32	type;		/* enum flowpic_action_type */
	__u32	value;		/* mark, or classid major:minor as 0xMMMMmmmm */
	__u32	mask;		/* mark only: the bits value sets; 0: all */
};

FLOWPIC_STATIC_ASSERT(sizeof(struct flowpic_action) == 12,
		      "flowpic_action layout is part of the ABI");

#define FLOWPIC_ACTION_V1_SIZE	8	/* type and value, no mask */

static __always_inline int flowpic_action_invalid(const struct flowpic_action *a)
{
	return a->type >= __FLOWPIC_ACT_MAX ||
	       ((a->type == FLOWPIC_ACT_PASS || a->type == FLOWPIC_ACT_DROP) &&
		a->value != 0) ||
	       (a->type != FLOWPIC_ACT_MARK && a->mask != 0);
}

/* @mark once mark action @a applied to it. */
static __always_inline __u32 flowpic_mark_apply(__u32 mark,
						const struct flowpic_action *a)
{
	__u32 m = a->mask ? a->mask : 0xffffffffU;

	return (mark & ~m) | (a->value & m);
}

/*
 * A kernel side's verdicts (docs/verdicts.md): written (added), written
 * over (replaced) and removed by userspace, present now, and evicted by
 * the verdict table's least-recently-used bound. Nothing else ends one.
 * Labels refused because the module's memory budget had no room for a
 * new verdict (refused; the tc program's are always 0) ended none.
 */
struct flowpic_verdict_stats {
	__u64	added;
	__u64	replaced;
	__u64	removed;
	__u64	evicted;
	__u64	present;
	__u64	refused;
};

/* The first version's size, without refused: a reader takes it as 0. */
#define FLOWPIC_VERDICT_STATS_V1_SIZE	40

FLOWPIC_STATIC_ASSERT(sizeof(struct flowpic_verdict_stats) == 48,
		      "flowpic_verdict_stats layout is part of the ABI");

#endif /* _FLOWPIC_LABEL_H */
