/*
 * The small system calls a C library makes at start-up and now and then (Linux's
 * kernel/sys.c: uname, the id calls, getrlimit/setrlimit/prlimit64, getrusage, sysinfo,
 * prctl; drivers/char/random.c: getrandom; kernel/sched/core.c: sched_yield,
 * sched_getaffinity; kernel/fork.c: set_tid_address; kernel/futex/: set_robust_list,
 * futex; kernel/rseq.c: rseq), for one single-threaded task.
 */
#include <errno.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/vmstat.h"

#define UTS_LEN 65
#define UTS_RELEASE "6.1.0-mmemu"
#define UTS_VERSION "#1 SMP PREEMPT_DYNAMIC mmemu"
#define OVERFLOW_ID 65534 /* what 16-bit id calls report for ids above 65535 */

#define PER_MASK 0xff       /* the persona; the bits above are flags (ADDR_NO_RANDOMIZE...) */
#define PER_LINUX32 0x0008  /* what setarch i386/linux32 selects: uname says i686 */

/* The machine is x86_64 for i386 programs too, as Linux's override_architecture() says:
 * only the PER_LINUX32 persona (setarch i686) reports i686. */
long sys_uname(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	char u[6][UTS_LEN];
	bool linux32 = (k->current->personality & PER_MASK) == PER_LINUX32;
	const char *const fields[6] = {
	    "Linux", "mmemu", UTS_RELEASE, UTS_VERSION, linux32 ? "i686" : "x86_64", "(none)"};
	memset(u, 0, sizeof(u));
	for (int i = 0; i < 6; i++)
		strncpy(u[i], fields[i], UTS_LEN - 1);
	return copy_to_user_ok(k, a[0], u, sizeof(u));
}

/* ---- ids ---- */

long sys_getpid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return k->current->tgid;
}

long sys_gettid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return k->current->pid;
}

long sys_getppid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return k->current->ppid;
}

/* Process group and session: the task leads both. */
long sys_getpgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int pid = (int)a[0];
	if (pid != 0 && pid != k->current->pid)
		return -ESRCH;
	return k->current->pid;
}

long sys_getpgrp(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return k->current->pid;
}

long sys_setpgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int pid = (int)a[0], pgid = (int)a[1];
	if (pid != 0 && pid != k->current->pid)
		return -ESRCH;
	if (pgid < 0)
		return -EINVAL;
	return pgid == 0 || pgid == k->current->pid ? 0 : -EPERM;
}

long sys_setsid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return -EPERM; /* already a group leader */
}

long sys_getuid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return k->current->uid;
}

long sys_geteuid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return k->current->euid;
}

long sys_getgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return k->current->gid;
}

long sys_getegid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return k->current->egid;
}

static long high2lowid(uint32_t id)
{
	return id > 0xffff ? OVERFLOW_ID : (long)id;
}

/* i386's original 16-bit id calls. */
long sys_getuid16(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return high2lowid(k->current->uid);
}

long sys_geteuid16(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return high2lowid(k->current->euid);
}

long sys_getgid16(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return high2lowid(k->current->gid);
}

long sys_getegid16(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return high2lowid(k->current->egid);
}

long sys_getresuid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	const struct task_struct *t = k->current;
	if (put_user_u32(k, t->uid, a[0]) || put_user_u32(k, t->euid, a[1]) ||
	    put_user_u32(k, t->suid, a[2]))
		return -EFAULT;
	return 0;
}

long sys_getresgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	const struct task_struct *t = k->current;
	if (put_user_u32(k, t->gid, a[0]) || put_user_u32(k, t->egid, a[1]) ||
	    put_user_u32(k, t->sgid, a[2]))
		return -EFAULT;
	return 0;
}

/* No supplementary groups. */
long sys_getgroups(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return (int)a[0] < 0 ? -EINVAL : 0;
}

/* set*id to the ids the task already has succeed; anything else needs privilege. */
long sys_setuid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return (uint32_t)a[0] == k->current->uid ? 0 : -EPERM;
}

long sys_setgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return (uint32_t)a[0] == k->current->gid ? 0 : -EPERM;
}

/* ---- getrandom ---- */

#define GRND_NONBLOCK 0x1
#define GRND_RANDOM 0x2
#define GRND_INSECURE 0x4

