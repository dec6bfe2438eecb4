// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded netlink fuzz of flowpic.ko's family (guest.d/80-kmod-fuzz.sh):
 * random commands, flags, header fields and attributes (random types and
 * lengths, and well-sized ones with random contents), from root and from
 * uid 65534, over raw generic netlink sockets. Every message must be
 * answered; every message that is malformed by construction (a reserved
 * header field set, an unknown command, an attribute the command does not
 * take or of the wrong length or out of its range) must be refused, and
 * every privileged command from uid 65534 too. The kernel log is checked
 * by the guest script.
 *
 *   kmod_fuzz SECONDS SEED
 *
 * Prints TAP (tests/unit/tap.h).
 */
#include <errno.h>
#include <grp.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kmod_client.h"
#include "unit/tap.h"

#define NOBODY	65534
#define MSG_MAX	512

/* Length each attribute must have, 0 for reply-only ones. */
static const int attr_len[FLOWPIC_A_MAX + 1] = {
	[FLOWPIC_A_GEOM]	= sizeof(struct flowpic_geom),
	[FLOWPIC_A_MAX_FLOWS]	= 4,
	[FLOWPIC_A_MAX_CELLS]	= 4,
	[FLOWPIC_A_IDLE_NS]	= 8,
	[FLOWPIC_A_MIN_PACKETS]	= 4,
	[FLOWPIC_A_KEY]		= sizeof(struct flowpic_key),
	[FLOWPIC_A_LABEL]	= sizeof(struct flowpic_label),
	[FLOWPIC_A_ACTION]	= sizeof(struct flowpic_action),
	[FLOWPIC_A_CLASS]	= 2,
};

/* Whether command @cmd takes attribute @type. */
static int takes(int cmd, int type)
{
	switch (cmd) {
	case FLOWPIC_CMD_SET_CONFIG:
		return type >= FLOWPIC_A_GEOM && type <= FLOWPIC_A_MIN_PACKETS;
	case FLOWPIC_CMD_SET_LABEL:
		return type == FLOWPIC_A_KEY || type == FLOWPIC_A_LABEL ||
		       type == FLOWPIC_A_ACTION;
	case FLOWPIC_CMD_SET_POLICY:
		return type == FLOWPIC_A_CLASS || type == FLOWPIC_A_ACTION;
	}
	return 0;
}

/* Whether an integer attribute's value is outside its policy's range. */
static int out_of_range(int type, const unsigned char *p)
{
	uint64_t v64;
	uint32_t v;
	uint16_t v16;

	switch (type) {
	case FLOWPIC_A_MAX_FLOWS:
		memcpy(&v, p, 4);
		return !v || v > FLOWPIC_MAX_FLOWS_LIMIT;
	case FLOWPIC_A_MAX_CELLS:
		memcpy(&v, p, 4);
		return v < FLOWPIC_MAX_CELLS_MIN || v > FLOWPIC_MAX_CELLS_LIMIT;
	case FLOWPIC_A_MIN_PACKETS:
		memcpy(&v, p, 4);
		return !v;
	case FLOWPIC_A_IDLE_NS:
		memcpy(&v64, p, 8);
		return v64 < FLOWPIC_WINDOW_NS_MIN || v64 > FLOWPIC_WINDOW_NS_MAX;
	case FLOWPIC_A_CLASS:
		memcpy(&v16, p, 2);
		return v16 >= FLOWPIC_POLICY_SLOTS;
	}
	return 0;
}

struct fuzz_msg {
	unsigned char buf[MSG_MAX];
	int len;
	int cmd;
	int malformed;
};

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)random() % n : 0;
}

static void fill(unsigned char *p, int len)
{
	int i;

	for (i = 0; i < len; i++)
		p[i] = random();
}

static void make(struct fuzz_msg *m, int family, uint32_t seq)
{
	struct nlmsghdr *n = (void *)m->buf;
	struct genlmsghdr *g = NLMSG_DATA(n);
	int off = NLMSG_HDRLEN + GENL_HDRLEN, i, nattr = rnd(4);

	memset(m, 0, sizeof(*m));
	m->cmd = rnd(10) ? 1 + rnd(FLOWPIC_CMD_MAX) : rnd(256);
	n->nlmsg_type = family;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
			 (rnd(4) ? 0 : NLM_F_DUMP);
	n->nlmsg_seq = seq;
	g->cmd = m->cmd;
	g->version = rnd(3);
	if (!rnd(10)) {
		g->reserved = 1 + rnd(0xffff);
		m->malformed = 1;
	}
	if (m->cmd == FLOWPIC_CMD_UNSPEC || m->cmd >= FLOWPIC_CMD_WINDOW)
		m->malformed = 1;
	for (i = 0; i < nattr; i++) {
		struct nlattr *a = (void *)(m->buf + off);
		int type = rnd(4) ? 1 + rnd(FLOWPIC_A_MAX) : rnd(64);
		int len = rnd(2) && type <= FLOWPIC_A_MAX && attr_len[type] ?
			  attr_len[type] : (int)rnd(100);

		if (off + NLA_HDRLEN + NLA_ALIGN(len) > MSG_MAX)
			break;
		a->nla_type = type;
		a->nla_len = NLA_HDRLEN + len;
		fill(m->buf + off + NLA_HDRLEN, len);
		if (type > FLOWPIC_A_MAX || !takes(m->cmd, type) ||
		    len != attr_len[type] ||
		    out_of_range(type, m->buf + off + NLA_HDRLEN))
			m->malformed = 1;
		off += NLA_HDRLEN + NLA_ALIGN(len);
	}
	n->nlmsg_len = off;
	m->len = off;
}

