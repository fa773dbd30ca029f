/*
 * cpu/sse_operand.h - what the SSE handlers share (cpu/exec_sse.c, the generic ones of the
 * dispatch table, and cpu/exec_sse_special.c, the ones chosen at decode time): the gating
 * of SSE instructions, the alignment rule of their memory operands, and reads and writes
 * of XMM operands, in registers and in memory (SDM Vol. 1, 11.4 and 11.6.8; Vol. 3, 13.1).
 *
 * The XMM registers are also seen as GNU C vectors of typed lanes (v16u8 .. v2u64): a
 * lane-wise operation on them is one host instruction where the host has it, and plain C
 * everywhere (a shift by the lane width or more is undefined in C: the callers clamp).
 */
#ifndef MMEMU_CPU_SSE_OPERAND_H
#define MMEMU_CPU_SSE_OPERAND_H

#include <emmintrin.h>

#include "cpu/cpu_internal.h"
#include "cpu/fpu.h"
#include "cpu/fpu_mem.h"

typedef uint8_t v16u8 __attribute__((vector_size(16)));
typedef int8_t v16i8 __attribute__((vector_size(16)));
typedef uint16_t v8u16 __attribute__((vector_size(16)));
typedef int16_t v8i16 __attribute__((vector_size(16)));
typedef uint32_t v4u32 __attribute__((vector_size(16)));
typedef int32_t v4i32 __attribute__((vector_size(16)));
typedef uint64_t v2u64 __attribute__((vector_size(16)));
typedef int64_t v2i64 __attribute__((vector_size(16)));

/* An XMM register's 128 bits as a vector, and back (one unaligned 16-byte move each). */
static inline v2u64 xmm_vec(const union xmm_reg *x)
{
	v2u64 v;
	memcpy(&v, x->b, 16);
	return v;
}

static inline void xmm_put_vec(union xmm_reg *x, v2u64 v)
{
	memcpy(x->b, &v, 16);
}

/* The slow half of sse_check: #UD (CR0.EM set or CR4.OSFXSR clear), else #NM (CR0.TS). */
bool sse_check_slow(struct cpu *cpu);

/* The common case of the gating of SSE instructions: CR0.EM and CR0.TS clear, CR4.OSFXSR
 * set. When it is false, sse_check_slow always faults. */
static inline bool sse_ready(const struct cpu *cpu)
{
	const struct mmu *m = cpu->mmu;
	return !(m->cr0 & (CR0_EM | CR0_TS)) && (m->cr4 & CR4_OSFXSR);
}

/* Gating of every SSE instruction (SDM Vol. 3, 2.5 and 13.1): true when it may run. */
static inline bool sse_check(struct cpu *cpu)
{
	if (likely(sse_ready(cpu)))
		return true;
	return sse_check_slow(cpu);
}

/*
 * Alignment of 16-byte operands: the explicitly aligned moves (MOVAPS/PD, MOVDQA, MOVNT*)
 * always require it (ALIGN_ALWAYS); the other legacy-SSE operands (ALIGN_SSE) only while
 * MXCSR.MM, AMD's misaligned SSE mode, is clear.
 */
enum { ALIGN_NONE, ALIGN_SSE, ALIGN_ALWAYS };

static inline bool misaligned(const struct cpu *cpu, uint64_t ea, int align)
{
	if (!(ea & 15) || align == ALIGN_NONE)
		return false;
	return align == ALIGN_ALWAYS || !(cpu->mxcsr & MXCSR_MM);
}

/*
 * Writes a whole register value with one 16-byte store. The host stubs load and store
 * whole registers, and a 16-byte load of bytes that two 8-byte stores wrote cannot be
 * forwarded from them: it waits until both have reached the cache (about 15 cycles).
 */
static inline void xmm_set(union xmm_reg *v, uint64_t lo, uint64_t hi)
{
	_mm_storeu_si128((__m128i *)(void *)v->b, _mm_set_epi64x((long long)hi, (long long)lo));
}

/* The effective address of a memory operand (cpu_ea), of a flat one when flat: then the
 * truncation to the address size has nothing to do. */
static inline __attribute__((always_inline)) uint64_t xmm_ea(const struct cpu *cpu,
							     const struct x86_instr *in, bool flat)
{
	if (!flat)
		return cpu_ea(cpu, in);
	uint64_t ea = (uint64_t)in->disp;
	if (in->base != X86_GPR_NONE)
		ea += in->base == X86_GPR_RIP ? cpu->next_rip : cpu->gpr[in->base];
	if (in->index != X86_GPR_NONE)
		ea += cpu->gpr[in->index] * in->scale;
	return ea;
}

/* cpu_read_mem of size (at most 8) bytes at off in seg; for a flat operand, off is the
 * linear address already. */
static inline __attribute__((always_inline)) bool xmm_read_chunk(struct cpu *cpu, unsigned seg,
								 uint64_t off, unsigned size,
								 uint64_t *v, bool flat)
{
	if (flat)
		return cpu_read_la(cpu, off, size, v, seg_flags(seg));
	return cpu_read_mem(cpu, seg, off, size, v);
}

/*
 * Reads the memory operand of in: size bytes, zero-extended into *v. A 16-byte operand
 * is two 8-byte accesses (fpu_read_block's), after the #GP of a misaligned one (align)
 * and the #AC check of the whole operand. Returns false with the fault set; *v is then
 * unspecified and nothing else has changed. Inline with a constant size and alignment,
 * it is a few loads on the MMU's fast path.
 */
