/*
 * Helpers for the system-call tests: a booted machine with one task (an mm, an fd table
 * whose 0-2 are /dev/null, a scratch area of user memory), system calls made the way the
 * entry glue makes them (a struct pt_regs filled and handed to do_syscall_64 or
 * do_int80_syscall_32, no CPU involved), and a temporary host directory.
 * Included by test files after <cmocka.h>.
 */
#ifndef TESTS_SYSTEST_H
#define TESTS_SYSTEST_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-sim/exec.h"
#include "kernel-sim/fs.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/unistd.h"
#include "tests/kernel-sim/mmtest.h"

#define SCRATCH_SIZE (1UL << 20)
#define SCRATCH32 0x10000000UL /* where i386 tasks get their scratch area */

struct st {
	struct mmt *t; /* machine and mm */
	struct kernel *k;
	struct task_struct *task; /* k->current */
	uint64_t scratch;	  /* SCRATCH_SIZE bytes of anonymous read-write user memory */
	char dir[64];		  /* a fresh host directory, removed at the end */
	struct pt_regs regs;	  /* the registers of the last call */
};

static inline struct st *st_new_abi(bool abi32)
{
	struct st *s = calloc(1, sizeof(*s));
	int nul[3];
	assert_non_null(s);
	s->t = mmt_new(64);
	s->k = s->t->k;
	for (int i = 0; i < 3; i++)
		nul[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
	s->task = task_create(s->k, s->t->mm, abi32, nul);
	for (int i = 0; i < 3; i++)
		close(nul[i]);
	assert_non_null(s->task);
	s->t->mm = NULL; /* the task holds the mm now */
	s->k->current = s->task;
	long addr = vm_mmap(s->k, s->task->mm, NULL, abi32 ? SCRATCH32 : 0, SCRATCH_SIZE,
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | (abi32 ? MAP_FIXED : 0), 0);
	assert_true(addr > 0);
	s->scratch = (uint64_t)addr;
	strcpy(s->dir, "/tmp/mmemu-systest-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	return s;
}

static inline struct st *st_new(void)
{
	return st_new_abi(false);
}

static inline int st_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void st_free(struct st *s)
{
	nftw(s->dir, st_rm, 16, FTW_DEPTH | FTW_PHYS);
	release_task(s->k, s->task);
	mmt_free(s->t);
	free(s);
}

/* A system call through SYSCALL: the result as the guest sees it in rax. */
static inline long sys64(struct st *s, unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2,
			 uint64_t a3, uint64_t a4, uint64_t a5)
{
	memset(&s->regs, 0, sizeof(s->regs));
	s->regs.orig_ax = s->regs.ax = nr;
	s->regs.di = a0, s->regs.si = a1, s->regs.dx = a2;
	s->regs.r10 = a3, s->regs.r8 = a4, s->regs.r9 = a5;
	s->regs.cs = __USER_CS;
	s->regs.ss = __USER_DS;
	s->regs.sp = s->scratch + SCRATCH_SIZE - 4096;
	do_syscall_64(s->k, &s->regs);
	return (long)s->regs.ax;
}

/* A system call through INT 0x80: eax as a signed 32-bit value. */
static inline long sys32(struct st *s, unsigned long nr, uint32_t a0, uint32_t a1, uint32_t a2,
			 uint32_t a3, uint32_t a4, uint32_t a5)
{
	memset(&s->regs, 0, sizeof(s->regs));
	s->regs.orig_ax = s->regs.ax = nr;
	s->regs.bx = a0, s->regs.cx = a1, s->regs.dx = a2;
	s->regs.si = a3, s->regs.di = a4, s->regs.bp = a5;
	s->regs.cs = __USER32_CS;
	s->regs.ss = __USER32_DS;
	s->regs.sp = s->scratch + SCRATCH_SIZE - 4096;
	do_int80_syscall_32(s->k, &s->regs);
	assert_true(s->regs.ax <= 0xffffffffu); /* eax, zero-extended */
	return (int32_t)s->regs.ax;
}

/* Puts bytes into user memory at scratch + off; returns their address. */
static inline uint64_t uput(struct st *s, uint64_t off, const void *p, size_t n)
{
	assert_int_equal(copy_to_user(s->k, s->scratch + off, p, n), 0);
	return s->scratch + off;
}

static inline uint64_t ustr(struct st *s, uint64_t off, const char *str)
{
	return uput(s, off, str, strlen(str) + 1);
}

/* Reads n bytes of user memory at addr. */
static inline void uget(struct st *s, uint64_t addr, void *p, size_t n)
{
	assert_int_equal(copy_from_user(s->k, p, addr, n), 0);
}

static inline uint64_t uget64(struct st *s, uint64_t addr)
{
	uint64_t v;
	uget(s, addr, &v, 8);
	return v;
}

static inline uint32_t uget32(struct st *s, uint64_t addr)
{
	uint32_t v;
	uget(s, addr, &v, 4);
	return v;
}

/* A host path inside the test directory. */
static inline const char *st_path(struct st *s, const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s/%s", s->dir, name);
	return buf;
}

static inline void host_write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

#endif /* TESTS_SYSTEST_H */
