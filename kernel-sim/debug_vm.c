/* Allocator consistency checks; see kernel-sim/debug_vm.h. */
#include "kernel-sim/debug_vm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel-sim/mm.h"
#include "kernel-sim/page_alloc.h"
#include "kernel-sim/swap.h"

static int fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Marks the frames of one free block in seen[]; a frame seen twice is an overlap. */
static int mark_block(uint8_t *seen, const struct zone *zone, unsigned long pfn, unsigned order,
		      char *msg, size_t len)
{
	for (unsigned long i = 0; i < (1UL << order); i++) {
		unsigned long idx = pfn + i - zone->zone_start_pfn;
		if (seen[idx])
			return fail(msg, len, "%s: pfn %#lx is in two free blocks", zone->name,
				    pfn + i);
		seen[idx] = 1;
	}
	return 0;
}

static int check_free_block(struct kernel *k, const struct zone *zone, const struct page *page,
			    unsigned order, char *msg, size_t len)
{
	unsigned long pfn = page_to_pfn(k, page);
	if (!zone_spans_pfn(zone, pfn) || !zone_spans_pfn(zone, pfn + (1UL << order) - 1))
		return fail(msg, len, "%s: free block at pfn %#lx order %u outside the zone",
			    zone->name, pfn, order);
	if (pfn & ((1UL << order) - 1))
		return fail(msg, len, "%s: free block at pfn %#lx misaligned for order %u",
			    zone->name, pfn, order);
	if (!PageBuddy(page) || buddy_order(page) != order)
		return fail(msg, len, "%s: pfn %#lx on the order-%u list but flags %#llx order %u",
			    zone->name, pfn, order, (unsigned long long)page->flags,
			    buddy_order(page));
	if (page_count(page) != 0 || PageReserved(page) || PagePcp(page))
		return fail(msg, len, "%s: free pfn %#lx has refcount %d flags %#llx", zone->name,
			    pfn, page_count(page), (unsigned long long)page->flags);
	return 0;
}

static int check_free_area(struct kernel *k, const struct zone *zone, uint8_t *seen,
			   long *free_pages, char *msg, size_t len)
{
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		unsigned long n = 0;
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			const struct list_head *head = &zone->free_area[o].free_list[mt];
			for (const struct list_head *p = head->next; p != head; p = p->next) {
				const struct page *page = list_entry(p, struct page, lru);
				if (check_free_block(k, zone, page, o, msg, len) ||
				    mark_block(seen, zone, page_to_pfn(k, page), o, msg, len))
					return -1;
				n++;
			}
		}
		if (n != zone->free_area[o].nr_free)
			return fail(msg, len,
				    "%s: order %u lists hold %lu blocks, nr_free says %lu",
				    zone->name, o, n, zone->free_area[o].nr_free);
		*free_pages += (long)(n << o);
	}
	return 0;
}

static int check_pcp(struct kernel *k, const struct zone *zone, uint8_t *seen, char *msg,
		     size_t len)
{
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++) {
		const struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
		int n = 0;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
			const struct list_head *head = &pcp->lists[mt];
			for (const struct list_head *p = head->next; p != head; p = p->next) {
				const struct page *page = list_entry(p, struct page, lru);
				unsigned long pfn = page_to_pfn(k, page);
				if (!zone_spans_pfn(zone, pfn) || !PagePcp(page) ||
				    PageBuddy(page) || page_count(page) != 0)
					return fail(msg, len, "%s: cpu %d pcp page pfn %#lx is bad",
						    zone->name, cpu, pfn);
				if (mark_block(seen, zone, pfn, 0, msg, len))
					return -1;
				n++;
			}
		}
		if (n != pcp->count)
			return fail(msg, len, "%s: cpu %d pcp lists hold %d pages, count says %d",
				    zone->name, cpu, n, pcp->count);
		if (pcp->count > pcp->high)
			return fail(msg, len, "%s: cpu %d pcp count %d above high %d", zone->name,
				    cpu, pcp->count, pcp->high);
	}
	return 0;
}

