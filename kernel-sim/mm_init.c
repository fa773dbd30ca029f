/*
 * Boot of physical memory management, as Linux's mm/mm_init.c and mm/sparse.c:
 *
 *   memblock (RAM per node; low memory and the kernel image reserved)
 *   -> sparse mem_map: one struct page per frame, each 128 MiB section's piece on its node
 *   -> pg_data_t per node, zone spans (DMA/DMA32/Normal or DMA/Normal/HighMem, and
 *      ZONE_MOVABLE carved from the top of each node by movablecore=)
 *   -> memmap_init: every struct page knows its zone, node and section, and is reserved
 *   -> memblock_free_all: every frame memblock did not take goes to the buddy allocator
 *   -> zonelists, watermarks, lowmem_reserve, pcp sizes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-sim/mm.h"
#include "kernel-sim/page_alloc.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/vdso.h"
#include "kernel-sim/vmalloc.h"

static const char *const zone_names[MAX_NR_ZONES] = {
	"DMA", "DMA32", "Normal", "HighMem", "Movable",
};

/* Zone boundaries in pfns for the configured layout: zone i covers [lo[i], hi[i]). */
static void arch_zone_limits(const struct kernel *k, unsigned long lo[MAX_NR_ZONES],
			     unsigned long hi[MAX_NR_ZONES])
{
	unsigned long dma = (16ULL << 20) >> PAGE_SHIFT;
	unsigned long max = k->max_pfn;
	memset(lo, 0, sizeof(unsigned long) * MAX_NR_ZONES);
	memset(hi, 0, sizeof(unsigned long) * MAX_NR_ZONES);
	hi[ZONE_DMA] = dma < max ? dma : max;
	if (k->params.arch == KARCH_X86_64) {
		unsigned long dma32 = (4ULL << 30) >> PAGE_SHIFT;
		lo[ZONE_DMA32] = hi[ZONE_DMA];
		hi[ZONE_DMA32] = dma32 < max ? dma32 : max;
		lo[ZONE_NORMAL] = hi[ZONE_DMA32];
		hi[ZONE_NORMAL] = max;
	} else {
		unsigned long lowmem = (896ULL << 20) >> PAGE_SHIFT;
		lo[ZONE_NORMAL] = hi[ZONE_DMA];
		hi[ZONE_NORMAL] = lowmem < max ? lowmem : max;
		lo[ZONE_HIGHMEM] = hi[ZONE_NORMAL];
		hi[ZONE_HIGHMEM] = max;
	}
}

static unsigned long node_start_pfn_of(const struct kernel *k, int nid)
{
	unsigned long pfn = 0;
	for (int n = 0; n < nid; n++)
		pfn += k->params.node[n].mem >> PAGE_SHIFT;
	return pfn;
}

static unsigned long node_end_pfn_of(const struct kernel *k, int nid)
{
	return node_start_pfn_of(k, nid) + (k->params.node[nid].mem >> PAGE_SHIFT);
}

/*
 * Linux's find_zone_movable_pfns_for_nodes, simplified: the memory not given to
 * movablecore is spread evenly over the nodes as kernelcore; on each node the highest
 * zone starts being ZONE_MOVABLE where that node's share of kernelcore ends.
 */
static void find_zone_movable_pfns_for_nodes(struct kernel *k, const unsigned long lo[],
					     const unsigned long hi[])
{
	int movable_zone = k->params.arch == KARCH_X86_64 ? ZONE_NORMAL : ZONE_HIGHMEM;
	while (movable_zone > ZONE_DMA && hi[movable_zone] <= lo[movable_zone])
		movable_zone--;
	k->movable_zone = movable_zone;
	if (!k->params.movablecore)
		return;
	unsigned long kernelcore = (k->params.ram_size - k->params.movablecore) >> PAGE_SHIFT;
	for (int nid = 0; nid < k->nr_node_ids; nid++) {
		unsigned long share = kernelcore / (unsigned long)(k->nr_node_ids - nid);
		unsigned long start = node_start_pfn_of(k, nid), end = node_end_pfn_of(k, nid);
		unsigned long mz_start = lo[movable_zone] > start ? lo[movable_zone] : start;
		unsigned long below = mz_start > start ? mz_start - start : 0;
		if (below > end - start)
			below = end - start;
		unsigned long pfn = mz_start;
		if (share > below)
			pfn += share - below;
		pfn = (pfn + (1UL << (MAX_ORDER - 1)) - 1) & ~((1UL << (MAX_ORDER - 1)) - 1);
		if (pfn < end)
			k->zone_movable_pfn[nid] = pfn;
		unsigned long used = (pfn < end ? pfn : end) - start;
		kernelcore = used < kernelcore ? kernelcore - used : 0;
	}
}

