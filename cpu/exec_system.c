/*
 * cpu/exec_system.c - system instructions (SDM Vol. 2 and Vol. 3 chapters 2, 5, 6):
 * CPUID, RDTSC/RDTSCP, RDMSR/WRMSR, MOV to/from control registers, SYSCALL/SYSRET,
 * SWAPGS, LGDT/LIDT/SGDT/SIDT/SMSW/LMSW, LLDT/LTR/SLDT/STR, INVLPG, CLTS, CLI/STI,
 * IN/OUT/INS/OUTS, the fences, CLFLUSH, WBINVD and UD0/UD1/UD2.
 *
 * Privileged instructions raise #GP(0) at CPL > 0 (SDM Vol. 3, 5.9). I/O instructions are
 * allowed when CPL <= IOPL (the TSS I/O permission bitmap is not modelled, so above IOPL
 * they fault); no I/O device exists, so IN reads all ones and OUT is dropped.
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"

static inline bool privileged(struct cpu *cpu)
{
	return cpu_cpl(cpu) == 0 || cpu_gp(cpu, 0);
}

static unsigned iopl(const struct cpu *cpu)
{
	return (unsigned)((cpu_rflags_control(cpu) & RFLAGS_IOPL) >> 12);
}

/* UD0 (0F FF), UD1 (0F B9), UD2 (0F 0B). */
static bool exec_ud(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_ud(cpu);
}

/* 0F A2 CPUID. */
static bool exec_cpuid(struct cpu *cpu, const struct x86_instr *in)
{
	uint32_t r[4];
	cpu_cpuid(cpu, (uint32_t)cpu->gpr[RAX], (uint32_t)cpu->gpr[RCX], r);
	gpr_write(cpu, RAX, 4, r[0]);
	gpr_write(cpu, RBX, 4, r[1]);
	gpr_write(cpu, RCX, 4, r[2]);
	gpr_write(cpu, RDX, 4, r[3]);
	return true;
}

/* 0F 31 RDTSC: the virtual clock; CR4.TSD makes it privileged. */
static bool exec_rdtsc(struct cpu *cpu, const struct x86_instr *in)
{
	if ((cpu->mmu->cr4 & (1ULL << 2)) && cpu_cpl(cpu) != 0)
		return cpu_gp(cpu, 0);
	uint64_t t = cpu_tsc(cpu);
	gpr_write(cpu, RAX, 4, t);
	gpr_write(cpu, RDX, 4, t >> 32);
	return true;
}

/* ---- MSRs ---- */

bool cpu_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val)
{
	const struct mmu *m = cpu->mmu;
	switch (msr) {
	case MSR_IA32_TSC:
		*val = cpu_tsc(cpu);
		return true;
	case MSR_IA32_APIC_BASE:
		*val = 0xfee00900ULL;
		return true;
	case MSR_IA32_SYSENTER_CS:
		*val = cpu->sysenter_cs;
		return true;
	case MSR_IA32_SYSENTER_ESP:
		*val = cpu->sysenter_esp;
		return true;
	case MSR_IA32_SYSENTER_EIP:
		*val = cpu->sysenter_eip;
		return true;
	case MSR_IA32_PAT:
		*val = cpu->pat;
		return true;
	case MSR_EFER:
		*val = m->efer;
		return true;
	case MSR_STAR:
		*val = cpu->star;
		return true;
	case MSR_LSTAR:
		*val = cpu->lstar;
		return true;
	case MSR_CSTAR:
		*val = cpu->cstar;
		return true;
	case MSR_SFMASK:
		*val = cpu->sfmask;
		return true;
	case MSR_FS_BASE:
		*val = m->seg.sreg[SEG_FS].base;
		return true;
	case MSR_GS_BASE:
		*val = m->seg.sreg[SEG_GS].base;
		return true;
	case MSR_KERNEL_GS_BASE:
		*val = cpu->kernel_gs_base;
		return true;
	case MSR_TSC_AUX:
		*val = cpu->tsc_aux;
		return true;
	default:
		return cpu_gp(cpu, 0);
	}
}

