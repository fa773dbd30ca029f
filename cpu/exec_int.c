/*
 * cpu/exec_int.c - integer arithmetic, logic and data movement (SDM Vol. 2: ADD, ADC, SUB,
 * SBB, AND, OR, XOR, CMP, TEST, INC, DEC, NEG, NOT, MOV, MOVZX, MOVSX, MOVSXD, LEA, XCHG,
 * CMPXCHG, CMPXCHG8B/16B, XADD, CBW/CWD family, SETcc, CMOVcc, BSWAP, LAHF/SAHF, the
 * flag instructions, XLAT and the BCD adjustments of legacy mode).
 *
 * LOCK: instructions of one CPU are atomic with respect to each other by construction
 * (vCPUs interleave at instruction boundaries), so a locked read-modify-write is the
 * plain one.
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"
#include "cpu/opcode_table.h"

/* Operand size of a byte/full-size pair of opcodes: bit 0 clear means byte. */
static inline unsigned opnd_size(const struct x86_instr *in)
{
	return (in->opcode & 1) ? in->opsize : 1;
}

/* The immediate of in, sign-extended from its encoded size. */
static inline uint64_t imm_sext(const struct x86_instr *in)
{
	return (uint64_t)sext(in->imm, in->imm_size);
}

/*
 * Read-modify-write of the r/m operand: the flags change only once the write is done,
 * so a faulting write leaves RFLAGS as before.
 */
static bool rmw_commit(struct cpu *cpu, const struct x86_instr *in, unsigned size, uint64_t r,
		       uint64_t old_flags)
{
	if (rm_write(cpu, in, size, r))
		return true;
	(*cpu_rflags_ptr(cpu)) = old_flags;
	return false;
}

/* 00-3D: the eight ALU operations (opcode bits 5:3) in six forms (bits 2:0), one handler
 * per pair of forms so that the hot register forms take no form switch. */

/* Forms 0/1: r/m OP= reg. */
static bool exec_alu_rm_reg(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned op = (in->opcode >> 3) & 7, size = opnd_size(in);
	uint64_t a, b = reg_read(cpu, in, in->reg, size), old, r;
	if (in->mod == 3) {
		a = reg_read(cpu, in, in->rm, size);
		r = alu_op(cpu, op, a, b, size);
		if (op != ALU_CMP)
			reg_write(cpu, in, in->rm, size, r);
		return true;
	}
	if (!rm_read(cpu, in, size, &a))
		return false;
	old = (*cpu_rflags_ptr(cpu));
	r = alu_op(cpu, op, a, b, size);
	if (op == ALU_CMP)
		return true;
	return rmw_commit(cpu, in, size, r, old);
}

/* Forms 2/3: reg OP= r/m. */
static bool exec_alu_reg_rm(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned op = (in->opcode >> 3) & 7, size = opnd_size(in);
	uint64_t b;
	if (!rm_read(cpu, in, size, &b))
		return false;
	uint64_t r = alu_op(cpu, op, reg_read(cpu, in, in->reg, size), b, size);
	if (op != ALU_CMP)
		reg_write(cpu, in, in->reg, size, r);
	return true;
}

/* Forms 4/5: AL OP= imm8, rAX OP= imm (sign-extended). */
static bool exec_alu_acc_imm(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned op = (in->opcode >> 3) & 7, size = (in->opcode & 1) ? in->opsize : 1;
	uint64_t r = alu_op(cpu, op, reg_read(cpu, in, RAX, size), imm_sext(in), size);
	if (op != ALU_CMP)
		reg_write(cpu, in, RAX, size, r);
	return true;
}

/* 80-83: group 1, r/m op immediate. */
static bool exec_grp1(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned op = (in->modrm >> 3) & 7, size = opnd_size(in);
	uint64_t a, old = (*cpu_rflags_ptr(cpu));
	if (!rm_read(cpu, in, size, &a))
		return false;
	uint64_t r = alu_op(cpu, op, a, imm_sext(in), size);
	if (op == ALU_CMP)
		return true;
	return rmw_commit(cpu, in, size, r, old);
}