static int check_zone(struct kernel *k, const struct zone *zone, char *msg, size_t len)
{
	uint8_t *seen = calloc(zone->spanned_pages, 1);
	long free_pages = 0;
	int r = -1;
	if (!seen)
		return fail(msg, len, "out of host memory");
	if (check_free_area(k, zone, seen, &free_pages, msg, len) ||
	    check_pcp(k, zone, seen, msg, len))
		goto out;
	if (free_pages != zone->vm_stat[NR_FREE_PAGES]) {
		fail(msg, len, "%s: free lists hold %ld pages, NR_FREE_PAGES says %ld", zone->name,
		     free_pages, zone->vm_stat[NR_FREE_PAGES]);
		goto out;
	}
	r = 0;
out:
	free(seen);
	return r;
}

int debug_vm_check(struct kernel *k, char *msg, size_t len)
{
	for_each_online_node(k, nid)
	{
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pgdat->node_zones[z];
			if (populated_zone(zone) && check_zone(k, zone, msg, len))
				return -1;
		}
	}
	return 0;
}

long debug_vm_leaked_pages(struct kernel *k)
{
	drain_all_pages(k);
	return (long)k->boot_free_pages - global_zone_page_state(k, NR_FREE_PAGES);
}

/* ---- LRU lists and reverse map ---- */

static int check_lru_list(struct kernel *k, int nid, enum lru_list lru, unsigned long *n, char *msg,
			  size_t len)
{
	struct page *page;
	*n = 0;
	list_for_each_entry(page, &NODE_DATA(k, nid)->__lruvec.lists[lru], lru)
	{
		if (!PageLru(page) || page_lru(page) != lru || page_to_nid(page) != nid)
			return fail(msg, len, "pfn %#lx on node %d list %d: flags %#llx",
				    page_to_pfn(k, page), nid, lru,
				    (unsigned long long)page->flags);
		if (++*n > k->max_pfn)
			return fail(msg, len, "node %d list %d loops", nid, lru);
	}
	long zsum = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		zsum += NODE_DATA(k, nid)->node_zones[z].vm_stat[NR_ZONE_INACTIVE_ANON + lru];
	if ((long)*n != NODE_DATA(k, nid)->vm_stat[NR_INACTIVE_ANON + lru] || (long)*n != zsum)
		return fail(msg, len, "node %d list %d holds %lu pages, counters say %ld / %ld",
			    nid, lru, *n, NODE_DATA(k, nid)->vm_stat[NR_INACTIVE_ANON + lru], zsum);
	return 0;
}

int debug_vm_check_lru(struct kernel *k, char *msg, size_t len)
{
	unsigned long on_lists = 0, flagged = 0, n;
	for_each_online_node(k, nid) for (int lru = 0; lru < NR_LRU_LISTS; lru++)
	{
		if (check_lru_list(k, nid, (enum lru_list)lru, &n, msg, len) < 0)
			return -1;
		on_lists += n;
	}
	for (unsigned long pfn = 0; pfn < k->max_pfn; pfn++)
		if (k->section_mem_map[pfn >> PFN_SECTION_SHIFT] && PageLru(pfn_to_page(k, pfn)))
			flagged++;
	if (flagged != on_lists)
		return fail(msg, len, "%lu frames have PG_lru, the lists hold %lu", flagged,
			    on_lists);
	if (debug_vm_check_writeback(k, msg, len) < 0)
		return -1;
	return debug_vm_check_workingset(k, msg, len);
}

/* ---- dirty and writeback file pages ---- */

/* A page of a file's page cache (not anon, not shmem, not the swap cache, not slab). */
static bool is_file_cache_page(const struct page *page)
{
	return !PageSlab(page) && !PageBuddy(page) && page->mapping && !PageAnon(page) &&
	       !PageFlag(page, PG_swapbacked);
}

