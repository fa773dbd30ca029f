/*
 * Tests of the LRU lists (kernel-sim/swap.c) and the reverse map (kernel-sim/rmap.c):
 * pages enter the lists on fault and leave them when freed, with the counters right; the
 * rmap walk finds exactly the ptes that map a page (anonymous, after mremap, a file mapped
 * twice); page_referenced reads and clears the Accessed bit the (SDM-modelled) hardware
 * sets. Every test ends with the DEBUG_VM checkers: free lists, LRU membership, mapcount
 * against the page tables, and no frame leaked.
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

static int setup(void **state)
{
	*state = mmt_new(64);
	return 0;
}

static int teardown(void **state)
{
	struct mmt *t = *state;
	mmt_drop_mm_checked(t);
	mmt_free(t);
	return 0;
}

static struct page *leaf_page(struct mmt *t, uint64_t va)
{
	uint64_t leaf = sdm_leaf(t->k, t->mm, va, NULL);
	assert_true(leaf & SDM_P);
	return pfn_to_page(t->k, (unsigned long)((leaf & SDM_ADDR) >> 12));
}

static long node_stat(struct mmt *t, enum node_stat_item item)
{
	return NODE_DATA(t->k, 0)->vm_stat[item];
}

/* Collects the addresses an rmap walk visits. */
struct visits {
	int n;
	unsigned long addr[8];
};

static bool visit(struct kernel *k, struct page *page, struct vm_area_struct *vma,
		  unsigned long address, pte_t *pte, void *arg)
{
	struct visits *v = arg;
	(void)k, (void)page, (void)vma, (void)pte;
	if (v->n < 8)
		v->addr[v->n] = address;
	v->n++;
	return true;
}

