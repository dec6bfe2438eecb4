// SPDX-License-Identifier: GPL-2.0
/*
 * The "flowpic" generic netlink family, as specified in
 * include/flowpic_genl.h. Every request attribute is validated strictly by
 * the policies below: an attribute a command does not take is refused, so
 * is any message with a non-zero reserved header field.
 *
 * The family is in every network namespace. A request acts on the
 * namespace of the socket it came from, and what changes state or shows
 * traffic needs CAP_NET_ADMIN over the user namespace that owns that
 * network namespace (GENL_UNS_ADMIN_PERM): root of a container may
 * configure flowpic in its own namespace, never in another, and never
 * past the module's bounds (max_flows, mem_budget), which no request
 * changes. Closed windows go to the listeners of their own namespace.
 */
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "flowpic.h"
#include "config.h"
#include "flow_table.h"
#include "hook.h"
#include "netlink.h"
#include "netns.h"
#include "policy.h"
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
	[FLOWPIC_A_VERDICTS]	= { .type = NLA_REJECT },
};

const struct nla_policy flowpic_label_policy[FLOWPIC_A_MAX + 1] = {
	[FLOWPIC_A_KEY]		= NLA_POLICY_EXACT_LEN(sizeof(struct flowpic_key)),
	[FLOWPIC_A_LABEL]	= NLA_POLICY_EXACT_LEN(sizeof(struct flowpic_label)),
	[FLOWPIC_A_ACTION]	= NLA_POLICY_RANGE(NLA_BINARY,
						   FLOWPIC_ACTION_V1_SIZE,
						   sizeof(struct flowpic_action)),
	[FLOWPIC_A_GEOM]	= { .type = NLA_REJECT },
	[FLOWPIC_A_MAX_FLOWS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_MAX_CELLS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_IDLE_NS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_MIN_PACKETS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_WINDOW]	= { .type = NLA_REJECT },
	[FLOWPIC_A_CELLS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_CLASS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_STATS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_PAD]		= { .type = NLA_REJECT },
	[FLOWPIC_A_VERDICTS]	= { .type = NLA_REJECT },
};

const struct nla_policy flowpic_policy_policy[FLOWPIC_A_MAX + 1] = {
	[FLOWPIC_A_CLASS]	= NLA_POLICY_MAX(NLA_U16,
						 FLOWPIC_POLICY_SLOTS - 1),
	[FLOWPIC_A_ACTION]	= NLA_POLICY_RANGE(NLA_BINARY,
						   FLOWPIC_ACTION_V1_SIZE,
						   sizeof(struct flowpic_action)),
	[FLOWPIC_A_GEOM]	= { .type = NLA_REJECT },
	[FLOWPIC_A_MAX_FLOWS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_MAX_CELLS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_IDLE_NS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_MIN_PACKETS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_KEY]		= { .type = NLA_REJECT },
	[FLOWPIC_A_WINDOW]	= { .type = NLA_REJECT },
	[FLOWPIC_A_CELLS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_LABEL]	= { .type = NLA_REJECT },
	[FLOWPIC_A_STATS]	= { .type = NLA_REJECT },
	[FLOWPIC_A_PAD]		= { .type = NLA_REJECT },
	[FLOWPIC_A_VERDICTS]	= { .type = NLA_REJECT },
};

/* The state of the namespace whose socket sent the request. */
static struct flowpic_state *flowpic_req_state(struct genl_info *info)
{
	return &flowpic_net(genl_info_net(info))->state;
}

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
	flowpic_config_read(&flowpic_req_state(info)->config, &c);
	if (flowpic_put_config(msg, &c)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int flowpic_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct flowpic_config_slot *cs = &flowpic_req_state(info)->config;
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

	flowpic_config_lock(cs);
	flowpic_config_read(cs, &c);
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
	err = flowpic_config_update(cs, &c, &why, &bad);
	flowpic_config_unlock(cs);

	if (err == -EINVAL)
		flowpic_set_err(info->extack, a[bad], why);
	return err;
}

