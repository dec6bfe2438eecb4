// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic.ko: builds FlowPics (packet size x arrival time histograms) of
 * the host's TCP and UDP flows and applies the verdicts flowpicd labels
 * them with. Loading sets up the counters, the configuration and the
 * "flowpic" generic netlink family, in that order; unloading undoes them
 * in reverse.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "flowpic.h"
#include "config.h"
#include "netlink.h"
#include "stats.h"

static unsigned int max_flows = 65536;
module_param(max_flows, uint, 0444);
MODULE_PARM_DESC(max_flows, "Flow table bound, 1..1048576 (default 65536)");

static int __init flowpic_init(void)
{
	int err;

	if (!max_flows || max_flows > FLOWPIC_MAX_FLOWS_LIMIT) {
		pr_err("flowpic: max_flows=%u is outside 1..%u\n", max_flows,
		       FLOWPIC_MAX_FLOWS_LIMIT);
		return -EINVAL;
	}

	err = flowpic_stats_init();
	if (err)
		goto err_stats;
	err = flowpic_config_init(max_flows);
	if (err)
		goto err_config;
	err = flowpic_genl_init();
	if (err)
		goto err_genl;
	return 0;

err_genl:
	flowpic_config_exit();
err_config:
	flowpic_stats_exit();
err_stats:
	return err;
}

static void __exit flowpic_exit(void)
{
	flowpic_genl_exit();
	flowpic_config_exit();
	flowpic_stats_exit();
}

module_init(flowpic_init);
module_exit(flowpic_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowpic: FlowPic traffic collector and enforcer");
MODULE_ALIAS_GENL_FAMILY(FLOWPIC_GENL_NAME);
