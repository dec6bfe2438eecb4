/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One captured frame, parsed down to what a FlowPic needs: the flow's
 * canonical key, the packet's direction, its IP total length and TCP
 * flags. Never reads past the captured bytes; anything inconsistent is
 * PACKET_MALFORMED with a reason, never a crash.
 */
#ifndef _FLOWPIC_USER_PACKET_H
#define _FLOWPIC_USER_PACKET_H

#include <stdint.h>

#include "flowpic.h"

/* Link-layer types read (pcap LINKTYPE_* values). */
#define PACKET_LINK_NULL	0	/* BSD loopback, host-order AF */
#define PACKET_LINK_ETHERNET	1
#define PACKET_LINK_PPP		9
#define PACKET_LINK_RAW		101
#define PACKET_LINK_DLT_RAW	12	/* libpcap's DLT_RAW for LINKTYPE_RAW */
#define PACKET_LINK_DLT_RAW_BSD	14
#define PACKET_LINK_C_HDLC	104
#define PACKET_LINK_LOOP	108	/* OpenBSD loopback, network-order AF */
#define PACKET_LINK_SLL		113
#define PACKET_LINK_IPV4	228
#define PACKET_LINK_IPV6	229
#define PACKET_LINK_SLL2	276

#define PACKET_VLAN_MAX		4	/* stacked 802.1Q/802.1ad tags */
#define PACKET_IPV6_EXT_MAX	8	/* extension headers walked */

enum packet_kind {
	PACKET_FLOW,		/* TCP or UDP: key, dir, size set */
	PACKET_FRAGMENT,	/* non-first IP fragment: frag_* set, no ports */
	PACKET_NOT_IP,
	PACKET_NOT_TCP_UDP,
	PACKET_MALFORMED,	/* why says what */
};

#define PACKET_FRAG_NONE	0
#define PACKET_FRAG_FIRST	1	/* offset 0, more fragments follow */
#define PACKET_FRAG_LATER	2	/* offset > 0 */

#define PACKET_TCP_FIN		0x01
#define PACKET_TCP_SYN		0x02
#define PACKET_TCP_RST		0x04

struct packet {
	struct flowpic_key key;	/* canonical (flowpic_key_canon) */
	__u32	size;		/* IP total length; IPv6: 40 + payload */
	__u32	frag_id;	/* IPv4 identification or IPv6 fragment id */
	__u32	l3_off;		/* where the IP header starts in the frame */
	__u8	dir;		/* FLOWPIC_DIR_* */
	__u8	tcp_flags;	/* PACKET_TCP_* */
	__u8	frag;		/* PACKET_FRAG_* */
	__u8	proto;		/* L4 protocol, also for non-flows */
	__be32	src[4];		/* as on the wire (v4 mapped), for fragments */
	__be32	dst[4];
	const char *why;	/* PACKET_MALFORMED: a short reason */
};

/* 1 if @linktype is one packet_parse() reads. */
int packet_link_supported(int linktype);

/*
 * Parses a frame of @caplen captured bytes (@wirelen on the wire) of link
 * type @linktype. Returns the kind; @pkt is filled as far as it says.
 */
enum packet_kind packet_parse(int linktype, const uint8_t *data,
			      uint32_t caplen, uint32_t wirelen,
			      struct packet *pkt);

#endif /* _FLOWPIC_USER_PACKET_H */
