/*
 * cpu/exception.c - exception and interrupt delivery through the IDT, and IRET
 * (SDM Vol. 3, chapter 6 "Interrupt and Exception Handling": 6.12 for protected mode,
 * 6.14 for IA-32e mode; 6.15 for the classes behind #DF).
 *
 * IA-32e mode (also for compatibility-mode code): 16-byte gates, the target must be a
 * 64-bit code segment; a privilege change or a nonzero IST loads RSP from the 64-bit TSS
 * and SS with a null selector; RSP is aligned down to 16 bytes; the frame is always
 *
 *     +40 SS | +32 RSP | +24 RFLAGS | +16 CS | +8 RIP | +0 error code (if any)
 *
 * Legacy protected mode: 8-byte 32-bit interrupt/trap gates; a privilege change loads
 * SS:ESP from the 32-bit TSS and pushes the old SS:ESP; a task gate switches tasks
 * (cpu/task.c).
 *
 * A fault while delivering escalates as the SDM's Table 6-5 says: contributory (#DE, #TS,
 * #NP, #SS, #GP) or page faults on top of a contributory fault or a page fault become #DF;
 * a fault while delivering #DF shuts the processor down (triple fault).
 */
#include <stdio.h>

#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

#define GATE_TASK 0x5 /* task gate (legacy mode): a task switch */
#define GATE_INT 0xe  /* interrupt gate: clears IF */
#define GATE_TRAP 0xf /* trap gate */

/* An IDT gate, decoded. */
struct gate {
	uint16_t sel;	 /* target code segment */
	uint64_t offset; /* entry point */
	uint8_t type;	 /* GATE_INT / GATE_TRAP (the 32-bit forms in legacy mode) */
	uint8_t dpl;	 /* highest CPL allowed for INT n */
	uint8_t ist;	 /* interrupt stack table index (IA-32e), 0 = none */
	bool p;		 /* present */
};

/* The linear address of sel's descriptor (16 bytes with wide), with the table checks. */
static bool descriptor_la(struct cpu *cpu, uint16_t sel, bool wide, uint64_t *la)
{
	const struct seg_unit *s = &cpu->mmu->seg;
	uint64_t base = s->gdtr.base, limit = s->gdtr.limit;
	if (sel & SEL_TI) {
		if (!s->ldtr.usable)
			return cpu_gp(cpu, sel & 0xfffc);
		base = s->ldtr.base;
		limit = s->ldtr.limit;
	}
	uint64_t off = sel & ~7u;
	if ((sel & 0xfffc) == 0 || off + (wide ? 15 : 7) > limit)
		return cpu_gp(cpu, sel & 0xfffc);
	*la = base + off;
	if (!(cpu->mmu->efer & EFER_LMA))
		*la &= 0xffffffffULL;
	return true;
}

bool cpu_read_descriptor_raw(struct cpu *cpu, uint16_t sel, bool wide, uint64_t *lo,
			     uint64_t *hi)
{
	uint64_t la;
	*hi = 0;
	return descriptor_la(cpu, sel, wide, &la) && cpu_read_la(cpu, la, 8, lo, MMU_IMPLICIT) &&
	       (!wide || cpu_read_la(cpu, la + 8, 8, hi, MMU_IMPLICIT));
}

bool cpu_read_descriptor_hi(struct cpu *cpu, uint16_t sel, uint64_t *hi)
{
	uint64_t la;
	return descriptor_la(cpu, sel, true, &la) &&
	       cpu_read_la(cpu, la + 8, 8, hi, MMU_IMPLICIT);
}

bool cpu_read_descriptor(struct cpu *cpu, uint16_t sel, bool wide, struct seg_cache *d)
{
	uint64_t lo, hi;
	if (!cpu_read_descriptor_raw(cpu, sel, wide, &lo, &hi))
		return false;
	seg_decode(lo, hi, wide, d);
	d->selector = sel;
	return true;
}

