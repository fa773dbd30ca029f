/*
 * cpu/exec_ctrl.c - control transfers (SDM Vol. 2: Jcc, JMP, CALL, RET, LOOP/LOOPcc,
 * JrCXZ, far JMP/CALL/RET through code-segment descriptors, INT n, INT3, INTO, INT1,
 * IRET, HLT).
 *
 * Near transfers check the target before anything is written: the CS limit outside
 * 64-bit mode, canonicality in 64-bit mode (#GP(0) at the branch, RIP unchanged). Far transfers
 * load CS through the segmentation unit (mmu/seg.h), which applies the privilege rules; a
 * selector that names a system descriptor goes to cpu/call_gate.c (call gates) and from
 * there to cpu/task.c (task switches, legacy mode only).
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

static inline uint64_t rel_target(const struct cpu *cpu, const struct x86_instr *in)
{
	return cpu->next_rip + (uint64_t)sext(in->imm, in->imm_size);
}

/* 70-7F Jcc rel8, 0F 80-8F Jcc rel32. */
static bool exec_jcc(struct cpu *cpu, const struct x86_instr *in)
{
	if (!cpu_cond_now(cpu, in->opcode & 15))
		return true;
	return cpu_branch(cpu, rel_target(cpu, in), in->opsize);
}

/* Jcc inside a grown block: as exec_jcc, and a taken branch leaves the block. Also where
 * the fast forms below go when their own path does not do. */
static __attribute__((noinline)) bool jcc_side_exit_any(struct cpu *cpu, const struct x86_instr *in)
{
	if (!cpu_cond_now(cpu, in->opcode & 15))
		return true;
	if (!cpu_branch(cpu, rel_target(cpu, in), in->opsize))
		return false;
	cpu->side_exit = true;
	return true;
}

/* Jcc inside a grown block, condition cc (a constant, so that the lazy flags' test for it
 * is inlined): no stack frame on the paths taken when the record (or RFLAGS, when current)
 * decides the condition and, if taken, the target is a canonical one of 64-bit code or
 * one within the CS limit of 32-bit code (operand size 4: wraps at 4 GiB). */
static inline __attribute__((always_inline)) bool jcc_side_exit(struct cpu *cpu,
								const struct x86_instr *in,
								unsigned cc)
{
	int v = likely(cpu->lf_op != LF_NONE)
		    ? lazy_cond(cpu->lf_op, cpu->lf_a, cpu->lf_b, cpu->lf_r, cpu->lf_cfof, cc)
		    : cpu_cond(cpu->rflags, cc);
	if (v == 0)
		return true;
	if (unlikely(v < 0))
		return jcc_side_exit_any(cpu, in);
	/* operand size 4 or 8: the displacement is 1 or 4 bytes */
	int64_t d = in->imm_size == 1 ? (int64_t)(int8_t)in->imm : (int64_t)(int32_t)in->imm;
	uint64_t t = cpu->next_rip + (uint64_t)d;
	if (cpu->mode == X86_MODE_64 && in->opsize == 8) {
		if (unlikely(!canonical48(t)))
			return jcc_side_exit_any(cpu, in);
	} else if (cpu->mode == X86_MODE_32 && in->opsize == 4) {
		t = (uint32_t)t;
		if (unlikely(t > cpu->mmu->seg.sreg[SEG_CS].limit))
			return jcc_side_exit_any(cpu, in);
	} else {
		return jcc_side_exit_any(cpu, in);
	}
	cpu->next_rip = t;
	cpu->side_exit = true;
	return true;
}

#define JCC_SIDE_EXIT_FN(cc)                                                                 \
	static bool jcc_side_exit_##cc(struct cpu *cpu, const struct x86_instr *in)          \
	{                                                                                    \
		return jcc_side_exit(cpu, in, cc);                                           \
	}
JCC_SIDE_EXIT_FN(0)
JCC_SIDE_EXIT_FN(1)
JCC_SIDE_EXIT_FN(2)
JCC_SIDE_EXIT_FN(3)
JCC_SIDE_EXIT_FN(4)
JCC_SIDE_EXIT_FN(5)
JCC_SIDE_EXIT_FN(6)
JCC_SIDE_EXIT_FN(7)
JCC_SIDE_EXIT_FN(8)
JCC_SIDE_EXIT_FN(9)
JCC_SIDE_EXIT_FN(10)
JCC_SIDE_EXIT_FN(11)
JCC_SIDE_EXIT_FN(12)
JCC_SIDE_EXIT_FN(13)
JCC_SIDE_EXIT_FN(14)
JCC_SIDE_EXIT_FN(15)

