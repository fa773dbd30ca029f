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
 *
 * The commonest forms also have handlers chosen at decode time (cpu_x87_specialise, at the
 * end): the guest's instruction inline for the common case, exec_x87 for the rest.
 */
#include "cpu/cpu_internal.h"
#include "cpu/fpu.h"
#include "cpu/fpu_mem.h"

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
	cpu->x87_note.insn[0] = 0; /* newer than a fast handler's note */
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

/* D8-DF: every x87 instruction. (Never inlined: the specialised handlers below leave
 * through it, as a tail call.) The FSW current first (fpu_x87_fsw); afterwards, whether
 * the held state is quiet (FLDCW may have changed the masks, FNCLEX the flags). */
static __attribute__((noinline)) bool exec_x87(struct cpu *cpu, const struct x86_instr *in)
{
	bool ok;
	if (cpu->mmu->cr0 & (CR0_EM | CR0_TS))
		return x87_nm(cpu);
	fpu_x87_fsw(cpu);
	ok = in->mod == 3 ? reg_form(cpu, in) : mem_form(cpu, in);
	if (cpu->fpu_held & FPU_HELD_X87)
		fpu_x87_requiet(cpu);
	return ok;
}

/* ---- handlers specialised at decode time ---- */

/*
 * The commonest x87 forms get handlers of their own when they enter the decoded-instruction
 * cache (cpu_x87_specialise): the register forms of D8, D9, DC, DD and DE (the arithmetic,
 * FLD/FST/FSTP/FXCH ST(i), FCHS, FSQRT and the rest of D9's, none of which touches RFLAGS),
 * FCMOVcc and the FCOMI family (which do), and the loads and stores with a flat operand of
 * 64-bit code or an operand of 32-bit code of a shape of cpu/fpu_mem.h. They do what
 * exec_x87 does for those forms when the common case holds: the FPU usable (CR0.EM and
 * CR0.TS clear), the host already holding the guest's state and that state quiet (every
 * exception masked, none pending: FPU_HELD_X87_QUIET; so no instruction can set ES, and a
 * store always happens); the operand in one page on the MMU's inline path (a load also
 * misaligned), through the segment check's common case in 32-bit code, with the accesses
 * of the general form counted (fpu_read_block's, or fpu_probe_block's and
 * fpu_store_block's). Otherwise they hand the instruction to exec_x87 before anything has
 * changed. They leave the FSW on the host (quiet: it cannot have ES set, and exec_x87 or
 * the sync reads it back when it is wanted) and FIP and FOP in cpu->x87_note.
 */

/* The common case of a waiting x87 instruction. */
static inline bool x87_ready(const struct cpu *cpu)
{
	return !(cpu->mmu->cr0 & (CR0_EM | CR0_TS)) && (cpu->fpu_held & FPU_HELD_X87_QUIET);
}

/*
 * x87_note_insn for the forms of the fast handlers: FCS, and for a memory operand FDP/FDS
 * (fdp: its effective address, seg: its segment), written as it does; FIP and FOP noted
 * in cpu->x87_note as the bytes of in they come from (its length, mode, opcode and ModRM:
 * one 16-byte copy) and the next RIP, for x87_note_flush when the state leaves the host.
 * The copy, not a pointer to in: the decoded instruction may be dropped before then.
 */
static inline __attribute__((always_inline)) void note_fast(struct cpu *cpu,
							    const struct x86_instr *in, bool mem,
							    uint64_t fdp, unsigned seg)
{
	struct x87_state *f = &cpu->fpu;
	const struct mmu *m = cpu->mmu;
	uint16_t cs = m->seg.sreg[SEG_CS].selector, ds = mem ? m->seg.sreg[seg].selector : 0;
	memcpy(cpu->x87_note.insn, (const uint8_t *)in + offsetof(struct x86_instr, len),
	       sizeof(cpu->x87_note.insn));
	cpu->x87_note.next_rip = cpu->next_rip;
	f->fcs = cs;
	if (mem) {
		f->fdp = fdp;
		f->fds = ds;
	}
}
_Static_assert(offsetof(struct x86_instr, len) + sizeof(((struct x87_note *)0)->insn) >
		   offsetof(struct x86_instr, modrm),
	       "x87_note's copy has the length, mode, opcode and ModRM");
_Static_assert(offsetof(struct x86_instr, mode) > offsetof(struct x86_instr, len) &&
		   offsetof(struct x86_instr, opcode) > offsetof(struct x86_instr, len),
	       "x87_note's copy starts with the length");

