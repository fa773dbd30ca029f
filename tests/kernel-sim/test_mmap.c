/*
 * Tests of VMA operations (kernel-sim/vma.c, mmap.c, mprotect.c, mremap.c, madvise.c,
 * mlock.c), in the manner of Linux's tools/testing/vma: driven from C, checking the VMA
 * list after each operation against what Linux does (mm/vma.c's merge rules, x86-64's
 * top-down layout, the errno of each refusal), and a randomized run against a page-by-page
 * reference model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/kernel-sim/mmtest.h"

#define BASE 0x10000000UL
#define RW (PROT_READ | PROT_WRITE)
/* x86-64, ASLR off: TASK_SIZE is 2^47 - 4096 and mmap_base sits 128 MiB below it. */
#define TASK_SIZE_X86_64 0x7ffffffff000UL
#define MMAP_BASE_NORAND 0x7ffff7fff000UL

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

/* Asserts that the VMAs are exactly the n ranges given as start, end pairs. */
static void expect_vmas(struct mm_struct *mm, int n, ...)
{
	va_list ap;
	va_start(ap, n);
	struct vm_area_struct *v = mm->mmap;
	for (int i = 0; i < n; i++, v = v->vm_next) {
		unsigned long s = va_arg(ap, unsigned long), e = va_arg(ap, unsigned long);
		if (!v)
			fail_msg("VMA %d missing: want %lx-%lx", i, s, e);
		if (v->vm_start != s || v->vm_end != e)
			fail_msg("VMA %d is %lx-%lx, want %lx-%lx", i, v->vm_start, v->vm_end, s, e);
	}
	va_end(ap);
	assert_null(v);
	assert_int_equal(mm->map_count, n);
}

/* ---- merging ---- */

static void test_mmap_adjacent_anon_merges(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 4 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(anon_map(t, BASE + 4 * PG, 2 * PG, RW, MAP_FIXED), BASE + 4 * PG);
	assert_int_equal(anon_map(t, BASE - 2 * PG, 2 * PG, RW, MAP_FIXED), BASE - 2 * PG);
	expect_vmas(t->mm, 1, BASE - 2 * PG, BASE + 6 * PG);
	/* Filling the hole between two VMAs joins all three. */
	assert_int_equal(anon_map(t, BASE + 8 * PG, 2 * PG, RW, MAP_FIXED), BASE + 8 * PG);
	expect_vmas(t->mm, 2, BASE - 2 * PG, BASE + 6 * PG, BASE + 8 * PG, BASE + 10 * PG);
	assert_int_equal(anon_map(t, BASE + 6 * PG, 2 * PG, RW, MAP_FIXED), BASE + 6 * PG);
	expect_vmas(t->mm, 1, BASE - 2 * PG, BASE + 10 * PG);
	assert_int_equal(t->mm->total_vm, 12);
	assert_int_equal(t->mm->data_vm, 12);
}

static void test_mmap_topdown_consecutive_maps_merge(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(t->mm->task_size, TASK_SIZE_X86_64);
	assert_int_equal(t->mm->mmap_base, MMAP_BASE_NORAND);
	long a = anon_map(t, 0, 2 * PG, RW, 0);
	long b = anon_map(t, 0, 3 * PG, RW, 0);
	assert_int_equal(a, MMAP_BASE_NORAND - 2 * PG);
	assert_int_equal(b, MMAP_BASE_NORAND - 5 * PG);
	expect_vmas(t->mm, 1, (unsigned long)b, MMAP_BASE_NORAND);
}

static void test_mmap_different_flags_do_not_merge(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 2 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(anon_map(t, BASE + 2 * PG, 2 * PG, PROT_READ, MAP_FIXED), BASE + 2 * PG);
	assert_int_equal(anon_map(t, BASE + 4 * PG, 2 * PG, RW, MAP_FIXED | MAP_NORESERVE),
			 BASE + 4 * PG);
	expect_vmas(t->mm, 3, BASE, BASE + 2 * PG, BASE + 2 * PG, BASE + 4 * PG, BASE + 4 * PG,
		    BASE + 6 * PG);
	assert_true(t->mm->mmap->vm_flags & VM_ACCOUNT);
	assert_false(t->mm->mmap->vm_next->vm_flags & VM_ACCOUNT);
	assert_true(t->mm->mmap->vm_next->vm_next->vm_flags & VM_NORESERVE);
}

