/*
 * TLB arrays: lookup, fill with replacement, invalidation, and the host fast path that
 * mirrors the L1 arrays. The policy of which array a translation goes to, and the order
 * of lookups, is in mmu.c; this file knows sets, ways and tags. See mmu/tlb.h.
 */
#include "mmu/mmu_internal.h"
#include "mmu/trace.h"

#include <errno.h>
#include <stdlib.h>

/* Page sizes each array holds (bit n: enum tlb_size n); 0 for the page-walk caches. */
static const uint8_t array_sizes[TLB_NR_ARRAYS] = {
    [TLB_L1I_4K] = 1u << TLB_SIZE_4K,
    [TLB_L1I_2M] = 1u << TLB_SIZE_2M,
    [TLB_L1I_1G] = 1u << TLB_SIZE_1G,
    [TLB_L1D_4K] = 1u << TLB_SIZE_4K,
    [TLB_L1D_2M] = 1u << TLB_SIZE_2M,
    [TLB_L1D_1G] = 1u << TLB_SIZE_1G,
    [TLB_L2] = (1u << TLB_SIZE_4K) | (1u << TLB_SIZE_2M),
    [TLB_L2_1G] = 1u << TLB_SIZE_1G,
};

int tlb_init(struct tlb *t, const struct tlb_config *cfg)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < TLB_NR_ARRAYS; i++) {
		const struct tlb_geom *g = &cfg->geom[i];
		struct tlb_array *a = &t->a[i];
		a->name = tlb_array_name(i);
		a->sizes = array_sizes[i];
		a->level = i < TLB_L1D_4K ? TLB_LEVEL_L1I
			   : i < TLB_L2	  ? TLB_LEVEL_L1D
					  : TLB_LEVEL_L2;
		if (!g->entries)
			continue;
		if (!g->ways || g->ways > g->entries || g->entries % g->ways)
			goto out_inval;
		a->entries = g->entries;
		a->ways = g->ways;
		a->sets = g->entries / g->ways;
		a->set_mask = (a->sets & (a->sets - 1)) ? 0 : a->sets - 1;
		a->repl = g->repl;
		a->e = calloc(a->entries, sizeof(*a->e));
		if (!a->e)
			goto out_nomem;
	}
	t->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ULL;
	t->inline_array[TLB_LEVEL_L1I] = TLB_L1I_4K;
	t->inline_array[TLB_LEVEL_L1D] = TLB_L1D_4K;
	t->unpaged_te = (struct tlb_entry){
	    .shift = 12, .page_shift = 12, .flags = TLBE_VALID, .array = TLB_NR_ARRAYS};
	tlb_fast_flush(t);
	return 0;

out_inval:
	tlb_destroy(t);
	return -EINVAL;
out_nomem:
	tlb_destroy(t);
	return -ENOMEM;
}

void tlb_destroy(struct tlb *t)
{
	tlb_trace_start(t, false);
	for (int i = 0; i < TLB_NR_ARRAYS; i++) {
		free(t->a[i].e);
		t->a[i].e = NULL;
		t->a[i].entries = 0;
	}
}

static struct tlb_entry *set_of(struct tlb_array *a, uint64_t vpn)
{
	/* A division only for set counts that are not powers of two. */
	uint64_t set = (a->set_mask || a->sets == 1) ? (vpn & a->set_mask) : vpn % a->sets;
	return &a->e[set * a->ways];
}

/* Does e match the current context: its PCID, or global. */
static bool entry_in_context(const struct tlb_entry *e, uint16_t pcid)
{
	return (e->flags & TLBE_GLOBAL) || e->pcid == pcid;
}

struct tlb_entry *tlb_array_find_shift(struct tlb_array *a, uint64_t la, unsigned shift,
				       uint16_t pcid)
{
	uint64_t vpn = la >> shift;
	struct tlb_entry *set = set_of(a, vpn);
	for (uint32_t w = 0; w < a->ways; w++) {
		struct tlb_entry *e = &set[w];
		if ((e->flags & TLBE_VALID) && e->vpn == vpn && e->shift == shift &&
		    entry_in_context(e, pcid))
			return e;
	}
	return NULL;
}

