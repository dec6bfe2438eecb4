// SPDX-License-Identifier: GPL-2.0
/*
 * The offline flow table: open addressing over a pool of flows, a
 * least-recently-seen list for idle ends and eviction, and the window
 * rules of flow_table.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/flow_key.h"
#include "flow/flow_table.h"

#define NIL	UINT32_MAX

struct flow_table {
	struct flow_config cfg;
	flow_sink_fn sink;
	void *ctx;
	struct flow_stats stats;
	struct picture pic;	/* reused for every window */

	struct flow *pool;	/* flows, by id */
	uint32_t pool_cap;
	uint32_t pool_used;	/* ids below this were handed out once */
	uint32_t free_head;	/* free ids, linked through lru_next */
	uint32_t live;

	uint32_t *slot;		/* id + 1, 0 when empty */
	uint32_t mask;		/* slots - 1, a power of two minus one */

	uint32_t lru_head;	/* least recently seen */
	uint32_t lru_tail;
};

void flow_config_default(struct flow_config *c, const struct flowpic_geom *g)
{
	memset(c, 0, sizeof(*c));
	c->geom = *g;
	c->min_packets = 1;
	c->max_flows = FLOW_DEFAULT_MAX_FLOWS;
	c->idle_ns = FLOW_DEFAULT_IDLE_NS;
	c->gap_cap_ns = FLOW_DEFAULT_GAP_CAP_NS;
	c->tcp_end = FLOW_TCP_END_BOTH_FIN;
}

/* --- one flow ------------------------------------------------------------ */

static inline __u64 hash_mix(__u64 a, __u64 b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (__u64)r ^ (__u64)(r >> 64);
}

/*
 * The table's hash of a key: its five words in three multiplies that do
 * not wait for each other, folded by a fourth (wyhash's mixing), instead
 * of a chain of five.
 */
static inline __u32 table_hash(const struct flowpic_key *k)
{
	__u64 w[sizeof(*k) / sizeof(__u64)];

	memcpy(w, k, sizeof(w));
	return (__u32)hash_mix(hash_mix(w[0] ^ 0xa0761d6478bd642fULL,
					w[1] ^ 0xe7037ed1a0b428dbULL) ^
			       hash_mix(w[4] ^ 0x1d8e4e27c47d124fULL,
					0x9e3779b97f4a7c15ULL),
			       hash_mix(w[2] ^ 0x8ebc6af09c88c6e3ULL,
					w[3] ^ 0x589965cc75374cc3ULL));
}

void flow_init(struct flow *f, const struct flowpic_key *key)
{
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->hash = table_hash(key);
}

void flow_free(struct flow *f)
{
	window_series_free(&f->series);
}

static int flow_close_window(struct flow_table *t, struct flow *f, __u8 reason)
{
	const struct flowpic_geom *g = &t->cfg.geom;
	struct window_image_stats st;
	struct flowpic_window w;
	__u32 n = f->packets[0] + f->packets[1];
	int err = 0;

	if (!n)
		return 0;
	if (n < t->cfg.min_packets) {
		t->stats.windows_short++;
		goto out;
	}
	if (n < t->cfg.image_min_packets) {
		window_count(&f->series, g, &st);
		picture_clear(&t->pic);
		t->pic.geom = *g;
	} else {
		err = window_image(&f->series, g, &t->pic, &st);
		if (err)
			goto out;
	}
	memset(&w, 0, sizeof(w));
	w.key = f->key;
	w.start_ns = f->first_ns + f->shift_ns + f->win_index * g->window_ns;
	w.bytes[0] = f->bytes[0];
	w.bytes[1] = f->bytes[1];
	w.packets[0] = f->packets[0];
	w.packets[1] = f->packets[1];
	w.index = (__u32)f->win_index;
	w.cells = t->pic.ncells;
	w.n = g->n;
	w.channels = g->channels;
	w.reason = reason;
	t->stats.cnt[FLOWPIC_CNT_BINNED] += st.binned;
	t->stats.cnt[FLOWPIC_CNT_CLIPPED] += st.clipped;
	t->stats.cnt[FLOWPIC_CNT_WINDOWS]++;
	err = t->sink ? t->sink(t->ctx, &w, &f->series, &t->pic) : 0;
out:
	window_series_clear(&f->series);
	f->packets[0] = f->packets[1] = 0;
	f->bytes[0] = f->bytes[1] = 0;
	return err;
}

