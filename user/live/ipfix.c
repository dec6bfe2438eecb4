// SPDX-License-Identifier: GPL-2.0
/*
 * IPFIX export of labelled windows. libfixbuf encodes every message
 * (templates, the options template, data records, headers, sequence
 * numbers) into a buffer exporter; the transport is ours, so a connect
 * is bounded in time, a collector that closed its end is noticed before
 * a message is lost to it, and every record that does not leave is
 * counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fixbuf/public.h>

#include "live/ipfix.h"

#define IPFIX_CONNECT_MS	3000	/* a TCP connect, at most */
#define IPFIX_SEND_MS		2000	/* a stalled TCP collector, at most */
#define IPFIX_PROBE_MS		300	/* UDP: for a port unreachable */
#define IPFIX_REDIAL_NS		1000000000ULL	/* between two attempts */
#define IPFIX_REFRESH_MIN_NS	100000000ULL	/* --ipfix-refresh, at least */
#define IPFIX_BATCH		64
#define IPFIX_MTU_UDP		1420
#define IPFIX_MTU_TCP		8192

/* Template ids: data records per address family, and the class map. */
#define TID_REC_V4		256
#define TID_REC_V6		257
#define TID_CLASSES		258
#define TID_TYPES		259	/* RFC 5610 element type records */
#define TID_REC_INTERNAL	256

#define SPEC_V4			1
#define SPEC_V6			2

/* flowpic's own elements, under IPFIX_PEN. */
static fbInfoElement_t flowpic_elements[] = {
	FB_IE_INIT_FULL("flowpicConfidence", IPFIX_PEN, 1, 2,
			FB_IE_F_ENDIAN | FB_IE_QUANTITY, 0,
			FLOWPIC_CONFIDENCE_ONE, FB_UINT_16,
			"the model's probability of the label, in 1/10000"),
	FB_IE_INIT_FULL("flowpicWindowIndex", IPFIX_PEN, 2, 4,
			FB_IE_F_ENDIAN | FB_IE_IDENTIFIER, 0, 0, FB_UINT_32,
			"the window's number within its flow, from 0"),
	FB_IE_INIT_FULL("flowpicAction", IPFIX_PEN, 3, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"the policy's action for the label"),
	FB_IE_NULL
};

/*
 * The record as libfixbuf reads it: the internal template below, field
 * for field, packed. Numbers in host order, IPv4 addresses as host
 * integers, IPv6 addresses in network order.
 */
struct ipfix_wire {
	fbVarfield_t	app_id;
	uint8_t		src6[16];
	uint8_t		dst6[16];
	uint64_t	start_ms;
	uint64_t	end_ms;
	uint64_t	packets;
	uint64_t	bytes;
	uint64_t	rev_packets;
	uint64_t	rev_bytes;
	uint32_t	src4;
	uint32_t	dst4;
	uint32_t	window;
	uint16_t	sport;
	uint16_t	dport;
	uint16_t	confidence;
	uint8_t		proto;
	uint8_t		end_reason;
	char		app_name[IPFIX_NAME_LEN];
	char		action[IPFIX_ACTION_LEN];
} __attribute__((packed));

/*
 * Every length given: libfixbuf refuses an internal template without.
 * applicationId is variable-length, as NBAR sends it: nfdump 1.7 copies
 * it as bytes then (as a number, reversed, when its length is fixed).
 */
