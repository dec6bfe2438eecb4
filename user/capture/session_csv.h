/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-packet session files, plain or gzip-compressed text, as the
 * video-platforms dataset ships them:
 *
 *	session,<name>
 *	rel_ts_us,len
 *	<microseconds since the session's first packet>,<bytes>
 *	...
 *
 * A negative length is a packet of the other direction: positive lengths
 * are direction 0, negative ones direction 1. Blank lines and a trailing
 * CR are allowed; anything else off this grammar is an error naming the
 * line.
 */
#ifndef _FLOWPIC_USER_SESSION_CSV_H
#define _FLOWPIC_USER_SESSION_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "flowpic.h"

#define SESSION_CSV_LINE_MAX	4096
#define SESSION_CSV_TIME_MAX_US	1000000000000000LL	/* ~31 years */

enum session_csv_event_type {
	SESSION_CSV_START = 1,	/* name set */
	SESSION_CSV_PACKET,	/* t_us, size, dir set */
};

struct session_csv_event {
	int	type;
	const char *name;	/* valid until the next call */
	__s64	t_us;
	__u32	size;
	__u8	dir;
	uint64_t line;
};

struct session_csv;

/* Opens @path ("-": stdin). NULL with a sentence in @err. */
struct session_csv *session_csv_open(const char *path, char *err,
				     size_t errlen);
/* Reads from @fd, which it then owns; @name is for messages. */
struct session_csv *session_csv_open_fd(int fd, const char *name, char *err,
					size_t errlen);
/*
 * 1 and @ev filled; 0 at the end of a good file; -1 on a syntax error,
 * a truncated or corrupt gzip stream or a read error, with the file and
 * line in session_csv_error(). Events before it were good.
 */
int session_csv_next(struct session_csv *r, struct session_csv_event *ev);
const char *session_csv_error(const struct session_csv *r);
uint64_t session_csv_sessions(const struct session_csv *r);
uint64_t session_csv_packets(const struct session_csv *r);
void session_csv_close(struct session_csv *r);

#endif /* _FLOWPIC_USER_SESSION_CSV_H */
