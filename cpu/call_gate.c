/*
 * cpu/call_gate.c - far JMP and CALL through call gates (SDM Vol. 2, CALL and JMP,
 * their "CALL-GATE" parts; Vol. 3, 5.8.2-5.8.6 "Calling Procedures Using Call Gates").
 *
 * A far JMP or CALL whose selector names a system descriptor comes here. A call gate
 * names a code segment and an entry point; the gate's DPL says who may use it, the target
 * segment's DPL the privilege the code runs at:
 *
 *   - JMP never changes privilege: the target must be conforming with DPL <= CPL, or
 *     non-conforming with DPL == CPL.
 *   - CALL to a non-conforming segment of DPL < CPL goes inward: the stack of the new
 *     privilege comes from the TSS, and the caller's SS and rSP are pushed there, then (in
 *     legacy mode) the gate's parameter count of entries copied from the old stack, then
 *     CS and the return address. Otherwise CS and the return address go on the current
 *     stack.
 *
 * Legacy protected mode: 8-byte gates, 32-bit (type 0xC) or 16-bit (type 0x4), pushing
 * entries of their own width; the new stack is SSn:ESPn of the 32-bit (or 16-bit) TSS.
 * IA-32e mode: 16-byte 64-bit gates (type 0xC; the upper half's type field must be 0),
 * a 64-bit target code segment, 8-byte entries whatever the caller's mode, RSPn of the
 * 64-bit TSS with a null SS (RPL = the new CPL), no parameters copied.
 *
 * TSS descriptors and task gates go to cpu/task.c in legacy mode (task switches) and are
 * #GP(selector) in IA-32e mode. The return from a call gate is RETF (cpu/exec_ctrl.c),
 * which handles returns to an outer level.
 */
#include "cpu/cpu_internal.h"

#define GATE_CALL16 0x4u
#define GATE_CALL 0xcu

/* A call gate, decoded. */
struct call_gate {
	uint16_t sel;	    /* the gate's own selector */
	uint16_t target;    /* code segment selector */
	uint64_t offset;    /* entry point */
	unsigned size;	    /* bytes per pushed entry: 2, 4 or 8 */
	unsigned nparams;   /* legacy: entries copied from the caller's stack */
	unsigned dpl;
	bool p;
};

static uint32_t sel_err(uint16_t sel)
{
	return sel & 0xfffcu;
}

/* Checks the gate at sel, whose first quadword is lo (IA-32e mode reads the second): a
 * call gate of this mode, DPL >= CPL and >= RPL, present. */
static bool read_call_gate(struct cpu *cpu, uint16_t sel, uint64_t lo, struct call_gate *g)
{
	bool lm = cpu->mmu->efer & EFER_LMA;
	uint64_t hi = 0;
	unsigned type = (lo >> 40) & 0xf;
	bool call = type == GATE_CALL || (!lm && type == GATE_CALL16);
	if (call && lm && !cpu_read_descriptor_hi(cpu, sel, &hi))
		return false;
	if (!call || (lm && ((hi >> 40) & 0x1f) != 0))
		return cpu_gp(cpu, sel_err(sel)); /* IA-32e mode's task gates and TSSs too */
	g->sel = sel;
	g->dpl = (lo >> 45) & 3;
	g->p = (lo >> 47) & 1;
	g->target = (uint16_t)(lo >> 16);
	g->offset = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ULL);
	if (lm)
		g->offset |= (hi & 0xffffffffULL) << 32;
	g->size = lm ? 8 : type == GATE_CALL ? 4 : 2;
	if (g->size == 2)
		g->offset &= 0xffff;
	g->nparams = lm ? 0 : (unsigned)(lo >> 32) & 0x1f;
	unsigned cpl = cpu_cpl(cpu);
	if (g->dpl < cpl || g->dpl < (sel & 3u))
		return cpu_gp(cpu, sel_err(sel));
	if (!g->p)
		return cpu_fault(cpu, X86_VEC_NP, true, sel_err(sel));
	return true;
}

/* The gate's code segment: present code with DPL <= CPL (64-bit code in IA-32e mode); for
 * a JMP also no privilege change. */
static bool gate_target(struct cpu *cpu, const struct call_gate *g, bool call,
			struct seg_cache *cs)
{
	if (sel_err(g->target) == 0)
		return cpu_gp(cpu, 0);
	if (!cpu_read_descriptor(cpu, g->target, false, cs))
		return false;
	unsigned cpl = cpu_cpl(cpu);
	bool lm = cpu->mmu->efer & EFER_LMA;
	bool conforming = cs->type & SEG_TYPE_C;
	if (!cs->s || !(cs->type & SEG_TYPE_CODE) || cs->dpl > cpl || (lm && (!cs->l || cs->db)) ||
	    (!call && !conforming && cs->dpl != cpl))
		return cpu_gp(cpu, sel_err(g->target));
	if (!cs->p)
		return cpu_fault(cpu, X86_VEC_NP, true, sel_err(g->target));
	return true;
}

