/* Boot: memblock, zone spans per layout, movablecore, mem_map placement, watermarks. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/kernel-sim/ktest.h"

#define MB(x) ((uint64_t)(x) << 20)
#define GB(x) ((uint64_t)(x) << 30)
#define PFN(bytes) ((unsigned long)((bytes) >> PAGE_SHIFT))

static struct boot_params one_node(uint64_t ram)
{
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = ram;
	p.node[0].mem = ram;
	return p;
}

static void assert_zone_span(struct kernel *k, int nid, int z, unsigned long start,
			     unsigned long end)
{
	struct zone *zone = &NODE_DATA(k, nid)->node_zones[z];
	assert_int_equal(zone->zone_start_pfn, end > start ? start : 0);
	assert_int_equal(zone->spanned_pages, end > start ? end - start : 0);
}

/* x86-64: DMA below 16M, DMA32 below 4G, Normal above. */
static void test_zones_x86_64_layout_6g(void **state)
{
	struct boot_params p = one_node(GB(6));
	struct machine *m = ktest_boot_params(&p);
	struct kernel *k = &m->kernel;
	assert_zone_span(k, 0, ZONE_DMA, 0, PFN(MB(16)));
	assert_zone_span(k, 0, ZONE_DMA32, PFN(MB(16)), PFN(GB(4)));
	assert_zone_span(k, 0, ZONE_NORMAL, PFN(GB(4)), PFN(GB(6)));
	assert_zone_span(k, 0, ZONE_HIGHMEM, 0, 0);
	assert_zone_span(k, 0, ZONE_MOVABLE, 0, 0);
	assert_int_equal(NODE_DATA(k, 0)->nr_zones, ZONE_NORMAL + 1);
	ktest_shutdown(m);
}

/* i386: DMA below 16M, Normal below 896M, HighMem above. */
static void test_zones_i386_layout_2g(void **state)
{
	struct boot_params p = one_node(GB(2));
	p.arch = KARCH_I386;
	struct machine *m = ktest_boot_params(&p);
	struct kernel *k = &m->kernel;
	assert_zone_span(k, 0, ZONE_DMA, 0, PFN(MB(16)));
	assert_zone_span(k, 0, ZONE_DMA32, 0, 0);
	assert_zone_span(k, 0, ZONE_NORMAL, PFN(MB(16)), PFN(MB(896)));
	assert_zone_span(k, 0, ZONE_HIGHMEM, PFN(MB(896)), PFN(GB(2)));
	assert_int_equal(k->page_offset, 0xc0000000ULL);
	ktest_shutdown(m);
}

/* movablecore= carves ZONE_MOVABLE from the top of the highest zone. */
static void test_zones_movablecore_takes_top_of_normal(void **state)
{
	struct boot_params p = one_node(GB(6));
	p.movablecore = GB(1);
	struct machine *m = ktest_boot_params(&p);
	struct kernel *k = &m->kernel;
	assert_zone_span(k, 0, ZONE_NORMAL, PFN(GB(4)), PFN(GB(5)));
	assert_zone_span(k, 0, ZONE_MOVABLE, PFN(GB(5)), PFN(GB(6)));
	ktest_shutdown(m);
}

/* Two nodes: each node's zones lie inside its own range; node 1 starts where 0 ends. */
static void test_zones_two_nodes_split_dma32(void **state)
{
	struct boot_params p = one_node(GB(6));
	p.nr_nodes = 2;
	p.node[0] = (struct numa_node_params){GB(2), -1, -1};
	p.node[1] = (struct numa_node_params){GB(4), -1, -1};
	struct machine *m = ktest_boot_params(&p);
	struct kernel *k = &m->kernel;
	assert_int_equal(NODE_DATA(k, 1)->node_start_pfn, PFN(GB(2)));
	assert_int_equal(NODE_DATA(k, 1)->node_spanned_pages, PFN(GB(4)));
	assert_zone_span(k, 0, ZONE_DMA32, PFN(MB(16)), PFN(GB(2)));
	assert_zone_span(k, 1, ZONE_DMA, 0, 0);
	assert_zone_span(k, 1, ZONE_DMA32, PFN(GB(2)), PFN(GB(4)));
	assert_zone_span(k, 1, ZONE_NORMAL, PFN(GB(4)), PFN(GB(6)));
	/* Every struct page knows its node and zone. */
	struct page *page = pfn_to_page(k, PFN(GB(3)));
	assert_int_equal(page_to_nid(page), 1);
	assert_int_equal(page_zonenum(page), ZONE_DMA32);
	assert_int_equal(page_to_pfn(k, page), PFN(GB(3)));
	ktest_shutdown(m);
}

