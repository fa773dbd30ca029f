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

/*
 * One MOVS iteration on the MMU's fast path: flat segments (always in 64-bit mode, save
 * an FS or GS source; outside it DS or the override and ES flat: seg_flat32), both
 * accesses naturally aligned and in the fast entries, looked at before either is counted
 * so that a miss leaves nothing done (string_once then does all of it the full way). A
 * store through the fast path never lands in code (the write watch keeps code pages off
 * it). False when it does not do.
 */
static inline bool movs_fast(struct cpu *cpu, unsigned sseg, unsigned as, unsigned size,
			     int64_t d)
{
	struct mmu *m = cpu->mmu;
	uint64_t src = areg(cpu, RSI, as), dst = areg(cpu, RDI, as);
	if (cpu->mode == X86_MODE_64) {
		if (as != 8 || sseg >= SEG_FS)
			return false;
	} else if (as != 4 || !seg_flat32(m, sseg, MMU_READ) || !seg_flat32(m, SEG_ES, MMU_WRITE)) {
		return false;
	}
	struct tlb_fast_entry *fr = mmu_fast_peek(m, src, size, seg_flags(sseg) | MMU_READ);
	struct tlb_fast_entry *fw = mmu_fast_peek(m, dst, size, MMU_WRITE);
	if (fr == NULL || fw == NULL)
		return false;
	mmu_fast_count(m, fr, MMU_READ);
	mmu_fast_count(m, fw, MMU_WRITE);
	uint64_t v = bus_host_load((const void *)(uintptr_t)(src + fr->addend), size);
	cpu_fast_store((void *)(uintptr_t)(dst + fw->addend), v, size);
	areg_add(cpu, RSI, as, d);
	areg_add(cpu, RDI, as, d);
	return true;
}

/* The source segment: DS or the override. */
static inline unsigned string_src_seg(const struct x86_instr *in)
{
	return in->seg != X86_SEG_NONE ? in->seg : SEG_DS;
}

/* What rSI and rDI move by: size bytes, down with DF set. */
static inline int64_t string_step(const struct cpu *cpu, unsigned size)
{
	return (cpu_rflags_control(cpu) & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
}

/* One iteration; false with cpu->fault when an access faulted (nothing committed). */
static bool string_once(struct cpu *cpu, const struct x86_instr *in, unsigned op, unsigned size)
{
	unsigned as = in->addrsize;
	unsigned sseg = string_src_seg(in);
	int64_t d = string_step(cpu, size);
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
	unsigned sseg = string_src_seg(in);
	int64_t d = string_step(cpu, size); /* DF does not change during the repetition */
	for (unsigned n = 0; areg(cpu, RCX, as) != 0; n++) {
		if (n == chunk) {
			cpu->next_rip = insn_rip(cpu, in); /* resume at the next step */
			cpu->rip_redirect = true; /* which is not the block's next entry */
			return true;
		}
		if (!(op == STR_MOVS && movs_fast(cpu, sseg, as, size, d)) &&
		    !string_once(cpu, in, op, size))
			return false;
		areg_add(cpu, RCX, as, -1);
		if (cond && cpu_cond_now(cpu, 4) != want_zf) /* ZF */
			break;
	}
	return true;
}

/* MOVS without REP, operand size size, address size as (the mode's own): the fast path,
 * else the general handler. */
static inline __attribute__((always_inline)) bool movs_once(struct cpu *cpu,
							    const struct x86_instr *in,
							    unsigned size, unsigned as)
{
	if (movs_fast(cpu, string_src_seg(in), as, size, string_step(cpu, size)))
		return true;
	return exec_string(cpu, in);
}

#define MOVS_FN(size, as)                                                                    \
	static bool movs_##size##_##as(struct cpu *cpu, const struct x86_instr *in)          \
	{                                                                                    \
		return movs_once(cpu, in, size, as);                                         \
	}
MOVS_FN(1, 4)
MOVS_FN(2, 4)
MOVS_FN(4, 4)
MOVS_FN(1, 8)
MOVS_FN(2, 8)
MOVS_FN(4, 8)
MOVS_FN(8, 8)

cpu_exec_fn cpu_string_specialise(const struct x86_instr *in)
{
	static const cpu_exec_fn fns[2][4] = {{movs_1_4, movs_2_4, movs_4_4, NULL},
					      {movs_1_8, movs_2_8, movs_4_8, movs_8_8}};
	unsigned as = in->mode == X86_MODE_64 ? 8 : 4, size = in->opcode == 0xa4 ? 1 : in->opsize;
	if (in->map != 0 || (in->opcode != 0xa4 && in->opcode != 0xa5) || in->addrsize != as ||
	    (in->prefixes & (X86_PFX_REP | X86_PFX_REPNE)) || in->mode == X86_MODE_16)
		return NULL;
	return fns[as == 8][size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3];
}

void exec_string_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	for (unsigned o = 0xa4; o <= 0xaf; o++)
		if (o != 0xa8 && o != 0xa9)
			cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_string);
	for (unsigned o = 0x6c; o <= 0x6f; o++)
		cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_string);
}
