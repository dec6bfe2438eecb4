/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace end of the "flowpic" generic netlink family
 * (include/flowpic_genl.h): how flowpicd --backend kmod and the flowpic
 * command talk to flowpic.ko, through libnl-genl-3.
 *
 * Every call returns 0 or a negative errno; on failure
 * kmod_client_error() holds a sentence, with the module's own extack
 * message when it sent one (which attribute was refused and why).
 * A client is not thread-safe: one thread per client.
 */
#ifndef _FLOWPIC_USER_KMOD_CLIENT_H
#define _FLOWPIC_USER_KMOD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "flowpic.h"

struct kmod_client;

struct kmod_config {
	struct flowpic_geom geom;
	uint32_t max_flows;
	uint32_t max_cells;
	uint64_t idle_ns;
	uint32_t min_packets;
};

/* Which fields of struct kmod_config a kmod_client_set_config() sends. */
enum kmod_config_field {
	KMOD_CONFIG_GEOM	= 1 << 0,
	KMOD_CONFIG_MAX_FLOWS	= 1 << 1,
	KMOD_CONFIG_MAX_CELLS	= 1 << 2,
	KMOD_CONFIG_IDLE_NS	= 1 << 3,
	KMOD_CONFIG_MIN_PACKETS	= 1 << 4,
	KMOD_CONFIG_ALL		= (1 << 5) - 1,
};

/* One flow of a FLOWPIC_CMD_GET_FLOWS dump. */
struct kmod_flow {
	struct flowpic_window window;	/* open window; .cells = non-empty */
	struct flowpic_label label;
	struct flowpic_action action;
	int has_label;
	int has_action;
};

/* One completed window from the "windows" multicast group. */
struct kmod_window {
	struct flowpic_window window;
	const struct flowpic_sparse_cell *cells;	/* index-sorted */
	uint32_t ncells;
};

/*
 * Connects to flowpic.ko's family. -ENOENT when the family is not
 * registered (module not loaded).
 */
int kmod_client_open(struct kmod_client **out);
void kmod_client_close(struct kmod_client *c);
/* The last failure, as a sentence; "" after a success. */
const char *kmod_client_error(const struct kmod_client *c);

int kmod_client_get_config(struct kmod_client *c, struct kmod_config *cfg);
/* Sends the fields of @cfg named in @fields (enum kmod_config_field). */
int kmod_client_set_config(struct kmod_client *c,
			   const struct kmod_config *cfg, unsigned int fields);
/* @cnt gets __FLOWPIC_CNT_MAX counters, enum flowpic_counter order. */
int kmod_client_get_stats(struct kmod_client *c, uint64_t *cnt);

/* The verdict table's counters (FLOWPIC_A_VERDICTS of GET_STATS). */
int kmod_client_verdict_stats(struct kmod_client *c,
			      struct flowpic_verdict_stats *vs);

/*
 * Labels a flow (FLOWPIC_CMD_SET_LABEL); @action NULL leaves the class
 * policy in charge. -ENOENT when the flow is neither in the flow table
 * nor labelled already.
 */
int kmod_client_set_label(struct kmod_client *c, const struct flowpic_key *key,
			  const struct flowpic_label *label,
			  const struct flowpic_action *action);
/* Removes a flow's verdict (FLOWPIC_CMD_DEL_LABEL); -ENOENT if none. */
int kmod_client_clear_label(struct kmod_client *c,
			    const struct flowpic_key *key);
/* Sets the action for @class_id (< FLOWPIC_POLICY_SLOTS). */
int kmod_client_set_policy(struct kmod_client *c, uint16_t class_id,
			   const struct flowpic_action *action);

/*
 * Calls @cb once per flow in the table; a non-zero return from @cb stops
 * the dump and is returned.
 */
int kmod_client_dump_flows(struct kmod_client *c,
			   int (*cb)(const struct kmod_flow *f, void *arg),
			   void *arg);

/*
 * Joins the "windows" multicast group (needs CAP_NET_ADMIN) on a socket
 * of its own. kmod_client_windows_fd() is that socket, for poll();
 * kmod_client_recv_windows() reads what is queued without blocking and
 * calls @cb per window (the cells live until @cb returns). -ENOBUFS when
 * the kernel dropped windows because we read too slowly; the socket stays
 * usable.
 */
int kmod_client_subscribe(struct kmod_client *c);
int kmod_client_windows_fd(const struct kmod_client *c);
int kmod_client_recv_windows(struct kmod_client *c,
			     int (*cb)(const struct kmod_window *w, void *arg),
			     void *arg);

#endif /* _FLOWPIC_USER_KMOD_CLIENT_H */