/* 84/85 TEST Eb,Gb / Ev,Gv; A8/A9 TEST AL,Ib / rAX,Iz. */
static bool exec_test(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = opnd_size(in);
	uint64_t a, b;
	if (in->opcode >= 0xa8) {
		a = reg_read(cpu, in, RAX, size);
		b = imm_sext(in);
	} else {
		if (!rm_read(cpu, in, size, &a))
			return false;
		b = reg_read(cpu, in, in->reg, size);
	}
	alu_logic(cpu, a & b, size);
	return true;
}

/* F6/F7 /0 and /1: TEST r/m, imm. */
static bool exec_test_imm(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = opnd_size(in);
	uint64_t a;
	if (!rm_read(cpu, in, size, &a))
		return false;
	alu_logic(cpu, a & imm_sext(in), size);
	return true;
}

/* F6/F7 /2 NOT (no flags) and /3 NEG. */
static bool exec_not_neg(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = opnd_size(in);
	uint64_t a, old = (*cpu_rflags_ptr(cpu));
	if (!rm_read(cpu, in, size, &a))
		return false;
	if (((in->modrm >> 3) & 7) == 2)
		return rm_write(cpu, in, size, ~a);
	uint64_t r = alu_sub(cpu, 0, a, 0, size);
	return rmw_commit(cpu, in, size, r, old);
}

/* FE/FF /0 INC, /1 DEC. */
static bool exec_incdec_rm(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = opnd_size(in);
	uint64_t a, old = (*cpu_rflags_ptr(cpu));
	if (in->mod == 3) {
		a = reg_read(cpu, in, in->rm, size);
		reg_write(cpu, in, in->rm, size, alu_incdec(cpu, a, in->modrm & 8, size));
		return true;
	}
	if (!rm_read(cpu, in, size, &a))
		return false;
	uint64_t r = alu_incdec(cpu, a, ((in->modrm >> 3) & 7) == 1, size);
	return rmw_commit(cpu, in, size, r, old);
}

/* 40-4F INC/DEC r (legacy modes). */
static bool exec_incdec_reg(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned r = in->opcode & 7;
	uint64_t v = alu_incdec(cpu, cpu->gpr[r], in->opcode >= 0x48, in->opsize);
	gpr_write(cpu, r, in->opsize, v);
	return true;
}

/* 88-8B MOV. */
static bool exec_mov(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = opnd_size(in);
	uint64_t v;
	if (in->mod == 3 && size >= 4) { /* the commonest form: a full register copy */
		unsigned dst = (in->opcode & 2) ? in->reg : in->rm;
		unsigned src = (in->opcode & 2) ? in->rm : in->reg;
		cpu->gpr[dst] = size == 8 ? cpu->gpr[src] : (uint32_t)cpu->gpr[src];
		return true;
	}
	if (in->opcode & 2) {
		if (!rm_read(cpu, in, size, &v))
			return false;
		reg_write(cpu, in, in->reg, size, v);
		return true;
	}
	return rm_write(cpu, in, size, reg_read(cpu, in, in->reg, size));
}

/* C6/C7 /0 MOV r/m, imm. */
static bool exec_mov_imm_rm(struct cpu *cpu, const struct x86_instr *in)
{
	return rm_write(cpu, in, opnd_size(in), imm_sext(in));
}

/* B0-B7 MOV r8, imm8; B8-BF MOV r, imm. */
static bool exec_mov_imm_reg(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = in->opcode < 0xb8 ? 1 : in->opsize;
	reg_write(cpu, in, in->reg, size, in->imm);
	return true;
}

