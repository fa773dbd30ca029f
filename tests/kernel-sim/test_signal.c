/*
 * Signals: handlers, masks, frames and sigreturn, default actions, and the exceptions that
 * raise them. The frame checks read guest memory at the offsets Linux's uapi headers give
 * (asm/sigcontext.h, asm-generic/ucontext.h, asm/sigframe.h), written out here:
 *
 *   x86-64 rt_sigframe: pretcode +0, uc +8 (uc_flags +0, uc_stack +16, uc_mcontext +40,
 *   uc_sigmask +296), siginfo +312. sigcontext_64: r8..r15 +0..+56, rdi +64, rsi +72,
 *   rbp +80, rbx +88, rdx +96, rax +104, rcx +112, rsp +120, rip +128, eflags +136,
 *   cs +144, err +152, trapno +160, oldmask +168, cr2 +176, fpstate +184.
 *   siginfo: si_signo +0, si_errno +4, si_code +8, si_addr +16.
 */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "kernel-sim/fpu_signal.h"
#include "tests/kernel-sim/systest.h"

#define HANDLER 0x401000ULL
#define RESTORER 0x402000ULL
#define MC (8 + 40) /* uc_mcontext from the frame start */

/* rt_sigaction(sig, {handler, flags, restorer, mask}) for a 64-bit task. */
static void sigaction64(struct st *s, int sig, uint64_t handler, uint64_t flags, uint64_t mask)
{
	const uint64_t act[4] = {handler, flags, RESTORER, mask};
	uint64_t p = uput(s, 512, act, sizeof(act));
	assert_int_equal(sys64(s, __NR_rt_sigaction, (uint64_t)sig, p, 0, 8, 0, 0), 0);
}

/* Registers with a distinct value in each. */
static void distinct_regs(struct st *s, struct pt_regs *r)
{
	uint64_t *w = (uint64_t *)r;
	for (size_t i = 0; i < sizeof(*r) / 8; i++)
		w[i] = 0x1111000000000000ULL + i * 0x101;
	r->orig_ax = (uint64_t)-1;
	r->ip = 0x401234;
	r->sp = s->scratch + SCRATCH_SIZE - 8192 + 8;
	r->flags = X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_CF;
	r->cs = __USER_CS;
	r->ss = __USER_DS;
}

static void test_signal_frame_64_has_linux_layout(void **state)
{
	struct st *s = st_new();
	struct pt_regs r, before;
	sigaction64(s, SIGSEGV, HANDLER, SA_SIGINFO | SA_RESTORER, ksigmask(SIGUSR2));
	distinct_regs(s, &r);
	before = r;
	/* A user write to the unmapped page at 0x10. */
	exc_page_fault(s->k, &r, X86_PF_USER | X86_PF_WRITE, 0x10);
	assert_true(s->task->signal->pending & ksigmask(SIGSEGV));
	exit_to_user_mode(s->k, &r);
	assert_false(s->task->exited);
	uint64_t f = r.sp;
	assert_int_equal((f + 8) % 16, 0);	 /* as just after a call */
	assert_true(f + 440 <= before.sp - 128); /* below the red zone */
	assert_int_equal(r.ip, HANDLER);
	assert_int_equal(r.di, SIGSEGV);
	assert_int_equal(r.si, f + 312);
	assert_int_equal(r.dx, f + 8);
	assert_int_equal(r.cs, __USER_CS);
	assert_false(r.flags & X86_EFLAGS_DF);
	assert_int_equal(uget64(s, f), RESTORER);
	assert_int_equal(uget64(s, f + MC + 0), before.r8);
	assert_int_equal(uget64(s, f + MC + 56), before.r15);
	assert_int_equal(uget64(s, f + MC + 64), before.di);
	assert_int_equal(uget64(s, f + MC + 88), before.bx);
	assert_int_equal(uget64(s, f + MC + 104), before.ax);
	assert_int_equal(uget64(s, f + MC + 120), before.sp);
	assert_int_equal(uget64(s, f + MC + 128), before.ip);
	assert_int_equal(uget64(s, f + MC + 136), before.flags);
	assert_int_equal(uget64(s, f + MC + 144) & 0xffff, __USER_CS);
	assert_int_equal(uget64(s, f + MC + 152), X86_PF_USER | X86_PF_WRITE);
	assert_int_equal(uget64(s, f + MC + 160), 14); /* #PF */
	assert_int_equal(uget64(s, f + MC + 176), 0x10);
	assert_int_equal(uget64(s, f + 8 + 296), 0); /* the mask before delivery */
	assert_int_equal(uget32(s, f + 312), SIGSEGV);
	assert_int_equal(uget32(s, f + 312 + 8), SEGV_MAPERR);
	assert_int_equal(uget64(s, f + 312 + 16), 0x10);
	/* While the handler runs: SIGSEGV and sa_mask are blocked. */
	assert_int_equal(s->task->signal->blocked, ksigmask(SIGSEGV) | ksigmask(SIGUSR2));
	st_free(s);
}

