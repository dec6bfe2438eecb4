// SPDX-License-Identifier: GPL-2.0
/*
 * Frame parsing: link layer (Ethernet with VLAN tags, Linux cooked SLL and
 * SLL2, raw IP, loopback, PPP, Cisco HDLC), IPv4 with options and
 * fragments, IPv6 with a bounded walk of extension headers, TCP and UDP.
 * Every read is checked against the captured length first.
 */
#include <string.h>

#include "capture/flow_key.h"
#include "capture/packet.h"

#define ETH_P_IPV4	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8
#define ETH_P_QINQ_OLD	0x9100
#define ETH_P_PPPOE	0x8864

#define PPP_IPV4	0x0021
#define PPP_IPV6	0x0057

static inline __u16 rd16(const uint8_t *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static inline __u32 rd32(const uint8_t *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

int packet_link_supported(int linktype)
{
	switch (linktype) {
	case PACKET_LINK_NULL:
	case PACKET_LINK_ETHERNET:
	case PACKET_LINK_PPP:
	case PACKET_LINK_RAW:
	case PACKET_LINK_DLT_RAW:
	case PACKET_LINK_DLT_RAW_BSD:
	case PACKET_LINK_C_HDLC:
	case PACKET_LINK_LOOP:
	case PACKET_LINK_SLL:
	case PACKET_LINK_IPV4:
	case PACKET_LINK_IPV6:
	case PACKET_LINK_SLL2:
		return 1;
	}
	return 0;
}

static enum packet_kind malformed(struct packet *pkt, const char *why)
{
	pkt->why = why;
	return PACKET_MALFORMED;
}

/* Ports and flags from the transport header at @l4 (@len bytes there). */
static enum packet_kind parse_l4(struct packet *pkt, const uint8_t *l4,
				 uint32_t len)
{
	__u8 dir;

	if (pkt->proto != 6 && pkt->proto != 17)
		return PACKET_NOT_TCP_UDP;
	if (pkt->frag == PACKET_FRAG_LATER)
		return PACKET_FRAGMENT;
	if (pkt->proto == 6) {
		if (len < 20)
			return malformed(pkt, "TCP header truncated");
		if ((l4[12] >> 4) < 5)
			return malformed(pkt, "TCP data offset below 5");
		pkt->tcp_flags = l4[13] & (PACKET_TCP_FIN | PACKET_TCP_SYN |
					   PACKET_TCP_RST);
	} else if (len < 8) {
		return malformed(pkt, "UDP header truncated");
	}
	memcpy(pkt->key.lo_addr, pkt->src, sizeof(pkt->src));
	memcpy(pkt->key.hi_addr, pkt->dst, sizeof(pkt->dst));
	memcpy(&pkt->key.lo_port, l4, 2);
	memcpy(&pkt->key.hi_port, l4 + 2, 2);
	pkt->key.proto = pkt->proto;
	dir = flow_key_canon_fast(&pkt->key);
	pkt->dir = dir;
	return PACKET_FLOW;
}

/*
 * @ip has @caplen captured bytes; @wirelen bytes were on the wire from
 * here on (link padding included), so a total length above it is a lie.
 */
static enum packet_kind parse_ipv4(struct packet *pkt, const uint8_t *ip,
				   uint32_t caplen, uint32_t wirelen)
{
	uint32_t ihl, tot, off;
	__be32 a;

	if (caplen < 20)
		return malformed(pkt, "IPv4 header truncated");
	if ((ip[0] >> 4) != 4)
		return malformed(pkt, "IPv4 version field is not 4");
	ihl = (ip[0] & 0x0f) * 4U;
	tot = rd16(ip + 2);
	if (ihl < 20)
		return malformed(pkt, "IPv4 header length below 20");
	if (tot < ihl)
		return malformed(pkt, "IPv4 total length below header length");
	if (tot > wirelen)
		return malformed(pkt, "IPv4 total length beyond the frame");
	if (caplen < ihl)
		return malformed(pkt, "IPv4 options truncated");
	pkt->key.family = FLOWPIC_FAMILY_IPV4;
	pkt->size = tot;
	pkt->proto = ip[9];
	pkt->frag_id = rd16(ip + 4);
	memcpy(&a, ip + 12, 4);
	flowpic_addr_from_v4(pkt->src, a);
	memcpy(&a, ip + 16, 4);
	flowpic_addr_from_v4(pkt->dst, a);
	off = rd16(ip + 6);
	if (off & 0x1fff)
		pkt->frag = PACKET_FRAG_LATER;
	else if (off & 0x2000)
		pkt->frag = PACKET_FRAG_FIRST;
	/* Only the bytes the IP header says belong to the datagram. */
	if (caplen > tot)
		caplen = tot;
	return parse_l4(pkt, ip + ihl, caplen - ihl);
}

static enum packet_kind parse_ipv6(struct packet *pkt, const uint8_t *ip,
				   uint32_t caplen, uint32_t wirelen)
{
	uint32_t off = 40, tot, hops;
	__u8 next;

	if (caplen < 40)
		return malformed(pkt, "IPv6 header truncated");
	if ((ip[0] >> 4) != 6)
		return malformed(pkt, "IPv6 version field is not 6");
	tot = 40U + rd16(ip + 4);
	if (tot > wirelen)
		return malformed(pkt, "IPv6 payload length beyond the frame");
	pkt->key.family = FLOWPIC_FAMILY_IPV6;
	pkt->size = tot;
	memcpy(pkt->src, ip + 8, 16);
	memcpy(pkt->dst, ip + 24, 16);
	if (caplen > tot)
		caplen = tot;
	next = ip[6];
	for (hops = 0;; hops++) {
		uint32_t len;

		switch (next) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
			if (caplen < off + 8)
				return malformed(pkt, "IPv6 extension header truncated");
			len = (ip[off + 1] + 1U) * 8;
			break;
		case 51:	/* authentication header, 4-byte units */
			if (caplen < off + 8)
				return malformed(pkt, "IPv6 AH truncated");
			len = (ip[off + 1] + 2U) * 4;
			break;
		case 44:	/* fragment */
			if (caplen < off + 8)
				return malformed(pkt, "IPv6 fragment header truncated");
			len = 8;
			pkt->frag_id = rd32(ip + off + 4);
			if (rd16(ip + off + 2) & 0xfff8)
				pkt->frag = PACKET_FRAG_LATER;
			else if (ip[off + 3] & 1)
				pkt->frag = PACKET_FRAG_FIRST;
			break;
		default:
			pkt->proto = next;
			return parse_l4(pkt, ip + off, caplen - off);
		}
		if (hops == PACKET_IPV6_EXT_MAX)
			return malformed(pkt, "more IPv6 extension headers than walked");
		if (caplen < off + len)
			return malformed(pkt, "IPv6 extension header truncated");
		next = ip[off];
		off += len;
		if (pkt->frag == PACKET_FRAG_LATER) {
			/* The rest is payload of an earlier fragment. */
			pkt->proto = next;
			return next == 6 || next == 17 ? PACKET_FRAGMENT :
							 PACKET_NOT_TCP_UDP;
		}
	}
}

static enum packet_kind parse_ip(struct packet *pkt, const uint8_t *data,
				 uint32_t caplen, uint32_t wirelen, uint32_t off,
				 int version)
{
	if (caplen <= off)
		return malformed(pkt, "no bytes after the link header");
	if (wirelen < caplen)
		wirelen = caplen;
	if (!version)
		version = data[off] >> 4;
	pkt->l3_off = off;
	if (version == 4)
		return parse_ipv4(pkt, data + off, caplen - off, wirelen - off);
	if (version == 6)
		return parse_ipv6(pkt, data + off, caplen - off, wirelen - off);
	return PACKET_NOT_IP;
}

static int ethertype_version(__u16 type)
{
	return type == ETH_P_IPV4 ? 4 : type == ETH_P_IPV6 ? 6 : -1;
}

static int ppp_version(__u16 proto)
{
	return proto == PPP_IPV4 ? 4 : proto == PPP_IPV6 ? 6 : -1;
}

/* Address family numbers of the BSDs' loopback header. */
static int af_version(__u32 af)
{
	if (af == 2)
		return 4;
	if (af == 10 || af == 24 || af == 28 || af == 30)
		return 6;
	return -1;
}

static enum packet_kind parse_ethernet(struct packet *pkt, const uint8_t *d,
				       uint32_t caplen, uint32_t wirelen)
{
	uint32_t off = 12;
	__u16 type;
	int tags, v;

	for (tags = 0;; tags++) {
		if (caplen < off + 2)
			return malformed(pkt, "Ethernet header truncated");
		type = rd16(d + off);
		off += 2;
		if (type != ETH_P_8021Q && type != ETH_P_8021AD &&
		    type != ETH_P_QINQ_OLD)
			break;
		if (tags == PACKET_VLAN_MAX)
			return malformed(pkt, "more VLAN tags than walked");
		off += 2;	/* tag control information */
	}
	if (type == ETH_P_PPPOE) {
		/* ver/type, code, session id, length, then the PPP protocol */
		if (caplen < off + 8)
			return malformed(pkt, "PPPoE header truncated");
		v = ppp_version(rd16(d + off + 6));
		off += 8;
	} else {
		v = ethertype_version(type);
	}
	if (v < 0)
		return PACKET_NOT_IP;
	return parse_ip(pkt, d, caplen, wirelen, off, v);
}

enum packet_kind packet_parse(int linktype, const uint8_t *d, uint32_t caplen,
			      uint32_t wirelen, struct packet *pkt)
{
	uint32_t off = 0;
	__u32 af;
	int v = 0;

	memset(pkt, 0, sizeof(*pkt));
	switch (linktype) {
	case PACKET_LINK_ETHERNET:
		return parse_ethernet(pkt, d, caplen, wirelen);
	case PACKET_LINK_RAW:
	case PACKET_LINK_DLT_RAW:
	case PACKET_LINK_DLT_RAW_BSD:
		break;
	case PACKET_LINK_IPV4:
		v = 4;
		break;
	case PACKET_LINK_IPV6:
		v = 6;
		break;
	case PACKET_LINK_NULL:
	case PACKET_LINK_LOOP:
		if (caplen < 4)
			return malformed(pkt, "loopback header truncated");
		/* Written in the capturing host's order: accept either. */
		af = rd32(d);
		v = af_version(af);
		if (v < 0)
			v = af_version(__builtin_bswap32(af));
		off = 4;
		break;
	case PACKET_LINK_SLL:
		if (caplen < 16)
			return malformed(pkt, "SLL header truncated");
		v = ethertype_version(rd16(d + 14));
		off = 16;
		break;
	case PACKET_LINK_SLL2:
		if (caplen < 20)
			return malformed(pkt, "SLL2 header truncated");
		v = ethertype_version(rd16(d));
		off = 20;
		break;
	case PACKET_LINK_PPP:
		/* BSD PPP captures may hold Cisco HDLC frames (0x0f, 0x8f). */
		if (caplen >= 4 && (d[0] == 0x0f || d[0] == 0x8f)) {
			v = ethertype_version(rd16(d + 2));
			off = 4;
			break;
		}
		if (caplen >= 2 && d[0] == 0xff && d[1] == 0x03)
			off = 2;	/* HDLC address and control */
		if (caplen < off + 2)
			return malformed(pkt, "PPP header truncated");
		v = ppp_version(rd16(d + off));
		off += 2;
		break;
	case PACKET_LINK_C_HDLC:
		if (caplen < 4)
			return malformed(pkt, "Cisco HDLC header truncated");
		v = ethertype_version(rd16(d + 2));
		off = 4;
		break;
	default:
		return PACKET_NOT_IP;
	}
	if (v < 0)
		return PACKET_NOT_IP;
	return parse_ip(pkt, d, caplen, wirelen, off, v);
}