int flow_end(struct flow_table *t, struct flow *f, __u8 reason)
{
	int err;

	if (!f->live)
		return 0;
	err = flow_close_window(t, f, reason);
	t->stats.flows_ended[reason <= FLOWPIC_END_EVICT ? reason : 0]++;
	f->live = 0;
	f->fin = 0;
	return err;
}

/* flow_packet(), inlined into the table's per-packet path */
static inline __attribute__((always_inline)) int
flow_packet_one(struct flow_table *t, struct flow *f, __u64 ts_ns, __u32 size,
		__u8 dir, __u8 tcp_flags)
{
	const struct flow_config *c = &t->cfg;
	__u64 idx, wlen = c->geom.window_ns;
	__s64 d, ft, rel;
	int err;

	dir &= 1;
	if (f->live) {
		d = (__s64)(ts_ns - f->last_ns);
		if (c->idle_ns && d > (__s64)c->idle_ns) {
			err = flow_end(t, f, FLOWPIC_END_IDLE);
			if (err)
				return err;
		} else if (c->gap_cap_ns && d > (__s64)c->gap_cap_ns) {
			f->shift_ns += d - (__s64)c->gap_cap_ns;
			t->stats.gaps_capped++;
		} else if (c->gap_cap_ns && d < -(__s64)c->gap_cap_ns) {
			f->shift_ns += d;
			t->stats.gaps_capped++;
		}
	}
	if (!f->live) {
		f->live = 1;
		f->first_ns = ts_ns;
		f->shift_ns = 0;
		f->win_index = 0;
		f->fin = 0;
		if (!f->initiator_fixed)
			f->initiator = dir;
		t->stats.cnt[FLOWPIC_CNT_FLOWS_NEW]++;
	}
	f->last_ns = ts_ns;

	ft = (__s64)(ts_ns - f->first_ns) - f->shift_ns;
	rel = ft - (__s64)(f->win_index * wlen);
	/* most packets fall in the open window: no division for them */
	idx = rel >= 0 && (__u64)rel < wlen ? f->win_index :
	      flowpic_window_index(&c->geom, ft);
	if (idx > f->win_index) {
		err = flow_close_window(t, f, FLOWPIC_END_TIME);
		f->win_index = idx;
		if (err)
			return err;
	}
	rel = ft - (__s64)(f->win_index * wlen);
	if (rel < 0)
		t->stats.cnt[FLOWPIC_CNT_CLOCK_BACK]++;
	if (window_series_push(&f->series, rel, size,
			       flowpic_role(dir, f->initiator)))
		return -ENOMEM;
	f->packets[dir]++;
	f->bytes[dir] += size;

	if (c->tcp_end == FLOW_TCP_END_NONE || f->key.proto != 6)
		return 0;
	if (tcp_flags & 0x04)	/* RST */
		return flow_end(t, f, FLOWPIC_END_RST);
	if (tcp_flags & 0x01) {	/* FIN */
		f->fin |= 1 << dir;
		if (f->fin == 3 || c->tcp_end == FLOW_TCP_END_FIRST_FIN)
			return flow_end(t, f, FLOWPIC_END_FIN);
	}
	return 0;
}

int flow_packet(struct flow_table *t, struct flow *f, __u64 ts_ns, __u32 size,
		__u8 dir, __u8 tcp_flags)
{
	return flow_packet_one(t, f, ts_ns, size, dir, tcp_flags);
}

