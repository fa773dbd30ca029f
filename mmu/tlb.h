/*
 * The modelled TLB hierarchy and page-walk caches (Intel SDM volume 3, 4.10 "Caching
 * Translation Information").
 *
 *   fetch ---> L1 ITLB: l1i4k | l1i2m | l1i1g --\
 *                                                +--> L2 (unified): l2 (4K+2M) | l21g
 *   data  ---> L1 DTLB: l1d4k | l1d2m | l1d1g --/             |
 *                                                           miss
 *                                                             v
 *                  page-walk caches: pde | pdpte | pml4e | pml5e  ->  page walk
 *
 * Every array is set-associative with its own sets, ways and replacement policy; the set of
 * a page is (linear page number mod sets), so any number of sets works (1536 entries of 12
 * ways are 128 sets; 1536 of 8 ways are 192). A translation goes into the array of its page
 * size; when a level has no array for that size, it is split ("fractured") into an entry of
 * the largest smaller size the level has, covering the part of the page that was accessed.
 *
 * Entries carry the PCID they were made under and the global flag. A TLB is a cache: once
 * an entry is filled, changes to the paging structures in memory are not seen until the
 * entry is invalidated or evicted.
 *
 * In front of the L1 arrays sits a small direct-mapped host cache (the fast path): from a
 * linear page, access kind and privilege to a host pointer, so that a hit costs an index,
 * a compare and an add. Each fast entry mirrors one L1 entry; it is dropped whenever that
 * entry is evicted or invalidated, and a fast hit counts as the L1 hit it stands for.
 *
 * A fast hit on a mirror of an entry of its level's inline array (the 4K one, unless
 * another has been hit more: tlb_fast_rebalance) advances the level's tick, which also
 * stamps every modelled hit and fill of the level's arrays, and writes the new value into
 * the fast entry as the stamp of the use. That single counter is the hit count too: the
 * inline array's fast hits are the tick's advances minus those of everything else
 * (tlb_array_hits). Mirrors of the level's other arrays and of paging-off accesses are
 * tagged TLB_FAST_SLOW: the inline lookup misses them and the out-of-line one
 * (tlb_fast_hit_slow) counts their hits in the fast entry. Stamps are carried over to the
 * mirrored entries lazily: before each replacement decision in their set, and when a fast
 * entry is dropped. So statistics and LRU order are those of the modelled TLB alone
 * (docs/mmu.md, "Exact statistics on the fast path").
 */
#ifndef MMU_TLB_H
#define MMU_TLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmu;
struct mmu_tracer;
struct mmu_trace_access;

/* The arrays of the hierarchy; the index is also the order of the --tlb names. */
enum tlb_array_id {
	TLB_L1I_4K,
	TLB_L1I_2M,
	TLB_L1I_1G,
	TLB_L1D_4K,
	TLB_L1D_2M,
	TLB_L1D_1G,
	TLB_L2,	       /* unified second level: 4K and 2M pages */
	TLB_L2_1G,     /* unified second level: 1G pages */
	TLB_PWC_PDE,   /* page-walk cache of PDEs that point to page tables */
	TLB_PWC_PDPTE, /* ... of PDPTEs that point to page directories */
	TLB_PWC_PML4E, /* ... of PML4Es that point to PDPTs */
	TLB_PWC_PML5E, /* ... of PML5Es that point to PML4 tables */
	TLB_NR_ARRAYS
};

#define TLB_FIRST_PWC TLB_PWC_PDE

/* The TLB levels whose lookups are counted. */
enum tlb_level { TLB_LEVEL_L1I, TLB_LEVEL_L1D, TLB_LEVEL_L2, TLB_NR_LEVELS };

enum tlb_repl {
	TLB_REPL_LRU,	 /* evict the least recently used way */
	TLB_REPL_FIFO,	 /* evict the way filled longest ago */
	TLB_REPL_RANDOM, /* evict a way chosen by the seeded generator */
};

/* Geometry of one array. entries == 0 means the array does not exist. */
struct tlb_geom {
	uint32_t entries;   /* total entries; a multiple of ways */
	uint32_t ways;	    /* associativity; == entries for fully associative */
	enum tlb_repl repl; /* replacement policy */
};

/* Geometry of the whole hierarchy (what --tlb sets). */
struct tlb_config {
	struct tlb_geom geom[TLB_NR_ARRAYS]; /* per array */
	uint64_t seed;			     /* seed of TLB_REPL_RANDOM's generator */
};

