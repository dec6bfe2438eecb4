// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter side: every IPv4 and IPv6 packet the host receives
 * (PRE_ROUTING, which forwarded packets also cross) or sends (LOCAL_OUT)
 * is parsed as the tc program parses it and accounted to its flow, once:
 * a packet the host sends itself comes back through the loopback device
 * and is not counted again. The flow's verdict, read from the verdict
 * table on every packet whether or not the flow has a histogram, decides
 * what happens to it. Each network namespace is hooked on its own, into
 * its own state (netns.c): a packet is seen by the namespaces it crosses,
 * each counting and enforcing it by its own tables.
 */
#include <linux/delay.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/timekeeping.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "hook.h"
#include "policy.h"
#include "stats.h"

/* Ports and, for TCP, FIN/RST at @off, which is within the @size bytes. */
static enum flowpic_parse_result flowpic_parse_l4(const struct sk_buff *skb,
						  unsigned int nh, u32 off,
						  u8 proto,
						  struct flowpic_pkt *pkt)
{
	struct tcphdr _th;
	struct udphdr _uh;
	const struct tcphdr *th;
	const struct udphdr *uh;

	pkt->key.proto = proto;
	if (proto == IPPROTO_TCP) {
		if (off + sizeof(_th) > pkt->size)
			return FLOWPIC_PARSE_MALFORMED;
		th = skb_header_pointer(skb, nh + off, sizeof(_th), &_th);
		if (!th || th->doff < 5)
			return FLOWPIC_PARSE_MALFORMED;
		pkt->hdr = off + th->doff * 4U;
		pkt->key.lo_port = th->source;
		pkt->key.hi_port = th->dest;
		pkt->fin = th->fin;
		pkt->rst = th->rst;
	} else {
		if (off + sizeof(_uh) > pkt->size)
			return FLOWPIC_PARSE_MALFORMED;
		uh = skb_header_pointer(skb, nh + off, sizeof(_uh), &_uh);
		if (!uh)
			return FLOWPIC_PARSE_MALFORMED;
		pkt->hdr = off + sizeof(_uh);
		pkt->key.lo_port = uh->source;
		pkt->key.hi_port = uh->dest;
	}
	if (skb_is_gso(skb))
		pkt->gso = skb_shinfo(skb)->gso_size;
	pkt->dir = flowpic_key_canon(&pkt->key);
	return FLOWPIC_PARSE_FLOW;
}

static enum flowpic_parse_result flowpic_parse_ipv4(const struct sk_buff *skb,
						    unsigned int nh, u32 wire,
						    struct flowpic_pkt *pkt)
{
	struct iphdr _iph;
	const struct iphdr *iph;
	u32 ihl, tot;

	iph = skb_header_pointer(skb, nh, sizeof(_iph), &_iph);
	if (!iph || iph->version != 4)
		return FLOWPIC_PARSE_MALFORMED;
	ihl = iph->ihl * 4U;
	tot = ntohs(iph->tot_len);
	/* BIG TCP (IPv4, 6.3+): a GSO packet over 64 KiB says length 0. */
	if (!tot && skb_is_gso(skb)) {
		tot = wire;
		pkt->big = 1;
	}
	if (ihl < sizeof(*iph) || tot < ihl || tot > wire)
		return FLOWPIC_PARSE_MALFORMED;
	pkt->size = tot;
	pkt->key.family = FLOWPIC_FAMILY_IPV4;
	flowpic_addr_from_v4(pkt->key.lo_addr, iph->saddr);
	flowpic_addr_from_v4(pkt->key.hi_addr, iph->daddr);
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP)
		return FLOWPIC_PARSE_NOT_TCP_UDP;
	pkt->frag_id = ntohs(iph->id);
	if (ntohs(iph->frag_off) & IP_OFFSET) {
		pkt->key.proto = iph->protocol;
		pkt->frag = FLOWPIC_FRAG_LATER;
		return FLOWPIC_PARSE_FRAGMENT;
	}
	if (ntohs(iph->frag_off) & IP_MF)
		pkt->frag = FLOWPIC_FRAG_FIRST;
	return flowpic_parse_l4(skb, nh, ihl, iph->protocol, pkt);
}

