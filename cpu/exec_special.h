/*
 * cpu/exec_special.h - what the handlers specialised at decode time share: the forms of a
 * memory operand (enum ea_form), their linear address and fast-path lookup, and the bodies
 * of the handlers that both cpu/exec_special.c (the 64-bit forms and those of every mode)
 * and cpu/exec_special32.c (the 32-bit flat forms) instantiate for their forms. Every
 * body here is an inline function with constant arguments (the operation, the size, the
 * form): each instance compiles to a frameless handler of its own.
 */
#ifndef MMEMU_CPU_EXEC_SPECIAL_H
#define MMEMU_CPU_EXEC_SPECIAL_H

#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

/* The MMU's inline fast-path lookup, kept inline in every handler of these files: with this
 * many handlers the compiler would otherwise make it a call, which costs the frameless
 * handlers their point. */
static inline __attribute__((always_inline)) struct tlb_fast_entry *
mmu_fast_peek(struct mmu *m, uint64_t la, unsigned size, unsigned flags);
static inline __attribute__((always_inline)) void
mmu_fast_count(struct mmu *m, struct tlb_fast_entry *fe, unsigned kind);

/* A 4- or 8-byte result into a full register (4 bytes zero-extend). */
static inline __attribute__((always_inline)) void put_gpr(struct cpu *cpu, unsigned r,
							  unsigned size, uint64_t v)
{
	cpu->gpr[r] = size == 4 ? (uint32_t)v : v;
}

/* ---- memory operands ---- */

/*
 * Most memory operands of 64-bit code are a register plus a displacement, or relative to
 * RIP, with the default segment and a 64-bit address. Their linear address is the offset
 * itself (DS and SS have base 0 in 64-bit mode): no address-size truncation, no segment
 * to look at. Handlers for those forms (EA_BASE, EA_RIP, and EA_SIB for base + index *
 * scale + displacement) compute just that; the MMU checks canonicality as for any access
 * (#SS rather than #GP through RSP or RBP, whose default segment is SS). EA_ANY is the
 * general path of 64-bit code, EA_LEGACY the same outside 64-bit mode with the segment
 * check kept inline, and EA_BASE32 its commonest case, [base32 + disp] with a 32-bit
 * address and the default segment.
 */
enum ea_form {
	EA_ANY,
	EA_BASE,
	EA_RIP,
	EA_LEGACY,
	EA_SIB,
	EA_B32,	  /* [base32 + disp], DS */
	EA_B32S,  /* [esp/ebp + disp], SS */
	EA_BI32,  /* [base32 + index32 * scale + disp], DS */
	EA_BI32S, /* the same with ESP or EBP as base, SS */
	EA_X32,	  /* [index32 * scale + disp32], DS */
	EA_D32,	  /* [disp32], DS */
	EA_FORMS,
	EA_FORMS64 = EA_B32 /* the forms of cpu/exec_special.c's tables; the others are
			     * cpu/exec_special32.c's */
};

/* The 32-bit flat forms: a 32-bit address in DS or SS, no override (see seg_flat32). */
static inline bool ea_form32(unsigned form)
{
	return form >= EA_B32;
}

/* The segment of a 32-bit flat form. */
static inline unsigned ea_seg32(unsigned form)
{
	return form == EA_B32S || form == EA_BI32S ? SEG_SS : SEG_DS;
}

/* The effective address of a 32-bit flat form: wraps at 4 GiB. */
static inline __attribute__((always_inline)) uint32_t
ea32(const struct cpu *cpu, const struct x86_instr *in, unsigned form)
{
	uint32_t a = (uint32_t)in->disp;
	if (form == EA_B32 || form == EA_B32S || form == EA_BI32 || form == EA_BI32S)
		a += (uint32_t)cpu->gpr[in->base];
	if (form == EA_BI32 || form == EA_BI32S || form == EA_X32)
		a += (uint32_t)cpu->gpr[in->index] * in->scale;
	return a;
}

/* The MMU flags of an EA_BASE access: its segment is the default one, SS through RSP or
 * RBP. */
static inline unsigned ea_base_flags(const struct x86_instr *in)
{
	return in->base == RSP || in->base == RBP ? MMU_STACK : 0;
}

