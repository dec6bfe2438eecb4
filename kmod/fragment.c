// SPDX-License-Identifier: GPL-2.0
/*
 * IP fragments: only a datagram's first fragment carries the ports, so a
 * later fragment joins the flow its first one was seen in, by (source,
 * destination, protocol, identification), as the tc program and the
 * offline reader (user/fragment.c) do. One slot per hash, newest wins; a
 * fragment whose first one was not seen or was forgotten stays
 * unattributed and is counted by the hook. The slot hash is seeded per
 * table at random, so a remote sender cannot aim datagrams at one slot.
 */
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "flow_table.h"
#include "fragment.h"

struct flowpic_frag_slot {
	spinlock_t lock;
	bool used;
	u8 proto;
	u8 family;
	u8 dir;
	u32 id;
	__be32 src[4];
	__be32 dst[4];
	u64 expires_ns;
	struct flowpic_key key;
};

struct flowpic_frags {
	u32 seed;
	struct flowpic_frag_slot slot[FLOWPIC_FRAG_SLOTS];
};

struct flowpic_frags *flowpic_frags_alloc(void)
{
	struct flowpic_frags *fr;
	int i;

	fr = kvzalloc(sizeof(*fr), GFP_KERNEL_ACCOUNT);
	if (!fr)
		return NULL;
	fr->seed = get_random_u32();
	for (i = 0; i < FLOWPIC_FRAG_SLOTS; i++)
		spin_lock_init(&fr->slot[i].lock);
	return fr;
}

void flowpic_frags_free(struct flowpic_frags *fr)
{
	kvfree(fr);
}

/*
 * The datagram's addresses as on the wire: a later fragment's key is not
 * canonical (no ports to order by), a first fragment's is, with @p->dir.
 */
static void flowpic_frag_addrs(const struct flowpic_pkt *p, bool canon,
			       const __be32 **src, const __be32 **dst)
{
	bool swap = canon && p->dir == FLOWPIC_DIR_HI_TO_LO;

	*src = swap ? p->key.hi_addr : p->key.lo_addr;
	*dst = swap ? p->key.lo_addr : p->key.hi_addr;
}

static u32 flowpic_frag_hash(const struct flowpic_frags *fr,
			     const __be32 *src, const __be32 *dst,
			     const struct flowpic_pkt *p)
{
	u32 h;

	h = jhash2((const u32 *)src, 4, fr->seed ^ p->frag_id);
	h = jhash2((const u32 *)dst, 4, h ^ (p->key.proto << 8 |
					     p->key.family));
	return h % FLOWPIC_FRAG_SLOTS;
}

u32 flowpic_frags_slot(const struct flowpic_frags *fr,
		       const struct flowpic_pkt *p)
{
	const __be32 *src, *dst;

	flowpic_frag_addrs(p, p->frag != FLOWPIC_FRAG_LATER, &src, &dst);
	return flowpic_frag_hash(fr, src, dst, p);
}

static struct flowpic_frag_slot *flowpic_frag_slot(struct flowpic_frags *fr,
						   const __be32 *src,
						   const __be32 *dst,
						   const struct flowpic_pkt *p)
{
	return &fr->slot[flowpic_frag_hash(fr, src, dst, p)];
}

void flowpic_frags_note(struct flowpic_frags *fr, const struct flowpic_pkt *p,
			u64 now)
{
	struct flowpic_frag_slot *s;
	const __be32 *src, *dst;

	flowpic_frag_addrs(p, true, &src, &dst);
	s = flowpic_frag_slot(fr, src, dst, p);
	spin_lock_bh(&s->lock);
	s->used = true;
	s->proto = p->key.proto;
	s->family = p->key.family;
	s->id = p->frag_id;
	memcpy(s->src, src, sizeof(s->src));
	memcpy(s->dst, dst, sizeof(s->dst));
	s->expires_ns = now + FLOWPIC_FRAG_TIMEOUT_NS;
	s->key = p->key;
	s->dir = p->dir;
	spin_unlock_bh(&s->lock);
}

bool flowpic_frags_attribute(struct flowpic_frags *fr, struct flowpic_pkt *p,
			     u64 now)
{
	struct flowpic_frag_slot *s;
	const __be32 *src, *dst;
	bool found;

	flowpic_frag_addrs(p, false, &src, &dst);
	s = flowpic_frag_slot(fr, src, dst, p);
	spin_lock_bh(&s->lock);
	found = s->used && s->id == p->frag_id && s->proto == p->key.proto &&
		s->family == p->key.family && (s64)(s->expires_ns - now) > 0 &&
		!memcmp(s->src, src, sizeof(s->src)) &&
		!memcmp(s->dst, dst, sizeof(s->dst));
	if (found) {
		p->key = s->key;
		p->dir = s->dir;
	}
	spin_unlock_bh(&s->lock);
	return found;
}
