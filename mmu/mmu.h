/*
 * The MMU: linear-address translation through the TLB hierarchy and the page walker, and
 * the linear-address memory accessors the CPU uses. Segmentation (effective -> linear) is
 * in mmu/seg.h; physical memory in mmu/bus.h.
 *
 * The MMU holds the control state translation depends on (CR0, CR3, CR4, EFER, CPL,
 * RFLAGS.AC). The CPU writes it through mmu_set_cr0/cr3/cr4/efer, mmu_set_cpl and
 * mmu_set_ac, which perform the TLB invalidations the SDM ties to those writes (4.10.4.1).
 *
 * Faults are values: every function that can fault fills a struct x86_fault and returns
 * false; nothing here raises a host signal or touches host memory outside guest RAM.
 *
 * Typical use by an interpreter:
 *
 *	uint64_t v;
 *	struct x86_fault f;
 *	if (!mmu_read(m, la, 4, &v, 0, &f))
 *		return deliver_exception(cpu, &f);   // f.vector 14, f.error_code, f.cr2
 */
#ifndef MMU_MMU_H
#define MMU_MMU_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mmu/bus.h"
#include "mmu/paging.h"
#include "mmu/seg.h"
#include "mmu/tlb.h"

/* Exception vectors the MMU raises. */
#define X86_VEC_UD 6
#define X86_VEC_TS 10
#define X86_VEC_NP 11
#define X86_VEC_SS 12
#define X86_VEC_GP 13
#define X86_VEC_PF 14
#define X86_VEC_AC 17

/* A hardware fault, as the CPU must deliver it. */
struct x86_fault {
	uint8_t vector;	     /* X86_VEC_* */
	bool has_error_code; /* push error_code on delivery */
	uint32_t error_code; /* #PF: PF_ERR_*; #GP/#SS/#NP/#TS: selector error code */
	uint64_t cr2;	     /* #PF only: the faulting linear address, to load into CR2 */
};

/* Access kinds (the low two bits of an access's flags). */
#define MMU_READ 0u
#define MMU_WRITE 1u
#define MMU_FETCH 2u
#define MMU_KIND_MASK 3u
/* Flags. */
#define MMU_IMPLICIT (1u << 2) /* implicit supervisor access: GDT/LDT/IDT/TSS, whatever CPL */
#define MMU_STACK (1u << 3)    /* stack access: a non-canonical address raises #SS(0) */

/* Paging modes (SDM 4.1.1), chosen by CR0.PG, CR4.PAE, EFER.LME and CR4.LA57. */
enum paging_mode_id {
	PG_MODE_NONE, /* CR0.PG=0: linear = physical */
	PG_MODE_32,   /* 32-bit paging: 2 levels, 4K and (CR4.PSE) 4M pages */
	PG_MODE_PAE,  /* PAE paging: PDPTE registers + 2 levels, 4K and 2M pages, XD */
	PG_MODE_4L,   /* 4-level paging: 48-bit linear, 4K, 2M and 1G pages */
	PG_MODE_5L,   /* 5-level paging: 57-bit linear */
	PG_NR_MODES
};

/* Paging-structure levels, for statistics and walk traces. */
enum walk_level { PG_PML5, PG_PML4, PG_PDPT, PG_PD, PG_PT, PG_NR_LEVELS };

/* Counters of translation outside the TLB arrays (which count themselves). */
struct mmu_stats {
	uint64_t walks;			   /* page walks started */
	uint64_t walk_refs[PG_NR_LEVELS];  /* paging-structure entries read, per level */
	uint64_t ad_updates[PG_NR_LEVELS]; /* entries written to set A and/or D, per level */
	uint64_t pf_not_present;	   /* #PF with P=0 */
	uint64_t pf_protection;		   /* #PF for access rights */
	uint64_t pf_rsvd;		   /* #PF for reserved bits */
	uint64_t gp_canonical;		   /* #GP/#SS for non-canonical addresses */
	uint64_t unpaged;		   /* accesses with CR0.PG=0 (no TLB involved) */
	uint64_t invlpg;		   /* INVLPG executed */
	uint64_t invpcid[4];		   /* INVPCID executed, per type */
	uint64_t cr3_flush;		   /* MOV to CR3 that flushed */
	uint64_t cr3_noflush;		   /* MOV to CR3 with bit 63 (PCIDE=1) */
	uint64_t cr_flush;		   /* CR0/CR4/EFER writes that flushed everything */
};

