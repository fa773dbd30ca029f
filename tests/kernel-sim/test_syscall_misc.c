/*
 * The memory, time, identity, randomness, limit and TLS system calls, and the tracer at
 * the end of each call, driven through do_syscall_64 and do_int80_syscall_32 without a CPU.
 * Expected values are Linux's documented behaviour and layouts (struct utsname's 65-byte
 * fields, struct timespec, struct user_desc and the SDM's descriptor format).
 */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/vfs.h>

#include "kernel-sim/strace.h"
#include "tests/kernel-sim/systest.h"

#define EPOCH_2024 1704067200ULL /* the documented CLOCK_REALTIME at boot */

static void test_syscall_mmap_mprotect_munmap_change_vmas(void **state)
{
	struct st *s = st_new();
	struct mm_struct *mm = s->task->mm;
	long a = sys64(s, __NR_mmap, 0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       (uint64_t)-1, 0);
	assert_true(a > 0 && !(a & 0xfff));
	struct vm_area_struct *vma = vma_lookup(mm, (unsigned long)a);
	assert_non_null(vma);
	assert_true(vma->vm_flags & VM_WRITE);
	int before = mm->map_count;
	assert_int_equal(sys64(s, __NR_mprotect, (uint64_t)a + PG, PG, PROT_NONE, 0, 0, 0), 0);
	assert_int_equal(mm->map_count, before + 2);
	assert_false(vma_lookup(mm, (unsigned long)a + PG)->vm_flags & VM_ACCESS_FLAGS);
	assert_int_equal(sys64(s, __NR_munmap, (uint64_t)a, 3 * PG, 0, 0, 0, 0), 0);
	assert_null(find_vma_intersection(mm, (unsigned long)a, (unsigned long)a + 3 * PG));
	/* Linux's argument checks. */
	assert_int_equal(
	    sys64(s, __NR_mmap, 0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 123),
	    -EINVAL);
	assert_int_equal(sys64(s, __NR_munmap, (uint64_t)a + 1, PG, 0, 0, 0, 0), -EINVAL);
	/* mincore: one byte per page, resident after a touch. */
	long b = sys64(s, __NR_mmap, 0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       (uint64_t)-1, 0);
	assert_int_equal(copy_to_user(s->k, (uint64_t)b + PG, "x", 1), 0);
	assert_int_equal(sys64(s, __NR_mincore, (uint64_t)b, 2 * PG, s->scratch, 0, 0, 0), 0);
	uint8_t vec[2];
	uget(s, s->scratch, vec, 2);
	assert_int_equal(vec[0] & 1, 0);
	assert_int_equal(vec[1] & 1, 1);
	assert_int_equal(sys64(s, __NR_msync, (uint64_t)b, PG, 4 /* MS_SYNC */, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_msync, (uint64_t)b, PG, 5, 0, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_madvise, (uint64_t)b, 2 * PG, MADV_DONTNEED, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_mincore, (uint64_t)b, 2 * PG, s->scratch, 0, 0, 0), 0);
	uget(s, s->scratch, vec, 2);
	assert_int_equal(vec[1] & 1, 0);
	st_free(s);
}

static void test_syscall_brk_moves_the_heap(void **state)
{
	struct st *s = st_new();
	struct mm_struct *mm = s->task->mm;
	mm_set_brk_base(mm, 0x600000);
	assert_int_equal(sys64(s, __NR_brk, 0, 0, 0, 0, 0, 0), 0x600000);
	assert_int_equal(sys64(s, __NR_brk, 0x623456, 0, 0, 0, 0, 0), 0x623456);
	struct vm_area_struct *heap = vma_lookup(mm, 0x623000);
	assert_non_null(heap);
	assert_int_equal(heap->vm_start, 0x600000);
	assert_int_equal(heap->vm_end, 0x624000);
	assert_int_equal(sys64(s, __NR_brk, 0x601000, 0, 0, 0, 0, 0), 0x601000);
	assert_null(vma_lookup(mm, 0x602000));
	/* Below the start: refused, the break stays. */
	assert_int_equal(sys64(s, __NR_brk, 0x500000, 0, 0, 0, 0, 0), 0x601000);
	st_free(s);
}