/* --- the table ----------------------------------------------------------- */

struct flow_table *flow_table_new(const struct flow_config *c,
				  flow_sink_fn sink, void *ctx)
{
	struct flow_table *t;

	if (flowpic_geom_invalid(&c->geom) || !c->max_flows)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *c;
	t->sink = sink;
	t->ctx = ctx;
	picture_init(&t->pic, &c->geom);
	t->mask = 1023;
	t->slot = calloc(t->mask + 1, sizeof(*t->slot));
	if (!t->slot) {
		free(t);
		return NULL;
	}
	t->free_head = t->lru_head = t->lru_tail = NIL;
	return t;
}

void flow_table_free(struct flow_table *t)
{
	uint32_t i;

	if (!t)
		return;
	for (i = 0; i < t->pool_used; i++)
		flow_free(&t->pool[i]);
	free(t->pool);
	free(t->slot);
	picture_free(&t->pic);
	free(t);
}

const struct flow_config *flow_table_config(const struct flow_table *t)
{
	return &t->cfg;
}

struct flow_stats *flow_table_stats(struct flow_table *t)
{
	return &t->stats;
}

uint32_t flow_table_live(const struct flow_table *t)
{
	return t->live;
}

static void lru_unlink(struct flow_table *t, uint32_t id)
{
	struct flow *f = &t->pool[id];

	if (f->lru_prev != NIL)
		t->pool[f->lru_prev].lru_next = f->lru_next;
	else
		t->lru_head = f->lru_next;
	if (f->lru_next != NIL)
		t->pool[f->lru_next].lru_prev = f->lru_prev;
	else
		t->lru_tail = f->lru_prev;
}

static void lru_append(struct flow_table *t, uint32_t id)
{
	struct flow *f = &t->pool[id];

	f->lru_prev = t->lru_tail;
	f->lru_next = NIL;
	if (t->lru_tail != NIL)
		t->pool[t->lru_tail].lru_next = id;
	else
		t->lru_head = id;
	t->lru_tail = id;
}

/*
 * Keeps the list sorted by last_ns, so the idle sweep from the head ends
 * exactly the flows idle at a packet's time, even when a stitched
 * capture's clock goes back. In order captures this is an append.
 */
static void lru_insert(struct flow_table *t, uint32_t id, __u64 ts_ns)
{
	struct flow *f = &t->pool[id];
	uint32_t after = t->lru_tail;

	while (after != NIL && (__s64)(t->pool[after].last_ns - ts_ns) > 0)
		after = t->pool[after].lru_prev;
	if (after == t->lru_tail) {
		lru_append(t, id);
		return;
	}
	f->lru_prev = after;
	if (after == NIL) {
		f->lru_next = t->lru_head;
		t->lru_head = id;
	} else {
		f->lru_next = t->pool[after].lru_next;
		t->pool[after].lru_next = id;
	}
	t->pool[f->lru_next].lru_prev = id;
}

