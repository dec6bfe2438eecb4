// SPDX-License-Identifier: GPL-2.0
/*
 * Frame parsing on hand-built frames of every link type: what is a flow,
 * its key, direction and size; what is a fragment and whose; what is
 * malformed, and that nothing past the captured bytes is read (frames
 * are built at the end of their buffer and cut one byte at a time).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "unit/test.h"
#include "capture/flow_key.h"
#include "capture/fragment.h"
#include "capture/packet.h"

struct frame {
	uint8_t b[512];
	uint32_t len;
};

static void put(struct frame *f, const void *p, uint32_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put16(struct frame *f, uint16_t v)
{
	uint8_t t[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, t, 2);
}

/* IPv4 192.0.2.1 -> 198.51.100.7 with @l4 of @n bytes. */
static void ipv4(struct frame *f, uint8_t proto, const uint8_t *l4,
		 uint32_t n, uint16_t frag, uint16_t id, int optwords)
{
	uint8_t h[20] = { 0x45, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0,
			  192, 0, 2, 1, 198, 51, 100, 7 };
	uint16_t tot = (uint16_t)(20 + optwords * 4 + n);

	h[0] = (uint8_t)(0x40 | (5 + optwords));
	h[2] = (uint8_t)(tot >> 8);
	h[3] = (uint8_t)tot;
	h[4] = (uint8_t)(id >> 8);
	h[5] = (uint8_t)id;
	h[6] = (uint8_t)(frag >> 8);
	h[7] = (uint8_t)frag;
	h[9] = proto;
	put(f, h, 20);
	while (optwords--)
		put(f, "\x01\x01\x01\x00", 4);	/* NOPs and end of options */
	put(f, l4, n);
}

/* IPv6 2001:db8::1 -> 2001:db8::2, extension headers @ext first. */
static void ipv6(struct frame *f, uint8_t next, const uint8_t *ext,
		 uint32_t extlen, const uint8_t *l4, uint32_t n)
{
	uint8_t h[40] = { 0x60 };
	uint16_t pl = (uint16_t)(extlen + n);

	h[4] = (uint8_t)(pl >> 8);
	h[5] = (uint8_t)pl;
	h[6] = next;
	h[7] = 64;
	inet_pton(AF_INET6, "2001:db8::1", h + 8);
	inet_pton(AF_INET6, "2001:db8::2", h + 24);
	put(f, h, 40);
	put(f, ext, extlen);
	put(f, l4, n);
}

static uint8_t tcp[40], udp[28];

static void l4_init(void)
{
	memset(tcp, 'x', sizeof(tcp));
	tcp[0] = 443 >> 8;
	tcp[1] = 443 & 0xff;
	tcp[2] = 51234 >> 8;
	tcp[3] = 51234 & 0xff;
	tcp[12] = 0x50;
	tcp[13] = 0x11;	/* FIN ACK */
	memset(udp, 'y', sizeof(udp));
	udp[0] = 53000 >> 8;
	udp[1] = 53000 & 0xff;
	udp[2] = 443 >> 8;
	udp[3] = 443 & 0xff;
}

static void eth(struct frame *f, uint16_t type)
{
	f->len = 0;
	put(f, "\x02\x02\x02\x02\x02\x02\x04\x04\x04\x04\x04\x04", 12);
	put16(f, type);
}

static enum packet_kind parse(int lt, const struct frame *f, uint32_t wire,
			      struct packet *p)
{
	/* at the end of a heap block: ASan-free builds still catch overreads
	 * through the cut-one-byte loop below */
	uint8_t *copy = malloc(f->len ? f->len : 1);
	enum packet_kind k;

	memcpy(copy, f->b, f->len);
	k = packet_parse(lt, copy, f->len, wire ? wire : f->len, p);
	free(copy);
	return k;
}

/* Every proper prefix of @f is a clean verdict, never a flow it isn't. */
static int prefixes_safe(int lt, const struct frame *f)
{
	struct frame g = *f;
	struct packet p;
	enum packet_kind k;

	for (g.len = 0; g.len < f->len; g.len++) {
		k = parse(lt, &g, f->len, &p);
		if (k == PACKET_FLOW && g.len < f->len - 30)
			return 0;	/* ports can't be there yet */
		if (k == PACKET_MALFORMED && !p.why)
			return 0;
	}
	return 1;
}