/* Entry flags. */
#define TLBE_VALID (1u << 0)
#define TLBE_GLOBAL (1u << 1) /* matches every PCID */
#define TLBE_RW (1u << 2)     /* R/W was 1 at every level */
#define TLBE_US (1u << 3)     /* U/S was 1 at every level: a user-mode address */
#define TLBE_XD (1u << 4)     /* XD was 1 at some level (only with EFER.NXE) */
#define TLBE_DIRTY (1u << 5)  /* the leaf's D bit was set when this entry was filled */

struct tlb_entry {
	uint64_t vpn;	    /* linear address >> shift (sign bits included) */
	uint64_t pa;	    /* physical address of the page (fractured part) or next table */
	uint64_t stamp;	    /* tick of the last use: LRU's order */
	uint64_t filled;    /* tick of the fill: FIFO's order */
	uint16_t pcid;	    /* PCID the entry was made under */
	uint8_t shift;	    /* log2 of the bytes this entry covers */
	uint8_t page_shift; /* log2 of the original page size (> shift when fractured) */
	uint8_t flags;	    /* TLBE_* */
	uint8_t array;	    /* enum tlb_array_id of the array it is in (TLB_NR_ARRAYS: none) */
	uint16_t nfast;	    /* L1: live fast entries that mirror this one */
};

/* An array's hits are hits (the modelled lookups' hits and the fast hits of dropped
 * mirrors) plus the counters of its live mirrors: tlb_array_hits. */
struct tlb_array_stats {
	uint64_t hits;		/* hits, without those still counted in fast entries */
	uint64_t misses;	/* page-walk caches only: lookups it did not answer */
	uint64_t fills;		/* entries written */
	uint64_t evictions;	/* valid entries replaced by a fill */
	uint64_t invalidations; /* valid entries removed by INVLPG, INVPCID, CR3/CR4 writes */
};

struct tlb_array {
	const char *name;	   /* --tlb name: "l1d4k", "l2", "pde", ... */
	uint32_t entries;	   /* 0: absent */
	uint32_t ways;		   /* associativity */
	uint32_t sets;		   /* entries / ways */
	uint32_t set_mask;	   /* sets - 1 when sets is a power of two, else 0 */
	enum tlb_repl repl;	   /* replacement policy */
	uint8_t sizes;		   /* bit n set: holds pages of shift tlb_size_shift[n] */
	bool fractured;		   /* may hold fractured entries: INVLPG must scan it */
	uint8_t level;		   /* enum tlb_level whose tick stamps its entries (PWC: L2) */
	struct tlb_entry *e;	   /* sets * ways entries, set-major */
	struct tlb_array_stats st; /* statistics */
};

/* Page sizes an array can hold (bit numbers of tlb_array.sizes). */
enum tlb_size { TLB_SIZE_4K, TLB_SIZE_2M, TLB_SIZE_1G, TLB_NR_SIZES };

/* A level's hits are the sum of its arrays' hits (tlb_level_hits): that way a fast-path hit
 * costs one counter. */
struct tlb_level_stats {
	uint64_t misses; /* lookups no array of the level answered */
};

/* Fast-path modes: the privilege the permission check of a fast entry was made for. */
enum tlb_fast_mode { TLB_FAST_SUP_AC0, TLB_FAST_SUP_AC1, TLB_FAST_USER, TLB_NR_FAST_MODES };

#define TLB_FAST_BITS 8
#define TLB_FAST_SIZE (1u << TLB_FAST_BITS)

/* What a fast hit reads and writes; one cache line holds two. The mirrored entry is in the
 * parallel table tlb.fast_te, which only the slow paths read. */
struct tlb_fast_entry {
	uint64_t tag;	  /* linear address of the 4K page; TLB_FAST_EMPTY when unused */
	uintptr_t addend; /* host address = linear address + addend */
	uint64_t hits;	  /* TLB_FAST_SLOW mirrors: hits not yet added to the array's */
	uint64_t stamp;	  /* tick of the last fast hit (0: none since the fill) */
};

/* Never equal to a lookup key: keys are a page address plus at most the low 3 bits of a
 * misaligned access (mmu_fast_lookup), so bits 3..11 of a key are always clear. */
#define TLB_FAST_EMPTY 0x8ULL
/* Tag bit of a mirror whose hits are counted out of line: never in a key either. */
#define TLB_FAST_SLOW 0x10ULL

