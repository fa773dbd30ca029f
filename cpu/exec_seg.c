/*
 * cpu/exec_seg.c - segment-register loads and stores (SDM Vol. 2: MOV Sreg, PUSH/POP Sreg,
 * LDS/LES/LSS/LFS/LGS).
 *
 * Loads go through the segmentation unit's seg_load (mmu/seg.h), which reads the
 * descriptor, applies the checks of MOV Sreg and fills the hidden cache; a fault leaves the
 * register as it was.
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

static bool load_sreg(struct cpu *cpu, unsigned reg, uint16_t sel)
{
	if (reg >= SEG_NR || reg == SEG_CS)
		return cpu_ud(cpu);
	if (!seg_load(cpu->mmu, (enum seg_reg)reg, sel, &cpu->fault))
		return false;
	if (reg == SEG_SS)
		cpu->interrupt_shadow = true;
	return true;
}

/* 8C MOV r/m, Sreg: a register destination gets the zero-extended selector, memory 16 bits. */
static bool exec_mov_from_sreg(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned reg = (in->modrm >> 3) & 7;
	if (reg >= SEG_NR)
		return cpu_ud(cpu);
	uint16_t sel = cpu->mmu->seg.sreg[reg].selector;
	if (in->mod == 3) {
		gpr_write(cpu, in->rm, in->opsize, sel);
		return true;
	}
	return rm_write(cpu, in, 2, sel);
}

/* 8E MOV Sreg, r/m16. */
static bool exec_mov_to_sreg(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!rm_read(cpu, in, 2, &v))
		return false;
	return load_sreg(cpu, (in->modrm >> 3) & 7, (uint16_t)v);
}

/* The segment register of PUSH/POP Sreg opcodes. */
static unsigned pushpop_sreg(const struct x86_instr *in)
{
	if (in->map == 1)
		return in->opcode < 0xa8 ? SEG_FS : SEG_GS;
	return (in->opcode >> 3) & 3;
}

static bool exec_push_sreg(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_push(cpu, in->opsize, cpu->mmu->seg.sreg[pushpop_sreg(in)].selector);
}

static bool exec_pop_sreg(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!cpu_stack_peek(cpu, 0, in->opsize, &v) ||
	    !load_sreg(cpu, pushpop_sreg(in), (uint16_t)v))
		return false;
	cpu_stack_adjust(cpu, in->opsize);
	return true;
}

/* C4 LES, C5 LDS (legacy), 0F B2 LSS, 0F B4 LFS, 0F B5 LGS: r, m16:16/32/64. */
static bool exec_load_far_ptr(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned reg, seg = insn_seg(in);
	uint64_t ea = cpu_ea(cpu, in), off, sel;
	if (in->map == 0)
		reg = in->opcode == 0xc4 ? SEG_ES : SEG_DS;
	else
		reg = in->opcode == 0xb2 ? SEG_SS : in->opcode == 0xb4 ? SEG_FS : SEG_GS;
	if (!cpu_read_mem(cpu, seg, ea, in->opsize, &off) ||
	    !cpu_read_mem(cpu, seg, (ea + in->opsize) & size_mask(in->addrsize), 2, &sel) ||
	    !load_sreg(cpu, reg, (uint16_t)sel))
		return false;
	gpr_write(cpu, in->reg, in->opsize, off);
	return true;
}

void exec_seg_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	cpu_ops_set(ops, 0, 0x8c, CPU_ANY, CPU_ANY, exec_mov_from_sreg);
	cpu_ops_set(ops, 0, 0x8e, CPU_ANY, CPU_ANY, exec_mov_to_sreg);
	static const uint8_t push1[] = {0x06, 0x0e, 0x16, 0x1e}, pop1[] = {0x07, 0x17, 0x1f};
	for (unsigned i = 0; i < sizeof(push1); i++)
		cpu_ops_set(ops, 0, push1[i], CPU_ANY, CPU_ANY, exec_push_sreg);
	for (unsigned i = 0; i < sizeof(pop1); i++)
		cpu_ops_set(ops, 0, pop1[i], CPU_ANY, CPU_ANY, exec_pop_sreg);
	cpu_ops_set(ops, 1, 0xa0, CPU_ANY, CPU_ANY, exec_push_sreg);
	cpu_ops_set(ops, 1, 0xa8, CPU_ANY, CPU_ANY, exec_push_sreg);
	cpu_ops_set(ops, 1, 0xa1, CPU_ANY, CPU_ANY, exec_pop_sreg);
	cpu_ops_set(ops, 1, 0xa9, CPU_ANY, CPU_ANY, exec_pop_sreg);
	cpu_ops_set(ops, 0, 0xc4, CPU_ANY, CPU_ANY, exec_load_far_ptr);
	cpu_ops_set(ops, 0, 0xc5, CPU_ANY, CPU_ANY, exec_load_far_ptr);
	cpu_ops_set(ops, 1, 0xb2, CPU_ANY, CPU_ANY, exec_load_far_ptr);
	cpu_ops_set(ops, 1, 0xb4, CPU_ANY, CPU_ANY, exec_load_far_ptr);
	cpu_ops_set(ops, 1, 0xb5, CPU_ANY, CPU_ANY, exec_load_far_ptr);
}