static void test_signal_rt_sigreturn_restores_every_register(void **state)
{
	struct st *s = st_new();
	struct pt_regs r, before;
	sigaction64(s, SIGUSR1, HANDLER, SA_RESTORER, 0);
	distinct_regs(s, &r);
	before = r;
	assert_int_equal(sys64(s, __NR_kill, (uint64_t)s->task->pid, SIGUSR1, 0, 0, 0, 0), 0);
	exit_to_user_mode(s->k, &r);
	assert_int_equal(r.ip, HANDLER);
	/* The handler runs, clobbers everything and returns into the restorer, which makes
	 * the rt_sigreturn system call with the frame 8 bytes below rsp. */
	struct pt_regs h;
	memset(&h, 0x5a, sizeof(h));
	h.sp = r.sp + 8;
	h.orig_ax = h.ax = __NR_rt_sigreturn;
	h.cs = __USER_CS;
	do_syscall_64(s->k, &h);
	const uint64_t *a = (const uint64_t *)&h, *b = (const uint64_t *)&before;
	for (size_t i = 0; i < offsetof(struct pt_regs, orig_ax) / 8; i++)
		assert_int_equal(a[i], b[i]);
	assert_int_equal(h.ip, before.ip);
	assert_int_equal(h.sp, before.sp);
	assert_int_equal(h.cs, __USER_CS);
	assert_int_equal(h.ss, __USER_DS);
	assert_int_equal(h.orig_ax, (uint64_t)-1);
	/* Flags: the frame's arithmetic and DF bits, not the handler's. */
	assert_int_equal(h.flags & 0x50dd5, before.flags & 0x50dd5);
	assert_int_equal(s->task->signal->blocked, 0);
	st_free(s);
}

static void test_signal_sigreturn_forces_user_selectors(void **state)
{
	struct st *s = st_new();
	struct pt_regs r;
	sigaction64(s, SIGUSR1, HANDLER, SA_RESTORER, 0);
	distinct_regs(s, &r);
	assert_int_equal(sys64(s, __NR_tkill, (uint64_t)s->task->pid, SIGUSR1, 0, 0, 0, 0), 0);
	exit_to_user_mode(s->k, &r);
	/* The handler forges a kernel CS in the frame. */
	uint16_t kcs = 0x10;
	assert_int_equal(copy_to_user(s->k, r.sp + MC + 144, &kcs, 2), 0);
	struct pt_regs h = r;
	h.sp = r.sp + 8;
	h.orig_ax = __NR_rt_sigreturn;
	do_syscall_64(s->k, &h);
	assert_int_equal(h.cs, __USER_CS);
	assert_int_equal(h.ss, __USER_DS);
	st_free(s);
}

