/* Allocator consistency checks; see kernel-sim/debug_vm.h. */
#include "kernel-sim/debug_vm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel-sim/page_alloc.h"

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
			return fail(msg, len, "%s: order %u lists hold %lu blocks, nr_free says %lu",
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
				if (!zone_spans_pfn(zone, pfn) || !PagePcp(page) || PageBuddy(page) ||
				    page_count(page) != 0)
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
	for_each_online_node(k, nid) {
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
