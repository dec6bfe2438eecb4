/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IP fragments: only a datagram's first fragment carries the ports, so
 * the flow of a later fragment is remembered from its first one, by
 * (source, destination, protocol, identification). A later fragment whose
 * first one was not seen (or was forgotten) stays unattributed and is
 * counted, never binned into a guessed flow.
 */
#ifndef _FLOWPIC_USER_FRAGMENT_H
#define _FLOWPIC_USER_FRAGMENT_H

#include "flowpic.h"
#include "capture/packet.h"

#define FRAGMENT_SLOTS		1024	/* datagrams remembered at once */
#define FRAGMENT_TIMEOUT_NS	30000000000ULL	/* as Linux's ipfrag_time */

struct fragment_slot {
	__be32	src[4];
	__be32	dst[4];
	__u32	id;
	__u8	proto;
	__u8	family;
	__u8	used;
	__u8	dir;
	__u64	expires_ns;
	struct flowpic_key key;
};

struct fragment_table {
	struct fragment_slot slot[FRAGMENT_SLOTS];
};

void fragment_table_init(struct fragment_table *t);
/* Remembers @pkt, a PACKET_FRAG_FIRST packet of a flow, seen at @ts_ns. */
void fragment_table_note(struct fragment_table *t, const struct packet *pkt,
			 __u64 ts_ns);
/*
 * For a PACKET_FRAGMENT @pkt: 1 and its key and dir filled in when its
 * first fragment was seen within FRAGMENT_TIMEOUT_NS, 0 otherwise.
 */
int fragment_table_attribute(struct fragment_table *t, struct packet *pkt,
			     __u64 ts_ns);

#endif /* _FLOWPIC_USER_FRAGMENT_H */