/* Reads gate vec of the IDT. Error codes name the IDT entry (bit 1) and EXT (bit 0). */
static bool read_gate(struct cpu *cpu, uint8_t vec, bool ext, struct gate *g)
{
	const struct dtr *idt = &cpu->mmu->seg.idtr;
	bool lm = cpu->mmu->efer & EFER_LMA;
	unsigned esize = lm ? 16 : 8;
	uint32_t err = (uint32_t)vec * 8 + 2 + ext;
	uint64_t lo, hi = 0, la = idt->base + (uint64_t)vec * esize;
	if ((uint64_t)vec * esize + esize - 1 > idt->limit)
		return cpu_gp(cpu, err);
	if (!lm)
		la &= 0xffffffffULL;
	if (!cpu_read_la(cpu, la, 8, &lo, MMU_IMPLICIT) ||
	    (lm && !cpu_read_la(cpu, la + 8, 8, &hi, MMU_IMPLICIT)))
		return false;
	g->offset = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ULL) | (hi << 32);
	g->sel = (uint16_t)(lo >> 16);
	g->type = (lo >> 40) & 0xf;
	g->dpl = (lo >> 45) & 3;
	g->p = (lo >> 47) & 1;
	g->ist = lm ? (lo >> 32) & 7 : 0;
	bool type_ok = g->type == GATE_INT || g->type == GATE_TRAP || (!lm && g->type == GATE_TASK);
	if (!type_ok)
		return cpu_gp(cpu, err);
	return true;
}

/* The code segment of a gate: present code, DPL <= CPL; 64-bit in IA-32e mode. */
static bool gate_code_segment(struct cpu *cpu, const struct gate *g, bool ext, struct seg_cache *cs)
{
	if ((g->sel & 0xfffc) == 0)
		return cpu_gp(cpu, ext);
	if (!cpu_read_descriptor(cpu, g->sel, false, cs))
		return false;
	bool lm = cpu->mmu->efer & EFER_LMA;
	if (!cs->s || !(cs->type & SEG_TYPE_CODE) || cs->dpl > cpu_cpl(cpu) ||
	    (lm && (!cs->l || cs->db)))
		return cpu_gp(cpu, (g->sel & 0xfffc) + ext);
	if (!cs->p)
		return cpu_fault(cpu, X86_VEC_NP, true, (g->sel & 0xfffc) + ext);
	return true;
}

bool cpu_tss_read(struct cpu *cpu, unsigned off, unsigned n, uint64_t *v)
{
	const struct seg_cache *tr = &cpu->mmu->seg.tr;
	if (off + n - 1 > tr->limit)
		return cpu_fault(cpu, X86_VEC_TS, true, tr->selector & 0xfffc);
	uint64_t la = tr->base + off;
	if (!(cpu->mmu->efer & EFER_LMA))
		la &= 0xffffffffULL;
	return cpu_read_la(cpu, la, n, v, MMU_IMPLICIT);
}

/* Pushes v (size bytes) on the new stack at *sp (supervisor data write). */
static bool push_frame(struct cpu *cpu, uint64_t *sp, unsigned size, uint64_t v, bool lm)
{
	*sp -= size;
	if (!lm)
		*sp &= 0xffffffffULL;
	uint64_t la = *sp;
	if (!lm)
		la = (cpu->mmu->seg.sreg[SEG_SS].base + *sp) & 0xffffffffULL;
	return cpu_write_la(cpu, la, size, v, MMU_STACK);
}

/* IA-32e delivery of a gate g already read. */
static bool deliver_long(struct cpu *cpu, const struct gate *g, const struct seg_cache *cs,
			 bool has_err, uint32_t err, uint64_t rip)
{
	unsigned old_cpl = cpu_cpl(cpu), new_cpl = cs->type & SEG_TYPE_C ? old_cpl : cs->dpl;
	uint64_t old_ss = cpu->mmu->seg.sreg[SEG_SS].selector, old_rsp = cpu->gpr[RSP];
	uint64_t sp = old_rsp;
	if (g->ist) {
		if (!cpu_tss_read(cpu, 0x24 + 8 * (g->ist - 1u), 8, &sp))
			return false;
	} else if (new_cpl < old_cpl) {
		if (!cpu_tss_read(cpu, 4 + 8 * new_cpl, 8, &sp))
			return false;
	}
	if (!mmu_canonical(cpu->mmu, sp))
		return cpu_fault(cpu, X86_VEC_SS, true, 0);
	sp &= ~15ULL;
	mmu_set_cpl(cpu->mmu, new_cpl);
	uint64_t frame[6] = {
	    old_ss, old_rsp, (*cpu_rflags_ptr(cpu)), cpu->mmu->seg.sreg[SEG_CS].selector, rip, err};
	for (unsigned i = 0; i < (has_err ? 6u : 5u); i++)
		if (!push_frame(cpu, &sp, 8, frame[i], true))
			return false;
	struct seg_cache c = *cs;
	c.selector = (uint16_t)((g->sel & 0xfffc) | new_cpl);
	seg_set_cache(cpu->mmu, SEG_CS, &c);
	if (new_cpl != old_cpl) {
		struct seg_cache ss = {.selector = (uint16_t)new_cpl, .dpl = (uint8_t)new_cpl};
		seg_set_cache(cpu->mmu, SEG_SS, &ss);
	}
	cpu->gpr[RSP] = sp;
	cpu->next_rip = cpu->rip = g->offset;
	return true;
}

