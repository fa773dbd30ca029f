/*
 * cpu/exec_special32.c - handlers specialised at decode time for 32-bit code whose segments
 * are flat (SDM Vol. 3A, 3.2.2 "Basic Flat Model"): a memory operand of a 32-bit flat form
 * (enum ea_form: a 32-bit address in DS or SS, no override) for the ALU operations, MOV,
 * LEA and MOVZX/MOVSX with operand size 4; Jcc; and PUSH/POP, CALL, RET and JMP with a
 * flat 32-bit stack.
 *
 * A flat segment (seg_flat32, cpu/cpu_internal.h) adds nothing to the offset and its limit
 * passes every offset, so the linear address is the effective address wrapped at 4 GiB and
 * the access goes straight to the MMU's fast path; a segment that is not flat, or a
 * fast-path miss, hands the whole instruction to the general form of its operation (a tail
 * call) before anything is counted or changed. The bodies are cpu/exec_special.h's, which
 * cpu/exec_special.c instantiates for the other forms.
 */
#include "cpu/exec_special.h"

/* The 32-bit flat forms (enum ea_form), for an operand size of 4 only: 32-bit code has no
 * other. F(suffix, form, args) for each. */
#define FORMS32(F, ...)                                                                            \
	F(b32, EA_B32, __VA_ARGS__)                                                                \
	F(b32s, EA_B32S, __VA_ARGS__)                                                              \
	F(bi32, EA_BI32, __VA_ARGS__)                                                              \
	F(bi32s, EA_BI32S, __VA_ARGS__) F(x32, EA_X32, __VA_ARGS__) F(d32, EA_D32, __VA_ARGS__)

/* ---- ALU: 01 [mem] OP= reg, 03 reg OP= [mem], 81/83 [mem] OP= imm ---- */

/* The general forms (any segment, any address), where the others go when their fast path
 * does not do. NOSRA: each keeps the handler's signature, so that the handlers reach it by a
 * tail call (without it the compiler may reshape the arguments of a function no table
 * names, and the handlers would need a stack frame to call it). */
#define NOSRA __attribute__((noinline, noipa))
#define ALU_ANY32(op)                                                                              \
	static NOSRA bool alu_rm_any_##op(struct cpu *cpu, const struct x86_instr *in)             \
	{                                                                                          \
		return alu_rm(cpu, in, op, 4, EA_ANY);                                             \
	}                                                                                          \
	static NOSRA bool alu_mr_any_##op(struct cpu *cpu, const struct x86_instr *in)             \
	{                                                                                          \
		return alu_m(cpu, in, op, 4, EA_ANY, cpu->gpr[in->reg]);                           \
	}                                                                                          \
	static NOSRA bool alu_mi_any_##op##_1(struct cpu *cpu, const struct x86_instr *in)         \
	{                                                                                          \
		return alu_m(cpu, in, op, 4, EA_ANY, alu_imm(in, 1));                              \
	}                                                                                          \
	static NOSRA bool alu_mi_any_##op##_4(struct cpu *cpu, const struct x86_instr *in)         \
	{                                                                                          \
		return alu_m(cpu, in, op, 4, EA_ANY, alu_imm(in, 4));                              \
	}
