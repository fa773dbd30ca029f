/*
 * cpu/exec_x87.c - the x87 FPU (SDM Vol. 1, chapter 8; Vol. 2, the F* instructions): the
 * escape opcodes D8-DF and WAIT/FWAIT (9B).
 *
 * The arithmetic, the register stack (TOP, tags, stack faults), the condition codes and
 * the exception flags come from the host's x87 executing the same instruction on the
 * guest's state (cpu/fpu.h explains why). This file models what surrounds it:
 *
 *   - #NM when CR0.EM or CR0.TS is set (WAIT: only TS with MP);
 *   - #MF before a waiting instruction when an unmasked exception is pending (FSW.ES);
 *     the no-wait forms FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV and FNSAVE skip the check.
 *     CR0.NE = 0 (FERR# to an external interrupt controller) is not modelled: #MF is
 *     raised either way;
 *   - guest memory operands: read before the host runs; stores are probed before it and
 *     written after, so a #PF leaves the FPU as it was (precise exceptions). Whether a
 *     store with an unmasked exception writes memory is taken from the host too (see
 *     store_form);
 *   - the last-instruction pointers: every non-control instruction sets FIP/FCS and FOP,
 *     one with a memory operand also FDP/FDS; the control instructions (FLDCW, FSTCW,
 *     FSTSW, FSTENV, FLDENV, FSAVE, FRSTOR, FINIT, FCLEX, WAIT) leave them.
 */
#include "cpu/cpu_internal.h"
#include "cpu/fpu.h"

/* Memory forms, by escape byte and ModRM.reg. */
enum x87_mem_kind {
	XM_BAD = 0, /* undefined (the decoder rejects it) */
	XM_LD,	    /* non-control, reads its operand */
	XM_ST,	    /* non-control, writes its operand */
	XM_LDCW,    /* FLDCW */
	XM_STCW,    /* FNSTCW */
	XM_STSW,    /* FNSTSW m16 */
	XM_LDENV,   /* FLDENV */
	XM_STENV,   /* FNSTENV */
	XM_RSTOR,   /* FRSTOR */
	XM_SAVE,    /* FNSAVE */
};

struct x87_mem_form {
	uint8_t kind; /* enum x87_mem_kind */
	uint8_t size; /* operand bytes for XM_LD/XM_ST */
};

/* clang-format off */
#define LD(n) {XM_LD, n}
#define ST(n) {XM_ST, n}
static const struct x87_mem_form mem_forms[8][8] = {
	/* D8 */ {LD(4), LD(4), LD(4), LD(4), LD(4), LD(4), LD(4), LD(4)},
	/* D9 */ {LD(4), {XM_BAD, 0}, ST(4), ST(4), {XM_LDENV, 0}, {XM_LDCW, 2}, {XM_STENV, 0},
		  {XM_STCW, 2}},
	/* DA */ {LD(4), LD(4), LD(4), LD(4), LD(4), LD(4), LD(4), LD(4)},
	/* DB */ {LD(4), ST(4), ST(4), ST(4), {XM_BAD, 0}, LD(10), {XM_BAD, 0}, ST(10)},
	/* DC */ {LD(8), LD(8), LD(8), LD(8), LD(8), LD(8), LD(8), LD(8)},
	/* DD */ {LD(8), ST(8), ST(8), ST(8), {XM_RSTOR, 0}, {XM_BAD, 0}, {XM_SAVE, 0},
		  {XM_STSW, 2}},
	/* DE */ {LD(2), LD(2), LD(2), LD(2), LD(2), LD(2), LD(2), LD(2)},
	/* DF */ {LD(2), ST(2), ST(2), ST(2), LD(10), LD(8), ST(10), ST(8)},
};
#undef LD
#undef ST
/* clang-format on */

static bool x87_nm(struct cpu *cpu)
{
	return cpu_fault(cpu, X86_VEC_NM, false, 0);
}

/* A waiting instruction first takes a pending unmasked exception. */
static bool x87_wait_check(struct cpu *cpu)
{
	if (cpu->fpu.fsw & FSW_ES)
		return cpu_fault(cpu, X86_VEC_MF, false, 0);
	return true;
}

/* Records the instruction (and its memory operand) in FIP/FCS/FOP/FDP/FDS. */
static inline __attribute__((always_inline)) void x87_note_insn(struct cpu *cpu,
								 const struct x86_instr *in)
{
	struct x87_state *f = &cpu->fpu;
	f->fip = insn_rip(cpu, in);
	f->fcs = cpu->mmu->seg.sreg[SEG_CS].selector;
	f->fop = (uint16_t)(((in->opcode & 7) << 8) | in->modrm);
	if (in->mod != 3) {
		unsigned seg = insn_seg(in);
		f->fdp = cpu_ea(cpu, in);
		f->fds = cpu->mmu->seg.sreg[seg].selector;
	}
}