static fbInfoElementSpec_t rec_spec[] = {
	{ "applicationId",		FB_IE_VARLEN, 0 },
	{ "sourceIPv6Address",		16, SPEC_V6 },
	{ "destinationIPv6Address",	16, SPEC_V6 },
	{ "flowStartMilliseconds",	8, 0 },
	{ "flowEndMilliseconds",	8, 0 },
	{ "packetDeltaCount",		8, 0 },
	{ "octetDeltaCount",		8, 0 },
	{ "reversePacketDeltaCount",	8, 0 },
	{ "reverseOctetDeltaCount",	8, 0 },
	{ "sourceIPv4Address",		4, SPEC_V4 },
	{ "destinationIPv4Address",	4, SPEC_V4 },
	{ "flowpicWindowIndex",		4, 0 },
	{ "sourceTransportPort",	2, 0 },
	{ "destinationTransportPort",	2, 0 },
	{ "flowpicConfidence",		2, 0 },
	{ "protocolIdentifier",		1, 0 },
	{ "flowEndReason",		1, 0 },
	{ "applicationName",		IPFIX_NAME_LEN, 0 },
	{ "flowpicAction",		IPFIX_ACTION_LEN, 0 },
	FB_IESPEC_NULL
};

/* The class map: scope the observation domain, as NBAR's option records. */
struct ipfix_class_wire {
	uint32_t	domain;
	uint8_t		app_id[3];
	char		app_name[IPFIX_NAME_LEN];
	char		app_desc[IPFIX_NAME_LEN];
} __attribute__((packed));

static fbInfoElementSpec_t class_spec[] = {
	{ "observationDomainId",	4, 0 },
	{ "applicationId",		3, 0 },
	{ "applicationName",		IPFIX_NAME_LEN, 0 },
	{ "applicationDescription",	IPFIX_NAME_LEN, 0 },
	FB_IESPEC_NULL
};

struct ipfix {
	struct ipfix_url	url;
	uint64_t		refresh_ns;
	fbInfoModel_t		*model;

	/* The sender thread's own: the transport session. */
	int			fd;
	fBuf_t			*fbuf;
	fbExporter_t		*exporter;	/* fbuf's */
	uint8_t			msg[IPFIX_MTU_TCP];
	uint16_t		mtu;
	uint32_t		in_msg;		/* records in the open message */
	int			dirty;		/* anything in it at all */
	uint64_t		next_dial_ns;
	uint64_t		next_refresh_ns;
	int			templates_due;
	int			down_said;	/* the outage was logged */
	int			send_errno;	/* of the last failed send */

	pthread_t		thread;
	int			running;
	pthread_mutex_t		lock;
	pthread_cond_t		cond;
	struct ipfix_window	*q;
	uint32_t		q_head, q_count;
	struct ipfix_window	batch[IPFIX_BATCH];
	char			classes[FLOWPIC_POLICY_SLOTS][IPFIX_NAME_LEN];
	unsigned int		nclasses;	/* known classes, then unknown */
	int			classes_changed;
	int			stop;
	struct ipfix_stats	st;		/* under lock */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- the collector's address ---------------------------------------------- */

int ipfix_url_parse(const char *s, struct ipfix_url *u, char *err,
		    size_t errlen)
{
	const char *h, *end, *port = NULL;
	size_t hlen;
	char *e;
	unsigned long p;

	memset(u, 0, sizeof(*u));
	if (!strncmp(s, "udp://", 6)) {
		u->transport = IPFIX_UDP;
	} else if (!strncmp(s, "tcp://", 6)) {
		u->transport = IPFIX_TCP;
	} else {
		snprintf(err, errlen, "--ipfix %s: expected udp://HOST:PORT or "
			 "tcp://HOST:PORT", s);
		return -EINVAL;
	}
	h = s + 6;
	if (*h == '[') {
		end = strchr(++h, ']');
		if (!end || (end[1] && end[1] != ':')) {
			snprintf(err, errlen, "--ipfix %s: an IPv6 address "
				 "goes in brackets: tcp://[2001:db8::1]:4739", s);
			return -EINVAL;
		}
		hlen = (size_t)(end - h);
		if (end[1] == ':')
			port = end + 2;
	} else {
		end = strchr(h, ':');
		if (end && strchr(end + 1, ':')) {
			snprintf(err, errlen, "--ipfix %s: an IPv6 address "
				 "goes in brackets: tcp://[2001:db8::1]:4739", s);
			return -EINVAL;
		}
		hlen = end ? (size_t)(end - h) : strlen(h);
		if (end)
			port = end + 1;
	}
	if (!hlen || hlen >= sizeof(u->host) || memchr(h, '/', hlen)) {
		snprintf(err, errlen, "--ipfix %s: %s", s, !hlen ?
			 "no collector host" : "bad collector host");
		return -EINVAL;
	}
	memcpy(u->host, h, hlen);
	if (!port) {
		snprintf(u->port, sizeof(u->port), "%s", IPFIX_PORT_DEFAULT);
		return 0;
	}
	errno = 0;
	p = strtoul(port, &e, 10);
	if (errno || e == port || *e || !p || p > 65535 || *port == '-' ||
	    *port == '+') {
		snprintf(err, errlen, "--ipfix %s: port '%s': expected a number "
			 "from 1 to 65535", s, port);
		return -EINVAL;
	}
	snprintf(u->port, sizeof(u->port), "%lu", p);
	return 0;
}

/* The collector as the user wrote it: udp://HOST:PORT, [V6] bracketed. */
static const char *url_str(const struct ipfix_url *u)
{
	static __thread char s[300];
	int v6 = strchr(u->host, ':') != NULL;

	snprintf(s, sizeof(s), "%s://%s%s%s:%s", u->transport == IPFIX_TCP ?
		 "tcp" : "udp", v6 ? "[" : "", u->host, v6 ? "]" : "", u->port);
	return s;
}

/* --- the transport ---------------------------------------------------------- */

static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int e = 0, rc;