static enum flowpic_parse_result flowpic_parse_ipv6(const struct sk_buff *skb,
						    unsigned int nh, u32 wire,
						    struct flowpic_pkt *pkt)
{
	struct ipv6hdr _ip6h;
	const struct ipv6hdr *ip6h;
	u8 _ext[8], next;
	const u8 *ext;
	u32 off = sizeof(_ip6h), len;
	int hops;

	ip6h = skb_header_pointer(skb, nh, sizeof(_ip6h), &_ip6h);
	if (!ip6h || ip6h->version != 6)
		return FLOWPIC_PARSE_MALFORMED;
	pkt->size = sizeof(*ip6h) + ntohs(ip6h->payload_len);
	/*
	 * BIG TCP: a GSO packet over 64 KiB has payload length 0 (and, up
	 * to 6.2, a hop-by-hop jumbo option, walked below as any option).
	 */
	if (!ip6h->payload_len && skb_is_gso(skb)) {
		pkt->size = wire;
		pkt->big = 1;
	}
	if (pkt->size > wire)
		return FLOWPIC_PARSE_MALFORMED;
	pkt->key.family = FLOWPIC_FAMILY_IPV6;
	memcpy(pkt->key.lo_addr, &ip6h->saddr, sizeof(pkt->key.lo_addr));
	memcpy(pkt->key.hi_addr, &ip6h->daddr, sizeof(pkt->key.hi_addr));
	next = ip6h->nexthdr;

	for (hops = 0; hops <= FLOWPIC_IPV6_EXT_MAX; hops++) {
		switch (next) {
		case NEXTHDR_TCP:
		case NEXTHDR_UDP:
			return flowpic_parse_l4(skb, nh, off, next, pkt);
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
		case NEXTHDR_MOBILITY:
		case 139:	/* HIP */
		case 140:	/* shim6 */
		case NEXTHDR_AUTH:
		case NEXTHDR_FRAGMENT:
			break;
		default:
			return FLOWPIC_PARSE_NOT_TCP_UDP;
		}
		if (hops == FLOWPIC_IPV6_EXT_MAX || off + 8 > pkt->size)
			return FLOWPIC_PARSE_MALFORMED;
		ext = skb_header_pointer(skb, nh + off, sizeof(_ext), _ext);
		if (!ext)
			return FLOWPIC_PARSE_MALFORMED;
		if (next == NEXTHDR_FRAGMENT)
			len = 8;
		else if (next == NEXTHDR_AUTH)
			len = (ext[1] + 2U) * 4;
		else
			len = (ext[1] + 1U) * 8;
		if (off + len > pkt->size)
			return FLOWPIC_PARSE_MALFORMED;
		if (next == NEXTHDR_FRAGMENT) {
			pkt->frag_id = (u32)ext[4] << 24 | (u32)ext[5] << 16 |
				       (u32)ext[6] << 8 | ext[7];
			pkt->frag = ext[3] & 1 ? FLOWPIC_FRAG_FIRST :
						 FLOWPIC_FRAG_NONE;
		}
		if (next == NEXTHDR_FRAGMENT &&
		    (((u32)ext[2] << 8 | ext[3]) & 0xfff8)) {
			/* The rest is payload of an earlier fragment. */
			pkt->key.proto = ext[0];
			pkt->frag = FLOWPIC_FRAG_LATER;
			return ext[0] == NEXTHDR_TCP || ext[0] == NEXTHDR_UDP ?
			       FLOWPIC_PARSE_FRAGMENT :
			       FLOWPIC_PARSE_NOT_TCP_UDP;
		}
		next = ext[0];
		off += len;
	}
	return FLOWPIC_PARSE_MALFORMED;
}

enum flowpic_parse_result flowpic_parse(const struct sk_buff *skb, u8 pf,
					struct flowpic_pkt *pkt)
{
	unsigned int nh = skb_network_offset(skb);
	u32 wire;

	memset(pkt, 0, sizeof(*pkt));
	if (skb->len <= nh)
		return FLOWPIC_PARSE_MALFORMED;
	wire = skb->len - nh;
	if (pf == NFPROTO_IPV4)
		return flowpic_parse_ipv4(skb, nh, wire, pkt);
	if (pf == NFPROTO_IPV6)
		return flowpic_parse_ipv6(skb, nh, wire, pkt);
	return FLOWPIC_PARSE_NOT_IP;
}

