/*
 * cpu/fpu_mem.h - the fast data path of the floating-point handlers specialised at decode
 * time (cpu/exec_sse_special.c, cpu/exec_x87.c): accesses to a flat memory operand (its
 * shapes and address: cpu/cpu_internal.h, flat_la), or to an operand of 32-bit code
 * through its segment (off32_shape, fpu_fast_at32), that either complete on the MMU's
 * inline fast path or change nothing at all.
 *
 * A fast handler runs only the common case: the operand flat (64-bit mode and addresses,
 * no FS/GS base: insn_flat64, cpu/cpu_internal.h), or in 32-bit code inside an ordinary
 * data segment, in one page that the inline fast path maps. Anything else -- a miss, a
 * page crossing, a misaligned 16-byte operand, an exception to raise -- hands the
 * instruction to the handler of its general form before any state has changed, and that
 * one does everything the generic way. The MMU sees the same accesses either way: a miss
 * of the inline lookup counts nothing (mmu_fast_lookup), and the fast handler counts the
 * hits that the general form's accesses would have counted (every access of an operand in
 * one page hits the same fast entry, so n hits are one lookup and n - 1 more counts).
 */
#ifndef MMEMU_CPU_FPU_MEM_H
#define MMEMU_CPU_FPU_MEM_H

#include "cpu/cpu_internal.h"

/*
 * n accesses of kind (MMU_READ or MMU_WRITE; a probe before a store is a write access too)
 * that all hit la's inline fast entry: the first of size (1, 2, 4 or 8) bytes at la,
 * naturally aligned, the others naturally aligned in the same page (the caller makes sure
 * of that). Counts the n hits as n inline lookups would, puts the host address of la in
 * *p and returns true; or returns false, having counted and changed nothing, when the
 * first misses. (A flag and the address apart: the caller's test is the lookup's own, not
 * a second one of the address against NULL.)
 */
static inline __attribute__((always_inline)) bool fpu_fast_at(struct mmu *m, uint64_t la,
							      unsigned size, unsigned kind,
							      unsigned n, uint8_t **p)
{
	struct tlb_fast_entry *fe = mmu_fast_lookup(m, la, size, kind);
	if (unlikely(fe == NULL))
		return false;
	if (n > 1)
		mmu_fast_count_n(m, fe, kind, n - 1);
	*p = (uint8_t *)(uintptr_t)(la + fe->addend);
	return true;
}

/* fpu_fast_at's address, NULL when it misses. */
static inline __attribute__((always_inline)) void *fpu_fast_access(struct mmu *m, uint64_t la,
								   unsigned size, unsigned kind,
								   unsigned n)
{
	uint8_t *p;
	return fpu_fast_at(m, la, size, kind, n, &p) ? p : NULL;
}

/*
 * fpu_fast_at for the n reads of a load of bytes bytes at la (its first part size bytes,
 * 8 at most; an 80-bit operand is an 8-byte part and a 2-byte one), of any alignment, all
 * in la's page (mmu_fast_peek_span: one compare). Each read is an inline hit whatever its
 * alignment: an aligned one on the inline path, a misaligned one on the slow path's look
 * at the page's inline entry (mmu_read_slow) -- unless misaligned data raise #AC (a
 * misaligned operand has a misaligned first part). false, nothing counted, otherwise.
 */
static inline __attribute__((always_inline)) bool fpu_fast_load(struct mmu *m, uint64_t la,
								 unsigned bytes, unsigned size,
								 unsigned n, uint8_t **p)
{
	struct tlb_fast_entry *fe = mmu_fast_peek_span(m, la, bytes, MMU_READ);
	if (unlikely(fe == NULL))
		return false;
	if (unlikely((la & mmu_align_mask(size)) && m->ac_check))
		return false;
	mmu_fast_count_n(m, fe, MMU_READ, n);
	*p = (uint8_t *)(uintptr_t)(la + fe->addend);
	return true;
}

/*
 * The accesses of a misaligned store of bytes bytes at la (fe's page) as the general form
 * makes them, probes of its parts then writes (fpu_probe_block, fpu_store_block), counted:
 * a misaligned part's probe (cpu_probe_write) and write (cpu_write_la_slow) are each a
 * translation (mmu_fast_count_translated), an aligned part's (the 2-byte part of an 80-bit
 * operand at an even address) an inline hit. Inline: a call would cost every store
 * handler the frame and saved registers it needs around it, aligned stores too.
 */
