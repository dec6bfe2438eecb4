// SPDX-License-Identifier: GPL-2.0
/*
 * The eBPF data path's loader: bpf/datapath.bpf.c through its skeleton,
 * configured before load, pinned under one bpffs directory, attached to
 * tc clsact. See datapath.h.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <linux/pkt_cls.h>

#include "live/datapath.h"
#include "../../bpf/datapath_maps.h"
#include "datapath.skel.h"

/* Our filters' place on the clsact hooks: a fixed handle and priority. */
#define DATAPATH_TC_HANDLE	0xf1c
#define DATAPATH_TC_PRIO	0xf1c

struct datapath {
	struct datapath_config cfg;
	char pin_dir[256];
	struct datapath_bpf *skel;
	struct bpf_map *flows;		/* the flows_* variant in use */
	uint32_t cap;			/* its cell capacity */
	uint32_t value_size;
	struct ring_buffer *rb;
	datapath_window_fn rb_fn;
	void *rb_ctx;
	int rb_err;
	uint64_t swept_windows;		/* sent by datapath_sweep() */
	struct flowpic_verdict_stats vs;	/* verdicts written here */
	uint8_t *value;			/* one flow value, for reads */
};

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void datapath_config_default(struct datapath_config *c)
{
	memset(c, 0, sizeof(*c));
	c->geom.window_ns = FLOWPIC_MINI_WINDOW_NS;
	c->geom.n = FLOWPIC_MINI_N;
	c->geom.max_size = FLOWPIC_MAX_PKT_SIZE;
	c->geom.channels = 1;
	c->max_flows = FLOWPIC_BPF_MAX_FLOWS;
	c->min_packets = 1;
	c->ringbuf_bytes = FLOWPIC_BPF_RINGBUF;
	c->evict_scan = FLOWPIC_BPF_EVICT_SCAN;
	c->idle_ns = 2 * FLOWPIC_MINI_WINDOW_NS;
	c->reuse = 1;
}

static uint32_t cells_cap(uint32_t cells)
{
	uint32_t cap;

	for (cap = FLOWPIC_BPF_CAP_MIN; cap <= FLOWPIC_BPF_CAP_MAX; cap *= 2)
		if (cells <= cap)
			return cap;
	return 0;
}

int datapath_config_check(const struct datapath_config *c, char *err,
			  size_t errlen)
{
	const struct flowpic_geom *g = &c->geom;
	long page = sysconf(_SC_PAGESIZE);

	if (flowpic_geom_invalid(g)) {
		fail(err, errlen,
		     "geometry n=%u channels=%u window=%llu ns max_size=%u is not a FlowPic geometry (n %u..%u, channels 1..2, window %llu..%llu ns, max_size %u)",
		     g->n, g->channels, (unsigned long long)g->window_ns,
		     g->max_size, FLOWPIC_N_MIN, FLOWPIC_N_MAX,
		     FLOWPIC_WINDOW_NS_MIN, FLOWPIC_WINDOW_NS_MAX,
		     FLOWPIC_MAX_PKT_SIZE);
		return -EINVAL;
	}
	if (!cells_cap(flowpic_geom_cells(g))) {
		fail(err, errlen,
		     "geometry %ux%u with %u channel(s) needs %u cells; the tc program holds at most %u per flow (64x64 two channels)",
		     g->n, g->n, g->channels, flowpic_geom_cells(g),
		     FLOWPIC_BPF_CAP_MAX);
		return -EINVAL;
	}
	if (!c->max_flows || c->max_flows > FLOWPIC_MAX_FLOWS_LIMIT) {
		fail(err, errlen, "max_flows %u is not in 1..%u", c->max_flows,
		     FLOWPIC_MAX_FLOWS_LIMIT);
		return -EINVAL;
	}
	if (c->ringbuf_bytes < page ||
	    (c->ringbuf_bytes & (c->ringbuf_bytes - 1))) {
		fail(err, errlen,
		     "ring buffer size %u is not a power of two of at least %ld bytes",
		     c->ringbuf_bytes, page);
		return -EINVAL;
	}
	if (c->tcp_end < TCP_END_BOTH_FIN || c->tcp_end > TCP_END_NONE) {
		fail(err, errlen, "tcp_end %d is not both, first or none",
		     c->tcp_end);
		return -EINVAL;
	}
	if (c->pin_dir && strlen(c->pin_dir) > 200) {
		fail(err, errlen, "pin directory '%s' is too long", c->pin_dir);
		return -EINVAL;
	}
	return 0;
}

