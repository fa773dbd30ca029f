/*
 * /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo and /proc/vmstat, in the layout of
 * Linux's mm/vmstat.c (the fields mmemu models; zones that a configuration lacks, like
 * ZONE_DEVICE, are left out).
 */
#include "kernel-sim/page_alloc.h"
#include "kernel-sim/proc.h"

#define for_each_configured_zone(k, pgdat, zone)                                               \
	for (struct zone *zone = (pgdat)->node_zones;                                          \
	     zone < (pgdat)->node_zones + MAX_NR_ZONES; zone++)                                \
		if (zone_configured(k, zone->idx))

void buddyinfo_show(struct seq_file *m, struct kernel *k)
{
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for_each_configured_zone(k, pgdat, zone)
		{
			if (!populated_zone(zone))
				continue;
			seq_printf(m, "Node %d, zone %8s ", nid, zone->name);
			for (int o = 0; o < MAX_ORDER; o++)
				seq_printf(m, "%6lu ", zone->free_area[o].nr_free);
			seq_putc(m, '\n');
		}
	}
}

static unsigned long count_free_list(const struct list_head *head)
{
	unsigned long n = 0;
	for (const struct list_head *p = head->next; p != head; p = p->next)
		n++;
	return n;
}

static void pagetypeinfo_showfree(struct seq_file *m, struct kernel *k)
{
	seq_printf(m, "%-43s ", "Free pages count per migrate type at order");
	for (int o = 0; o < MAX_ORDER; o++)
		seq_printf(m, "%6d ", o);
	seq_putc(m, '\n');
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for_each_configured_zone(k, pgdat, zone)
		{
			if (!populated_zone(zone))
				continue;
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				seq_printf(m, "Node %4d, zone %8s, type %12s ", nid, zone->name,
					   migratetype_names[mt]);
				for (int o = 0; o < MAX_ORDER; o++)
					seq_printf(m, "%6lu ",
						   count_free_list(&zone->free_area[o].free_list[mt]));
				seq_putc(m, '\n');
			}
		}
	}
}

static void pagetypeinfo_showblockcount(struct seq_file *m, struct kernel *k)
{
	seq_printf(m, "\n%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		seq_printf(m, "%12s ", migratetype_names[mt]);
	seq_putc(m, '\n');
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for_each_configured_zone(k, pgdat, zone)
		{
			if (!populated_zone(zone))
				continue;
			unsigned long count[MIGRATE_TYPES] = {0};
			unsigned long first = zone->zone_start_pfn & ~(pageblock_nr_pages - 1);
			for (unsigned long pfn = first; pfn < zone_end_pfn(zone);
			     pfn += pageblock_nr_pages) {
				unsigned long p = pfn < zone->zone_start_pfn ? zone->zone_start_pfn : pfn;
				count[get_pageblock_migratetype(k, pfn_to_page(k, p))]++;
			}
			seq_printf(m, "Node %d, zone %8s ", nid, zone->name);
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				seq_printf(m, "%12lu ", count[mt]);
			seq_putc(m, '\n');
		}
	}
}

void pagetypeinfo_show(struct seq_file *m, struct kernel *k)
{
	seq_printf(m, "Page block order: %d\n", pageblock_order);
	seq_printf(m, "Pages per block:  %lu\n", pageblock_nr_pages);
	seq_putc(m, '\n');
	pagetypeinfo_showfree(m, k);
	pagetypeinfo_showblockcount(m, k);
}

static bool is_zone_first_populated(struct kernel *k, const pg_data_t *pgdat,
				    const struct zone *zone)
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (populated_zone(&pgdat->node_zones[z]))
			return &pgdat->node_zones[z] == zone;
	return false;
}

/* Linux's calculate_normal_threshold: how far a per-cpu counter may drift. */
static int stat_threshold(const struct kernel *k, const struct zone *zone)
{
	int cpus = 32 - __builtin_clz((unsigned)k->nr_cpu_ids);
	unsigned long mem = zone->managed_pages >> (27 - PAGE_SHIFT);
	int mem_bits = mem ? 64 - __builtin_clzl(mem) : 0;
	int threshold = 2 * cpus * (1 + mem_bits);
	return threshold > 125 ? 125 : threshold;
}

static void zoneinfo_show_node_stats(struct seq_file *m, const pg_data_t *pgdat)
{
	seq_printf(m, "\n  per-node stats");
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		seq_printf(m, "\n      %-12s %ld", node_stat_names[i], pgdat->vm_stat[i]);
}