struct tlb_entry *tlb_array_find(struct tlb_array *a, uint64_t la, uint16_t pcid)
{
	if (!a->entries)
		return NULL;
	for (unsigned n = 0; n < TLB_NR_SIZES; n++) {
		if (!(a->sizes & (1u << n)))
			continue;
		struct tlb_entry *e = tlb_array_find_shift(a, la, tlb_size_shift(n), pcid);
		if (e)
			return e;
	}
	return NULL;
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* The order a policy evicts in: last use for LRU, fill time for FIFO. */
static uint64_t age_key(const struct tlb_array *a, const struct tlb_entry *e)
{
	return a->repl == TLB_REPL_FIFO ? e->filled : e->stamp;
}

/* The way a fill of src replaces: a same-tag entry, else an invalid one, else the policy's. */
static struct tlb_entry *choose_victim(struct tlb *t, struct tlb_array *a,
				       const struct tlb_entry *src)
{
	struct tlb_entry *set = set_of(a, src->vpn), *invalid = NULL, *oldest = &set[0];
	for (uint32_t w = 0; w < a->ways; w++) {
		struct tlb_entry *e = &set[w];
		if (!(e->flags & TLBE_VALID)) {
			if (!invalid)
				invalid = e;
			continue;
		}
		if (e->vpn == src->vpn && e->shift == src->shift && e->pcid == src->pcid)
			return e;
		if (age_key(a, e) < age_key(a, oldest))
			oldest = e;
	}
	if (invalid)
		return invalid;
	if (a->repl == TLB_REPL_RANDOM)
		return &set[xorshift64(&t->rng) % a->ways];
	return oldest;
}

static bool is_l1(const struct tlb *t, const struct tlb_array *a)
{
	return a < &t->a[TLB_L2];
}

/* The L1 array entry e lies in, or NULL (the unpaged stand-in). */
static struct tlb_array *l1_array_of(struct tlb *t, const struct tlb_entry *e)
{
	return e->array < TLB_L2 ? &t->a[e->array] : NULL;
}

/* The slot of fast entry fe in the parallel table of mirrored entries. */
static struct tlb_entry **fast_te_of(struct tlb *t, const struct tlb_fast_entry *fe)
{
	return &t->fast_te[0][0][0] + (fe - &t->fast[0][0][0]);
}

/* Carries the last fast use of entry e (a fast entry's stamp) over to its LRU stamp. */
static void stamp_max(struct tlb_entry *e, uint64_t stamp)
{
	if (stamp > e->stamp)
		e->stamp = stamp;
}

/* Drops fast entry fe, carrying its hits over to the mirrored entry's array and its last
 * use over to the entry's stamp (the entry may stay valid: a CR3 write keeps globals). */
static void fast_drop(struct tlb *t, struct tlb_fast_entry *fe)
{
	struct tlb_entry **tep = fast_te_of(t, fe);
	struct tlb_entry *te = *tep;
	if (__builtin_expect(fe == t->trace_real, 0))
		tlb_trace_forget(t, fe);
	if (te) {
		if (fe->hits) { /* only TLB_FAST_SLOW mirrors count in the entry */
			struct tlb_array *a = l1_array_of(t, te);
			if (a)
				a->st.hits += fe->hits;
			else
				t->unpaged_hits += fe->hits;
		}
		stamp_max(te, fe->stamp);
		te->nfast--;
	}
	*fe = (struct tlb_fast_entry){.tag = TLB_FAST_EMPTY};
	*tep = NULL;
}

/* Calls fn on every fast entry that mirrors L1 entry e. A 4K entry's mirrors share one
 * index; a large entry backs up to 3 * 3 * TLB_FAST_SIZE of them: scan them all. */
static void fast_for_each_mirror(struct tlb *t, struct tlb_entry *e,
				 void (*fn)(struct tlb *, struct tlb_fast_entry *,
					    struct tlb_entry *))
{
	if (!e->nfast)
		return;
	if (e->shift == 12) {
		unsigned idx = (unsigned)(e->vpn & (TLB_FAST_SIZE - 1));
		for (int mode = 0; mode < TLB_NR_FAST_MODES; mode++)
			for (int kind = 0; kind < 3; kind++)
				if (t->fast_te[mode][kind][idx] == e)
					fn(t, &t->fast[mode][kind][idx], e);
		return;
	}
	struct tlb_entry **te = &t->fast_te[0][0][0];
	for (size_t i = 0; i < sizeof(t->fast_te) / sizeof(*te); i++)
		if (te[i] == e)
			fn(t, &t->fast[0][0][0] + i, e);
}

static void mirror_drop(struct tlb *t, struct tlb_fast_entry *fe, struct tlb_entry *e)
{
	fast_drop(t, fe);
}

static void mirror_stamp(struct tlb *t, struct tlb_fast_entry *fe, struct tlb_entry *e)
{
	stamp_max(e, fe->stamp);
}

/* Drops the fast-path entries that mirror L1 entry e. */
static void fast_forget(struct tlb *t, struct tlb_entry *e)
{
	fast_for_each_mirror(t, e, mirror_drop);
}

/* Before a replacement decision in an L1 LRU set: the stamps of the set's entries take in
 * the fast hits of their mirrors, so that the decision is the modelled TLB's. */
static void sync_set_stamps(struct tlb *t, struct tlb_array *a, struct tlb_entry *set)
{
	if (!is_l1(t, a) || a->repl != TLB_REPL_LRU)
		return;
	for (uint32_t w = 0; w < a->ways; w++)
		if (set[w].flags & TLBE_VALID)
			fast_for_each_mirror(t, &set[w], mirror_stamp);
}

/* Tells the tracer that src goes into a in place of victim v (before it does). */
static void trace_fill(struct tlb *t, struct tlb_array *a, const struct tlb_entry *src,
		       const struct tlb_entry *v)
{
	tlb_trace_flush(t); /* the translations before this one come first */
	struct mmu_event ev = {.type = MMU_EV_TLB_FILL,
			       .array = (uint8_t)(a - t->a),
			       .entry = src,
			       .evicted = (v->flags & TLBE_VALID) ? v : NULL};
	t->tracer->event(t->tracer->ctx, t->trace_mmu, &ev);
}

struct tlb_entry *tlb_array_fill(struct tlb *t, struct tlb_array *a, const struct tlb_entry *src)
{
	sync_set_stamps(t, a, set_of(a, src->vpn));
	struct tlb_entry *v = choose_victim(t, a, src);
	if (__builtin_expect(t->tracer != NULL, 0))
		trace_fill(t, a, src, v);
	if (v->flags & TLBE_VALID) {
		if (!(v->vpn == src->vpn && v->shift == src->shift && v->pcid == src->pcid))
			a->st.evictions++;
		if (is_l1(t, a))
			fast_forget(t, v);
	}
	*v = *src;
	v->stamp = v->filled = tlb_tick(t, a);
	v->nfast = 0;
	v->array = (uint8_t)(a - t->a);
	if (v->page_shift > v->shift)
		a->fractured = true;
	a->st.fills++;
	return v;
}

void tlb_entry_invalidate(struct tlb *t, struct tlb_array *a, struct tlb_entry *e, bool count)
{
	if (is_l1(t, a))
		fast_forget(t, e);
	e->flags = 0;
	if (count)
		a->st.invalidations++;
}

/* Does valid entry e translate (part of) the page that contains la? */
static bool entry_covers(const struct tlb_entry *e, uint64_t la)
{
	return ((e->vpn << e->shift) >> e->page_shift) == (la >> e->page_shift);
}

/* Should an invalidation for pcid drop e? Global entries go unless keep_global. */
static bool entry_selected(const struct tlb_entry *e, uint16_t pcid, bool keep_global)
{
	if (e->flags & TLBE_GLOBAL)
		return !keep_global;
	return e->pcid == pcid;
}

/* What one address invalidation selects. */
struct addr_sel {
	uint64_t la;
	uint16_t pcid;
	bool keep_global;
	bool count;
};

static void flush_addr_range(struct tlb *t, struct tlb_array *a, struct tlb_entry *e, uint32_t n,
			     const struct addr_sel *s)
{
	for (uint32_t i = 0; i < n; i++)
		if ((e[i].flags & TLBE_VALID) && entry_covers(&e[i], s->la) &&
		    entry_selected(&e[i], s->pcid, s->keep_global))
			tlb_entry_invalidate(t, a, &e[i], s->count);
}

void tlb_flush_addr(struct tlb *t, uint64_t la, uint16_t pcid, bool keep_global, bool count)
{
	const struct addr_sel s = {la, pcid, keep_global, count};

	for (int i = 0; i < TLB_FIRST_PWC; i++) {
		struct tlb_array *a = &t->a[i];
		if (!a->entries)
			continue;
		if (a->fractured) { /* a fractured entry may sit in any set */
			flush_addr_range(t, a, a->e, a->entries, &s);
			continue;
		}
		for (unsigned n = 0; n < TLB_NR_SIZES; n++)
			if (a->sizes & (1u << n))
				flush_addr_range(t, a, set_of(a, la >> tlb_size_shift(n)), a->ways,
						 &s);
	}
}

/* Invalidates entries of arrays [first, last) that pcid/keep_global select; all_pcids
 * selects every non-global entry. The fast path is dropped as a whole. */
static void flush_arrays(struct tlb *t, int first, int last, bool all_pcids, uint16_t pcid,
			 bool keep_global)
{
	for (int i = first; i < last; i++) {
		struct tlb_array *a = &t->a[i];
		for (uint32_t j = 0; j < a->entries; j++) {
			struct tlb_entry *e = &a->e[j];
			if (!(e->flags & TLBE_VALID))
				continue;
			bool global = e->flags & TLBE_GLOBAL;
			if (global ? keep_global : (!all_pcids && e->pcid != pcid))
				continue;
			e->flags = 0;
			a->st.invalidations++;
		}
	}
	if (first < TLB_FIRST_PWC) /* fast entries mirror L1 entries only */
		tlb_fast_flush(t);
}

void tlb_flush_pcid(struct tlb *t, uint16_t pcid, bool keep_global)
{
	flush_arrays(t, 0, TLB_FIRST_PWC, false, pcid, keep_global);
}

void tlb_flush_all(struct tlb *t, bool keep_global)
{
	flush_arrays(t, 0, TLB_FIRST_PWC, true, 0, keep_global);
}

void tlb_flush_pwc_pcid(struct tlb *t, uint16_t pcid)
{
	flush_arrays(t, TLB_FIRST_PWC, TLB_NR_ARRAYS, false, pcid, true);
}

void tlb_flush_pwc_all(struct tlb *t)
{
	flush_arrays(t, TLB_FIRST_PWC, TLB_NR_ARRAYS, true, 0, true);
}

void tlb_fast_flush(struct tlb *t)
{
	struct tlb_fast_entry *fe = &t->fast[0][0][0];
	for (size_t i = 0; i < sizeof(t->fast) / sizeof(*fe); i++)
		fast_drop(t, &fe[i]);
}

void tlb_fast_drop_host(struct tlb *t, unsigned kind, const uint8_t *host)
{
	for (unsigned mode = 0; mode < TLB_NR_FAST_MODES; mode++) {
		struct tlb_fast_entry *fe = t->fast[mode][kind];
		for (unsigned i = 0; i < TLB_FAST_SIZE; i++) {
			if (fe[i].tag == TLB_FAST_EMPTY)
				continue;
			uint64_t page = fe[i].tag & ~0xfffULL;
			if (page + fe[i].addend == (uintptr_t)host)
				fast_drop(t, &fe[i]);
		}
	}
}

void tlb_fast_fill(struct tlb *t, unsigned mode, unsigned kind, uint64_t la, uint8_t *host,
		   struct tlb_array *a, struct tlb_entry *te)
{
	uint64_t page = la & ~0xfffULL;
	struct tlb_fast_entry *fe = &t->fast[mode][kind][(la >> 12) & (TLB_FAST_SIZE - 1)];
	/* Only hits on entries of the level's inline array are counted by its tick. */
	bool inline_hits = a && a == &t->a[t->inline_array[a->level]];
	uint64_t tag = page | (inline_hits ? 0 : TLB_FAST_SLOW);
	uintptr_t addend = (uintptr_t)host - (uintptr_t)page;
	struct tlb_entry **tep = fast_te_of(t, fe);
	if (*tep == te && fe->tag == tag && fe->addend == addend)
		return; /* already there (the modelled TLB was asked directly) */
	fast_drop(t, fe);
	*fe = (struct tlb_fast_entry){.tag = tag, .addend = addend};
	*tep = te;
	te->nfast++;
}

uint32_t tlb_array_occupancy(const struct tlb_array *a)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < a->entries; i++)
		n += (a->e[i].flags & TLBE_VALID) != 0;
	return n;
}