static void test_mmap_file_merges_only_with_same_file_and_offset(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[16 * PG];
	struct file *f = file_from_buffer(t->k, "/f", data, sizeof(data), FMODE_READ);
	struct file *g = file_from_buffer(t->k, "/g", data, sizeof(data), FMODE_READ);
	const unsigned long P = MAP_PRIVATE | MAP_FIXED;
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE, 2 * PG, PROT_READ, P, 0), BASE);
	/* Offset 5 pages does not continue offset 0 + 2 pages. */
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE + 2 * PG, 2 * PG, PROT_READ, P, 5 * PG),
			 BASE + 2 * PG);
	expect_vmas(t->mm, 2, BASE, BASE + 2 * PG, BASE + 2 * PG, BASE + 4 * PG);
	/* Offset 2 continues it: replaces the second and merges. */
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE + 2 * PG, 2 * PG, PROT_READ, P, 2 * PG),
			 BASE + 2 * PG);
	expect_vmas(t->mm, 1, BASE, BASE + 4 * PG);
	/* Another file at the continuing offset does not merge. */
	assert_int_equal(vm_mmap(t->k, t->mm, g, BASE + 4 * PG, 2 * PG, PROT_READ, P, 4 * PG),
			 BASE + 4 * PG);
	/* Nor does anonymous memory next to a file. */
	assert_int_equal(anon_map(t, BASE + 6 * PG, 2 * PG, PROT_READ, MAP_FIXED), BASE + 6 * PG);
	expect_vmas(t->mm, 3, BASE, BASE + 4 * PG, BASE + 4 * PG, BASE + 6 * PG, BASE + 6 * PG,
		    BASE + 8 * PG);
	assert_int_equal(f->f_count, 2);
	mmput(t->k, t->mm);
	t->mm = NULL;
	assert_int_equal(f->f_count, 1);
	fput(t->k, f);
	fput(t->k, g);
}

/* ---- munmap ---- */

static void test_munmap_middle_splits_in_two(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 10 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(do_munmap(t->k, t->mm, BASE + 3 * PG, 3 * PG), 0);
	expect_vmas(t->mm, 2, BASE, BASE + 3 * PG, BASE + 6 * PG, BASE + 10 * PG);
	assert_int_equal(t->mm->mmap->vm_next->vm_pgoff, (BASE >> 12) + 6);
	assert_int_equal(t->mm->total_vm, 7);
	assert_int_equal(t->mm->hiwater_vm, 10);
	/* Across both pieces and the hole: trims both. */
	assert_int_equal(do_munmap(t->k, t->mm, BASE + 2 * PG, 5 * PG), 0);
	expect_vmas(t->mm, 2, BASE, BASE + 2 * PG, BASE + 7 * PG, BASE + 10 * PG);
	/* An unmapped range is fine; bad arguments are not. */
	assert_int_equal(do_munmap(t->k, t->mm, BASE + 100 * PG, PG), 0);
	assert_int_equal(do_munmap(t->k, t->mm, BASE + 1, PG), -EINVAL);
	assert_int_equal(do_munmap(t->k, t->mm, BASE, 0), -EINVAL);
	assert_int_equal(do_munmap(t->k, t->mm, TASK_SIZE_X86_64 - PG, 2 * PG), -EINVAL);
}