static int flowpic_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct flowpic_state *s = flowpic_req_state(info);
	struct flowpic_verdict_stats vs;
	u64 cnt[__FLOWPIC_CNT_MAX];
	struct sk_buff *msg;
	void *hdr;

	msg = flowpic_reply_new(info, FLOWPIC_CMD_GET_STATS, &hdr);
	if (!msg)
		return -ENOMEM;
	flowpic_stats_read(s->stats, cnt);
	flowpic_verdicts_stats(&s->verdicts, &vs);
	if (nla_put(msg, FLOWPIC_A_STATS, sizeof(cnt), cnt) ||
	    nla_put(msg, FLOWPIC_A_VERDICTS, sizeof(vs), &vs)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

const char *flowpic_key_invalid(const struct flowpic_key *k)
{
	static const u8 v4_prefix[12] = { [10] = 0xff, [11] = 0xff };
	struct flowpic_key c = *k;

	if (k->family != FLOWPIC_FAMILY_IPV4 && k->family != FLOWPIC_FAMILY_IPV6)
		return "key: family must be 4 or 6";
	if (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP)
		return "key: proto must be TCP (6) or UDP (17)";
	if (k->__pad)
		return "key: padding must be zero";
	if (k->family == FLOWPIC_FAMILY_IPV4 &&
	    (memcmp(k->lo_addr, v4_prefix, sizeof(v4_prefix)) ||
	     memcmp(k->hi_addr, v4_prefix, sizeof(v4_prefix))))
		return "key: IPv4 addresses must be ::ffff:a.b.c.d";
	if (flowpic_key_canon(&c) != FLOWPIC_DIR_LO_TO_HI)
		return "key: endpoints not in canonical order";
	return NULL;
}

const char *flowpic_label_invalid(const struct flowpic_label *l)
{
	if (l->class_id > FLOWPIC_CLASS_UNKNOWN)
		return "label: class_id must be below 64, or 64 (unknown)";
	if (l->confidence > FLOWPIC_CONFIDENCE_ONE)
		return "label: confidence must be 0..10000";
	return NULL;
}

/*
 * The action in @attr into @a: 12 bytes, or the 8 of an action without a
 * mask (0: all bits). NULL when it is one, else why not.
 */
static const char *flowpic_action_get(const struct nlattr *attr,
				      struct flowpic_action *a)
{
	int len = nla_len(attr);

	if (len != sizeof(*a) && len != FLOWPIC_ACTION_V1_SIZE)
		return "action: 12 bytes (type, value, mask) or 8 (no mask)";
	memset(a, 0, sizeof(*a));
	memcpy(a, nla_data(attr), len);
	if (flowpic_action_invalid(a))
		return "action: type 0..3; value 0 for pass and drop; a mask for mark only";
	return NULL;
}

/* The request's key, checked; NULL, with the reason set, if missing or bad. */
static const struct flowpic_key *flowpic_req_key(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[FLOWPIC_A_KEY];
	const char *why;

	if (GENL_REQ_ATTR_CHECK(info, FLOWPIC_A_KEY))
		return NULL;
	why = flowpic_key_invalid(nla_data(attr));
	if (why) {
		flowpic_set_err(info->extack, attr, why);
		return NULL;
	}
	return nla_data(attr);
}

static int flowpic_set_label(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct flowpic_action act_buf, *act = NULL;
	const struct flowpic_label *label;
	const struct flowpic_key *key;
	const char *why;
	int err;

	key = flowpic_req_key(info);
	if (!key || GENL_REQ_ATTR_CHECK(info, FLOWPIC_A_LABEL))
		return -EINVAL;
	label = nla_data(a[FLOWPIC_A_LABEL]);
	why = flowpic_label_invalid(label);
	if (!why && a[FLOWPIC_A_ACTION]) {
		act = &act_buf;
		why = flowpic_action_get(a[FLOWPIC_A_ACTION], act);
		if (why) {
			flowpic_set_err(info->extack, a[FLOWPIC_A_ACTION], why);
			return -EINVAL;
		}
	} else if (why) {
		flowpic_set_err(info->extack, a[FLOWPIC_A_LABEL], why);
		return -EINVAL;
	}
	err = flowpic_state_set_label(flowpic_req_state(info), key, label, act);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, a[FLOWPIC_A_KEY],
				    "flow neither in the table nor labelled");
	else if (err == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(info->extack, a[FLOWPIC_A_KEY],
				    "no room in the module's mem_budget for a new verdict: label refused, counted in verdicts refused");
	return err;
}

static int flowpic_del_label(struct sk_buff *skb, struct genl_info *info)
{
	const struct flowpic_key *key = flowpic_req_key(info);
	int bad = info->attrs[FLOWPIC_A_LABEL] ? FLOWPIC_A_LABEL :
		  info->attrs[FLOWPIC_A_ACTION] ? FLOWPIC_A_ACTION : 0;
	int err;

	if (!key)
		return -EINVAL;
	if (bad) {
		flowpic_set_err(info->extack, info->attrs[bad],
				"DEL_LABEL takes the key alone");
		return -EINVAL;
	}
	err = flowpic_state_clear_label(flowpic_req_state(info), key);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[FLOWPIC_A_KEY],
				    "flow not labelled");
	return err;
}