/* Reads the inner stack for privilege cpl from the TSS and loads SS and rSP with it. */
static bool load_inner_stack(struct cpu *cpu, unsigned cpl)
{
	struct mmu *m = cpu->mmu;
	uint64_t sp, ss;
	if (m->efer & EFER_LMA) {
		if (!cpu_tss_read(cpu, 4 + 8 * cpl, 8, &sp))
			return false;
		if (!mmu_canonical(m, sp))
			return cpu_fault(cpu, X86_VEC_SS, true, 0);
		struct seg_cache null_ss = {.selector = (uint16_t)cpl, .dpl = (uint8_t)cpl};
		mmu_set_cpl(m, cpl);
		seg_set_cache(m, SEG_SS, &null_ss);
		cpu->gpr[RSP] = sp;
		return true;
	}
	bool tss16 = (m->seg.tr.type & ~2u) == SEG_SYS_TSS16_AVAIL;
	unsigned sp_off = tss16 ? 2 + 4 * cpl : 4 + 8 * cpl, ss_off = tss16 ? 4 + 4 * cpl : 8 + 8 * cpl;
	if (!cpu_tss_read(cpu, sp_off, tss16 ? 2 : 4, &sp) || !cpu_tss_read(cpu, ss_off, 2, &ss))
		return false;
	mmu_set_cpl(m, cpl);
	if (!seg_load(m, SEG_SS, (uint16_t)ss, &cpu->fault)) {
		/* A bad inner stack segment is the TSS's fault: #TS(SS), #SS(SS) if not present */
		if (cpu->fault.vector != X86_VEC_SS)
			cpu->fault = (struct x86_fault){.vector = X86_VEC_TS,
							.has_error_code = true,
							.error_code = sel_err((uint16_t)ss)};
		return false;
	}
	cpu->gpr[RSP] = m->seg.sreg[SEG_SS].db ? sp : (sp & 0xffff);
	return true;
}

/* Loads CS with the gate's target at privilege cpl and goes to its entry point. */
static bool enter_target(struct cpu *cpu, const struct call_gate *g, const struct seg_cache *cs,
			 unsigned cpl)
{
	struct seg_cache c = *cs;
	c.selector = (uint16_t)(sel_err(g->target) | cpl);
	seg_set_cache(cpu->mmu, SEG_CS, &c);
	cpu_update_mode(cpu);
	return cpu_branch(cpu, g->offset, cpu->mode == X86_MODE_64 ? 8 : g->size);
}

/* The gate's parameters on the caller's stack (legacy mode), read before the switch. */
static bool read_params(struct cpu *cpu, const struct call_gate *g, uint64_t *params)
{
	for (unsigned i = 0; i < g->nparams; i++)
		if (!cpu_stack_peek(cpu, i * g->size, g->size, &params[i]))
			return false;
	return true;
}

static bool call_through(struct cpu *cpu, const struct call_gate *g, const struct seg_cache *cs)
{
	unsigned cpl = cpu_cpl(cpu);
	bool inward = !(cs->type & SEG_TYPE_C) && cs->dpl < cpl;
	uint64_t old_cs = cpu->mmu->seg.sreg[SEG_CS].selector, ret = cpu->next_rip;
	uint64_t old_ss = cpu->mmu->seg.sreg[SEG_SS].selector, old_sp = cpu->gpr[RSP];
	uint64_t params[32];
	if (inward && (!read_params(cpu, g, params) || !load_inner_stack(cpu, cs->dpl)))
		return false;
	/* CS first: in IA-32e mode the pushes are the 64-bit code's, whatever the caller's */
	if (!enter_target(cpu, g, cs, inward ? cs->dpl : cpl))
		return false;
	if (inward) {
		if (!cpu_push(cpu, g->size, old_ss) || !cpu_push(cpu, g->size, old_sp))
			return false;
		for (unsigned i = g->nparams; i-- > 0;)
			if (!cpu_push(cpu, g->size, params[i]))
				return false;
	}
	return cpu_push(cpu, g->size, old_cs) && cpu_push(cpu, g->size, ret);
}

/* A TSS descriptor (any kind) or a task gate: the target of a task switch in legacy mode. */
static bool names_task(const struct cpu *cpu, uint64_t lo)
{
	unsigned type = (lo >> 40) & 0xf;
	return !(cpu->mmu->efer & EFER_LMA) &&
	       (type == SEG_SYS_TASK_GATE || (type & 5u) == 1u); /* 1, 3, 9, 11: TSSs */
}

bool cpu_far_through_gate(struct cpu *cpu, uint16_t sel, uint64_t lo, bool call)
{
	struct call_gate g;
	struct seg_cache cs;
	struct xfer_save s;
	if (names_task(cpu, lo))
		return cpu_far_to_task(cpu, sel, lo, call);
	if (!read_call_gate(cpu, sel, lo, &g) || !gate_target(cpu, &g, call, &cs))
		return false;
	xfer_save(cpu, &s);
	bool ok = call ? call_through(cpu, &g, &cs) : enter_target(cpu, &g, &cs, cpu_cpl(cpu));
	return ok || xfer_restore(cpu, &s);
}