static void test_munmap_map_count_limit_enomem(void **state)
{
	struct mmt *t = *state;
	t->k->vm->max_map_count = 3;
	assert_int_equal(anon_map(t, BASE, 10 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(do_munmap(t->k, t->mm, BASE + PG, PG), 0);
	assert_int_equal(do_munmap(t->k, t->mm, BASE + 3 * PG, PG), 0);
	assert_int_equal(t->mm->map_count, 3);
	assert_int_equal(do_munmap(t->k, t->mm, BASE + 5 * PG, PG), -ENOMEM);
	assert_int_equal(t->mm->map_count, 3);
	t->k->vm->max_map_count = 65530;
}

/* ---- mprotect ---- */

static void test_mprotect_middle_splits_three_and_merges_back(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 9 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(do_mprotect(t->k, t->mm, BASE + 3 * PG, 3 * PG, PROT_READ), 0);
	expect_vmas(t->mm, 3, BASE, BASE + 3 * PG, BASE + 3 * PG, BASE + 6 * PG, BASE + 6 * PG,
		    BASE + 9 * PG);
	struct vm_area_struct *mid = t->mm->mmap->vm_next;
	assert_int_equal(mid->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	assert_true(mid->vm_flags & VM_ACCOUNT); /* the charge stays with the pages */
	assert_int_equal(mid->vm_pgoff, (BASE >> 12) + 3);
	assert_int_equal(t->mm->data_vm, 6);
	assert_int_equal(t->mm->total_vm, 9);
	assert_int_equal(do_mprotect(t->k, t->mm, BASE + 3 * PG, 3 * PG, RW), 0);
	expect_vmas(t->mm, 1, BASE, BASE + 9 * PG);
	assert_int_equal(t->mm->data_vm, 9);
	/* The tail only: two VMAs, then back to one. */
	assert_int_equal(do_mprotect(t->k, t->mm, BASE + 7 * PG, 2 * PG, PROT_NONE), 0);
	expect_vmas(t->mm, 2, BASE, BASE + 7 * PG, BASE + 7 * PG, BASE + 9 * PG);
	assert_int_equal(do_mprotect(t->k, t->mm, BASE, 9 * PG, RW), 0);
	expect_vmas(t->mm, 1, BASE, BASE + 9 * PG);
}

static void test_mprotect_errors(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[4 * PG];
	struct file *f = file_from_buffer(t->k, "/ro", data, sizeof(data), FMODE_READ);
	assert_int_equal(anon_map(t, BASE, 2 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(anon_map(t, BASE + 3 * PG, 2 * PG, RW, MAP_FIXED), BASE + 3 * PG);
	assert_int_equal(do_mprotect(t->k, t->mm, BASE + 1, PG, PROT_READ), -EINVAL);
	assert_int_equal(do_mprotect(t->k, t->mm, BASE, PG, 0x80), -EINVAL);
	assert_int_equal(do_mprotect(t->k, t->mm, BASE + 2 * PG, PG, PROT_READ), -ENOMEM);
	/* Across the hole: the part before it changes, then -ENOMEM (as Linux). */
	assert_int_equal(do_mprotect(t->k, t->mm, BASE + PG, 3 * PG, PROT_READ), -ENOMEM);
	expect_vmas(t->mm, 3, BASE, BASE + PG, BASE + PG, BASE + 2 * PG, BASE + 3 * PG,
		    BASE + 5 * PG);
	/* A shared mapping of a read-only file may never become writable. */
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE + 8 * PG, 4 * PG, PROT_READ,
				 MAP_SHARED | MAP_FIXED, 0),
			 BASE + 8 * PG);
	assert_false(find_vma(t->mm, BASE + 8 * PG)->vm_flags & VM_MAYWRITE);
	assert_int_equal(do_mprotect(t->k, t->mm, BASE + 8 * PG, PG, RW), -EACCES);
	assert_int_equal(vm_mmap(t->k, t->mm, f, 0, PG, RW, MAP_SHARED, 0), -EACCES);
	mmput(t->k, t->mm);
	t->mm = NULL;
	fput(t->k, f);
}

/* ---- get_unmapped_area, MAP_FIXED, MAP_FIXED_NOREPLACE ---- */

static void test_mmap_hint_and_topdown_search(void **state)
{
	struct mmt *t = *state;
	/* A free hint is taken (rounded to a page). */
	assert_int_equal(anon_map(t, BASE + 123, PG, RW, 0), BASE);
	/* An occupied hint is not: the top-down search answers instead. */
	long b = anon_map(t, BASE, 2 * PG, PROT_READ, 0);
	assert_int_equal(b, MMAP_BASE_NORAND - 2 * PG);
	/* A hint below mmap_min_addr (64 KiB) is moved up to it. */
	assert_int_equal(anon_map(t, 0x1000, PG, PROT_READ, 0), 0x10000);
	/* The highest gap below mmap_base that fits: a hole of 3 pages is skipped by a
	 * 4-page request and used by a 3-page one. */
	unsigned long top = MMAP_BASE_NORAND;
	assert_int_equal(anon_map(t, top - 10 * PG, 5 * PG, PROT_EXEC, MAP_FIXED), top - 10 * PG);
	/* Now: [top-10p, top-5p) exec, [top-5p, top-2p) hole, [top-2p, top) read. */
	assert_int_equal(anon_map(t, 0, 4 * PG, RW, 0), top - 14 * PG);
	assert_int_equal(anon_map(t, 0, 3 * PG, RW, 0), top - 5 * PG);
	/* Bad lengths. */
	assert_int_equal(anon_map(t, 0, 0, RW, 0), -EINVAL);
	assert_int_equal(anon_map(t, 0, TASK_SIZE_X86_64, RW, 0), -ENOMEM);
	assert_int_equal(anon_map(t, 0, ~0UL - 100, RW, 0), -ENOMEM);
	assert_int_equal(anon_map(t, BASE + 1, PG, RW, MAP_FIXED), -EINVAL);
	assert_int_equal(anon_map(t, 0x1000, PG, RW, MAP_FIXED), -EPERM); /* mmap_min_addr */
	assert_int_equal(anon_map(t, TASK_SIZE_X86_64 - PG, 2 * PG, RW, MAP_FIXED), -ENOMEM);
}

static void test_mmap_fixed_replaces_existing_mapping(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 8 * PG, RW, MAP_FIXED), BASE);
	uwrite8(t->k, t->mm, BASE + 3 * PG, 9);
	assert_int_equal(anon_map(t, BASE + 2 * PG, 3 * PG, PROT_READ, MAP_FIXED), BASE + 2 * PG);
	expect_vmas(t->mm, 3, BASE, BASE + 2 * PG, BASE + 2 * PG, BASE + 5 * PG, BASE + 5 * PG,
		    BASE + 8 * PG);
	assert_int_equal(t->mm->total_vm, 8);
	assert_int_equal(get_mm_rss(t->mm), 0);
	assert_int_equal(uread8(t->k, t->mm, BASE + 3 * PG), 0);
}

static void test_mmap_fixed_noreplace_eexist(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 4 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(anon_map(t, BASE + 3 * PG, 4 * PG, RW, MAP_FIXED_NOREPLACE), -EEXIST);
	assert_int_equal(anon_map(t, BASE - PG, PG, PROT_READ, MAP_FIXED_NOREPLACE), BASE - PG);
	expect_vmas(t->mm, 2, BASE - PG, BASE, BASE, BASE + 4 * PG);
}

static void test_mmap_bad_type_and_file_arguments(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(vm_mmap(t->k, t->mm, NULL, 0, PG, RW, MAP_ANONYMOUS, 0), -EINVAL);
	assert_int_equal(vm_mmap(t->k, t->mm, NULL, 0, PG, RW, MAP_PRIVATE, 0), -EBADF);
	assert_int_equal(vm_mmap(t->k, t->mm, NULL, 0, PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, 1),
			 -EINVAL);
	assert_int_equal(vm_mmap(t->k, t->mm, NULL, 0, PG, RW,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, 0),
			 -EINVAL);
	assert_int_equal(t->mm->map_count, 0);
}

static void test_mmap_growsdown_and_shared_flags(void **state)
{
	struct mmt *t = *state;
	long a = anon_map(t, 0, 4 * PG, RW, MAP_GROWSDOWN);
	assert_true(a > 0);
	struct vm_area_struct *v = find_vma(t->mm, (unsigned long)a);
	assert_int_equal(v->vm_flags, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
					      VM_GROWSDOWN | VM_ACCOUNT);
	assert_int_equal(t->mm->stack_vm, 4);
	long s = vm_mmap(t->k, t->mm, NULL, 0, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, 0);
	v = find_vma(t->mm, (unsigned long)s);
	assert_int_equal(v->vm_flags, VM_READ | VM_WRITE | VM_SHARED | VM_MAYREAD | VM_MAYWRITE |
					      VM_MAYEXEC | VM_MAYSHARE);
	assert_non_null(v->vm_file);
	assert_int_equal(v->vm_pgoff, 0);
	/* protection_map: private writable maps read-only, shared writable read-write. */
	assert_int_equal(pgprot_val(vm_get_page_prot(VM_READ | VM_WRITE)) & (SDM_RW | SDM_XD),
			 SDM_XD);
	assert_int_equal(
		pgprot_val(vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED)) & (SDM_RW | SDM_XD),
		SDM_RW | SDM_XD);
	assert_int_equal(pgprot_val(vm_get_page_prot(VM_READ | VM_EXEC)) & (SDM_RW | SDM_XD), 0);
	assert_false(pgprot_val(vm_get_page_prot(VM_NONE)) & SDM_P);
}