static void test_signal_sa_onstack_uses_alternate_stack(void **state)
{
	struct st *s = st_new();
	struct pt_regs r;
	uint64_t alt = s->scratch + 65536, size = 16384;
	const uint64_t ss[3] = {alt, 0, size};
	uint64_t p = uput(s, 1024, ss, sizeof(ss));
	assert_int_equal(sys64(s, __NR_sigaltstack, p, 0, 0, 0, 0, 0), 0);
	sigaction64(s, SIGSEGV, HANDLER, SA_SIGINFO | SA_RESTORER | SA_ONSTACK, 0);
	distinct_regs(s, &r);
	uint64_t old_sp = r.sp;
	exc_page_fault(s->k, &r, X86_PF_USER, 0x20);
	exit_to_user_mode(s->k, &r);
	assert_true(r.sp > alt && r.sp + 440 <= alt + size);
	/* uc_stack records the alternate stack; the frame records the interrupted rsp. */
	assert_int_equal(uget64(s, r.sp + 8 + 16), alt);
	assert_int_equal(uget64(s, r.sp + 8 + 32), size);
	assert_int_equal(uget64(s, r.sp + MC + 120), old_sp);
	/* On the alternate stack: sigaltstack reports SS_ONSTACK and refuses a change. */
	s->regs.sp = r.sp;
	struct pt_regs q = r;
	q.orig_ax = q.ax = __NR_sigaltstack;
	q.di = p;
	q.si = s->scratch + 2048;
	do_syscall_64(s->k, &q);
	assert_int_equal((long)q.ax, -EPERM);
	q = r;
	q.orig_ax = q.ax = __NR_sigaltstack;
	q.di = 0;
	q.si = s->scratch + 2048;
	do_syscall_64(s->k, &q);
	assert_int_equal((long)q.ax, 0);
	assert_int_equal(uget32(s, s->scratch + 2048 + 8), SS_ONSTACK);
	/* Too small a stack: -ENOMEM. */
	const uint64_t tiny[3] = {alt, 0, 1024};
	p = uput(s, 1024, tiny, sizeof(tiny));
	assert_int_equal(sys64(s, __NR_sigaltstack, p, 0, 0, 0, 0, 0), -ENOMEM);
	st_free(s);
}

static void test_signal_default_sigsegv_kills_with_core(void **state)
{
	struct st *s = st_new();
	struct pt_regs r;
	struct seq_file m;
	assert_int_equal(task_set_exe_path(s->k, s->task, "/bin/crasher"), 0);
	distinct_regs(s, &r);
	exc_page_fault(s->k, &r, X86_PF_USER | X86_PF_WRITE, 0x10);
	exit_to_user_mode(s->k, &r);
	assert_true(s->task->exited);
	assert_int_equal(s->task->exit_code, SIGSEGV);
	assert_true(s->task->exit_core);
	seq_init(&m);
	dmesg_show(&m, s->k);
	assert_non_null(strstr(m.buf, "crasher[1]: segfault at 10 ip 0000000000401234 sp "));
	assert_non_null(strstr(m.buf, " error 6"));
	seq_release(&m);
	st_free(s);
}