/* The pfn range [*s, *e) of zone z on node nid. */
static void zone_range(const struct kernel *k, int nid, int z, const unsigned long lo[],
		       const unsigned long hi[], unsigned long *s, unsigned long *e)
{
	unsigned long ns = node_start_pfn_of(k, nid), ne = node_end_pfn_of(k, nid);
	unsigned long zmp = k->zone_movable_pfn[nid];
	if (z == ZONE_MOVABLE) {
		*s = zmp ? zmp : 0;
		*e = zmp ? ne : 0;
		return;
	}
	*s = lo[z] > ns ? lo[z] : ns;
	*e = hi[z] < ne ? hi[z] : ne;
	if (zmp && z == k->movable_zone && *e > zmp)
		*e = zmp;
	if (*e <= *s)
		*s = *e = 0;
}

/* The boot log lines Linux prints while it sets up memory (mm/mm_init.c). */
static void print_memory_map(struct kernel *k, const unsigned long lo[], const unsigned long hi[])
{
	static const char *const arch_name[] = {"x86_64", "i386"};
	printk(k, KERN_INFO, "mmemu kernel-sim (%s memory layout), %d node(s), %d CPU(s)",
	       arch_name[k->params.arch], k->nr_node_ids, k->nr_cpu_ids);
	printk(k, KERN_INFO, "BIOS-provided physical RAM map:");
	for (int nid = 0; nid < k->nr_node_ids; nid++)
		printk(k, KERN_INFO, "BIOS-e820: [mem 0x%016llx-0x%016llx] usable",
		       (unsigned long long)PFN_PHYS(node_start_pfn_of(k, nid)),
		       (unsigned long long)PFN_PHYS(node_end_pfn_of(k, nid)) - 1);
	printk(k, KERN_INFO, "Zone ranges:");
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		if (!zone_configured(k, z) || z == ZONE_MOVABLE)
			continue;
		if (hi[z] <= lo[z])
			printk(k, KERN_INFO, "  %-8s empty", zone_names[z]);
		else
			printk(k, KERN_INFO, "  %-8s [mem 0x%016llx-0x%016llx]", zone_names[z],
			       (unsigned long long)PFN_PHYS(lo[z]), (unsigned long long)PFN_PHYS(hi[z]) - 1);
	}
	printk(k, KERN_INFO, "Movable zone start for each node");
	for (int nid = 0; nid < k->nr_node_ids; nid++)
		if (k->zone_movable_pfn[nid])
			printk(k, KERN_INFO, "  Node %d: 0x%016llx", nid,
			       (unsigned long long)PFN_PHYS(k->zone_movable_pfn[nid]));
	printk(k, KERN_INFO, "Early memory node ranges");
	for (int nid = 0; nid < k->nr_node_ids; nid++)
		printk(k, KERN_INFO, "  node %3d: [mem 0x%016llx-0x%016llx]", nid,
		       (unsigned long long)PFN_PHYS(node_start_pfn_of(k, nid)),
		       (unsigned long long)PFN_PHYS(node_end_pfn_of(k, nid)) - 1);
}

/* Linux's mem_init_print_info: what the buddy allocator got, and what boot kept. */
static void print_memory_summary(struct kernel *k)
{
	unsigned long total = 0, highmem = 0;
	for_each_online_node(k, nid) {
		printk(k, KERN_INFO, "Initmem setup node %d [mem 0x%016llx-0x%016llx]", nid,
		       (unsigned long long)PFN_PHYS(node_start_pfn_of(k, nid)),
		       (unsigned long long)PFN_PHYS(node_end_pfn_of(k, nid)) - 1);
		total += NODE_DATA(k, nid)->node_present_pages;
		highmem += NODE_DATA(k, nid)->node_zones[ZONE_HIGHMEM].managed_pages;
	}
	printk(k, KERN_INFO, "Built %d zonelists, mobility grouping on.  Total pages: %lu",
	       k->nr_node_ids, k->totalram_pages);
	printk(k, KERN_INFO, "Policy zone: %s",
	       zone_names[k->params.arch == KARCH_X86_64 && k->max_pfn > PFN_DOWN(4ULL << 30)
				  ? ZONE_NORMAL
				  : k->params.arch == KARCH_X86_64 ? ZONE_DMA32 : ZONE_NORMAL]);
	printk(k, KERN_INFO, "Memory: %luK/%luK available (%lluK kernel image, %luK reserved, "
	       "0K cma-reserved, %luK highmem)",
	       k->totalram_pages << (PAGE_SHIFT - 10), total << (PAGE_SHIFT - 10),
	       KERNEL_IMAGE_SIZE >> 10, (total - k->totalram_pages) << (PAGE_SHIFT - 10),
	       highmem << (PAGE_SHIFT - 10));
}

