/*
 * cpu/exec_bit.c - bit instructions (SDM Vol. 2: BT, BTS, BTR, BTC, BSF, BSR, LZCNT,
 * POPCNT; TZCNT is BMI1, which this model does not advertise: F3 0F BC executes as BSF,
 * as on processors without BMI1).
 *
 * BT* with a register bit offset and a memory operand address a bit string: the offset
 * is signed and may reach outside the operand (SDM BT, "Bit Base and Bit Offset").
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

/* The bit operation by opcode: A3 BT, AB BTS, B3 BTR, BB BTC; BA /4../7. */
static enum x86_bit_op bt_kind(const struct x86_instr *in)
{
	if (in->opcode == 0xba)
		return (enum x86_bit_op)(((in->modrm >> 3) & 7) - 4);
	return (enum x86_bit_op)((in->opcode >> 3) & 3);
}

static bool exec_bt(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = in->opsize, bits = size * 8;
	enum x86_bit_op op = bt_kind(in);
	int64_t off;
	uint64_t v;
	if (in->opcode == 0xba)
		off = (int64_t)(in->imm & (bits - 1));
	else
		off = sext(reg_read(cpu, in, in->reg, size), size);
	if (in->mod == 3) {
		v = alu_bit(op, size, reg_read(cpu, in, in->rm, size), (uint64_t)off,
			    cpu_rflags_ptr(cpu));
		if (op != BIT_BT)
			reg_write(cpu, in, in->rm, size, v);
		return true;
	}
	/* Memory: the operand-sized word that holds the bit. */
	int64_t word = off >> (size == 2 ? 4 : size == 4 ? 5 : 6);
	unsigned bit = (unsigned)(off & (bits - 1));
	uint64_t ea =
	    (cpu_ea(cpu, in) + (uint64_t)(word * (int64_t)size)) & size_mask(in->addrsize);
	unsigned seg = insn_seg(in);
	uint64_t old = (*cpu_rflags_ptr(cpu));
	if (!cpu_read_mem(cpu, seg, ea, size, &v))
		return false;
	v = alu_bit(op, size, v, bit, cpu_rflags_ptr(cpu));
	if (op != BIT_BT && !cpu_write_mem(cpu, seg, ea, size, v)) {
		(*cpu_rflags_ptr(cpu)) = old;
		return false;
	}
	return true;
}

/* 0F BC BSF, 0F BD BSR (cpu/alu.c): a zero source sets ZF and leaves the destination
 * untouched, upper half included. */
static bool exec_bsf_bsr(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = in->opsize;
	uint64_t v, d = cpu->gpr[in->reg] & size_mask(size);
	if (!rm_read(cpu, in, size, &v))
		return false;
	d = in->opcode == 0xbc ? alu_bsf(size, d, v, cpu_rflags_ptr(cpu))
			       : alu_bsr(size, d, v, cpu_rflags_ptr(cpu));
	if (v != 0)
		gpr_write(cpu, in->reg, size, d);
	return true;
}

/* F3 0F BD LZCNT: CF = source was 0, ZF = result is 0. */
static bool exec_lzcnt(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = in->opsize, bits = size * 8;
	uint64_t v, r;
	if (!rm_read(cpu, in, size, &v))
		return false;
	r = v == 0 ? bits : (unsigned)__builtin_clzll(v) - (64 - bits);
	gpr_write(cpu, in->reg, size, r);
	/* SF, AF and PF are undefined: cleared on this host; OF is kept. */
	set_flags_mask(cpu, RFLAGS_STATUS & ~RFLAGS_OF,
		       (v == 0 ? RFLAGS_CF : 0) | (r == 0 ? RFLAGS_ZF : 0));
	return true;
}

/* F3 0F B8 POPCNT: ZF = source was 0, the other status flags cleared. */
static bool exec_popcnt(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!rm_read(cpu, in, in->opsize, &v))
		return false;
	gpr_write(cpu, in->reg, in->opsize, (uint64_t)__builtin_popcountll(v));
	set_status(cpu, v == 0 ? RFLAGS_ZF : 0);
	return true;
}

void exec_bit_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	cpu_ops_set(ops, 1, 0xa3, CPU_ANY, CPU_ANY, exec_bt);
	cpu_ops_set(ops, 1, 0xab, CPU_ANY, CPU_ANY, exec_bt);
	cpu_ops_set(ops, 1, 0xb3, CPU_ANY, CPU_ANY, exec_bt);
	cpu_ops_set(ops, 1, 0xbb, CPU_ANY, CPU_ANY, exec_bt);
	for (int reg = 4; reg < 8; reg++)
		cpu_ops_set(ops, 1, 0xba, CPU_ANY, reg, exec_bt);
	cpu_ops_set(ops, 1, 0xbc, CPU_ANY, CPU_ANY, exec_bsf_bsr);
	cpu_ops_set(ops, 1, 0xbd, CPU_ANY, CPU_ANY, exec_bsf_bsr);
	cpu_ops_set(ops, 1, 0xbd, 2, CPU_ANY, exec_lzcnt);
	cpu_ops_set(ops, 1, 0xb8, 2, CPU_ANY, exec_popcnt);
	feat->leaf1_ecx |= 1u << 23; /* POPCNT */
	feat->ext1_ecx |= 1u << 5;   /* ABM: LZCNT */
}
