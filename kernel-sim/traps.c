/*
 * Exceptions from user mode (Linux's arch/x86/kernel/traps.c do_trap/do_error_trap and
 * arch/x86/mm/fault.c exc_page_fault/__bad_area_nosemaphore): the page fault goes to
 * do_user_addr_fault; anything it cannot resolve, and every other exception, becomes a
 * signal for the current task, with the vector, error code and fault address recorded in
 * the thread for the signal frame's sigcontext. When the signal will kill the task (no
 * handler), the kernel log gets Linux's show_unhandled_signals line:
 *
 *   hello[1]: segfault at 10 ip 0000000000401136 sp 00007fffffffe3d0 error 6 in hello[401000+1000]
 *   traps: hello[1] trap divide error ip:401136 sp:7fffffffe3d0 error:0 in hello[401000+1000]
 */
#include <stdio.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/syscall.h"

enum {
	X86_TRAP_DE = 0,
	X86_TRAP_DB = 1,
	X86_TRAP_BP = 3,
	X86_TRAP_OF = 4,
	X86_TRAP_BR = 5,
	X86_TRAP_UD = 6,
	X86_TRAP_NP = 11,
	X86_TRAP_SS = 12,
	X86_TRAP_GP = 13,
	X86_TRAP_PF = 14,
	X86_TRAP_MF = 16,
	X86_TRAP_AC = 17,
	X86_TRAP_XF = 19,
};

/* No handler will catch sig: the default action (or ignoring) applies. */
static bool unhandled_signal(const struct task_struct *t, int sig)
{
	uint64_t h = t->signal ? t->signal->action[sig - 1].handler : KSIG_DFL;
	return h == KSIG_DFL || h == KSIG_IGN;
}

/* " in name[start+size]" for the VMA holding ip (print_vma_addr), or "". */
static void vma_addr(struct kernel *k, uint64_t ip, char *buf, size_t len)
{
	struct vm_area_struct *vma = k->current->mm ? vma_lookup(k->current->mm, ip) : NULL;
	buf[0] = '\0';
	if (!vma || !vma->vm_file)
		return;
	const char *name = strrchr(vma->vm_file->f_path, '/');
	name = name ? name + 1 : vma->vm_file->f_path;
	snprintf(buf, len, " in %s[%lx+%lx]", name, vma->vm_start, vma->vm_end - vma->vm_start);
}

static void record_trap(struct kernel *k, int trapnr, unsigned long error_code)
{
	k->current->thread.trap_nr = (uint64_t)trapnr;
	k->current->thread.error_code = error_code;
}

/* Linux's do_trap for a user-mode exception: log when unhandled, then the signal. */
static void do_trap(struct kernel *k, struct pt_regs *regs, int trapnr, const char *str,
		    unsigned long error_code, int sig, int code, uint64_t addr)
{
	struct task_struct *t = k->current;
	char where[128];
	if (!t)
		return;
	record_trap(k, trapnr, error_code);
	if (unhandled_signal(t, sig)) {
		vma_addr(k, regs->ip, where, sizeof(where));
		printk(k, KERN_INFO, "traps: %s[%d] trap %s ip:%llx sp:%llx error:%lx%s", t->comm,
		       t->pid, str, (unsigned long long)regs->ip, (unsigned long long)regs->sp,
		       error_code, where);
	}
	force_sig_fault(k, sig, code, addr);
}

void exc_page_fault(struct kernel *k, struct pt_regs *regs, unsigned long error_code,
		    unsigned long address)
{
	struct task_struct *t = k->current;
	char where[128];
	if (!t || !t->mm)
		return;
	struct fault_result f = do_user_addr_fault(k, t->mm, address, (unsigned)error_code);
	if (!f.signo)
		return;
	if (f.signo == SIGKILL) { /* out of memory, or corrupt page tables */
		force_sig_fault(k, SIGKILL, SI_KERNEL, 0);
		return;
	}
	record_trap(k, X86_TRAP_PF, error_code);
	t->thread.cr2 = address;
	if (f.signo == SIGSEGV && unhandled_signal(t, SIGSEGV)) {
		vma_addr(k, regs->ip, where, sizeof(where));
		printk(k, KERN_INFO, "%s[%d]: segfault at %lx ip %016llx sp %016llx error %lx%s",
		       t->comm, t->pid, address, (unsigned long long)regs->ip,
		       (unsigned long long)regs->sp, error_code, where);
	}
	force_sig_fault(k, f.signo, f.si_code, address);
}

