/*
 * cpu/exec_special.c - handlers specialised at decode time for the commonest integer
 * forms (SDM Vol. 2: ADD..CMP, TEST, NOT, NEG, the rotates and shifts by an immediate,
 * MOV, SETcc, MOVZX/MOVSX/MOVSXD, IMUL, CLD/STD) and, in 64-bit mode, Jcc, PUSH/POP of a
 * register, RET, CALL r/m64 and JMP r/m64. The flat forms of 32-bit code are
 * cpu/exec_special32.c's (cpu_specialise asks it first outside 64-bit mode).
 *
 * The generic handlers (exec_int.c, exec_shift.c) take the operation, the operand size
 * and the operand kinds from struct x86_instr at every execution and switch on them. When
 * an instruction is decoded into the decoded-instruction cache, cpu_specialise picks a
 * handler made for its form instead: the operation and the size are constants of the
 * handler (each is an instance of one inline function with constant arguments), the
 * operands are full 32- or 64-bit registers (no byte-register aliasing, a 32-bit result
 * zero-extends), or a memory operand read or written whole. The results and flags are the
 * generic handlers' rules, written out for these sizes: alu_fast.h's for the ALU
 * operations, cpu/alu.c's alu_shift for the rotates and shifts (AF = 1 and OF for counts
 * above 1 as this host, an AMD EPYC, leaves them; see docs/cpu.md). The host differential
 * tests (tests/cpu/test_diff.c) run every one of these forms.
 */
#include "cpu/exec_special.h"
#include "cpu/jit_mem.h"

/* ---- ALU: 01/03 (r/m, reg and reg, r/m), 81/83 (r/m, imm), 85 (TEST) ---- */

/* Forms 01 (to_reg false: r/m OP= reg) and 03 (reg OP= r/m), both operands registers. */
static inline __attribute__((always_inline)) bool alu_rr(struct cpu *cpu, const struct x86_instr *in,
							 unsigned op, unsigned size, bool to_reg)
{
	unsigned d = to_reg ? in->reg : in->rm, s = to_reg ? in->rm : in->reg;
	uint64_t r = alu_op(cpu, op, cpu->gpr[d], cpu->gpr[s], size);
	if (op != ALU_CMP)
		put_gpr(cpu, d, size, r);
	return true;
}

/* 81 (isz 4) and 83 (isz 1) with a register: r/m OP= imm, sign-extended from isz bytes. */
static inline __attribute__((always_inline)) bool alu_ri(struct cpu *cpu, const struct x86_instr *in,
							 unsigned op, unsigned size, unsigned isz)
{
	int64_t imm = isz == 1 ? (int64_t)(int8_t)in->imm : (int64_t)(int32_t)in->imm;
	uint64_t r = alu_op(cpu, op, cpu->gpr[in->rm], (uint64_t)imm, size);
	if (op != ALU_CMP)
		put_gpr(cpu, in->rm, size, r);
	return true;
}

#define ALU_FNS(op, size)                                                                    \
	static bool alu_rr_##op##_##size(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return alu_rr(cpu, in, op, size, false);                                     \
	}                                                                                    \
	static bool alu_gr_##op##_##size(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return alu_rr(cpu, in, op, size, true);                                      \
	}                                                                                    \
	static __attribute__((noinline)) bool alu_rm_##op##_##size(struct cpu *cpu,        \
								   const struct x86_instr *in)  \
	{                                                                                    \
		return alu_rm(cpu, in, op, size, EA_ANY);                                    \
	}                                                                                    \
	static bool alu_rmb_##op##_##size(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return alu_rm_fast(cpu, in, op, size, EA_BASE, alu_rm_##op##_##size);        \
	}                                                                                    \
	static bool alu_rmr_##op##_##size(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return alu_rm_fast(cpu, in, op, size, EA_RIP, alu_rm_##op##_##size);         \
	}                                                                                    \
	static bool alu_rml_##op##_##size(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return alu_rm_fast(cpu, in, op, size, EA_LEGACY, alu_rm_##op##_##size);      \
	}                                                                                    \
	static bool alu_rms_##op##_##size(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return alu_rm_fast(cpu, in, op, size, EA_SIB, alu_rm_##op##_##size);         \
	}                                                                                    \
	static bool alu_ri_##op##_##size(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return alu_ri(cpu, in, op, size, 4);                                         \
	}                                                                                    \
	static bool alu_ri8_##op##_##size(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return alu_ri(cpu, in, op, size, 1);                                         \
	}                                                                                    \
	static __attribute__((noinline)) bool alu_mr_##op##_##size(struct cpu *cpu,        \
								   const struct x86_instr *in)  \
	{                                                                                    \
		return alu_m(cpu, in, op, size, EA_ANY, cpu->gpr[in->reg]);                                    \
	}                                                                                    \
	static bool alu_mrb_##op##_##size(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return alu_m_fast(cpu, in, op, size, EA_BASE, cpu->gpr[in->reg],             \
				  alu_mr_##op##_##size);                                     \
	}                                                                                    \
	static bool alu_mrr_##op##_##size(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return alu_m_fast(cpu, in, op, size, EA_RIP, cpu->gpr[in->reg],              \
				  alu_mr_##op##_##size);                                     \
	}                                                                                    \
	static bool alu_mrl_##op##_##size(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return alu_m_fast(cpu, in, op, size, EA_LEGACY, cpu->gpr[in->reg],           \
				  alu_mr_##op##_##size);                                     \
	}                                                                                    \
	static bool alu_mrs_##op##_##size(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return alu_m_fast(cpu, in, op, size, EA_SIB, cpu->gpr[in->reg],              \
				  alu_mr_##op##_##size);                                     \
	}

#define ALU_SIZES(op) ALU_FNS(op, 4) ALU_FNS(op, 8)
ALU_SIZES(0)
ALU_SIZES(1)
ALU_SIZES(2)
ALU_SIZES(3)
ALU_SIZES(4)
ALU_SIZES(5)
ALU_SIZES(6)
ALU_SIZES(7)

/* [op][kind][size == 8]; kinds: 0 r/m,reg  1 reg,r/m  2 r/m,imm32  3 r/m,imm8 (registers);
 * ALU_RM + form: reg,[mem] and ALU_MR + form: [mem],reg, with operand form (enum ea_form). */
