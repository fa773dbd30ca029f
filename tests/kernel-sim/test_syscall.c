/*
 * The x86-64 system calls on files, driven without a CPU: arguments are written into
 * guest memory, a struct pt_regs is filled as the SYSCALL entry fills it, do_syscall_64
 * runs, and the test checks rax and the effects on the host's files and in guest memory.
 * Expected values come from Linux's documented behaviour and structure layouts
 * (man 2 pages, include/uapi), never from the code under test.
 */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>

#include "kernel-sim/proc.h"
#include "tests/kernel-sim/systest.h"

#define O_RDWR_CREAT (G_O_RDWR | G_O_CREAT)

static long open_at(struct st *s, const char *path, unsigned flags, unsigned mode)
{
	uint64_t p = ustr(s, 0, path);
	return sys64(s, __NR_openat, (uint64_t)(int64_t)G_AT_FDCWD, p, flags, mode, 0, 0);
}

static void test_syscall_write_then_read_roundtrip_through_host_file(void **state)
{
	struct st *s = st_new();
	char host[256];
	snprintf(host, sizeof(host), "%s", st_path(s, "a.txt"));
	long fd = open_at(s, host, O_RDWR_CREAT, 0644);
	assert_int_equal(fd, 3); /* 0-2 are taken */
	uint64_t msg = uput(s, 4096, "hello, host", 11);
	assert_int_equal(sys64(s, __NR_write, (uint64_t)fd, msg, 11, 0, 0, 0), 11);
	/* The host sees the bytes. */
	char buf[32] = {0};
	int hfd = open(host, O_RDONLY);
	assert_int_equal(read(hfd, buf, sizeof(buf)), 11);
	close(hfd);
	assert_string_equal(buf, "hello, host");
	/* lseek back and read them into another user buffer. */
	assert_int_equal(sys64(s, __NR_lseek, (uint64_t)fd, 7, 0 /* SEEK_SET */, 0, 0, 0), 7);
	assert_int_equal(sys64(s, __NR_read, (uint64_t)fd, s->scratch + 8192, 100, 0, 0, 0), 4);
	uget(s, s->scratch + 8192, buf, 4);
	assert_memory_equal(buf, "host", 4);
	/* pread does not move the offset. */
	assert_int_equal(sys64(s, __NR_pread64, (uint64_t)fd, s->scratch + 8192, 5, 0, 0, 0), 5);
	uget(s, s->scratch + 8192, buf, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(sys64(s, __NR_lseek, (uint64_t)fd, 0, 1 /* SEEK_CUR */, 0, 0, 0), 11);
	assert_int_equal(sys64(s, __NR_close, (uint64_t)fd, 0, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_close, (uint64_t)fd, 0, 0, 0, 0, 0), -EBADF);
	st_free(s);
}

static void test_syscall_bad_pointers_give_efault(void **state)
{
	struct st *s = st_new();
	const uint64_t hole = 0x1000; /* below mmap_min_addr: never mapped */
	long fd = open_at(s, st_path(s, "f"), O_RDWR_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(sys64(s, __NR_write, (uint64_t)fd, hole, 10, 0, 0, 0), -EFAULT);
	assert_int_equal(sys64(s, __NR_write, (uint64_t)fd, s->scratch, 3, 0, 0, 0), 3);
	assert_int_equal(sys64(s, __NR_lseek, (uint64_t)fd, 0, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_read, (uint64_t)fd, hole, 3, 0, 0, 0), -EFAULT);
	/* The failed read gave the bytes back: the offset did not move. */
	assert_int_equal(sys64(s, __NR_lseek, (uint64_t)fd, 0, 1, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_openat, (uint64_t)(int64_t)G_AT_FDCWD, hole, 0, 0, 0, 0),
			 -EFAULT);
	assert_int_equal(sys64(s, __NR_uname, hole, 0, 0, 0, 0, 0), -EFAULT);
	assert_int_equal(sys64(s, __NR_clock_gettime, 1, 0xffff800000000000ULL, 0, 0, 0, 0),
			 -EFAULT);
	/* A kernel address is refused without a fault. */
	assert_int_equal(sys64(s, __NR_fstat, (uint64_t)fd, 0xffff888000000000ULL, 0, 0, 0, 0),
			 -EFAULT);
	st_free(s);
}

static void test_syscall_unknown_number_enosys_reported_once(void **state)
{
	struct st *s = st_new();
	assert_int_equal(sys64(s, __NR_io_setup, 0, 0, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(sys64(s, __NR_io_setup, 0, 0, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(sys64(s, 100000, 0, 0, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(s->k->nr_unknown_syscalls, 3);
	struct seq_file m;
	seq_init(&m);
	dmesg_show(&m, s->k);
	const char *first = strstr(m.buf, "mmemu: unknown system call io_setup (206)");
	assert_non_null(first);
	assert_null(strstr(first + strlen("mmemu: unknown system call io_setup"), "io_setup"));
	seq_release(&m);
	st_free(s);
}

static void test_syscall_root_confines_dotdot_and_symlinks(void **state)
{
	struct st *s = st_new();
	char root[256], buf[64];
	snprintf(root, sizeof(root), "%s/root", s->dir);
	assert_int_equal(mkdir(root, 0755), 0);
	host_write_file(st_path(s, "secret.txt"), "secret", 6);
	host_write_file(st_path(s, "root/inside.txt"), "inside", 6);
	assert_int_equal(symlink("../secret.txt", st_path(s, "root/up")), 0);
	assert_int_equal(symlink("/inside.txt", st_path(s, "root/abs")), 0);
	assert_int_equal(symlink("/../../../secret.txt", st_path(s, "root/esc")), 0);
	assert_int_equal(symlink("..", st_path(s, "root/dotdot")), 0);
	/* A task whose root is DIR. */
	struct fs_struct *fs = fs_alloc(s->k, root, NULL);
	fs_free(s->k, s->task->fs);
	s->task->fs = fs;
	assert_int_equal(open_at(s, "/../secret.txt", 0, 0), -ENOENT);
	assert_int_equal(open_at(s, "../../secret.txt", 0, 0), -ENOENT);
	assert_int_equal(open_at(s, "up", 0, 0), -ENOENT);
	assert_int_equal(open_at(s, "esc", 0, 0), -ENOENT);
	assert_int_equal(open_at(s, "dotdot/secret.txt", 0, 0), -ENOENT);
	assert_int_equal(open_at(s, "dotdot/dotdot/inside.txt", 0, 0) >= 0, 1);
	long fd = open_at(s, "abs", 0, 0);
	assert_true(fd >= 0);
	assert_int_equal(sys64(s, __NR_read, (uint64_t)fd, s->scratch + 8192, 64, 0, 0, 0), 6);
	uget(s, s->scratch + 8192, buf, 6);
	assert_memory_equal(buf, "inside", 6);
	/* getcwd shows the guest's path; readlink returns the target as stored. */
	assert_int_equal(sys64(s, __NR_getcwd, s->scratch + 8192, 64, 0, 0, 0, 0), 2);
	uget(s, s->scratch + 8192, buf, 2);
	assert_string_equal(buf, "/");
	uint64_t p = ustr(s, 0, "abs");
	assert_int_equal(sys64(s, __NR_readlink, p, s->scratch + 8192, 64, 0, 0, 0), 11);
	uget(s, s->scratch + 8192, buf, 11);
	assert_memory_equal(buf, "/inside.txt", 11);
	st_free(s);
}

static void test_syscall_newfstatat_and_statx_fill_linux_layout(void **state)
{
	struct st *s = st_new();
	char data[1234];
	struct stat hst;
	memset(data, 'x', sizeof(data));
	host_write_file(st_path(s, "sized"), data, sizeof(data));
	assert_int_equal(stat(st_path(s, "sized"), &hst), 0);
	uint64_t p = ustr(s, 0, st_path(s, "sized"));
	uint64_t buf = s->scratch + 8192;
	assert_int_equal(sys64(s, __NR_newfstatat, (uint64_t)(int64_t)G_AT_FDCWD, p, buf, 0, 0, 0),
			 0);
	/* struct stat (x86-64): st_ino at 8, st_nlink at 16, st_mode at 24, st_size at 48,
	 * st_mtime at 88. */
	assert_int_equal(uget64(s, buf + 8), hst.st_ino);
	assert_int_equal(uget64(s, buf + 16), 1);
	assert_int_equal(uget32(s, buf + 24), hst.st_mode);
	assert_true(S_ISREG(uget32(s, buf + 24)));
	assert_int_equal(uget64(s, buf + 48), 1234);
	assert_int_equal(uget64(s, buf + 88), (uint64_t)hst.st_mtim.tv_sec);
	/* statx: stx_mask at 0, stx_mode at 28, stx_ino at 32, stx_size at 40. */
	assert_int_equal(sys64(s, __NR_statx, (uint64_t)(int64_t)G_AT_FDCWD, p, 0, 0x7ff, buf, 0),
			 0);
	assert_int_equal(uget32(s, buf) & 0x7ff, 0x7ff);
	uint16_t mode;
	uget(s, buf + 28, &mode, 2);
	assert_int_equal(mode, hst.st_mode);
	assert_int_equal(uget64(s, buf + 32), hst.st_ino);
	assert_int_equal(uget64(s, buf + 40), 1234);
	/* fstat through an fd, and AT_EMPTY_PATH on it. */
	long fd = open_at(s, st_path(s, "sized"), 0, 0);
	assert_int_equal(sys64(s, __NR_fstat, (uint64_t)fd, buf, 0, 0, 0, 0), 0);
	assert_int_equal(uget64(s, buf + 48), 1234);
	uint64_t empty = ustr(s, 100, "");
	assert_int_equal(sys64(s, __NR_newfstatat, (uint64_t)fd, empty, buf, G_AT_EMPTY_PATH, 0, 0),
			 0);
	assert_int_equal(uget64(s, buf + 8), hst.st_ino);
	assert_int_equal(sys64(s, __NR_newfstatat, (uint64_t)fd, empty, buf, 0, 0, 0), -ENOENT);
	uint64_t missing = ustr(s, 200, st_path(s, "missing"));
	assert_int_equal(sys64(s, __NR_stat, missing, buf, 0, 0, 0, 0), -ENOENT);
	st_free(s);
}

/* Names in a getdents64 buffer (struct linux_dirent64: d_reclen at 16, d_name at 19). */
static int dirent_has(const uint8_t *b, long n, const char *name)
{
	for (long off = 0; off < n;) {
		uint16_t reclen;
		memcpy(&reclen, b + off + 16, 2);
		if (!strcmp((const char *)b + off + 19, name))
			return 1;
		off += reclen;
	}
	return 0;
}

static void test_syscall_getdents64_lists_directory(void **state)
{
	struct st *s = st_new();
	uint8_t buf[4096];
	host_write_file(st_path(s, "one"), "1", 1);
	host_write_file(st_path(s, "two"), "2", 1);
	long fd = open_at(s, s->dir, G_O_DIRECTORY, 0);
	assert_true(fd >= 0);
	long n = sys64(s, __NR_getdents64, (uint64_t)fd, s->scratch + 8192, sizeof(buf), 0, 0, 0);
	assert_true(n > 0);
	uget(s, s->scratch + 8192, buf, (size_t)n);
	assert_true(dirent_has(buf, n, "one"));
	assert_true(dirent_has(buf, n, "two"));
	assert_true(dirent_has(buf, n, ".."));
	assert_int_equal(
	    sys64(s, __NR_getdents64, (uint64_t)fd, s->scratch + 8192, sizeof(buf), 0, 0, 0), 0);
	/* openat relative to the directory fd. */
	uint64_t p = ustr(s, 0, "one");
	assert_true(sys64(s, __NR_openat, (uint64_t)fd, p, 0, 0, 0, 0) >= 0);
	long file = open_at(s, st_path(s, "one"), 0, 0);
	assert_int_equal(sys64(s, __NR_getdents64, (uint64_t)file, s->scratch, 4096, 0, 0, 0),
			 -ENOTDIR);
	st_free(s);
}

static void test_syscall_pipe_carries_bytes_and_reports_eof_and_epipe(void **state)
{
	struct st *s = st_new();
	int fds[2];
	assert_int_equal(sys64(s, __NR_pipe2, s->scratch, G_O_CLOEXEC, 0, 0, 0, 0), 0);
	uget(s, s->scratch, fds, sizeof(fds));
	assert_int_equal(fds[0], 3);
	assert_int_equal(fds[1], 4);
	uint64_t msg = uput(s, 100, "abc", 3);
	assert_int_equal(sys64(s, __NR_write, (uint64_t)fds[1], msg, 3, 0, 0, 0), 3);
	assert_int_equal(sys64(s, __NR_read, (uint64_t)fds[0], s->scratch + 200, 10, 0, 0, 0), 3);
	char got[3];
	uget(s, s->scratch + 200, got, 3);
	assert_memory_equal(got, "abc", 3);
	/* Empty with a writer: a single task would wait forever; it gets -EAGAIN. */
	assert_int_equal(sys64(s, __NR_read, (uint64_t)fds[0], s->scratch + 200, 10, 0, 0, 0),
			 -EAGAIN);
	assert_int_equal(sys64(s, __NR_fcntl, (uint64_t)fds[0], 1 /* F_GETFD */, 0, 0, 0, 0), 1);
	assert_int_equal(sys64(s, __NR_lseek, (uint64_t)fds[0], 0, 0, 0, 0, 0), -ESPIPE);
	assert_int_equal(sys64(s, __NR_close, (uint64_t)fds[1], 0, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_read, (uint64_t)fds[0], s->scratch + 200, 10, 0, 0, 0), 0);
	/* Writing with no reader: -EPIPE and SIGPIPE. */
	assert_int_equal(sys64(s, __NR_pipe, s->scratch, 0, 0, 0, 0, 0), 0);
	uget(s, s->scratch, fds, sizeof(fds));
	assert_int_equal(sys64(s, __NR_close, (uint64_t)fds[0], 0, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_write, (uint64_t)fds[1], msg, 3, 0, 0, 0), -EPIPE);
	assert_true(s->task->signal->pending & ksigmask(SIGPIPE));
	st_free(s);
}

static void test_syscall_dup_and_fcntl_share_the_description(void **state)
{
	struct st *s = st_new();
	long fd = open_at(s, st_path(s, "d"), O_RDWR_CREAT | G_O_CLOEXEC, 0600);
	assert_int_equal(sys64(s, __NR_fcntl, (uint64_t)fd, 1 /* F_GETFD */, 0, 0, 0, 0), 1);
	/* x86-64 reports O_LARGEFILE in F_GETFL. */
	assert_int_equal(sys64(s, __NR_fcntl, (uint64_t)fd, 3 /* F_GETFL */, 0, 0, 0, 0),
			 G_O_RDWR | G_O_LARGEFILE);
	long d = sys64(s, __NR_dup, (uint64_t)fd, 0, 0, 0, 0, 0);
	assert_int_equal(d, fd + 1);
	assert_int_equal(sys64(s, __NR_fcntl, (uint64_t)d, 1, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_dup2, (uint64_t)fd, 10, 0, 0, 0, 0), 10);
	assert_int_equal(sys64(s, __NR_dup3, (uint64_t)fd, (uint64_t)fd, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sys64(s, __NR_dup3, (uint64_t)fd, 11, G_O_CLOEXEC, 0, 0, 0), 11);
	assert_int_equal(sys64(s, __NR_fcntl, 11, 1, 0, 0, 0, 0), 1);
	assert_int_equal(
	    sys64(s, __NR_fcntl, (uint64_t)fd, 1030 /* F_DUPFD_CLOEXEC */, 20, 0, 0, 0), 20);
	assert_int_equal(sys64(s, __NR_fcntl, 20, 1, 0, 0, 0, 0), 1);
	/* A write through one fd moves the offset seen through the others. */
	uint64_t msg = uput(s, 100, "xyz", 3);
	assert_int_equal(sys64(s, __NR_write, 10, msg, 3, 0, 0, 0), 3);
	assert_int_equal(sys64(s, __NR_lseek, (uint64_t)d, 0, 1, 0, 0, 0), 3);
	/* ioctl on a regular file: not a terminal. */
	assert_int_equal(
	    sys64(s, __NR_ioctl, (uint64_t)fd, 0x5401 /* TCGETS */, s->scratch, 0, 0, 0), -ENOTTY);
	assert_int_equal(
	    sys64(s, __NR_ioctl, (uint64_t)fd, 0x5413 /* TIOCGWINSZ */, s->scratch, 0, 0, 0),
	    -ENOTTY);
	assert_int_equal(sys64(s, __NR_dup, 99, 0, 0, 0, 0, 0), -EBADF);
	st_free(s);
}

static void test_syscall_file_mmap_shares_cache_with_write(void **state)
{
	struct st *s = st_new();
	static char data[8192];
	char got[4];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	host_write_file(st_path(s, "m"), data, sizeof(data));
	long fd = open_at(s, st_path(s, "m"), G_O_RDWR, 0);
	long addr =
	    sys64(s, __NR_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, (uint64_t)fd, 0);
	assert_true(addr > 0 && !(addr & 0xfff));
	struct vm_area_struct *vma = find_vma(s->task->mm, (unsigned long)addr);
	assert_non_null(vma);
	assert_int_equal(vma->vm_start, addr);
	assert_non_null(vma->vm_file);
	assert_string_equal(vma->vm_file->f_path, st_path(s, "m"));
	uget(s, (uint64_t)addr + 27, got, 3);
	assert_memory_equal(got, "bcd", 3);
	/* pwrite reaches the mapped page; a store through the mapping reaches read(). */
	uint64_t msg = uput(s, 100, "XYZ", 3);
	assert_int_equal(sys64(s, __NR_pwrite64, (uint64_t)fd, msg, 3, 27, 0, 0), 3);
	uget(s, (uint64_t)addr + 27, got, 3);
	assert_memory_equal(got, "XYZ", 3);
	assert_int_equal(copy_to_user(s->k, (uint64_t)addr + 4096, "QQ", 2), 0);
	assert_int_equal(sys64(s, __NR_pread64, (uint64_t)fd, s->scratch + 200, 2, 4096, 0, 0), 2);
	uget(s, s->scratch + 200, got, 2);
	assert_memory_equal(got, "QQ", 2);
	/* Mapping a pipe: no such device. */
	assert_int_equal(sys64(s, __NR_pipe, s->scratch, 0, 0, 0, 0, 0), 0);
	assert_int_equal(
	    sys64(s, __NR_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, uget32(s, s->scratch), 0),
	    -ENODEV);
	assert_int_equal(sys64(s, __NR_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, 77, 0), -EBADF);
	assert_int_equal(sys64(s, __NR_munmap, (uint64_t)addr, 8192, 0, 0, 0, 0), 0);
	assert_null(
	    find_vma_intersection(s->task->mm, (unsigned long)addr, (unsigned long)addr + 8192));
	st_free(s);
}

/* Reads a whole /proc file through open/read/close into a host string. */
static char *read_proc(struct st *s, const char *path)
{
	long fd = open_at(s, path, 0, 0);
	assert_true(fd >= 0);
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap + 1);
	long n;
	while ((n = sys64(s, __NR_read, (uint64_t)fd, s->scratch + 65536, 4000, 0, 0, 0)) > 0) {
		assert_true(len + (size_t)n <= cap);
		uget(s, s->scratch + 65536, out + len, (size_t)n);
		len += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(sys64(s, __NR_close, (uint64_t)fd, 0, 0, 0, 0, 0), 0);
	return out;
}

static void test_syscall_proc_self_maps_is_proc_pid_maps_show(void **state)
{
	struct st *s = st_new();
	struct seq_file m;
	assert_true(sys64(s, __NR_mmap, 0, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			  (uint64_t)-1, 0) > 0);
	char *text = read_proc(s, "/proc/self/maps");
	seq_init(&m);
	proc_pid_maps_show(&m, s->k, s->task->mm);
	assert_string_equal(text, m.buf);
	free(text);
	seq_release(&m);
	/* The same file by pid. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", s->task->pid);
	text = read_proc(s, path);
	assert_true(strlen(text) > 0);
	free(text);
	assert_int_equal(open_at(s, "/proc/99999/maps", 0, 0), -ENOENT);
	assert_int_equal(open_at(s, "/proc/self/maps", G_O_RDWR, 0), -EACCES);
	/* meminfo is meminfo_show's text. */
	text = read_proc(s, "/proc/meminfo");
	assert_non_null(strstr(text, "MemTotal:"));
	free(text);
	st_free(s);
}

static void test_syscall_proc_status_exe_and_lseek(void **state)
{
	struct st *s = st_new();
	char buf[128], want[64];
	assert_int_equal(task_set_exe_path(s->k, s->task, "/bin/prog"), 0);
	char *status = read_proc(s, "/proc/self/status");
	snprintf(want, sizeof(want), "\nPid:\t%d\n", s->task->pid);
	assert_true(!strncmp(status, "Name:\tprog\nUmask:\t0022\nState:\tR (running)\n", 42));
	assert_non_null(strstr(status, want));
	assert_non_null(strstr(status, "\nVmRSS:\t"));
	assert_non_null(strstr(status, "\nThreads:\t1\n"));
	free(status);
	uint64_t p = ustr(s, 0, "/proc/self/exe");
	assert_int_equal(sys64(s, __NR_readlink, p, s->scratch + 4096, sizeof(buf), 0, 0, 0), 9);
	uget(s, s->scratch + 4096, buf, 9);
	assert_memory_equal(buf, "/bin/prog", 9);
	/* A snapshot can be seeked and pread. */
	long fd = open_at(s, "/proc/self/status", 0, 0);
	assert_int_equal(sys64(s, __NR_lseek, (uint64_t)fd, 6, 0, 0, 0, 0), 6);
	assert_int_equal(sys64(s, __NR_read, (uint64_t)fd, s->scratch + 4096, 4, 0, 0, 0), 4);
	uget(s, s->scratch + 4096, buf, 4);
	assert_memory_equal(buf, "prog", 4);
	assert_int_equal(sys64(s, __NR_pread64, (uint64_t)fd, s->scratch + 4096, 5, 0, 0, 0), 5);
	uget(s, s->scratch + 4096, buf, 5);
	assert_memory_equal(buf, "Name:", 5);
	st_free(s);
}

static void test_syscall_chdir_relative_paths_and_unlink(void **state)
{
	struct st *s = st_new();
	char buf[256];
	uint64_t d = ustr(s, 0, s->dir);
	assert_int_equal(sys64(s, __NR_chdir, d, 0, 0, 0, 0, 0), 0);
	long n = sys64(s, __NR_getcwd, s->scratch + 4096, sizeof(buf), 0, 0, 0, 0);
	assert_int_equal(n, (long)strlen(s->dir) + 1);
	uget(s, s->scratch + 4096, buf, (size_t)n);
	assert_string_equal(buf, s->dir);
	assert_int_equal(sys64(s, __NR_getcwd, s->scratch + 4096, 3, 0, 0, 0, 0), -ERANGE);
	uint64_t sub = ustr(s, 400, "sub");
	assert_int_equal(sys64(s, __NR_mkdir, sub, 0755, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_mkdir, sub, 0755, 0, 0, 0, 0), -EEXIST);
	assert_true(open_at(s, "sub/../sub/f", O_RDWR_CREAT, 0600) >= 0);
	assert_int_equal(access(st_path(s, "sub/f"), F_OK), 0);
	uint64_t f = ustr(s, 200, "sub/f");
	uint64_t g = ustr(s, 300, "g");
	assert_int_equal(sys64(s, __NR_access, f, 4 /* R_OK */, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_rename, f, g, 0, 0, 0, 0), 0);
	assert_int_equal(access(st_path(s, "g"), F_OK), 0);
	assert_int_equal(sys64(s, __NR_unlink, g, 0, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_access, g, 0, 0, 0, 0, 0), -ENOENT);
	assert_int_equal(sys64(s, __NR_rmdir, sub, 0, 0, 0, 0, 0), 0);
	uint64_t file_as_dir = ustr(s, 0, "nonexistent/x");
	assert_int_equal(sys64(s, __NR_chdir, file_as_dir, 0, 0, 0, 0, 0), -ENOENT);
	st_free(s);
}

/* A task made by exec_new_task from a real static program, given its files by
 * task_setup_files: /proc/self/auxv is the auxiliary vector on its stack, /proc/self/cmdline
 * its argv strings. */
static void test_syscall_exec_task_proc_auxv_and_cmdline(void **state)
{
	char path[4096], rel[4096];
	const char *build = getenv("MMEMU_BUILD");
	snprintf(rel, sizeof(rel), "%s/guests/hello", build ? build : "build");
	assert_non_null(realpath(rel, path));
	struct machine *m = ktest_boot(128);
	struct kernel *k = &m->kernel;
	const char *argv[] = {path, "two"};
	struct exec_request req = {path, path, 2, argv, 0, NULL, 0, 0};
	struct pt_regs regs, r;
	char err[256];
	int e = 0;
	struct task_struct *t = exec_new_task(k, &req, &regs, &e, err, sizeof(err));
	if (!t)
		fail_msg("exec: %s", err);
	/* No task_setup_files: the first trap gives the task its files and signal state. */
	assert_null(t->files);
	assert_ptr_equal(k->current, t);
	long buf = vm_mmap(k, t->mm, NULL, 0, 65536, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, 0);
	assert_true(buf > 0);
	memset(&r, 0, sizeof(r));
	r.orig_ax = __NR_dup, r.di = 0;
	do_syscall_64(k, &r);
	assert_int_equal(r.ax, 3);
	assert_non_null(t->files);
	assert_non_null(t->signal);
	const char *files[] = {"/proc/self/auxv", "/proc/self/cmdline"};
	uint8_t text[2][4096];
	long len[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(copy_to_user(k, (uint64_t)buf, files[i], strlen(files[i]) + 1), 0);
		memset(&r, 0, sizeof(r));
		r.orig_ax = __NR_open, r.di = (uint64_t)buf;
		do_syscall_64(k, &r);
		long fd = (long)r.ax;
		assert_true(fd >= 4);
		memset(&r, 0, sizeof(r));
		r.orig_ax = __NR_read, r.di = (uint64_t)fd, r.si = (uint64_t)buf + 4096,
		r.dx = 4096;
		do_syscall_64(k, &r);
		len[i] = (long)r.ax;
		assert_true(len[i] > 0);
		assert_int_equal(copy_from_user(k, text[i], (uint64_t)buf + 4096, (size_t)len[i]),
				 0);
	}
	/* The stack: argc, argv[2], NULL, envp NULL, then the auxv pairs up to AT_NULL. */
	uint64_t auxv = regs.sp + 8 * 5, pair[2];
	long off = 0;
	do {
		assert_int_equal(copy_from_user(k, pair, auxv + (uint64_t)off, 16), 0);
		assert_true(off + 16 <= len[0]);
		assert_memory_equal(text[0] + off, pair, 16);
		off += 16;
	} while (pair[0]);
	assert_int_equal(off, len[0]);
	assert_int_equal(len[1], (long)strlen(path) + 5);
	assert_memory_equal(text[1], path, strlen(path) + 1);
	assert_memory_equal(text[1] + strlen(path) + 1, "two", 4);
	release_task(k, t);
	ktest_shutdown(m);
}

/* /proc text is made when it is read, not when it is opened (Linux's seq_file), and a read
 * at offset 0 makes it again. */
static void test_syscall_proc_text_is_printed_at_read_time(void **state)
{
	struct st *s = st_new();
	char text[8192], want[64];
	long fd = open_at(s, "/proc/self/maps", 0, 0);
	assert_true(fd >= 0);
	long a = sys64(s, __NR_mmap, 0x500000000ULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       (uint64_t)-1, 0);
	assert_int_equal(a, 0x500000000L);
	snprintf(want, sizeof(want), "%lx-%lx r--p", a, a + (long)PG);
	long n = sys64(s, __NR_read, (uint64_t)fd, s->scratch + 8192, sizeof(text) - 1, 0, 0, 0);
	assert_true(n > 0);
	uget(s, s->scratch + 8192, text, (size_t)n);
	text[n] = '\0';
	assert_non_null(strstr(text, want));
	/* Unmapped after the first read: a read further on keeps the snapshot... */
	assert_int_equal(sys64(s, __NR_munmap, (uint64_t)a, PG, 0, 0, 0, 0), 0);
	assert_int_equal(sys64(s, __NR_pread64, (uint64_t)fd, s->scratch + 8192, 16, 1, 0, 0), 16);
	/* ...and a read from offset 0 prints the file again. */
	assert_int_equal(sys64(s, __NR_lseek, (uint64_t)fd, 0, 0, 0, 0, 0), 0);
	n = sys64(s, __NR_read, (uint64_t)fd, s->scratch + 8192, sizeof(text) - 1, 0, 0, 0);
	uget(s, s->scratch + 8192, text, (size_t)n);
	text[n] = '\0';
	assert_null(strstr(text, want));
	st_free(s);
}

/* poll: pipes answer from their state, a bad fd is POLLNVAL, a timeout with nothing ready
 * is spent on the virtual clock. struct pollfd: fd +0, events +4, revents +6. */
static void test_syscall_poll_pipes_and_timeouts(void **state)
{
	struct st *s = st_new();
	int fds[2];
	assert_int_equal(sys64(s, __NR_pipe, s->scratch, 0, 0, 0, 0, 0), 0);
	uget(s, s->scratch, fds, sizeof(fds));
	const int16_t in = 0x001, out = 0x004, nval = 0x020;
	int32_t pfd[6] = {fds[0], in, fds[1], out, 77, in};
	uint64_t p = uput(s, 256, pfd, sizeof(pfd));
	s->k->now_ns = 0;
	/* Nothing to read yet: the write end is ready, fd 77 is invalid. */
	assert_int_equal(sys64(s, __NR_poll, p, 3, 1000, 0, 0, 0), 2);
	uget(s, p, pfd, sizeof(pfd));
	assert_int_equal(pfd[1] >> 16, 0);
	assert_int_equal(pfd[3] >> 16, out);
	assert_int_equal(pfd[5] >> 16, nval);
	/* Only the empty read end: the 1.5 s timeout runs on the virtual clock. */
	assert_int_equal(sys64(s, __NR_poll, p, 1, 1500, 0, 0, 0), 0);
	assert_int_equal(s->k->now_ns, 1500000000ULL);
	/* Nothing could ever wake it: -EINTR instead of hanging. */
	assert_int_equal(sys64(s, __NR_poll, p, 1, (uint64_t)-1, 0, 0, 0), -EINTR);
	uint64_t msg = uput(s, 512, "x", 1);
	assert_int_equal(sys64(s, __NR_write, (uint64_t)fds[1], msg, 1, 0, 0, 0), 1);
	assert_int_equal(sys64(s, __NR_poll, p, 1, 0, 0, 0, 0), 1);
	uget(s, p, pfd, 8);
	assert_int_equal(pfd[1] >> 16, in);
	/* ppoll with a zero timespec does not wait. */
	const int64_t zero[2] = {0, 0};
	uint64_t tsp = uput(s, 1024, zero, sizeof(zero));
	assert_int_equal(sys64(s, __NR_ppoll, p, 1, tsp, 0, 8, 0), 1);
	st_free(s);
}

/* link, chown to the task's own ids, truncate, and utimensat with "now" = virtual time. */
static void test_syscall_link_truncate_chown_utimensat(void **state)
{
	struct st *s = st_new();
	struct stat hst;
	host_write_file(st_path(s, "orig"), "0123456789", 10);
	uint64_t orig = ustr(s, 0, st_path(s, "orig"));
	uint64_t alias = ustr(s, 512, st_path(s, "alias"));
	assert_int_equal(sys64(s, __NR_link, orig, alias, 0, 0, 0, 0), 0);
	assert_int_equal(stat(st_path(s, "orig"), &hst), 0);
	assert_int_equal(hst.st_nlink, 2);
	assert_int_equal(sys64(s, __NR_truncate, alias, 4, 0, 0, 0, 0), 0);
	assert_int_equal(stat(st_path(s, "orig"), &hst), 0);
	assert_int_equal(hst.st_size, 4);
	assert_int_equal(sys64(s, __NR_chown, orig, (uint32_t)-1, (uint32_t)-1, 0, 0, 0), 0);
	s->k->now_ns = 5ULL * 1000000000ULL;
	assert_int_equal(sys64(s, __NR_utimensat, (uint64_t)(int64_t)G_AT_FDCWD, orig, 0, 0, 0, 0),
			 0);
	assert_int_equal(stat(st_path(s, "orig"), &hst), 0);
	assert_int_equal(hst.st_mtim.tv_sec, 1704067200 + 5);
	/* Explicit times, with UTIME_OMIT keeping the modification time. */
	const int64_t times[4] = {1000, 0, 0, (1L << 30) - 2};
	uint64_t tp = uput(s, 1024, times, sizeof(times));
	assert_int_equal(sys64(s, __NR_utimensat, (uint64_t)(int64_t)G_AT_FDCWD, orig, tp, 0, 0, 0),
			 0);
	assert_int_equal(stat(st_path(s, "orig"), &hst), 0);
	assert_int_equal(hst.st_atim.tv_sec, 1000);
	assert_int_equal(hst.st_mtim.tv_sec, 1704067200 + 5);
	const int64_t bad[4] = {0, -5, 0, 0};
	tp = uput(s, 1024, bad, sizeof(bad));
	assert_int_equal(sys64(s, __NR_utimensat, (uint64_t)(int64_t)G_AT_FDCWD, orig, tp, 0, 0, 0),
			 -EINVAL);
	st_free(s);
}

/* select: fd_set bitmaps in and out, a timeval timeout on the virtual clock, -EBADF for a
 * closed fd in a set. */
static void test_syscall_select_sets_and_timeout(void **state)
{
	struct st *s = st_new();
	int fds[2];
	assert_int_equal(sys64(s, __NR_pipe, s->scratch, 0, 0, 0, 0, 0), 0);
	uget(s, s->scratch, fds, sizeof(fds));
	uint64_t rset = (1ULL << fds[0]), wset = (1ULL << fds[1]);
	uint64_t r = uput(s, 256, &rset, 8), w = uput(s, 264, &wset, 8);
	const int64_t tv[2] = {0, 250000};
	uint64_t t = uput(s, 512, tv, sizeof(tv));
	s->k->now_ns = 0;
	/* The write end is ready, the read end is not. */
	assert_int_equal(sys64(s, __NR_select, (uint64_t)fds[1] + 1, r, w, 0, t, 0), 1);
	assert_int_equal(uget64(s, r), 0);
	assert_int_equal(uget64(s, w), 1ULL << fds[1]);
	/* Only the empty read end: the 250 ms timeout is spent on the virtual clock. */
	uput(s, 256, &rset, 8);
	assert_int_equal(sys64(s, __NR_select, (uint64_t)fds[0] + 1, r, 0, 0, t, 0), 0);
	assert_int_equal(s->k->now_ns, 250000000ULL);
	uint64_t msg = uput(s, 1024, "y", 1);
	assert_int_equal(sys64(s, __NR_write, (uint64_t)fds[1], msg, 1, 0, 0, 0), 1);
	uput(s, 256, &rset, 8);
	assert_int_equal(sys64(s, __NR_select, (uint64_t)fds[0] + 1, r, 0, 0, t, 0), 1);
	assert_int_equal(uget64(s, r), 1ULL << fds[0]);
	uint64_t bad = 1ULL << 40;
	uint64_t b = uput(s, 272, &bad, 8);
	assert_int_equal(sys64(s, __NR_select, 41, b, 0, 0, t, 0), -EBADF);
	st_free(s);
}

/* /proc lists its entries through getdents64 (linux_dirent64 records: d_reclen at 16,
 * d_name at 19) and /proc/PID/stat has Linux's 52 fields starting "PID (comm) R". */
static void test_syscall_proc_directories_and_stat(void **state)
{
	struct st *s = st_new();
	uint8_t buf[4096];
	char pid[16], want[64];
	snprintf(pid, sizeof(pid), "%d", s->task->pid);
	long fd = open_at(s, "/proc", G_O_DIRECTORY, 0);
	assert_true(fd >= 0);
	assert_int_equal(sys64(s, __NR_read, (uint64_t)fd, s->scratch + 8192, 16, 0, 0, 0),
			 -EISDIR);
	long n = sys64(s, __NR_getdents64, (uint64_t)fd, s->scratch + 8192, sizeof(buf), 0, 0, 0);
	assert_true(n > 0);
	uget(s, s->scratch + 8192, buf, (size_t)n);
	assert_true(dirent_has(buf, n, pid));
	assert_true(dirent_has(buf, n, "self"));
	assert_true(dirent_has(buf, n, "meminfo"));
	assert_int_equal(
	    sys64(s, __NR_getdents64, (uint64_t)fd, s->scratch + 8192, sizeof(buf), 0, 0, 0), 0);
	/* openat relative to /proc/self, and a too-small buffer. */
	long self = open_at(s, "/proc/self", G_O_DIRECTORY, 0);
	assert_int_equal(sys64(s, __NR_getdents64, (uint64_t)self, s->scratch + 8192, 8, 0, 0, 0),
			 -EINVAL);
	n = sys64(s, __NR_getdents64, (uint64_t)self, s->scratch + 8192, sizeof(buf), 0, 0, 0);
	uget(s, s->scratch + 8192, buf, (size_t)n);
	assert_true(dirent_has(buf, n, "maps"));
	assert_true(dirent_has(buf, n, "stat"));
	assert_true(dirent_has(buf, n, "fd"));
	uint64_t rel = ustr(s, 512, "stat");
	long st = sys64(s, __NR_openat, (uint64_t)self, rel, 0, 0, 0, 0);
	assert_true(st >= 0);
	n = sys64(s, __NR_read, (uint64_t)st, s->scratch + 8192, sizeof(buf) - 1, 0, 0, 0);
	assert_true(n > 0);
	uget(s, s->scratch + 8192, buf, (size_t)n);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%s (%s) R ", pid, s->task->comm);
	assert_true(!strncmp((char *)buf, want, strlen(want)));
	int fields = 1;
	for (long i = 0; i < n; i++)
		fields += buf[i] == ' ';
	assert_int_equal(fields, 52);
	assert_int_equal(open_at(s, "/proc/meminfo", G_O_DIRECTORY, 0), -ENOTDIR);
	st_free(s);
}

/* sendfile between host files, with and without an offset. */
static void test_syscall_sendfile_copies_host_files(void **state)
{
	struct st *s = st_new();
	char buf[16] = {0};
	host_write_file(st_path(s, "src"), "abcdefghij", 10);
	long in = open_at(s, st_path(s, "src"), 0, 0);
	long out = open_at(s, st_path(s, "dst"), G_O_RDWR | G_O_CREAT, 0600);
	assert_int_equal(sys64(s, __NR_sendfile, (uint64_t)out, (uint64_t)in, 0, 4, 0, 0), 4);
	const uint64_t off = 8;
	uint64_t p = uput(s, 512, &off, 8);
	assert_int_equal(sys64(s, __NR_sendfile, (uint64_t)out, (uint64_t)in, p, 100, 0, 0), 2);
	assert_int_equal(uget64(s, p), 10);
	/* The offset form left the file position where the first call put it. */
	assert_int_equal(sys64(s, __NR_lseek, (uint64_t)in, 0, 1, 0, 0, 0), 4);
	int hfd = open(st_path(s, "dst"), O_RDONLY);
	assert_int_equal(read(hfd, buf, sizeof(buf)), 6);
	close(hfd);
	assert_string_equal(buf, "abcdij");
	/* A pipe is not a host file: -EINVAL, the caller falls back to read and write. */
	assert_int_equal(sys64(s, __NR_pipe, s->scratch, 0, 0, 0, 0, 0), 0);
	assert_int_equal(
	    sys64(s, __NR_sendfile, uget32(s, s->scratch + 4), (uint64_t)in, 0, 4, 0, 0), -EINVAL);
	st_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_syscall_write_then_read_roundtrip_through_host_file),
	    cmocka_unit_test(test_syscall_bad_pointers_give_efault),
	    cmocka_unit_test(test_syscall_unknown_number_enosys_reported_once),
	    cmocka_unit_test(test_syscall_root_confines_dotdot_and_symlinks),
	    cmocka_unit_test(test_syscall_newfstatat_and_statx_fill_linux_layout),
	    cmocka_unit_test(test_syscall_getdents64_lists_directory),
	    cmocka_unit_test(test_syscall_pipe_carries_bytes_and_reports_eof_and_epipe),
	    cmocka_unit_test(test_syscall_dup_and_fcntl_share_the_description),
	    cmocka_unit_test(test_syscall_file_mmap_shares_cache_with_write),
	    cmocka_unit_test(test_syscall_proc_self_maps_is_proc_pid_maps_show),
	    cmocka_unit_test(test_syscall_proc_status_exe_and_lseek),
	    cmocka_unit_test(test_syscall_proc_text_is_printed_at_read_time),
	    cmocka_unit_test(test_syscall_poll_pipes_and_timeouts),
	    cmocka_unit_test(test_syscall_select_sets_and_timeout),
	    cmocka_unit_test(test_syscall_proc_directories_and_stat),
	    cmocka_unit_test(test_syscall_sendfile_copies_host_files),
	    cmocka_unit_test(test_syscall_link_truncate_chown_utimensat),
	    cmocka_unit_test(test_syscall_chdir_relative_paths_and_unlink),
	    cmocka_unit_test(test_syscall_exec_task_proc_auxv_and_cmdline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
