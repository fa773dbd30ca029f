/*
 * cpu/task.c - hardware task switches in legacy protected mode (SDM Vol. 3, chapter 7
 * "Task Management", 7.3 "Task Switching").
 *
 * A switch comes from a far JMP or CALL to a TSS descriptor or a task gate, from an
 * interrupt or exception whose IDT gate is a task gate, or from IRET with EFLAGS.NT set
 * (back to the task named by the current TSS's previous-task link). The order is the
 * SDM's: every check on the new TSS, and every read of it, comes first, so that a fault
 * there changes nothing; then the current state goes into the current TSS; the busy bits,
 * the link and NT are set as the reason asks; TR and CR0.TS change; and the new task's
 * CR3, EFLAGS, EIP, registers, LDTR and segment registers are loaded. A fault while
 * loading a segment register comes after the switch, in the new task (its EIP is the
 * return address), as #TS(selector) (#NP or #SS for a segment not present).
 *
 * 32-bit TSSes only (16-bit TSSes, the 80286's, are #GP(selector)); IA-32e mode has no task
 * switches at all (cpu/call_gate.c and cpu/exception.c refuse them there). The TSS's T bit
 * raises #DB (DR6.BT) before the new task's first instruction when the switch was a JMP,
 * CALL or IRET.
 */
#include "cpu/cpu_internal.h"
#include "cpu/fpu.h"

/* The 32-bit TSS (SDM Figure 7-2). */
#define TSS_LINK 0x00
#define TSS_CR3 0x1c
#define TSS_EIP 0x20
#define TSS_EFLAGS 0x24
#define TSS_GPR 0x28  /* EAX ECX EDX EBX ESP EBP ESI EDI, 4 bytes each */
#define TSS_SREG 0x48 /* ES CS SS DS FS GS, 4 bytes each (the selector in the low half) */
#define TSS_LDT 0x60
#define TSS_TRAP 0x64
#define TSS_SIZE 0x68
#define TSS_BUSY 2u /* type bit 1 of a TSS descriptor */

#define DR6_BT (1ULL << 15)

static uint32_t sel_err(uint16_t sel)
{
	return sel & 0xfffcu;
}

static bool fault_sel(struct cpu *cpu, uint8_t vec, uint16_t sel)
{
	return cpu_fault(cpu, vec, true, sel_err(sel));
}

static uint64_t gdt_entry_la(const struct cpu *cpu, uint16_t sel)
{
	return (cpu->mmu->seg.gdtr.base + (sel & ~7u)) & 0xffffffffULL;
}

/* Sets or clears the busy bit of the TSS descriptor sel in the GDT. */
static bool set_busy(struct cpu *cpu, uint16_t sel, bool busy)
{
	uint64_t la = gdt_entry_la(cpu, sel) + 5, b;
	if (!cpu_read_la(cpu, la, 1, &b, MMU_IMPLICIT))
		return false;
	b = busy ? b | TSS_BUSY : b & ~(uint64_t)TSS_BUSY;
	return cpu_write_la(cpu, la, 1, b, MMU_IMPLICIT);
}

/* The new task's TSS descriptor: in the GDT, a 32-bit TSS, busy for a return (IRET) and
 * available otherwise, present, large enough. */
static bool new_tss_desc(struct cpu *cpu, uint16_t sel, enum task_reason why,
			 struct seg_cache *d)
{
	bool iret = why == TASK_IRET;
	uint8_t bad = iret ? X86_VEC_TS : X86_VEC_GP;
	if ((sel & SEL_TI) || sel_err(sel) == 0)
		return fault_sel(cpu, bad, sel);
	if (!cpu_read_descriptor(cpu, sel, false, d))
		return false;
	uint8_t want = iret ? SEG_SYS_TSS_BUSY : SEG_SYS_TSS_AVAIL;
	if (d->s || d->type != want)
		return fault_sel(cpu, bad, sel);
	if (!d->p)
		return fault_sel(cpu, X86_VEC_NP, sel);
	if (d->limit < TSS_SIZE - 1)
		return fault_sel(cpu, X86_VEC_TS, sel);
	return true;
}

/* Reads the whole 32-bit TSS at base into img (little-endian dwords). */
static bool read_tss(struct cpu *cpu, uint64_t base, uint32_t img[TSS_SIZE / 4])
{
	for (unsigned off = 0; off < TSS_SIZE; off += 4) {
		uint64_t v;
		if (!cpu_read_la(cpu, (base + off) & 0xffffffffULL, 4, &v, MMU_IMPLICIT))
			return false;
		img[off / 4] = (uint32_t)v;
	}
	return true;
}

static bool write_tss32(struct cpu *cpu, uint64_t base, unsigned off, uint32_t v)
{
	return cpu_write_la(cpu, (base + off) & 0xffffffffULL, 4, v, MMU_IMPLICIT);
}

/* The current task's state into its TSS: EIP, EFLAGS, the registers, the selectors. */
static bool save_task(struct cpu *cpu, uint64_t eip, uint64_t eflags)
{
	const struct seg_cache *tr = &cpu->mmu->seg.tr;
	if (tr->s || (tr->type & ~TSS_BUSY) != SEG_SYS_TSS_AVAIL || tr->limit < TSS_SIZE - 1)
		return fault_sel(cpu, X86_VEC_TS, tr->selector);
	if (!write_tss32(cpu, tr->base, TSS_EIP, (uint32_t)eip) ||
	    !write_tss32(cpu, tr->base, TSS_EFLAGS, (uint32_t)eflags))
		return false;
	for (unsigned i = 0; i < 8; i++)
		if (!write_tss32(cpu, tr->base, TSS_GPR + 4 * i, (uint32_t)cpu->gpr[i]))
			return false;
	for (unsigned s = 0; s < SEG_NR; s++)
		if (!write_tss32(cpu, tr->base, TSS_SREG + 4 * s, cpu->mmu->seg.sreg[s].selector))
			return false;
	return true;
}