/* splitmix64 over (seed, word index): the run's random stream, a function of the seed. */
static uint64_t random_word(const struct kernel *k, uint64_t index)
{
	uint64_t z = k->params.seed + (index + 1) * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

long sys_getrandom(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	unsigned int flags = (unsigned)a[2];
	uint64_t len = in_compat_syscall(k) ? (uint32_t)a[1] : a[1];
	uint8_t buf[256];
	uint64_t done = 0;
	if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	if (len > 0x7fffffff)
		len = 0x7fffffff;
	while (done < len) {
		size_t n = len - done < sizeof(buf) ? (size_t)(len - done) : sizeof(buf);
		for (size_t i = 0; i < n; i += 8) {
			uint64_t w = random_word(k, k->getrandom_words++);
			memcpy(buf + i, &w, n - i < 8 ? n - i : 8);
		}
		size_t left = copy_to_user(k, a[0] + done, buf, n);
		done += n - left;
		if (left)
			return done ? (long)done : -EFAULT;
	}
	return (long)done;
}

/* ---- scheduling ---- */

long sys_sched_yield(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return 0;
}

/* sched_getaffinity(pid, len, mask): every CPU of the machine; returns the bytes written
 * (the mask's size in longs), as the system call does. */
long sys_sched_getaffinity(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	size_t word = in_compat_syscall(k) ? 4 : 8;
	size_t size = ((size_t)k->nr_cpu_ids + word * 8 - 1) / (word * 8) * word;
	uint8_t mask[NR_CPUS / 8];
	int pid = (int)a[0];
	if (pid != 0 && pid != k->current->pid)
		return -ESRCH;
	if ((a[1] * 8) < (uint64_t)k->nr_cpu_ids || (a[1] & (word - 1)))
		return -EINVAL;
	memset(mask, 0, sizeof(mask));
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++)
		mask[cpu / 8] |= (uint8_t)(1u << (cpu % 8));
	if (size > a[1])
		size = (size_t)a[1];
	return copy_to_user_ok(k, a[2], mask, size) ? -EFAULT : (long)size;
}

long sys_sched_setaffinity(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int pid = (int)a[0];
	return pid != 0 && pid != k->current->pid ? -ESRCH : 0;
}

/* getcpu(cpu, node, cache): CPU 0's number and node. */
long sys_getcpu(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	if (a[0] && put_user_u32(k, (uint32_t)k->this_cpu, a[0]))
		return -EFAULT;
	if (a[1] && put_user_u32(k, (uint32_t)numa_node_id(k), a[1]))
		return -EFAULT;
	return 0;
}

/* ---- resource limits ---- */

#define G_RLIMIT_DATA 2
#define G_RLIMIT_STACK 3
#define G_RLIMIT_MEMLOCK 8
#define G_RLIMIT_AS 9
#define COMPAT_RLIM_INFINITY 0xffffffffULL
#define COMPAT_RLIM_OLD_INFINITY 0x7fffffffULL

/* The mm's copy of the limits address-space operations check. */
static void sync_mm_rlimit(struct task_struct *t, int resource)
{
	unsigned long cur = (unsigned long)t->rlim[resource].rlim_cur;
	if (!t->mm)
		return;
	if (resource == G_RLIMIT_DATA)
		t->mm->rlim.data = cur;
	else if (resource == G_RLIMIT_STACK)
		t->mm->rlim.stack = cur;
	else if (resource == G_RLIMIT_MEMLOCK)
		t->mm->rlim.memlock = cur;
	else if (resource == G_RLIMIT_AS)
		t->mm->rlim.as = cur;
}

static long do_prlimit(struct kernel *k, unsigned int resource, const struct task_rlimit *new,
		       struct task_rlimit *old)
{
	struct task_struct *t = k->current;
	if (resource >= NR_RLIMITS)
		return -EINVAL;
	if (old)
		*old = t->rlim[resource];
	if (!new)
		return 0;
	if (new->rlim_cur > new->rlim_max)
		return -EINVAL;
	if (new->rlim_max > t->rlim[resource].rlim_max && t->euid != 0)
		return -EPERM;
	if (resource == 7 && new->rlim_max > 1048576) /* NOFILE above sysctl_nr_open */
		return -EPERM;
	t->rlim[resource] = *new;
	sync_mm_rlimit(t, (int)resource);
	return 0;
}