void flowpic_state_packet(struct flowpic_state *s,
			  const struct flowpic_config *cfg,
			  struct flowpic_pkt *pkt, u64 now,
			  struct flowpic_action *act)
{
	if (pkt->big)
		flowpic_count(s->stats, FLOWPIC_CNT_BIG_PACKETS);
	/* The verdict first, and whatever becomes of the histogram. */
	pkt->labelled = flowpic_verdict_action(&s->verdicts, &pkt->key, act);
	flowpic_table_packet(&s->flows, cfg, pkt, now);
}

unsigned int flowpic_hook_skb(struct flowpic_state *s, struct sk_buff *skb,
			      u8 pf)
{
	struct flowpic_action act;
	struct flowpic_pkt pkt;
	u64 now = ktime_get_ns();

	flowpic_count(s->stats, FLOWPIC_CNT_PACKETS);
	switch (flowpic_parse(skb, pf, &pkt)) {
	case FLOWPIC_PARSE_FLOW:
		if (pkt.frag == FLOWPIC_FRAG_FIRST)
			flowpic_frags_note(s->flows.frags, &pkt, now);
		break;
	case FLOWPIC_PARSE_NOT_IP:
		flowpic_count(s->stats, FLOWPIC_CNT_NOT_IP);
		return NF_ACCEPT;
	case FLOWPIC_PARSE_NOT_TCP_UDP:
		flowpic_count(s->stats, FLOWPIC_CNT_NOT_TCP_UDP);
		return NF_ACCEPT;
	case FLOWPIC_PARSE_FRAGMENT:
		if (flowpic_frags_attribute(s->flows.frags, &pkt, now))
			break;
		flowpic_count(s->stats, FLOWPIC_CNT_FRAGMENT);
		return NF_ACCEPT;
	default:
		flowpic_count(s->stats, FLOWPIC_CNT_MALFORMED);
		return NF_ACCEPT;
	}
	flowpic_state_packet(s, flowpic_config_rcu(&s->config), &pkt, now, &act);
	return flowpic_policy_apply(s->stats, skb, &act);
}

int flowpic_state_init(struct flowpic_state *s, u32 max_verdicts,
		       void (*notify)(struct flowpic_table *t),
		       bool (*listening)(struct flowpic_table *t))
{
	int err;

	flowpic_policy_init(&s->policy);
	s->stats = flowpic_stats_alloc();
	if (!s->stats)
		return -ENOMEM;
	err = flowpic_config_init(&s->config);
	if (err)
		goto err_config;
	err = flowpic_table_init(&s->flows, s->stats, notify, listening);
	if (err)
		goto err_table;
	err = flowpic_verdicts_init(&s->verdicts, max_verdicts, &s->policy);
	if (err)
		goto err_verdicts;
	return 0;

err_verdicts:
	flowpic_table_destroy(&s->flows);
err_table:
	flowpic_config_exit(&s->config);
err_config:
	flowpic_stats_free(s->stats);
	return err;
}

void flowpic_state_destroy(struct flowpic_state *s)
{
	flowpic_verdicts_destroy(&s->verdicts);
	flowpic_table_destroy(&s->flows);
	flowpic_config_exit(&s->config);
	flowpic_stats_free(s->stats);
	s->stats = NULL;
}

/* Tells @key's flow, if it has a histogram, whether it is labelled. */
static bool flowpic_state_hint(struct flowpic_state *s,
			       const struct flowpic_key *key, bool labelled)
{
	struct flowpic_flow *f;

	rcu_read_lock();
	f = flowpic_table_lookup(&s->flows, key);
	if (f)
		WRITE_ONCE(f->labelled, labelled);
	rcu_read_unlock();
	return f;
}

int flowpic_state_set_label(struct flowpic_state *s,
			    const struct flowpic_key *key,
			    const struct flowpic_label *label,
			    const struct flowpic_action *action)
{
	struct flowpic_label old_label;
	struct flowpic_action old_act;
	bool known;
	int err;

	rcu_read_lock();
	known = flowpic_table_lookup(&s->flows, key) ||
		flowpic_verdict_peek(&s->verdicts, key, &old_label, &old_act);
	rcu_read_unlock();
	if (!known)
		return -ENOENT;
	err = flowpic_verdict_set(&s->verdicts, key, label, action);
	if (!err)
		flowpic_state_hint(s, key, true);
	return err;
}

