/*
 * Private interfaces between the files of mmu/. Not for use outside mmu/.
 */
#ifndef MMU_MMU_INTERNAL_H
#define MMU_MMU_INTERNAL_H

#include "mmu/mmu.h"
#include "mmu/trace.h"

/* What a successful walk found. */
struct walk_result {
	uint64_t page_pa;   /* physical address of the page (aligned to its size) */
	uint8_t page_shift; /* log2 of the page size: 12, 21, 22 or 30 */
	uint8_t rights;	    /* TLBE_RW | TLBE_US | TLBE_XD, combined over the levels */
	bool global;	    /* G set in the leaf and CR4.PGE set */
	bool dirty;	    /* the leaf's D bit is set (now) */
};

/* Recomputes the paging mode and reserved-bit masks from CR0, CR4, EFER and MAXPHYADDR. */
void mmu_update_mode(struct mmu *m);

/* Walks the paging structures for la (canonical, truncated to 32 bits outside long mode)
 * with page-walk caches, permission checks and A/D updates. false with a #PF in *f. */
bool mmu_walk(struct mmu *m, uint64_t la, unsigned flags, struct walk_result *r,
	      struct x86_fault *f);

/* True when an access of flags at the current CPL/AC/CR0/CR4/EFER is allowed to a page
 * with TLBE_RW/TLBE_US/TLBE_XD rights (SDM 4.6). */
bool mmu_rights_allow(const struct mmu *m, unsigned rights, unsigned flags);

/* Fills *f with a #PF for la with the given cause bits (PF_ERR_P, PF_ERR_RSVD). */
void mmu_page_fault(const struct mmu *m, uint64_t la, unsigned flags, uint32_t cause,
		    struct x86_fault *f);

/* Sets *f to #GP(err) (or #SS(err) when ss) and returns false. */
bool mmu_fault_gp(struct x86_fault *f, bool ss, uint32_t err);
/* Sets *f to the exception vec with error code err and returns false. */
bool mmu_fault(struct x86_fault *f, uint8_t vec, uint32_t err);

/* Largest enum tlb_size whose shift is <= page_shift. */
static inline unsigned tlb_size_of_shift(unsigned page_shift)
{
	return page_shift >= 30 ? TLB_SIZE_1G : page_shift >= 21 ? TLB_SIZE_2M : TLB_SIZE_4K;
}

/* Page-walk cache lookups with an explicit tag shift (the mode decides it). */
struct tlb_entry *tlb_array_find_shift(struct tlb_array *a, uint64_t la, unsigned shift,
				       uint16_t pcid);

/* Hits of a TLB level: the sum of its arrays' hits (the fast path counts only those). */
uint64_t tlb_level_hits(const struct tlb *t, enum tlb_level lv);

/* Invalidates one entry (dropping its fast-path mirrors); counted if count. */
void tlb_entry_invalidate(struct tlb *t, struct tlb_array *a, struct tlb_entry *e, bool count);

/* ---- the fetch run while tracing (mmu/tlb_trace.c) ---- */

/* Starts (with the tracer of t set) or ends (NULL) the traced fast tables: t->trace_fast,
 * or NULL when out of memory (then no fast entry at all is seen inline). */
void tlb_trace_start(struct tlb *t, bool on);
/* The inline L1I fast hits since the tick began: the advances nothing else made. */
static inline uint64_t tlb_trace_inline_hits(const struct tlb *t)
{
	return t->tick[TLB_LEVEL_L1I] - t->tick_other[TLB_LEVEL_L1I];
}

void tlb_trace_sync_slow(struct tlb *t);
/* The pending fetch run, told to the tracer, its last use carried over to the real entry. */
static inline void tlb_trace_sync(struct tlb *t)
{
	if (__builtin_expect(tlb_trace_inline_hits(t) != t->trace_mark, 0))
		tlb_trace_sync_slow(t);
}
/* Syncs and forgets the copy (a CPL or AC change: the copy was made for the old one). */
void tlb_trace_drop_copy(struct tlb *t);
/* After a traced fetch translation of la -> pa in fast mode mode: the copy is now the real
 * fast entry of that page if it is an inline one, else none. */
void tlb_trace_fetch(struct tlb *t, unsigned mode, uint64_t la, uint64_t pa);
/* The inline L1I fast hits so far are told (or belong to a translation told as such). */
static inline void tlb_trace_mark(struct tlb *t)
{
	t->trace_mark = tlb_trace_inline_hits(t);
}
/* Hands a batching tracer the batch held (nothing without one). */
void tlb_trace_flush(struct tlb *t);
/* The successful translation la -> pa: into the batch, or false when the tracer does not
 * batch (it is then told by an event). */
static inline bool tlb_trace_access(struct tlb *t, uint64_t la, uint64_t pa, unsigned flags,
				    unsigned size)
{
	if (!t->trace_buf)
		return false;
	if (__builtin_expect(t->trace_nbuf == MMU_TRACE_BATCH, 0))
		tlb_trace_flush(t);
	t->trace_buf[t->trace_nbuf++] = (struct mmu_trace_access){
	    .la = la, .pa = pa, .flags = (uint8_t)flags, .size = (uint8_t)(size < 256 ? size : 0)};
	return true;
}
/* fast_drop's hook: fe goes, so its copy does too (after the run on it is told). */
void tlb_trace_forget(struct tlb *t, const struct tlb_fast_entry *fe);

#endif /* MMU_MMU_INTERNAL_H */