/* Legacy protected-mode delivery (32-bit gates). */
static bool deliver_legacy(struct cpu *cpu, const struct gate *g, const struct seg_cache *cs,
			   bool has_err, uint32_t err, uint64_t rip)
{
	unsigned old_cpl = cpu_cpl(cpu), new_cpl = cs->type & SEG_TYPE_C ? old_cpl : cs->dpl;
	uint64_t old_ss = cpu->mmu->seg.sreg[SEG_SS].selector, old_esp = cpu->gpr[RSP];
	uint64_t sp = old_esp, ss_sel;
	bool outer = new_cpl < old_cpl;
	if (outer) {
		if (!cpu_tss_read(cpu, 4 + 8 * new_cpl, 4, &sp) ||
		    !cpu_tss_read(cpu, 8 + 8 * new_cpl, 2, &ss_sel))
			return false;
		mmu_set_cpl(cpu->mmu, new_cpl);
		if (!seg_load(cpu->mmu, SEG_SS, (uint16_t)ss_sel, &cpu->fault)) {
			cpu->fault.vector = X86_VEC_TS;
			return false;
		}
	}
	if (!cpu->mmu->seg.sreg[SEG_SS].db)
		sp &= 0xffff;
	uint64_t frame[6] = {
	    old_ss, old_esp, (*cpu_rflags_ptr(cpu)), cpu->mmu->seg.sreg[SEG_CS].selector, rip, err};
	for (unsigned i = outer ? 0 : 2; i < (has_err ? 6u : 5u); i++)
		if (!push_frame(cpu, &sp, 4, frame[i], false))
			return false;
	struct seg_cache c = *cs;
	c.selector = (uint16_t)((g->sel & 0xfffc) | new_cpl);
	seg_set_cache(cpu->mmu, SEG_CS, &c);
	gpr_write(cpu, RSP, cpu->mmu->seg.sreg[SEG_SS].db ? 4 : 2, sp);
	cpu->next_rip = cpu->rip = g->offset & (cs->db ? 0xffffffffULL : 0xffffULL);
	return true;
}

/* Real-mode delivery: the IVT at IDTR.base, 4-byte vectors; FLAGS, CS, IP pushed. */
static bool deliver_real(struct cpu *cpu, uint8_t vec, uint64_t rip)
{
	uint64_t v, sp = cpu->gpr[RSP] & 0xffff;
	if ((unsigned)vec * 4 + 3 > cpu->mmu->seg.idtr.limit)
		return cpu_gp(cpu, 0);
	if (!cpu_read_la(cpu, cpu->mmu->seg.idtr.base + vec * 4u, 4, &v, MMU_IMPLICIT))
		return false;
	uint64_t frame[3] = {(*cpu_rflags_ptr(cpu)) & 0xffff, cpu->mmu->seg.sreg[SEG_CS].selector,
			     rip};
	for (unsigned i = 0; i < 3; i++) {
		sp = (sp - 2) & 0xffff;
		if (!cpu_write_la(cpu, (cpu->mmu->seg.sreg[SEG_SS].base + sp) & 0xfffff, 2,
				  frame[i], MMU_STACK))
			return false;
	}
	struct seg_cache c = cpu->mmu->seg.sreg[SEG_CS];
	c.selector = (uint16_t)(v >> 16);
	c.base = (v >> 16) << 4;
	seg_set_cache(cpu->mmu, SEG_CS, &c);
	gpr_write(cpu, RSP, 2, sp);
	cpu->next_rip = cpu->rip = v & 0xffff;
	(*cpu_rflags_ptr(cpu)) &= ~(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC);
	return true;
}