#define ALU_FN32(sfx, form, op)                                                                    \
	static bool alu_rm##sfx##_##op(struct cpu *cpu, const struct x86_instr *in)                \
	{                                                                                          \
		return alu_rm_fast(cpu, in, op, 4, form, alu_rm_any_##op);                         \
	}                                                                                          \
	static bool alu_mr##sfx##_##op(struct cpu *cpu, const struct x86_instr *in)                \
	{                                                                                          \
		return alu_m_fast(cpu, in, op, 4, form, cpu->gpr[in->reg], alu_mr_any_##op);       \
	}                                                                                          \
	static bool alu_mi##sfx##_##op##_1(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                          \
		return alu_m_fast(cpu, in, op, 4, form, alu_imm(in, 1), alu_mi_any_##op##_1);      \
	}                                                                                          \
	static bool alu_mi##sfx##_##op##_4(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                          \
		return alu_m_fast(cpu, in, op, 4, form, alu_imm(in, 4), alu_mi_any_##op##_4);      \
	}
#define ALU_OP32(op) ALU_ANY32(op) FORMS32(ALU_FN32, op)
ALU_OP32(0)
ALU_OP32(1)
ALU_OP32(2)
ALU_OP32(3)
ALU_OP32(4)
ALU_OP32(5)
ALU_OP32(6)
ALU_OP32(7)

/* [op][form - EA_B32]: reg OP= [mem]; [mem] OP= reg; [mem] OP= imm8, imm32 */
#define ALU_ROW32(kind, op, isz)                                                                   \
	{                                                                                          \
		alu_##kind##b32_##op##isz, alu_##kind##b32s_##op##isz, alu_##kind##bi32_##op##isz, \
		    alu_##kind##bi32s_##op##isz, alu_##kind##x32_##op##isz,                        \
		    alu_##kind##d32_##op##isz                                                      \
	}
#define ALU_TABLE32(kind, isz)                                                                     \
	{                                                                                          \
		ALU_ROW32(kind, 0, isz), ALU_ROW32(kind, 1, isz), ALU_ROW32(kind, 2, isz),         \
		    ALU_ROW32(kind, 3, isz), ALU_ROW32(kind, 4, isz), ALU_ROW32(kind, 5, isz),     \
		    ALU_ROW32(kind, 6, isz), ALU_ROW32(kind, 7, isz)                               \
	}
static const cpu_exec_fn alu_rm32_fns[8][EA_FORMS - EA_B32] = ALU_TABLE32(rm, );
static const cpu_exec_fn alu_mr32_fns[8][EA_FORMS - EA_B32] = ALU_TABLE32(mr, );
static const cpu_exec_fn alu_mi32_fns[8][2][EA_FORMS - EA_B32] = {
    {ALU_ROW32(mi, 0, _1), ALU_ROW32(mi, 0, _4)}, {ALU_ROW32(mi, 1, _1), ALU_ROW32(mi, 1, _4)},
    {ALU_ROW32(mi, 2, _1), ALU_ROW32(mi, 2, _4)}, {ALU_ROW32(mi, 3, _1), ALU_ROW32(mi, 3, _4)},
    {ALU_ROW32(mi, 4, _1), ALU_ROW32(mi, 4, _4)}, {ALU_ROW32(mi, 5, _1), ALU_ROW32(mi, 5, _4)},
    {ALU_ROW32(mi, 6, _1), ALU_ROW32(mi, 6, _4)}, {ALU_ROW32(mi, 7, _1), ALU_ROW32(mi, 7, _4)}};

/* ---- 8B reg = [mem], 89 [mem] = reg, 8D LEA ---- */

static NOSRA bool mov_load_any(struct cpu *cpu, const struct x86_instr *in)
{
	return mov_load(cpu, in, 4, EA_ANY);
}

static NOSRA bool mov_store_any(struct cpu *cpu, const struct x86_instr *in)
{
	return mem_write(cpu, in, EA_ANY, 4, cpu->gpr[in->reg]);
}

#define MOV_FN32(sfx, form, unused)                                                                \
	static bool mov_load_##sfx(struct cpu *cpu, const struct x86_instr *in)                    \
	{                                                                                          \
		return mov_load_fast(cpu, in, 4, form, mov_load_any);                              \
	}                                                                                          \
	static bool mov_store_##sfx(struct cpu *cpu, const struct x86_instr *in)                   \
	{                                                                                          \
		return mov_store_fast(cpu, in, 4, form, mov_store_any);                            \
	}                                                                                          \
	static bool lea_##sfx(struct cpu *cpu, const struct x86_instr *in)                         \
	{                                                                                          \
		return lea(cpu, in, 4, form);                                                      \
	}
FORMS32(MOV_FN32, 0)

/* [form - EA_B32][load, store, LEA] */
#define MOV_ROW32(sfx)                                                                             \
	{                                                                                          \
		mov_load_##sfx, mov_store_##sfx, lea_##sfx                                         \
	}
static const cpu_exec_fn mov32_fns[EA_FORMS - EA_B32][3] = {MOV_ROW32(b32),  MOV_ROW32(b32s),
							    MOV_ROW32(bi32), MOV_ROW32(bi32s),
							    MOV_ROW32(x32),  MOV_ROW32(d32)};

/* ---- 0F B6/B7 MOVZX, 0F BE/BF MOVSX from memory ---- */

#define MOVX_FN32(sfx, form, name, src, sign)                                                      \
	static bool name##_##sfx(struct cpu *cpu, const struct x86_instr *in)                      \
	{                                                                                          \
		return movx_fast(cpu, in, src, sign, 4, form, name##_any);                         \
	}
#define MOVX_FNS32(name, src, sign)                                                                \
	static NOSRA bool name##_any(struct cpu *cpu, const struct x86_instr *in)                  \
	{                                                                                          \
		return movx(cpu, in, src, sign, 4);                                                \
	}                                                                                          \
	FORMS32(MOVX_FN32, name, src, sign)
MOVX_FNS32(movzx8, 1, false)
MOVX_FNS32(movzx16, 2, false)
MOVX_FNS32(movsx8, 1, true)
MOVX_FNS32(movsx16, 2, true)

#define MOVX_ROW32(name)                                                                           \
	{                                                                                          \
		name##_b32, name##_b32s, name##_bi32, name##_bi32s, name##_x32, name##_d32         \
	}
/* [0F B6, B7, BE, BF][form - EA_B32] */
static const cpu_exec_fn movx32_fns[4][EA_FORMS - EA_B32] = {
    MOVX_ROW32(movzx8), MOVX_ROW32(movzx16), MOVX_ROW32(movsx8), MOVX_ROW32(movsx16)};

/* ---- Jcc ---- */

/* Jcc of 32-bit code (operand size 4), every condition and displacement size: also where
 * jcc32 goes when its own path does not do. */
static __attribute__((noinline)) bool jcc32_any(struct cpu *cpu, const struct x86_instr *in)
{
	if (!cpu_cond_now(cpu, in->opcode & 15))
		return true;
	return cpu_branch(cpu, cpu->next_rip + (uint64_t)sext(in->imm, in->imm_size), 4);
}

/* Jcc of 32-bit code with the condition cc and an isz-byte displacement (1 or 4): the
 * target wraps at 4 GiB and must be within the CS limit. */
static inline __attribute__((always_inline)) bool jcc32(struct cpu *cpu, const struct x86_instr *in,
							unsigned cc, unsigned isz)
{
	int v = cond_fast(cpu, cc);
	if (unlikely(v < 0))
		return jcc32_any(cpu, in);
	if (!v)
		return true;
	int64_t d = isz == 1 ? (int64_t)(int8_t)in->imm : (int64_t)(int32_t)in->imm;
	uint64_t t = (uint32_t)(cpu->next_rip + (uint64_t)d);
	if (unlikely(t > cpu->mmu->seg.sreg[SEG_CS].limit))
		return jcc32_any(cpu, in);
	cpu->next_rip = t;
	return true;
}

#define JCC32_FN(cc)                                                                               \
	static bool jcc32_##cc##_1(struct cpu *cpu, const struct x86_instr *in)                    \
	{                                                                                          \
		return jcc32(cpu, in, cc, 1);                                                      \
	}                                                                                          \
	static bool jcc32_##cc##_4(struct cpu *cpu, const struct x86_instr *in)                    \
	{                                                                                          \
		return jcc32(cpu, in, cc, 4);                                                      \
	}
JCC32_FN(0)
JCC32_FN(1)
JCC32_FN(2)
JCC32_FN(3)
JCC32_FN(4)
JCC32_FN(5)
JCC32_FN(6)
JCC32_FN(7)
JCC32_FN(8)
JCC32_FN(9)
JCC32_FN(10)
JCC32_FN(11)
JCC32_FN(12)
JCC32_FN(13)
JCC32_FN(14)
JCC32_FN(15)
#define JCC32_ROW(cc)                                                                              \
	{                                                                                          \
		jcc32_##cc##_1, jcc32_##cc##_4                                                     \
	}
/* [cc][displacement of 4 bytes] */
static const cpu_exec_fn jcc32_fns[16][2] = {
    JCC32_ROW(0),  JCC32_ROW(1),  JCC32_ROW(2),	 JCC32_ROW(3), JCC32_ROW(4),  JCC32_ROW(5),
    JCC32_ROW(6),  JCC32_ROW(7),  JCC32_ROW(8),	 JCC32_ROW(9), JCC32_ROW(10), JCC32_ROW(11),
    JCC32_ROW(12), JCC32_ROW(13), JCC32_ROW(14), JCC32_ROW(15)};

/* Jcc of 32-bit code with operand size 4 (8- or 32-bit displacement), or NULL. */
static cpu_exec_fn specialise_jcc32(const struct x86_instr *in)
{
	unsigned op = in->opcode;
	if (in->mode != X86_MODE_32 || in->opsize != 4 ||
	    !((in->map == 0 && op >= 0x70 && op <= 0x7f) ||
	      (in->map == 1 && op >= 0x80 && op <= 0x8f)) ||
	    (in->imm_size != 1 && in->imm_size != 4))
		return NULL;
	return jcc32_fns[op & 15][in->imm_size == 4];
}

/* ---- 32-bit code: PUSH/POP, CALL, RET and JMP with a flat 32-bit stack ---- */

/*
 * The stack of 32-bit code is flat when SS is (seg_flat32) and 32 bits wide (SS.B): ESP
 * is then the linear address of the top, wrapping at 4 GiB, and ESP is written
 * zero-extended (cpu_push's rules for that case). Each form below does that case on the
 * MMU's fast path and hands anything else -- another stack, a target beyond the CS limit,
 * a fast-path miss -- to its _any form, the general rule, before anything is counted or
 * changed.
 */
static inline __attribute__((always_inline)) bool ss_flat32(const struct cpu *cpu, unsigned kind)
{
	return seg_flat32(cpu->mmu, SEG_SS, kind) && cpu->mmu->seg.sreg[SEG_SS].db;
}

/* The fast entry for a 4-byte stack access of kind at sp, not counted; NULL when the stack
 * is not flat or the fast path misses. */
static inline __attribute__((always_inline)) struct tlb_fast_entry *
stack32_peek(struct cpu *cpu, uint32_t sp, unsigned kind)
{
	if (unlikely(!ss_flat32(cpu, kind)))
		return NULL;
	return mmu_fast_peek(cpu->mmu, sp, 4, MMU_STACK | kind);
}

/* v pushed at sp through the write fast entry fe (counted), ESP = sp. */
static inline __attribute__((always_inline)) void
push32_at(struct cpu *cpu, struct tlb_fast_entry *fe, uint32_t sp, uint64_t v)
{
	mmu_fast_count(cpu->mmu, fe, MMU_WRITE);
	cpu_fast_store(fast_host(fe, sp), v, 4);
	cpu->gpr[RSP] = sp;
}

/* 50+r PUSH r32. */
static __attribute__((noinline)) bool push32_any(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_push(cpu, 4, cpu->gpr[in->reg]);
}

static bool push32(struct cpu *cpu, const struct x86_instr *in)
{
	uint32_t sp = (uint32_t)cpu->gpr[RSP] - 4;
	struct tlb_fast_entry *fe = stack32_peek(cpu, sp, MMU_WRITE);
	if (unlikely(fe == NULL))
		return push32_any(cpu, in);
	push32_at(cpu, fe, sp, cpu->gpr[in->reg]);
	return true;
}

/* 68 PUSH imm32, 6A PUSH imm8 (sign-extended). */
static __attribute__((noinline)) bool push32_imm_any(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_push(cpu, 4, (uint64_t)sext(in->imm, in->imm_size));
}

static bool push32_imm(struct cpu *cpu, const struct x86_instr *in)
{
	uint32_t sp = (uint32_t)cpu->gpr[RSP] - 4;
	struct tlb_fast_entry *fe = stack32_peek(cpu, sp, MMU_WRITE);
	if (unlikely(fe == NULL))
		return push32_imm_any(cpu, in);
	push32_at(cpu, fe, sp, (uint64_t)sext(in->imm, in->imm_size));
	return true;
}

/* 58+r POP r32 (POP ESP loads the value read). */
static __attribute__((noinline)) bool pop32_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!cpu_pop(cpu, 4, &v))
		return false;
	gpr_write(cpu, in->reg, 4, v);
	return true;
}

static bool pop32(struct cpu *cpu, const struct x86_instr *in)
{
	uint32_t sp = (uint32_t)cpu->gpr[RSP];
	struct tlb_fast_entry *fe = stack32_peek(cpu, sp, MMU_READ);
	if (unlikely(fe == NULL))
		return pop32_any(cpu, in);
	mmu_fast_count(cpu->mmu, fe, MMU_READ);
	uint64_t v = bus_host_load(fast_host(fe, sp), 4);
	cpu->gpr[RSP] = (uint32_t)(sp + 4);
	cpu->gpr[in->reg] = v;
	return true;
}

/* C3 RET, C2 RET imm16: the return address must be within the CS limit. */
static __attribute__((noinline)) bool ret32_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t;
	if (!cpu_stack_peek(cpu, 0, 4, &t) || !cpu_branch(cpu, t, 4))
		return false;
	cpu_stack_adjust(cpu, 4 + (in->opcode == 0xc2 ? (int64_t)(in->imm & 0xffff) : 0));
	return true;
}