int debug_vm_check_writeback(struct kernel *k, char *msg, size_t len)
{
	long dirty[MAX_NUMNODES] = {0}, wb[MAX_NUMNODES] = {0};
	long pending[MAX_NUMNODES][MAX_NR_ZONES] = {{0}};
	for (unsigned long pfn = 0; pfn < k->max_pfn; pfn++) {
		if (!k->section_mem_map[pfn >> PFN_SECTION_SHIFT])
			continue;
		struct page *page = pfn_to_page(k, pfn);
		bool d = PageFlag(page, PG_dirty) && is_file_cache_page(page);
		bool w = PageFlag(page, PG_writeback);
		if (w && !is_file_cache_page(page))
			return fail(msg, len, "pfn %#lx: under writeback but no file page", pfn);
		if (d && w)
			return fail(msg, len, "pfn %#lx: dirty while under writeback", pfn);
		dirty[page_to_nid(page)] += d;
		wb[page_to_nid(page)] += w;
		pending[page_to_nid(page)][page_zonenum(page)] += d + w;
	}
	for_each_online_node(k, nid)
	{
		pg_data_t *pgdat = NODE_DATA(k, nid);
		if (dirty[nid] != pgdat->vm_stat[NR_FILE_DIRTY] ||
		    wb[nid] != pgdat->vm_stat[NR_WRITEBACK])
			return fail(msg, len, "node %d: %ld dirty / %ld writeback file pages, "
					      "counters %ld / %ld", nid, dirty[nid], wb[nid],
				    pgdat->vm_stat[NR_FILE_DIRTY], pgdat->vm_stat[NR_WRITEBACK]);
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (pending[nid][z] != pgdat->node_zones[z].vm_stat[NR_ZONE_WRITE_PENDING])
				return fail(msg, len, "node %d zone %d: %ld pages write pending, "
						      "counter %ld", nid, z, pending[nid][z],
					    pgdat->node_zones[z].vm_stat[NR_ZONE_WRITE_PENDING]);
	}
	return 0;
}

/* ---- workingset shadow entries ---- */

#define SHADOW_CHUNK 64 /* slots per xarray node */

/* Checks one shadow entry: an online node, a clock value the node's clock has passed. */
static int check_shadow(struct kernel *k, const void *shadow, unsigned long index, char *msg,
			size_t len)
{
	int nid;
	unsigned long eviction;
	bool workingset;
	workingset_unpack_shadow(k, shadow, &nid, &eviction, &workingset);
	if (nid >= k->nr_node_ids)
		return fail(msg, len, "slot %lu: shadow names node %d", index, nid);
	if (eviction > NODE_DATA(k, nid)->__lruvec.nonresident_age)
		return fail(msg, len, "slot %lu: shadow clock %lu ahead of node %d's %lu", index,
			    eviction, nid, NODE_DATA(k, nid)->__lruvec.nonresident_age);
	return 0;
}

/* Recounts a mapping's shadow entries and shadow-only chunks against its counts and its
 * place on the shadow list; adds its shadow-only chunks to *nodes. */
static int check_mapping_shadows(struct kernel *k, const struct address_space *as,
				 unsigned long *nodes, char *msg, size_t len)
{
	unsigned long shadows = 0, shadow_nodes = 0;
	for (unsigned long base = 0; base < as->nr_slots; base += SHADOW_CHUNK) {
		unsigned long pages = 0, values = 0;
		for (unsigned long i = base; i < base + SHADOW_CHUNK && i < as->nr_slots; i++) {
			if (!as->i_pages[i])
				continue;
			if (!xa_is_value(as->i_pages[i])) {
				pages++;
				continue;
			}
			if (check_shadow(k, as->i_pages[i], i, msg, len) < 0)
				return -1;
			values++;
		}
		shadows += values;
		shadow_nodes += values && !pages;
	}
	if (shadows != as->nrshadows || shadow_nodes != as->nr_shadow_nodes)
		return fail(msg, len, "mapping %p: %lu shadows in %lu shadow nodes, counted %lu in %lu",
			    (const void *)as, shadows, shadow_nodes, as->nrshadows,
			    as->nr_shadow_nodes);
	if (list_empty(&as->shadow_link) != (shadows == 0))
		return fail(msg, len, "mapping %p: %lu shadows, %s the shadow list", (const void *)as,
			    shadows, shadows ? "not on" : "on");
	*nodes += shadow_nodes;
	return 0;
}