/* Mounts bpffs on /sys/fs/bpf if @dir is under it and it is not there. */
static int bpffs_ready(const char *dir, char *err, size_t errlen)
{
	char path[256], *slash;
	struct statfs st;

	if (!strncmp(dir, "/sys/fs/bpf", 11) &&
	    (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC)) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			fail(err, errlen, "mounting bpffs on /sys/fs/bpf: %s",
			     strerror(errno));
			return -errno;
		}
	}
	/* mkdir -p */
	snprintf(path, sizeof(path), "%s", dir);
	for (slash = path + 1; *slash; slash++) {
		if (*slash != '/')
			continue;
		*slash = 0;
		if (mkdir(path, 0700) && errno != EEXIST) {
			fail(err, errlen, "creating %s: %s", path,
			     strerror(errno));
			return -errno;
		}
		*slash = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST) {
		fail(err, errlen, "creating %s: %s", path, strerror(errno));
		return -errno;
	}
	if (statfs(path, &st) || st.f_type != BPF_FS_MAGIC) {
		fail(err, errlen, "%s is not on a bpf filesystem", path);
		return -ENOTDIR;
	}
	return 0;
}

struct pinned_map {
	const char *name;
	struct bpf_map *map;
};

static int pinned_maps(struct datapath *dp, struct pinned_map *pm)
{
	struct datapath_bpf *s = dp->skel;
	int n = 0;

	pm[n++] = (struct pinned_map){ FLOWPIC_PIN_FLOWS, dp->flows };
	pm[n++] = (struct pinned_map){ FLOWPIC_PIN_LABELS, s->maps.labels };
	pm[n++] = (struct pinned_map){ FLOWPIC_PIN_POLICY, s->maps.policy };
	pm[n++] = (struct pinned_map){ FLOWPIC_PIN_STATS, s->maps.stats };
	pm[n++] = (struct pinned_map){ FLOWPIC_PIN_WINDOWS, s->maps.windows };
	pm[n++] = (struct pinned_map){ FLOWPIC_PIN_FRAGS, s->maps.frags };
	pm[n++] = (struct pinned_map){ FLOWPIC_PIN_GEN, s->maps.gen_map };
	pm[n++] = (struct pinned_map){ FLOWPIC_PIN_META, s->maps.meta };
	return n;
}

/* Reuses @map's pinned twin at @path if its layout matches. */
static int map_reuse(struct bpf_map *map, const char *path, char *err,
		     size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, ret;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		fail(err, errlen, "opening pinned map %s: %s", path,
		     strerror(errno));
		return -errno;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		ret = -errno;
		fail(err, errlen, "reading pinned map %s: %s", path,
		     strerror(errno));
		goto err_close;
	}
	if (info.type != bpf_map__type(map) ||
	    info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) ||
	    info.map_flags != bpf_map__map_flags(map)) {
		fail(err, errlen,
		     "pinned map %s has type %u key %u value %u entries %u flags %#x, this configuration needs %u %u %u %u %#x: remove it or load with the same configuration",
		     path, info.type, info.key_size, info.value_size,
		     info.max_entries, info.map_flags, bpf_map__type(map),
		     bpf_map__key_size(map), bpf_map__value_size(map),
		     bpf_map__max_entries(map), bpf_map__map_flags(map));
		ret = -EEXIST;
		goto err_close;
	}
	ret = bpf_map__reuse_fd(map, fd);
	if (ret) {
		fail(err, errlen, "reusing pinned map %s: %s", path,
		     strerror(-ret));
		goto err_close;
	}
	close(fd);
	return 1;

err_close:
	close(fd);
	return ret;
}

