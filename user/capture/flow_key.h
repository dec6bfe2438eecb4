/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow keys as text, the one spelling flowpic prints and reads:
 *	TCP 192.0.2.1:443 <-> 198.51.100.7:51234
 *	UDP [2001:db8::1]:443 <-> [2001:db8::2]:50000
 * (canonical order: lo endpoint first).
 */
#ifndef _FLOWPIC_USER_FLOW_KEY_H
#define _FLOWPIC_USER_FLOW_KEY_H

#include <stddef.h>
#include <string.h>

#include "flowpic.h"

#define FLOW_KEY_TEXT_MAX	112

/* Writes the text of @k; "-" for a key without a 5-tuple (family 0). */
void flow_key_format(const struct flowpic_key *k, char *buf, size_t len);
/* An address ("192.0.2.1" or "2001:db8::1", brackets allowed) as stored
 * in a key; sets *family. 0 or -EINVAL. */
int flow_key_parse_addr(const char *s, __be32 addr[4], __u8 *family);
/*
 * Builds the canonical key of @proto ("TCP", "UDP", "6", "17") between
 * (@a, @pa) and (@b, @pb). 0 or -EINVAL (both addresses must be of one
 * family, ports 0..65535).
 */
int flow_key_build(struct flowpic_key *k, const char *proto, const char *a,
		   const char *pa, const char *b, const char *pb);

/*
 * Hash of a key's 40 bytes, seeded (0 for a plain key hash), for the
 * userspace tables keyed by flow: flow table, labels, nDPI verdicts.
 */
__u32 flow_key_hash(const struct flowpic_key *k, __u64 seed);

/*
 * flowpic_key_canon() (include/flowpic_key.h) in two 64-bit comparisons:
 * the same order (addresses as big-endian numbers, then ports), the same
 * key and direction.
 */
static inline __u8 flow_key_canon_fast(struct flowpic_key *k)
{
	__u64 a[2], b[2], t[2];
	__be16 p;
	int swap;

	memcpy(a, k->lo_addr, sizeof(a));
	memcpy(b, k->hi_addr, sizeof(b));
	a[0] = __builtin_bswap64(a[0]);
	a[1] = __builtin_bswap64(a[1]);
	b[0] = __builtin_bswap64(b[0]);
	b[1] = __builtin_bswap64(b[1]);
	if (a[0] != b[0])
		swap = a[0] > b[0];
	else if (a[1] != b[1])
		swap = a[1] > b[1];
	else
		swap = __builtin_bswap16(k->lo_port) >
		       __builtin_bswap16(k->hi_port);
	if (!swap)
		return FLOWPIC_DIR_LO_TO_HI;
	memcpy(t, k->lo_addr, sizeof(t));
	memcpy(k->lo_addr, k->hi_addr, sizeof(t));
	memcpy(k->hi_addr, t, sizeof(t));
	p = k->lo_port;
	k->lo_port = k->hi_port;
	k->hi_port = p;
	return FLOWPIC_DIR_HI_TO_LO;
}

#endif /* _FLOWPIC_USER_FLOW_KEY_H */
