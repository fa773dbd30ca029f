/*
 * cpu/exec_string.c - string instructions (SDM Vol. 2: MOVS, CMPS, STOS, LODS, SCAS,
 * INS/OUTS with no device behind any port, and the REP/REPE/REPNE prefixes).
 *
 * A repeated instruction runs its iterations one by one; each iteration commits rSI, rDI
 * and rCX before the next starts. A fault in iteration k therefore leaves the registers
 * as after k-1 iterations with RIP at the instruction: restarting it (after the kernel
 * has handled the fault) continues where it stopped, as on hardware (SDM Vol. 1, 7.3.9.1).
 * Long repetitions are cut into chunks of STRING_CHUNK iterations, each a retired
 * instruction for the virtual clock, so that a huge REP cannot stall the machine. Under
 * EFLAGS.TF a chunk is one iteration: the single-step trap comes after every iteration
 * (SDM Vol. 3, 18.3.1.4), with RIP still at the instruction until the last.
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

#define STRING_CHUNK 65536

enum str_op { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS };

/* rSI/rDI/rCX as the address size sees them, and their updates. */
static inline uint64_t areg(const struct cpu *cpu, unsigned r, unsigned as)
{
	return cpu->gpr[r] & size_mask(as);
}

static inline void areg_add(struct cpu *cpu, unsigned r, unsigned as, int64_t d)
{
	gpr_write(cpu, r, as, (cpu->gpr[r] + (uint64_t)d) & size_mask(as));
}

/* One iteration; false with cpu->fault when an access faulted (nothing committed). */
static bool string_once(struct cpu *cpu, const struct x86_instr *in, unsigned op, unsigned size)
{
	unsigned as = in->addrsize;
	unsigned sseg = in->seg != X86_SEG_NONE ? in->seg : SEG_DS;
	int64_t d = (cpu_rflags_control(cpu) & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
	uint64_t a, b;
	switch (op) {
	case STR_MOVS:
		if (!cpu_read_mem(cpu, sseg, areg(cpu, RSI, as), size, &a) ||
		    !cpu_write_mem(cpu, SEG_ES, areg(cpu, RDI, as), size, a))
			return false;
		areg_add(cpu, RSI, as, d);
		areg_add(cpu, RDI, as, d);
		return true;
	case STR_CMPS:
		if (!cpu_read_mem(cpu, sseg, areg(cpu, RSI, as), size, &a) ||
		    !cpu_read_mem(cpu, SEG_ES, areg(cpu, RDI, as), size, &b))
			return false;
		alu_sub(cpu, a, b, 0, size);
		areg_add(cpu, RSI, as, d);
		areg_add(cpu, RDI, as, d);
		return true;
	case STR_STOS:
		if (!cpu_write_mem(cpu, SEG_ES, areg(cpu, RDI, as), size, cpu->gpr[RAX]))
			return false;
		areg_add(cpu, RDI, as, d);
		return true;
	case STR_LODS:
		if (!cpu_read_mem(cpu, sseg, areg(cpu, RSI, as), size, &a))
			return false;
		reg_write(cpu, in, RAX, size, a);
		areg_add(cpu, RSI, as, d);
		return true;
	case STR_SCAS:
		if (!cpu_read_mem(cpu, SEG_ES, areg(cpu, RDI, as), size, &b))
			return false;
		alu_sub(cpu, cpu->gpr[RAX], b, 0, size);
		areg_add(cpu, RDI, as, d);
		return true;
	case STR_INS: /* no device answers: all ones */
		if (!cpu_write_mem(cpu, SEG_ES, areg(cpu, RDI, as), size, ~0ULL))
			return false;
		areg_add(cpu, RDI, as, d);
		return true;
	default: /* OUTS: the read happens, the write goes nowhere */
		if (!cpu_read_mem(cpu, sseg, areg(cpu, RSI, as), size, &a))
			return false;
		areg_add(cpu, RSI, as, d);
		return true;
	}
}

static unsigned string_op(uint8_t opcode)
{
	switch (opcode & ~1u) {
	case 0x6c:
		return STR_INS;
	case 0x6e:
		return STR_OUTS;
	case 0xa4:
		return STR_MOVS;
	case 0xa6:
		return STR_CMPS;
	case 0xaa:
		return STR_STOS;
	case 0xac:
		return STR_LODS;
	default:
		return STR_SCAS;
	}
}

static bool exec_string(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned op = string_op(in->opcode), size = (in->opcode & 1) ? in->opsize : 1;
	unsigned as = in->addrsize;
	if (op >= STR_INS) {
		/* I/O: CPL <= IOPL (the TSS permission bitmap is not modelled); 16 or 32 bits. */
		unsigned iopl = (unsigned)((cpu_rflags_control(cpu) & RFLAGS_IOPL) >> 12);
		if ((cpu->mmu->cr0 & CR0_PE) && cpu_cpl(cpu) > iopl)
			return cpu_gp(cpu, 0);
		if (size == 8)
			size = 4;
	}
	bool rep = in->prefixes & (X86_PFX_REP | X86_PFX_REPNE);
	if (!rep)
		return string_once(cpu, in, op, size);
	bool cond = op == STR_CMPS || op == STR_SCAS;
	bool want_zf = in->prefixes & X86_PFX_REP; /* REPE: go on while equal */
	unsigned chunk = (cpu_rflags_control(cpu) & RFLAGS_TF) ? 1 : STRING_CHUNK;
	for (unsigned n = 0; areg(cpu, RCX, as) != 0; n++) {
		if (n == chunk) {
			cpu->next_rip = insn_rip(cpu, in); /* resume at the next step */
			cpu->rip_redirect = true; /* which is not the block's next entry */
			return true;
		}
		if (!string_once(cpu, in, op, size))
			return false;
		areg_add(cpu, RCX, as, -1);
		if (cond && cpu_cond_now(cpu, 4) != want_zf) /* ZF */
			break;
	}
	return true;
}

void exec_string_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	for (unsigned o = 0xa4; o <= 0xaf; o++)
		if (o != 0xa8 && o != 0xa9)
			cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_string);
	for (unsigned o = 0x6c; o <= 0x6f; o++)
		cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_string);
}