static void test_signal_page_fault_accerr_on_protected_page(void **state)
{
	struct st *s = st_new();
	struct pt_regs r;
	long addr =
	    sys64(s, __NR_mmap, 0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
	assert_true(addr > 0);
	sigaction64(s, SIGSEGV, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
	distinct_regs(s, &r);
	exc_page_fault(s->k, &r, X86_PF_USER, (unsigned long)addr + 123);
	exit_to_user_mode(s->k, &r);
	assert_int_equal(r.ip, HANDLER);
	assert_int_equal(uget32(s, r.si + 8), SEGV_ACCERR);
	assert_int_equal(uget64(s, r.si + 16), (uint64_t)addr + 123);
	/* A fault the kernel resolves raises nothing. */
	struct pt_regs q;
	distinct_regs(s, &q);
	exc_page_fault(s->k, &q, X86_PF_USER | X86_PF_WRITE, s->scratch + 300000);
	assert_int_equal(s->task->signal->pending, 0);
	st_free(s);
}

static void test_signal_masks_defer_and_flags_apply(void **state)
{
	struct st *s = st_new();
	struct pt_regs r;
	uint64_t set = ksigmask(SIGUSR1);
	uint64_t p = uput(s, 1024, &set, 8);
	sigaction64(s, SIGUSR1, HANDLER, SA_RESTORER | SA_RESETHAND | SA_NODEFER, 0);
	assert_int_equal(sys64(s, __NR_rt_sigprocmask, SIG_BLOCK, p, 0, 8, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_rt_sigprocmask, 7, p, 0, 8, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_rt_sigprocmask, SIG_BLOCK, p, 0, 4, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_kill, (uint64_t)s->task->pid, SIGUSR1, 0, 0, 0, 0), 0);
	distinct_regs(s, &r);
	exit_to_user_mode(s->k, &r);
	assert_int_equal(r.ip, 0x401234); /* blocked: not delivered */
	assert_int_equal(sys64(s, __NR_rt_sigpending, s->scratch + 2048, 8, 0, 0, 0, 0), 0);
	assert_int_equal(uget64(s, s->scratch + 2048), ksigmask(SIGUSR1));
	assert_int_equal(sys64(s, __NR_rt_sigprocmask, SIG_UNBLOCK, p, s->scratch + 2048, 8, 0, 0),
			 0);
	assert_int_equal(uget64(s, s->scratch + 2048), ksigmask(SIGUSR1)); /* the old mask */
	exit_to_user_mode(s->k, &r);
	assert_int_equal(r.ip, HANDLER);
	/* SA_NODEFER: not blocked in the handler; SA_RESETHAND: back to KSIG_DFL. */
	assert_int_equal(s->task->signal->blocked, 0);
	assert_int_equal(s->task->signal->action[SIGUSR1 - 1].handler, KSIG_DFL);
	/* SIGKILL cannot be caught; SIGCHLD's default is to ignore. */
	assert_int_equal(sys64(s, __NR_rt_sigaction, SIGKILL, p, 0, 8, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_kill, (uint64_t)s->task->pid, SIGCHLD, 0, 0, 0, 0), 0);
	exit_to_user_mode(s->k, &r);
	assert_false(s->task->exited);
	assert_int_equal(sys64(s, __NR_kill, 4242, SIGUSR1, 0, 0, 0, 0), -ESRCH);
	/* SIGTERM by default terminates, without core. */
	assert_int_equal(
	    sys64(s, __NR_tgkill, (uint64_t)s->task->pid, (uint64_t)s->task->pid, SIGTERM, 0, 0, 0),
	    0);
	exit_to_user_mode(s->k, &r);
	assert_true(s->task->exited);
	assert_int_equal(s->task->exit_code, SIGTERM);
	assert_false(s->task->exit_core);
	st_free(s);
}

static void test_signal_rt_sigaction_returns_old_action(void **state)
{
	struct st *s = st_new();
	uint64_t old[4];
	sigaction64(s, SIGINT, HANDLER, SA_RESTORER | SA_RESTART, ksigmask(SIGHUP));
	const uint64_t ign[4] = {KSIG_IGN, 0, 0, 0};
	uint64_t p = uput(s, 1024, ign, sizeof(ign));
	assert_int_equal(sys64(s, __NR_rt_sigaction, SIGINT, p, s->scratch + 2048, 8, 0, 0), 0);
	uget(s, s->scratch + 2048, old, sizeof(old));
	assert_int_equal(old[0], HANDLER);
	assert_int_equal(old[1], SA_RESTORER | SA_RESTART);
	assert_int_equal(old[2], RESTORER);
	assert_int_equal(old[3], ksigmask(SIGHUP));
	/* An ignored signal is dropped. */
	assert_int_equal(sys64(s, __NR_kill, 0, SIGINT, 0, 0, 0, 0), 0);
	assert_int_equal(s->task->signal->pending, 0);
	st_free(s);
}

/* ---- FPU state in frames ---- */

/* A CPU's FPU as the kernel sees it through fpu_ops: an FXSAVE image, and FXRSTOR's #GP for
 * an MXCSR with bits outside 0xffff (the mask this fake advertises). */
struct fake_fpu {
	uint8_t fx[FXSAVE_SIZE];
	int restores;
};

static void fake_save(void *ctx, uint8_t fx[FXSAVE_SIZE])
{
	memcpy(fx, ((struct fake_fpu *)ctx)->fx, FXSAVE_SIZE);
}

static bool fake_restore(void *ctx, const uint8_t fx[FXSAVE_SIZE])
{
	struct fake_fpu *f = ctx;
	uint32_t mxcsr;
	memcpy(&mxcsr, fx + 24, 4);
	if (mxcsr & ~0xffffu)
		return false;
	memcpy(f->fx, fx, FXSAVE_SIZE);
	f->restores++;
	return true;
}

/* The image FNINIT plus MXCSR's reset value give (Intel SDM Vol. 1, 8.1.10 and 10.2.3.1). */
static void assert_clean_fpu(const struct fake_fpu *f)
{
	uint8_t want[FXSAVE_SIZE] = {0};
	want[0] = 0x7f, want[1] = 0x03; /* FCW 0x037f */
	want[24] = 0x80, want[25] = 0x1f; /* MXCSR 0x1f80 */
	assert_memory_equal(f->fx, want, FXSAVE_SIZE);
}

/* Raises SIGUSR1 on a task whose FPU holds a recognisable image; returns the regs at the
 * handler. */
static struct pt_regs deliver_with_fpu(struct st *s, struct fake_fpu *f, struct fpu_ops *ops,
				       struct pt_regs *before)
{
	struct pt_regs r;
	for (unsigned i = 0; i < FXSAVE_SIZE; i++)
		f->fx[i] = (uint8_t)(i * 7 + 1);
	memset(f->fx + 24, 0, 4); /* a valid MXCSR: 0 */
	*ops = (struct fpu_ops){fake_save, fake_restore, f};
	s->k->fpu_ops = ops;
	sigaction64(s, SIGUSR1, HANDLER, SA_RESTORER, 0);
	distinct_regs(s, &r);
	*before = r;
	assert_int_equal(sys64(s, __NR_kill, (uint64_t)s->task->pid, SIGUSR1, 0, 0, 0, 0), 0);
	exit_to_user_mode(s->k, &r);
	assert_int_equal(r.ip, HANDLER);
	return r;
}

/* Writes a word of user memory at addr, as a handler editing its frame does. */
static void uset64(struct st *s, uint64_t addr, uint64_t v)
{
	assert_int_equal(copy_to_user(s->k, addr, &v, 8), 0);
}

static void uset32(struct st *s, uint64_t addr, uint32_t v)
{
	assert_int_equal(copy_to_user(s->k, addr, &v, 4), 0);
}

/* The handler returns: rt_sigreturn with the frame 8 bytes below rsp. */
static void sigreturn64(struct st *s, const struct pt_regs *at_handler, struct pt_regs *h)
{
	memset(h, 0, sizeof(*h));
	h->sp = at_handler->sp + 8;
	h->orig_ax = h->ax = __NR_rt_sigreturn;
	h->cs = __USER_CS;
	do_syscall_64(s->k, h);
}

static void test_signal_frame_64_saves_fpu_and_handler_starts_clean(void **state)
{
	struct st *s = st_new();
	struct fake_fpu f, saved;
	struct fpu_ops ops;
	struct pt_regs before;
	struct pt_regs r = deliver_with_fpu(s, &f, &ops, &before);
	uint8_t fx[FXSAVE_SIZE];
	/* fpstate: 64-byte aligned, between the frame and the red zone. */
	uint64_t fp = uget64(s, r.sp + MC + 184);
	assert_int_equal(fp % 64, 0);
	assert_true(fp >= r.sp + 440 && fp + FXSAVE_SIZE <= before.sp - 128);
	assert_int_equal(uget64(s, r.sp + 8) & 1, 0); /* uc_flags: no UC_FP_XSTATE */
	for (unsigned i = 0; i < FXSAVE_SIZE; i++)
		saved.fx[i] = (uint8_t)(i * 7 + 1);
	memset(saved.fx + 24, 0, 4);
	uget(s, fp, fx, sizeof(fx));
	assert_memory_equal(fx, saved.fx, FXSAVE_SIZE);
	assert_clean_fpu(&f);
	/* sigreturn loads the frame's image back. */
	struct pt_regs h;
	sigreturn64(s, &r, &h);
	assert_false(s->task->signal->pending & ksigmask(SIGSEGV));
	assert_memory_equal(f.fx, saved.fx, FXSAVE_SIZE);
	assert_int_equal(h.ip, before.ip);
	s->k->fpu_ops = NULL;
	st_free(s);
}

static void test_signal_sigreturn_fpstate_null_gives_clean_fpu(void **state)
{
	struct st *s = st_new();
	struct fake_fpu f;
	struct fpu_ops ops;
	struct pt_regs before, h;
	struct pt_regs r = deliver_with_fpu(s, &f, &ops, &before);
	memset(f.fx, 0xee, 8); /* the handler's own FPU work */
	memset(f.fx + 24, 0, 4);
	uset64(s, r.sp + MC + 184, 0);
	sigreturn64(s, &r, &h);
	assert_false(s->task->signal->pending & ksigmask(SIGSEGV));
	assert_clean_fpu(&f);
	s->k->fpu_ops = NULL;
	st_free(s);
}

static void test_signal_sigreturn_bad_mxcsr_or_misaligned_fpstate_is_sigsegv(void **state)
{
	struct st *s = st_new();
	struct fake_fpu f;
	struct fpu_ops ops;
	struct pt_regs before, h;
	struct pt_regs r = deliver_with_fpu(s, &f, &ops, &before);
	uint64_t fp = uget64(s, r.sp + MC + 184);
	uset32(s, fp + 24, 0xffffffff);
	sigreturn64(s, &r, &h);
	assert_true(s->task->signal->pending & ksigmask(SIGSEGV));
	s->k->fpu_ops = NULL;
	st_free(s);

	s = st_new();
	r = deliver_with_fpu(s, &f, &ops, &before);
	uset64(s, r.sp + MC + 184, uget64(s, r.sp + MC + 184) + 8); /* FXRSTOR needs 16 */
	sigreturn64(s, &r, &h);
	assert_true(s->task->signal->pending & ksigmask(SIGSEGV));
	s->k->fpu_ops = NULL;
	st_free(s);
}

/* The full tag word from FXSAVE's abridged one (SDM Vol. 1, 10.5.1.1): 00 valid, 01 zero,
 * 10 special (NaN, infinity, denormal, unnormal), 11 empty, by physical register. */
static void test_signal_fpu_tag_word_conversions_follow_sdm(void **state)
{
	uint8_t fx[FXSAVE_SIZE] = {0};
	(void)state;
	/* TOP = 5: ST(0) is physical register 5, ST(1) 6, ST(2) 7, ST(3) 0. */
	fx[3] = 5 << 3;		       /* FSW.TOP, bits 13..11 */
	fx[4] = 1 << 5 | 1 << 6 | 1 << 7 | 1 << 0; /* registers 5, 6, 7, 0 in use */
	uint8_t *st0 = fx + 32, *st2 = fx + 64, *st3 = fx + 80; /* ST(1) at fx + 48 stays 0 */
	st0[7] = 0x80, st0[8] = 0xff, st0[9] = 0x3f; /* 1.0: valid */
	/* st1 all zero: zero */
	st2[8] = 0xff, st2[9] = 0x7f; /* exponent all ones: special */
	st3[0] = 1;		      /* denormal: special */
	uint32_t twd = twd_fxsr_to_i387(fx);
	/* reg: 7=10 6=01 5=00 4..1=11 0=10 */
	assert_int_equal(twd, 0xffff0000u | 2u << 14 | 1u << 12 | 0u << 10 | 0xffu << 2 | 2u);
	assert_int_equal(twd_i387_to_fxsr(twd), fx[4]);
	assert_int_equal(twd_i387_to_fxsr(0xffff), 0);
	assert_int_equal(twd_i387_to_fxsr(0), 0xff);
}

static void test_signal_missing_restorer_kills_with_sigsegv(void **state)
{
	struct st *s = st_new();
	struct pt_regs r;
	const uint64_t act[4] = {HANDLER, 0, 0, 0}; /* no SA_RESTORER */
	uint64_t p = uput(s, 512, act, sizeof(act));
	assert_int_equal(sys64(s, __NR_rt_sigaction, SIGUSR1, p, 0, 8, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_kill, 0, SIGUSR1, 0, 0, 0, 0), 0);
	distinct_regs(s, &r);
	exit_to_user_mode(s->k, &r);
	assert_true(s->task->exited);
	assert_int_equal(s->task->exit_code, SIGSEGV);
	st_free(s);
}

static void test_signal_traps_give_linux_codes(void **state)
{
	struct st *s = st_new();
	struct pt_regs r;
	sigaction64(s, SIGFPE, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
	sigaction64(s, SIGILL, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
	distinct_regs(s, &r);
	exc_divide_error(s->k, &r);
	exit_to_user_mode(s->k, &r);
	assert_int_equal(uget32(s, r.si), SIGFPE);
	assert_int_equal(uget32(s, r.si + 8), FPE_INTDIV);
	assert_int_equal(uget64(s, r.si + 16), 0x401234);
	distinct_regs(s, &r);
	exc_invalid_op(s->k, &r);
	exit_to_user_mode(s->k, &r);
	assert_int_equal(uget32(s, r.si), SIGILL);
	assert_int_equal(uget32(s, r.si + 8), ILL_ILLOPN);
	/* x87: divide-by-zero unmasked (ZM clear) and flagged (ZE). */
	distinct_regs(s, &r);
	s->task->signal->blocked = 0;
	exc_coprocessor_error(s->k, &r, 0x037b, 0x0004);
	exit_to_user_mode(s->k, &r);
	assert_int_equal(uget32(s, r.si + 8), FPE_FLTDIV);
	/* A #GP with no handler: SIGSEGV kills, logged as a trap. */
	distinct_regs(s, &r);
	exc_general_protection(s->k, &r, 0);
	exit_to_user_mode(s->k, &r);
	assert_true(s->task->exited);
	assert_int_equal(s->task->exit_code, SIGSEGV);
	st_free(s);
}

/* i386 rt_sigframe_ia32: pretcode +0, sig +4, pinfo +8, puc +12, info +16, uc +144
 * (uc_mcontext +164: sigcontext_32 with eip at +56, esp at +28, eax at +44), retcode +260.
 * sigframe_ia32: pretcode +0, sig +4, sc +8, extramask +720. */
static void test_signal_frames_32_and_sigreturn(void **state)
{
	struct st *s = st_new_abi(true);
	const uint32_t act[5] = {0x8049000, SA_SIGINFO | SA_RESTORER, 0x8049100, 0, 0};
	uint64_t p = uput(s, 512, act, sizeof(act));
	assert_int_equal(sys32(s, __NR_ia32_rt_sigaction, SIGSEGV, (uint32_t)p, 0, 8, 0, 0), 0);
	struct pt_regs r;
	memset(&r, 0, sizeof(r));
	r.ip = 0x8048123, r.sp = SCRATCH32 + 0x80000, r.ax = 0x11, r.bx = 0x22, r.cx = 0x33;
	r.dx = 0x44, r.si = 0x55, r.di = 0x66, r.bp = 0x77;
	r.cs = __USER32_CS, r.ss = __USER32_DS, r.flags = 0x246;
	struct pt_regs before = r;
	exc_page_fault(s->k, &r, X86_PF_USER | X86_PF_WRITE, 0x44);
	exit_to_user_mode(s->k, &r);
	uint64_t f = r.sp;
	assert_int_equal((f + 4) % 16, 0);
	assert_int_equal(r.ip, 0x8049000);
	assert_int_equal(r.ax, SIGSEGV);
	assert_int_equal(r.dx, f + 16);
	assert_int_equal(r.cx, f + 144);
	assert_int_equal(r.cs, __USER32_CS);
	assert_int_equal(uget32(s, f), 0x8049100);
	assert_int_equal(uget32(s, f + 4), SIGSEGV);
	assert_int_equal(uget32(s, f + 8), f + 16);
	assert_int_equal(uget32(s, f + 12), f + 144);
	assert_int_equal(uget32(s, f + 16), SIGSEGV);
	assert_int_equal(uget32(s, f + 16 + 8), SEGV_MAPERR);
	assert_int_equal(uget32(s, f + 16 + 12), 0x44);
	assert_int_equal(uget32(s, f + 164 + 56), 0x8048123);
	assert_int_equal(uget32(s, f + 164 + 28), before.sp);
	assert_int_equal(uget32(s, f + 164 + 44), 0x11);
	assert_int_equal(uget32(s, f + 164 + 84), 0x44); /* cr2 */
	/* rt_sigreturn (173) with the frame 4 bytes below esp. */
	struct pt_regs h;
	memset(&h, 0, sizeof(h));
	h.sp = f + 4;
	h.orig_ax = __NR_ia32_rt_sigreturn;
	h.cs = __USER32_CS;
	do_int80_syscall_32(s->k, &h);
	assert_int_equal(h.ip, before.ip);
	assert_int_equal(h.sp, before.sp);
	assert_int_equal(h.ax, 0x11);
	assert_int_equal(h.bp, 0x77);
	assert_int_equal(h.cs, __USER32_CS);
	assert_int_equal(s->task->signal->blocked, 0);
	/* Without SA_SIGINFO: the old sigframe and sigreturn (119), esp - 8. */
	const uint32_t act2[5] = {0x8049200, SA_RESTORER, 0x8049300, 0, 0};
	p = uput(s, 512, act2, sizeof(act2));
	assert_int_equal(sys32(s, __NR_ia32_rt_sigaction, SIGUSR1, (uint32_t)p, 0, 8, 0, 0), 0);
	assert_int_equal(sys32(s, __NR_ia32_kill, (uint32_t)s->task->pid, SIGUSR1, 0, 0, 0, 0), 0);
	r = before;
	exit_to_user_mode(s->k, &r);
	f = r.sp;
	assert_int_equal(r.ip, 0x8049200);
	assert_int_equal(uget32(s, f), 0x8049300);
	assert_int_equal(uget32(s, f + 4), SIGUSR1);
	assert_int_equal(uget32(s, f + 8 + 56), 0x8048123);
	memset(&h, 0, sizeof(h));
	h.sp = f + 8;
	h.orig_ax = __NR_ia32_sigreturn;
	do_int80_syscall_32(s->k, &h);
	assert_int_equal(h.ip, before.ip);
	assert_int_equal(h.bx, 0x22);
	assert_int_equal(s->task->signal->blocked, 0);
	st_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signal_frame_64_has_linux_layout),
	    cmocka_unit_test(test_signal_rt_sigreturn_restores_every_register),
	    cmocka_unit_test(test_signal_sigreturn_forces_user_selectors),
	    cmocka_unit_test(test_signal_sa_onstack_uses_alternate_stack),
	    cmocka_unit_test(test_signal_default_sigsegv_kills_with_core),
	    cmocka_unit_test(test_signal_page_fault_accerr_on_protected_page),
	    cmocka_unit_test(test_signal_masks_defer_and_flags_apply),
	    cmocka_unit_test(test_signal_rt_sigaction_returns_old_action),
	    cmocka_unit_test(test_signal_frame_64_saves_fpu_and_handler_starts_clean),
	    cmocka_unit_test(test_signal_sigreturn_fpstate_null_gives_clean_fpu),
	    cmocka_unit_test(test_signal_sigreturn_bad_mxcsr_or_misaligned_fpstate_is_sigsegv),
	    cmocka_unit_test(test_signal_fpu_tag_word_conversions_follow_sdm),
	    cmocka_unit_test(test_signal_missing_restorer_kills_with_sigsegv),
	    cmocka_unit_test(test_signal_traps_give_linux_codes),
	    cmocka_unit_test(test_signal_frames_32_and_sigreturn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
