/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The eBPF data path from userspace: loads bpf/datapath.bpf.c with its
 * configuration, pins its maps and program under one bpffs directory
 * (reusing maps already pinned there), attaches it to an interface's tc
 * clsact ingress and egress, and gives the daemon what it needs: completed
 * windows (ring buffer and idle sweep), labels, policy and counters.
 *
 * Errors come back as -errno with a message in the caller's buffer that
 * names the thing at fault (interface, pinned path, map, flow).
 */
#ifndef _FLOWPIC_USER_DATAPATH_H
#define _FLOWPIC_USER_DATAPATH_H

#include <stddef.h>
#include <stdint.h>

#include "flowpic.h"

#define DATAPATH_PIN_DIR	"/sys/fs/bpf/flowpic"

struct datapath_config {
	struct flowpic_geom geom;	/* channels * n * n <= 8192 */
	uint32_t max_flows;		/* flow table bound */
	uint32_t min_packets;		/* shorter windows are not sent */
	uint32_t ringbuf_bytes;		/* power of two, >= page size */
	uint32_t evict_scan;		/* flows looked at per eviction; 0: never evict */
	uint64_t idle_ns;		/* datapath_sweep() closes flows idle this long */
	int tcp_end;			/* enum flowpic_tcp_end (bpf/datapath_maps.h) */
	const char *pin_dir;		/* NULL: DATAPATH_PIN_DIR */
	int reuse;			/* reuse maps pinned there (default 1) */
};

struct datapath;

/*
 * A completed window: @w followed by w->cells dense cells. Called from
 * datapath_poll() and datapath_sweep(); a non-zero return stops them and
 * is passed back.
 */
typedef int (*datapath_window_fn)(const struct flowpic_window *w,
				  const uint8_t *cells, void *ctx);

/* mini-FlowPic defaults: 32x32, one channel, 15 s windows, 65536 flows. */
void datapath_config_default(struct datapath_config *c);

/* 0 if @c can be loaded; -EINVAL and what is wrong in @err otherwise. */
int datapath_config_check(const struct datapath_config *c, char *err,
			  size_t errlen);

/*
 * Loads the program with @c, mounting bpffs on /sys/fs/bpf if needed and
 * pinning under c->pin_dir. Maps already pinned there are reused (flows,
 * labels and policy survive a daemon restart) when their layout matches
 * @c; a mismatch is an error naming the map and what differs.
 */
int datapath_open(struct datapath **dpp, const struct datapath_config *c,
		  char *err, size_t errlen);
/* Unloads; pinned objects stay unless datapath_unpin() was called. */
void datapath_close(struct datapath *dp);
/* Removes everything pinned under the directory, and the directory. */
int datapath_unpin(struct datapath *dp);

const struct datapath_config *datapath_config(const struct datapath *dp);
/* The loaded program's fd, for BPF_PROG_TEST_RUN. */
int datapath_prog_fd(const struct datapath *dp);
/* Map fds by pin name (FLOWPIC_PIN_*), -1 if unknown. */
int datapath_map_fd(const struct datapath *dp, const char *name);

/* tc clsact ingress and egress on @ifname (the hook is created if absent). */
int datapath_attach(struct datapath *dp, const char *ifname, char *err,
		    size_t errlen);
int datapath_detach(struct datapath *dp, const char *ifname, char *err,
		    size_t errlen);

/*
 * Delivers completed windows from the ring buffer to @fn, waiting up to
 * @timeout_ms for the first. Returns windows delivered or -errno.
 */
int datapath_poll(struct datapath *dp, int timeout_ms, datapath_window_fn fn,
		  void *ctx);
/* The ring buffer's fd, for the caller's own epoll. */
int datapath_poll_fd(const struct datapath *dp);

/*
 * Closes the flows idle since before @now_ns - idle_ns (CLOCK_MONOTONIC;
 * 0: now): each open window with at least min_packets packets goes to
 * @fn with reason FLOWPIC_END_IDLE, and the flow goes; its verdict stays
 * (docs/verdicts.md).
 * Returns flows closed or -errno.
 */
int datapath_sweep(struct datapath *dp, uint64_t now_ns, datapath_window_fn fn,
		   void *ctx);

/*
 * A flow's open window (@w) and cells (@cells, w->cells bytes; may be
 * NULL). -ENOENT when the flow is not in the table.
 */
int datapath_flow(struct datapath *dp, const struct flowpic_key *key,
		  struct flowpic_window *w, uint8_t *cells, size_t cells_len);
/* Number of flows in the table, or -errno. */
int datapath_flow_count(struct datapath *dp);

/*
 * Labels @key (canonical) from its next packet on (the labels and policy
 * calls also move the "gen" map's generation, for tools that watch it). -ENOENT when the flow
 * is not in the table, -EINVAL for a key that is not canonical or a
 * label out of range.
 */
int datapath_set_label(struct datapath *dp, const struct flowpic_key *key,
		       const struct flowpic_label *label);
/*
 * The same for @n keys at once, in their order (a later entry for the
 * same flow wins): a lookup per key, then one BPF_MAP_UPDATE_BATCH and
 * one generation for all. @rc[i] is key i's result (0, -ENOENT,
 * -EINVAL, or the kernel's refusal); returns 0 or the generation's
 * -errno. Safe from several threads at once.
 */
int datapath_set_labels(struct datapath *dp, const struct flowpic_key *keys,
			const struct flowpic_label *labels, uint32_t n, int *rc);
int datapath_clear_label(struct datapath *dp, const struct flowpic_key *key);
/* The action for @class_id (< FLOWPIC_POLICY_SLOTS). */
int datapath_set_policy(struct datapath *dp, uint16_t class_id,
			const struct flowpic_action *act);

/*
 * Verdicts (docs/verdicts.md) this process added, replaced and removed;
 * present: labels in the map now; evicted: added here but neither
 * removed nor present, i.e. taken by the map's LRU (a lower bound when
 * pins held labels from before, or other writers remove some). The
 * module reports the same struct (include/flowpic_label.h).
 */
int datapath_verdict_stats(struct datapath *dp,
			   struct flowpic_verdict_stats *out);

/* Counters summed over CPUs, in enum flowpic_counter order. */
int datapath_stats(struct datapath *dp, uint64_t out[__FLOWPIC_CNT_MAX]);

#endif /* _FLOWPIC_USER_DATAPATH_H */
