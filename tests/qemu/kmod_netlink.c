// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic.ko's generic netlink family from userspace, through libnl and
 * user/kmod_client.c, inside the QEMU guest:
 *
 *   kmod_netlink           round trip: get, set, read back, refusals
 *   kmod_netlink --absent  the family must be gone (after rmmod)
 *
 * Prints TAP (tests/unit/tap.h).
 */
#include <errno.h>
#include <string.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmod_client.h"
#include "unit/tap.h"

#define NOBODY 65534

static int geom_eq(const struct flowpic_geom *a, const struct flowpic_geom *b)
{
	return a->n == b->n && a->window_ns == b->window_ns &&
	       a->max_size == b->max_size && a->channels == b->channels;
}

/*
 * In a child that dropped root: reads must work, writes must get EPERM.
 * Exit status: 0 all as expected, 1 read failed, 2 write not refused,
 * 3 could not drop privileges, 4 could not connect.
 */
static int unprivileged(void)
{
	struct kmod_client *c;
	struct kmod_config cfg;
	int err;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ||
	    !setuid(0))
		return 3;
	if (kmod_client_open(&c))
		return 4;
	if (kmod_client_get_config(c, &cfg))
		return 1;
	cfg.max_cells = 512;
	err = kmod_client_set_config(c, &cfg, KMOD_CONFIG_MAX_CELLS);
	kmod_client_close(c);
	return err == -EPERM ? 0 : 2;
}

static void check_unprivileged(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tap_ok(0, "unprivileged: fork: %s", strerror(errno));
		return;
	}
	if (!pid)
		_exit(unprivileged());
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		tap_ok(0, "unprivileged: child did not exit");
		return;
	}
	tap_ok(WEXITSTATUS(status) == 0,
	       "uid %d: GET_CONFIG allowed, SET_CONFIG refused with EPERM (child status %d)",
	       NOBODY, WEXITSTATUS(status));
}

static int absent(void)
{
	struct kmod_client *c;
	int err;

	err = kmod_client_open(&c);
	tap_ok(err == -ENOENT, "family \"%s\" is gone (open: %s)",
	       FLOWPIC_GENL_NAME, strerror(-err));
	if (!err)
		kmod_client_close(c);
	return tap_done();
}

int main(int argc, char **argv)
{
	struct kmod_config def, cfg, back;
	struct kmod_client *c;
	uint64_t cnt[__FLOWPIC_CNT_MAX];
	int err;

	tap_header();
	if (argc > 1 && !strcmp(argv[1], "--absent"))
		return absent();

	err = kmod_client_open(&c);
	if (!tap_ok(!err, "open the \"%s\" family (%s)", FLOWPIC_GENL_NAME,
		    strerror(-err)))
		return tap_done();

	err = kmod_client_get_config(c, &def);
	tap_ok(!err, "GET_CONFIG (%s)", err ? kmod_client_error(c) : "ok");
	tap_ok(def.geom.n == FLOWPIC_MINI_N &&
	       def.geom.window_ns == FLOWPIC_MINI_WINDOW_NS &&
	       def.geom.channels == 1 && def.geom.max_size == 1500,
	       "default geometry 32x32, 15 s, 1 channel (got %ux%u, %llu ns, %u)",
	       def.geom.n, def.geom.n, (unsigned long long)def.geom.window_ns,
	       def.geom.channels);

	cfg = def;
	cfg.geom.n = 1500;
	cfg.geom.window_ns = FLOWPIC_FULL_WINDOW_NS;
	cfg.geom.channels = 2;
	cfg.max_cells = 1024;
	cfg.idle_ns = 5000000000ULL;
	cfg.min_packets = 3;
	/* 65536 flows of 1024 cells would not fit a small guest's budget. */
	err = kmod_client_set_config(c, &cfg, KMOD_CONFIG_GEOM |
				     KMOD_CONFIG_MAX_CELLS |
				     KMOD_CONFIG_IDLE_NS |
				     KMOD_CONFIG_MIN_PACKETS);
	tap_ok(err == -EINVAL && strstr(kmod_client_error(c), "mem_budget"),
	       "SET_CONFIG 1500x1500, 1024 cells for %u flows refused: %s",
	       def.max_flows, kmod_client_error(c));
	cfg.max_flows = 1024;
	err = kmod_client_set_config(c, &cfg, KMOD_CONFIG_GEOM |
				     KMOD_CONFIG_MAX_FLOWS |
				     KMOD_CONFIG_MAX_CELLS |
				     KMOD_CONFIG_IDLE_NS |
				     KMOD_CONFIG_MIN_PACKETS);
	tap_ok(!err, "SET_CONFIG 1500x1500, 60 s, 2 channels, 1024 flows (%s)",
	       err ? kmod_client_error(c) : "ok");
	err = kmod_client_get_config(c, &back);
	tap_ok(!err && geom_eq(&back.geom, &cfg.geom) &&
	       back.max_cells == 1024 && back.idle_ns == cfg.idle_ns &&
	       back.min_packets == 3 && back.max_flows == 1024,
	       "GET_CONFIG reads back what was set");

	cfg.geom.n = 7;
	err = kmod_client_set_config(c, &cfg, KMOD_CONFIG_GEOM);
	tap_ok(err == -EINVAL && strstr(kmod_client_error(c), "n must be"),
	       "n 7 refused with EINVAL and the module's reason: %s",
	       kmod_client_error(c));
	cfg.max_cells = 8;
	err = kmod_client_set_config(c, &cfg, KMOD_CONFIG_MAX_CELLS);
	tap_ok(err < 0 && err != -EPERM, "max_cells 8 refused by the policy: %s",
	       kmod_client_error(c));
	err = kmod_client_set_config(c, &cfg, 0);
	tap_ok(err == -EINVAL, "SET_CONFIG without attributes refused: %s",
	       kmod_client_error(c));
	err = kmod_client_get_config(c, &back);
	tap_ok(!err && back.geom.n == 1500 && back.max_cells == 1024,
	       "refused writes changed nothing");

	err = kmod_client_get_stats(c, cnt);
	tap_ok(!err, "GET_STATS, %d counters (%s)", __FLOWPIC_CNT_MAX,
	       err ? kmod_client_error(c) : "ok");

	check_unprivileged();

	err = kmod_client_set_config(c, &def, KMOD_CONFIG_ALL);
	tap_ok(!err, "defaults restored (%s)",
	       err ? kmod_client_error(c) : "ok");
	kmod_client_close(c);
	return tap_done();
}
