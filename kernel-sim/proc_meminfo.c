/*
 * /proc/meminfo, in the layout of Linux's fs/proc/meminfo.c. MemAvailable follows
 * si_mem_available(): free pages above the reserves, plus the page cache and reclaimable
 * slab that reclaim could free without dropping below the low watermarks.
 */
#include "kernel-sim/page_alloc.h"
#include "kernel-sim/proc.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/zswap.h"

static void show_val_kb(struct seq_file *m, const char *name, unsigned long pages)
{
	seq_printf(m, "%s%8lu kB\n", name, pages << (PAGE_SHIFT - 10));
}

static unsigned long node_pages(const struct kernel *k, enum node_stat_item item)
{
	long v = global_node_page_state(k, item);
	return v < 0 ? 0 : (unsigned long)v;
}

static unsigned long si_mem_available(const struct kernel *k)
{
	unsigned long wmark_low = 0;
	for_each_online_node(k, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			wmark_low += low_wmark_pages(&NODE_DATA(k, nid)->node_zones[z]);
	long available = global_zone_page_state(k, NR_FREE_PAGES) - (long)k->totalreserve_pages;
	long pagecache = (long)(node_pages(k, NR_ACTIVE_FILE) + node_pages(k, NR_INACTIVE_FILE));
	pagecache -= pagecache / 2 < (long)wmark_low ? pagecache / 2 : (long)wmark_low;
	available += pagecache;
	long reclaimable = (long)(node_pages(k, NR_SLAB_RECLAIMABLE_B) +
				  node_pages(k, NR_KERNEL_MISC_RECLAIMABLE));
	available += reclaimable -
		     (reclaimable / 2 < (long)wmark_low ? reclaimable / 2 : (long)wmark_low);
	return available < 0 ? 0 : (unsigned long)available;
}

static void highmem_show(struct seq_file *m, const struct kernel *k)
{
	unsigned long high_total = 0, high_free = 0;
	for_each_online_node(k, nid) {
		const struct zone *z = &NODE_DATA(k, nid)->node_zones[ZONE_HIGHMEM];
		high_total += z->managed_pages;
		high_free += zone_page_state(z, NR_FREE_PAGES);
	}
	show_val_kb(m, "HighTotal:      ", high_total);
	show_val_kb(m, "HighFree:       ", high_free);
	show_val_kb(m, "LowTotal:       ", k->totalram_pages - high_total);
	show_val_kb(m, "LowFree:        ",
		    (unsigned long)global_zone_page_state(k, NR_FREE_PAGES) - high_free);
}

void meminfo_show(struct seq_file *m, struct kernel *k)
{
	unsigned long file = node_pages(k, NR_FILE_PAGES), swapcache = node_pages(k, NR_SWAPCACHE);
	unsigned long cached = file > swapcache ? file - swapcache : 0;
	unsigned long sreclaim = node_pages(k, NR_SLAB_RECLAIMABLE_B);
	unsigned long sunreclaim = node_pages(k, NR_SLAB_UNRECLAIMABLE_B);

	show_val_kb(m, "MemTotal:       ", k->totalram_pages);
	show_val_kb(m, "MemFree:        ", (unsigned long)global_zone_page_state(k, NR_FREE_PAGES));
	show_val_kb(m, "MemAvailable:   ", si_mem_available(k));
	show_val_kb(m, "Buffers:        ", 0);
	show_val_kb(m, "Cached:         ", cached);
	show_val_kb(m, "SwapCached:     ", swapcache);
	show_val_kb(m, "Active:         ", node_pages(k, NR_ACTIVE_ANON) + node_pages(k, NR_ACTIVE_FILE));
	show_val_kb(m, "Inactive:       ",
		    node_pages(k, NR_INACTIVE_ANON) + node_pages(k, NR_INACTIVE_FILE));
	show_val_kb(m, "Active(anon):   ", node_pages(k, NR_ACTIVE_ANON));
	show_val_kb(m, "Inactive(anon): ", node_pages(k, NR_INACTIVE_ANON));
	show_val_kb(m, "Active(file):   ", node_pages(k, NR_ACTIVE_FILE));
	show_val_kb(m, "Inactive(file): ", node_pages(k, NR_INACTIVE_FILE));
	show_val_kb(m, "Unevictable:    ", node_pages(k, NR_UNEVICTABLE));
	show_val_kb(m, "Mlocked:        ", (unsigned long)global_zone_page_state(k, NR_MLOCK));
	if (k->params.arch == KARCH_I386)
		highmem_show(m, k);
	show_val_kb(m, "SwapTotal:      ", total_swap_pages(k));
	show_val_kb(m, "SwapFree:       ", nr_free_swap_pages(k));
	show_val_kb(m, "Zswap:          ", zswap_get_stats(k).pool_pages);
	show_val_kb(m, "Zswapped:       ", zswap_get_stats(k).stored_pages);
	show_val_kb(m, "Dirty:          ", node_pages(k, NR_FILE_DIRTY));
	show_val_kb(m, "Writeback:      ", node_pages(k, NR_WRITEBACK));
	show_val_kb(m, "AnonPages:      ", node_pages(k, NR_ANON_MAPPED));
	show_val_kb(m, "Mapped:         ", node_pages(k, NR_FILE_MAPPED));
	show_val_kb(m, "Shmem:          ", node_pages(k, NR_SHMEM));
	show_val_kb(m, "KReclaimable:   ", sreclaim + node_pages(k, NR_KERNEL_MISC_RECLAIMABLE));
	show_val_kb(m, "Slab:           ", sreclaim + sunreclaim);
	show_val_kb(m, "SReclaimable:   ", sreclaim);
	show_val_kb(m, "SUnreclaim:     ", sunreclaim);
	seq_printf(m, "KernelStack:    %8lu kB\n", node_pages(k, NR_KERNEL_STACK_KB));
	show_val_kb(m, "PageTables:     ", node_pages(k, NR_PAGETABLE));
	show_val_kb(m, "SecPageTables:  ", node_pages(k, NR_SEC_PAGETABLE));
	show_val_kb(m, "NFS_Unstable:   ", 0);
	show_val_kb(m, "Bounce:         ", 0);
	show_val_kb(m, "WritebackTmp:   ", 0);
	show_val_kb(m, "CommitLimit:    ", k->totalram_pages * 50 / 100);
	show_val_kb(m, "Committed_AS:   ", 0);
	seq_printf(m, "VmallocTotal:   %8llu kB\n", (unsigned long long)(k->vmalloc_total >> 10));
	show_val_kb(m, "VmallocUsed:    ", k->nr_vmalloc_pages);
	show_val_kb(m, "VmallocChunk:   ", 0);
	show_val_kb(m, "Percpu:         ", 0);
	show_val_kb(m, "AnonHugePages:  ", 0);
	show_val_kb(m, "ShmemHugePages: ", 0);
	show_val_kb(m, "ShmemPmdMapped: ", 0);
	show_val_kb(m, "FileHugePages:  ", 0);
	show_val_kb(m, "FilePmdMapped:  ", 0);
	seq_printf(m,
		   "HugePages_Total:   %5lu\n"
		   "HugePages_Free:    %5lu\n"
		   "HugePages_Rsvd:    %5lu\n"
		   "HugePages_Surp:    %5lu\n"
		   "Hugepagesize:   %8lu kB\n",
		   0UL, 0UL, 0UL, 0UL, 2048UL);
	seq_printf(m, "Hugetlb:        %8lu kB\n", 0UL);
	seq_printf(m, "DirectMap4k:    %8lu kB\n", k->direct_pages_count[0] << 2);
	seq_printf(m, "DirectMap2M:    %8lu kB\n", k->direct_pages_count[1] << 11);
	seq_printf(m, "DirectMap1G:    %8lu kB\n", k->direct_pages_count[2] << 20);
}
