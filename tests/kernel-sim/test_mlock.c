/*
 * Tests of mlock's effect on reclaim (kernel-sim/mlock.c, swap.c's mlock_page and
 * munlock_page): resident pages of a range being locked leave the evictable lists and
 * reclaim cannot take them; munlock puts them back (unevictable_pgrescued) and reclaim
 * swaps them out; a page two locked mappings share stays locked until the last of them
 * lets go; munmap of a locked range gives its pages back. Mlocked and Unevictable in
 * /proc/meminfo and the unevictable_* events in /proc/vmstat follow, as on Linux. Every
 * test ends with the DEBUG_VM checkers and a leak check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "kernel-sim/proc.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/swap.h"
#include "tests/kernel-sim/mmtest.h"

#define BASE 0x10000000UL
#define NPAGES 32UL

static int setup(void **state)
{
	*state = mmt_new_swap(64, 32, false);
	return 0;
}

static int teardown(void **state)
{
	struct mmt *t = *state;
	mmt_drop_mm_checked(t);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), 0);
	mmt_free(t);
	return 0;
}

static struct page *page_at(struct mmt *t, uint64_t va)
{
	uint64_t leaf = sdm_leaf(t->k, t->mm, va, NULL);
	assert_true(leaf & SDM_P);
	return pfn_to_page(t->k, (unsigned long)((leaf & SDM_ADDR) >> 12));
}

/* Every page of [va, va + n pages) present, with its Accessed bit cleared (aged). */
static void age(struct mmt *t, uint64_t va, unsigned long n)
{
	unsigned long flags;
	for (unsigned long i = 0; i < n; i++)
		page_referenced(t->k, page_at(t, va + i * PG), &flags);
}

/* A line of /proc/meminfo, e.g. "Mlocked:", as a number of kB. */
static unsigned long meminfo_kb(struct mmt *t, const char *key)
{
	struct seq_file m;
	seq_init(&m);
	meminfo_show(&m, t->k);
	const char *line = strstr(m.buf, key);
	assert_non_null(line);
	unsigned long kb = strtoul(line + strlen(key), NULL, 10);
	seq_release(&m);
	return kb;
}

/* Maps NPAGES anonymous pages at BASE and writes each. */
static void fill(struct mmt *t)
{
	assert_int_equal(anon_map(t, BASE, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	for (unsigned long i = 0; i < NPAGES; i++)
		uwrite8(t->k, t->mm, BASE + i * PG, (uint8_t)(i + 1));
}

static void test_mlock_of_resident_pages_makes_them_unevictable(void **state)
{
	struct mmt *t = *state;
	fill(t);
	unsigned long mlocked_ev = t->k->vm_events[UNEVICTABLE_PGMLOCKED];
	assert_int_equal(do_mlock(t->k, t->mm, BASE, NPAGES * PG, 0), 0);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), NPAGES);
	assert_int_equal(lruvec_lru_size(t->k, 0, LRU_UNEVICTABLE), NPAGES);
	assert_int_equal(t->k->vm_events[UNEVICTABLE_PGMLOCKED] - mlocked_ev, NPAGES);
	assert_int_equal(meminfo_kb(t, "Mlocked:"), NPAGES * 4);
	assert_int_equal(meminfo_kb(t, "Unevictable:"), NPAGES * 4);
	for (unsigned long i = 0; i < NPAGES; i++) {
		struct page *page = page_at(t, BASE + i * PG);
		assert_true(PageFlag(page, PG_mlocked) && PageFlag(page, PG_unevictable));
	}
	/* Reclaim finds nothing to take. */
	unsigned long out = t->k->vm_events[PSWPOUT];
	age(t, BASE, NPAGES);
	mmt_reclaim_all(t);
	assert_int_equal(t->k->vm_events[PSWPOUT], out);
	for (unsigned long i = 0; i < NPAGES; i++)
		assert_true(sdm_leaf(t->k, t->mm, BASE + i * PG, NULL) & SDM_P);
}