/* ---- brk ---- */

static void test_brk_grows_shrinks_and_refuses(void **state)
{
	struct mmt *t = *state;
	const unsigned long start = 0x601000;
	mm_set_brk_base(t->mm, start);
	assert_int_equal(do_brk(t->k, t->mm, 0), start); /* a query */
	assert_int_equal(do_brk(t->k, t->mm, start + 100), start + 100);
	expect_vmas(t->mm, 1, start, start + PG);
	assert_int_equal(do_brk(t->k, t->mm, start + 3 * PG + 5), start + 3 * PG + 5);
	expect_vmas(t->mm, 1, start, start + 4 * PG);
	assert_int_equal(t->mm->mmap->vm_flags, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE |
							VM_MAYEXEC | VM_ACCOUNT);
	uwrite8(t->k, t->mm, start + 3 * PG, 1);
	/* Shrinking unmaps whole pages past the new break. */
	assert_int_equal(do_brk(t->k, t->mm, start + PG + 1), start + PG + 1);
	expect_vmas(t->mm, 1, start, start + 2 * PG);
	assert_int_equal(get_mm_rss(t->mm), 0);
	/* Below start_brk: refused, the old break comes back. */
	assert_int_equal(do_brk(t->k, t->mm, start - PG), start + PG + 1);
	/* Up against a mapping: refused (one page must stay free below it). */
	assert_int_equal(anon_map(t, start + 10 * PG, PG, PROT_READ, MAP_FIXED), start + 10 * PG);
	assert_int_equal(do_brk(t->k, t->mm, start + 10 * PG), start + PG + 1);
	assert_int_equal(do_brk(t->k, t->mm, start + 9 * PG), start + 9 * PG);
	assert_int_equal(do_brk(t->k, t->mm, start + 9 * PG + 1), start + 9 * PG);
	/* RLIMIT_DATA bounds heap plus data. */
	t->mm->start_data = 0x600000;
	t->mm->end_data = 0x601000;
	t->mm->rlim.data = 9 * PG;
	assert_int_equal(do_brk(t->k, t->mm, start + 8 * PG + 1), start + 9 * PG);
	assert_int_equal(do_brk(t->k, t->mm, start + 2 * PG), start + 2 * PG);
	expect_vmas(t->mm, 2, start, start + 2 * PG, start + 10 * PG, start + 11 * PG);
}