static int sparse_init(struct kernel *k)
{
	k->nr_sections = (k->max_pfn + PAGES_PER_SECTION - 1) >> PFN_SECTION_SHIFT;
	k->section_mem_map = calloc(k->nr_sections, sizeof(*k->section_mem_map));
	if (!k->section_mem_map)
		return -ENOMEM;
	for (unsigned long sec = 0; sec < k->nr_sections; sec++) {
		unsigned long start = sec << PFN_SECTION_SHIFT;
		unsigned long nr = k->max_pfn - start;
		if (nr > PAGES_PER_SECTION)
			nr = PAGES_PER_SECTION;
		int nid = 0;
		while (nid + 1 < k->nr_node_ids && start >= node_end_pfn_of(k, nid))
			nid++;
		void *map = memblock_alloc_node(k, nr * sizeof(struct page), PAGE_SIZE, nid,
						"mem_map");
		if (!map)
			return -ENOMEM;
		/* Written whole by memmap_init and kept until shutdown: never aliased. */
		bus_commit_private(k->bus, __pa(k, map), nr * sizeof(struct page));
		k->section_mem_map[sec] = (uintptr_t)map - start * sizeof(struct page);
	}
	return 0;
}

static int init_zone(struct kernel *k, pg_data_t *pgdat, int z, unsigned long s,
		     unsigned long e)
{
	struct zone *zone = &pgdat->node_zones[z];
	zone->name = zone_names[z];
	zone->node = pgdat->node_id;
	zone->idx = (enum zone_type)z;
	zone->zone_pgdat = pgdat;
	zone->zone_start_pfn = s;
	zone->spanned_pages = e - s;
	zone->present_pages = e - s;
	for (int o = 0; o < MAX_ORDER; o++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			INIT_LIST_HEAD(&zone->free_area[o].free_list[mt]);
	if (!populated_zone(zone))
		return 0;
	unsigned long first_block = s & ~(pageblock_nr_pages - 1);
	unsigned long nr_blocks = (e - first_block + pageblock_nr_pages - 1) >> pageblock_order;
	zone->pageblock_flags = memblock_alloc_node(k, nr_blocks, 8, pgdat->node_id,
						    "pageblock flags");
	zone->per_cpu_pageset = memblock_alloc_node(
		k, (uint64_t)k->nr_cpu_ids * sizeof(struct per_cpu_pages), 64, pgdat->node_id,
		"per-cpu pagesets");
	if (!zone->pageblock_flags || !zone->per_cpu_pageset)
		return -ENOMEM;
	memset(zone->pageblock_flags, MIGRATE_MOVABLE, nr_blocks);
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++)
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			INIT_LIST_HEAD(&zone->per_cpu_pageset[cpu].lists[mt]);
	return 0;
}

static int free_area_init_node(struct kernel *k, int nid, const unsigned long lo[],
			       const unsigned long hi[])
{
	pg_data_t *pgdat = memblock_alloc_node(k, sizeof(pg_data_t), 64, nid, "node data");
	if (!pgdat)
		return -ENOMEM;
	k->node_data[nid] = pgdat;
	pgdat->node_id = nid;
	pgdat->node_start_pfn = node_start_pfn_of(k, nid);
	pgdat->node_spanned_pages = node_end_pfn_of(k, nid) - pgdat->node_start_pfn;
	pgdat->node_present_pages = pgdat->node_spanned_pages;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		unsigned long s, e;
		zone_range(k, nid, z, lo, hi, &s, &e);
		if (init_zone(k, pgdat, z, s, e) < 0)
			return -ENOMEM;
		if (e > s)
			pgdat->nr_zones = z + 1;
	}
	return 0;
}

/* The struct page of every reserved frame of zone z on node nid in section sec. */
static void reserved_page_template(struct page *page, int z, int nid, unsigned long sec)
{
	memset(page, 0, sizeof(*page));
	page->flags = ((uint64_t)z << ZONES_SHIFT) | ((uint64_t)nid << NODES_SHIFT) |
		      ((uint64_t)sec << SECTIONS_SHIFT);
	SetPageReserved(page);
	set_page_count(page, 1);
	page->_mapcount = -1;
}