/* The mem_map lives in guest RAM on its node, reserved, and is 64 bytes per frame. */
static void test_mem_map_is_in_guest_ram_on_its_node(void **state)
{
	struct boot_params p = one_node(GB(1));
	p.nr_nodes = 2;
	p.node[0] = (struct numa_node_params){MB(512), -1, -1};
	p.node[1] = (struct numa_node_params){MB(512), -1, -1};
	struct machine *m = ktest_boot_params(&p);
	struct kernel *k = &m->kernel;
	for (unsigned long pfn = 0; pfn < k->max_pfn; pfn += PAGES_PER_SECTION) {
		struct page *page = pfn_to_page(k, pfn);
		assert_true((uint8_t *)page >= m->bus.ram);
		assert_true((uint8_t *)page < m->bus.ram + m->bus.ram_size);
		struct page *map_frame = virt_to_page(k, page);
		assert_true(PageReserved(map_frame));
		assert_int_equal(page_to_nid(map_frame), page_to_nid(page));
	}
	/* Low memory and the kernel image are never free; they are reserved. */
	assert_true(PageReserved(pfn_to_page(k, 0)));
	assert_true(PageReserved(pfn_to_page(k, PFN(KERNEL_IMAGE_START))));
	uint64_t memmap_bytes = k->max_pfn * sizeof(struct page);
	unsigned long reserved = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int n = 0; n < 2; n++) {
			struct zone *zone = &NODE_DATA(k, n)->node_zones[z];
			reserved += zone->present_pages - zone->managed_pages;
		}
	assert_true(reserved * PAGE_SIZE >= memmap_bytes + LOW_MEMORY_RESERVE + KERNEL_IMAGE_SIZE);
	assert_int_equal(k->totalram_pages + reserved, k->max_pfn);
	ktest_shutdown(m);
}

/* min_free_kbytes = sqrt(16 * lowmem KiB) and the min marks add up to it. */
static void test_watermarks_follow_min_free_kbytes(void **state)
{
	struct boot_params p = one_node(GB(2));
	struct machine *m = ktest_boot_params(&p);
	struct kernel *k = &m->kernel;
	unsigned long lowmem_kb = k->totalram_pages * 4;
	long expect = (long)floor(sqrt((double)lowmem_kb * 16));
	assert_int_equal(k->min_free_kbytes, expect);
	unsigned long mins = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &NODE_DATA(k, 0)->node_zones[z];
		mins += zone->_watermark[WMARK_MIN];
		if (!zone->managed_pages)
			continue;
		unsigned long gap = zone->_watermark[WMARK_LOW] - zone->_watermark[WMARK_MIN];
		unsigned long scaled = zone->managed_pages * 10 / 10000;
		unsigned long quarter = zone->_watermark[WMARK_MIN] / 4;
		assert_int_equal(gap, scaled > quarter ? scaled : quarter);
		assert_int_equal(zone->_watermark[WMARK_HIGH] - zone->_watermark[WMARK_LOW], gap);
	}
	/* Rounding down each zone's share loses at most one page per zone. */
	unsigned long pages_min = (unsigned long)k->min_free_kbytes / 4;
	assert_true(mins <= pages_min && mins + 3 >= pages_min);
	/* lowmem_reserve: DMA keeps DMA32's managed pages / 256 from DMA32 allocations. */
	struct zone *dma = &NODE_DATA(k, 0)->node_zones[ZONE_DMA];
	struct zone *dma32 = &NODE_DATA(k, 0)->node_zones[ZONE_DMA32];
	assert_int_equal(dma->lowmem_reserve[ZONE_DMA32], (long)(dma32->managed_pages / 256));
	assert_int_equal(dma32->lowmem_reserve[ZONE_DMA32], 0);
	ktest_shutdown(m);
}

/* --min-free-kbytes overrides the derived value. */
static void test_watermarks_min_free_kbytes_override(void **state)
{
	struct boot_params p = one_node(MB(256));
	p.min_free_kbytes = 8192;
	struct machine *m = ktest_boot_params(&p);
	assert_int_equal(m->kernel.min_free_kbytes, 8192);
	ktest_shutdown(m);
}

