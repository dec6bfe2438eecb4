/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest's netlink programs (tests/qemu/NAME.c) share, linked into
 * each of them (qemu_common.c): the family opened as their first TAP
 * check, loopback UDP sockets, and entering a named network namespace.
 */
#ifndef _FLOWPIC_QEMU_COMMON_H
#define _FLOWPIC_QEMU_COMMON_H

#include <stdint.h>
#include <string.h>

#include "kmod_client.h"
#include "unit/tap.h"

/*
 * Opens the family as a TAP check, "open the family": the client, or
 * NULL (the check failed, saying why).
 */
static inline struct kmod_client *qemu_family_open(void)
{
	struct kmod_client *c = NULL;
	int err = kmod_client_open(&c);

	tap_ok(!err, "open the family (%s)", strerror(-err));
	return err ? NULL : c;
}

/* A UDP socket bound to 127.0.0.1:@port (@port 0: not bound); -1. */
int qemu_udp_loopback(uint16_t port);

/* Into the network namespace /run/netns/@name (ip netns); 0 or -1. */
int qemu_enter_netns(const char *name);

#endif /* _FLOWPIC_QEMU_COMMON_H */