static void check_flow(const char *what, int lt, const struct frame *f,
		       uint32_t size, const char *key, int dir)
{
	char text[FLOW_KEY_TEXT_MAX];
	struct packet p;
	enum packet_kind k = parse(lt, f, 0, &p);

	flow_key_format(&p.key, text, sizeof(text));
	tap_ok(k == PACKET_FLOW && p.size == size && !strcmp(text, key) &&
	       p.dir == dir,
	       "%s: flow %s, size %u, dir %d (got kind %d, %s, %u, %d)", what,
	       key, size, dir, k, text, p.size, p.dir);
	tap_ok(prefixes_safe(lt, f), "%s: every truncation is handled", what);
}

int main(void)
{
	static const char *v4tcp = "TCP 192.0.2.1:443 <-> 198.51.100.7:51234";
	static const char *v4udp = "UDP 192.0.2.1:53000 <-> 198.51.100.7:443";
	static const char *v6udp = "UDP [2001:db8::1]:53000 <-> [2001:db8::2]:443";
	struct fragment_table *ft = calloc(1, sizeof(*ft));
	struct frame f, g;
	struct packet p, q;
	enum packet_kind k;
	uint8_t ext[80];
	int i;

	tap_header();
	tap_plan(51);
	l4_init();
	fragment_table_init(ft);

	eth(&f, 0x0800);
	ipv4(&f, 6, tcp, sizeof(tcp), 0, 1, 0);
	check_flow("Ethernet IPv4 TCP", PACKET_LINK_ETHERNET, &f, 60, v4tcp, 0);
	parse(PACKET_LINK_ETHERNET, &f, 0, &p);
	tap_ok(p.tcp_flags == PACKET_TCP_FIN && p.proto == 6 &&
	       p.l3_off == 14, "TCP flags FIN, IP header at 14");
	g = f;
	put(&g, "\0\0\0\0\0\0", 6);	/* Ethernet padding */
	parse(PACKET_LINK_ETHERNET, &g, 0, &p);
	tap_ok(p.size == 60, "link padding is not counted in the size");
	g = f;
	g.b[17] += 10;		/* total length 70 in a 60-byte datagram */
	k = parse(PACKET_LINK_ETHERNET, &g, 0, &p);
	tap_ok(k == PACKET_MALFORMED && strstr(p.why, "beyond the frame"),
	       "IPv4 total length beyond the frame: malformed (%s)", p.why);

	/* the reverse direction: same key, direction 1 */
	f.len = 0;
	put(&f, "\x45\0\0\x28\0\x01\0\0\x40\x06\0\0\xc6\x33\x64\x07\xc0\0\x02\x01", 20);
	put(&f, "\xc8\x22\x01\xbb", 4);
	put(&f, tcp + 4, 16);
	check_flow("raw IPv4 TCP, hi -> lo", PACKET_LINK_RAW, &f, 40, v4tcp, 1);
	check_flow("DLT_RAW 12", PACKET_LINK_DLT_RAW, &f, 40, v4tcp, 1);
	check_flow("LINKTYPE_IPV4", PACKET_LINK_IPV4, &f, 40, v4tcp, 1);
	tap_ok(parse(PACKET_LINK_IPV6, &f, 0, &p) == PACKET_MALFORMED,
	       "an IPv4 packet on LINKTYPE_IPV6 is malformed");

	eth(&f, 0x88a8);
	put(&f, "\0\x07\x81\x00\0\x08\x08\x00", 8);	/* 802.1ad, 802.1Q */
	ipv4(&f, 17, udp, sizeof(udp), 0, 1, 0);
	check_flow("802.1ad + 802.1Q", PACKET_LINK_ETHERNET, &f, 48, v4udp, 0);
	eth(&f, 0x8100);
	for (i = 0; i < 4; i++)
		put(&f, "\0\x07\x81\x00", 4);
	put(&f, "\0\x07\x08\x00", 4);
	ipv4(&f, 17, udp, sizeof(udp), 0, 1, 0);
	k = parse(PACKET_LINK_ETHERNET, &f, 0, &p);
	tap_ok(k == PACKET_MALFORMED && strstr(p.why, "VLAN"),
	       "five VLAN tags: more than walked, malformed (%s)", p.why);

	eth(&f, 0x8864);	/* PPPoE session, PPP IPv4 */
	put(&f, "\x11\0\0\x01\0\x30\0\x21", 8);
	ipv4(&f, 17, udp, sizeof(udp), 0, 1, 0);
	check_flow("PPPoE", PACKET_LINK_ETHERNET, &f, 48, v4udp, 0);

	f.len = 0;	/* Linux cooked v1 */
	put(&f, "\0\0\0\x01\0\x06\x02\x02\x02\x02\x02\x02\0\0\x08\x00", 16);
	ipv4(&f, 17, udp, sizeof(udp), 0, 1, 0);
	check_flow("SLL", PACKET_LINK_SLL, &f, 48, v4udp, 0);

	f.len = 0;	/* Linux cooked v2, IPv6 */
	put(&f, "\x86\xdd\0\0\0\0\0\x02\0\x01\0\x06\x02\x02\x02\x02\x02\x02\0\0", 20);
	ipv6(&f, 17, NULL, 0, udp, sizeof(udp));
	check_flow("SLL2 IPv6", PACKET_LINK_SLL2, &f, 68, v6udp, 0);

	f.len = 0;
	put(&f, "\x02\0\0\0", 4);	/* AF_INET, little-endian host */
	ipv4(&f, 6, tcp, sizeof(tcp), 0, 1, 0);
	check_flow("BSD loopback", PACKET_LINK_NULL, &f, 60, v4tcp, 0);
	f.len = 0;
	put(&f, "\0\0\0\x1e", 4);	/* AF_INET6 (30), network order */
	ipv6(&f, 17, NULL, 0, udp, sizeof(udp));
	check_flow("OpenBSD loopback IPv6", PACKET_LINK_LOOP, &f, 68, v6udp, 0);

	f.len = 0;
	put(&f, "\xff\x03\0\x21", 4);
	ipv4(&f, 17, udp, sizeof(udp), 0, 1, 0);
	check_flow("PPP", PACKET_LINK_PPP, &f, 48, v4udp, 0);
	f.len = 0;
	put(&f, "\x0f\0\x08\0", 4);
	ipv4(&f, 17, udp, sizeof(udp), 0, 1, 0);
	check_flow("Cisco HDLC", PACKET_LINK_C_HDLC, &f, 48, v4udp, 0);
	check_flow("Cisco HDLC in a PPP capture", PACKET_LINK_PPP, &f, 48,
		   v4udp, 0);

	eth(&f, 0x0800);
	ipv4(&f, 6, tcp, sizeof(tcp), 0, 1, 2);	/* 8 bytes of options */
	check_flow("IPv4 options", PACKET_LINK_ETHERNET, &f, 68, v4tcp, 0);
	f.b[14] = 0x44;		/* IHL 4 */
	k = parse(PACKET_LINK_ETHERNET, &f, 0, &p);
	tap_ok(k == PACKET_MALFORMED && strstr(p.why, "header length below 20"),
	       "IHL below 5 is malformed (%s)", p.why);

	/* fragments: the first names the flow, the rest join it */
	eth(&f, 0x0800);
	ipv4(&f, 17, udp, sizeof(udp), 0x2000, 77, 0);
	tap_ok(parse(PACKET_LINK_ETHERNET, &f, 0, &p) == PACKET_FLOW &&
	       p.frag == PACKET_FRAG_FIRST && p.frag_id == 77,
	       "first fragment: a flow packet, remembered by id 77");
	fragment_table_note(ft, &p, 1000);
	eth(&f, 0x0800);
	ipv4(&f, 17, (const uint8_t *)"0123456789abcdef", 16, 0x0003, 77, 0);
	tap_ok(parse(PACKET_LINK_ETHERNET, &f, 0, &q) == PACKET_FRAGMENT &&
	       q.frag == PACKET_FRAG_LATER && q.size == 36,
	       "later fragment: no ports, size 36");
	tap_ok(fragment_table_attribute(ft, &q, 2000) &&
	       !memcmp(&q.key, &p.key, sizeof(q.key)) && q.dir == p.dir,
	       "later fragment joins its first fragment's flow");
	tap_ok(!fragment_table_attribute(ft, &q, 1000 + FRAGMENT_TIMEOUT_NS + 1),
	       "after the fragment timeout it is unattributed");
	f.b[19] = 78;		/* another datagram id */
	parse(PACKET_LINK_ETHERNET, &f, 0, &q);
	tap_ok(!fragment_table_attribute(ft, &q, 2000),
	       "a fragment of an unseen datagram is unattributed");
	eth(&f, 0x0800);
	ipv4(&f, 1, (const uint8_t *)"0123456789abcdef", 16, 0x0003, 77, 0);
	tap_ok(parse(PACKET_LINK_ETHERNET, &f, 0, &q) == PACKET_NOT_TCP_UDP,
	       "a later ICMP fragment is not TCP/UDP");

	/* IPv6: hop-by-hop, destination options, fragment, then UDP */
	memset(ext, 0, sizeof(ext));
	ext[0] = 60;		/* HBH -> dst opts */
	ext[8] = 44;		/* dst opts -> fragment */
	ext[16] = 17;		/* fragment -> UDP, offset 0, M=1 */
	ext[19] = 1;
	ext[23] = 9;		/* id 9 */
	eth(&f, 0x86dd);
	ipv6(&f, 0, ext, 24, udp, sizeof(udp));
	check_flow("IPv6 HBH, dst opts, first fragment", PACKET_LINK_ETHERNET,
		   &f, 92, v6udp, 0);
	parse(PACKET_LINK_ETHERNET, &f, 0, &p);
	tap_ok(p.frag == PACKET_FRAG_FIRST && p.frag_id == 9,
	       "IPv6 first fragment, id 9");
	fragment_table_note(ft, &p, 5);
	ext[18] = 0x01;		/* offset 32 bytes */
	ext[19] = 0x00;
	eth(&f, 0x86dd);
	ipv6(&f, 0, ext, 24, (const uint8_t *)"0123456789abcdef", 16);
	tap_ok(parse(PACKET_LINK_ETHERNET, &f, 0, &q) == PACKET_FRAGMENT &&
	       fragment_table_attribute(ft, &q, 6) &&
	       !memcmp(&q.key, &p.key, sizeof(q.key)),
	       "IPv6 later fragment joins its flow");
	memset(ext, 0, sizeof(ext));
	for (i = 0; i < 9; i++)	/* nine destination options headers */
		ext[i * 8] = i < 8 ? 60 : 17;
	eth(&f, 0x86dd);
	ipv6(&f, 60, ext, 72, udp, sizeof(udp));
	tap_ok(parse(PACKET_LINK_ETHERNET, &f, 0, &p) == PACKET_MALFORMED &&
	       strstr(p.why, "more IPv6 extension headers"),
	       "nine extension headers: bounded walk, malformed");
	ext[56] = 17;		/* eight */
	eth(&f, 0x86dd);
	ipv6(&f, 60, ext, 64, udp, sizeof(udp));
	tap_ok(parse(PACKET_LINK_ETHERNET, &f, 0, &p) == PACKET_FLOW,
	       "eight extension headers are walked");
	eth(&f, 0x86dd);
	ipv6(&f, 50, NULL, 0, udp, sizeof(udp));
	tap_ok(parse(PACKET_LINK_ETHERNET, &f, 0, &p) == PACKET_NOT_TCP_UDP,
	       "IPv6 ESP is not TCP/UDP");

	eth(&f, 0x0806);
	put(&f, ext, 28);
	tap_ok(parse(PACKET_LINK_ETHERNET, &f, 0, &p) == PACKET_NOT_IP,
	       "ARP is not IP");
	eth(&f, 0x0800);
	ipv4(&f, 1, (const uint8_t *)"\x08\0\0\0\0\0\0\0", 8, 0, 1, 0);
	tap_ok(parse(PACKET_LINK_ETHERNET, &f, 0, &p) == PACKET_NOT_TCP_UDP,
	       "ICMP is not TCP/UDP");
	eth(&f, 0x0800);
	ipv4(&f, 6, tcp, 12, 0, 1, 0);
	k = parse(PACKET_LINK_ETHERNET, &f, 0, &p);
	tap_ok(k == PACKET_MALFORMED && strstr(p.why, "TCP header truncated"),
	       "a 12-byte TCP header is malformed (%s)", p.why);
	tap_ok(!packet_link_supported(192) && packet_link_supported(276),
	       "PPI is not read, SLL2 is");
	free(ft);
	return tap_done();
}
