/*
 * Signal generation, masks, handlers and delivery (Linux's kernel/signal.c and the
 * delivery half of arch/x86/kernel/signal.c: get_signal, handle_signal). See
 * kernel-sim/signal.h for what is modelled.
 */
#include "kernel-sim/signal.h"

#include <errno.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/strace.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

/* Default actions (Linux's sig_kernel_* sets). */
#define SIG_KERNEL_ONLY_MASK (ksigmask(SIGKILL) | ksigmask(SIGSTOP))
#define SIG_KERNEL_COREDUMP_MASK                                                                   \
	(ksigmask(SIGQUIT) | ksigmask(SIGILL) | ksigmask(SIGTRAP) | ksigmask(SIGABRT) |            \
	 ksigmask(SIGFPE) | ksigmask(SIGSEGV) | ksigmask(SIGBUS) | ksigmask(SIGSYS) |              \
	 ksigmask(SIGXCPU) | ksigmask(SIGXFSZ))
#define SIG_KERNEL_IGNORE_MASK                                                                     \
	(ksigmask(SIGCONT) | ksigmask(SIGCHLD) | ksigmask(SIGWINCH) | ksigmask(SIGURG))
#define SIG_KERNEL_STOP_MASK                                                                       \
	(ksigmask(SIGSTOP) | ksigmask(SIGTSTP) | ksigmask(SIGTTIN) | ksigmask(SIGTTOU))
/* Delivered before the others (Linux's SYNCHRONOUS_MASK). */
#define SYNCHRONOUS_MASK                                                                           \
	(ksigmask(SIGSEGV) | ksigmask(SIGBUS) | ksigmask(SIGILL) | ksigmask(SIGTRAP) |             \
	 ksigmask(SIGFPE) | ksigmask(SIGSYS))

static bool valid_signal(int sig)
{
	return sig >= 1 && sig <= KERNEL_NSIG;
}

static bool sig_default_ignored(int sig)
{
	return sig <= 31 && (ksigmask(sig) & (SIG_KERNEL_IGNORE_MASK | SIG_KERNEL_STOP_MASK));
}

struct signal_state *signal_alloc(struct kernel *k)
{
	return kzalloc(k, sizeof(struct signal_state), GFP_KERNEL);
}

void signal_free(struct kernel *k, struct signal_state *s)
{
	kfree(k, s);
}

/* Would t throw sig away at generation time? (sig_task_ignored) */
static bool sig_ignored(const struct signal_state *s, int sig)
{
	if (s->blocked & ksigmask(sig))
		return false;
	uint64_t h = s->action[sig - 1].handler;
	return h == KSIG_IGN || (h == KSIG_DFL && sig_default_ignored(sig));
}

void send_signal(struct kernel *k, struct task_struct *t, const struct kernel_siginfo *info)
{
	struct signal_state *s = t->signal;
	int sig = info->signo;
	if (!s || t->exited || !valid_signal(sig) || sig_ignored(s, sig))
		return;
	/* A standard signal already pending is not queued again. */
	if (!(s->pending & ksigmask(sig)))
		s->info[sig - 1] = *info;
	s->pending |= ksigmask(sig);
}

void send_sig(struct kernel *k, int sig)
{
	struct kernel_siginfo info = {.signo = sig, .code = SI_KERNEL};
	if (k->current)
		send_signal(k, k->current, &info);
}

void force_sig_fault(struct kernel *k, int sig, int code, uint64_t addr)
{
	struct task_struct *t = k->current;
	struct kernel_siginfo info = {.signo = sig, .code = code, .addr = addr};
	if (!t)
		return;
	if (task_ensure_files(k, t) < 0) { /* no memory for signal state: the task dies */
		do_group_exit(k, SIGKILL, false);
		return;
	}
	struct signal_state *s = t->signal;
	struct k_sigaction *ka = &s->action[sig - 1];
	if ((s->blocked & ksigmask(sig)) || ka->handler == KSIG_IGN) {
		ka->handler = KSIG_DFL;
		s->blocked &= ~ksigmask(sig);
	}
	send_signal(k, t, &info);
}

void force_sigsegv(struct kernel *k, int sig)
{
	if (sig == SIGSEGV && k->current && k->current->signal)
		k->current->signal->action[SIGSEGV - 1].handler = KSIG_DFL;
	force_sig_fault(k, SIGSEGV, SI_KERNEL, 0);
}

void set_current_blocked(struct kernel *k, uint64_t set)
{
	k->current->signal->blocked = set & ~SIG_KERNEL_ONLY_MASK;
}

/* ---- the alternate stack ---- */

bool on_sig_stack(const struct signal_state *s, uint64_t sp)
{
	if (s->sas_ss_flags & SS_AUTODISARM)
		return false;
	return sp > s->sas_ss_sp && sp - s->sas_ss_sp <= s->sas_ss_size;
}

uint32_t sas_ss_flags(const struct signal_state *s, uint64_t sp)
{
	if (!s->sas_ss_size)
		return SS_DISABLE;
	return on_sig_stack(s, sp) ? SS_ONSTACK : 0;
}