static int pin_path(const struct datapath *dp, const char *name, char *buf,
		    size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dp->pin_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int datapath_configure(struct datapath *dp, char *err, size_t errlen)
{
	struct datapath_bpf *s = dp->skel;
	const struct datapath_config *c = &dp->cfg;
	struct bpf_map *variants[] = {
		s->maps.flows_1024, s->maps.flows_2048,
		s->maps.flows_4096, s->maps.flows_8192,
	};
	uint32_t cells = flowpic_geom_cells(&c->geom);
	unsigned int i;

	dp->cap = cells_cap(cells);
	s->rodata->cfg_geom = c->geom;
	s->rodata->cfg_cells = cells;
	s->rodata->cfg_cap = dp->cap;
	s->rodata->cfg_min_packets = c->min_packets;
	s->rodata->cfg_evict_scan = c->evict_scan;
	s->rodata->cfg_tcp_end = c->tcp_end;
	for (i = 0; i < 4; i++) {
		uint32_t cap = FLOWPIC_BPF_CAP_MIN << i;

		if (cap == dp->cap) {
			dp->flows = variants[i];
			if (bpf_map__set_max_entries(variants[i], c->max_flows))
				return fail(err, errlen,
					    "sizing the flow table"), -EINVAL;
		} else if (bpf_map__set_max_entries(variants[i], 1)) {
			return fail(err, errlen, "sizing the flow table"),
			       -EINVAL;
		}
	}
	/*
	 * The verdicts' LRU hands free entries to each CPU in batches and
	 * may evict before it is full when it is small: never below
	 * FLOWPIC_BPF_VERDICTS_MIN (docs/verdicts.md).
	 */
	if (bpf_map__set_max_entries(s->maps.labels,
				     c->max_flows > FLOWPIC_BPF_VERDICTS_MIN ?
				     c->max_flows : FLOWPIC_BPF_VERDICTS_MIN) ||
	    bpf_map__set_max_entries(s->maps.windows, c->ringbuf_bytes))
		return fail(err, errlen, "sizing the label map and ring buffer"),
		       -EINVAL;
	dp->value_size = bpf_map__value_size(dp->flows);
	return 0;
}

/* What the maps pinned beside it were made for (bpf/datapath_maps.h). */
static void meta_fill(const struct datapath *dp, struct flowpic_bpf_meta *m)
{
	const struct datapath_config *c = &dp->cfg;

	memset(m, 0, sizeof(*m));
	m->magic = FLOWPIC_BPF_PIN_MAGIC;
	m->version = FLOWPIC_BPF_PIN_VERSION;
	m->window_ns = c->geom.window_ns;
	m->n = c->geom.n;
	m->max_size = c->geom.max_size;
	m->channels = c->geom.channels;
	m->cap = dp->cap;
	m->max_flows = c->max_flows;
	m->ringbuf_bytes = c->ringbuf_bytes;
	m->min_packets = c->min_packets;
	m->evict_scan = c->evict_scan;
	m->tcp_end = c->tcp_end;
}

/*
 * Pins from another version or configuration are refused before any is
 * reused: a map of the right size may still hold another layout, and a
 * label map of another geometry another model's classes. No record at
 * all beside other pins is an older version.
 */
static int meta_check(struct datapath *dp, char *err, size_t errlen)
{
	struct flowpic_bpf_meta want, have;
	struct pinned_map pm[10];
	struct stat st;
	char path[300];
	__u32 zero = 0;
	int i, n, fd, others = 0;

	meta_fill(dp, &want);
	n = pinned_maps(dp, pm);
	for (i = 0; i < n; i++) {
		pin_path(dp, pm[i].name, path, sizeof(path));
		if (strcmp(pm[i].name, FLOWPIC_PIN_META) && !stat(path, &st))
			others++;
	}
	pin_path(dp, FLOWPIC_PIN_META, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno != ENOENT)
			return fail(err, errlen, "opening pinned map %s: %s",
				    path, strerror(errno)), -errno;
		if (!others)
			return 0;
		return fail(err, errlen,
			    "%s holds maps pinned by an older flowpic (no %s record of version and configuration): stop flowpicd and remove them with `rm -r %s`",
			    dp->pin_dir, FLOWPIC_PIN_META, dp->pin_dir),
		       -EEXIST;
	}
	memset(&have, 0, sizeof(have));
	if (bpf_map_lookup_elem(fd, &zero, &have))
		memset(&have, 0, sizeof(have));
	close(fd);
	if (have.magic != want.magic || have.version != want.version)
		return fail(err, errlen,
			    "%s holds maps of pin version %u (magic %#x); this flowpic uses version %u: stop flowpicd and remove them with `rm -r %s`",
			    dp->pin_dir, have.version, have.magic, want.version,
			    dp->pin_dir), -EEXIST;
	if (memcmp(&have, &want, sizeof(have)))
		return fail(err, errlen,
			    "%s holds maps made for geometry %ux%u channels %u window %llu ns max_size %u, %u flows, ring buffer %u, min_packets %u, evict_scan %u, tcp_end %d; this configuration is %ux%u channels %u window %llu ns max_size %u, %u flows, ring buffer %u, min_packets %u, evict_scan %u, tcp_end %d: load with the same configuration, or stop flowpicd and remove them with `rm -r %s`",
			    dp->pin_dir, have.n, have.n, have.channels,
			    (unsigned long long)have.window_ns, have.max_size,
			    have.max_flows, have.ringbuf_bytes, have.min_packets,
			    have.evict_scan, have.tcp_end, want.n, want.n,
			    want.channels, (unsigned long long)want.window_ns,
			    want.max_size, want.max_flows, want.ringbuf_bytes,
			    want.min_packets, want.evict_scan, want.tcp_end,
			    dp->pin_dir), -EEXIST;
	return 0;
}

