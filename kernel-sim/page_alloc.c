/*
 * The buddy allocator, as Linux's mm/page_alloc.c.
 *
 * Each zone keeps free blocks of 2^order frames (order 0..MAX_ORDER-1) on free_area[order],
 * one list per migratetype. A block's buddy is the block of the same order whose pfn
 * differs only in bit `order`; freeing merges a block with its free buddy again and again
 * (__free_one_page), allocating splits a larger block and returns the halves (expand).
 * Every pageblock (2 MiB) has a migratetype; when a type's lists run dry, the allocator
 * steals from another type, preferring the largest block (__rmqueue_fallback).
 *
 * Order-0 pages pass through per-cpu lists (struct per_cpu_pages): a CPU refills its list
 * batch pages at a time and gives back batch pages when it holds more than high.
 *
 * The path of an allocation: alloc_pages -> __alloc_pages -> get_page_from_freelist, which
 * walks the zonelist (nearest node first) and takes the first zone above its watermark
 * (plus lowmem_reserve) -> rmqueue -> pcp list or the buddy lists -> prep_new_page. The slow
 * path retries with the min watermark (reclaim and kswapd join it later).
 */
#include <string.h>

#include "kernel-sim/page_alloc.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/trace_kmem.h"
#include "kernel-sim/swap.h"

const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate",
};

/* Where to steal from when a migratetype's own lists are empty, best first. */
static const int fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE] = {MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE},
	[MIGRATE_MOVABLE] = {MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE},
	[MIGRATE_RECLAIMABLE] = {MIGRATE_UNMOVABLE, MIGRATE_MOVABLE},
};

/* ---- gfp ---------------------------------------------------------------------------- */

int gfp_zone(const struct kernel *k, gfp_t gfp)
{
	bool i386 = k->params.arch == KARCH_I386;
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_DMA32)
		return i386 ? ZONE_NORMAL : ZONE_DMA32;
	if ((gfp & (__GFP_HIGHMEM | __GFP_MOVABLE)) == (__GFP_HIGHMEM | __GFP_MOVABLE))
		return ZONE_MOVABLE;
	if (gfp & __GFP_HIGHMEM)
		return i386 ? ZONE_HIGHMEM : ZONE_NORMAL;
	return ZONE_NORMAL;
}

int gfp_migratetype(gfp_t gfp)
{
	if (gfp & __GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	if (gfp & __GFP_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}

/* ---- pageblocks ---------------------------------------------------------------------- */

int get_pageblock_migratetype(const struct kernel *k, const struct page *page)
{
	const struct zone *zone = page_zone(k, page);
	unsigned long pfn = page_to_pfn(k, page);
	return zone->pageblock_flags[(pfn - zone->zone_start_pfn) >> pageblock_order];
}

void set_pageblock_migratetype(struct zone *zone, unsigned long pfn, int migratetype)
{
	zone->pageblock_flags[(pfn - zone->zone_start_pfn) >> pageblock_order] =
		(uint8_t)migratetype;
}

/* ---- free lists ---------------------------------------------------------------------- */

static inline void set_buddy_order(struct page *page, unsigned order)
{
	page->private = order;
	SetPageBuddy(page);
}

static inline void add_to_free_list(struct page *page, struct zone *zone, unsigned order,
				    int migratetype, bool tail)
{
	struct free_area *area = &zone->free_area[order];
	set_buddy_order(page, order);
	if (tail)
		list_add_tail(&page->lru, &area->free_list[migratetype]);
	else
		list_add(&page->lru, &area->free_list[migratetype]);
	area->nr_free++;
}

static inline void del_page_from_free_list(struct page *page, struct zone *zone,
					   unsigned order)
{
	list_del(&page->lru);
	__ClearPageBuddy(page);
	page->private = 0;
	zone->free_area[order].nr_free--;
}

static inline void move_to_free_list(struct page *page, struct zone *zone, unsigned order,
				     int migratetype)
{
	list_move_tail(&page->lru, &zone->free_area[order].free_list[migratetype]);
}

/* A free block of this order, in this zone, heads at buddy: we may merge with it. */
static inline bool page_is_buddy(const struct kernel *k, const struct page *buddy,
				 const struct zone *zone, unsigned order)
{
	return PageBuddy(buddy) && buddy_order(buddy) == order &&
	       page_zonenum(buddy) == (unsigned)zone->idx && page_to_nid(buddy) == zone->node;
}

/*
 * Puts the free block of 2^order frames at pfn back, merging it with its buddy as long as
 * the buddy is free and of the same order. Blocks never cross a 128 MiB section (orders are
 * at most 10), so pointer arithmetic on the block's own mem_map piece is safe.
 */
static void __free_one_page(struct kernel *k, struct page *page, unsigned long pfn,
			    struct zone *zone, unsigned order, int migratetype)
{
	zone->vm_stat[NR_FREE_PAGES] += 1L << order;
	while (order < MAX_ORDER - 1) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		if (!zone_spans_pfn(zone, buddy_pfn))
			break;
		struct page *buddy = page + ((long)buddy_pfn - (long)pfn);
		if (!page_is_buddy(k, buddy, zone, order))
			break;
		del_page_from_free_list(buddy, zone, order);
		unsigned long combined_pfn = buddy_pfn & pfn;
		page = page + ((long)combined_pfn - (long)pfn);
		pfn = combined_pfn;
		order++;
	}
	/* A block that could merge with a free block one order up goes to the tail, so it
	 * stays free longer and the larger block may form (Linux's buddy_merge_likely). */
	bool tail = false;
	if (order < MAX_ORDER - 2) {
		unsigned long higher = (pfn ^ (1UL << (order + 1))) & ~((2UL << order) - 1);
		if (zone_spans_pfn(zone, higher) &&
		    page_is_buddy(k, pfn_to_page(k, higher), zone, order + 1))
			tail = true;
	}
	add_to_free_list(page, zone, order, migratetype, tail);
}

/* Splits a 2^high block at page down to 2^low, freeing the upper halves. */
static inline void expand(struct zone *zone, struct page *page, unsigned low, unsigned high,
			  int migratetype)
{
	unsigned long size = 1UL << high;
	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(&page[size], zone, high, migratetype, false);
	}
}