int debug_vm_check_workingset(struct kernel *k, char *msg, size_t len)
{
	unsigned long nodes = 0, listed = 0;
	struct address_space *as;
	if (!k->swap)
		return 0;
	list_for_each_entry(as, &k->swap->shadow_mappings, shadow_link)
	{
		if (check_mapping_shadows(k, as, &nodes, msg, len) < 0)
			return -1;
		if (++listed > k->max_pfn)
			return fail(msg, len, "the shadow list loops");
	}
	for (int t = 0; t < k->swap->nr_swapfiles; t++) {
		unsigned long unlisted = 0;
		as = &k->swap->info[t]->swap_space;
		if (list_empty(&as->shadow_link) &&
		    check_mapping_shadows(k, as, &unlisted, msg, len) < 0)
			return -1;
	}
	if ((long)nodes != global_node_page_state(k, WORKINGSET_NODES))
		return fail(msg, len, "%lu shadow nodes, WORKINGSET_NODES %ld", nodes,
			    global_node_page_state(k, WORKINGSET_NODES));
	return 0;
}

/* Per-frame and per-slot tallies of what the page tables hold. */
struct rmap_tally {
	int32_t *maps;	     /* [max_pfn]: ptes mapping the frame */
	uint16_t *swap_refs; /* [slots of area 0]: swap ptes naming the slot */
	unsigned long slots;
	int rmap_found; /* ptes rmap_walk found for the page being checked */
};

static void tally_pte(struct kernel *k, struct rmap_tally *t, pte_t pte)
{
	if (is_swap_pte(pte)) {
		swp_entry_t e = pte_to_swp_entry(pte);
		if (swp_type(e) == 0 && swp_offset(e) < t->slots)
			t->swap_refs[swp_offset(e)]++;
		return;
	}
	unsigned long pfn = pte_pfn(pte);
	if ((pte_val(pte) & (_PAGE_PRESENT | _PAGE_GLOBAL)) && pfn < k->max_pfn &&
	    pfn != page_to_pfn(k, k->vm->zero_page))
		t->maps[pfn]++;
}

static void tally_mm(struct kernel *k, struct rmap_tally *t, struct mm_struct *mm)
{
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next)
		for (unsigned long a = vma->vm_start; a < vma->vm_end; a += PAGE_SIZE) {
			pte_t *pte = mm_find_pte(k, mm, a);
			if (pte && !pte_none(*pte))
				tally_pte(k, t, *pte);
		}
}

/* Swap entries held by the page caches of the shmem files mapped in mm (each counted once:
 * seen[] remembers the mappings already tallied). */
static void tally_shmem(struct rmap_tally *t, struct mm_struct *mm,
			const struct address_space **seen, int *nseen, int max_seen)
{
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next) {
		if (!vma->vm_file || !shmem_mapping(&vma->vm_file->f_inode->i_data))
			continue;
		const struct address_space *as = &vma->vm_file->f_inode->i_data;
		bool done = false;
		for (int i = 0; i < *nseen; i++)
			done |= seen[i] == as;
		if (done || *nseen == max_seen)
			continue;
		seen[(*nseen)++] = as;
		for (unsigned long i = 0; i < as->nr_slots; i++) {
			if (!xa_is_value(as->i_pages[i]))
				continue;
			swp_entry_t e = radix_to_swp_entry(as->i_pages[i]);
			if (swp_type(e) == 0 && swp_offset(e) < t->slots)
				t->swap_refs[swp_offset(e)]++;
		}
	}
}