static inline __attribute__((always_inline)) bool ret32(struct cpu *cpu, const struct x86_instr *in,
							bool imm)
{
	uint32_t sp = (uint32_t)cpu->gpr[RSP];
	struct tlb_fast_entry *fe = stack32_peek(cpu, sp, MMU_READ);
	if (unlikely(fe == NULL))
		return ret32_any(cpu, in);
	uint64_t t = bus_host_load(fast_host(fe, sp), 4);
	if (unlikely(t > cpu->mmu->seg.sreg[SEG_CS].limit))
		return ret32_any(cpu, in);
	mmu_fast_count(cpu->mmu, fe, MMU_READ);
	cpu->next_rip = t;
	cpu->gpr[RSP] = (uint32_t)(sp + 4 + (imm ? (in->imm & 0xffff) : 0));
	return true;
}

static bool ret32_c3(struct cpu *cpu, const struct x86_instr *in)
{
	return ret32(cpu, in, false);
}

static bool ret32_c2(struct cpu *cpu, const struct x86_instr *in)
{
	return ret32(cpu, in, true);
}

/* A near call of 32-bit code to t: the target is checked first, then the return address
 * pushed (exec_ctrl.c's near_call); ESP and EIP change once both are done. */
static __attribute__((noinline)) bool call32_to(struct cpu *cpu, uint64_t t)
{
	uint64_t ret = cpu->next_rip;
	if (!cpu_branch(cpu, t, 4))
		return false;
	return cpu_push(cpu, 4, ret);
}