/* A0-A3 MOV AL/rAX <-> moffs. */
static bool exec_mov_moffs(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = opnd_size(in);
	unsigned seg = in->seg != X86_SEG_NONE ? in->seg : SEG_DS;
	uint64_t off = (uint64_t)in->disp & size_mask(in->addrsize), v;
	if (in->opcode & 2)
		return cpu_write_mem(cpu, seg, off, size, reg_read(cpu, in, RAX, size));
	if (!cpu_read_mem(cpu, seg, off, size, &v))
		return false;
	reg_write(cpu, in, RAX, size, v);
	return true;
}

/* 8D LEA. */
static bool exec_lea(struct cpu *cpu, const struct x86_instr *in)
{
	gpr_write(cpu, in->reg, in->opsize, cpu_ea(cpu, in));
	return true;
}

/* 0F B6/B7 MOVZX, 0F BE/BF MOVSX, 63 MOVSXD (64-bit mode). */
static bool exec_arpl(struct cpu *cpu, const struct x86_instr *in);

static bool exec_movx(struct cpu *cpu, const struct x86_instr *in)
{
	if (in->map == 0 && cpu->mode != X86_MODE_64)
		return exec_arpl(cpu, in);
	unsigned src = in->map == 0 ? (in->opsize == 2 ? 2 : 4) : (in->opcode & 1) ? 2 : 1;
	bool sign = in->map == 0 || in->opcode >= 0xbe;
	uint64_t v;
	if (!rm_read(cpu, in, src, &v))
		return false;
	if (sign)
		v = (uint64_t)sext(v, src);
	reg_write(cpu, in, in->reg, in->opsize, v);
	return true;
}

/* 63 ARPL r/m16, r16 (legacy protected mode): raise the destination's RPL. */
static bool exec_arpl(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t d, old = (*cpu_rflags_ptr(cpu));
	if (!(cpu->mmu->cr0 & CR0_PE))
		return cpu_ud(cpu);
	if (!rm_read(cpu, in, 2, &d))
		return false;
	uint64_t s = reg_read(cpu, in, in->reg, 2);
	if ((d & 3) >= (s & 3)) {
		(*cpu_rflags_ptr(cpu)) &= ~RFLAGS_ZF;
		return true;
	}
	(*cpu_rflags_ptr(cpu)) |= RFLAGS_ZF;
	return rmw_commit(cpu, in, 2, (d & ~3ULL) | (s & 3), old);
}

/* 86/87 XCHG r/m, r; 90-97 XCHG rAX, r (90 without REX.B: NOP). */
static bool exec_xchg(struct cpu *cpu, const struct x86_instr *in)
{
	if (in->opcode >= 0x90) {
		if (in->opc->operand[0] == 0)
			return true; /* NOP, PAUSE */
		uint64_t a = cpu->gpr[RAX], b = cpu->gpr[in->reg];
		gpr_write(cpu, RAX, in->opsize, b);
		gpr_write(cpu, in->reg, in->opsize, a);
		return true;
	}
	unsigned size = opnd_size(in);
	uint64_t m;
	if (!rm_read(cpu, in, size, &m))
		return false;
	uint64_t r = reg_read(cpu, in, in->reg, size);
	if (!rm_write(cpu, in, size, r))
		return false;
	reg_write(cpu, in, in->reg, size, m);
	return true;
}

/* 0F B0/B1 CMPXCHG r/m, r: compare with the accumulator (SDM: the destination is written
 * in both cases, with its own value when unequal). */
static bool exec_cmpxchg(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = opnd_size(in);
	uint64_t d, old = (*cpu_rflags_ptr(cpu));
	if (!rm_read(cpu, in, size, &d))
		return false;
	uint64_t acc = reg_read(cpu, in, RAX, size);
	alu_sub(cpu, acc, d, 0, size);
	if (d == acc)
		return rmw_commit(cpu, in, size, reg_read(cpu, in, in->reg, size), old);
	if (in->mod != 3 && !rm_write(cpu, in, size, d)) {
		(*cpu_rflags_ptr(cpu)) = old;
		return false;
	}
	reg_write(cpu, in, RAX, size, d);
	return true;
}

