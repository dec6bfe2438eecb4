/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowpicd's IPFIX exporter (RFC 7011, encoded by libfixbuf): one data
 * record per labelled window, and an options template that maps label
 * ids (applicationId, RFC 6759) to class names. docs/export.md has the
 * record layout.
 *
 * The classifier hands records over with ipfix_push(), which never
 * waits: a thread of the exporter's own connects, encodes and sends. A
 * collector that is away costs records (dropped and counted), never the
 * labelling: TCP reconnects with the templates sent again, UDP re-sends
 * the templates every refresh period.
 */
#ifndef _FLOWPIC_USER_IPFIX_H
#define _FLOWPIC_USER_IPFIX_H

#include <stddef.h>
#include <stdint.h>

#include "flowpic.h"

/* RFC 5612's enterprise number for documentation: flowpic has none. */
#define IPFIX_PEN		32473
/* RFC 6759 classification engine "User-Defined"; selector = class id. */
#define IPFIX_ENGINE_ID		6
#define IPFIX_NAME_LEN		64	/* applicationName, NUL-padded */
#define IPFIX_ACTION_LEN	32	/* flowpicAction, NUL-padded */
#define IPFIX_QUEUE_MAX		4096	/* records waiting for the sender */
#define IPFIX_PORT_DEFAULT	"4739"

enum ipfix_transport {
	IPFIX_UDP,
	IPFIX_TCP,
};

/* A collector's address as --ipfix gives it: udp://HOST:PORT. */
struct ipfix_url {
	enum ipfix_transport	transport;
	char			host[256];
	char			port[16];
};

/* One labelled window, as the daemon knows it. */
struct ipfix_window {
	struct flowpic_key	key;
	uint64_t		start_ms;	/* Unix time, milliseconds */
	uint64_t		end_ms;
	uint64_t		packets[2];	/* FLOWPIC_DIR_* */
	uint64_t		bytes[2];
	uint32_t		index;		/* window number in the flow */
	uint16_t		class_id;	/* or FLOWPIC_CLASS_UNKNOWN */
	uint16_t		confidence;	/* 1/FLOWPIC_CONFIDENCE_ONE */
	uint8_t			reason;		/* enum flowpic_end_reason */
	char			name[IPFIX_NAME_LEN];
	char			action[IPFIX_ACTION_LEN];
};

struct ipfix_stats {
	uint64_t	records_sent;
	uint64_t	records_dropped;	/* queue full or collector away */
	uint64_t	messages_sent;
	uint64_t	templates_sent;		/* template sets, each time */
	uint64_t	send_errors;
	uint64_t	connects;		/* transport sessions opened */
	int		connected;
};

struct ipfix;

/*
 * Parses udp://HOST:PORT or tcp://HOST:PORT (HOST a name, an IPv4
 * address or [IPv6]; PORT defaults to 4739). 0, or -EINVAL with what is
 * wrong in @err.
 */
int ipfix_url_parse(const char *s, struct ipfix_url *u, char *err,
		    size_t errlen);

/*
 * Resolves and connects to @url (TCP: within a few seconds), so a
 * collector that is unreachable, refuses, or cannot be named is refused
 * here with the reason in @err. @refresh_ns: how often templates and the
 * class map are sent again over UDP.
 */
int ipfix_open(struct ipfix **xp, const char *url, uint64_t refresh_ns,
	       char *err, size_t errlen);
/* Starts the sender thread (after privileges are dropped). */
int ipfix_start(struct ipfix *x, char *err, size_t errlen);

/* The class names of the running model (unknown is added); sent again. */
void ipfix_set_classes(struct ipfix *x, const char *const *names,
		       unsigned int n);

/* Queues one record; never waits. -ENOSPC (counted) when full. */
int ipfix_push(struct ipfix *x, const struct ipfix_window *w);

void ipfix_get_stats(struct ipfix *x, struct ipfix_stats *s);

/* Sends what is queued (one connection attempt at most), then stops. */
void ipfix_close(struct ipfix *x);

#endif /* _FLOWPIC_USER_IPFIX_H */
