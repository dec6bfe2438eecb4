// SPDX-License-Identifier: GPL-2.0
/*
 * flowpicd --backend bpf (the default): the tc program through
 * user/live/datapath.h. Maps pinned by an earlier flowpicd (a restart, a crash,
 * --keep) are reused, so flows and labels survive; the program stays
 * attached between the two, so enforcement never stops.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "live/daemon.h"
#include "live/datapath.h"

struct bpf_backend {
	struct datapath	*dp;
	unsigned int	attached;	/* ifaces[0 .. attached) */
};

/*
 * Pinning needs a bpffs; say so plainly rather than as a libbpf error.
 * /sys/fs/bpf itself the data path mounts when it is missing.
 */
static int check_bpffs(const char *pin_dir, char *err, size_t errlen)
{
	char buf[PATH_MAX], *parent;
	struct statfs st;

	snprintf(buf, sizeof(buf), "%s", pin_dir);
	parent = dirname(buf);
	if (!strcmp(parent, "/sys/fs/bpf"))
		return 0;
	if (statfs(parent, &st)) {
		snprintf(err, errlen, "BPF is not available: --pin-dir %s: "
			 "%s: %s", pin_dir, parent, strerror(errno));
		return -ENOENT;
	}
	if (st.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen, "BPF is not available: --pin-dir %s is "
			 "not on a BPF filesystem (mount -t bpf bpf %s, or "
			 "pin under /sys/fs/bpf)", pin_dir, parent);
		return -ENOTSUP;
	}
	return 0;
}

static int bpf_open(struct backend *b, const struct daemon_config *c,
		    const struct flowpic_geom *g, char *err, size_t errlen)
{
	struct datapath_config dc;
	struct bpf_backend *k;
	char msg[512];
	unsigned int i;
	int rc;

	rc = check_bpffs(c->pin_dir, err, errlen);
	if (rc)
		return rc;
	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	datapath_config_default(&dc);
	dc.geom = *g;
	dc.max_flows = c->max_flows;
	if (c->ringbuf_bytes)
		dc.ringbuf_bytes = c->ringbuf_bytes;
	dc.min_packets = c->min_packets;
	dc.idle_ns = c->idle_ns;
	dc.pin_dir = c->pin_dir;
	dc.reuse = 1;
	rc = datapath_config_check(&dc, msg, sizeof(msg));
	if (rc) {
		snprintf(err, errlen, "%s: the model's FlowPic does not fit "
			 "the tc data path: %s", c->model_path, msg);
		goto err_free;
	}
	rc = datapath_open(&k->dp, &dc, msg, sizeof(msg));
	if (rc) {
		snprintf(err, errlen, "BPF is not available: %s", msg);
		goto err_free;
	}
	for (i = 0; i < c->nifaces; i++) {
		rc = datapath_attach(k->dp, c->ifaces[i], msg, sizeof(msg));
		if (rc) {
			snprintf(err, errlen, "%s", msg);
			goto err_detach;
		}
		k->attached = i + 1;
	}
	b->priv = k;
	return 0;

err_detach:
	for (i = 0; i < k->attached; i++)
		datapath_detach(k->dp, c->ifaces[i], msg, sizeof(msg));
	if (!c->keep)
		datapath_unpin(k->dp);
	datapath_close(k->dp);
err_free:
	free(k);
	return rc;
}

static int bpf_fd(struct backend *b)
{
	struct bpf_backend *k = b->priv;

	return datapath_poll_fd(k->dp);
}

static int bpf_window(const struct flowpic_window *w, const uint8_t *cells,
		      void *ctx)
{
	struct backend *b = ctx;

	daemon_window_in(b->d, w, cells, NULL, 0);
	return 0;	/* a full queue is counted; go on draining */
}

static int bpf_consume(struct backend *b)
{
	struct bpf_backend *k = b->priv;

	return datapath_poll(k->dp, 0, bpf_window, b);
}

static int bpf_sweep(struct backend *b, uint64_t idle_ns)
{
	struct bpf_backend *k = b->priv;

	return datapath_sweep(k->dp, 0, bpf_window, b);
}

static void bpf_set_labels(struct backend *b, unsigned int shard,
			   const struct flowpic_key *keys,
			   const struct flowpic_label *labels, uint32_t n,
			   int *rc)
{
	struct bpf_backend *k = b->priv;

	datapath_set_labels(k->dp, keys, labels, n, rc);
}

static int bpf_set_policy(struct backend *b, const struct flowpic_action *t,
			  char *err, size_t errlen)
{
	struct bpf_backend *k = b->priv;
	uint16_t s;
	int rc;

	for (s = 0; s < FLOWPIC_POLICY_SLOTS; s++) {
		rc = datapath_set_policy(k->dp, s, &t[s]);
		if (rc) {
			snprintf(err, errlen, "policy map, slot %u: %s", s,
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int bpf_stats(struct backend *b, uint64_t *cnt)
{
	struct bpf_backend *k = b->priv;

	return datapath_stats(k->dp, cnt);
}

static void bpf_close(struct backend *b, int keep)
{
	struct bpf_backend *k = b->priv;
	const struct daemon_config *c = &b->d->cfg;
	char msg[512];
	unsigned int i;

	if (!k)
		return;
	if (!keep) {
		for (i = 0; i < k->attached; i++)
			if (datapath_detach(k->dp, c->ifaces[i], msg,
					    sizeof(msg)))
				fprintf(stderr, "flowpicd: %s\n", msg);
		datapath_unpin(k->dp);
	}
	datapath_close(k->dp);
	free(k);
	b->priv = NULL;
}

const struct backend_ops daemon_bpf_ops = {
	.name		= "bpf",
	.open		= bpf_open,
	.fd		= bpf_fd,
	.consume	= bpf_consume,
	.sweep		= bpf_sweep,
	.set_labels	= bpf_set_labels,
	.set_policy	= bpf_set_policy,
	.stats		= bpf_stats,
	.close		= bpf_close,
};
