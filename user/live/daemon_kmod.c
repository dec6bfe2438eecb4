// SPDX-License-Identifier: GPL-2.0
/*
 * flowpicd --backend kmod: flowpic.ko over generic netlink. The module
 * hooks netfilter on every interface and sweeps idle flows itself; this
 * backend configures it, reads the "windows" multicast group and writes
 * labels and the policy. A client belongs to one thread: the main
 * thread's (config, windows, policy, stats) and one per classifier
 * (labels).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/daemon.h"
#include "live/kmod_client.h"

struct kmod_backend {
	struct kmod_client *ctl;
	unsigned int nlbl;
	struct kmod_client *lbl[];	/* one per classifier */
};

static void lbl_close(struct kmod_backend *k)
{
	while (k->nlbl)
		kmod_client_close(k->lbl[--k->nlbl]);
}

static int kmod_open(struct backend *b, const struct daemon_config *c,
		     const struct flowpic_geom *g, char *err, size_t errlen)
{
	struct kmod_backend *k;
	struct kmod_config cfg;
	int rc;

	k = calloc(1, sizeof(*k) + c->classifiers * sizeof(k->lbl[0]));
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = kmod_client_open(&k->ctl);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "the flowpic kernel module is not loaded "
			 "(modprobe flowpic, or use --backend bpf)");
		goto err_free;
	}
	if (rc) {
		snprintf(err, errlen, "flowpic module: %s", strerror(-rc));
		goto err_free;
	}
	for (; k->nlbl < c->classifiers; k->nlbl++) {
		rc = kmod_client_open(&k->lbl[k->nlbl]);
		if (rc) {
			snprintf(err, errlen, "flowpic module: %s",
				 strerror(-rc));
			goto err_ctl;
		}
	}
	rc = kmod_client_get_config(k->ctl, &cfg);
	if (rc)
		goto err_msg;
	cfg.geom = *g;
	cfg.idle_ns = c->idle_ns;
	cfg.min_packets = c->min_packets;
	cfg.max_flows = c->max_flows;
	rc = kmod_client_set_config(k->ctl, &cfg, KMOD_CONFIG_GEOM |
				    KMOD_CONFIG_IDLE_NS |
				    KMOD_CONFIG_MIN_PACKETS |
				    KMOD_CONFIG_MAX_FLOWS);
	if (rc)
		goto err_msg;
	rc = kmod_client_subscribe(k->ctl);
	if (rc)
		goto err_msg;
	b->priv = k;
	return 0;

err_msg:
	snprintf(err, errlen, "flowpic module: %s",
		 kmod_client_error(k->ctl));
err_ctl:
	lbl_close(k);
	kmod_client_close(k->ctl);
err_free:
	free(k);
	return rc;
}

static int kmod_fd(struct backend *b)
{
	struct kmod_backend *k = b->priv;

	return kmod_client_windows_fd(k->ctl);
}

static int kmod_window(const struct kmod_window *w, void *arg)
{
	struct backend *b = arg;

	daemon_window_in(b->d, &w->window, NULL, w->cells, w->ncells);
	return 0;
}

static int kmod_consume(struct backend *b)
{
	struct kmod_backend *k = b->priv;
	int rc;

	rc = kmod_client_recv_windows(k->ctl, kmod_window, b);
	if (rc == -ENOBUFS) {
		/* The module counts what it could not deliver. */
		daemon_socket_overrun(b->d);
		rc = 0;
	}
	return rc;
}

static int kmod_sweep(struct backend *b, uint64_t idle_ns)
{
	return 0;	/* the module closes idle windows by its own timer */
}

static void kmod_set_labels(struct backend *b, unsigned int shard,
			    const struct flowpic_key *keys,
			    const struct flowpic_label *labels, uint32_t n,
			    int *rc)
{
	struct kmod_backend *k = b->priv;
	uint32_t i;

	for (i = 0; i < n; i++)
		rc[i] = kmod_client_set_label(k->lbl[shard], &keys[i],
					      &labels[i], NULL);
}

static int kmod_set_policy(struct backend *b,
			   const struct flowpic_action *table,
			   char *err, size_t errlen)
{
	struct kmod_backend *k = b->priv;
	uint16_t s;
	int rc;

	for (s = 0; s < FLOWPIC_POLICY_SLOTS; s++) {
		rc = kmod_client_set_policy(k->ctl, s, &table[s]);
		if (rc) {
			snprintf(err, errlen, "flowpic module: policy slot "
				 "%u: %s", s, kmod_client_error(k->ctl));
			return rc;
		}
	}
	return 0;
}

static int kmod_stats(struct backend *b, uint64_t *cnt)
{
	struct kmod_backend *k = b->priv;

	return kmod_client_get_stats(k->ctl, cnt);
}

static void kmod_close(struct backend *b, int keep)
{
	struct flowpic_action pass[FLOWPIC_POLICY_SLOTS];
	struct kmod_backend *k = b->priv;
	char err[256];

	if (!k)
		return;
	/* The module stays loaded; without --keep, enforcement stops. */
	if (!keep) {
		memset(pass, 0, sizeof(pass));
		if (kmod_set_policy(b, pass, err, sizeof(err)))
			fprintf(stderr, "flowpicd: %s\n", err);
	}
	lbl_close(k);
	kmod_client_close(k->ctl);
	free(k);
	b->priv = NULL;
}

const struct backend_ops daemon_kmod_ops = {
	.name		= "kmod",
	.open		= kmod_open,
	.fd		= kmod_fd,
	.consume	= kmod_consume,
	.sweep		= kmod_sweep,
	.set_labels	= kmod_set_labels,
	.set_policy	= kmod_set_policy,
	.stats		= kmod_stats,
	.close		= kmod_close,
};
