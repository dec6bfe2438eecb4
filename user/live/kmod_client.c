// SPDX-License-Identifier: GPL-2.0
/*
 * libnl-genl client of flowpic.ko's generic netlink family. Requests go
 * over one socket and wait for the kernel's acknowledgement (so every
 * error, with its extack sentence, reaches the caller); completed windows
 * arrive on a second socket that only listens, so a reply is never
 * confused with an announcement.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "live/kmod_client.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct kmod_client {
	struct nl_sock *sk;		/* requests and replies */
	struct nl_sock *ev;		/* "windows" group, once subscribed */
	int family;
	char err[256];
};

/* What one request's callbacks collect. */
struct kmod_request {
	struct kmod_client *c;
	int (*parse)(struct kmod_request *r, struct nlattr **tb);
	void *out;
	int done;
	int error;			/* the kernel's errno, negative */
	int stop;			/* a callback's non-zero return */
	int (*flow_cb)(const struct kmod_flow *f, void *arg);
	void *flow_arg;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct kmod_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return 0;
}

const char *kmod_client_error(const struct kmod_client *c)
{
	return c->err;
}

/* Asks for extack sentences on @sk's errors, capped to the header. */
static void want_extack(struct nl_sock *sk)
{
	int one = 1, fd = nl_socket_get_fd(sk);

	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

int kmod_client_open(struct kmod_client **out)
{
	struct kmod_client *c;
	int err;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->sk = nl_socket_alloc();
	if (!c->sk) {
		free(c);
		return -ENOMEM;
	}
	err = genl_connect(c->sk);
	if (err < 0) {
		nl_socket_free(c->sk);
		free(c);
		return -ENOTCONN;
	}
	want_extack(c->sk);
	c->family = genl_ctrl_resolve(c->sk, FLOWPIC_GENL_NAME);
	if (c->family < 0) {
		nl_socket_free(c->sk);
		free(c);
		return -ENOENT;
	}
	*out = c;
	return 0;
}

void kmod_client_close(struct kmod_client *c)
{
	if (!c)
		return;
	if (c->ev)
		nl_socket_free(c->ev);
	nl_socket_free(c->sk);
	free(c);
}

/* The extack sentence after @e, if the kernel sent one. */
static const char *extack_msg(const struct nlmsgerr *e)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e -
						    NLMSG_HDRLEN);
	const struct nlattr *a;
	size_t off;
	int rem;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	off = nlh->nlmsg_flags & NLM_F_CAPPED ? sizeof(*e) :
	      sizeof(e->error) + NLMSG_ALIGN(e->msg.nlmsg_len);
	if (NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return NULL;
	a = (const void *)((const char *)e + off);
	rem = (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off);
	for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0 &&
		    ((const char *)nla_data(a))[nla_len(a) - 1] == '\0')
			return nla_data(a);
	}
	return NULL;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct kmod_request *r = arg;
	const char *msg = extack_msg(e);

	r->error = e->error < 0 ? e->error : -EPROTO;
	if (msg)
		fail(r->c, "flowpic.ko: %s (%s)", msg, strerror(-r->error));
	else
		fail(r->c, "flowpic.ko: %s", strerror(-r->error));
	r->done = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	((struct kmod_request *)arg)->done = 1;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct kmod_request *r = arg;
	struct nlattr *tb[FLOWPIC_A_MAX + 1];
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, FLOWPIC_A_MAX, NULL);
	if (err < 0) {
		r->error = -EPROTO;
		fail(r->c, "flowpic.ko sent a malformed reply");
		return NL_STOP;
	}
	if (!r->parse)
		return NL_OK;
	err = r->parse(r, tb);
	if (err < 0) {
		r->error = err;
		return NL_STOP;
	}
	if (err > 0) {
		r->stop = err;
		return NL_STOP;
	}
	return NL_OK;
}

/* Sends @msg (freed here) and reads until the ack, error or dump end. */
static int transact(struct kmod_client *c, struct nl_msg *msg,
		    struct kmod_request *r)
{
	struct nl_cb *cb;
	int err;

	c->err[0] = '\0';
	r->c = c;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);

	err = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(cb);
		fail(c, "sending to flowpic.ko: %s", nl_geterror(err));
		return -EIO;
	}
	while (!r->done && !r->error && !r->stop) {
		err = nl_recvmsgs(c->sk, cb);
		if (err < 0 && !r->error && !r->stop) {
			fail(c, "reading from flowpic.ko: %s", nl_geterror(err));
			r->error = -EIO;
		}
	}
	nl_cb_put(cb);
	if (r->error)
		return r->error;
	return r->stop;
}