static void test_lru_anon_write_fault_adds_inactive_anon(void **state)
{
	struct mmt *t = *state;
	long before = node_stat(t, NR_INACTIVE_ANON);
	assert_int_equal(anon_map(t, BASE, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	for (int i = 0; i < 4; i++)
		uwrite8(t->k, t->mm, BASE + i * PG, 1);
	assert_int_equal(node_stat(t, NR_INACTIVE_ANON), before + 4);
	struct page *page = leaf_page(t, BASE);
	assert_true(PageLru(page));
	assert_false(PageActive(page));
	assert_int_equal(page_lru(page), LRU_INACTIVE_ANON);
}

static void test_lru_read_fault_of_anon_maps_zero_page_not_on_lru(void **state)
{
	struct mmt *t = *state;
	long before = node_stat(t, NR_INACTIVE_ANON);
	assert_int_equal(anon_map(t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	assert_int_equal(uread8(t->k, t->mm, BASE), 0);
	assert_int_equal(node_stat(t, NR_INACTIVE_ANON), before);
}

static void test_lru_munmap_takes_pages_off_the_lists(void **state)
{
	struct mmt *t = *state;
	long before = node_stat(t, NR_INACTIVE_ANON);
	assert_int_equal(anon_map(t, BASE, 8 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	for (int i = 0; i < 8; i++)
		uwrite8(t->k, t->mm, BASE + i * PG, 1);
	assert_int_equal(do_munmap(t->k, t->mm, BASE, 8 * PG), 0);
	assert_int_equal(node_stat(t, NR_INACTIVE_ANON), before);
}

static void test_lru_mark_page_accessed_twice_activates(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	uwrite8(t->k, t->mm, BASE, 1);
	struct page *page = leaf_page(t, BASE);
	long active = node_stat(t, NR_ACTIVE_ANON);
	mark_page_accessed(t->k, page);
	assert_false(PageActive(page)); /* first access: referenced only */
	mark_page_accessed(t->k, page);
	assert_true(PageActive(page));
	assert_int_equal(node_stat(t, NR_ACTIVE_ANON), active + 1);
	assert_int_equal(page_lru(page), LRU_ACTIVE_ANON);
}

static void test_lru_file_page_goes_on_inactive_file(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[2 * PG];
	memset(data, 0x5a, sizeof(data));
	long before = node_stat(t, NR_INACTIVE_FILE);
	struct file *f = file_from_buffer(t->k, "/f", data, sizeof(data), FMODE_READ);
	assert_non_null(f);
	long addr = vm_mmap(t->k, t->mm, f, 0, sizeof(data), PROT_READ, MAP_PRIVATE, 0);
	assert_true(addr > 0);
	assert_int_equal(uread8(t->k, t->mm, (uint64_t)addr), 0x5a);
	assert_int_equal(node_stat(t, NR_INACTIVE_FILE), before + 2); /* read-around */
	assert_int_equal(page_lru(leaf_page(t, (uint64_t)addr)), LRU_INACTIVE_FILE);
	fput(t->k, f);
}

static void test_rmap_anon_walk_finds_its_one_pte(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	uwrite8(t->k, t->mm, BASE + 2 * PG, 7);
	struct visits v = {0};
	rmap_walk(t->k, leaf_page(t, BASE + 2 * PG), visit, &v);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.addr[0], BASE + 2 * PG);
}

static void test_rmap_anon_after_mremap_finds_the_moved_pte(void **state)
{
	struct mmt *t = *state;
	const uint64_t to = BASE + 0x1000000;
	assert_int_equal(anon_map(t, BASE, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	uwrite8(t->k, t->mm, BASE + PG, 9);
	struct page *page = leaf_page(t, BASE + PG);
	assert_int_equal(do_mremap(t->k, t->mm, BASE, 4 * PG, 4 * PG,
				   MREMAP_MAYMOVE | MREMAP_FIXED, to),
			 (long)to);
	assert_ptr_equal(leaf_page(t, to + PG), page);
	struct visits v = {0};
	rmap_walk(t->k, page, visit, &v);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.addr[0], to + PG);
}

static void test_rmap_file_mapped_twice_walk_finds_both(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[4 * PG];
	memset(data, 3, sizeof(data));
	struct file *f = file_from_buffer(t->k, "/twice", data, sizeof(data), FMODE_READ);
	assert_non_null(f);
	long a = vm_mmap(t->k, t->mm, f, 0, sizeof(data), PROT_READ, MAP_PRIVATE, 0);
	long b = vm_mmap(t->k, t->mm, f, 0, 2 * PG, PROT_READ, MAP_SHARED, 2 * PG);
	assert_true(a > 0 && b > 0);
	assert_int_equal(uread8(t->k, t->mm, (uint64_t)a + 3 * PG), 3);
	assert_int_equal(uread8(t->k, t->mm, (uint64_t)b + PG), 3);
	struct page *page = leaf_page(t, (uint64_t)a + 3 * PG);
	assert_ptr_equal(leaf_page(t, (uint64_t)b + PG), page);
	assert_int_equal(page_mapcount(page), 2);
	struct visits v = {0};
	rmap_walk(t->k, page, visit, &v);
	assert_int_equal(v.n, 2);
	assert_true((v.addr[0] == (uint64_t)a + 3 * PG && v.addr[1] == (uint64_t)b + PG) ||
		    (v.addr[1] == (uint64_t)a + 3 * PG && v.addr[0] == (uint64_t)b + PG));
	/* Unmapping one mapping leaves the other for the walk. */
	assert_int_equal(do_munmap(t->k, t->mm, (uint64_t)b, 2 * PG), 0);
	v.n = 0;
	rmap_walk(t->k, page, visit, &v);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.addr[0], (uint64_t)a + 3 * PG);
	fput(t->k, f);
}

static void test_page_referenced_reads_and_clears_the_accessed_bit(void **state)
{
	struct mmt *t = *state;
	unsigned long flags;
	assert_int_equal(anon_map(t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	uwrite8(t->k, t->mm, BASE, 1);
	struct page *page = leaf_page(t, BASE);
	assert_true(sdm_leaf(t->k, t->mm, BASE, NULL) & SDM_A);
	assert_int_equal(page_referenced(t->k, page, &flags), 1);
	assert_true(flags & VM_WRITE);
	assert_false(sdm_leaf(t->k, t->mm, BASE, NULL) & SDM_A);
	assert_int_equal(page_referenced(t->k, page, &flags), 0);
	/* The next access walks the tables again and sets A: referenced once more. */
	assert_int_equal(uread8(t->k, t->mm, BASE), 1);
	assert_int_equal(page_referenced(t->k, page, &flags), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_lru_anon_write_fault_adds_inactive_anon),
		T(test_lru_read_fault_of_anon_maps_zero_page_not_on_lru),
		T(test_lru_munmap_takes_pages_off_the_lists),
		T(test_lru_mark_page_accessed_twice_activates),
		T(test_lru_file_page_goes_on_inactive_file),
		T(test_rmap_anon_walk_finds_its_one_pte),
		T(test_rmap_anon_after_mremap_finds_the_moved_pte),
		T(test_rmap_file_mapped_twice_walk_finds_both),
		T(test_page_referenced_reads_and_clears_the_accessed_bit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
