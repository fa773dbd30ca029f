/*
 * FPU and SSE state in signal frames (Linux's arch/x86/kernel/fpu/signal.c and the FXSR
 * conversions of fpu/regset.c); kernel-sim/fpu_signal.h has the layouts.
 */
#include "kernel-sim/fpu_signal.h"

#include <string.h>

#include "kernel-sim/bug.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/uapi_bytes.h"

/* FXSAVE image offsets (Intel SDM Vol. 1, Table 10-2, 64-bit format). */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_FOP 6
#define FX_FIP 8
#define FX_FDP 16
#define FX_MXCSR 24
#define FX_ST 32

/* struct user_i387_ia32_struct, then _fpstate_32's status and magic. */
#define ENV_CWD 0
#define ENV_SWD 4
#define ENV_TWD 8
#define ENV_FIP 12
#define ENV_FCS 16
#define ENV_FOO 20
#define ENV_FOS 24
#define ENV_ST 28
#define FP32_STATUS 108
#define FP32_MAGIC 110
#define X86_FXSR_MAGIC 0x0000

#define FP_EXP_TAG_VALID 0
#define FP_EXP_TAG_ZERO 1
#define FP_EXP_TAG_SPECIAL 2
#define FP_EXP_TAG_EMPTY 3

#define MXCSR_DEFAULT 0x1f80
#define FCW_DEFAULT 0x037f

uint64_t fpu_alloc_mathframe(uint64_t sp, bool ia32, uint64_t *fpstate, uint64_t *buf_fx)
{
	sp = (sp - FXSAVE_SIZE) & ~63ULL;
	*buf_fx = sp;
	if (ia32)
		sp -= FREGS_STATE_SIZE;
	*fpstate = sp;
	return sp;
}

/* The tag of a register FXSAVE marks as in use, from its contents. */
static unsigned tag_of(const uint8_t *st)
{
	uint16_t exponent = get16(st, 8) & 0x7fff;
	uint64_t significand = get64(st, 0);
	if (exponent == 0x7fff)
		return FP_EXP_TAG_SPECIAL;
	if (exponent == 0)
		return significand ? FP_EXP_TAG_SPECIAL : FP_EXP_TAG_ZERO;
	return significand >> 63 ? FP_EXP_TAG_VALID : FP_EXP_TAG_SPECIAL;
}

uint32_t twd_fxsr_to_i387(const uint8_t fx[FXSAVE_SIZE])
{
	unsigned top = (get16(fx, FX_FSW) >> 11) & 7;
	unsigned abridged = fx[FX_FTW];
	uint32_t ret = 0xffff0000u;
	/* Tags are by physical register; the image holds the registers by stack position. */
	for (unsigned i = 0; i < 8; i++) {
		unsigned tag = FP_EXP_TAG_EMPTY;
		if (abridged >> i & 1)
			tag = tag_of(fx + FX_ST + 16 * ((i - top) & 7));
		ret |= tag << (2 * i);
	}
	return ret;
}

uint16_t twd_i387_to_fxsr(uint32_t twd)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		if (((twd >> (2 * i)) & 3) != FP_EXP_TAG_EMPTY)
			v |= 1u << i;
	return (uint16_t)v;
}

/* convert_from_fxsr on a 64-bit kernel: the pointers' selectors are not in the image, so
 * FCS is the task's CS and FOS its DS. */
static void fregs_from_fxsr(uint8_t *env, const uint8_t *fx, const struct pt_regs *regs)
{
	put32(env, ENV_CWD, get16(fx, FX_FCW) | 0xffff0000u);
	put32(env, ENV_SWD, get16(fx, FX_FSW) | 0xffff0000u);
	put32(env, ENV_TWD, twd_fxsr_to_i387(fx));
	put32(env, ENV_FIP, (uint32_t)get64(fx, FX_FIP));
	put32(env, ENV_FCS, (uint32_t)regs->cs);
	put32(env, ENV_FOO, (uint32_t)get64(fx, FX_FDP));
	put32(env, ENV_FOS, __USER_DS | 0xffff0000u);
	for (unsigned i = 0; i < 8; i++)
		memcpy(env + ENV_ST + 10 * i, fx + FX_ST + 16 * i, 10);
	put16(env, FP32_STATUS, get16(fx, FX_FSW));
	put16(env, FP32_MAGIC, X86_FXSR_MAGIC);
}

/* convert_to_fxsr: the x87 part of the image from the FSAVE-format part. */
static void fxsr_from_fregs(uint8_t *fx, const uint8_t *env)
{
	put16(fx, FX_FCW, (uint16_t)get32(env, ENV_CWD));
	put16(fx, FX_FSW, (uint16_t)get32(env, ENV_SWD));
	fx[FX_FTW] = (uint8_t)twd_i387_to_fxsr(get32(env, ENV_TWD));
	put16(fx, FX_FOP, (uint16_t)(get32(env, ENV_FCS) >> 16));
	put64(fx, FX_FIP, get32(env, ENV_FIP));
	put64(fx, FX_FDP, get32(env, ENV_FOO));
	for (unsigned i = 0; i < 8; i++) {
		memcpy(fx + FX_ST + 16 * i, env + ENV_ST + 10 * i, 10);
		memset(fx + FX_ST + 16 * i + 10, 0, 6);
	}
}

/* The state a signal handler starts with (Linux's init_fpstate for FXSR). */
static void fpu_clear_user_state(struct kernel *k)
{
	uint8_t fx[FXSAVE_SIZE] = {0};
	put16(fx, FX_FCW, FCW_DEFAULT);
	put32(fx, FX_MXCSR, MXCSR_DEFAULT);
	bool ok = k->fpu_ops->restore(k->fpu_ops->ctx, fx);
	BUG_ON(!ok);
}

bool copy_fpstate_to_sigframe(struct kernel *k, const struct pt_regs *regs, uint64_t fpstate,
			      uint64_t buf_fx, bool ia32)
{
	const struct fpu_ops *ops = k->fpu_ops;
	uint8_t fx[FXSAVE_SIZE];
	if (!ops)
		return true;
	ops->save(ops->ctx, fx);
	if (ia32) {
		uint8_t env[FREGS_STATE_SIZE] = {0};
		fregs_from_fxsr(env, fx, regs);
		if (copy_to_user(k, fpstate, env, sizeof(env)))
			return false;
	}
	if (copy_to_user(k, buf_fx, fx, sizeof(fx)))
		return false;
	fpu_clear_user_state(k);
	return true;
}

bool fpu_restore_sig(struct kernel *k, uint64_t fpstate, bool ia32)
{
	const struct fpu_ops *ops = k->fpu_ops;
	uint8_t fx[FXSAVE_SIZE];
	if (!ops)
		return true;
	if (!fpstate) {
		fpu_clear_user_state(k);
		return true;
	}
	if (ia32) {
		uint8_t env[FREGS_STATE_SIZE];
		if (copy_from_user(k, env, fpstate, sizeof(env)) ||
		    copy_from_user(k, fx, fpstate + FREGS_STATE_SIZE, sizeof(fx)))
			return false;
		fxsr_from_fregs(fx, env);
	} else {
		/* FXRSTOR straight from the frame: it must be 16-byte aligned. */
		if ((fpstate & 15) || copy_from_user(k, fx, fpstate, sizeof(fx)))
			return false;
	}
	if (!ops->restore(ops->ctx, fx)) {
		fpu_clear_user_state(k);
		return false;
	}
	return true;
}