static inline __attribute__((always_inline)) bool xmm_mem_read(struct cpu *cpu,
							       const struct x86_instr *in,
							       unsigned size, int align,
							       union xmm_reg *v, bool flat)
{
	uint64_t ea = xmm_ea(cpu, in, flat);
	unsigned seg = insn_seg(in);
	if (misaligned(cpu, ea, align))
		return cpu_gp(cpu, 0);
	if (size == 16) {
		uint64_t lo, hi, ea_hi = flat ? ea + 8 : (ea + 8) & size_mask(in->addrsize);
		if (!cpu_operand_aligned(cpu, seg, ea, 16) ||
		    !xmm_read_chunk(cpu, seg, ea, 8, &lo, flat) ||
		    !xmm_read_chunk(cpu, seg, ea_hi, 8, &hi, flat))
			return false;
		xmm_set(v, lo, hi);
		return true;
	}
	if (size <= 8) { /* one access, as fpu_read_block makes it */
		uint64_t q;
		/* The common sizes as constants, for a caller whose size is not one: the
		 * access is then one host load, not a copy of a variable size that the
		 * load of q waits for. */
		bool ok = size == 8   ? xmm_read_chunk(cpu, seg, ea, 8, &q, flat)
			  : size == 4 ? xmm_read_chunk(cpu, seg, ea, 4, &q, flat)
				      : xmm_read_chunk(cpu, seg, ea, size, &q, flat);
		if (!ok)
			return false;
		xmm_set(v, q, 0);
		return true;
	}
	memset(v, 0, sizeof(*v));
	return fpu_read_block(cpu, seg, ea, in->addrsize, v->b, size);
}

/* xmm_mem_read of the generic handlers: whatever the operand, through the segment. */
static inline __attribute__((always_inline)) bool xmm_mem_read_seg(struct cpu *cpu,
								   const struct x86_instr *in,
								   unsigned size, int align,
								   union xmm_reg *v)
{
	return xmm_mem_read(cpu, in, size, align, v, false);
}

/* Reads the r/m operand: the register, or size bytes of memory zero-extended. */
static inline __attribute__((always_inline)) bool xmm_rm_read(struct cpu *cpu,
							      const struct x86_instr *in,
							      unsigned size, int align,
							      union xmm_reg *v)
{
	if (in->mod == 3) {
		*v = cpu->xmm[in->rm];
		return true;
	}
	return xmm_mem_read_seg(cpu, in, size, align, v);
}

/*
 * cpu_probe_write of [off, off+size) in seg (size at most 8), with the linear address
 * left in *la for the write that follows: the same MMU accesses, the fast path inline.
 * A miss there is not counted, so cpu_probe_write can take the access over as if it were
 * the first look.
 */
static inline __attribute__((always_inline)) bool xmm_probe(struct cpu *cpu, unsigned seg,
							    uint64_t off, unsigned size,
							    uint64_t *la, bool flat)
{
	if (flat)
		*la = off;
	else if (!cpu_linear(cpu, seg, off, size, MMU_WRITE, la))
		return false;
	if (likely(mmu_fast_lookup(cpu->mmu, *la, size, seg_flags(seg) | MMU_WRITE) != NULL))
		return true;
	return cpu_probe_write(cpu, seg, off, size);
}

/*
 * Writes size bytes of v to the memory operand: every page the store touches is probed
 * writable before the first byte is written (fpu_write_block's probes and writes), so a
 * faulting store changes nothing.
 */
static inline __attribute__((always_inline)) bool xmm_mem_write(struct cpu *cpu,
								const struct x86_instr *in,
								unsigned size, int align,
								const union xmm_reg *v, bool flat)
{
	uint64_t ea = xmm_ea(cpu, in, flat);
	unsigned seg = insn_seg(in);
	if (misaligned(cpu, ea, align))
		return cpu_gp(cpu, 0);
	uint64_t la, la_hi;
	if (size == 16) {
		uint64_t hi = flat ? ea + 8 : (ea + 8) & size_mask(in->addrsize);
		return cpu_operand_aligned(cpu, seg, ea, 16) &&
		       xmm_probe(cpu, seg, ea, 8, &la, flat) &&
		       xmm_probe(cpu, seg, hi, 8, &la_hi, flat) &&
		       cpu_write_la(cpu, la, 8, v->q[0], seg_flags(seg)) &&
		       cpu_write_la(cpu, la_hi, 8, v->q[1], seg_flags(seg));
	}
	if (size == 8) /* a constant size: one host store (see xmm_mem_read) */
		return xmm_probe(cpu, seg, ea, 8, &la, flat) &&
		       cpu_write_la(cpu, la, 8, v->q[0], seg_flags(seg));
	if (size <= 8)
		return xmm_probe(cpu, seg, ea, size, &la, flat) &&
		       cpu_write_la(cpu, la, size, v->q[0], seg_flags(seg));
	return fpu_write_block(cpu, seg, ea, in->addrsize, v->b, size);
}

/* The generic handler of the host-executed operations (arithmetic, compares, conversions,
 * the integer operations) with mandatory-prefix column col (cpu/exec_sse.c). */
bool exec_sse_host(struct cpu *cpu, const struct x86_instr *in, unsigned col);

#endif /* MMEMU_CPU_SSE_OPERAND_H */
