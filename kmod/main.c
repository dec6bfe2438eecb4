// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic.ko: builds FlowPics (packet size x arrival time histograms) of
 * the host's TCP and UDP flows and applies the verdicts flowpicd labels
 * them with. A packet goes hook.c -> verdict.c (its verdict) ->
 * flow_table.c -> window.c (its histogram) -> policy.c (the verdict
 * applied); closed windows leave through netlink.c; labels come back the
 * same way into verdict.c.
 */
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <linux/netdevice.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "flowpic.h"
#include "budget.h"
#include "config.h"
#include "flow_table.h"
#include "hook.h"
#include "verdict.h"
#include "netlink.h"
#include "stats.h"

static unsigned int max_flows = 65536;
module_param(max_flows, uint, 0444);
MODULE_PARM_DESC(max_flows, "Flow table bound, 1..1048576 (default 65536)");

static unsigned int max_verdicts;
module_param(max_verdicts, uint, 0444);
MODULE_PARM_DESC(max_verdicts,
		 "Verdict table bound, least recently used out (default: max_flows, at least 4096)");

static unsigned long mem_budget;
module_param(mem_budget, ulong, 0444);
MODULE_PARM_DESC(mem_budget,
		 "Bytes flows and their FlowPics may hold (default: an eighth of RAM)");

/* What the budget holds now and held at most: read-only parameters. */
static int flowpic_param_get_used(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%zu\n", flowpic_budget_used());
}

static int flowpic_param_get_peak(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%zu\n", flowpic_budget_peak());
}

static const struct kernel_param_ops flowpic_mem_used_ops = {
	.get = flowpic_param_get_used,
};

static const struct kernel_param_ops flowpic_mem_peak_ops = {
	.get = flowpic_param_get_peak,
};

module_param_cb(mem_used, &flowpic_mem_used_ops, NULL, 0444);
MODULE_PARM_DESC(mem_used, "Bytes of the budget in use (read only)");
module_param_cb(mem_peak, &flowpic_mem_peak_ops, NULL, 0444);
MODULE_PARM_DESC(mem_peak, "Most bytes of the budget ever in use (read only)");

static struct flowpic_state flowpic_state;

static void flowpic_deliver_fn(struct work_struct *work)
{
	flowpic_genl_deliver(&flowpic_state.flows);
}

static DECLARE_WORK(flowpic_deliver_work, flowpic_deliver_fn);

/* Set before the deliver work is cancelled for good: nothing requeues it. */
static bool flowpic_stopping;

static void flowpic_notify(struct flowpic_table *t)
{
	if (!READ_ONCE(flowpic_stopping))
		schedule_work(&flowpic_deliver_work);
}

/* No window is announced any more: the family can go. */
static void flowpic_deliver_stop(void)
{
	WRITE_ONCE(flowpic_stopping, true);
	cancel_work_sync(&flowpic_deliver_work);
}

/* Idle flows are looked for twice per idle period, 10 ms .. 1 s apart. */
static unsigned long flowpic_sweep_delay(const struct flowpic_config *c)
{
	u64 ms = div_u64(c->idle_ns / 2, NSEC_PER_MSEC);

	return msecs_to_jiffies(clamp_t(u64, ms, 10, MSEC_PER_SEC));
}

static void flowpic_sweep_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(flowpic_sweep_work, flowpic_sweep_fn);

static void flowpic_sweep_fn(struct work_struct *work)
{
	struct flowpic_config c;

	flowpic_config_read(&c);
	flowpic_table_sweep(&flowpic_state.flows, &c, ktime_get_ns());
	schedule_delayed_work(&flowpic_sweep_work, flowpic_sweep_delay(&c));
}

static int __init flowpic_init(void)
{
	int err;

	if (!max_flows || max_flows > FLOWPIC_MAX_FLOWS_LIMIT) {
		pr_err("flowpic: max_flows=%u is outside 1..%u\n", max_flows,
		       FLOWPIC_MAX_FLOWS_LIMIT);
		return -EINVAL;
	}

	if (!max_verdicts)
		max_verdicts = max_t(u32, max_flows, FLOWPIC_VERDICTS_MIN);
	if (max_verdicts > FLOWPIC_MAX_FLOWS_LIMIT) {
		pr_err("flowpic: max_verdicts=%u is above %u\n", max_verdicts,
		       FLOWPIC_MAX_FLOWS_LIMIT);
		return -EINVAL;
	}
	if (!mem_budget)
		mem_budget = flowpic_budget_default();
	flowpic_budget_init(mem_budget);

	err = flowpic_stats_init();
	if (err)
		goto err_stats;
	err = flowpic_flow_cache_init();
	if (err)
		goto err_cache;
	err = flowpic_verdict_cache_init();
	if (err)
		goto err_verdict_cache;
	err = flowpic_config_init(max_flows);
	if (err == -E2BIG)
		pr_err("flowpic: max_flows=%u flows do not fit mem_budget=%lu bytes\n",
		       max_flows, mem_budget);
	if (err)
		goto err_config;
	err = flowpic_table_init(&flowpic_state.flows, flowpic_notify,
				 flowpic_genl_listening);
	if (err)
		goto err_table;
	err = flowpic_verdicts_init(&flowpic_state.verdicts, max_verdicts);
	if (err)
		goto err_verdicts;
	err = flowpic_genl_init(&flowpic_state);
	if (err)
		goto err_genl;
	err = flowpic_hook_init(&flowpic_state);
	if (err)
		goto err_hook;
	schedule_delayed_work(&flowpic_sweep_work, HZ);
	return 0;

err_hook:
	/* Hooks registered before the failure may have run: as on exit. */
	synchronize_net();
	flowpic_deliver_stop();
	flowpic_genl_exit();
err_genl:
	rcu_barrier();
	flowpic_verdicts_destroy(&flowpic_state.verdicts);
err_verdicts:
	flowpic_table_destroy(&flowpic_state.flows);
err_table:
	flowpic_config_exit();
err_config:
	flowpic_verdict_cache_exit();
err_verdict_cache:
	flowpic_flow_cache_exit();
err_cache:
	flowpic_stats_exit();
err_stats:
	return err;
}

static void __exit flowpic_exit(void)
{
	/*
	 * Everything that touches the table stops before it goes, each
	 * after what can start it: packets (flowpic_hook_exit() waits for
	 * the ones in flight), the sweep, the deliver work (packets and
	 * sweeps queue it), then requests (unregistering waits for them).
	 */
	flowpic_hook_exit();
	cancel_delayed_work_sync(&flowpic_sweep_work);
	flowpic_deliver_stop();
	flowpic_genl_exit();
	/* Flows and verdicts that left their tables wait for RCU first. */
	rcu_barrier();
	flowpic_verdicts_destroy(&flowpic_state.verdicts);
	flowpic_table_destroy(&flowpic_state.flows);
	flowpic_config_exit();
	flowpic_verdict_cache_exit();
	flowpic_flow_cache_exit();
	flowpic_stats_exit();
}

module_init(flowpic_init);
module_exit(flowpic_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowpic: FlowPic traffic collector and enforcer");
/*
 * No MODULE_ALIAS_GENL_FAMILY: generic netlink would load the module for
 * any local user (even root of an unprivileged user namespace) who asks
 * for the family, hooking every packet of the host. An administrator
 * loads it (modprobe flowpic).
 */
