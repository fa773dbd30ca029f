/*
 * cpu/exec_muldiv.c - multiplication and division (SDM Vol. 2: MUL, IMUL, DIV, IDIV).
 *
 * The arithmetic and flags are cpu/alu.c's (alu_mul, alu_imul, alu_imul_trunc, alu_div,
 * alu_idiv; undefined flags as on the AMD host, docs/cpu.md); this file picks the
 * implicit registers: AX or rDX:rAX. DIV/IDIV raise #DE before anything changes.
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

/* Writes a double-size product: AX for bytes, rDX:rAX otherwise. */
static void write_wide(struct cpu *cpu, unsigned size, uint64_t lo, uint64_t hi)
{
	if (size == 1) {
		gpr_write(cpu, RAX, 2, (lo & 0xff) | (hi & 0xff) << 8);
		return;
	}
	gpr_write(cpu, RAX, size, lo);
	gpr_write(cpu, RDX, size, hi);
}

/* The multiplications change CF and OF only (the others as the host leaves them): the
 * lazy record of the others stays (flags_set_cf_of) instead of being materialised. */
static bool do_mul(struct cpu *cpu, uint64_t b, unsigned size, bool sign)
{
	uint64_t hi, lo, f = 0;
	if (sign)
		lo = alu_imul(size, cpu->gpr[RAX], b, &hi, &f);
	else
		lo = alu_mul(size, cpu->gpr[RAX], b, &hi, &f);
	flags_set_cf_of(cpu, f & (RFLAGS_CF | RFLAGS_OF));
	write_wide(cpu, size, lo, hi);
	return true;
}

/* DIV/IDIV: #DE (nothing changed) for a zero divisor or a quotient that does not fit. */
static bool do_div(struct cpu *cpu, uint64_t b, unsigned size, bool sign)
{
	uint64_t m = size_mask(size), hi, lo, q, r;
	if (size == 1) {
		hi = (cpu->gpr[RAX] >> 8) & 0xff;
		lo = cpu->gpr[RAX] & 0xff;
	} else {
		hi = cpu->gpr[RDX] & m;
		lo = cpu->gpr[RAX] & m;
	}
	int err = sign ? alu_idiv(size, hi, lo, b, &q, &r, cpu_rflags_ptr(cpu))
		       : alu_div(size, hi, lo, b, &q, &r, cpu_rflags_ptr(cpu));
	if (err)
		return cpu_fault(cpu, X86_VEC_DE, false, 0);
	write_wide(cpu, size, q, r);
	return true;
}

/* F6/F7 /4 MUL, /5 IMUL, /6 DIV, /7 IDIV. */
static bool exec_grp3_muldiv(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = (in->opcode & 1) ? in->opsize : 1;
	uint64_t b;
	if (!rm_read(cpu, in, size, &b))
		return false;
	switch ((in->modrm >> 3) & 7) {
	case 4:
		return do_mul(cpu, b, size, false);
	case 5:
		return do_mul(cpu, b, size, true);
	case 6:
		return do_div(cpu, b, size, false);
	default:
		return do_div(cpu, b, size, true);
	}
}

/* 0F AF IMUL Gv,Ev; 69 IMUL Gv,Ev,Iz; 6B IMUL Gv,Ev,Ib. */
static bool exec_imul(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = in->opsize;
	uint64_t a, b;
	if (!rm_read(cpu, in, size, &a))
		return false;
	if (in->map == 1)
		b = reg_read(cpu, in, in->reg, size);
	else
		b = (uint64_t)sext(in->imm, in->imm_size);
	uint64_t f = 0, r = alu_imul_trunc(size, a, b, &f);
	flags_set_cf_of(cpu, f & (RFLAGS_CF | RFLAGS_OF));
	gpr_write(cpu, in->reg, size, r);
	return true;
}

void exec_muldiv_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	for (int reg = 4; reg < 8; reg++) {
		cpu_ops_set(ops, 0, 0xf6, CPU_ANY, reg, exec_grp3_muldiv);
		cpu_ops_set(ops, 0, 0xf7, CPU_ANY, reg, exec_grp3_muldiv);
	}
	cpu_ops_set(ops, 1, 0xaf, CPU_ANY, CPU_ANY, exec_imul);
	cpu_ops_set(ops, 0, 0x69, CPU_ANY, CPU_ANY, exec_imul);
	cpu_ops_set(ops, 0, 0x6b, CPU_ANY, CPU_ANY, exec_imul);
}