/* 0F C0/C1 XADD r/m, r. */
static bool exec_xadd(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = opnd_size(in);
	uint64_t d, old = (*cpu_rflags_ptr(cpu));
	if (!rm_read(cpu, in, size, &d))
		return false;
	uint64_t s = reg_read(cpu, in, in->reg, size);
	uint64_t r = alu_add(cpu, d, s, 0, size);
	if (in->mod == 3) {
		reg_write(cpu, in, in->reg, size, d);
		reg_write(cpu, in, in->rm, size, r);
		return true;
	}
	if (!rmw_commit(cpu, in, size, r, old))
		return false;
	reg_write(cpu, in, in->reg, size, d);
	return true;
}

/* 0F C7 /1 CMPXCHG8B m64 / CMPXCHG16B m128 (16-byte aligned, else #GP(0)). */
static bool exec_cmpxchg8b16b(struct cpu *cpu, const struct x86_instr *in)
{
	bool wide = in->rex & X86_REX_W;
	unsigned half = wide ? 8 : 4, seg = insn_seg(in);
	uint64_t off = cpu_ea(cpu, in), lo, hi;
	if (wide && (off & 15))
		return cpu_gp(cpu, 0);
	if (!cpu_probe_write(cpu, seg, off, 2 * half))
		return false;
	if (!cpu_read_mem(cpu, seg, off, half, &lo) ||
	    !cpu_read_mem(cpu, seg, (off + half) & size_mask(in->addrsize), half, &hi))
		return false;
	uint64_t m = size_mask(half);
	bool eq = lo == (cpu->gpr[RAX] & m) && hi == (cpu->gpr[RDX] & m);
	uint64_t wlo = eq ? cpu->gpr[RBX] : lo, whi = eq ? cpu->gpr[RCX] : hi;
	if (!cpu_write_mem(cpu, seg, off, half, wlo) ||
	    !cpu_write_mem(cpu, seg, (off + half) & size_mask(in->addrsize), half, whi))
		return false;
	uint64_t *rf = cpu_rflags_ptr(cpu);
	*rf = eq ? *rf | RFLAGS_ZF : *rf & ~RFLAGS_ZF;
	if (!eq) {
		gpr_write(cpu, RAX, half, lo);
		gpr_write(cpu, RDX, half, hi);
	}
	return true;
}

/* 98 CBW/CWDE/CDQE. */
static bool exec_cbw(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned half = in->opsize / 2;
	gpr_write(cpu, RAX, in->opsize, (uint64_t)sext(cpu->gpr[RAX], half));
	return true;
}

/* 99 CWD/CDQ/CQO. */
static bool exec_cwd(struct cpu *cpu, const struct x86_instr *in)
{
	bool neg = cpu->gpr[RAX] & size_sign(in->opsize);
	gpr_write(cpu, RDX, in->opsize, neg ? ~0ULL : 0);
	return true;
}

/* 0F 90-9F SETcc r/m8. */
static bool exec_setcc(struct cpu *cpu, const struct x86_instr *in)
{
	return rm_write(cpu, in, 1, cpu_cond_now(cpu, in->opcode & 15));
}

/* 0F 40-4F CMOVcc: the source is read whatever the condition (and may fault); a 32-bit
 * destination is zero-extended even when the condition is false. */
static bool exec_cmovcc(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!rm_read(cpu, in, in->opsize, &v))
		return false;
	if (cpu_cond_now(cpu, in->opcode & 15))
		gpr_write(cpu, in->reg, in->opsize, v);
	else if (in->opsize == 4)
		gpr_write(cpu, in->reg, 4, cpu->gpr[in->reg]);
	return true;
}

/* 0F C8-CF BSWAP; the 16-bit form is undefined: this host clears the register's low word. */
static bool exec_bswap(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v = cpu->gpr[in->reg];
	if (in->opsize == 8)
		v = __builtin_bswap64(v);
	else if (in->opsize == 4)
		v = __builtin_bswap32((uint32_t)v);
	else
		v = 0;
	gpr_write(cpu, in->reg, in->opsize, v);
	return true;
}