static void zoneinfo_show_pagesets(struct seq_file *m, struct kernel *k, const struct zone *zone)
{
	seq_printf(m, "\n  pagesets");
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++) {
		const struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
		seq_printf(m,
			   "\n    cpu: %i"
			   "\n              count:    %i"
			   "\n              high:     %i"
			   "\n              batch:    %i"
			   "\n              high_min: %i"
			   "\n              high_max: %i",
			   cpu, pcp->count, pcp->high, pcp->batch, pcp->high, pcp->high);
		seq_printf(m, "\n  vm stats threshold: %d", stat_threshold(k, zone));
	}
}

static void zoneinfo_show_print(struct seq_file *m, struct kernel *k, pg_data_t *pgdat,
				struct zone *zone)
{
	seq_printf(m, "Node %d, zone %8s", pgdat->node_id, zone->name);
	if (is_zone_first_populated(k, pgdat, zone))
		zoneinfo_show_node_stats(m, pgdat);
	seq_printf(m,
		   "\n  pages free     %lu"
		   "\n        boost    %lu"
		   "\n        min      %lu"
		   "\n        low      %lu"
		   "\n        high     %lu"
		   "\n        promo    %lu"
		   "\n        spanned  %lu"
		   "\n        present  %lu"
		   "\n        managed  %lu"
		   "\n        cma      %lu",
		   zone_page_state(zone, NR_FREE_PAGES), zone->watermark_boost,
		   zone->_watermark[WMARK_MIN], zone->_watermark[WMARK_LOW],
		   zone->_watermark[WMARK_HIGH], zone->_watermark[WMARK_PROMO],
		   zone->spanned_pages, zone->present_pages, zone->managed_pages, 0UL);
	const char *sep = "\n        protection: (";
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		if (!zone_configured(k, z))
			continue;
		seq_printf(m, "%s%ld", sep, zone->lowmem_reserve[z]);
		sep = ", ";
	}
	seq_putc(m, ')');
	if (!populated_zone(zone)) {
		seq_putc(m, '\n');
		return;
	}
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		seq_printf(m, "\n      %-12s %lu", zone_stat_names[i], zone_page_state(zone, i));
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
		seq_printf(m, "\n      %-12s %lu", numa_stat_names[i], zone->vm_numa_event[i]);
	zoneinfo_show_pagesets(m, k, zone);
	seq_printf(m,
		   "\n  node_unreclaimable:  %u"
		   "\n  start_pfn:           %lu",
		   0u, zone->zone_start_pfn);
	seq_putc(m, '\n');
}

void zoneinfo_show(struct seq_file *m, struct kernel *k)
{
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for_each_configured_zone(k, pgdat, zone) zoneinfo_show_print(m, k, pgdat, zone);
	}
}

/* Per-zone events exist only for the zones of the configuration (no pgalloc_high on
 * x86-64, no pgalloc_dma32 on i386). */
static bool vm_event_shown(const struct kernel *k, int item)
{
	static const int groups[] = {PGALLOC_DMA, ALLOCSTALL_DMA, PGSCAN_SKIP_DMA};
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		if (item >= groups[g] && item < groups[g] + MAX_NR_ZONES)
			return zone_configured(k, item - groups[g]);
	return true;
}

void vmstat_show(struct seq_file *m, struct kernel *k)
{
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		seq_printf(m, "%s %ld\n", zone_stat_names[i], global_zone_page_state(k, i));
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
		seq_printf(m, "%s %lu\n", numa_stat_names[i], global_numa_event_state(k, i));
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		seq_printf(m, "%s %ld\n", node_stat_names[i], global_node_page_state(k, i));
	/* Linux's dirty limits: 20 % and 10 % of the dirtyable memory (free + file). */
	unsigned long dirtyable = (unsigned long)global_zone_page_state(k, NR_FREE_PAGES);
	dirtyable = dirtyable > k->totalreserve_pages ? dirtyable - k->totalreserve_pages : 0;
	dirtyable += (unsigned long)(global_node_page_state(k, NR_ACTIVE_FILE) +
				     global_node_page_state(k, NR_INACTIVE_FILE));
	seq_printf(m, "nr_dirty_threshold %lu\n", dirtyable * 20 / 100);
	seq_printf(m, "nr_dirty_background_threshold %lu\n", dirtyable * 10 / 100);
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		if (vm_event_shown(k, i))
			seq_printf(m, "%s %lu\n", vm_event_names[i], k->vm_events[i]);
}
