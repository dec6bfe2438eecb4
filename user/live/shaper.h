/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "shape RATE" policy action: an HTB qdisc that flowpicd creates on
 * each interface's egress, through libnl-route, and removes when it stops
 * (unless told to keep it). The kernel side steers a flow into a class by
 * setting skb->priority to the class id, which HTB honours when the major
 * number is its own handle.
 *
 *	f1c:		HTB root qdisc, default class f1c:2
 *	f1c:1		root class, the interface's ceiling
 *	f1c:2		everything not shaped, at the ceiling
 *	f1c:100+S	the class of policy slot S (model class S, 64 = unknown)
 *	f1c:200		classes shaped by the "default" rule, together
 */
#ifndef _FLOWPIC_USER_SHAPER_H
#define _FLOWPIC_USER_SHAPER_H

#include <stddef.h>
#include <stdint.h>

#include "live/policy.h"

#define SHAPER_MAJOR		0xf1cU
#define SHAPER_HANDLE		(SHAPER_MAJOR << 16)
#define SHAPER_ROOT_MINOR	0x1U
#define SHAPER_REST_MINOR	0x2U
#define SHAPER_SLOT_MINOR	0x100U
#define SHAPER_DEFAULT_MINOR	0x200U
/* Ceiling of the root and unshaped classes: HTB needs a number. */
#define SHAPER_CEIL_BPS		(100ULL * 1000 * 1000 * 1000)

static inline uint32_t shaper_classid(uint32_t minor)
{
	return SHAPER_HANDLE | minor;
}

struct nl_sock;

struct shaper {
	struct nl_sock	*sk;
};

/* Opens the route netlink socket. 0 or -errno, with a sentence in @err. */
int shaper_open(struct shaper *s, char *err, size_t errlen);
void shaper_close(struct shaper *s);

/*
 * Makes @ifname's root qdisc the flowpic HTB with exactly the classes in
 * @shapes (creating, changing or deleting classes as needed, so a reload
 * or a restart over a kept qdisc does not interrupt enforcement). Refuses
 * (-EEXIST) an interface whose root qdisc is someone else's, non-default
 * one. 0 or -errno, with a sentence naming the interface in @err.
 */
int shaper_apply(struct shaper *s, const char *ifname,
		 const struct policy_shape *shapes, unsigned int n,
		 char *err, size_t errlen);

/* Removes the flowpic HTB from @ifname, if it is there. 0 or -errno. */
int shaper_remove(struct shaper *s, const char *ifname,
		  char *err, size_t errlen);

/* 1 if @ifname's root qdisc is flowpic's HTB, 0 if not, -errno. */
int shaper_present(struct shaper *s, const char *ifname);

#endif /* _FLOWPIC_USER_SHAPER_H */