struct tlb {
	struct tlb_array a[TLB_NR_ARRAYS];	  /* the arrays, by enum tlb_array_id */
	struct tlb_level_stats lv[TLB_NR_LEVELS]; /* per level */
	uint64_t rng;				  /* xorshift state for TLB_REPL_RANDOM */
	/* Per level, advances on every hit and fill in its arrays, fast hits included: the
	 * LRU stamps. tick_other counts the advances that were not inline fast hits, so the
	 * inline fast hits of the level's inline array since inline_mark (the value of
	 * tick - tick_other at the last statistics reset or change of inline array) are
	 * tick - tick_other - inline_mark. (PWC arrays use the L2 tick.) */
	uint64_t tick[TLB_NR_LEVELS];
	uint64_t tick_other[TLB_NR_LEVELS];
	uint64_t inline_mark[TLB_NR_LEVELS];
	/* L1 levels: the array whose mirrors are inline (its 4K one at first), the inline
	 * fast hits at the last look at whether another array deserves it, and the
	 * out-of-line fast hits since, per level and per L1 array (tlb_fast_rebalance). */
	uint8_t inline_array[TLB_NR_LEVELS];
	uint64_t inline_seen[TLB_NR_LEVELS];
	uint32_t slow_run[TLB_NR_LEVELS];
	uint32_t slow_hits[TLB_L2];
	/* [mode][kind][index]: kind is MMU_READ, MMU_WRITE or MMU_FETCH. */
	struct tlb_fast_entry fast[TLB_NR_FAST_MODES][3][TLB_FAST_SIZE];
	/* The L1 entry each fast entry mirrors (or &unpaged_te); NULL when it is empty. */
	struct tlb_entry *fast_te[TLB_NR_FAST_MODES][3][TLB_FAST_SIZE];
	const struct mmu_tracer *tracer; /* sees every fill (mmu/trace.h), or NULL */
	const struct mmu *trace_mmu;	 /* the MMU this TLB belongs to, for the tracer */
	/* While a tracer is attached (mmu/tlb_trace.c): the fast tables the inline accessors
	 * see instead of fast[mode], [kind][index], holding at most one live entry, a copy of
	 * the inline fetch entry of the last fetch translation (trace_real); the physical
	 * page it stands for; the inline L1I fast hits the tracer has been told of. */
	struct tlb_fast_entry (*trace_fast)[TLB_FAST_SIZE];
	struct tlb_fast_entry *trace_copy; /* the live entry of trace_fast, or NULL */
	struct tlb_fast_entry *trace_real; /* the entry of fast[][][] it copies */
	uint64_t trace_run_pa;		   /* physical address of its page */
	uint64_t trace_mark;		   /* inline L1I fast hits already told */
	struct mmu_trace_access *trace_buf; /* a batching tracer's batch (MMU_TRACE_BATCH), or
					       NULL */
	uint32_t trace_nbuf;		    /* entries of trace_buf held */
	bool trace_buf_own;		    /* trace_buf is the TLB's (malloc), not the tracer's
					       (mmu_trace_set_batch_buf) */
	/* fast[mode] of the current CPL and AC: the real fast tables, which the slow paths
	 * consult while tracing (mmu_trace_fast_access) */
	struct tlb_fast_entry (*trace_mode_fast)[TLB_FAST_SIZE];
	struct tlb_entry unpaged_te;	 /* stand-in L1 entry of fast entries made with CR0.PG=0 */
	uint64_t unpaged_hits;		 /* fast hits of dropped mirrors of unpaged_te */
};

/* Log2 of the page size enum tlb_size n stands for. */
static inline unsigned tlb_size_shift(unsigned n)
{
	return n == TLB_SIZE_4K ? 12 : n == TLB_SIZE_2M ? 21 : 30;
}

/* The --tlb name of an array. */
const char *tlb_array_name(enum tlb_array_id id);

/* Fills cfg with the default geometry: Intel Skylake (see docs/mmu.md). */
void tlb_config_default(struct tlb_config *cfg);

/*
 * Applies a --tlb geometry string to cfg (see docs/mmu.md for the grammar), e.g.
 * "skylake,l2=2048:16:lru,l1d1g=off". Returns 0, or -1 with a one-line message in
 * err (errlen bytes) and cfg unchanged.
 */
int tlb_config_parse(struct tlb_config *cfg, const char *s, char *err, size_t errlen);

/* Writes cfg as a --tlb string that tlb_config_parse reads back to the same geometry. */
int tlb_config_format(const struct tlb_config *cfg, char *buf, size_t len);

/* Builds the arrays of cfg (all entries invalid). 0 or -ENOMEM / -EINVAL. */
int tlb_init(struct tlb *t, const struct tlb_config *cfg);
void tlb_destroy(struct tlb *t);

