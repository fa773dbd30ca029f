/*
 * cpu/fpu_owner.c - which FPU holds the guest's floating-point state: struct cpu, or the
 * host's own x87 unit and MXCSR while guest code runs.
 *
 * The host computes every floating-point result on the guest's state (cpu/fpu.h). Moving
 * that state in and out of the host FPU around each instruction (FXRSTOR, FXSAVE, FNINIT:
 * about 120 ns) cost far more than the instruction, so the state moves lazily, as Linux
 * switches a task's FPU registers only when another owner needs them:
 *
 *   struct cpu --(first x87 instruction: FXRSTOR)--> host x87 unit
 *   host x87 unit --(cpu_fpu_sync: FXSAVE, FNINIT, the host's FCW)--> struct cpu
 *
 * and for SSE, whose XMM registers the host's C code uses freely, only MXCSR stays: with
 * every guest exception masked no SSE instruction can fault, and MXCSR's flags are sticky
 * on the host as on the guest, so the guest's MXCSR is loaded once and its flags are read
 * back once (cpu->mxcsr |= the host's flags) instead of an LDMXCSR/STMXCSR pair per
 * instruction.
 *
 * cpu_fpu_sync runs where anything else may need the state or the host FPU: when cpu_run
 * or cpu_step returns, before a kernel entry's C function (system calls, exceptions,
 * signal frames through struct fpu_ops), before an instruction that reads or replaces the
 * whole state (FNSAVE/FRSTOR, FNSTENV/FLDENV, FXSAVE/FXRSTOR, LDMXCSR/STMXCSR), and before
 * the paths that use the host x87 for other work (an SSE operation with an exception
 * unmasked, an x87 store with one unmasked).
 *
 * Giving the x87 state back also completes what the fast forms left for later: the FSW
 * of a quiet state (read from the host first) and their FIP/FOP note (x87_note_flush).
 */
#include <stddef.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu/fpu.h"

/* The MXCSR bits the host is given: everything but AMD's MM (bit 17), which only changes
 * the alignment check of memory operands, and the stubs have none. */
#define MXCSR_HOST_BITS 0xffffu

void fpu_x87_take(struct cpu *cpu)
{
	struct fxsave_image img;
	uint32_t mx = fpu_host_mxcsr(); /* FXRSTOR loads MXCSR too: keep the current one */
	memset(&img, 0, sizeof(img));
	fx_put_x87(&cpu->fpu, &img);
	memcpy(img.b + FX_MXCSR, &mx, 4);
	fpu_host_x87_load(&img, &cpu->host_fcw);
	cpu->fpu_held |= (uint8_t)(FPU_HELD_X87 | fpu_x87_quiet(&cpu->fpu));
}

/* Puts the FIP and FOP of cpu->x87_note (the fast forms', cpu/exec_x87.c: note_fast), if
 * any, into cpu->fpu and empties it. */
static void x87_note_flush(struct cpu *cpu)
{
	struct x86_instr in;
	struct x87_note *n = &cpu->x87_note;
	if (n->insn[0] == 0)
		return;
	memcpy((uint8_t *)&in + offsetof(struct x86_instr, len), n->insn, sizeof(n->insn));
	uint64_t rip = n->next_rip - in.len;
	if (in.mode != X86_MODE_64) /* the mode it ran in: insn_rip's mask */
		rip &= in.mode == X86_MODE_32 ? 0xffffffffULL : 0xffffULL;
	cpu->fpu.fip = rip;
	cpu->fpu.fop = (uint16_t)(((in.opcode & 7) << 8) | in.modrm);
	n->insn[0] = 0;
}

void fpu_x87_give(struct cpu *cpu)
{
	struct fxsave_image img;
	fpu_x87_fsw(cpu);
	fpu_host_x87_save(&img, &cpu->host_fcw);
	cpu->fpu_held &= (uint8_t)~(FPU_HELD_X87 | FPU_HELD_X87_QUIET);
#ifndef NDEBUG
	uint16_t fcw, fsw;
	memcpy(&fcw, img.b + FX_FCW, 2);
	memcpy(&fsw, img.b + FX_FSW, 2);
	assert(fcw == cpu->fpu.fcw && fsw == cpu->fpu.fsw); /* the words kept beside it */
#endif
	fx_get_x87(&cpu->fpu, &img);
	x87_note_flush(cpu);
}

void fpu_mxcsr_take(struct cpu *cpu)
{
	assert((cpu->mxcsr & MXCSR_MASKS) == MXCSR_MASKS);
	cpu->host_mxcsr = fpu_host_mxcsr();
	fpu_host_set_mxcsr(cpu->mxcsr & MXCSR_HOST_BITS);
	cpu->fpu_held |= FPU_HELD_MXCSR;
}

void fpu_mxcsr_give(struct cpu *cpu)
{
	cpu->mxcsr |= fpu_host_mxcsr() & MXCSR_FLAGS;
	fpu_host_set_mxcsr(cpu->host_mxcsr);
	cpu->fpu_held &= (uint8_t)~FPU_HELD_MXCSR;
}

void cpu_fpu_sync(struct cpu *cpu)
{
	fpu_sync_x87(cpu);
	fpu_sync_mxcsr(cpu);
}
