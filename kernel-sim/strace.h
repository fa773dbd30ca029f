/*
 * System-call tracing in strace(1)'s output format:
 *
 *   openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 3
 *   read(3, "127.0.0.1\tlocalhost\n"..., 4096) = 221
 *   mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
 *   ioctl(1, TCGETS, 0x7ffd7133b770)        = -1 ENOTTY (Inappropriate ioctl for device)
 *   exit_group(0)                           = ?
 *   +++ exited with 0 +++
 *
 * Calls are printed once, at exit, so output buffers (read's, readlink's) show what the
 * call wrote. Strings and buffers come from guest memory through a reader the caller
 * supplies; unreadable memory prints as the bare address, as strace does.
 */
#ifndef KSIM_STRACE_H
#define KSIM_STRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel-sim/seq_file.h"

struct strace_user {
	/* Copies up to len bytes of guest memory at addr into buf; returns the bytes it could
	 * read (fewer when the range runs into unmapped memory). */
	size_t (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

/* One completed system call: "name(args) = ret\n". abi32 selects the i386 numbering and
 * 32-bit pointers; noreturn prints "= ?" (exit, exit_group, a successful execve's old image). */
void strace_syscall(struct seq_file *m, const struct strace_user *u, bool abi32, unsigned long nr,
		    const uint64_t args[6], int64_t ret, bool noreturn);

/* "+++ exited with N +++" */
void strace_exit(struct seq_file *m, int status);
/* "+++ killed by SIGSEGV +++" (with " (core dumped)" when core is true) */
void strace_killed(struct seq_file *m, int sig, bool core);
/* "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---" */
void strace_signal(struct seq_file *m, int sig, int code, uint64_t addr);

/* Linux's signal name (SIGSEGV) for a number, or NULL. */
const char *signal_name(int sig);

#endif /* KSIM_STRACE_H */
