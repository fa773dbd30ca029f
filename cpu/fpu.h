/*
 * cpu/fpu.h - what the x87 and SSE files share: the control-register bits that gate them,
 * the FXSAVE image the host executes on, and the host execution stubs.
 *
 * How floating point is computed. mmemu runs on an x86-64 host, and the host's own x87
 * and SSE units are the reference the model must match bit for bit (80-bit rounding under
 * every PC/RC, denormals, NaN propagation, the transcendental instructions' exact results,
 * the implementation-specific RCPPS/RSQRTPS approximations). So the arithmetic is done by
 * the host: the host's x87 unit holds the guest's x87 state while guest code runs
 * (cpu/fpu_owner.c), and a tiny assembly stub executes the very same x87 instruction on
 * it (with a host buffer standing in for the guest's memory operand). SSE arithmetic runs
 * in a stub under the guest's MXCSR, which the host also keeps loaded while the guest
 * masks every exception. The guest's TOP, tags, condition codes and exception flags
 * therefore come out exactly as the hardware makes them. Guest memory, faults,
 * #NM/#MF/#XM, FIP/FDP/FOP and the environment formats are modelled in C.
 *
 * The host never traps: a waiting x87 instruction is not run while the guest has an
 * unmasked exception pending (the guest takes #MF first), and SSE operations run with
 * every exception masked on the host, the guest's masks applied afterwards.
 */
#ifndef MMEMU_CPU_FPU_H
#define MMEMU_CPU_FPU_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* CR0 and CR4 bits that gate the FPU (SDM Vol. 3, 2.5). */
#define CR0_MP (1ULL << 1)	    /* monitor coprocessor: WAIT honours TS */
#define CR0_EM (1ULL << 2)	    /* emulation: x87 raises #NM, SSE raises #UD */
#define CR0_TS (1ULL << 3)	    /* task switched: FPU/SSE use raises #NM */
#define CR0_NE (1ULL << 5)	    /* native x87 error reporting (#MF) */
#define CR4_OSFXSR (1ULL << 9)	    /* the OS supports FXSAVE/FXRSTOR and SSE */
#define CR4_OSXMMEXCPT (1ULL << 10) /* the OS handles #XM (else SSE exceptions are #UD) */

/* x87 status word (SDM Vol. 1, 8.1.3). */
#define FSW_IE 0x0001
#define FSW_DE 0x0002
#define FSW_ZE 0x0004
#define FSW_OE 0x0008
#define FSW_UE 0x0010
#define FSW_PE 0x0020
#define FSW_SF 0x0040
#define FSW_ES 0x0080
#define FSW_C0 0x0100
#define FSW_C1 0x0200
#define FSW_C2 0x0400
#define FSW_TOP_SHIFT 11
#define FSW_C3 0x4000
#define FSW_B 0x8000

/* MXCSR (SDM Vol. 1, 10.2.3). */
#define MXCSR_IE 0x0001
#define MXCSR_DE 0x0002
#define MXCSR_ZE 0x0004
#define MXCSR_OE 0x0008
#define MXCSR_UE 0x0010
#define MXCSR_PE 0x0020
#define MXCSR_FLAGS 0x003f
#define MXCSR_DAZ 0x0040
#define MXCSR_MASKS 0x1f80 /* IM DM ZM OM UM PM, bits 7..12 */
#define MXCSR_UM 0x0800
#define MXCSR_FTZ 0x8000
#define MXCSR_MM 0x20000 /* AMD misaligned SSE mode (CPUID 80000001h:ECX.MisAlignSse) */
/* The bits LDMXCSR/FXRSTOR accept (MXCSR_MASK): flags, DAZ, masks, RC, FTZ and MM, the
 * value the reference host (AMD family 17h) reports. */
#define MXCSR_MASK_MODEL 0x0002ffffu

/*
 * The 512-byte FXSAVE area (SDM Vol. 1, Table 10-2), 64-bit layout:
 *
 *   0  FCW   2  FSW   4  abridged FTW   6  FOP   8  FIP (64)   16  FDP (64)
 *   24 MXCSR   28 MXCSR_MASK   32 + 16*i  ST(i) (10 bytes)   160 + 16*i  XMMi
 *
 * The legacy layout has FIP[31:0] at 8, FCS at 12, FDP[31:0] at 16, FDS at 20.
 */
struct fxsave_image {
	_Alignas(16) uint8_t b[512];
};

#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_FOP 6
#define FX_FIP 8
#define FX_FCS 12
#define FX_FDP 16
#define FX_FDS 20
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_ST 32
#define FX_XMM 160

/* The tag a register's contents give (SDM Vol. 1, 8.1.7): 0 valid, 1 zero, 2 special. */
unsigned x87_tag_of(const struct x87_reg *r);
/* The physical register number of ST(i). */
static inline unsigned x87_phys(const struct x87_state *f, unsigned i)
{
	return (((f->fsw >> FSW_TOP_SHIFT) & 7) + i) & 7;
}

