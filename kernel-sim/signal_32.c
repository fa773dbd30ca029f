/*
 * The i386 signal frames and sigreturn/rt_sigreturn for 32-bit tasks (Linux's
 * arch/x86/kernel/signal_32.c with asm/sigframe.h's sigframe_ia32 and rt_sigframe_ia32):
 *
 *   rt_sigframe_ia32 (SA_SIGINFO), 268 bytes:     sigframe_ia32 (no SA_SIGINFO), 732 bytes:
 *     +0   pretcode                                 +0   pretcode
 *     +4   sig                                      +4   sig
 *     +8   pinfo -> +16                             +8   struct sigcontext_32 sc (88)
 *     +12  puc   -> +144                            +96  struct _fpstate_32 (624, unused: the
 *                                                             real one lies above the frame)
 *     +16  compat_siginfo (128)                     +720 extramask (signals 33..64)
 *     +144 ucontext_ia32: flags, link, stack{sp,    +724 retcode[8]
 *          flags, size}, sigcontext_32 (+164),
 *          sigmask (+252)
 *     +260 retcode[8]
 *
 *   sigcontext_32: gs fs es ds (16-bit + pad), di si bp sp bx dx cx ax trapno err ip,
 *                  cs (+60), flags, sp_at_signal, ss (+72), fpstate, oldmask, cr2
 *
 * The frame's stack pointer is aligned so that (sp + 4) is 16-byte aligned, as after a
 * call. The data segment registers are not part of pt_regs: the frame records the user
 * data selector for ds/es and 0 for fs/gs, and sigreturn leaves them alone. The FPU state,
 * a struct _fpstate_32 with its FXSAVE image, lies above the frame (fpu_signal.c), and
 * sigcontext.fpstate points at it. Without SA_RESTORER (i386 glibc passes none) pretcode
 * points at the vDSO's __kernel_rt_sigreturn or __kernel_sigreturn, as on Linux; retcode
 * is kept for debuggers that recognise frames by it.
 */
#include <string.h>

#include "kernel-sim/fpu_signal.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/unistd.h"
#include "kernel-sim/vdso.h"
#include "kernel-sim/uapi_bytes.h"

#define RT_FRAME32_SIZE 268
#define RT32_INFO 16
#define RT32_UC 144
#define UC32_STACK 8
#define UC32_MCONTEXT 20
#define UC32_SIGMASK 108
#define RT32_RETCODE 260

#define FRAME32_SIZE 732
#define F32_SC 8
#define F32_EXTRAMASK 720
#define F32_RETCODE 724

#define SIGCONTEXT32_SIZE 88
#define FIX_EFLAGS 0x50dd5ULL
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

static void fill_siginfo_32(uint8_t *b, const struct kernel_siginfo *info)
{
	put32(b, 0, (uint32_t)info->signo);
	put32(b, 4, (uint32_t)info->err);
	put32(b, 8, (uint32_t)info->code);
	if (info->code > 0 && info->code != SI_KERNEL) {
		put32(b, 12, (uint32_t)info->addr);
	} else {
		put32(b, 12, (uint32_t)info->pid);
		put32(b, 16, info->uid);
	}
}

static void fill_sigcontext_32(struct kernel *k, uint8_t *sc, const struct pt_regs *regs,
			       uint64_t oldmask, uint64_t fpstate)
{
	const struct thread_struct *th = &k->current->thread;
	const uint64_t gpr[8] = {regs->di, regs->si, regs->bp, regs->sp,
				 regs->bx, regs->dx, regs->cx, regs->ax};
	put32(sc, 8, __USER32_DS);  /* es */
	put32(sc, 12, __USER32_DS); /* ds */
	for (int i = 0; i < 8; i++)
		put32(sc, 16 + (size_t)i * 4, (uint32_t)gpr[i]);
	put32(sc, 48, (uint32_t)th->trap_nr);
	put32(sc, 52, (uint32_t)th->error_code);
	put32(sc, 56, (uint32_t)regs->ip);
	put32(sc, 60, (uint32_t)(regs->cs & 0xffff));
	put32(sc, 64, (uint32_t)regs->flags);
	put32(sc, 68, (uint32_t)regs->sp);
	put32(sc, 72, (uint32_t)(regs->ss & 0xffff));
	put32(sc, 76, (uint32_t)fpstate);
	put32(sc, 80, (uint32_t)oldmask);
	put32(sc, 84, (uint32_t)th->cr2);
}