/* memblock: top-down allocation below a limit, merging of neighbouring reservations. */
static void test_memblock_top_down_and_merge(void **state)
{
	struct memblock mb;
	memset(&mb, 0, sizeof(mb));
	assert_int_equal(memblock_add_node(&mb, 0, MB(64), 0), 0);
	assert_int_equal(memblock_add_node(&mb, MB(64), MB(64), 1), 0);
	assert_int_equal(memblock_reserve(&mb, 0, MB(1), "low"), 0);
	uint64_t a = memblock_phys_alloc_node(&mb, 8192, 4096, 0, 0);
	assert_int_equal(a, MB(64) - 8192);
	uint64_t b = memblock_phys_alloc_node(&mb, 4096, 4096, 0, 0);
	assert_int_equal(b, MB(64) - 12288);
	assert_int_equal(mb.reserved.cnt, 2); /* the two allocations merged */
	uint64_t c = memblock_phys_alloc_node(&mb, 4096, 4096, 1, 0);
	assert_int_equal(c, MB(128) - 4096);
	uint64_t d = memblock_phys_alloc_node(&mb, 4096, 4096, 1, MB(100));
	assert_int_equal(d, MB(100) - 4096);
	assert_true(memblock_is_reserved(&mb, MB(100) - 1, 1));
	assert_false(memblock_is_reserved(&mb, MB(100), 4096));
	/* A node without room falls back to another node. */
	uint64_t e = memblock_phys_alloc_node(&mb, MB(100), 4096, 0, 0);
	assert_int_equal(e, 0);
	uint64_t f = memblock_phys_alloc_node(&mb, MB(60), 4096, 1, 0);
	assert_true(f >= MB(1));
	mb.retired = true;
	assert_int_equal(memblock_phys_alloc_node(&mb, 4096, 4096, 0, 0), 0);
}

/* Settings that describe no machine are refused with a message. */
static void test_boot_params_rejects_impossible_settings(void **state)
{
	char err[256];
	struct boot_params p = one_node(MB(8));
	assert_int_equal(boot_params_finish(&p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too little memory"));
	p = one_node(GB(1));
	p.nr_nodes = 2;
	p.node[0].mem = MB(512);
	p.node[1] = (struct numa_node_params){MB(256), -1, -1};
	assert_int_equal(boot_params_finish(&p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "adds up"));
	p = one_node(GB(1));
	p.node[0].cpu_first = 0;
	p.node[0].cpu_last = 3;
	assert_int_equal(boot_params_finish(&p, err, sizeof(err)), -EINVAL);
	p = one_node(GB(1));
	p.movablecore = GB(1);
	assert_int_equal(boot_params_finish(&p, err, sizeof(err)), -EINVAL);
	p = one_node(GB(1));
	p.node[0].mem = GB(1) + 100;
	p.ram_size = p.node[0].mem;
	assert_int_equal(boot_params_finish(&p, err, sizeof(err)), -EINVAL);
}

/* A 64 GiB machine boots on a smaller host: RAM is committed only where touched. */
static void test_boot_64g_guest_commits_lazily(void **state)
{
	struct boot_params p = one_node(GB(64));
	struct machine *m = ktest_boot_params(&p);
	assert_int_equal(m->kernel.max_pfn, PFN(GB(64)));
	struct page *page = alloc_pages(&m->kernel, GFP_KERNEL, 0);
	assert_non_null(page);
	__free_pages(&m->kernel, page, 0);
	ktest_shutdown(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zones_x86_64_layout_6g),
		cmocka_unit_test(test_zones_i386_layout_2g),
		cmocka_unit_test(test_zones_movablecore_takes_top_of_normal),
		cmocka_unit_test(test_zones_two_nodes_split_dma32),
		cmocka_unit_test(test_mem_map_is_in_guest_ram_on_its_node),
		cmocka_unit_test(test_watermarks_follow_min_free_kbytes),
		cmocka_unit_test(test_watermarks_min_free_kbytes_override),
		cmocka_unit_test(test_memblock_top_down_and_merge),
		cmocka_unit_test(test_boot_params_rejects_impossible_settings),
		cmocka_unit_test(test_boot_64g_guest_commits_lazily),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
