/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet parsing for flowpic's tc programs: Ethernet, up to four 802.1Q /
 * 802.1ad tags, PPPoE, IPv4 with options, IPv6 with a bounded walk of
 * extension headers, TCP and UDP, and IP fragments attributed to the flow
 * of their first fragment. It mirrors the offline reader
 * (user/capture/packet.c, user/capture/fragment.c) decision for decision,
 * so the kernel and a capture of the same traffic make the same flows.
 * Shared by bpf/datapath.bpf.c and
 * the benchmark's baseline program, which must parse identically.
 */
#ifndef _FLOWPIC_BPF_PARSE_H
#define _FLOWPIC_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "flowpic.h"
#include "datapath_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOWPIC_BPF_FRAGS);
	__type(key, struct flowpic_frag_key);
	__type(value, struct flowpic_frag_value);
} frags SEC(".maps");

#define ETH_P_8021Q_	0x8100
#define ETH_P_8021AD_	0x88a8
#define ETH_P_QINQ_OLD	0x9100
#define ETH_P_PPPOE_SES	0x8864
#define PPP_IPV4	0x0021
#define PPP_IPV6	0x0057

#define VLAN_MAX	4	/* as the offline reader (user/capture/packet.h) */
#define IPV6_EXT_MAX	8
#define PARSE_MAX	1024	/* headers deeper than this are not read */

#define TCP_FIN		0x01
#define TCP_RST		0x04

enum pkt_kind {
	PKT_FLOW,
	PKT_FRAGMENT,
	PKT_NOT_IP,
	PKT_NOT_TCP_UDP,
	PKT_MALFORMED,
};

enum frag_kind {
	FRAG_NONE,
	FRAG_FIRST,
	FRAG_LATER,
};

struct pkt {
	struct flowpic_key key;
	struct flowpic_frag_key frag;
	__u32	size;		/* IP total length */
	__u32	wirelen;	/* bytes from the IP header on */
	__u32	l3_off;	/* IP header, from the frame's start */
	__u32	l4_off;	/* transport header, from the IP header */
	__u32	l4_hdr;	/* its length: TCP data offset, or 8 for UDP */
	__u8	dir;
	__u8	tcp_flags;
	__u8	frag_kind;
	__u8	big;	/* BIG TCP: IP length 0, taken from the skb */
};

static __always_inline void *pkt_linear(struct __sk_buff *skb, __u32 off,
					__u32 len)
{
	void *data, *data_end;

	/*
	 * The barriers keep clang from sharing &skb->data between calls (the
	 * verifier refuses a moved ctx pointer) and from narrowing the
	 * pointer arithmetic to 32 bits.
	 */
	barrier_var(skb);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	barrier_var(data);
	if (data + off + len > data_end)
		return NULL;
	return data + off;
}

/*
 * @len bytes at @off, or NULL when the packet is shorter. Headers outside
 * the linear part are pulled in first (GSO and paged skbs).
 */
static __always_inline void *pkt_ptr(struct __sk_buff *skb, __u32 off,
				     __u32 len)
{
	void *h;

	if (off > PARSE_MAX)
		return NULL;
	h = pkt_linear(skb, off, len);
	if (h)
		return h;
	if (off + len > skb->len || bpf_skb_pull_data(skb, off + len))
		return NULL;
	return pkt_linear(skb, off, len);
}

static __always_inline int parse_l4(struct __sk_buff *skb, struct pkt *p,
				    __u8 proto)
{
	__u8 *l4;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return PKT_NOT_TCP_UDP;
	p->key.proto = proto;
	p->frag.proto = proto;
	if (p->frag_kind == FRAG_LATER)
		return PKT_FRAGMENT;
	if (proto == IPPROTO_TCP) {
		if (p->l4_off + 20 > p->size)
			return PKT_MALFORMED;	/* TCP header truncated */
		l4 = pkt_ptr(skb, p->l3_off + p->l4_off, 20);
		if (!l4)
			return PKT_MALFORMED;
		if ((l4[12] >> 4) < 5)
			return PKT_MALFORMED;	/* data offset below 5 */
		p->tcp_flags = l4[13] & (TCP_FIN | TCP_RST);
		p->l4_hdr = (l4[12] >> 4) * 4U;
	} else {
		if (p->l4_off + 8 > p->size)
			return PKT_MALFORMED;	/* UDP header truncated */
		l4 = pkt_ptr(skb, p->l3_off + p->l4_off, 8);
		if (!l4)
			return PKT_MALFORMED;
		p->l4_hdr = 8;
	}
	__builtin_memcpy(&p->key.lo_port, l4, 2);
	__builtin_memcpy(&p->key.hi_port, l4 + 2, 2);
	return PKT_FLOW;
}