/* One step of a walk, for viewers and debuggers (mmu_probe). */
struct mmu_walk_step {
	uint8_t level;	   /* enum walk_level */
	uint64_t entry_pa; /* physical address of the entry (~0 for PAE PDPTE registers) */
	uint64_t entry;	   /* its value */
};

struct mmu_walk_trace {
	int nr_steps; /* steps filled */
	struct mmu_walk_step step[PG_NR_LEVELS];
	uint64_t pa;	    /* translated physical address, if no fault */
	uint8_t page_shift; /* log2 of the page size, if no fault */
};

struct mmu {
	struct phys_bus *bus;	  /* physical memory: the only way to it */
	uint64_t cr0;		  /* CR0 */
	uint64_t cr3;		  /* CR3 as stored (bit 63 of a MOV source never is) */
	uint64_t cr4;		  /* CR4 */
	uint64_t efer;		  /* IA32_EFER */
	uint8_t cpl;		  /* current privilege level 0..3 */
	bool ac;		  /* RFLAGS.AC */
	bool ac_check;		  /* CPL 3, CR0.AM and RFLAGS.AC: misaligned data raise #AC */
	uint8_t maxphyaddr;	  /* physical-address width in bits (CPUID 80000008H), 32..52 */
	bool page_1g;		  /* 1-GByte pages supported (CPUID 80000001H:EDX[26]) */
	bool exact_stats;	  /* fast-path hits are counted and update LRU state */
	enum paging_mode_id mode; /* derived from the control registers */
	uint16_t pcid;		  /* current PCID (0 unless CR4.PCIDE) */
	uint64_t pdpte[4];	  /* PAE paging: the PDPTE registers, loaded with CR3 */
	uint64_t rsvd[PG_NR_LEVELS][2]; /* reserved-bit masks per walk step: [table][leaf] */
	struct tlb tlb;			/* the TLB hierarchy and its fast path */
	struct seg_unit seg;		/* segment registers, descriptor tables (mmu/seg.h) */
	struct mmu_stats st;		/* statistics */
	/* The fast-path tables of the current CPL and AC: &tlb.fast[mode]. (A struct mmu
	 * points into itself, so it is not copyable.) */
	struct tlb_fast_entry (*fast_cur)[TLB_FAST_SIZE];
	const struct mmu_tracer *tracer; /* mmu/trace.h: sees every translation, or NULL */
	/* Frames whose writes never get a fast entry: a bitmap over the 4K frames of RAM
	 * (write_watch_frames of them), or NULL. A write to such a frame always takes the slow
	 * path; the CPU watches the frames that hold its decoded code, so that a store through
	 * the fast path needs no look at its code cache (cpu/cpu_internal.h). Whoever sets a
	 * bit calls mmu_write_watch_frame. */
	const uint8_t *write_watch;
	uint64_t write_watch_frames;
};

/*
 * Sets up an MMU over bus with TLB geometry cfg (NULL: the default), in real mode with
 * paging off, MAXPHYADDR 46, 1G pages supported, exact statistics. 0 or -errno.
 */
int mmu_init(struct mmu *m, struct phys_bus *bus, const struct tlb_config *cfg);
void mmu_destroy(struct mmu *m);

/* True when frame pa's bit is set in the write-watch bitmap. */
static inline bool mmu_frame_watched(const struct mmu *m, uint64_t pa)
{
	uint64_t frame = pa >> 12;
	return m->write_watch && frame < m->write_watch_frames &&
	       ((m->write_watch[frame >> 3] >> (frame & 7)) & 1);
}

/* Frame pa has just been added to the write-watch bitmap: drops the fast entries (of every
 * CPL and AC) through which writes reached it. Statistics are unchanged: a fast entry only
 * mirrors the modelled TLB's. */
void mmu_write_watch_frame(struct mmu *m, uint64_t pa);

/* Sets the CPU's paging features (CPUID): physical-address width maxphyaddr (32..52) and
 * 1-GByte page support. Flushes the TLBs: cached translations were decided under the old
 * reserved-bit rules. */
void mmu_set_features(struct mmu *m, unsigned maxphyaddr, bool page_1g);

/*
 * Control-register writes, with the TLB invalidations of SDM 4.10.4.1. They return false
 * with *f set when the value is architecturally refused (#GP(0)): reserved bits, PAE
 * PDPTEs with reserved bits at a CR3/CR0/CR4 load, PCIDE without long mode, etc.
 */
