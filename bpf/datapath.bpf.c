#pragma clang diagnostic ignored "-Wunused-function"
// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic's tc program: parses each packet down to its flow, bins it into
 * the flow's open FlowPic window, hands completed windows to userspace
 * through a ring buffer and applies the action of the flow's label.
 *
 * One packet through this file: flowpic_tc() -> parse_eth() -> parse_ipv4()
 * or parse_ipv6() -> parse_l4() -> verdict_read() (the flow's label, or
 * this CPU's note of it, and its policy) -> flow_packet() (window,
 * cells) -> apply_action(). Every
 * packet is passed untouched unless its flow's label says otherwise;
 * what could not be attributed is counted in "stats".
 *
 * Verdicts live in "labels", apart from the histograms in flows_*: no
 * packet, idle end or eviction of a flow erases one (docs/verdicts.md).
 *
 * Configuration is read-only data the loader (user/live/datapath.c) writes
 * before load, so the verifier sees it as constants and prunes the table
 * variants not in use.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "flowpic.h"
#include "datapath_maps.h"
#include "flowpic_parse.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct flowpic_geom cfg_geom = {
	.window_ns	= FLOWPIC_MINI_WINDOW_NS,
	.n		= FLOWPIC_MINI_N,
	.max_size	= FLOWPIC_MAX_PKT_SIZE,
	.channels	= 1,
};
const volatile __u32 cfg_cells = FLOWPIC_MINI_N * FLOWPIC_MINI_N;
const volatile __u32 cfg_cap = 1024;	/* which flows_* table is in use */
const volatile __u32 cfg_min_packets = 1;
const volatile __u32 cfg_evict_scan = FLOWPIC_BPF_EVICT_SCAN;
const volatile __u32 cfg_tcp_end = TCP_END_BOTH_FIN;

#define FLOW_TABLE(cap, entries)					\
struct {								\
	__uint(type, BPF_MAP_TYPE_HASH);				\
	__uint(max_entries, entries);					\
	__type(key, struct flowpic_key);				\
	__type(value, struct flowpic_flow_##cap);			\
} flows_##cap SEC(".maps")

FLOW_TABLE(1024, FLOWPIC_BPF_MAX_FLOWS);
FLOW_TABLE(2048, 1);
FLOW_TABLE(4096, 1);
FLOW_TABLE(8192, 1);

/* A zeroed flow value to insert from: too big for the stack. */
struct flow_init {
	__u8	bytes[sizeof(struct flowpic_flow_8192)];
} __attribute__((aligned(8)));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_init);
} flow_init SEC(".maps");

/*
 * The verdicts: a flow's label by its key, least recently used first
 * out. Only this map's own LRU or userspace ends a verdict.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOWPIC_BPF_MAX_FLOWS);
	__type(key, struct flowpic_key);
	__type(value, struct flowpic_label);
} labels SEC(".maps");

/* What the pinned maps were made for: the loader's, never read here. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flowpic_bpf_meta);
} meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLOWPIC_POLICY_SLOTS);
	__type(key, __u32);
	__type(value, struct flowpic_action);
} policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flowpic_bpf_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flowpic_bpf_gen);
} gen_map SEC(".maps");

/*
 * What this CPU last learned of a flow's verdict, in one of 64 slots
 * chosen from the key: the flow's whole key, the labels generation read
 * before the labels map was, and the class of the label found then (or
 * NOTE_NONE, no label). A packet whose slot holds its own key and the
 * current generation takes the class from the note and skips the labels
 * map; the class's action is read from the policy on every packet.
 * Every label write moves the generation, so a note is believed only
 * until the labels map next changes (docs/verdicts.md).
 *
 * Per CPU, so only this CPU writes a slot. A program can still be
 * interrupted on its CPU by another (a test run by a softirq's), so a
 * slot is written under its seq: odd while being written, claimed by a
 * compare-and-swap; a read holds only when seq was even and the same
 * before and after it, so no note is ever read half-written.
 */
#define NOTE_SLOTS	64
#define NOTE_NONE	0x10000U	/* above any class a label can hold */

struct verdict_note {
	struct flowpic_key key;
	__u64	gen;
	__u32	seq;		/* odd while the slot is being written */
	__u32	class_id;	/* the label's class, or NOTE_NONE */
};

struct verdict_notes {
	struct verdict_note slot[NOTE_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct verdict_notes);
} notes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FLOWPIC_BPF_RINGBUF);
} windows SEC(".maps");


