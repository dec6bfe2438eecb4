/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * The flow key: one bidirectional TCP or UDP conversation, the same bytes
 * in BPF maps, in the module's flow table, in netlink messages, in dataset
 * files and in the userspace flow table.
 *
 * Both endpoints are stored in canonical order: the endpoint whose
 * (address, port) sorts lower, comparing addresses as big-endian numbers
 * and then ports, sits in lo_*. A packet's direction is 0 when it travels
 * lo -> hi and 1 when it travels hi -> lo. IPv4 addresses are stored as
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) so both families share one
 * comparison, and family says which one the flow really is.
 */
#ifndef _FLOWPIC_KEY_H
#define _FLOWPIC_KEY_H

#include "flowpic_compat.h"

#define FLOWPIC_FAMILY_IPV4	4
#define FLOWPIC_FAMILY_IPV6	6

#define FLOWPIC_DIR_LO_TO_HI	0
#define FLOWPIC_DIR_HI_TO_LO	1

struct flowpic_key {
	__be32	lo_addr[4];
	__be32	hi_addr[4];
	__be16	lo_port;
	__be16	hi_port;
	__u8	proto;		/* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8	family;		/* FLOWPIC_FAMILY_IPV4 or _IPV6 */
	__u16	__pad;		/* always zero: keys are hashed as bytes */
};

FLOWPIC_STATIC_ASSERT(sizeof(struct flowpic_key) == 40,
		      "flowpic_key layout is part of the ABI");

/* Writes an IPv4 address (network order) as ::ffff:a.b.c.d. */
static __always_inline void flowpic_addr_from_v4(__be32 *dst, __be32 v4)
{
	dst[0] = 0;
	dst[1] = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	dst[2] = (__force __be32)0xffff0000U;
#else
	dst[2] = (__force __be32)0x0000ffffU;
#endif
	dst[3] = v4;
}

/*
 * Puts a key whose lo_* holds the packet's source and hi_* its destination
 * into canonical order. Returns the packet's direction (FLOWPIC_DIR_*).
 * A flow whose two endpoints are identical keeps direction 0.
 */
static __always_inline __u8 flowpic_key_canon(struct flowpic_key *k)
{
	__u32 a, b;
	__be32 t;
	__be16 p;
	int i, swap = 0, decided = 0;

#if defined(__bpf__)
#pragma unroll
#endif
	for (i = 0; i < 4; i++) {
		a = flowpic_be32_to_host(k->lo_addr[i]);
		b = flowpic_be32_to_host(k->hi_addr[i]);
		if (!decided && a != b) {
			swap = a > b;
			decided = 1;
		}
	}
	if (!decided)
		swap = flowpic_be16_to_host(k->lo_port) >
		       flowpic_be16_to_host(k->hi_port);
	if (!swap)
		return FLOWPIC_DIR_LO_TO_HI;

#if defined(__bpf__)
#pragma unroll
#endif
	for (i = 0; i < 4; i++) {
		t = k->lo_addr[i];
		k->lo_addr[i] = k->hi_addr[i];
		k->hi_addr[i] = t;
	}
	p = k->lo_port;
	k->lo_port = k->hi_port;
	k->hi_port = p;
	return FLOWPIC_DIR_HI_TO_LO;
}

#endif /* _FLOWPIC_KEY_H */