bool mmu_set_cr0(struct mmu *m, uint64_t cr0, struct x86_fault *f);
/* val is the MOV source: with CR4.PCIDE, bit 63 set means "do not flush". */
bool mmu_set_cr3(struct mmu *m, uint64_t val, struct x86_fault *f);
bool mmu_set_cr4(struct mmu *m, uint64_t cr4, struct x86_fault *f);
/* EFER.LMA is derived (LME && CR0.PG); the value's LMA bit is ignored. */
bool mmu_set_efer(struct mmu *m, uint64_t efer, struct x86_fault *f);
void mmu_set_cpl(struct mmu *m, unsigned cpl);
void mmu_set_ac(struct mmu *m, bool ac);

/* INVLPG la: the TLB entries of la (current PCID and global), and the page-walk caches of
 * the current PCID. */
void mmu_invlpg(struct mmu *m, uint64_t la);
/* INVPCID type (0 individual address, 1 single context, 2 all incl. global, 3 all but
 * global) with descriptor (pcid, la). false and #GP(0) for a bad type or descriptor. */
bool mmu_invpcid(struct mmu *m, uint64_t type, uint64_t pcid, uint64_t la, struct x86_fault *f);

/*
 * Translates linear address la for an access of kind/flags (MMU_READ|MMU_IMPLICIT...)
 * at the current CPL. Goes through the TLBs and walks on a miss, setting A/D bits and
 * filling TLBs and page-walk caches; counts everything. *pa on success, else *f.
 */
bool mmu_translate(struct mmu *m, uint64_t la, unsigned flags, uint64_t *pa, struct x86_fault *f);

/*
 * Walks the tables for la without TLBs, statistics, A/D updates or permission checks (a
 * debugger's or viewer's look). Returns true and the trace when la maps to a page; false
 * with the steps up to the failing entry otherwise.
 */
bool mmu_probe(struct mmu *m, uint64_t la, struct mmu_walk_trace *tr);

/* True when la is canonical for the current paging mode (always true outside long mode). */
bool mmu_canonical(const struct mmu *m, uint64_t la);

/* Slow paths of the accessors below; use the accessors. */
/*
 * Alignment checking (SDM Vol. 3, 6.15 "#AC"): true, with *f set to #AC(0), when ac_check
 * is on and a data access of flags at la is not aligned to align bytes (a power of two).
 * Fetches and implicit supervisor accesses are never checked. The inline accessors hit
 * only naturally aligned accesses, so the slow paths are where the check is made; an
 * operand wider than its accesses (16-byte SSE, split in two) is checked by its
 * instruction. On the reference AMD CPU #AC comes before #PF for the same access.
 */
bool mmu_alignment_fault(const struct mmu *m, uint64_t la, unsigned align, unsigned flags,
			 struct x86_fault *f);

bool mmu_read_slow(struct mmu *m, uint64_t la, unsigned size, uint64_t *val, unsigned flags,
		   struct x86_fault *f);
bool mmu_write_slow(struct mmu *m, uint64_t la, unsigned size, uint64_t val, unsigned flags,
		    struct x86_fault *f);

/* Counts an inline fast-path hit (access kind MMU_READ/WRITE/FETCH) as the L1 hit it
 * stands for and stamps the use for LRU, when statistics are exact: one advance of the
 * level's tick, whose new value goes into the fast entry, the cache line the lookup has
 * just read. The TLB derives hits from the tick and carries the stamp over to the L1
 * entry when it needs it (mmu/tlb.h). */
static inline void mmu_fast_count(struct mmu *m, struct tlb_fast_entry *fe, unsigned kind)
{
	if (m->exact_stats)
		fe->stamp = ++m->tlb.tick[kind == MMU_FETCH ? TLB_LEVEL_L1I : TLB_LEVEL_L1D];
}

/* n inline fast-path hits of kind on fe in a row, counted at once: the same ticks and
 * final stamp as n calls of mmu_fast_count, provided nothing else advanced the level's tick
 * or looked at fe's stamp in between (the fetch loop's promise; cpu/exec.c, run_block). */
static inline void mmu_fast_count_n(struct mmu *m, struct tlb_fast_entry *fe, unsigned kind,
				    uint64_t n)
{
	if (m->exact_stats)
		fe->stamp = m->tlb.tick[kind == MMU_FETCH ? TLB_LEVEL_L1I : TLB_LEVEL_L1D] += n;
}

/* Low address bits an access of size (1..8) bytes must have clear to be naturally
 * aligned (for sizes that are not powers of two: of the next power of two), so that an
 * access passing the check cannot cross a page. */
