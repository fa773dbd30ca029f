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
 */
#ifndef MMU_TLB_H
#define MMU_TLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmu;
struct mmu_tracer;

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
};

/* An array's hits are not counted apart: each set has a clock that advances on every hit
 * and fill in the set and stamps the entry used; hits are the clocks' sum minus the fills
 * (tlb_array_hits). A hit thus costs one counter update, which also keeps exact LRU
 * order, and hits in different sets do not wait on each other's counter. */
struct tlb_array_stats {
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
	uint64_t *set_clock;	   /* per set: hits + fills since creation; the entries' stamps */
	uint64_t clock_base;	   /* sum of set_clock when the statistics were last reset */
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

struct tlb_fast_entry {
	uint64_t tag;	      /* linear address of the 4K page; TLB_FAST_EMPTY when unused */
	uintptr_t addend;     /* host address = linear address + addend */
	uint64_t *clock;      /* set clock of the mirrored L1 entry */
	struct tlb_entry *te; /* the mirrored L1 entry (its replacement stamp) */
};

/* Never equal to a lookup key: keys are a page address plus at most the low 3 bits of a
 * misaligned access (mmu_fast_lookup), so bits 3..11 of a key are always clear. */
#define TLB_FAST_EMPTY 0x8ULL

struct tlb {
	struct tlb_array a[TLB_NR_ARRAYS];	  /* the arrays, by enum tlb_array_id */
	struct tlb_level_stats lv[TLB_NR_LEVELS]; /* per level */
	uint64_t rng;				  /* xorshift state for TLB_REPL_RANDOM */
	/* [mode][kind][index]: kind is MMU_READ, MMU_WRITE or MMU_FETCH. */
	struct tlb_fast_entry fast[TLB_NR_FAST_MODES][3][TLB_FAST_SIZE];
	const struct mmu_tracer *tracer; /* sees every fill (mmu/trace.h), or NULL */
	const struct mmu *trace_mmu;	 /* the MMU this TLB belongs to, for the tracer */
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

/* The clock of the set entry e of array a lies in. */
static inline uint64_t *tlb_set_clock(struct tlb_array *a, const struct tlb_entry *e)
{
	return &a->set_clock[(uint32_t)(e - a->e) / a->ways];
}

/* Counts a hit of entry e of array a and marks it used now (for LRU). */
static inline void tlb_touch(struct tlb_array *a, struct tlb_entry *e)
{
	e->stamp = ++*tlb_set_clock(a, e);
}

/* Sum of an array's set clocks. */
uint64_t tlb_array_clock(const struct tlb_array *a);

/* Hits of an array since the last statistics reset. */
static inline uint64_t tlb_array_hits(const struct tlb_array *a)
{
	return tlb_array_clock(a) - a->clock_base - a->st.fills;
}

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
/* Installs a fast entry for (mode, kind, 4K page of la) -> host (the host address of that
 * page's first byte), mirroring L1 entry te whose hits advance *clock. */
void tlb_fast_fill(struct tlb *t, unsigned mode, unsigned kind, uint64_t la, uint8_t *host,
		   uint64_t *clock, struct tlb_entry *te);

/* Number of valid entries of an array (for occupancy displays and tests). */
uint32_t tlb_array_occupancy(const struct tlb_array *a);

#endif /* MMU_TLB_H */
