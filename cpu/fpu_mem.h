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
 * fpu_fast_at for the n reads of a load of bytes bytes at la whose first part (size
 * bytes, 8 at most) may be misaligned, all in la's page: an aligned one as there; a
 * misaligned one as the MMU's slow path takes it when the page's inline entry is an
 * ordinary one (mmu_read_slow, mmu_fast_peek_in_page: the same entry, a hit counted as
 * an inline hit), unless misaligned data raise #AC. false, nothing counted, otherwise.
 */
static inline __attribute__((always_inline)) bool fpu_fast_load(struct mmu *m, uint64_t la,
								 unsigned bytes, unsigned size,
								 unsigned n, uint8_t **p)
{
	if (bytes > size && (la & 0xfff) > 4096u - bytes) /* crosses, whatever its alignment */
		return false;
	/* Aligned: the lookup's tag compare tests that too (an unaligned la misses). */
	if (likely(fpu_fast_at(m, la, size, MMU_READ, n, p)))
		return true;
	if (!(la & mmu_align_mask(size))) /* an aligned miss */
		return false;
	struct tlb_fast_entry *fe = mmu_fast_peek_in_page(m, la, bytes, MMU_READ);
	if (unlikely(fe == NULL || m->ac_check))
		return false;
	mmu_fast_count_n(m, fe, MMU_READ, n);
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
 * fpu_fast_at for an operand of 32-bit code at seg:off whose whole extent is bytes (the
 * segment's limit and writability checked for it at once, as the general form's checks
 * of each part would pass; an operand of more than one part, bytes > size, must end in
 * the page of its first part; a load may be misaligned: fpu_fast_load): the linear
 * address in *la. false, nothing counted or changed, when the segment check is not the
 * common case, the operand crosses a page or the lookup misses.
 */
static inline __attribute__((always_inline)) bool fpu_fast_at32(struct cpu *cpu, unsigned seg,
								uint32_t off, unsigned bytes,
								unsigned size, unsigned kind,
								unsigned n, uint64_t *la,
								uint8_t **p)
{
	if (unlikely(!cpu_linear_data_fast(cpu, seg, off, bytes, kind, la)))
		return false;
	if (kind == MMU_READ)
		return fpu_fast_load(cpu->mmu, *la, bytes, size, n, p);
	if (bytes > size && (*la & 0xfff) + bytes > 0x1000)
		return false;
	return fpu_fast_at(cpu->mmu, *la, size, kind, n, p);
}

#endif /* MMEMU_CPU_FPU_MEM_H */
