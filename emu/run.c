/*
 * The machine's user-mode setup and run loop (what Linux's start_kernel and the first
 * execve leave behind: long mode with paging, the GDT/IDT/TSS, the SYSCALL MSRs), then
 * exec and cpu_run in slices until the program ends or a limit is reached. Time inside
 * the machine is virtual: one instruction is one nanosecond.
 */
#include "emu/run.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "emu/entry.h"
#include "emu/machine.h"
#include "kernel-sim/debug_vm.h"
#include "kernel-sim/exec.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/vdso.h"
#include "kernel-sim/x86_tables.h"
#include "mmu/paging.h"

#define RUN_SLICE 1000000 /* instructions between checks of the host clock */

/* Linux x86-64's SYSCALL setup (syscall_init): STAR selectors, entry points, and the RFLAGS
 * bits SYSCALL clears. */
static bool setup_syscall_msrs(struct cpu *cpu)
{
	const uint64_t sfmask = X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_IF | X86_EFLAGS_AC |
				(3ULL << 12) /* IOPL */ | (1ULL << 14) /* NT */;
	return cpu_wrmsr(cpu, MSR_STAR, ((uint64_t)__USER32_CS << 48) | ((uint64_t)__KERNEL_CS << 32)) &&
	       cpu_wrmsr(cpu, MSR_LSTAR, ENTRY_SYSCALL_64) &&
	       cpu_wrmsr(cpu, MSR_CSTAR, ENTRY_SYSCALL_COMPAT) && cpu_wrmsr(cpu, MSR_SFMASK, sfmask);
}

/* Long mode with 4-level paging on the task's page tables, the descriptor tables, and the
 * x87/SSE setup Linux's fpu__init_cpu does (MP and NE in CR0; OSFXSR and OSXMMEXCPT in CR4,
 * without which every SSE instruction is #UD). */
static bool setup_cpu(struct machine *m, uint64_t pgd_pa)
{
	struct mmu *mmu = &m->mmu;
	struct x86_fault f;
	mmu->seg.gdtr = (struct dtr){m->tables.gdt_va, m->tables.gdt_limit};
	mmu->seg.idtr = (struct dtr){m->tables.idt_va, m->tables.idt_limit};
	return mmu_set_cr4(mmu, CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT, &f) &&
	       mmu_set_efer(mmu, EFER_LME | EFER_NXE | EFER_SCE, &f) && mmu_set_cr3(mmu, pgd_pa, &f) &&
	       mmu_set_cr0(mmu, CR0_PE | CR0_MP | CR0_NE | CR0_PG | CR0_WP | CR0_AM, &f) &&
	       seg_ltr(mmu, __TSS_SEL, &f) && setup_syscall_msrs(&m->cpu);
}

static double host_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum run_result finish(struct machine *m, struct task_struct *t, int *status)
{
	if (t->exit_code & 0x7f) {
		*status = t->exit_code & 0x7f;
		return RUN_KILLED;
	}
	*status = (t->exit_code >> 8) & 0xff;
	return RUN_EXITED;
}

/* cpu_run in slices until the task ends, the machine stops or a limit is reached. */
static enum run_result run_loop(struct machine *m, const struct run_options *o, int *status)
{
	struct cpu *cpu = &m->cpu;
	double deadline = o->timeout > 0 ? host_seconds() + o->timeout : 0;
	for (;;) {
		uint64_t slice = RUN_SLICE;
		if (o->max_insns) {
			if (cpu->icount >= o->max_insns) {
				snprintf(m->stop_reason, sizeof(m->stop_reason),
					 "stopped after %llu instructions (--max-insns)",
					 (unsigned long long)cpu->icount);
				return RUN_LIMIT;
			}
			if (o->max_insns - cpu->icount < slice)
				slice = o->max_insns - cpu->icount;
		}
		if (o->observer && !o->observer->before_slice(o->observer->ctx, m, &slice))
			return RUN_LIMIT;
		enum cpu_exit e = cpu_run(cpu, slice);
		kernel_clock_update(&m->kernel, cpu->icount);
		struct task_struct *t = m->kernel.current;
		if (t && t->exited)
			return finish(m, t, status);
		if (e == CPU_EXIT_SHUTDOWN) {
			snprintf(m->stop_reason, sizeof(m->stop_reason),
				 "the CPU shut down (triple fault) at %#llx", (unsigned long long)cpu->rip);
			return RUN_MACHINE_STOP;
		}
		if (e == CPU_EXIT_STOP || e == CPU_EXIT_HLT || e == CPU_EXIT_FAULT) {
			if (!m->stop_reason[0])
				snprintf(m->stop_reason, sizeof(m->stop_reason),
					 "the machine stopped unexpectedly at %#llx",
					 (unsigned long long)cpu->rip);
			return RUN_MACHINE_STOP;
		}
		if (o->interrupted && *o->interrupted) {
			snprintf(m->stop_reason, sizeof(m->stop_reason),
				 "interrupted after %llu instructions", (unsigned long long)cpu->icount);
			return RUN_INTERRUPTED;
		}
		if (deadline && host_seconds() > deadline) {
			snprintf(m->stop_reason, sizeof(m->stop_reason),
				 "stopped after %.1f s (--timeout), %llu instructions", o->timeout,
				 (unsigned long long)cpu->icount);
			return RUN_LIMIT;
		}
	}
}

