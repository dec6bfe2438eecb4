/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWPIC_USER_GEOMETRY_H
#define _FLOWPIC_USER_GEOMETRY_H

#include <stddef.h>
#include "flowpic.h"

/* "15s", "500ms", "60" (seconds), "1m" to nanoseconds; -EINVAL if not. */
int geometry_parse_duration(const char *s, __u64 *ns);
/* 0 if @g is usable; otherwise -EINVAL and a sentence in @err. */
int geometry_check(const struct flowpic_geom *g, char *err, size_t errlen);
/* The literature's defaults: 15 s for N <= 64, 60 s above; 1 channel. */
void geometry_default(struct flowpic_geom *g, unsigned int n);

#endif /* _FLOWPIC_USER_GEOMETRY_H */