static __always_inline struct flowpic_bpf_stats *stats_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

#define STAT_INC(s, field)	do { if (s) (s)->field++; } while (0)

static __always_inline void *flow_table(void)
{
	if (cfg_cap == 1024)
		return &flows_1024;
	if (cfg_cap == 2048)
		return &flows_2048;
	if (cfg_cap == 4096)
		return &flows_4096;
	return &flows_8192;
}

static __always_inline struct flowpic_window *flow_win(void *v)
{
	return v + FLOWPIC_BPF_WIN_OFF;
}

/*
 * Cells move in 64-byte blocks (capacities are multiples of 64): eight
 * times fewer loop turns for the verifier to walk than word by word.
 */
#define BLOCK_WORDS	8
#define RECORD_CELLS	((cfg_cells + 63) / 64 * 64)

/*
 * Empties the open window of @v for the next one, after copying header
 * and cells into @rec when it is not NULL. Called with the flow's lock
 * held, so that two CPUs never close one window twice. Returns the
 * window's packet count.
 */
static __always_inline __u32 window_empty(void *v, void *rec, __u8 reason)
{
	struct flowpic_window *w = flow_win(v), *r = rec;
	__u64 *src = v + FLOWPIC_BPF_CELLS_OFF, *dst = NULL, word;
	__u32 i, j, blocks = RECORD_CELLS / 64, p0, p1;
	__u64 b0, b1;

	/*
	 * Packets are added without the lock (packet_add()): each counter
	 * and cell word is taken and zeroed in one exchange, so a packet
	 * added meanwhile counts in this window or in the next, never in
	 * none or both.
	 */
	p0 = __sync_lock_test_and_set(&w->packets[0], 0);
	p1 = __sync_lock_test_and_set(&w->packets[1], 0);
	b0 = __sync_lock_test_and_set(&w->bytes[0], 0);
	b1 = __sync_lock_test_and_set(&w->bytes[1], 0);
	if (rec) {
		__builtin_memcpy(rec, w, sizeof(*w));
		r->packets[0] = p0;
		r->packets[1] = p1;
		r->bytes[0] = b0;
		r->bytes[1] = b1;
		r->reason = reason;
		dst = rec + sizeof(struct flowpic_window);
	}
	for (i = 0; i < FLOWPIC_BPF_CAP_MAX / 64; i++) {
		if (i >= blocks)
			break;
#pragma unroll
		for (j = 0; j < BLOCK_WORDS; j++) {
			word = __sync_lock_test_and_set(&src[i * BLOCK_WORDS + j],
							0);
			if (rec)
				dst[i * BLOCK_WORDS + j] = word;
		}
	}
	return p0 + p1;
}

static __always_inline void *record_reserve(void)
{
	return bpf_ringbuf_reserve(&windows, sizeof(struct flowpic_window) +
				   RECORD_CELLS, 0);
}

/*
 * Sends @rec (not NULL) if its window is due, or gives it back. Called
 * only inside an `if (rec)`: 6.1's verifier does not know a reserved
 * pointer it has seen non-NULL stays so, and a second test of it would
 * look like a leak to it.
 */
static __always_inline void record_send(struct flowpic_bpf_stats *s,
					void *rec, int due)
{
	if (due) {
		bpf_ringbuf_submit(rec, 0);
		STAT_INC(s, windows);
	} else {
		bpf_ringbuf_discard(rec, 0);
	}
}

/* A due window that found the ring buffer full: counted, never silent. */
static __always_inline void record_lost(struct flowpic_bpf_stats *s, int due)
{
	if (due)
		STAT_INC(s, windows_lost);
}

struct evict_ctx {
	struct flowpic_key key;
	__u64	oldest_ns;
	__u32	seen;
	__u32	limit;		/* cfg_evict_scan, read by the caller */
	__u32	found;
	__u32	__pad;
};

static long evict_scan(void *map, const struct flowpic_key *key,
		       struct flowpic_flow_state *st, struct evict_ctx *c)
{
	if (st->last_ns < c->oldest_ns) {
		c->oldest_ns = st->last_ns;
		c->key = *key;
		c->found = 1;
	}
	return ++c->seen >= c->limit;
}

/*
 * The table is full: the least recently seen of the first cfg_evict_scan
 * flows (all of them when the table is no larger) makes room. Its open
 * window is sent with reason EVICT, so nothing is lost silently.
 */