/* A segment-register load of the new task failed: the SDM's #TS(selector), except that a
 * segment not present stays #NP (#SS for SS). */
static bool as_task_fault(struct cpu *cpu, uint16_t sel)
{
	uint8_t v = cpu->fault.vector;
	if (v == X86_VEC_NP || v == X86_VEC_SS || v == X86_VEC_PF)
		return false;
	return fault_sel(cpu, X86_VEC_TS, sel);
}

/* LDTR, CS (which sets the CPL), SS, and the data segment registers of the new task. */
static bool load_task_segments(struct cpu *cpu, const uint32_t img[TSS_SIZE / 4])
{
	struct mmu *m = cpu->mmu;
	uint16_t sel[SEG_NR], ldt = (uint16_t)img[TSS_LDT / 4];
	for (unsigned s = 0; s < SEG_NR; s++) {
		sel[s] = (uint16_t)img[TSS_SREG / 4 + s];
		/* the selectors are loaded first; a descriptor that fails leaves its register
		 * unusable */
		m->seg.sreg[s] = (struct seg_cache){.selector = sel[s]};
	}
	m->seg.ldtr = (struct seg_cache){.selector = ldt};
	if (!seg_lldt(m, ldt, &cpu->fault))
		return as_task_fault(cpu, ldt);
	mmu_set_cpl(m, SEL_RPL(sel[SEG_CS]));
	if (!seg_load_cs_far(m, sel[SEG_CS], &cpu->fault))
		return as_task_fault(cpu, sel[SEG_CS]);
	cpu_update_mode(cpu);
	static const enum seg_reg order[] = {SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!seg_load(m, order[i], sel[order[i]], &cpu->fault))
			return as_task_fault(cpu, sel[order[i]]);
	return true;
}

/* Loads the new task's state from its TSS image; faults from here on are the new task's. */
static bool load_task(struct cpu *cpu, const uint32_t img[TSS_SIZE / 4], uint64_t eflags)
{
	struct mmu *m = cpu->mmu;
	if ((m->cr0 & CR0_PG) && !mmu_set_cr3(m, img[TSS_CR3 / 4], &cpu->fault))
		return fault_sel(cpu, X86_VEC_TS, m->seg.tr.selector);
	cpu_set_rflags(cpu, eflags);
	for (unsigned i = 0; i < 8; i++)
		cpu->gpr[i] = img[TSS_GPR / 4 + i];
	cpu->rip = cpu->next_rip = img[TSS_EIP / 4];
	return load_task_segments(cpu, img);
}

bool cpu_task_switch(struct cpu *cpu, uint16_t sel, enum task_reason why, uint64_t ret_eip)
{
	struct mmu *m = cpu->mmu;
	struct seg_cache nd;
	uint32_t img[TSS_SIZE / 4];
	if (m->efer & EFER_LMA)
		return cpu_gp(cpu, sel_err(sel)); /* no task switches in IA-32e mode */
	if (!new_tss_desc(cpu, sel, why, &nd) || !read_tss(cpu, nd.base, img))
		return false;
	bool nests = why == TASK_CALL || why == TASK_INT;
	uint64_t old_flags = cpu_rflags(cpu);
	if (why == TASK_IRET)
		old_flags &= ~RFLAGS_NT;
	uint16_t old_tr = m->seg.tr.selector;
	if (!save_task(cpu, ret_eip, old_flags))
		return false;
	if (!nests && !set_busy(cpu, old_tr, false))
		return false;
	uint64_t new_flags = img[TSS_EFLAGS / 4] & ~RFLAGS_VM; /* no virtual-8086 mode */
	if (nests) {
		new_flags |= RFLAGS_NT;
		if (!write_tss32(cpu, nd.base, TSS_LINK, old_tr))
			return false;
	}
	if (why != TASK_IRET && !set_busy(cpu, sel, true))
		return false;
	nd.type |= TSS_BUSY;
	m->seg.tr = nd;
	m->cr0 |= CR0_TS;
	if (!load_task(cpu, img, new_flags))
		return false;
	if ((img[TSS_TRAP / 4] & 1) && why != TASK_INT) {
		cpu->dr6 |= DR6_BT;
		return cpu_fault(cpu, X86_VEC_DB, false, 0);
	}
	return true;
}

bool cpu_far_to_task(struct cpu *cpu, uint16_t sel, uint64_t lo, bool call)
{
	unsigned type = (lo >> 40) & 0xf, dpl = (lo >> 45) & 3;
	if (dpl < cpu_cpl(cpu) || dpl < SEL_RPL(sel))
		return fault_sel(cpu, X86_VEC_GP, sel);
	uint16_t tss = sel;
	if (type == SEG_SYS_TASK_GATE) {
		if (!((lo >> 47) & 1))
			return fault_sel(cpu, X86_VEC_NP, sel);
		tss = (uint16_t)(lo >> 16);
	}
	return cpu_task_switch(cpu, tss, call ? TASK_CALL : TASK_JMP, cpu->next_rip);
}

bool cpu_task_return(struct cpu *cpu)
{
	uint64_t link;
	if (!cpu_tss_read(cpu, TSS_LINK, 2, &link))
		return false;
	return cpu_task_switch(cpu, (uint16_t)link, TASK_IRET, cpu->next_rip);
}
