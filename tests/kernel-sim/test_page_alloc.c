/* The buddy allocator: split, merge, watermarks, fallback, pcp lists, GFP zones, stress. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/kernel-sim/ktest.h"

static struct zone *zone_of(struct machine *m, int nid, int z)
{
	return &NODE_DATA(&m->kernel, nid)->node_zones[z];
}

static void snapshot_nr_free(const struct zone *zone, unsigned long out[MAX_ORDER])
{
	for (int o = 0; o < MAX_ORDER; o++)
		out[o] = zone->free_area[o].nr_free;
}

/* Splitting: an order-0 request with an empty order-0 list splits the smallest larger
 * block, leaving one new free block at every order below it. */
static void test_buddy_split_smallest_block_leaves_one_block_per_lower_order(void **state)
{
	struct machine *m = ktest_boot(64);
	struct kernel *k = &m->kernel;
	k->pcp_disabled = true;
	struct zone *zone = zone_of(m, 0, ZONE_DMA32);
	/* Take every order-0 and order-1 block first, so the next request must split. */
	while (zone->free_area[0].nr_free || zone->free_area[1].nr_free)
		assert_non_null(alloc_pages(k, GFP_KERNEL, 0));
	unsigned long before[MAX_ORDER], after[MAX_ORDER];
	snapshot_nr_free(zone, before);
	int src = 2;
	while (!before[src])
		src++;
	struct page *page = alloc_pages(k, GFP_KERNEL, 0);
	assert_non_null(page);
	assert_ptr_equal(page_zone(k, page), zone);
	snapshot_nr_free(zone, after);
	for (int o = 0; o < MAX_ORDER; o++) {
		unsigned long expect = before[o] + (o < src ? 1 : 0) - (o == src ? 1 : 0);
		assert_int_equal(after[o], expect);
	}
	ktest_assert_consistent(k);
	ktest_shutdown(m);
}

/* Merging: freeing two buddies brings back the block they came from. */
static void test_buddy_free_both_buddies_merges_back(void **state)
{
	struct machine *m = ktest_boot(64);
	struct kernel *k = &m->kernel;
	k->pcp_disabled = true;
	struct zone *zone = zone_of(m, 0, ZONE_DMA32);
	/* With no free block below order 3, order-2 requests must split an order-3 block. */
	for (unsigned o = 0; o < 3; o++)
		while (zone->free_area[o].nr_free)
			assert_non_null(alloc_pages(k, GFP_KERNEL, o));
	unsigned long before[MAX_ORDER];
	snapshot_nr_free(zone, before);
	struct page *lo = alloc_pages(k, GFP_KERNEL, 2);
	struct page *hi = alloc_pages(k, GFP_KERNEL, 2);
	assert_int_equal(page_to_pfn(k, lo) & 7, 0);
	assert_int_equal(page_to_pfn(k, lo) ^ page_to_pfn(k, hi), 4);
	__free_pages(k, lo, 2);
	assert_int_equal(zone->free_area[2].nr_free, 1);
	ktest_assert_consistent(k);
	__free_pages(k, hi, 2);
	assert_int_equal(zone->free_area[2].nr_free, 0);
	unsigned long now[MAX_ORDER];
	snapshot_nr_free(zone, now);
	assert_memory_equal(now, before, sizeof(now));
	ktest_assert_consistent(k);
	ktest_shutdown(m);
}

/* Everything allocated and freed in any order coalesces back to the boot state. */
static void test_buddy_free_all_restores_boot_free_lists(void **state)
{
	struct machine *m = ktest_boot(64);
	struct kernel *k = &m->kernel;
	struct seq_file before, after;
	seq_init(&before);
	seq_init(&after);
	buddyinfo_show(&before, k);
	enum { N = 3000 };
	struct page **pages = calloc(N, sizeof(*pages));
	unsigned *orders = calloc(N, sizeof(*orders));
	for (int i = 0; i < N; i++) {
		orders[i] = (unsigned)(i * 7 % 4);
		pages[i] = alloc_pages(k, GFP_KERNEL, orders[i]);
		assert_non_null(pages[i]);
	}
	for (int i = 0; i < N; i += 2)
		__free_pages(k, pages[i], orders[i]);
	for (int i = N - 1; i >= 0; i -= 2)
		__free_pages(k, pages[i], orders[i]);
	assert_int_equal(debug_vm_leaked_pages(k), 0);
	buddyinfo_show(&after, k);
	assert_string_equal(after.buf, before.buf);
	ktest_assert_consistent(k);
	seq_release(&before);
	seq_release(&after);
	free(pages);
	free(orders);
	ktest_shutdown(m);
}

