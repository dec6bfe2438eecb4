/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * The few definitions the contract needs that differ between the three
 * compilers of flowpic: kernel (kmod/), BPF (bpf/, with vmlinux.h) and
 * userspace (user/, tests/). Nothing here allocates, divides or branches on
 * data; it only names types and byte-order primitives.
 */
#ifndef _FLOWPIC_COMPAT_H
#define _FLOWPIC_COMPAT_H

#if defined(__KERNEL__)
#include <linux/types.h>
#include <linux/math64.h>
#include <linux/build_bug.h>
#define flowpic_div64(a, b)	div64_u64((a), (b))
#define FLOWPIC_STATIC_ASSERT(e, msg) static_assert(e, msg)
#else
#ifndef __VMLINUX_H__		/* BPF programs get the types from vmlinux.h */
#include <linux/types.h>
#endif
#define flowpic_div64(a, b)	((__u64)(a) / (__u64)(b))
#define FLOWPIC_STATIC_ASSERT(e, msg) _Static_assert(e, msg)
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#ifndef __force
#define __force
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define flowpic_be32_to_host(x)	__builtin_bswap32((__force __u32)(x))
#define flowpic_be16_to_host(x)	__builtin_bswap16((__force __u16)(x))
#else
#define flowpic_be32_to_host(x)	((__force __u32)(x))
#define flowpic_be16_to_host(x)	((__force __u16)(x))
#endif

#endif /* _FLOWPIC_COMPAT_H */
