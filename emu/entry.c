/*
 * Kernel entry and exit for the machine; see emu/entry.h.
 *
 * Exception and INT 0x80 entries find the hardware frame the CPU pushed on the kernel
 * stack (TSS.RSP0):
 *
 *        kstack_top ->  +--------+
 *                       |   SS   |
 *                       |  RSP   |
 *                       | RFLAGS |
 *                       |   CS   |
 *                       |  RIP   | <- RSP after delivery (vectors without an error code)
 *                       | errcode| <- RSP after delivery (#DF, #TS, #NP, #SS, #GP, #PF, #AC)
 *                       +--------+
 *
 * They leave through IRET over the same frame, rewritten from pt_regs (a signal frame or
 * sigreturn may have changed RIP, RSP, RFLAGS, CS). SYSCALL enters with the user RIP in
 * RCX and RFLAGS in R11 and leaves through SYSRET when pt_regs still allows it (Linux's
 * rules: RCX == RIP, R11 == RFLAGS, user CS, canonical RIP, no TF/RF), else through an IRET
 * frame built at the top of the kernel stack.
 */
#include "emu/entry.h"

#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "emu/machine.h"
#include "emu/trace_record.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/x86_tables.h"

static void regs_from_cpu(const struct cpu *cpu, struct pt_regs *r)
{
	r->r15 = cpu->gpr[R15], r->r14 = cpu->gpr[R14], r->r13 = cpu->gpr[R13];
	r->r12 = cpu->gpr[R12], r->bp = cpu->gpr[RBP], r->bx = cpu->gpr[RBX];
	r->r11 = cpu->gpr[R11], r->r10 = cpu->gpr[R10], r->r9 = cpu->gpr[R9];
	r->r8 = cpu->gpr[R8], r->ax = cpu->gpr[RAX], r->cx = cpu->gpr[RCX];
	r->dx = cpu->gpr[RDX], r->si = cpu->gpr[RSI], r->di = cpu->gpr[RDI];
}

static void regs_to_cpu(struct cpu *cpu, const struct pt_regs *r)
{
	cpu->gpr[R15] = r->r15, cpu->gpr[R14] = r->r14, cpu->gpr[R13] = r->r13;
	cpu->gpr[R12] = r->r12, cpu->gpr[RBP] = r->bp, cpu->gpr[RBX] = r->bx;
	cpu->gpr[R11] = r->r11, cpu->gpr[R10] = r->r10, cpu->gpr[R9] = r->r9;
	cpu->gpr[R8] = r->r8, cpu->gpr[RAX] = r->ax, cpu->gpr[RCX] = r->cx;
	cpu->gpr[RDX] = r->dx, cpu->gpr[RSI] = r->si, cpu->gpr[RDI] = r->di;
}

/* The 8-byte words of the kernel stack, through the direct map (kernel memory). */
static uint64_t *kstack_word(struct machine *m, uint64_t va)
{
	uint64_t pa = va - m->kernel.page_offset;
	return bus_ram_ptr(&m->bus, pa, 8);
}

/* FS/GS bases and TLS descriptors the kernel set for the task (arch_prctl,
 * set_thread_area) become the CPU's before user code runs again. */
static void load_thread_state(struct machine *m, struct cpu *cpu)
{
	struct task_struct *t = m->kernel.current;
	/* A 64-bit task's bases come from arch_prctl; a 32-bit task's from the descriptors its
	 * selectors load, which an MSR write here would overwrite. */
	if (!t->abi32) {
		cpu_wrmsr(cpu, MSR_FS_BASE, t->thread.fsbase);
		cpu_wrmsr(cpu, MSR_GS_BASE, t->thread.gsbase);
	}
	if (t->thread.tls_dirty) {
		x86_load_tls(&m->kernel, &m->tables, t->thread.tls_array);
		t->thread.tls_dirty = false;
	}
}

/* Linux's "can we use SYSRET" test (entry_64.S / do_syscall_64's return value). */
static bool sysret_allowed(const struct pt_regs *r)
{
	uint64_t rflags_bad = X86_EFLAGS_TF | (1ULL << 16); /* TF, RF */
	return r->cx == r->ip && r->r11 == r->flags && r->cs == __USER_CS &&
	       r->ss == __USER_DS && r->ip < 0x00007ffffffff000ULL && !(r->flags & rflags_bad);
}

