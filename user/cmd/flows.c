// SPDX-License-Identifier: GPL-2.0
/*
 * Live state, as the kernel holds it: `flowpic flows` lists the flows in
 * the tc program's pinned maps (or flowpic.ko's table) with their labels,
 * `flowpic stats` the kernel's counters next to flowpicd's own. Reads
 * only; works while flowpicd runs, or after it left things with --keep.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cmd/commands.h"
#include "live/daemon.h"
#include "capture/flow_key.h"
#include "../../bpf/datapath_maps.h"
#include "live/kmod_client.h"
#include "output/json.h"

struct live {
	const char	*pin_dir;
	const char	*state_dir;
	int		kmod;
	int		backend_given;	/* --backend on the command line */
	int		json;
	/* From flowpicd's stats file, when it is running. */
	char		classes[FLOWPIC_CLASSES_MAX][POLICY_NAME_MAX];
	unsigned int	nclasses;
	struct flowpic_action policy[FLOWPIC_POLICY_SLOTS];
	int		have_policy;
	uint64_t	now_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A name of the stats file's classes line, its %XX bytes decoded. */
static void class_decode(char *out, const char *s)
{
	unsigned int b;
	size_t n = 0;

	while (*s && n < POLICY_NAME_MAX - 1) {
		if (s[0] == '%' && sscanf(s + 1, "%2x", &b) == 1 && b &&
		    isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			out[n++] = (char)b;
			s += 3;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = 0;
}

/*
 * Class names from the running flowpicd's stats file ("classes a b c"),
 * and its backend ("backend kmod"), which is ours unless --backend says.
 */
static void read_classes(struct live *lv)
{
	char path[512], line[16384], *tok, *save;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", lv->state_dir,
		 DAEMON_STATS_FILE);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!lv->backend_given && !strcmp(line, "backend kmod\n"))
			lv->kmod = 1;
		if (strncmp(line, "classes ", 8))
			continue;
		for (tok = strtok_r(line + 8, " \n", &save);
		     tok && lv->nclasses < FLOWPIC_CLASSES_MAX;
		     tok = strtok_r(NULL, " \n", &save))
			class_decode(lv->classes[lv->nclasses++], tok);
	}
	fclose(f);
}

static void class_str(const struct live *lv, unsigned int c, char *buf,
		      size_t len)
{
	if (c == FLOWPIC_CLASS_UNKNOWN)
		snprintf(buf, len, "unknown");
	else if (c < lv->nclasses)
		snprintf(buf, len, "%s", lv->classes[c]);
	else
		snprintf(buf, len, "class%u", c);
}

static int pin_open(const struct live *lv, const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", lv->pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = -errno;
		fprintf(stderr, "flowpic: %s: %s%s\n", path, strerror(-fd),
			fd == -ENOENT ? " (is flowpicd running, or did it "
			"stop with --keep? --backend kmod reads the module)" :
			"");
	}
	return fd;
}

/*
 * A flow's state: in-progress before any of its windows was labelled,
 * then labelled, or unknown when the model's confidence was below the
 * threshold.
 */
static const char *flow_state(const struct flowpic_label *l)
{
	if (!l)
		return "in-progress";
	return l->class_id == FLOWPIC_CLASS_UNKNOWN ? "unknown" : "labelled";
}

/* docs/json.md, "flowpic flows --json". */
static void flow_json(const struct live *lv, const struct flowpic_window *w,
		      const char *flow, uint64_t last_ns,
		      const struct flowpic_label *l, const char *label,
		      const char *act)
{
	struct json j;

	json_start(&j, stdout);
	json_object(&j);
	json_key_str(&j, "flow", flow);
	json_key_uint(&j, "window", w->index);
	json_key_pair(&j, "packets", w->packets[0], w->packets[1]);
	json_key_pair(&j, "bytes", w->bytes[0], w->bytes[1]);
	if (last_ns && lv->now_ns >= last_ns)
		json_key_real(&j, "idle_s", (double)(lv->now_ns - last_ns) / 1e9,
			      1);
	else
		json_key_null(&j, "idle_s");
	json_key_str(&j, "state", flow_state(l));
	if (l) {
		json_key_uint(&j, "class_id", l->class_id);
		json_key_str(&j, "label", label);
		json_key_real(&j, "confidence",
			      l->confidence / (double)FLOWPIC_CONFIDENCE_ONE, 4);
		json_key_uint(&j, "label_window", l->window);
	} else {
		json_key_null(&j, "class_id");
		json_key_null(&j, "label");
		json_key_null(&j, "confidence");
		json_key_null(&j, "label_window");
	}
	if (act)
		json_key_str(&j, "action", act);
	else
		json_key_null(&j, "action");
	json_line(&j);
}