	if (!connect(fd, sa, len))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	do {
		rc = poll(&p, 1, IPFIX_CONNECT_MS);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return -ETIMEDOUT;
	if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen))
		return -errno;
	return -e;
}

/* A socket connected to the collector, or -errno with why in @err. */
static int dial(const struct ipfix_url *u, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_flags = AI_NUMERICSERV }, *res, *ai;
	struct timeval tv = { .tv_sec = IPFIX_SEND_MS / 1000 };
	int fd = -1, rc, gai;

	hints.ai_socktype = u->transport == IPFIX_TCP ? SOCK_STREAM :
			    SOCK_DGRAM;
	gai = getaddrinfo(u->host, u->port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "IPFIX collector %s: cannot resolve "
			 "'%s': %s", url_str(u), u->host, gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	rc = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		rc = connect_bounded(fd, ai->ai_addr, ai->ai_addrlen);
		if (!rc)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "IPFIX collector %s: %s%s", url_str(u),
			 strerror(-rc),
			 rc == -ECONNREFUSED ? " (is the collector listening "
			 "on that port?)" : "");
		return rc;
	}
	/* Blocking sends from here on, bounded by a timeout. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
		rc = -errno;
		snprintf(err, errlen, "IPFIX collector socket: %s",
			 strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

/* TCP: did the collector close its end (or reset) since the last send? */
static int peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char buf[512];
	ssize_t n;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLERR | POLLHUP | POLLRDHUP))
		return 1;
	/* A collector has nothing to say: read it away, EOF means gone. */
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

static void session_free(struct ipfix *x)
{
	if (x->fbuf)
		fBufFree(x->fbuf);	/* with its session and exporter */
	x->fbuf = NULL;
	x->exporter = NULL;
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->in_msg = 0;
	x->dirty = 0;
}

static int add_template(fbSession_t *s, fbInfoModel_t *m,
			fbInfoElementSpec_t *spec, uint32_t flags,
			uint16_t scope, uint16_t tid, int internal,
			int external)
{
	GError *gerr = NULL;
	fbTemplate_t *t;
	int owned = 0;

	t = fbTemplateAlloc(m);
	if (!fbTemplateAppendSpecArray(t, spec, flags, &gerr))
		goto err;
	if (scope)
		fbTemplateSetOptionsScope(t, scope);
	if (internal && !fbSessionAddTemplate(s, TRUE, tid, t, &gerr))
		goto err;
	owned = internal;
	if (external && !fbSessionAddTemplate(s, FALSE, tid, t, &gerr))
		goto err;
	return 0;

err:
	fprintf(stderr, "flowpicd: IPFIX template %u: %s\n", tid,
		gerr ? gerr->message : "?");
	g_clear_error(&gerr);
	if (!owned)
		fbTemplateFreeUnused(t);
	return -EINVAL;
}