static inline uint64_t mmu_align_mask(unsigned size)
{
	return size <= 1 ? 0 : size <= 2 ? 1 : size <= 4 ? 3 : 7;
}

/* mmu_alignment_fault for an access of size (1..8) bytes at its natural alignment, with
 * the test of ac_check inline: what every slow path of a data access asks first. */
static inline bool mmu_access_ac_fault(const struct mmu *m, uint64_t la, unsigned size,
				       unsigned flags, struct x86_fault *f)
{
	return __builtin_expect(m->ac_check, 0) &&
	       mmu_alignment_fault(m, la, (unsigned)mmu_align_mask(size) + 1, flags, f);
}

/*
 * The fast entry that maps [la, la+size) for an access of flags, or NULL; nothing counted.
 * Index, compare, and that is all: the tag compare includes the low address bits an
 * aligned access has clear, so an unaligned access misses here (the slow path retries it
 * without the alignment condition, and handles page crossings).
 */
static inline struct tlb_fast_entry *mmu_fast_peek(struct mmu *m, uint64_t la, unsigned size,
						   unsigned flags)
{
	struct tlb_fast_entry *fe =
	    &m->fast_cur[flags & MMU_KIND_MASK][(la >> 12) & (TLB_FAST_SIZE - 1)];
	if (__builtin_expect(
		fe->tag != (la & (~0xfffULL | mmu_align_mask(size))) || (flags & MMU_IMPLICIT), 0))
		return NULL;
	return fe;
}

/* The inline fast entry (TLB_FAST_SLOW not set) that maps [la, la+size) for an access of
 * flags of any alignment, within la's page; NULL otherwise. Nothing counted: the look of
 * the slow paths at an unaligned access (the aligned one is mmu_fast_peek's). */
static inline struct tlb_fast_entry *mmu_fast_peek_in_page(struct mmu *m, uint64_t la,
							   unsigned size, unsigned flags)
{
	struct tlb_fast_entry *fe =
	    &m->fast_cur[flags & MMU_KIND_MASK][(la >> 12) & (TLB_FAST_SIZE - 1)];
	if (fe->tag != (la & ~0xfffULL) || (la & 0xfff) > 4096u - size || (flags & MMU_IMPLICIT))
		return NULL;
	return fe;
}

/*
 * The inline fast entry that maps the whole of [la, la+size) (size 1..4096, any
 * alignment) for a data access of kind (MMU_READ or MMU_WRITE), or NULL; nothing counted.
 * One compare does the page test and the crossing test at once: the key is the page of
 * the last byte, and la's slot only ever holds the tag of a page of that slot's index,
 * which the next page (another index) is not; an out-of-line mirror's tag (TLB_FAST_SLOW)
 * or an empty one never equals a page. What the slow paths find for an access within one
 * page (mmu_fast_peek_in_page); the caller decides what the access's alignment makes of
 * it (an aligned one hits inline, a misaligned one is #AC under ac_check, or a translation
 * where the slow path translates: mmu_fast_count_translated).
 */
static inline struct tlb_fast_entry *mmu_fast_peek_span(struct mmu *m, uint64_t la,
							unsigned size, unsigned kind)
{
	/* The slot's byte offset straight from la (a shift and a mask, where the index
	 * times the size is three steps). */
	_Static_assert(sizeof(struct tlb_fast_entry) == 32, "a fast entry is 1 << 5 bytes");
	uintptr_t off = (uintptr_t)(la >> (12 - 5)) & ((TLB_FAST_SIZE - 1) << 5);
	struct tlb_fast_entry *fe =
	    (struct tlb_fast_entry *)((uintptr_t)m->fast_cur[kind] + off);
	if (__builtin_expect(fe->tag != ((la + size - 1) & ~0xfffULL), 0))
		return NULL;
	return fe;
}

/* Debug builds: true when fe, an inline fast entry of kind for la, mirrors the L1 entry
 * that mmu_translate's lookup finds first (the premise of mmu_fast_count_translated). */
bool mmu_fast_mirror_is_found(struct mmu *m, const struct tlb_fast_entry *fe, uint64_t la,
			      unsigned kind);

