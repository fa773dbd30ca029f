/*
 * Memory counters, as Linux's <linux/vmstat.h> and mm/vmstat.c: per-zone and per-node
 * counters (nr_free_pages, nr_slab_unreclaimable_B, ...), NUMA allocation events
 * (numa_hit, numa_miss, ...) and global events (pgalloc_normal, pgfault, ...). The order
 * of every enum is the order /proc/vmstat prints them in.
 */
#ifndef KSIM_VMSTAT_H
#define KSIM_VMSTAT_H

enum zone_stat_item {
	NR_FREE_PAGES,
	NR_ZONE_INACTIVE_ANON,
	NR_ZONE_ACTIVE_ANON,
	NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE,
	NR_ZONE_UNEVICTABLE,
	NR_ZONE_WRITE_PENDING,
	NR_MLOCK,
	NR_ZSPAGES,
	NR_FREE_CMA_PAGES,
	NR_VM_ZONE_STAT_ITEMS,
};

enum numa_stat_item {
	NUMA_HIT,        /* allocated on the node it was meant for */
	NUMA_MISS,       /* allocated here though another node was preferred */
	NUMA_FOREIGN,    /* meant for this node, allocated elsewhere */
	NUMA_INTERLEAVE_HIT,
	NUMA_LOCAL,      /* allocated on the node of the CPU that asked */
	NUMA_OTHER,      /* allocated on another node than the asking CPU's */
	NR_VM_NUMA_EVENT_ITEMS,
};

enum node_stat_item {
	NR_INACTIVE_ANON,
	NR_ACTIVE_ANON,
	NR_INACTIVE_FILE,
	NR_ACTIVE_FILE,
	NR_UNEVICTABLE,
	NR_SLAB_RECLAIMABLE_B,   /* pages, printed as nr_slab_reclaimable */
	NR_SLAB_UNRECLAIMABLE_B, /* pages, printed as nr_slab_unreclaimable */
	NR_ISOLATED_ANON,
	NR_ISOLATED_FILE,
	WORKINGSET_NODES,
	WORKINGSET_REFAULT_ANON,
	WORKINGSET_REFAULT_FILE,
	WORKINGSET_ACTIVATE_ANON,
	WORKINGSET_ACTIVATE_FILE,
	WORKINGSET_RESTORE_ANON,
	WORKINGSET_RESTORE_FILE,
	WORKINGSET_NODERECLAIM,
	NR_ANON_MAPPED,
	NR_FILE_MAPPED,
	NR_FILE_PAGES,
	NR_FILE_DIRTY,
	NR_WRITEBACK,
	NR_SHMEM,
	NR_SHMEM_THPS,
	NR_SHMEM_PMDMAPPED,
	NR_FILE_THPS,
	NR_FILE_PMDMAPPED,
	NR_ANON_THPS,
	NR_VMSCAN_WRITE,
	NR_VMSCAN_IMMEDIATE,
	NR_DIRTIED,
	NR_WRITTEN,
	NR_THROTTLED_WRITTEN,
	NR_KERNEL_MISC_RECLAIMABLE,
	NR_FOLL_PIN_ACQUIRED,
	NR_FOLL_PIN_RELEASED,
	NR_KERNEL_STACK_KB,
	NR_PAGETABLE,            /* pages holding page tables */
	NR_SEC_PAGETABLE,
	NR_SWAPCACHE,
	NR_VM_NODE_STAT_ITEMS,
};

enum vm_event_item {
	PGPGIN,
	PGPGOUT,
	PSWPIN,
	PSWPOUT,
	PGALLOC_DMA,     /* one per zone type, in zone order */
	PGALLOC_DMA32,
	PGALLOC_NORMAL,
	PGALLOC_HIGH,
	PGALLOC_MOVABLE,
	ALLOCSTALL_DMA,
	ALLOCSTALL_DMA32,
	ALLOCSTALL_NORMAL,
	ALLOCSTALL_HIGH,
	ALLOCSTALL_MOVABLE,
	PGSCAN_SKIP_DMA,
	PGSCAN_SKIP_DMA32,
	PGSCAN_SKIP_NORMAL,
	PGSCAN_SKIP_HIGH,
	PGSCAN_SKIP_MOVABLE,
	PGFREE,
	PGACTIVATE,
	PGDEACTIVATE,
	PGLAZYFREE,
	PGFAULT,
	PGMAJFAULT,
	PGLAZYFREED,
	PGREFILL,
	PGREUSE,
	PGSTEAL_KSWAPD,
	PGSTEAL_DIRECT,
	PGSCAN_KSWAPD,
	PGSCAN_DIRECT,
	PGSCAN_DIRECT_THROTTLE,
	PGSCAN_ANON,
	PGSCAN_FILE,
	PGSTEAL_ANON,
	PGSTEAL_FILE,
	ZONE_RECLAIM_FAILED,
	PGINODESTEAL,
	SLABS_SCANNED,
	KSWAPD_INODESTEAL,
	KSWAPD_LOW_WMARK_HIT_QUICKLY,
	KSWAPD_HIGH_WMARK_HIT_QUICKLY,
	PAGEOUTRUN,
	PGROTATED,
	DROP_PAGECACHE,
	DROP_SLAB,
	OOM_KILL,
	PGMIGRATE_SUCCESS,
	PGMIGRATE_FAIL,
	COMPACT_STALL,
	COMPACT_FAIL,
	COMPACT_SUCCESS,
	UNEVICTABLE_PGCULLED,
	UNEVICTABLE_PGSCANNED,
	UNEVICTABLE_PGRESCUED,
	UNEVICTABLE_PGMLOCKED,
	UNEVICTABLE_PGMUNLOCKED,
	UNEVICTABLE_PGCLEARED,
	UNEVICTABLE_PGSTRANDED,
	SWAP_RA,
	SWAP_RA_HIT,
	NR_VM_EVENT_ITEMS,
};

struct kernel;
struct zone;
struct pglist_data;

extern const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS];
extern const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS];
extern const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS];
extern const char *const vm_event_names[NR_VM_EVENT_ITEMS];

void __mod_zone_page_state(struct zone *zone, enum zone_stat_item item, long delta);
void __mod_node_page_state(struct pglist_data *pgdat, enum node_stat_item item, long delta);
void count_vm_events(struct kernel *k, enum vm_event_item item, unsigned long delta);
#define count_vm_event(k, item) count_vm_events(k, item, 1)

/* Sums over every zone or node of the machine. */
long global_zone_page_state(const struct kernel *k, enum zone_stat_item item);
long global_node_page_state(const struct kernel *k, enum node_stat_item item);
unsigned long global_numa_event_state(const struct kernel *k, enum numa_stat_item item);

#endif /* KSIM_VMSTAT_H */