static struct nl_msg *request(struct kmod_client *c, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			 flags | NLM_F_ACK, cmd, FLOWPIC_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Copies attribute @a, which must be exactly @len bytes, into @dst. */
static int get_exact(struct kmod_client *c, const struct nlattr *a,
		     void *dst, size_t len, const char *what)
{
	if (!a || (size_t)nla_len(a) != len) {
		fail(c, "flowpic.ko reply: %s missing or not %zu bytes", what,
		     len);
		return -EPROTO;
	}
	memcpy(dst, nla_data(a), len);
	return 0;
}

static int parse_config(struct kmod_request *r, struct nlattr **tb)
{
	struct kmod_config *cfg = r->out;

	if (get_exact(r->c, tb[FLOWPIC_A_GEOM], &cfg->geom, sizeof(cfg->geom),
		      "FLOWPIC_A_GEOM") ||
	    get_exact(r->c, tb[FLOWPIC_A_MAX_FLOWS], &cfg->max_flows, 4,
		      "FLOWPIC_A_MAX_FLOWS") ||
	    get_exact(r->c, tb[FLOWPIC_A_MAX_CELLS], &cfg->max_cells, 4,
		      "FLOWPIC_A_MAX_CELLS") ||
	    get_exact(r->c, tb[FLOWPIC_A_IDLE_NS], &cfg->idle_ns, 8,
		      "FLOWPIC_A_IDLE_NS") ||
	    get_exact(r->c, tb[FLOWPIC_A_MIN_PACKETS], &cfg->min_packets, 4,
		      "FLOWPIC_A_MIN_PACKETS"))
		return -EPROTO;
	return 0;
}

int kmod_client_get_config(struct kmod_client *c, struct kmod_config *cfg)
{
	struct kmod_request r = { .parse = parse_config, .out = cfg };
	struct nl_msg *msg = request(c, FLOWPIC_CMD_GET_CONFIG, 0);

	if (!msg)
		return -ENOMEM;
	memset(cfg, 0, sizeof(*cfg));
	return transact(c, msg, &r);
}

int kmod_client_set_config(struct kmod_client *c,
			   const struct kmod_config *cfg, unsigned int fields)
{
	struct kmod_request r = { 0 };
	struct nl_msg *msg = request(c, FLOWPIC_CMD_SET_CONFIG, 0);

	if (!msg)
		return -ENOMEM;
	if (((fields & KMOD_CONFIG_GEOM) &&
	     nla_put(msg, FLOWPIC_A_GEOM, sizeof(cfg->geom), &cfg->geom)) ||
	    ((fields & KMOD_CONFIG_MAX_FLOWS) &&
	     nla_put_u32(msg, FLOWPIC_A_MAX_FLOWS, cfg->max_flows)) ||
	    ((fields & KMOD_CONFIG_MAX_CELLS) &&
	     nla_put_u32(msg, FLOWPIC_A_MAX_CELLS, cfg->max_cells)) ||
	    ((fields & KMOD_CONFIG_IDLE_NS) &&
	     nla_put_u64(msg, FLOWPIC_A_IDLE_NS, cfg->idle_ns)) ||
	    ((fields & KMOD_CONFIG_MIN_PACKETS) &&
	     nla_put_u32(msg, FLOWPIC_A_MIN_PACKETS, cfg->min_packets))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(c, msg, &r);
}

static int parse_stats(struct kmod_request *r, struct nlattr **tb)
{
	return get_exact(r->c, tb[FLOWPIC_A_STATS], r->out,
			 sizeof(uint64_t) * __FLOWPIC_CNT_MAX, "FLOWPIC_A_STATS");
}

int kmod_client_get_stats(struct kmod_client *c, uint64_t *cnt)
{
	struct kmod_request r = { .parse = parse_stats, .out = cnt };
	struct nl_msg *msg = request(c, FLOWPIC_CMD_GET_STATS, 0);

	if (!msg)
		return -ENOMEM;
	return transact(c, msg, &r);
}

static int parse_verdict_stats(struct kmod_request *r, struct nlattr **tb)
{
	const struct nlattr *a = tb[FLOWPIC_A_VERDICTS];

	/* An older module's, without refused. */
	memset(r->out, 0, sizeof(struct flowpic_verdict_stats));
	if (a && nla_len(a) == FLOWPIC_VERDICT_STATS_V1_SIZE)
		return get_exact(r->c, a, r->out, FLOWPIC_VERDICT_STATS_V1_SIZE,
				 "FLOWPIC_A_VERDICTS");
	return get_exact(r->c, a, r->out, sizeof(struct flowpic_verdict_stats),
			 "FLOWPIC_A_VERDICTS");
}

int kmod_client_verdict_stats(struct kmod_client *c,
			      struct flowpic_verdict_stats *vs)
{
	struct kmod_request r = { .parse = parse_verdict_stats, .out = vs };
	struct nl_msg *msg = request(c, FLOWPIC_CMD_GET_STATS, 0);

	if (!msg)
		return -ENOMEM;
	return transact(c, msg, &r);
}

int kmod_client_set_label(struct kmod_client *c, const struct flowpic_key *key,
			  const struct flowpic_label *label,
			  const struct flowpic_action *action)
{
	struct kmod_request r = { 0 };
	struct nl_msg *msg = request(c, FLOWPIC_CMD_SET_LABEL, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, FLOWPIC_A_KEY, sizeof(*key), key) ||
	    nla_put(msg, FLOWPIC_A_LABEL, sizeof(*label), label) ||
	    (action && nla_put(msg, FLOWPIC_A_ACTION, sizeof(*action),
			       action))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(c, msg, &r);
}

int kmod_client_clear_label(struct kmod_client *c,
			    const struct flowpic_key *key)
{
	struct kmod_request r = { 0 };
	struct nl_msg *msg = request(c, FLOWPIC_CMD_DEL_LABEL, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, FLOWPIC_A_KEY, sizeof(*key), key)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(c, msg, &r);
}

int kmod_client_set_policy(struct kmod_client *c, uint16_t class_id,
			   const struct flowpic_action *action)
{
	struct kmod_request r = { 0 };
	struct nl_msg *msg = request(c, FLOWPIC_CMD_SET_POLICY, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u16(msg, FLOWPIC_A_CLASS, class_id) ||
	    nla_put(msg, FLOWPIC_A_ACTION, sizeof(*action), action)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(c, msg, &r);
}

static int parse_flow(struct kmod_request *r, struct nlattr **tb)
{
	struct kmod_flow f;

	memset(&f, 0, sizeof(f));
	if (get_exact(r->c, tb[FLOWPIC_A_WINDOW], &f.window, sizeof(f.window),
		      "FLOWPIC_A_WINDOW"))
		return -EPROTO;
	if (tb[FLOWPIC_A_LABEL]) {
		if (get_exact(r->c, tb[FLOWPIC_A_LABEL], &f.label,
			      sizeof(f.label), "FLOWPIC_A_LABEL"))
			return -EPROTO;
		f.has_label = 1;
	}
	if (tb[FLOWPIC_A_ACTION]) {
		if (get_exact(r->c, tb[FLOWPIC_A_ACTION], &f.action,
			      sizeof(f.action), "FLOWPIC_A_ACTION"))
			return -EPROTO;
		f.has_action = 1;
	}
	return r->flow_cb(&f, r->flow_arg);
}

int kmod_client_dump_flows(struct kmod_client *c,
			   int (*cb)(const struct kmod_flow *f, void *arg),
			   void *arg)
{
	struct kmod_request r = {
		.parse = parse_flow, .flow_cb = cb, .flow_arg = arg,
	};
	struct nl_msg *msg = request(c, FLOWPIC_CMD_GET_FLOWS, NLM_F_DUMP);
	int err;

	if (!msg)
		return -ENOMEM;
	err = transact(c, msg, &r);
	if (r.stop && !r.done) {
		/*
		 * The caller stopped early: the rest of the dump is still on
		 * the socket. A fresh socket is cheaper than reading it.
		 */
		struct kmod_client *fresh;

		if (!kmod_client_open(&fresh)) {
			struct nl_sock *old = c->sk;

			c->sk = fresh->sk;
			fresh->sk = old;
			kmod_client_close(fresh);
		}
	}
	return err;
}

int kmod_client_subscribe(struct kmod_client *c)
{
	int grp, err;

	if (c->ev)
		return 0;
	grp = genl_ctrl_resolve_grp(c->sk, FLOWPIC_GENL_NAME,
				    FLOWPIC_GENL_MCGRP_WINDOWS);
	if (grp < 0) {
		fail(c, "flowpic.ko has no \"%s\" multicast group",
		     FLOWPIC_GENL_MCGRP_WINDOWS);
		return -ENOENT;
	}
	c->ev = nl_socket_alloc();
	if (!c->ev)
		return -ENOMEM;
	nl_socket_disable_seq_check(c->ev);
	err = genl_connect(c->ev);
	if (!err)
		err = nl_socket_add_membership(c->ev, grp);
	if (!err)
		err = nl_socket_set_nonblocking(c->ev);
	if (err < 0) {
		fail(c, "joining flowpic.ko's windows group: %s",
		     nl_geterror(err));
		nl_socket_free(c->ev);
		c->ev = NULL;
		return err == -NLE_PERM ? -EPERM : -EIO;
	}
	/* Windows come in bursts at window ends: room for them. */
	nl_socket_set_buffer_size(c->ev, 8 << 20, 0);
	return 0;
}

int kmod_client_windows_fd(const struct kmod_client *c)
{
	return c->ev ? nl_socket_get_fd(c->ev) : -1;
}

struct window_walk {
	struct kmod_client *c;
	int (*cb)(const struct kmod_window *w, void *arg);
	void *arg;
	int ret;
	struct flowpic_sparse_cell *buf;	/* cells of split windows */
	size_t cap;
};

/*
 * The cells of a window, which a large picture spreads over several
 * FLOWPIC_A_CELLS attributes; copied together only in that case.
 */
static int window_cells(struct window_walk *ww, struct nlmsghdr *nlh,
			struct kmod_window *w)
{
	const size_t cell = sizeof(struct flowpic_sparse_cell);
	struct nlattr *a, *first = NULL;
	size_t total = 0, n = 0;
	int rem, parts = 0;

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		if (nla_type(a) != FLOWPIC_A_CELLS)
			continue;
		if (nla_len(a) % cell) {
			fail(ww->c, "flowpic.ko window: FLOWPIC_A_CELLS of %d "
			     "bytes", nla_len(a));
			return -EPROTO;
		}
		total += nla_len(a) / cell;
		first = first ? first : a;
		parts++;
	}
	w->ncells = total;
	w->cells = NULL;
	if (parts <= 1) {
		w->cells = first ? nla_data(first) : NULL;
		goto check;
	}
	if (total > ww->cap) {
		void *p = realloc(ww->buf, total * cell);

		if (!p)
			return -ENOMEM;
		ww->buf = p;
		ww->cap = total;
	}
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		if (nla_type(a) != FLOWPIC_A_CELLS)
			continue;
		memcpy(ww->buf + n, nla_data(a), nla_len(a));
		n += nla_len(a) / cell;
	}
	w->cells = ww->buf;
check:
	if (w->ncells != w->window.cells) {
		fail(ww->c, "flowpic.ko window: %u cells announced, %u sent",
		     w->window.cells, w->ncells);
		return -EPROTO;
	}
	return 0;
}

static int on_window(struct nl_msg *msg, void *arg)
{
	struct window_walk *ww = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *a;
	struct kmod_window w;

	if (gh->cmd != FLOWPIC_CMD_WINDOW)
		return NL_OK;
	a = nlmsg_find_attr(nlh, GENL_HDRLEN, FLOWPIC_A_WINDOW);
	if (get_exact(ww->c, a, &w.window, sizeof(w.window),
		      "FLOWPIC_A_WINDOW")) {
		ww->ret = -EPROTO;
		return NL_STOP;
	}
	ww->ret = window_cells(ww, nlh, &w);
	if (ww->ret)
		return NL_STOP;
	ww->ret = ww->cb(&w, ww->arg);
	return ww->ret ? NL_STOP : NL_OK;
}

/* Announcements carry no sequence number of ours. */
static int no_seq_check(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

int kmod_client_recv_windows(struct kmod_client *c,
			     int (*cb)(const struct kmod_window *w, void *arg),
			     void *arg)
{
	struct window_walk ww = { .c = c, .cb = cb, .arg = arg };
	struct nl_cb *ncb;
	int err;

	if (!c->ev) {
		fail(c, "not subscribed to flowpic.ko's windows");
		return -EINVAL;
	}
	ncb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ncb)
		return -ENOMEM;
	nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, on_window, &ww);
	nl_cb_set(ncb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	do {
		err = nl_recvmsgs(c->ev, ncb);
	} while (err >= 0 && !ww.ret);
	nl_cb_put(ncb);
	free(ww.buf);
	if (ww.ret)
		return ww.ret;
	if (err == -NLE_AGAIN)
		return 0;
	if (err == -NLE_NOMEM) {
		fail(c, "windows lost: the socket's buffer overran");
		return -ENOBUFS;
	}
	fail(c, "reading flowpic.ko's windows: %s", nl_geterror(err));
	return -EIO;
}