/* Delivery through a task gate: a switch to the gate's task, which gets the error code on
 * its stack (SDM Vol. 3, 6.12.2). */
static bool deliver_task(struct cpu *cpu, uint16_t tss_sel, bool has_err, uint32_t err,
			 uint64_t rip)
{
	if (!cpu_task_switch(cpu, tss_sel, TASK_INT, rip))
		return false;
	if (has_err && !cpu_push(cpu, 4, err))
		return false;
	cpu->nr_faults++;
	return true;
}

/* One delivery attempt; false with cpu->fault when it faulted (state restored). */
static bool deliver_once(struct cpu *cpu, uint8_t vec, bool has_err, uint32_t err, uint64_t rip,
			 bool soft)
{
	struct gate g;
	struct seg_cache cs;
	struct xfer_save s;
	bool ext = !soft;
	if (!(cpu->mmu->cr0 & CR0_PE))
		return deliver_real(cpu, vec, rip);
	if (!read_gate(cpu, vec, ext, &g))
		return false;
	if (soft && g.dpl < cpu_cpl(cpu))
		return cpu_gp(cpu, (uint32_t)vec * 8 + 2);
	if (!g.p)
		return cpu_fault(cpu, X86_VEC_NP, true, (uint32_t)vec * 8 + 2 + ext);
	if (g.type == GATE_TASK)
		return deliver_task(cpu, g.sel, has_err, err, rip);
	if (!gate_code_segment(cpu, &g, ext, &cs))
		return false;
	xfer_save(cpu, &s);
	bool lm = cpu->mmu->efer & EFER_LMA;
	bool ok = lm ? deliver_long(cpu, &g, &cs, has_err, err, rip)
		     : deliver_legacy(cpu, &g, &cs, has_err, err, rip);
	if (!ok)
		return xfer_restore(cpu, &s);
	(*cpu_rflags_ptr(cpu)) &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (g.type == GATE_INT)
		(*cpu_rflags_ptr(cpu)) &= ~RFLAGS_IF;
	cpu_update_mode(cpu);
	cpu->nr_faults++;
	return true;
}

bool cpu_deliver_soft(struct cpu *cpu, uint8_t vec, uint64_t rip, bool check_dpl)
{
	return deliver_once(cpu, vec, false, 0, rip, check_dpl);
}

static bool contributory(uint8_t vec)
{
	return vec == X86_VEC_DE || vec == X86_VEC_TS || vec == X86_VEC_NP || vec == X86_VEC_SS ||
	       vec == X86_VEC_GP;
}

/* SDM Table 6-5: does a second fault while delivering the first make a #DF? */
static bool makes_double_fault(uint8_t first, uint8_t second)
{
	if (contributory(first))
		return contributory(second);
	if (first == X86_VEC_PF)
		return contributory(second) || second == X86_VEC_PF;
	return false;
}

static bool shutdown(struct cpu *cpu, uint8_t vec)
{
	if (cpu->msg_out)
		fprintf(cpu->msg_out,
			"mmemu: triple fault (vector %u while delivering #DF) at RIP %#llx: "
			"the processor shuts down\n",
			cpu->fault.vector, (unsigned long long)cpu->rip);
	(void)vec;
	cpu->shutdown = true;
	cpu->exit_request = CPU_EXIT_SHUTDOWN + 1;
	return false;
}

bool cpu_deliver(struct cpu *cpu, uint8_t vec, bool has_error, uint32_t error, uint64_t rip,
		 bool soft)
{
	for (int tries = 0; tries < 3; tries++) {
		if (deliver_once(cpu, vec, has_error, error, rip, soft))
			return true;
		uint8_t second = cpu->fault.vector;
		if (vec == X86_VEC_DF)
			return shutdown(cpu, vec);
		if (second == X86_VEC_PF)
			cpu->cr2 = cpu->fault.cr2;
		if (makes_double_fault(vec, second)) {
			vec = X86_VEC_DF;
			has_error = true;
			error = 0;
		} else {
			has_error = cpu->fault.has_error_code;
			error = cpu->fault.error_code;
			vec = second;
		}
		soft = false;
	}
	return shutdown(cpu, vec);
}

