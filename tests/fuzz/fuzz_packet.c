// SPDX-License-Identifier: GPL-2.0
/*
 * Frames of every link type flowpic reads, through packet_parse() and,
 * when they name a flow or a fragment, the fragment table: the first
 * byte picks the link type, the rest is the frame.
 */
#include <stddef.h>
#include <stdint.h>

#include "capture/fragment.h"
#include "capture/packet.h"

static const int links[] = {
	PACKET_LINK_NULL, PACKET_LINK_ETHERNET, PACKET_LINK_PPP,
	PACKET_LINK_RAW, PACKET_LINK_DLT_RAW, PACKET_LINK_C_HDLC,
	PACKET_LINK_LOOP, PACKET_LINK_SLL, PACKET_LINK_IPV4,
	PACKET_LINK_IPV6, PACKET_LINK_SLL2,
};

static struct fragment_table frags;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct packet pkt;
	enum packet_kind k;
	uint32_t wire;

	if (size < 2)
		return 0;
	wire = (uint32_t)(size - 1) + (data[0] >> 4);	/* padding on the wire */
	k = packet_parse(links[(data[0] & 0x0f) % (sizeof(links) / sizeof(links[0]))],
			 data + 1, (uint32_t)(size - 1), wire, &pkt);
	if (k == PACKET_FLOW && pkt.frag == PACKET_FRAG_FIRST)
		fragment_table_note(&frags, &pkt, 1);
	else if (k == PACKET_FRAGMENT)
		fragment_table_attribute(&frags, &pkt, 2);
	return 0;
}