long sys_prlimit64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct task_rlimit new, old;
	int pid = (int)a[0];
	if (pid != 0 && pid != k->current->pid)
		return -ESRCH;
	if (a[2] && copy_from_user_ok(k, &new, a[2], sizeof(new)))
		return -EFAULT;
	long err = do_prlimit(k, (unsigned)a[1], a[2] ? &new : NULL, a[3] ? &old : NULL);
	if (err)
		return err;
	return a[3] ? copy_to_user_ok(k, a[3], &old, sizeof(old)) : 0;
}

/* getrlimit in the caller's struct rlimit; i386 clamps at infinity (old: 0x7fffffff). */
static long do_getrlimit(struct kernel *k, unsigned int resource, uint64_t uaddr,
			 uint64_t compat_inf)
{
	struct task_rlimit r;
	long err = do_prlimit(k, resource, NULL, &r);
	if (err)
		return err;
	if (!in_compat_syscall(k))
		return copy_to_user_ok(k, uaddr, &r, sizeof(r));
	uint32_t v[2] = {(uint32_t)(r.rlim_cur > compat_inf ? compat_inf : r.rlim_cur),
			 (uint32_t)(r.rlim_max > compat_inf ? compat_inf : r.rlim_max)};
	return copy_to_user_ok(k, uaddr, v, sizeof(v));
}

long sys_getrlimit(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_getrlimit(k, (unsigned)a[0], a[1], COMPAT_RLIM_INFINITY);
}

long sys_old_getrlimit(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_getrlimit(k, (unsigned)a[0], a[1], COMPAT_RLIM_OLD_INFINITY);
}

long sys_setrlimit(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct task_rlimit r;
	if (in_compat_syscall(k)) {
		uint32_t v[2];
		if (copy_from_user_ok(k, v, a[1], sizeof(v)))
			return -EFAULT;
		r.rlim_cur = v[0] == COMPAT_RLIM_INFINITY ? UINT64_MAX : v[0];
		r.rlim_max = v[1] == COMPAT_RLIM_INFINITY ? UINT64_MAX : v[1];
	} else if (copy_from_user_ok(k, &r, a[1], sizeof(r))) {
		return -EFAULT;
	}
	return do_prlimit(k, (unsigned)a[0], &r, NULL);
}

/* ---- usage and system information ---- */

#define G_RUSAGE_SELF 0
#define G_RUSAGE_CHILDREN (-1)
#define G_RUSAGE_THREAD 1

long sys_getrusage(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int who = (int)a[0];
	uint64_t v[18] = {0}; /* utime{sec,usec}, stime{sec,usec}, then 14 longs */
	struct mm_struct *mm = k->current->mm;
	if (who != G_RUSAGE_SELF && who != G_RUSAGE_CHILDREN && who != G_RUSAGE_THREAD)
		return -EINVAL;
	if (who != G_RUSAGE_CHILDREN && mm) {
		unsigned long rss = get_mm_rss(mm);
		v[0] = kernel_cpu_time_ns(k) / 1000000000ULL;
		v[1] = kernel_cpu_time_ns(k) % 1000000000ULL / 1000;
		v[4] = (rss > mm->hiwater_rss ? rss : mm->hiwater_rss) * (PAGE_SIZE / 1024);
		v[8] = mm->min_flt;
		v[9] = mm->maj_flt;
	}
	size_t word = in_compat_syscall(k) ? 4 : 8;
	for (size_t i = 0; i < 18; i++)
		if (put_user_long(k, v[i], a[1] + i * word))
			return -EFAULT;
	return 0;
}

