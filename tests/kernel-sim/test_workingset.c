/*
 * Tests of workingset detection (kernel-sim/workingset.c): the shadow entry reclaim leaves
 * in a page-cache or swap-cache slot, laid out as Linux's pack_shadow lays it out (written
 * out here from mm/workingset.c's description, not taken from the code under test); the
 * refault decision of mm/workingset.c's workingset_refault, as a table of cases; refaults
 * through the fault paths, file and anonymous; shadows going with their inode and their
 * swap slot; the shadow-node shrinker. Every test ends with the DEBUG_VM checkers (which
 * recount the shadows) and checks that no frame, swap slot or shadow is left over.
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

/* Linux's shadow layout on x86-64: bit 0 the xarray value tag, then (from bit 1) 1 bit
 * workingset, 6 bits node (CONFIG_NODES_SHIFT), 16 bits memcg id, the eviction clock. */
#define L_WORKINGSET_BIT 1
#define L_NODE_BIT 2
#define L_MEMCG_BIT 8
#define L_EVICTION_BIT 24

static int setup(void **state)
{
	*state = mmt_new_swap(64, 32, false);
	return 0;
}

static struct mmt *replace_machine(void **state, uint64_t ram_mb, uint64_t swap_mb)
{
	mmt_free(*state);
	*state = mmt_new_swap(ram_mb, swap_mb, false);
	return *state;
}

static int teardown(void **state)
{
	struct mmt *t = *state;
	mmt_drop_mm_checked(t);
	/* No shadow outlives its inode or its swap slot. */
	assert_true(list_empty(&t->k->swap->shadow_mappings));
	assert_int_equal(global_node_page_state(t->k, WORKINGSET_NODES), 0);
	mmt_free(t);
	return 0;
}

static long ws(struct mmt *t, enum node_stat_item item)
{
	return global_node_page_state(t->k, item);
}

static unsigned long clock_of(struct mmt *t)
{
	return NODE_DATA(t->k, 0)->__lruvec.nonresident_age;
}

/* Clears the Accessed bits of the ptes of [BASE, BASE + n pages), as reclaim's aging does. */
static void age(struct mmt *t, unsigned long n)
{
	unsigned long flags;
	for (unsigned long i = 0; i < n; i++) {
		uint64_t leaf = sdm_leaf(t->k, t->mm, BASE + i * PG, NULL);
		if (leaf & SDM_P)
			page_referenced(t->k, pfn_to_page(t->k, (leaf & SDM_ADDR) >> 12), &flags);
	}
}

/* A file of n pages over a static buffer, page i filled with i + 1, mapped at BASE. */
static struct file *map_file(struct mmt *t, uint8_t *data, unsigned long n)
{
	for (unsigned long i = 0; i < n * PG; i++)
		data[i] = (uint8_t)(i / PG + 1);
	struct file *f = file_from_buffer(t->k, "/f", data, n * PG, FMODE_READ);
	assert_non_null(f);
	assert_int_equal(
	    vm_mmap(t->k, t->mm, f, BASE, n * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, 0),
	    (long)BASE);
	return f;
}

/* ---- the shadow entry ---- */

static void test_evicted_file_page_leaves_shadow_in_linux_layout(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[8 * PG];
	struct file *f = map_file(t, data, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG), i + 1);
	unsigned long c0 = clock_of(t);
	age(t, 8);
	mmt_reclaim_all(t);
	struct address_space *as = &f->f_inode->i_data;
	assert_int_equal(as->nrpages, 0);
	assert_int_equal(as->nrshadows, 8);
	/* Eight evictions: each shadow holds the clock as it was, the clock moved by one per
	 * eviction. */
	assert_int_equal(clock_of(t), c0 + 8);
	uint8_t seen[8] = {0};
	for (unsigned i = 0; i < 8; i++) {
		uintptr_t v = (uintptr_t)as->i_pages[i];
		assert_true(v & 1);
		assert_int_equal((v >> L_WORKINGSET_BIT) & 1, 0); /* never active */
		assert_int_equal((v >> L_NODE_BIT) & 0x3f, 0);
		assert_int_equal((v >> L_MEMCG_BIT) & 0xffff, 0);
		uint64_t eviction = v >> L_EVICTION_BIT;
		assert_true(eviction >= c0 && eviction < c0 + 8);
		assert_int_equal(seen[eviction - c0]++, 0);
	}
	/* The first 8 slots of a chunk of 64 with no page: one shadow node. */
	assert_int_equal(ws(t, WORKINGSET_NODES), 1);
	fput(t->k, f);
}

/* ---- the refault decision ---- */