/* Exhaustion: ordinary allocations stop at the min watermark; __GFP_HIGH may go to half
 * of it; __GFP_MEMALLOC takes the rest. */
static void test_watermark_exhaustion_stops_at_min_and_high_dips_below(void **state)
{
	struct machine *m = ktest_boot(64);
	struct kernel *k = &m->kernel;
	k->pcp_disabled = true;
	while (alloc_pages(k, GFP_KERNEL, 0))
		;
	for (int z = ZONE_DMA; z <= ZONE_DMA32; z++) {
		struct zone *zone = zone_of(m, 0, z);
		long free = zone->vm_stat[NR_FREE_PAGES];
		long limit = (long)min_wmark_pages(zone) + zone->lowmem_reserve[ZONE_NORMAL];
		assert_true(free <= limit + 1);
		assert_true(free >= limit - 1);
	}
	long before_high = global_zone_page_state(k, NR_FREE_PAGES);
	int got_high = 0;
	while (alloc_pages(k, GFP_ATOMIC, 0))
		got_high++;
	assert_true(got_high > 0);
	struct zone *dma32 = zone_of(m, 0, ZONE_DMA32);
	long half_min = (long)min_wmark_pages(dma32) - (long)min_wmark_pages(dma32) / 2;
	assert_true(dma32->vm_stat[NR_FREE_PAGES] <= half_min + dma32->lowmem_reserve[ZONE_NORMAL] + 1);
	assert_true(global_zone_page_state(k, NR_FREE_PAGES) < before_high);
	int got_memalloc = 0;
	while (alloc_pages(k, GFP_KERNEL | __GFP_MEMALLOC, 0))
		got_memalloc++;
	assert_true(got_memalloc > 0);
	assert_int_equal(global_zone_page_state(k, NR_FREE_PAGES), 0);
	assert_true(k->alloc_failures >= 3);
	ktest_assert_consistent(k);
	ktest_shutdown(m);
}

/* zone_watermark_ok against the rule written out: free - (2^order - 1) must exceed
 * mark + lowmem_reserve, and a block of the order must exist. */
static void test_watermark_ok_boundaries_follow_the_rule(void **state)
{
	struct machine *m = ktest_boot(64);
	struct zone *zone = zone_of(m, 0, ZONE_DMA32);
	long free = zone->vm_stat[NR_FREE_PAGES];
	assert_true(zone_watermark_ok(zone, 0, (unsigned long)free - 1, ZONE_DMA32, 0));
	assert_false(zone_watermark_ok(zone, 0, (unsigned long)free, ZONE_DMA32, 0));
	assert_true(zone_watermark_ok(zone, 3, (unsigned long)free - 8, ZONE_DMA32, 0));
	assert_false(zone_watermark_ok(zone, 3, (unsigned long)free - 7, ZONE_DMA32, 0));
	/* With ALLOC_HIGH the mark is halved. */
	assert_true(zone_watermark_ok(zone, 0, (unsigned long)free * 2 - 2, ZONE_DMA32, ALLOC_HIGH));
	/* The DMA zone protects itself from allocations aimed at DMA32 by its lowmem_reserve. */
	struct zone *dma = zone_of(m, 0, ZONE_DMA);
	long dfree = dma->vm_stat[NR_FREE_PAGES];
	long reserve = dma->lowmem_reserve[ZONE_DMA32];
	assert_true(reserve > 0);
	assert_true(zone_watermark_ok(dma, 0, (unsigned long)(dfree - reserve - 1), ZONE_DMA, 0));
	assert_false(zone_watermark_ok(dma, 0, (unsigned long)(dfree - reserve), ZONE_DMA32, 0));
	ktest_shutdown(m);
}

