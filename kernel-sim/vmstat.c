/*
 * Memory counters and their names, as Linux's mm/vmstat.c. Zone and node counters are
 * kept where they belong (struct zone, pg_data_t); machine-wide values are sums.
 */
#include "kernel-sim/page_alloc.h"

const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = {
	"nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon",
	"nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
	"nr_zone_write_pending", "nr_mlock", "nr_zspages", "nr_free_cma",
};

const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS] = {
	"numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
};

const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = {
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
	"nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon",
	"nr_isolated_file", "workingset_nodes", "workingset_refault_anon",
	"workingset_refault_file", "workingset_activate_anon", "workingset_activate_file",
	"workingset_restore_anon", "workingset_restore_file", "workingset_nodereclaim",
	"nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback",
	"nr_shmem", "nr_shmem_hugepages", "nr_shmem_pmdmapped",
	"nr_file_hugepages", "nr_file_pmdmapped", "nr_anon_transparent_hugepages",
	"nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written",
	"nr_throttled_written", "nr_kernel_misc_reclaimable", "nr_foll_pin_acquired",
	"nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages",
	"nr_sec_page_table_pages", "nr_swapcached",
};

const char *const vm_event_names[NR_VM_EVENT_ITEMS] = {
	"pgpgin", "pgpgout", "pswpin", "pswpout",
	"pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_high", "pgalloc_movable",
	"allocstall_dma", "allocstall_dma32", "allocstall_normal", "allocstall_high",
	"allocstall_movable",
	"pgskip_dma", "pgskip_dma32", "pgskip_normal", "pgskip_high", "pgskip_movable",
	"pgfree", "pgactivate", "pgdeactivate", "pglazyfree", "pgfault", "pgmajfault",
	"pglazyfreed", "pgrefill", "pgreuse", "pgsteal_kswapd", "pgsteal_direct",
	"pgscan_kswapd", "pgscan_direct",
	"pgscan_direct_throttle", "pgscan_anon", "pgscan_file", "pgsteal_anon", "pgsteal_file",
	"zone_reclaim_failed", "pginodesteal", "slabs_scanned", "kswapd_inodesteal",
	"kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly", "pageoutrun",
	"pgrotated", "drop_pagecache", "drop_slab", "oom_kill", "pgmigrate_success",
	"pgmigrate_fail", "compact_stall", "compact_fail", "compact_success",
	"unevictable_pgs_culled", "unevictable_pgs_scanned", "unevictable_pgs_rescued",
	"unevictable_pgs_mlocked", "unevictable_pgs_munlocked", "unevictable_pgs_cleared",
	"unevictable_pgs_stranded", "swap_ra", "swap_ra_hit",
};

void __mod_zone_page_state(struct zone *zone, enum zone_stat_item item, long delta)
{
	zone->vm_stat[item] += delta;
}

void __mod_node_page_state(struct pglist_data *pgdat, enum node_stat_item item, long delta)
{
	pgdat->vm_stat[item] += delta;
}

void count_vm_events(struct kernel *k, enum vm_event_item item, unsigned long delta)
{
	k->vm_events[item] += delta;
}

long global_zone_page_state(const struct kernel *k, enum zone_stat_item item)
{
	long sum = 0;
	for_each_online_node(k, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			sum += NODE_DATA(k, nid)->node_zones[z].vm_stat[item];
	return sum;
}

long global_node_page_state(const struct kernel *k, enum node_stat_item item)
{
	long sum = 0;
	for_each_online_node(k, nid)
		sum += NODE_DATA(k, nid)->vm_stat[item];
	return sum;
}

unsigned long global_numa_event_state(const struct kernel *k, enum numa_stat_item item)
{
	unsigned long sum = 0;
	for_each_online_node(k, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			sum += NODE_DATA(k, nid)->node_zones[z].vm_numa_event[item];
	return sum;
}