/* Base MSRs hold canonical addresses (#GP(0) otherwise). */
static bool canonical_msr(struct cpu *cpu, uint64_t v)
{
	uint64_t hi = (uint64_t)((int64_t)(v << 16) >> 16);
	return hi == v || cpu_gp(cpu, 0);
}

bool cpu_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val)
{
	struct mmu *m = cpu->mmu;
	switch (msr) {
	case MSR_IA32_TSC:
		cpu->tsc_offset = (int64_t)(val - cpu->icount);
		return true;
	case MSR_IA32_APIC_BASE:
		return true;
	case MSR_IA32_SYSENTER_CS:
		cpu->sysenter_cs = val & 0xffff;
		return true;
	case MSR_IA32_SYSENTER_ESP:
		cpu->sysenter_esp = val;
		return canonical_msr(cpu, val);
	case MSR_IA32_SYSENTER_EIP:
		cpu->sysenter_eip = val;
		return canonical_msr(cpu, val);
	case MSR_IA32_PAT:
		cpu->pat = val;
		return true;
	case MSR_EFER: {
		uint64_t allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
		if (val & ~allowed)
			return cpu_gp(cpu, 0);
		if (!mmu_set_efer(m, val, &cpu->fault))
			return false;
		cpu_update_mode(cpu);
		return true;
	}
	case MSR_STAR:
		cpu->star = val;
		return true;
	case MSR_LSTAR:
		if (!canonical_msr(cpu, val))
			return false;
		cpu->lstar = val;
		return true;
	case MSR_CSTAR:
		if (!canonical_msr(cpu, val))
			return false;
		cpu->cstar = val;
		return true;
	case MSR_SFMASK:
		cpu->sfmask = val & 0xffffffffULL;
		return true;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!canonical_msr(cpu, val))
			return false;
		seg_set_base(m, msr == MSR_FS_BASE ? SEG_FS : SEG_GS, val);
		return true;
	case MSR_KERNEL_GS_BASE:
		if (!canonical_msr(cpu, val))
			return false;
		cpu->kernel_gs_base = val;
		return true;
	case MSR_TSC_AUX:
		cpu->tsc_aux = val & 0xffffffffULL;
		return true;
	default:
		return cpu_gp(cpu, 0);
	}
}

/* 0F 32 RDMSR, 0F 30 WRMSR: ECX selects, EDX:EAX is the value. */
static bool exec_msr(struct cpu *cpu, const struct x86_instr *in)
{
	uint32_t msr = (uint32_t)cpu->gpr[RCX];
	uint64_t v;
	if (!privileged(cpu))
		return false;
	if (in->opcode == 0x30)
		return cpu_wrmsr(cpu, msr, (cpu->gpr[RDX] << 32) | (uint32_t)cpu->gpr[RAX]);
	if (!cpu_rdmsr(cpu, msr, &v))
		return false;
	gpr_write(cpu, RAX, 4, v);
	gpr_write(cpu, RDX, 4, v >> 32);
	return true;
}

/* ---- control registers ---- */

static bool read_cr(struct cpu *cpu, unsigned n, uint64_t *v)
{
	switch (n) {
	case 0:
		*v = cpu->mmu->cr0;
		return true;
	case 2:
		*v = cpu->cr2;
		return true;
	case 3:
		*v = cpu->mmu->cr3;
		return true;
	case 4:
		*v = cpu->mmu->cr4;
		return true;
	case 8:
		*v = cpu->cr8;
		return true;
	default:
		return cpu_ud(cpu);
	}
}

static bool write_cr(struct cpu *cpu, unsigned n, uint64_t v)
{
	struct mmu *m = cpu->mmu;
	bool ok;
	switch (n) {
	case 0:
		ok = mmu_set_cr0(m, v, &cpu->fault);
		break;
	case 2:
		cpu->cr2 = v;
		return true;
	case 3:
		ok = mmu_set_cr3(m, v, &cpu->fault);
		break;
	case 4:
		ok = mmu_set_cr4(m, v, &cpu->fault);
		break;
	case 8:
		if (v & ~0xfULL)
			return cpu_gp(cpu, 0);
		cpu->cr8 = v;
		return true;
	default:
		return cpu_ud(cpu);
	}
	if (ok)
		cpu_update_mode(cpu);
	return ok;
}