/* Pages filled into a page cache and made active (two accesses, as the kernel sees them). */
static struct file *active_file_pages(struct mmt *t, unsigned long n)
{
	struct file *f = file_from_buffer(t->k, "/active", calloc(n, PG), n * PG, FMODE_READ);
	assert_non_null(f);
	for (unsigned long i = 0; i < n; i++) {
		bool major = false;
		struct page *page = filemap_get_page(t->k, f, i, NULL, &major);
		assert_non_null(page);
		mark_page_accessed(t->k, page);
		mark_page_accessed(t->k, page);
		assert_true(PageActive(page));
	}
	return f;
}

static void put_active_file(struct mmt *t, struct file *f)
{
	const void *buf = f->f_inode->buf;
	fput(t->k, f);
	free((void *)buf);
}

struct refault_case {
	bool anon;		 /* a swap-backed page, else a file page */
	bool was_workingset;	 /* PG_workingset when evicted */
	unsigned long distance;	 /* clock ticks between eviction and refault */
	bool activated;		 /* expected: the page comes back active */
};

/* One eviction and refault of a page that is not on an LRU list; returns whether it came
 * back active, and checks the counters Linux moves. */
static bool evict_and_refault(struct mmt *t, const struct refault_case *c)
{
	struct page *page = alloc_page(t->k, GFP_HIGHUSER_MOVABLE);
	assert_non_null(page);
	if (c->anon)
		SetPageFlag(page, PG_swapbacked);
	if (c->was_workingset)
		SetPageFlag(page, PG_workingset);
	long refault0 = ws(t, c->anon ? WORKINGSET_REFAULT_ANON : WORKINGSET_REFAULT_FILE);
	long act0 = ws(t, c->anon ? WORKINGSET_ACTIVATE_ANON : WORKINGSET_ACTIVATE_FILE);
	long rest0 = ws(t, c->anon ? WORKINGSET_RESTORE_ANON : WORKINGSET_RESTORE_FILE);
	void *shadow = workingset_eviction(t->k, page);
	/* The eviction itself is one tick of the distance. */
	workingset_age_nonresident(NODE_DATA(t->k, 0), c->distance - 1);
	ClearPageFlag(page, PG_workingset);
	workingset_refault(t->k, page, shadow);
	bool active = PageActive(page);
	assert_int_equal(ws(t, c->anon ? WORKINGSET_REFAULT_ANON : WORKINGSET_REFAULT_FILE),
			 refault0 + 1);
	assert_int_equal(ws(t, c->anon ? WORKINGSET_ACTIVATE_ANON : WORKINGSET_ACTIVATE_FILE),
			 act0 + active);
	assert_int_equal(ws(t, c->anon ? WORKINGSET_RESTORE_ANON : WORKINGSET_RESTORE_FILE),
			 rest0 + (active && c->was_workingset));
	assert_int_equal(PageFlag(page, PG_workingset), active && c->was_workingset);
	ClearPageFlag(page, PG_active);
	ClearPageFlag(page, PG_workingset);
	ClearPageFlag(page, PG_swapbacked);
	__free_page(t->k, page);
	return active;
}

static void test_refault_activates_within_competing_memory(void **state)
{
	struct mmt *t = replace_machine(state, 64, 0); /* no swap: anon lists do not compete */
	/* 64 active file pages; nothing inactive, no anon. Linux's rule: a file page competes
	 * with the active file list, an anonymous one also with the inactive file list. */
	struct file *f = active_file_pages(t, 64);
	const struct refault_case cases[] = {
	    {false, false, 1, true},  {false, false, 64, true},	 {false, false, 65, false},
	    {false, true, 10, true},  {false, true, 1000, false}, {true, false, 64, true},
	    {true, true, 64, true},   {true, false, 65, false},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (evict_and_refault(t, &cases[i]) != cases[i].activated)
			fail_msg("case %u: distance %lu %s", i, cases[i].distance,
				 cases[i].activated ? "not activated" : "activated");
	put_active_file(t, f);
}

static void test_refault_counts_anon_lists_when_swap_is_free(void **state)
{
	struct mmt *t = *state; /* 32 MiB of swap, all free */
	/* 40 inactive anonymous pages: with free swap they compete with a file refault. */
	assert_int_equal(vm_mmap(t->k, t->mm, NULL, BASE, 40 * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0),
			 (long)BASE);
	for (unsigned long i = 0; i < 40; i++)
		uwrite8(t->k, t->mm, BASE + i * PG, 1);
	const struct refault_case within = {false, false, 40, true};
	const struct refault_case beyond = {false, false, 41, false};
	assert_true(evict_and_refault(t, &within));
	assert_false(evict_and_refault(t, &beyond));
}

/* ---- refaults through the fault paths ---- */

static void test_file_refault_through_fault_path_reads_back_and_counts(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[8 * PG];
	struct file *f = map_file(t, data, 8);
	for (unsigned i = 0; i < 8; i++)
		uread8(t->k, t->mm, BASE + i * PG);
	age(t, 8);
	mmt_reclaim_all(t);
	long refaults = ws(t, WORKINGSET_REFAULT_FILE);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG), i + 1);
	/* Read-around brings all eight back in: each one a refault; the shadows are gone. */
	assert_int_equal(ws(t, WORKINGSET_REFAULT_FILE) - refaults, 8);
	assert_int_equal(f->f_inode->i_data.nrshadows, 0);
	assert_int_equal(ws(t, WORKINGSET_NODES), 0);
	fput(t->k, f);
}