static inline __attribute__((always_inline)) void fpu_count_misaligned_store(struct mmu *m,
									       struct tlb_fast_entry *fe,
									       uint64_t la,
									       unsigned bytes,
									       unsigned size)
{
	for (unsigned pass = 0; pass < 2; pass++) { /* the probes, then the writes */
		mmu_fast_count_translated(m, fe, la, MMU_WRITE);
		if (bytes == size)
			continue;
		if (la & 1)
			mmu_fast_count_translated(m, fe, la + size, MMU_WRITE);
		else
			mmu_fast_count(m, fe, MMU_WRITE);
	}
}

/*
 * The store of bytes bytes at la (its first part size bytes; an 80-bit operand is an
 * 8-byte part and a 2-byte one), of any alignment, all in la's page on its write fast
 * entry: the general form's probes and writes counted (aligned: inline hits, one per
 * access; misaligned: fpu_count_misaligned_store), the host address in *p. false, nothing
 * counted, when the page is not on the fast path or misaligned data raise #AC.
 */
static inline __attribute__((always_inline)) bool fpu_fast_store(struct mmu *m, uint64_t la,
								  unsigned bytes, unsigned size,
								  uint8_t **p)
{
	struct tlb_fast_entry *fe = mmu_fast_peek_span(m, la, bytes, MMU_WRITE);
	if (unlikely(fe == NULL))
		return false;
	if (likely(!(la & mmu_align_mask(size)))) {
		mmu_fast_count_n(m, fe, MMU_WRITE, bytes > size ? 4 : 2);
	} else {
		if (m->ac_check)
			return false;
		fpu_count_misaligned_store(m, fe, la, bytes, size);
	}
	*p = (uint8_t *)(uintptr_t)(la + fe->addend);
	return true;
}

/*
 * 32-bit code (32-bit mode or compatibility mode, 32-bit addresses): the operand shapes
 * with handlers of their own -- [base + disp], [base + index * scale + disp] and [disp32]
 * (a static variable of code built without PIC) -- and their offset, which cpu_ea
 * computes for them (the address-size mask is 32 bits). The segment stays: its check's
 * common case is cpu_linear_data_fast's.
 */
enum off32_shape { OFF32_BASE, OFF32_BI, OFF32_DISP, OFF32_OTHER };

static inline enum off32_shape off32_shape(const struct x86_instr *in)
{
	if (in->mode != X86_MODE_32 || in->addrsize != 4)
		return OFF32_OTHER;
	if (in->base == X86_GPR_NONE)
		return in->index == X86_GPR_NONE ? OFF32_DISP : OFF32_OTHER;
	return in->index == X86_GPR_NONE ? OFF32_BASE : OFF32_BI;
}

static inline __attribute__((always_inline)) uint32_t off32(const struct cpu *cpu,
							    const struct x86_instr *in,
							    enum off32_shape s)
{
	uint32_t off = (uint32_t)in->disp;
	if (s == OFF32_DISP)
		return off;
	off += (uint32_t)cpu->gpr[in->base];
	if (s == OFF32_BI)
		off += (uint32_t)cpu->gpr[in->index] * in->scale;
	return off;
}

/*
 * An x87 operand of 32-bit code at seg:off, bytes long (its first part size bytes), for a
 * load of n parts (kind MMU_READ: fpu_fast_load) or a store (MMU_WRITE: fpu_fast_store),
 * of any alignment, in one page: in a flat segment (seg_flat32, the common case: base 0,
 * no limit to check) at the offset itself, else the segment's limit and writability
 * checked for the whole operand at once (as the general form's checks of each part would
 * pass); its linear address in *la, the host address in *p. (An operand of a flat segment
 * that runs past 4 GiB - 1, which the general form's limit check refuses, ends in a page
 * whose slot is not that of its first byte: the lookup misses.) false, nothing counted or changed, when
 * the segment check is not the common case, the operand crosses a page, the page is not
 * on the fast path or misaligned data raise #AC.
 */
static inline __attribute__((always_inline)) bool fpu_fast_at32(struct cpu *cpu, unsigned seg,
								uint32_t off, unsigned bytes,
								unsigned size, unsigned kind,
								unsigned n, uint64_t *la,
								uint8_t **p)
{
	if (likely(seg_flat32(cpu->mmu, seg, kind)))
		*la = off; /* an operand past 4 GiB - 1 misses the lookup (mmu_fast_peek_span) */
	else if (unlikely(!cpu_linear_data_fast(cpu, seg, off, bytes, kind, la)))
		return false;
	if (kind == MMU_READ)
		return fpu_fast_load(cpu->mmu, *la, bytes, size, n, p);
	return fpu_fast_store(cpu->mmu, *la, bytes, size, p);
}

#endif /* MMEMU_CPU_FPU_MEM_H */