/* The form of the memory operand of in (not a register operand). */
static inline __attribute__((always_inline)) enum ea_form ea_form(const struct x86_instr *in)
{
	if (in->mode != X86_MODE_64) {
		if (in->addrsize != 4 || in->seg != X86_SEG_NONE)
			return EA_LEGACY;
		if (in->base == X86_GPR_NONE)
			return in->index == X86_GPR_NONE ? EA_D32 : EA_X32;
		bool ss = in->base == RSP || in->base == RBP;
		if (in->index == X86_GPR_NONE)
			return ss ? EA_B32S : EA_B32;
		return ss ? EA_BI32S : EA_BI32;
	}
	if (in->addrsize != 8 || in->seg != X86_SEG_NONE || in->base == X86_GPR_NONE)
		return EA_ANY;
	if (in->index != X86_GPR_NONE)
		return in->base == X86_GPR_RIP ? EA_ANY : EA_SIB;
	return in->base == X86_GPR_RIP ? EA_RIP : EA_BASE;
}

/* The flat shape (cpu/cpu_internal.h) of the 64-bit forms EA_BASE, EA_RIP and EA_SIB. */
static inline enum flat_shape ea_flat_shape(unsigned form)
{
	return form == EA_RIP ? FLAT_RIP : form == EA_SIB ? FLAT_BI : FLAT_BASE;
}

static inline __attribute__((always_inline)) bool
mem_read(struct cpu *cpu, const struct x86_instr *in, unsigned form, unsigned size, uint64_t *v)
{
	if (form == EA_BASE)
		return cpu_read_la(cpu, cpu->gpr[in->base] + (uint64_t)in->disp, size, v,
				   ea_base_flags(in));
	if (form == EA_RIP)
		return cpu_read_la(cpu, cpu->next_rip + (uint64_t)in->disp, size, v, 0);
	if (form == EA_LEGACY) { /* cpu_read_mem outside 64-bit mode, kept inline */
		unsigned seg = insn_seg(in);
		uint64_t la;
		if (!cpu_linear_legacy(cpu, seg, cpu_ea(cpu, in), size, MMU_READ, &la))
			return false;
		return cpu_read_la(cpu, la, size, v, seg_flags(seg));
	}
	return cpu_read_mem(cpu, insn_seg(in), cpu_ea(cpu, in), size, v);
}

static inline __attribute__((always_inline)) bool
mem_write(struct cpu *cpu, const struct x86_instr *in, unsigned form, unsigned size, uint64_t v)
{
	if (form == EA_BASE)
		return cpu_write_la(cpu, cpu->gpr[in->base] + (uint64_t)in->disp, size, v,
				    ea_base_flags(in));
	if (form == EA_RIP)
		return cpu_write_la(cpu, cpu->next_rip + (uint64_t)in->disp, size, v, 0);
	if (form == EA_LEGACY) { /* cpu_write_mem outside 64-bit mode, kept inline */
		unsigned seg = insn_seg(in);
		uint64_t la;
		if (!cpu_linear_legacy(cpu, seg, cpu_ea(cpu, in), size, MMU_WRITE, &la))
			return false;
		return cpu_write_la(cpu, la, size, v, seg_flags(seg));
	}
	return cpu_write_mem(cpu, insn_seg(in), cpu_ea(cpu, in), size, v);
}

/* mmu_fast_lookup, kept inline (see mmu_fast_peek above). */
static inline __attribute__((always_inline)) struct tlb_fast_entry *
fast_lookup(struct mmu *m, uint64_t la, unsigned size, unsigned flags)
{
	struct tlb_fast_entry *fe = mmu_fast_peek(m, la, size, flags);
	if (likely(fe != NULL))
		mmu_fast_count(m, fe, flags & MMU_KIND_MASK);
	return fe;
}

/*
 * The fast path of a memory operand of form EA_BASE, EA_RIP or EA_LEGACY: its linear
 * address in *la and the MMU flags of an access of kind (MMU_READ, MMU_WRITE) in *flags,
 * when the segment check (EA_LEGACY) passes inline; false, with nothing changed, when it
 * needs the segmentation unit.
 */
static inline __attribute__((always_inline)) bool
mem_fast_la(struct cpu *cpu, const struct x86_instr *in, unsigned form, unsigned size,
	    unsigned kind, uint64_t *la, unsigned *flags)
{
	if (form == EA_BASE || form == EA_RIP || form == EA_SIB) {
		*la = flat_la(cpu, in, ea_flat_shape(form));
		*flags = ea_base_flags(in) | kind;
		return true;
	}
	if (ea_form32(form)) {
		*la = ea32(cpu, in, form);
		*flags = seg_flags(ea_seg32(form)) | kind;
		return seg_flat32(cpu->mmu, ea_seg32(form), kind);
	}
	unsigned seg = insn_seg(in);
	*flags = seg_flags(seg) | kind;
	return cpu_linear_data_fast(cpu, seg, cpu_ea(cpu, in), size, kind, la);
}