/* RFC 5610's options template, which describes flowpic's own elements. */
static int add_type_template(fbSession_t *s, fbInfoModel_t *m)
{
	GError *gerr = NULL;
	fbTemplate_t *t;

	t = fbInfoElementAllocTypeTemplate(m, &gerr);
	if (!t || !fbSessionAddTemplate(s, TRUE, TID_TYPES, t, &gerr) ||
	    !fbSessionAddTemplate(s, FALSE, TID_TYPES, t, &gerr)) {
		fprintf(stderr, "flowpicd: IPFIX type template: %s\n",
			gerr ? gerr->message : "?");
		g_clear_error(&gerr);
		return -EINVAL;
	}
	return 0;
}

/*
 * A new transport session: a socket and a libfixbuf session with every
 * template, which go out (again) before the next record.
 */
static int session_new(struct ipfix *x, char *err, size_t errlen)
{
	fbSession_t *s;
	int fd;

	fd = dial(&x->url, err, errlen);
	if (fd < 0)
		return fd;
	s = fbSessionAlloc(x->model);
	if (add_template(s, x->model, rec_spec, UINT32_MAX, 0,
			 TID_REC_INTERNAL, 1, 0) ||
	    add_template(s, x->model, rec_spec, SPEC_V4, 0, TID_REC_V4, 0,
			 1) ||
	    add_template(s, x->model, rec_spec, SPEC_V6, 0, TID_REC_V6, 0,
			 1) ||
	    add_template(s, x->model, class_spec, 0, 1, TID_CLASSES, 1, 1) ||
	    add_type_template(s, x->model)) {
		fbSessionFree(s);
		close(fd);
		snprintf(err, errlen, "IPFIX templates refused by libfixbuf");
		return -EINVAL;
	}
	x->mtu = x->url.transport == IPFIX_TCP ? IPFIX_MTU_TCP : IPFIX_MTU_UDP;
	x->exporter = fbExporterAllocBuffer(x->msg, x->mtu);
	x->fbuf = fBufAllocForExport(s, x->exporter);
	fBufSetAutomaticMode(x->fbuf, FALSE);
	x->fd = fd;
	x->in_msg = 0;
	x->templates_due = 1;
	if (x->down_said)
		fprintf(stderr, "flowpicd: IPFIX collector %s: connected "
			"again\n", url_str(&x->url));
	x->down_said = 0;
	pthread_mutex_lock(&x->lock);
	x->st.connects++;
	x->st.connected = 1;
	pthread_mutex_unlock(&x->lock);
	return 0;
}

static void session_lost(struct ipfix *x)
{
	if (!x->down_said)
		fprintf(stderr, "flowpicd: IPFIX collector %s: connection "
			"lost; records are dropped and counted until it is "
			"back\n", url_str(&x->url));
	x->down_said = 1;
	session_free(x);
	x->next_dial_ns = mono_ns();	/* try again at once, then wait */
	pthread_mutex_lock(&x->lock);
	x->st.connected = 0;
	pthread_mutex_unlock(&x->lock);
}

/* Sends the message libfixbuf just wrote; @nrec data records in it. */
static int send_msg(struct ipfix *x, uint32_t nrec, int templates)
{
	size_t len = fbExporterGetMsgLen(x->exporter), off = 0;
	ssize_t n;
	int ok = 1;

	while (off < len) {
		n = send(x->fd, x->msg + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			x->send_errno = n < 0 ? errno : EPIPE;
			ok = 0;
			break;
		}
		off += (size_t)n;
	}
	pthread_mutex_lock(&x->lock);
	if (ok) {
		x->st.messages_sent++;
		x->st.records_sent += nrec;
		x->st.templates_sent += templates;
	} else {
		x->st.send_errors++;
		x->st.records_dropped += nrec;
	}
	pthread_mutex_unlock(&x->lock);
	/*
	 * UDP: the collector's ICMP came back on this send; the socket
	 * stays. TCP: a stream cut in a message is of no use any more.
	 */
	if (!ok && x->url.transport == IPFIX_TCP) {
		session_lost(x);
		return -EPIPE;
	}
	return 0;
}