/* E8 CALL rel32. */
static __attribute__((noinline)) bool call_rel32_any(struct cpu *cpu, const struct x86_instr *in)
{
	return call32_to(cpu, cpu->next_rip + (uint64_t)sext(in->imm, in->imm_size));
}

/* The fast path of a call to t (already 32 bits): false when it does not do. */
static inline __attribute__((always_inline)) bool call32_fast(struct cpu *cpu, uint32_t t)
{
	uint32_t sp = (uint32_t)cpu->gpr[RSP] - 4;
	if (unlikely(t > cpu->mmu->seg.sreg[SEG_CS].limit))
		return false;
	struct tlb_fast_entry *fe = stack32_peek(cpu, sp, MMU_WRITE);
	if (unlikely(fe == NULL))
		return false;
	push32_at(cpu, fe, sp, (uint32_t)cpu->next_rip);
	cpu->next_rip = t;
	return true;
}

static bool call_rel32(struct cpu *cpu, const struct x86_instr *in)
{
	if (unlikely(
		!call32_fast(cpu, (uint32_t)(cpu->next_rip + (uint64_t)(int64_t)(int32_t)in->imm))))
		return call_rel32_any(cpu, in);
	return true;
}

/* FF /2 CALL r/m32: the target is read first (a register form may name ESP). */
static __attribute__((noinline)) bool call_ind32_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t;
	if (!rm_read(cpu, in, 4, &t))
		return false;
	return call32_to(cpu, t);
}

