/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_KMOD_HOOK_H
#define _FLOWPIC_KMOD_HOOK_H

#include <linux/netfilter.h>
#include <linux/types.h>

#include "config.h"
#include "flow_table.h"
#include "policy.h"
#include "stats.h"
#include "verdict.h"

struct net;
struct sk_buff;

/*
 * What the hooks of one network namespace work on: the flows' histograms
 * and, apart, verdicts, the class policy, the config and the counters.
 */
struct flowpic_state {
	struct flowpic_table flows;
	struct flowpic_verdicts verdicts;
	struct flowpic_policy policy;
	struct flowpic_config_slot config;
	struct flowpic_stats __percpu *stats;
};

/*
 * Sets up @s with the default config, an empty policy and at most
 * @max_verdicts verdicts; @notify and @listening as for the flow table
 * (flowpic_table_init()). Memory is charged to the caller's cgroup.
 */
int flowpic_state_init(struct flowpic_state *s, u32 max_verdicts,
		       void (*notify)(struct flowpic_table *t),
		       bool (*listening)(struct flowpic_table *t));
/*
 * Frees everything @s holds. No packet, request or work may be in
 * flight; flows and verdicts it had unlinked may still wait for RCU
 * (they need only the slab caches, which outlive every state).
 */
void flowpic_state_destroy(struct flowpic_state *s);

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
 * total length (a BIG TCP packet's, whose IP header says 0, from the
 * skb), the key canonical, FIN/RST, fragments and GSO segments noted.
 */
enum flowpic_parse_result flowpic_parse(const struct sk_buff *skb, u8 pf,
					struct flowpic_pkt *pkt);

/*
 * The whole packet path for @skb on @s: count, parse, attribute
 * fragments, read the verdict, account, enforce. Returns the netfilter
 * verdict.
 */
unsigned int flowpic_hook_skb(struct flowpic_state *s, struct sk_buff *skb,
			      u8 pf);

/*
 * Packet @pkt seen at @now, parsed, on @s: @act gets its verdict's
 * action, read whatever becomes of its histogram, which is accounted
 * next. Caller holds rcu_read_lock().
 */
void flowpic_state_packet(struct flowpic_state *s,
			  const struct flowpic_config *cfg,
			  struct flowpic_pkt *pkt, u64 now,
			  struct flowpic_action *act);

/*
 * Sets the verdict of @key's flow (@action NULL: its class's policy
 * decides). -ENOENT unless the flow is in the flow table or labelled
 * already: a verdict outlives its histogram, and can be replaced then.
 */
int flowpic_state_set_label(struct flowpic_state *s,
			    const struct flowpic_key *key,
			    const struct flowpic_label *label,
			    const struct flowpic_action *action);
/* Removes @key's verdict; -ENOENT when it has none. */
int flowpic_state_clear_label(struct flowpic_state *s,
			      const struct flowpic_key *key);

/* The netfilter hooks of one namespace. */
#define FLOWPIC_HOOK_OPS	6

/*
 * Hooks @net's IPv4 and IPv6 traffic into @s through @ops (filled in
 * here). On failure hooks may have run: wait for RCU before freeing @s.
 */
int flowpic_hook_init(struct net *net, struct nf_hook_ops *ops,
		      struct flowpic_state *s);
/* Unhooks @net; hooks still running on other CPUs finish under RCU. */
void flowpic_hook_exit(struct net *net, struct nf_hook_ops *ops);

#endif /* _FLOWPIC_KMOD_HOOK_H */
