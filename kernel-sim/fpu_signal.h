/*
 * FPU and SSE state in signal frames (Linux's arch/x86/kernel/fpu/signal.c, for a CPU with
 * FXSR and without XSAVE, which is what mmemu's CPUID model advertises):
 *
 *   64-bit frame: the 512-byte FXSAVE image, 64-byte aligned, above the rt_sigframe;
 *                 sigcontext.fpstate points at it; uc_flags has no UC_FP_XSTATE.
 *   i386 frame:   struct _fpstate_32 (624 bytes): the FSAVE-format environment and
 *                 registers (112 bytes, converted from the FXSAVE image as Linux's
 *                 convert_from_fxsr does; status, magic 0x0000 = "FXSR data follows"),
 *                 then the FXSAVE image, 64-byte aligned; sigcontext.fpstate points at
 *                 the start. On return the FSAVE part is authoritative for the x87
 *                 registers and environment (convert_to_fxsr), the FXSAVE part for
 *                 MXCSR and the XMM registers.
 *
 * The handler starts with a clean FPU (FNINIT, MXCSR 0x1f80: fpu__clear_user_states), and
 * sigreturn reloads the frame's state, or the clean state when fpstate is NULL; an image
 * FXRSTOR would refuse (reserved MXCSR bits) makes the frame bad (SIGSEGV), as on Linux.
 *
 * kernel-sim has no CPU: the machine gives it these operations on the running task's
 * user FPU state. Without them (unit tests of the kernel alone) frames carry no FPU state.
 */
#ifndef KSIM_FPU_SIGNAL_H
#define KSIM_FPU_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

struct kernel;
struct pt_regs;

#define FXSAVE_SIZE 512	    /* struct fxregs_state */
#define FREGS_STATE_SIZE 112 /* struct fregs_state as _fpstate_32 begins: env, st[8], status, magic */

struct fpu_ops {
	/* The user FPU/SSE state as FXSAVE64 stores it (FIP/FDP 64-bit). */
	void (*save)(void *ctx, uint8_t fx[FXSAVE_SIZE]);
	/* Loads an FXSAVE64 image; false (nothing changed) when FXRSTOR would raise #GP. */
	bool (*restore)(void *ctx, const uint8_t fx[FXSAVE_SIZE]);
	void *ctx;
};

/* Bytes of FPU state a frame needs below sp, and where they go: *fpstate is what
 * sigcontext.fpstate points at (the new sp), *buf_fx the FXSAVE image (fpu__alloc_mathframe). */
uint64_t fpu_alloc_mathframe(uint64_t sp, bool ia32, uint64_t *fpstate, uint64_t *buf_fx);

/* Writes the task's FPU state at fpstate/buf_fx (regs: the interrupted user state, whose CS
 * an i386 frame records) and gives it a clean FPU for the handler. False when the user
 * memory could not be written. Without fpu_ops: nothing, true. */
bool copy_fpstate_to_sigframe(struct kernel *k, const struct pt_regs *regs, uint64_t fpstate,
			      uint64_t buf_fx, bool ia32);

/* sigreturn's half: loads the state at fpstate (0: the clean state). False for a bad frame. */
bool fpu_restore_sig(struct kernel *k, uint64_t fpstate, bool ia32);

/* Linux's twd_fxsr_to_i387 and twd_i387_to_fxsr: the full tag word of FSAVE from an
 * FXSAVE image (which keeps one "not empty" bit per register), and back. */
uint32_t twd_fxsr_to_i387(const uint8_t fx[FXSAVE_SIZE]);
uint16_t twd_i387_to_fxsr(uint32_t twd);

#endif /* KSIM_FPU_SIGNAL_H */