/*
 * Every struct page: its zone, node and section, reserved until memblock_free_all. All
 * pages of one zone and section are alike, and a section's pages are one array: each is
 * a copy of one template (a quarter of the host instructions of building each in place).
 */
static void memmap_init(struct kernel *k)
{
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];
			unsigned long pfn = zone->zone_start_pfn, end = zone_end_pfn(zone);
			while (pfn < end) {
				unsigned long sec = pfn >> PFN_SECTION_SHIFT;
				unsigned long stop = (sec + 1) << PFN_SECTION_SHIFT;
				struct page tmpl, *page = pfn_to_page(k, pfn);
				reserved_page_template(&tmpl, z, nid, sec);
				for (stop = stop < end ? stop : end; pfn < stop; pfn++, page++)
					memcpy(page, &tmpl, sizeof(tmpl));
			}
		}
	}
}

static void free_range_to_buddy(struct kernel *k, unsigned long start, unsigned long end)
{
	while (start < end) {
		unsigned order = MAX_ORDER - 1;
		while (order && ((start & ((1UL << order) - 1)) || start + (1UL << order) > end))
			order--;
		__free_pages_core(k, pfn_to_page(k, start), order);
		start += 1UL << order;
	}
}

/* Frees [start, end) split at zone boundaries, so no block crosses a zone. */
static void free_range_by_zone(struct kernel *k, unsigned long start, unsigned long end)
{
	while (start < end) {
		struct zone *zone = page_zone(k, pfn_to_page(k, start));
		unsigned long zend = zone_end_pfn(zone);
		unsigned long stop = zend < end ? zend : end;
		free_range_to_buddy(k, start, stop);
		start = stop;
	}
}

/* Hands every frame of RAM that memblock did not reserve to the buddy allocator. */
static void memblock_free_all(struct kernel *k)
{
	struct memblock *mb = &k->memblock;
	for (int i = 0; i < mb->memory.cnt; i++) {
		uint64_t pos = mb->memory.regions[i].base;
		uint64_t end = pos + mb->memory.regions[i].size;
		for (int r = 0; r < mb->reserved.cnt && pos < end; r++) {
			const struct memblock_region *res = &mb->reserved.regions[r];
			uint64_t rs = res->base & PAGE_MASK;
			uint64_t re = (res->base + res->size + PAGE_SIZE - 1) & PAGE_MASK;
			if (re <= pos || rs >= end)
				continue;
			if (rs > pos)
				free_range_by_zone(k, PFN_DOWN(pos), PFN_DOWN(rs));
			pos = re > pos ? re : pos;
		}
		if (pos < end)
			free_range_by_zone(k, PFN_DOWN(pos), PFN_DOWN(end));
	}
	mb->retired = true;
	k->totalram_pages = 0;
	for_each_online_node(k, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			k->totalram_pages += NODE_DATA(k, nid)->node_zones[z].managed_pages;
}

static int memblock_setup(struct kernel *k)
{
	uint64_t base = 0;
	for (int nid = 0; nid < k->nr_node_ids; nid++) {
		if (memblock_add_node(&k->memblock, base, k->params.node[nid].mem, nid) < 0)
			return -ENOSPC;
		base += k->params.node[nid].mem;
	}
	if (memblock_reserve(&k->memblock, 0, LOW_MEMORY_RESERVE, "low memory") < 0 ||
	    memblock_reserve(&k->memblock, KERNEL_IMAGE_START, KERNEL_IMAGE_SIZE,
			     "kernel image") < 0)
		return -ENOSPC;
	return 0;
}

static void init_defaults(struct kernel *k)
{
	static const int ratio[MAX_NR_ZONES] = {256, 256, 32, 0, 0};
	k->page_offset = k->params.arch == KARCH_X86_64 ? PAGE_OFFSET_X86_64 : PAGE_OFFSET_I386;
	k->max_pfn = k->params.ram_size >> PAGE_SHIFT;
	k->nr_node_ids = k->params.nr_nodes;
	k->nr_cpu_ids = k->params.nr_cpus;
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++)
		k->cpu_to_node[cpu] = boot_params_cpu_node(&k->params, cpu);
	k->watermark_scale_factor = 10;
	memcpy(k->lowmem_reserve_ratio, ratio, sizeof(ratio));
}

