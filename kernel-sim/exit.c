/*
 * The end of a task (Linux's kernel/exit.c: do_exit, do_group_exit, and wait4 for a task
 * that has no children). The task stays allocated: the machine reads exit_code and frees
 * it with release_task().
 */
#include <errno.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/syscalls.h"

void do_group_exit(struct kernel *k, int exit_code, bool core)
{
	struct task_struct *t = k->current;
	if (!t || t->exited)
		return;
	t->exited = true;
	t->exit_code = exit_code;
	t->exit_core = core;
}

long sys_exit(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	do_group_exit(k, (int)((a[0] & 0xff) << 8), false);
	return 0;
}

long sys_exit_group(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	do_group_exit(k, (int)((a[0] & 0xff) << 8), false);
	return 0;
}

long sys_wait4(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return -ECHILD;
}