/* Writes the x87 part of the guest state (control, status, tags, FOP, registers in stack
 * order) into img; FIP/FDP and XMM are left alone. */
void fx_put_x87(const struct x87_state *f, struct fxsave_image *img);
/* Reads the x87 part back: full tags are recomputed from the abridged ones and the
 * register contents, as FXRSTOR does. */
void fx_get_x87(struct x87_state *f, const struct fxsave_image *img);

/* A loaded control word as the hardware keeps it; a loaded status word with ES and B
 * recomputed from the unmasked exception flags (FLDENV/FRSTOR/FXRSTOR do both). */
uint16_t x87_fcw_normalise(uint16_t fcw);
uint16_t x87_fsw_normalise(uint16_t fsw, uint16_t fcw);

/* FNINIT's state (the pointers cleared too). */
void x87_init(struct x87_state *f);

/* The environment (FNSTENV/FLDENV): 14 bytes for operand size 2, else 28. */
unsigned x87_env_size(unsigned opsize);
void x87_env_store(const struct cpu *cpu, unsigned opsize, uint8_t *p);
void x87_env_load(struct cpu *cpu, unsigned opsize, const uint8_t *p);
/* The eight registers of FNSAVE/FRSTOR, ST(0) first, 10 bytes each. x87_regs_load expects
 * the environment (TOP, tags) already loaded. */
void x87_regs_store(const struct x87_state *f, uint8_t *p);
void x87_regs_load(struct x87_state *f, const uint8_t *p);

/* FXSAVE: fills img (AMD rule: FOP/FIP/FDP only while ES is set) and the number of bytes
 * to store; FXRSTOR: false when MXCSR has reserved bits set (#GP(0)). */
void fxsave_fill(const struct cpu *cpu, bool rexw, struct fxsave_image *img, unsigned *len);
bool fxrstor_load(struct cpu *cpu, bool rexw, const struct fxsave_image *img);

/* Guest memory blocks of up to 512 bytes at seg:off (offsets wrap at the address size
 * asz). The write probes the whole range first, so a fault leaves memory unchanged. */
bool fpu_read_block(struct cpu *cpu, unsigned seg, uint64_t off, unsigned asz, void *buf,
		    unsigned n);
bool fpu_write_block(struct cpu *cpu, unsigned seg, uint64_t off, unsigned asz, const void *buf,
		     unsigned n);
/* fpu_write_block's two halves: the probes of the whole range, then the writes. */
bool fpu_probe_block(struct cpu *cpu, unsigned seg, uint64_t off, unsigned asz, unsigned n);
bool fpu_store_block(struct cpu *cpu, unsigned seg, uint64_t off, unsigned asz, const void *buf,
		     unsigned n);

/* Registration of the x87 (cpu/exec_x87.c) and SSE (cpu/exec_sse.c) families. */
struct cpu_ops;
void exec_x87_register(struct cpu_ops *ops, struct cpu_features *feat);
void exec_sse_register(struct cpu_ops *ops, struct cpu_features *feat);

/* ---- host stubs (cpu/fpu_host.c) ---- */

/*
 * Executes the x87 instruction esc (D8..DF) modrm on the state in img: modrm >= 0xc0 is a
 * register form and mem points at a uint64_t RFLAGS image (in: the flags FCMOVcc tests,
 * only CF/PF/ZF and bit 1; out: the flags after it, for FCOMI); otherwise only ModRM.reg
 * counts and mem is the memory operand (16 bytes). The guest must have no unmasked
 * exception pending for a waiting instruction.
 */
void fpu_host_x87(struct fxsave_image *img, uint8_t esc, uint8_t modrm, void *mem);

/* Arguments of an SSE stub: xmm0 = d, xmm1 = s, rax = gpr, the MXCSR to run with. */
struct sse_host_args {
	union xmm_reg d;     /* in: destination (xmm0); out: result */
	union xmm_reg s;     /* in: source (xmm1) */
	uint64_t gpr;	     /* in/out: rax (integer conversions) */
	uint32_t mxcsr_in;   /* MXCSR loaded for the operation */
	uint32_t mxcsr_out;  /* MXCSR after it (the flags raised) */
	uint64_t rflags;     /* RFLAGS after it (COMISS/UCOMISS) */
	uint32_t mxcsr_host; /* restored afterwards */
	uint32_t pad;
};

/* Runs SSE stub number idx (an SSE_STUB_* of cpu/exec_sse.c's list) on a. */
void fpu_host_sse(unsigned idx, struct sse_host_args *a);

/* The host's current MXCSR, and a new one. */
uint32_t fpu_host_mxcsr(void);
void fpu_host_set_mxcsr(uint32_t mxcsr);