const cpu_exec_fn cpu_jcc_side_exit[16] = {
    jcc_side_exit_0,  jcc_side_exit_1,	jcc_side_exit_2,  jcc_side_exit_3,
    jcc_side_exit_4,  jcc_side_exit_5,	jcc_side_exit_6,  jcc_side_exit_7,
    jcc_side_exit_8,  jcc_side_exit_9,	jcc_side_exit_10, jcc_side_exit_11,
    jcc_side_exit_12, jcc_side_exit_13, jcc_side_exit_14, jcc_side_exit_15};

/* EB JMP rel8, E9 JMP rel32. */
static bool exec_jmp_rel(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_branch(cpu, rel_target(cpu, in), in->opsize);
}

/* FF /4 JMP r/m. */
static bool exec_jmp_ind(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t;
	if (!rm_read(cpu, in, in->opsize, &t))
		return false;
	return cpu_branch(cpu, t, in->opsize);
}

/* Pushes the return address and jumps to target. */
static bool near_call(struct cpu *cpu, uint64_t target, unsigned opsize)
{
	uint64_t ret = cpu->next_rip;
	if (!cpu_branch(cpu, target, opsize))
		return false;
	return cpu_push(cpu, opsize, ret);
}

/* E8 CALL rel32. */
static bool exec_call_rel(struct cpu *cpu, const struct x86_instr *in)
{
	return near_call(cpu, rel_target(cpu, in), in->opsize);
}

/* FF /2 CALL r/m. */
static bool exec_call_ind(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t;
	if (!rm_read(cpu, in, in->opsize, &t))
		return false;
	return near_call(cpu, t, in->opsize);
}

/* C3 RET, C2 RET imm16. */
static bool exec_ret(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t t;
	if (!cpu_stack_peek(cpu, 0, in->opsize, &t) || !cpu_branch(cpu, t, in->opsize))
		return false;
	cpu_stack_adjust(cpu, in->opsize + (in->opcode == 0xc2 ? (int64_t)(in->imm & 0xffff) : 0));
	return true;
}

/* E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JrCXZ: the counter is rCX by the address size. */
static bool exec_loop(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned as = in->addrsize;
	uint64_t c = cpu->gpr[RCX] & size_mask(as);
	bool take;
	if (in->opcode == 0xe3) {
		take = c == 0;
	} else {
		c = (c - 1) & size_mask(as);
		take = c != 0;
		if (in->opcode == 0xe0)
			take = take && !cpu_cond_now(cpu, 4); /* ZF */
		else if (in->opcode == 0xe1)
			take = take && cpu_cond_now(cpu, 4);
	}
	if (take) {
		uint64_t saved = cpu->next_rip;
		if (!cpu_branch(cpu, rel_target(cpu, in), in->opsize)) {
			cpu->next_rip = saved;
			return false;
		}
	}
	if (in->opcode != 0xe3)
		gpr_write(cpu, RCX, as, c);
	return true;
}

/* ---- far transfers ---- */

struct cs_save {
	struct seg_cache cs;
	uint8_t mode;
};

static void cs_save(const struct cpu *cpu, struct cs_save *s)
{
	s->cs = cpu->mmu->seg.sreg[SEG_CS];
	s->mode = cpu->mode;
}

static bool cs_restore(struct cpu *cpu, const struct cs_save *s)
{
	cpu->mmu->seg.sreg[SEG_CS] = s->cs;
	cpu->mode = s->mode;
	return false;
}

/* Loads CS:target for a far JMP/CALL at the current privilege. */
static bool far_load(struct cpu *cpu, uint16_t sel, uint64_t target, unsigned opsize)
{
	if (!(cpu->mmu->cr0 & CR0_PE)) {
		struct seg_cache c = cpu->mmu->seg.sreg[SEG_CS];
		c.selector = sel;
		c.base = (uint64_t)sel << 4;
		seg_set_cache(cpu->mmu, SEG_CS, &c);
	} else if (!seg_load_cs_far(cpu->mmu, sel, &cpu->fault)) {
		return false;
	}
	cpu_update_mode(cpu);
	return cpu_branch(cpu, target, cpu->mode == X86_MODE_64 ? 8 : opsize);
}

/* The far pointer of EA/9A (ptr16:16/32) or of a memory m16:16/32/64 operand. */
static bool far_pointer(struct cpu *cpu, const struct x86_instr *in, uint16_t *sel, uint64_t *off)
{
	uint64_t s;
	if (in->mod != 3 && (in->flags & X86_INSN_MODRM)) {
		unsigned seg = insn_seg(in);
		uint64_t ea = cpu_ea(cpu, in);
		if (!cpu_read_mem(cpu, seg, ea, in->opsize, off) ||
		    !cpu_read_mem(cpu, seg, (ea + in->opsize) & size_mask(in->addrsize), 2, &s))
			return false;
		*sel = (uint16_t)s;
		return true;
	}
	*off = in->imm;
	*sel = (uint16_t)in->imm2;
	return true;
}