static void test_munlock_rescues_pages_and_reclaim_swaps_them(void **state)
{
	struct mmt *t = *state;
	fill(t);
	assert_int_equal(do_mlock(t->k, t->mm, BASE, NPAGES * PG, 0), 0);
	unsigned long rescued = t->k->vm_events[UNEVICTABLE_PGRESCUED];
	unsigned long munlocked = t->k->vm_events[UNEVICTABLE_PGMUNLOCKED];
	/* Half of the range: the VMA splits, only that half comes back. */
	assert_int_equal(do_munlock(t->k, t->mm, BASE, NPAGES / 2 * PG), 0);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), NPAGES / 2);
	assert_int_equal(lruvec_lru_size(t->k, 0, LRU_UNEVICTABLE), NPAGES / 2);
	assert_int_equal(t->k->vm_events[UNEVICTABLE_PGRESCUED] - rescued, NPAGES / 2);
	assert_int_equal(t->k->vm_events[UNEVICTABLE_PGMUNLOCKED] - munlocked, NPAGES / 2);
	unsigned long out = t->k->vm_events[PSWPOUT];
	age(t, BASE, NPAGES);
	mmt_reclaim_all(t);
	assert_int_equal(t->k->vm_events[PSWPOUT] - out, NPAGES / 2);
	for (unsigned long i = 0; i < NPAGES; i++) {
		bool present = sdm_leaf(t->k, t->mm, BASE + i * PG, NULL) & SDM_P;
		assert_int_equal(present, i >= NPAGES / 2);
	}
	/* The swapped half comes back intact. */
	for (unsigned long i = 0; i < NPAGES; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG), i + 1);
}

static void test_shared_file_page_stays_locked_until_last_locked_mapping_goes(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[4 * PG];
	memset(data, 7, sizeof(data));
	struct file *f = file_from_buffer(t->k, "/locked", data, sizeof(data), FMODE_READ);
	assert_non_null(f);
	const uint64_t a = BASE, b = BASE + 0x100000;
	assert_int_equal(vm_mmap(t->k, t->mm, f, a, sizeof(data), PROT_READ, MAP_SHARED | MAP_FIXED,
				 0),
			 (long)a);
	assert_int_equal(vm_mmap(t->k, t->mm, f, b, sizeof(data), PROT_READ, MAP_SHARED | MAP_FIXED,
				 0),
			 (long)b);
	assert_int_equal(do_mlock(t->k, t->mm, a, sizeof(data), 0), 0);
	assert_int_equal(do_mlock(t->k, t->mm, b, sizeof(data), 0), 0);
	assert_int_equal(page_at(t, a), page_at(t, b));
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), 4);
	/* One locked mapping left: still locked. */
	assert_int_equal(do_munlock(t->k, t->mm, a, sizeof(data)), 0);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), 4);
	assert_true(PageFlag(page_at(t, a), PG_unevictable));
	/* Unmapping the last one releases them; the page cache keeps them, evictable. */
	unsigned long rescued = t->k->vm_events[UNEVICTABLE_PGRESCUED];
	assert_int_equal(do_munmap(t->k, t->mm, b, sizeof(data)), 0);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), 0);
	assert_int_equal(lruvec_lru_size(t->k, 0, LRU_UNEVICTABLE), 0);
	assert_int_equal(t->k->vm_events[UNEVICTABLE_PGRESCUED] - rescued, 4);
	assert_int_equal(f->f_inode->i_data.nrpages, 4);
	assert_false(PageFlag(page_at(t, a), PG_unevictable));
	fput(t->k, f);
}

static void test_munmap_of_locked_range_frees_its_pages(void **state)
{
	struct mmt *t = *state;
	fill(t);
	assert_int_equal(do_mlock(t->k, t->mm, BASE, NPAGES * PG, 0), 0);
	assert_int_equal(do_munmap(t->k, t->mm, BASE, NPAGES * PG), 0);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), 0);
	assert_int_equal(lruvec_lru_size(t->k, 0, LRU_UNEVICTABLE), 0);
	assert_int_equal(t->mm->locked_vm, 0);
}

/* ---- mlockall ---- */

static bool vma_locked(struct mmt *t, uint64_t va)
{
	struct vm_area_struct *vma = find_vma(t->mm, va);
	assert_non_null(vma);
	return vma->vm_flags & VM_LOCKED;
}

static void test_mlockall_current_locks_and_populates_every_vma(void **state)
{
	struct mmt *t = *state;
	const uint64_t other = BASE + 0x1000000;
	fill(t);
	assert_int_equal(anon_map(t, other, 8 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), other);
	assert_int_equal(sdm_leaf(t->k, t->mm, other, NULL) & SDM_P, 0); /* never touched */
	assert_int_equal(do_mlockall(t->k, t->mm, MCL_CURRENT), 0);
	assert_true(vma_locked(t, BASE) && vma_locked(t, other));
	assert_int_equal(t->mm->locked_vm, NPAGES + 8);
	for (unsigned long i = 0; i < 8; i++)
		assert_true(sdm_leaf(t->k, t->mm, other + i * PG, NULL) & SDM_P);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), NPAGES + 8);
	/* Not for the future: a new mapping is not locked. */
	assert_int_equal(anon_map(t, other + 0x100000, PG, PROT_READ | PROT_WRITE, MAP_FIXED),
			 other + 0x100000);
	assert_false(vma_locked(t, other + 0x100000));
	assert_int_equal(do_munlockall(t->k, t->mm), 0);
	assert_false(vma_locked(t, BASE) || vma_locked(t, other));
	assert_int_equal(t->mm->locked_vm, 0);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), 0);
	assert_int_equal(lruvec_lru_size(t->k, 0, LRU_UNEVICTABLE), 0);
}