/*
 * The live stubs, for a guest state the host FPU holds. fpu_host_x87_live executes esc
 * modrm like fpu_host_x87 (mem: the RFLAGS image of a register form, the operand of a
 * memory form) and returns the FSW after it; fpu_host_sse_live runs SSE stub idx under
 * the MXCSR the host has (a->mxcsr_* unused).
 */
uint16_t fpu_host_x87_live(uint8_t esc, uint8_t modrm, void *mem);
void fpu_host_sse_live(unsigned idx, struct sse_host_args *a);
/* FXRSTOR of img after storing the host's control word in *host_fcw; FXSAVE into img,
 * then FNINIT and the control word *host_fcw back. */
void fpu_host_x87_load(const struct fxsave_image *img, uint16_t *host_fcw);
void fpu_host_x87_save(struct fxsave_image *img, const uint16_t *host_fcw);

/* ---- the host FPU holding the guest's state (cpu/fpu_owner.c) ---- */

/*
 * While FPU_HELD_X87 is set, the host's x87 unit has the guest's registers, tags, FCW and
 * FSW; cpu->fpu.fcw is kept current beside it (FLDCW stores its word), and so is
 * cpu->fpu.fsw (every live stub returns the FSW) unless FPU_HELD_X87_QUIET is set too:
 * then the FCW masks every exception, so no x87 instruction can set ES, and the handlers
 * specialised at decode time do not read the FSW after them (fpu_x87_fsw reads the
 * host's; ES, clear, is right either way). FCS/FDP/FDS are the model's own as always,
 * FIP/FOP too except those of a fast handler, which are in cpu->x87_note until the state
 * goes back (x87_note_flush). cpu->fpu.st and ftw are stale. While FPU_HELD_MXCSR is set,
 * the host runs with the guest's MXCSR (every exception masked), whose flags accumulate
 * there: the control bits of cpu->mxcsr are current, its flags are not.
 */
void fpu_x87_take(struct cpu *cpu);
void fpu_x87_give(struct cpu *cpu);
void fpu_mxcsr_take(struct cpu *cpu);
void fpu_mxcsr_give(struct cpu *cpu);

/* The x87 exception masks (FCW bits 0-5). */
#define FCW_MASKS 0x3f

/* FPU_HELD_X87_QUIET if the state f (its FCW and FSW current) masks every exception and
 * has none pending, else 0. */
static inline uint8_t fpu_x87_quiet(const struct x87_state *f)
{
	return (f->fcw & FCW_MASKS) == FCW_MASKS && !(f->fsw & FSW_ES) ? FPU_HELD_X87_QUIET : 0;
}

/* After an instruction that may have changed the held FCW or FSW (both current in
 * cpu->fpu): whether the held state is quiet. */
static inline void fpu_x87_requiet(struct cpu *cpu)
{
	cpu->fpu_held = (uint8_t)((cpu->fpu_held & ~FPU_HELD_X87_QUIET) | fpu_x87_quiet(&cpu->fpu));
}

/* Makes cpu->fpu.fsw current (the host's FSW while the held state is quiet). */
static inline void fpu_x87_fsw(struct cpu *cpu)
{
	if (cpu->fpu_held & FPU_HELD_X87_QUIET) {
		uint16_t fsw;
		__asm__ volatile("fnstsw %0" : "=a"(fsw));
		cpu->fpu.fsw = fsw;
	}
}

/* Makes the host FPU hold the guest's x87 state (FXRSTOR once, then nothing). */
static inline void fpu_hold_x87(struct cpu *cpu)
{
	if (!(cpu->fpu_held & FPU_HELD_X87))
		fpu_x87_take(cpu);
}

/* Makes the host run with the guest's MXCSR, which must mask every exception. */
static inline void fpu_hold_mxcsr(struct cpu *cpu)
{
	if (!(cpu->fpu_held & FPU_HELD_MXCSR))
		fpu_mxcsr_take(cpu);
}

/* Brings the x87 state alone (the MXCSR alone) back into struct cpu. */
static inline void fpu_sync_x87(struct cpu *cpu)
{
	if (cpu->fpu_held & FPU_HELD_X87)
		fpu_x87_give(cpu);
}

static inline void fpu_sync_mxcsr(struct cpu *cpu)
{
	if (cpu->fpu_held & FPU_HELD_MXCSR)
		fpu_mxcsr_give(cpu);
}

/* For code that reads or writes the whole state in struct cpu: nothing may be held. */
#define FPU_ASSERT_SYNCED(cpu) assert((cpu)->fpu_held == 0)
#define FPU_ASSERT_X87_SYNCED(cpu) assert(!((cpu)->fpu_held & FPU_HELD_X87))

#endif /* MMEMU_CPU_FPU_H */