/* Closes the open message and sends it. */
static int flush_msg(struct ipfix *x, int templates)
{
	GError *gerr = NULL;
	uint32_t n = x->in_msg;

	/* libfixbuf writes nothing for an empty message. */
	if (!x->dirty)
		return 0;
	x->in_msg = 0;
	x->dirty = 0;
	if (!fBufEmit(x->fbuf, &gerr)) {
		g_clear_error(&gerr);
		pthread_mutex_lock(&x->lock);
		x->st.records_dropped += n;
		pthread_mutex_unlock(&x->lock);
		return -EIO;
	}
	return send_msg(x, n, templates);
}

static void app_id(uint8_t out[3], uint16_t class_id)
{
	out[0] = IPFIX_ENGINE_ID;
	out[1] = (uint8_t)(class_id >> 8);
	out[2] = (uint8_t)class_id;
}

/* Appends one record, sending the open message first when it is full. */
static int append(struct ipfix *x, uint16_t ext_tid, const void *rec,
		  size_t len)
{
	GError *gerr = NULL;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (!fBufSetExportTemplate(x->fbuf, ext_tid, &gerr) ||
		    !fBufSetInternalTemplate(x->fbuf, ext_tid == TID_CLASSES ?
					     TID_CLASSES : TID_REC_INTERNAL,
					     &gerr)) {
			if (!g_error_matches(gerr, FB_ERROR_DOMAIN,
					     FB_ERROR_EOM))
				break;
		} else if (fBufAppend(x->fbuf, (uint8_t *)rec, len, &gerr)) {
			x->dirty = 1;
			return 0;
		} else if (!g_error_matches(gerr, FB_ERROR_DOMAIN,
					    FB_ERROR_EOM)) {
			break;
		}
		g_clear_error(&gerr);
		if (flush_msg(x, ext_tid == TID_CLASSES))
			return -EPIPE;
	}
	if (gerr)
		fprintf(stderr, "flowpicd: IPFIX record: %s\n", gerr->message);
	g_clear_error(&gerr);
	return -EIO;
}

/* Templates, then the class map as options records: one message. */
static int send_templates(struct ipfix *x, char (*classes)[IPFIX_NAME_LEN],
			  unsigned int n)
{
	struct ipfix_class_wire c;
	GError *gerr = NULL;
	unsigned int i;

	static const uint16_t tids[] = { TID_TYPES, TID_REC_V4, TID_REC_V6,
					 TID_CLASSES };
	const fbInfoElement_t *ie;
	unsigned int t, tries;

	if (flush_msg(x, 0))
		return -EPIPE;
	/* Templates open a message of their own: libfixbuf says so with an
	 * end of message, after which the append is tried again. */
	for (t = 0; t < sizeof(tids) / sizeof(tids[0]); t++) {
		for (tries = 0; tries < 2; tries++) {
			if (fbSessionExportTemplate(fBufGetSession(x->fbuf),
						    tids[t], &gerr))
				break;
			if (!g_error_matches(gerr, FB_ERROR_DOMAIN,
					     FB_ERROR_EOM) ||
			    flush_msg(x, 1)) {
				fprintf(stderr, "flowpicd: IPFIX template "
					"%u: %s\n", tids[t],
					gerr ? gerr->message : "lost");
				g_clear_error(&gerr);
				return -EIO;
			}
			g_clear_error(&gerr);
		}
		x->dirty = 1;
	}
	/* What flowpicConfidence and the others are (RFC 5610), first. */
	for (t = 0; flowpic_elements[t].ref.name; t++) {
		ie = fbInfoModelGetElementByName(x->model,
						 flowpic_elements[t].ref.name);
		for (tries = 0; tries < 2; tries++) {
			if (fbInfoElementWriteOptionsRecord(x->fbuf, ie,
							    TID_TYPES,
							    TID_TYPES, &gerr))
				break;
			if (!g_error_matches(gerr, FB_ERROR_DOMAIN,
					     FB_ERROR_EOM) ||
			    flush_msg(x, 1)) {
				g_clear_error(&gerr);
				return -EIO;
			}
			g_clear_error(&gerr);
		}
		x->dirty = 1;
	}
	for (i = 0; i < n; i++) {
		memset(&c, 0, sizeof(c));
		app_id(c.app_id, i + 1 == n ? FLOWPIC_CLASS_UNKNOWN : i);
		memcpy(c.app_name, classes[i], sizeof(c.app_name));
		snprintf(c.app_desc, sizeof(c.app_desc), "flowpic class %s",
			 classes[i]);
		/*
		 * A message each: nfdump 1.7 reads the first record of an
		 * options set right and the others at the wrong stride.
		 */
		if (append(x, TID_CLASSES, &c, sizeof(c)) || flush_msg(x, 1))
			return -EPIPE;
	}
	if (flush_msg(x, 1))
		return -EPIPE;
	x->templates_due = 0;
	x->next_refresh_ns = mono_ns() + x->refresh_ns;
	return 0;
}

