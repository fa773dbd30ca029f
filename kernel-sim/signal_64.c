/*
 * The x86-64 signal frame and rt_sigreturn (Linux's arch/x86/kernel/signal_64.c,
 * arch/x86/include/asm/sigframe.h, uapi/asm/sigcontext.h, uapi/asm-generic/ucontext.h):
 *
 *   frame (16-byte aligned - 8, as after a call) -> +0    pretcode   (sa_restorer)
 *                                                   +8    struct ucontext uc
 *                                                           +0   uc_flags
 *                                                           +8   uc_link
 *                                                           +16  uc_stack {sp, flags, size}
 *                                                           +40  uc_mcontext (sigcontext_64,
 *                                                                256 bytes: r8..r15, di, si,
 *                                                                bp, bx, dx, ax, cx, sp, ip,
 *                                                                flags, cs/gs/fs/ss, err,
 *                                                                trapno, oldmask, cr2,
 *                                                                fpstate, reserved)
 *                                                           +296 uc_sigmask
 *                                                   +312  siginfo (128 bytes)
 *
 * Above the frame lies the FPU/SSE state, a 512-byte FXSAVE image that sigcontext.fpstate
 * points at (fpu_signal.c); uc_flags lacks UC_FP_XSTATE, as on a CPU without XSAVE.
 */
#include <string.h>

#include "kernel-sim/fpu_signal.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/uapi_bytes.h"

#define RT_SIGFRAME_SIZE 440
#define F_UC 8
#define F_INFO 312
#define UC_STACK 16
#define UC_MCONTEXT 40
#define UC_SIGMASK 296
#define SIGCONTEXT_SIZE 256
#define SIGINFO_SIZE 128

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

/* RFLAGS bits sigreturn takes from the frame (Linux's FIX_EFLAGS). */
#define FIX_EFLAGS 0x50dd5ULL

/* siginfo_t: si_signo, si_errno, si_code, then the union at 16. */
static void fill_siginfo_64(uint8_t *b, const struct kernel_siginfo *info)
{
	put32(b, 0, (uint32_t)info->signo);
	put32(b, 4, (uint32_t)info->err);
	put32(b, 8, (uint32_t)info->code);
	if (info->code > 0 && info->code != SI_KERNEL) {
		put64(b, 16, info->addr); /* a fault: _sigfault.addr */
	} else {
		put32(b, 16, (uint32_t)info->pid);
		put32(b, 20, info->uid);
	}
}

/* struct sigcontext_64 from regs (the order of the struct, not of pt_regs). */
static void fill_sigcontext_64(struct kernel *k, uint8_t *sc, const struct pt_regs *regs,
			       uint64_t oldmask, uint64_t fpstate)
{
	const struct thread_struct *th = &k->current->thread;
	const uint64_t gpr[18] = {regs->r8,  regs->r9,	regs->r10,  regs->r11, regs->r12,
				  regs->r13, regs->r14, regs->r15,  regs->di,  regs->si,
				  regs->bp,  regs->bx,	regs->dx,   regs->ax,  regs->cx,
				  regs->sp,  regs->ip,	regs->flags};
	for (int i = 0; i < 18; i++)
		put64(sc, (size_t)i * 8, gpr[i]);
	put16(sc, 144, (uint16_t)regs->cs);
	put16(sc, 150, (uint16_t)regs->ss);
	put64(sc, 152, th->error_code);
	put64(sc, 160, th->trap_nr);
	put64(sc, 168, oldmask);
	put64(sc, 176, th->cr2);
	put64(sc, 184, fpstate);
}

uint64_t get_sigframe(struct kernel *k, const struct pt_regs *regs, const struct k_sigaction *ka,
		      uint64_t size, bool ia32, uint64_t *fpstate)
{
	const struct signal_state *s = k->current->signal;
	uint64_t sp = ia32 ? (uint32_t)regs->sp : regs->sp - 128; /* the red zone */
	uint64_t buf_fx;
	if ((ka->flags & SA_ONSTACK) && sas_ss_flags(s, sp) == 0)
		sp = s->sas_ss_sp + s->sas_ss_size;
	sp = fpu_alloc_mathframe(sp, ia32, fpstate, &buf_fx);
	if (!copy_fpstate_to_sigframe(k, regs, *fpstate, buf_fx, ia32))
		return 0;
	if (!k->fpu_ops)
		*fpstate = 0;
	sp -= size;
	if (ia32)
		return ((sp + 4) & ~15ULL) - 4;
	return (sp & ~15ULL) - 8;
}