/* Writes an IRET frame for regs at the top of the kernel stack and points RSP at it. */
static void push_iret_frame(struct machine *m, struct cpu *cpu, const struct pt_regs *r)
{
	uint64_t sp = m->tables.kstack_top - 5 * 8;
	const uint64_t frame[5] = {r->ip, r->cs, r->flags, r->sp, r->ss};
	for (int i = 0; i < 5; i++)
		*kstack_word(m, sp + 8 * (uint64_t)i) = frame[i];
	cpu->gpr[RSP] = sp;
}

void entry_flush_strace(struct machine *m)
{
	struct seq_file *s = m->kernel.strace;
	if (!s || !s->count)
		return;
	fwrite(s->buf, 1, s->count, m->strace_out);
	fflush(m->strace_out);
	s->count = 0;
	s->buf[0] = '\0';
}

/* The common exit: signals, then stop if the task is gone, else back to user mode. */
static enum kentry_ret exit_to_user(struct machine *m, struct cpu *cpu, struct pt_regs *r,
				    bool from_syscall)
{
	struct kernel *k = &m->kernel;
	exit_to_user_mode(k, r);
	if (m->trace)
		trace_record_page_refs(m->trace);
	entry_flush_strace(m);
	if (!k->current || k->current->exited)
		return KENTRY_STOP;
	load_thread_state(m, cpu);
	regs_to_cpu(cpu, r);
	if (from_syscall && sysret_allowed(r)) {
		cpu->gpr[RSP] = r->sp;
		return KENTRY_SYSRET;
	}
	push_iret_frame(m, cpu, r);
	return KENTRY_IRET;
}

static enum kentry_ret entry_syscall_64(struct cpu *cpu, void *opaque)
{
	struct machine *m = opaque;
	struct pt_regs r;
	regs_from_cpu(cpu, &r);
	r.ip = cpu->gpr[RCX];
	r.flags = cpu->gpr[R11];
	r.sp = cpu->gpr[RSP];
	r.cs = __USER_CS;
	r.ss = __USER_DS;
	r.orig_ax = r.ax;
	kernel_clock_update(&m->kernel, cpu->icount);
	do_syscall_64(&m->kernel, &r);
	if (m->trace)
		trace_record_syscall(m->trace, r.orig_ax, r.ax);
	return exit_to_user(m, cpu, &r, true);
}

static bool vector_has_error_code(int vec)
{
	return vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 ||
	       vec == 17 || vec == 21 || vec == 29 || vec == 30;
}

/* A #PF into the kernel; with a trace, how it ended (fixed, or a signal for the task). */
static void page_fault(struct machine *m, struct cpu *cpu, struct pt_regs *r, uint64_t error)
{
	struct kernel *k = &m->kernel;
	struct task_struct *t = k->current;
	uint64_t pending = t && t->signal ? t->signal->pending : 0;
	exc_page_fault(k, r, error, cpu->cr2);
	if (!m->trace)
		return;
	t = k->current;
	bool signalled = t && t->signal && t->signal->pending != pending;
	trace_record_pf_done(m->trace, cpu->cr2, (uint32_t)error,
			     signalled ? TRACE_PF_SIGNAL : TRACE_PF_FIXED);
}

/* DR6's status bits, active high, and DR6 back to its reset value (what Linux's
 * debug_read_clear_dr6 does, so that the next #DB's cause is its own). */
static unsigned long read_clear_dr6(struct cpu *cpu)
{
	unsigned long dr6 = (unsigned long)(cpu->dr6 ^ DR6_RESERVED);
	cpu->dr6 = DR6_RESERVED;
	return dr6;
}

/* Dispatches an exception or INT 0x80 that came from user mode to the kernel's handler
 * (arch/x86/kernel/traps.c). false for vectors a user program cannot raise. */
static bool handle_vector(struct machine *m, struct cpu *cpu, int vec, uint64_t error,
			  struct pt_regs *r)
{
	struct kernel *k = &m->kernel;
	switch (vec) {
	case IA32_SYSCALL_VECTOR:
		r->orig_ax = r->ax & 0xffffffffULL;
		do_int80_syscall_32(k, r);
		if (m->trace)
			trace_record_syscall(m->trace, r->orig_ax, r->ax);
		return true;
	case 0: exc_divide_error(k, r); return true;
	case 1: exc_debug(k, r, read_clear_dr6(cpu)); return true;
	case 3: exc_int3(k, r); return true;
	case 4: exc_overflow(k, r); return true;
	case 5: exc_bounds(k, r); return true;
	case 6: exc_invalid_op(k, r); return true;
	case 11: exc_segment_not_present(k, r, error); return true;
	case 12: exc_stack_segment(k, r, error); return true;
	case 13: exc_general_protection(k, r, error); return true;
	case 14: page_fault(m, cpu, r, error); return true;
	case 16:
		FPU_ASSERT_SYNCED(cpu); /* kernel entries run synced (cpu_fpu_sync) */
		exc_coprocessor_error(k, r, cpu->fpu.fcw, cpu->fpu.fsw);
		return true;
	case 17: exc_alignment_check(k, r, error); return true;
	case 19:
		FPU_ASSERT_SYNCED(cpu);
		exc_simd_coprocessor_error(k, r, cpu->mxcsr);
		return true;
	default: return false;
	}
}