static void to_wire(struct ipfix_wire *r, uint8_t id[3],
		    const struct ipfix_window *w)
{
	const struct flowpic_key *k = &w->key;

	memset(r, 0, sizeof(*r));
	if (k->family == FLOWPIC_FAMILY_IPV4) {
		r->src4 = ntohl(k->lo_addr[3]);
		r->dst4 = ntohl(k->hi_addr[3]);
	} else {
		memcpy(r->src6, k->lo_addr, 16);
		memcpy(r->dst6, k->hi_addr, 16);
	}
	r->sport = ntohs(k->lo_port);
	r->dport = ntohs(k->hi_port);
	r->proto = k->proto;
	r->start_ms = w->start_ms;
	r->end_ms = w->end_ms;
	r->packets = w->packets[FLOWPIC_DIR_LO_TO_HI];
	r->bytes = w->bytes[FLOWPIC_DIR_LO_TO_HI];
	r->rev_packets = w->packets[FLOWPIC_DIR_HI_TO_LO];
	r->rev_bytes = w->bytes[FLOWPIC_DIR_HI_TO_LO];
	r->window = w->index;
	r->confidence = w->confidence;
	/* RFC 7011 flowEndReason: 1 idle, 2 active timeout, 3 end, 5 lack
	 * of resources. */
	switch (w->reason) {
	case FLOWPIC_END_IDLE:
		r->end_reason = 1;
		break;
	case FLOWPIC_END_FIN:
	case FLOWPIC_END_RST:
		r->end_reason = 3;
		break;
	case FLOWPIC_END_EVICT:
		r->end_reason = 5;
		break;
	default:
		r->end_reason = 2;
		break;
	}
	app_id(id, w->class_id);
	r->app_id.buf = id;
	r->app_id.len = 3;
	memcpy(r->app_name, w->name, sizeof(r->app_name));
	memcpy(r->action, w->action, sizeof(r->action));
}

/*
 * One batch: connects when there is no session (at most once a second),
 * sends the templates when due, then the records. Records that cannot
 * leave are counted as dropped.
 */
