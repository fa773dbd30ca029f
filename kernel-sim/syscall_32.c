/*
 * The i386 system call table and INT 0x80 entry (Linux's arch/x86/entry/syscall_32.c,
 * do_int80_syscall_32 and the compat wrappers of kernel/compat.c and arch/x86/kernel/
 * sys_ia32.c): numbers from <asm/unistd_32.h>, arguments in ebx, ecx, edx, esi, edi, ebp,
 * zero-extended. Handlers shared with x86-64 read in_compat_syscall() to pick the 32-bit
 * layouts of the structures they copy.
 */
#include <errno.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/syscall_names.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/unistd.h"

/* ftruncate64(fd, length low, length high) */
static long sys_ia32_ftruncate64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_ftruncate(k, (int)a[0], (int64_t)((a[1] & 0xffffffffu) | (a[2] << 32)));
}

/* clang-format off */
static const syscall_fn ia32_sys_call_table[NR_SYSCALLS_32] = {
	[__NR_ia32_exit] = sys_exit,
	[__NR_ia32_read] = sys_read,
	[__NR_ia32_write] = sys_write,
	[__NR_ia32_open] = sys_open,
	[__NR_ia32_close] = sys_close,
	[__NR_ia32_waitpid] = sys_wait4,
	[__NR_ia32_creat] = sys_creat,
	[__NR_ia32_unlink] = sys_unlink,
	[__NR_ia32_chdir] = sys_chdir,
	[__NR_ia32_time] = sys_time,
	[__NR_ia32_chmod] = sys_chmod,
	[__NR_ia32_lseek] = sys_lseek,
	[__NR_ia32_getpid] = sys_getpid,
	[__NR_ia32_getuid] = sys_getuid16,
	[__NR_ia32_access] = sys_access,
	[__NR_ia32_kill] = sys_kill,
	[__NR_ia32_rename] = sys_rename,
	[__NR_ia32_mkdir] = sys_mkdir,
	[__NR_ia32_rmdir] = sys_rmdir,
	[__NR_ia32_dup] = sys_dup,
	[__NR_ia32_pipe] = sys_pipe,
	[__NR_ia32_times] = sys_times,
	[__NR_ia32_brk] = sys_brk,
	[__NR_ia32_getgid] = sys_getgid16,
	[__NR_ia32_geteuid] = sys_geteuid16,
	[__NR_ia32_getegid] = sys_getegid16,
	[__NR_ia32_ioctl] = sys_ioctl,
	[__NR_ia32_fcntl] = sys_fcntl,
	[__NR_ia32_setpgid] = sys_setpgid,
	[__NR_ia32_umask] = sys_umask,
	[__NR_ia32_dup2] = sys_dup2,
	[__NR_ia32_getppid] = sys_getppid,
	[__NR_ia32_getpgrp] = sys_getpgrp,
	[__NR_ia32_setsid] = sys_setsid,
	[__NR_ia32_setrlimit] = sys_setrlimit,
	[__NR_ia32_getrlimit] = sys_old_getrlimit,
	[__NR_ia32_getrusage] = sys_getrusage,
	[__NR_ia32_gettimeofday] = sys_gettimeofday,
	[__NR_ia32_symlink] = sys_symlink,
	[__NR_ia32_readlink] = sys_readlink,
	[__NR_ia32_mmap] = sys_old_mmap,
	[__NR_ia32_munmap] = sys_munmap,
	[__NR_ia32_ftruncate] = sys_ftruncate,
	[__NR_ia32_fchmod] = sys_fchmod,
	[__NR_ia32_stat] = sys_stat,
	[__NR_ia32_lstat] = sys_lstat,
	[__NR_ia32_fstat] = sys_fstat,
	[__NR_ia32_sysinfo] = sys_sysinfo,
	[__NR_ia32_fsync] = sys_fsync,
	[__NR_ia32_sigreturn] = sys_sigreturn,
	[__NR_ia32_uname] = sys_uname,
	[__NR_ia32_mprotect] = sys_mprotect,
	[__NR_ia32_getpgid] = sys_getpgid,
	[__NR_ia32_fchdir] = sys_fchdir,
	[__NR_ia32_personality] = sys_personality,
	[__NR_ia32__llseek] = sys_llseek,
	[__NR_ia32_msync] = sys_msync,
	[__NR_ia32_readv] = sys_readv,
	[__NR_ia32_writev] = sys_writev,
	[__NR_ia32_getsid] = sys_getpgid,
	[__NR_ia32_fdatasync] = sys_fsync,
	[__NR_ia32_mlock] = sys_mlock,
	[__NR_ia32_munlock] = sys_munlock,
	[__NR_ia32_sched_yield] = sys_sched_yield,
	[__NR_ia32_nanosleep] = sys_nanosleep,
	[__NR_ia32_mremap] = sys_mremap,
	[__NR_ia32_prctl] = sys_prctl,
	[__NR_ia32_rt_sigreturn] = sys_rt_sigreturn_ia32,
	[__NR_ia32_rt_sigaction] = sys_rt_sigaction,
	[__NR_ia32_rt_sigprocmask] = sys_rt_sigprocmask,
	[__NR_ia32_rt_sigpending] = sys_rt_sigpending,
	[__NR_ia32_pread64] = sys_pread64,
	[__NR_ia32_pwrite64] = sys_pwrite64,
	[__NR_ia32_getcwd] = sys_getcwd,
	[__NR_ia32_sigaltstack] = sys_sigaltstack,
	[__NR_ia32_ugetrlimit] = sys_getrlimit,
	[__NR_ia32_mmap2] = sys_mmap2,
	[__NR_ia32_ftruncate64] = sys_ia32_ftruncate64,
	[__NR_ia32_stat64] = sys_stat64,
	[__NR_ia32_lstat64] = sys_lstat64,
	[__NR_ia32_fstat64] = sys_fstat64,
	[__NR_ia32_getuid32] = sys_getuid,
	[__NR_ia32_getgid32] = sys_getgid,
	[__NR_ia32_geteuid32] = sys_geteuid,
	[__NR_ia32_getegid32] = sys_getegid,
	[__NR_ia32_getgroups32] = sys_getgroups,
	[__NR_ia32_getresuid32] = sys_getresuid,
	[__NR_ia32_getresgid32] = sys_getresgid,
	[__NR_ia32_setuid32] = sys_setuid,
	[__NR_ia32_setgid32] = sys_setgid,
	[__NR_ia32_mincore] = sys_mincore,
	[__NR_ia32_madvise] = sys_madvise,
	[__NR_ia32_getdents64] = sys_getdents64,
	[__NR_ia32_fcntl64] = sys_fcntl,
	[__NR_ia32_gettid] = sys_gettid,
	[__NR_ia32_tkill] = sys_tkill,
	[__NR_ia32_futex] = sys_futex,
	[__NR_ia32_sched_setaffinity] = sys_sched_setaffinity,
	[__NR_ia32_sched_getaffinity] = sys_sched_getaffinity,
	[__NR_ia32_set_thread_area] = sys_set_thread_area,
	[__NR_ia32_get_thread_area] = sys_get_thread_area,
	[__NR_ia32_exit_group] = sys_exit_group,
	[__NR_ia32_set_tid_address] = sys_set_tid_address,
	[__NR_ia32_clock_gettime] = sys_clock_gettime,
	[__NR_ia32_clock_getres] = sys_clock_getres,
	[__NR_ia32_clock_nanosleep] = sys_clock_nanosleep,
	[__NR_ia32_tgkill] = sys_tgkill,
	[__NR_ia32_openat] = sys_openat,
	[__NR_ia32_mkdirat] = sys_mkdirat,
	[__NR_ia32_fstatat64] = sys_fstatat64,
	[__NR_ia32_unlinkat] = sys_unlinkat,
	[__NR_ia32_renameat] = sys_renameat,
	[__NR_ia32_symlinkat] = sys_symlinkat,
	[__NR_ia32_readlinkat] = sys_readlinkat,
	[__NR_ia32_fchmodat] = sys_fchmodat,
	[__NR_ia32_faccessat] = sys_faccessat,
	[__NR_ia32_set_robust_list] = sys_set_robust_list,
	[__NR_ia32_get_robust_list] = sys_get_robust_list,
	[__NR_ia32_getcpu] = sys_getcpu,
	[__NR_ia32_dup3] = sys_dup3,
	[__NR_ia32_pipe2] = sys_pipe2,
	[__NR_ia32_preadv] = sys_preadv,
	[__NR_ia32_pwritev] = sys_pwritev,
	[__NR_ia32_prlimit64] = sys_prlimit64,
	[__NR_ia32_renameat2] = sys_renameat2,
	[__NR_ia32_getrandom] = sys_getrandom,
	[__NR_ia32_mlock2] = sys_mlock2,
	[__NR_ia32_statx] = sys_statx,
	[__NR_ia32_arch_prctl] = sys_arch_prctl,
	[__NR_ia32_rseq] = sys_rseq,
	[__NR_ia32_clock_gettime64] = sys_clock_gettime64,
	[__NR_ia32_clock_getres_time64] = sys_clock_getres_time64,
	[__NR_ia32_clock_nanosleep_time64] = sys_clock_nanosleep_time64,
	[__NR_ia32_futex_time64] = sys_futex_time64,
	[__NR_ia32_faccessat2] = sys_faccessat2,
	[__NR_ia32_poll] = sys_poll,
	[__NR_ia32_link] = sys_link,
	[__NR_ia32_lchown32] = sys_lchown,
	[__NR_ia32_fchown32] = sys_fchown,
	[__NR_ia32_chown32] = sys_chown,
	[__NR_ia32_truncate] = sys_truncate,
	[__NR_ia32_fchownat] = sys_fchownat,
	[__NR_ia32_linkat] = sys_linkat,
	[__NR_ia32_ppoll] = sys_ppoll,
	[__NR_ia32_sendfile] = sys_sendfile,
	[__NR_ia32_sendfile64] = sys_sendfile64,
	[__NR_ia32__newselect] = sys_select,
	[__NR_ia32_pselect6] = sys_pselect6,
	[__NR_ia32_pselect6_time64] = sys_pselect6_time64,
	[__NR_ia32_ppoll_time64] = sys_ppoll_time64,
	[__NR_ia32_utimensat] = sys_utimensat,
	[__NR_ia32_utimensat_time64] = sys_utimensat_time64,
};
/* clang-format on */

void do_int80_syscall_32(struct kernel *k, struct pt_regs *regs)
{
	unsigned long nr = (uint32_t)regs->orig_ax;
	const uint64_t args[6] = {(uint32_t)regs->bx, (uint32_t)regs->cx, (uint32_t)regs->dx,
				  (uint32_t)regs->si, (uint32_t)regs->di, (uint32_t)regs->bp};
	if (!k->current)
		return;
	k->current->in_compat = true;
	regs->ax = (uint32_t)-ENOSYS;
	long ret = invoke_syscall(k, regs, ia32_sys_call_table, NR_SYSCALLS_32, nr, args, true);
	regs->ax = (uint32_t)ret;
}