/* ---- mremap ---- */

static void test_mremap_grow_in_place_shrink_and_move(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 4 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(do_mremap(t->k, t->mm, BASE, 4 * PG, 6 * PG, 0, 0), BASE);
	expect_vmas(t->mm, 1, BASE, BASE + 6 * PG);
	assert_int_equal(t->mm->total_vm, 6);
	assert_int_equal(do_mremap(t->k, t->mm, BASE, 6 * PG, 2 * PG, 0, 0), BASE);
	expect_vmas(t->mm, 1, BASE, BASE + 2 * PG);
	/* Growing into an identical neighbour joins it. */
	assert_int_equal(anon_map(t, BASE + 4 * PG, 2 * PG, RW, MAP_FIXED), BASE + 4 * PG);
	assert_int_equal(do_mremap(t->k, t->mm, BASE, 2 * PG, 4 * PG, 0, 0), BASE);
	expect_vmas(t->mm, 1, BASE, BASE + 6 * PG);
	/* Blocked by a different mapping: -ENOMEM without MAYMOVE, a move with it. */
	assert_int_equal(anon_map(t, BASE + 6 * PG, PG, PROT_READ, MAP_FIXED), BASE + 6 * PG);
	assert_int_equal(do_mremap(t->k, t->mm, BASE, 6 * PG, 8 * PG, 0, 0), -ENOMEM);
	long n = do_mremap(t->k, t->mm, BASE, 6 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
	assert_int_equal(n, MMAP_BASE_NORAND - 8 * PG);
	expect_vmas(t->mm, 2, BASE + 6 * PG, BASE + 7 * PG, MMAP_BASE_NORAND - 8 * PG,
		    MMAP_BASE_NORAND);
	assert_int_equal(t->mm->total_vm, 9);
	/* MREMAP_FIXED to a chosen address, replacing what was there. */
	assert_int_equal(do_mremap(t->k, t->mm, (unsigned long)n, 8 * PG, 8 * PG,
				   MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 5 * PG),
			 BASE + 5 * PG);
	expect_vmas(t->mm, 1, BASE + 5 * PG, BASE + 13 * PG);
	/* Errors. */
	assert_int_equal(do_mremap(t->k, t->mm, BASE + 5 * PG, PG, 2 * PG, MREMAP_FIXED, BASE),
			 -EINVAL);
	assert_int_equal(do_mremap(t->k, t->mm, BASE, PG, 2 * PG, MREMAP_MAYMOVE, 0), -EFAULT);
	assert_int_equal(do_mremap(t->k, t->mm, BASE + 5 * PG, 20 * PG, 30 * PG, MREMAP_MAYMOVE, 0),
			 -EFAULT);
	assert_int_equal(do_mremap(t->k, t->mm, BASE + 5 * PG, PG, 2 * PG,
				   MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 4 * PG),
			 -EINVAL); /* overlapping */
}

/* ---- madvise, mlock ---- */

static void test_madvise_flag_hints_split_and_merge(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 8 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(do_madvise(t->k, t->mm, BASE + 2 * PG, 2 * PG, MADV_SEQUENTIAL), 0);
	expect_vmas(t->mm, 3, BASE, BASE + 2 * PG, BASE + 2 * PG, BASE + 4 * PG, BASE + 4 * PG,
		    BASE + 8 * PG);
	assert_true(t->mm->mmap->vm_next->vm_flags & VM_SEQ_READ);
	assert_int_equal(do_madvise(t->k, t->mm, BASE + 2 * PG, 2 * PG, MADV_RANDOM), 0);
	assert_int_equal(t->mm->mmap->vm_next->vm_flags & (VM_SEQ_READ | VM_RAND_READ),
			 VM_RAND_READ);
	assert_int_equal(do_madvise(t->k, t->mm, BASE, 8 * PG, MADV_NORMAL), 0);
	expect_vmas(t->mm, 1, BASE, BASE + 8 * PG);
	assert_int_equal(do_madvise(t->k, t->mm, BASE, 8 * PG, MADV_NOHUGEPAGE), 0);
	assert_true(t->mm->mmap->vm_flags & VM_NOHUGEPAGE);
	assert_int_equal(do_madvise(t->k, t->mm, BASE, PG, MADV_WILLNEED), 0);
	assert_int_equal(do_madvise(t->k, t->mm, BASE, PG, 99), -EINVAL);
	assert_int_equal(do_madvise(t->k, t->mm, BASE + 1, PG, MADV_NORMAL), -EINVAL);
	/* A hole: the mapped parts are advised, the call says -ENOMEM. */
	assert_int_equal(do_madvise(t->k, t->mm, BASE + 6 * PG, 4 * PG, MADV_HUGEPAGE), -ENOMEM);
	assert_true(find_vma(t->mm, BASE + 7 * PG)->vm_flags & VM_HUGEPAGE);
}

static void test_mlock_sets_locked_populates_and_limits(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 8 * PG, RW, MAP_FIXED), BASE);
	assert_int_equal(do_mlock(t->k, t->mm, BASE + 2 * PG + 10, 2 * PG, 0), 0);
	/* start rounds down, the length up: pages 2, 3 and 4. */
	expect_vmas(t->mm, 3, BASE, BASE + 2 * PG, BASE + 2 * PG, BASE + 5 * PG, BASE + 5 * PG,
		    BASE + 8 * PG);
	assert_true(t->mm->mmap->vm_next->vm_flags & VM_LOCKED);
	assert_int_equal(t->mm->locked_vm, 3);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 3);
	assert_true(sdm_leaf(t->k, t->mm, BASE + 4 * PG, NULL) & SDM_RW);
	assert_int_equal(do_madvise(t->k, t->mm, BASE + 2 * PG, PG, MADV_DONTNEED), -EINVAL);
	assert_int_equal(do_munlock(t->k, t->mm, BASE, 8 * PG), 0);
	expect_vmas(t->mm, 1, BASE, BASE + 8 * PG);
	assert_int_equal(t->mm->locked_vm, 0);
	t->mm->rlim.memlock = 4 * PG;
	assert_int_equal(do_mlock(t->k, t->mm, BASE, 5 * PG, 0), -ENOMEM);
	assert_int_equal(do_mlock(t->k, t->mm, BASE + 20 * PG, PG, 0), -ENOMEM); /* unmapped */
	assert_int_equal(do_mlock(t->k, t->mm, BASE, PG, 2), -EINVAL);
	assert_int_equal(anon_map(t, 0, 5 * PG, RW, MAP_LOCKED), -EAGAIN);
}

