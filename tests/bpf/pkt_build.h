/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Crafted frames for the BPF tests: Ethernet, VLAN tags, IPv4 (options,
 * fragments) or IPv6 (extension headers, fragments), TCP or UDP or any
 * other protocol, with a payload of a given length. Tests then break what
 * they need to break in the bytes.
 */
#ifndef _FLOWPIC_TEST_PKT_BUILD_H
#define _FLOWPIC_TEST_PKT_BUILD_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "flowpic.h"

#define PB_MAX		2048

struct pb_spec {
	int		family;		/* 4 or 6 */
	const char	*src, *dst;	/* documentation addresses */
	uint16_t	sport, dport;
	uint8_t		proto;		/* 6, 17, or anything */
	uint8_t		tcp_flags;
	uint16_t	payload;	/* L4 payload bytes */
	int		vlans;		/* tags before the ethertype */
	uint16_t	tpid;		/* 0: 0x8100 */
	int		ip_opt_words;	/* IPv4 options, 4-byte words */
	int		v6_ext;		/* IPv6 destination-options headers */
	int		frag;		/* 0, 1: first fragment, 2: later */
	uint32_t	frag_id;
};

/* Byte offsets of the headers pb_build() wrote, for tests to break. */
struct pb_layout {
	size_t	l3, l4, len;
};

static inline void pb_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline size_t pb_build(uint8_t *buf, const struct pb_spec *s,
			      struct pb_layout *lay)
{
	size_t off = 12, l3, l4, l4len, iplen, i;
	uint8_t *ip;
	int v;

	memset(buf, 0, PB_MAX);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	for (v = 0; v < s->vlans; v++) {
		pb_put16(buf + off, s->tpid ? s->tpid : 0x8100);
		pb_put16(buf + off + 2, 100 + v);
		off += 4;
	}
	pb_put16(buf + off, s->family == 6 ? 0x86dd : 0x0800);
	l3 = off + 2;
	ip = buf + l3;

	l4len = s->proto == 6 ? 20 : s->proto == 17 ? 8 : 8;
	if (s->frag == 2)
		l4len = 0;	/* later fragments: payload only */
	if (s->family == 4) {
		size_t ihl = 20 + 4 * s->ip_opt_words;

		iplen = ihl + l4len + s->payload;
		ip[0] = 0x40 | (ihl / 4);
		pb_put16(ip + 2, iplen);
		pb_put16(ip + 4, s->frag_id & 0xffff);
		if (s->frag == 1)
			pb_put16(ip + 6, 0x2000);
		else if (s->frag == 2)
			pb_put16(ip + 6, 185);	/* offset 1480 bytes */
		ip[8] = 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		for (i = 20; i < ihl; i++)
			ip[i] = 1;	/* NOP options */
		l4 = l3 + ihl;
	} else {
		size_t ext = 8 * s->v6_ext + (s->frag ? 8 : 0);
		uint8_t *h = ip + 40;
		uint8_t *nextp = ip + 6;

		iplen = 40 + ext + l4len + s->payload;
		ip[0] = 0x60;
		pb_put16(ip + 4, iplen - 40);
		ip[7] = 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
		for (i = 0; i < (size_t)s->v6_ext; i++) {
			*nextp = 60;	/* destination options */
			nextp = h;
			h[1] = 0;	/* 8 bytes */
			h[2] = 1;	/* PadN */
			h[3] = 4;
			h += 8;
		}
		if (s->frag) {
			*nextp = 44;
			nextp = h;
			if (s->frag == 1)
				pb_put16(h + 2, 0x0001);	/* offset 0, M */
			else
				pb_put16(h + 2, 1480 | 0x0001);
			h[4] = s->frag_id >> 24;
			h[5] = s->frag_id >> 16;
			h[6] = s->frag_id >> 8;
			h[7] = s->frag_id;
			h += 8;
		}
		*nextp = s->proto;
		l4 = l3 + 40 + ext;
	}
	if (s->frag != 2 && (s->proto == 6 || s->proto == 17)) {
		uint8_t *t = buf + l4;

		pb_put16(t, s->sport);
		pb_put16(t + 2, s->dport);
		if (s->proto == 6) {
			t[12] = 5 << 4;
			t[13] = s->tcp_flags;
		} else {
			pb_put16(t + 4, l4len + s->payload);
		}
	}
	if (lay) {
		lay->l3 = l3;
		lay->l4 = l4;
		lay->len = l3 + iplen;
	}
	/* Ethernet's minimum frame: padding after the IP datagram. */
	return l3 + iplen < 60 ? 60 : l3 + iplen;
}

/* The canonical key and direction of a packet of @s. */
static inline __u8 pb_key(const struct pb_spec *s, struct flowpic_key *k)
{
	__be32 a;

	memset(k, 0, sizeof(*k));
	if (s->family == 4) {
		inet_pton(AF_INET, s->src, &a);
		flowpic_addr_from_v4(k->lo_addr, a);
		inet_pton(AF_INET, s->dst, &a);
		flowpic_addr_from_v4(k->hi_addr, a);
		k->family = FLOWPIC_FAMILY_IPV4;
	} else {
		inet_pton(AF_INET6, s->src, k->lo_addr);
		inet_pton(AF_INET6, s->dst, k->hi_addr);
		k->family = FLOWPIC_FAMILY_IPV6;
	}
	k->lo_port = htons(s->sport);
	k->hi_port = htons(s->dport);
	k->proto = s->proto;
	return flowpic_key_canon(k);
}

/* The IP total length of a packet of @s: what the FlowPic bins. */
static inline __u32 pb_ip_len(const struct pb_spec *s)
{
	uint8_t buf[PB_MAX];
	struct pb_layout lay;

	pb_build(buf, s, &lay);
	return (__u32)(lay.len - lay.l3);
}

#endif /* _FLOWPIC_TEST_PKT_BUILD_H */