static int meta_write(struct datapath *dp, char *err, size_t errlen)
{
	struct flowpic_bpf_meta m;
	__u32 zero = 0;

	meta_fill(dp, &m);
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.meta), &zero, &m,
				BPF_ANY))
		return fail(err, errlen, "writing %s/%s: %s", dp->pin_dir,
			    FLOWPIC_PIN_META, strerror(errno)), -errno;
	return 0;
}

int datapath_open(struct datapath **dpp, const struct datapath_config *c,
		  char *err, size_t errlen)
{
	struct pinned_map pm[10];
	char path[300];
	struct datapath *dp;
	int i, n, ret, fd;

	*dpp = NULL;
	ret = datapath_config_check(c, err, errlen);
	if (ret)
		return ret;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return fail(err, errlen, "out of memory"), -ENOMEM;
	dp->cfg = *c;
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s",
		 c->pin_dir ? c->pin_dir : DATAPATH_PIN_DIR);
	dp->cfg.pin_dir = dp->pin_dir;

	ret = bpffs_ready(dp->pin_dir, err, errlen);
	if (ret)
		goto err_free;

	dp->skel = datapath_bpf__open();
	if (!dp->skel) {
		ret = -errno;
		fail(err, errlen, "opening the BPF object: %s",
		     strerror(errno));
		goto err_free;
	}
	ret = datapath_configure(dp, err, errlen);
	if (ret)
		goto err_destroy;

	if (c->reuse) {
		ret = meta_check(dp, err, errlen);
		if (ret)
			goto err_destroy;
	}
	n = pinned_maps(dp, pm);
	for (i = 0; c->reuse && i < n; i++) {
		pin_path(dp, pm[i].name, path, sizeof(path));
		ret = map_reuse(pm[i].map, path, err, errlen);
		if (ret < 0)
			goto err_destroy;
	}

	ret = datapath_bpf__load(dp->skel);
	if (ret) {
		fail(err, errlen,
		     "loading the tc program: %s (run with LIBBPF_LOG=1 for the verifier's log)",
		     strerror(-ret));
		goto err_destroy;
	}
	ret = meta_write(dp, err, errlen);
	if (ret)
		goto err_destroy;

	for (i = 0; i < n; i++) {
		struct stat st;

		pin_path(dp, pm[i].name, path, sizeof(path));
		if (!stat(path, &st))
			continue;	/* reused, or pinned by us already */
		if (bpf_obj_pin(bpf_map__fd(pm[i].map), path)) {
			ret = -errno;
			fail(err, errlen, "pinning map %s at %s: %s",
			     bpf_map__name(pm[i].map), path, strerror(errno));
			goto err_destroy;
		}
	}
	pin_path(dp, FLOWPIC_PIN_PROG, path, sizeof(path));
	unlink(path);
	fd = bpf_program__fd(dp->skel->progs.flowpic_tc);
	if (bpf_obj_pin(fd, path)) {
		ret = -errno;
		fail(err, errlen, "pinning the program at %s: %s", path,
		     strerror(errno));
		goto err_destroy;
	}

	dp->value = calloc(1, dp->value_size);
	if (!dp->value) {
		ret = -ENOMEM;
		fail(err, errlen, "out of memory");
		goto err_destroy;
	}
	*dpp = dp;
	return 0;