/* 0F 20 MOV r, CRn; 0F 22 MOV CRn, r (the r/m operand is always a register). */
static bool exec_mov_cr(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = cpu->mode == X86_MODE_64 ? 8 : 4, n = in->reg;
	uint64_t v;
	if (!privileged(cpu))
		return false;
	if (in->opcode == 0x22)
		return write_cr(cpu, n, cpu->gpr[in->rm] & size_mask(size));
	if (!read_cr(cpu, n, &v))
		return false;
	gpr_write(cpu, in->rm, size, v);
	return true;
}

/*
 * 0F 21 MOV r, DRn; 0F 23 MOV DRn, r. DR4 and DR5 are DR6 and DR7 unless CR4.DE makes them
 * #UD; there is no DR8 and up. Only the bits DR6 and DR7 define are kept, the others read
 * as the SDM gives them; in 64-bit mode DR6/DR7's upper half must be written as 0.
 */
static bool exec_mov_dr(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = cpu->mode == X86_MODE_64 ? 8 : 4, n = in->reg;
	if (!privileged(cpu))
		return false;
	if (n >= 8 || ((n == 4 || n == 5) && (cpu->mmu->cr4 & CR4_DE)))
		return cpu_ud(cpu);
	if (n == 4 || n == 5)
		n += 2;
	uint64_t *dr = n < 4 ? &cpu->dr[n] : n == 6 ? &cpu->dr6 : &cpu->dr7;
	if (in->opcode == 0x21) {
		gpr_write(cpu, in->rm, size, *dr);
		return true;
	}
	uint64_t v = cpu->gpr[in->rm] & size_mask(size);
	if (n >= 6 && (v >> 32))
		return cpu_gp(cpu, 0);
	if (n == 6)
		v = (v & 0xe00fULL) | DR6_RESERVED; /* B0-B3, BD, BS, BT */
	else if (n == 7)
		v = (v & ~0xd800ULL) | DR7_RESERVED; /* bits 11, 12, 14 and 15 read as 0 */
	*dr = v;
	return true;
}

/* 0F 06 CLTS. */
static bool exec_clts(struct cpu *cpu, const struct x86_instr *in)
{
	if (!privileged(cpu))
		return false;
	cpu->mmu->cr0 &= ~(1ULL << 3);
	return true;
}

/* ---- SYSCALL / SYSRET / SWAPGS ---- */

/* 0F 05 SYSCALL (SDM SYSCALL; from compatibility mode through CSTAR, as AMD defines). */
static bool exec_syscall(struct cpu *cpu, const struct x86_instr *in)
{
	struct mmu *m = cpu->mmu;
	uint16_t sel = (uint16_t)(cpu->star >> 32) & 0xfffc;
	if (!(m->efer & EFER_SCE))
		return cpu_ud(cpu);
	if (!(m->efer & EFER_LMA)) { /* legacy mode (AMD): EIP from STAR[31:0] */
		gpr_write(cpu, RCX, 4, cpu->next_rip);
		cpu_set_rflags(cpu, (*cpu_rflags_ptr(cpu)) & ~(RFLAGS_IF | RFLAGS_VM | RFLAGS_RF));
		mmu_set_cpl(m, 0);
		cpu_load_flat_cs(cpu, sel, 0, false, true);
		cpu_load_flat_ss(cpu, sel + 8, 0);
		cpu->next_rip = (uint32_t)cpu->star;
		return true;
	}
	uint64_t target = cpu->mode == X86_MODE_64 ? cpu->lstar : cpu->cstar;
	cpu->gpr[RCX] = cpu->next_rip;
	cpu->gpr[R11] = (*cpu_rflags_ptr(cpu)) & ~RFLAGS_RF;
	cpu_set_rflags(cpu, (*cpu_rflags_ptr(cpu)) & ~(cpu->sfmask | RFLAGS_RF));
	mmu_set_cpl(m, 0);
	cpu_load_flat_cs(cpu, sel, 0, true, false);
	cpu_load_flat_ss(cpu, sel + 8, 0);
	cpu->next_rip = target;
	return true;
}