/* Sum of the counters of the live fast entries that mirror an entry in [lo, hi). */
static uint64_t fast_hits_in(const struct tlb *t, const struct tlb_entry *lo,
			     const struct tlb_entry *hi)
{
	const struct tlb_fast_entry *fe = &t->fast[0][0][0];
	struct tlb_entry *const *te = &t->fast_te[0][0][0];
	uint64_t n = 0;
	for (size_t i = 0; i < sizeof(t->fast) / sizeof(*fe); i++)
		if ((uintptr_t)te[i] >= (uintptr_t)lo && (uintptr_t)te[i] < (uintptr_t)hi)
			n += fe[i].hits;
	return n;
}

/* Inline fast hits of level lv since the last statistics reset or change of its inline
 * array: the advances of its tick that nothing else made. */
static uint64_t inline_hits(const struct tlb *t, enum tlb_level lv)
{
	return t->tick[lv] - t->tick_other[lv] - t->inline_mark[lv];
}

/* The fast tables (of every mode) of the access kinds that use level lv's arrays. */
static bool kind_uses_level(unsigned kind, enum tlb_level lv)
{
	return (kind == MMU_FETCH) == (lv == TLB_LEVEL_L1I);
}

/* Makes array best the inline one of level lv instead of cur: the inline hits so far are
 * cur's; cur's mirrors count in place from now on, best's have their counters added to
 * best's hits and count in the tick. */