err_destroy:
	datapath_bpf__destroy(dp->skel);
err_free:
	free(dp);
	return ret;
}

void datapath_close(struct datapath *dp)
{
	if (!dp)
		return;
	ring_buffer__free(dp->rb);
	datapath_bpf__destroy(dp->skel);
	free(dp->value);
	free(dp);
}

int datapath_unpin(struct datapath *dp)
{
	struct pinned_map pm[10];
	char path[300];
	int i, n, ret = 0;

	n = pinned_maps(dp, pm);
	for (i = 0; i < n; i++) {
		pin_path(dp, pm[i].name, path, sizeof(path));
		if (unlink(path) && errno != ENOENT)
			ret = -errno;
	}
	pin_path(dp, FLOWPIC_PIN_PROG, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		ret = -errno;
	if (rmdir(dp->pin_dir) && errno != ENOENT)
		ret = -errno;
	return ret;
}

const struct datapath_config *datapath_config(const struct datapath *dp)
{
	return &dp->cfg;
}

int datapath_prog_fd(const struct datapath *dp)
{
	return bpf_program__fd(dp->skel->progs.flowpic_tc);
}

int datapath_map_fd(const struct datapath *dp, const char *name)
{
	struct pinned_map pm[10];
	int i, n;

	n = pinned_maps((struct datapath *)dp, pm);
	for (i = 0; i < n; i++)
		if (!strcmp(pm[i].name, name))
			return bpf_map__fd(pm[i].map);
	return -1;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	return 0;
}

/*
 * An existing clsact qdisc is fine (-EEXIST); libbpf would still print
 * the kernel's "Exclusivity flag on" for it, so it is kept quiet here.
 */
static int tc_hook_create(struct bpf_tc_hook *hook)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	int ret = bpf_tc_hook_create(hook);

	libbpf_set_print(old);
	return ret;
}

/*
 * The program parses Ethernet frames (bpf/flowpic_parse.h): on a device
 * without a link header (tun, wireguard, ipip: ARPHRD_NONE, _TUNNEL...)
 * it would read the IP header as one, so it is not attached there.
 */
static int link_check(const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr = {};
	int fd, type;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, "interface %s: socket: %s", ifname,
			    strerror(errno)), -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		type = -errno;
		close(fd);
		return fail(err, errlen, "interface %s: reading its link type: %s",
			    ifname, strerror(-type)), type;
	}
	close(fd);
	type = ifr.ifr_hwaddr.sa_family;
	if (type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK)
		return 0;
	return fail(err, errlen,
		    "interface %s has link type %d (%s), not Ethernet: the tc program parses Ethernet frames only; attach it to the Ethernet device the traffic crosses instead",
		    ifname, type, type == ARPHRD_NONE ? "none: tun, wireguard" :
		    type == ARPHRD_TUNNEL ? "ipip tunnel" :
		    type == ARPHRD_TUNNEL6 ? "ip6 tunnel" :
		    type == ARPHRD_SIT ? "sit tunnel" :
		    type == ARPHRD_IPGRE ? "gre tunnel" :
		    type == ARPHRD_PPP ? "ppp" : "no link header"), -EPFNOSUPPORT;
}