bool cpu_sysret(struct cpu *cpu, bool to64)
{
	struct mmu *m = cpu->mmu;
	uint16_t sel = (uint16_t)(cpu->star >> 48);
	if (!(m->efer & EFER_SCE))
		return cpu_ud(cpu);
	if (cpu_cpl(cpu) != 0 || !(m->efer & EFER_LMA))
		return cpu_gp(cpu, 0);
	uint64_t target = to64 ? cpu->gpr[RCX] : (uint32_t)cpu->gpr[RCX];
	if (to64 && !mmu_canonical(m, target))
		return cpu_gp(cpu, 0);
	cpu_set_rflags(cpu, (cpu->gpr[R11] & 0x3c7fd7ULL) | RFLAGS_FIXED1);
	mmu_set_cpl(m, 3);
	if (to64)
		cpu_load_flat_cs(cpu, (uint16_t)((sel + 16) | 3), 3, true, false);
	else
		cpu_load_flat_cs(cpu, (uint16_t)(sel | 3), 3, false, true);
	cpu_load_flat_ss(cpu, (uint16_t)((sel + 8) | 3), 3);
	cpu->next_rip = target;
	cpu->rip = target;
	return true;
}

/* 0F 07 SYSRET (REX.W: to 64-bit mode). */
static bool exec_sysret(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_sysret(cpu, in->rex & X86_REX_W);
}

/* ---- group 7 (0F 01) ---- */

/* SGDT/SIDT: limit (2 bytes) and base (4 or 8 bytes). */
static bool store_dtr(struct cpu *cpu, const struct x86_instr *in, const struct dtr *d)
{
	unsigned seg = insn_seg(in), bsize = cpu->mode == X86_MODE_64 ? 8 : 4;
	uint64_t ea = cpu_ea(cpu, in);
	if (!cpu_probe_write(cpu, seg, ea, 2 + bsize))
		return false;
	return cpu_write_mem(cpu, seg, ea, 2, d->limit) &&
	       cpu_write_mem(cpu, seg, (ea + 2) & size_mask(in->addrsize), bsize, d->base);
}

/* LGDT/LIDT (privileged): a 24-bit base with a 16-bit operand size outside 64-bit mode. */
static bool load_dtr(struct cpu *cpu, const struct x86_instr *in, struct dtr *d)
{
	unsigned seg = insn_seg(in), bsize = cpu->mode == X86_MODE_64 ? 8 : 4;
	uint64_t ea = cpu_ea(cpu, in), limit, base;
	if (!privileged(cpu))
		return false;
	if (!cpu_read_mem(cpu, seg, ea, 2, &limit) ||
	    !cpu_read_mem(cpu, seg, (ea + 2) & size_mask(in->addrsize), bsize, &base))
		return false;
	if (cpu->mode == X86_MODE_64 && !canonical_msr(cpu, base))
		return false;
	if (cpu->mode != X86_MODE_64 && in->opsize == 2)
		base &= 0xffffff;
	d->limit = (uint16_t)limit;
	d->base = base;
	return true;
}

static bool grp7_register_forms(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned reg = (in->modrm >> 3) & 7, rm = in->modrm & 7;
	if (reg == 7 && rm == 0) { /* SWAPGS */
		if (cpu->mode != X86_MODE_64)
			return cpu_ud(cpu);
		if (!privileged(cpu))
			return false;
		uint64_t gs = cpu->mmu->seg.sreg[SEG_GS].base;
		seg_set_base(cpu->mmu, SEG_GS, cpu->kernel_gs_base);
		cpu->kernel_gs_base = gs;
		return true;
	}
	if (reg == 7 && rm == 1) { /* RDTSCP */
		if (!exec_rdtsc(cpu, in))
			return false;
		gpr_write(cpu, RCX, 4, cpu->tsc_aux);
		return true;
	}
	if (reg == 4) { /* SMSW r */
		gpr_write(cpu, in->rm, in->opsize, cpu->mmu->cr0 & size_mask(in->opsize));
		return true;
	}
	return cpu_ud(cpu);
}