/*
 * The fast entry of the memory operand (form EA_BASE, EA_RIP or EA_LEGACY) for an access
 * of size and kind, with its linear address in *la and the hit counted; NULL, with
 * nothing counted or changed, when the segment check or the fast path would need more. A
 * handler that gets NULL hands its whole instruction to the general handler of its form
 * (a tail call), which redoes the access the full way: so the handler's own path needs
 * no stack frame.
 */
static inline __attribute__((always_inline)) struct tlb_fast_entry *
mem_fast(struct cpu *cpu, const struct x86_instr *in, unsigned form, unsigned size, unsigned kind,
	 uint64_t *la)
{
	unsigned flags;
	if (!mem_fast_la(cpu, in, form, size, kind, la, &flags))
		return NULL;
	return fast_lookup(cpu->mmu, *la, size, flags);
}

/* The host address of la through fe. */
static inline void *fast_host(const struct tlb_fast_entry *fe, uint64_t la)
{
	return (void *)(uintptr_t)(la + fe->addend);
}

/* A read of size bytes of the memory operand (form) on the fast path, into *v, the hit
 * counted; false, with nothing counted or changed, where mem_fast gives no entry (the
 * handler then hands the instruction to its general form). */
static inline __attribute__((always_inline)) bool
mem_fast_read(struct cpu *cpu, const struct x86_instr *in, unsigned form, unsigned size,
	      uint64_t *v)
{
	uint64_t la;
	struct tlb_fast_entry *fe = mem_fast(cpu, in, form, size, MMU_READ, &la);
	if (unlikely(fe == NULL))
		return false;
	*v = bus_host_load(fast_host(fe, la), size);
	return true;
}

/* ---- handler bodies both files instantiate ---- */

/* Form 03 with a memory source: reg OP= [mem]. */
static inline __attribute__((always_inline)) bool
alu_rm(struct cpu *cpu, const struct x86_instr *in, unsigned op, unsigned size, unsigned form)
{
	uint64_t b;
	if (!mem_read(cpu, in, form, size, &b))
		return false;
	uint64_t r = alu_op(cpu, op, cpu->gpr[in->reg], b, size);
	if (op != ALU_CMP)
		put_gpr(cpu, in->reg, size, r);
	return true;
}

/* alu_rm through mem_fast, or all of it by slow (alu_rm of EA_ANY). */
static inline __attribute__((always_inline)) bool alu_rm_fast(struct cpu *cpu,
							      const struct x86_instr *in,
							      unsigned op, unsigned size,
							      unsigned form, cpu_exec_fn slow)
{
	uint64_t b;
	if (unlikely(!mem_fast_read(cpu, in, form, size, &b)))
		return slow(cpu, in);
	uint64_t r = alu_op(cpu, op, cpu->gpr[in->reg], b, size);
	if (op != ALU_CMP)
		put_gpr(cpu, in->reg, size, r);
	return true;
}

/* [mem] OP= b (forms 01 and 81/83; CMP only reads). The flags are set only once the write
 * is done, so a faulting write leaves RFLAGS as before. */
static inline __attribute__((always_inline)) bool alu_m(struct cpu *cpu, const struct x86_instr *in,
							unsigned op, unsigned size, unsigned form,
							uint64_t b)
{
	uint64_t a;
	if (!mem_read(cpu, in, form, size, &a))
		return false;
	if (op != ALU_CMP &&
	    !mem_write(cpu, in, form, size, alu_result(op, a, b, cpu_cf(cpu), size)))
		return false;
	alu_op(cpu, op, a, b, size);
	return true;
}

/* alu_m through the fast path, or all of it by slow (the general form). The read and the
 * write (CMP: only the read) are looked up before either is counted, so that slow finds
 * nothing done. */
static inline __attribute__((always_inline)) bool
alu_m_fast(struct cpu *cpu, const struct x86_instr *in, unsigned op, unsigned size, unsigned form,
	   uint64_t b, cpu_exec_fn slow)
{
	uint64_t la;
	unsigned flags;
	if (op == ALU_CMP) {
		uint64_t a;
		if (unlikely(!mem_fast_read(cpu, in, form, size, &a)))
			return slow(cpu, in);
		alu_op(cpu, op, a, b, size);
		return true;
	}
	struct mmu *m = cpu->mmu;
	if (unlikely(!mem_fast_la(cpu, in, form, size, MMU_WRITE, &la, &flags)))
		return slow(cpu, in);
	unsigned rflags = (flags & ~MMU_KIND_MASK) | MMU_READ;
	struct tlb_fast_entry *fr = mmu_fast_peek(m, la, size, rflags);
	struct tlb_fast_entry *fw = mmu_fast_peek(m, la, size, flags);
	if (unlikely(fr == NULL || fw == NULL))
		return slow(cpu, in);
	mmu_fast_count(m, fr, MMU_READ);
	mmu_fast_count(m, fw, MMU_WRITE);
	uint64_t a = bus_host_load(fast_host(fr, la), size);
	cpu_fast_store(fast_host(fw, la), alu_result(op, a, b, cpu_cf(cpu), size), size);
	alu_op(cpu, op, a, b, size);
	return true;
}

