// SPDX-License-Identifier: GPL-2.0
/*
 * The "flowpic" generic netlink family, as specified in
 * include/flowpic_genl.h. Every request attribute is validated strictly by
 * the policies below: an attribute a command does not take is refused, so
 * is any message with a non-zero reserved header field.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "flowpic.h"
#include "config.h"
#include "netlink.h"
#include "stats.h"

/* Not const only because 6.1's nla_policy points at them so. */
static struct netlink_range_validation flowpic_max_flows_range = {
	.min = 1,
	.max = FLOWPIC_MAX_FLOWS_LIMIT,
};

static struct netlink_range_validation flowpic_max_cells_range = {
	.min = FLOWPIC_MAX_CELLS_MIN,
	.max = FLOWPIC_MAX_CELLS_LIMIT,
};

static struct netlink_range_validation flowpic_idle_range = {
	.min = FLOWPIC_IDLE_NS_MIN,
	.max = FLOWPIC_IDLE_NS_MAX,
};

static struct netlink_range_validation flowpic_min_packets_range = {
	.min = 1,
	.max = U32_MAX,
};

const struct nla_policy flowpic_config_policy[FLOWPIC_A_MAX + 1] = {
	[FLOWPIC_A_GEOM]	= NLA_POLICY_EXACT_LEN(sizeof(struct flowpic_geom)),
	[FLOWPIC_A_MAX_FLOWS]	= NLA_POLICY_FULL_RANGE(NLA_U32,
							&flowpic_max_flows_range),
	[FLOWPIC_A_MAX_CELLS]	= NLA_POLICY_FULL_RANGE(NLA_U32,
							&flowpic_max_cells_range),
	[FLOWPIC_A_IDLE_NS]	= NLA_POLICY_FULL_RANGE(NLA_U64,
							&flowpic_idle_range),
	[FLOWPIC_A_MIN_PACKETS]	= NLA_POLICY_FULL_RANGE(NLA_U32,
							&flowpic_min_packets_range),
	[FLOWPIC_A_KEY]		= { .type = NLA_REJECT },
	[FLOWPIC_A_WINDOW]	= { .type = NLA_REJECT },
	[FLOWPIC_A_CELLS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_LABEL]	= { .type = NLA_REJECT },
	[FLOWPIC_A_ACTION]	= { .type = NLA_REJECT },
	[FLOWPIC_A_CLASS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_STATS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_PAD]		= { .type = NLA_REJECT },
};

/* Points the user at @attr with @msg, a string that outlives the request. */
static void flowpic_set_err(struct netlink_ext_ack *extack,
			    const struct nlattr *attr, const char *msg)
{
	if (extack) {
		extack->_msg = msg;
		extack->bad_attr = attr;
	}
}

static int flowpic_put_config(struct sk_buff *msg,
			      const struct flowpic_config *c)
{
	if (nla_put(msg, FLOWPIC_A_GEOM, sizeof(c->geom), &c->geom) ||
	    nla_put_u32(msg, FLOWPIC_A_MAX_FLOWS, c->max_flows) ||
	    nla_put_u32(msg, FLOWPIC_A_MAX_CELLS, c->max_cells) ||
	    nla_put_u64_64bit(msg, FLOWPIC_A_IDLE_NS, c->idle_ns,
			      FLOWPIC_A_PAD) ||
	    nla_put_u32(msg, FLOWPIC_A_MIN_PACKETS, c->min_packets))
		return -EMSGSIZE;
	return 0;
}