/* 0F 01 group 7. */
static bool exec_grp7(struct cpu *cpu, const struct x86_instr *in)
{
	struct seg_unit *s = &cpu->mmu->seg;
	uint64_t v;
	if (in->mod == 3)
		return grp7_register_forms(cpu, in);
	switch ((in->modrm >> 3) & 7) {
	case 0:
		return store_dtr(cpu, in, &s->gdtr);
	case 1:
		return store_dtr(cpu, in, &s->idtr);
	case 2:
		return load_dtr(cpu, in, &s->gdtr);
	case 3:
		return load_dtr(cpu, in, &s->idtr);
	case 4:
		return rm_write(cpu, in, 2, cpu->mmu->cr0);
	case 6: /* LMSW: PE, MP, EM, TS; PE cannot be cleared */
		if (!privileged(cpu) || !rm_read(cpu, in, 2, &v))
			return false;
		v = (cpu->mmu->cr0 & ~0xeULL) | (v & 0xf) | (cpu->mmu->cr0 & 1);
		return write_cr(cpu, 0, v);
	case 7: { /* INVLPG m */
		uint64_t la;
		if (!privileged(cpu) ||
		    !cpu_linear(cpu, insn_seg(in), cpu_ea(cpu, in), 1, MMU_READ, &la))
			return false;
		mmu_invlpg(cpu->mmu, la);
		return true;
	}
	default:
		return cpu_ud(cpu);
	}
}

/* 0F 00 group 6: SLDT, STR, LLDT, LTR (VERR/VERW are not modelled). */
static bool exec_grp6(struct cpu *cpu, const struct x86_instr *in)
{
	struct mmu *m = cpu->mmu;
	unsigned reg = (in->modrm >> 3) & 7;
	uint64_t v;
	if (!(m->cr0 & CR0_PE))
		return cpu_ud(cpu);
	switch (reg) {
	case 0:
	case 1: {
		uint16_t sel = reg == 0 ? m->seg.ldtr.selector : m->seg.tr.selector;
		if (in->mod == 3) {
			gpr_write(cpu, in->rm, in->opsize, sel);
			return true;
		}
		return rm_write(cpu, in, 2, sel);
	}
	case 2:
	case 3:
		if (!privileged(cpu) || !rm_read(cpu, in, 2, &v))
			return false;
		if (reg == 2)
			return seg_lldt(m, (uint16_t)v, &cpu->fault);
		return seg_ltr(m, (uint16_t)v, &cpu->fault);
	default:
		return cpu_ud(cpu);
	}
}

/* ---- interrupts flag, I/O ---- */

/* FA CLI, FB STI: CPL <= IOPL. */
static bool exec_cli_sti(struct cpu *cpu, const struct x86_instr *in)
{
	if ((cpu->mmu->cr0 & CR0_PE) && cpu_cpl(cpu) > iopl(cpu))
		return cpu_gp(cpu, 0);
	if (in->opcode == 0xfa) {
		(*cpu_rflags_ptr(cpu)) &= ~RFLAGS_IF;
	} else {
		if (!(cpu_rflags_control(cpu) & RFLAGS_IF))
			cpu->interrupt_shadow = true;
		(*cpu_rflags_ptr(cpu)) |= RFLAGS_IF;
	}
	return true;
}

/* E4-E7, EC-EF IN/OUT (INS/OUTS are string instructions: cpu/exec_string.c). */
static bool exec_io(struct cpu *cpu, const struct x86_instr *in)
{
	if ((cpu->mmu->cr0 & CR0_PE) && cpu_cpl(cpu) > iopl(cpu))
		return cpu_gp(cpu, 0);
	bool is_in =
	    in->opcode == 0xe4 || in->opcode == 0xe5 || in->opcode == 0xec || in->opcode == 0xed;
	unsigned size = (in->opcode & 1) ? (in->opsize == 2 ? 2 : 4) : 1;
	if (is_in)
		reg_write(cpu, in, RAX, size, ~0ULL);
	return true;
}