/*
 * Sizes and offsets below are relative to the IP header (p->size is the
 * IP total length; p->l4_off the transport header's offset from it) and
 * @l3 is where it starts in the frame.
 */
static __always_inline int parse_ipv4(struct __sk_buff *skb, struct pkt *p,
				      __u32 l3)
{
	__u32 ihl, tot, off;
	__u8 *ip;
	__be32 a;

	ip = pkt_ptr(skb, l3, 20);
	if (!ip)
		return PKT_MALFORMED;
	if ((ip[0] >> 4) != 4)
		return PKT_MALFORMED;
	ihl = (ip[0] & 0x0f) * 4U;
	tot = (__u32)ip[2] << 8 | ip[3];
	/*
	 * BIG TCP (IPv4, 6.3+): a GSO packet over 64 KiB carries length 0;
	 * its length is the skb's.
	 */
	if (!tot && skb->gso_size) {
		tot = p->wirelen;
		p->big = 1;
	}
	if (ihl < 20 || tot < ihl || tot > p->wirelen)
		return PKT_MALFORMED;
	p->key.family = FLOWPIC_FAMILY_IPV4;
	p->frag.family = FLOWPIC_FAMILY_IPV4;
	p->size = tot;
	p->frag.id = (__u32)ip[4] << 8 | ip[5];
	__builtin_memcpy(&a, ip + 12, 4);
	flowpic_addr_from_v4(p->key.lo_addr, a);
	__builtin_memcpy(&a, ip + 16, 4);
	flowpic_addr_from_v4(p->key.hi_addr, a);
	off = (__u32)ip[6] << 8 | ip[7];
	if (off & 0x1fff)
		p->frag_kind = FRAG_LATER;
	else if (off & 0x2000)
		p->frag_kind = FRAG_FIRST;
	p->l4_off = ihl;
	return parse_l4(skb, p, ip[9]);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, struct pkt *p,
				      __u32 l3)
{
	__u32 off = 40, len, hops;
	__u8 *ip, *ext, next;

	ip = pkt_ptr(skb, l3, 40);
	if (!ip)
		return PKT_MALFORMED;
	if ((ip[0] >> 4) != 6)
		return PKT_MALFORMED;
	p->size = 40U + ((__u32)ip[4] << 8 | ip[5]);
	/* BIG TCP: a GSO packet over 64 KiB has payload length 0. */
	if (p->size == 40 && skb->gso_size) {
		p->size = p->wirelen;
		p->big = 1;
	}
	if (p->size > p->wirelen)
		return PKT_MALFORMED;
	p->key.family = FLOWPIC_FAMILY_IPV6;
	p->frag.family = FLOWPIC_FAMILY_IPV6;
	__builtin_memcpy(p->key.lo_addr, ip + 8, 16);
	__builtin_memcpy(p->key.hi_addr, ip + 24, 16);
	next = ip[6];

	/* Unrolled: clang would hoist the ctx field addresses of a loop. */
#pragma unroll
	for (hops = 0; hops <= IPV6_EXT_MAX; hops++) {
		switch (next) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
			if (off + 8 > p->size)
				return PKT_MALFORMED;
			ext = pkt_ptr(skb, l3 + off, 8);
			if (!ext)
				return PKT_MALFORMED;
			len = (ext[1] + 1U) * 8;
			break;
		case 51:	/* authentication header, 4-byte units */
			if (off + 8 > p->size)
				return PKT_MALFORMED;
			ext = pkt_ptr(skb, l3 + off, 8);
			if (!ext)
				return PKT_MALFORMED;
			len = (ext[1] + 2U) * 4;
			break;
		case 44:	/* fragment */
			if (off + 8 > p->size)
				return PKT_MALFORMED;
			ext = pkt_ptr(skb, l3 + off, 8);
			if (!ext)
				return PKT_MALFORMED;
			len = 8;
			p->frag.id = (__u32)ext[4] << 24 | (__u32)ext[5] << 16 |
				     (__u32)ext[6] << 8 | ext[7];
			if (((__u32)ext[2] << 8 | ext[3]) & 0xfff8)
				p->frag_kind = FRAG_LATER;
			else if (ext[3] & 1)
				p->frag_kind = FRAG_FIRST;
			break;
		default:
			p->l4_off = off;
			return parse_l4(skb, p, next);
		}
		if (hops == IPV6_EXT_MAX)
			return PKT_MALFORMED;	/* more than walked */
		if (off + len > p->size)
			return PKT_MALFORMED;
		next = ext[0];
		off += len;
		if (off > PARSE_MAX)
			return PKT_MALFORMED;
		if (p->frag_kind == FRAG_LATER) {
			/* The rest is payload of an earlier fragment. */
			p->key.proto = next;
			p->frag.proto = next;
			return next == IPPROTO_TCP || next == IPPROTO_UDP ?
			       PKT_FRAGMENT : PKT_NOT_TCP_UDP;
		}
	}
	return PKT_MALFORMED;
}