/* Does sel name a system descriptor (a gate or a TSS) in protected mode? Its first
 * quadword goes to *lo for cpu_far_through_gate. false with a fault when the descriptor
 * cannot be read (#GP(sel) beyond the table, as for a code segment). */
static bool names_system_desc(struct cpu *cpu, uint16_t sel, bool *sys, uint64_t *lo)
{
	uint64_t hi;
	*sys = false;
	if (!(cpu->mmu->cr0 & CR0_PE) || (sel & 0xfffc) == 0)
		return true;
	if (!cpu_read_descriptor_raw(cpu, sel, false, lo, &hi))
		return false;
	*sys = !((*lo >> 44) & 1);
	return true;
}

/* EA JMP ptr16:16/32, FF /5 JMP m16:16/32/64. */
static bool exec_jmp_far(struct cpu *cpu, const struct x86_instr *in)
{
	uint16_t sel;
	uint64_t off, desc;
	struct cs_save s;
	bool sys;
	if (!far_pointer(cpu, in, &sel, &off) || !names_system_desc(cpu, sel, &sys, &desc))
		return false;
	if (sys)
		return cpu_far_through_gate(cpu, sel, desc, false);
	cs_save(cpu, &s);
	if (!far_load(cpu, sel, off, in->opsize))
		return cs_restore(cpu, &s);
	return true;
}

/* 9A CALL ptr16:16/32, FF /3 CALL m16:16/32/64: pushes CS and the return offset. */
static bool exec_call_far(struct cpu *cpu, const struct x86_instr *in)
{
	uint16_t sel, old_cs = cpu->mmu->seg.sreg[SEG_CS].selector;
	uint64_t off, desc, ret = cpu->next_rip, sp = cpu->gpr[RSP];
	unsigned os = in->opsize;
	struct cs_save s;
	bool sys;
	if (!far_pointer(cpu, in, &sel, &off) || !names_system_desc(cpu, sel, &sys, &desc))
		return false;
	if (sys)
		return cpu_far_through_gate(cpu, sel, desc, true);
	cs_save(cpu, &s);
	if (!far_load(cpu, sel, off, os))
		return cs_restore(cpu, &s);
	if (!cpu_push(cpu, os, old_cs) || !cpu_push(cpu, os, ret)) {
		cpu->gpr[RSP] = sp;
		return cs_restore(cpu, &s);
	}
	return true;
}

/* CB RETF, CA RETF imm16: same or outer privilege (SS:rSP popped then). */
static bool exec_ret_far(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned os = in->opsize, imm = in->opcode == 0xca ? (unsigned)(in->imm & 0xffff) : 0;
	uint64_t rip, cs, sp = 0, ss = 0;
	struct cs_save s;
	struct seg_cache old_ss = cpu->mmu->seg.sreg[SEG_SS];
	unsigned old_cpl = cpu_cpl(cpu);
	if (!cpu_stack_peek(cpu, 0, os, &rip) || !cpu_stack_peek(cpu, os, os, &cs))
		return false;
	bool outer = (cs & 3) > old_cpl && (cpu->mmu->cr0 & CR0_PE);
	if (outer && (!cpu_stack_peek(cpu, 2 * os + imm, os, &sp) ||
		      !cpu_stack_peek(cpu, 3 * os + imm, os, &ss)))
		return false;
	cs_save(cpu, &s);
	if (!(cpu->mmu->cr0 & CR0_PE)) {
		if (!far_load(cpu, (uint16_t)cs, rip, os))
			return cs_restore(cpu, &s);
	} else {
		if (!seg_load_cs_ret(cpu->mmu, (uint16_t)cs, (uint16_t)ss, &cpu->fault))
			return cs_restore(cpu, &s);
		cpu_update_mode(cpu);
		if (!cpu_branch(cpu, rip, cpu->mode == X86_MODE_64 ? 8 : os)) {
			cpu->mmu->seg.sreg[SEG_SS] = old_ss;
			mmu_set_cpl(cpu->mmu, old_cpl);
			return cs_restore(cpu, &s);
		}
	}
	if (outer)
		gpr_write(cpu, RSP, stack_asize(cpu), sp + imm);
	else
		cpu_stack_adjust(cpu, 2 * os + imm);
	return true;
}

/* ---- software interrupts ---- */

/* Delivers vec as a software interrupt returning to the next instruction. */
static bool soft_int(struct cpu *cpu, uint8_t vec, bool check_dpl)
{
	if (cpu->stop_on_fault)
		return cpu_fault(cpu, vec, false, 0);
	/* A fault while delivering (gate DPL, not present, ...) belongs to the INT
	 * instruction: it is reported with RIP at the INT. */
	return cpu_deliver_soft(cpu, vec, cpu->next_rip, check_dpl);
}