/* 0F AE with mod = 3: LFENCE (/5), MFENCE (/6), SFENCE (/7); memory /7: CLFLUSH. In a
 * single-threaded interpreter memory is always ordered: they only check their operand. */
static bool exec_fence(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned reg = (in->modrm >> 3) & 7;
	uint64_t v;
	if (in->mod == 3)
		return reg >= 5 ? true : cpu_ud(cpu);
	if (reg != 7)
		return cpu_ud(cpu);
	return cpu_read_mem(cpu, insn_seg(in), cpu_ea(cpu, in), 1, &v);
}

/* 0F 08 INVD, 0F 09 WBINVD: privileged; caches are not modelled. */
static bool exec_wbinvd(struct cpu *cpu, const struct x86_instr *in)
{
	return privileged(cpu);
}

void exec_system_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	cpu_ops_set(ops, 1, 0x0b, CPU_ANY, CPU_ANY, exec_ud);
	cpu_ops_set(ops, 1, 0xb9, CPU_ANY, CPU_ANY, exec_ud);
	cpu_ops_set(ops, 1, 0xff, CPU_ANY, CPU_ANY, exec_ud);
	cpu_ops_set(ops, 1, 0xa2, CPU_ANY, CPU_ANY, exec_cpuid);
	cpu_ops_set(ops, 1, 0x31, CPU_ANY, CPU_ANY, exec_rdtsc);
	cpu_ops_set(ops, 1, 0x30, CPU_ANY, CPU_ANY, exec_msr);
	cpu_ops_set(ops, 1, 0x32, CPU_ANY, CPU_ANY, exec_msr);
	cpu_ops_set(ops, 1, 0x20, CPU_ANY, CPU_ANY, exec_mov_cr);
	cpu_ops_set(ops, 1, 0x22, CPU_ANY, CPU_ANY, exec_mov_cr);
	cpu_ops_set(ops, 1, 0x21, CPU_ANY, CPU_ANY, exec_mov_dr);
	cpu_ops_set(ops, 1, 0x23, CPU_ANY, CPU_ANY, exec_mov_dr);
	cpu_ops_set(ops, 1, 0x06, CPU_ANY, CPU_ANY, exec_clts);
	cpu_ops_set(ops, 1, 0x05, CPU_ANY, CPU_ANY, exec_syscall);
	cpu_ops_set(ops, 1, 0x07, CPU_ANY, CPU_ANY, exec_sysret);
	cpu_ops_set(ops, 1, 0x01, CPU_ANY, CPU_ANY, exec_grp7);
	cpu_ops_set(ops, 1, 0x00, CPU_ANY, CPU_ANY, exec_grp6);
	cpu_ops_set(ops, 0, 0xfa, CPU_ANY, CPU_ANY, exec_cli_sti);
	cpu_ops_set(ops, 0, 0xfb, CPU_ANY, CPU_ANY, exec_cli_sti);
	static const uint8_t io[] = {0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef};
	for (unsigned i = 0; i < sizeof(io); i++)
		cpu_ops_set(ops, 0, io[i], CPU_ANY, CPU_ANY, exec_io);
	for (int reg = 5; reg < 8; reg++)
		cpu_ops_set(ops, 1, 0xae, 0, reg, exec_fence);
	cpu_ops_set(ops, 1, 0x08, CPU_ANY, CPU_ANY, exec_wbinvd);
	cpu_ops_set(ops, 1, 0x09, CPU_ANY, CPU_ANY, exec_wbinvd);
	/* 01H:EDX TSC (4), MSR (5), PAT (16), CLFSH (19); 80000001H:EDX SYSCALL (11),
	 * NX (20), 1G pages (26), RDTSCP (27), LM (29). */
	feat->leaf1_edx |= 1u << 4 | 1u << 5 | 1u << 16 | 1u << 19;
	feat->ext1_edx |= 1u << 11 | 1u << 20 | 1u << 26 | 1u << 27 | 1u << 29;
}
