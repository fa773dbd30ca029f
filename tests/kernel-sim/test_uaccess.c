/*
 * Tests of kernel-sim/uaccess.c: the kernel copying to and from a process's memory through
 * its page tables, faulting pages in with the process's rights, stopping (Linux's short
 * count / -EFAULT) where the VMAs forbid the access; then the current-task forms the system
 * calls use, and the tracer's non-faulting reader.
 */
#define _GNU_SOURCE /* nftw (systest.h) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel-sim/uaccess.h"
#include "tests/kernel-sim/mmtest.h"
#include "tests/kernel-sim/systest.h"

#define BASE 0x10000000UL

static int setup(void **state)
{
	*state = mmt_new(64);
	return 0;
}

static int teardown(void **state)
{
	mmt_free(*state);
	return 0;
}

static void test_uaccess_copy_round_trip_across_pages_faults_in(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 3 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	char msg[6000];
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i % 26);
	assert_int_equal(copy_to_user_mm(t->k, t->mm, BASE + 100, msg, sizeof(msg)), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 2);
	assert_int_equal(t->mm->min_flt, 2);
	/* The process sees the bytes at the right addresses, and the ptes are dirty. */
	assert_int_equal(uread8(t->k, t->mm, BASE + 100), 'a');
	assert_int_equal(uread8(t->k, t->mm, BASE + 100 + 5999), 'a' + 5999 % 26);
	assert_true(sdm_leaf(t->k, t->mm, BASE + PG, NULL) & SDM_D);
	char back[6000];
	assert_int_equal(copy_from_user_mm(t->k, t->mm, back, BASE + 100, sizeof(back)), 0);
	assert_memory_equal(back, msg, sizeof(msg));
	/* Reading an untouched page maps the zero page. */
	assert_int_equal(copy_from_user_mm(t->k, t->mm, back, BASE + 2 * PG, 16), 0);
	assert_int_equal(back[0], 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 2);
}

static void test_uaccess_stops_at_forbidden_pages_short_count(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	assert_int_equal(anon_map(t, BASE + PG, PG, PROT_READ, MAP_FIXED), BASE + PG);
	char buf[300];
	memset(buf, 'x', sizeof(buf));
	/* 100 bytes fit before the read-only page. */
	assert_int_equal(copy_to_user_mm(t->k, t->mm, BASE + PG - 100, buf, sizeof(buf)), 200);
	assert_int_equal(uread8(t->k, t->mm, BASE + PG - 1), 'x');
	assert_int_equal(uread8(t->k, t->mm, BASE + PG), 0);
	/* Reading runs into the hole after the second page: the rest is zeroed. */
	assert_int_equal(copy_from_user_mm(t->k, t->mm, buf, BASE + 2 * PG - 50, sizeof(buf)), 250);
	assert_int_equal(buf[49], 0);
	assert_int_equal(buf[50], 0);
	/* Kernel addresses and ranges past TASK_SIZE are refused whole. */
	assert_int_equal(copy_from_user_mm(t->k, t->mm, buf, 0xffff888000000000UL, 8), 8);
	assert_int_equal(copy_to_user_mm(t->k, t->mm, 0x7ffffffff000UL - 4, buf, 8), 8);
	assert_int_equal(clear_user_mm(t->k, t->mm, BASE + PG, 8), 8);
	assert_int_equal(clear_user_mm(t->k, t->mm, BASE + 10, 8), 0);
	assert_int_equal(uread8(t->k, t->mm, BASE + 10), 0);
}

static void test_uaccess_private_file_write_copies(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[2 * PG];
	memset(data, 7, sizeof(data));
	struct file *f = file_from_buffer(t->k, "/lib.so", data, sizeof(data), FMODE_READ);
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE, 2 * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_FIXED, 0),
			 BASE);
	assert_int_equal(clear_user_mm(t->k, t->mm, BASE + PG - 8, 16), 0); /* a bss-style clear */
	assert_int_equal(uread8(t->k, t->mm, BASE + PG - 9), 7);
	assert_int_equal(uread8(t->k, t->mm, BASE + PG - 8), 0);
	assert_int_equal(uread8(t->k, t->mm, BASE + PG + 8), 7);
	assert_int_equal(((uint8_t *)page_address(t->k, find_get_page(f, 0)))[PG - 8], 7);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 2);
	mmput(t->k, t->mm);
	t->mm = NULL;
	fput(t->k, f);
}