static void test_syscall_getrandom_follows_the_seed(void **state)
{
	uint8_t a[40], b[40], c[40], d[40];
	struct st *s = st_new();
	s->k->params.seed = 42;
	assert_int_equal(sys64(s, __NR_getrandom, s->scratch, sizeof(a), 0, 0, 0, 0), 40);
	uget(s, s->scratch, a, sizeof(a));
	assert_int_equal(sys64(s, __NR_getrandom, s->scratch, sizeof(c), 0, 0, 0, 0), 40);
	uget(s, s->scratch, c, sizeof(c));
	assert_memory_not_equal(a, c, sizeof(a)); /* the stream moves on */
	assert_int_equal(sys64(s, __NR_getrandom, s->scratch, 4, 8, 0, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_getrandom, 0x1000, 4, 0, 0, 0, 0), -EFAULT);
	st_free(s);
	/* Another machine with the same seed draws the same bytes; another seed does not. */
	s = st_new();
	s->k->params.seed = 42;
	assert_int_equal(sys64(s, __NR_getrandom, s->scratch, sizeof(b), 1, 0, 0, 0), 40);
	uget(s, s->scratch, b, sizeof(b));
	st_free(s);
	assert_memory_equal(a, b, sizeof(a));
	s = st_new();
	s->k->params.seed = 43;
	assert_int_equal(sys64(s, __NR_getrandom, s->scratch, sizeof(d), 0, 0, 0, 0), 40);
	uget(s, s->scratch, d, sizeof(d));
	st_free(s);
	assert_memory_not_equal(a, d, sizeof(a));
}

static void test_syscall_clocks_read_virtual_time_and_sleep_advances_it(void **state)
{
	struct st *s = st_new();
	s->k->now_ns = 1500000007ULL;
	assert_int_equal(sys64(s, __NR_clock_gettime, 1 /* MONOTONIC */, s->scratch, 0, 0, 0, 0),
			 0);
	assert_int_equal(uget64(s, s->scratch), 1);
	assert_int_equal(uget64(s, s->scratch + 8), 500000007);
	assert_int_equal(sys64(s, __NR_clock_gettime, 0 /* REALTIME */, s->scratch, 0, 0, 0, 0), 0);
	assert_int_equal(uget64(s, s->scratch), EPOCH_2024 + 1);
	assert_int_equal(sys64(s, __NR_clock_gettime, 99, s->scratch, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_gettimeofday, s->scratch, 0, 0, 0, 0, 0), 0);
	assert_int_equal(uget64(s, s->scratch + 8), 500000);
	assert_int_equal(sys64(s, __NR_time, 0, 0, 0, 0, 0, 0), (long)EPOCH_2024 + 1);
	assert_int_equal(sys64(s, __NR_clock_getres, 1, s->scratch, 0, 0, 0, 0), 0);
	assert_int_equal(uget64(s, s->scratch + 8), 1);
	const int64_t two_s[2] = {2, 250};
	uint64_t req = uput(s, 256, two_s, sizeof(two_s));
	assert_int_equal(sys64(s, __NR_nanosleep, req, 0, 0, 0, 0, 0), 0);
	assert_int_equal(s->k->now_ns, 3500000257ULL);
	/* An absolute sleep to a time already past returns at once. */
	assert_int_equal(sys64(s, __NR_clock_nanosleep, 1, 1 /* TIMER_ABSTIME */, req, 0, 0, 0), 0);
	assert_int_equal(s->k->now_ns, 3500000257ULL);
	const int64_t bad[2] = {0, 1000000000};
	req = uput(s, 256, bad, sizeof(bad));
	assert_int_equal(sys64(s, __NR_nanosleep, req, 0, 0, 0, 0, 0), -EINVAL);
	st_free(s);
}

