/*
 * GFP ("get free pages") flags and the page allocator's interface, as Linux's <linux/gfp.h>.
 * The low four bits choose the zone (gfp_zone), __GFP_MOVABLE and __GFP_RECLAIMABLE the
 * migratetype; the rest say how hard the allocator may try.
 */
#ifndef KSIM_GFP_H
#define KSIM_GFP_H

#include <stdint.h>

typedef unsigned int gfp_t;

#define __GFP_DMA            0x01u
#define __GFP_HIGHMEM        0x02u
#define __GFP_DMA32          0x04u
#define __GFP_MOVABLE        0x08u
#define __GFP_RECLAIMABLE    0x10u
#define __GFP_HIGH           0x20u    /* may dip below the min watermark (half of it) */
#define __GFP_IO             0x40u
#define __GFP_FS             0x80u
#define __GFP_ZERO           0x100u   /* zero the pages */
#define __GFP_DIRECT_RECLAIM 0x400u
#define __GFP_KSWAPD_RECLAIM 0x800u
#define __GFP_WRITE          0x1000u
#define __GFP_NOWARN         0x2000u
#define __GFP_RETRY_MAYFAIL  0x4000u
#define __GFP_NOFAIL         0x8000u
#define __GFP_NORETRY        0x10000u
#define __GFP_MEMALLOC       0x20000u /* may use every free page (no watermark) */
#define __GFP_COMP           0x40000u /* mark the block as a compound page */
#define __GFP_NOMEMALLOC     0x80000u
#define __GFP_HARDWALL       0x100000u
#define __GFP_THISNODE       0x200000u /* the preferred node only, no fallback */
#define __GFP_ACCOUNT        0x400000u

#define GFP_ZONEMASK (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)
#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)

#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO (__GFP_RECLAIM)
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA (__GFP_DMA)
#define GFP_DMA32 (__GFP_DMA32)
#define GFP_HIGHUSER (GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE)

struct kernel;
struct page;

/* The highest zone an allocation with these flags may use (see page_alloc.c). */
int gfp_zone(const struct kernel *k, gfp_t gfp);
/* MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE or MIGRATE_UNMOVABLE. */
int gfp_migratetype(gfp_t gfp);

/* 2^order contiguous frames, from the current CPU's node or the nearest with room.
 * NULL when no zone of the zonelist can give them. The pages have refcount 1. */
struct page *alloc_pages(struct kernel *k, gfp_t gfp, unsigned order);
/* As alloc_pages, preferring node nid (NUMA_NO_NODE: the current CPU's node). */
struct page *alloc_pages_node(struct kernel *k, int nid, gfp_t gfp, unsigned order);
/* Drops a reference to the block at page; frees it when that was the last. */
void __free_pages(struct kernel *k, struct page *page, unsigned order);
/* Direct-map address of 2^order new frames, or NULL. */
void *__get_free_pages(struct kernel *k, gfp_t gfp, unsigned order);
void *get_zeroed_page(struct kernel *k, gfp_t gfp);
/* Frees what __get_free_pages returned (NULL is ignored). */
void free_pages(struct kernel *k, void *addr, unsigned order);

#define alloc_page(k, gfp) alloc_pages(k, gfp, 0)
#define __free_page(k, page) __free_pages(k, page, 0)
#define __get_free_page(k, gfp) __get_free_pages(k, gfp, 0)
#define free_page(k, addr) free_pages(k, addr, 0)

#define NUMA_NO_NODE (-1)

#endif /* KSIM_GFP_H */
