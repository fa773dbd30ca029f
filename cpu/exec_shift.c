/*
 * cpu/exec_shift.c - shifts and rotates (SDM Vol. 2: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR,
 * SHLD, SHRD).
 *
 * The count is masked to 5 bits (6 with a 64-bit operand); a masked count of 0 changes
 * no flag. Results and flags come from cpu/alu.c (alu_shift, alu_shld, alu_shrd), whose
 * undefined flags are the host's, an AMD EPYC (Zen): OF for counts other than 1, AF, and
 * the 16-bit SHLD/SHRD with counts above 16 (docs/cpu.md). This file decodes operands,
 * accesses memory and keeps the flags unchanged when the write faults.
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

/* The count operand of group 2: 1 (D0/D1), CL (D2/D3) or imm8 (C0/C1). */
static unsigned shift_count(const struct cpu *cpu, const struct x86_instr *in)
{
	if (in->opcode == 0xd0 || in->opcode == 0xd1)
		return 1;
	if (in->opcode == 0xd2 || in->opcode == 0xd3)
		return cpu->gpr[RCX] & 0xff;
	return in->imm & 0xff;
}

/* C0/C1/D0-D3: group 2. */
static bool exec_grp2(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = (in->opcode & 1) ? in->opsize : 1, op = (in->modrm >> 3) & 7;
	unsigned c = shift_count(cpu, in) & (size == 8 ? 63 : 31);
	uint64_t a, r, old = (*cpu_rflags_ptr(cpu));
	if (!rm_read(cpu, in, size, &a))
		return false;
	if (c == 0) /* no flags; a 32-bit register is still written (zero-extended) */
		return rm_write(cpu, in, size, a);
	r = alu_shift((enum x86_shift_op)op, size, a, c, cpu_rflags_ptr(cpu));
	if (rm_write(cpu, in, size, r))
		return true;
	(*cpu_rflags_ptr(cpu)) = old;
	return false;
}

/* 0F A4/A5 SHLD, 0F AC/AD SHRD. */
static bool exec_shxd(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = in->opsize;
	unsigned c = ((in->opcode & 1) ? cpu->gpr[RCX] : in->imm) & (size == 8 ? 63 : 31);
	uint64_t d, r, old = (*cpu_rflags_ptr(cpu));
	if (!rm_read(cpu, in, size, &d))
		return false;
	if (c == 0)
		return rm_write(cpu, in, size, d);
	uint64_t src = reg_read(cpu, in, in->reg, size);
	if (in->opcode < 0xa8)
		r = alu_shld(size, d, src, c, cpu_rflags_ptr(cpu));
	else
		r = alu_shrd(size, d, src, c, cpu_rflags_ptr(cpu));
	if (rm_write(cpu, in, size, r))
		return true;
	(*cpu_rflags_ptr(cpu)) = old;
	return false;
}

void exec_shift_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	static const uint8_t grp2[] = {0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3};
	for (unsigned i = 0; i < sizeof(grp2); i++)
		cpu_ops_set(ops, 0, grp2[i], CPU_ANY, CPU_ANY, exec_grp2);
	cpu_ops_set(ops, 1, 0xa4, CPU_ANY, CPU_ANY, exec_shxd);
	cpu_ops_set(ops, 1, 0xa5, CPU_ANY, CPU_ANY, exec_shxd);
	cpu_ops_set(ops, 1, 0xac, CPU_ANY, CPU_ANY, exec_shxd);
	cpu_ops_set(ops, 1, 0xad, CPU_ANY, CPU_ANY, exec_shxd);
}
