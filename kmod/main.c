// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic.ko: builds FlowPics (packet size x arrival time histograms) of
 * the host's TCP and UDP flows and applies the verdicts flowpicd labels
 * them with. A packet goes hook.c -> verdict.c (its verdict) ->
 * flow_table.c -> window.c (its histogram) -> policy.c (the verdict
 * applied); closed windows leave through netlink.c; labels come back the
 * same way into verdict.c. Each network namespace has all of that to
 * itself (netns.c); the memory budget (budget.c) is one, host-wide.
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
#include "netlink.h"
#include "netns.h"
#include "verdict.h"

static unsigned int max_flows = 65536;
module_param(max_flows, uint, 0444);
MODULE_PARM_DESC(max_flows,
		 "Flow table bound of each network namespace, 1..1048576 (default 65536)");

static unsigned int max_verdicts;
module_param(max_verdicts, uint, 0444);
MODULE_PARM_DESC(max_verdicts,
		 "Verdict table bound of each network namespace, least recently used out (default: max_flows, at least 4096)");

static unsigned long mem_budget;
module_param(mem_budget, ulong, 0444);
MODULE_PARM_DESC(mem_budget,
		 "Bytes flows, their FlowPics and verdicts may hold, all namespaces together (default: an eighth of RAM)");

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

	err = flowpic_flow_cache_init();
	if (err)
		goto err_cache;
	err = flowpic_verdict_cache_init();
	if (err)
		goto err_verdict_cache;
	err = flowpic_config_setup(max_flows, max_verdicts);
	if (err == -E2BIG)
		pr_err("flowpic: max_flows=%u flows do not fit mem_budget=%lu bytes beside max_verdicts=%u verdicts of %zu bytes\n",
		       max_flows, mem_budget, max_verdicts,
		       flowpic_verdict_bytes());
	if (err)
		goto err_config;
	/* Every namespace's state first: requests find theirs. */
	err = flowpic_netns_init(max_verdicts);
	if (err)
		goto err_netns;
	err = flowpic_genl_init();
	if (err)
		goto err_genl;
	flowpic_netns_deliver_start();
	return 0;

err_genl:
	flowpic_netns_exit();
err_netns:
	/* Flows and verdicts that left their tables wait for RCU first. */
	rcu_barrier();
err_config:
	flowpic_verdict_cache_exit();
err_verdict_cache:
	flowpic_flow_cache_exit();
err_cache:
	return err;
}

static void __exit flowpic_exit(void)
{
	/*
	 * Everything that touches a table stops before it goes, each after
	 * what can start it: deliveries (windows are no longer announced),
	 * requests (unregistering the family waits for them), then in each
	 * namespace packets (a grace period after unhooking waits for the
	 * ones in flight), the sweep and the deliver work (netns.c).
	 */
	flowpic_netns_deliver_stop();
	flowpic_genl_exit();
	flowpic_netns_exit();
	/* Flows and verdicts that left their tables wait for RCU first. */
	rcu_barrier();
	flowpic_verdict_cache_exit();
	flowpic_flow_cache_exit();
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