/*
 * Counts an access on the page of inline fast entry fe (kind MMU_READ or MMU_WRITE, la in
 * that page) as mmu_translate counts it, for the accesses the slow paths translate although
 * their page is on the fast path (a misaligned probe or write: cpu_probe_write,
 * cpu_write_la_slow). Such a translation finds the L1 entry fe mirrors (fe is dropped when
 * it goes, and an inline mirror's entry is the first the lookup meets), which is a hit of
 * that entry: tlb_touch, whether statistics are exact or not; its rights, dirty bit and
 * mirror are already as the translation would leave them (fast_fill finds them there).
 * So the statistics, the tick and the LRU stamps are the translation's, and only the
 * search is saved.
 */
static inline void mmu_fast_count_translated(struct mmu *m, struct tlb_fast_entry *fe,
					     uint64_t la, unsigned kind)
{
	struct tlb_entry *te = (&m->tlb.fast_te[0][0][0])[fe - &m->tlb.fast[0][0][0]];
	assert(mmu_fast_mirror_is_found(m, fe, la, kind));
	(void)la;
	(void)kind;
	tlb_touch(&m->tlb, &m->tlb.a[te->array], te);
}

/* mmu_fast_peek, and a hit counted (mmu_fast_count): what an access that uses the entry
 * looks up. */
static inline struct tlb_fast_entry *mmu_fast_lookup(struct mmu *m, uint64_t la, unsigned size,
						     unsigned flags)
{
	struct tlb_fast_entry *fe = mmu_fast_peek(m, la, size, flags);
	if (__builtin_expect(fe != NULL, 1))
		mmu_fast_count(m, fe, flags & MMU_KIND_MASK);
	return fe;
}

/*
 * Reads size (1..8) bytes at linear address la, little-endian, into *val. An
 * access that crosses a page translates both pages before reading. flags: MMU_STACK,
 * MMU_IMPLICIT (the kind bits must be 0). false with *f on a fault.
 */
static inline bool mmu_read(struct mmu *m, uint64_t la, unsigned size, uint64_t *val,
			    unsigned flags, struct x86_fault *f)
{
	struct tlb_fast_entry *fe = mmu_fast_lookup(m, la, size, flags | MMU_READ);
	if (__builtin_expect(fe != NULL, 1)) {
		uint64_t v = 0;
		memcpy(&v, (const void *)(uintptr_t)(la + fe->addend), size);
		*val = v;
		return true;
	}
	return mmu_read_slow(m, la, size, val, flags | MMU_READ, f);
}

/* Instruction fetch of size (1..8) bytes at la; as mmu_read. */
static inline bool mmu_fetch(struct mmu *m, uint64_t la, unsigned size, uint64_t *val,
			     struct x86_fault *f)
{
	struct tlb_fast_entry *fe = mmu_fast_lookup(m, la, size, MMU_FETCH);
	if (__builtin_expect(fe != NULL, 1)) {
		uint64_t v = 0;
		memcpy(&v, (const void *)(uintptr_t)(la + fe->addend), size);
		*val = v;
		return true;
	}
	return mmu_read_slow(m, la, size, val, MMU_FETCH, f);
}

/*
 * Writes the low size (1..8) bytes of val at la. A page-crossing write checks
 * both pages before it writes anything: on a fault no byte has changed.
 */
static inline bool mmu_write(struct mmu *m, uint64_t la, unsigned size, uint64_t val,
			     unsigned flags, struct x86_fault *f)
{
	struct tlb_fast_entry *fe = mmu_fast_lookup(m, la, size, flags | MMU_WRITE);
	if (__builtin_expect(fe != NULL, 1)) {
		memcpy((void *)(uintptr_t)(la + fe->addend), &val, size);
		return true;
	}
	return mmu_write_slow(m, la, size, val, flags | MMU_WRITE, f);
}

/* Statistics: text (one "name value" per line) and JSON. */
void mmu_stats_print(const struct mmu *m, FILE *out);
void mmu_stats_json(const struct mmu *m, FILE *out);
/* As mmu_stats_json into buf (len bytes, NUL-terminated, truncated if short); returns the
 * length the full text needs, as snprintf does. */
int mmu_stats_json_buf(const struct mmu *m, char *buf, size_t len);
/* Hits of a TLB level (the sum of its arrays' hits). */
uint64_t mmu_tlb_level_hits(const struct mmu *m, enum tlb_level lv);
/* Accesses made with paging off (CR0.PG=0), fast-path hits included. */
uint64_t mmu_unpaged_accesses(const struct mmu *m);
/* Zeroes every counter (TLB contents stay). */
void mmu_stats_reset(struct mmu *m);

#endif /* MMU_MMU_H */