/* Where the handler returns: sigaction's restorer, else the vDSO's trampoline, else (no
 * vDSO) the frame's retcode, which needs an executable stack. */
static uint64_t restorer_ia32(struct kernel *k, const struct k_sigaction *ka, uint64_t retcode,
			      bool rt)
{
	if (ka->flags & SA_RESTORER)
		return ka->restorer;
	uint64_t vdso = vdso32_sigreturn(k, k->current->mm, rt);
	return vdso ? vdso : retcode;
}

static void point_at_handler(struct pt_regs *regs, const struct k_sigaction *ka, uint64_t frame)
{
	regs->sp = frame;
	regs->ip = (uint32_t)ka->handler;
	regs->cs = __USER32_CS;
	regs->ss = __USER32_DS;
}

static int setup_rt_frame_ia32(struct kernel *k, struct pt_regs *regs, int sig,
			       const struct k_sigaction *ka, const struct kernel_siginfo *info,
			       uint64_t oldmask)
{
	static const uint8_t rt_retcode[8] = {0xb8, __NR_ia32_rt_sigreturn, 0, 0, 0, 0xcd, 0x80, 0};
	const struct signal_state *s = k->current->signal;
	uint8_t f[RT_FRAME32_SIZE];
	uint64_t fpstate;
	uint64_t frame = get_sigframe(k, regs, ka, sizeof(f), true, &fpstate);
	if (!frame)
		return -EFAULT;
	memset(f, 0, sizeof(f));
	put32(f, 0, (uint32_t)restorer_ia32(k, ka, frame + RT32_RETCODE, true));
	put32(f, 4, (uint32_t)sig);
	put32(f, 8, (uint32_t)(frame + RT32_INFO));
	put32(f, 12, (uint32_t)(frame + RT32_UC));
	fill_siginfo_32(f + RT32_INFO, info);
	put32(f, RT32_UC, UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
	put32(f, RT32_UC + UC32_STACK, (uint32_t)s->sas_ss_sp);
	put32(f, RT32_UC + UC32_STACK + 4, sas_ss_flags(s, (uint32_t)regs->sp) | s->sas_ss_flags);
	put32(f, RT32_UC + UC32_STACK + 8, (uint32_t)s->sas_ss_size);
	fill_sigcontext_32(k, f + RT32_UC + UC32_MCONTEXT, regs, oldmask, fpstate);
	put32(f, RT32_UC + UC32_SIGMASK, (uint32_t)oldmask);
	put32(f, RT32_UC + UC32_SIGMASK + 4, (uint32_t)(oldmask >> 32));
	memcpy(f + RT32_RETCODE, rt_retcode, sizeof(rt_retcode));
	if (copy_to_user(k, frame, f, sizeof(f)))
		return -EFAULT;
	point_at_handler(regs, ka, frame);
	regs->ax = (uint32_t)sig;
	regs->dx = frame + RT32_INFO;
	regs->cx = frame + RT32_UC;
	return 0;
}

static int setup_sigframe_ia32(struct kernel *k, struct pt_regs *regs, int sig,
			       const struct k_sigaction *ka, uint64_t oldmask)
{
	/* popl %eax; movl $__NR_ia32_sigreturn, %eax; int $0x80 */
	static const uint8_t retcode[8] = {0x58, 0xb8, __NR_ia32_sigreturn, 0, 0, 0, 0xcd, 0x80};
	uint8_t f[FRAME32_SIZE];
	uint64_t fpstate;
	uint64_t frame = get_sigframe(k, regs, ka, FRAME32_SIZE, true, &fpstate);
	if (!frame)
		return -EFAULT;
	memset(f, 0, FRAME32_SIZE);
	put32(f, 0, (uint32_t)restorer_ia32(k, ka, frame + F32_RETCODE, false));
	put32(f, 4, (uint32_t)sig);
	fill_sigcontext_32(k, f + F32_SC, regs, oldmask, fpstate);
	put32(f, F32_EXTRAMASK, (uint32_t)(oldmask >> 32));
	memcpy(f + F32_RETCODE, retcode, sizeof(retcode));
	if (copy_to_user(k, frame, f, FRAME32_SIZE))
		return -EFAULT;
	point_at_handler(regs, ka, frame);
	regs->ax = (uint32_t)sig;
	regs->dx = 0;
	regs->cx = 0;
	return 0;
}

int setup_frame_ia32(struct kernel *k, struct pt_regs *regs, int sig, const struct k_sigaction *ka,
		     const struct kernel_siginfo *info, uint64_t oldmask)
{
	if (ka->flags & SA_SIGINFO)
		return setup_rt_frame_ia32(k, regs, sig, ka, info, oldmask);
	return setup_sigframe_ia32(k, regs, sig, ka, oldmask);
}

static uint64_t valid_user_cs32(uint32_t cs)
{
	cs |= 3;
	return cs == __USER_CS ? __USER_CS : __USER32_CS;
}

/* Loads regs from a struct sigcontext_32 (ia32_restore_sigcontext). */
static void restore_sigcontext_32(struct pt_regs *regs, const uint8_t *sc)
{
	uint64_t *const gpr[8] = {&regs->di, &regs->si, &regs->bp, &regs->sp,
				  &regs->bx, &regs->dx, &regs->cx, &regs->ax};
	for (int i = 0; i < 8; i++)
		*gpr[i] = get32(sc, 16 + (size_t)i * 4);
	regs->ip = get32(sc, 56);
	regs->cs = valid_user_cs32(get32(sc, 60) & 0xffff);
	regs->flags = (regs->flags & ~FIX_EFLAGS) | (get32(sc, 64) & FIX_EFLAGS);
	regs->ss = __USER32_DS;
	regs->orig_ax = (uint64_t)-1;
}

/* sigreturn (i386 119): the frame starts 8 bytes below sp (pretcode and sig popped). */
long sys_sigreturn(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	uint8_t sc[SIGCONTEXT32_SIZE];
	uint32_t extramask;
	uint64_t frame = (uint32_t)(regs->sp - 8);
	if (copy_from_user(k, sc, frame + F32_SC, sizeof(sc)) ||
	    get_user_u32(k, &extramask, frame + F32_EXTRAMASK)) {
		force_sig_fault(k, SIGSEGV, SI_KERNEL, 0);
		return 0;
	}
	set_current_blocked(k, get32(sc, 80) | ((uint64_t)extramask << 32));
	restore_sigcontext_32(regs, sc);
	if (!fpu_restore_sig(k, get32(sc, 76), true)) {
		force_sig_fault(k, SIGSEGV, SI_KERNEL, 0);
		return 0;
	}
	return (long)regs->ax;
}

/* rt_sigreturn for i386 tasks: the frame starts 4 bytes below sp (pretcode popped). */
long sys_rt_sigreturn_ia32(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	uint8_t uc[UC32_SIGMASK + 8];
	uint64_t frame = (uint32_t)(regs->sp - 4);
	if (copy_from_user(k, uc, frame + RT32_UC, sizeof(uc))) {
		force_sig_fault(k, SIGSEGV, SI_KERNEL, 0);
		return 0;
	}
	set_current_blocked(k, get32(uc, UC32_SIGMASK) | ((uint64_t)get32(uc, UC32_SIGMASK + 4) << 32));
	restore_sigcontext_32(regs, uc + UC32_MCONTEXT);
	if (!fpu_restore_sig(k, get32(uc, UC32_MCONTEXT + 76), true)) {
		force_sig_fault(k, SIGSEGV, SI_KERNEL, 0);
		return 0;
	}
	restore_altstack(k->current->signal, get32(uc, UC32_STACK), get32(uc, UC32_STACK + 4),
			 get32(uc, UC32_STACK + 8), (uint32_t)regs->sp);
	return (long)regs->ax;
}