static void inline_hand_over(struct tlb *t, enum tlb_level lv, int cur, int best)
{
	t->a[cur].st.hits += inline_hits(t, lv);
	t->inline_mark[lv] = t->tick[lv] - t->tick_other[lv];
	t->inline_seen[lv] = 0;
	t->inline_array[lv] = (uint8_t)best;
	for (int mode = 0; mode < TLB_NR_FAST_MODES; mode++)
		for (unsigned kind = 0; kind < 3; kind++)
			for (unsigned i = 0; kind_uses_level(kind, lv) && i < TLB_FAST_SIZE; i++) {
				struct tlb_fast_entry *fe = &t->fast[mode][kind][i];
				struct tlb_entry *te = t->fast_te[mode][kind][i];
				struct tlb_array *a = te ? l1_array_of(t, te) : NULL;
				if (a == &t->a[cur]) {
					fe->tag |= TLB_FAST_SLOW;
				} else if (a == &t->a[best]) {
					a->st.hits += fe->hits;
					fe->hits = 0;
					fe->tag &= ~TLB_FAST_SLOW;
				}
			}
}

void tlb_fast_rebalance(struct tlb *t, enum tlb_level lv)
{
	int first = lv == TLB_LEVEL_L1I ? TLB_L1I_4K : TLB_L1D_4K, cur = t->inline_array[lv];
	uint64_t seen = inline_hits(t, lv), best_hits = seen - t->inline_seen[lv];
	int best = cur;
	/* The array whose fast entries had the most hits since the last look: inline hits
	 * for the inline array, out-of-line ones for the others. */
	for (int n = first; n < first + 3; n++) {
		if (n != cur && t->slow_hits[n] > best_hits) {
			best = n;
			best_hits = t->slow_hits[n];
		}
		t->slow_hits[n] = 0;
	}
	t->slow_run[lv] = 0;
	t->inline_seen[lv] = seen;
	/* While tracing the copy of a fetch entry counts as the inline array's (tlb_trace.c). */
	if (best != cur && !t->trace_fast)
		inline_hand_over(t, lv, cur, best);
}