int setup_rt_frame_64(struct kernel *k, struct pt_regs *regs, int sig, const struct k_sigaction *ka,
		      const struct kernel_siginfo *info, uint64_t oldmask)
{
	const struct signal_state *s = k->current->signal;
	uint8_t f[RT_SIGFRAME_SIZE];
	/* x86-64 has no vDSO fallback for the return path: SA_RESTORER is required. */
	if (!(ka->flags & SA_RESTORER))
		return -EFAULT;
	uint64_t fpstate;
	uint64_t frame = get_sigframe(k, regs, ka, sizeof(f), false, &fpstate);
	if (!frame)
		return -EFAULT;
	memset(f, 0, sizeof(f));
	put64(f, 0, ka->restorer);
	put64(f, F_UC, UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
	put64(f, F_UC + UC_STACK, s->sas_ss_sp);
	put32(f, F_UC + UC_STACK + 8, sas_ss_flags(s, regs->sp) | s->sas_ss_flags);
	put64(f, F_UC + UC_STACK + 16, s->sas_ss_size);
	fill_sigcontext_64(k, f + F_UC + UC_MCONTEXT, regs, oldmask, fpstate);
	put64(f, F_UC + UC_SIGMASK, oldmask);
	fill_siginfo_64(f + F_INFO, info);
	if (copy_to_user(k, frame, f, sizeof(f)))
		return -EFAULT;
	regs->di = (uint64_t)sig;
	regs->si = frame + F_INFO;
	regs->dx = frame + F_UC;
	regs->ax = 0;
	regs->ip = ka->handler;
	regs->sp = frame;
	regs->cs = __USER_CS;
	regs->ss = __USER_DS;
	return 0;
}

/* A user code selector the frame may ask for; anything else becomes __USER_CS. */
static uint64_t valid_user_cs(uint64_t cs)
{
	cs |= 3;
	return cs == __USER32_CS ? __USER32_CS : __USER_CS;
}

/* Loads regs from a struct sigcontext_64 (restore_sigcontext). */
static void restore_sigcontext_64(struct pt_regs *regs, const uint8_t *sc)
{
	uint64_t *const gpr[16] = {&regs->r8,  &regs->r9,  &regs->r10, &regs->r11,
				   &regs->r12, &regs->r13, &regs->r14, &regs->r15,
				   &regs->di,  &regs->si,  &regs->bp,  &regs->bx,
				   &regs->dx,  &regs->ax,  &regs->cx,  &regs->sp};
	for (int i = 0; i < 16; i++)
		*gpr[i] = get64(sc, (size_t)i * 8);
	regs->ip = get64(sc, 128);
	regs->flags = (regs->flags & ~FIX_EFLAGS) | (get64(sc, 136) & FIX_EFLAGS);
	uint16_t cs;
	memcpy(&cs, sc + 144, 2);
	regs->cs = valid_user_cs(cs);
	regs->ss = __USER_DS;
	regs->orig_ax = (uint64_t)-1; /* no system call to restart */
}

long sys_rt_sigreturn(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct signal_state *s = k->current->signal;
	uint8_t uc[UC_SIGMASK + 8];
	uint64_t frame = regs->sp - 8; /* the handler's ret popped pretcode */
	if (copy_from_user(k, uc, frame + F_UC, sizeof(uc))) {
		force_sig_fault(k, SIGSEGV, SI_KERNEL, 0);
		return 0;
	}
	set_current_blocked(k, get64(uc, UC_SIGMASK));
	restore_sigcontext_64(regs, uc + UC_MCONTEXT);
	if (!fpu_restore_sig(k, get64(uc, UC_MCONTEXT + 184), false)) {
		force_sig_fault(k, SIGSEGV, SI_KERNEL, 0);
		return 0;
	}
	uint32_t ss_flags;
	memcpy(&ss_flags, uc + UC_STACK + 8, 4);
	restore_altstack(s, get64(uc, UC_STACK), ss_flags, get64(uc, UC_STACK + 16), regs->sp);
	return (long)regs->ax;
}
