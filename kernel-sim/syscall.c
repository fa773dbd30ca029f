/*
 * The common path of every system call (Linux's kernel/entry/common.c and
 * arch/x86/entry/common.c): dispatch through the ABI's table, -ENOSYS for numbers without
 * a handler (logged once per number), and the tracer at the end of the call.
 */
#include <errno.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/strace.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/syscall_names.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/trace_mm.h"
#include "kernel-sim/uaccess.h"

static size_t strace_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct kernel *k = ctx;
	return copy_from_user_nofault_mm(k, k->current ? k->current->mm : NULL, buf, addr, len);
}

void strace_user_init(struct kernel *k, struct strace_user *u)
{
	u->read = strace_read;
	u->ctx = k;
}

/* Counts an unknown call and logs its number the first time. */
static void report_unknown(struct kernel *k, bool abi32, unsigned long nr)
{
	unsigned long bit = nr < 511 ? nr : 511; /* 511: every number beyond the table */
	uint64_t *seen = &k->unknown_syscall_seen[abi32][bit / 64];
	k->nr_unknown_syscalls++;
	if (*seen & (1ULL << (bit % 64)))
		return;
	*seen |= 1ULL << (bit % 64);
	const char *name = syscall_name(nr, abi32);
	printk(k, KERN_WARNING, "mmemu: unknown system call %s%s (%lu)", name ? name : "?",
	       abi32 ? " [i386]" : "", nr);
}

/* Prints the finished call, and the task's end when the call ended it. */
static void trace_syscall_exit(struct kernel *k, bool abi32, unsigned long nr,
			       const uint64_t args[6], long ret)
{
	struct strace_user u;
	struct task_struct *t = k->current;
	strace_user_init(k, &u);
	strace_syscall(k->strace, &u, abi32, nr, args, ret, t->exited);
	if (t->exited && !(t->exit_code & 0x7f))
		strace_exit(k->strace, (t->exit_code >> 8) & 0xff);
}

long invoke_syscall(struct kernel *k, struct pt_regs *regs, const syscall_fn *table,
		    unsigned long nr_entries, unsigned long nr, const uint64_t args[6], bool abi32)
{
	long ret;
	syscall_fn fn = nr < nr_entries ? table[nr] : NULL;
	if (unlikely(k->mm_tracer))
		trace_sys_enter(k, fn && sys_is_mm_op(fn));
	if (task_ensure_files(k, k->current) < 0) {
		ret = -ENOMEM;
	} else if (fn) {
		ret = fn(k, regs, args);
	} else {
		report_unknown(k, abi32, nr);
		ret = -ENOSYS;
	}
	if (unlikely(k->mm_tracer))
		trace_sys_exit(k);
	if (k->strace)
		trace_syscall_exit(k, abi32, nr, args, ret);
	return ret;
}
