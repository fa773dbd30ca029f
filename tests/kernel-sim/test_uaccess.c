/*
 * Tests of kernel-sim/uaccess.c: the kernel copying to and from a process's memory through
 * its page tables, faulting pages in with the process's rights, stopping (Linux's short
 * count / -EFAULT) where the VMAs forbid the access.
 */
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
	assert_int_equal(copy_to_user(t->k, t->mm, BASE + 100, msg, sizeof(msg)), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 2);
	assert_int_equal(t->mm->min_flt, 2);
	/* The process sees the bytes at the right addresses, and the ptes are dirty. */
	assert_int_equal(uread8(t->k, t->mm, BASE + 100), 'a');
	assert_int_equal(uread8(t->k, t->mm, BASE + 100 + 5999), 'a' + 5999 % 26);
	assert_true(sdm_leaf(t->k, t->mm, BASE + PG, NULL) & SDM_D);
	char back[6000];
	assert_int_equal(copy_from_user(t->k, t->mm, back, BASE + 100, sizeof(back)), 0);
	assert_memory_equal(back, msg, sizeof(msg));
	/* Reading an untouched page maps the zero page. */
	assert_int_equal(copy_from_user(t->k, t->mm, back, BASE + 2 * PG, 16), 0);
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
	assert_int_equal(copy_to_user(t->k, t->mm, BASE + PG - 100, buf, sizeof(buf)), 200);
	assert_int_equal(uread8(t->k, t->mm, BASE + PG - 1), 'x');
	assert_int_equal(uread8(t->k, t->mm, BASE + PG), 0);
	/* Reading runs into the hole after the second page: the rest is zeroed. */
	assert_int_equal(copy_from_user(t->k, t->mm, buf, BASE + 2 * PG - 50, sizeof(buf)), 250);
	assert_int_equal(buf[49], 0);
	assert_int_equal(buf[50], 0);
	/* Kernel addresses and ranges past TASK_SIZE are refused whole. */
	assert_int_equal(copy_from_user(t->k, t->mm, buf, 0xffff888000000000UL, 8), 8);
	assert_int_equal(copy_to_user(t->k, t->mm, 0x7ffffffff000UL - 4, buf, 8), 8);
	assert_int_equal(clear_user(t->k, t->mm, BASE + PG, 8), 8);
	assert_int_equal(clear_user(t->k, t->mm, BASE + 10, 8), 0);
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
	assert_int_equal(clear_user(t->k, t->mm, BASE + PG - 8, 16), 0); /* a bss-style clear */
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
	assert_int_equal(copy_to_user(t->k, t->mm, at, s, strlen(s) + 1), 0);
	char dst[64];
	assert_int_equal(strncpy_from_user(t->k, t->mm, dst, at, sizeof(dst)), strlen(s));
	assert_string_equal(dst, s);
	assert_int_equal(strncpy_from_user(t->k, t->mm, dst, at, 4), 4);
	assert_memory_equal(dst, "/bin", 4);
	/* No NUL before the end of the mapping. */
	assert_int_equal(copy_to_user(t->k, t->mm, BASE + 2 * PG - 2, "ab", 2), 0);
	assert_int_equal(strncpy_from_user(t->k, t->mm, dst, BASE + 2 * PG - 2, 64), -EFAULT);
	assert_int_equal(strncpy_from_user(t->k, t->mm, dst, BASE + 2 * PG - 2, 2), 2);
	assert_int_equal(strncpy_from_user(t->k, t->mm, dst, 0, 64), -EFAULT);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