int flowpic_state_clear_label(struct flowpic_state *s,
			      const struct flowpic_key *key)
{
	int err = flowpic_verdict_clear(&s->verdicts, key);

	if (!err)
		flowpic_state_hint(s, key, false);
	return err;
}

/*
 * Fault injection for the unload test (tests/qemu): every packet spends
 * this long in the hook, so rmmod meets packets in flight.
 */
static unsigned int test_hook_delay_us;
module_param(test_hook_delay_us, uint, 0444);
MODULE_PARM_DESC(test_hook_delay_us,
		 "Tests only: busy-wait this long (<= 1000000) in every hook call");

/* Fault injection for the same test: loading fails once hooks ran. */
static unsigned int test_hook_init_fail_ms;
module_param(test_hook_init_fail_ms, uint, 0444);
MODULE_PARM_DESC(test_hook_init_fail_ms,
		 "Tests only: fail loading this long (<= 1000) after hooking");

static unsigned int flowpic_nf_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	if (unlikely(test_hook_delay_us)) {
		unsigned int us = min(test_hook_delay_us, 1000000U);

		mdelay(us / 1000);
		udelay(us % 1000);
	}
	/*
	 * What this host sent was counted, and enforced, at LOCAL_OUT: on
	 * its way in through the loopback device it is not counted again.
	 */
	if (state->hook == NF_INET_PRE_ROUTING && state->in &&
	    (state->in->flags & IFF_LOOPBACK))
		return NF_ACCEPT;
	return flowpic_hook_skb(priv, skb, state->pf);
}

/*
 * On the way out, after routing: ip_forward() sets a forwarded packet's
 * priority from its TOS, overwriting what PRE_ROUTING applied, so the
 * flow's mark and priority are applied again, where the egress qdisc
 * reads them. The packet was counted where it came in.
 */
static unsigned int flowpic_nf_post(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct flowpic_state *s = priv;
	struct flowpic_label label;
	struct flowpic_action act;
	struct flowpic_pkt pkt;

	if (flowpic_parse(skb, state->pf, &pkt) != FLOWPIC_PARSE_FLOW ||
	    !flowpic_verdict_peek(&s->verdicts, &pkt.key, &label, &act))
		return NF_ACCEPT;
	flowpic_action_mark(skb, &act);
	return NF_ACCEPT;
}

/*
 * After mangle, so a mark or priority we set is what filter sees. Each
 * namespace hooks a copy whose priv is its state.
 */
static const struct nf_hook_ops flowpic_nf_ops[FLOWPIC_HOOK_OPS] = {
	{
		.hook		= flowpic_nf_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_MANGLE + 1,
	},
	{
		.hook		= flowpic_nf_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_MANGLE + 1,
	},
	{
		.hook		= flowpic_nf_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP6_PRI_MANGLE + 1,
	},
	{
		.hook		= flowpic_nf_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_MANGLE + 1,
	},
	{
		.hook		= flowpic_nf_post,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP_PRI_MANGLE + 1,
	},
	{
		.hook		= flowpic_nf_post,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP6_PRI_MANGLE + 1,
	},
};

int flowpic_hook_init(struct net *net, struct nf_hook_ops *ops,
		      struct flowpic_state *s)
{
	int i, err;

	memcpy(ops, flowpic_nf_ops, sizeof(flowpic_nf_ops));
	for (i = 0; i < FLOWPIC_HOOK_OPS; i++)
		ops[i].priv = s;
	err = nf_register_net_hooks(net, ops, FLOWPIC_HOOK_OPS);
	if (!err && unlikely(test_hook_init_fail_ms)) {
		/* As a failure part way: hooks that ran, then gone. */
		msleep(min(test_hook_init_fail_ms, 1000U));
		nf_unregister_net_hooks(net, ops, FLOWPIC_HOOK_OPS);
		err = -EINVAL;
	}
	return err;
}

void flowpic_hook_exit(struct net *net, struct nf_hook_ops *ops)
{
	/*
	 * Unregistering does not wait for hooks running on other CPUs;
	 * they run under RCU: the caller waits for a grace period.
	 */
	nf_unregister_net_hooks(net, ops, FLOWPIC_HOOK_OPS);
}