static int tc_hooks(struct datapath *dp, const char *ifname, int attach,
		    char *err, size_t errlen)
{
	static const enum bpf_tc_attach_point points[] = {
		BPF_TC_INGRESS, BPF_TC_EGRESS,
	};
	unsigned int ifindex = if_nametoindex(ifname);
	unsigned int i;
	int ret;

	if (!ifindex) {
		fail(err, errlen, "interface %s: %s", ifname, strerror(errno));
		return -ENODEV;
	}
	for (i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = points[i]);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DATAPATH_TC_HANDLE,
			    .priority = DATAPATH_TC_PRIO);
		const char *where = i ? "egress" : "ingress";

		if (attach) {
			ret = tc_hook_create(&hook);
			if (ret && ret != -EEXIST) {
				fail(err, errlen,
				     "interface %s: creating the clsact qdisc: %s",
				     ifname, strerror(-ret));
				return ret;
			}
			opts.prog_fd = datapath_prog_fd(dp);
			opts.flags = BPF_TC_F_REPLACE;
			ret = bpf_tc_attach(&hook, &opts);
		} else {
			ret = bpf_tc_detach(&hook, &opts);
			if (ret == -ENOENT)
				ret = 0;
		}
		if (ret) {
			fail(err, errlen, "interface %s: %s tc %s: %s", ifname,
			     attach ? "attaching to" : "detaching from",
			     where, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int datapath_attach(struct datapath *dp, const char *ifname, char *err,
		    size_t errlen)
{
	int ret;

	if (!if_nametoindex(ifname))
		return fail(err, errlen, "interface %s: %s", ifname,
			    strerror(errno)), -ENODEV;
	ret = link_check(ifname, err, errlen);
	if (ret)
		return ret;
	ret = tc_hooks(dp, ifname, 1, err, errlen);

	if (ret)
		tc_hooks(dp, ifname, 0, NULL, 0);
	return ret;
}

int datapath_detach(struct datapath *dp, const char *ifname, char *err,
		    size_t errlen)
{
	return tc_hooks(dp, ifname, 0, err, errlen);
}

static int deliver(struct datapath *dp, const void *data, size_t size,
		   datapath_window_fn fn, void *ctx)
{
	const struct flowpic_window *w = data;

	/* The record is the kernel's, but check it before reading on. */
	if (size < sizeof(*w) || w->cells > size - sizeof(*w) ||
	    w->cells != flowpic_geom_cells(&dp->cfg.geom))
		return -EBADMSG;
	return fn(w, (const uint8_t *)data + sizeof(*w), ctx);
}

static int rb_record(void *ctx, void *data, size_t size)
{
	struct datapath *dp = ctx;
	int ret = deliver(dp, data, size, dp->rb_fn, dp->rb_ctx);

	if (ret)
		dp->rb_err = ret;
	return ret;
}

static int rb_ready(struct datapath *dp)
{
	if (dp->rb)
		return 0;
	dp->rb = ring_buffer__new(bpf_map__fd(dp->skel->maps.windows),
				  rb_record, dp, NULL);
	return dp->rb ? 0 : -errno;
}

int datapath_poll(struct datapath *dp, int timeout_ms, datapath_window_fn fn,
		  void *ctx)
{
	int ret = rb_ready(dp);

	if (ret)
		return ret;
	dp->rb_fn = fn;
	dp->rb_ctx = ctx;
	dp->rb_err = 0;
	ret = ring_buffer__poll(dp->rb, timeout_ms);
	if (dp->rb_err)
		return dp->rb_err;
	return ret;
}

int datapath_poll_fd(const struct datapath *dp)
{
	if (rb_ready((struct datapath *)dp))
		return -1;
	return ring_buffer__epoll_fd(dp->rb);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Every key in the flow table, read before any is deleted. */
static int flow_keys(struct datapath *dp, struct flowpic_key **keys,
		     size_t *n)
{
	int fd = bpf_map__fd(dp->flows);
	struct flowpic_key k, *prev = NULL, *all;
	size_t cap = dp->cfg.max_flows + 1, i = 0;

	all = calloc(cap, sizeof(*all));
	if (!all)
		return -ENOMEM;
	while (i < cap && !bpf_map_get_next_key(fd, prev, &k)) {
		all[i] = k;
		prev = &all[i++];
	}
	*keys = all;
	*n = i;
	return 0;
}

int datapath_sweep(struct datapath *dp, uint64_t now_ns, datapath_window_fn fn,
		   void *ctx)
{
	const struct flowpic_flow_state *st = (const void *)dp->value;
	const struct flowpic_window *w =
		(const void *)(dp->value + FLOWPIC_BPF_WIN_OFF);
	int fd = bpf_map__fd(dp->flows), closed = 0, ret = 0;
	struct flowpic_key *keys;
	size_t i, n;

	if (!now_ns)
		now_ns = monotonic_ns();
	ret = flow_keys(dp, &keys, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem_flags(fd, &keys[i], dp->value,
					      BPF_F_LOCK))
			continue;	/* gone meanwhile */
		if (st->last_ns + dp->cfg.idle_ns > now_ns)
			continue;
		/* Read and delete at once: no packet slips in between. */
		if (bpf_map_lookup_and_delete_elem_flags(fd, &keys[i],
							 dp->value, BPF_F_LOCK))
			continue;
		closed++;	/* its verdict stays (docs/verdicts.md) */
		if (w->packets[0] + w->packets[1] < dp->cfg.min_packets)
			continue;
		{
			struct flowpic_window rec = *w;

			rec.reason = FLOWPIC_END_IDLE;
			dp->swept_windows++;
			ret = fn ? fn(&rec, dp->value + FLOWPIC_BPF_CELLS_OFF,
				      ctx) : 0;
		}
		if (ret)
			break;
	}
	free(keys);
	return ret ? ret : closed;
}

int datapath_flow(struct datapath *dp, const struct flowpic_key *key,
		  struct flowpic_window *w, uint8_t *cells, size_t cells_len)
{
	const struct flowpic_window *vw =
		(const void *)(dp->value + FLOWPIC_BPF_WIN_OFF);
	int fd = bpf_map__fd(dp->flows);

	if (bpf_map_lookup_elem_flags(fd, key, dp->value, BPF_F_LOCK))
		return -errno;
	if (w)
		*w = *vw;
	if (cells) {
		if (cells_len < vw->cells)
			return -ENOSPC;
		memcpy(cells, dp->value + FLOWPIC_BPF_CELLS_OFF, vw->cells);
	}
	return 0;
}

int datapath_flow_count(struct datapath *dp)
{
	struct flowpic_key *keys;
	size_t n;
	int ret = flow_keys(dp, &keys, &n);

	if (ret)
		return ret;
	free(keys);
	return (int)n;
}

static int key_canonical(const struct flowpic_key *key)
{
	struct flowpic_key k = *key;

	return !key->__pad && flowpic_key_canon(&k) == FLOWPIC_DIR_LO_TO_HI &&
	       (key->proto == 6 || key->proto == 17) &&
	       (key->family == FLOWPIC_FAMILY_IPV4 ||
		key->family == FLOWPIC_FAMILY_IPV6);
}

/*
 * A new labels generation after every label or policy write: the
 * program's per-CPU notes of flows' verdicts (a label's class, or no
 * label) hold for the generation they were made under only, so a label
 * written or removed before this applies from the flow's next packet on
 * (and tools watching for label changes see it move). The fence keeps
 * the label's write ahead of the generation's on a weakly ordered CPU,
 * as the program keeps its reads of the two in order.
 */
static int labels_changed(struct datapath *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.gen_map);
	struct flowpic_bpf_gen g = { 0 };
	__u32 zero = 0;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (bpf_map_lookup_elem(fd, &zero, &g))
		return -errno;
	g.labels++;
	if (bpf_map_update_elem(fd, &zero, &g, BPF_ANY))
		return -errno;
	return 0;
}

/* Keys written by one BPF_MAP_UPDATE_BATCH at most: bounds the stack. */
#define SET_LABELS_CHUNK	256

int datapath_set_labels(struct datapath *dp, const struct flowpic_key *keys,
			const struct flowpic_label *labels, uint32_t n, int *rc)
{
	int lfd = bpf_map__fd(dp->skel->maps.labels);
	int ffd = bpf_map__fd(dp->flows);
	struct flowpic_key wk[SET_LABELS_CHUNK];
	struct flowpic_label wl[SET_LABELS_CHUNK], old;
	uint32_t widx[SET_LABELS_CHUNK], i, m, done, at;
	uint8_t had[SET_LABELS_CHUNK];
	uint8_t value[dp->value_size];
	uint64_t added = 0, replaced = 0;
	int err;

	if (n > SET_LABELS_CHUNK) {
		err = datapath_set_labels(dp, keys, labels, SET_LABELS_CHUNK,
					  rc);
		return datapath_set_labels(dp, keys + SET_LABELS_CHUNK,
					   labels + SET_LABELS_CHUNK,
					   n - SET_LABELS_CHUNK,
					   rc + SET_LABELS_CHUNK) ?: err;
	}
	/*
	 * A label is set only on a flow in the table (one lookup each);
	 * whether it replaces one is counted (another).
	 */
	for (i = m = 0; i < n; i++) {
		const struct flowpic_label *l = &labels[i];

		if (!key_canonical(&keys[i]) ||
		    l->class_id > FLOWPIC_CLASS_UNKNOWN ||
		    l->confidence > FLOWPIC_CONFIDENCE_ONE) {
			rc[i] = -EINVAL;
			continue;
		}
		if (bpf_map_lookup_elem(ffd, &keys[i], value)) {
			rc[i] = -ENOENT;
			continue;
		}
		had[m] = !bpf_map_lookup_elem(lfd, &keys[i], &old);
		for (at = 0; !had[m] && at < m; at++)	/* earlier in this call */
			had[m] = !memcmp(&wk[at], &keys[i], sizeof(keys[i]));
		rc[i] = 0;
		wk[m] = keys[i];
		wl[m] = *l;
		widx[m++] = i;
	}
	/*
	 * Then all of them in one BPF_MAP_UPDATE_BATCH, in the array's
	 * order (a flow's later window wins); past a key the kernel
	 * refuses, the rest in another.
	 */
	for (at = 0; at < m; at += done + 1) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		done = m - at;
		err = bpf_map_update_batch(lfd, &wk[at], &wl[at], &done, &o) ?
		      -errno : 0;
		if (!err)
			done = m - at;
		else if (done >= m - at)
			done = 0;	/* not told how far: the first refused */
		for (i = at; i < at + done; i++) {
			replaced += had[i];
			added += !had[i];
		}
		if (at + done < m)
			rc[widx[at + done]] = err;
	}
	__atomic_fetch_add(&dp->vs.added, added, __ATOMIC_RELAXED);
	__atomic_fetch_add(&dp->vs.replaced, replaced, __ATOMIC_RELAXED);
	return m ? labels_changed(dp) : 0;
}