/* ---- randomized: operations against a page-by-page model ---- */

#define MODEL_PAGES 96
#define MODEL_BASE 0x20000000UL

struct model {
	int prot[MODEL_PAGES];    /* PROT_* bits, -1: unmapped */
	bool account[MODEL_PAGES]; /* VM_ACCOUNT: mapped or made writable while private */
	uint8_t data[MODEL_PAGES]; /* byte at the page's first address (0 until written) */
};

static unsigned long model_flags(const struct model *md, int i)
{
	int p = md->prot[i];
	return (p & PROT_READ ? VM_READ : 0) | (p & PROT_WRITE ? VM_WRITE : 0) |
	       (p & PROT_EXEC ? VM_EXEC : 0) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
	       (md->account[i] ? VM_ACCOUNT : 0);
}

/* The VMA containing addr by a walk of the list: the reference for find_vma. */
static struct vm_area_struct *list_find_vma(struct mm_struct *mm, unsigned long addr)
{
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		if (v->vm_end > addr)
			return v;
	return NULL;
}

static void check_against_model(struct mmt *t, const struct model *md)
{
	struct mm_struct *mm = t->mm;
	int n = 0;
	unsigned long mapped = 0;
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next, n++) {
		assert_true(v->vm_start < v->vm_end);
		if (v->vm_next) {
			struct vm_area_struct *w = v->vm_next;
			assert_true(v->vm_end <= w->vm_start);
			assert_ptr_equal(w->vm_prev, v);
			/* Linux's merge rule, restated: same flags and file, continuous offset,
			 * compatible anon_vma. Such neighbours must have been merged. */
			bool mergeable = v->vm_end == w->vm_start && v->vm_flags == w->vm_flags &&
					 v->vm_file == w->vm_file &&
					 v->vm_pgoff + ((v->vm_end - v->vm_start) >> 12) == w->vm_pgoff &&
					 (!v->anon_vma || !w->anon_vma || v->anon_vma == w->anon_vma);
			assert_false(mergeable);
		}
		mapped += (v->vm_end - v->vm_start) >> 12;
	}
	assert_int_equal(n, mm->map_count);
	assert_int_equal(mapped, mm->total_vm);
	for (int i = 0; i < MODEL_PAGES; i++) {
		unsigned long addr = MODEL_BASE + (unsigned long)i * PG;
		struct vm_area_struct *v = find_vma(mm, addr + (unsigned long)(i % 7) * 100);
		assert_ptr_equal(v, list_find_vma(mm, addr));
		if (md->prot[i] < 0) {
			assert_true(!v || v->vm_start > addr);
			continue;
		}
		assert_non_null(v);
		assert_true(v->vm_start <= addr);
		assert_int_equal(v->vm_flags, model_flags(md, i));
		assert_int_equal(v->vm_pgoff + ((addr - v->vm_start) >> 12), addr >> 12);
	}
	assert_ptr_equal(find_vma(mm, MODEL_BASE + MODEL_PAGES * PG), NULL);
}