static int flowpic_set_policy(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct flowpic_action act;
	const char *why;

	if (GENL_REQ_ATTR_CHECK(info, FLOWPIC_A_CLASS) ||
	    GENL_REQ_ATTR_CHECK(info, FLOWPIC_A_ACTION))
		return -EINVAL;
	why = flowpic_action_get(a[FLOWPIC_A_ACTION], &act);
	if (why) {
		flowpic_set_err(info->extack, a[FLOWPIC_A_ACTION], why);
		return -EINVAL;
	}
	flowpic_policy_set(&flowpic_req_state(info)->policy,
			   nla_get_u16(a[FLOWPIC_A_CLASS]), &act);
	return 0;
}

/* What GET_FLOWS reports of one flow, copied under its lock. */
struct flowpic_flow_view {
	struct flowpic_window win;
	struct flowpic_label label;
	struct flowpic_action action;
	bool labelled;
	bool has_action;
};

/*
 * The dump walks the flows of the requesting socket's namespace, which
 * the socket keeps alive until the dump is done.
 */
static int flowpic_flows_start(struct netlink_callback *cb)
{
	struct flowpic_state *s = &flowpic_net(sock_net(cb->skb->sk))->state;
	struct rhashtable_iter *it;

	it = kmalloc(sizeof(*it), GFP_KERNEL);
	if (!it)
		return -ENOMEM;
	rhashtable_walk_enter(&s->flows.ht, it);
	cb->args[0] = (long)it;
	cb->args[1] = (long)s;
	return 0;
}

static int flowpic_flows_done(struct netlink_callback *cb)
{
	struct rhashtable_iter *it = (struct rhashtable_iter *)cb->args[0];

	if (it) {
		rhashtable_walk_exit(it);
		kfree(it);
	}
	return 0;
}

static int flowpic_put_flow(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct flowpic_flow_view *v)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &flowpic_genl_family, NLM_F_MULTI,
			  FLOWPIC_CMD_GET_FLOWS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put(skb, FLOWPIC_A_KEY, sizeof(v->win.key), &v->win.key) ||
	    nla_put(skb, FLOWPIC_A_WINDOW, sizeof(v->win), &v->win) ||
	    (v->labelled && nla_put(skb, FLOWPIC_A_LABEL, sizeof(v->label),
				    &v->label)) ||
	    (v->has_action && nla_put(skb, FLOWPIC_A_ACTION,
				      sizeof(v->action), &v->action))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * One message per flow; a flow that does not fit stays the walk's current
 * one and opens the next call. A resize of the table restarts the walk,
 * so a flow may then be reported twice, never skipped.
 */
static int flowpic_flows_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct rhashtable_iter *it = (struct rhashtable_iter *)cb->args[0];
	struct flowpic_state *s = (struct flowpic_state *)cb->args[1];
	struct flowpic_flow_view v;
	struct flowpic_flow *f;
	bool dead;

	rhashtable_walk_start(it);
	for (f = rhashtable_walk_peek(it); f; f = rhashtable_walk_next(it)) {
		if (IS_ERR(f)) {
			if (PTR_ERR(f) == -EAGAIN)
				continue;
			break;
		}
		spin_lock_bh(&f->lock);
		dead = f->dead;
		v.win = f->win;
		v.win.cells = f->cells.n;
		spin_unlock_bh(&f->lock);
		if (dead)
			continue;
		/* The action that applies: the flow's own, else its class's. */
		v.labelled = flowpic_verdict_peek(&s->verdicts, &f->key,
						  &v.label, &v.action);
		v.has_action = v.labelled;
		if (flowpic_put_flow(skb, cb, &v))
			break;
	}
	rhashtable_walk_stop(it);
	return skb->len;
}