/* Linux's do_sigaltstack: 0, -EPERM (running on it), -EINVAL, -ENOMEM (too small). */
static int do_sigaltstack(struct signal_state *s, uint64_t ss_sp, uint32_t ss_flags,
			  uint64_t ss_size, uint64_t cur_sp)
{
	uint32_t mode = ss_flags & ~SS_AUTODISARM;
	if (on_sig_stack(s, cur_sp))
		return -EPERM;
	if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		ss_sp = 0;
		ss_size = 0;
	} else if (ss_size < KERNEL_MINSIGSTKSZ) {
		return -ENOMEM;
	}
	s->sas_ss_sp = ss_sp;
	s->sas_ss_size = ss_size;
	s->sas_ss_flags = ss_flags & SS_AUTODISARM;
	return 0;
}

void restore_altstack(struct signal_state *s, uint64_t sp, uint32_t flags, uint64_t size,
		      uint64_t cur_sp)
{
	/* Errors are ignored, as restore_altstack ignores them. */
	do_sigaltstack(s, sp, flags, size, cur_sp);
}

long sys_sigaltstack(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct signal_state *s = k->current->signal;
	bool ia32 = in_compat_syscall(k);
	uint64_t sp = ia32 ? (uint32_t)regs->sp : regs->sp;
	uint64_t old_sp = s->sas_ss_sp, old_size = s->sas_ss_size;
	uint32_t old_flags = sas_ss_flags(s, sp) | s->sas_ss_flags;
	if (a[0]) {
		uint64_t nsp, nsize;
		uint32_t nflags;
		if (ia32) {
			uint32_t v[3];
			if (copy_from_user_ok(k, v, a[0], sizeof(v)))
				return -EFAULT;
			nsp = v[0], nflags = v[1], nsize = v[2];
		} else {
			uint64_t v[3];
			if (copy_from_user_ok(k, v, a[0], sizeof(v)))
				return -EFAULT;
			nsp = v[0], nflags = (uint32_t)v[1], nsize = v[2];
		}
		int err = do_sigaltstack(s, nsp, nflags, nsize, sp);
		if (err)
			return err;
	}
	if (!a[1])
		return 0;
	if (ia32) {
		uint32_t v[3] = {(uint32_t)old_sp, old_flags, (uint32_t)old_size};
		return copy_to_user_ok(k, a[1], v, sizeof(v));
	}
	uint64_t v[3] = {old_sp, old_flags, old_size};
	return copy_to_user_ok(k, a[1], v, sizeof(v));
}

/* ---- handlers and masks ---- */

static int get_sigaction(struct kernel *k, uint64_t uact, struct k_sigaction *ka)
{
	if (!in_compat_syscall(k))
		return copy_from_user_ok(k, ka, uact, sizeof(*ka));
	uint32_t v[5]; /* handler, flags, restorer, mask low, mask high */
	if (copy_from_user_ok(k, v, uact, sizeof(v)))
		return -EFAULT;
	ka->handler = v[0];
	ka->flags = v[1];
	ka->restorer = v[2];
	ka->mask = v[3] | ((uint64_t)v[4] << 32);
	return 0;
}

static int put_sigaction(struct kernel *k, uint64_t uoact, const struct k_sigaction *ka)
{
	if (!in_compat_syscall(k))
		return copy_to_user_ok(k, uoact, ka, sizeof(*ka));
	uint32_t v[5] = {(uint32_t)ka->handler, (uint32_t)ka->flags, (uint32_t)ka->restorer,
			 (uint32_t)ka->mask, (uint32_t)(ka->mask >> 32)};
	return copy_to_user_ok(k, uoact, v, sizeof(v));
}

/* rt_sigaction(sig, act, oact, sigsetsize) */
long sys_rt_sigaction(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct signal_state *s = k->current->signal;
	int sig = (int)a[0];
	struct k_sigaction new_ka;
	if (a[3] != 8)
		return -EINVAL;
	if (!valid_signal(sig) || (a[1] && (ksigmask(sig) & SIG_KERNEL_ONLY_MASK)))
		return -EINVAL;
	if (a[1] && get_sigaction(k, a[1], &new_ka))
		return -EFAULT;
	struct k_sigaction old_ka = s->action[sig - 1];
	if (a[1]) {
		new_ka.mask &= ~SIG_KERNEL_ONLY_MASK;
		new_ka.flags &= ~(uint64_t)SA_UNSUPPORTED;
		s->action[sig - 1] = new_ka;
		/* Setting a pending signal to be ignored discards it (POSIX 3.3.1.3). */
		if (sig_ignored(s, sig) || new_ka.handler == KSIG_IGN)
			s->pending &= ~ksigmask(sig);
	}
	if (a[2] && put_sigaction(k, a[2], &old_ka))
		return -EFAULT;
	return 0;
}

