/*
 * cpu/fpu_mem.h - the fast data path of the floating-point handlers specialised at decode
 * time (cpu/exec_sse_special.c, cpu/exec_x87.c): the shapes of a flat memory operand, and
 * accesses that either complete on the MMU's inline fast path or change nothing at all.
 *
 * A fast handler runs only the common case: the operand flat (64-bit mode and addresses,
 * no FS/GS base: insn_flat64), in one page that the inline fast path maps. Anything else
 * -- a miss, a page crossing, a misaligned 16-byte operand, an exception to raise -- hands
 * the instruction to the handler of its general form before any state has changed, and
 * that one does everything the generic way. The MMU sees the same accesses either way: a
 * miss of the inline lookup counts nothing (mmu_fast_lookup), and the fast handler counts
 * the hits that the general form's accesses would have counted (every access of an operand
 * in one page hits the same fast entry, so n hits are one lookup and n - 1 more counts).
 */
#ifndef MMEMU_CPU_FPU_MEM_H
#define MMEMU_CPU_FPU_MEM_H

#include "cpu/cpu_internal.h"

/*
 * Whether in's memory operand is flat: 64-bit mode, 64-bit addresses and no FS/GS base,
 * so that its effective address is its linear address and its segment checks nothing. A
 * decoded instruction runs only in the mode it was decoded in (the decoded-instruction
 * cache tags its blocks with the mode), so a handler chosen at decode time may take it
 * as a constant.
 */
static inline bool insn_flat64(const struct x86_instr *in)
{
	return in->mode == X86_MODE_64 && in->addrsize == 8 && insn_seg(in) < SEG_FS;
}

/*
 * The shapes of a flat memory operand that have handlers of their own: [base + disp],
 * [base + index * scale + disp] (a general register as base in both: SS for RSP/RBP
 * changes only the fault of a non-canonical address, which the general form raises) and
 * [rip + disp]; FLAT_OTHER for the rest (no base: [index * scale + disp], [disp32]).
 */
enum flat_shape { FLAT_BASE, FLAT_BI, FLAT_RIP, FLAT_OTHER };

static inline enum flat_shape flat_shape(const struct x86_instr *in)
{
	if (in->base == X86_GPR_RIP)
		return FLAT_RIP;
	if (in->base == X86_GPR_NONE)
		return FLAT_OTHER;
	return in->index == X86_GPR_NONE ? FLAT_BASE : FLAT_BI;
}

/* The linear address of a flat operand of shape s (not FLAT_OTHER): its effective address
 * (cpu_ea without the address-size mask, which is all ones). */
static inline __attribute__((always_inline)) uint64_t flat_la(const struct cpu *cpu,
							      const struct x86_instr *in,
							      enum flat_shape s)
{
	uint64_t la = (uint64_t)in->disp;
	if (s == FLAT_RIP)
		return cpu->next_rip + la;
	la += cpu->gpr[in->base];
	if (s == FLAT_BI)
		la += cpu->gpr[in->index] * in->scale;
	return la;
}

/*
 * The host address of la for n accesses of kind (MMU_READ or MMU_WRITE; a probe before a
 * store is a write access too) that all hit la's inline fast entry: the first of size
 * (1, 2, 4 or 8) bytes at la, naturally aligned, the others naturally aligned in the same
 * page (the caller makes sure of that). Counts the n hits as n inline lookups would, and
 * returns the address; or NULL, having counted and changed nothing, when the first misses.
 */
static inline __attribute__((always_inline)) void *fpu_fast_access(struct mmu *m, uint64_t la,
								   unsigned size, unsigned kind,
								   unsigned n)
{
	struct tlb_fast_entry *fe = mmu_fast_lookup(m, la, size, kind);
	if (unlikely(fe == NULL))
		return NULL;
	if (n > 1)
		mmu_fast_count_n(m, fe, kind, n - 1);
	return (void *)(uintptr_t)(la + fe->addend);
}

#endif /* MMEMU_CPU_FPU_MEM_H */