static void test_mlockall_future_locks_new_mappings_only(void **state)
{
	struct mmt *t = *state;
	const uint64_t later = BASE + 0x1000000;
	fill(t);
	assert_int_equal(do_mlockall(t->k, t->mm, MCL_FUTURE), 0);
	assert_false(vma_locked(t, BASE));
	assert_int_equal(anon_map(t, later, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), later);
	assert_true(vma_locked(t, later));
	for (unsigned long i = 0; i < 4; i++) /* populated at mmap, as Linux does */
		assert_true(sdm_leaf(t->k, t->mm, later + i * PG, NULL) & SDM_P);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), 4);
	/* MCL_FUTURE | MCL_ONFAULT: locked, but left to fault in. */
	assert_int_equal(do_mlockall(t->k, t->mm, MCL_FUTURE | MCL_ONFAULT), 0);
	assert_int_equal(anon_map(t, later + 0x100000, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED),
			 later + 0x100000);
	assert_true(find_vma(t->mm, later + 0x100000)->vm_flags & VM_LOCKONFAULT);
	assert_int_equal(sdm_leaf(t->k, t->mm, later + 0x100000, NULL) & SDM_P, 0);
	assert_int_equal(do_munlockall(t->k, t->mm), 0);
	assert_int_equal(t->mm->def_flags & (VM_LOCKED | VM_LOCKONFAULT), 0);
	assert_int_equal(global_zone_page_state(t->k, NR_MLOCK), 0);
}

static void test_mlockall_refuses_bad_flags_and_the_limit(void **state)
{
	struct mmt *t = *state;
	fill(t);
	assert_int_equal(do_mlockall(t->k, t->mm, 0), -EINVAL);
	assert_int_equal(do_mlockall(t->k, t->mm, MCL_ONFAULT), -EINVAL);
	assert_int_equal(do_mlockall(t->k, t->mm, 8), -EINVAL);
	t->mm->rlim.memlock = (NPAGES - 1) * PG;
	assert_int_equal(do_mlockall(t->k, t->mm, MCL_CURRENT), -ENOMEM);
	assert_false(vma_locked(t, BASE));
	/* MCL_FUTURE alone is not held to the limit of what is mapped now. */
	assert_int_equal(do_mlockall(t->k, t->mm, MCL_FUTURE), 0);
	assert_int_equal(do_munlockall(t->k, t->mm), 0);
}

static void test_mlockall_leaves_special_mappings_alone(void **state)
{
	struct mmt *t = *state;
	static const struct vm_special_mapping spec = {"[test]", NULL, 0};
	fill(t);
	/* Like the vDSO's: pages the kernel supplies, VM_DONTEXPAND. */
	assert_non_null(install_special_mapping(t->k, t->mm, BASE + 0x1000000, 2 * PG,
						VM_READ | VM_MAYREAD, &spec));
	assert_int_equal(do_mlockall(t->k, t->mm, MCL_CURRENT | MCL_FUTURE), 0);
	assert_non_null(install_special_mapping(t->k, t->mm, BASE + 0x2000000, PG,
						VM_READ | VM_MAYREAD, &spec));
	for (struct vm_area_struct *v = t->mm->mmap; v; v = v->vm_next)
		assert_int_equal(!!(v->vm_flags & VM_LOCKED), !v->vm_special);
	assert_int_equal(t->mm->locked_vm, NPAGES);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_mlock_of_resident_pages_makes_them_unevictable),
	    T(test_munlock_rescues_pages_and_reclaim_swaps_them),
	    T(test_shared_file_page_stays_locked_until_last_locked_mapping_goes),
	    T(test_munmap_of_locked_range_frees_its_pages),
	    T(test_mlockall_current_locks_and_populates_every_vma),
	    T(test_mlockall_future_locks_new_mappings_only),
	    T(test_mlockall_refuses_bad_flags_and_the_limit),
	    T(test_mlockall_leaves_special_mappings_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
