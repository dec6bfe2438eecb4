// SPDX-License-Identifier: GPL-2.0
/* Flow key canonicalisation: both directions of a flow give one key. */
#include <arpa/inet.h>
#include <string.h>

#include "flowpic.h"
#include "capture/flow_key.h"
#include "unit/test.h"

static void key_v4(struct flowpic_key *k, const char *s, __u16 sp,
		   const char *d, __u16 dp, __u8 proto)
{
	struct in_addr a;

	memset(k, 0, sizeof(*k));
	inet_pton(AF_INET, s, &a);
	flowpic_addr_from_v4(k->lo_addr, a.s_addr);
	inet_pton(AF_INET, d, &a);
	flowpic_addr_from_v4(k->hi_addr, a.s_addr);
	k->lo_port = htons(sp);
	k->hi_port = htons(dp);
	k->proto = proto;
	k->family = FLOWPIC_FAMILY_IPV4;
}

static void key_v6(struct flowpic_key *k, const char *s, __u16 sp,
		   const char *d, __u16 dp)
{
	memset(k, 0, sizeof(*k));
	inet_pton(AF_INET6, s, k->lo_addr);
	inet_pton(AF_INET6, d, k->hi_addr);
	k->lo_port = htons(sp);
	k->hi_port = htons(dp);
	k->proto = 17;
	k->family = FLOWPIC_FAMILY_IPV6;
}

int main(void)
{
	struct flowpic_key a, b;
	__u8 da, db;
	static const __u8 mapped[16] = { [10] = 0xff, [11] = 0xff,
					 192, 0, 2, 1 };

	tap_header();
	tap_plan(11);

	key_v4(&a, "192.0.2.1", 40000, "198.51.100.7", 443, 6);
	key_v4(&b, "198.51.100.7", 443, "192.0.2.1", 40000, 6);
	da = flowpic_key_canon(&a);
	db = flowpic_key_canon(&b);
	tap_ok(!memcmp(&a, &b, sizeof(a)), "v4: both directions, one key");
	tap_ok(da == FLOWPIC_DIR_LO_TO_HI && db == FLOWPIC_DIR_HI_TO_LO,
	       "v4: direction bits %u %u", da, db);
	tap_ok(!memcmp(a.lo_addr, mapped, 16), "v4: stored as ::ffff:192.0.2.1");
	tap_ok(ntohs(a.lo_port) == 40000 && ntohs(a.hi_port) == 443,
	       "v4: ports follow their address");

	/* Same address: ports decide, numerically not bytewise. */
	key_v4(&a, "192.0.2.1", 256, "192.0.2.1", 2, 17);
	da = flowpic_key_canon(&a);
	tap_ok(da == FLOWPIC_DIR_HI_TO_LO && ntohs(a.lo_port) == 2,
	       "same address: lower port first (2 < 256)");

	key_v4(&a, "192.0.2.1", 5, "192.0.2.1", 5, 17);
	b = a;
	da = flowpic_key_canon(&a);
	tap_ok(da == FLOWPIC_DIR_LO_TO_HI && !memcmp(&a, &b, sizeof(a)),
	       "identical endpoints: unchanged, direction 0");

	/* Addresses compare as numbers: 192.0.2.255 < 198.51.100.0. */
	key_v4(&a, "198.51.100.0", 1, "192.0.2.255", 1, 17);
	tap_ok(flowpic_key_canon(&a) == FLOWPIC_DIR_HI_TO_LO,
	       "v4: numeric address order");

	key_v6(&a, "2001:db8::2", 5000, "2001:db8::1", 6000);
	key_v6(&b, "2001:db8::1", 6000, "2001:db8::2", 5000);
	da = flowpic_key_canon(&a);
	db = flowpic_key_canon(&b);
	tap_ok(!memcmp(&a, &b, sizeof(a)) && da == 1 && db == 0,
	       "v6: both directions, one key");
	key_v6(&a, "2001:db8:1::", 1, "2001:db8::ffff", 1);
	tap_ok(flowpic_key_canon(&a) == FLOWPIC_DIR_HI_TO_LO,
	       "v6: high words decide before low words");
	tap_ok(sizeof(struct flowpic_key) == 40 &&
	       sizeof(struct flowpic_window) == 88 &&
	       sizeof(struct flowpic_geom) == 16,
	       "contract sizes: key 40, window 88, geom 16");
	{
		/* the parser's canonical order is include/'s, on random keys
		 * that share prefixes, addresses or ports */
		struct rng r;
		int i, bad = 0;

		rng_seed(&r, 11);
		for (i = 0; i < 200000; i++) {
			struct flowpic_key x, y;
			__u8 *xb = (__u8 *)&x;
			size_t j;
			__u8 dx, dy;

			uint32_t same = rng_below(&r, 17);

			memset(&x, 0, sizeof(x));
			for (j = 0; j < 36; j++)
				xb[j] = (__u8)(rng_below(&r, 4) ? rng_below(&r, 3) :
						rng_below(&r, 256));
			/* the addresses agree on their first @same bytes */
			memcpy(x.hi_addr, x.lo_addr, same);
			if (rng_below(&r, 8) == 0)
				x.hi_port = x.lo_port;
			x.proto = 6;
			x.family = FLOWPIC_FAMILY_IPV6;
			y = x;
			dx = flowpic_key_canon(&x);
			dy = flow_key_canon_fast(&y);
			bad += dx != dy || memcmp(&x, &y, sizeof(x));
		}
		tap_ok(!bad, "flow_key_canon_fast() orders 200,000 random keys as flowpic_key_canon() does (%d differ)",
		       bad);
	}
	return tap_done();
}