static void check_data(struct mmt *t, const struct model *md)
{
	for (int i = 0; i < MODEL_PAGES; i++) {
		if (md->prot[i] < 0 || !(md->prot[i] & PROT_READ))
			continue;
		assert_int_equal(uread8(t->k, t->mm, MODEL_BASE + (unsigned long)i * PG),
				 md->data[i]);
	}
}

static void model_step(struct mmt *t, struct model *md, unsigned *seed)
{
	static const int prots[] = {PROT_NONE, PROT_READ, RW, PROT_READ | PROT_EXEC, PROT_EXEC};
	int first = rand_r(seed) % MODEL_PAGES;
	int n = 1 + rand_r(seed) % 12;
	if (first + n > MODEL_PAGES)
		n = MODEL_PAGES - first;
	unsigned long addr = MODEL_BASE + (unsigned long)first * PG, len = (unsigned long)n * PG;
	int prot = prots[rand_r(seed) % 5];
	switch (rand_r(seed) % 4) {
	case 0: /* mmap over the range */
		assert_int_equal(anon_map(t, addr, len, (unsigned long)prot, MAP_FIXED), addr);
		for (int i = first; i < first + n; i++) {
			md->prot[i] = prot;
			md->account[i] = prot & PROT_WRITE;
			md->data[i] = 0;
		}
		break;
	case 1: /* munmap */
		assert_int_equal(do_munmap(t->k, t->mm, addr, len), 0);
		for (int i = first; i < first + n; i++)
			md->prot[i] = -1;
		break;
	case 2: { /* mprotect: applies up to the first hole */
		int i = first;
		for (; i < first + n && md->prot[i] >= 0; i++) {
			md->prot[i] = prot;
			md->account[i] = md->account[i] || (prot & PROT_WRITE);
		}
		int want = i == first + n ? 0 : -ENOMEM;
		assert_int_equal(do_mprotect(t->k, t->mm, addr, len, (unsigned long)prot), want);
		break;
	}
	default: /* write a byte to a writable page */
		if (md->prot[first] >= 0 && (md->prot[first] & PROT_WRITE)) {
			uint8_t v = (uint8_t)(1 + rand_r(seed) % 255);
			uwrite8(t->k, t->mm, addr, v);
			md->data[first] = v;
		}
		break;
	}
}