static void test_uaccess_strncpy_from_user_lengths(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 2 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	const char *s = "/bin/busybox";
	unsigned long at = BASE + PG - 5; /* straddles the page boundary */
	assert_int_equal(copy_to_user_mm(t->k, t->mm, at, s, strlen(s) + 1), 0);
	char dst[64];
	assert_int_equal(strncpy_from_user_mm(t->k, t->mm, dst, at, sizeof(dst)), strlen(s));
	assert_string_equal(dst, s);
	assert_int_equal(strncpy_from_user_mm(t->k, t->mm, dst, at, 4), 4);
	assert_memory_equal(dst, "/bin", 4);
	/* No NUL before the end of the mapping. */
	assert_int_equal(copy_to_user_mm(t->k, t->mm, BASE + 2 * PG - 2, "ab", 2), 0);
	assert_int_equal(strncpy_from_user_mm(t->k, t->mm, dst, BASE + 2 * PG - 2, 64), -EFAULT);
	assert_int_equal(strncpy_from_user_mm(t->k, t->mm, dst, BASE + 2 * PG - 2, 2), 2);
	assert_int_equal(strncpy_from_user_mm(t->k, t->mm, dst, 0, 64), -EFAULT);
}

/* ---- the current-task forms (a task made with systest.h) ---- */

static long map(struct st *s, uint64_t len, unsigned long prot)
{
	return vm_mmap(s->k, s->task->mm, NULL, 0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, 0);
}

static void test_uaccess_copy_to_user_faults_pages_in_dirty(void **state)
{
	struct st *s = st_new();
	long a = map(s, 2 * PG, PROT_READ | PROT_WRITE);
	char msg[100], back[100];
	memset(msg, 'm', sizeof(msg));
	assert_int_equal(sdm_leaf(s->k, s->task->mm, (uint64_t)a, NULL), 0);
	/* Across the page boundary: both pages get mapped, accessed and dirty. */
	assert_int_equal(copy_to_user(s->k, (uint64_t)a + PG - 50, msg, sizeof(msg)), 0);
	for (int i = 0; i < 2; i++) {
		uint64_t leaf = sdm_leaf(s->k, s->task->mm, (uint64_t)a + i * PG, NULL);
		assert_true(leaf & SDM_P);
		assert_true(leaf & SDM_A);
		assert_true(leaf & SDM_D);
	}
	assert_int_equal(copy_from_user(s->k, back, (uint64_t)a + PG - 50, sizeof(back)), 0);
	assert_memory_equal(back, msg, sizeof(msg));
	/* The bytes are where the hardware finds them. */
	assert_int_equal(uread8(s->k, s->task->mm, (uint64_t)a + PG + 49), 'm');
	assert_int_equal(s->task->mm->min_flt, 2);
	st_free(s);
}

static void test_uaccess_short_copy_at_hole_returns_uncopied(void **state)
{
	struct st *s = st_new();
	long a = map(s, 2 * PG, PROT_READ | PROT_WRITE);
	char buf[300];
	memset(buf, 0, sizeof(buf));
	assert_int_equal(do_munmap(s->k, s->task->mm, (unsigned long)a + PG, PG), 0);
	/* 100 bytes before the hole, 200 in it. */
	assert_int_equal(copy_from_user(s->k, buf, (uint64_t)a + PG - 100, 300), 200);
	assert_int_equal(copy_to_user(s->k, (uint64_t)a + PG - 100, buf, 300), 200);
	assert_int_equal(clear_user(s->k, (uint64_t)a + PG - 100, 300), 200);
	/* Kernel and non-canonical addresses: nothing, without a fault. */
	assert_int_equal(copy_from_user(s->k, buf, 0xffff888000000000ULL, 8), 8);
	assert_int_equal(copy_from_user(s->k, buf, (1ULL << 47) - 4, 8), 8);
	assert_int_equal(copy_from_user(s->k, buf, UINT64_MAX - 2, 8), 8);
	st_free(s);
}

