/*
 * Nodes and zones, as Linux's <linux/mmzone.h>: a pg_data_t per NUMA node, each with its
 * zones; each zone with the buddy allocator's free_area[MAX_ORDER] (one free list per
 * migratetype per order), per-cpu page lists, watermarks and counters.
 *
 * pg_data_t, the zonelists and the pcp arrays are allocated by memblock on their own node,
 * so they occupy real guest RAM as on Linux.
 */
#ifndef KSIM_MMZONE_H
#define KSIM_MMZONE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel-sim/boot.h"
#include "kernel-sim/list.h"
#include "kernel-sim/vmstat.h"

#define MAX_ORDER 11              /* orders 0 .. 10: blocks of 4 KiB .. 4 MiB */
#define pageblock_order 9         /* 2 MiB pageblocks, each with one migratetype */
#define pageblock_nr_pages (1UL << pageblock_order)
#define PAGE_ALLOC_COSTLY_ORDER 3

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,                 /* the types that have pcp lists */
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES,
};

enum zone_type {
	ZONE_DMA,     /* below 16 MiB: ISA DMA */
	ZONE_DMA32,   /* below 4 GiB (x86-64 only) */
	ZONE_NORMAL,  /* the rest (x86-64), or below 896 MiB (i386) */
	ZONE_HIGHMEM, /* i386: above 896 MiB, outside the direct map */
	ZONE_MOVABLE, /* movablecore=: only movable allocations */
	MAX_NR_ZONES,
};

enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	WMARK_PROMO,
	NR_WMARK,
};

struct free_area {
	struct list_head free_list[MIGRATE_TYPES]; /* heads of free blocks of this order */
	unsigned long nr_free;                     /* blocks on all lists of this order */
};

/* Order-0 pages a CPU keeps at hand so most allocations take no zone-wide work. */
struct per_cpu_pages {
	int count;                                 /* pages on the lists */
	int high;                                  /* drain batch pages when count > high */
	int batch;                                 /* pages moved to or from the buddy at once */
	struct list_head lists[MIGRATE_PCPTYPES];  /* one list per pcp migratetype */
};

struct pglist_data;

/* The LRU lists, in the order of the NR_*_ANON/FILE counters (Linux's enum lru_list): a
 * list's node counter is NR_INACTIVE_ANON + lru, its zone counter NR_ZONE_INACTIVE_ANON +
 * lru. */
enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE,
	NR_LRU_LISTS,
};
#define LRU_BASE_FILE LRU_INACTIVE_FILE
#define LRU_ACTIVE 1

/* A node's LRU lists (Linux's lruvec without memory cgroups): every page that user space
 * maps or the page cache holds sits on exactly one, newest at the head. */
struct lruvec {
	struct list_head lists[NR_LRU_LISTS];      /* pages, linked through page->lru */
	unsigned long anon_cost;                   /* pages of anon reclaimed/refaulted lately */
	unsigned long file_cost;                   /* the same for file pages */
	unsigned long nonresident_age;             /* eviction clock: evictions + activations */
};

struct zone {
	unsigned long _watermark[NR_WMARK];        /* free pages: min, low, high, promo */
	unsigned long watermark_boost;             /* extra pages added to the marks, 0 here */
	long lowmem_reserve[MAX_NR_ZONES];         /* pages kept from allocations aimed higher */
	int node;                                  /* node id */
	enum zone_type idx;                        /* which zone of the node */
	struct pglist_data *zone_pgdat;            /* the node */
	struct per_cpu_pages *per_cpu_pageset;     /* [nr_cpu_ids], on this node */
	uint8_t *pageblock_flags;                  /* migratetype of each pageblock */
	unsigned long zone_start_pfn;              /* first pfn spanned */
	unsigned long spanned_pages;               /* pfns from start to end, holes included */
	unsigned long present_pages;               /* frames of RAM in the span */
	unsigned long managed_pages;               /* frames the buddy allocator was given */
	unsigned long nr_reserved_highatomic;      /* pages set aside for high-order atomics */
	const char *name;                          /* "DMA", "DMA32", "Normal", ... */
	struct free_area free_area[MAX_ORDER];
	long vm_stat[NR_VM_ZONE_STAT_ITEMS];       /* zone counters */
	unsigned long vm_numa_event[NR_VM_NUMA_EVENT_ITEMS]; /* numa_hit, numa_miss, ... */
};

/* A zone in a zonelist, with its index cached as Linux does. */
struct zoneref {
	struct zone *zone;                         /* NULL ends the list */
	int zone_idx;
};

enum {
	ZONELIST_FALLBACK,   /* all nodes, nearest first */
	ZONELIST_NOFALLBACK, /* this node only, for __GFP_THISNODE */
	MAX_ZONELISTS,
};

struct zonelist {
	struct zoneref _zonerefs[MAX_NUMNODES * MAX_NR_ZONES + 1];
};

typedef struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];      /* every zone type, empty ones too */
	struct zonelist node_zonelists[MAX_ZONELISTS];
	int nr_zones;                              /* highest populated zone index + 1 */
	int node_id;
	unsigned long node_start_pfn;
	unsigned long node_present_pages;          /* frames of RAM on the node */
	unsigned long node_spanned_pages;          /* pfns spanned, holes included */
	unsigned long totalreserve_pages;          /* pages no user allocation may take */
	long vm_stat[NR_VM_NODE_STAT_ITEMS];       /* node counters */
	struct lruvec __lruvec;                    /* the node's LRU lists (kernel-sim/swap.h) */
	bool kswapd_pending;                       /* woken: kswapd runs at the next safe point */
	int kswapd_order;                          /* largest order a waker wanted */
	enum zone_type kswapd_highest_zoneidx;     /* highest zone a waker could use */
	int kswapd_failures;                       /* balance_pgdat runs that reclaimed nothing */
} pg_data_t;

static inline int zone_idx(const struct zone *zone)
{
	return zone->idx;
}
static inline int populated_zone(const struct zone *zone)
{
	return zone->present_pages != 0;
}
static inline int managed_zone(const struct zone *zone)
{
	return zone->managed_pages != 0;
}
static inline int is_highmem_idx(int idx)
{
	return idx == ZONE_HIGHMEM;
}
static inline unsigned long min_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_MIN] + z->watermark_boost;
}
static inline unsigned long low_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_LOW] + z->watermark_boost;
}
static inline unsigned long high_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_HIGH] + z->watermark_boost;
}
static inline unsigned long zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}
static inline int zone_spans_pfn(const struct zone *z, unsigned long pfn)
{
	return pfn >= z->zone_start_pfn && pfn < zone_end_pfn(z);
}

#endif /* KSIM_MMZONE_H */
