/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_HOOK_H
#define _FLOWPIC_KMOD_HOOK_H

#include <linux/types.h>

#include "flow_table.h"

struct sk_buff;

/* What flowpic_parse() made of a packet. */
enum flowpic_parse_result {
	FLOWPIC_PARSE_FLOW,		/* @pkt is filled in */
	FLOWPIC_PARSE_NOT_IP,
	FLOWPIC_PARSE_NOT_TCP_UDP,
	FLOWPIC_PARSE_MALFORMED,
	FLOWPIC_PARSE_FRAGMENT,		/* a later fragment: no ports; */
					/* key has addresses, proto */
};

/* Extension headers walked before an IPv6 packet counts as malformed. */
#define FLOWPIC_IPV6_EXT_MAX	8

/*
 * Parses the IPv4 (@pf NFPROTO_IPV4) or IPv6 packet at @skb's network
 * header as the tc program and the offline reader do: size is the IP
 * total length, the key canonical, FIN/RST and fragments noted.
 */
enum flowpic_parse_result flowpic_parse(const struct sk_buff *skb, u8 pf,
					struct flowpic_pkt *pkt);

/*
 * The whole packet path for @skb on table @t: count, parse, attribute
 * fragments, account, enforce. Returns the netfilter verdict.
 */
unsigned int flowpic_hook_skb(struct flowpic_table *t, struct sk_buff *skb,
			      u8 pf);

/* Hooks the initial namespace's IPv4 and IPv6 traffic into @t. */
int flowpic_hook_init(struct flowpic_table *t);
/* Unhooks; returns once no hook runs on any CPU. */
void flowpic_hook_exit(void);

#endif /* _FLOWPIC_KMOD_HOOK_H */