__noinline int flow_evict(void)
{
	struct flowpic_bpf_stats *s = stats_get();
	void *table = flow_table();
	struct flowpic_flow_state *st;
	struct evict_ctx c = {};
	__u32 pkts = 0;
	void *v, *rec;

	/*
	 * Older verifiers (6.1) walk a callback once, with the context as
	 * the caller left it, and drop branches that look dead then: so
	 * the starting "oldest" must not be a constant they could fold
	 * (anything seen is older than now + 1), and the scan limit may go
	 * unheeded there (the whole table is scanned).
	 */
	c.oldest_ns = bpf_ktime_get_ns() + 1;
	c.limit = cfg_evict_scan;
	bpf_for_each_map_elem(table, evict_scan, &c, 0);
	if (!c.found)
		return 0;
	v = bpf_map_lookup_elem(table, &c.key);
	if (!v)
		return 0;
	st = v;
	rec = record_reserve();
	if (rec) {
		bpf_spin_lock(&st->lock);
		pkts = window_empty(v, rec, FLOWPIC_END_EVICT);
		bpf_spin_unlock(&st->lock);
		record_send(s, rec, pkts >= cfg_min_packets);
	} else {
		bpf_spin_lock(&st->lock);
		pkts = window_empty(v, NULL, FLOWPIC_END_EVICT);
		bpf_spin_unlock(&st->lock);
		record_lost(s, pkts >= cfg_min_packets);
	}
	if (bpf_map_delete_elem(table, &c.key))
		return 0;
	STAT_INC(s, flows_evicted);
	return 1;	/* its verdict stays (docs/verdicts.md) */
}

static __always_inline void *flow_create(void *table,
					 const struct flowpic_key *key,
					 __u8 dir, __u64 now,
					 struct flowpic_bpf_stats *s)
{
	struct flowpic_flow_state *st;
	struct flowpic_window *w;
	__u32 zero = 0;
	void *init;
	/*
	 * int, not long: 6.1 calls the map's update directly and only the
	 * low 32 bits of its return value are meaningful.
	 */
	int err;

	init = bpf_map_lookup_elem(&flow_init, &zero);
	if (!init)
		return NULL;
	st = init;
	w = flow_win(init);
	__builtin_memset(st, 0, sizeof(*st));
	__builtin_memset(w, 0, sizeof(*w));
	st->first_ns = now;
	st->last_ns = now;
	st->initiator = dir & 1;
	w->key = *key;
	w->start_ns = now;
	w->cells = cfg_cells;
	w->n = cfg_geom.n;
	w->channels = cfg_geom.channels;

	err = bpf_map_update_elem(table, key, init, BPF_NOEXIST);
	/* evict_scan 0: a full table keeps its flows; new ones go untracked. */
	if (err == -E2BIG && cfg_evict_scan) {
		flow_evict();
		err = bpf_map_update_elem(table, key, init, BPF_NOEXIST);
	}
	if (!err)
		STAT_INC(s, flows_new);
	/* -EEXIST: another CPU created it first; use theirs. */
	return bpf_map_lookup_elem(table, key);
}

static __always_inline __u32 note_slot(const struct flowpic_key *k)
{
	__u32 h = k->lo_addr[3] ^ k->hi_addr[3] ^ k->lo_addr[1] ^
		  k->hi_addr[1] ^ ((__u32)k->lo_port << 16 | k->hi_port);

	return (h * 0x9e3779b1U) >> 26;	/* NOTE_SLOTS == 1 << 6 */
}

/* Keys compared as five 64-bit words. */
FLOWPIC_STATIC_ASSERT(sizeof(struct flowpic_key) == 5 * sizeof(__u64),
		      "key_equal() compares five words");

