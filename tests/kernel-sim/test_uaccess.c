/*
 * copy_from_user and friends: faulting pages in as the #PF handler would, stopping short
 * at a hole or a protection the fault path refuses, leaving Accessed/Dirty as the
 * hardware would, and the non-faulting reader strace uses changing nothing. Page-table
 * state is read back with the SDM-written walker of mmtest.h.
 */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "tests/kernel-sim/systest.h"

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
	uint64_t slot;
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
		cmocka_unit_test(test_uaccess_copy_to_user_faults_pages_in_dirty),
		cmocka_unit_test(test_uaccess_short_copy_at_hole_returns_uncopied),
		cmocka_unit_test(test_uaccess_write_to_readonly_is_refused),
		cmocka_unit_test(test_uaccess_strncpy_from_user_limits),
		cmocka_unit_test(test_uaccess_nofault_reader_changes_nothing),
		cmocka_unit_test(test_uaccess_stack_grows_on_copy_below),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