enum { ALU_RM = 4, ALU_MR = ALU_RM + EA_FORMS64, ALU_KINDS = ALU_MR + EA_FORMS64 };
#define ALU_ROW(op)                                                                          \
	{{alu_rr_##op##_4, alu_rr_##op##_8},                                                 \
	 {alu_gr_##op##_4, alu_gr_##op##_8},                                                 \
	 {alu_ri_##op##_4, alu_ri_##op##_8},                                                 \
	 {alu_ri8_##op##_4, alu_ri8_##op##_8},                                               \
	 {alu_rm_##op##_4, alu_rm_##op##_8},                                                 \
	 {alu_rmb_##op##_4, alu_rmb_##op##_8},                                               \
	 {alu_rmr_##op##_4, alu_rmr_##op##_8},                                               \
	 {alu_rml_##op##_4, alu_rml_##op##_8},                                               \
	 {alu_rms_##op##_4, alu_rms_##op##_8},                                               \
	 {alu_mr_##op##_4, alu_mr_##op##_8},                                                 \
	 {alu_mrb_##op##_4, alu_mrb_##op##_8},                                               \
	 {alu_mrr_##op##_4, alu_mrr_##op##_8},                                               \
	 {alu_mrl_##op##_4, alu_mrl_##op##_8},                                               \
	 {alu_mrs_##op##_4, alu_mrs_##op##_8}},
static const cpu_exec_fn alu_fns[8][ALU_KINDS][2] = {ALU_ROW(0) ALU_ROW(1) ALU_ROW(2)
							 ALU_ROW(3) ALU_ROW(4) ALU_ROW(5)
							 ALU_ROW(6) ALU_ROW(7)};

/* ---- 81/83 with a memory operand: [mem] OP= imm ---- */

#define ALU_MI_FNS(op, size, isz)                                                            \
	static __attribute__((noinline)) bool alu_mi_##op##_##size##_##isz(                  \
	    struct cpu *cpu, const struct x86_instr *in)                                     \
	{                                                                                    \
		return alu_m(cpu, in, op, size, EA_ANY, alu_imm(in, isz));                   \
	}                                                                                    \
	static bool alu_mib_##op##_##size##_##isz(struct cpu *cpu,                           \
						  const struct x86_instr *in)                \
	{                                                                                    \
		return alu_m_fast(cpu, in, op, size, EA_BASE, alu_imm(in, isz),              \
				  alu_mi_##op##_##size##_##isz);                             \
	}                                                                                    \
	static bool alu_mir_##op##_##size##_##isz(struct cpu *cpu,                           \
						  const struct x86_instr *in)                \
	{                                                                                    \
		return alu_m_fast(cpu, in, op, size, EA_RIP, alu_imm(in, isz),               \
				  alu_mi_##op##_##size##_##isz);                             \
	}                                                                                    \
	static bool alu_mil_##op##_##size##_##isz(struct cpu *cpu,                           \
						  const struct x86_instr *in)                \
	{                                                                                    \
		return alu_m_fast(cpu, in, op, size, EA_LEGACY, alu_imm(in, isz),            \
				  alu_mi_##op##_##size##_##isz);                             \
	}                                                                                    \
	static bool alu_mis_##op##_##size##_##isz(struct cpu *cpu,                           \
						  const struct x86_instr *in)                \
	{                                                                                    \
		return alu_m_fast(cpu, in, op, size, EA_SIB, alu_imm(in, isz),               \
				  alu_mi_##op##_##size##_##isz);                             \
	}
#define ALU_MI_OP(op)                                                                        \
	ALU_MI_FNS(op, 4, 1) ALU_MI_FNS(op, 4, 4) ALU_MI_FNS(op, 8, 1) ALU_MI_FNS(op, 8, 4)
ALU_MI_OP(0)
ALU_MI_OP(1)
ALU_MI_OP(2)
ALU_MI_OP(3)
ALU_MI_OP(4)
ALU_MI_OP(5)
ALU_MI_OP(6)
ALU_MI_OP(7)

#define ALU_MI_FORMS(op, size, isz)                                                          \
	alu_mi_##op##_##size##_##isz, alu_mib_##op##_##size##_##isz,                         \
	    alu_mir_##op##_##size##_##isz, alu_mil_##op##_##size##_##isz,                    \
	    alu_mis_##op##_##size##_##isz
#define ALU_MI_ROW(op)                                                                       \
	{{{ALU_MI_FORMS(op, 4, 1)}, {ALU_MI_FORMS(op, 8, 1)}},                               \
	 {{ALU_MI_FORMS(op, 4, 4)}, {ALU_MI_FORMS(op, 8, 4)}}}
/* [op][imm32][size == 8][form] */
static const cpu_exec_fn alu_mi_fns[8][2][2][EA_FORMS64] = {
    ALU_MI_ROW(0), ALU_MI_ROW(1), ALU_MI_ROW(2), ALU_MI_ROW(3),
    ALU_MI_ROW(4), ALU_MI_ROW(5), ALU_MI_ROW(6), ALU_MI_ROW(7)};

static bool test_rr_4(struct cpu *cpu, const struct x86_instr *in)
{
	alu_logic(cpu, cpu->gpr[in->rm] & cpu->gpr[in->reg], 4);
	return true;
}

static bool test_rr_8(struct cpu *cpu, const struct x86_instr *in)
{
	alu_logic(cpu, cpu->gpr[in->rm] & cpu->gpr[in->reg], 8);
	return true;
}

/* ---- F6/F7 /0 TEST r, imm and A8/A9 TEST AL/eAX, imm ---- */

/* TEST of register r (1, 4 or 8 bytes; a byte register is a low one) with the immediate
 * (imm8, or imm32 sign-extended). */
static inline __attribute__((always_inline)) bool test_ri(struct cpu *cpu,
							  const struct x86_instr *in, unsigned r,
							  unsigned size)
{
	alu_logic(cpu, cpu->gpr[r] & alu_imm(in, size == 1 ? 1 : 4), size);
	return true;
}

#define TEST_RI_FNS(size)                                                                    \
	static bool test_ri_##size(struct cpu *cpu, const struct x86_instr *in)              \
	{                                                                                    \
		return test_ri(cpu, in, in->rm, size);                                       \
	}                                                                                    \
	static bool test_ai_##size(struct cpu *cpu, const struct x86_instr *in)              \
	{                                                                                    \
		return test_ri(cpu, in, RAX, size);                                          \
	}
TEST_RI_FNS(1)
TEST_RI_FNS(4)
TEST_RI_FNS(8)

/* The TEST-with-an-immediate forms with a register operand, or NULL. */
static cpu_exec_fn specialise_test_imm(const struct x86_instr *in)
{
	unsigned op = in->opcode, reg = (in->modrm >> 3) & 7;
	bool wide = in->opsize == 8, full = in->opsize == 4 || wide;
	if (op == 0xa8)
		return test_ai_1;
	if (op == 0xa9 && full)
		return wide ? test_ai_8 : test_ai_4;
	if (op == 0xf6 && in->mod == 3 && reg == 0 && !byte_reg_is_high(in, in->rm))
		return test_ri_1;
	if (op == 0xf7 && in->mod == 3 && reg == 0 && full)
		return wide ? test_ri_8 : test_ri_4;
	return NULL;
}

/* ---- FC CLD, FD STD ---- */

/* DF is a control bit, always current in cpu->rflags (cpu/flags.h): the lazy record of
 * the status flags stays. */
static bool cld(struct cpu *cpu, const struct x86_instr *in)
{
	(void)in;
	cpu->rflags &= ~RFLAGS_DF;
	return true;
}

static bool std_df(struct cpu *cpu, const struct x86_instr *in)
{
	(void)in;
	cpu->rflags |= RFLAGS_DF;
	return true;
}

/* ---- F7 /2 NOT and F7 /3 NEG of a register ---- */

/* NEG sets the flags of 0 - a, the SUB it is; NOT changes none. */
static inline __attribute__((always_inline)) bool not_neg_r(struct cpu *cpu,
							    const struct x86_instr *in,
							    bool neg, unsigned size)
{
	uint64_t a = cpu->gpr[in->rm];
	put_gpr(cpu, in->rm, size, neg ? alu_op(cpu, ALU_SUB, 0, a, size) : ~a);
	return true;
}

static bool not_r_4(struct cpu *cpu, const struct x86_instr *in)
{
	return not_neg_r(cpu, in, false, 4);
}

static bool not_r_8(struct cpu *cpu, const struct x86_instr *in)
{
	return not_neg_r(cpu, in, false, 8);
}

static bool neg_r_4(struct cpu *cpu, const struct x86_instr *in)
{
	return not_neg_r(cpu, in, true, 4);
}

static bool neg_r_8(struct cpu *cpu, const struct x86_instr *in)
{
	return not_neg_r(cpu, in, true, 8);
}

/* ---- C1 /k and D1 /k with a register: rotates and shifts by a constant ---- */

/*
 * ROL (0), ROR (1), SHL/SAL (4, 6), SHR (5), SAR (7) of a 4- or 8-byte register by the
 * count c (already masked, nonzero). The rotates change only CF and OF (LF_CFOF with
 * LF_ROT: derived from the result when read); the shifts record their flags (LF_SHL,
 * LF_SHR, LF_SAR: AF = 1, OF by this host's rule).
 */
static inline __attribute__((always_inline)) bool shift_ri(struct cpu *cpu,
							   const struct x86_instr *in,
							   unsigned kind, unsigned size, bool one)
{
	const unsigned bits = 8 * size;
	const uint64_t m = size_mask(size);
	unsigned c = (one ? 1 : (unsigned)in->imm) & (bits - 1);
	uint64_t a = cpu->gpr[in->rm] & m, r;
	if (c == 0) { /* no flags; a 32-bit register is still written (zero-extended) */
		put_gpr(cpu, in->rm, size, a);
		return true;
	}
	switch (kind) {
	case 0: /* written as rotates of the operand's own width, which the host has */
		r = size == 4 ? (uint32_t)((uint32_t)a << c | (uint32_t)a >> (-c & 31))
			      : a << c | a >> (-c & 63);
		break;
	case 1:
		r = size == 4 ? (uint32_t)((uint32_t)a >> c | (uint32_t)a << (-c & 31))
			      : a >> c | a << (-c & 63);
		break;
	default: /* the shifts: flags recorded (alu_fast.h, alu_shift_lazy) */
		r = alu_shift_lazy(cpu, kind == 5 ? LF_SHR : kind == 7 ? LF_SAR : LF_SHL, a, c,
				   size);
		put_gpr(cpu, in->rm, size, r);
		return true;
	}
	flags_set_rotate(cpu, r, size, kind == 1); /* CF and OF derived from r when read */
	put_gpr(cpu, in->rm, size, r);
	return true;
}

#define SHIFT_FNS(kind, size)                                                                \
	static bool shift_ri_##kind##_##size(struct cpu *cpu, const struct x86_instr *in)    \
	{                                                                                    \
		return shift_ri(cpu, in, kind, size, false);                                 \
	}                                                                                    \
	static bool shift_r1_##kind##_##size(struct cpu *cpu, const struct x86_instr *in)    \
	{                                                                                    \
		return shift_ri(cpu, in, kind, size, true);                                  \
	}
#define SHIFT_SIZES(kind) SHIFT_FNS(kind, 4) SHIFT_FNS(kind, 8)
SHIFT_SIZES(0)
SHIFT_SIZES(1)
SHIFT_SIZES(4)
SHIFT_SIZES(5)
SHIFT_SIZES(7)

#define SHIFT_ROW(kind)                                                                      \
	[kind] = {{shift_ri_##kind##_4, shift_ri_##kind##_8},                                \
		  {shift_r1_##kind##_4, shift_r1_##kind##_8}},
/* [ModRM.reg][one: D1][size == 8]; RCL/RCR (2, 3) stay generic. */
static const cpu_exec_fn shift_fns[8][2][2] = {SHIFT_ROW(0) SHIFT_ROW(1) SHIFT_ROW(4)
						   SHIFT_ROW(5) [6] = {{shift_ri_4_4, shift_ri_4_8},
								       {shift_r1_4_4, shift_r1_4_8}},
						   SHIFT_ROW(7)};

/* ---- 0F A4 SHLD, 0F AC SHRD r32, r32, imm8 ---- */

/*
 * The double shifts of a 4-byte register by a constant (masked to 5 bits, so below 32):
 * the pair of operands in one 64-bit value. Flags as cpu/alu.c's alu_shld/alu_shrd: CF
 * the last bit out, OF "the sign changed" for every count (this host), AF = 1; a count of
 * 0 changes no flag (the register is still written, zero-extended).
 */
static inline __attribute__((always_inline)) bool shxd_ri(struct cpu *cpu,
							  const struct x86_instr *in, bool left)
{
	unsigned c = (unsigned)in->imm & 31;
	uint64_t d = (uint32_t)cpu->gpr[in->rm], src = (uint32_t)cpu->gpr[in->reg], r, cf, of;
	if (c == 0) {
		cpu->gpr[in->rm] = d;
		return true;
	}
	if (left) {
		uint64_t pair = d << 32 | src;
		r = (uint32_t)(pair >> (32 - c));
		cf = (pair >> (64 - c)) & 1;
		of = (r >> 31) ^ cf;
	} else {
		uint64_t pair = src << 32 | d;
		r = (uint32_t)(pair >> c);
		cf = (pair >> (c - 1)) & 1;
		of = ((r >> 31) ^ (r >> 30)) & 1;
	}
	set_status(cpu, (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0) | flags_szp(r, 4) | RFLAGS_AF);
	cpu->gpr[in->rm] = r;
	return true;
}

static bool shld_ri_4(struct cpu *cpu, const struct x86_instr *in)
{
	return shxd_ri(cpu, in, true);
}

static bool shrd_ri_4(struct cpu *cpu, const struct x86_instr *in)
{
	return shxd_ri(cpu, in, false);
}

/* ---- 0F AF IMUL r, r/m; 69/6B IMUL r, r/m, imm ---- */

/*
 * The product of a and b truncated to size (4 or 8) bytes, signed: CF = OF = it does not
 * fit (cpu/alu.c's alu_imul); SF, ZF, AF and PF as the host leaves them, unchanged, so the
 * lazy record of those stays (flags_set_cf_of) instead of being materialised.
 */
static inline __attribute__((always_inline)) uint64_t imul_trunc(struct cpu *cpu, uint64_t a,
								 uint64_t b, unsigned size)
{
	int64_t p;
	bool of;
	if (size == 4) {
		p = (int64_t)(int32_t)a * (int32_t)b;
		of = p != (int32_t)p;
		p = (uint32_t)p;
	} else {
		of = __builtin_mul_overflow((int64_t)a, (int64_t)b, &p);
	}
	flags_set_cf_of(cpu, of ? RFLAGS_CF | RFLAGS_OF : 0);
	return (uint64_t)p;
}

/* 0F AF IMUL reg, r/m of any form: also where imul_rm goes when its fast path does not do. */
static __attribute__((noinline)) bool imul_rm_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t b;
	if (!rm_read(cpu, in, in->opsize, &b))
		return false;
	put_gpr(cpu, in->reg, in->opsize, imul_trunc(cpu, cpu->gpr[in->reg], b, in->opsize));
	return true;
}

/* 0F AF IMUL reg, reg. */
static inline __attribute__((always_inline)) bool imul_rr(struct cpu *cpu,
							  const struct x86_instr *in, unsigned size)
{
	put_gpr(cpu, in->reg, size, imul_trunc(cpu, cpu->gpr[in->reg], cpu->gpr[in->rm], size));
	return true;
}

/* 69 (isz 4), 6B (isz 1) IMUL reg, reg, imm (sign-extended). */
static inline __attribute__((always_inline)) bool imul_rri(struct cpu *cpu,
							   const struct x86_instr *in,
							   unsigned size, unsigned isz)
{
	put_gpr(cpu, in->reg, size, imul_trunc(cpu, cpu->gpr[in->rm], alu_imm(in, isz), size));
	return true;
}

/* 0F AF IMUL reg, [mem] of form through mem_fast, or all of it by imul_rm_any. */
static inline __attribute__((always_inline)) bool imul_rm(struct cpu *cpu,
							  const struct x86_instr *in,
							  unsigned size, unsigned form)
{
	uint64_t b;
	if (unlikely(!mem_fast_read(cpu, in, form, size, &b)))
		return imul_rm_any(cpu, in);
	put_gpr(cpu, in->reg, size, imul_trunc(cpu, cpu->gpr[in->reg], b, size));
	return true;
}

#define IMUL_FNS(size)                                                                       \
	static bool imul_rr_##size(struct cpu *cpu, const struct x86_instr *in)              \
	{                                                                                    \
		return imul_rr(cpu, in, size);                                               \
	}                                                                                    \
	static bool imul_rri1_##size(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return imul_rri(cpu, in, size, 1);                                           \
	}                                                                                    \
	static bool imul_rri4_##size(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return imul_rri(cpu, in, size, 4);                                           \
	}                                                                                    \
	static bool imul_rmb_##size(struct cpu *cpu, const struct x86_instr *in)             \
	{                                                                                    \
		return imul_rm(cpu, in, size, EA_BASE);                                      \
	}                                                                                    \
	static bool imul_rms_##size(struct cpu *cpu, const struct x86_instr *in)             \
	{                                                                                    \
		return imul_rm(cpu, in, size, EA_SIB);                                       \
	}
IMUL_FNS(4)
IMUL_FNS(8)

/* The IMUL forms of 0F AF (map 1), 69 and 6B (map 0) with operand size 4 or 8, or NULL. */
static cpu_exec_fn specialise_imul(const struct x86_instr *in)
{
	unsigned op = in->opcode, wide = in->opsize == 8;
	if (in->opsize != 4 && in->opsize != 8)
		return NULL;
	if (in->map == 0 && (op == 0x69 || op == 0x6b) && in->mod == 3 &&
	    in->imm_size == (op == 0x6b ? 1 : 4))
		return op == 0x6b ? (wide ? imul_rri1_8 : imul_rri1_4)
				  : (wide ? imul_rri4_8 : imul_rri4_4);
	if (in->map != 1 || op != 0xaf)
		return NULL;
	if (in->mod == 3)
		return wide ? imul_rr_8 : imul_rr_4;
	switch (ea_form(in)) {
	case EA_BASE:
		return wide ? imul_rmb_8 : imul_rmb_4;
	case EA_SIB:
		return wide ? imul_rms_8 : imul_rms_4;
	default:
		return imul_rm_any;
	}
}

/* ---- 89/8B MOV ---- */

/* 89 (to_reg false: r/m = reg) and 8B (reg = r/m) between registers. */
static bool mov_rr_4(struct cpu *cpu, const struct x86_instr *in)
{
	cpu->gpr[in->rm] = (uint32_t)cpu->gpr[in->reg];
	return true;
}

static bool mov_rr_8(struct cpu *cpu, const struct x86_instr *in)
{
	cpu->gpr[in->rm] = cpu->gpr[in->reg];
	return true;
}

static bool mov_gr_4(struct cpu *cpu, const struct x86_instr *in)
{
	cpu->gpr[in->reg] = (uint32_t)cpu->gpr[in->rm];
	return true;
}

static bool mov_gr_8(struct cpu *cpu, const struct x86_instr *in)
{
	cpu->gpr[in->reg] = cpu->gpr[in->rm];
	return true;
}

/* The general forms, also where the others go when their fast path does not do. */
#define MOV_MEM_ANY_FN(name, body)                                                           \
	static __attribute__((noinline)) bool name(struct cpu *cpu, const struct x86_instr *in) \
	{                                                                                    \
		return body;                                                                 \
	}
MOV_MEM_ANY_FN(mov_load_4, mov_load(cpu, in, 4, EA_ANY))
MOV_MEM_ANY_FN(mov_load_8, mov_load(cpu, in, 8, EA_ANY))
MOV_MEM_ANY_FN(mov_store_4, mem_write(cpu, in, EA_ANY, 4, cpu->gpr[in->reg]))
MOV_MEM_ANY_FN(mov_store_8, mem_write(cpu, in, EA_ANY, 8, cpu->gpr[in->reg]))

#define MOV_MEM_FNS(suffix, form)                                                            \
	static bool mov_load_4##suffix(struct cpu *cpu, const struct x86_instr *in)         \
	{                                                                                    \
		return mov_load_fast(cpu, in, 4, form, mov_load_4);                          \
	}                                                                                    \
	static bool mov_load_8##suffix(struct cpu *cpu, const struct x86_instr *in)         \
	{                                                                                    \
		return mov_load_fast(cpu, in, 8, form, mov_load_8);                          \
	}                                                                                    \
	static bool mov_store_4##suffix(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return mov_store_fast(cpu, in, 4, form, mov_store_4);                        \
	}                                                                                    \
	static bool mov_store_8##suffix(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return mov_store_fast(cpu, in, 8, form, mov_store_8);                        \
	}
MOV_MEM_FNS(b, EA_BASE)
MOV_MEM_FNS(r, EA_RIP)
MOV_MEM_FNS(l, EA_LEGACY)
MOV_MEM_FNS(s, EA_SIB)
/* [form][store][size == 8] */
static const cpu_exec_fn mov_mem_fns[EA_FORMS64][2][2] = {
    {{mov_load_4, mov_load_8}, {mov_store_4, mov_store_8}},
    {{mov_load_4b, mov_load_8b}, {mov_store_4b, mov_store_8b}},
    {{mov_load_4r, mov_load_8r}, {mov_store_4r, mov_store_8r}},
    {{mov_load_4l, mov_load_8l}, {mov_store_4l, mov_store_8l}},
    {{mov_load_4s, mov_load_8s}, {mov_store_4s, mov_store_8s}}};

/* ---- 64-bit mode: Jcc, PUSH/POP r64, RET (operand size 8, SS base 0) ---- */

/* Jcc in 64-bit mode, every condition and displacement size: also where the others go
 * when their own path does not do. */
static __attribute__((noinline)) bool jcc64_any(struct cpu *cpu, const struct x86_instr *in)
{
	if (!cpu_cond_now(cpu, in->opcode & 15))
		return true;
	return cpu_branch(cpu, cpu->next_rip + (uint64_t)sext(in->imm, in->imm_size), 8);
}

/* Jcc with the condition cc and an isz-byte displacement (1 or 4), relative to the next
 * instruction. */
static inline __attribute__((always_inline)) bool jcc64(struct cpu *cpu, const struct x86_instr *in,
							unsigned cc, unsigned isz)
{
	int v = cond_fast(cpu, cc);
	if (unlikely(v < 0))
		return jcc64_any(cpu, in);
	if (!v)
		return true;
	int64_t d = isz == 1 ? (int64_t)(int8_t)in->imm : (int64_t)(int32_t)in->imm;
	uint64_t t = cpu->next_rip + (uint64_t)d;
	if (unlikely(!canonical48(t)))
		return jcc64_any(cpu, in);
	cpu->next_rip = t;
	return true;
}

#define JCC_FN(cc)                                                                           \
	static bool jcc64_##cc##_1(struct cpu *cpu, const struct x86_instr *in)              \
	{                                                                                    \
		return jcc64(cpu, in, cc, 1);                                                \
	}                                                                                    \
	static bool jcc64_##cc##_4(struct cpu *cpu, const struct x86_instr *in)              \
	{                                                                                    \
		return jcc64(cpu, in, cc, 4);                                                \
	}
JCC_FN(0)
JCC_FN(1)
JCC_FN(2)
JCC_FN(3)
JCC_FN(4)
JCC_FN(5)
JCC_FN(6)
JCC_FN(7)
JCC_FN(8)
JCC_FN(9)
JCC_FN(10)
JCC_FN(11)
JCC_FN(12)
JCC_FN(13)
JCC_FN(14)
JCC_FN(15)
#define JCC_ROW(cc) {jcc64_##cc##_1, jcc64_##cc##_4}
/* [cc][displacement of 4 bytes] */
static const cpu_exec_fn jcc64_fns[16][2] = {
    JCC_ROW(0),	 JCC_ROW(1),  JCC_ROW(2),  JCC_ROW(3),	JCC_ROW(4),  JCC_ROW(5),
    JCC_ROW(6),	 JCC_ROW(7),  JCC_ROW(8),  JCC_ROW(9),	JCC_ROW(10), JCC_ROW(11),
    JCC_ROW(12), JCC_ROW(13), JCC_ROW(14), JCC_ROW(15)};

/*
 * The stack forms below do their one access through the fast path, or hand the whole
 * instruction to their _any form (the general path, a tail call) before anything is
 * counted or changed.
 */

/* 50+r PUSH r64: RSP changes only once the write is done. */
static __attribute__((noinline)) bool push64_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t sp = cpu->gpr[RSP] - 8;
	if (!cpu_write_la(cpu, sp, 8, cpu->gpr[in->reg], MMU_STACK))
		return false;
	cpu->gpr[RSP] = sp;
	return true;
}

static bool push64(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t sp = cpu->gpr[RSP] - 8;
	struct tlb_fast_entry *fe = fast_lookup(cpu->mmu, sp, 8, MMU_STACK | MMU_WRITE);
	if (unlikely(fe == NULL))
		return push64_any(cpu, in);
	cpu_fast_store(fast_host(fe, sp), cpu->gpr[in->reg], 8);
	cpu->gpr[RSP] = sp;
	return true;
}

/* 58+r POP r64 (POP RSP loads the value read). */
static __attribute__((noinline)) bool pop64_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!cpu_read_la(cpu, cpu->gpr[RSP], 8, &v, MMU_STACK))
		return false;
	cpu->gpr[RSP] += 8;
	cpu->gpr[in->reg] = v;
	return true;
}

static bool pop64(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t sp = cpu->gpr[RSP];
	struct tlb_fast_entry *fe = fast_lookup(cpu->mmu, sp, 8, MMU_STACK | MMU_READ);
	if (unlikely(fe == NULL))
		return pop64_any(cpu, in);
	uint64_t v = bus_host_load(fast_host(fe, sp), 8);
	cpu->gpr[RSP] = sp + 8;
	cpu->gpr[in->reg] = v;
	return true;
}

/* C3 RET: the return address must be canonical before RSP moves. */
static __attribute__((noinline)) bool ret64_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t;
	(void)in;
	if (!cpu_read_la(cpu, cpu->gpr[RSP], 8, &t, MMU_STACK) || !cpu_branch(cpu, t, 8))
		return false;
	cpu->gpr[RSP] += 8;
	return true;
}

static bool ret64(struct cpu *cpu, const struct x86_instr *in)
{
	struct mmu *m = cpu->mmu;
	uint64_t sp = cpu->gpr[RSP];
	struct tlb_fast_entry *fe = mmu_fast_peek(m, sp, 8, MMU_STACK | MMU_READ);
	if (unlikely(fe == NULL))
		return ret64_any(cpu, in);
	uint64_t t = bus_host_load(fast_host(fe, sp), 8);
	if (unlikely(!canonical48(t)))
		return ret64_any(cpu, in);
	mmu_fast_count(m, fe, MMU_READ);
	cpu->next_rip = t;
	cpu->gpr[RSP] = sp + 8;
	return true;
}

/* FF /2 CALL r/m64: the target is read first (a register form may name RSP), then the
 * branch checks it, then the return address is pushed; RSP changes only once all is done. */
static __attribute__((noinline)) bool call_ind64_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t, ret = cpu->next_rip, sp = cpu->gpr[RSP] - 8;
	if (!rm_read(cpu, in, 8, &t) || !cpu_branch(cpu, t, 8))
		return false;
	if (!cpu_write_la(cpu, sp, 8, ret, MMU_STACK))
		return false;
	cpu->gpr[RSP] = sp;
	return true;
}

/* FF /2 CALL r64. */
static bool call_ind64_r(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t = cpu->gpr[in->rm], sp = cpu->gpr[RSP] - 8;
	if (unlikely(!canonical48(t)))
		return call_ind64_any(cpu, in); /* #GP before the push is looked at */
	struct tlb_fast_entry *fe = fast_lookup(cpu->mmu, sp, 8, MMU_STACK | MMU_WRITE);
	if (unlikely(fe == NULL))
		return call_ind64_any(cpu, in);
	cpu_fast_store(fast_host(fe, sp), cpu->next_rip, 8);
	cpu->next_rip = t;
	cpu->gpr[RSP] = sp;
	return true;
}

/* FF /4 JMP r/m64: the target must be canonical. Also where the forms below go when their
 * own path does not do. */
static __attribute__((noinline)) bool jmp_ind64_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t;
	if (!rm_read(cpu, in, 8, &t))
		return false;
	return cpu_branch(cpu, t, 8);
}

/* FF /4 JMP r64. */
static bool jmp_ind64_r(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t = cpu->gpr[in->rm];
	if (unlikely(!canonical48(t)))
		return jmp_ind64_any(cpu, in);
	cpu->next_rip = t;
	return true;
}

/* FF /4 JMP [mem] of form (a jump table): the read is counted only once the target is
 * known to do, so that jmp_ind64_any finds nothing done. */
static inline __attribute__((always_inline)) bool jmp_ind64_m(struct cpu *cpu,
							      const struct x86_instr *in,
							      unsigned form)
{
	uint64_t la;
	unsigned flags;
	mem_fast_la(cpu, in, form, 8, MMU_READ, &la, &flags);
	struct tlb_fast_entry *fe = mmu_fast_peek(cpu->mmu, la, 8, flags);
	if (unlikely(fe == NULL))
		return jmp_ind64_any(cpu, in);
	uint64_t t = bus_host_load(fast_host(fe, la), 8);
	if (unlikely(!canonical48(t)))
		return jmp_ind64_any(cpu, in);
	mmu_fast_count(cpu->mmu, fe, MMU_READ);
	cpu->next_rip = t;
	return true;
}

static bool jmp_ind64_b(struct cpu *cpu, const struct x86_instr *in)
{
	return jmp_ind64_m(cpu, in, EA_BASE);
}

static bool jmp_ind64_r_rip(struct cpu *cpu, const struct x86_instr *in)
{
	return jmp_ind64_m(cpu, in, EA_RIP);
}

static bool jmp_ind64_s(struct cpu *cpu, const struct x86_instr *in)
{
	return jmp_ind64_m(cpu, in, EA_SIB);
}

/* The FF /4 forms (64-bit mode, operand size 8). */
static cpu_exec_fn specialise_jmp_ind64(const struct x86_instr *in)
{
	if (in->mod == 3)
		return jmp_ind64_r;
	switch (ea_form(in)) {
	case EA_BASE:
		return jmp_ind64_b;
	case EA_RIP:
		return jmp_ind64_r_rip;
	case EA_SIB:
		return jmp_ind64_s;
	default:
		return jmp_ind64_any;
	}
}

/* E9/EB JMP rel in 64-bit mode, every displacement size. */
static __attribute__((noinline)) bool jmp64_any(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_branch(cpu, cpu->next_rip + (uint64_t)sext(in->imm, in->imm_size), 8);
}

/* JMP rel with an isz-byte displacement (1 or 4). */
static inline __attribute__((always_inline)) bool jmp64(struct cpu *cpu, const struct x86_instr *in,
							unsigned isz)
{
	int64_t d = isz == 1 ? (int64_t)(int8_t)in->imm : (int64_t)(int32_t)in->imm;
	uint64_t t = cpu->next_rip + (uint64_t)d;
	if (unlikely(!canonical48(t)))
		return jmp64_any(cpu, in);
	cpu->next_rip = t;
	return true;
}

static bool jmp64_1(struct cpu *cpu, const struct x86_instr *in)
{
	return jmp64(cpu, in, 1);
}

static bool jmp64_4(struct cpu *cpu, const struct x86_instr *in)
{
	return jmp64(cpu, in, 4);
}

/* E8 CALL rel32 in 64-bit mode: the branch checks the target, then the return address is
 * pushed; RSP changes only once both are done. */
static __attribute__((noinline)) bool call_rel64_any(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t ret = cpu->next_rip, sp = cpu->gpr[RSP] - 8;
	if (!cpu_branch(cpu, ret + (uint64_t)sext(in->imm, in->imm_size), 8))
		return false;
	if (!cpu_write_la(cpu, sp, 8, ret, MMU_STACK))
		return false;
	cpu->gpr[RSP] = sp;
	return true;
}

static bool call_rel64(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t ret = cpu->next_rip, sp = cpu->gpr[RSP] - 8;
	uint64_t t = ret + (uint64_t)(int64_t)(int32_t)in->imm;
	if (unlikely(!canonical48(t)))
		return call_rel64_any(cpu, in); /* #GP before the push is looked at */
	struct tlb_fast_entry *fe = fast_lookup(cpu->mmu, sp, 8, MMU_STACK | MMU_WRITE);
	if (unlikely(fe == NULL))
		return call_rel64_any(cpu, in);
	cpu_fast_store(fast_host(fe, sp), ret, 8);
	cpu->next_rip = t;
	cpu->gpr[RSP] = sp;
	return true;
}

static cpu_exec_fn specialise_flow64(const struct x86_instr *in)
{
	unsigned op = in->opcode;
	if (in->mode != X86_MODE_64 || in->opsize != 8)
		return NULL;
	if ((in->map == 0 && op >= 0x70 && op <= 0x7f) || (in->map == 1 && op >= 0x80 && op <= 0x8f))
		return in->imm_size == 1 ? jcc64_fns[op & 15][0]
		       : in->imm_size == 4 ? jcc64_fns[op & 15][1]
					   : NULL;
	if (in->map != 0)
		return NULL;
	if (op >= 0x50 && op <= 0x57)
		return push64;
	if (op >= 0x58 && op <= 0x5f)
		return pop64;
	if (op == 0xc3)
		return ret64;
	if ((op == 0xeb && in->imm_size == 1) || (op == 0xe9 && in->imm_size == 4))
		return op == 0xeb ? jmp64_1 : jmp64_4;
	if (op == 0xe8 && in->imm_size == 4)
		return call_rel64;
	if (op == 0xff && ((in->modrm >> 3) & 7) == 2)
		return in->mod == 3 ? call_ind64_r : call_ind64_any;
	if (op == 0xff && ((in->modrm >> 3) & 7) == 4)
		return specialise_jmp_ind64(in);
	return NULL;
}

/* ---- 8D LEA with the address forms of the memory operands ---- */

#define LEA_FNS(suffix, form)                                                                \
	static bool lea_4##suffix(struct cpu *cpu, const struct x86_instr *in)               \
	{                                                                                    \
		return lea(cpu, in, 4, form);                                                \
	}                                                                                    \
	static bool lea_8##suffix(struct cpu *cpu, const struct x86_instr *in)               \
	{                                                                                    \
		return lea(cpu, in, 8, form);                                                \
	}
LEA_FNS(b, EA_BASE)
LEA_FNS(r, EA_RIP)
LEA_FNS(s, EA_SIB)
/* [form][size == 8]; NULL: the table's handler */
static const cpu_exec_fn lea_fns[EA_FORMS64][2] = {
    [EA_BASE] = {lea_4b, lea_8b},
    [EA_RIP] = {lea_4r, lea_8r},
    [EA_SIB] = {lea_4s, lea_8s}};

/* ---- 0F 90-9F SETcc; 0F B6/B7 MOVZX, 0F BE/BF MOVSX, 63 MOVSXD (64-bit mode) ---- */

/* SETcc r/m8, every condition and operand: also where the register forms go when the
 * lazy record does not decide their condition. */
static __attribute__((noinline)) bool setcc_any(struct cpu *cpu, const struct x86_instr *in)
{
	return rm_write(cpu, in, 1, cpu_cond_now(cpu, in->opcode & 15));
}

/* SETcc r8 with the condition cc into the low byte of a register (AL..BL, or any with
 * REX: the choice leaves AH..BH to setcc_any). */
static inline __attribute__((always_inline)) bool setcc_r(struct cpu *cpu, const struct x86_instr *in,
							  unsigned cc)
{
	int v = cond_fast(cpu, cc);
	if (unlikely(v < 0))
		return setcc_any(cpu, in);
	cpu->gpr[in->rm] = (cpu->gpr[in->rm] & ~0xffULL) | (unsigned)v;
	return true;
}

#define SETCC_FN(cc)                                                                         \
	static bool setcc_r_##cc(struct cpu *cpu, const struct x86_instr *in)                \
	{                                                                                    \
		return setcc_r(cpu, in, cc);                                                 \
	}
SETCC_FN(0)
SETCC_FN(1)
SETCC_FN(2)
SETCC_FN(3)
SETCC_FN(4)
SETCC_FN(5)
SETCC_FN(6)
SETCC_FN(7)
SETCC_FN(8)
SETCC_FN(9)
SETCC_FN(10)
SETCC_FN(11)
SETCC_FN(12)
SETCC_FN(13)
SETCC_FN(14)
SETCC_FN(15)
static const cpu_exec_fn setcc_r_fns[16] = {setcc_r_0,  setcc_r_1,  setcc_r_2,  setcc_r_3,
					    setcc_r_4,  setcc_r_5,  setcc_r_6,  setcc_r_7,
					    setcc_r_8,  setcc_r_9,  setcc_r_10, setcc_r_11,
					    setcc_r_12, setcc_r_13, setcc_r_14, setcc_r_15};


#define MOVX_FORMS(name, src, sign, size)                                                    \
	static __attribute__((noinline)) bool name##_##size(struct cpu *cpu,                 \
							     const struct x86_instr *in)        \
	{                                                                                    \
		return movx(cpu, in, src, sign, size);                                       \
	}                                                                                    \
	static bool name##_##size##b(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return movx_fast(cpu, in, src, sign, size, EA_BASE, name##_##size);          \
	}                                                                                    \
	static bool name##_##size##r(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return movx_fast(cpu, in, src, sign, size, EA_RIP, name##_##size);           \
	}                                                                                    \
	static bool name##_##size##l(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return movx_fast(cpu, in, src, sign, size, EA_LEGACY, name##_##size);        \
	}                                                                                    \
	static bool name##_##size##s(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return movx_fast(cpu, in, src, sign, size, EA_SIB, name##_##size);           \
	}
#define MOVX_FNS(name, src, sign)                                                            \
	MOVX_FORMS(name, src, sign, 4)                                                       \
	MOVX_FORMS(name, src, sign, 8)
MOVX_FNS(movzx8, 1, false)
MOVX_FNS(movzx16, 2, false)
MOVX_FNS(movsx8, 1, true)
MOVX_FNS(movsx16, 2, true)
MOVX_FNS(movsxd, 4, true)

/* [form (enum ea_form; EA_ANY also for a register source)][size == 8] */
#define MOVX_ROW(name)                                                                       \
	{{name##_4, name##_8}, {name##_4b, name##_8b}, {name##_4r, name##_8r},               \
	 {name##_4l, name##_8l}, {name##_4s, name##_8s}}
/* [0F B6/B7, or BE/BF] */
static const cpu_exec_fn movzx_fns[2][EA_FORMS64][2] = {MOVX_ROW(movzx8), MOVX_ROW(movzx16)};
static const cpu_exec_fn movsx_fns[2][EA_FORMS64][2] = {MOVX_ROW(movsx8), MOVX_ROW(movsx16)};
static const cpu_exec_fn movsxd_fns[EA_FORMS64][2] = MOVX_ROW(movsxd);

/* A register source of src bytes (a byte register AL..BL, or any with REX: the choice
 * leaves AH..BH to the general form) zero- or sign-extended into a size-byte register. */
static inline __attribute__((always_inline)) bool movx_rr(struct cpu *cpu,
							  const struct x86_instr *in, unsigned src,
							  bool sign, unsigned size)
{
	uint64_t v = cpu->gpr[in->rm] & size_mask(src);
	put_gpr(cpu, in->reg, size, sign ? (uint64_t)sext(v, src) : v);
	return true;
}

#define MOVX_RR_FNS(name, src, sign)                                                         \
	static bool name##_rr_4(struct cpu *cpu, const struct x86_instr *in)                 \
	{                                                                                    \
		return movx_rr(cpu, in, src, sign, 4);                                       \
	}                                                                                    \
	static bool name##_rr_8(struct cpu *cpu, const struct x86_instr *in)                 \
	{                                                                                    \
		return movx_rr(cpu, in, src, sign, 8);                                       \
	}
MOVX_RR_FNS(movzx8, 1, false)
MOVX_RR_FNS(movzx16, 2, false)
MOVX_RR_FNS(movsx8, 1, true)
MOVX_RR_FNS(movsx16, 2, true)
MOVX_RR_FNS(movsxd, 4, true)

/* [0F B6, B7, BE, BF, 63][size == 8] */
static const cpu_exec_fn movx_rr_fns[5][2] = {
    {movzx8_rr_4, movzx8_rr_8},	  {movzx16_rr_4, movzx16_rr_8}, {movsx8_rr_4, movsx8_rr_8},
    {movsx16_rr_4, movsx16_rr_8}, {movsxd_rr_4, movsxd_rr_8}};

/* MOVZX/MOVSX/MOVSXD from a register, or NULL (AH..BH: the general form). */
static cpu_exec_fn specialise_movx_rr(const struct x86_instr *in, unsigned row)
{
	bool byte = row == 0 || row == 2;
	if (byte && byte_reg_is_high(in, in->rm))
		return NULL;
	return movx_rr_fns[row][in->opsize == 8];
}

static cpu_exec_fn specialise_byte_forms(const struct x86_instr *in)
{
	unsigned op = in->opcode, wide = in->opsize == 8;
	unsigned form = in->mod == 3 ? EA_ANY : ea_form(in);
	if (in->map == 1 && op >= 0x90 && op <= 0x9f)
		return in->mod == 3 && !byte_reg_is_high(in, in->rm) ? setcc_r_fns[op & 15]
								     : setcc_any;
	if ((in->opsize != 4 && in->opsize != 8) || ea_form32(form)) /* cpu_specialise32's */
		return NULL;
	if (in->map == 1 && (op == 0xb6 || op == 0xb7)) {
		cpu_exec_fn rr = in->mod == 3 ? specialise_movx_rr(in, op - 0xb6) : NULL;
		return rr ? rr : movzx_fns[op - 0xb6][form][wide];
	}
	if (in->map == 1 && (op == 0xbe || op == 0xbf)) {
		cpu_exec_fn rr = in->mod == 3 ? specialise_movx_rr(in, op - 0xbe + 2) : NULL;
		return rr ? rr : movsx_fns[op - 0xbe][form][wide];
	}
	if (in->map == 0 && op == 0x63 && in->mode == X86_MODE_64) {
		cpu_exec_fn rr = in->mod == 3 ? specialise_movx_rr(in, 4) : NULL;
		return rr ? rr : movsxd_fns[form][wide];
	}
	return NULL;
}

/* ---- the choice ---- */

cpu_exec_fn cpu_specialise(const struct x86_instr *in, unsigned col)
{
	unsigned op = in->opcode, wide = in->opsize == 8, reg = (in->modrm >> 3) & 7;
	bool regs = in->mod == 3;
	if (in->prefixes & (X86_PFX_LOCK | X86_PFX_REP | X86_PFX_REPNE))
		return NULL;
	cpu_exec_fn flow = in->mode == X86_MODE_64 ? specialise_flow64(in) : cpu_specialise32(in);
	if (flow)
		return flow;
	cpu_exec_fn byte = specialise_byte_forms(in);
	if (byte)
		return byte;
	if (in->map == 1 && (op == 0xa4 || op == 0xac))
		return regs && in->opsize == 4 ? (op == 0xa4 ? shld_ri_4 : shrd_ri_4) : NULL;
	if (in->map == 1)
		return op == 0xaf ? specialise_imul(in) : cpu_sse_specialise(in, col);
	if (in->map == 0 && op >= 0xd8 && op <= 0xdf)
		return cpu_x87_specialise(in);
	if (in->map == 0 && (op == 0xa4 || op == 0xa5))
		return cpu_string_specialise(in);
	if (in->map != 0 || (in->opsize != 4 && in->opsize != 8))
		return NULL;
	if (op == 0x69 || op == 0x6b)
		return specialise_imul(in);
	if (op == 0xa8 || op == 0xa9 || op == 0xf6 || (op == 0xf7 && reg == 0))
		return specialise_test_imm(in);
	if (op == 0xfc || op == 0xfd)
		return op == 0xfc ? cld : std_df;
	unsigned form = regs ? EA_ANY : ea_form(in);
	if (ea_form32(form)) /* cpu_specialise32 has the forms it makes */
		return NULL;
	if (op < 0x40 && (op & 7) == 1)
		return alu_fns[op >> 3][regs ? 0 : ALU_MR + form][wide];
	if (op < 0x40 && (op & 7) == 3)
		return alu_fns[op >> 3][regs ? 1 : ALU_RM + form][wide];
	if ((op == 0x81 || op == 0x83) && regs && (in->imm_size == 1 || in->imm_size == 4))
		return alu_fns[reg][in->imm_size == 1 ? 3 : 2][wide];
	if ((op == 0x81 || op == 0x83) && (in->imm_size == 1 || in->imm_size == 4))
		return alu_mi_fns[reg][in->imm_size == 4][wide][form];
	if (op == 0x85 && regs)
		return wide ? test_rr_8 : test_rr_4;
	if (op == 0xf7 && regs && reg == 2)
		return wide ? not_r_8 : not_r_4;
	if (op == 0xf7 && regs && reg == 3)
		return wide ? neg_r_8 : neg_r_4;
	if ((op == 0xc1 || op == 0xd1) && regs)
		return shift_fns[reg][op == 0xd1][wide];
	if (op == 0x8d && !regs)
		return lea_fns[form][wide];
	if (op == 0x8b)
		return regs ? (wide ? mov_gr_8 : mov_gr_4) : mov_mem_fns[form][0][wide];
	if (op == 0x89)
		return regs ? (wide ? mov_rr_8 : mov_rr_4) : mov_mem_fns[form][1][wide];
	return NULL;
}

/* The memory forms of 64-bit code a block's host code can run itself (cpu/jit_mem.c). */
static const struct {
	unsigned form;
	uint8_t shape;
} inline_forms[] = {{EA_BASE, JM_BASE}, {EA_SIB, JM_SIB}, {EA_RIP, JM_RIP}};

bool cpu_special_mem_op(cpu_exec_fn fn, struct jit_mem_op *op)
{
	if (fn == push64 || fn == pop64) {
		*op = (struct jit_mem_op){fn == push64 ? JM_PUSH : JM_POP, JM_STACK, 8, 0};
		return true;
	}
	for (unsigned k = 0; k < sizeof(inline_forms) / sizeof(inline_forms[0]); k++) {
		unsigned form = inline_forms[k].form;
		for (unsigned wide = 0; wide < 2; wide++) {
			struct jit_mem_op o = {JM_NONE, inline_forms[k].shape, wide ? 8 : 4, 0};
			if (fn == mov_mem_fns[form][0][wide])
				o.kind = JM_LOAD;
			else if (fn == mov_mem_fns[form][1][wide])
				o.kind = JM_STORE;
			else if (fn == alu_fns[ALU_CMP][ALU_MR + form][wide])
				o.kind = JM_CMP_MR;
			for (unsigned alu = 0; alu < 8 && o.kind == JM_NONE; alu++)
				if (alu != ALU_ADC && alu != ALU_SBB &&
				    fn == alu_fns[alu][ALU_RM + form][wide]) {
					o.kind = JM_ALU_RM;
					o.op = (uint8_t)alu;
				}
			if (o.kind != JM_NONE) {
				*op = o;
				return true;
			}
		}
	}
	return false;
}