static __always_inline int key_equal(const struct flowpic_key *a,
				     const struct flowpic_key *b)
{
	const __u64 *x = (const void *)a, *y = (const void *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		 (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/*
 * The verdict for @key: its label's action, as the policy map says. The
 * label's class comes from this CPU's note for the flow when the note
 * is of its key and of the current labels generation, else from the
 * labels map, and is noted then. No copy of a verdict is kept in the
 * flow: a flow's memory is reused at once when it is deleted, so a copy
 * written there without the lock could end up in another flow
 * (docs/verdicts.md). A label or action out of range (written by hand)
 * is ignored and counted on every packet: such a label is never noted.
 */
static __always_inline void verdict_read(const struct flowpic_key *key,
					 struct flowpic_action *act,
					 struct flowpic_bpf_stats *s)
{
	struct verdict_note *note = NULL;
	struct flowpic_bpf_gen *g;
	struct verdict_notes *u;
	struct flowpic_label *l;
	struct flowpic_action *a;
	__u32 seq = 0, cls, zero = 0;
	__u64 gen = 0;

	act->type = FLOWPIC_ACT_PASS;
	act->value = 0;
	act->mask = 0;
	u = bpf_map_lookup_elem(&notes, &zero);
	g = bpf_map_lookup_elem(&gen_map, &zero);
	if (u && g) {
		gen = *(volatile __u64 *)&g->labels;
		note = &u->slot[note_slot(key) & (NOTE_SLOTS - 1)];
		seq = *(volatile __u32 *)&note->seq;
		barrier();
		if (!(seq & 1) && note->gen == gen &&
		    key_equal(&note->key, key)) {
			cls = note->class_id;
			barrier();
			if (*(volatile __u32 *)&note->seq == seq)
				goto noted;
		}
		/*
		 * Claimed, the slot is noted from a lookup made after the
		 * generation was read: the compare-and-swap is a fully
		 * ordered atomic (a weakly ordered CPU could otherwise
		 * read the map first and note an old label under a new
		 * generation; the writer fences its side,
		 * labels_changed()). Not claimed (a program this one
		 * interrupted is writing it, or one that interrupted this
		 * one wrote it): nothing is noted.
		 */
		if ((seq & 1) ||
		    __sync_val_compare_and_swap(&note->seq, seq, seq + 1) != seq)
			note = NULL;
	}
	l = bpf_map_lookup_elem(&labels, key);
	cls = l ? l->class_id : NOTE_NONE;
	if (note) {
		if (cls == NOTE_NONE || cls <= FLOWPIC_CLASS_UNKNOWN) {
			note->key = *key;
			note->gen = gen;
			note->class_id = cls;
		}
		barrier();
		*(volatile __u32 *)&note->seq = seq + 2;
	}
noted:
	if (cls == NOTE_NONE)
		return;
	if (cls > FLOWPIC_CLASS_UNKNOWN) {
		STAT_INC(s, verdict_bad);	/* never trust userspace */
		return;
	}
	a = bpf_map_lookup_elem(&policy, &cls);
	if (!a)
		return;
	if (flowpic_action_invalid(a)) {
		STAT_INC(s, verdict_bad);
		return;
	}
	*act = *a;
}

static __always_inline int apply_action(struct __sk_buff *skb,
					struct flowpic_bpf_stats *s,
					const struct flowpic_action *act)
{
	switch (act->type) {
	case FLOWPIC_ACT_DROP:
		STAT_INC(s, dropped);
		return TC_ACT_SHOT;
	case FLOWPIC_ACT_MARK:
		skb->mark = flowpic_mark_apply(skb->mark, act);
		STAT_INC(s, marked);
		break;
	case FLOWPIC_ACT_PRIORITY:
		skb->priority = act->value;
		STAT_INC(s, prioritised);
		break;
	}
	return TC_ACT_OK;
}

/*
 * Under the flow's lock: closes the open window into @rec (may be NULL)
 * and opens window @widx, unless another CPU did it first (0 then).
 */
static __always_inline int window_advance(void *v, void *rec, __u64 widx,
					  const struct flowpic_geom *g,
					  __u32 *pkts)
{
	struct flowpic_flow_state *st = v;
	struct flowpic_window *w = flow_win(v);

	if (widx <= w->index)
		return 0;
	*pkts = window_empty(v, rec, FLOWPIC_END_TIME);
	w->index = (__u32)widx;
	w->start_ns = st->first_ns + widx * g->window_ns;
	return 1;
}

/*
 * @n more packets in cell @idx, saturating at FLOWPIC_CELL_MAX: a
 * compare-and-swap on the 32-bit word holding the cell, since BPF has no
 * byte-wide atomics. 0 on success or saturation; -1 when other CPUs kept
 * changing the word (counted in cells_dropped).
 */
static __always_inline int cell_add(__u8 *cells, __u64 idx, __u32 n)
{
	__u32 *word = (__u32 *)(cells + (idx & ~3ULL));
	__u32 shift = (__u32)(idx & 3) * 8, old, new, cur;
	int i;

	for (i = 0; i < 16; i++) {
		old = *(volatile __u32 *)word;
		cur = (old >> shift) & 0xff;
		if (cur >= FLOWPIC_CELL_MAX)
			return 0;
		new = old + ((n < FLOWPIC_CELL_MAX - cur ?
			      n : FLOWPIC_CELL_MAX - cur) << shift);
		if (__sync_val_compare_and_swap(word, old, new) == old)
			return 0;
	}
	return -1;
}

/*
 * @n packets of @size into their cell, without the lock, and counted:
 * atomic adds keep counts exact when CPUs share a flow, at less cost
 * than the lock on every packet.
 */
#define CELL_LOST	(1U << 16)

static __always_inline void bin_add(void *v, __u32 size, __u32 n, __u8 role,
				    const struct flowpic_geom *g, __u64 start,
				    __u64 now, struct flowpic_bpf_stats *s)
{
	__u8 *cells = v + FLOWPIC_BPF_CELLS_OFF;
	struct flowpic_cell cell;
	__u32 flags, ch;
	__u64 idx;

	flags = flowpic_bin(g, size, (__s64)(now - start), &cell);
	if (!(flags & (FLOWPIC_BIN_PAST | FLOWPIC_BIN_INVALID))) {
		ch = g->channels == 2 ? role & 1 : 0;
		idx = flowpic_cell_index(g, ch, &cell);
		/* One register for the check and the access. */
		barrier_var(idx);
		if (idx < cfg_cells && idx < FLOWPIC_BPF_CAP_MAX &&
		    cell_add(cells, idx, n))
			flags |= CELL_LOST;
	}
	if (!s)
		return;
	if (!(flags & (FLOWPIC_BIN_PAST | FLOWPIC_BIN_INVALID | CELL_LOST)))
		s->binned += n;
	if (flags & CELL_LOST)
		s->cells_dropped += n;
	if (flags & FLOWPIC_BIN_CLIPPED)
		s->clipped += n;
	if (flags & FLOWPIC_BIN_EARLY)
		s->clock_back += n;
}

/*
 * The packet into the open window as the wire carries it: a GSO or GRO
 * packet (gso_size set) as its segments, each gso_size bytes of payload
 * behind the same headers and the last one the remainder, so that the
 * size axis means an IP packet's length, as in the offline reader.
 */
static __always_inline void packet_add(struct __sk_buff *skb, void *v,
				       const struct pkt *p,
				       const struct flowpic_geom *g, __u64 now,
				       struct flowpic_bpf_stats *s)
{
	struct flowpic_flow_state *st = v;
	struct flowpic_window *w = flow_win(v);
	__u64 start = *(volatile __u64 *)&w->start_ns;
	__u32 gso = skb->gso_size, hdr, full, last;
	__u8 role = flowpic_role(p->dir, st->initiator);

	hdr = p->l4_off + p->l4_hdr;
	full = flowpic_gso_split(p->size, hdr, gso, &last);
	if (full) {
		bin_add(v, hdr + gso, full, role, g, start, now, s);
		if (s)
			s->segments += full + 1;
	}
	bin_add(v, last, 1, role, g, start, now, s);
	__sync_fetch_and_add(&w->packets[p->dir & 1], full + 1);
	__sync_fetch_and_add(&w->bytes[p->dir & 1],
			     (__u64)p->size + (__u64)full * hdr);
	st->last_ns = now;
}

/*
 * For a TCP packet with FIN or RST: whether the flow ends here (FIN from
 * both sides, or RST, or as cfg_tcp_end says). The FIN bits are set
 * atomically, so of two FINs crossing on two CPUs one sees both.
 */
static __always_inline int packet_ends(void *v, const struct pkt *p)
{
	struct flowpic_flow_state *st = v;
	__u32 fin = 0;

	if (p->tcp_flags & TCP_FIN)
		fin = __sync_fetch_and_or(&st->fin, 1U << (p->dir & 1)) |
		      1U << (p->dir & 1);
	if (p->tcp_flags & TCP_RST)
		return FLOWPIC_END_RST;
	if ((p->tcp_flags & TCP_FIN) &&
	    (fin == 3 || cfg_tcp_end == TCP_END_FIRST_FIN))
		return FLOWPIC_END_FIN;
	return 0;	/* half closed: the flow goes on */
}

/*
 * One packet of a flow into its histogram: its window (closing the last
 * one if the packet is past it), its cells, and the end of the flow on
 * FIN or RST. The verdict is not here: a flow the table has no room for
 * is counted (untracked) and still enforced by its caller.
 */
static __always_inline void flow_packet(struct __sk_buff *skb, struct pkt *p,
					struct flowpic_bpf_stats *s, __u64 now)
{
	struct flowpic_geom g = {
		.window_ns	= cfg_geom.window_ns,
		.n		= cfg_geom.n,
		.max_size	= cfg_geom.max_size,
		.channels	= cfg_geom.channels,
	};
	struct flowpic_flow_state *st;
	struct flowpic_window *w;
	void *table = flow_table();
	void *v, *rec;
	__u32 pkts = 0;
	__u64 widx;
	int closed, ends;

	v = bpf_map_lookup_elem(table, &p->key);
	if (!v) {
		v = flow_create(table, &p->key, p->dir, now, s);
		if (!v) {
			STAT_INC(s, untracked);
			return;
		}
	}
	st = v;
	w = flow_win(v);

	/*
	 * A packet past the open window closes it first, in a locked
	 * section of its own, and its record goes before the packet is
	 * binned: one ring buffer reservation at a time, each reserved
	 * outside the lock (no helper may run under it) and released on a
	 * test of its own pointer, which 6.1's verifier can follow.
	 * Inside the open window is the common case: no division.
	 */
	if ((__s64)(now - *(volatile __u64 *)&w->start_ns) >=
	    (__s64)g.window_ns) {
		widx = flowpic_window_index(&g, (__s64)(now - st->first_ns));
		rec = record_reserve();
		if (rec) {
			bpf_spin_lock(&st->lock);
			closed = window_advance(v, rec, widx, &g, &pkts);
			bpf_spin_unlock(&st->lock);
			record_send(s, rec, closed && pkts >= cfg_min_packets);
		} else {
			bpf_spin_lock(&st->lock);
			closed = window_advance(v, NULL, widx, &g, &pkts);
			bpf_spin_unlock(&st->lock);
			record_lost(s, closed && pkts >= cfg_min_packets);
		}
	}

	packet_add(skb, v, p, &g, now, s);

	/* FIN or RST may end the flow: as the offline reader's --tcp-end. */
	ends = 0;
	if (p->key.proto == IPPROTO_TCP && cfg_tcp_end != TCP_END_NONE &&
	    (p->tcp_flags & (TCP_FIN | TCP_RST)))
		ends = packet_ends(v, p);
	if (!ends)
		return;
	rec = record_reserve();
	if (rec) {
		bpf_spin_lock(&st->lock);
		pkts = window_empty(v, rec, ends);
		bpf_spin_unlock(&st->lock);
		record_send(s, rec, pkts >= cfg_min_packets);
	} else {
		bpf_spin_lock(&st->lock);
		pkts = window_empty(v, NULL, ends);
		bpf_spin_unlock(&st->lock);
		record_lost(s, pkts >= cfg_min_packets);
	}
	/*
	 * The histogram is over; the verdict is not: an unchecked RST or
	 * FIN must not let the next packet start unlabelled.
	 */
	bpf_map_delete_elem(table, &p->key);
}

/*
 * The parser as a global function: verified once, not once per path into
 * the window code after it, which is the verifier's biggest cost.
 */
__noinline int flowpic_parse(struct __sk_buff *skb, struct pkt *p, __u64 now)
{
	if (!p)
		return PKT_MALFORMED;
	return parse_packet(skb, p, now);
}

SEC("tc")
int flowpic_tc(struct __sk_buff *skb)
{
	struct flowpic_bpf_stats *s = stats_get();
	__u64 now = bpf_ktime_get_ns();
	struct flowpic_action act;
	struct pkt p = {};

	STAT_INC(s, packets);
	switch (flowpic_parse(skb, &p, now)) {
	case PKT_FLOW:
		if (p.big)
			STAT_INC(s, big_packets);
		verdict_read(&p.key, &act, s);
		flow_packet(skb, &p, s, now);
		return apply_action(skb, s, &act);
	case PKT_NOT_IP:
		STAT_INC(s, not_ip);
		break;
	case PKT_NOT_TCP_UDP:
		STAT_INC(s, not_tcp_udp);
		break;
	case PKT_FRAGMENT:
		STAT_INC(s, fragment);
		break;
	default:
		STAT_INC(s, malformed);
		break;
	}
	return TC_ACT_OK;
}