static void send_batch(struct ipfix *x, uint32_t n,
		       char (*classes)[IPFIX_NAME_LEN], unsigned int ncls,
		       int refresh)
{
	struct ipfix_wire r;
	uint8_t id[3];
	char err[512];
	uint32_t i;
	uint64_t now = mono_ns();

	if (x->fd >= 0 && x->url.transport == IPFIX_TCP && peer_gone(x->fd))
		session_lost(x);
	if (x->fd < 0 && now >= x->next_dial_ns) {
		if (session_new(x, err, sizeof(err))) {
			x->next_dial_ns = now + IPFIX_REDIAL_NS;
			if (!x->down_said)
				fprintf(stderr, "flowpicd: %s; records are "
					"dropped and counted until it is "
					"back\n", err);
			x->down_said = 1;
		}
	}
	if (x->fd >= 0 && (x->templates_due || refresh))
		send_templates(x, classes, ncls);
	for (i = 0; i < n && x->fd >= 0; i++) {
		to_wire(&r, id, &x->batch[i]);
		if (append(x, x->batch[i].key.family == FLOWPIC_FAMILY_IPV4 ?
			   TID_REC_V4 : TID_REC_V6, &r, sizeof(r))) {
			pthread_mutex_lock(&x->lock);
			x->st.records_dropped++;
			pthread_mutex_unlock(&x->lock);
			continue;
		}
		x->in_msg++;
	}
	if (x->fd >= 0)
		flush_msg(x, 0);
	if (i < n) {
		pthread_mutex_lock(&x->lock);
		x->st.records_dropped += n - i;
		pthread_mutex_unlock(&x->lock);
	}
}

static void *sender_main(void *arg)
{
	char classes[FLOWPIC_POLICY_SLOTS][IPFIX_NAME_LEN];
	struct ipfix *x = arg;
	unsigned int ncls = 0;
	struct timespec ts;
	uint64_t until;
	uint32_t n, i;
	int refresh, last = 0;

	pthread_mutex_lock(&x->lock);
	for (;;) {
		/* Woken by records, a new class map, a UDP refresh, or
		 * (collector away) the next connection attempt. */
		until = x->fd < 0 ? x->next_dial_ns :
			x->url.transport == IPFIX_UDP ? x->next_refresh_ns :
			mono_ns() + 3600000000000ULL;
		while (!x->q_count && !x->stop && !x->classes_changed &&
		       mono_ns() < until) {
			ts.tv_sec = (time_t)(until / 1000000000ULL);
			ts.tv_nsec = (long)(until % 1000000000ULL);
			pthread_cond_timedwait(&x->cond, &x->lock, &ts);
		}
		if (x->stop) {
			/* One last attempt for what is queued, then go. */
			if (last || !x->q_count)
				break;
			last = 1;
			if (x->fd < 0)
				x->next_dial_ns = 0;
		}
		n = x->q_count < IPFIX_BATCH ? x->q_count : IPFIX_BATCH;
		for (i = 0; i < n; i++)
			x->batch[i] = x->q[(x->q_head + i) % IPFIX_QUEUE_MAX];
		x->q_head = (x->q_head + n) % IPFIX_QUEUE_MAX;
		x->q_count -= n;
		refresh = x->classes_changed;
		if (x->classes_changed || !ncls) {
			memcpy(classes, x->classes, sizeof(classes));
			ncls = x->nclasses;
			x->classes_changed = 0;
		}
		pthread_mutex_unlock(&x->lock);

		refresh |= x->url.transport == IPFIX_UDP &&
			   mono_ns() >= x->next_refresh_ns;
		send_batch(x, n, classes, ncls, refresh);

		pthread_mutex_lock(&x->lock);
		if (last && x->q_count) {
			x->st.records_dropped += x->q_count;
			x->q_count = 0;
		}
	}
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

/*
 * UDP has no connection to refuse: the first templates go out at once,
 * and a port nobody listens on answers with an ICMP error, which the
 * socket reports. 0, or the errno it carried.
 */
static int udp_refused(int fd)
{
	struct pollfd p = { .fd = fd };
	socklen_t len = sizeof(int);
	int e = 0;

	if (poll(&p, 1, IPFIX_PROBE_MS) <= 0 || !(p.revents & POLLERR))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len))
		return 0;
	return e;
}

/* --- the interface ------------------------------------------------------ */

