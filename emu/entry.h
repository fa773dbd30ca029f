/*
 * The kernel's entry and exit code for mmemu's machine (Linux's arch/x86/entry/entry_64.S
 * and entry_64_compat.S, in C): the CPU delivers a system call or an exception to a kernel
 * text address; the function registered there saves the user registers into a struct
 * pt_regs, calls the kernel's C handler (do_syscall_64, exc_page_fault, ...), runs
 * exit_to_user_mode (signals), loads the task's thread state (TLS) into the CPU and leaves
 * through SYSRET when it can, else IRET, as Linux does.
 */
#ifndef EMU_ENTRY_H
#define EMU_ENTRY_H

struct machine;

/* Registers the entry points of every IDT vector and of SYSCALL with the machine's CPU. */
int entry_register_all(struct machine *m);

/* Writes what --strace collected since the last call to the trace output. */
void entry_flush_strace(struct machine *m);

/* Loads regs (a task's user state at exec) into the CPU and drops it to user mode. */
struct pt_regs;
void entry_start_user(struct machine *m, const struct pt_regs *regs);

#endif /* EMU_ENTRY_H */