/* Starts a reply to @info for @cmd; NULL on allocation failure. */
static struct sk_buff *flowpic_reply_new(struct genl_info *info, u8 cmd,
					 void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &flowpic_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int flowpic_get_config(struct sk_buff *skb, struct genl_info *info)
{
	struct flowpic_config c;
	struct sk_buff *msg;
	void *hdr;

	msg = flowpic_reply_new(info, FLOWPIC_CMD_GET_CONFIG, &hdr);
	if (!msg)
		return -ENOMEM;
	flowpic_config_read(&c);
	if (flowpic_put_config(msg, &c)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int flowpic_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct flowpic_config c;
	const char *why;
	int err, bad;

	if (!a[FLOWPIC_A_GEOM] && !a[FLOWPIC_A_MAX_FLOWS] &&
	    !a[FLOWPIC_A_MAX_CELLS] && !a[FLOWPIC_A_IDLE_NS] &&
	    !a[FLOWPIC_A_MIN_PACKETS]) {
		GENL_SET_ERR_MSG(info, "SET_CONFIG without any config attribute");
		return -EINVAL;
	}

	flowpic_config_lock();
	flowpic_config_read(&c);
	if (a[FLOWPIC_A_GEOM])
		memcpy(&c.geom, nla_data(a[FLOWPIC_A_GEOM]), sizeof(c.geom));
	if (a[FLOWPIC_A_MAX_FLOWS])
		c.max_flows = nla_get_u32(a[FLOWPIC_A_MAX_FLOWS]);
	if (a[FLOWPIC_A_MAX_CELLS])
		c.max_cells = nla_get_u32(a[FLOWPIC_A_MAX_CELLS]);
	if (a[FLOWPIC_A_IDLE_NS])
		c.idle_ns = nla_get_u64(a[FLOWPIC_A_IDLE_NS]);
	if (a[FLOWPIC_A_MIN_PACKETS])
		c.min_packets = nla_get_u32(a[FLOWPIC_A_MIN_PACKETS]);
	err = flowpic_config_update(&c, &why, &bad);
	flowpic_config_unlock();

	if (err == -EINVAL)
		flowpic_set_err(info->extack, a[bad], why);
	return err;
}

static int flowpic_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	u64 cnt[__FLOWPIC_CNT_MAX];
	struct sk_buff *msg;
	void *hdr;

	msg = flowpic_reply_new(info, FLOWPIC_CMD_GET_STATS, &hdr);
	if (!msg)
		return -ENOMEM;
	flowpic_stats_read(cnt);
	if (nla_put(msg, FLOWPIC_A_STATS, sizeof(cnt), cnt)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Commands without a policy take no attributes: genetlink refuses any
 * (resv_start_op 0 makes every command strict).
 */
static const struct genl_ops flowpic_genl_ops[] = {
	{
		.cmd = FLOWPIC_CMD_GET_CONFIG,
		.doit = flowpic_get_config,
	},
	{
		.cmd = FLOWPIC_CMD_SET_CONFIG,
		.doit = flowpic_set_config,
		.policy = flowpic_config_policy,
		.maxattr = FLOWPIC_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = FLOWPIC_CMD_GET_STATS,
		.doit = flowpic_get_stats,
	},
};

static const struct genl_multicast_group flowpic_genl_mcgrps[] = {
	/* Windows show the host's traffic: listening needs CAP_NET_ADMIN. */
	{ .name = FLOWPIC_GENL_MCGRP_WINDOWS, .flags = GENL_UNS_ADMIN_PERM },
};

struct genl_family flowpic_genl_family __ro_after_init = {
	.name		= FLOWPIC_GENL_NAME,
	.version	= FLOWPIC_GENL_VERSION,
	.resv_start_op	= 0,
	/*
	 * The flow table and config are the host's, so the family lives in
	 * the initial namespace only: a namespace's own CAP_NET_ADMIN must
	 * not change them.
	 */
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= flowpic_genl_ops,
	.n_ops		= ARRAY_SIZE(flowpic_genl_ops),
	.mcgrps		= flowpic_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(flowpic_genl_mcgrps),
};

int flowpic_genl_init(void)
{
	return genl_register_family(&flowpic_genl_family);
}

void flowpic_genl_exit(void)
{
	genl_unregister_family(&flowpic_genl_family);
}