/*
 * A register form of D8, D9, DC, DD or DE, one handler per encoding: the guest's
 * instruction itself runs inline (what its live stub does, without the call and without
 * reading the FSW: none of these forms reads or writes RFLAGS). The pointers are noted
 * first, with what the handler has just loaded at hand (nothing can fail after the test).
 */
#define X87_STR(x) #x
#define X87_REG_FN(esc, modrm)                                                               \
	static bool x87_reg_##esc##_##modrm(struct cpu *cpu, const struct x86_instr *in)     \
	{                                                                                    \
		if (unlikely(!x87_ready(cpu)))                                               \
			return exec_x87(cpu, in);                                            \
		note_fast(cpu, in, false, 0, 0);                                             \
		__asm__ volatile(".byte " X87_STR(esc) ", " X87_STR(modrm));                 \
		return true;                                                                 \
	}
#define X87_REG_16(X, esc, h)                                                                \
	X(esc, 0x##h##0) X(esc, 0x##h##1) X(esc, 0x##h##2) X(esc, 0x##h##3) X(esc, 0x##h##4)  \
	X(esc, 0x##h##5) X(esc, 0x##h##6) X(esc, 0x##h##7) X(esc, 0x##h##8) X(esc, 0x##h##9)  \
	X(esc, 0x##h##a) X(esc, 0x##h##b) X(esc, 0x##h##c) X(esc, 0x##h##d) X(esc, 0x##h##e)  \
	X(esc, 0x##h##f)
#define X87_REG_64(X, esc)                                                                   \
	X87_REG_16(X, esc, c) X87_REG_16(X, esc, d) X87_REG_16(X, esc, e) X87_REG_16(X, esc, f)
#define X87_REG_ESCAPES(X)                                                                   \
	X87_REG_64(X, 0xd8) X87_REG_64(X, 0xd9) X87_REG_64(X, 0xdc) X87_REG_64(X, 0xdd)       \
	X87_REG_64(X, 0xde)
X87_REG_ESCAPES(X87_REG_FN)
#define X87_REG_ENTRY(esc, modrm) x87_reg_##esc##_##modrm,
/* D8, D9, DC, DD, DE: [escape][ModRM - C0] */
static const cpu_exec_fn x87_reg_fns[5][64] = {
    {X87_REG_64(X87_REG_ENTRY, 0xd8)}, {X87_REG_64(X87_REG_ENTRY, 0xd9)},
    {X87_REG_64(X87_REG_ENTRY, 0xdc)}, {X87_REG_64(X87_REG_ENTRY, 0xdd)},
    {X87_REG_64(X87_REG_ENTRY, 0xde)},
};

/*
 * The register forms that use RFLAGS, one handler per encoding as above: FCMOVcc (DA and
 * DB C0-DF), which the host runs with the guest's CF, PF and ZF loaded (SAHF: no stack,
 * which the compiler may use below RSP), and FCOMI/FUCOMI (DB E8-F7) and FCOMIP/FUCOMIP
 * (DF E8-F7), whose ZF, PF and CF the host sets and whose OF, SF and AF it clears (SDM),
 * taken from its flags. The general form runs with the lazy flags materialised
 * (cpu/exec.c, exec_x87_synced), so the hand-over materialises them too.
 */
#define X87_FLAGS_FN(esc, modrm)                                                             \
	static bool x87_flags_##esc##_##modrm(struct cpu *cpu, const struct x86_instr *in)   \
	{                                                                                    \
		if (unlikely(!x87_ready(cpu))) {                                             \
			(void)cpu_rflags_ptr(cpu);                                           \
			return exec_x87(cpu, in);                                            \
		}                                                                            \
		note_fast(cpu, in, false, 0, 0);                                             \
		if ((modrm) < 0xe0) { /* FCMOVcc */                                          \
			uint16_t ah = (uint16_t)((*cpu_rflags_ptr(cpu) & 0xff) << 8);        \
			__asm__ volatile("sahf\n\t"                                          \
					 ".byte " X87_STR(esc) ", " X87_STR(modrm)           \
					 :                                                   \
					 : "a"(ah)                                           \
					 : "cc");                                            \
		} else { /* FCOMI family */                                                  \
			bool cf, pf, zf;                                                     \
			__asm__ volatile(".byte " X87_STR(esc) ", " X87_STR(modrm)           \
					 : "=@ccc"(cf), "=@ccp"(pf), "=@ccz"(zf));           \
			flags_set_status(cpu, (cf ? RFLAGS_CF : 0) | (pf ? RFLAGS_PF : 0) |  \
						      (zf ? RFLAGS_ZF : 0));                 \
		}                                                                            \
		return true;                                                                 \
	}
#define X87_8LO(X, esc, h)                                                                   \
	X(esc, 0x##h##0) X(esc, 0x##h##1) X(esc, 0x##h##2) X(esc, 0x##h##3) X(esc, 0x##h##4)  \
	X(esc, 0x##h##5) X(esc, 0x##h##6) X(esc, 0x##h##7)
#define X87_8HI(X, esc, h)                                                                   \
	X(esc, 0x##h##8) X(esc, 0x##h##9) X(esc, 0x##h##a) X(esc, 0x##h##b) X(esc, 0x##h##c)  \
	X(esc, 0x##h##d) X(esc, 0x##h##e) X(esc, 0x##h##f)
/* FCMOVcc: C0-DF of DA and DB; FCOMI, FUCOMI, FCOMIP, FUCOMIP: E8-F7 of DB and DF. */
#define X87_FLAGS_FORMS(X)                                                                   \
	X87_REG_16(X, 0xda, c) X87_REG_16(X, 0xda, d) X87_REG_16(X, 0xdb, c)                  \
	X87_REG_16(X, 0xdb, d) X87_8HI(X, 0xdb, e) X87_8LO(X, 0xdb, f) X87_8HI(X, 0xdf, e)    \
	X87_8LO(X, 0xdf, f)
X87_FLAGS_FORMS(X87_FLAGS_FN)
#define X87_FLAGS_ENTRY(esc, modrm)                                                          \
	[(esc) == 0xda ? 0 : (esc) == 0xdb ? 1 : 2][(modrm) - 0xc0] = x87_flags_##esc##_##modrm,
/* DA, DB, DF: [escape][ModRM - C0]; NULL where the form is not one */
static const cpu_exec_fn x87_flags_fns[3][64] = {X87_FLAGS_FORMS(X87_FLAGS_ENTRY)};

/*
 * The flat operand of in at la, of size (2, 4, 8 or 10) bytes and any alignment, for a
 * load or a store, at host address *p, with the general form's accesses counted
 * (fpu_read_block's; for a store fpu_probe_block's and fpu_store_block's: each part
 * probed, then written; an 80-bit operand is an 8-byte part and a 2-byte one, both in
 * the page); false, nothing counted, when the fast path cannot take it.
 */
static inline __attribute__((always_inline)) bool x87_fast_operand(struct cpu *cpu, uint64_t la,
								   unsigned size, bool store,
								   uint8_t **p)
{
	unsigned part = size == 10 ? 8 : size;
	if (!store)
		return fpu_fast_load(cpu->mmu, la, size, part, size == 10 ? 2 : 1, p);
	return fpu_fast_store(cpu->mmu, la, size, part, p);
}

/* The x87 instruction esc mrm on the operand at host address p (mrm: [rdi]), a load or a
 * store; the operand as an asm memory operand of 10 bytes (the largest), which tells the
 * compiler what the instruction reads or writes and nothing else. */
#define X87_MEM_RUN(esc, mrm, p, store)                                                      \
	do {                                                                                 \
		typedef uint8_t x87_operand_[10];                                            \
		if (store)                                                                   \
			__asm__ volatile(".byte " X87_STR(esc) ", " X87_STR(mrm)             \
					 : "=m"(*(x87_operand_ *)(p))                        \
					 : "D"(p));                                          \
		else                                                                         \
			__asm__ volatile(".byte " X87_STR(esc) ", " X87_STR(mrm)             \
					 :                                                   \
					 : "D"(p), "m"(*(const x87_operand_ *)(p)));         \
	} while (0)

/* The segment of the operand: insn_seg (segc 0), or DS known at decode time (segc 1: the
 * commonest, which saves the handler the test of the override and of the base). */
#define X87_SEG(segc, in) ((segc) ? (unsigned)SEG_DS : insn_seg(in))

/*
 * A memory form of kind XM_LD (load_form's common case) or XM_ST (store_form's live case,
 * every exception masked), one handler per escape, ModRM.reg and operand shape: the
 * guest's instruction runs inline on the operand in guest RAM itself, at its host address
 * (the x87 unit reads or writes exactly the operand's bytes, as the stub does in its
 * buffer, which the general form then copies). A store needs no code-page note: a write
 * fast entry never maps a frame with decoded code (cpu_fast_store), so a store into code
 * takes the general form, which notes it. mrm is the instruction's ModRM byte with [rdi]
 * as the operand. The pointers are noted first (nothing can fail after the operand
 * check), so that nothing of struct cpu is read after the store, which might alias it.
 * A flat operand of 64-bit code (X87_MEM_FN), or an operand of 32-bit code through its
 * segment, the segment check's common case inline (X87_MEM_FN32); each for an operand in
 * DS and for one in any segment (segc: X87_SEG).
 */
#define X87_MEM_FN(esc, reg, mrm, shape, segc, sfx)                                        \
	static bool x87_mem_##esc##_##reg##_##sfx(struct cpu *cpu, const struct x86_instr *in) \
	{                                                                                    \
		const unsigned size = mem_forms[(esc) - 0xd8][reg].size;                     \
		const bool store = mem_forms[(esc) - 0xd8][reg].kind == XM_ST;               \
		uint8_t *p;                                                                  \
		if (unlikely(!x87_ready(cpu)))                                               \
			return exec_x87(cpu, in);                                            \
		uint64_t la = flat_la(cpu, in, shape);                                       \
		if (unlikely(!x87_fast_operand(cpu, la, size, store, &p)))                   \
			return exec_x87(cpu, in);                                            \
		note_fast(cpu, in, true, la, X87_SEG(segc, in));                             \
		X87_MEM_RUN(esc, mrm, p, store);                                             \
		return true;                                                                 \
	}
#define X87_MEM_FN32(esc, reg, mrm, shape, segc, sfx)                                      \
	static bool x87_mem_##esc##_##reg##_##sfx(struct cpu *cpu, const struct x86_instr *in) \
	{                                                                                    \
		const unsigned size = mem_forms[(esc) - 0xd8][reg].size;                     \
		const bool store = mem_forms[(esc) - 0xd8][reg].kind == XM_ST;               \
		const unsigned kind = store ? MMU_WRITE : MMU_READ;                          \
		const unsigned parts = size == 10 ? 2 : 1;                                   \
		uint8_t *p;                                                                  \
		uint64_t la;                                                                 \
		if (unlikely(!x87_ready(cpu)))                                               \
			return exec_x87(cpu, in);                                            \
		unsigned seg = X87_SEG(segc, in);                                            \
		uint32_t off = off32(cpu, in, shape);                                        \
		if (unlikely(!fpu_fast_at32(cpu, seg, off, size, size == 10 ? 8 : size, kind, \
					    store ? 2 * parts : parts, &la, &p)))            \
			return exec_x87(cpu, in);                                            \
		note_fast(cpu, in, true, off, seg);                                          \
		X87_MEM_RUN(esc, mrm, p, store);                                             \
		return true;                                                                 \
	}
#define X87_MEM_SHAPES(esc, reg, mrm)                                                      \
	X87_MEM_FN(esc, reg, mrm, FLAT_BASE, 0, b)                                         \
	X87_MEM_FN(esc, reg, mrm, FLAT_BI, 0, i) X87_MEM_FN(esc, reg, mrm, FLAT_RIP, 0, r)  \
	X87_MEM_FN(esc, reg, mrm, FLAT_BASE, 1, bd)                                        \
	X87_MEM_FN(esc, reg, mrm, FLAT_BI, 1, id) X87_MEM_FN(esc, reg, mrm, FLAT_RIP, 1, rd) \
	X87_MEM_FN32(esc, reg, mrm, OFF32_BASE, 0, b32)                                    \
	X87_MEM_FN32(esc, reg, mrm, OFF32_BI, 0, i32)                                      \
	X87_MEM_FN32(esc, reg, mrm, OFF32_DISP, 0, d32)                                    \
	X87_MEM_FN32(esc, reg, mrm, OFF32_BASE, 1, b32d)                                   \
	X87_MEM_FN32(esc, reg, mrm, OFF32_BI, 1, i32d)                                     \
	X87_MEM_FN32(esc, reg, mrm, OFF32_DISP, 1, d32d)
/* The loads and stores of each escape (mem_forms' XM_LD and XM_ST): X(esc, reg, mrm). */
#define X87_MEM_FORMS(X)                                                                     \
	X(0xd8, 0, 0x07) X(0xd8, 1, 0x0f) X(0xd8, 2, 0x17) X(0xd8, 3, 0x1f) X(0xd8, 4, 0x27)  \
	X(0xd8, 5, 0x2f) X(0xd8, 6, 0x37) X(0xd8, 7, 0x3f)                                   \
	X(0xd9, 0, 0x07) X(0xd9, 2, 0x17) X(0xd9, 3, 0x1f)                                   \
	X(0xda, 0, 0x07) X(0xda, 1, 0x0f) X(0xda, 2, 0x17) X(0xda, 3, 0x1f) X(0xda, 4, 0x27)  \
	X(0xda, 5, 0x2f) X(0xda, 6, 0x37) X(0xda, 7, 0x3f)                                   \
	X(0xdb, 0, 0x07) X(0xdb, 1, 0x0f) X(0xdb, 2, 0x17) X(0xdb, 3, 0x1f) X(0xdb, 5, 0x2f)  \
	X(0xdb, 7, 0x3f)                                                                     \
	X(0xdc, 0, 0x07) X(0xdc, 1, 0x0f) X(0xdc, 2, 0x17) X(0xdc, 3, 0x1f) X(0xdc, 4, 0x27)  \
	X(0xdc, 5, 0x2f) X(0xdc, 6, 0x37) X(0xdc, 7, 0x3f)                                   \
	X(0xdd, 0, 0x07) X(0xdd, 1, 0x0f) X(0xdd, 2, 0x17) X(0xdd, 3, 0x1f)                   \
	X(0xde, 0, 0x07) X(0xde, 1, 0x0f) X(0xde, 2, 0x17) X(0xde, 3, 0x1f) X(0xde, 4, 0x27)  \
	X(0xde, 5, 0x2f) X(0xde, 6, 0x37) X(0xde, 7, 0x3f)                                   \
	X(0xdf, 0, 0x07) X(0xdf, 1, 0x0f) X(0xdf, 2, 0x17) X(0xdf, 3, 0x1f) X(0xdf, 4, 0x27)  \
	X(0xdf, 5, 0x2f) X(0xdf, 6, 0x37) X(0xdf, 7, 0x3f)
X87_MEM_FORMS(X87_MEM_SHAPES)
#define X87_MEM_ENTRY(esc, reg, mrm)                                                       \
	[(esc) - 0xd8][reg] = {{x87_mem_##esc##_##reg##_b, x87_mem_##esc##_##reg##_i,        \
				x87_mem_##esc##_##reg##_r},                                  \
			       {x87_mem_##esc##_##reg##_bd, x87_mem_##esc##_##reg##_id,      \
				x87_mem_##esc##_##reg##_rd}},
#define X87_MEM_ENTRY32(esc, reg, mrm)                                                     \
	[(esc) - 0xd8][reg] = {{x87_mem_##esc##_##reg##_b32, x87_mem_##esc##_##reg##_i32,    \
				x87_mem_##esc##_##reg##_d32},                                \
			       {x87_mem_##esc##_##reg##_b32d, x87_mem_##esc##_##reg##_i32d,  \
				x87_mem_##esc##_##reg##_d32d}},
/* [escape - D8][ModRM.reg][any segment, DS][shape: FLAT_BASE, FLAT_BI, FLAT_RIP] */
static const cpu_exec_fn x87_mem_fns[8][8][2][3] = {X87_MEM_FORMS(X87_MEM_ENTRY)};
/* [escape - D8][ModRM.reg][any segment, DS][shape: OFF32_BASE, OFF32_BI, OFF32_DISP] */
static const cpu_exec_fn x87_mem_fns32[8][8][2][3] = {X87_MEM_FORMS(X87_MEM_ENTRY32)};


cpu_exec_fn cpu_x87_specialise(const struct x86_instr *in)
{
	unsigned esc = in->opcode;
	if (in->map != 0 || esc < 0xd8 || esc > 0xdf)
		return NULL;
	if (in->mod == 3) { /* DA, DB and DF read or write RFLAGS, or are control forms */
		static const int8_t row[8] = {0, 1, -1, -1, 2, 3, 4, -1};
		static const int8_t flags_row[8] = {-1, -1, 0, 1, -1, -1, -1, 2};
		if (flags_row[esc - 0xd8] >= 0)
			return x87_flags_fns[flags_row[esc - 0xd8]][in->modrm - 0xc0];
		if (row[esc - 0xd8] < 0)
			return NULL;
		return x87_reg_fns[row[esc - 0xd8]][in->modrm - 0xc0];
	}
	const struct x87_mem_form *mf = &mem_forms[esc - 0xd8][(in->modrm >> 3) & 7];
	if (mf->kind != XM_LD && mf->kind != XM_ST)
		return NULL;
	bool ds = insn_seg(in) == SEG_DS;
	enum off32_shape s32 = off32_shape(in);
	if (s32 != OFF32_OTHER)
		return x87_mem_fns32[esc - 0xd8][(in->modrm >> 3) & 7][ds][s32];
	if (!insn_flat64(in))
		return NULL;
	enum flat_shape s = flat_shape(in);
	if (s == FLAT_OTHER)
		return NULL;
	return x87_mem_fns[esc - 0xd8][(in->modrm >> 3) & 7][ds][s];
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