/* The program is over: the last trace lines out, its task and address space freed (every
 * frame back to the allocator), the strace sink closed. */
static void end_program(struct machine *m)
{
	struct kernel *k = &m->kernel;
	entry_flush_strace(m);
	if (k->current)
		release_task(k, k->current);
	if (k->strace) {
		seq_release(&m->strace_buf);
		k->strace = NULL;
	}
	x86_cpu_tables_free(k, &m->tables);
}

/* What --check compares after the program: the pages and swap slots in use before it. */
struct check_base {
	long pages_in_use;
	unsigned long free_swap;
};

/* The kernel's memory before the program: the lazily made vDSO pages are made first and
 * empty slabs returned, so that what the program leaves behind is all that differs. */
static int check_begin(struct kernel *k, struct check_base *b)
{
	if (vdso_prepare(k) < 0)
		return -1;
	vm_shrink_caches(k);
	b->pages_in_use = debug_vm_leaked_pages(k);
	b->free_swap = nr_free_swap_pages(k);
	return 0;
}

/* Linux's DEBUG_VM checks once the program is gone: free lists, LRU lists, writeback and
 * workingset state, swap counts, and every frame and swap slot back. */
static void check_end(struct machine *m, const struct check_base *b)
{
	struct kernel *k = &m->kernel;
	char *msg = m->check_failure;
	size_t len = sizeof(m->check_failure);
	vm_shrink_caches(k);
	long leaked = debug_vm_leaked_pages(k) - b->pages_in_use;
	if (debug_vm_check(k, msg, len) < 0 || debug_vm_check_lru(k, msg, len) < 0 ||
	    debug_vm_check_rmap(k, NULL, 0, msg, len) < 0)
		return;
	if (leaked)
		snprintf(msg, len, "%ld pages not given back after the program", leaked);
	else if (nr_free_swap_pages(k) != b->free_swap)
		snprintf(msg, len, "%lu swap slots not given back after the program",
			 b->free_swap - nr_free_swap_pages(k));
}

enum run_result machine_run_program(struct machine *m, const struct run_options *o, int *status)
{
	struct check_base base = {0, 0};
	struct kernel *k = &m->kernel;
	struct exec_request req = {o->host_path, o->filename, o->argc, o->argv, o->envc, o->envp,
				   0, 0};
	struct pt_regs regs;
	int err = 0;
	m->stop_reason[0] = '\0';
	m->check_failure[0] = '\0';
	if (o->check && check_begin(k, &base) < 0) {
		snprintf(m->stop_reason, sizeof(m->stop_reason), "out of memory for the vDSO");
		return RUN_MACHINE_STOP;
	}
	if (x86_cpu_tables_init(k, 0, &m->tables) < 0 || entry_register_all(m) < 0) {
		snprintf(m->stop_reason, sizeof(m->stop_reason), "out of memory for the CPU tables");
		return RUN_MACHINE_STOP;
	}
	struct task_struct *t = exec_new_task(k, &req, &regs, &err, m->stop_reason,
					      sizeof(m->stop_reason));
	if (!t)
		return RUN_EXEC_FAILED;
	if (!setup_cpu(m, __pa(k, t->mm->pgd))) {
		snprintf(m->stop_reason, sizeof(m->stop_reason), "cannot set up long mode");
		return RUN_MACHINE_STOP;
	}
	char exe[PATH_MAX];
	if (!realpath(o->host_path, exe))
		snprintf(exe, sizeof(exe), "%s", o->host_path);
	if (task_setup_files(k, t, o->root) < 0 || task_set_exe_path(k, t, exe) < 0) {
		snprintf(m->stop_reason, sizeof(m->stop_reason), "out of memory for the task");
		return RUN_MACHINE_STOP;
	}
	/* A first program without -d in_asm finds the instruction cache empty and logging off:
	 * flushing it then would only touch all of its (lazily committed) blocks, about 3600
	 * host page faults, the largest part of a short run's start-up. */
	if (m->programs_run++ || o->in_asm)
		cpu_set_log_in_asm(&m->cpu, o->in_asm);
	if (o->no_jit)
		cpu_set_jit(&m->cpu, false);
	if (o->strace) {
		seq_init(&m->strace_buf);
		k->strace = &m->strace_buf;
		m->strace_out = o->strace;
	}
	entry_start_user(m, &regs);
	enum run_result r = run_loop(m, o, status);
	if (o->observer)
		o->observer->at_end(o->observer->ctx, m, r);
	end_program(m);
	if (o->check)
		check_end(m, &base);
	return r;
}