/* rt_sigprocmask(how, set, oset, sigsetsize) */
long sys_rt_sigprocmask(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct signal_state *s = k->current->signal;
	uint64_t old = s->blocked, set;
	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (get_user_u64(k, &set, a[1]))
			return -EFAULT;
		switch ((int)a[0]) {
		case SIG_BLOCK:
			set_current_blocked(k, old | set);
			break;
		case SIG_UNBLOCK:
			set_current_blocked(k, old & ~set);
			break;
		case SIG_SETMASK:
			set_current_blocked(k, set);
			break;
		default:
			return -EINVAL;
		}
	}
	return a[2] ? put_user_u64(k, old, a[2]) : 0;
}

long sys_rt_sigpending(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct signal_state *s = k->current->signal;
	if (a[1] > 8)
		return -EINVAL;
	uint64_t set = s->pending & s->blocked;
	return copy_to_user_ok(k, a[0], &set, (size_t)a[1]);
}

/* ---- kill ---- */

static long kill_self(struct kernel *k, int sig, int code)
{
	struct task_struct *t = k->current;
	if (sig && !valid_signal(sig))
		return -EINVAL;
	if (sig) {
		struct kernel_siginfo info = {
		    .signo = sig, .code = code, .pid = t->pid, .uid = t->uid};
		send_signal(k, t, &info);
	}
	return 0;
}

long sys_kill(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int pid = (int)a[0];
	if (pid != k->current->pid && pid != 0 && pid != -1 && pid != -k->current->pid)
		return -ESRCH;
	return kill_self(k, (int)a[1], SI_USER);
}

long sys_tkill(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	if ((int)a[0] != k->current->pid)
		return -ESRCH;
	return kill_self(k, (int)a[1], SI_TKILL);
}

long sys_tgkill(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	if ((int)a[0] <= 0 || (int)a[1] <= 0)
		return -EINVAL;
	if ((int)a[0] != k->current->tgid || (int)a[1] != k->current->pid)
		return -ESRCH;
	return kill_self(k, (int)a[2], SI_TKILL);
}

/* ---- delivery ---- */

/* The next signal to deliver: synchronous ones first, then the lowest number. */
static int next_signal(const struct signal_state *s)
{
	uint64_t deliverable = s->pending & ~s->blocked;
	if (!deliverable)
		return 0;
	if (deliverable & SYNCHRONOUS_MASK)
		deliverable &= SYNCHRONOUS_MASK;
	return __builtin_ctzll(deliverable) + 1;
}

static void trace_signal(struct kernel *k, const struct kernel_siginfo *info)
{
	if (k->strace)
		strace_signal(k->strace, info->signo, info->code, info->addr);
}

/* Builds the frame and points regs at the handler (handle_signal). */
static void handle_signal(struct kernel *k, struct pt_regs *regs, int sig, struct k_sigaction *ka,
			  const struct kernel_siginfo *info)
{
	struct signal_state *s = k->current->signal;
	uint64_t oldmask = s->blocked;
	int err = k->current->abi32 ? setup_frame_ia32(k, regs, sig, ka, info, oldmask)
				    : setup_rt_frame_64(k, regs, sig, ka, info, oldmask);
	if (err) {
		force_sigsegv(k, sig);
		return;
	}
	regs->flags &= ~(uint64_t)(X86_EFLAGS_DF | X86_EFLAGS_TF | 0x10000 /* RF */);
	if (s->sas_ss_flags & SS_AUTODISARM) {
		s->sas_ss_sp = 0;
		s->sas_ss_size = 0;
	}
	uint64_t blocked = oldmask | ka->mask;
	if (!(ka->flags & SA_NODEFER))
		blocked |= ksigmask(sig);
	set_current_blocked(k, blocked);
	if (ka->flags & SA_RESETHAND)
		ka->handler = KSIG_DFL;
}

/* The default action of a fatal signal: the whole process ends. */
static void sig_fatal(struct kernel *k, int sig)
{
	bool core = sig <= 31 && (ksigmask(sig) & SIG_KERNEL_COREDUMP_MASK);
	do_group_exit(k, sig, core);
	if (k->strace)
		strace_killed(k->strace, sig, core);
}

void exit_to_user_mode(struct kernel *k, struct pt_regs *regs)
{
	struct task_struct *t = k->current;
	/* A safe point: no kernel path holds a page halfway, so kswapd gets to run. */
	kswapd_run_pending(k);
	if (!t || !t->signal)
		return;
	/* One signal per round, as Linux returns to the loop after each handle_signal; a
	 * frame failing to build queues a SIGSEGV, so the bound keeps this finite. */
	for (int round = 0; round < 2 * KERNEL_NSIG && !t->exited; round++) {
		struct signal_state *s = t->signal;
		int sig = next_signal(s);
		if (!sig)
			break;
		struct kernel_siginfo info = s->info[sig - 1];
		s->pending &= ~ksigmask(sig);
		struct k_sigaction *ka = &s->action[sig - 1];
		if (ka->handler == KSIG_IGN)
			continue;
		if (ka->handler != KSIG_DFL) {
			trace_signal(k, &info);
			handle_signal(k, regs, sig, ka, &info);
			continue;
		}
		if (sig_default_ignored(sig))
			continue;
		trace_signal(k, &info);
		sig_fatal(k, sig);
	}
}