static void test_syscall_uname_and_ids(void **state)
{
	struct st *s = st_new();
	char u[6][65];
	assert_int_equal(sys64(s, __NR_uname, s->scratch, 0, 0, 0, 0, 0), 0);
	uget(s, s->scratch, u, sizeof(u));
	assert_string_equal(u[0], "Linux");
	assert_string_equal(u[2], "6.1.0-mmemu");
	assert_string_equal(u[4], "x86_64");
	assert_int_equal(sys64(s, __NR_getpid, 0, 0, 0, 0, 0, 0), s->task->pid);
	assert_int_equal(sys64(s, __NR_gettid, 0, 0, 0, 0, 0, 0), s->task->pid);
	assert_int_equal(sys64(s, __NR_getuid, 0, 0, 0, 0, 0, 0), (long)getuid());
	assert_int_equal(sys64(s, __NR_getegid, 0, 0, 0, 0, 0, 0), (long)getgid());
	assert_int_equal(sys64(s, __NR_set_tid_address, 0x1234, 0, 0, 0, 0, 0), s->task->pid);
	assert_int_equal(s->task->clear_child_tid, 0x1234);
	assert_int_equal(sys64(s, __NR_set_robust_list, 0x5000, 24, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_set_robust_list, 0x5000, 12, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_wait4, (uint64_t)-1, 0, 0, 0, 0, 0), -ECHILD);
	assert_int_equal(sys64(s, __NR_sched_yield, 0, 0, 0, 0, 0, 0), 0);
	/* One CPU: an 8-byte mask with bit 0. */
	assert_int_equal(sys64(s, __NR_sched_getaffinity, 0, 128, s->scratch, 0, 0, 0), 8);
	assert_int_equal(uget64(s, s->scratch), (1ULL << s->k->nr_cpu_ids) - 1);
	assert_int_equal(sys64(s, __NR_sched_getaffinity, 0, 3, s->scratch, 0, 0, 0), -EINVAL);
	st_free(s);
}

static void test_syscall_prlimit64_reaches_the_mm(void **state)
{
	struct st *s = st_new();
	uint64_t lim[2];
	assert_int_equal(sys64(s, __NR_prlimit64, 0, 3 /* STACK */, 0, s->scratch, 0, 0), 0);
	uget(s, s->scratch, lim, sizeof(lim));
	assert_int_equal(lim[0], 8 << 20);
	assert_int_equal(lim[1], UINT64_MAX);
	const uint64_t stack16[2] = {16 << 20, UINT64_MAX};
	uint64_t p = uput(s, 256, stack16, sizeof(stack16));
	assert_int_equal(sys64(s, __NR_prlimit64, 0, 3, p, 0, 0, 0), 0);
	assert_int_equal(s->task->mm->rlim.stack, 16 << 20);
	assert_int_equal(sys64(s, __NR_getrlimit, 3, s->scratch, 0, 0, 0, 0), 0);
	assert_int_equal(uget64(s, s->scratch), 16 << 20);
	const uint64_t inverted[2] = {2, 1};
	p = uput(s, 256, inverted, sizeof(inverted));
	assert_int_equal(sys64(s, __NR_setrlimit, 7, p, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_prlimit64, 0, 99, 0, s->scratch, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_prlimit64, 4242, 3, 0, s->scratch, 0, 0), -ESRCH);
	/* RLIMIT_NOFILE bounds the descriptors. */
	const uint64_t five[2] = {5, 5};
	p = uput(s, 256, five, sizeof(five));
	assert_int_equal(sys64(s, __NR_prlimit64, 0, 7, p, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_dup, 0, 0, 0, 0, 0, 0), 3);
	assert_int_equal(sys64(s, __NR_dup, 0, 0, 0, 0, 0, 0), 4);
	assert_int_equal(sys64(s, __NR_dup, 0, 0, 0, 0, 0, 0), -EMFILE);
	st_free(s);
}

static void test_syscall_arch_prctl_and_rseq(void **state)
{
	struct st *s = st_new();
	assert_int_equal(sys64(s, __NR_arch_prctl, 0x1002 /* SET_FS */, 0x7f0000001000, 0, 0, 0, 0),
			 0);
	assert_int_equal(s->task->thread.fsbase, 0x7f0000001000);
	assert_int_equal(sys64(s, __NR_arch_prctl, 0x1003 /* GET_FS */, s->scratch, 0, 0, 0, 0), 0);
	assert_int_equal(uget64(s, s->scratch), 0x7f0000001000);
	assert_int_equal(sys64(s, __NR_arch_prctl, 0x1001, 0xffff800000000000ULL, 0, 0, 0, 0),
			 -EPERM);
	assert_int_equal(sys64(s, __NR_arch_prctl, 0x9999, 0, 0, 0, 0, 0), -EINVAL);
	/* rseq: cpu_id_start and cpu_id become 0 (CPU 0) at registration. */
	const uint32_t unset[2] = {0xffffffff, 0xffffffff};
	uint64_t area = uput(s, 4096, unset, sizeof(unset));
	assert_int_equal(sys64(s, __NR_rseq, area, 32, 0, 0x53053053, 0, 0), 0);
	assert_int_equal(uget32(s, area), 0);
	assert_int_equal(uget32(s, area + 4), 0);
	assert_int_equal(sys64(s, __NR_rseq, area, 32, 0, 0x53053053, 0, 0), -EBUSY);
	assert_int_equal(sys64(s, __NR_rseq, area, 32, 1, 0x1, 0, 0), -EPERM);
	assert_int_equal(sys64(s, __NR_rseq, area, 32, 1, 0x53053053, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_rseq, area + 4, 32, 0, 0, 0, 0), -EINVAL);
	/* futex on one thread. */
	const uint32_t word = 7;
	uint64_t f = uput(s, 8192, &word, 4);
	assert_int_equal(sys64(s, __NR_futex, f, 0 /* WAIT */, 6, 0, 0, 0), -EAGAIN);
	assert_int_equal(sys64(s, __NR_futex, f, 1 | 128 /* WAKE_PRIVATE */, 1, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_futex, 0x1000, 0, 6, 0, 0, 0), -EFAULT);
	st_free(s);
}