static void test_uaccess_write_to_readonly_is_refused(void **state)
{
	struct st *s = st_new();
	long a = map(s, PG, PROT_READ);
	char buf[8] = "abcdefg";
	assert_int_equal(copy_to_user(s->k, (uint64_t)a, buf, 8), 8);
	/* Reading faults in the zero page: zeros, not writable. */
	assert_int_equal(copy_from_user(s->k, buf, (uint64_t)a, 8), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(buf[i], 0);
	uint64_t leaf = sdm_leaf(s->k, s->task->mm, (uint64_t)a, NULL);
	assert_true(leaf & SDM_P);
	assert_false(leaf & SDM_RW);
	long none = map(s, PG, PROT_NONE);
	assert_int_equal(copy_from_user(s->k, buf, (uint64_t)none, 1), 1);
	st_free(s);
}

static void test_uaccess_strncpy_from_user_limits(void **state)
{
	struct st *s = st_new();
	long a = map(s, 2 * PG, PROT_READ | PROT_WRITE);
	char out[64];
	/* A string across the page boundary. */
	assert_int_equal(copy_to_user(s->k, (uint64_t)a + PG - 3, "abcdef", 7), 0);
	assert_int_equal(strncpy_from_user(s->k, out, (uint64_t)a + PG - 3, sizeof(out)), 6);
	assert_string_equal(out, "abcdef");
	/* No NUL within count: count, unterminated. */
	assert_int_equal(strncpy_from_user(s->k, out, (uint64_t)a + PG - 3, 4), 4);
	assert_memory_equal(out, "abcd", 4);
	/* The string runs into a hole before its NUL. */
	assert_int_equal(do_munmap(s->k, s->task->mm, (unsigned long)a + PG, PG), 0);
	assert_int_equal(copy_to_user(s->k, (uint64_t)a + PG - 3, "xyz", 3), 0);
	assert_int_equal(strncpy_from_user(s->k, out, (uint64_t)a + PG - 3, sizeof(out)), -EFAULT);
	st_free(s);
}

static void test_uaccess_nofault_reader_changes_nothing(void **state)
{
	struct st *s = st_new();
	long a = map(s, 2 * PG, PROT_READ | PROT_WRITE);
	char buf[16];
	/* Untouched memory: nothing read, nothing mapped, no fault counted. */
	assert_int_equal(copy_from_user_nofault_mm(s->k, s->task->mm, buf, (uint64_t)a, 16), 0);
	assert_int_equal(sdm_leaf(s->k, s->task->mm, (uint64_t)a, NULL), 0);
	assert_int_equal(s->task->mm->min_flt, 0);
	/* A mapped page reads up to the unmapped one; Accessed stays as it was. */
	assert_int_equal(copy_to_user(s->k, (uint64_t)a + PG - 4, "wxyz", 4), 0);
	uint64_t slot = 0;
	uint64_t leaf = sdm_leaf(s->k, s->task->mm, (uint64_t)a, &slot);
	bus_store(s->k->bus, slot, leaf & ~SDM_A, 8);
	assert_int_equal(copy_from_user_nofault_mm(s->k, s->task->mm, buf, (uint64_t)a + PG - 4, 16), 4);
	assert_memory_equal(buf, "wxyz", 4);
	assert_false(sdm_leaf(s->k, s->task->mm, (uint64_t)a, NULL) & SDM_A);
	assert_int_equal(sdm_leaf(s->k, s->task->mm, (uint64_t)a + PG, NULL), 0);
	st_free(s);
}

static void test_uaccess_stack_grows_on_copy_below(void **state)
{
	struct st *s = st_new();
	struct mm_struct *mm = s->task->mm;
	const unsigned long top = 0x7ffff0000000UL;
	assert_int_equal(setup_stack_vma(s->k, mm, top, 8 * PG), 0);
	/* 10 pages below the VMA's start: within the guard gap rules, the stack expands. */
	uint64_t below = top - 18 * PG;
	assert_int_equal(copy_to_user(s->k, below, "s", 1), 0);
	struct vm_area_struct *vma = vma_lookup(mm, below);
	assert_non_null(vma);
	assert_true(vma->vm_flags & VM_GROWSDOWN);
	st_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_uaccess_copy_round_trip_across_pages_faults_in),
		T(test_uaccess_stops_at_forbidden_pages_short_count),
		T(test_uaccess_private_file_write_copies),
		T(test_uaccess_strncpy_from_user_lengths),
#undef T
		cmocka_unit_test(test_uaccess_copy_to_user_faults_pages_in_dirty),
		cmocka_unit_test(test_uaccess_short_copy_at_hole_returns_uncopied),
		cmocka_unit_test(test_uaccess_write_to_readonly_is_refused),
		cmocka_unit_test(test_uaccess_strncpy_from_user_limits),
		cmocka_unit_test(test_uaccess_nofault_reader_changes_nothing),
		cmocka_unit_test(test_uaccess_stack_grows_on_copy_below),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
