/*
 * The trap interface between the machine's entry glue and the simulated kernel, as
 * Linux's arch/x86/entry/common.c (do_syscall_64, do_int80_syscall_32), arch/x86/kernel/
 * traps.c and arch/x86/mm/fault.c (the exc_* handlers) and kernel/entry/common.c
 * (exit_to_user_mode). The glue saves the user registers into a struct pt_regs, calls one
 * of these on k->current, and loads the registers back (plus the thread state named in
 * kernel-sim/sched.h) before it returns to user mode:
 *
 *   SYSCALL             -> do_syscall_64(k, regs)        ; then exit_to_user_mode(k, regs)
 *   INT 0x80            -> do_int80_syscall_32(k, regs)  ; then exit_to_user_mode(k, regs)
 *   #PF at CPL 3        -> exc_page_fault(k, regs, error_code, cr2) ; then exit_to_user_mode
 *   #GP, #UD, #DE, ...  -> exc_general_protection(k, regs, error_code), ...
 *
 * System calls: the number is regs->orig_ax (== regs->ax on entry); x86-64 arguments are
 * di, si, dx, r10, r8, r9, i386 ones bx, cx, dx, si, di, bp (zero-extended 32-bit); the
 * result, or -errno, goes to regs->ax. Unknown numbers give -ENOSYS and are reported once
 * per number in the kernel log ("mmemu: unknown system call NAME (NR)") and counted in
 * k->nr_unknown_syscalls.
 *
 * Exceptions that the kernel cannot resolve become signals (SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE, SIGTRAP) queued on the task; exit_to_user_mode() delivers pending signals by
 * building a signal frame on the user stack and pointing regs at the handler, or applies
 * the default action, which may end the task (task->exited).
 *
 * Tracing: when k->strace is set, every system call is printed into it in strace(1)'s
 * format when it completes (arguments read from guest memory without faulting anything
 * in), and so are signal deliveries ("--- SIGSEGV {...} ---"), exits ("+++ exited with 0
 * +++") and kills ("+++ killed by SIGSEGV +++"). The glue may write the text out and
 * reset k->strace->count after each trap.
 */
#ifndef KSIM_SYSCALL_H
#define KSIM_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>

struct kernel;
struct pt_regs;
struct mm_struct;
struct task_struct;

void do_syscall_64(struct kernel *k, struct pt_regs *regs);
void do_int80_syscall_32(struct kernel *k, struct pt_regs *regs);

/* Delivers pending signals before the return to user mode (see above). */
void exit_to_user_mode(struct kernel *k, struct pt_regs *regs);

/* A #PF from user mode at address with the architectural error code: resolved by
 * do_user_addr_fault, else SIGSEGV (SEGV_MAPERR/SEGV_ACCERR) or SIGBUS (BUS_ADRERR) with
 * si_addr = address, or SIGKILL when out of memory. */
void exc_page_fault(struct kernel *k, struct pt_regs *regs, unsigned long error_code,
		    unsigned long address);
/* #GP: SIGSEGV, SI_KERNEL. */
void exc_general_protection(struct kernel *k, struct pt_regs *regs, unsigned long error_code);
/* #UD: SIGILL, ILL_ILLOPN at ip. */
void exc_invalid_op(struct kernel *k, struct pt_regs *regs);
/* #DE: SIGFPE, FPE_INTDIV at ip. */
void exc_divide_error(struct kernel *k, struct pt_regs *regs);
/* #BP (INT3): SIGTRAP, SI_KERNEL. */
void exc_int3(struct kernel *k, struct pt_regs *regs);
/* #DB from user mode, with the DR6 bits that are set (Linux's dr6 after
 * debug_read_clear_dr6): SIGTRAP at ip, TRAP_TRACE for a single step (DR_STEP), TRAP_HWBKPT
 * for a breakpoint (DR_TRAP0-3), TRAP_BRKPT for INT1 (no bit). */
#define DR_TRAP_BITS 0xfu
#define DR_STEP 0x4000u
void exc_debug(struct kernel *k, struct pt_regs *regs, unsigned long dr6);
/* #OF (INTO) and #BR (BOUND): SIGSEGV, SI_KERNEL. */
void exc_overflow(struct kernel *k, struct pt_regs *regs);
void exc_bounds(struct kernel *k, struct pt_regs *regs);
/* #NP, #SS: SIGBUS, SI_KERNEL. */
void exc_segment_not_present(struct kernel *k, struct pt_regs *regs, unsigned long error_code);
void exc_stack_segment(struct kernel *k, struct pt_regs *regs, unsigned long error_code);
/* #AC: SIGBUS, BUS_ADRALN. */
void exc_alignment_check(struct kernel *k, struct pt_regs *regs, unsigned long error_code);
/* #MF (x87): SIGFPE with the si_code Linux derives from the control and status words. */
void exc_coprocessor_error(struct kernel *k, struct pt_regs *regs, uint16_t fcw, uint16_t fsw);
/* #XM (SSE): SIGFPE with the si_code Linux derives from MXCSR. */
void exc_simd_coprocessor_error(struct kernel *k, struct pt_regs *regs, uint32_t mxcsr);

/* ---- tasks (kernel-sim/fork.c, exit.c) ---- */

/* Gives t (made by exec_new_task) the system-call layer's state: fds 0, 1, 2 dup'd from the
 * host's stdin, stdout and stderr, root (a host directory, or NULL for the host's /) and the
 * working directory (the host's current one, or "/" under a root), default signal
 * handlers, the host's credentials and Linux's default resource limits. 0 or -ENOMEM.
 * release_task frees it all (exit_task_files). */
int task_setup_files(struct kernel *k, struct task_struct *t, const char *root);
/* The same with fds 0-2 dup'd from the host descriptors stdio[0..2] (-1: closed). */
int task_setup_files_stdio(struct kernel *k, struct task_struct *t, const char *root,
			   const int stdio[3]);
/* task_setup_files(k, t, k->root) for a task that has not had it yet (the trap entries
 * call this, so a task made without it still gets fds 0-2 and signals). 0 or -ENOMEM. */
int task_ensure_files(struct kernel *k, struct task_struct *t);
/* Frees what task_setup_files made (called by release_task). */
void exit_task_files(struct kernel *k, struct task_struct *t);
/* A task running mm without an executable (tests, hand-built address spaces): pid from
 * k->next_pid (also given to mm), the state of task_setup_files_stdio with root k->root.
 * The task takes over the caller's mm reference; free it with release_task. NULL when out
 * of memory. */
struct task_struct *task_create(struct kernel *k, struct mm_struct *mm, bool abi32,
				const int stdio[3]);
/* Sets task->exe_path (a strdup'd copy, what /proc/self/exe reads) and comm. 0 or -ENOMEM. */
int task_set_exe_path(struct kernel *k, struct task_struct *t, const char *path);
/* Ends the current task with a wait status: exit(2) passes (code & 0xff) << 8, a fatal
 * signal its number (core: its default action dumps core). */
void do_group_exit(struct kernel *k, int exit_code, bool core);

/* ---- strace ---- */

/* The reader strace uses on the current task: no faults, no Accessed bits. */
struct strace_user;
void strace_user_init(struct kernel *k, struct strace_user *u);

#endif /* KSIM_SYSCALL_H */