static void test_swapped_page_leaves_shadow_in_swap_cache_until_slot_freed(void **state)
{
	struct mmt *t = *state;
	const unsigned long n = 8;
	assert_int_equal(vm_mmap(t->k, t->mm, NULL, BASE, n * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0),
			 (long)BASE);
	for (unsigned long i = 0; i < n; i++)
		uwrite8(t->k, t->mm, BASE + i * PG, (uint8_t)(i + 7));
	age(t, n);
	mmt_reclaim_all(t);
	struct swap_info_struct *si = t->k->swap->info[0];
	assert_int_equal(si->swap_space.nrshadows, n);
	assert_int_equal(si->swap_space.nrpages, 0);
	/* Swap-in, with readahead: every page read back is a refault of an anonymous page. */
	long refaults = ws(t, WORKINGSET_REFAULT_ANON);
	for (unsigned long i = 0; i < n; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG), i + 7);
	assert_int_equal(ws(t, WORKINGSET_REFAULT_ANON) - refaults, n);
	assert_int_equal(si->swap_space.nrshadows, 0);
	/* Out again, then unmapped while swapped: the freed slots drop their shadows. */
	age(t, n);
	mmt_reclaim_all(t);
	assert_int_equal(si->swap_space.nrshadows, n);
	mmt_assert_consistent(t);
	assert_int_equal(do_munmap(t->k, t->mm, BASE, n * PG), 0);
	assert_int_equal(si->swap_space.nrshadows, 0);
}

static void test_inode_release_drops_its_shadows(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[4 * PG];
	struct file *f = map_file(t, data, 4);
	for (unsigned i = 0; i < 4; i++)
		uread8(t->k, t->mm, BASE + i * PG);
	age(t, 4);
	mmt_reclaim_all(t);
	assert_int_equal(f->f_inode->i_data.nrshadows, 4);
	assert_false(list_empty(&t->k->swap->shadow_mappings));
	assert_int_equal(do_munmap(t->k, t->mm, BASE, 4 * PG), 0);
	fput(t->k, f);
	assert_true(list_empty(&t->k->swap->shadow_mappings));
	assert_int_equal(ws(t, WORKINGSET_NODES), 0);
}

/* ---- the shadow-node shrinker ---- */

static void test_shadow_nodes_beyond_eighth_of_ram_are_reclaimed(void **state)
{
	struct mmt *t = replace_machine(state, 16, 0);
	/* Linux keeps at most present pages / 8 shadow nodes of 64 slots: 512 on 16 MiB.
	 * Streaming a 160 MiB file through the page cache leaves about 640. */
	const unsigned long n = (160UL << 20) / PG;
	unsigned long max_nodes = NODE_DATA(t->k, 0)->node_present_pages >> 3;
	uint8_t *buf = calloc(n, PG);
	assert_non_null(buf);
	struct file *f = file_from_buffer(t->k, "/stream", buf, n * PG, FMODE_READ);
	assert_non_null(f);
	for (unsigned long i = 0; i < n; i++) {
		bool major = false;
		assert_non_null(filemap_get_page(t->k, f, i, NULL, &major));
	}
	assert_true(ws(t, WORKINGSET_NODERECLAIM) > 0);
	/* Each pass trims half the excess: a few nodes over the limit at most. Without the
	 * shrinker, some 37,000 shadows would be left. */
	assert_true((unsigned long)ws(t, WORKINGSET_NODES) <= max_nodes + 4);
	assert_true(f->f_inode->i_data.nrshadows <= (max_nodes + 6) * 64);
	mmt_assert_consistent(t);
	fput(t->k, f);
	free(buf);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_evicted_file_page_leaves_shadow_in_linux_layout),
	    T(test_refault_activates_within_competing_memory),
	    T(test_refault_counts_anon_lists_when_swap_is_free),
	    T(test_file_refault_through_fault_path_reads_back_and_counts),
	    T(test_swapped_page_leaves_shadow_in_swap_cache_until_slot_freed),
	    T(test_inode_release_drops_its_shadows),
	    T(test_shadow_nodes_beyond_eighth_of_ram_are_reclaimed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
