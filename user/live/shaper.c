// SPDX-License-Identifier: GPL-2.0
/*
 * The HTB qdisc behind "shape RATE", through libnl-route. flowpic owns
 * exactly one root qdisc per interface, handle f1c:, and never touches a
 * root qdisc somebody else configured: the kernel's default ones (handle
 * 0:) are replaced, anything else is a refusal that names it.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>

#include "live/shaper.h"

int shaper_open(struct shaper *s, char *err, size_t errlen)
{
	int rc;

	s->sk = nl_socket_alloc();
	if (!s->sk) {
		snprintf(err, errlen, "shaper: out of memory");
		return -ENOMEM;
	}
	rc = nl_connect(s->sk, NETLINK_ROUTE);
	if (rc < 0) {
		snprintf(err, errlen, "shaper: route netlink: %s",
			 nl_geterror(rc));
		nl_socket_free(s->sk);
		s->sk = NULL;
		return -ECONNREFUSED;
	}
	return 0;
}

void shaper_close(struct shaper *s)
{
	if (s->sk)
		nl_socket_free(s->sk);
	s->sk = NULL;
}

/* libnl error codes to errno, for the few that matter here. */
static int nl_errno(int rc)
{
	switch (-rc) {
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENOENT;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

/*
 * The root qdisc of @ifindex as a new reference (NULL if none is listed),
 * in *@q. 0 or a libnl error.
 */
static int root_qdisc(struct shaper *s, int ifindex, struct rtnl_qdisc **q)
{
	struct nl_cache *cache;
	int rc;

	*q = NULL;
	rc = rtnl_qdisc_alloc_cache(s->sk, &cache);
	if (rc < 0)
		return rc;
	*q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_ROOT);
	nl_cache_free(cache);
	return 0;
}

static int is_ours(struct rtnl_qdisc *q)
{
	const char *kind = rtnl_tc_get_kind(TC_CAST(q));

	return rtnl_tc_get_handle(TC_CAST(q)) == SHAPER_HANDLE &&
	       kind && !strcmp(kind, "htb");
}

int shaper_present(struct shaper *s, const char *ifname)
{
	struct rtnl_qdisc *q;
	int ifindex, rc;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	rc = root_qdisc(s, ifindex, &q);
	if (rc < 0)
		return nl_errno(rc);
	rc = q && is_ours(q);
	if (q)
		rtnl_qdisc_put(q);
	return rc;
}

static int add_qdisc(struct shaper *s, int ifindex)
{
	struct rtnl_qdisc *q;
	int rc;

	q = rtnl_qdisc_alloc();
	if (!q)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), SHAPER_HANDLE);
	rc = rtnl_tc_set_kind(TC_CAST(q), "htb");
	if (!rc)
		rc = rtnl_htb_set_defcls(q, SHAPER_REST_MINOR);
	if (!rc)
		rc = rtnl_qdisc_add(s->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
	return rc;
}

/* Creates class @classid, or changes it in place when it exists. */
static int put_class(struct shaper *s, int ifindex, uint32_t parent,
		     uint32_t classid, uint64_t rate_bps, uint64_t ceil_bps)
{
	struct rtnl_class *c;
	int rc;

	c = rtnl_class_alloc();
	if (!c)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
	rtnl_tc_set_parent(TC_CAST(c), parent);
	rtnl_tc_set_handle(TC_CAST(c), classid);
	rc = rtnl_tc_set_kind(TC_CAST(c), "htb");
	/* HTB counts bytes per second; policies speak bits. */
	if (!rc)
		rc = rtnl_htb_set_rate64(c, rate_bps / 8);
	if (!rc)
		rc = rtnl_htb_set_ceil64(c, ceil_bps / 8);
	if (!rc)
		rc = rtnl_class_add(s->sk, c, NLM_F_CREATE);
	rtnl_class_put(c);
	return rc;
}

struct stale {
	struct shaper	*s;
	const struct policy_shape *shapes;
	unsigned int	n;
	int		rc;
};

static void drop_stale(struct nl_object *obj, void *arg)
{
	struct rtnl_class *c = (struct rtnl_class *)obj;
	struct stale *st = arg;
	uint32_t id = rtnl_tc_get_handle(TC_CAST(c));
	unsigned int i;
	int rc;

	if (id >> 16 != SHAPER_MAJOR || (id & 0xffff) < SHAPER_SLOT_MINOR)
		return;
	for (i = 0; i < st->n; i++)
		if (st->shapes[i].classid == id)
			return;
	rc = rtnl_class_delete(st->s->sk, c);
	if (rc < 0 && !st->rc)
		st->rc = rc;
}