static void test_vma_random_ops_match_model(void **state)
{
	struct mmt *t = *state;
	struct model md;
	for (int i = 0; i < MODEL_PAGES; i++) {
		md.prot[i] = -1;
		md.account[i] = false;
		md.data[i] = 0;
	}
	unsigned seed = 12345;
	int max_count = 0;
	for (int step = 0; step < 3000; step++) {
		model_step(t, &md, &seed);
		check_against_model(t, &md);
		if (step % 50 == 0)
			check_data(t, &md);
		if (t->mm->map_count > max_count)
			max_count = t->mm->map_count;
	}
	assert_true(max_count >= 10); /* the run did build up fragmented layouts */
	check_data(t, &md);
	mmput(t->k, t->mm);
	t->mm = NULL;
	assert_int_equal(mmt_leaked_pages(t->k), t->baseline_leak);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_mmap_adjacent_anon_merges),
		T(test_mmap_topdown_consecutive_maps_merge),
		T(test_mmap_different_flags_do_not_merge),
		T(test_mmap_file_merges_only_with_same_file_and_offset),
		T(test_munmap_middle_splits_in_two),
		T(test_munmap_map_count_limit_enomem),
		T(test_mprotect_middle_splits_three_and_merges_back),
		T(test_mprotect_errors),
		T(test_mmap_hint_and_topdown_search),
		T(test_mmap_fixed_replaces_existing_mapping),
		T(test_mmap_fixed_noreplace_eexist),
		T(test_mmap_bad_type_and_file_arguments),
		T(test_mmap_growsdown_and_shared_flags),
		T(test_brk_grows_shrinks_and_refuses),
		T(test_mremap_grow_in_place_shrink_and_move),
		T(test_madvise_flag_hints_split_and_merge),
		T(test_mlock_sets_locked_populates_and_limits),
		T(test_vma_random_ops_match_model),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
