// SPDX-License-Identifier: GPL-2.0
/*
 * Least privilege of flowpic.ko's family, from callers without
 * CAP_NET_ADMIN over the initial namespace: uid 65534, and root of an
 * unprivileged user namespace (with and without a network namespace of
 * its own).
 *
 *   kmod_privilege absent   the module is not loaded: asking for the
 *                           family must not load it (the guest script
 *                           checks /proc/modules and its modprobe log)
 *   kmod_privilege loaded   the module is loaded: the initial namespace's
 *                           flows are listed, and its state changed, by
 *                           root only; GET_CONFIG and GET_STATS stay open.
 *                           Root of an unprivileged user namespace owns
 *                           the network namespace it made: there it may
 *                           list flows and configure, within the
 *                           module's bounds; through a socket of the
 *                           initial namespace it still may not.
 *
 * Prints TAP (tests/unit/tap.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmod_client.h"
#include "unit/tap.h"

#define NOBODY 65534

enum who {
	WHO_NOBODY,		/* uid 65534 in the initial namespaces */
	WHO_USERNS,		/* root of a user namespace made by 65534 */
	WHO_USERNS_NETNS,	/* the same, in a network namespace of its own */
};

static const char *const who_name[] = {
	[WHO_NOBODY]		= "uid 65534",
	[WHO_USERNS]		= "root of an unprivileged user namespace",
	[WHO_USERNS_NETNS]	= "root of an unprivileged user and network namespace",
};

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* Becomes @who; 0, or -1 when this kernel does not allow it. */
static int become(enum who who)
{
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ||
	    !setuid(0))
		return -1;
	if (who == WHO_NOBODY)
		return 0;
	/* Dropping root made us undumpable: /proc/self/ would be root's. */
	prctl(PR_SET_DUMPABLE, 1);
	if (unshare(CLONE_NEWUSER) ||
	    write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/uid_map", "0 65534 1") ||
	    write_file("/proc/self/gid_map", "0 65534 1"))
		return -1;
	if (who == WHO_USERNS_NETNS && unshare(CLONE_NEWNET))
		return -1;
	return 0;
}

/* Child exit codes. */
enum { OK, CANNOT_BECOME, WRONG, NO_FAMILY, HOST_WRONG, BOUNDS_WRONG };

static int child_absent(enum who who)
{
	struct kmod_client *c;
	int err;

	if (become(who))
		return CANNOT_BECOME;
	err = kmod_client_open(&c);
	if (!err)
		kmod_client_close(c);
	return err == -ENOENT ? OK : WRONG;
}

static int cb_count(const struct kmod_flow *f, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/*
 * Root of a user namespace in a network namespace of its own: there it
 * is the administrator, within the module's bounds. @host is a socket of
 * the initial namespace, opened before: the initial namespace's owner
 * decides what goes through it, and that is not us.
 */
static int child_own_netns(struct kmod_client *host)
{
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	uint64_t cnt[__FLOWPIC_CNT_MAX];
	struct kmod_config cfg;
	struct kmod_client *c;
	int n = 0;

	cfg.max_cells = 32;
	if (kmod_client_dump_flows(host, cb_count, &n) != -EPERM ||
	    kmod_client_set_config(host, &cfg, KMOD_CONFIG_MAX_CELLS) != -EPERM ||
	    kmod_client_set_policy(host, 1, &drop) != -EPERM)
		return HOST_WRONG;
	if (kmod_client_open(&c))
		return NO_FAMILY;
	if (kmod_client_dump_flows(c, cb_count, &n) || n ||
	    kmod_client_set_config(c, &cfg, KMOD_CONFIG_MAX_CELLS) ||
	    kmod_client_get_config(c, &cfg) || cfg.max_cells != 32 ||
	    kmod_client_set_policy(c, 1, &drop) ||
	    kmod_client_get_stats(c, cnt))
		return WRONG;
	/* The module's bounds hold here too: max_flows, the memory budget. */
	cfg.max_flows = 1048576;
	cfg.max_cells = 65536;
	if (kmod_client_set_config(c, &cfg, KMOD_CONFIG_MAX_FLOWS) != -EINVAL ||
	    kmod_client_set_config(c, &cfg, KMOD_CONFIG_MAX_CELLS) != -EINVAL)
		return BOUNDS_WRONG;
	kmod_client_close(c);
	return OK;
}

static int child_loaded(enum who who)
{
	uint64_t cnt[__FLOWPIC_CNT_MAX];
	struct kmod_client *c, *host = NULL;
	struct kmod_config cfg;
	int err, n = 0;

	if (who == WHO_USERNS_NETNS && kmod_client_open(&host))
		return NO_FAMILY;
	if (become(who))
		return CANNOT_BECOME;
	if (who == WHO_USERNS_NETNS)
		return child_own_netns(host);
	err = kmod_client_open(&c);
	if (err)
		return NO_FAMILY;
	if (kmod_client_dump_flows(c, cb_count, &n) != -EPERM)
		return WRONG;
	cfg.max_cells = 512;
	if (kmod_client_set_config(c, &cfg, KMOD_CONFIG_MAX_CELLS) != -EPERM)
		return WRONG;
	if (kmod_client_get_config(c, &cfg) || kmod_client_get_stats(c, cnt))
		return WRONG;
	kmod_client_close(c);
	return OK;
}

static void run_as(enum who who, int (*fn)(enum who), const char *what)
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(fn(who));
	if (pid > 0)
		waitpid(pid, &status, 0);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (status == CANNOT_BECOME)
		tap_skip("this kernel refuses the namespace", "%s: %s",
			 who_name[who], what);
	else
		tap_ok(status == OK, "%s: %s (child status %d)",
		       who_name[who], what, status);
}

int main(int argc, char **argv)
{
	struct kmod_config before = { 0 }, after = { 0 };
	struct kmod_client *c = NULL;
	int err, n = 0;
	enum who w;

	tap_header();
	if (argc > 1 && !strcmp(argv[1], "absent")) {
		for (w = WHO_NOBODY; w <= WHO_USERNS_NETNS; w++)
			run_as(w, child_absent,
			       "the family is absent (ENOENT), not loaded");
		return tap_done();
	}
	for (w = WHO_NOBODY; w <= WHO_USERNS; w++)
		run_as(w, child_loaded,
		       "GET_FLOWS and SET_CONFIG get EPERM; GET_CONFIG, GET_STATS work");
	err = kmod_client_open(&c);
	if (!err)
		err = kmod_client_get_config(c, &before);
	run_as(WHO_USERNS_NETNS, child_loaded,
	       "its own namespace: GET_FLOWS (none), SET_CONFIG, SET_POLICY "
	       "work; past max_flows or mem_budget EINVAL; a socket of the "
	       "initial namespace gets EPERM");
	if (!err)
		err = kmod_client_get_config(c, &after);
	tap_ok(!err && after.max_cells == before.max_cells &&
	       after.max_flows == before.max_flows,
	       "the initial namespace's config is untouched (max_cells %u, "
	       "max_flows %u)", after.max_cells, after.max_flows);
	if (!err)
		err = kmod_client_dump_flows(c, cb_count, &n);
	if (c)
		kmod_client_close(c);
	tap_ok(!err, "root: GET_FLOWS works (%d flows, %s)", n, strerror(-err));
	return tap_done();
}