static struct page *__rmqueue_smallest(struct zone *zone, unsigned order, int migratetype)
{
	for (unsigned o = order; o < MAX_ORDER; o++) {
		struct list_head *list = &zone->free_area[o].free_list[migratetype];
		if (list_empty(list))
			continue;
		struct page *page = list_first_entry(list, struct page, lru);
		del_page_from_free_list(page, zone, o);
		expand(zone, page, order, o, migratetype);
		zone->vm_stat[NR_FREE_PAGES] -= 1L << order;
		return page;
	}
	return NULL;
}

/* Moves the free blocks of the pageblock holding page to migratetype's lists; returns the
 * number of free pages moved. */
static unsigned long move_freepages_block(struct kernel *k, struct zone *zone, struct page *page,
					  int migratetype)
{
	unsigned long pfn = page_to_pfn(k, page) & ~(pageblock_nr_pages - 1);
	unsigned long end = pfn + pageblock_nr_pages, moved = 0;
	if (pfn < zone->zone_start_pfn || end > zone_end_pfn(zone))
		return 0;
	while (pfn < end) {
		struct page *p = pfn_to_page(k, pfn);
		if (!PageBuddy(p)) {
			pfn++;
			continue;
		}
		unsigned order = buddy_order(p);
		move_to_free_list(p, zone, order, migratetype);
		pfn += 1UL << order;
		moved += 1UL << order;
	}
	return moved;
}

/* Linux's can_steal_fallback: large blocks, and unmovable/reclaimable requests, take the
 * whole pageblock so that mixing of types stays rare. */