long sys_sysinfo(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	uint64_t total = (uint64_t)k->totalram_pages << PAGE_SHIFT;
	uint64_t freeram = (uint64_t)global_zone_page_state(k, NR_FREE_PAGES) << PAGE_SHIFT;
	uint64_t shared = (uint64_t)global_node_page_state(k, NR_SHMEM) << PAGE_SHIFT;
	uint64_t unit = 1;
	bool ia32 = in_compat_syscall(k);
	/* i386's 32-bit fields count pages when bytes do not fit (compat_sys_sysinfo). */
	if (ia32 && total > 0xffffffffULL) {
		unit = PAGE_SIZE;
		total >>= PAGE_SHIFT, freeram >>= PAGE_SHIFT, shared >>= PAGE_SHIFT;
	}
	uint8_t b[112] = {0};
	size_t w = ia32 ? 4 : 8;
	const uint64_t longs[10] = {
	    k->now_ns / 1000000000ULL, 0, 0, 0, total, freeram, shared, 0, 0, 0};
	for (size_t i = 0; i < 10; i++)
		memcpy(b + i * w, &longs[i], w);
	uint16_t procs = 1;
	memcpy(b + 10 * w, &procs, 2);
	/* totalhigh, freehigh: 0; mem_unit after them. */
	size_t unit_off = ia32 ? 52 : 104;
	uint32_t unit32 = (uint32_t)unit;
	memcpy(b + unit_off, &unit32, 4);
	return copy_to_user_ok(k, a[0], b, ia32 ? 64 : 112);
}

/* ---- prctl, personality ---- */

#define PR_SET_NAME 15
#define PR_GET_NAME 16

long sys_prctl(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct task_struct *t = k->current;
	char name[TASK_COMM_LEN];
	switch ((int)a[0]) {
	case PR_SET_NAME:
		memset(name, 0, sizeof(name));
		if (strncpy_from_user(k, name, a[1], TASK_COMM_LEN - 1) < 0)
			return -EFAULT;
		memcpy(t->comm, name, sizeof(name));
		return 0;
	case PR_GET_NAME:
		return copy_to_user_ok(k, a[1], t->comm, TASK_COMM_LEN);
	}
	return -EINVAL;
}

/* Returns the old persona; 0xffffffff only asks (Linux's ksys_personality). */
long sys_personality(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	uint32_t old = k->current->personality;
	if ((uint32_t)a[0] != 0xffffffffu)
		k->current->personality = (uint32_t)a[0];
	return old;
}

/* ---- thread bookkeeping ---- */

long sys_set_tid_address(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	k->current->clear_child_tid = a[0];
	return k->current->pid;
}

/* struct robust_list_head: three pointers. */
long sys_set_robust_list(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	if (a[1] != (in_compat_syscall(k) ? 12u : 24u))
		return -EINVAL;
	k->current->robust_list = a[0];
	k->current->robust_list_len = a[1];
	return 0;
}

long sys_get_robust_list(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int pid = (int)a[0];
	if (pid != 0 && pid != k->current->pid)
		return -ESRCH;
	if (put_user_long(k, k->current->robust_list_len, a[2]))
		return -EFAULT;
	return put_user_long(k, k->current->robust_list, a[1]);
}

#define RSEQ_FLAG_UNREGISTER 1
#define RSEQ_MIN_LEN 32

/*
 * rseq(rseq, len, flags, sig): registration is accepted (glibc 2.35+ registers at start-
 * up and reads cpu_id from the area); the kernel writes cpu_id_start and cpu_id (CPU 0)
 * at once. The task never migrates or gets preempted in the middle of user code, so no
 * critical section ever needs aborting.
 */
long sys_rseq(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct task_struct *t = k->current;
	uint64_t rseq = a[0];
	uint32_t len = (uint32_t)a[1], sig = (uint32_t)a[3];
	int flags = (int)a[2];
	if (flags & RSEQ_FLAG_UNREGISTER) {
		if (flags & ~RSEQ_FLAG_UNREGISTER)
			return -EINVAL;
		if (t->rseq != rseq || t->rseq_len != len)
			return -EINVAL;
		if (t->rseq_sig != sig)
			return -EPERM;
		t->rseq = 0;
		t->rseq_len = 0;
		return 0;
	}
	if (flags)
		return -EINVAL;
	if (t->rseq) {
		if (t->rseq != rseq || t->rseq_len != len)
			return -EINVAL;
		return t->rseq_sig != sig ? -EPERM : -EBUSY;
	}
	if ((rseq & 31) || len < RSEQ_MIN_LEN)
		return -EINVAL;
	const uint32_t ids[2] = {(uint32_t)k->this_cpu, (uint32_t)k->this_cpu};
	if (copy_to_user_ok(k, rseq, ids, sizeof(ids)))
		return -EFAULT;
	t->rseq = rseq;
	t->rseq_len = len;
	t->rseq_sig = sig;
	return 0;
}
