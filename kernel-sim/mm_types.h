/*
 * struct page: one per physical frame, in the mem_map that boot places in guest RAM (so the
 * memory it costs is real: 64 bytes per 4 KiB frame, 1.56 % of RAM, as on Linux).
 *
 * page->flags, as Linux packs it:
 *
 *   63         48 47     40 39    35 34  32 31                       0
 *  +-------------+---------+--------+------+--------------------------+
 *  |  section nr | node id | unused | zone |        PG_* bits         |
 *  +-------------+---------+--------+------+--------------------------+
 *
 * The unions give each owner its own view, as Linux's struct page and struct slab do:
 * the buddy allocator (lru + private = order), the pcp lists (lru), the slab allocator
 * (slab_list, slab_cache, freelist, counters) and, later, anon/file pages (lru, mapping,
 * index).
 */
#ifndef KSIM_MM_TYPES_H
#define KSIM_MM_TYPES_H

#include <stdint.h>

#include "kernel-sim/list.h"

struct kmem_cache;

enum pageflags {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_active,
	PG_workingset,
	PG_slab,
	PG_reserved,
	PG_private,
	PG_writeback,
	PG_head,        /* first page of a compound (multi-page) allocation */
	PG_tail,        /* any other page of a compound allocation */
	PG_swapcache,
	PG_mappedtodisk,
	PG_reclaim,
	PG_swapbacked,
	PG_unevictable,
	PG_mlocked,
	PG_buddy,       /* Linux keeps this in page_type; a flag here: head of a free block */
	PG_pcp,         /* on a per-cpu page list */
	PG_pgtable,     /* holds a page table */
	PG_vmalloc,     /* backs a vmalloc area */
	PG_kernel,      /* kernel image, mem_map, node data: never freed */
	NR_PAGEFLAGS,
};

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_PHYS(x) ((uint64_t)(x) << PAGE_SHIFT)

#define ZONES_SHIFT 32
#define ZONES_MASK 0x7ULL
#define NODES_SHIFT 40
#define NODES_MASK 0xffULL
#define SECTIONS_SHIFT 48
#define SECTIONS_MASK 0xffffULL

struct page {
	uint64_t flags;                        /* PG_* bits, zone, node, section: see above */
	union {
		struct list_head lru;          /* buddy free list, pcp list, LRU list */
		struct list_head slab_list;    /* slab: node partial list */
	};
	union {
		void *mapping;                 /* anon_vma or address_space, later */
		struct kmem_cache *slab_cache; /* slab: the cache this slab belongs to */
	};
	union {
		uint64_t index;                /* offset in the mapping, in pages */
		void *freelist;                /* slab: first free object, NULL when full */
	};
	union {
		uint64_t private;              /* buddy: order of the free block at this head */
		struct {                       /* slab */
			uint16_t inuse;        /* objects handed out */
			uint16_t objects;      /* objects in the slab */
			uint16_t frozen;       /* 1 while it is some cpu's active slab */
			uint16_t slab_order;   /* order of the slab's allocation */
		};
		uint64_t counters;
	};
	int32_t _mapcount;                     /* page-table mappings - 1 */
	int32_t _refcount;                     /* references; 0 when free */
	uint32_t owner;                        /* who holds the frame, for views: pid or tag */
	uint32_t pad;
};

_Static_assert(sizeof(struct page) == 64, "struct page is 64 bytes, as on Linux");

static inline int PageFlag(const struct page *page, enum pageflags f)
{
	return (page->flags >> f) & 1;
}
static inline void SetPageFlag(struct page *page, enum pageflags f)
{
	page->flags |= 1ULL << f;
}
static inline void ClearPageFlag(struct page *page, enum pageflags f)
{
	page->flags &= ~(1ULL << f);
}

#define PAGEFLAG_FNS(name, bit)                                                                \
	static inline int Page##name(const struct page *page)                                 \
	{                                                                                      \
		return PageFlag(page, bit);                                                    \
	}                                                                                      \
	static inline void SetPage##name(struct page *page)                                    \
	{                                                                                      \
		SetPageFlag(page, bit);                                                        \
	}                                                                                      \
	static inline void __ClearPage##name(struct page *page)                                \
	{                                                                                      \
		ClearPageFlag(page, bit);                                                      \
	}

PAGEFLAG_FNS(Buddy, PG_buddy)
PAGEFLAG_FNS(Pcp, PG_pcp)
PAGEFLAG_FNS(Slab, PG_slab)
PAGEFLAG_FNS(Reserved, PG_reserved)
PAGEFLAG_FNS(Head, PG_head)
PAGEFLAG_FNS(Tail, PG_tail)
PAGEFLAG_FNS(Table, PG_pgtable)
PAGEFLAG_FNS(Vmalloc, PG_vmalloc)
PAGEFLAG_FNS(Kernel, PG_kernel)
PAGEFLAG_FNS(Lru, PG_lru)
PAGEFLAG_FNS(Active, PG_active)

static inline unsigned page_zonenum(const struct page *page)
{
	return (page->flags >> ZONES_SHIFT) & ZONES_MASK;
}
static inline int page_to_nid(const struct page *page)
{
	return (int)((page->flags >> NODES_SHIFT) & NODES_MASK);
}
static inline unsigned page_to_section(const struct page *page)
{
	return (page->flags >> SECTIONS_SHIFT) & SECTIONS_MASK;
}
static inline int page_count(const struct page *page)
{
	return page->_refcount;
}
static inline void set_page_count(struct page *page, int v)
{
	page->_refcount = v;
}
static inline void get_page(struct page *page)
{
	page->_refcount++;
}
/* Drops a reference; true when it was the last one. */
static inline int put_page_testzero(struct page *page)
{
	return --page->_refcount == 0;
}
static inline unsigned buddy_order(const struct page *page)
{
	return (unsigned)page->private;
}

#endif /* KSIM_MM_TYPES_H */