static bool can_steal_fallback(unsigned order, int start_mt)
{
	return order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

static void steal_suitable_fallback(struct kernel *k, struct zone *zone, struct page *page,
				    unsigned current_order, int start_mt)
{
	if (current_order >= pageblock_order) {
		unsigned long pfn = page_to_pfn(k, page);
		for (unsigned long i = 0; i < (1UL << current_order); i += pageblock_nr_pages)
			set_pageblock_migratetype(zone, pfn + i, start_mt);
		move_to_free_list(page, zone, current_order, start_mt);
		return;
	}
	unsigned long moved = move_freepages_block(k, zone, page, start_mt);
	if (moved >= pageblock_nr_pages / 2)
		set_pageblock_migratetype(zone, page_to_pfn(k, page), start_mt);
}

/*
 * Takes a block for start_mt from another type's lists. Searching from the largest order
 * down steals big blocks, so later requests of start_mt find room in the stolen pageblock
 * and the types stay apart.
 */
static struct page *__rmqueue_fallback(struct kernel *k, struct zone *zone, unsigned order,
				       int start_mt)
{
	for (int o = MAX_ORDER - 1; o >= (int)order; o--) {
		struct free_area *area = &zone->free_area[o];
		for (int i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
			int fallback_mt = fallbacks[start_mt][i];
			if (list_empty(&area->free_list[fallback_mt]))
				continue;
			struct page *page =
				list_first_entry(&area->free_list[fallback_mt], struct page, lru);
			if (can_steal_fallback((unsigned)o, start_mt)) {
				steal_suitable_fallback(k, zone, page, (unsigned)o, start_mt);
				return __rmqueue_smallest(zone, order, start_mt);
			}
			return __rmqueue_smallest(zone, order, fallback_mt);
		}
	}
	return NULL;
}

static struct page *__rmqueue(struct kernel *k, struct zone *zone, unsigned order,
			      int migratetype)
{
	struct page *page = __rmqueue_smallest(zone, order, migratetype);
	if (unlikely(!page) && migratetype < MIGRATE_PCPTYPES)
		page = __rmqueue_fallback(k, zone, order, migratetype);
	return page;
}

/* ---- per-cpu lists ------------------------------------------------------------------- */

static int rmqueue_bulk(struct kernel *k, struct zone *zone, int count, struct list_head *list,
			int migratetype)
{
	int i;
	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue(k, zone, 0, migratetype);
		if (!page)
			break;
		SetPagePcp(page);
		list_add_tail(&page->lru, list);
	}
	return i;
}

/* Frees count pages from the cold ends of pcp's lists, round robin over the types. */
static void free_pcppages_bulk(struct kernel *k, struct zone *zone, int count,
			       struct per_cpu_pages *pcp)
{
	int mt = 0;
	while (count > 0 && pcp->count > 0) {
		struct list_head *list = &pcp->lists[mt];
		mt = (mt + 1) % MIGRATE_PCPTYPES;
		if (list_empty(list))
			continue;
		struct page *page = list_last_entry(list, struct page, lru);
		list_del(&page->lru);
		__ClearPagePcp(page);
		pcp->count--;
		count--;
		__free_one_page(k, page, page_to_pfn(k, page), zone, 0,
				get_pageblock_migratetype(k, page));
	}
}

void drain_all_pages(struct kernel *k)
{
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];
			if (!zone->per_cpu_pageset)
				continue;
			for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++) {
				struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
				free_pcppages_bulk(k, zone, pcp->count, pcp);
			}
		}
	}
}

static struct page *rmqueue_pcplist(struct kernel *k, struct zone *zone, int migratetype)
{
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[k->this_cpu];
	struct list_head *list = &pcp->lists[migratetype];
	if (list_empty(list)) {
		pcp->count += rmqueue_bulk(k, zone, pcp->batch, list, migratetype);
		if (list_empty(list))
			return NULL;
	}
	struct page *page = list_first_entry(list, struct page, lru);
	list_del(&page->lru);
	__ClearPagePcp(page);
	pcp->count--;
	return page;
}

static void free_unref_page(struct kernel *k, struct page *page, struct zone *zone)
{
	int mt = get_pageblock_migratetype(k, page);
	if (unlikely(mt >= MIGRATE_PCPTYPES || k->pcp_disabled)) {
		__free_one_page(k, page, page_to_pfn(k, page), zone, 0, mt);
		return;
	}
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[k->this_cpu];
	SetPagePcp(page);
	list_add(&page->lru, &pcp->lists[mt]);
	if (++pcp->count >= pcp->high)
		free_pcppages_bulk(k, zone, pcp->batch, pcp);
}

/* Linux's zone_batchsize: about a quarter of a thousandth of the zone, at most 1 MiB of
 * pages, rounded to 2^n - 1 so batches do not keep hitting the same cache colours. */
static int zone_batchsize(const struct zone *zone)
{
	unsigned long batch = zone->managed_pages / 1024;
	if (batch > (1UL << 20) / PAGE_SIZE)
		batch = (1UL << 20) / PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	batch += batch / 2;
	unsigned long pow = 1;
	while (pow * 2 <= batch)
		pow *= 2;
	return (int)(pow - 1 > 0 ? pow - 1 : 1);
}

void zone_pcp_update_all(struct kernel *k)
{
	for_each_online_node(k, nid) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(k, nid)->node_zones[z];
			if (!zone->per_cpu_pageset)
				continue;
			int batch = zone_batchsize(zone);
			for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++) {
				zone->per_cpu_pageset[cpu].batch = batch;
				zone->per_cpu_pageset[cpu].high = 6 * batch;
			}
		}
	}
}