/* GFP zone modifiers pick the zone. */
static void test_gfp_zone_modifiers_select_the_zone(void **state)
{
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = 6ULL << 30;
	p.node[0].mem = p.ram_size;
	p.movablecore = 1ULL << 30;
	struct machine *m = ktest_boot_params(&p);
	struct kernel *k = &m->kernel;
	struct {
		gfp_t gfp;
		int zone;
	} cases[] = {
		{GFP_KERNEL, ZONE_NORMAL},       {GFP_DMA, ZONE_DMA},
		{GFP_DMA32, ZONE_DMA32},         {GFP_HIGHUSER, ZONE_NORMAL},
		{GFP_HIGHUSER_MOVABLE, ZONE_MOVABLE}, {GFP_KERNEL | __GFP_MOVABLE, ZONE_NORMAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(gfp_zone(k, cases[i].gfp), cases[i].zone);
		struct page *page = alloc_pages(k, cases[i].gfp, 0);
		assert_non_null(page);
		assert_int_equal(page_zonenum(page), cases[i].zone);
		__free_pages(k, page, 0);
	}
	assert_int_equal(gfp_migratetype(GFP_HIGHUSER_MOVABLE), MIGRATE_MOVABLE);
	assert_int_equal(gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE), MIGRATE_RECLAIMABLE);
	assert_int_equal(gfp_migratetype(GFP_KERNEL), MIGRATE_UNMOVABLE);
	ktest_shutdown(m);
}

/* On i386, __GFP_HIGHMEM reaches ZONE_HIGHMEM above 896 MiB, and DMA32 means Normal. */
static void test_gfp_zone_i386_highmem(void **state)
{
	struct boot_params p;
	boot_params_default(&p);
	p.arch = KARCH_I386;
	p.ram_size = 2ULL << 30;
	p.node[0].mem = p.ram_size;
	struct machine *m = ktest_boot_params(&p);
	struct kernel *k = &m->kernel;
	struct page *page = alloc_pages(k, GFP_HIGHUSER, 0);
	assert_int_equal(page_zonenum(page), ZONE_HIGHMEM);
	assert_true(page_to_pfn(k, page) >= (896UL << 20) >> PAGE_SHIFT);
	__free_pages(k, page, 0);
	page = alloc_pages(k, GFP_DMA32, 0);
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);
	__free_pages(k, page, 0);
	page = alloc_pages(k, GFP_KERNEL, 0);
	assert_true(page_to_pfn(k, page) < (896UL << 20) >> PAGE_SHIFT);
	__free_pages(k, page, 0);
	ktest_shutdown(m);
}

/* pcp: the first order-0 allocation pulls a batch; freeing past high gives a batch back. */
static void test_pcp_fill_takes_batch_and_drain_returns_batch(void **state)
{
	struct machine *m = ktest_boot(256);
	struct kernel *k = &m->kernel;
	struct zone *zone = zone_of(m, 0, ZONE_DMA32);
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[0];
	drain_all_pages(k);
	assert_int_equal(pcp->count, 0);
	long free_before = zone->vm_stat[NR_FREE_PAGES];
	struct page *first = alloc_pages(k, GFP_KERNEL, 0);
	assert_non_null(first);
	assert_int_equal(pcp->count, pcp->batch - 1);
	assert_int_equal(zone->vm_stat[NR_FREE_PAGES], free_before - pcp->batch);
	/* Freed pages go to the hot end: the next allocation gets the same page back. */
	__free_pages(k, first, 0);
	assert_ptr_equal(alloc_pages(k, GFP_KERNEL, 0), first);
	enum { N = 4096 };
	struct page **pages = calloc(N, sizeof(*pages));
	int n = pcp->high + pcp->batch;
	for (int i = 0; i < n; i++)
		pages[i] = alloc_pages(k, GFP_KERNEL, 0);
	__free_pages(k, first, 0);
	int drained = 0;
	for (int i = 0; i < n; i++) {
		int c = pcp->count;
		__free_pages(k, pages[i], 0);
		if (pcp->count < c)
			drained++;
		assert_true(pcp->count < pcp->high);
	}
	assert_true(drained > 0);
	drain_all_pages(k);
	assert_int_equal(pcp->count, 0);
	assert_int_equal(zone->vm_stat[NR_FREE_PAGES], free_before);
	ktest_assert_consistent(k);
	free(pages);
	ktest_shutdown(m);
}