static void test_syscall_strace_prints_each_call(void **state)
{
	struct st *s = st_new();
	struct seq_file m;
	seq_init(&m);
	s->k->strace = &m;
	long fd = sys64(s, __NR_openat, (uint64_t)(int64_t)G_AT_FDCWD, ustr(s, 0, st_path(s, "t")),
			G_O_RDWR | G_O_CREAT, 0600, 0, 0);
	assert_int_equal(fd, 3);
	uint64_t msg = uput(s, 512, "hi\n", 3);
	assert_int_equal(sys64(s, __NR_write, 3, msg, 3, 0, 0, 0), 3);
	assert_int_equal(sys64(s, __NR_close, 99, 0, 0, 0, 0, 0), -EBADF);
	/* An address with a VMA but no page yet: printed as an address, and not faulted in. */
	long untouched = sys64(s, __NR_mmap, 0, PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
	m.count = 0;
	m.buf[0] = '\0';
	sys64(s, __NR_write, 99, (uint64_t)untouched, 4, 0, 0, 0);
	assert_int_equal(sdm_leaf(s->k, s->task->mm, (uint64_t)untouched, NULL), 0);
	char want[64];
	snprintf(want, sizeof(want), "write(99, 0x%lx, 4)", untouched);
	assert_non_null(strstr(m.buf, want));
	assert_non_null(strstr(m.buf, "= -1 EBADF (Bad file descriptor)"));
	m.count = 0;
	sys64(s, __NR_exit_group, 3, 0, 0, 0, 0, 0);
	assert_true(s->task->exited);
	assert_int_equal(s->task->exit_code, 3 << 8);
	assert_non_null(strstr(m.buf, "exit_group(3)"));
	assert_non_null(strstr(m.buf, "= ?\n+++ exited with 3 +++\n"));
	s->k->strace = NULL;
	seq_release(&m);
	st_free(s);
}

static void test_syscall_strace_prints_open_and_write_lines(void **state)
{
	struct st *s = st_new();
	struct seq_file m;
	seq_init(&m);
	s->k->strace = &m;
	uint64_t path = ustr(s, 0, "/nonexistent-mmemu");
	assert_int_equal(sys64(s, __NR_openat, (uint64_t)(int64_t)G_AT_FDCWD, path, 0, 0, 0, 0),
			 -ENOENT);
	assert_non_null(strstr(m.buf, "openat(AT_FDCWD, \"/nonexistent-mmemu\", O_RDONLY)"));
	assert_non_null(strstr(m.buf, "= -1 ENOENT (No such file or directory)\n"));
	s->k->strace = NULL;
	seq_release(&m);
	st_free(s);
}

/* ---- i386 ---- */

/* Linux's uname reports the kernel's machine, x86_64, to i386 programs too; only the
 * PER_LINUX32 persona (0x0008, setarch i686) says i686. personality(0xffffffff) asks. */
static void test_syscall32_uname_machine_follows_personality(void **state)
{
	struct st *s = st_new_abi(true);
	char u[6][65];
	assert_int_equal(sys32(s, __NR_ia32_personality, 0xffffffff, 0, 0, 0, 0, 0), 0);
	assert_int_equal(sys32(s, __NR_ia32_uname, (uint32_t)s->scratch, 0, 0, 0, 0, 0), 0);
	uget(s, s->scratch, u, sizeof(u));
	assert_string_equal(u[4], "x86_64");
	assert_int_equal(sys32(s, __NR_ia32_personality, 0x0040008, 0, 0, 0, 0, 0), 0);
	assert_int_equal(sys32(s, __NR_ia32_personality, 0xffffffff, 0, 0, 0, 0, 0), 0x0040008);
	assert_int_equal(sys32(s, __NR_ia32_uname, (uint32_t)s->scratch, 0, 0, 0, 0, 0), 0);
	uget(s, s->scratch, u, sizeof(u));
	assert_string_equal(u[4], "i686");
	assert_int_equal(sys32(s, __NR_ia32_personality, 0, 0, 0, 0, 0, 0), 0x0040008);
	assert_int_equal(sys32(s, __NR_ia32_uname, (uint32_t)s->scratch, 0, 0, 0, 0, 0), 0);
	uget(s, s->scratch, u, sizeof(u));
	assert_string_equal(u[4], "x86_64");
	st_free(s);
}

/* statfs in the three layouts, against the host's own statfs of the same directory:
 * struct statfs (x86-64: 8-byte fields, fsid at 56, namelen 64, frsize 72, flags 80),
 * compat_statfs (i386: 4-byte fields, fsid at 28, namelen 36, frsize 40, flags 44) and
 * compat_statfs64 (i386, 84 bytes: counts 8-byte from offset 8, fsid 48, namelen 56,
 * frsize 60, flags 64), from arch/x86/include/uapi/asm/statfs.h and asm-generic/statfs.h. */
static void test_syscall_statfs_layouts_match_the_host(void **state)
{
	struct statfs host;
	assert_int_equal(statfs("/", &host), 0);
	struct st *s = st_new();
	uint64_t path = ustr(s, 0, "/");
	uint64_t buf = s->scratch + 256;
	assert_int_equal(sys64(s, __NR_statfs, path, buf, 0, 0, 0, 0), 0);
	assert_int_equal(uget64(s, buf + 0), (uint64_t)host.f_type);
	assert_int_equal(uget64(s, buf + 8), (uint64_t)host.f_bsize);
	assert_int_equal(uget64(s, buf + 16), host.f_blocks);
	assert_int_equal(uget64(s, buf + 64), (uint64_t)host.f_namelen);
	assert_int_equal(uget64(s, buf + 72), (uint64_t)host.f_frsize);
	assert_int_equal(uget64(s, buf + 80), (uint64_t)host.f_flags);
	assert_int_equal(sys64(s, __NR_statfs, path, 16, 0, 0, 0, 0), -EFAULT);
	assert_int_equal(sys64(s, __NR_fstatfs, 999, buf, 0, 0, 0, 0), -EBADF);
	st_free(s);

	s = st_new_abi(true);
	path = ustr(s, 0, "/");
	buf = s->scratch + 256;
	long r = sys32(s, __NR_ia32_statfs, (uint32_t)path, (uint32_t)buf, 0, 0, 0, 0);
	if (host.f_blocks >> 32)
		assert_int_equal(r, -EOVERFLOW);
	else {
		assert_int_equal(r, 0);
		assert_int_equal(uget32(s, buf + 0), (uint32_t)host.f_type);
		assert_int_equal(uget32(s, buf + 8), (uint32_t)host.f_blocks);
		assert_int_equal(uget32(s, buf + 36), (uint32_t)host.f_namelen);
		assert_int_equal(uget32(s, buf + 44), (uint32_t)host.f_flags);
	}
	assert_int_equal(sys32(s, __NR_ia32_statfs64, (uint32_t)path, 84, (uint32_t)buf, 0, 0, 0),
			 0);
	assert_int_equal(uget32(s, buf + 0), (uint32_t)host.f_type);
	assert_int_equal(uget32(s, buf + 4), (uint32_t)host.f_bsize);
	assert_int_equal(uget64(s, buf + 8), host.f_blocks);
	assert_int_equal(uget32(s, buf + 56), (uint32_t)host.f_namelen);
	assert_int_equal(uget32(s, buf + 60), (uint32_t)host.f_frsize);
	assert_int_equal(uget32(s, buf + 64), (uint32_t)host.f_flags);
	/* The size argument must be compat_statfs64's. */
	assert_int_equal(sys32(s, __NR_ia32_statfs64, (uint32_t)path, 88, (uint32_t)buf, 0, 0, 0),
			 -EINVAL);
	st_free(s);
}

/* Reads a whole guest file through open/read into buf (NUL-terminated); its length. */
static long read_guest_file(struct st *s, const char *path, char *buf, size_t size)
{
	uint64_t p = ustr(s, 0, path), dst = s->scratch + 4096;
	long fd = sys64(s, __NR_openat, (uint64_t)(int64_t)G_AT_FDCWD, p, 0, 0, 0, 0);
	long n, total = 0;
	assert_true(fd >= 0);
	while ((n = sys64(s, __NR_read, (uint64_t)fd, dst, 4096, 0, 0, 0)) > 0) {
		assert_true((size_t)(total + n) < size);
		uget(s, dst, buf + total, (size_t)n);
		total += n;
	}
	buf[total] = '\0';
	sys64(s, __NR_close, (uint64_t)fd, 0, 0, 0, 0, 0);
	return total;
}

/* /proc/mounts is the host's mount table seen from the guest's root: all of it under the
 * host's /; under another root only the mounts inside it, re-rooted, and the machine's
 * /proc (as Linux shows a chroot's mounts). */
static void test_syscall_proc_mounts_follow_the_root(void **state)
{
	static char got[65536], want[65536], line[4096];
	struct st *s = st_new();
	FILE *f = fopen("/proc/self/mounts", "r");
	assert_non_null(f);
	size_t n = fread(want, 1, sizeof(want) - 1, f);
	want[n] = '\0';
	fclose(f);
	read_guest_file(s, "/proc/mounts", got, sizeof(got));
	assert_string_equal(got, want);
	read_guest_file(s, "/proc/self/mounts", got, sizeof(got));
	assert_string_equal(got, want);

	/* The same machine with /dev as the root directory. */
	fs_free(s->k, s->task->fs);
	s->task->fs = fs_alloc(s->k, "/dev", "/");
	assert_non_null(s->task->fs);
	want[0] = '\0';
	f = fopen("/proc/self/mounts", "r");
	while (fgets(line, sizeof(line), f)) {
		char *dir = strchr(line, ' ') + 1, *after = strchr(dir, ' ');
		if (strncmp(dir, "/dev", 4) != 0 || (dir[4] != ' ' && dir[4] != '/'))
			continue;
		strncat(want, line, (size_t)(dir - line));
		strcat(want, dir[4] == ' ' ? "/" : "");
		strncat(want, dir + 4, (size_t)(after - dir - 4));
		strcat(want, after);
	}
	fclose(f);
	strcat(want, "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n");
	read_guest_file(s, "/proc/mounts", got, sizeof(got));
	assert_string_equal(got, want);
	st_free(s);
}

static void test_syscall32_int80_uses_i386_numbers_and_layouts(void **state)
{
	struct st *s = st_new_abi(true);
	char u[6][65];
	assert_int_equal(sys32(s, __NR_ia32_uname, (uint32_t)s->scratch, 0, 0, 0, 0, 0), 0);
	uget(s, s->scratch, u, sizeof(u));
	assert_string_equal(u[4], "x86_64"); /* an i386 program on x86-64 Linux: see below */
	assert_int_equal(sys32(s, __NR_ia32_getpid, 0, 0, 0, 0, 0, 0), s->task->pid);
	/* mmap2's offset counts pages; the result is below 4 GiB (the fixed scratch is). */
	long a = sys32(s, __NR_ia32_mmap2, SCRATCH32 + 0x200000, 2 * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0xffffffff, 0);
	assert_int_equal(a, SCRATCH32 + 0x200000);
	/* clock_gettime writes a 32-bit timespec; clock_gettime64 a 64-bit one. */
	s->k->now_ns = 5000000123ULL;
	assert_int_equal(sys32(s, __NR_ia32_clock_gettime, 1, (uint32_t)s->scratch, 0, 0, 0, 0), 0);
	assert_int_equal(uget32(s, s->scratch), 5);
	assert_int_equal(uget32(s, s->scratch + 4), 123);
	assert_int_equal(sys32(s, __NR_ia32_clock_gettime64, 1, (uint32_t)s->scratch, 0, 0, 0, 0),
			 0);
	assert_int_equal(uget64(s, s->scratch), 5);
	assert_int_equal(uget64(s, s->scratch + 8), 123);
	/* A file written and stat'ed through fstat64: st_size at 44, st_ino at 88 (packed). */
	uint64_t path = ustr(s, 0, st_path(s, "f32"));
	long fd = sys32(s, __NR_ia32_open, (uint32_t)path, G_O_RDWR | G_O_CREAT, 0644, 0, 0, 0);
	assert_int_equal(fd, 3);
	uint64_t msg = uput(s, 512, "twelve bytes", 12);
	assert_int_equal(sys32(s, __NR_ia32_write, 3, (uint32_t)msg, 12, 0, 0, 0), 12);
	assert_int_equal(sys32(s, __NR_ia32_fstat64, 3, (uint32_t)s->scratch + 1024, 0, 0, 0, 0),
			 0);
	struct stat hst;
	assert_int_equal(stat(st_path(s, "f32"), &hst), 0);
	assert_int_equal(uget64(s, s->scratch + 1024 + 44), 12);
	assert_int_equal(uget64(s, s->scratch + 1024 + 88), hst.st_ino);
	assert_int_equal(uget32(s, s->scratch + 1024 + 16), hst.st_mode);
	/* _llseek writes a 64-bit result. */
	assert_int_equal(sys32(s, __NR_ia32__llseek, 3, 0, 5, (uint32_t)s->scratch + 2048, 0, 0),
			 0);
	assert_int_equal(uget64(s, s->scratch + 2048), 5);
	/* An x86-64 number means something else here: 60 is umask on i386, not exit. */
	assert_int_equal(sys32(s, __NR_ia32_umask, 077, 0, 0, 0, 0, 0), 022);
	assert_false(s->task->exited);
	assert_int_equal(sys32(s, 500, 0, 0, 0, 0, 0, 0), -ENOSYS);
	st_free(s);
}

/* set_thread_area writes Linux's fill_ldt descriptor; the expected value is assembled here
 * from the SDM's descriptor layout: base 0x12345678, limit 0xfffff in 4 KiB units, 32-bit,
 * writable data, accessed, DPL 3, present, AVL set. */
static void test_syscall32_set_thread_area_fills_gdt_descriptor(void **state)
{
	struct st *s = st_new_abi(true);
	const uint64_t want = 0x0000ffffULL | (0x5678ULL << 16) | (0x34ULL << 32) |
			      (0xf3ULL << 40) /* P=1 DPL=3 S=1 type=0011 */ | (0xfULL << 48) |
			      (0xdULL << 52) /* G=1 D=1 L=0 AVL=1 */ | (0x12ULL << 56);
	/* entry -1: the kernel picks the first free TLS slot, 12. flags: seg_32bit (bit 0),
	 * limit_in_pages (bit 4), useable (bit 6). */
	const uint32_t ud[4] = {0xffffffff, 0x12345678, 0xfffff, 0x1 | 0x10 | 0x40};
	uint64_t p = uput(s, 256, ud, sizeof(ud));
	assert_int_equal(sys32(s, __NR_ia32_set_thread_area, (uint32_t)p, 0, 0, 0, 0, 0), 0);
	assert_int_equal(uget32(s, p), 12);
	assert_int_equal(s->task->thread.tls_array[0], want);
	assert_true(s->task->thread.tls_dirty);
	/* get_thread_area gives the same struct back. */
	const uint32_t q[4] = {12, 0, 0, 0};
	uint64_t qp = uput(s, 512, q, sizeof(q));
	assert_int_equal(sys32(s, __NR_ia32_get_thread_area, (uint32_t)qp, 0, 0, 0, 0, 0), 0);
	uint32_t back[4];
	uget(s, qp, back, sizeof(back));
	assert_int_equal(back[1], 0x12345678);
	assert_int_equal(back[2], 0xfffff);
	assert_int_equal(back[3], 0x1 | 0x10 | 0x40);
	/* A 16-bit segment or a code segment is refused; entry 11 is not a TLS slot. */
	const uint32_t bad16[4] = {13, 0x1000, 0xfff, 0};
	p = uput(s, 256, bad16, sizeof(bad16));
	assert_int_equal(sys32(s, __NR_ia32_set_thread_area, (uint32_t)p, 0, 0, 0, 0, 0), -EINVAL);
	const uint32_t code[4] = {13, 0x1000, 0xfff, 0x1 | (2 << 1)};
	p = uput(s, 256, code, sizeof(code));
	assert_int_equal(sys32(s, __NR_ia32_set_thread_area, (uint32_t)p, 0, 0, 0, 0, 0), -EINVAL);
	const uint32_t slot11[4] = {11, 0x1000, 0xfff, 0x1};
	p = uput(s, 256, slot11, sizeof(slot11));
	assert_int_equal(sys32(s, __NR_ia32_set_thread_area, (uint32_t)p, 0, 0, 0, 0, 0), -EINVAL);
	/* The "empty" descriptor clears the slot. */
	const uint32_t empty[4] = {12, 0, 0, 0x8 | 0x20};
	p = uput(s, 256, empty, sizeof(empty));
	assert_int_equal(sys32(s, __NR_ia32_set_thread_area, (uint32_t)p, 0, 0, 0, 0, 0), 0);
	assert_int_equal(s->task->thread.tls_array[0], 0);
	st_free(s);
}

/* getdents64 through INT 0x80: d_off counts entries (1, 2, 3, ...) so that 32-bit C
 * libraries can hold it, and lseek to such a value resumes after that many entries. */
static void test_syscall32_getdents64_numbers_entries(void **state)
{
	struct st *s = st_new_abi(true);
	uint8_t buf[4096];
	for (int i = 0; i < 5; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%d", i);
		host_write_file(st_path(s, name), "x", 1);
	}
	uint64_t path = ustr(s, 0, s->dir);
	long fd = sys32(s, __NR_ia32_open, (uint32_t)path, G_O_DIRECTORY, 0, 0, 0, 0);
	assert_true(fd >= 0);
	long n = sys32(s, __NR_ia32_getdents64, (uint32_t)fd, (uint32_t)s->scratch + 4096,
		       sizeof(buf), 0, 0, 0);
	assert_true(n > 0);
	uget(s, s->scratch + 4096, buf, (size_t)n);
	int entries = 0;
	char third[64] = "";
	for (long off = 0; off < n; entries++) {
		uint64_t d_off;
		uint16_t reclen;
		memcpy(&d_off, buf + off + 8, 8);
		memcpy(&reclen, buf + off + 16, 2);
		assert_int_equal(d_off, entries + 1);
		if (entries == 2)
			snprintf(third, sizeof(third), "%s", (const char *)buf + off + 19);
		off += reclen;
	}
	assert_int_equal(entries, 7); /* ".", ".." and five files */
	assert_int_equal(sys32(s, __NR_ia32_lseek, (uint32_t)fd, 2, 0, 0, 0, 0), 2);
	n = sys32(s, __NR_ia32_getdents64, (uint32_t)fd, (uint32_t)s->scratch + 4096, sizeof(buf),
		  0, 0, 0);
	uget(s, s->scratch + 4096, buf, (size_t)n);
	uint64_t d_off;
	memcpy(&d_off, buf + 8, 8);
	assert_int_equal(d_off, 3);
	assert_string_equal((const char *)buf + 19, third);
	st_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_syscall_mmap_mprotect_munmap_change_vmas),
	    cmocka_unit_test(test_syscall_brk_moves_the_heap),
	    cmocka_unit_test(test_syscall_getrandom_follows_the_seed),
	    cmocka_unit_test(test_syscall_clocks_read_virtual_time_and_sleep_advances_it),
	    cmocka_unit_test(test_syscall_uname_and_ids),
	    cmocka_unit_test(test_syscall32_uname_machine_follows_personality),
	    cmocka_unit_test(test_syscall_prlimit64_reaches_the_mm),
	    cmocka_unit_test(test_syscall_arch_prctl_and_rseq),
	    cmocka_unit_test(test_syscall_strace_prints_each_call),
	    cmocka_unit_test(test_syscall_strace_prints_open_and_write_lines),
	    cmocka_unit_test(test_syscall_statfs_layouts_match_the_host),
	    cmocka_unit_test(test_syscall_proc_mounts_follow_the_root),
	    cmocka_unit_test(test_syscall32_int80_uses_i386_numbers_and_layouts),
	    cmocka_unit_test(test_syscall32_set_thread_area_fills_gdt_descriptor),
	    cmocka_unit_test(test_syscall32_getdents64_numbers_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