void exc_general_protection(struct kernel *k, struct pt_regs *regs, unsigned long error_code)
{
	do_trap(k, regs, X86_TRAP_GP, "general protection fault", error_code, SIGSEGV, SI_KERNEL,
		0);
}

void exc_invalid_op(struct kernel *k, struct pt_regs *regs)
{
	do_trap(k, regs, X86_TRAP_UD, "invalid opcode", 0, SIGILL, ILL_ILLOPN, regs->ip);
}

void exc_divide_error(struct kernel *k, struct pt_regs *regs)
{
	do_trap(k, regs, X86_TRAP_DE, "divide error", 0, SIGFPE, FPE_INTDIV, regs->ip);
}

void exc_int3(struct kernel *k, struct pt_regs *regs)
{
	do_trap(k, regs, X86_TRAP_BP, "int3", 0, SIGTRAP, SI_KERNEL, 0);
}

/* get_si_code() of arch/x86/kernel/traps.c */
static int debug_si_code(unsigned long dr6)
{
	if (dr6 & DR_STEP)
		return TRAP_TRACE;
	if (dr6 & DR_TRAP_BITS)
		return TRAP_HWBKPT;
	return TRAP_BRKPT;
}

void exc_debug(struct kernel *k, struct pt_regs *regs, unsigned long dr6)
{
	do_trap(k, regs, X86_TRAP_DB, "debug", 0, SIGTRAP, debug_si_code(dr6), regs->ip);
}

void exc_overflow(struct kernel *k, struct pt_regs *regs)
{
	do_trap(k, regs, X86_TRAP_OF, "overflow", 0, SIGSEGV, SI_KERNEL, 0);
}

void exc_bounds(struct kernel *k, struct pt_regs *regs)
{
	do_trap(k, regs, X86_TRAP_BR, "bounds", 0, SIGSEGV, SI_KERNEL, 0);
}

void exc_segment_not_present(struct kernel *k, struct pt_regs *regs, unsigned long error_code)
{
	do_trap(k, regs, X86_TRAP_NP, "segment not present", error_code, SIGBUS, SI_KERNEL, 0);
}

void exc_stack_segment(struct kernel *k, struct pt_regs *regs, unsigned long error_code)
{
	do_trap(k, regs, X86_TRAP_SS, "stack segment", error_code, SIGBUS, SI_KERNEL, 0);
}

void exc_alignment_check(struct kernel *k, struct pt_regs *regs, unsigned long error_code)
{
	do_trap(k, regs, X86_TRAP_AC, "alignment check", error_code, SIGBUS, BUS_ADRALN, 0);
}

/* Linux's fpu__exception_code: the first unmasked exception flag, by priority. */
static int fpu_exception_code(unsigned int err)
{
	if (err & 0x001) /* invalid operation */
		return FPE_FLTINV;
	if (err & 0x004) /* divide by zero */
		return FPE_FLTDIV;
	if (err & 0x008) /* overflow */
		return FPE_FLTOVF;
	if (err & 0x012) /* denormal, underflow */
		return FPE_FLTUND;
	if (err & 0x020) /* precision */
		return FPE_FLTRES;
	return 0;
}

void exc_coprocessor_error(struct kernel *k, struct pt_regs *regs, uint16_t fcw, uint16_t fsw)
{
	/* Exception flags whose mask bit is clear (status & ~control). */
	int code = fpu_exception_code((unsigned)(fsw & ~fcw) & 0x3f);
	if (!code) /* a spurious #MF: Linux returns without a signal */
		return;
	do_trap(k, regs, X86_TRAP_MF, "coprocessor error", 0, SIGFPE, code, regs->ip);
}

void exc_simd_coprocessor_error(struct kernel *k, struct pt_regs *regs, uint32_t mxcsr)
{
	/* Flags in bits 0-5, masks in bits 7-12. */
	int code = fpu_exception_code(~(mxcsr >> 7) & mxcsr & 0x3f);
	if (!code)
		return;
	do_trap(k, regs, X86_TRAP_XF, "simd exception", 0, SIGFPE, code, regs->ip);
}
