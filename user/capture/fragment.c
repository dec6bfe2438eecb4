// SPDX-License-Identifier: GPL-2.0
/* Attributing later IP fragments to the flow of their first fragment. */
#include <string.h>

#include "capture/fragment.h"

void fragment_table_init(struct fragment_table *t)
{
	memset(t, 0, sizeof(*t));
}

static __u32 fragment_hash(const struct packet *pkt)
{
	__u32 h = 2166136261U, i;

	/* FNV-1a over what identifies a datagram */
	for (i = 0; i < 4; i++) {
		h = (h ^ pkt->src[i]) * 16777619U;
		h = (h ^ pkt->dst[i]) * 16777619U;
	}
	h = (h ^ pkt->frag_id) * 16777619U;
	h = (h ^ pkt->proto) * 16777619U;
	return h % FRAGMENT_SLOTS;
}

static int fragment_match(const struct fragment_slot *s,
			  const struct packet *pkt)
{
	return s->used && s->id == pkt->frag_id && s->proto == pkt->proto &&
	       s->family == pkt->key.family &&
	       !memcmp(s->src, pkt->src, sizeof(s->src)) &&
	       !memcmp(s->dst, pkt->dst, sizeof(s->dst));
}

void fragment_table_note(struct fragment_table *t, const struct packet *pkt,
			 __u64 ts_ns)
{
	struct fragment_slot *s = &t->slot[fragment_hash(pkt)];

	/* A collision forgets the older datagram: its rest is unattributed. */
	memcpy(s->src, pkt->src, sizeof(s->src));
	memcpy(s->dst, pkt->dst, sizeof(s->dst));
	s->id = pkt->frag_id;
	s->proto = pkt->proto;
	s->family = pkt->key.family;
	s->dir = pkt->dir;
	s->key = pkt->key;
	s->expires_ns = ts_ns + FRAGMENT_TIMEOUT_NS;
	s->used = 1;
}

int fragment_table_attribute(struct fragment_table *t, struct packet *pkt,
			     __u64 ts_ns)
{
	struct fragment_slot *s = &t->slot[fragment_hash(pkt)];

	if (!fragment_match(s, pkt) || ts_ns > s->expires_ns)
		return 0;
	pkt->key = s->key;
	pkt->dir = s->dir;
	return 1;
}
