/*
 * Tests of swapping shared anonymous memory (kernel-sim/shmem.c): a MAP_SHARED |
 * MAP_ANONYMOUS page reclaim takes is unmapped, its page-cache slot gets the swap entry
 * (a value entry holding one reference on the slot), it is written to swap and freed; a
 * fault reads it back into the page cache and frees the slot. The checkers run in the
 * middle (swap counts against swap ptes plus shmem entries) and at the end, and no frame
 * or slot is left after the mapping goes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel-sim/swap.h"
#include "tests/kernel-sim/mmtest.h"

#define BASE 0x10000000UL
#define NPAGES 16

static int setup(void **state)
{
	*state = mmt_new_swap(64, 32, false);
	return 0;
}

static int teardown(void **state)
{
	struct mmt *t = *state;
	mmt_drop_mm_checked(t);
	assert_int_equal(global_node_page_state(t->k, NR_SHMEM), 0);
	mmt_free(t);
	return 0;
}

/* Maps NPAGES of shared anonymous memory at BASE and writes i + 3 into page i. Returns
 * the shmem file's page cache. */
static struct address_space *fill_shared(struct mmt *t)
{
	assert_int_equal(vm_mmap(t->k, t->mm, NULL, BASE, NPAGES * PG, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, 0),
			 (long)BASE);
	for (unsigned i = 0; i < NPAGES; i++)
		uwrite8(t->k, t->mm, BASE + i * PG + 9, (uint8_t)(i + 3));
	struct vm_area_struct *vma = find_vma(t->mm, BASE);
	assert_non_null(vma);
	assert_non_null(vma->vm_file);
	return &vma->vm_file->f_inode->i_data;
}

static void age(struct mmt *t)
{
	unsigned long flags;
	for (unsigned i = 0; i < NPAGES; i++) {
		uint64_t leaf = sdm_leaf(t->k, t->mm, BASE + i * PG, NULL);
		if (leaf & SDM_P)
			page_referenced(t->k, pfn_to_page(t->k, (leaf & SDM_ADDR) >> 12), &flags);
	}
}

static void test_shmem_pages_swap_out_through_their_page_cache(void **state)
{
	struct mmt *t = *state;
	struct address_space *as = fill_shared(t);
	assert_int_equal(global_node_page_state(t->k, NR_SHMEM), NPAGES);
	assert_int_equal(get_mm_counter(t->mm, MM_SHMEMPAGES), NPAGES);
	unsigned long out = t->k->vm_events[PSWPOUT];
	age(t);
	mmt_reclaim_all(t);
	assert_int_equal(t->k->vm_events[PSWPOUT] - out, NPAGES);
	assert_int_equal(as->nrpages, 0);
	assert_int_equal(global_node_page_state(t->k, NR_SHMEM), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_SHMEMPAGES), 0);
	assert_int_equal(total_swap_pages(t->k) - nr_free_swap_pages(t->k), NPAGES);
	for (unsigned i = 0; i < NPAGES; i++) {
		/* No swap pte: the pte is empty, the page cache holds the entry. */
		assert_int_equal(sdm_leaf(t->k, t->mm, BASE + i * PG, NULL), 0);
		assert_true(xa_is_value(as->i_pages[i]));
		assert_int_equal(swap_count(t->k, radix_to_swp_entry(as->i_pages[i])), 1);
	}
	/* Not shadows: no shadow list entry, no shadow node for the shmem file. */
	assert_int_equal(as->nrshadows, 0);
	mmt_assert_consistent(t);
}

static void test_shmem_fault_reads_back_and_frees_the_slot(void **state)
{
	struct mmt *t = *state;
	struct address_space *as = fill_shared(t);
	age(t);
	mmt_reclaim_all(t);
	unsigned long in = t->k->vm_events[PSWPIN], maj = t->mm->maj_flt;
	long refaults = global_node_page_state(t->k, WORKINGSET_REFAULT_ANON);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG + 9), i + 3);
	assert_int_equal(t->k->vm_events[PSWPIN] - in, NPAGES);
	assert_true(t->mm->maj_flt > maj);
	/* Their shadows were in the swap cache: shmem refaults count as anonymous. */
	assert_int_equal(global_node_page_state(t->k, WORKINGSET_REFAULT_ANON) - refaults, NPAGES);
	assert_int_equal(as->nrpages, NPAGES);
	assert_int_equal(nr_free_swap_pages(t->k), total_swap_pages(t->k));
	assert_int_equal(global_node_page_state(t->k, NR_SHMEM), NPAGES);
	assert_int_equal(global_node_page_state(t->k, NR_SWAPCACHE), 0);
	/* A store after swap-in stays in the shared page, and the page can go out again. */
	uwrite8(t->k, t->mm, BASE + 9, 0x77);
	age(t);
	mmt_reclaim_all(t);
	assert_int_equal(uread8(t->k, t->mm, BASE + 9), 0x77);
	mmt_assert_consistent(t);
}

static void test_shmem_swapped_out_then_unmapped_frees_slots(void **state)
{
	struct mmt *t = *state;
	fill_shared(t);
	age(t);
	mmt_reclaim_all(t);
	assert_true(nr_free_swap_pages(t->k) < total_swap_pages(t->k));
	/* The mapping held the only reference to the shmem file: its slots go with it. */
	assert_int_equal(do_munmap(t->k, t->mm, BASE, NPAGES * PG), 0);
	assert_int_equal(nr_free_swap_pages(t->k), total_swap_pages(t->k));
}

static void test_shmem_without_swap_stays_resident(void **state)
{
	mmt_free(*state);
	struct mmt *t = *state = mmt_new_swap(64, 0, false);
	fill_shared(t);
	age(t);
	mmt_reclaim_all(t);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_true(sdm_leaf(t->k, t->mm, BASE + i * PG, NULL) & SDM_P);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_shmem_pages_swap_out_through_their_page_cache),
	    T(test_shmem_fault_reads_back_and_frees_the_slot),
	    T(test_shmem_swapped_out_then_unmapped_frees_slots),
	    T(test_shmem_without_swap_stays_resident),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