/* Deletes the slot classes of @ifindex that @shapes no longer lists. */
static int delete_stale(struct shaper *s, int ifindex,
			const struct policy_shape *shapes, unsigned int n)
{
	struct stale st = { .s = s, .shapes = shapes, .n = n };
	struct nl_cache *cache;
	int rc;

	rc = rtnl_class_alloc_cache(s->sk, ifindex, &cache);
	if (rc < 0)
		return rc;
	nl_cache_foreach(cache, drop_stale, &st);
	nl_cache_free(cache);
	return st.rc;
}

int shaper_apply(struct shaper *s, const char *ifname,
		 const struct policy_shape *shapes, unsigned int n,
		 char *err, size_t errlen)
{
	uint32_t root = shaper_classid(SHAPER_ROOT_MINOR);
	struct rtnl_qdisc *q;
	const char *step;
	unsigned int i;
	int ifindex, rc;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		snprintf(err, errlen, "interface '%s' does not exist", ifname);
		return -ENODEV;
	}
	step = "reading its qdiscs";
	rc = root_qdisc(s, ifindex, &q);
	if (rc < 0)
		goto err_nl;
	if (q && !is_ours(q) && rtnl_tc_get_handle(TC_CAST(q))) {
		uint32_t h = rtnl_tc_get_handle(TC_CAST(q));

		snprintf(err, errlen,
			 "%s: root qdisc '%s %x:' was not made by flowpic; "
			 "flowpic will not replace it (remove it with 'tc "
			 "qdisc del dev %s root', or use 'priority MAJ:MIN' "
			 "with your own classes)", ifname,
			 rtnl_tc_get_kind(TC_CAST(q)) ?: "?", h >> 16, ifname);
		rtnl_qdisc_put(q);
		return -EEXIST;
	}
	if (!q || !is_ours(q)) {
		step = "adding HTB qdisc f1c:";
		rc = add_qdisc(s, ifindex);
		if (rc < 0) {
			if (q)
				rtnl_qdisc_put(q);
			goto err_nl;
		}
	}
	if (q)
		rtnl_qdisc_put(q);

	step = "adding HTB class f1c:1";
	rc = put_class(s, ifindex, SHAPER_HANDLE, root, SHAPER_CEIL_BPS,
		       SHAPER_CEIL_BPS);
	if (rc < 0)
		goto err_nl;
	step = "adding HTB class f1c:2";
	rc = put_class(s, ifindex, root, shaper_classid(SHAPER_REST_MINOR),
		       SHAPER_CEIL_BPS, SHAPER_CEIL_BPS);
	if (rc < 0)
		goto err_nl;
	for (i = 0; i < n; i++) {
		step = shapes[i].name;
		rc = put_class(s, ifindex, root, shapes[i].classid,
			       shapes[i].rate_bps, shapes[i].rate_bps);
		if (rc < 0)
			goto err_nl;
	}
	step = "removing classes the policy dropped";
	rc = delete_stale(s, ifindex, shapes, n);
	if (rc < 0)
		goto err_nl;
	return 0;

err_nl:
	snprintf(err, errlen, "%s: shaping (%s): %s", ifname, step,
		 nl_geterror(rc));
	return nl_errno(rc);
}

int shaper_remove(struct shaper *s, const char *ifname,
		  char *err, size_t errlen)
{
	struct rtnl_qdisc *q;
	int ifindex, rc;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return 0;	/* the interface went away, and its qdisc */
	rc = root_qdisc(s, ifindex, &q);
	if (rc < 0)
		goto err_nl;
	if (!q)
		return 0;
	if (!is_ours(q)) {
		rtnl_qdisc_put(q);
		return 0;
	}
	rc = rtnl_qdisc_delete(s->sk, q);
	rtnl_qdisc_put(q);
	if (rc < 0)
		goto err_nl;
	return 0;

err_nl:
	snprintf(err, errlen, "%s: removing the HTB qdisc: %s", ifname,
		 nl_geterror(rc));
	return nl_errno(rc);
}