/* Each CPU has its own pcp lists. */
static void test_pcp_lists_are_per_cpu(void **state)
{
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = 128ULL << 20;
	p.node[0].mem = p.ram_size;
	p.nr_cpus = 2;
	struct machine *m = ktest_boot_params(&p);
	struct kernel *k = &m->kernel;
	struct zone *zone = zone_of(m, 0, ZONE_DMA32);
	drain_all_pages(k);
	k->this_cpu = 1;
	struct page *page = alloc_pages(k, GFP_KERNEL, 0);
	assert_int_equal(zone->per_cpu_pageset[0].count, 0);
	assert_int_equal(zone->per_cpu_pageset[1].count, zone->per_cpu_pageset[1].batch - 1);
	k->this_cpu = 0;
	__free_pages(k, page, 0);
	assert_int_equal(zone->per_cpu_pageset[0].count, 1);
	ktest_assert_consistent(k);
	ktest_shutdown(m);
}

/* __GFP_ZERO zeroes the block; __GFP_COMP makes a compound page. */
static void test_gfp_zero_and_comp(void **state)
{
	struct machine *m = ktest_boot(64);
	struct kernel *k = &m->kernel;
	struct page *page = alloc_pages(k, GFP_KERNEL, 2);
	memset(page_address(k, page), 0xa5, 4 * PAGE_SIZE);
	__free_pages(k, page, 2);
	struct page *again = alloc_pages(k, GFP_KERNEL | __GFP_ZERO | __GFP_COMP, 2);
	assert_ptr_equal(again, page);
	const uint8_t *bytes = page_address(k, again);
	for (size_t i = 0; i < 4 * PAGE_SIZE; i++)
		assert_int_equal(bytes[i], 0);
	assert_true(PageHead(again));
	for (int i = 1; i < 4; i++) {
		assert_true(PageTail(&again[i]));
		assert_ptr_equal(compound_head(&again[i]), again);
	}
	assert_int_equal(compound_order(again), 2);
	__free_pages(k, again, 2);
	assert_false(PageHead(again));
	assert_int_equal(debug_vm_leaked_pages(k), 0);
	ktest_assert_consistent(k);
	ktest_shutdown(m);
}

/* Order MAX_ORDER and above cannot be satisfied. */
static void test_alloc_order_too_large_returns_null(void **state)
{
	struct machine *m = ktest_boot(64);
	assert_null(alloc_pages(&m->kernel, GFP_KERNEL, MAX_ORDER));
	assert_non_null(alloc_pages(&m->kernel, GFP_KERNEL, MAX_ORDER - 1));
	ktest_shutdown(m);
}

/* Migratetypes: an unmovable request with no unmovable blocks steals a whole pageblock. */
static void test_fallback_steals_pageblock_for_unmovable(void **state)
{
	struct machine *m = ktest_boot(64);
	struct kernel *k = &m->kernel;
	k->pcp_disabled = true;
	struct page *page = alloc_pages(k, GFP_KERNEL, 0);
	assert_int_equal(get_pageblock_migratetype(k, page), MIGRATE_UNMOVABLE);
	/* The rest of that pageblock now serves unmovable requests first. */
	struct page *next = alloc_pages(k, GFP_KERNEL, 0);
	unsigned long pb = page_to_pfn(k, page) >> pageblock_order;
	assert_int_equal(page_to_pfn(k, next) >> pageblock_order, pb);
	struct page *movable = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0);
	assert_int_equal(get_pageblock_migratetype(k, movable), MIGRATE_MOVABLE);
	assert_int_not_equal(page_to_pfn(k, movable) >> pageblock_order, pb);
	ktest_assert_consistent(k);
	ktest_shutdown(m);
}

