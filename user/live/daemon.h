/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowpicd's engine, between a kernel side (a backend: the tc program's
 * maps, or flowpic.ko over generic netlink) and the CNN:
 *
 *   backend fd readable -> daemon_poll(): daemon_window_in() for each
 *   window the kernel completed (reader thread: picture into the bounded
 *   queue of the flow's classifier, never waiting for the model), then
 *   each classifier woken once for all of them (or as soon as a full
 *   batch waits) -> that classifier thread (batches of at most
 *   batch_max, waiting at most batch_wait for one to fill; one CNN call
 *   per batch)
 *   -> labels + confidences back into the kernel, one call per batch,
 *   one JSON line per labelled window.
 *
 * There are `classifiers` classifier threads, each with its own queue,
 * CNN scratch and counters; a flow always goes to the same one (a hash
 * of its key), so its windows are labelled in order.
 *
 * A slow model fills a queue; when it is full the window is counted in
 * queue_dropped and the kernel side goes on untouched. A window labelled
 * more than late_ns after it reached flowpicd is counted in windows_late.
 */
#ifndef _FLOWPIC_USER_DAEMON_H
#define _FLOWPIC_USER_DAEMON_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "cnn/cnn.h"
#include "model/model_file.h"
#include "flowpic.h"
#include "flow/picture.h"
#include "live/ipfix.h"
#include "live/policy.h"
#include "live/prom.h"
#include "live/shaper.h"

#define DAEMON_IFACES_MAX	16
#define DAEMON_PIN_DIR		"/sys/fs/bpf/flowpic"
#define DAEMON_STATE_DIR	"/run/flowpic"
#define DAEMON_STATS_FILE	"flowpicd.stats"

enum daemon_backend_kind {
	DAEMON_BACKEND_BPF,
	DAEMON_BACKEND_KMOD,
};

struct daemon_config {
	const char	*ifaces[DAEMON_IFACES_MAX];
	unsigned int	nifaces;
	const char	*model_path;
	const char	*policy_path;
	const char	*output_path;	/* NULL: stdout */
	const char	*pin_dir;
	const char	*state_dir;
	enum daemon_backend_kind backend;
	float		threshold;	/* below: FLOWPIC_CLASS_UNKNOWN */
	int		threshold_set;	/* given: else the model's own, if any */
	uint32_t	batch_max;
	uint64_t	batch_wait_ns;
	uint64_t	read_interval_ns;	/* the reader's pause between reads */
	uint32_t	queue_max;	/* all classifiers' queues together */
	uint32_t	classifiers;	/* classifier threads */
	uint64_t	late_ns;	/* a label later than this is late */
	uint64_t	idle_ns;	/* idle sweep closes windows this old */
	uint32_t	min_packets;
	uint32_t	max_flows;
	uint32_t	ringbuf_bytes;	/* bpf: the windows' ring buffer; 0: default */
	int		keep;		/* leave programs, labels, qdiscs */
	const char	*ipfix_url;	/* NULL: no IPFIX export */
	uint64_t	ipfix_refresh_ns;	/* UDP: templates again */
	const char	*metrics_addr;	/* NULL: no /metrics */
	/* Called once set-up is done, before any thread starts (threads
	 * inherit the caller's capabilities): least privilege. */
	int		(*drop_privileges)(char *err, size_t errlen);
	/* NULL: the one @backend names (tests give their own). */
	const struct backend_ops *backend_ops;
};

/* The model as the daemon uses it, with its class names as a list. */
struct daemon_model {
	struct model	mf;
	const char	*classes[FLOWPIC_CLASSES_MAX];
	/* per class: its provenance's (model_thresholds()), or -1 */
	float		threshold[FLOWPIC_CLASSES_MAX];
};

/*
 * The confidence threshold of class @cls of @m under @c: --threshold when
 * given, else the one calibrated into the model file for that class
 * (provenance "thresholds", else "threshold"), else the default.
 */
float daemon_threshold(const struct daemon_config *c,
		       const struct daemon_model *m, uint32_t cls);

/* Loads @path into @m. 0, or -errno with a sentence naming the file. */
int daemon_model_load(struct daemon_model *m, const char *path,
		      char *err, size_t errlen);
void daemon_model_free(struct daemon_model *m);

struct backend;

struct backend_ops {
	const char *name;
	/* Load/attach/connect with geometry @g; sentence in @err. */
	int (*open)(struct backend *b, const struct daemon_config *c,
		    const struct flowpic_geom *g, char *err, size_t errlen);
	/* The fd to poll for completed windows. */
	int (*fd)(struct backend *b);
	/* Hands every queued window to daemon_window_in(). */
	int (*consume)(struct backend *b);
	/* Closes the windows of flows idle for @idle_ns. */
	int (*sweep)(struct backend *b, uint64_t idle_ns);
	/*
	 * Labels @n flows from classifier @shard's thread (each thread
	 * calls with its own @shard only): @rc[i] is key i's result, 0,
	 * -ENOENT when the flow has left the kernel's table, or another
	 * -errno.
	 */
	void (*set_labels)(struct backend *b, unsigned int shard,
			   const struct flowpic_key *keys,
			   const struct flowpic_label *labels, uint32_t n,
			   int *rc);
	/* @table: FLOWPIC_POLICY_SLOTS actions. */
	int (*set_policy)(struct backend *b, const struct flowpic_action *table,
			  char *err, size_t errlen);
	/* __FLOWPIC_CNT_MAX counters. */
	int (*stats)(struct backend *b, uint64_t *cnt);
	/* Detaches, unless @keep. */
	void (*close)(struct backend *b, int keep);
};

struct backend {
	const struct backend_ops *ops;
	struct daemon	*d;
	void		*priv;
};

extern const struct backend_ops daemon_bpf_ops;
extern const struct backend_ops daemon_kmod_ops;

/* A completed window waiting for the model. */
struct daemon_item {
	struct flowpic_window	w;
	struct picture		pic;
	uint64_t		recv_ns;	/* CLOCK_MONOTONIC */
};

/* What flowpicd counts itself (`flowpic stats` reads them back). */
struct daemon_counters {
	uint64_t	windows_received;
	uint64_t	windows_classified;
	uint64_t	windows_unknown;
	uint64_t	windows_late;	/* labelled more than late_ns after */
	uint64_t	queue_dropped;	/* queue full: not classified */
	uint64_t	bad_records;	/* records that failed checks */
	uint64_t	socket_overruns; /* netlink: the kernel dropped some */
	uint64_t	labels_written;
	uint64_t	labels_flow_ended;	/* flow ended before its label */
	uint64_t	label_errors;	/* refused: map full, bad key */
	uint64_t	batches;
	uint64_t	reloads;
	uint64_t	reload_errors;
	uint32_t	queue_depth;
	uint32_t	queue_depth_max;
};

#define DAEMON_LAT_BUCKETS	64	/* log2 microseconds */
#define DAEMON_CLASS_NAMES_MAX	256	/* per-class counts, across reloads */

/* Windows per class name, for /metrics: names outlive a reload. */
struct daemon_class_count {
	char		name[MODEL_CLASS_NAME_MAX];
	uint64_t	windows;
	uint64_t	labels_written;
};

/* A classifier thread and its queue. */
struct daemon_shard {
	struct daemon		*d;
	unsigned int		id;
	pthread_t		thread;
	int			running;

	/* The queue: one producer (in_lock), this thread consuming. */
	pthread_mutex_t		lock;
	pthread_cond_t		cond;
	struct daemon_item	*q;
	uint32_t		q_max, q_head, q_count;
	int			fresh;		/* queued since the last wake-up */
	struct daemon_counters	cnt;		/* under lock */

	/* The thread's own, under the daemon's model_lock (read). */
	struct cnn_work		*work;
	float			*probs;
	struct flowpic_key	*keys;		/* a batch's labels */
	struct flowpic_label	*labels;
	int			*rc;
	FILE			*json;		/* a batch's lines, then out */
	char			*json_buf;
	size_t			json_len;
	uint64_t		lat_hist[DAEMON_LAT_BUCKETS];
	uint64_t		lat_sum_us;
};

struct daemon {
	struct daemon_config	cfg;
	struct backend		be;
	struct shaper		shaper;
	int			shaper_open;

	/* Model and policy (and the shards' CNN scratch, which goes with
	 * the model): read by the classifiers, swapped on reload. */
	pthread_rwlock_t	model_lock;
	struct daemon_model	*model;
	struct policy		policy;
	struct flowpic_action	actions[FLOWPIC_POLICY_SLOTS];
	struct flowpic_geom	geom;		/* the kernel side's */

	struct daemon_shard	*shards;	/* cfg.classifiers of them */
	pthread_mutex_t		in_lock;	/* producers: reader, sweeper */

	/* stop, the sweeper's wait, and cnt. */
	pthread_mutex_t		lock;
	pthread_cond_t		sweep_cond;
	int			stop;
	/* The idle sweep walks the whole flow table: a thread of its own,
	 * so the ring buffer is drained meanwhile. */
	pthread_t		sweeper;
	int			sweeper_running;

	FILE			*out;
	struct daemon_counters	cnt;	/* the daemon's own: overruns, reloads */

	/* Export to operators (daemon_export.c). */
	struct ipfix		*ipfix;
	struct prom		*prom;
	pthread_mutex_t		class_lock;
	struct daemon_class_count classes[DAEMON_CLASS_NAMES_MAX];
	unsigned int		nclasses;	/* used entries of classes[] */
	uint64_t		classes_overflow;	/* windows past the table */
};

/* Sets the defaults of every field flowpicd's options can change. */
void daemon_config_default(struct daemon_config *c);

/*
 * Loads model and policy, checks each interface, opens the backend and
 * the shaper, writes the policy, starts the classifier. 0, or -errno with
 * the cause in @err (which file, line, interface); what was set up is
 * undone.
 */
int daemon_start(struct daemon *d, const struct daemon_config *c,
		 char *err, size_t errlen);
/*
 * Reads completed windows until nothing is queued in the backend, and
 * wakes the classifiers that got some.
 */
int daemon_poll(struct daemon *d);
/* The stats file; call about once a second. */
void daemon_tick(struct daemon *d);
/*
 * Reloads model and policy (SIGHUP). On any error the running ones stay
 * and -errno comes back with the cause in @err.
 */
int daemon_reload(struct daemon *d, char *err, size_t errlen);
/* Stops the classifier (finishing queued windows), detaches unless keep. */
void daemon_stop(struct daemon *d);

/*
 * For backends: one completed window, with its cells dense
 * (flowpic_geom_cells() bytes) or sparse. Copies; never blocks on the
 * model. 0, or -ENOSPC when the queue was full (counted), -EINVAL for a
 * record that does not match the geometry (counted). Its classifier
 * starts on it at daemon_windows_ready() (or once a full batch waits).
 */
int daemon_window_in(struct daemon *d, const struct flowpic_window *w,
		     const uint8_t *dense,
		     const struct flowpic_sparse_cell *sparse, uint32_t nsparse);

/*
 * Every counter, the classifiers' summed (queue_depth_max: the deepest
 * queue's), and the latency histogram summed into @hist (may be NULL).
 */
void daemon_counters(struct daemon *d, struct daemon_counters *c,
		     uint64_t *hist, uint64_t *lat_sum_us);

/* The classifier that labels flow @k. */
unsigned int daemon_shard_of(const struct daemon *d,
			     const struct flowpic_key *k);

/* Wakes every classifier that has windows queued since its last wake-up. */
void daemon_windows_ready(struct daemon *d);

/* For backends: the kernel could not deliver some windows to us. */
void daemon_socket_overrun(struct daemon *d);

/*
 * Export (daemon_export.c): opens the IPFIX exporter and the /metrics
 * listener the configuration asks for; 0, or -errno with the cause.
 */
int daemon_export_open(struct daemon *d, char *err, size_t errlen);
/* Starts the exporter's sender thread. */
int daemon_export_start(struct daemon *d, char *err, size_t errlen);
/* The running model's classes changed (start, reload). */
void daemon_export_classes(struct daemon *d);
/* A labelled window leaves: counted per class, and an IPFIX record. */
void daemon_export_window(struct daemon *d, const struct daemon_item *it,
			  const struct flowpic_label *l, int written);
void daemon_export_close(struct daemon *d);
/* The name of kernel counter @c (enum flowpic_counter). */
const char *daemon_counter_name(unsigned int c);

/*
 * Writes the counters to @path as "name value" lines, atomically, after
 * lines naming the process, backend, interfaces, model, policy and the
 * model's classes ("classes NAME..."; in a name, bytes up to space, DEL
 * and % are written %XX).
 */
int daemon_write_stats(struct daemon *d, const char *path);

#endif /* _FLOWPIC_USER_DAEMON_H */