/* ---- watermarks ---------------------------------------------------------------------- */

bool zone_watermark_ok(const struct zone *z, unsigned order, unsigned long mark,
		       int highest_zoneidx, unsigned alloc_flags)
{
	long min = (long)mark;
	long free_pages = z->vm_stat[NR_FREE_PAGES] - ((1L << order) - 1);
	if (alloc_flags & ALLOC_HIGH)
		min -= min / 2;
	if (free_pages <= min + z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	for (unsigned o = order; o < MAX_ORDER; o++) {
		const struct free_area *area = &z->free_area[o];
		if (!area->nr_free)
			continue;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			if (!list_empty(&area->free_list[mt]))
				return true;
	}
	return false;
}

static inline bool zone_watermark_fast(const struct zone *z, unsigned order, unsigned long mark,
				       int highest_zoneidx, unsigned alloc_flags)
{
	/* Order-0 requests comfortably above the mark need no free-list scan. */
	if (!order && z->vm_stat[NR_FREE_PAGES] > (long)mark + z->lowmem_reserve[highest_zoneidx])
		return true;
	return zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags);
}

/* ---- allocation ---------------------------------------------------------------------- */

struct alloc_context {
	struct zonelist *zonelist;      /* zones to try, in order */
	struct zone *preferred_zone;    /* first usable zone of the zonelist */
	int highest_zoneidx;            /* gfp_zone(): no zone above this */
	int migratetype;
};

static void zone_statistics(struct kernel *k, const struct zone *preferred, struct zone *z,
			    unsigned long nr)
{
	if (z->node == preferred->node) {
		z->vm_numa_event[NUMA_HIT] += nr;
	} else {
		z->vm_numa_event[NUMA_MISS] += nr;
		((struct zone *)preferred)->vm_numa_event[NUMA_FOREIGN] += nr;
	}
	z->vm_numa_event[z->node == numa_node_id(k) ? NUMA_LOCAL : NUMA_OTHER] += nr;
}

static void prep_compound_page(struct page *page, unsigned order)
{
	SetPageHead(page);
	for (unsigned long i = 1; i < (1UL << order); i++) {
		SetPageTail(&page[i]);
		page[i].lru.next = (struct list_head *)((uintptr_t)page + 1);
	}
	page[1].private = order;
}

static void prep_new_page(struct kernel *k, struct page *page, unsigned order, gfp_t gfp)
{
	set_page_count(page, 1);
	page->owner = 0;
	if (gfp & __GFP_ZERO)
		memset(page_address(k, page), 0, PAGE_SIZE << order);
	if (order && (gfp & __GFP_COMP))
		prep_compound_page(page, order);
}

static struct page *rmqueue(struct kernel *k, struct zone *zone, unsigned order,
			    int migratetype)
{
	if (order == 0 && !k->pcp_disabled)
		return rmqueue_pcplist(k, zone, migratetype);
	return __rmqueue(k, zone, order, migratetype);
}

static struct page *get_page_from_freelist(struct kernel *k, gfp_t gfp, unsigned order,
					   unsigned alloc_flags, const struct alloc_context *ac)
{
	for (struct zoneref *z = ac->zonelist->_zonerefs; z->zone; z++) {
		struct zone *zone = z->zone;
		if (z->zone_idx > ac->highest_zoneidx)
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS)) {
			unsigned long mark = zone->_watermark[alloc_flags & ALLOC_WMARK_MASK];
			if (!zone_watermark_fast(zone, order, mark, ac->highest_zoneidx,
						 alloc_flags))
				continue; /* node_reclaim() would try here */
		}
		struct page *page = rmqueue(k, zone, order, ac->migratetype);
		if (!page)
			continue;
		prep_new_page(k, page, order, gfp);
		zone_statistics(k, ac->preferred_zone, zone, 1);
		k->vm_events[PGALLOC_DMA + zone->idx] += 1UL << order;
		return page;
	}
	return NULL;
}

static unsigned gfp_to_alloc_flags(gfp_t gfp)
{
	unsigned flags = ALLOC_WMARK_MIN;
	if (gfp & __GFP_HIGH)
		flags |= ALLOC_HIGH;
	if (gfp & __GFP_KSWAPD_RECLAIM)
		flags |= ALLOC_KSWAPD;
	if ((gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC))
		flags |= ALLOC_NO_WATERMARKS;
	return flags;
}