static int table_grow(struct flow_table *t)
{
	uint32_t ncap = (t->mask + 1) * 2, nmask = ncap - 1, *ns, i, j;

	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (i = 0; i <= t->mask; i++) {
		if (!t->slot[i])
			continue;
		j = t->pool[t->slot[i] - 1].hash & nmask;
		while (ns[j])
			j = (j + 1) & nmask;
		ns[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = ns;
	t->mask = nmask;
	return 0;
}

/* Slot holding @key, or the empty slot where it would go. */
static uint32_t table_find(const struct flow_table *t,
			   const struct flowpic_key *key, __u32 h)
{
	uint32_t i = h & t->mask, id;

	while ((id = t->slot[i])) {
		const struct flow *f = &t->pool[id - 1];

		if (f->hash == h && !memcmp(&f->key, key, sizeof(*key)))
			break;
		i = (i + 1) & t->mask;
	}
	return i;
}

/* Removes flow @id: backward-shift deletion keeps probe chains whole. */
static void table_remove(struct flow_table *t, uint32_t id)
{
	struct flow *f = &t->pool[id];
	uint32_t i = table_find(t, &f->key, f->hash), j, k;

	t->slot[i] = 0;
	for (j = (i + 1) & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		k = t->pool[t->slot[j] - 1].hash & t->mask;
		/* leave it if its home lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->slot[i] = t->slot[j];
		t->slot[j] = 0;
		i = j;
	}
	lru_unlink(t, id);
	f->lru_next = t->free_head;
	t->free_head = id;
	t->live--;
}

static int table_end(struct flow_table *t, uint32_t id, __u8 reason)
{
	int err = flow_end(t, &t->pool[id], reason);

	table_remove(t, id);
	return err;
}

static int pool_alloc(struct flow_table *t, uint32_t *id)
{
	struct flow *p;
	uint32_t ncap;

	if (t->free_head != NIL) {
		*id = t->free_head;
		t->free_head = t->pool[*id].lru_next;
		return 0;
	}
	if (t->pool_used == t->pool_cap) {
		ncap = t->pool_cap ? t->pool_cap * 2 : 256;
		if (ncap > t->cfg.max_flows)
			ncap = t->cfg.max_flows;
		p = realloc(t->pool, (size_t)ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		t->pool = p;
		t->pool_cap = ncap;
	}
	*id = t->pool_used++;
	window_series_init(&t->pool[*id].series);
	return 0;
}

int flow_table_packet(struct flow_table *t, const struct flowpic_key *key,
		      __u64 ts_ns, __u32 size, __u8 dir, __u8 tcp_flags)
{
	struct window_series keep;
	uint32_t i, id;
	__u32 h;
	int err;

	/* Idle flows end in capture time, whether or not they speak again. */
	while (t->cfg.idle_ns && t->lru_head != NIL &&
	       (__s64)(ts_ns - t->pool[t->lru_head].last_ns) >
	       (__s64)t->cfg.idle_ns) {
		err = table_end(t, t->lru_head, FLOWPIC_END_IDLE);
		if (err)
			return err;
	}

	h = table_hash(key);
	i = table_find(t, key, h);
	if (t->slot[i]) {
		id = t->slot[i] - 1;
		/* the latest flow again (a burst) stays where it is */
		if (id != t->lru_tail ||
		    (t->pool[id].lru_prev != NIL &&
		     (__s64)(t->pool[t->pool[id].lru_prev].last_ns - ts_ns) > 0)) {
			lru_unlink(t, id);
			lru_insert(t, id, ts_ns);
		}
	} else {
		if (t->live >= t->cfg.max_flows) {
			t->stats.cnt[FLOWPIC_CNT_FLOWS_EVICTED]++;
			err = table_end(t, t->lru_head, FLOWPIC_END_EVICT);
			if (err)
				return err;
			i = table_find(t, key, h);
		}
		if ((t->live + 1) * 2 > t->mask + 1) {
			if (table_grow(t))
				return -ENOMEM;
			i = table_find(t, key, h);
		}
		if (pool_alloc(t, &id))
			return -ENOMEM;
		keep = t->pool[id].series;	/* buffers are reused */
		flow_init(&t->pool[id], key);
		t->pool[id].series = keep;
		window_series_clear(&t->pool[id].series);
		t->slot[i] = id + 1;
		t->live++;
		lru_insert(t, id, ts_ns);
	}
	err = flow_packet_one(t, &t->pool[id], ts_ns, size, dir, tcp_flags);
	if (!t->pool[id].live)		/* FIN or RST ended it */
		table_remove(t, id);
	return err;
}

int flow_table_flush(struct flow_table *t)
{
	int err = 0, e;

	while (t->lru_head != NIL) {
		e = table_end(t, t->lru_head, FLOWPIC_END_TIME);
		if (e && !err)
			err = e;
	}
	return err;
}