static void print_flow(const struct live *lv, const struct flowpic_window *w,
		       uint64_t last_ns, const struct flowpic_label *l,
		       const struct flowpic_action *a)
{
	char flow[128], label[POLICY_NAME_MAX + 16], act[48], age[32];

	flow_key_format(&w->key, flow, sizeof(flow));
	if (l)
		class_str(lv, l->class_id, label, sizeof(label));
	else
		snprintf(label, sizeof(label), "-");
	if (a)
		policy_action_str(a, act, sizeof(act));
	else
		snprintf(act, sizeof(act), "-");
	if (lv->json) {
		flow_json(lv, w, flow, last_ns, l, label, a ? act : NULL);
		return;
	}
	if (last_ns && lv->now_ns >= last_ns)
		snprintf(age, sizeof(age), "%.1f",
			 (double)(lv->now_ns - last_ns) / 1e9);
	else
		snprintf(age, sizeof(age), "-");
	printf("%-52s %6u %8u %8u %6s  %-14s %5.2f  %s\n", flow, w->index,
	       w->packets[0] + w->packets[1],
	       (unsigned int)((w->bytes[0] + w->bytes[1]) / 1000), age, label,
	       l ? l->confidence / (double)FLOWPIC_CONFIDENCE_ONE : 0.0, act);
}

static void print_header(const struct live *lv)
{
	if (!lv->json)
		printf("%-52s %6s %8s %8s %6s  %-14s %5s  %s\n", "FLOW",
		       "WINDOW", "PACKETS", "KBYTES", "IDLE_S", "LABEL",
		       "CONF", "ACTION");
}

static int flows_bpf(struct live *lv)
{
	int flows, labels, policy, rc = 0, n = 0;
	struct bpf_map_info info = { 0 };
	__u32 ilen = sizeof(info), s;
	struct flowpic_key key, next, *prev = NULL;
	struct flowpic_label l;
	uint8_t *val;

	flows = pin_open(lv, FLOWPIC_PIN_FLOWS);
	if (flows < 0)
		return 1;
	labels = pin_open(lv, FLOWPIC_PIN_LABELS);
	policy = pin_open(lv, FLOWPIC_PIN_POLICY);
	if (labels < 0 || policy < 0) {
		rc = 1;
		goto out;
	}
	for (s = 0; s < FLOWPIC_POLICY_SLOTS; s++)
		if (bpf_map_lookup_elem(policy, &s, &lv->policy[s]))
			break;
	lv->have_policy = s == FLOWPIC_POLICY_SLOTS;
	if (bpf_obj_get_info_by_fd(flows, &info, &ilen) ||
	    info.key_size != sizeof(struct flowpic_key) ||
	    info.value_size < FLOWPIC_BPF_CELLS_OFF) {
		fprintf(stderr, "flowpic: %s/%s is not a flowpic flow table\n",
			lv->pin_dir, FLOWPIC_PIN_FLOWS);
		rc = 1;
		goto out;
	}
	val = malloc(info.value_size);
	if (!val) {
		rc = 1;
		goto out;
	}
	print_header(lv);
	while (!bpf_map_get_next_key(flows, prev, &next)) {
		const struct flowpic_flow_state *st = (const void *)val;
		const struct flowpic_window *w =
			(const void *)(val + FLOWPIC_BPF_WIN_OFF);
		int has_label;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(flows, &key, val))
			continue;	/* gone since the key was read */
		has_label = !bpf_map_lookup_elem(labels, &key, &l);
		print_flow(lv, w, st->last_ns, has_label ? &l : NULL,
			   has_label && lv->have_policy &&
			   l.class_id < FLOWPIC_POLICY_SLOTS ?
			   &lv->policy[l.class_id] : NULL);
		n++;
	}
	if (!lv->json)
		printf("%d flow(s)\n", n);
	free(val);