static void wake_all_kswapds(struct kernel *k, unsigned order, const struct alloc_context *ac)
{
	for (struct zoneref *z = ac->zonelist->_zonerefs; z->zone; z++)
		if (z->zone_idx <= ac->highest_zoneidx)
			wakeup_kswapd(k, z->zone, order, ac->highest_zoneidx);
}

#define MAX_RECLAIM_RETRIES 16

/*
 * The slow path: below the low watermark. kswapd is woken (it runs at the next safe
 * point) and the allocation may go down to the min watermark (half of it for __GFP_HIGH).
 * Below that, an allocation that may reclaim does so itself (direct reclaim), retrying
 * while reclaim makes progress; when it makes none, the OOM killer picks a victim.
 */
static struct page *__alloc_pages_slowpath(struct kernel *k, gfp_t gfp, unsigned order,
					   const struct alloc_context *ac)
{
	unsigned alloc_flags = gfp_to_alloc_flags(gfp);
	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(k, order, ac);
	struct page *page = get_page_from_freelist(k, gfp, order, alloc_flags, ac);
	if (page)
		return page;
	if (!(gfp & __GFP_DIRECT_RECLAIM) || !k->swap || k->swap->in_reclaim)
		goto fail;
	/* Linux's should_reclaim_retry: a pass may only age pages (clear their Accessed bits)
	 * without freeing any, so give up after MAX_RECLAIM_RETRIES passes in a row without
	 * progress; the total is bounded too, for orders that progress cannot satisfy. */
	for (int tries = 0, no_progress = 0; tries < 16 * MAX_RECLAIM_RETRIES; tries++) {
		unsigned long progress = try_to_free_pages(k, gfp, order, ac->highest_zoneidx);
		drain_all_pages(k);
		page = get_page_from_freelist(k, gfp, order, alloc_flags, ac);
		if (page)
			return page;
		no_progress = progress ? 0 : no_progress + 1;
		if (no_progress >= MAX_RECLAIM_RETRIES)
			break;
	}
	if (!(gfp & __GFP_NORETRY) && order <= PAGE_ALLOC_COSTLY_ORDER)
		out_of_memory(k, gfp, order);
fail:
	k->alloc_failures++;
	return NULL;
}

static bool prepare_alloc_pages(struct kernel *k, gfp_t gfp, int preferred_nid,
				struct alloc_context *ac)
{
	pg_data_t *pgdat = NODE_DATA(k, preferred_nid);
	ac->highest_zoneidx = gfp_zone(k, gfp);
	ac->migratetype = gfp_migratetype(gfp);
	ac->zonelist = &pgdat->node_zonelists[(gfp & __GFP_THISNODE) ? ZONELIST_NOFALLBACK
								     : ZONELIST_FALLBACK];
	for (struct zoneref *z = ac->zonelist->_zonerefs; z->zone; z++)
		if (z->zone_idx <= ac->highest_zoneidx) {
			ac->preferred_zone = z->zone;
			return true;
		}
	return false;
}

void trace_mm_page_alloc_slow(struct kernel *k, struct page *page, unsigned order, gfp_t gfp)
{
	const struct kmem_tracer *t = k->kmem_tracer;
	t->page_alloc(t->ctx, page_to_pfn(k, page), order, gfp, gfp_migratetype(gfp),
		      page_to_nid(page), page_zonenum(page), k->current ? k->current->pid : 0);
}

void trace_mm_page_free_slow(struct kernel *k, struct page *page, unsigned order)
{
	k->kmem_tracer->page_free(k->kmem_tracer->ctx, page_to_pfn(k, page), order);
}

void trace_page_ref_slow(struct kernel *k, const struct page *page)
{
	const struct kmem_tracer *t = k->kmem_tracer;
	if (t->page_ref)
		t->page_ref(t->ctx, page_to_pfn(k, page));
}

struct page *__alloc_pages(struct kernel *k, gfp_t gfp, unsigned order, int preferred_nid)
{
	struct alloc_context ac;
	if (order >= MAX_ORDER) {
		k->alloc_failures++;
		return NULL;
	}
	if (!prepare_alloc_pages(k, gfp, preferred_nid, &ac)) {
		k->alloc_failures++;
		return NULL;
	}
	struct page *page = get_page_from_freelist(k, gfp, order, ALLOC_WMARK_LOW, &ac);
	if (unlikely(!page))
		page = __alloc_pages_slowpath(k, gfp, order, &ac);
	if (unlikely(k->kmem_tracer) && page) {
		trace_mm_page_alloc_slow(k, page, order, gfp);
		trace_page_ref_slow(k, page); /* prep_new_page's set_page_count(1) */
	}
	return page;
}

