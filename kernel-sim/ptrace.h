/*
 * struct pt_regs: the user registers saved on kernel entry, in the order Linux's x86-64
 * entry code pushes them (arch/x86/include/asm/ptrace.h). The last five are the hardware
 * frame of an exception or interrupt (SS, RSP, RFLAGS, CS, RIP); orig_ax holds the system
 * call number, or -1 for an exception.
 *
 * This is the kernel's whole view of the CPU: the machine's entry glue (emu/entry.c) fills
 * it from the CPU when a system call or exception arrives and loads it back on the way out.
 * A 32-bit (compatibility mode) task uses the same frame with zero-extended registers.
 */
#ifndef KSIM_PTRACE_H
#define KSIM_PTRACE_H

#include <stdint.h>

#include "mmu/seg.h"

struct pt_regs {
	uint64_t r15, r14, r13, r12;
	uint64_t bp, bx;
	uint64_t r11, r10, r9, r8;
	uint64_t ax, cx, dx, si, di;
	uint64_t orig_ax; /* system call number, or -1 */
	uint64_t ip;
	uint64_t cs;
	uint64_t flags;
	uint64_t sp;
	uint64_t ss;
};

/* RFLAGS bits the kernel looks at. */
#define X86_EFLAGS_CF 0x0001
#define X86_EFLAGS_TF 0x0100
#define X86_EFLAGS_IF 0x0200
#define X86_EFLAGS_DF 0x0400
#define X86_EFLAGS_AC 0x40000
#define X86_EFLAGS_FIXED 0x0002

/* The selectors (__USER_CS, __USER32_CS, ...) are the MMU's: mmu/seg.h has Linux's GDT. */
#define __USER32_DS __USER_DS
#define GDT_ENTRY_TLS_ENTRIES 3

static inline int user_64bit_mode(const struct pt_regs *regs)
{
	return regs->cs == __USER_CS;
}

#endif /* KSIM_PTRACE_H */