out:
	if (labels >= 0)
		close(labels);
	if (policy >= 0)
		close(policy);
	close(flows);
	return rc;
}

static int kmod_flow_cb(const struct kmod_flow *f, void *arg)
{
	struct live *lv = arg;

	print_flow(lv, &f->window, 0, f->has_label ? &f->label : NULL,
		   f->has_action ? &f->action : NULL);
	return 0;
}

/* The module's netlink family, or a message saying why not; 0 or -1. */
static int module_open(struct kmod_client **c)
{
	int rc = kmod_client_open(c);

	if (rc)
		fprintf(stderr, "flowpic: the flowpic module: %s\n",
			rc == -ENOENT ? "not loaded" : strerror(-rc));
	return rc ? -1 : 0;
}

static int flows_kmod(struct live *lv)
{
	struct kmod_client *c;
	int rc;

	if (module_open(&c))
		return 1;
	print_header(lv);
	rc = kmod_client_dump_flows(c, kmod_flow_cb, lv);
	if (rc)
		fprintf(stderr, "flowpic: %s\n", kmod_client_error(c));
	kmod_client_close(c);
	return rc ? 1 : 0;
}

static int stats_bpf(struct live *lv, uint64_t *cnt)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i;
	struct flowpic_bpf_stats *per;
	__u32 zero = 0;
	unsigned int c;

	fd = pin_open(lv, FLOWPIC_PIN_STATS);
	if (fd < 0)
		return 1;
	if (ncpu < 1 || !(per = calloc(ncpu, sizeof(*per)))) {
		close(fd);
		return 1;
	}
	if (bpf_map_lookup_elem(fd, &zero, per)) {
		fprintf(stderr, "flowpic: %s/%s: %s\n", lv->pin_dir,
			FLOWPIC_PIN_STATS, strerror(errno));
		free(per);
		close(fd);
		return 1;
	}
	for (i = 0; i < ncpu; i++)
		for (c = 0; c < __FLOWPIC_CNT_MAX; c++)
			cnt[c] += ((const __u64 *)&per[i])[c];
	free(per);
	close(fd);
	return 0;
}

static int stats_kmod(uint64_t *cnt, struct flowpic_verdict_stats *vs)
{
	struct kmod_client *c;
	int rc;

	if (module_open(&c))
		return 1;
	rc = kmod_client_get_stats(c, cnt);
	if (!rc)
		rc = kmod_client_verdict_stats(c, vs);
	if (rc)
		fprintf(stderr, "flowpic: %s\n", kmod_client_error(c));
	kmod_client_close(c);
	return rc ? 1 : 0;
}

/* Prints flowpicd's own counters when it is running (into @j: JSON). */
static void stats_daemon(const struct live *lv, struct json *j)
{
	char path[512], line[4096], name[64];
	unsigned long long v;
	int pid = 0, alive, end;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", lv->state_dir,
		 DAEMON_STATS_FILE);
	f = fopen(path, "r");
	if (!f) {
		if (!j)
			printf("flowpicd: not running (no %s)\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "pid %d", &pid) == 1)
			break;
	alive = pid > 0 && !kill(pid, 0);
	if (!j)
		printf("flowpicd (pid %d%s):\n", pid, alive ? "" :
		       ", not running: figures from its last second");
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		/* Counters only: "name number", nothing after the number. */
		end = 0;
		if (sscanf(line, "%63s %llu%n", name, &v, &end) != 2 ||
		    strcmp(line + end, "\n") || !strcmp(name, "pid"))
			continue;
		if (j) {
			char key[80];

			snprintf(key, sizeof(key), "flowpicd_%s", name);
			json_key_uint(j, key, v);
		} else {
			printf("  %-22s %llu\n", name, v);
		}
	}
	fclose(f);
}