int kernel_boot(struct kernel *k, struct phys_bus *bus, const struct boot_params *p,
		char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	k->bus = bus;
	k->params = *p;
	if (p->ram_size != bus->ram_size) {
		snprintf(err, errlen, "RAM size %llu differs from the bus's %llu",
			 (unsigned long long)p->ram_size, (unsigned long long)bus->ram_size);
		return -EINVAL;
	}
	init_defaults(k);
	unsigned long lo[MAX_NR_ZONES], hi[MAX_NR_ZONES];
	arch_zone_limits(k, lo, hi);
	find_zone_movable_pfns_for_nodes(k, lo, hi);
	print_memory_map(k, lo, hi);
	if (memblock_setup(k) < 0 || sparse_init(k) < 0)
		goto out_nomem;
	for (int nid = 0; nid < k->nr_node_ids; nid++)
		if (free_area_init_node(k, nid, lo, hi) < 0)
			goto out_nomem;
	memmap_init(k);
	int vm_err = vmalloc_init(k);
	if (vm_err) {
		snprintf(err, errlen, "%s",
			 vm_err == -EINVAL ? "bad vmalloc size: a multiple of 4 KiB, 8 KiB .. 32 TiB"
					   : "no memory for the kernel page tables or vmalloc space");
		kernel_shutdown(k);
		return vm_err;
	}
	memblock_free_all(k);
	build_all_zonelists(k);
	print_memory_summary(k);
	init_per_zone_wmark_min(k);
	zone_pcp_update_all(k);
	if (global_zone_page_state(k, NR_FREE_PAGES) <= (long)k->totalreserve_pages) {
		snprintf(err, errlen, "too little memory to boot: %lu pages free, %lu reserved",
			 (unsigned long)global_zone_page_state(k, NR_FREE_PAGES),
			 k->totalreserve_pages);
		kernel_shutdown(k);
		return -ENOMEM;
	}
	if (kmem_cache_init(k) < 0) {
		snprintf(err, errlen, "too little memory to boot: the slab caches do not fit");
		kernel_shutdown(k);
		return -ENOMEM;
	}
	if (vm_init(k) < 0) {
		snprintf(err, errlen, "too little memory to boot: no room for the mm caches");
		kernel_shutdown(k);
		return -ENOMEM;
	}
	/* The leak check compares against this: count pcp pages as free, as it will. */
	drain_all_pages(k);
	k->boot_free_pages = (unsigned long)global_zone_page_state(k, NR_FREE_PAGES);
	return 0;

out_nomem:
	snprintf(err, errlen, "too little memory to boot: the memory map does not fit");
	kernel_shutdown(k);
	return -ENOMEM;
}

void kernel_shutdown(struct kernel *k)
{
	vdso_shutdown(k);
	vm_shutdown(k);
	kmem_cache_teardown(k);
	vmalloc_shutdown(k);
	free(k->section_mem_map);
	k->section_mem_map = NULL;
	printk_free(k);
}

/* Nodes by distance from nid, nearest first; ties by node id (Linux's find_next_best_node
 * without its load balancing). */
static int nodes_by_distance(const struct kernel *k, int nid, int order[MAX_NUMNODES])
{
	int n = 0;
	bool used[MAX_NUMNODES] = {false};
	for (int round = 0; round < k->nr_node_ids; round++) {
		int best = -1;
		for (int cand = 0; cand < k->nr_node_ids; cand++) {
			if (used[cand])
				continue;
			if (best < 0 || k->params.distance[nid][cand] < k->params.distance[nid][best] ||
			    (cand == nid && k->params.distance[nid][cand] ==
						    k->params.distance[nid][best]))
				best = cand;
		}
		used[best] = true;
		order[n++] = best;
	}
	return n;
}

/* Appends node's populated zones, highest first, to the zonerefs at *pos. */
static void build_zonerefs_node(pg_data_t *pgdat, struct zoneref *refs, int *pos)
{
	for (int z = MAX_NR_ZONES - 1; z >= 0; z--) {
		struct zone *zone = &pgdat->node_zones[z];
		if (!populated_zone(zone))
			continue;
		refs[*pos] = (struct zoneref){zone, z};
		(*pos)++;
	}
}

void build_all_zonelists(struct kernel *k)
{
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		int order[MAX_NUMNODES];
		int n = nodes_by_distance(k, nid, order);
		int pos = 0;
		struct zoneref *refs = pgdat->node_zonelists[ZONELIST_FALLBACK]._zonerefs;
		for (int i = 0; i < n; i++)
			build_zonerefs_node(NODE_DATA(k, order[i]), refs, &pos);
		refs[pos] = (struct zoneref){NULL, 0};
		pos = 0;
		refs = pgdat->node_zonelists[ZONELIST_NOFALLBACK]._zonerefs;
		build_zonerefs_node(pgdat, refs, &pos);
		refs[pos] = (struct zoneref){NULL, 0};
	}
}
