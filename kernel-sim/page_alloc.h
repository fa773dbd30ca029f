/*
 * The page allocator's internals shared by boot (mm_init.c), /proc (vmstat.c) and the
 * consistency checker (debug_vm.c). Users allocate through kernel-sim/gfp.h.
 */
#ifndef KSIM_PAGE_ALLOC_H
#define KSIM_PAGE_ALLOC_H

#include <stdbool.h>

#include "kernel-sim/kernel.h"

/* alloc_flags, as Linux's mm/internal.h */
#define ALLOC_WMARK_MIN WMARK_MIN
#define ALLOC_WMARK_LOW WMARK_LOW
#define ALLOC_WMARK_HIGH WMARK_HIGH
#define ALLOC_NO_WATERMARKS 0x04   /* ignore the watermarks entirely */
#define ALLOC_WMARK_MASK (ALLOC_NO_WATERMARKS - 1)
#define ALLOC_HIGH 0x20            /* __GFP_HIGH: may use half of the min reserve */
#define ALLOC_CPUSET 0x40
#define ALLOC_KSWAPD 0x800         /* may wake kswapd */

extern const char *const migratetype_names[MIGRATE_TYPES];

/* Gives a boot-time free range's pages to the buddy allocator (memblock_free_all). */
void __free_pages_core(struct kernel *k, struct page *page, unsigned order);

int get_pageblock_migratetype(const struct kernel *k, const struct page *page);
void set_pageblock_migratetype(struct zone *zone, unsigned long pfn, int migratetype);

/* True when zone z has enough free pages above mark for an allocation of 2^order pages
 * aimed at highest_zoneidx (lowmem_reserve protects lower zones), and a free block of at
 * least that order exists. */
bool zone_watermark_ok(const struct zone *z, unsigned order, unsigned long mark,
		       int highest_zoneidx, unsigned alloc_flags);

/* Returns every page on every CPU's pcp lists to the buddy free lists. */
void drain_all_pages(struct kernel *k);
/* Recomputes pcp high and batch of every zone from its managed pages. */
void zone_pcp_update_all(struct kernel *k);
/* min_free_kbytes (derived unless set), watermarks, lowmem_reserve and totalreserve. */
void init_per_zone_wmark_min(struct kernel *k);
/* Orders each node's zonelists by distance: nearest node first, higher zones first. */
void build_all_zonelists(struct kernel *k);

/* The core allocation entry point: 2^order pages, preferring node preferred_nid. */
struct page *__alloc_pages(struct kernel *k, gfp_t gfp, unsigned order, int preferred_nid);

/* For the compound pages __GFP_COMP makes. */
static inline struct page *compound_head(const struct page *page)
{
	if (PageTail(page))
		return (struct page *)((uintptr_t)page->lru.next - 1);
	return (struct page *)page;
}
static inline unsigned compound_order(const struct page *page)
{
	return PageHead(page) ? (unsigned)page[1].private : 0;
}

static inline bool zone_configured(const struct kernel *k, int idx)
{
	if (k->params.arch == KARCH_X86_64)
		return idx != ZONE_HIGHMEM;
	return idx != ZONE_DMA32;
}

static inline unsigned long zone_page_state(const struct zone *z, enum zone_stat_item item)
{
	long v = z->vm_stat[item];
	return v < 0 ? 0 : (unsigned long)v;
}

#endif /* KSIM_PAGE_ALLOC_H */