/* The request's outcome: 0 accepted, -errno refused, 1 no answer. */
static int answer(int fd, uint32_t seq)
{
	static unsigned char buf[65536];
	struct nlmsghdr *n;
	ssize_t len;

	for (;;) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0)
			return errno == ENOBUFS ? -ENOBUFS : 1;
		for (n = (void *)buf; NLMSG_OK(n, len); n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_seq != seq)
				continue;
			if (n->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(n))->error;
			if (n->nlmsg_type == NLMSG_DONE)
				return 0;
		}
	}
}

struct tally {
	unsigned long sent, malformed, refused, silent, accepted_bad;
	unsigned long priv_accepted;
	int first_bad_cmd;
};

static void fuzz(int family, int seconds, int privileged, struct tally *t)
{
	struct timeval tv = { .tv_sec = 2 };
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	time_t end = time(NULL) + seconds;
	struct fuzz_msg m;
	uint32_t seq = 1;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t->first_bad_cmd = -1;
	while (time(NULL) < end) {
		make(&m, family, ++seq);
		if (sendto(fd, m.buf, m.len, 0, (struct sockaddr *)&k,
			   sizeof(k)) < 0)
			continue;
		t->sent++;
		err = answer(fd, seq);
		if (err == 1) {
			t->silent++;
			continue;
		}
		t->malformed += m.malformed;
		if (m.malformed && err < 0)
			t->refused++;
		if (m.malformed && !err) {
			t->accepted_bad++;
			t->first_bad_cmd = m.cmd;
		}
		if (!privileged && !err && m.cmd >= FLOWPIC_CMD_SET_CONFIG &&
		    m.cmd <= FLOWPIC_CMD_SET_POLICY)
			t->priv_accepted++;
	}
	close(fd);
}

static void report(const char *who, const struct tally *t, int privileged)
{
	printf("# %s: %lu messages, %lu malformed, %lu of them refused\n", who,
	       t->sent, t->malformed, t->refused);
	tap_ok(t->sent > 100 && !t->silent,
	       "%s: every one of %lu messages answered (%lu not)", who,
	       t->sent, t->silent);
	tap_ok(t->malformed && !t->accepted_bad,
	       "%s: every malformed message refused (%lu accepted, last command %d)",
	       who, t->accepted_bad, t->first_bad_cmd);
	if (!privileged)
		tap_ok(!t->priv_accepted,
		       "%s: no privileged command accepted (%lu were)", who,
		       t->priv_accepted);
}

/* A tally the uid 65534 child fills in and the parent reads. */
static struct tally *mmap_shared_tally(void)
{
	struct tally *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (t == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(t, 0, sizeof(*t));
	return t;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 4;
	unsigned int seed = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	struct tally root = {}, *nobody;
	struct kmod_config cfg;
	struct kmod_client *c;
	struct nl_sock *sk;
	int family, status = -1;
	pid_t pid;

	tap_header();
	sk = nl_socket_alloc();
	family = sk && !genl_connect(sk) ?
		 genl_ctrl_resolve(sk, FLOWPIC_GENL_NAME) : -1;
	if (sk)
		nl_socket_free(sk);
	if (!tap_ok(family > 0, "family \"%s\" is %d", FLOWPIC_GENL_NAME,
		    family))
		return tap_done();
	printf("# seed %u, %d s as root, %d s as uid %d\n", seed, seconds,
	       seconds, NOBODY);
	srandom(seed);
	fuzz(family, seconds, 1, &root);
	report("root", &root, 1);

	nobody = mmap_shared_tally();
	fflush(stdout);
	pid = fork();
	if (!pid) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(3);
		srandom(seed + 1);
		fuzz(family, seconds, 0, nobody);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status),
	       "uid %d fuzzer exited (status %d)", NOBODY, status);
	report("uid 65534", nobody, 0);

	tap_ok(!kmod_client_open(&c) && !kmod_client_get_config(c, &cfg),
	       "the module still answers GET_CONFIG");
	return tap_done();
}