/* The signal the kernel queued for the current task since its pending set was before, or 0
 * (the lowest, if several). */
static int queued_signal(const struct kernel *k, uint64_t before)
{
	const struct task_struct *t = k->current;
	uint64_t added = (t && t->signal ? t->signal->pending : 0) & ~before;
	return added ? __builtin_ctzll(added) + 1 : 0;
}

/* The current task's pending signals (0 without a task). */
static uint64_t pending_signals(const struct kernel *k)
{
	const struct task_struct *t = k->current;
	return t && t->signal ? t->signal->pending : 0;
}

static enum kentry_ret entry_vector(struct cpu *cpu, void *opaque)
{
	struct vector_entry *ve = opaque;
	struct machine *m = ve->m;
	uint64_t sp = cpu->gpr[RSP], error = 0;
	if (vector_has_error_code(ve->vec)) {
		error = *kstack_word(m, sp);
		sp += 8;
	}
	struct pt_regs r;
	regs_from_cpu(cpu, &r);
	r.ip = *kstack_word(m, sp);
	r.cs = *kstack_word(m, sp + 8);
	r.flags = *kstack_word(m, sp + 16);
	r.sp = *kstack_word(m, sp + 24);
	r.ss = *kstack_word(m, sp + 32);
	r.orig_ax = (uint64_t)-1;
	kernel_clock_update(&m->kernel, cpu->icount);
	if ((r.cs & 3) != 3) {
		/* Nothing in kernel mode executes guest instructions: a fault there is ours. */
		snprintf(m->stop_reason, sizeof(m->stop_reason),
			 "kernel-mode exception %d at %#llx (a bug in mmemu)", ve->vec,
			 (unsigned long long)r.ip);
		return KENTRY_STOP;
	}
	uint64_t pending = pending_signals(&m->kernel);
	if (!handle_vector(m, cpu, ve->vec, error, &r)) {
		snprintf(m->stop_reason, sizeof(m->stop_reason),
			 "exception %d from user mode at %#llx, which no program can cause here",
			 ve->vec, (unsigned long long)r.ip);
		return KENTRY_STOP;
	}
	/* #PF has its pf_done, INT 0x80 its syscall. */
	if (m->trace && ve->vec != 14 && ve->vec != IA32_SYSCALL_VECTOR)
		trace_record_exception(m->trace, (unsigned)ve->vec, (uint32_t)error, r.ip,
				       queued_signal(&m->kernel, pending));
	cpu->gpr[RSP] = sp;
	enum kentry_ret ret = exit_to_user(m, cpu, &r, false);
	return ret;
}

int entry_register_all(struct machine *m)
{
	int r = cpu_register_kentry(&m->cpu, ENTRY_SYSCALL_64, entry_syscall_64, m,
				    "entry_SYSCALL_64");
	for (int vec = 0; vec < 32 && !r; vec++) {
		m->vectors[vec] = (struct vector_entry){m, vec};
		r = cpu_register_kentry(&m->cpu, IDT_ENTRY(vec), entry_vector, &m->vectors[vec],
					"exception");
	}
	if (!r) {
		m->vectors[32] = (struct vector_entry){m, 0x80};
		r = cpu_register_kentry(&m->cpu, IDT_ENTRY(0x80), entry_vector, &m->vectors[32],
					"entry_INT80_compat");
	}
	return r;
}

void entry_start_user(struct machine *m, const struct pt_regs *regs)
{
	struct cpu *cpu = &m->cpu;
	if (regs->cs == __USER32_CS)
		cpu_enter_compat_mode_flat(cpu);
	else
		cpu_enter_long_mode_flat(cpu, 3);
	regs_to_cpu(cpu, regs);
	cpu->rip = regs->ip;
	cpu->gpr[RSP] = regs->sp;
	cpu_set_rflags(cpu, regs->flags);
	load_thread_state(m, cpu);
}