static bool count_rmap_one(struct kernel *k, struct page *page, struct vm_area_struct *vma,
			   unsigned long address, pte_t *pte, void *arg)
{
	(void)k, (void)page, (void)vma, (void)address, (void)pte;
	((struct rmap_tally *)arg)->rmap_found++;
	return true;
}

static int check_mapped_page(struct kernel *k, struct rmap_tally *t, unsigned long pfn, char *msg,
			     size_t len)
{
	struct page *page = pfn_to_page(k, pfn);
	if (page_mapcount(page) != t->maps[pfn])
		return fail(msg, len, "pfn %#lx: mapcount %d, ptes %d", pfn, page_mapcount(page),
			    t->maps[pfn]);
	if (!page->mapping)
		return 0; /* special mappings (vDSO) have no rmap and no LRU */
	t->rmap_found = 0;
	rmap_walk(k, page, count_rmap_one, t);
	if (t->rmap_found != t->maps[pfn])
		return fail(msg, len, "pfn %#lx: rmap finds %d ptes of %d", pfn, t->rmap_found,
			    t->maps[pfn]);
	if (!PageLru(page) && !PageFlag(page, PG_locked))
		return fail(msg, len, "pfn %#lx: mapped but on no LRU list", pfn);
	return 0;
}

static int check_swap_slots(struct kernel *k, struct rmap_tally *t, char *msg, size_t len)
{
	struct swap_info_struct *si = k->swap->nr_swapfiles ? k->swap->info[0] : NULL;
	for (unsigned long off = 1; si && off < si->max; off++) {
		uint8_t c = si->swap_map[off];
		if ((c & ~SWAP_HAS_CACHE) != t->swap_refs[off])
			return fail(msg, len, "swap slot %lu: count %d, swap ptes + shmem entries %d", off,
				    c & ~SWAP_HAS_CACHE, t->swap_refs[off]);
		if (!!(c & SWAP_HAS_CACHE) != (xa_page(si->cache[off]) != NULL))
			return fail(msg, len, "swap slot %lu: HAS_CACHE %d, cache page %p", off,
				    !!(c & SWAP_HAS_CACHE), (void *)si->cache[off]);
		if (xa_is_value(si->cache[off]) && !c)
			return fail(msg, len, "swap slot %lu: free but holds a shadow entry", off);
		if (xa_page(si->cache[off]) &&
		    (!PageSwapCache(si->cache[off]) ||
		     page_swap_entry(si->cache[off]).val != swp_entry(0, off).val))
			return fail(msg, len, "swap slot %lu: cache page not marked", off);
	}
	return 0;
}

int debug_vm_check_rmap(struct kernel *k, struct mm_struct *const *mms, int n, char *msg,
			size_t len)
{
	struct swap_info_struct *si = k->swap->nr_swapfiles ? k->swap->info[0] : NULL;
	struct rmap_tally t = {calloc(k->max_pfn, sizeof(int32_t)), NULL, si ? si->max : 0, 0};
	t.swap_refs = calloc(t.slots + 1, sizeof(uint16_t));
	int r = 0;
	if (!t.maps || !t.swap_refs) {
		r = fail(msg, len, "out of host memory");
		goto out;
	}
	const struct address_space *seen[64];
	int nseen = 0;
	for (int i = 0; i < n; i++) {
		tally_mm(k, &t, mms[i]);
		tally_shmem(&t, mms[i], seen, &nseen, 64);
	}
	for (unsigned long pfn = 0; pfn < k->max_pfn && r == 0; pfn++)
		if (t.maps[pfn])
			r = check_mapped_page(k, &t, pfn, msg, len);
	if (r == 0)
		r = check_swap_slots(k, &t, msg, len);
out:
	free(t.maps);
	free(t.swap_refs);
	return r;
}
