/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * flowpic's contract: everything bpf/, kmod/ and user/ agree on.
 */
#ifndef _FLOWPIC_H
#define _FLOWPIC_H

#include "flowpic_compat.h"
#include "flowpic_key.h"
#include "flowpic_geom.h"
#include "flowpic_label.h"
#include "flowpic_record.h"
#include "flowpic_genl.h"

#endif /* _FLOWPIC_H */
