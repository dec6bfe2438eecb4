// SPDX-License-Identifier: GPL-2.0
/* Dropping capabilities after set-up, with libcap-ng; see privileges.h. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <cap-ng.h>

#include "live/privileges.h"

int privileges_drop(char *err, size_t errlen)
{
	int rc;

	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			 CAP_NET_ADMIN) ||
	    capng_update(CAPNG_ADD, CAPNG_BOUNDING_SET, CAP_NET_ADMIN)) {
		snprintf(err, errlen, "dropping capabilities: libcap-ng cannot "
			 "describe CAP_NET_ADMIN");
		return -EPERM;
	}
	/* SECBIT_NOROOT and SECBIT_NO_SETUID_FIXUP, locked. */
	rc = capng_lock();
	if (rc) {
		snprintf(err, errlen, "dropping capabilities: locking the "
			 "securebits failed (%d): is CAP_SETPCAP missing?", rc);
		return -EPERM;
	}
	rc = capng_apply(CAPNG_SELECT_BOTH);
	if (rc) {
		snprintf(err, errlen, "dropping capabilities: applying the new "
			 "sets failed (libcap-ng %d)", rc);
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -EPERM;
	}
	return 0;
}