/* 9E SAHF, 9F LAHF: SF ZF 0 AF 0 PF 1 CF. */
static bool exec_sahf_lahf(struct cpu *cpu, const struct x86_instr *in)
{
	const uint64_t m = RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF;
	if (in->opcode == 0x9e)
		set_flags_mask(cpu, m, (cpu->gpr[RAX] >> 8) & m);
	else /* AH, even with REX */
		cpu->gpr[RAX] = (cpu->gpr[RAX] & ~0xff00ULL) |
				((cpu_rflags(cpu) & 0xff) | RFLAGS_FIXED1) << 8;
	return true;
}

/* F5 CMC, F8 CLC, F9 STC, FC CLD, FD STD. */
static bool exec_flagop(struct cpu *cpu, const struct x86_instr *in)
{
	switch (in->opcode) {
	case 0xf5:
		(*cpu_rflags_ptr(cpu)) ^= RFLAGS_CF;
		break;
	case 0xf8:
		(*cpu_rflags_ptr(cpu)) &= ~RFLAGS_CF;
		break;
	case 0xf9:
		(*cpu_rflags_ptr(cpu)) |= RFLAGS_CF;
		break;
	case 0xfc:
		(*cpu_rflags_ptr(cpu)) &= ~RFLAGS_DF;
		break;
	default:
		(*cpu_rflags_ptr(cpu)) |= RFLAGS_DF;
		break;
	}
	return true;
}

/* D7 XLAT: AL = [seg:rBX + AL]. */
static bool exec_xlat(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned seg = in->seg != X86_SEG_NONE ? in->seg : SEG_DS;
	uint64_t off = (cpu->gpr[RBX] + (cpu->gpr[RAX] & 0xff)) & size_mask(in->addrsize), v;
	if (!cpu_read_mem(cpu, seg, off, 1, &v))
		return false;
	reg_write(cpu, in, RAX, 1, v);
	return true;
}

/* NOP Ev (0F 1F, 0F 19-1E hints) and the prefetches: no architectural effect. */
static bool exec_nop(struct cpu *cpu, const struct x86_instr *in)
{
	return true;
}

/* D6 SALC (legacy modes, undocumented but defined on every x86): AL = CF ? FF : 00. */
static bool exec_salc(struct cpu *cpu, const struct x86_instr *in)
{
	reg_write(cpu, in, RAX, 1, ((*cpu_rflags_ptr(cpu)) & RFLAGS_CF) ? 0xff : 0);
	return true;
}

/* 27 DAA / 2F DAS (SDM pseudo-code; OF is undefined and cleared here, as AMD does). */
static bool exec_daa_das(struct cpu *cpu, const struct x86_instr *in)
{
	bool das = in->opcode == 0x2f;
	uint64_t al = cpu->gpr[RAX] & 0xff, old_al = al, f = 0;
	bool old_cf = (*cpu_rflags_ptr(cpu)) & RFLAGS_CF;
	if ((al & 0xf) > 9 || ((*cpu_rflags_ptr(cpu)) & RFLAGS_AF)) {
		al = das ? al - 6 : al + 6;
		f |= RFLAGS_AF;
		if (old_cf || (das ? old_al < 6 : al > 0xff))
			f |= RFLAGS_CF;
	}
	if (old_al > 0x99 || old_cf) {
		al = das ? al - 0x60 : al + 0x60;
		f |= RFLAGS_CF;
	}
	al &= 0xff;
	set_status(cpu, f | flags_szp(al, 1));
	reg_write(cpu, in, RAX, 1, al);
	return true;
}