/* The imm of 81 (isz 4) or 83 (isz 1), sign-extended. */
static inline uint64_t alu_imm(const struct x86_instr *in, unsigned isz)
{
	return (uint64_t)(isz == 1 ? (int64_t)(int8_t)in->imm : (int64_t)(int32_t)in->imm);
}

/* 8B reg = [mem] and 89 [mem] = reg, 4 or 8 bytes. */
static inline __attribute__((always_inline)) bool
mov_load(struct cpu *cpu, const struct x86_instr *in, unsigned size, unsigned form)
{
	uint64_t v;
	if (!mem_read(cpu, in, form, size, &v))
		return false;
	put_gpr(cpu, in->reg, size, v);
	return true;
}

/* mov_load through mem_fast, or all of it by slow (mov_load of EA_ANY). */
static inline __attribute__((always_inline)) bool mov_load_fast(struct cpu *cpu,
								const struct x86_instr *in,
								unsigned size, unsigned form,
								cpu_exec_fn slow)
{
	uint64_t v;
	if (unlikely(!mem_fast_read(cpu, in, form, size, &v)))
		return slow(cpu, in);
	put_gpr(cpu, in->reg, size, v);
	return true;
}

/* 89 [mem] = reg through mem_fast, or all of it by slow. */
static inline __attribute__((always_inline)) bool mov_store_fast(struct cpu *cpu,
								 const struct x86_instr *in,
								 unsigned size, unsigned form,
								 cpu_exec_fn slow)
{
	uint64_t la;
	struct tlb_fast_entry *fe = mem_fast(cpu, in, form, size, MMU_WRITE, &la);
	if (unlikely(fe == NULL))
		return slow(cpu, in);
	cpu_fast_store(fast_host(fe, la), cpu->gpr[in->reg], size);
	return true;
}

/* A 1-, 2- or 4-byte source (register or memory), zero- or sign-extended into a 4- or
 * 8-byte register. */
static inline __attribute__((always_inline)) bool movx(struct cpu *cpu, const struct x86_instr *in,
						       unsigned src, bool sign, unsigned size)
{
	uint64_t v;
	if (!rm_read(cpu, in, src, &v))
		return false;
	put_gpr(cpu, in->reg, size, sign ? (uint64_t)sext(v, src) : v);
	return true;
}

/* movx of a memory source through mem_fast, or all of it by slow (movx's general form). */
static inline __attribute__((always_inline)) bool movx_fast(struct cpu *cpu,
							    const struct x86_instr *in,
							    unsigned src, bool sign, unsigned size,
							    unsigned form, cpu_exec_fn slow)
{
	uint64_t v;
	if (unlikely(!mem_fast_read(cpu, in, form, src, &v)))
		return slow(cpu, in);
	put_gpr(cpu, in->reg, size, sign ? (uint64_t)sext(v, src) : v);
	return true;
}

/* LEA of form (not EA_ANY or EA_LEGACY) into a 4- or 8-byte register: the address, no
 * access, no segment (mem_fast_la's address without its segment check). */
static inline __attribute__((always_inline)) bool lea(struct cpu *cpu, const struct x86_instr *in,
						      unsigned size, unsigned form)
{
	uint64_t a = ea_form32(form) ? ea32(cpu, in, form) : flat_la(cpu, in, ea_flat_shape(form));
	put_gpr(cpu, in->reg, size, a);
	return true;
}

/* The condition cc without a call: from the lazy record, or RFLAGS when that is current;
 * -1 when the record does not decide it (cpu_cond_now materialises RFLAGS then). */
static inline __attribute__((always_inline)) int cond_fast(const struct cpu *cpu, unsigned cc)
{
	if (likely(cpu->lf_op != LF_NONE))
		return lazy_cond(cpu->lf_op, cpu->lf_a, cpu->lf_b, cpu->lf_r, cpu->lf_cfof, cc);
	return cpu_cond(cpu->rflags, cc);
}

/* The handler of in for 32-bit code made for its form (Jcc, the flat-stack forms, a memory
 * operand of a 32-bit flat form with operand size 4: cpu/exec_special32.c), or NULL. */
cpu_exec_fn cpu_specialise32(const struct x86_instr *in);

#endif /* MMEMU_CPU_EXEC_SPECIAL_H */