uint64_t tlb_array_hits(const struct tlb *t, const struct tlb_array *a)
{
	if (!is_l1(t, a) || !a->entries)
		return a->st.hits;
	if (a == &t->a[t->inline_array[a->level]])
		return a->st.hits + inline_hits(t, a->level);
	return a->st.hits + fast_hits_in(t, a->e, a->e + a->entries);
}

uint64_t tlb_unpaged_hits(const struct tlb *t)
{
	return t->unpaged_hits + fast_hits_in(t, &t->unpaged_te, &t->unpaged_te + 1);
}

void tlb_stats_reset(struct tlb *t)
{
	if (t->trace_fast)
		tlb_trace_sync(t); /* the fetches before the reset are told before it */
	memset(t->lv, 0, sizeof(t->lv));
	memcpy(t->inline_mark, t->tick, sizeof(t->tick));
	memset(t->tick_other, 0, sizeof(t->tick_other));
	memset(t->inline_seen, 0, sizeof(t->inline_seen));
	for (int i = 0; i < TLB_NR_ARRAYS; i++)
		memset(&t->a[i].st, 0, sizeof(t->a[i].st));
	t->unpaged_hits = 0;
	struct tlb_fast_entry *fe = &t->fast[0][0][0];
	for (size_t i = 0; i < sizeof(t->fast) / sizeof(*fe); i++)
		fe[i].hits = 0;
	if (t->trace_fast)
		tlb_trace_mark(t);
}

uint64_t tlb_level_hits(const struct tlb *t, enum tlb_level lv)
{
	static const int first[TLB_NR_LEVELS] = {TLB_L1I_4K, TLB_L1D_4K, TLB_L2};
	static const int last[TLB_NR_LEVELS] = {TLB_L1D_4K, TLB_L2, TLB_FIRST_PWC};
	uint64_t n = 0;
	for (int i = first[lv]; i < last[lv]; i++)
		n += tlb_array_hits(t, &t->a[i]);
	return n;
}