int datapath_set_label(struct datapath *dp, const struct flowpic_key *key,
		       const struct flowpic_label *label)
{
	int rc, err = datapath_set_labels(dp, key, label, 1, &rc);

	return rc ? rc : err;
}

int datapath_clear_label(struct datapath *dp, const struct flowpic_key *key)
{
	if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.labels), key))
		return -errno;
	__atomic_fetch_add(&dp->vs.removed, 1, __ATOMIC_RELAXED);
	return labels_changed(dp);
}

int datapath_set_policy(struct datapath *dp, uint16_t class_id,
			const struct flowpic_action *act)
{
	__u32 slot = class_id;

	if (slot >= FLOWPIC_POLICY_SLOTS || flowpic_action_invalid(act))
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.policy), &slot, act,
				BPF_ANY))
		return -errno;
	return labels_changed(dp);
}

int datapath_stats(struct datapath *dp, uint64_t out[__FLOWPIC_CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), cpu, i;
	struct flowpic_bpf_stats *per;
	__u32 zero = 0;

	if (ncpu < 0)
		return ncpu;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.stats), &zero,
				per)) {
		free(per);
		return -errno;
	}
	memset(out, 0, sizeof(uint64_t) * __FLOWPIC_CNT_MAX);
	for (cpu = 0; cpu < ncpu; cpu++) {
		const __u64 *c = (const __u64 *)&per[cpu];

		for (i = 0; i < __FLOWPIC_CNT_MAX; i++)
			out[i] += c[i];
	}
	out[FLOWPIC_CNT_WINDOWS] += dp->swept_windows;
	free(per);
	return 0;
}

int datapath_verdict_stats(struct datapath *dp,
			   struct flowpic_verdict_stats *out)
{
	int fd = bpf_map__fd(dp->skel->maps.labels);
	struct flowpic_key k, prev;
	uint64_t n = 0, gone;

	while (n <= bpf_map__max_entries(dp->skel->maps.labels) &&
	       !bpf_map_get_next_key(fd, n ? &prev : NULL, &k)) {
		prev = k;
		n++;
	}
	*out = dp->vs;
	out->present = n;
	/* What was added here and is neither removed nor present: evicted. */
	gone = dp->vs.added > dp->vs.removed ? dp->vs.added - dp->vs.removed : 0;
	out->evicted = gone > n ? gone - n : 0;
	return 0;
}