static __always_inline int parse_eth(struct __sk_buff *skb, struct pkt *p)
{
	__u32 off = 12, tags;
	__u16 type = 0;
	__u8 *h;

#pragma unroll
	for (tags = 0; tags <= VLAN_MAX; tags++) {
		h = pkt_ptr(skb, off, 2);
		if (!h)
			return PKT_MALFORMED;
		type = (__u16)h[0] << 8 | h[1];
		off += 2;
		if (type != ETH_P_8021Q_ && type != ETH_P_8021AD_ &&
		    type != ETH_P_QINQ_OLD)
			break;
		if (tags == VLAN_MAX)
			return PKT_MALFORMED;	/* more tags than walked */
		off += 2;
	}
	if (type == ETH_P_PPPOE_SES) {
		h = pkt_ptr(skb, off, 8);
		if (!h)
			return PKT_MALFORMED;
		type = (__u16)h[6] << 8 | h[7];
		off += 8;
		type = type == PPP_IPV4 ? ETH_P_IP :
		       type == PPP_IPV6 ? ETH_P_IPV6 : 0;
	}
	if (type != ETH_P_IP && type != ETH_P_IPV6)
		return PKT_NOT_IP;
	if (skb->len <= off)
		return PKT_MALFORMED;	/* no bytes after the link header */
	p->wirelen = skb->len - off;
	p->l3_off = off;
	if (type == ETH_P_IP)
		return parse_ipv4(skb, p, off);
	return parse_ipv6(skb, p, off);
}

/* The datagram a fragment belongs to, addresses as on the wire. */
static __always_inline void frag_key_fill(struct pkt *p)
{
	__builtin_memcpy(p->frag.src, p->key.lo_addr, sizeof(p->frag.src));
	__builtin_memcpy(p->frag.dst, p->key.hi_addr, sizeof(p->frag.dst));
}

/*
 * A first fragment: remember its flow, so that the later fragments (no
 * ports) join it, as the offline reader does (user/capture/fragment.h).
 */
static __always_inline void frag_note(struct pkt *p, __u64 now)
{
	struct flowpic_frag_value fv = {};
	struct flowpic_frag_key fk;

	frag_key_fill(p);
	p->dir = flowpic_key_canon(&p->key);
	fv.key = p->key;
	fv.dir = p->dir;
	fv.expires_ns = now + FLOWPIC_FRAG_TIMEOUT_NS;
	fk = p->frag;	/* map keys from the stack, for 6.1 */
	bpf_map_update_elem(&frags, &fk, &fv, BPF_ANY);
}

static __always_inline int frag_attribute(struct pkt *p, __u64 now)
{
	struct flowpic_frag_value *fv;
	struct flowpic_frag_key fk;

	frag_key_fill(p);
	fk = p->frag;
	fv = bpf_map_lookup_elem(&frags, &fk);
	if (!fv || now > fv->expires_ns)
		return 0;
	p->key = fv->key;
	p->dir = fv->dir;
	return 1;
}

/*
 * Parses @skb into @p. PKT_FLOW when p->key (canonical) and p->dir name a
 * flow, later fragments included once attributed; the other kinds say
 * why the packet is not one.
 */
static __always_inline int parse_packet(struct __sk_buff *skb, struct pkt *p,
					__u64 now)
{
	int kind = parse_eth(skb, p);

	if (kind == PKT_FRAGMENT)
		return frag_attribute(p, now) ? PKT_FLOW : PKT_FRAGMENT;
	if (kind != PKT_FLOW)
		return kind;
	if (p->frag_kind == FRAG_FIRST)
		frag_note(p, now);
	else
		p->dir = flowpic_key_canon(&p->key);
	return PKT_FLOW;
}

#endif /* _FLOWPIC_BPF_PARSE_H */
