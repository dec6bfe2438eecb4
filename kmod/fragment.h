/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_FRAGMENT_H
#define _FLOWPIC_KMOD_FRAGMENT_H

#include <linux/types.h>

struct flowpic_pkt;
struct flowpic_frags;

/* Datagrams remembered at once, and for how long (Linux's ipfrag_time). */
#define FLOWPIC_FRAG_SLOTS	1024
#define FLOWPIC_FRAG_TIMEOUT_NS	(30ULL * NSEC_PER_SEC)

struct flowpic_frags *flowpic_frags_alloc(void);
void flowpic_frags_free(struct flowpic_frags *fr);

/* Remembers the flow of @p, a first fragment, seen at @now. */
void flowpic_frags_note(struct flowpic_frags *fr, const struct flowpic_pkt *p,
			u64 now);
/*
 * For a later fragment @p: true, with its key and direction filled in,
 * when its datagram's first fragment was seen less than
 * FLOWPIC_FRAG_TIMEOUT_NS ago.
 */
bool flowpic_frags_attribute(struct flowpic_frags *fr, struct flowpic_pkt *p,
			     u64 now);

/* The slot @p's datagram uses in @fr (tests: the seed moves it). */
u32 flowpic_frags_slot(const struct flowpic_frags *fr,
		       const struct flowpic_pkt *p);

#endif /* _FLOWPIC_KMOD_FRAGMENT_H */
