// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespaces: each has its own flowpic (struct flowpic_net), made
 * when the namespace is (or when the module loads, for those that exist)
 * and freed with it, through pernet operations. A namespace's hooks,
 * flows, verdicts, policy, config and counters are its own; its windows
 * go to listeners in it alone (netlink.c), and its requests act on it
 * alone. Only the slab caches and the memory budget (budget.c) are
 * module-wide: every namespace charges the one host-wide bound.
 *
 * Teardown keeps the module's order, per namespace: hooks unregistered
 * (pre_exit), a grace period (the netns core waits for one between
 * pre_exit and exit), the sweep, the delivery, then the tables.
 * Requests need no waiting: a request's socket holds its namespace, so
 * no request runs in a namespace being torn down.
 */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/rcupdate.h>
#include <linux/timekeeping.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "netlink.h"
#include "netns.h"

static unsigned int flowpic_net_id __read_mostly;
static u32 flowpic_max_verdicts;

/* Windows are delivered: the family is registered. */
static bool flowpic_delivering;
/* Every namespace's deliver work, so unloading can wait for them all. */
static struct workqueue_struct *flowpic_wq;

struct flowpic_net *flowpic_net(const struct net *net)
{
	return net_generic(net, flowpic_net_id);
}

static struct flowpic_net *flowpic_net_of(struct flowpic_table *t)
{
	return container_of(t, struct flowpic_net, state.flows);
}

static void flowpic_deliver_fn(struct work_struct *work)
{
	struct flowpic_net *fn = container_of(work, struct flowpic_net,
					      deliver);

	flowpic_genl_deliver(fn->net, &fn->state.flows);
}

/*
 * Whether anyone in @t's namespace would receive a window. Under RCU with
 * flowpic_notify(), so flowpic_netns_deliver_stop() can wait for both.
 */
static bool flowpic_listening(struct flowpic_table *t)
{
	return READ_ONCE(flowpic_delivering) &&
	       flowpic_genl_listening(flowpic_net_of(t)->net);
}

static void flowpic_notify(struct flowpic_table *t)
{
	struct flowpic_net *fn = flowpic_net_of(t);

	rcu_read_lock();
	if (READ_ONCE(flowpic_delivering) && !READ_ONCE(fn->stopping))
		queue_work(flowpic_wq, &fn->deliver);
	rcu_read_unlock();
}

/* No window of @fn is announced any more. */
static void flowpic_deliver_stop(struct flowpic_net *fn)
{
	WRITE_ONCE(fn->stopping, true);
	cancel_work_sync(&fn->deliver);
}

/* Idle flows are looked for twice per idle period, 10 ms .. 1 s apart. */
static unsigned long flowpic_sweep_delay(const struct flowpic_config *c)
{
	u64 ms = div_u64(c->idle_ns / 2, NSEC_PER_MSEC);

	return msecs_to_jiffies(clamp_t(u64, ms, 10, MSEC_PER_SEC));
}

static void flowpic_sweep_fn(struct work_struct *work)
{
	struct flowpic_net *fn = container_of(to_delayed_work(work),
					      struct flowpic_net, sweep);
	struct flowpic_config c;

	flowpic_config_read(&fn->state.config, &c);
	flowpic_table_sweep(&fn->state.flows, &c, ktime_get_ns());
	schedule_delayed_work(&fn->sweep, flowpic_sweep_delay(&c));
}

static int __net_init flowpic_net_init(struct net *net)
{
	struct flowpic_net *fn = flowpic_net(net);
	int err;

	fn->net = net;
	fn->stopping = false;
	INIT_WORK(&fn->deliver, flowpic_deliver_fn);
	INIT_DELAYED_WORK(&fn->sweep, flowpic_sweep_fn);
	err = flowpic_state_init(&fn->state, flowpic_max_verdicts,
				 flowpic_notify, flowpic_listening);
	if (err)
		return err;
	err = flowpic_hook_init(net, fn->ops, &fn->state);
	if (err) {
		/* Hooks registered before the failure may have run. */
		synchronize_net();
		flowpic_deliver_stop(fn);
		flowpic_state_destroy(&fn->state);
		return err;
	}
	schedule_delayed_work(&fn->sweep, HZ);
	return 0;
}

static void __net_exit flowpic_net_pre_exit(struct net *net)
{
	flowpic_hook_exit(net, flowpic_net(net)->ops);
}

/* After pre_exit and a grace period: no hook runs in @net any more. */
static void __net_exit flowpic_net_exit(struct net *net)
{
	struct flowpic_net *fn = flowpic_net(net);

	/* Each after what can start it: the sweep queues deliveries. */
	cancel_delayed_work_sync(&fn->sweep);
	flowpic_deliver_stop(fn);
	flowpic_state_destroy(&fn->state);
}

static struct pernet_operations flowpic_net_ops = {
	.init		= flowpic_net_init,
	.pre_exit	= flowpic_net_pre_exit,
	.exit		= flowpic_net_exit,
	.id		= &flowpic_net_id,
	.size		= sizeof(struct flowpic_net),
};

int flowpic_netns_init(u32 max_verdicts)
{
	int err;

	flowpic_max_verdicts = max_verdicts;
	flowpic_wq = alloc_workqueue("flowpic", WQ_UNBOUND, 0);
	if (!flowpic_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&flowpic_net_ops);
	if (err)
		destroy_workqueue(flowpic_wq);
	return err;
}

void flowpic_netns_exit(void)
{
	unregister_pernet_subsys(&flowpic_net_ops);
	destroy_workqueue(flowpic_wq);
}

void flowpic_netns_deliver_start(void)
{
	WRITE_ONCE(flowpic_delivering, true);
}

void flowpic_netns_deliver_stop(void)
{
	WRITE_ONCE(flowpic_delivering, false);
	/*
	 * Whoever saw the flag set (flowpic_notify(), flowpic_listening()
	 * on the packet path) did so under RCU: after a grace period all
	 * their work is queued, and the flush waits for it.
	 */
	synchronize_rcu();
	flush_workqueue(flowpic_wq);
}