static int parse_common(struct live *lv, int argc, char **argv,
			const char *usage)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "backend", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	memset(lv, 0, sizeof(*lv));
	lv->pin_dir = DAEMON_PIN_DIR;
	lv->state_dir = DAEMON_STATE_DIR;
	while ((o = getopt_long(argc, argv, "p:s:b:jh", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			lv->pin_dir = optarg;
			break;
		case 's':
			lv->state_dir = optarg;
			break;
		case 'b':
			lv->backend_given = 1;
			if (!strcmp(optarg, "kmod")) {
				lv->kmod = 1;
			} else if (strcmp(optarg, "bpf")) {
				fprintf(stderr, "flowpic: --backend %s: "
					"expected bpf or kmod\n", optarg);
				return 2;
			}
			break;
		case 'j':
			lv->json = 1;
			break;
		case 'h':
			printf("%s", usage);
			return 0;
		default:
			fprintf(stderr, "%s", usage);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "flowpic: unexpected argument '%s'\n%s",
			argv[optind], usage);
		return 2;
	}
	lv->now_ns = mono_ns();
	read_classes(lv);
	return -1;
}

static const char flows_usage[] =
	"usage: flowpic flows [--pin-dir DIR] [--state-dir DIR] "
	"[--backend bpf|kmod] [--json]\n"
	"Lists the kernel's live flows: open window, packets, kilobytes,\n"
	"seconds idle, label, confidence, the action it gets. The backend\n"
	"is the running flowpicd's unless --backend names one.\n";

int cmd_flows(int argc, char **argv)
{
	struct live lv;
	int rc = parse_common(&lv, argc, argv, flows_usage);

	if (rc >= 0)
		return rc;
	return lv.kmod ? flows_kmod(&lv) : flows_bpf(&lv);
}

static const char stats_usage[] =
	"usage: flowpic stats [--pin-dir DIR] [--state-dir DIR] "
	"[--backend bpf|kmod] [--json]\n"
	"Shows the kernel side's counters and flowpicd's (windows\n"
	"classified, queue depth, latency). The backend is the running\n"
	"flowpicd's unless --backend names one.\n";

int cmd_stats(int argc, char **argv)
{
	uint64_t cnt[__FLOWPIC_CNT_MAX] = { 0 };
	struct flowpic_verdict_stats vs = { 0 };
	const char *vname[] = { "verdicts_added", "verdicts_replaced",
				"verdicts_removed", "verdicts_evicted",
				"verdicts_present", "verdicts_refused" };
	uint64_t vval[6];
	struct live lv;
	unsigned int c, nv;
	int rc = parse_common(&lv, argc, argv, stats_usage);

	if (rc >= 0)
		return rc;
	rc = lv.kmod ? stats_kmod(cnt, &vs) : stats_bpf(&lv, cnt);
	if (rc)
		return rc;
	/* The module counts its verdict table's life; see docs/verdicts.md. */
	nv = lv.kmod ? sizeof(vname) / sizeof(vname[0]) : 0;
	vval[0] = vs.added;
	vval[1] = vs.replaced;
	vval[2] = vs.removed;
	vval[3] = vs.evicted;
	vval[4] = vs.present;
	vval[5] = vs.refused;
	if (lv.json) {		/* docs/json.md, "flowpic stats --json" */
		struct json j;

		json_start(&j, stdout);
		json_object(&j);
		json_key_str(&j, "backend", lv.kmod ? "kmod" : "bpf");
		for (c = 0; c < __FLOWPIC_CNT_MAX; c++)
			json_key_uint(&j, daemon_counter_name(c), cnt[c]);
		for (c = 0; c < nv; c++)
			json_key_uint(&j, vname[c], vval[c]);
		stats_daemon(&lv, &j);
		json_line(&j);
		return 0;
	}
	printf("kernel (%s):\n", lv.kmod ? "flowpic.ko" : lv.pin_dir);
	for (c = 0; c < __FLOWPIC_CNT_MAX; c++)
		printf("  %-22s %" PRIu64 "\n", daemon_counter_name(c), cnt[c]);
	for (c = 0; c < nv; c++)
		printf("  %-22s %" PRIu64 "\n", vname[c], vval[c]);
	stats_daemon(&lv, NULL);
	return 0;
}