/* A deterministic xorshift, so the stress test is reproducible. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random allocations and frees checked against a reference model: the set of live blocks.
 * No two live blocks overlap, every block is aligned to its order and in a zone its GFP
 * allows, contents written into a block survive until it is freed, and the free count
 * equals boot's minus the live pages. */
static void test_stress_random_against_reference_model(void **state)
{
	struct machine *m = ktest_boot(128);
	struct kernel *k = &m->kernel;
	enum { LIVE = 2048, STEPS = 60000 };
	struct {
		struct page *page;
		unsigned order;
		uint32_t tag;
	} live[LIVE];
	memset(live, 0, sizeof(live));
	uint8_t *owner = calloc(k->max_pfn, 1);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	long live_pages = 0;
	static const gfp_t gfps[] = {GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_DMA,
				     GFP_KERNEL | __GFP_RECLAIMABLE, GFP_ATOMIC};
	for (int step = 0; step < STEPS; step++) {
		int slot = (int)(rng_next(&seed) % LIVE);
		if (live[slot].page) {
			unsigned long pfn = page_to_pfn(k, live[slot].page);
			uint32_t *words = page_address(k, live[slot].page);
			assert_int_equal(words[0], live[slot].tag);
			for (unsigned long i = 0; i < (1UL << live[slot].order); i++)
				owner[pfn + i] = 0;
			__free_pages(k, live[slot].page, live[slot].order);
			live_pages -= 1L << live[slot].order;
			live[slot].page = NULL;
		} else {
			unsigned order = (unsigned)(rng_next(&seed) % 16);
			order = order < 10 ? 0 : order - 9; /* mostly order 0, up to 6 */
			gfp_t gfp = gfps[rng_next(&seed) % 5];
			struct page *page = alloc_pages(k, gfp, order);
			if (!page)
				continue;
			unsigned long pfn = page_to_pfn(k, page);
			assert_int_equal(pfn & ((1UL << order) - 1), 0);
			assert_true((int)page_zonenum(page) <= gfp_zone(k, gfp));
			for (unsigned long i = 0; i < (1UL << order); i++) {
				assert_int_equal(owner[pfn + i], 0);
				owner[pfn + i] = 1;
			}
			live[slot].page = page;
			live[slot].order = order;
			live[slot].tag = (uint32_t)rng_next(&seed);
			*(uint32_t *)page_address(k, page) = live[slot].tag;
			live_pages += 1L << order;
		}
		if (step % 10000 == 0)
			ktest_assert_consistent(k);
	}
	drain_all_pages(k);
	assert_int_equal(global_zone_page_state(k, NR_FREE_PAGES),
			 (long)k->boot_free_pages - live_pages);
	for (int i = 0; i < LIVE; i++)
		if (live[i].page)
			__free_pages(k, live[i].page, live[i].order);
	assert_int_equal(debug_vm_leaked_pages(k), 0);
	ktest_assert_consistent(k);
	free(owner);
	ktest_shutdown(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buddy_split_smallest_block_leaves_one_block_per_lower_order),
		cmocka_unit_test(test_buddy_free_both_buddies_merges_back),
		cmocka_unit_test(test_buddy_free_all_restores_boot_free_lists),
		cmocka_unit_test(test_watermark_exhaustion_stops_at_min_and_high_dips_below),
		cmocka_unit_test(test_watermark_ok_boundaries_follow_the_rule),
		cmocka_unit_test(test_gfp_zone_modifiers_select_the_zone),
		cmocka_unit_test(test_gfp_zone_i386_highmem),
		cmocka_unit_test(test_pcp_fill_takes_batch_and_drain_returns_batch),
		cmocka_unit_test(test_pcp_lists_are_per_cpu),
		cmocka_unit_test(test_gfp_zero_and_comp),
		cmocka_unit_test(test_alloc_order_too_large_returns_null),
		cmocka_unit_test(test_fallback_steals_pageblock_for_unmovable),
		cmocka_unit_test(test_stress_random_against_reference_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
