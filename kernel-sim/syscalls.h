/*
 * The system-call handlers shared by the x86-64 and i386 tables (Linux's
 * <linux/syscalls.h>), and helpers the system-call files share. Private to kernel-sim.
 *
 * Every handler has the same shape: the kernel, the saved registers (for the calls that
 * change them: rt_sigreturn, sigaltstack) and the six arguments as the entry decoded them
 * (zero-extended 32-bit values for INT 0x80). It returns the result or -errno.
 */
#ifndef KSIM_SYSCALLS_H
#define KSIM_SYSCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"

struct kernel;
struct pt_regs;
struct open_file;
struct nameidata;
struct kstat;

typedef long (*syscall_fn)(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* The call in progress came through INT 0x80: 32-bit structure layouts apply. */
static inline bool in_compat_syscall(const struct kernel *k)
{
	return k->current && k->current->in_compat;
}

/* Runs table[nr] (or answers -ENOSYS) and traces the call when k->strace is set. */
long invoke_syscall(struct kernel *k, struct pt_regs *regs, const syscall_fn *table,
		    unsigned long nr_entries, unsigned long nr, const uint64_t args[6], bool abi32);

/* Shared helpers. */
long do_sys_openat(struct kernel *k, int dirfd, uint64_t upath, unsigned int flags,
		   unsigned int mode);
struct open_file *open_host_file(struct kernel *k, const struct nameidata *nd, unsigned int flags,
				 unsigned int mode, int *err);
int fd_host(struct kernel *k, int fd, int not_host_err);
long do_ftruncate(struct kernel *k, int fd, int64_t len);
long vfs_read(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count, int64_t pos);
long vfs_write(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count, int64_t pos);
int64_t vfs_llseek(struct kernel *k, struct open_file *of, int64_t off, unsigned int whence);
long pipe_read(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count);
long pipe_write(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count);
int vfs_fstat(struct kernel *k, struct open_file *of, struct kstat *ks);
int vfs_fstatat(struct kernel *k, int dirfd, uint64_t upath, unsigned int flags, struct kstat *ks);
int clock_now_ns(const struct kernel *k, int id, int64_t *ns);
int get_timespec(struct kernel *k, uint64_t uaddr, bool time64, int64_t *ns);

/* exit.c */
long sys_exit(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_exit_group(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_wait4(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* fcntl.c */
long sys_dup(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_dup2(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_dup3(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fcntl(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_ioctl(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* futex.c */
long sys_futex(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_futex_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* namei.c */
long sys_link(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_linkat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_chown(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_lchown(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fchownat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fchown(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_truncate(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_unlink(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_unlinkat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_rmdir(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_mkdir(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_mkdirat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_rename(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_renameat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_renameat2(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_symlink(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_symlinkat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* open.c */
long sys_open(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_openat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_creat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_close(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_access(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_faccessat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_faccessat2(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_chdir(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fchdir(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getcwd(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_umask(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fsync(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_ftruncate(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fchmod(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fchmodat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_chmod(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* pipe.c */
long sys_pipe(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_pipe2(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* read_write.c */
long sys_read(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_write(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_pread64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_pwrite64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_readv(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_writev(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_preadv(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_pwritev(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_lseek(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_llseek(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_sendfile(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_sendfile64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* readdir.c */
long sys_getdents64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* signal.c */
long sys_sigaltstack(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_rt_sigaction(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_rt_sigprocmask(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_rt_sigpending(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_kill(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_tkill(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_tgkill(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* signal_32.c */
long sys_sigreturn(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_rt_sigreturn_ia32(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* signal_64.c */
long sys_rt_sigreturn(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* stat.c */
long sys_stat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_lstat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fstat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_newfstatat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_stat64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_lstat64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fstat64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fstatat64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_statx(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_readlink(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_readlinkat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* sys_misc.c */
long sys_uname(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getpid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_gettid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getppid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getpgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getpgrp(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_setpgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_setsid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getuid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_geteuid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getegid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getuid16(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_geteuid16(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getgid16(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getegid16(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getresuid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getresgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getgroups(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_setuid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_setgid(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getrandom(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_sched_yield(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_sched_getaffinity(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_sched_setaffinity(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getcpu(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_prlimit64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getrlimit(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_old_getrlimit(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_setrlimit(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_getrusage(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_sysinfo(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_prctl(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_personality(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_set_tid_address(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_set_robust_list(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_get_robust_list(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_rseq(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* sys_mm.c */
long sys_mmap(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_mmap2(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_old_mmap(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_munmap(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_mprotect(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_mremap(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_madvise(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_mlock(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_mlock2(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_mlockall(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_statfs(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fstatfs(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_statfs64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_fstatfs64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_munlockall(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_munlock(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_brk(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
/* True when fn is one of the address-space system calls above, whose work the mm_op
 * tracepoint describes (mmap in its three forms, munmap, mprotect, mremap, madvise, mlock,
 * mlock2, munlock, mlockall, munlockall, brk). */
bool sys_is_mm_op(syscall_fn fn);
long sys_msync(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_mincore(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* time.c */
long sys_clock_gettime(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_clock_gettime64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_clock_getres(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_clock_getres_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_gettimeofday(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_time(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_nanosleep(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_clock_nanosleep(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_clock_nanosleep_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_times(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* tls.c */
long sys_arch_prctl(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_set_thread_area(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_get_thread_area(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* select.c */
long sys_poll(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_ppoll(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_ppoll_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_select(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_pselect6(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_pselect6_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

/* utimes.c */
long sys_utimensat(struct kernel *k, struct pt_regs *regs, const uint64_t *a);
long sys_utimensat_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a);

#endif /* KSIM_SYSCALLS_H */