/* 37 AAA / 3F AAS. */
static bool exec_aaa_aas(struct cpu *cpu, const struct x86_instr *in)
{
	bool aas = in->opcode == 0x3f;
	uint64_t ax = cpu->gpr[RAX] & 0xffff, f = 0;
	if ((ax & 0xf) > 9 || ((*cpu_rflags_ptr(cpu)) & RFLAGS_AF)) {
		ax = aas ? ((ax - 6) & 0xff) | (((ax >> 8) - 1) << 8) : ax + 0x106;
		f = RFLAGS_AF | RFLAGS_CF;
	}
	ax &= 0xff0f;
	set_status(cpu, f | flags_szp(ax & 0xff, 1));
	gpr_write(cpu, RAX, 2, ax);
	return true;
}

/* D4 AAM imm8 (#DE for 0), D5 AAD imm8. */
static bool exec_aam_aad(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t al = cpu->gpr[RAX] & 0xff, ah = (cpu->gpr[RAX] >> 8) & 0xff, base = in->imm & 0xff;
	uint64_t ax;
	if (in->opcode == 0xd4) {
		if (base == 0)
			return cpu_fault(cpu, X86_VEC_DE, false, 0);
		ax = ((al / base) << 8) | (al % base);
		set_status(cpu, flags_szp(ax & 0xff, 1));
	} else {
		ax = (al + ah * base) & 0xff;
		alu_add(cpu, al, (ah * base) & 0xff, 0, 1);
	}
	gpr_write(cpu, RAX, 2, ax);
	return true;
}

