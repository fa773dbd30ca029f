/*
 * cpu/exec_stack.c - stack instructions (SDM Vol. 2: PUSH, POP, PUSHF, POPF, PUSHA, POPA,
 * ENTER, LEAVE).
 *
 * rSP changes only after the memory access succeeded, so a fault leaves it as before.
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

/* 50-57 PUSH r. */
static bool exec_push_reg(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_push(cpu, in->opsize, cpu->gpr[in->reg]);
}

/* 58-5F POP r (POP rSP loads the value read). */
static bool exec_pop_reg(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!cpu_pop(cpu, in->opsize, &v))
		return false;
	gpr_write(cpu, in->reg, in->opsize, v);
	return true;
}

/* 68 PUSH imm32 (sign-extended), 6A PUSH imm8. */
static bool exec_push_imm(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_push(cpu, in->opsize, (uint64_t)sext(in->imm, in->imm_size));
}

/* FF /6 PUSH r/m. */
static bool exec_push_rm(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!rm_read(cpu, in, in->opsize, &v))
		return false;
	return cpu_push(cpu, in->opsize, v);
}

/* 8F /0 POP r/m: a memory destination's address uses rSP after the pop (SDM POP). */
static bool exec_pop_rm(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v, sp = cpu->gpr[RSP];
	if (!cpu_stack_peek(cpu, 0, in->opsize, &v))
		return false;
	cpu_stack_adjust(cpu, in->opsize);
	if (!rm_write(cpu, in, in->opsize, v)) {
		cpu->gpr[RSP] = sp;
		return false;
	}
	return true;
}

/* 9C PUSHF: VM and RF read as 0. */
static bool exec_pushf(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_push(cpu, in->opsize, (*cpu_rflags_ptr(cpu)) & ~(RFLAGS_VM | RFLAGS_RF));
}

/*
 * The RFLAGS bits POPF (and IRET to the same level) may change at the current privilege:
 * IOPL only at CPL 0, IF only at CPL <= IOPL; VM, VIP, VIF and RF never (SDM POPF).
 */
static uint64_t popf_mask(const struct cpu *cpu, unsigned opsize)
{
	uint64_t m = RFLAGS_STATUS | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC | RFLAGS_ID;
	unsigned cpl = cpu_cpl(cpu),
		 iopl = (unsigned)((cpu_rflags_control(cpu) & RFLAGS_IOPL) >> 12);
	if (cpl == 0 || !(cpu->mmu->cr0 & CR0_PE))
		m |= RFLAGS_IOPL;
	if (cpl <= iopl || !(cpu->mmu->cr0 & CR0_PE))
		m |= RFLAGS_IF;
	return opsize == 2 ? m & 0xffff : m;
}

/* 9D POPF. */
static bool exec_popf(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v, m = popf_mask(cpu, in->opsize);
	if (!cpu_pop(cpu, in->opsize, &v))
		return false;
	cpu_set_rflags(cpu, ((*cpu_rflags_ptr(cpu)) & ~m) | (v & m));
	return true;
}

/* 60 PUSHA, 61 POPA (legacy modes): the eight registers, rSP as before the instruction. */
static bool exec_pusha(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned os = in->opsize, as = stack_asize(cpu);
	uint64_t sp = cpu->gpr[RSP];
	for (int r = RAX; r <= RDI; r++) {
		uint64_t v = r == RSP ? sp : cpu->gpr[r];
		uint64_t a = (sp - (uint64_t)(r + 1) * os) & size_mask(as);
		if (!cpu_write_mem(cpu, SEG_SS, a, os, v))
			return false;
	}
	gpr_write(cpu, RSP, as, (sp - 8ULL * os) & size_mask(as));
	return true;
}

static bool exec_popa(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned os = in->opsize;
	uint64_t v[8];
	for (int r = RDI; r >= RAX; r--)
		if (!cpu_stack_peek(cpu, (unsigned)(RDI - r) * os, os, &v[r]))
			return false;
	for (int r = RAX; r <= RDI; r++)
		if (r != RSP)
			gpr_write(cpu, (unsigned)r, os, v[r]);
	cpu_stack_adjust(cpu, 8 * os);
	return true;
}

/* C8 ENTER imm16, imm8: a frame with nesting level imm8 mod 32. */
static bool exec_enter(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned os = in->opsize, as = stack_asize(cpu), level = in->imm2 & 31;
	uint64_t sp = cpu->gpr[RSP], bp = cpu->gpr[RBP];
	if (!cpu_push(cpu, os, bp))
		return false;
	uint64_t frame = cpu->gpr[RSP] & size_mask(as);
	for (unsigned i = 1; i < level; i++) {
		uint64_t v, a = (bp - (uint64_t)i * os) & size_mask(as);
		if (!cpu_read_mem(cpu, SEG_SS, a, os, &v) || !cpu_push(cpu, os, v))
			goto fail;
	}
	if (level && !cpu_push(cpu, os, frame))
		goto fail;
	uint64_t nsp = (cpu->gpr[RSP] - (in->imm & 0xffff)) & size_mask(as);
	if (!cpu_probe_write(cpu, SEG_SS, nsp, 1) && (in->imm & 0xffff))
		goto fail;
	gpr_write(cpu, RBP, os, frame);
	gpr_write(cpu, RSP, as, nsp);
	return true;
fail:
	cpu->gpr[RSP] = sp;
	return false;
}

/* C9 LEAVE: rSP = rBP, then POP rBP. */
static bool exec_leave(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned as = stack_asize(cpu);
	uint64_t v, sp = cpu->gpr[RSP];
	gpr_write(cpu, RSP, as, cpu->gpr[RBP] & size_mask(as));
	if (!cpu_pop(cpu, in->opsize, &v)) {
		cpu->gpr[RSP] = sp;
		return false;
	}
	gpr_write(cpu, RBP, in->opsize, v);
	return true;
}

void exec_stack_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	for (unsigned r = 0; r < 8; r++) {
		cpu_ops_set(ops, 0, 0x50 + r, CPU_ANY, CPU_ANY, exec_push_reg);
		cpu_ops_set(ops, 0, 0x58 + r, CPU_ANY, CPU_ANY, exec_pop_reg);
	}
	cpu_ops_set(ops, 0, 0x68, CPU_ANY, CPU_ANY, exec_push_imm);
	cpu_ops_set(ops, 0, 0x6a, CPU_ANY, CPU_ANY, exec_push_imm);
	cpu_ops_set(ops, 0, 0xff, CPU_ANY, 6, exec_push_rm);
	cpu_ops_set(ops, 0, 0x8f, CPU_ANY, 0, exec_pop_rm);
	cpu_ops_set(ops, 0, 0x9c, CPU_ANY, CPU_ANY, exec_pushf);
	cpu_ops_set(ops, 0, 0x9d, CPU_ANY, CPU_ANY, exec_popf);
	cpu_ops_set(ops, 0, 0x60, CPU_ANY, CPU_ANY, exec_pusha);
	cpu_ops_set(ops, 0, 0x61, CPU_ANY, CPU_ANY, exec_popa);
	cpu_ops_set(ops, 0, 0xc8, CPU_ANY, CPU_ANY, exec_enter);
	cpu_ops_set(ops, 0, 0xc9, CPU_ANY, CPU_ANY, exec_leave);
}