/* CD INT n (INT 0x80 is the i386 system call). */
static bool exec_int(struct cpu *cpu, const struct x86_instr *in)
{
	return soft_int(cpu, (uint8_t)in->imm, true);
}

/* CC INT3. */
static bool exec_int3(struct cpu *cpu, const struct x86_instr *in)
{
	return soft_int(cpu, X86_VEC_BP, true);
}

/* CE INTO (legacy modes): #OF when OF is set. */
static bool exec_into(struct cpu *cpu, const struct x86_instr *in)
{
	if (!cpu_cond_now(cpu, 0)) /* OF */
		return true;
	return soft_int(cpu, X86_VEC_OF, true);
}

/* F1 INT1 (ICEBP): #DB as a trap, without the gate DPL check. */
static bool exec_int1(struct cpu *cpu, const struct x86_instr *in)
{
	return soft_int(cpu, X86_VEC_DB, false);
}

/* 62 BOUND r, m16&16/m32&32 (legacy modes): #BR when the signed index is below the lower
 * or above the upper bound; a fault, RIP stays at the BOUND. */
static bool exec_bound(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = in->opsize, seg = insn_seg(in);
	uint64_t ea = cpu_ea(cpu, in), lo, hi;
	if (!cpu_read_mem(cpu, seg, ea, size, &lo) ||
	    !cpu_read_mem(cpu, seg, (ea + size) & size_mask(in->addrsize), size, &hi))
		return false;
	int64_t idx = sext(cpu->gpr[in->reg], size);
	if (idx < sext(lo, size) || idx > sext(hi, size))
		return cpu_fault(cpu, X86_VEC_BR, false, 0);
	return true;
}

/* CF IRET/IRETD/IRETQ. */
static bool exec_iret(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_iret(cpu, in->opsize);
}

/* F4 HLT: privileged. */
static bool exec_hlt(struct cpu *cpu, const struct x86_instr *in)
{
	if (cpu_cpl(cpu) != 0)
		return cpu_gp(cpu, 0);
	cpu->halted = true;
	cpu->exit_request = CPU_EXIT_HLT + 1;
	return true;
}

void exec_ctrl_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	for (unsigned cc = 0; cc < 16; cc++) {
		cpu_ops_set(ops, 0, 0x70 + cc, CPU_ANY, CPU_ANY, exec_jcc);
		cpu_ops_set(ops, 1, 0x80 + cc, CPU_ANY, CPU_ANY, exec_jcc);
	}
	cpu_ops_set(ops, 0, 0xeb, CPU_ANY, CPU_ANY, exec_jmp_rel);
	cpu_ops_set(ops, 0, 0xe9, CPU_ANY, CPU_ANY, exec_jmp_rel);
	cpu_ops_set(ops, 0, 0xe8, CPU_ANY, CPU_ANY, exec_call_rel);
	cpu_ops_set(ops, 0, 0xff, CPU_ANY, 2, exec_call_ind);
	cpu_ops_set(ops, 0, 0xff, CPU_ANY, 3, exec_call_far);
	cpu_ops_set(ops, 0, 0xff, CPU_ANY, 4, exec_jmp_ind);
	cpu_ops_set(ops, 0, 0xff, CPU_ANY, 5, exec_jmp_far);
	cpu_ops_set(ops, 0, 0xea, CPU_ANY, CPU_ANY, exec_jmp_far);
	cpu_ops_set(ops, 0, 0x9a, CPU_ANY, CPU_ANY, exec_call_far);
	cpu_ops_set(ops, 0, 0xc2, CPU_ANY, CPU_ANY, exec_ret);
	cpu_ops_set(ops, 0, 0xc3, CPU_ANY, CPU_ANY, exec_ret);
	cpu_ops_set(ops, 0, 0xca, CPU_ANY, CPU_ANY, exec_ret_far);
	cpu_ops_set(ops, 0, 0xcb, CPU_ANY, CPU_ANY, exec_ret_far);
	for (unsigned o = 0xe0; o <= 0xe3; o++)
		cpu_ops_set(ops, 0, o, CPU_ANY, CPU_ANY, exec_loop);
	cpu_ops_set(ops, 0, 0xcd, CPU_ANY, CPU_ANY, exec_int);
	cpu_ops_set(ops, 0, 0xcc, CPU_ANY, CPU_ANY, exec_int3);
	cpu_ops_set(ops, 0, 0xce, CPU_ANY, CPU_ANY, exec_into);
	cpu_ops_set(ops, 0, 0xf1, CPU_ANY, CPU_ANY, exec_int1);
	cpu_ops_set(ops, 0, 0xcf, CPU_ANY, CPU_ANY, exec_iret);
	cpu_ops_set(ops, 0, 0x62, CPU_ANY, CPU_ANY, exec_bound);
	cpu_ops_set(ops, 0, 0xf4, CPU_ANY, CPU_ANY, exec_hlt);
}