/*
 * Runs the instruction on the guest's state, which the host FPU holds from then on (the
 * usual way: cpu/fpu_owner.c). mem: the RFLAGS image of a register form, the operand
 * buffer of a memory form.
 */
static void live_run(struct cpu *cpu, const struct x86_instr *in, void *mem)
{
	fpu_hold_x87(cpu);
	cpu->fpu.fsw = fpu_host_x87_live(in->opcode, in->modrm, mem);
}

/* Runs the instruction on the host over a copy of the guest state in img, which must be
 * in struct cpu (for the stores that are run twice). */
static void host_run(const struct cpu *cpu, const struct x86_instr *in, struct fxsave_image *img,
		     void *mem)
{
	uint32_t mx = fpu_host_mxcsr();
	FPU_ASSERT_X87_SYNCED(cpu);
	fx_put_x87(&cpu->fpu, img);
	memcpy(img->b + FX_MXCSR, &mx, 4);
	fpu_host_x87(img, in->opcode, in->modrm, mem);
}

static void commit(struct cpu *cpu, const struct fxsave_image *img)
{
	fx_get_x87(&cpu->fpu, img);
}

/* ---- register forms ---- */

static bool reg_form(struct cpu *cpu, const struct x86_instr *in)
{
	uint8_t esc = in->opcode, modrm = in->modrm;
	if (esc == 0xdf && modrm == 0xe0) { /* FNSTSW AX */
		gpr_write(cpu, RAX, 2, cpu->fpu.fsw);
		return true;
	}
	if (esc == 0xdb && modrm >= 0xe0 && modrm <= 0xe4) {
		if (modrm == 0xe3) { /* FNINIT */
			fpu_sync_x87(cpu);
			x87_init(&cpu->fpu);
		} else if (modrm == 0xe2) { /* FNCLEX: the host says what C0-C3 become */
			uint64_t fl = RFLAGS_FIXED1;
			live_run(cpu, in, &fl);
		}
		/* E0, E1, E4 (FENI, FDISI, FSETPM): no-ops since the 80387. */
		return true;
	}
	if (!x87_wait_check(cpu))
		return false;
	uint64_t fl = (cpu->rflags & (RFLAGS_CF | RFLAGS_PF | RFLAGS_ZF)) | RFLAGS_FIXED1;
	live_run(cpu, in, &fl);
	if ((esc == 0xdb || esc == 0xdf) && modrm >= 0xe8 && modrm <= 0xf7) /* FCOMI family */
		cpu->rflags = (cpu->rflags & ~RFLAGS_STATUS) | (fl & RFLAGS_STATUS);
	x87_note_insn(cpu, in);
	return true;
}

/* ---- memory forms ---- */

static bool load_form(struct cpu *cpu, const struct x86_instr *in, unsigned size)
{
	uint8_t buf[16] = {0};
	if (!x87_wait_check(cpu) ||
	    !fpu_read_block(cpu, insn_seg(in), cpu_ea(cpu, in), in->addrsize, buf, size))
		return false;
	live_run(cpu, in, buf);
	x87_note_insn(cpu, in);
	return true;
}

/* The x87 exception masks (FCW bits 0-5): all set, no instruction can set ES. */
#define FCW_MASKS 0x3f

/*
 * A store. With an unmasked exception the hardware may leave the destination alone
 * (invalid operand, overflow, underflow) or write it (precision): the host run is
 * repeated over a differently filled buffer, and the store happens only if both runs
 * wrote the same bytes. That needs the state before the store twice, so it runs on copies
 * in struct cpu; with every exception masked the store always happens, and runs live
 * between the probe of the destination and the write.
 */
static bool store_form(struct cpu *cpu, const struct x86_instr *in, unsigned size)
{
	struct fxsave_image img, again;
	uint8_t buf[16], buf2[16];
	bool stored = true;
	if (!x87_wait_check(cpu))
		return false;
	memset(buf, 0, sizeof(buf));
	if ((cpu->fpu.fcw & FCW_MASKS) == FCW_MASKS) {
		unsigned seg = insn_seg(in);
		uint64_t ea = cpu_ea(cpu, in);
		if (!fpu_probe_block(cpu, seg, ea, in->addrsize, size))
			return false;
		live_run(cpu, in, buf);
		if (!fpu_store_block(cpu, seg, ea, in->addrsize, buf, size))
			return false;
		x87_note_insn(cpu, in);
		return true;
	}
	fpu_sync_x87(cpu);
	host_run(cpu, in, &img, buf);
	if (img.b[FX_FSW] & FSW_ES) {
		memset(buf2, 0xff, sizeof(buf2));
		host_run(cpu, in, &again, buf2);
		stored = memcmp(buf, buf2, size) == 0;
	}
	if (stored && !fpu_write_block(cpu, insn_seg(in), cpu_ea(cpu, in), in->addrsize, buf, size))
		return false;
	commit(cpu, &img);
	x87_note_insn(cpu, in);
	return true;
}