int ipfix_open(struct ipfix **xp, const char *url, uint64_t refresh_ns,
	       char *err, size_t errlen)
{
	pthread_condattr_t ca;
	struct ipfix *x;
	int rc;

	x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	x->fd = -1;
	rc = ipfix_url_parse(url, &x->url, err, errlen);
	if (rc)
		goto err_free;
	x->q = calloc(IPFIX_QUEUE_MAX, sizeof(*x->q));
	if (!x->q) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto err_free;
	}
	if (refresh_ns < IPFIX_REFRESH_MIN_NS) {
		snprintf(err, errlen, "--ipfix-refresh: at least 100ms");
		rc = -EINVAL;
		goto err_free;
	}
	x->refresh_ns = refresh_ns;
	x->model = fbInfoModelAlloc();
	fbInfoModelAddElementArray(x->model, flowpic_elements);
	pthread_mutex_init(&x->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->cond, &ca);
	pthread_condattr_destroy(&ca);

	rc = session_new(x, err, errlen);
	if (rc)
		goto err_model;
	if (x->url.transport == IPFIX_UDP) {
		rc = send_templates(x, NULL, 0) ? 0 : -udp_refused(x->fd);
		if (!rc && x->send_errno)	/* an ICMP error came back */
			rc = -x->send_errno;
		if (rc) {
			snprintf(err, errlen, "IPFIX collector %s: %s (is the "
				 "collector listening on that port?)",
				 url_str(&x->url), strerror(-rc));
			goto err_session;
		}
	}
	*xp = x;
	return 0;

err_session:
	session_free(x);
err_model:
	fbInfoModelFree(x->model);
	pthread_cond_destroy(&x->cond);
	pthread_mutex_destroy(&x->lock);
err_free:
	free(x->q);
	free(x);
	return rc;
}

int ipfix_start(struct ipfix *x, char *err, size_t errlen)
{
	int rc;

	rc = pthread_create(&x->thread, NULL, sender_main, x);
	if (rc) {
		snprintf(err, errlen, "IPFIX sender thread: %s", strerror(rc));
		return -rc;
	}
	x->running = 1;
	return 0;
}

void ipfix_set_classes(struct ipfix *x, const char *const *names,
		       unsigned int n)
{
	unsigned int i;

	pthread_mutex_lock(&x->lock);
	memset(x->classes, 0, sizeof(x->classes));
	for (i = 0; i < n && i < FLOWPIC_CLASSES_MAX; i++)
		snprintf(x->classes[i], IPFIX_NAME_LEN, "%s", names[i]);
	snprintf(x->classes[i], IPFIX_NAME_LEN, "unknown");
	x->nclasses = i + 1;
	x->classes_changed = 1;
	pthread_mutex_unlock(&x->lock);
	pthread_cond_signal(&x->cond);
}

int ipfix_push(struct ipfix *x, const struct ipfix_window *w)
{
	int wake;

	pthread_mutex_lock(&x->lock);
	if (x->q_count == IPFIX_QUEUE_MAX) {
		x->st.records_dropped++;
		pthread_mutex_unlock(&x->lock);
		return -ENOSPC;
	}
	x->q[(x->q_head + x->q_count) % IPFIX_QUEUE_MAX] = *w;
	wake = !x->q_count++;
	pthread_mutex_unlock(&x->lock);
	if (wake)
		pthread_cond_signal(&x->cond);
	return 0;
}

void ipfix_get_stats(struct ipfix *x, struct ipfix_stats *s)
{
	pthread_mutex_lock(&x->lock);
	*s = x->st;
	pthread_mutex_unlock(&x->lock);
}

void ipfix_close(struct ipfix *x)
{
	if (!x)
		return;
	pthread_mutex_lock(&x->lock);
	x->stop = 1;
	pthread_mutex_unlock(&x->lock);
	pthread_cond_signal(&x->cond);
	if (x->running)
		pthread_join(x->thread, NULL);
	session_free(x);
	fbInfoModelFree(x->model);
	pthread_cond_destroy(&x->cond);
	pthread_mutex_destroy(&x->lock);
	free(x->q);
	free(x);
}