static bool call_ind32_r(struct cpu *cpu, const struct x86_instr *in)
{
	if (unlikely(!call32_fast(cpu, (uint32_t)cpu->gpr[in->rm])))
		return call_ind32_any(cpu, in);
	return true;
}

/* CALL [mem] of a 32-bit flat form: the read and the push are looked up before either is
 * counted. */
static inline __attribute__((always_inline)) bool
call_ind32_m(struct cpu *cpu, const struct x86_instr *in, unsigned form)
{
	uint64_t la;
	unsigned flags;
	struct mmu *m = cpu->mmu;
	if (unlikely(!mem_fast_la(cpu, in, form, 4, MMU_READ, &la, &flags)))
		return call_ind32_any(cpu, in);
	struct tlb_fast_entry *fr = mmu_fast_peek(m, la, 4, flags);
	if (unlikely(fr == NULL))
		return call_ind32_any(cpu, in);
	uint32_t t = (uint32_t)bus_host_load(fast_host(fr, la), 4);
	uint32_t sp = (uint32_t)cpu->gpr[RSP] - 4;
	if (unlikely(t > m->seg.sreg[SEG_CS].limit))
		return call_ind32_any(cpu, in);
	struct tlb_fast_entry *fw = stack32_peek(cpu, sp, MMU_WRITE);
	if (unlikely(fw == NULL))
		return call_ind32_any(cpu, in);
	mmu_fast_count(m, fr, MMU_READ);
	push32_at(cpu, fw, sp, (uint32_t)cpu->next_rip);
	cpu->next_rip = t;
	return true;
}