/* ---- IRET ---- */

/* RFLAGS bits IRET may change at CPL cpl (the popped image is not trusted above CPL 0). */
static uint64_t iret_mask(const struct cpu *cpu, unsigned cpl, unsigned opsize)
{
	uint64_t m = RFLAGS_STATUS | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_RF | RFLAGS_AC |
		     RFLAGS_ID | RFLAGS_VIF | RFLAGS_VIP;
	unsigned iopl = (unsigned)((cpu_rflags_control(cpu) & RFLAGS_IOPL) >> 12);
	if (cpl == 0)
		m |= RFLAGS_IOPL;
	if (cpl <= iopl)
		m |= RFLAGS_IF;
	return opsize == 2 ? m & 0xffff : m;
}

/* Real-mode IRET: IP, CS, FLAGS. */
static bool iret_real(struct cpu *cpu, unsigned os)
{
	uint64_t ip, cs, fl;
	if (!cpu_stack_peek(cpu, 0, os, &ip) || !cpu_stack_peek(cpu, os, os, &cs) ||
	    !cpu_stack_peek(cpu, 2 * os, os, &fl))
		return false;
	struct seg_cache c = cpu->mmu->seg.sreg[SEG_CS];
	c.selector = (uint16_t)cs;
	c.base = (cs & 0xffff) << 4;
	seg_set_cache(cpu->mmu, SEG_CS, &c);
	uint64_t m = os == 2 ? 0xffffULL : 0x3f7fd5ULL;
	cpu_set_rflags(cpu, ((*cpu_rflags_ptr(cpu)) & ~m) | (fl & m));
	cpu_stack_adjust(cpu, 3 * os);
	cpu->next_rip = ip & size_mask(os);
	return true;
}

bool cpu_iret(struct cpu *cpu, unsigned os)
{
	struct mmu *m = cpu->mmu;
	uint64_t rip, cs, fl, sp = 0, ss = 0;
	if (!(m->cr0 & CR0_PE))
		return iret_real(cpu, os);
	if (cpu_rflags_control(cpu) & RFLAGS_NT) /* a task return; none in IA-32e mode */
		return (m->efer & EFER_LMA) ? cpu_gp(cpu, 0) : cpu_task_return(cpu);
	if (!cpu_stack_peek(cpu, 0, os, &rip) || !cpu_stack_peek(cpu, os, os, &cs) ||
	    !cpu_stack_peek(cpu, 2 * os, os, &fl))
		return false;
	unsigned old_cpl = cpu_cpl(cpu);
	bool outer = (cs & 3) > old_cpl, from64 = cpu->mode == X86_MODE_64;
	if ((outer || from64) &&
	    (!cpu_stack_peek(cpu, 3 * os, os, &sp) || !cpu_stack_peek(cpu, 4 * os, os, &ss)))
		return false;
	struct xfer_save s;
	xfer_save(cpu, &s);
	if (!seg_load_cs_ret(m, (uint16_t)cs, (uint16_t)ss, &cpu->fault))
		return xfer_restore(cpu, &s);
	cpu_update_mode(cpu);
	if (from64 && !outer && !seg_load(m, SEG_SS, (uint16_t)ss, &cpu->fault))
		return xfer_restore(cpu, &s);
	if (!cpu_branch(cpu, rip, cpu->mode == X86_MODE_64 ? 8 : os))
		return xfer_restore(cpu, &s);
	uint64_t mask = iret_mask(cpu, old_cpl, os);
	cpu_set_rflags(cpu, ((*cpu_rflags_ptr(cpu)) & ~mask) | (fl & mask));
	if (outer || from64)
		cpu->gpr[RSP] = cpu->mode == X86_MODE_64 ? sp : (sp & size_mask(os));
	else
		cpu_stack_adjust(cpu, 3 * os);
	return true;
}
