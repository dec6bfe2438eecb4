// SPDX-License-Identifier: GPL-2.0
/*
 * The loader (user/live/datapath.c) against the kernel: everything pinned
 * under one bpffs directory with BTF, a restart reusing the pinned flow
 * table, a configuration that does not fit the pinned maps refused with
 * the reason, bpffs mounted when /sys/fs/bpf has none (in a private
 * mount namespace), and tc clsact ingress and egress attached and
 * detached on an interface (in a private network namespace).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "kselftest.h"

#include "flowpic.h"
#include "live/datapath.h"
#include "../../bpf/datapath_maps.h"

static char dir[128];

static const char *const pins[] = {
	FLOWPIC_PIN_FLOWS, FLOWPIC_PIN_LABELS, FLOWPIC_PIN_POLICY,
	FLOWPIC_PIN_STATS, FLOWPIC_PIN_WINDOWS, FLOWPIC_PIN_FRAGS,
	FLOWPIC_PIN_GEN, FLOWPIC_PIN_PROG,
};

/* One UDP/IPv4 frame of flow 192.0.2.9:9 -> 198.51.100.9:53. */
static void one_packet(struct datapath *dp)
{
	unsigned char f[64] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 36, 0, 0, 0, 0, 64, 17, 0, 0,
		192, 0, 2, 9, 198, 51, 100, 9,
		0, 9, 0, 53, 0, 16, 0, 0,
	};
	struct __sk_buff ctx = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = 64,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	bpf_prog_test_run_opts(datapath_prog_fd(dp), &o);
}

static int pinned_with_btf(const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	     (!strcmp(name, FLOWPIC_PIN_WINDOWS) || info.btf_value_type_id);
	close(fd);
	return ok;
}

static void test_pin_and_reuse(void)
{
	struct datapath_config c;
	struct datapath *dp;
	char err[512];
	unsigned int i, all = 1;

	datapath_config_default(&c);
	c.pin_dir = dir;
	c.max_flows = 1024;
	if (datapath_open(&dp, &c, err, sizeof(err))) {
		ksft_test_result_fail("load and pin under %s: %s\n", dir, err);
		return;
	}
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		char path[256];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, pins[i]);
		if (stat(path, &st) ||
		    (strcmp(pins[i], FLOWPIC_PIN_PROG) && !pinned_with_btf(pins[i]))) {
			ksft_print_msg("%s: not pinned, or without BTF\n", path);
			all = 0;
		}
	}
	ksft_test_result(all, "maps and program pinned under %s, maps with BTF\n",
			 dir);
	one_packet(dp);
	ksft_test_result(datapath_flow_count(dp) == 1, "one flow in the table\n");
	datapath_close(dp);

	/* A restart with the same configuration finds the flow again. */
	if (datapath_open(&dp, &c, err, sizeof(err))) {
		ksft_test_result_fail("reload: %s\n", err);
		return;
	}
	ksft_test_result(datapath_flow_count(dp) == 1,
			 "reload reuses the pinned flow table (1 flow)\n");
	datapath_close(dp);

	/* Another geometry does not fit the pinned table. */
	c.geom.n = 64;
	i = datapath_open(&dp, &c, err, sizeof(err));
	ksft_test_result(i == (unsigned int)-EEXIST && strstr(err, "32x32") &&
			 strstr(err, "64x64") && strstr(err, "rm -r"),
			 "64x64 over a pinned 32x32 table refused: %s\n", err);
	if (!i)
		datapath_close(dp);
	c.geom.n = 32;
	c.reuse = 0;
	if (!datapath_open(&dp, &c, err, sizeof(err))) {
		datapath_unpin(dp);
		datapath_close(dp);
	}
	ksft_test_result(access(dir, F_OK) && errno == ENOENT,
			 "unpin removes the directory\n");
}

/* In a private mount namespace without bpffs: the loader mounts it. */
static void test_mount(void)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		struct datapath_config c;
		struct datapath *dp;
		struct statfs st;
		char err[512];

		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(4);
		umount2("/sys/fs/bpf", MNT_DETACH);
		if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
			_exit(5);	/* still there: cannot test */
		datapath_config_default(&c);
		c.pin_dir = "/sys/fs/bpf/flowpic-mount-test";
		c.max_flows = 64;
		if (datapath_open(&dp, &c, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			_exit(1);
		}
		if (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC)
			_exit(2);
		datapath_unpin(dp);
		datapath_close(dp);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		ksft_test_result_fail("fork\n");
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) >= 4)
		ksft_test_result_skip("no private mount namespace for the bpffs test\n");
	else
		ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status),
				 "bpffs mounted on /sys/fs/bpf when missing\n");
}

static int filters_on(int ifindex, enum bpf_tc_attach_point where)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 0xf1c, .priority = 0xf1c);

	return !bpf_tc_query(&hook, &opts) && opts.prog_id;
}

/* In a private network namespace: attach to lo, both ways, and detach. */
static void test_attach(void)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		struct datapath_config c;
		struct datapath *dp;
		char err[512];
		int ret = 0;

		if (unshare(CLONE_NEWNET))
			_exit(4);
		datapath_config_default(&c);
		c.pin_dir = dir;
		c.max_flows = 64;
		if (datapath_open(&dp, &c, err, sizeof(err)))
			_exit(1);
		if (datapath_attach(dp, "lo", err, sizeof(err)) ||
		    !filters_on(1, BPF_TC_INGRESS) || !filters_on(1, BPF_TC_EGRESS))
			ret = 2;
		if (!ret && (datapath_detach(dp, "lo", err, sizeof(err)) ||
			     filters_on(1, BPF_TC_INGRESS) ||
			     filters_on(1, BPF_TC_EGRESS)))
			ret = 3;
		if (!ret && (datapath_attach(dp, "nosuchif0", err, sizeof(err)) != -ENODEV ||
			     !strstr(err, "nosuchif0")))
			ret = 5;
		datapath_unpin(dp);
		datapath_close(dp);
		_exit(ret);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		ksft_test_result_fail("fork\n");
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
		ksft_test_result_skip("no private network namespace\n");
		return;
	}
	ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status),
			 "clsact ingress and egress attached, detached, unknown interface named (%d)\n",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void)
{
	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("not root\n");
	ksft_set_plan(7);
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/flowpic-pin-test-%d", getpid());
	test_pin_and_reuse();
	test_mount();
	test_attach();
	ksft_finished();
}