void exec_int_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	for (unsigned op = 0; op < 8; op++) {
		for (unsigned form = 0; form < 2; form++) {
			cpu_ops_set(ops, 0, op * 8 + form, CPU_ANY, CPU_ANY, exec_alu_rm_reg);
			cpu_ops_set(ops, 0, op * 8 + 2 + form, CPU_ANY, CPU_ANY, exec_alu_reg_rm);
			cpu_ops_set(ops, 0, op * 8 + 4 + form, CPU_ANY, CPU_ANY, exec_alu_acc_imm);
		}
	}
	for (unsigned o = 0x80; o <= 0x83; o++)
		cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_grp1);
	for (unsigned o = 0x40; o <= 0x4f; o++)
		cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_incdec_reg);
	cpu_ops_set(ops, 0, 0x84, CPU_ANY, CPU_ANY, exec_test);
	cpu_ops_set(ops, 0, 0x85, CPU_ANY, CPU_ANY, exec_test);
	cpu_ops_set(ops, 0, 0xa8, CPU_ANY, CPU_ANY, exec_test);
	cpu_ops_set(ops, 0, 0xa9, CPU_ANY, CPU_ANY, exec_test);
	for (unsigned o = 0xf6; o <= 0xf7; o++) {
		cpu_ops_set(ops, 0, o, CPU_ANY, 0, exec_test_imm);
		cpu_ops_set(ops, 0, o, CPU_ANY, 1, exec_test_imm);
		cpu_ops_set(ops, 0, o, CPU_ANY, 2, exec_not_neg);
		cpu_ops_set(ops, 0, o, CPU_ANY, 3, exec_not_neg);
	}
	for (unsigned o = 0xfe; o <= 0xff; o++) {
		cpu_ops_set(ops, 0, o, CPU_ANY, 0, exec_incdec_rm);
		cpu_ops_set(ops, 0, o, CPU_ANY, 1, exec_incdec_rm);
	}
	for (unsigned o = 0x88; o <= 0x8b; o++)
		cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_mov);
	cpu_ops_set(ops, 0, 0xc6, CPU_ANY, 0, exec_mov_imm_rm);
	cpu_ops_set(ops, 0, 0xc7, CPU_ANY, 0, exec_mov_imm_rm);
	for (unsigned o = 0xb0; o <= 0xbf; o++)
		cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_mov_imm_reg);
	for (unsigned o = 0xa0; o <= 0xa3; o++)
		cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_mov_moffs);
	cpu_ops_set(ops, 0, 0x8d, CPU_ANY, CPU_ANY, exec_lea);
	cpu_ops_set(ops, 0, 0x63, CPU_ANY, CPU_ANY, exec_movx); /* ARPL in legacy: see exec_seg */
	for (unsigned o = 0xb6; o <= 0xbf; o++)
		if (o == 0xb6 || o == 0xb7 || o == 0xbe || o == 0xbf)
			cpu_ops_set(ops, 1, o, CPU_ANY, CPU_ANY, exec_movx);
	cpu_ops_set(ops, 0, 0x86, CPU_ANY, CPU_ANY, exec_xchg);
	cpu_ops_set(ops, 0, 0x87, CPU_ANY, CPU_ANY, exec_xchg);
	for (unsigned o = 0x90; o <= 0x97; o++)
		cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_xchg);
	cpu_ops_set(ops, 1, 0xb0, CPU_ANY, CPU_ANY, exec_cmpxchg);
	cpu_ops_set(ops, 1, 0xb1, CPU_ANY, CPU_ANY, exec_cmpxchg);
	cpu_ops_set(ops, 1, 0xc0, CPU_ANY, CPU_ANY, exec_xadd);
	cpu_ops_set(ops, 1, 0xc1, CPU_ANY, CPU_ANY, exec_xadd);
	cpu_ops_set(ops, 1, 0xc7, 0, 1, exec_cmpxchg8b16b);
	cpu_ops_set(ops, 0, 0x98, CPU_ANY, CPU_ANY, exec_cbw);
	cpu_ops_set(ops, 0, 0x99, CPU_ANY, CPU_ANY, exec_cwd);
	for (unsigned cc = 0; cc < 16; cc++) {
		cpu_ops_set(ops, 1, 0x90 + cc, CPU_ANY, CPU_ANY, exec_setcc);
		cpu_ops_set(ops, 1, 0x40 + cc, CPU_ANY, CPU_ANY, exec_cmovcc);
		cpu_ops_set(ops, 1, 0xc8 + (cc & 7), CPU_ANY, CPU_ANY, exec_bswap);
	}
	cpu_ops_set(ops, 0, 0x9e, CPU_ANY, CPU_ANY, exec_sahf_lahf);
	cpu_ops_set(ops, 0, 0x9f, CPU_ANY, CPU_ANY, exec_sahf_lahf);
	for (unsigned o = 0xf8; o <= 0xfd; o++)
		if (o != 0xfa && o != 0xfb)
			cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_flagop);
	cpu_ops_set(ops, 0, 0xf5, CPU_ANY, CPU_ANY, exec_flagop);
	cpu_ops_set(ops, 0, 0xd7, CPU_ANY, CPU_ANY, exec_xlat);
	for (unsigned o = 0x18; o <= 0x1f; o++)
		cpu_ops_set(ops, 1, o, CPU_ANY, CPU_ANY, exec_nop);
	cpu_ops_set(ops, 1, 0x0d, CPU_ANY, CPU_ANY, exec_nop);
	cpu_ops_set(ops, 0, 0xd6, CPU_ANY, CPU_ANY, exec_salc);
	cpu_ops_set(ops, 0, 0x27, CPU_ANY, CPU_ANY, exec_daa_das);
	cpu_ops_set(ops, 0, 0x2f, CPU_ANY, CPU_ANY, exec_daa_das);
	cpu_ops_set(ops, 0, 0x37, CPU_ANY, CPU_ANY, exec_aaa_aas);
	cpu_ops_set(ops, 0, 0x3f, CPU_ANY, CPU_ANY, exec_aaa_aas);
	cpu_ops_set(ops, 0, 0xd4, CPU_ANY, CPU_ANY, exec_aam_aad);
	cpu_ops_set(ops, 0, 0xd5, CPU_ANY, CPU_ANY, exec_aam_aad);
	/* CPUID.01H:EDX: CX8 (8), CMOV (15); ECX: CMPXCHG16B (13). */
	feat->leaf1_edx |= 1u << 8 | 1u << 15;
	feat->leaf1_ecx |= 1u << 13;
	/* 80000001H:ECX LAHF/SAHF in 64-bit mode (0). */
	feat->ext1_ecx |= 1u << 0;
}