/* Looks up la in one array for pcid; returns the matching valid entry or NULL. Does not
 * count or touch replacement state. */
struct tlb_entry *tlb_array_find(struct tlb_array *a, uint64_t la, uint16_t pcid);

/* Writes a translation into array a (evicting by its policy); returns the new entry. */
struct tlb_entry *tlb_array_fill(struct tlb *t, struct tlb_array *a, const struct tlb_entry *src);

/* Advances the tick of a's level for anything but an inline fast hit; the new value. */
static inline uint64_t tlb_tick(struct tlb *t, const struct tlb_array *a)
{
	t->tick_other[a->level]++;
	return ++t->tick[a->level];
}

/* Counts a hit of entry e of array a of t and marks it used now (for LRU). */
static inline void tlb_touch(struct tlb *t, struct tlb_array *a, struct tlb_entry *e)
{
	a->st.hits++;
	e->stamp = tlb_tick(t, a);
}

/* Hits of array a of t since the last statistics reset, fast hits included. */
uint64_t tlb_array_hits(const struct tlb *t, const struct tlb_array *a);

/* Fast hits made with paging off since the last statistics reset (mmu.c adds them to the
 * unpaged accesses it counts itself). */
uint64_t tlb_unpaged_hits(const struct tlb *t);

/* Zeroes the TLB's counters: the arrays', the levels' and the fast entries'. */
void tlb_stats_reset(struct tlb *t);

/* Invalidations. keep_global: global entries survive. count: add to the arrays'
 * invalidation counters (instructions do; the implicit drop of a #PF does not). */
void tlb_flush_addr(struct tlb *t, uint64_t la, uint16_t pcid, bool keep_global, bool count);
void tlb_flush_pcid(struct tlb *t, uint16_t pcid, bool keep_global);
void tlb_flush_all(struct tlb *t, bool keep_global);
/* Page-walk caches: every entry of pcid, or of every PCID. */
void tlb_flush_pwc_pcid(struct tlb *t, uint16_t pcid);
void tlb_flush_pwc_all(struct tlb *t);

/* Drops every fast-path entry (after a change of PCID, control register or mode). */
void tlb_fast_flush(struct tlb *t);
/* Drops the fast entries of access kind kind, in every mode, that map the 4K page at host
 * address host (its first byte). */
void tlb_fast_drop_host(struct tlb *t, unsigned kind, const uint8_t *host);
/* Installs a fast entry for (mode, kind, 4K page of la) -> host (the host address of that
 * page's first byte), mirroring te: an entry of L1 array a, or &t->unpaged_te (a NULL). */
void tlb_fast_fill(struct tlb *t, unsigned mode, unsigned kind, uint64_t la, uint8_t *host,
		   struct tlb_array *a, struct tlb_entry *te);

/* Out-of-line fast hits of a level between two looks at which of its arrays should have
 * the inline mirrors. */
#define TLB_FAST_REBALANCE 4096

/* Gives the inline mirrors of L1 level lv to the array whose mirrors were hit most since
 * the last look (a level whose hits go to 2M pages keeps them inline too). */
void tlb_fast_rebalance(struct tlb *t, enum tlb_level lv);

/* The entry fast entry fe mirrors. */
static inline struct tlb_entry *tlb_fast_te(struct tlb *t, const struct tlb_fast_entry *fe)
{
	return (&t->fast_te[0][0][0])[fe - &t->fast[0][0][0]];
}

/* A hit on fast entry fe of access kind kind whose tag has TLB_FAST_SLOW: counted in the
 * entry, and stamped with its level's tick (the L1 level of kind). */
static inline void tlb_fast_hit_slow(struct tlb *t, struct tlb_fast_entry *fe, unsigned kind)
{
	enum tlb_level lv = kind == 2 /* MMU_FETCH */ ? TLB_LEVEL_L1I : TLB_LEVEL_L1D;
	struct tlb_entry *te = tlb_fast_te(t, fe);
	fe->hits++;
	t->tick_other[lv]++;
	fe->stamp = ++t->tick[lv];
	if (te->array < TLB_L2)
		t->slow_hits[te->array]++;
	if (__builtin_expect(++t->slow_run[lv] >= TLB_FAST_REBALANCE, 0))
		tlb_fast_rebalance(t, lv);
}

/* Number of valid entries of an array (for occupancy displays and tests). */
uint32_t tlb_array_occupancy(const struct tlb_array *a);

#endif /* MMU_TLB_H */