/* FF /6 PUSH [mem] of a 32-bit flat form: the read and the push looked up first. */
static __attribute__((noinline)) bool push32_m_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!rm_read(cpu, in, 4, &v))
		return false;
	return cpu_push(cpu, 4, v);
}

static inline __attribute__((always_inline)) bool
push32_m(struct cpu *cpu, const struct x86_instr *in, unsigned form)
{
	uint64_t la;
	unsigned flags;
	struct mmu *m = cpu->mmu;
	if (unlikely(!mem_fast_la(cpu, in, form, 4, MMU_READ, &la, &flags)))
		return push32_m_any(cpu, in);
	struct tlb_fast_entry *fr = mmu_fast_peek(m, la, 4, flags);
	uint32_t sp = (uint32_t)cpu->gpr[RSP] - 4;
	struct tlb_fast_entry *fw = stack32_peek(cpu, sp, MMU_WRITE);
	if (unlikely(fr == NULL || fw == NULL))
		return push32_m_any(cpu, in);
	mmu_fast_count(m, fr, MMU_READ);
	push32_at(cpu, fw, sp, bus_host_load(fast_host(fr, la), 4));
	return true;
}

#define STACK_M_FN32(sfx, form, unused)                                                            \
	static bool call_ind32_##sfx(struct cpu *cpu, const struct x86_instr *in)                  \
	{                                                                                          \
		return call_ind32_m(cpu, in, form);                                                \
	}                                                                                          \
	static bool push32_##sfx(struct cpu *cpu, const struct x86_instr *in)                      \
	{                                                                                          \
		return push32_m(cpu, in, form);                                                    \
	}