static_assert(FLOWPIC_CELLS_PER_ATTR ==
	      (U16_MAX - NLA_HDRLEN) / sizeof(struct flowpic_sparse_cell));

static int flowpic_send_window(struct net *net, const struct flowpic_done *d)
{
	size_t cell = sizeof(struct flowpic_sparse_cell);
	u32 full = d->cells.n / FLOWPIC_CELLS_PER_ATTR;
	u32 rest = d->cells.n % FLOWPIC_CELLS_PER_ATTR;
	struct sk_buff *msg;
	size_t size;
	void *hdr;
	u32 i;

	size = nla_total_size(sizeof(d->win)) +
	       full * nla_total_size(FLOWPIC_CELLS_PER_ATTR * cell) +
	       (rest ? nla_total_size(rest * cell) : 0);
	msg = genlmsg_new(size, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &flowpic_genl_family, 0,
			  FLOWPIC_CMD_WINDOW);
	if (!hdr)
		goto err_size;
	if (nla_put(msg, FLOWPIC_A_WINDOW, sizeof(d->win), &d->win))
		goto err_size;
	for (i = 0; i < d->cells.n; i += FLOWPIC_CELLS_PER_ATTR) {
		u32 n = min_t(u32, d->cells.n - i, FLOWPIC_CELLS_PER_ATTR);

		if (nla_put(msg, FLOWPIC_A_CELLS, n * cell, &d->cells.cell[i]))
			goto err_size;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_multicast_netns(&flowpic_genl_family, net, msg, 0, 0,
				       GFP_KERNEL);

err_size:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

bool flowpic_genl_listening(struct net *net)
{
	return genl_has_listeners(&flowpic_genl_family, net, 0);
}

void flowpic_genl_deliver(struct net *net, struct flowpic_table *t)
{
	struct flowpic_done *d, *tmp;
	LIST_HEAD(done);

	flowpic_table_take_done(t, &done);
	list_for_each_entry_safe(d, tmp, &done, list) {
		list_del(&d->list);
		flowpic_cells_finish(&d->cells);
		if ((!t->listening || t->listening(t)) &&
		    !flowpic_send_window(net, d))
			flowpic_count(t->stats, FLOWPIC_CNT_WINDOWS);
		else
			flowpic_count(t->stats, FLOWPIC_CNT_WINDOWS_LOST);
		flowpic_done_free(d);
		cond_resched();
	}
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
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		/* Every flow's endpoints and label: the host's traffic. */
		.cmd = FLOWPIC_CMD_GET_FLOWS,
		.start = flowpic_flows_start,
		.dumpit = flowpic_flows_dump,
		.done = flowpic_flows_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = FLOWPIC_CMD_SET_LABEL,
		.doit = flowpic_set_label,
		.policy = flowpic_label_policy,
		.maxattr = FLOWPIC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = FLOWPIC_CMD_DEL_LABEL,
		.doit = flowpic_del_label,
		.policy = flowpic_label_policy,
		.maxattr = FLOWPIC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = FLOWPIC_CMD_SET_POLICY,
		.doit = flowpic_set_policy,
		.policy = flowpic_policy_policy,
		.maxattr = FLOWPIC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = FLOWPIC_CMD_GET_STATS,
		.doit = flowpic_get_stats,
	},
};

/*
 * Windows show a namespace's traffic: listening needs CAP_NET_ADMIN over
 * the namespace's owner. Kernels with the multicast capability flags
 * (6.1.6x and later, 6.7) check them at bind time; older ones have no
 * such check.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define FLOWPIC_MCGRP_FLAGS	GENL_MCAST_CAP_NET_ADMIN
#else
#define FLOWPIC_MCGRP_FLAGS	0
#endif

static const struct genl_multicast_group flowpic_genl_mcgrps[] = {
	{ .name = FLOWPIC_GENL_MCGRP_WINDOWS, .flags = FLOWPIC_MCGRP_FLAGS },
};

struct genl_family flowpic_genl_family __ro_after_init = {
	.name		= FLOWPIC_GENL_NAME,
	.version	= FLOWPIC_GENL_VERSION,
	.resv_start_op	= 0,
	/* Every namespace has its own flowpic (netns.c). */
	.netnsok	= true,
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