struct page *alloc_pages_node(struct kernel *k, int nid, gfp_t gfp, unsigned order)
{
	if (nid == NUMA_NO_NODE || nid < 0 || nid >= k->nr_node_ids)
		nid = numa_node_id(k);
	return __alloc_pages(k, gfp, order, nid);
}

struct page *alloc_pages(struct kernel *k, gfp_t gfp, unsigned order)
{
	return __alloc_pages(k, gfp, order, numa_node_id(k));
}

void *__get_free_pages(struct kernel *k, gfp_t gfp, unsigned order)
{
	struct page *page = alloc_pages(k, gfp & ~__GFP_HIGHMEM, order);
	return page ? page_address(k, page) : NULL;
}

void *get_zeroed_page(struct kernel *k, gfp_t gfp)
{
	return __get_free_pages(k, gfp | __GFP_ZERO, 0);
}

/* ---- freeing ------------------------------------------------------------------------- */

/* Linux's free_pages_prepare: a page going back must be unused; clears per-use state.
 * A page in a bad state is reported and leaked rather than corrupting the free lists. */
static bool free_pages_prepare(struct kernel *k, struct page *page, unsigned order)
{
	if (PageHead(page)) {
		for (unsigned long i = 1; i < (1UL << order); i++) {
			__ClearPageTail(&page[i]);
			page[i].lru.next = NULL;
		}
		page[1].private = 0;
		__ClearPageHead(page);
	}
	const uint64_t bad = (1ULL << PG_buddy) | (1ULL << PG_pcp) | (1ULL << PG_slab) |
			     (1ULL << PG_lru) | (1ULL << PG_reserved) | (1ULL << PG_tail);
	for (unsigned long i = 0; i < (1UL << order); i++) {
		struct page *p = &page[i];
		if (WARN_ON((p->flags & bad) || p->_mapcount != -1 || (i && p->_refcount)))
			return false;
		p->flags &= ~((1ULL << PG_referenced) | (1ULL << PG_dirty) | (1ULL << PG_active) |
			      (1ULL << PG_pgtable) | (1ULL << PG_vmalloc) | (1ULL << PG_uptodate));
		p->mapping = NULL;
		p->index = 0;
		p->private = 0;
		p->owner = 0;
	}
	k->vm_events[PGFREE] += 1UL << order;
	return true;
}

static void free_the_page(struct kernel *k, struct page *page, unsigned order)
{
	if (!free_pages_prepare(k, page, order))
		return;
	if (unlikely(k->kmem_tracer))
		trace_mm_page_free_slow(k, page, order);
	struct zone *zone = page_zone(k, page);
	if (order == 0) {
		free_unref_page(k, page, zone);
		return;
	}
	__free_one_page(k, page, page_to_pfn(k, page), zone, order,
			get_pageblock_migratetype(k, page));
}

void __free_pages(struct kernel *k, struct page *page, unsigned order)
{
	trace_page_ref(k, page);
	if (put_page_testzero(page)) {
		/* A user or cache page's last reference: off its LRU list first (__folio_put). */
		if (PageLru(page) || PageFlag(page, PG_mlocked) || PageFlag(page, PG_swapbacked))
			__page_cache_release(k, page);
		free_the_page(k, page, order);
		return;
	}
	/* Someone else holds the first page: free the rest of a non-compound block, as Linux
	 * does, so only the first page stays allocated. */
	if (!PageHead(page))
		while (order-- > 0)
			free_the_page(k, page + (1UL << order), order);
}

void free_pages(struct kernel *k, void *addr, unsigned order)
{
	if (addr)
		__free_pages(k, virt_to_page(k, addr), order);
}

void __free_pages_core(struct kernel *k, struct page *page, unsigned order)
{
	unsigned long nr = 1UL << order;
	for (unsigned long i = 0; i < nr; i++) {
		__ClearPageReserved(&page[i]);
		set_page_count(&page[i], 0);
	}
	struct zone *zone = page_zone(k, page);
	zone->managed_pages += nr;
	__free_one_page(k, page, page_to_pfn(k, page), zone, order,
			get_pageblock_migratetype(k, page));
}