FORMS32(STACK_M_FN32, 0)
/* [form - EA_B32][push] */
static const cpu_exec_fn stack_m32_fns[EA_FORMS - EA_B32][2] = {
    {call_ind32_b32, push32_b32},   {call_ind32_b32s, push32_b32s},
    {call_ind32_bi32, push32_bi32}, {call_ind32_bi32s, push32_bi32s},
    {call_ind32_x32, push32_x32},   {call_ind32_d32, push32_d32}};

/* E9/EB JMP rel of 32-bit code: the target within the CS limit. */
static __attribute__((noinline)) bool jmp32_any(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_branch(cpu, cpu->next_rip + (uint64_t)sext(in->imm, in->imm_size), 4);
}

static bool jmp32(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t = (uint32_t)(cpu->next_rip + (uint64_t)sext(in->imm, in->imm_size));
	if (unlikely(t > cpu->mmu->seg.sreg[SEG_CS].limit))
		return jmp32_any(cpu, in);
	cpu->next_rip = t;
	return true;
}

/* The stack and branch forms of 32-bit code (operand size 4), or NULL. */
static cpu_exec_fn specialise_flow32(const struct x86_instr *in)
{
	unsigned op = in->opcode, reg = (in->modrm >> 3) & 7;
	if (in->mode != X86_MODE_32 || in->opsize != 4 || in->map != 0)
		return NULL;
	if (op >= 0x50 && op <= 0x57)
		return push32;
	if (op >= 0x58 && op <= 0x5f)
		return pop32;
	if (op == 0x68 || op == 0x6a)
		return push32_imm;
	if (op == 0xc3 || op == 0xc2)
		return op == 0xc3 ? ret32_c3 : ret32_c2;
	if ((op == 0xeb && in->imm_size == 1) || (op == 0xe9 && in->imm_size == 4))
		return jmp32;
	if (op == 0xe8 && in->imm_size == 4)
		return call_rel32;
	if (op == 0xff && (reg == 2 || reg == 6)) {
		if (in->mod == 3)
			return reg == 2 ? call_ind32_r : NULL;
		unsigned form = ea_form(in);
		return ea_form32(form) ? stack_m32_fns[form - EA_B32][reg == 6] : NULL;
	}
	return NULL;
}

/* ---- the choice ---- */

/* The memory-operand forms of operand size 4 with a 32-bit flat form, or NULL. */
static cpu_exec_fn specialise_mem32(const struct x86_instr *in)
{
	unsigned op = in->opcode, reg = (in->modrm >> 3) & 7;
	if (in->mode == X86_MODE_64 || in->mod == 3 || in->opsize != 4)
		return NULL;
	unsigned form = ea_form(in);
	if (!ea_form32(form))
		return NULL;
	form -= EA_B32;
	if (in->map == 1)
		return (op == 0xb6 || op == 0xb7)   ? movx32_fns[op - 0xb6][form]
		       : (op == 0xbe || op == 0xbf) ? movx32_fns[op - 0xbe + 2][form]
						    : NULL;
	if (in->map != 0)
		return NULL;
	if (op < 0x40 && (op & 7) == 1)
		return alu_mr32_fns[op >> 3][form];
	if (op < 0x40 && (op & 7) == 3)
		return alu_rm32_fns[op >> 3][form];
	if ((op == 0x81 || op == 0x83) && (in->imm_size == 1 || in->imm_size == 4))
		return alu_mi32_fns[reg][in->imm_size == 4][form];
	if (op == 0x8b || op == 0x89 || op == 0x8d)
		return mov32_fns[form][op == 0x8b ? 0 : op == 0x89 ? 1 : 2];
	return NULL;
}

cpu_exec_fn cpu_specialise32(const struct x86_instr *in)
{
	cpu_exec_fn fn = specialise_jcc32(in);
	if (!fn)
		fn = specialise_flow32(in);
	if (!fn)
		fn = specialise_mem32(in);
	return fn;
}
