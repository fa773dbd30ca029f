/*
 * The x86-64 system call table and entry (Linux's arch/x86/entry/syscall_64.c and
 * do_syscall_64): SYSCALL numbers from <asm/unistd_64.h>, arguments in di, si, dx, r10,
 * r8, r9.
 */
#include <errno.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/syscall_names.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/unistd.h"

/* clang-format off */
static const syscall_fn sys_call_table[NR_SYSCALLS_64] = {
	[__NR_read] = sys_read,
	[__NR_write] = sys_write,
	[__NR_open] = sys_open,
	[__NR_close] = sys_close,
	[__NR_stat] = sys_stat,
	[__NR_fstat] = sys_fstat,
	[__NR_lstat] = sys_lstat,
	[__NR_lseek] = sys_lseek,
	[__NR_mmap] = sys_mmap,
	[__NR_mprotect] = sys_mprotect,
	[__NR_munmap] = sys_munmap,
	[__NR_brk] = sys_brk,
	[__NR_rt_sigaction] = sys_rt_sigaction,
	[__NR_rt_sigprocmask] = sys_rt_sigprocmask,
	[__NR_rt_sigreturn] = sys_rt_sigreturn,
	[__NR_ioctl] = sys_ioctl,
	[__NR_pread64] = sys_pread64,
	[__NR_pwrite64] = sys_pwrite64,
	[__NR_readv] = sys_readv,
	[__NR_writev] = sys_writev,
	[__NR_access] = sys_access,
	[__NR_pipe] = sys_pipe,
	[__NR_sched_yield] = sys_sched_yield,
	[__NR_mremap] = sys_mremap,
	[__NR_msync] = sys_msync,
	[__NR_mincore] = sys_mincore,
	[__NR_madvise] = sys_madvise,
	[__NR_dup] = sys_dup,
	[__NR_dup2] = sys_dup2,
	[__NR_nanosleep] = sys_nanosleep,
	[__NR_getpid] = sys_getpid,
	[__NR_exit] = sys_exit,
	[__NR_wait4] = sys_wait4,
	[__NR_kill] = sys_kill,
	[__NR_uname] = sys_uname,
	[__NR_fcntl] = sys_fcntl,
	[__NR_fsync] = sys_fsync,
	[__NR_fdatasync] = sys_fsync,
	[__NR_ftruncate] = sys_ftruncate,
	[__NR_getcwd] = sys_getcwd,
	[__NR_chdir] = sys_chdir,
	[__NR_fchdir] = sys_fchdir,
	[__NR_rename] = sys_rename,
	[__NR_mkdir] = sys_mkdir,
	[__NR_rmdir] = sys_rmdir,
	[__NR_creat] = sys_creat,
	[__NR_unlink] = sys_unlink,
	[__NR_symlink] = sys_symlink,
	[__NR_readlink] = sys_readlink,
	[__NR_chmod] = sys_chmod,
	[__NR_fchmod] = sys_fchmod,
	[__NR_umask] = sys_umask,
	[__NR_gettimeofday] = sys_gettimeofday,
	[__NR_getrlimit] = sys_getrlimit,
	[__NR_getrusage] = sys_getrusage,
	[__NR_sysinfo] = sys_sysinfo,
	[__NR_times] = sys_times,
	[__NR_getuid] = sys_getuid,
	[__NR_getgid] = sys_getgid,
	[__NR_setuid] = sys_setuid,
	[__NR_setgid] = sys_setgid,
	[__NR_geteuid] = sys_geteuid,
	[__NR_getegid] = sys_getegid,
	[__NR_setpgid] = sys_setpgid,
	[__NR_getppid] = sys_getppid,
	[__NR_getpgrp] = sys_getpgrp,
	[__NR_setsid] = sys_setsid,
	[__NR_getgroups] = sys_getgroups,
	[__NR_getresuid] = sys_getresuid,
	[__NR_getresgid] = sys_getresgid,
	[__NR_getpgid] = sys_getpgid,
	[__NR_getsid] = sys_getpgid,
	[__NR_rt_sigpending] = sys_rt_sigpending,
	[__NR_sigaltstack] = sys_sigaltstack,
	[__NR_personality] = sys_personality,
	[__NR_prctl] = sys_prctl,
	[__NR_arch_prctl] = sys_arch_prctl,
	[__NR_setrlimit] = sys_setrlimit,
	[__NR_gettid] = sys_gettid,
	[__NR_tkill] = sys_tkill,
	[__NR_time] = sys_time,
	[__NR_futex] = sys_futex,
	[__NR_sched_setaffinity] = sys_sched_setaffinity,
	[__NR_sched_getaffinity] = sys_sched_getaffinity,
	[__NR_getdents64] = sys_getdents64,
	[__NR_set_tid_address] = sys_set_tid_address,
	[__NR_clock_gettime] = sys_clock_gettime,
	[__NR_clock_getres] = sys_clock_getres,
	[__NR_clock_nanosleep] = sys_clock_nanosleep,
	[__NR_exit_group] = sys_exit_group,
	[__NR_tgkill] = sys_tgkill,
	[__NR_openat] = sys_openat,
	[__NR_mkdirat] = sys_mkdirat,
	[__NR_newfstatat] = sys_newfstatat,
	[__NR_unlinkat] = sys_unlinkat,
	[__NR_renameat] = sys_renameat,
	[__NR_symlinkat] = sys_symlinkat,
	[__NR_readlinkat] = sys_readlinkat,
	[__NR_fchmodat] = sys_fchmodat,
	[__NR_faccessat] = sys_faccessat,
	[__NR_set_robust_list] = sys_set_robust_list,
	[__NR_get_robust_list] = sys_get_robust_list,
	[__NR_dup3] = sys_dup3,
	[__NR_pipe2] = sys_pipe2,
	[__NR_preadv] = sys_preadv,
	[__NR_pwritev] = sys_pwritev,
	[__NR_prlimit64] = sys_prlimit64,
	[__NR_getcpu] = sys_getcpu,
	[__NR_renameat2] = sys_renameat2,
	[__NR_getrandom] = sys_getrandom,
	[__NR_mlock] = sys_mlock,
	[__NR_munlock] = sys_munlock,
	[__NR_mlock2] = sys_mlock2,
	[__NR_statx] = sys_statx,
	[__NR_rseq] = sys_rseq,
	[__NR_faccessat2] = sys_faccessat2,
	[__NR_poll] = sys_poll,
	[__NR_link] = sys_link,
	[__NR_chown] = sys_chown,
	[__NR_fchown] = sys_fchown,
	[__NR_lchown] = sys_lchown,
	[__NR_truncate] = sys_truncate,
	[__NR_fchownat] = sys_fchownat,
	[__NR_linkat] = sys_linkat,
	[__NR_ppoll] = sys_ppoll,
	[__NR_utimensat] = sys_utimensat,
};
/* clang-format on */

void do_syscall_64(struct kernel *k, struct pt_regs *regs)
{
	/* The entry code sign-extends eax: only the low 32 bits select the call. */
	unsigned long nr = (uint32_t)regs->orig_ax;
	const uint64_t args[6] = {regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9};
	if (!k->current)
		return;
	k->current->in_compat = false;
	regs->ax = (uint64_t)-ENOSYS;
	long ret = invoke_syscall(k, regs, sys_call_table, NR_SYSCALLS_64, nr, args, false);
	regs->ax = (uint64_t)ret;
}
