// SPDX-License-Identifier: GPL-2.0
/*
 * Least privilege of flowpic.ko's family, from callers without
 * CAP_NET_ADMIN: uid 65534, and root of an unprivileged user namespace
 * (with and without a network namespace of its own).
 *
 *   kmod_privilege absent   the module is not loaded: asking for the
 *                           family must not load it (the guest script
 *                           checks /proc/modules and its modprobe log)
 *   kmod_privilege loaded   the module is loaded: flows are listed for
 *                           root only; GET_CONFIG and GET_STATS stay open
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
enum { OK, CANNOT_BECOME, WRONG, NO_FAMILY };

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

static int child_loaded(enum who who)
{
	uint64_t cnt[__FLOWPIC_CNT_MAX];
	struct kmod_config cfg;
	struct kmod_client *c;
	int err, n = 0;

	if (become(who))
		return CANNOT_BECOME;
	err = kmod_client_open(&c);
	if (who == WHO_USERNS_NETNS)	/* the host's family is not there */
		return err == -ENOENT ? OK : WRONG;
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
	struct kmod_client *c;
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
	run_as(WHO_USERNS_NETNS, child_loaded,
	       "the host's family is not in its namespace (ENOENT)");
	err = kmod_client_open(&c);
	if (!err) {
		err = kmod_client_dump_flows(c, cb_count, &n);
		kmod_client_close(c);
	}
	tap_ok(!err, "root: GET_FLOWS works (%d flows, %s)", n, strerror(-err));
	return tap_done();
}