/* FLDCW: through the host, which sets ES when the new mask uncovers a pending flag; the
 * word as the host keeps it is kept beside the held state. */
static bool ldcw_form(struct cpu *cpu, const struct x86_instr *in)
{
	uint8_t buf[16] = {0};
	uint16_t fcw;
	if (!x87_wait_check(cpu) ||
	    !fpu_read_block(cpu, insn_seg(in), cpu_ea(cpu, in), in->addrsize, buf, 2))
		return false;
	live_run(cpu, in, buf);
	memcpy(&fcw, buf, 2);
	cpu->fpu.fcw = x87_fcw_normalise(fcw);
	return true;
}

static unsigned env_opsize(const struct x86_instr *in)
{
	return in->opsize == 2 ? 2 : 4;
}

/* FLDENV and FRSTOR: the whole image is read before anything changes. */
static bool restore_form(struct cpu *cpu, const struct x86_instr *in, bool regs)
{
	uint8_t buf[28 + 80];
	unsigned os = env_opsize(in), n = x87_env_size(os);
	if (!x87_wait_check(cpu) || !fpu_read_block(cpu, insn_seg(in), cpu_ea(cpu, in),
						    in->addrsize, buf, n + (regs ? 80 : 0)))
		return false;
	fpu_sync_x87(cpu);
	x87_env_load(cpu, os, buf);
	if (regs)
		x87_regs_load(&cpu->fpu, buf + n);
	return true;
}

/* FNSTENV (then all exceptions masked) and FNSAVE (then FNINIT). */
static bool save_form(struct cpu *cpu, const struct x86_instr *in, bool regs)
{
	uint8_t buf[28 + 80];
	unsigned os = env_opsize(in), n = x87_env_size(os);
	struct x87_state *f = &cpu->fpu;
	fpu_sync_x87(cpu);
	x87_env_store(cpu, os, buf);
	if (regs)
		x87_regs_store(f, buf + n);
	if (!fpu_write_block(cpu, insn_seg(in), cpu_ea(cpu, in), in->addrsize, buf,
			     n + (regs ? 80 : 0)))
		return false;
	if (regs) {
		x87_init(f);
	} else {
		f->fcw |= 0x3f;
		f->fsw = x87_fsw_normalise(f->fsw, f->fcw);
	}
	return true;
}

static bool store_word(struct cpu *cpu, const struct x86_instr *in, uint16_t v)
{
	return cpu_write_mem(cpu, insn_seg(in), cpu_ea(cpu, in), 2, v);
}

static bool mem_form(struct cpu *cpu, const struct x86_instr *in)
{
	const struct x87_mem_form *mf = &mem_forms[in->opcode - 0xd8][(in->modrm >> 3) & 7];
	switch (mf->kind) {
	case XM_LD:
		return load_form(cpu, in, mf->size);
	case XM_ST:
		return store_form(cpu, in, mf->size);
	case XM_LDCW:
		return ldcw_form(cpu, in);
	case XM_STCW:
		return store_word(cpu, in, cpu->fpu.fcw);
	case XM_STSW:
		return store_word(cpu, in, cpu->fpu.fsw);
	case XM_LDENV:
		return restore_form(cpu, in, false);
	case XM_RSTOR:
		return restore_form(cpu, in, true);
	case XM_STENV:
		return save_form(cpu, in, false);
	case XM_SAVE:
		return save_form(cpu, in, true);
	default:
		return cpu_ud(cpu);
	}
}

/* D8-DF: every x87 instruction. */
static bool exec_x87(struct cpu *cpu, const struct x86_instr *in)
{
	if (cpu->mmu->cr0 & (CR0_EM | CR0_TS))
		return x87_nm(cpu);
	if (in->mod == 3)
		return reg_form(cpu, in);
	return mem_form(cpu, in);
}

/* 9B WAIT/FWAIT: #NM only with TS and MP both set; then any pending exception. */
static bool exec_fwait(struct cpu *cpu, const struct x86_instr *in)
{
	if ((cpu->mmu->cr0 & (CR0_TS | CR0_MP)) == (CR0_TS | CR0_MP))
		return x87_nm(cpu);
	return x87_wait_check(cpu);
}

void exec_x87_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	for (unsigned op = 0xd8; op <= 0xdf; op++)
		cpu_ops_set(ops, 0, op, CPU_ANY, CPU_ANY, exec_x87);
	cpu_ops_set(ops, 0, 0x9b, CPU_ANY, CPU_ANY, exec_fwait);
	feat->leaf1_edx |= 1u << 0; /* FPU */
}
